"""报送情况: for the year chosen in the sidebar and one return type, who has submitted, who is late, what was
rejected and why, and the 催报名单 to download."""

from datetime import date, datetime
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from dashboard import auth, filters, ui
from exports.letters import build_chase_letters
from queries import chase_list as chase_xlsx
from queries import submissions as queries
from queries.scope import Scope
from queries.uploads import markdown_safe

# Colour AND word for each status, as a pill drawn by the table itself (a pandas Styler would be recomputed on every
# run): white on green/red/purple, black on amber (Streamlit writes black on pills of luminance above 0.5).
STATUS_PILLS = {
    queries.STATUS_WORDS[queries.ON_TIME]: "#2e7d32",
    queries.STATUS_WORDS[queries.LATE]: "#fbc02d",
    queries.STATUS_WORDS[queries.MISSING]: "#c62828",
    queries.STATUS_WORDS[queries.REJECTED_ONLY]: "#6a1b9a",
}
# Unit and status first; who and when come before the current file. Widths add up to 800 px, the content width at
# 1280×720 (the sidebar is 376 px), so the table never scrolls sideways; the other files (superseded, rejected) and
# the date on the form move to 文件明细 below it.
TABLE_COLUMNS = {
    "unit_name": st.column_config.TextColumn("单位", width=140),
    "status_word": st.column_config.MultiselectColumn(
        "状态", width=120, options=list(STATUS_PILLS), color=list(STATUS_PILLS.values())
    ),
    "received_at": st.column_config.DatetimeColumn("接收时间", format="YYYY-MM-DD HH:mm", width=135),
    "submitter": st.column_config.TextColumn("填报人", width=70),
    "phone": st.column_config.TextColumn("联系电话", width=115),
    "file_name": st.column_config.TextColumn("当前版本文件", width=220),
}
FILE_COLUMNS = {  # 760 px: an expander's border and padding take some of the 800
    "unit_name": st.column_config.TextColumn("单位", width=130),
    "filled_on": st.column_config.DateColumn("填报日期", format="YYYY-MM-DD", width=100),
    "superseded_text": st.column_config.TextColumn("被替代的早先版本", width=265),
    "rejected_text": st.column_config.TextColumn("被退回的文件", width=265),
}
CHASE_COLUMNS = {
    "单位": st.column_config.TextColumn(width=130),
    "报表": st.column_config.TextColumn(width=165),
    "情况": st.column_config.TextColumn(width=95),
    "最近一次报送的填报人": st.column_config.TextColumn("填报人", help="最近一次报送的填报人", width=75),
    "联系电话": st.column_config.TextColumn(width=110),
    "最近报送时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD", width=95),
    "备注": st.column_config.TextColumn(width=130),
}


# What the page shows is built once per data version, reader, year and return type and shared by every session
# (building it is most of the page's own time); nothing cached is mutated. Tables go to st.dataframe as Arrow tables
# made here once, not as DataFrames it would convert again on every run.
@st.cache_resource(max_entries=64, show_spinner=False)
def _view(version: ui.Version, reader: Scope, year: int, return_code: str) -> tuple[queries.TrackerView, pa.Table]:
    view = ui.cached_query(queries.tracker_view, year, return_code)
    return view, pa.Table.from_pandas(view.table, preserve_index=False)


@st.cache_resource(max_entries=16, show_spinner=False)
def _chase(version: ui.Version, reader: Scope, year: int) -> tuple[pd.DataFrame, pa.Table, bool, str]:
    """The 催报名单 (as a DataFrame for its download, as Arrow for the screen), whether it is demo data, and the data
    version its downloads name."""
    chase = ui.cached_query(queries.chase_list, year)
    shown = pa.Table.from_pandas(chase, preserve_index=False)
    return chase, shown, ui.warehouse_summary().is_demo, ui.data_version_text()


@st.cache_resource(max_entries=16, show_spinner=False)
def _unidentified(version: ui.Version, reader: Scope, year: int) -> tuple[queries.RejectedFile, ...]:
    return ui.cached_query(queries.unidentified_entries, year)


def draw_table(table: pa.Table) -> None:
    st.dataframe(
        table,
        column_order=list(TABLE_COLUMNS), column_config=TABLE_COLUMNS, hide_index=True, width="stretch",
        height="content", placeholder="—",
    )  # fmt: skip
    with st.expander("文件明细：填报日期、被替代的早先版本、被退回的文件"):
        st.dataframe(
            table, column_order=list(FILE_COLUMNS), column_config=FILE_COLUMNS, hide_index=True, width="stretch",
            height="content", placeholder="—",
        )  # fmt: skip


def draw_summary(summary: queries.TrackerSummary, due: date) -> None:
    st.markdown(f"**{markdown_safe(summary.text)}**")
    cols = st.columns(5)
    cols[0].metric("应报", summary.expected)
    cols[1].metric("已报送", summary.submitted)
    cols[2].metric("其中逾期", summary.late)
    cols[3].metric("未报送", len(summary.missing))
    cols[4].metric("仅有被退回的文件", len(summary.rejected_only))
    st.caption(
        f"报送截止日期：{queries.cn_date(due)}（以系统接收日期为准；单位首次被接收的版本在截止日期当天或之前收到即为按时，"
        "之后的更正版不改变按时与否）。"
    )


def draw_file(row: queries.RejectedFile) -> None:
    """One rejected file: what it was recognised as, when it came, and every problem found in it."""
    with st.container(border=True):
        st.markdown(f"**{markdown_safe(row.file_name)}**　{markdown_safe(row.recognised) or '未能识别单位和报表类型'}")
        st.caption(f"接收时间：{row.received_at:%Y-%m-%d %H:%M}")
        st.markdown("\n".join(f"- {markdown_safe(line)}" for line in row.issue_lines) or "（无问题记录）")


def draw_rejected(files: tuple[queries.RejectedFile, ...], year: int, return_code: str) -> None:
    st.subheader("被退回的文件", anchor=False)
    if not files:
        st.caption(f"{year}年度 {return_code} 没有被退回的文件。")
    for row in files:
        draw_file(row)


def draw_unidentified(files: tuple[queries.RejectedFile, ...], year: int) -> None:
    st.subheader("无法识别单位或报表类型的文件", anchor=False)
    st.caption(
        "这些文件被退回，且系统未能确定其填报单位或报表类型（全部报表类型）。没有可用年度的文件按接收时间归入"
        f"上一年度（{year + 1}年收到的列在{year}年度）；能识别单位的文件（包括报表年度不对的）列在上面该单位名下。"
        "请根据文件名和问题说明联系报送单位。"
    )
    if not files:
        st.caption("没有此类文件。")
    for row in files:
        draw_file(row)


def draw_chase_list(chase: pd.DataFrame, shown: pa.Table, year: int, demo: bool, version: str) -> None:
    st.subheader(f"{year}年度催报名单（全部报表）", anchor=False)
    if chase.empty:
        st.success(f"{year}年度各类报表均已报送，无需催报。", icon=":material/task_alt:")
        return
    st.caption("未报送、逾期仍未报送或只有被退回文件的单位；联系人和电话取自该单位最近一次报送的报表。")
    st.dataframe(
        shown, hide_index=True, width="stretch", height="content", column_config=CHASE_COLUMNS, placeholder="—"
    )
    left, right = st.columns(2)
    list_name = chase_xlsx.chase_list_filename(year, demo=demo)
    letters_name = f"{'演示数据_' if demo else ''}{year}年度催报函.docx"
    left.download_button(
        "下载催报名单（Excel）",
        data=auth.audited_download(
            partial(chase_xlsx.chase_list_xlsx, chase, year, demo=demo, generated_at=datetime.now()),
            document=f"{year}年度催报名单", file_name=list_name, version=version,
        ),
        file_name=list_name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:", on_click="ignore", type="primary",
    )  # fmt: skip
    right.download_button(  # the letters are built only when asked for (a callable)
        "下载催报函（Word，每单位一封）",
        data=auth.audited_download(
            partial(build_chase_letters, ui.cursor(), ui.status_book(), year, demo=demo),
            document=f"{year}年度催报函", file_name=letters_name, version=version,
        ),
        file_name=letters_name,
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/mail:", on_click="ignore",
    )  # fmt: skip


def main() -> None:
    # A 填报单位 sees its own row, its own rejected files and nothing else: the queries run in its scope, and the
    # province-wide sections (催报名单, unidentified files) are for the federation's staff only.
    reader, version = ui.scope(), ui.warehouse_version()
    whole = reader.everything
    selection = filters.current(ui.years(), ui.reference().registry)
    st.header("报送情况" if whole else "本单位报送情况", anchor=False)
    if selection.year is None:
        st.info("还没有任何年度的报表，无法统计报送情况。请先在“数据上传”页上传报表。", icon=":material/info:")
        st.page_link("app_pages/upload.py", label="前往数据上传", icon=":material/upload_file:")
        return
    catalog, year = ui.catalog(), selection.year
    return_code = st.radio(
        "报表类型", list(catalog.returns), horizontal=True, key="tracker_return",
        format_func=lambda code: queries.return_label(catalog, code),
    )  # fmt: skip
    view = None
    with ui.guarded("报送情况表"):
        view, shown = _view(version, reader, year, return_code)
        draw_summary(view.summary, queries.deadline(catalog, year))
        draw_table(shown)
    if whole:
        with ui.guarded("催报名单"):
            chase, shown_chase, demo, version_text = _chase(version, reader, year)
            draw_chase_list(chase, shown_chase, year, demo, version_text)
    with ui.guarded("被退回的文件"):
        if view is not None:
            draw_rejected(view.rejected, year, return_code)
    if whole:
        with ui.guarded("无法识别的文件"):
            draw_unidentified(_unidentified(version, reader, year), year)


main()
