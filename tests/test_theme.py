"""The registered plotly template: it is there under its name, it carries the look the pages had (fonts, colours,
sizes, number format), the builders' figures use it, and apply_theme still sets what code reads back."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from dashboard import charts
from dashboard.theme import (
    FONT_FAMILY,
    LARGE,
    LARGE_TEMPLATE_NAME,
    NORMAL,
    PALETTE,
    TEMPLATE_NAME,
    apply_theme,
    template_name,
)
from pipeline.status.model import AT_RISK, ON_TRACK
from queries.board import STATUS_COLUMN


def _dues(rates: list[float]) -> pd.DataFrame:
    codes = [f"U{i:02d}" for i in range(1, len(rates) + 1)]
    return pd.DataFrame(
        {
            "year": 2024,
            "unit_code": codes,
            "unit_name": [f"省{i}工会" for i in range(1, len(rates) + 1)],
            "due": [100.0] * len(rates),
            "collected": [r * 100 for r in rates],
            "rate": rates,
            STATUS_COLUMN: [ON_TRACK if r >= 0.95 else AT_RISK for r in rates],
        }
    )


def test_both_templates_are_registered_by_name():
    assert TEMPLATE_NAME == "shibatiao" and TEMPLATE_NAME in pio.templates
    assert LARGE_TEMPLATE_NAME in pio.templates
    assert (template_name(), template_name(large=True)) == (TEMPLATE_NAME, LARGE_TEMPLATE_NAME)
    assert pio.templates.default == TEMPLATE_NAME  # every new figure starts from it


def test_screen_template_has_the_fonts_colours_and_sizes_the_pages_had():
    layout = pio.templates[TEMPLATE_NAME].layout
    assert layout.font.family == FONT_FAMILY == "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
    assert (layout.font.size, layout.font.color, layout.title.font.size) == (14, "#212121", 20)
    assert (layout.title.x, layout.title.xanchor, layout.title.y) == (0.01, "left", 0.97)
    assert (layout.paper_bgcolor, layout.plot_bgcolor, layout.separators) == ("white", "white", ".,")
    assert list(layout.colorway) == list(PALETTE) and layout.colorway[0] == "#4e79a7"
    assert layout.margin.to_plotly_json() == {"l": 70, "r": 110, "t": 100, "b": 70}
    assert (layout.legend.orientation, layout.legend.y, layout.legend.yanchor) == ("h", 1.02, "bottom")
    assert layout.hoverlabel.font.family == FONT_FAMILY and layout.hoverlabel.font.size == 14
    assert (layout.xaxis.tickfont.size, layout.xaxis.title.font.size, layout.xaxis.gridcolor) == (13, 14, "#e0e0e0")
    assert (layout.yaxis.tickformat, layout.yaxis.exponentformat, layout.yaxis.linecolor) == (",~f", "none", "#212121")
    # Grid lines across the value axis only; axis and zero lines drawn as when the theme set their colours.
    assert (layout.xaxis.showgrid, layout.yaxis.showgrid) == (False, True)
    assert layout.xaxis.showline and layout.yaxis.showline and layout.yaxis.zeroline
    assert layout.shapedefaults.line.width == 1.5 and layout.annotationdefaults.font.size == 14
    data = pio.templates[TEMPLATE_NAME].data
    assert (data.scatter[0].line.width, data.scatter[0].marker.size) == (2.5, 7)
    assert data.bar[0].textfont.size == 13 and data.heatmap[0].textfont.size == 13
    # What plotly's own default gave the pages before is kept where ours says nothing (bars' hairline outline).
    assert data.bar[0].marker.line.width == 0.5 and layout.hovermode == "closest"


def test_projector_template_is_larger_black_and_thicker():
    layout, data = pio.templates[LARGE_TEMPLATE_NAME].layout, pio.templates[LARGE_TEMPLATE_NAME].data
    assert (layout.font.size, layout.font.color, layout.title.font.size) == (22, "#000000", 28)
    assert layout.font.family == FONT_FAMILY and layout.xaxis.gridcolor == "#9e9e9e"
    assert layout.margin.to_plotly_json() == {"l": 100, "r": 170, "t": 140, "b": 100}
    assert (data.scatter[0].line.width, data.scatter[0].marker.size, data.bar[0].textfont.size) == (5.0, 13, 20)
    assert layout.shapedefaults.line.width == 3.0


def test_the_registered_base_template_is_left_as_plotly_ships_it():
    assert pio.templates["plotly"].layout.font.family is None
    assert pio.templates["plotly"].layout.plot_bgcolor == "#E5ECF6"


@pytest.mark.parametrize("large", [False, True])
def test_a_builders_figure_carries_the_template_of_its_scale(large):
    scale = LARGE if large else NORMAL
    fig = charts.m5_dues_chart(_dues([0.97, 0.9]), large=large)
    template = fig.layout.template.layout
    assert (template.font.size, template.font.color, template.title.font.size) == (
        scale.font,
        scale.text_colour,
        scale.title,
    )
    # Read back by the exports and the empty state: on the figure itself too.
    assert (fig.layout.font.size, fig.layout.title.font.size, fig.layout.margin.t) == (
        scale.font,
        scale.title,
        scale.margin["t"],
    )
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert bars and {bar.textfont.size for bar in bars} == {scale.bar_text}
    assert {shape.line.width for shape in fig.layout.shapes} == {scale.reference_width}


def test_a_screen_figure_turned_projector_gets_the_large_template():
    fig = apply_theme(apply_theme(go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))), large=True)
    assert fig.layout.template.layout.font.size == LARGE.font
    assert fig.data[0].line.width == LARGE.line_width and fig.data[0].marker.size == LARGE.marker_size


def test_subplot_titles_and_every_axis_get_the_theme_sizes_and_format():
    fig = make_subplots(rows=1, cols=2, subplot_titles=["甲", "乙"])
    fig.add_trace(go.Scatter(x=[1], y=[1000]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[1], y=[2000]), row=1, col=2)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    apply_theme(fig, legend="right")
    assert [a.font.size for a in fig.layout.annotations] == [NORMAL.font, NORMAL.font]  # not make_subplots' 16
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis2.tickformat) == (",~f", ".0%")
    assert fig.layout.xaxis2.exponentformat == "none"
    assert (fig.layout.legend.orientation, fig.layout.legend.x, fig.layout.legend.xanchor) == ("v", 1.02, "left")


def test_the_template_travels_with_the_figure_to_the_browser():
    spec = charts.m5_dues_chart(_dues([0.97])).to_plotly_json()
    template = spec["layout"]["template"]["layout"]
    assert template["font"] == {"family": FONT_FAMILY, "size": 14, "color": "#212121"}
    assert template["colorway"][:2] == ["#4e79a7", "#f28e2b"]
