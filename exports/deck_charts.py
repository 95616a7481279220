"""The deck's native PowerPoint charts: a registry figure's series frame turned into python-pptx chart data.

Staff restyle these charts and the data travels with the deck, so every value in a chart is the series query's
own figure (rates stay 0–1 and are shown through a % number format). Titles and axis titles come from the figure's
plotly builder, so the deck says exactly what the screen says. Bars are coloured by the status engine's per-unit
results (the frame's status column, queries.board.with_statuses; never a second grading) and carry the status word, so colour is never the only cue; a unit the
engine judged but the series lacks keeps its place, marked 未报送 (未督查 for inspections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from lxml import etree
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from dashboard.figures import BAR, CLUSTERED_BAR, LINE, Figure
from dashboard.theme import NEUTRAL_BAR, PALETTE, PREVIOUS_BAR, STATUS_COLOURS, STATUS_TEXT_COLOURS
from exports.pptx_text import MUTED_COLOUR, TEXT_COLOUR, Style, east_asian_everywhere, write_lines
from pipeline.status import format as fmt
from queries.board import MISSING_COLUMN, STATUS_COLUMN, StatusBook, with_judged_units, with_statuses

PERCENT, RATIO, AMOUNT = "0.0%", "0.00", "#,##0.0"
CHART_TEXT, TITLE_TEXT, LABEL_TEXT, CROWDED_LABEL_TEXT = 10, 11, 9, 7  # points
CATEGORY_ROOM = 1.6  # inches of a horizontal bar chart taken by unit names, the axis title and margins
CROWDED = 12  # more categories than this: smaller labels


@dataclass(frozen=True)
class BarSpec:
    """How a per-unit (or per-year) bar figure reads its frame."""

    value: str  # the frame column the bars show
    number_format: str
    by_year: bool = False  # one bar per year (第10条) rather than per unit


BARS = {
    "m3_coverage_by_city": BarSpec("rate", PERCENT),
    "m5_dues_by_union": BarSpec("rate", PERCENT),
    "m9_rectification_by_unit": BarSpec("rate", PERCENT),
    "m10_random_inspections_by_year": BarSpec("rate", PERCENT, by_year=True),
    "m16_training_by_union": BarSpec("rate", PERCENT),
    "m17_promotion_parity_by_union": BarSpec("parity_index", RATIO),
}
# Line figures: the value per unit and year.
LINES = {"m7_membership_by_union": ("coverage_rate", PERCENT), "m6_budget_by_city": ("total", AMOUNT)}


@dataclass(frozen=True)
class NativeChart:
    """One figure as a native chart: categories, named series of values (None = no figure), and the look."""

    key: str
    kind: str  # BAR, CLUSTERED_BAR or LINE (dashboard.figures)
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    number_format: str
    value_title: str
    category_title: str
    horizontal: bool = False
    statuses: tuple[str, ...] = ()  # BAR: the status engine's status of each category
    labelled: tuple[int, ...] = ()  # the series whose points carry a value label


def _value(value: object) -> float | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _titles(figure: Figure, frame: pd.DataFrame) -> tuple[str, str, str]:
    """Title, value-axis title and category-axis title, as the figure's builder writes them."""
    plotly_figure = figure.builder(frame)
    horizontal = bool(plotly_figure.data) and plotly_figure.data[0].orientation == "h"
    value_axis, category_axis = (
        (plotly_figure.layout.xaxis, plotly_figure.layout.yaxis)
        if horizontal
        else (plotly_figure.layout.yaxis, plotly_figure.layout.xaxis)
    )
    value_title = value_axis.title.text or ""
    if not value_title and not horizontal:  # small multiples (第6条): the value title sits on one panel's axis
        value_title = next((axis.title.text for axis in _y_axes(plotly_figure) if axis.title.text), "")
    return plotly_figure.layout.title.text or figure.title, value_title, category_axis.title.text or ""


def _y_axes(plotly_figure) -> list:
    layout = plotly_figure.layout
    return [layout[name] for name in sorted(layout.to_plotly_json()) if name.startswith("yaxis")]


def _with_judged(frame: pd.DataFrame, book: StatusBook, measure: int, year: int) -> pd.DataFrame:
    """The year's rows, with every unit the engine judged: the figure's frame has them already
    (Figure.with_statuses); a bare series gets them here, in the same way."""
    rows = frame[frame["year"] == year]
    if MISSING_COLUMN in rows.columns:
        return rows
    return with_statuses(book, measure, with_judged_units(book, measure, rows))


def _category_names(rows: pd.DataFrame) -> list[str]:
    """商洛市, or 商洛市（未报送） / 韩城市（未督查） for a judged unit without figures, as the screen's chart says."""
    return [
        f"{name}（{word}）" if isinstance(word, str) and word else str(name)
        for name, word in zip(rows["unit_name"], rows[MISSING_COLUMN], strict=True)
    ]


def _bar_chart(figure: Figure, frame: pd.DataFrame, book: StatusBook, year: int) -> NativeChart:
    spec = BARS[figure.key]
    title, value_title, category_title = _titles(figure, frame)
    measure = figure.measures[0]
    if spec.by_year:
        rows = frame.sort_values("year")
        names = [f"{y}年（{n}次）" for y, n in zip(rows["year"], rows["inspections"], strict=True)]
        values = [_value(v) for v in rows[spec.value]]
        statuses = list(rows[STATUS_COLUMN])
        return NativeChart(
            figure.key, BAR, title, tuple(names), ((figure.title, tuple(values)),), spec.number_format,
            value_title, category_title, horizontal=True, statuses=tuple(statuses), labelled=(0,),
        )  # fmt: skip
    rows = _with_judged(frame, book, measure, year).sort_values([spec.value, "unit_code"], ascending=[False, True])
    # Units the engine judged that sent no figure keep their place at the end, named with the reason.
    names = _category_names(rows)
    values = [_value(v) for v in rows[spec.value]]
    statuses = list(rows[STATUS_COLUMN])
    return NativeChart(
        figure.key, BAR, title, tuple(names), ((figure.title, tuple(values)),), spec.number_format,
        value_title, category_title, horizontal=True, statuses=tuple(statuses), labelled=(0,),
    )  # fmt: skip


def _clustered_chart(figure: Figure, frame: pd.DataFrame, book: StatusBook, year: int) -> NativeChart:
    title, value_title, category_title = _titles(figure, frame)
    if figure.key == "m8_county_union_share_by_city":
        now = _with_judged(frame, book, figure.measures[0], year)
        now = now.sort_values(["share", "unit_code"], ascending=[False, True])
        before = frame[frame["year"] == year - 1].set_index("unit_code")["share"]
        codes, names = list(now["unit_code"]), _category_names(now)
        series = (
            (f"{year - 1}年", tuple(_value(before.get(code)) for code in codes)),
            (f"{year}年", tuple(_value(v) for v in now["share"])),
        )
        return NativeChart(
            figure.key, CLUSTERED_BAR, title, tuple(names), series, PERCENT, value_title,
            category_title, horizontal=True, labelled=(1,),
        )  # fmt: skip
    # m4_special_funds_by_year: requested, approved and disbursed (万元) per year, named as the builder names them.
    rows = frame.sort_values("year")
    plotly_figure = figure.builder(frame)
    columns = ("requested", "approved", "disbursed")
    series = tuple(
        (trace.name, tuple(_value(v) for v in rows[column]))
        for trace, column in zip(plotly_figure.data, columns, strict=True)
    )
    return NativeChart(
        figure.key, CLUSTERED_BAR, title, tuple(f"{y}年" for y in rows["year"]), series, AMOUNT, value_title,
        "年度",
    )  # fmt: skip


def _line_chart(figure: Figure, frame: pd.DataFrame) -> NativeChart:
    value, number_format = LINES[figure.key]
    title, value_title, category_title = _titles(figure, frame)
    years = sorted(int(y) for y in frame["year"].unique())
    series = []
    for _, rows in frame.sort_values(["unit_code", "year"]).groupby("unit_code", sort=True):
        by_year = dict(zip(rows["year"].astype(int), rows[value], strict=True))
        words = rows[MISSING_COLUMN] if MISSING_COLUMN in rows.columns else pd.Series("", index=rows.index)
        gaps = [f"{y}年{w}" for y, w in zip(rows["year"], words, strict=True) if isinstance(w, str) and w]
        # A judged unit's missing years are named as the screen's legend names them.
        name = str(rows["unit_name"].iloc[0]) + (f"（{'、'.join(gaps)}）" if gaps else "")
        series.append((name, tuple(_value(by_year.get(y)) for y in years)))
    return NativeChart(
        figure.key, LINE, title, tuple(f"{y}年" for y in years), tuple(series), number_format, value_title, "年度"
    )


def native_chart(figure: Figure, frame: pd.DataFrame, book: StatusBook, year: int) -> NativeChart:
    if figure.native == BAR:
        return _bar_chart(figure, frame, book, year)
    if figure.native == CLUSTERED_BAR:
        return _clustered_chart(figure, frame, book, year)
    if figure.native == LINE:
        return _line_chart(figure, frame)
    raise ValueError(f"{figure.key} has no native chart kind")


# --- drawing ---------------------------------------------------------------------------------------------------


def _label_text(value: float | None, status: str, number_format: str) -> str:
    if value is None:
        return status
    shown = fmt.ratio_text(value) if number_format == RATIO else f"{value * 100:.1f}%"
    return f"{shown} {status}"


def _axis_title(axis, text: str) -> None:
    if text:
        axis.has_title = True
        write_lines(axis.axis_title.text_frame, [text], Style(CHART_TEXT, colour=MUTED_COLOUR, align=PP_ALIGN.CENTER))


def _text_inches(text: str, size: float) -> float:
    """About how wide a label is: a Chinese character is one em, a digit or sign about half of one."""
    ems = sum(1.0 if ord(character) > 0x2E80 else 0.55 for character in text)
    return ems * size / 72 + 0.1


def _style_bars(chart, native: NativeChart, axis_top: float, plot_width: float) -> None:
    plot = chart.plots[0]
    plot.gap_width = 60
    series = plot.series[0]
    values = native.series[0][1]
    count = len(values)
    size = CROWDED_LABEL_TEXT if count > CROWDED else LABEL_TEXT
    for index, (value, status) in enumerate(zip(values, native.statuses, strict=True)):
        point = series.points[count - 1 - index if native.horizontal else index]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(STATUS_COLOURS[status].lstrip("#"))
        if value is None:
            continue
        label = point.data_label
        text = _label_text(value, status, native.number_format)
        # Inside the end of a bar in the status's text colour; beside a bar too short to hold it.
        inside = value / axis_top * plot_width >= _text_inches(text, size)
        label.position = XL_LABEL_POSITION.INSIDE_END if inside else XL_LABEL_POSITION.OUTSIDE_END
        colour = STATUS_TEXT_COLOURS[status].lstrip("#") if inside else TEXT_COLOUR
        write_lines(label.text_frame, [text], Style(size, colour=colour))


def _style_series(chart, native: NativeChart) -> None:
    plot = chart.plots[0]
    if native.kind == CLUSTERED_BAR:
        plot.gap_width = 60
        colours = [PREVIOUS_BAR, NEUTRAL_BAR] if len(native.series) == 2 else list(PALETTE)
    else:
        colours = list(PALETTE)
    for index, series in enumerate(plot.series):
        colour = RGBColor.from_string(colours[index % len(colours)].lstrip("#"))
        if native.kind == LINE:
            series.format.line.color.rgb = colour
            series.format.line.width = Pt(2)
            series.smooth = False
            series.marker.style = XL_MARKER_STYLE.CIRCLE
            series.marker.size = 5
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = colour
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour
        if index in native.labelled:
            plot_labels = series.data_labels
            plot_labels.show_value = True
            plot_labels.number_format = native.number_format.replace(".0%", "%")
            plot_labels.number_format_is_linked = False
            plot_labels.position = XL_LABEL_POSITION.INSIDE_END
            plot_labels.font.size = Pt(LABEL_TEXT)
            plot_labels.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _every_category_label(axis) -> None:
    """Name every category (c:tickLblSkip 1): left to itself, LibreOffice drops every other unit of a long list."""
    element = axis._element
    skip = element.find(qn("c:tickLblSkip"))
    if skip is None:
        skip = etree.Element(qn("c:tickLblSkip"))
        anchor = next(
            (element.find(qn(t)) for t in ("c:lblOffset", "c:lblAlgn", "c:auto") if element.find(qn(t)) is not None),
            None,
        )
        if anchor is not None:
            anchor.addnext(skip)
        else:
            element.append(skip)
    skip.set("val", "1")


def _top(native: NativeChart) -> float:
    return max((v for _, values in native.series for v in values if v is not None), default=0.0)


def add_native_chart(slide, left, top, width, height, native: NativeChart):
    """Place the chart on the slide: title, axis titles with units, status-coloured bars with their words."""
    # A horizontal chart draws its first category at the bottom: the data goes in reversed, so the slide reads
    # top-down like the screen (reversing the axis instead moves the value axis to the top in LibreOffice).
    order = slice(None, None, -1) if native.horizontal else slice(None)
    data = CategoryChartData(number_format=native.number_format)
    data.categories = native.categories[order]
    for name, values in native.series:
        data.add_series(name, values[order])
    if native.kind == LINE:
        chart_type = XL_CHART_TYPE.LINE_MARKERS
    else:
        chart_type = XL_CHART_TYPE.BAR_CLUSTERED if native.horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(chart_type, left, top, width, height, data).chart
    chart.font.size = Pt(CHART_TEXT)
    chart.has_title = True
    write_lines(chart.chart_title.text_frame, [native.title], Style(TITLE_TEXT, bold=True, align=PP_ALIGN.CENTER))
    value_axis, category_axis = chart.value_axis, chart.category_axis
    value_axis.tick_labels.number_format = native.number_format.replace(".0%", "%").replace(".0", "")
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE0, 0xE0, 0xE0)
    axis_top = _top(native) * 1.1  # about where an automatic axis ends
    if native.kind != LINE:
        value_axis.minimum_scale = 0
        if native.number_format == PERCENT and _top(native) <= 1:
            value_axis.maximum_scale = axis_top = 1  # a rate axis ends at 100%, not at an automatic 120%
            value_axis.major_unit = 0.2
    if len(native.categories) > CROWDED:
        category_axis.tick_labels.font.size = Pt(CROWDED_LABEL_TEXT)
    _every_category_label(category_axis)
    _axis_title(value_axis, native.value_title)
    _axis_title(category_axis, native.category_title)
    if native.kind == BAR:
        chart.has_legend = False
        # The plot is the chart less its unit names, axis title and margins (about 1.6 inches).
        _style_bars(chart, native, axis_top, Emu(width).inches - CATEGORY_ROOM)
    else:
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(LABEL_TEXT)
        _style_series(chart, native)
    east_asian_everywhere(chart._chartSpace)
    return chart
