"""总览: the eighteen measures as a board by the notice's six chapters, each with its status for the selected year."""

import streamlit as st

from dashboard import filters, tiles, ui
from queries.board import measure_board, measure_labels

PRESENT_PAGE = "app_pages/present.py"
PRESENT_TOGGLE, PICKER = "_w_overview_present", "_w_overview_pick"
GO_PRESENT, GO_MEASURE = "_overview_go_present", "_overview_go_measure"
TILES_PER_ROW = 3


def _start_present() -> None:
    # The toggle is reset at once, so that it is off again when the presenter comes back.
    if st.session_state[PRESENT_TOGGLE]:
        st.session_state[PRESENT_TOGGLE] = False
        filters.set_present(True)
        st.session_state[GO_PRESENT] = True


def _pick_measure() -> None:
    # Like the toggle, the picker is emptied at once: coming back to the overview must not jump again.
    st.session_state[GO_MEASURE] = st.session_state[PICKER]
    st.session_state[PICKER] = None


def _refresh_when_judged() -> None:
    # Runs every second while the previous version is shown; the whole page runs again once the new board is judged.
    if ui.newest_overview_ready():
        st.rerun(scope="app")


book, catching_up = ui.overview_book()
selection = filters.current(book.years, book.registry)
tiles.inject_css()
if catching_up:
    st.info(tiles.CATCHING_UP, icon=":material/sync:")
    st.fragment(_refresh_when_judged, run_every=1.0)()

if selection.year is None:
    st.subheader("十八条措施落实总览")
    st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
    st.stop()

st.subheader(f"十八条措施落实总览（{selection.year}年度）")
picker, present, _ = st.columns([3, 1.2, 2.5], vertical_alignment="bottom")
labels = measure_labels(book.catalog)
picker.selectbox(
    "查看措施解读",
    list(labels),
    index=None,
    format_func=labels.__getitem__,
    placeholder="选择一条措施查看解读…",
    key=PICKER,
    on_change=_pick_measure,
)
present.toggle("放映模式", key=PRESENT_TOGGLE, on_change=_start_present, help="全屏大字放映，逐屏展示各类措施")
if st.session_state.pop(GO_PRESENT, False):
    st.switch_page(PRESENT_PAGE)
if (chosen := st.session_state.pop(GO_MEASURE, None)) is not None:
    tiles.open_measure(chosen)

with ui.guarded("状态统计"):
    board = measure_board(book, selection.year)
    tiles.status_counts(board.counts)

with ui.guarded("措施看板"):
    for chapter, chapter_tiles in board.chapters:
        st.markdown(f"#### {chapter.number}、{chapter.heading}")
        for start in range(0, len(chapter_tiles), TILES_PER_ROW):
            for column, tile in zip(
                st.columns(TILES_PER_ROW), chapter_tiles[start : start + TILES_PER_ROW], strict=False
            ):
                with column:
                    tiles.board_tile(tile)
