"""放映模式 (?mode=present): one measure family per screen, large tiles and one key chart, for a meeting room.

Advance with the 上一屏/下一屏 buttons, the ← → keys (the buttons' own keyboard shortcuts; Esc leaves), or the
timed 自动翻页. The screen and its toolbar are one fragment: turning a page redraws only the screen, and the
timer reruns only it.
"""

import time

import streamlit as st

from dashboard import figures, filters, theme_css, tiles, ui
from dashboard.figures import Figure
from queries.board import FamilyScreen, StatusBook, family_screens

OVERVIEW_PAGE = "app_pages/overview.py"
SCREEN, ADVANCED_AT = "_present_screen", "_present_advanced_at"
AUTO, INTERVAL = "_w_present_auto", "_w_present_interval"
INTERVALS = (10, 20, 30, 60)  # seconds per screen
DEFAULT_INTERVAL = 20
CHART_HEIGHT = 380
TILES_PER_ROW = 4
# A projector needs the width more than the default side margins (which grow with the enlarged type).
# On a 720-pixel-high projector the enlarged type leaves no room for a chart: a little smaller there, still
# about 3 cm high on a 3 m screen.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-left: 1.2rem; padding-right: 1.2rem; padding-top: 0.8rem; }
[data-testid="stMainBlockContainer"] h2 { padding: 0.1rem 0; }
@media (max-height: 820px) {
  html, body, [data-testid="stAppViewContainer"] { font-size: 18px !important; }
}
</style>"""


def _move(step: int, count: int) -> None:
    st.session_state[SCREEN] = (st.session_state.get(SCREEN, 0) + step) % count
    st.session_state[ADVANCED_AT] = time.monotonic()


def _restart_timer() -> None:
    st.session_state[ADVANCED_AT] = time.monotonic()


def _tiles(screen: FamilyScreen, per_row: int) -> None:
    for start in range(0, len(screen.tiles), per_row):
        for column, tile in zip(st.columns(per_row), screen.tiles[start : start + per_row], strict=False):
            with column, st.container(border=True):
                st.html(tiles.tile_html(tile, large=True, summary=True))


def _chart(figure: Figure, book: StatusBook, year: int) -> None:
    # Up to the selected year: a chart of one year shows the latest in the frame, so an inspection round
    # held the year before (the window is two years) still shows, titled with its own year.
    frame = ui.cached_query(figure.series, years=[y for y in book.years if y <= year])
    fig = figure.builder(figure.with_statuses(book, frame), large=True)
    fig.update_layout(height=CHART_HEIGHT)
    st.plotly_chart(fig, theme=None, config=ui.plotly_config(displaylogo=False, displayModeBar=False))


def _toolbar(screen: FamilyScreen, index: int, count: int, year: int, auto: bool, interval: int) -> None:
    """One row: the family's heading, then 上一屏/下一屏, 自动翻页 with its interval, and 退出放映."""
    heading, back, forward, switch, every, leave = st.columns(
        [5.2, 1.2, 1.2, 1.5, 1.2, 1.5], vertical_alignment="center"
    )
    heading.header(f"{screen.name}（第{screen.measures_text}条）", anchor=False)
    heading.caption(f"{year}年度　第{index + 1}屏 / 共{count}屏　键盘 ← → 翻页，Esc 退出")
    back.button("上一屏", key="present_prev", shortcut="Left", on_click=_move, args=(-1, count), width="stretch")
    forward.button("下一屏", key="present_next", shortcut="Right", on_click=_move, args=(1, count), width="stretch")
    wanted = switch.toggle("自动翻页", key=AUTO, on_change=_restart_timer)
    chosen = every.selectbox(
        "翻页间隔", INTERVALS, key=INTERVAL, format_func=lambda s: f"每{s}秒", label_visibility="collapsed"
    )
    if leave.button("退出放映", key="present_exit", shortcut="Esc", width="stretch"):
        filters.set_present(False)
        st.switch_page(OVERVIEW_PAGE)
    if (wanted, chosen) != (auto, interval):
        # The timer is set when the fragment is declared: declare it again with the new setting.
        st.rerun(scope="app")


def _screen(screens: tuple[FamilyScreen, ...], book: StatusBook, year: int, auto: bool, interval: int) -> None:
    count = len(screens)
    # A timed rerun of this fragment turns the page once the interval has passed since the last turn.
    if auto and time.monotonic() - st.session_state.get(ADVANCED_AT, 0.0) >= interval - 0.5:
        _move(1, count)
    index = st.session_state.get(SCREEN, 0) % count
    screen = screens[index]
    _toolbar(screen, index, count, year, auto, interval)
    with ui.guarded("措施状态"):
        _tiles(screen, min(len(screen.tiles), TILES_PER_ROW))
    key_chart = figures.key_chart(screen.code)  # the family's key chart from the registry; 机制建设 has none
    if key_chart is not None:
        # Full width: at projector type a chart of 8–20 units needs the whole width for its labels.
        with ui.guarded(f"{screen.name}图表"):
            _chart(key_chart, book, year)


book = ui.status_book()
selection = filters.current(book.years, book.registry)
if not selection.present:
    # Opened from the menu or a link without ?mode=present: projector mode on for the app from the next run,
    # and for this run the projector styling app.py would have drawn (a rerun here, on a session's first
    # run, leaves the browser showing only part of the page).
    filters.set_present(True)
    selection = filters.current(book.years, book.registry)
    theme_css.inject(present=True)
tiles.inject_css()
st.html(PAGE_CSS)

if selection.year is None:
    st.header("放映模式", anchor=False)
    st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
    if st.button("退出放映", key="present_exit", icon=":material/close_fullscreen:"):
        filters.set_present(False)
        st.switch_page(OVERVIEW_PAGE)
    st.stop()

st.session_state.setdefault(INTERVAL, DEFAULT_INTERVAL)
auto, interval = bool(st.session_state.get(AUTO, False)), int(st.session_state[INTERVAL])
screens = family_screens(book, selection.year)
st.fragment(_screen, run_every=interval if auto else None)(screens, book, selection.year, auto, interval)
