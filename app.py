"""十八条落实看板: declares the pages, draws what every page shares (year, demo banner, freshness), then runs
the current page. Projector mode is one mode reached two ways, /present and ?mode=present on any page: both run
the 放映模式 page with the sidebar hidden, the type enlarged, and the header reduced to one quiet line."""

import streamlit as st

from dashboard import filters, theme_css, ui

st.set_page_config(page_title="十八条落实看板", page_icon=":material/fact_check:", layout="wide")

PRESENT_PAGE = st.Page("app_pages/present.py", title="放映模式", icon=":material/slideshow:", url_path="present")
PAGES = {
    "看板": [
        st.Page("app_pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page("app_pages/measure_detail.py", title="措施详情", icon=":material/search:", url_path="measure"),
        PRESENT_PAGE,
    ],
    "专题图表": [
        st.Page("app_pages/coverage.py", title="组织覆盖", icon=":material/account_tree:"),
        st.Page("app_pages/funding.py", title="经费保障", icon=":material/payments:"),
        st.Page("app_pages/inspections.py", title="督查结果", icon=":material/fact_check:"),
        st.Page("app_pages/cadres.py", title="干部队伍", icon=":material/groups:"),
    ],
    "单位与报送": [
        st.Page("app_pages/unit_profile.py", title="单位画像", icon=":material/apartment:", url_path="unit"),
        st.Page("app_pages/tracker.py", title="报送情况", icon=":material/checklist:"),
        st.Page("app_pages/changes.py", title="会议以来变化", icon=":material/difference:", url_path="changes"),
        st.Page("app_pages/export.py", title="导出", icon=":material/ios_share:", url_path="export"),
        st.Page("app_pages/upload.py", title="数据上传", icon=":material/upload_file:"),
    ],
    "参考": [
        st.Page("app_pages/measures.py", title="十八条原文", icon=":material/menu_book:"),
        st.Page("app_pages/filling_help.py", title="填报说明", icon=":material/help:", url_path="help"),
    ],
}

# Declare the pages first, before anything slow, so a deep link resolves to its page at once.
# expanded: every page is listed (Streamlit would fold all but the first ten under "View more").
page = st.navigation(PAGES, position="hidden" if filters.present_requested() else "sidebar", expanded=True)
if page.url_path == PRESENT_PAGE.url_path:
    filters.set_present(True)  # opened from the menu or /present: the whole run is the projector's
elif filters.present_requested():
    # ?mode=present on any page opens the projector, starting with its overview screen; the link's year and
    # meeting travel along (only the page that st.navigation returned may run, hence a switch, not a run).
    st.switch_page(PRESENT_PAGE, query_params={k: v for k, v in st.query_params.items() if k in filters.PARAMS})
ui.set_page_language()
with ui.guarded("看板"):
    filters.version_selector(ui.meeting_choices())
    book = ui.status_book()
    selection = filters.year_selector(book.years, book.registry)
    theme_css.inject(present=selection.present)
    summary = ui.warehouse_summary()
    if selection.present:
        ui.projector_line(summary, selection.year)  # the product, demo, meeting and freshness notes in one line
    else:
        st.caption(
            "**十八条落实看板**　陕西省总工会《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）落实情况"
        )
        ui.meeting_banner()
        ui.demo_banner(summary)
        ui.freshness(summary, selection.year)
    page.run()
