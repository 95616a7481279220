"""The one look every chart shares: Chinese font stack, status colours, palette, type sizes, number format.

The look is a registered plotly template, ``plotly.io.templates["shibatiao"]`` (and ``"shibatiao_large"``, the
projector variant: bigger type, thicker lines, black text), built once at import on top of plotly's default template,
which the pages drew with before. Builders in dashboard/charts.py draw their traces and then call ``apply_theme``,
which attaches the template and sets on the figure only what code reads back or what must override a builder's or
make_subplots' own values (font, title size, margins, legend side, axis number format, trace, shape and annotation
sizes), by direct assignment: ``update_layout`` on every figure cost ~40 ms a chart, most of a chart page's run.
Nothing else sets fonts, margins or legend placement, so screen, projector and exported PNGs look alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio

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


TEMPLATE_NAME = "shibatiao"
LARGE_TEMPLATE_NAME = "shibatiao_large"
BASE_TEMPLATE = "plotly"  # plotly's default: what the pages drew on before the theme became a template
TRACE_TYPES = ("bar", "scatter", "heatmap")  # the trace types the builders draw
_AXIS_KEY = re.compile(r"^[xy]axis\d*$")


def _legend(position: str) -> dict:
    if position == "right":
        return {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}
    # Above the plot, under the title: never collides with rotated category labels below.
    return {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}


def _font(scale: TypeScale) -> dict:
    return {"family": FONT_FAMILY, "size": scale.font, "color": scale.text_colour}


def _axis(scale: TypeScale) -> dict:
    return {
        "tickfont": {"size": scale.tick},
        "title": {"font": {"size": scale.font}},
        "gridcolor": scale.grid_colour,
        "linecolor": scale.text_colour,
        "zerolinecolor": scale.grid_colour,
        "exponentformat": "none",
        "separatethousands": True,
        "automargin": True,
        # plotly.js draws an axis line and zero line by default only where a colour is set on the figure itself
        # (a template's colour does not count): said outright, as the figures had them when the theme set colours.
        "showline": True,
        "zeroline": True,
        # Numeric axes a builder left unformatted get separators and no SI suffix.
        "tickformat": NUMBER_TICKFORMAT,
    }


def build_template(scale: TypeScale) -> go.layout.Template:
    """The template of one type scale: plotly's default template with the federation's look on top.

    Of the base's trace defaults only those of the trace types the builders draw are kept (bar, scatter, heat map):
    a template is copied whenever it is attached to a figure, and the other forty types made that copy 2–3× slower."""
    base = pio.templates[BASE_TEMPLATE]
    template = go.layout.Template(layout=base.layout, data={kind: base.data[kind] for kind in TRACE_TYPES})
    template.layout.update(
        font=_font(scale),
        title={"font": {"size": scale.title}, "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=SEPARATORS,
        margin=scale.margin,
        legend={**_legend("top"), "font": {"size": scale.font}, "title": {"text": ""}},
        hoverlabel={"font": {"family": FONT_FAMILY, "size": scale.font}},
        colorway=list(PALETTE),
        # Vertical grid lines only where a builder asks (horizontal bars): elsewhere they cut through bars.
        xaxis={**_axis(scale), "showgrid": False},
        yaxis={**_axis(scale), "showgrid": True},
        shapedefaults={"line": {"width": scale.reference_width}},
        annotationdefaults={"font": {"size": scale.font}},
    )
    data = template.data
    data.scatter = [t.update(line_width=scale.line_width, marker_size=scale.marker_size) for t in data.scatter]
    data.bar = [t.update(textfont_size=scale.bar_text) for t in data.bar]
    data.heatmap = [t.update(textfont_size=scale.bar_text) for t in data.heatmap]
    return template


pio.templates[TEMPLATE_NAME] = build_template(NORMAL)
pio.templates[LARGE_TEMPLATE_NAME] = build_template(LARGE)
# Every figure made from here on starts with the screen template: plotly attaches the default template at
# construction without re-validating it, where attaching one afterwards costs ~10 ms a figure.
pio.templates.default = TEMPLATE_NAME
_TEMPLATES = {False: pio.templates[TEMPLATE_NAME], True: pio.templates[LARGE_TEMPLATE_NAME]}


def _has_template(fig: go.Figure, scale: TypeScale) -> bool:
    """Whether the figure already carries the template of this type scale (told apart by its type size and face)."""
    font = fig.layout.template.layout.font
    return font.size == scale.font and font.family == FONT_FAMILY and font.color == scale.text_colour


def template_name(large: bool = False) -> str:
    return LARGE_TEMPLATE_NAME if large else TEMPLATE_NAME


def apply_theme(fig: go.Figure, *, large: bool = False, legend: str = "top") -> go.Figure:
    """Style a figure in place (and return it); ``legend`` is "top" (few items) or "right" (many lines).

    The template does the styling; the figure also carries the values code reads back (exports/images.py takes the
    margins, the empty state the title size) and those that must win over what a builder or make_subplots set
    (every annotation's and shape's size, as ``update_annotations``/``update_shapes`` did before)."""
    scale = type_scale(large)
    layout = fig.layout
    if not _has_template(fig, scale):
        layout.template = _TEMPLATES[large]
    layout.font = _font(scale)
    layout.title.font.size = scale.title
    layout.separators = SEPARATORS
    layout.margin = scale.margin
    if legend != "top":
        layout.legend.update(_legend(legend))
    for key in [k for k in layout if _AXIS_KEY.match(k)]:
        axis = layout[key]
        if axis.tickformat is None:
            axis.tickformat = NUMBER_TICKFORMAT
        axis.exponentformat = "none"
    for trace in fig.data:
        if trace.type == "scatter":
            trace.line.width = scale.line_width
            trace.marker.size = scale.marker_size
        elif trace.type in ("bar", "heatmap"):
            trace.textfont.size = scale.bar_text
    for shape in layout.shapes:
        shape.line.width = scale.reference_width
    for annotation in layout.annotations:
        annotation.font.size = scale.font
    return fig
