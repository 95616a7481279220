"""十八条落实看板: signs the user in, declares the pages the account's role may use, draws what every page shares
(year, demo banner, freshness), then runs the current page.

Every page is declared on every run so that a deep link resolves to its page; a page the role may not use is
declared hidden (never listed) and, when reached by its URL, shows a refusal instead of running. Projector mode is
one mode reached two ways, /present and ?mode=present on any page: both run the 放映模式 page with the sidebar
hidden, the type enlarged, and the header reduced to one quiet line."""

import streamlit as st

from dashboard import auth, filters, run_memo, theme_css, ui
from dashboard.navigation import PAGE_TABLE, PASSWORD_PATH, PRESENT_PATH, UNIT_HOME, UNIT_TITLES
from pipeline.access import ROLE_UNIT, Account
from queries.uploads import markdown_safe

st.set_page_config(page_title="十八条落实看板", page_icon=":material/fact_check:", layout="wide")


def declare(account: Account | None) -> tuple[dict[str, list[st.Page]], dict[str, str], dict[str, st.Page]]:
    """Every page, visible only where the role may use it: (sections, url_path -> file, file -> st.Page)."""
    sections: dict[str, list[st.Page]] = {}
    allowed: dict[str, str] = {}
    by_file: dict[str, st.Page] = {}
    for position, (section, file, title, icon, url_path, roles) in enumerate(PAGE_TABLE):
        may_use = account is not None and account.role in roles
        if account is not None and account.must_change_password:
            may_use = file == PASSWORD_PATH
        if account is not None and account.role == ROLE_UNIT:
            title = UNIT_TITLES.get(file, title)
        page = st.Page(
            file, title=title, icon=icon, url_path=url_path, default=position == 0,
            visibility="visible" if may_use else "hidden",
        )  # fmt: skip
        sections.setdefault(section, []).append(page)
        by_file[file] = page
        if may_use:
            allowed[page.url_path] = file
    return {name: pages for name, pages in sections.items()}, allowed, by_file


def account_box(account: Account) -> None:
    with st.sidebar.container(border=True):
        registry = ui.live_reference().registry
        st.markdown(
            f"**{markdown_safe(account.display_name or account.username)}**　{markdown_safe(auth.role_text(account, registry))}"
        )
        if account.is_demo:
            st.caption("演示账户")
        if st.button("退出登录", icon=":material/logout:", key="sign_out"):
            auth.sign_out()
            st.rerun()


run_memo.begin_run()  # what this run shows is settled once (dashboard/run_memo.py)
account = auth.restore()
present = account is not None and account.role != ROLE_UNIT and filters.present_requested()
sections, allowed, by_file = declare(account)
# Declare the pages first, before anything slow, so a deep link resolves to its page at once.
# expanded: every page is listed (Streamlit would fold all but the first ten under "View more").
page = st.navigation(sections, position="hidden" if account is None or present else "sidebar", expanded=True)
ui.set_page_language()
ui.start_warming()  # judges each new version's overview in the background (a no-op after the first run)

if account is None:
    theme_css.inject(present=False)
    with ui.guarded("登录"):
        account = auth.sign_in_form(ui.demo_accounts())
    if account is None:
        st.stop()
    st.rerun()  # signed in: draw the page the link asked for, with the role's menu

if account.must_change_password and page.url_path != by_file[PASSWORD_PATH].url_path:
    st.switch_page(by_file[PASSWORD_PATH])  # nothing else until the one-time password is replaced

if page.url_path not in allowed:
    if page.url_path == by_file[PAGE_TABLE[0][1]].url_path and account.role == ROLE_UNIT:
        # A 填报单位's home is its own unit; the link's parameters travel along (a unit it names is checked there).
        st.switch_page(
            by_file[UNIT_HOME], query_params={k: v for k, v in st.query_params.items() if k in filters.PARAMS}
        )
    account_box(account)
    auth.refuse(page.title, ui.live_reference().registry)

if page.url_path == by_file[PRESENT_PATH].url_path:
    filters.set_present(True)  # opened from the menu or /present: the whole run is the projector's
elif present:
    # ?mode=present on any page opens the projector, starting with its overview screen; the link's year and
    # meeting travel along (only the page that st.navigation returned may run, hence a switch, not a run).
    st.switch_page(
        by_file[PRESENT_PATH], query_params={k: v for k, v in st.query_params.items() if k in filters.PARAMS}
    )
with ui.guarded("看板"):
    if not present:
        account_box(account)
    if account.must_change_password:
        st.warning("首次登录或密码已被重置：请先设置新密码，然后才能使用看板。", icon=":material/password:")
    if ui.scope().everything:
        filters.version_selector(ui.meeting_choices())
    selection = filters.year_selector(ui.years(), ui.reference().registry)
    theme_css.inject(present=selection.present)
    summary = ui.warehouse_summary()
    if selection.present:
        ui.projector_line(summary, selection.year)  # the product, demo, meeting and freshness notes in one line
    else:
        ui.freshness(summary, selection.year)  # the product, the year and the data's date in one quiet line
        ui.meeting_banner()
        ui.demo_banner(summary)
    page.run()
