"""放映模式 (/present or ?mode=present): an overview screen of the 18 measures, then one screen per chart family
(a family with more tiles than one row holds is split over two screens), each fitting one projector screen.

Advance with the 上一屏/下一屏 buttons, the ← → keys (the buttons' own keyboard shortcuts; Esc leaves), or the
timed 自动翻页. The screen and its toolbar are one fragment: turning a page redraws only the screen, and the
timer reruns only it. The layout (theme_css.PRESENT_CSS) pins the page to the window's height; the chart takes
whatever height the toolbar and tiles leave, so nothing scrolls at 1280×720 or 1920×1080.
"""

import dataclasses
import time
from html import escape

import streamlit as st

from dashboard import figures, filters, tiles, ui
from dashboard.figures import Figure
from dashboard.theme import STATUS_COLOURS, STATUS_ORDER
from queries.board import Board, FamilyScreen, StatusBook, family_screens, measure_board

OVERVIEW_PAGE = "app_pages/overview.py"
SCREEN, ADVANCED_AT = "_present_screen", "_present_advanced_at"
AUTO, INTERVAL = "_w_present_auto", "_w_present_interval"
INTERVALS = (10, 20, 30, 60)  # seconds per screen
DEFAULT_INTERVAL = 20
TILES_PER_SCREEN = 4  # one row of large tiles: a second row would leave the chart no room at 1280×720

# The overview screen: 18 compact tiles on a 6×3 grid and the status counts, sized in rem so the projector's
# root type scales them with the window (theme_css.PRESENT_CSS).
OVERVIEW_CSS = """<style>
.present-counts { display: flex; gap: 1.4rem; align-items: center; font-size: 1.15rem; margin: 0 0 0.4rem 0; }
.present-counts .status-badge { font-size: 1.1rem; }
.present-grid { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 0.6rem; }
.present-cell { border: 1px solid #d0d0d0; border-left: 0.45rem solid var(--tile-colour); border-radius: 0.35rem;
                padding: 0.5rem 0.6rem; display: flex; flex-direction: column; justify-content: center; gap: 0.5rem;
                line-height: 1.3; min-height: 21vh; }
.present-cell .tile-head { font-size: 1rem; }
.present-cell .status-badge { font-size: 1.15rem; }
.present-cell .tile-figure { font-size: 1.45rem; }
</style>"""


@dataclasses.dataclass(frozen=True)
class OverviewScreen:
    """The first screen: every measure's status at a glance."""

    board: Board


Screen = OverviewScreen | FamilyScreen


def projector_screens(book: StatusBook, year: int) -> tuple[Screen, ...]:
    """The overview, then each chart family, split into screens of at most TILES_PER_SCREEN tiles."""
    screens: list[Screen] = [OverviewScreen(measure_board(book, year))]
    for family in family_screens(book, year):
        for start in range(0, len(family.tiles), TILES_PER_SCREEN):
            screens.append(dataclasses.replace(family, tiles=family.tiles[start : start + TILES_PER_SCREEN]))
    return tuple(screens)


def _move(step: int, count: int) -> None:
    st.session_state[SCREEN] = (st.session_state.get(SCREEN, 0) + step) % count
    st.session_state[ADVANCED_AT] = time.monotonic()


def _restart_timer() -> None:
    st.session_state[ADVANCED_AT] = time.monotonic()


def overview_html(board: Board) -> str:
    statuses = [*STATUS_ORDER, *(s for s in board.counts if s not in STATUS_ORDER)]
    counts = "".join(f"<span>{tiles.badge(s)} {board.counts.get(s, 0)}条</span>" for s in statuses)
    cells = "".join(
        f'<div class="present-cell" style="--tile-colour:{STATUS_COLOURS.get(t.status, "#9e9e9e")}">'
        f'<div class="tile-head"><span class="tile-no">第{t.measure.number}条</span>{escape(t.measure.short_name)}</div>'
        f'<div class="tile-row">{tiles.badge(t.status)}<span class="tile-figure">{escape(t.metric_text)}</span></div>'
        "</div>"
        for t in board.tiles
    )
    return f'{OVERVIEW_CSS}<div class="present-counts">{counts}</div><div class="present-grid">{cells}</div>'


def _family_tiles(screen: FamilyScreen) -> None:
    for column, tile in zip(st.columns(len(screen.tiles)), screen.tiles, strict=True):
        with column, st.container(border=True):
            st.html(tiles.tile_html(tile, large=True, summary="full"))


def _chart(figure: Figure, book: StatusBook, year: int) -> None:
    # Up to the selected year: a chart of one year shows the latest in the frame, so an inspection round
    # held the year before (the window is two years) still shows, titled with its own year.
    frame = ui.cached_query(figure.series, years=[y for y in book.years if y <= year])
    fig = figure.builder(figure.with_statuses(book, frame), large=True, catalog=book.catalog)
    fig.update_layout(height=None, autosize=True)  # the container's height: whatever the screen has left
    with st.container(key="present_chart", height="stretch"):
        st.plotly_chart(
            fig, theme=None, height="stretch", config=ui.plotly_config(displaylogo=False, displayModeBar=False)
        )


def _heading(screen: Screen, year: int) -> str:
    if isinstance(screen, OverviewScreen):
        return f"十八条措施落实总览（{year}年度）"
    return f"{screen.name}（第{screen.measures_text}条）"


def _toolbar(screen: Screen, index: int, count: int, year: int, auto: bool, interval: int) -> None:
    """One row: the screen's heading, then 上一屏/下一屏, 自动翻页 with its interval, and 退出放映."""
    heading, back, forward, switch, every, leave = st.columns(
        [5.2, 1.2, 1.2, 1.5, 1.2, 1.5], vertical_alignment="center"
    )
    heading.header(_heading(screen, year), anchor=False)
    heading.caption(f"第{index + 1}屏 / 共{count}屏　键盘 ← → 翻页，Esc 退出")
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


def _screen(screens: tuple[Screen, ...], book: StatusBook, year: int, auto: bool, interval: int) -> None:
    count = len(screens)
    # A timed rerun of this fragment turns the page once the interval has passed since the last turn.
    if auto and time.monotonic() - st.session_state.get(ADVANCED_AT, 0.0) >= interval - 0.5:
        _move(1, count)
    index = st.session_state.get(SCREEN, 0) % count
    screen = screens[index]
    _toolbar(screen, index, count, year, auto, interval)
    if isinstance(screen, OverviewScreen):
        with ui.guarded("十八条总览"):
            st.html(overview_html(screen.board))
        return
    with ui.guarded("措施状态"):
        _family_tiles(screen)
    key_chart = figures.key_chart(screen.code)  # the family's key chart from the registry; 工作机制 has none
    if key_chart is not None:
        # Full width: at projector type a chart of 8–20 units needs the whole width for its labels.
        with ui.guarded(f"{screen.name}图表"):
            _chart(key_chart, book, year)


book = ui.status_book()
selection = filters.current(book.years, book.registry)  # app.py has switched projector mode on for this page
tiles.inject_css()

if selection.year is None:
    st.header("放映模式", anchor=False)
    st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
    if st.button("退出放映", key="present_exit", icon=":material/close_fullscreen:"):
        filters.set_present(False)
        st.switch_page(OVERVIEW_PAGE)
    st.stop()

st.session_state.setdefault(INTERVAL, DEFAULT_INTERVAL)
auto, interval = bool(st.session_state.get(AUTO, False)), int(st.session_state[INTERVAL])
screens = projector_screens(book, selection.year)
st.fragment(_screen, run_every=interval if auto else None)(screens, book, selection.year, auto, interval)
