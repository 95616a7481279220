"""Charts as PNG and SVG for briefings: every figure of the registry (dashboard/figures.py) drawn by its own builder
over the same series and status-engine verdicts as the screen, then laid out for a document: the title naming the
measure(s) served, a subtitle with the measure's name and the years shown, and a footer with the data source, the
data date and the data version (【演示数据】 first when the data is demo data).

Images come from kaleido 1.x driving Debian's Chromium (found on PATH; kaleido.get_chrome* would try to download
one and must not be called). Starting a browser costs about 2 s, so a batch keeps one: ``browser_session()`` around
a batch, or ``start_browser()`` once for a server's lifetime. Without either, every image starts its own browser.
"""

from __future__ import annotations

import io
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import kaleido
import pandas as pd
import plotly.graph_objects as go
from kaleido.errors import ChromeNotFoundError

from dashboard.figures import FIGURES, SPECIAL_INSPECTIONS, Figure
from dashboard.theme import NORMAL, STATUS_COLOURS, apply_theme
from pipeline.status.model import NO_DATA, OFF_TRACK
from queries.board import StatusBook
from queries.profile import ONE_YEAR, TREND, chart_years, has_data, latest_round_year, years_up_to
from queries.warehouse import warehouse_summary

PNG, SVG = "png", "svg"
WIDTH = 1000  # layout pixels: a 16:9 slide or an A4 page holds it at full width; PNG is WIDTH × scale
SUBTITLE_ROOM = 26  # pixels added above the plot for the subtitle line
FOOTER_ROOM = 52  # pixels added below the x-axis title for the two footer lines
FOOTER_GAP = 6  # between the builders' bottom margin (tick labels and axis title) and the footer
SOURCE_TEXT = "数据来源：各市（区）总工会、省级产业工会年度报表"
DEMO_LABEL = "【演示数据】"
README_NAME = "README.txt"

# kaleido warns when a caller passes browser options while a kept browser runs; we pass none then, but plotly.io
# does whenever its defaults are set, and the warning means nothing to a staffer.
warnings.filterwarnings("ignore", message="The kopts argument is ignored", category=UserWarning)

# The kept browser answers one request at a time and returns results in order: two threads (two Streamlit
# sessions) must not interleave their requests, or one could receive the other's image.
_RENDER_LOCK = threading.Lock()
_session_depth = 0  # nested browser_session() calls share one browser; the outermost stops it
_browser_kept = False  # whether start_browser() runs a browser for later images
_session_started = False  # whether the outermost browser_session() started that browser (and so stops it)


class ImageExportError(RuntimeError):
    """An image could not be made; the message says why in Chinese."""


# --- the browser ---------------------------------------------------------------------------------------------


def start_browser() -> None:
    """Keep one Chromium for every later image of this process (a server calls this once); idempotent."""
    global _browser_kept
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)  # no MathJax: it would be fetched from a CDN
    _browser_kept = True


def stop_browser() -> None:
    global _browser_kept
    kaleido.stop_sync_server(silence_warnings=True)
    _browser_kept = False


@contextmanager
def browser_session() -> Iterator[None]:
    """One browser for a batch of images, stopped cleanly afterwards; a browser kept by start_browser() (a
    server's) or by an outer session is used as it is and left running."""
    global _session_depth, _session_started
    with _RENDER_LOCK:
        if _session_depth == 0:
            _session_started = not _browser_kept
            if _session_started:
                start_browser()
        _session_depth += 1
    try:
        yield
    finally:
        with _RENDER_LOCK:
            _session_depth -= 1
            if _session_depth == 0 and _session_started:
                stop_browser()


def render(fig: go.Figure, fmt: str, *, width: int, height: int, scale: float = 1) -> bytes:
    """A plotly figure as PNG or SVG bytes: through the kept browser when one runs, else a browser of its own."""
    if fmt not in (PNG, SVG):
        raise ValueError(f"fmt must be {PNG!r} or {SVG!r}, not {fmt!r}")
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    try:
        with _RENDER_LOCK:
            if _browser_kept:
                return kaleido.calc_fig_sync(fig.to_dict(), opts=opts)
            return kaleido.calc_fig_sync(fig.to_dict(), opts=opts, kopts={"mathjax": False})
    except ChromeNotFoundError as error:
        raise ImageExportError(
            "无法生成图片：未找到 Chromium 浏览器，请先运行 scripts/system_deps.sh 安装。"
        ) from error


# --- a figure laid out for a document -----------------------------------------------------------------------


@dataclass(frozen=True)
class FigureFrame:
    """What a figure shows for a year: its series with the engine's verdicts, and the year of its data."""

    frame: pd.DataFrame
    shown_year: int  # the year asked for, or the latest special-inspection round up to it (第9条)
    has_data: bool


def figure_frame(figure: Figure, con: duckdb.DuckDBPyConnection, book: StatusBook, year: int) -> FigureFrame:
    """The figure's series for the year, as the family page draws it (the same years, the same verdicts)."""
    shown_year, reference = year, {"catalog": book.catalog, "registry": book.registry}  # the book's, settings included
    if figure.section == SPECIAL_INSPECTIONS:  # a round every two years: the latest one held up to the year
        rounds = figure.series(con, years=years_up_to(book.years, year), **reference)
        shown_year = latest_round_year(rounds) or year
    series = figure.series(con, years=chart_years(figure.span, book.years, shown_year), **reference)
    present = has_data(series, figure.span, shown_year)
    return FigureFrame(figure.with_statuses(book, series) if present else series, shown_year, present)


def date_text(data_date: date | datetime | str | None) -> str:
    if data_date is None or data_date == "":
        return "尚无已接收的报送"
    if isinstance(data_date, date):  # a datetime is a date too
        return f"{data_date.year}年{data_date.month}月{data_date.day}日"
    return str(data_date)


def footer_text(*, demo: bool, data_date: date | datetime | str | None, version: str) -> str:
    """Two lines: the source and the data date, then the data version; 【演示数据】 first for demo data."""
    first = f"{DEMO_LABEL if demo else ''}{SOURCE_TEXT} · 数据截至 {date_text(data_date)}"
    return f"{first}<br>{version}" if version else first


def period_text(figure: Figure, shown: FigureFrame, year: int) -> str:
    if figure.span == ONE_YEAR:
        if shown.shown_year != year:
            return f"{year}年度未开展专项督查（每2年一轮），此为最近一轮：{shown.shown_year}年"
        return f"{year}年度"
    first = int(shown.frame["year"].min()) if shown.has_data else year
    return f"{first}—{year}年度" if first < year else f"{year}年度"


def subtitle_text(figure: Figure, book: StatusBook, period: str) -> str:
    """第3条　召开产业工会工作专题会议 · 2025年度: the measure(s) served and the years shown."""
    names = "；".join(f"第{n}条　{book.catalog.measure(n).short_name}" for n in figure.measures)
    return f"{names} · {period}"


def placeholder_text(figure: Figure, year: int) -> str:
    """The family page's own sentence for a figure without data."""
    if figure.section == SPECIAL_INSPECTIONS:
        return f"截至{year}年度尚未开展{figure.measures_text}专项督查，暂无督查结果"
    if figure.span == TREND:
        return f"截至{year}年度暂无{figure.measures_text}（{figure.title}）的数据"
    return f"{year}年度暂无{figure.measures_text}（{figure.title}）的数据"


def _placeholder(figure: Figure, year: int) -> go.Figure:
    """An empty figure in the builders' theme saying, in the page's words, that there is nothing to draw."""
    fig = go.Figure()
    fig.update_layout(title=f"{figure.title}（{figure.measures_text}）", xaxis_visible=False, yaxis_visible=False)
    fig.add_annotation(text=placeholder_text(figure, year), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    apply_theme(fig)
    fig.update_annotations(font={"size": NORMAL.title, "color": STATUS_COLOURS[NO_DATA]})
    return fig


def _label_lines(labels: list[str]) -> int:
    return max((label.count("<br>") + 1 for label in labels), default=1)


def bottom_room(fig: go.Figure) -> int:
    """Pixels below the plot that the x-axis tick labels and title need, over-estimated a little.

    The footer is placed at a fixed distance below the plot, which holds only while plotly's automargin has no
    reason to grow the bottom margin: so the margin is made at least this large (wrapped labels such as
    2021年<br>经费拨付率 98.9%<br>达标 need more than the builders' 70 pixels)."""
    axis = fig.layout.xaxis
    if axis.visible is False:
        return 0
    labels = [str(t) for t in axis.ticktext or ()]
    if not labels:  # category labels come from the traces (vertical bars, heat map columns)
        for trace in fig.data:
            if getattr(trace, "orientation", None) != "h":
                labels += [v for v in getattr(trace, "x", None) or () if isinstance(v, str)]
    title_lines = _label_lines([axis.title.text]) if axis.title.text else 0
    return round(_label_lines(labels) * NORMAL.tick * 1.3 + 10 + title_lines * (NORMAL.font * 1.3 + 16))


def image_size(figure: Figure) -> tuple[int, int]:
    """Width and height in layout pixels of every image of the figure (PNG pixels are these times the scale)."""
    return WIDTH, figure.height + SUBTITLE_ROOM + FOOTER_ROOM


def document_figure(
    figure: Figure,
    shown: FigureFrame,
    book: StatusBook,
    year: int,
    *,
    demo: bool,
    data_date: date | datetime | str | None,
    version: str,
) -> go.Figure:
    """The figure drawn by its builder over what it shows for the year (figure_frame) and laid out for a document;
    a placeholder saying so when it has no data."""
    fig = (
        figure.builder(shown.frame, catalog=book.catalog) if shown.has_data else _placeholder(figure, shown.shown_year)
    )
    title = fig.layout.title.text or figure.title
    if figure.measures_text not in title:
        title = f"{title}（{figure.measures_text}）"
    subtitle = subtitle_text(figure, book, period_text(figure, shown, year))
    top, bottom = fig.layout.margin.t, max(fig.layout.margin.b, bottom_room(fig))  # before they grow
    width, height = image_size(figure)
    fig.update_layout(
        width=width,
        height=height,
        title={"text": title, "subtitle": {"text": subtitle, "font": {"size": NORMAL.font, "color": "#616161"}}},
        margin={"t": top + SUBTITLE_ROOM, "b": bottom + FOOTER_ROOM},
    )
    # Paper coordinates start at the plot's bottom edge; the tick labels and axis title fit in `bottom`, so
    # automargin leaves the margin alone and the footer starts just below them.
    fig.add_annotation(
        text=footer_text(demo=demo, data_date=data_date, version=version),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        xanchor="left",
        yanchor="top",
        yshift=-(bottom + FOOTER_GAP),
        align="left",
        showarrow=False,
        font={"size": NORMAL.tick - 1, "color": STATUS_COLOURS[OFF_TRACK] if demo else "#616161"},
    )
    return fig


def _provenance(
    con: duckdb.DuckDBPyConnection, data_date: date | datetime | str | None, version: str | None
) -> tuple[date | datetime | str | None, str]:
    """The data date and version the caller gave, else those of the warehouse (queries.warehouse)."""
    if data_date is not None and version is not None:
        return data_date, version
    summary = warehouse_summary(con)
    return (summary.latest_accepted_at if data_date is None else data_date), (
        summary.version_text if version is None else version
    )


def figure_image(
    figure: Figure,
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    *,
    fmt: str = PNG,
    demo: bool,
    data_date: date | datetime | str | None = None,
    version: str | None = None,
    scale: float = 2,
) -> bytes:
    """One figure of the registry for the year as PNG (WIDTH × scale pixels wide) or SVG (text kept as text, at
    layout size: an SVG has no pixels to scale). data_date and version default to the warehouse's."""
    data_date, version = _provenance(con, data_date, version)
    shown = figure_frame(figure, con, book, year)
    fig = document_figure(figure, shown, book, year, demo=demo, data_date=data_date, version=version)
    width, height = image_size(figure)
    return render(fig, fmt, width=width, height=height, scale=scale if fmt == PNG else 1)


# --- every chart of a year ----------------------------------------------------------------------------------


def _readme(year: int, listing: list[str], *, demo: bool, data_date: date | datetime | str | None, version: str) -> str:
    """README.txt: what the zip holds and where its figures come from; CRLF line ends for Windows Notepad."""
    lines = [f"{DEMO_LABEL}本压缩包中的图表由演示数据生成，不是真实报表数据。"] if demo else []
    lines += [
        f"十八条措施落实看板 · {year}年度全部图表（每张图表一个 PNG 图片和一个 SVG 矢量图）",
        f"{SOURCE_TEXT}；数据截至 {date_text(data_date)}；{version}",
        "PNG 可直接插入演示文稿和文档；SVG 中的文字保留为文字，打开它的电脑需装有思源黑体（Noto Sans CJK SC）、"
        "微软雅黑或苹方字体之一。",
        "",
        "文件　措施　图表",
        *listing,
    ]
    return "\r\n".join(lines) + "\r\n"


def year_charts_zip(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    *,
    demo: bool,
    data_date: date | datetime | str | None = None,
    version: str | None = None,
    scale: float = 2,
    progress: Callable[[int, int, str], None] | None = None,
) -> bytes:
    """Every figure of the registry for the year as PNG and SVG in one zip, named by Figure.file_stem(year), with a
    README.txt listing each file, its measure and its title. One browser serves the whole batch.
    progress(done, total, title) is called after each figure (a CLI progress bar, a page's progress bar)."""
    data_date, version = _provenance(con, data_date, version)
    buffer, listing = io.BytesIO(), []
    with browser_session(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, figure in enumerate(FIGURES, start=1):
            shown = figure_frame(figure, con, book, year)
            fig = document_figure(figure, shown, book, year, demo=demo, data_date=data_date, version=version)
            width, height = image_size(figure)
            stem = figure.file_stem(year)
            archive.writestr(f"{stem}.png", render(fig, PNG, width=width, height=height, scale=scale))
            archive.writestr(f"{stem}.svg", render(fig, SVG, width=width, height=height))
            note = "" if shown.has_data else "（暂无数据，图中已注明）"
            for suffix in (PNG, SVG):
                listing.append(f"{stem}.{suffix}　{figure.measures_text}　{figure.title}{note}")
            if progress:
                progress(done, len(FIGURES), figure.title)
        readme = _readme(year, listing, demo=demo, data_date=data_date, version=version)
        archive.writestr(README_NAME, readme.encode("utf-8-sig"))  # the BOM: Windows Notepad then reads UTF-8
    return buffer.getvalue()
