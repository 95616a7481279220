"""Status tiles and explanations shared by the overview, the measure detail and the projector mode.

The HTML helpers return escaped markup (names and remarks come from submitted returns); the status is always
a coloured badge carrying its word. Sizes are in rem so that projector mode (which enlarges the root type)
enlarges tiles too. ``unit_status_chart`` is a pure chart builder: a DataFrame in, a Figure out.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from dashboard import filters
from dashboard.charts import inert_text
from dashboard.theme import (
    EMPTY_TEXT,
    PERCENT_TICKFORMAT,
    REFERENCE_LINE,
    STATUS_COLOURS,
    STATUS_ORDER,
    STATUS_TEXT_COLOURS,
    apply_theme,
    type_scale,
)
from dashboard.theme_css import status_class
from pipeline.status.compact import StatusMark
from pipeline.status.model import NOT_DUE, Laggard, MeasureStatus
from queries.board import Tile

DETAIL_PAGE = "app_pages/measure_detail.py"
EMPTY_WAREHOUSE = (
    "数据仓库中还没有报表，暂无可显示的落实情况。加载数据的方法：在“数据上传”页上传各单位的年度报表（Excel）；"
    "或由管理员在服务器上运行 `python -m pipeline ingest 报表所在文件夹` 批量导入；"
    "本机演示可运行 `make run`，系统会自动生成并导入演示数据。"
)
# The overview while the version before the newest is shown (dashboard/ui.py overview_book).
CATCHING_UP = "刚上传的数据正在计算，下方暂为上传前的结果；算好后（通常一两秒）本页自动更新。"
TRENDS = {"较上年好转": ("↑", "#2e7d32"), "较上年下滑": ("↓", "#c62828"), "与上年持平": ("→", "#616161")}

CSS = """
<style>
.tile { border-left: 0.45rem solid var(--tile-colour); padding: 0.1rem 0 0.1rem 0.75rem; min-height: 7.6rem;
        display: flex; flex-direction: column; gap: 0.3rem; line-height: 1.4; }
.tile-head { font-size: 1.02rem; font-weight: 700; color: #212121; }
.tile-no { color: #424242; margin-right: 0.35rem; white-space: nowrap; }
.tile-row { display: flex; align-items: baseline; gap: 0.7rem; flex-wrap: wrap; }
.tile-row .tile-metric { margin-right: -0.35rem; } .tile-row .tile-target { color: #616161; }
.tile-figure { font-size: 1.8rem; font-weight: 700; line-height: 1.15; color: #212121; }
.tile-line { font-size: 0.9rem; color: #424242; }
.tile-warn { font-size: 0.9rem; color: #8a4b00; font-weight: 600; }
.tile-summary { font-size: 1rem; color: #212121; }
.tile.folded { min-height: 9.2rem; } .tile-more { margin-top: auto; }
.tile-more > summary { cursor: pointer; width: fit-content; font-size: 0.9rem; color: #424242; padding: 0.1rem 0; }
.tile-more > summary:hover { color: #1565c0; }
.tile-more > summary:focus-visible { outline: 2px solid #1565c0; outline-offset: 2px; border-radius: 0.2rem; }
.tile-more[open] > summary { margin-bottom: 0.25rem; }
.tile-more .tile-summary { font-size: 0.95rem; line-height: 1.5; }
.status-badge { font-size: 0.95rem; white-space: nowrap; }
.tile.large { min-height: 0; gap: 0.4rem; }
.tile.large .tile-head { font-size: 1.1rem; }
.tile.large .status-badge { font-size: 1.3rem; padding: 0.1rem 0.8rem; }
.tile.large .tile-figure { font-size: 2rem; }
.tile.large .tile-summary { font-size: 0.88rem; line-height: 1.35; }
.tile.explain { min-height: 0; } .tile.explain .status-badge { font-size: 1.1rem; }
.history { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.history-year { border: 1px solid #e0e0e0; border-radius: 0.4rem; padding: 0.35rem 0.6rem; text-align: center; }
.history-year b { display: block; font-size: 0.95rem; }
.history-year span.figure { display: block; font-size: 0.85rem; color: #424242; margin-top: 0.2rem; }
.laggards { margin: 0; padding-left: 1.1rem; } .laggards li { margin: 0.25rem 0; }
</style>
"""


def inject_css() -> None:
    st.html(CSS + _count_css())


def _count_css() -> str:
    # The four status counts carry their colour as a left bar; the word is the metric's label.
    return (
        "<style>"
        + "".join(
            f".st-key-count_{status_class(s)} [data-testid='stMetric'] {{ border-left: 0.45rem solid {STATUS_COLOURS[s]}; }}"
            for s in STATUS_ORDER
        )
        + "</style>"
    )


def badge(status: str) -> str:
    return f'<span class="status-badge {status_class(status)}">{escape(status)}</span>'


def trend_text(tile: Tile) -> str:
    """↑ 较上年好转（上年：预警）; "" in the baseline year."""
    if not tile.trend:
        return f"上年：{tile.previous_status}" if tile.previous_status else ""
    arrow, _ = TRENDS[tile.trend]
    return f"{arrow} {tile.trend}（上年：{tile.previous_status}）"


def _trend_html(tile: Tile) -> str:
    text = trend_text(tile)
    if not text:
        return '<div class="tile-line">&nbsp;</div>'
    colour = TRENDS[tile.trend][1] if tile.trend else "#616161"
    return f'<div class="tile-line" style="color:{colour}">{escape(text)}</div>'


def caveat_lines(tile: Tile) -> list[str]:
    """The incomplete-returns line and the note, merged when the note already starts with the former."""
    if tile.incomplete and tile.note.startswith(tile.incomplete):
        return [tile.note]
    return [line for line in (tile.incomplete, tile.note) if line]


def figure_html(tile: Tile) -> str:
    """The key figure never bare: its name before it and the bar it is held to after it
    ("会费收缴率 95.6% ，达标线 95%"); a tile without a figure shows its words ("—", "尚未召开") alone."""
    figure = f'<span class="tile-figure">{escape(tile.metric_text)}</span>'
    if not tile.key_figure:
        return figure
    target = f'<span class="tile-line tile-target">{escape(tile.target)}</span>' if tile.target else ""
    return f'<span class="tile-line tile-metric">{escape(tile.metric_name)}</span>{figure}{target}'


SummaryShown = Literal["", "full", "folded"]


def tile_html(tile: Tile, *, large: bool = False, summary: SummaryShown = "") -> str:
    """A measure's tile: number and short name, status badge, key figure; then its summary in full instead of the
    trend and caveats, or these with the summary folded under 摘要 (opened with a click or the keyboard)."""
    m = tile.measure
    parts = [
        f'<div class="tile-head"><span class="tile-no">第{m.number}条</span>{escape(m.short_name)}</div>',
        f'<div class="tile-row">{badge(tile.status)}{figure_html(tile)}</div>',
    ]
    if summary == "full":
        parts.append(f'<div class="tile-summary">{escape(tile.summary)}</div>')
    else:
        parts.append(_trend_html(tile))
        for line in caveat_lines(tile):
            # An open window's note is information (when it closes), not a warning: no ⚠, no amber.
            calm = tile.status == NOT_DUE and line == tile.note and line != tile.incomplete
            parts.append(
                f'<div class="tile-line">{escape(line)}</div>'
                if calm
                else f'<div class="tile-warn">⚠ {escape(line)}</div>'
            )
    if summary == "folded":
        parts.append(
            f'<details class="tile-more"><summary>摘要</summary><div class="tile-summary">{escape(tile.summary)}</div></details>'
        )
    size = " large" if large else " folded" if summary == "folded" else ""
    return f'<div class="tile{size}" style="--tile-colour:{STATUS_COLOURS[tile.status]}">{"".join(parts)}</div>'


def open_measure(number: int) -> None:
    """Go to a measure's explanation (the detail page reads the shared filter)."""
    filters.set_measure(number)
    st.switch_page(DETAIL_PAGE)


def board_tile(tile: Tile) -> None:
    """A bordered tile on the overview, its summary folded inside it, and a button that opens the detail page. The
    summary is part of the tile's HTML rather than a popover of its own: three elements fewer per tile, 54 on the
    board, which took about a fifth of the overview's run (a popover, its text and the row holding it)."""
    number = tile.measure.number
    with st.container(border=True, key=f"tile_{number}"):
        st.html(tile_html(tile, summary="folded"))
        if st.button("查看解读", key=f"open_{number}", icon=":material/search:"):
            open_measure(number)


def status_counts(counts: dict[str, int]) -> None:
    """达标/预警/未达标/未到期/无数据: how many measures are in each, one metric per status."""
    for column, status in zip(st.columns(len(STATUS_ORDER)), STATUS_ORDER, strict=True):
        with column, st.container(key=f"count_{status_class(status)}"):
            st.metric(status, f"{counts.get(status, 0)}条", border=True)


def history_html(history: Sequence[MeasureStatus | StatusMark]) -> str:
    """The measure's status year by year, each year a badge with its key figure."""
    cells = [
        f'<div class="history-year"><b>{s.year}年</b>{badge(s.status)}'
        f'<span class="figure">{escape(s.metric_text)}</span></div>'
        for s in history
    ]
    return f'<div class="history">{"".join(cells)}</div>'


def explanation_html(status: MeasureStatus) -> str:
    """The headline of an explanation: status badge, metric and figure, and the one-sentence summary."""
    e = status.explanation
    figure = f'<span class="tile-figure">{escape(status.metric_text)}</span>'
    return (
        f'<div class="tile explain" style="--tile-colour:{STATUS_COLOURS[status.status]}">'
        f'<div class="tile-row">{badge(status.status)}<span class="tile-line">{escape(e.metric_name)}</span>{figure}</div>'
        f'<div class="tile-summary">{escape(e.summary)}</div></div>'
    )


def status_styler(df: pd.DataFrame, column: str) -> Styler:
    """The table with its status column painted in the status colour (the word stays in the cell)."""

    def paint(status: str) -> str:
        colour = STATUS_COLOURS.get(status)
        return f"background-color: {colour}; color: {STATUS_TEXT_COLOURS[status]}" if colour else ""

    return df.style.map(paint, subset=[column])


def laggards_html(laggards: Sequence[Laggard]) -> str:
    items = [
        f"<li>{badge(lag.status)} <b>{escape(lag.unit_name)}</b>　{escape(lag.value_text)}</li>" for lag in laggards
    ]
    return f'<ul class="laggards">{"".join(items)}</ul>'


@inert_text
def unit_status_chart(
    df: pd.DataFrame, *, title: str, axis_title: str, percent: bool, large: bool = False
) -> go.Figure:
    """Horizontal bars per unit (df: unit_name, status, metric, metric_text, summary), coloured by status, with
    the figure and status word on each bar; units in the frame's order, top to bottom."""
    scale = type_scale(large)
    fig = go.Figure()
    if df.empty:
        fig.add_annotation(text=EMPTY_TEXT, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
        fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False})
        return apply_theme(fig, large=large)
    names = list(df["unit_name"])
    for status in STATUS_ORDER:
        rows = df[df["status"] == status]
        if rows.empty:
            continue
        fig.add_bar(
            x=rows["metric"].fillna(0.0),
            y=rows["unit_name"],
            orientation="h",
            name=status,
            marker_color=STATUS_COLOURS[status],
            text=[f"{t}　{status}" for t in rows["metric_text"]],
            # A unit without a figure has no bar: its words go beside the axis.
            textposition=["outside" if pd.isna(v) else "auto" for v in rows["metric"]],
            insidetextanchor="end",
            insidetextfont_color=STATUS_TEXT_COLOURS[status],
            outsidetextfont_color=REFERENCE_LINE,
            constraintext="none",
            cliponaxis=False,
            hovertext=list(rows["summary"]),
            hovertemplate="%{hovertext}<extra></extra>",
        )
    top = float(df["metric"].max()) if df["metric"].notna().any() else 0.0
    # Room for a label printed beside a short bar; a rate axis always reaches 100%.
    top = max(top, 1.0) if percent else top
    fig.update_layout(
        title=title,
        barmode="relative",
        bargap=0.25,
        height=scale.margin["t"] + scale.margin["b"] + (48 if large else 34) * len(names) + 40,
        xaxis={
            "title": axis_title,
            "showgrid": True,
            "range": [0, (top or 1.0) * 1.1],
            **({"tickformat": PERCENT_TICKFORMAT} if percent else {}),
        },
        yaxis={"title": "", "categoryorder": "array", "categoryarray": names, "autorange": "reversed"},
    )
    return apply_theme(fig, large=large)


def table_height(rows: int, *, most: int = 25) -> int:
    """Pixels for a st.dataframe showing every row up to `most` (then it scrolls)."""
    return 38 + 35 * min(rows, most)
