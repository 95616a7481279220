"""单位画像 (?unit=C07): one city federation or provincial industry union across all measures and years — its status
on every measure judged per unit in the selected year, its status history, the anomaly flags on its figures with its
说明, (for a city) what its return says about each county, and every file it has sent."""

import pandas as pd
import streamlit as st

from dashboard import filters, tiles, ui
from dashboard.theme import STATUS_COLOURS
from pipeline.status.model import AT_RISK, NO_DATA
from queries import profile
from queries.board import unit_profile
from queries.scope import Scope
from queries.uploads import markdown_safe

TILE_WIDTH = {False: 340, True: 460}  # pixels, by projector mode
# Widths add up to 800 px, the content width at 1280×720, so no table scrolls sideways; the date on the form stays
# in 报送情况's 文件明细.
SUBMISSION_COLUMNS = {
    "year": st.column_config.NumberColumn("年度", format="%d", width=55),
    "return_label": st.column_config.TextColumn("报表", width=150),
    "file_name": st.column_config.TextColumn("文件", width=205),
    "received_at": st.column_config.DatetimeColumn("接收时间", format="YYYY-MM-DD HH:mm", width=135),
    "submitter": st.column_config.TextColumn("填报人", width=70),
    "phone": st.column_config.TextColumn("联系电话", width=110),
    "state_word": st.column_config.TextColumn("状态", width=75),
}
ANOMALY_COLUMNS = {
    "措施": st.column_config.TextColumn(width=60),
    "涉及单位或县（区）": st.column_config.TextColumn("涉及单位", help="涉及单位或县（区）", width=110),
    "指标": st.column_config.TextColumn(width=190),
    "变化": st.column_config.TextColumn(width=150),
    "填报说明": st.column_config.TextColumn(width=170),
    "来源单元格": st.column_config.TextColumn(width=120),
}
TABLE_WIDTH_PX, FIRST_COLUMN_PX = 800, 110


def fitted_columns(columns: list[str]) -> dict:
    """The county table's columns (catalog names, some long) sharing 800 px: the full name on hover."""
    share = (TABLE_WIDTH_PX - FIRST_COLUMN_PX) // max(len(columns) - 1, 1)
    return {
        name: st.column_config.Column(name, help=name, width=FIRST_COLUMN_PX if i == 0 else share)
        for i, name in enumerate(columns)
    }


# Each history cell's status word as a pill in its status colour (the word stays, so colour is never the only cue),
# drawn by the table itself: a pandas Styler would be recomputed on every run. Streamlit writes black on a pill of
# luminance above 0.5 and white below, so 预警's amber and 无数据's grey are a shade lighter here to keep black text.
PILL_COLOURS = {**STATUS_COLOURS, AT_RISK: "#fbc02d", NO_DATA: "#bdbdbd"}


def status_pills(label: str) -> dict:
    return st.column_config.MultiselectColumn(label, options=list(PILL_COLOURS), color=list(PILL_COLOURS.values()))


# What the page shows is built once per data version, reader, unit and year and shared by every session (building it
# is most of the page's own time); the cached frames are never mutated (st.dataframe serialises a copy).
@st.cache_resource(max_entries=64, show_spinner=False)
def _judged(
    version: ui.Version, reader: Scope, unit_code: str, year: int, large: bool
) -> tuple[tuple[str, ...], pd.DataFrame, pd.DataFrame]:
    """The unit's tiles (HTML), its status history and its anomaly flags for the year."""
    unit_view = ui.book_query(unit_profile, unit_code, year)
    tile_html = tuple(
        tiles.tile_html(tile, large=large, summary="full") for tile in ui.book_query(profile.unit_tiles, unit_view)
    )
    return (
        tile_html,
        # A year the unit was not judged in is an empty cell, shown as the table's placeholder (—), not as a pill.
        ui.book_query(profile.unit_history_table, unit_view).replace(profile.NOT_JUDGED, None),
        ui.book_query(profile.unit_anomaly_table, unit_view),
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _submissions(version: ui.Version, reader: Scope, unit_code: str, year: int) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Every file the unit sent, and a sentence per return it still owes for the year."""
    submissions = ui.cached_query(profile.unit_submissions, unit_code)
    unit = ui.reference().registry.get(unit_code)
    return submissions, tuple(profile.missing_return_messages(submissions, ui.reference().catalog, unit, year))


@st.cache_resource(max_entries=64, show_spinner=False)
def _counties(version: ui.Version, reader: Scope, unit_code: str, year: int) -> pd.DataFrame:
    return ui.cached_query(profile.county_breakdown, unit_code, year)


reader = ui.scope()
reference = ui.reference()
if reader.everything:
    selection = filters.unit_selector(ui.years(), reference.registry)
    unit_code = selection.unit_code
else:  # a 填报单位 sees its own unit, whatever a link names
    unit_code = ui.own_unit_code()
    selection = filters.current(ui.years(), reference.registry)
tiles.inject_css()
unit = reference.registry.get(unit_code)
name, short = markdown_safe(unit.name), markdown_safe(unit.short_name)  # registry text, shown in markdown
year = selection.year

if year is None:
    st.subheader(f"单位画像：{name}")
    st.info(f"{name}还没有已接收的报表。{tiles.EMPTY_WAREHOUSE}", icon=":material/database:")
    st.stop()

st.subheader(f"单位画像：{name}（{year}年度）")
version = ui.warehouse_version()
with ui.guarded("报送情况"):
    submissions, missing = _submissions(version, reader, unit.code, year)
    for message in missing:
        st.warning(markdown_safe(message), icon=":material/assignment_late:")

with ui.guarded("落实情况"):
    tile_html, history, flags = _judged(version, reader, unit.code, year, selection.present)
    st.markdown(f"##### {year}年度落实情况（按单位评价的{len(tile_html)}条措施）")
    if not selection.present:
        st.caption(
            "其余措施按全省整体评价，见“总览”。" if reader.everything else "其余措施按全省整体评价，不按单位评价。"
        )
    # Tiles of a fixed width in a wrapping row: four across a wide screen, two on a laptop's.
    with st.container(horizontal=True, gap="small"):
        for html in tile_html:
            with st.container(border=True, width=TILE_WIDTH[selection.present], height="stretch"):
                st.html(html)

with ui.guarded("历年状态"):
    st.markdown("##### 历年状态")
    st.dataframe(
        history,
        hide_index=True,
        column_config={
            "措施": st.column_config.TextColumn("措施", width="large"),
            **{year: status_pills(year) for year in history.columns if year != "措施"},
        },
        height=tiles.table_height(len(history)),
        placeholder=profile.NOT_JUDGED,
    )

with ui.guarded("异常波动提示"):
    st.markdown(f"##### 异常波动提示（{year}年度）")
    if flags.empty:
        st.caption(f"{short}{year}年度没有需要核实的异常波动。")
    else:
        st.caption("与上年相比变化异常大的数字，请核实；填报单位的说明列在旁边。")
        st.dataframe(flags, hide_index=True, column_config=ANOMALY_COLUMNS, height=tiles.table_height(len(flags)))

if unit.type == "city":
    with ui.guarded("所辖县（区）情况"):
        st.markdown(f"##### 所辖县（区）情况（{year}年度）")
        counties = _counties(version, reader, unit.code, year)
        if not reference.registry.counties_of(unit.code):
            st.caption(f"{name}不辖县（区），没有县（区）明细。")
        elif counties.empty:
            st.info(f"{name}{year}年度尚未报送，暂无所辖县（区）明细。", icon=":material/info:")
        else:
            st.caption(f"来自{short}{year}年度报表的县（区）明细，共{len(counties)}个县（区）。")
            st.dataframe(
                counties, hide_index=True, column_config=fitted_columns(list(counties.columns)),
                height=tiles.table_height(len(counties)), placeholder="—",
            )  # fmt: skip

with ui.guarded("报送记录"):
    st.markdown("##### 报送记录")
    submissions, _ = _submissions(version, reader, unit.code, year)
    if submissions.empty:
        st.caption(f"尚未收到{name}的任何报表文件。")
    else:
        st.dataframe(
            submissions,
            hide_index=True,
            column_order=list(SUBMISSION_COLUMNS),
            column_config=SUBMISSION_COLUMNS,
            height=tiles.table_height(len(submissions)),
            placeholder="—",
        )
