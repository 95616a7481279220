"""Chart builders for the four chart families: pure functions, a series DataFrame in, a plotly Figure out.

Each builder takes the DataFrame of the matching function in queries/series.py and returns a titled
figure naming the measure it serves, with units on the axes and Chinese hover text. Bar charts of one
year show the latest year in the frame (pages pass the selected year). Bars are coloured by the status engine's
verdict on each unit or year, which the frame carries in its `status` column (queries.board.with_statuses), and
the catalog's thresholds are drawn as dashed lines; the status word is printed on each bar so colour is never
the only cue. An empty frame gives a figure saying 暂无数据, never an exception.

Plotly reads a subset of HTML in every label, tick and hover text (<br>, <b>, <a href>, <span style>), so text from
the frame (unit names from the registry or settings, words from returns) is escaped before a builder sees it
(``inert_text``); the builders' own <br> and <b> stay markup. Plotly shows the escaped entities as the characters
typed, on screen and in the PNG/SVG exports.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from html import escape

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.theme import (
    EMPTY_TEXT,
    NEUTRAL_BAR,
    PALETTE,
    PERCENT_TICKFORMAT,
    PREVIOUS_BAR,
    REFERENCE_LINE,
    STATUS_COLOURS,
    STATUS_ORDER,
    STATUS_TEXT_COLOURS,
    apply_theme,
)
from pipeline.catalog import Catalog, load_catalog
from pipeline.status import format as fmt
from pipeline.status.model import AT_RISK, NO_DATA, OFF_TRACK
from queries.board import MISSING_COLUMN, STATUS_COLUMN

PCT_AXIS = {"tickformat": PERCENT_TICKFORMAT}
CITY_AXIS, UNION_AXIS, YEAR_AXIS = "市级总工会", "省级产业工会", "年度"


# --- shared pieces ---------------------------------------------------------------------------------------


def plotly_text(value: object) -> object:
    """Text shown literally by plotly (&, < and > as entities); anything that is not text unchanged."""
    return escape(value, quote=False) if isinstance(value, str) else value


def inert_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell escaped for plotly; numbers, dates and missing values unchanged."""
    text_columns = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text_columns:
        return df
    out = df.copy()
    for column in text_columns:
        out[column] = out[column].map(plotly_text, na_action="ignore")
    return out


def inert_text(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """A chart builder fed an escaped copy of its frame (and title): data never becomes plotly markup."""

    @functools.wraps(builder)
    def wrapped(df: pd.DataFrame, *args, title: str | None = None, **kwargs) -> go.Figure:
        return builder(inert_frame(df), *args, title=plotly_text(title), **kwargs)

    return wrapped


def _thresholds(measure: int, catalog: Catalog | None) -> dict[str, float]:
    """The measure's thresholds in force (the settings saved by the 管理员 included, through the catalog passed)."""
    return dict((catalog or load_catalog()).measure(measure).rule.thresholds)


def _metric(measure: int, catalog: Catalog | None) -> str:
    return (catalog or load_catalog()).measure(measure).rule.metric_name


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _pct(value: object, digits: int = 1) -> str:
    return fmt.pct(None if _missing(value) else float(value), digits)


def _num(value: object, unit: str = "") -> str:
    return fmt.number(None if _missing(value) else float(value), unit)


_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


def _wrap(name: str, width: int = 6) -> str:
    """Break a long label over two lines (省财贸轻纺<br>烟草工会, 2023年<br>（3次）) so it needs no rotation; an
    escaped character (&lt;) counts as one and is never cut in two."""
    if len(_ENTITY.sub("_", name)) <= width:
        return name
    cut = name.find("（")
    half = cut if cut > 0 else (len(name) + 1) // 2
    for entity in _ENTITY.finditer(name):
        if entity.start() < half < entity.end():
            half = entity.end()
    return f"{name[:half]}<br>{name[half:]}"


def _pct_label(value: float) -> str:
    """A bar or line label: 88.2%, 95%, 100% (no trailing .0)."""
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _ratio(value: object) -> str:
    return fmt.ratio_text(None if _missing(value) else float(value))


def _statuses(frame: pd.DataFrame) -> list[str]:
    """The status engine's verdict on each row (queries.board.with_statuses): a chart never grades a figure again,
    so a bar's colour is always the status the board and the measure's explanation give."""
    if STATUS_COLUMN not in frame.columns:
        raise ValueError(f"a status-coloured chart needs the engine's verdicts in a {STATUS_COLUMN!r} column")
    return [NO_DATA if _missing(s) else str(s) for s in frame[STATUS_COLUMN]]


def _missing_words(frame: pd.DataFrame) -> list[str]:
    """Per row, why a judged unit has no figures (未报送 / 未督查, queries.board.with_judged_units), or ""."""
    if MISSING_COLUMN not in frame.columns:
        return [""] * len(frame)
    return ["" if _missing(w) else str(w) for w in frame[MISSING_COLUMN]]


def _missing_tip(r: pd.Series, word: str, status: str) -> str:
    return f"{r.unit_name}（{r.year}年）<br>{word}，无数据<br>状态：{status}"


def _empty(title: str, large: bool) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False})
    fig.add_annotation(text=EMPTY_TEXT, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    apply_theme(fig, large=large)
    fig.update_annotations(font_size=fig.layout.title.font.size)
    return fig


def _latest(df: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    year = int(df["year"].max())
    return year, df[df["year"] == year]


def _sorted(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Best first, units without a figure last, ties in registry-code order."""
    return frame.sort_values([value, "unit_code"], ascending=[False, True], na_position="last")


def _reference_lines(
    fig: go.Figure, lines: Sequence[tuple[float, str]], *, text: Callable[[float], str], vertical: bool = False
) -> None:
    """Dashed threshold lines across the plot, labelled in the margin ("达标线 95%").

    Thresholds sit close together (95% and 85%), so the highest line is labelled above itself and the
    others below themselves: their captions never overlap."""
    highest = max((value for value, _ in lines), default=None)
    for value, label in lines:
        above = value == highest
        # Drawn under the bars so a line never crosses a bar's label; it shows in the gaps between bars.
        line = {"color": REFERENCE_LINE, "dash": "dash"}
        caption = f"{label}线 {text(value)}"
        if vertical:
            fig.add_shape(type="line", xref="x", yref="paper", x0=value, x1=value, y0=0, y1=1, line=line, layer="below")
            fig.add_annotation(
                x=value,
                y=1,
                xref="x",
                yref="paper",
                text=caption,
                showarrow=False,
                yanchor="bottom",
                xanchor="left" if above else "right",
            )
        else:
            fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=value, y1=value, line=line, layer="below")
            fig.add_annotation(
                x=1,
                y=value,
                xref="paper",
                yref="y",
                text=caption,
                showarrow=False,
                xanchor="left",
                yanchor="bottom" if above else "top",
            )


def _status_bars(
    frame: pd.DataFrame,
    *,
    value: str,
    statuses: list[str],
    text: Callable[[float], str],
    hover: list[str],
    words: list[str] | None = None,
    horizontal: bool = False,
) -> go.Figure:
    """One bar per unit coloured by status, one trace per status so the legend names the colours.

    The figure and the status word sit inside the top of each bar (outside when the bar is too short), so
    no label collides with a threshold line or a neighbour.
    """
    fig = go.Figure()
    names = list(frame["unit_name"])
    values = [None if _missing(v) else float(v) for v in frame[value]]
    words = words or [""] * len(names)
    for status in STATUS_ORDER:
        rows = [i for i, s in enumerate(statuses) if s == status]
        if not rows:
            continue
        # A judged unit without a figure keeps its place, with the reason (未报送 / 未督查) and its status at the axis.
        heights = [values[i] or 0.0 for i in rows]
        joiner = " " if horizontal else "<br>"
        labels = [
            (f"{words[i]}{joiner}{status}" if words[i] else status)
            if values[i] is None
            else f"{text(values[i])}{joiner}{status}"
            for i in rows
        ]
        cats = [names[i] for i in rows]
        fig.add_bar(
            x=heights if horizontal else cats,
            y=cats if horizontal else heights,
            orientation="h" if horizontal else "v",
            name=status,
            marker_color=STATUS_COLOURS[status],
            text=labels,
            # A bar of no height shows no text inside it: the word of a unit without a figure stands beside its base.
            textposition=["outside" if values[i] is None else "auto" for i in rows],
            insidetextanchor="end",
            insidetextfont_color=STATUS_TEXT_COLOURS[status],
            outsidetextfont_color=REFERENCE_LINE,
            constraintext="none",
            cliponaxis=False,
            hovertext=[hover[i] for i in rows],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.update_layout(barmode="relative", bargap=0.3, showlegend=True)  # a lone status still gets its key
    order = {"categoryorder": "array", "categoryarray": names, "showgrid": False}
    if horizontal:
        fig.update_yaxes(**order, autorange="reversed")
    else:
        fig.update_xaxes(**order, tickmode="array", tickvals=names, ticktext=[_wrap(n) for n in names])
    return fig


def _value_range(values: pd.Series, lines: Sequence[float], headroom: float = 1.08) -> list[float]:
    top = max([*(float(v) for v in values.dropna()), *lines, 0.0])
    return [0.0, top * headroom if top > 0 else 1.0]


def _rate_bars(
    df: pd.DataFrame,
    *,
    measure: int,
    subject: str,
    value: str,
    axis_title: str,
    category_title: str,
    hover: Callable[[pd.Series, str], str],
    large: bool,
    title: str | None,
    limits: tuple[float, float | None] | None = None,
    catalog: Catalog | None = None,
    text: Callable[[float], str] = _pct_label,
    tickformat: str = PERCENT_TICKFORMAT,
    horizontal: bool = False,
    one_year: bool = True,
) -> go.Figure:
    """Bars coloured by the engine's verdicts (the frame's status column), with the measure's thresholds drawn as
    dashed lines (catalog green/amber unless ``limits`` names others).

    ``one_year``: bars per unit for the latest year in the frame, best first; otherwise one bar per row
    in the frame's order (e.g. per year).
    """
    default = f"{subject}（第{measure}条）"
    if df.empty:
        return _empty(title or default, large)
    if one_year:
        year, frame = _latest(df)
        frame, default = _sorted(frame, value), f"{year}年{default}"
    else:
        frame = df
    if limits is None:
        catalog_limits = _thresholds(measure, catalog)
        limits = (catalog_limits["green"], catalog_limits.get("amber"))
    green, amber = limits
    statuses, words = _statuses(frame), _missing_words(frame)
    tips = [
        _missing_tip(row, word, status) if word else hover(row, status)
        for (_, row), status, word in zip(frame.iterrows(), statuses, words, strict=True)
    ]
    fig = _status_bars(frame, value=value, statuses=statuses, text=text, hover=tips, words=words, horizontal=horizontal)
    lines = [(green, "达标")] + ([(amber, "预警")] if amber is not None else [])
    _reference_lines(fig, lines, text=text, vertical=horizontal)
    value_axis = {
        "title": axis_title,
        "tickformat": tickformat,
        "range": _value_range(frame[value], [green]),
        "showgrid": True,
    }
    # automargin with a standoff keeps a rotated title clear of long unit names on a horizontal chart.
    category_axis = {"title": {"text": category_title, "standoff": 16}, "automargin": True}
    fig.update_layout(
        title=title or default,
        xaxis=value_axis if horizontal else category_axis,
        yaxis=category_axis if horizontal else value_axis,
    )
    return apply_theme(fig, large=large)


def _year_axis(fig: go.Figure, years: Sequence[int]) -> None:
    fig.update_xaxes(title=YEAR_AXIS, tickmode="array", tickvals=list(years), ticktext=[f"{y}年" for y in years])


def _lines_per_unit(df: pd.DataFrame, *, value: str, hover: Callable[[pd.Series], str]) -> go.Figure:
    """One line per unit over the years, units in registry-code order with stable palette colours."""
    fig = go.Figure()
    for i, (code, rows) in enumerate(df.sort_values(["unit_code", "year"]).groupby("unit_code", sort=True)):
        gaps = [f"{y}年{w}" for y, w in zip(rows["year"], _missing_words(rows), strict=True) if w]
        fig.add_scatter(
            x=list(rows["year"]),
            y=list(rows[value]),
            mode="lines+markers",
            # A judged unit's missing years are named in the legend, so its gap is never read as a fall.
            name=str(rows["unit_name"].iloc[0]) + (f"（{'、'.join(gaps)}）" if gaps else ""),
            line_color=PALETTE[i % len(PALETTE)],
            hovertext=[hover(r) for _, r in rows.iterrows()],
            hovertemplate="%{hovertext}<extra></extra>",
            legendgroup=str(code),
            connectgaps=False,
        )
    _year_axis(fig, sorted(int(y) for y in df["year"].unique()))
    return fig


# --- 组织覆盖 (M3, M7, M8) ------------------------------------------------------------------------------


@inert_text
def m3_coverage_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per city: share of the city and county federations that held a special meeting."""

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>{_metric(3, catalog)} {_pct(r.rate)}<br>"
            f"召开专题会议的市县总工会 {r.covered}个 / 共 {r.total}个<br>状态：{status}"
        )

    return _rate_bars(
        df,
        catalog=catalog,
        measure=3,
        subject=f"市县总工会{_metric(3, catalog)}",
        value="rate",
        axis_title="覆盖率（%）",
        category_title=CITY_AXIS,
        hover=hover,
        large=large,
        title=title,
    )


@inert_text
def m7_membership_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Lines per industry union: members ÷ employees over the years."""
    default = "省级产业工会会员覆盖率（第7条）"
    if df.empty:
        return _empty(title or default, large)

    def hover(r: pd.Series) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>会员覆盖率 {_pct(r.coverage_rate)}<br>"
            f"会员 {_num(r.members, '人')} / 职工 {_num(r.employees, '人')}<br>"
            f"所属基层工会 {_num(r.grassroots_unions, '个')}"
        )

    fig = _lines_per_unit(df, value="coverage_rate", hover=hover)
    fig.update_layout(title=title or default, yaxis={"title": "会员覆盖率（%）", **PCT_AXIS})
    return apply_theme(fig, large=large, legend="right")


@inert_text
def m8_county_union_share_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per city: share of its counties with a county-level industry union, beside last year's."""
    default = f"{_metric(8, catalog)}（第8条）"
    if df.empty:
        return _empty(title or default, large)
    year, frame = _latest(df)
    frame = _sorted(frame, "share")
    before = df[df["year"] == year - 1].set_index("unit_code")["share"]
    names = list(frame["unit_name"])

    def tip(r: pd.Series) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>{_metric(8, catalog)} {_pct(r.share)}<br>"
            f"已建产业工会的县（区）{r.counties_with_union}个 / 共 {r.counties_total}个"
        )

    fig = go.Figure()
    if not before.empty:
        prior = [before.get(code) for code in frame["unit_code"]]
        fig.add_bar(
            x=names,
            y=prior,
            name=f"{year - 1}年",
            marker_color=PREVIOUS_BAR,
            hovertemplate="%{x}（" + f"{year - 1}" + "年）<br>%{y:.1%}<extra></extra>",
        )
    words = _missing_words(frame)
    fig.add_bar(
        x=names,
        y=[0.0 if _missing(v) else v for v in frame["share"]],
        name=f"{year}年",
        marker_color=NEUTRAL_BAR,
        # A judged city without a figure keeps its place: the word 未报送 stands where its bar would be.
        text=[w or ("" if _missing(v) else _pct_label(v)) for v, w in zip(frame["share"], words, strict=True)],
        textposition="outside",
        constraintext="none",
        cliponaxis=False,
        hovertext=[
            f"{r.unit_name}（{r.year}年）<br>{w}，无数据" if w else tip(r)
            for (_, r), w in zip(frame.iterrows(), words, strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
    )
    fig.update_layout(
        title=title or f"{year}年{default}",
        barmode="group",
        bargap=0.25,
        xaxis={"title": CITY_AXIS, "categoryorder": "array", "categoryarray": names},
        yaxis={"title": "覆盖率（%）", **PCT_AXIS, "range": [0, 1.12]},
    )
    return apply_theme(fig, large=large)


# --- 经费保障 (M4, M5, M6) ------------------------------------------------------------------------------

M4_AMOUNTS = (
    ("requested", "m4_funds_requested"),
    ("approved", "m4_funds_approved"),
    ("disbursed", "m4_funds_disbursed"),
)


@inert_text
def m4_special_funds_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Grouped bars per year: funds requested, approved and disbursed; the disbursement rate under each year."""
    default = "临时性重大活动经费申请、批准与拨付（第4条）"
    if df.empty:
        return _empty(title or default, large)
    catalog, frame = catalog or load_catalog(), df.sort_values("year")
    green = _thresholds(4, catalog)["green"]
    years = [int(y) for y in frame["year"]]
    fig = go.Figure()
    for i, (column, code) in enumerate(M4_AMOUNTS):
        name = catalog.indicator(code).name
        fig.add_bar(
            x=years,
            y=list(frame[column]),
            name=name,
            marker_color=PALETTE[i],
            hovertemplate=f"%{{x}}年<br>{name} %{{y:,.1f}}万元<extra></extra>",
        )
    ticks = []
    for year, rate, status in zip(years, frame["disbursed_rate"], _statuses(frame), strict=True):
        figure = "无批准经费" if _missing(rate) else f"{_metric(4, catalog)} {_pct(rate)}"
        ticks.append(f"{year}年<br><span style='color:{STATUS_COLOURS[status]}'>{figure}<br>{status}</span>")
    fig.update_layout(title=title or default, barmode="group", yaxis={"title": "金额（万元）"})
    fig.update_xaxes(
        title=f"年度（{_metric(4, catalog)}≥{_pct(green, 0)}为达标）", tickmode="array", tickvals=years, ticktext=ticks
    )
    return apply_theme(fig, large=large)


@inert_text
def m5_dues_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per industry union: dues collected ÷ dues due, with the 达标/预警 lines."""

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>{_metric(5, catalog)} {_pct(r.rate)}<br>"
            f"实收 {_num(r.collected, '万元')} / 应收 {_num(r.due, '万元')}<br>状态：{status}"
        )

    return _rate_bars(
        df,
        catalog=catalog,
        measure=5,
        subject=f"省级产业工会{_metric(5, catalog)}",
        value="rate",
        axis_title="收缴率（%）",
        category_title=UNION_AXIS,
        hover=hover,
        large=large,
        title=title,
    )


M6_COLUMNS = 4  # small multiples: panels per row
FIELD_LINE = "#9e9e9e"  # the grey of the panels of cities on track


@inert_text
def m6_budget_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Small multiples, one panel per city on the same axes: the city federation's budget for industry unions
    (key work + resident unions) over the years, each year's point in the colour of the engine's verdict, the
    panel named with its latest verdict, and a year the city did not report marked 未报送 in its panel."""
    default = "市本级产业工会经费预算安排（第6条）"
    if df.empty:
        return _empty(title or default, large)
    catalog = catalog or load_catalog()
    key_name = catalog.indicator("m6_budget_key_work").name
    office_name = catalog.indicator("m6_resident_office_funds").name

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>合计 {_num(r.total, '万元')}<br>"
            f"{key_name} {_num(r.key_work, '万元')}<br>{office_name} {_num(r.resident_office, '万元')}"
            f"<br>纳入本级预算的县（区）{r.counties_included}个 / 共 {r.counties_total}个<br>状态：{status}"
        )

    # A frame without the engine's verdicts (a bare series) draws neutral points and names no status.
    graded = STATUS_COLUMN in df.columns
    frame = df.assign(**{STATUS_COLUMN: _statuses(df) if graded else ""}).sort_values(["unit_code", "year"])
    units = list(frame.groupby("unit_code", sort=True))
    years = sorted(int(y) for y in frame["year"].unique())
    latest = max(years)
    rows_count = math.ceil(len(units) / M6_COLUMNS)
    panel_titles, line_colours = [], []
    for _, rows in units:
        last = rows[rows["year"] == latest]
        status = str(last[STATUS_COLUMN].iloc[0]) if not last.empty else NO_DATA
        name = str(rows["unit_name"].iloc[0])
        # The laggards stand out against a grey field: their line in the status colour, their name in bold.
        lagging = status in (AT_RISK, OFF_TRACK)
        panel_titles.append((f"<b>{name}·{status}</b>" if lagging else f"{name}·{status}") if graded else name)
        line_colours.append(STATUS_COLOURS[status] if lagging else (FIELD_LINE if graded else NEUTRAL_BAR))
    fig = make_subplots(
        rows=rows_count,
        cols=M6_COLUMNS,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=panel_titles,
        horizontal_spacing=0.03,
        vertical_spacing=0.12,
    )
    top = float(frame["total"].max()) if frame["total"].notna().any() else 1.0
    for i, ((_, rows), line_colour) in enumerate(zip(units, line_colours, strict=True)):
        row, col = i // M6_COLUMNS + 1, i % M6_COLUMNS + 1
        statuses, words = list(rows[STATUS_COLUMN]), _missing_words(rows)
        fig.add_scatter(
            x=list(rows["year"]),
            y=list(rows["total"]),
            mode="lines+markers",
            line_color=line_colour,
            marker={"color": [STATUS_COLOURS.get(st, NEUTRAL_BAR) for st in statuses]},
            showlegend=False,
            hovertext=[
                _missing_tip(r, w, st) if w else hover(r, st or "—")
                for (_, r), st, w in zip(rows.iterrows(), statuses, words, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            row=row,
            col=col,
        )
        for year, word in zip(rows["year"], words, strict=True):
            if word:  # the year the city sent nothing: the word stands where its point would be
                fig.add_annotation(
                    x=int(year), y=top * 0.08, text=word, showarrow=False, font_color=REFERENCE_LINE, row=row, col=col
                )
    # The legend names the colours of the points.
    for status in STATUS_ORDER:
        if status in set(frame[STATUS_COLUMN]):
            fig.add_scatter(
                x=[None], y=[None], mode="markers", name=status, marker_color=STATUS_COLOURS[status], hoverinfo="skip"
            )
    fig.update_xaxes(tickmode="array", tickvals=years, ticktext=[str(y) for y in years], showgrid=False)
    fig.update_yaxes(rangemode="tozero", range=[0, top * 1.1], showgrid=True)
    for row in range(1, rows_count + 1):
        fig.update_yaxes(title_text="金额（万元）" if row == (rows_count + 1) // 2 else "", row=row, col=1)
    fig.update_layout(title=title or default, showlegend=True)
    return apply_theme(fig, large=large, legend="right")


# --- 督查结果 (M9, M10) ---------------------------------------------------------------------------------


# A single-hue blue scale, dark for low scores and light for high ones: its luminance rises monotonically, so it
# reads the same in greyscale and to colour-blind readers; the score is printed in every cell and scores below the
# pass mark are bold with a ▼, so neither colour nor shade is the only cue.
SCORE_COLOURSCALE = (
    (0.0, "#08306b"),
    (0.25, "#2171b5"),
    (0.5, "#6baed6"),
    (0.75, "#c6dbef"),
    (1.0, "#f7fbff"),
)
MISSING_CELL = "#e0e0e0"  # a judged unit without scores (未督查): a grey row carrying the word
BELOW_MARK = "▼"


def _score_text(score: float, threshold: float) -> str:
    return f"<b>{BELOW_MARK}{score:.0f}</b>" if score < threshold else f"{score:.0f}"


@inert_text
def m9_scores_heatmap(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Heatmap of one inspection round: judged units × the seven dimensions, the score in each cell; a judged unit
    that was not inspected is a grey row reading 未督查."""
    default = "专项督查各单位分项得分（第9条）"
    if df.empty:
        return _empty(title or default, large)
    year, frame = _latest(df)
    words = dict(zip(frame["unit_code"], _missing_words(frame), strict=True))
    scored = frame[frame["score"].notna()]
    grid = scored.pivot_table(
        index=["unit_code", "unit_name"], columns=["dimension_no", "dimension"], values="score", aggfunc="first"
    ).sort_index()
    dimensions = [name for _, name in grid.columns]
    names = dict(zip(frame["unit_code"], frame["unit_name"], strict=True))
    codes = sorted(names)
    units = [names[code] for code in codes]
    threshold = _thresholds(9, catalog)["mean_score"]
    low = min(60.0, float(scored["score"].min())) if not scored.empty else 60.0
    z = grid.reindex([(c, names[c]) for c in codes]).to_numpy()
    text = [["" if _missing(v) else _score_text(float(v), threshold) for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=dimensions,
            y=units,
            zmin=low,
            zmax=100,
            xgap=2,
            ygap=2,
            colorscale=[list(stop) for stop in SCORE_COLOURSCALE],
            text=text,
            texttemplate="%{text}",
            colorbar={"title": {"text": "得分（分）"}},
            hovertemplate="%{y}（" + str(year) + "年）<br>%{x}：%{z:.0f}分<extra></extra>",
            hoverongaps=False,
        )
    )
    # A judged unit without scores: a grey band under its (empty) row, with the word once across it.
    for code in (c for c in codes if words.get(c)):
        row = codes.index(code)
        fig.add_shape(
            type="rect", xref="x", yref="y", x0=-0.5, x1=len(dimensions) - 0.5, y0=row - 0.45, y1=row + 0.45,
            fillcolor=MISSING_CELL, line_color=MISSING_CELL, layer="below",
        )  # fmt: skip
        fig.add_annotation(
            x=(len(dimensions) - 1) / 2, y=row, xref="x", yref="y", text=words[code], showarrow=False,
            font_color=REFERENCE_LINE,
        )  # fmt: skip
    fig.update_layout(
        title=title or f"{year}年{default}",
        xaxis={"title": f"督查内容（得分，满分100分；{BELOW_MARK}加粗为低于{threshold:g}分）", "side": "bottom"},
        yaxis={
            "title": {"text": "被督查单位", "standoff": 16},
            "automargin": True,
            "autorange": "reversed",
            "categoryorder": "array",
            "categoryarray": units,
        },
    )
    return apply_theme(fig, large=large)


@inert_text
def m9_rectification_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Horizontal bars per inspected unit: problems rectified ÷ found in one round, with the 90% line."""
    limits = _thresholds(9, catalog)

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>整改率 {_pct(r.rate)}<br>已整改 {r.rectified}个 / 发现问题 {r.found}个<br>"
            f"平均得分 {_num(r.mean_score, '分')}（{limits['mean_score']:g}分及格）<br>状态：{status}"
        )

    return _rate_bars(
        df,
        catalog=catalog,
        measure=9,
        subject="专项督查问题整改率",
        value="rate",
        axis_title="整改率（%）",
        category_title="被督查单位",
        hover=hover,
        large=large,
        title=title,
        limits=(limits["rectification"], None),
        horizontal=True,
    )


@inert_text
def m10_random_inspections_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per year: share of the problems found by random inspections that were rectified."""

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.year}年<br>随机督查 {r.inspections}次<br>已整改 {r.rectified}个 / 发现问题 {r.found}个<br>"
            f"{_metric(10, catalog)} {_pct(r.rate)}<br>状态：{status}"
        )

    frame = df
    if not df.empty:
        # Each year is one bar, labelled with the number of inspections behind its rate.
        frame = df.sort_values("year").assign(
            unit_code=lambda d: d["year"].astype(str),
            unit_name=lambda d: [f"{y}年（{n}次）" for y, n in zip(d["year"], d["inspections"], strict=True)],
        )
    return _rate_bars(
        frame,
        catalog=catalog,
        measure=10,
        subject=f"随机督查{_metric(10, catalog)}",
        value="rate",
        axis_title="整改率（%）",
        category_title="年度（括号内为随机督查次数）",
        hover=hover,
        large=large,
        title=title,
        one_year=False,
    )


# --- 干部队伍 (M16, M17) --------------------------------------------------------------------------------


@inert_text
def m16_training_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per industry union: cadres trained this year ÷ cadres, with the 达标/预警 lines."""

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>{_metric(16, catalog)} {_pct(r.rate)}<br>"
            f"参加培训 {r.trained}人 / 干部 {r.cadres}人<br>状态：{status}"
        )

    return _rate_bars(
        df,
        catalog=catalog,
        measure=16,
        subject=f"省级产业工会{_metric(16, catalog)}",
        value="rate",
        axis_title="培训率（%）",
        category_title=UNION_AXIS,
        hover=hover,
        large=large,
        title=title,
    )


@inert_text
def m17_parity_chart(
    df: pd.DataFrame, *, large: bool = False, title: str | None = None, catalog: Catalog | None = None
) -> go.Figure:
    """Bars per industry union: its promotion rate ÷ the provincial organ's, with the 1.0 / 0.8 lines."""

    def hover(r: pd.Series, status: str) -> str:
        return (
            f"{r.unit_name}（{r.year}年）<br>{_metric(17, catalog)} {_ratio(r.parity_index)}<br>"
            f"本单位提拔率 {_pct(r.rate)}（{r.promoted}人 / {r.eligible}人）<br>"
            f"省总机关提拔率 {_pct(r.organ_rate)}<br>状态：{status}"
        )

    return _rate_bars(
        df,
        catalog=catalog,
        measure=17,
        subject="省级产业工会干部提拔率与机关之比",
        value="parity_index",
        axis_title=f"{_metric(17, catalog)}（倍）",
        category_title=UNION_AXIS,
        hover=hover,
        large=large,
        title=title,
        text=_ratio,
        tickformat=".1f",
    )
