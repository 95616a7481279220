"""单位画像 (?unit=C07): one city federation or provincial industry union across all measures and years — its status
on every measure judged per unit in the selected year, its status history, the anomaly flags on its figures with its
说明, (for a city) what its return says about each county, and every file it has sent."""

import streamlit as st

from dashboard import filters, tiles, ui
from dashboard.theme import STATUS_COLOURS, STATUS_TEXT_COLOURS
from queries import profile
from queries.board import unit_profile
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


def paint(status: str) -> str:
    """A history cell in its status colour; the word stays in the cell, so colour is never the only cue."""
    colour = STATUS_COLOURS.get(status)
    return f"background-color: {colour}; color: {STATUS_TEXT_COLOURS[status]}" if colour else ""


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
with ui.guarded("报送情况"):
    submissions = ui.cached_query(profile.unit_submissions, unit.code)
    for message in profile.missing_return_messages(submissions, reference.catalog, unit, year):
        st.warning(markdown_safe(message), icon=":material/assignment_late:")

unit_view = ui.book_query(unit_profile, unit.code, year)
with ui.guarded("落实情况"):
    unit_tiles = ui.book_query(profile.unit_tiles, unit_view)
    st.markdown(f"##### {year}年度落实情况（按单位评价的{len(unit_tiles)}条措施）")
    if not selection.present:
        st.caption(
            "其余措施按全省整体评价，见“总览”。" if reader.everything else "其余措施按全省整体评价，不按单位评价。"
        )
    # Tiles of a fixed width in a wrapping row: four across a wide screen, two on a laptop's.
    with st.container(horizontal=True, gap="small"):
        for tile in unit_tiles:
            with st.container(border=True, width=TILE_WIDTH[selection.present], height="stretch"):
                st.html(tiles.tile_html(tile, large=selection.present, summary=True))

with ui.guarded("历年状态"):
    st.markdown("##### 历年状态")
    history = ui.book_query(profile.unit_history_table, unit_view)
    years = [c for c in history.columns if c != "措施"]
    st.dataframe(
        history.style.map(paint, subset=years),
        hide_index=True,
        column_config={"措施": st.column_config.TextColumn("措施", width="large")},
        height=tiles.table_height(len(history)),
    )

with ui.guarded("异常波动提示"):
    st.markdown(f"##### 异常波动提示（{year}年度）")
    flags = ui.book_query(profile.unit_anomaly_table, unit_view)
    if flags.empty:
        st.caption(f"{short}{year}年度没有需要核实的异常波动。")
    else:
        st.caption("与上年相比变化异常大的数字，请核实；填报单位的说明列在旁边。")
        st.dataframe(flags, hide_index=True, column_config=ANOMALY_COLUMNS, height=tiles.table_height(len(flags)))

if unit.type == "city":
    with ui.guarded("所辖县（区）情况"):
        st.markdown(f"##### 所辖县（区）情况（{year}年度）")
        counties = ui.cached_query(profile.county_breakdown, unit.code, year)
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
    submissions = ui.cached_query(profile.unit_submissions, unit.code)
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
