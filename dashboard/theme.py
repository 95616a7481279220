"""The one look every chart shares: Chinese font stack, status colours, palette, type sizes, number format.

Builders in dashboard/charts.py draw their traces and then call ``apply_theme``; nothing else sets fonts,
margins or legend placement, so screen, projector and exported PNGs look alike. ``large=True`` is the
projector variant: bigger type, thicker lines, black text.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from pipeline.status.model import AT_RISK, NO_DATA, NOT_DUE, OFF_TRACK, ON_TRACK

# The Simplified Chinese face is named first: without it, Noto CJK falls back to its Japanese glyph shapes.
# Microsoft YaHei and PingFang SC are what the federation's Windows PCs and Macs have.
FONT_FAMILY = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"

STATUS_COLOURS: dict[str, str] = {
    ON_TRACK: "#2e7d32",
    AT_RISK: "#f9a825",
    OFF_TRACK: "#c62828",
    NO_DATA: "#9e9e9e",
    # 未到期: a calm blue, neither a verdict colour nor 无数据's grey ("nothing due yet", not "nothing known").
    # Last in the dict so the CSS classes (status-0 …) of the other statuses keep their numbers.
    NOT_DUE: "#3f6fb0",
}
STATUS_ORDER = (ON_TRACK, AT_RISK, OFF_TRACK, NOT_DUE, NO_DATA)
# Text printed on a bar of that colour: white on green, red and blue, black on amber and grey (contrast ≥ 4.5:1).
STATUS_TEXT_COLOURS: dict[str, str] = {
    ON_TRACK: "#ffffff",
    AT_RISK: "#000000",
    OFF_TRACK: "#ffffff",
    NO_DATA: "#000000",
    NOT_DUE: "#ffffff",  # 5.1:1 on #3f6fb0
}

# Tableau 10 plus two darker hues: distinct enough for the 12 cities; the order is stable across charts.
PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1b3a5c",
    "#8c6d31",
)
NEUTRAL_BAR = "#4e79a7"  # a bar with no status to show
PREVIOUS_BAR = "#bdbdbd"  # last year's figure beside this year's
REFERENCE_LINE = "#424242"  # dashed threshold lines

# Decimal point ".", thousands ","; axes never use SI suffixes (1.2k), which Chinese readers do not use.
SEPARATORS = ".,"
NUMBER_TICKFORMAT = ",~f"
PERCENT_TICKFORMAT = ".0%"
EMPTY_TEXT = "暂无数据"


@dataclass(frozen=True)
class TypeScale:
    font: int  # body text, legend, hover
    title: int
    tick: int
    bar_text: int
    line_width: float
    marker_size: int
    reference_width: float
    margin: dict[str, int]
    text_colour: str
    grid_colour: str


NORMAL = TypeScale(
    font=14,
    title=20,
    tick=13,
    bar_text=13,
    line_width=2.5,
    marker_size=7,
    reference_width=1.5,
    margin={"l": 70, "r": 110, "t": 100, "b": 70},
    text_colour="#212121",
    grid_colour="#e0e0e0",
)
LARGE = TypeScale(
    font=22,
    title=28,
    tick=22,
    bar_text=20,
    line_width=5.0,
    marker_size=13,
    reference_width=3.0,
    margin={"l": 100, "r": 170, "t": 140, "b": 100},
    text_colour="#000000",
    grid_colour="#9e9e9e",
)


def type_scale(large: bool = False) -> TypeScale:
    return LARGE if large else NORMAL


def _legend(position: str) -> dict:
    if position == "right":
        return {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}
    # Above the plot, under the title: never collides with rotated category labels below.
    return {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}


def _style_axes(fig: go.Figure, scale: TypeScale) -> None:
    axis = {
        "tickfont": {"size": scale.tick},
        "title_font": {"size": scale.font},
        "gridcolor": scale.grid_colour,
        "linecolor": scale.text_colour,
        "zerolinecolor": scale.grid_colour,
        "exponentformat": "none",
        "separatethousands": True,
        "automargin": True,
    }
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    # Vertical grid lines only where a builder asks (horizontal bars): elsewhere they cut through bars.
    fig.for_each_xaxis(lambda a: a.update(showgrid=False) if a.showgrid is None else None)
    # Numeric axes a builder left unformatted get separators and no SI suffix.
    fig.for_each_xaxis(lambda a: a.update(tickformat=NUMBER_TICKFORMAT) if a.tickformat is None else None)
    fig.for_each_yaxis(lambda a: a.update(tickformat=NUMBER_TICKFORMAT) if a.tickformat is None else None)


def apply_theme(fig: go.Figure, *, large: bool = False, legend: str = "top") -> go.Figure:
    """Style a figure in place (and return it); ``legend`` is "top" (few items) or "right" (many lines)."""
    scale = type_scale(large)
    fig.update_layout(
        font={"family": FONT_FAMILY, "size": scale.font, "color": scale.text_colour},
        title={"font": {"size": scale.title}, "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=SEPARATORS,
        margin=scale.margin,
        legend={**_legend(position=legend), "font": {"size": scale.font}, "title": {"text": ""}},
        hoverlabel={"font": {"family": FONT_FAMILY, "size": scale.font}},
        colorway=list(PALETTE),
    )
    _style_axes(fig, scale)
    fig.update_traces(line_width=scale.line_width, marker_size=scale.marker_size, selector={"type": "scatter"})
    fig.update_traces(textfont_size=scale.bar_text, selector={"type": "bar"})
    fig.update_traces(textfont_size=scale.bar_text, selector={"type": "heatmap"})
    fig.update_shapes(line_width=scale.reference_width)
    fig.update_annotations(font_size=scale.font)
    return fig
