"""会议以来变化: pick a frozen meeting version (会议版) and see what has changed since, in the live data: measures and
units whose status moved (and which way), units that caught up or fell behind, key figures that moved, thresholds
changed in the catalog, and the returns received after the freeze. The comparison is exports/changes.py's."""

import streamlit as st

from dashboard import filters, ui
from exports import changes as changes_query
from exports import meetings
from pipeline.warehouse import content_token, warehouse_path
from queries.uploads import markdown_safe

EMPTY_WORD = "无"


@st.cache_resource(max_entries=16, ttl=600, show_spinner="正在与会议版对比……")
def _changes(name: str, created_at: str, live_version: tuple, year: int):
    # Keyed by the meeting's freeze time and the live warehouse's version: a new upload is seen on the next run. The
    # comparison and its tables are made once per key and shared read-only by every session (nothing changes them).
    live = ui.live_status_book()
    _, changes = changes_query.since_meeting(name, ui.live_cursor(), live, year)
    return changes, changes_query.changes_tables(changes, live.catalog)


def _pick_meeting(found: list[meetings.MeetingVersion]) -> meetings.MeetingVersion:
    names = [m.name for m in found]
    shown = filters.chosen_meeting()  # the sidebar's meeting version, when one is shown, else the newest
    labels = {m.name: m.label for m in found}
    name = st.selectbox(
        "与哪一个会议版比较", names, index=names.index(shown) if shown in names else 0, format_func=labels.__getitem__
    )
    return found[names.index(name)]


def _pick_year(meeting: meetings.MeetingVersion, years: list[int]) -> int:
    default = meeting.year if meeting.year in years else years[-1]
    return st.selectbox("报表年度", years, index=years.index(default), format_func=lambda y: f"{y}年度")


def _draw(tables: dict, changes: changes_query.Changes) -> None:
    counts = st.columns(4)
    counts[0].metric("状态变化的措施", f"{len(changes.measures)}条")
    counts[1].metric("状态变化的单位", f"{len({m.unit_code for m in changes.units})}个")
    counts[2].metric("关键数值变化", f"{len(changes.figures)}项")
    counts[3].metric("会议以来收到的报表", f"{len(changes.received)}份")
    if changes.nothing:
        st.success("会议以来，该年度的落实状态、关键数值和判定标准都没有变化，也没有收到新的报表。")
        return
    for title, table in tables.items():
        st.subheader(title, anchor=False)
        if table.empty:
            st.caption(EMPTY_WORD)
        else:
            st.dataframe(table, hide_index=True, width="stretch")


def main() -> None:
    st.header("会议以来变化", anchor=False)
    found = meetings.list_meetings()
    if not found:
        st.info(
            "还没有冻结的会议版。开会前可在“导出”页（或用命令 `python -m pipeline meeting freeze 会议名称 --year 2025`）"
            "冻结当时的数据、状态和判定标准，会后在这里查看此后的变化。",
            icon=":material/info:",
        )
        return
    live = ui.live_status_book()
    if not live.years:
        st.info("实时数据中还没有已接收的报表，无从比较。", icon=":material/info:")
        return
    meeting = _pick_meeting(found)
    year = _pick_year(meeting, live.years)
    live_summary = ui.live_warehouse_summary()
    # The meeting's name was typed by a user: shown literally.
    st.caption(
        markdown_safe(
            f"会议时：{meeting.label}，{meeting.version_text}　→　现在（实时数据）：{live_summary.version_text}"
        )
    )
    live_version = (str(warehouse_path()), content_token(warehouse_path()))
    changes, tables = _changes(meeting.name, meeting.created_at.isoformat(), live_version, year)
    _draw(tables, changes)


with ui.guarded("会议以来变化"):
    main()
