"""The PowerPoint deck for a provincial meeting: one year of the Eighteen Measures, 16:9, in Chinese.

Slides, in order: the title; the 18-measure board (a table coloured by status and carrying the status word); one
slide per chart family with its registry figures as native, editable charts (an image only where python-pptx has
no such chart: the score heat map); one slide per measure that is 未达标 or 预警 with its explanation; optionally
what has changed since a meeting version (exports/deck_changes.py); the submission status; a closing data note.
Every figure and status comes from the query layer and the status engine, exactly as the screen shows them; every
slide names the data date and version, and demo data is labelled.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches

from dashboard.figures import FIGURES, SPECIAL_INSPECTIONS, Figure, of_family
from dashboard.theme import STATUS_COLOURS, STATUS_TEXT_COLOURS
from exports import deck_changes, deck_charts
from exports.images import FOOTER_ROOM, FigureFrame, document_figure, figure_frame, footer_text, render
from exports.pptx_text import MUTED_COLOUR, Cell, Style, add_table, add_text_box, label_line, status_cell, write_lines
from pipeline.status import format as fmt
from pipeline.status.model import AT_RISK, EXPLANATION_LABELS, OFF_TRACK, SEVERITY, Laggard
from queries.board import Board, FamilyScreen, StatusBook, Tile, family_screens, measure_board, measure_detail
from queries.briefing import SubmissionState, estimated_figures, submission_state
from queries.profile import ONE_YEAR
from queries.warehouse import WarehouseSummary, warehouse_summary

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
LEFT, RIGHT_EDGE = Inches(0.5), Inches(12.833)
CONTENT_WIDTH = RIGHT_EDGE - LEFT
CONTENT_TOP, CONTENT_BOTTOM = Inches(1.3), Inches(6.95)
ACCENT = "B71C1C"
DECK_TITLE = "十八条措施落实情况"
BLANK_LAYOUT = 6  # the default template's blank layout
# The explanation's labels shared with the measure-detail page and the CLI, so a slide reads like the screen.
FORMULA, THRESHOLD, RULE, NOTE = (EXPLANATION_LABELS[k] for k in ("formula", "threshold", "rule", "note"))
LAGGARDS, MISSING = EXPLANATION_LABELS["laggards"], EXPLANATION_LABELS["missing_units"]


@dataclass(frozen=True)
class DeckInfo:
    """What every slide's footer says about the data behind it."""

    year: int
    demo_label: str  # "【演示数据】", "" for real data
    data_date: str  # 2026年1月29日
    summary: WarehouseSummary

    @property
    def footer(self) -> str:
        parts = [f"{DECK_TITLE}（{self.year}年度）", f"数据截至{self.data_date}", self.summary.version_text]
        return "　·　".join(parts) + (f"　{self.demo_label}" if self.demo_label else "")


def data_date_text(summary: WarehouseSummary) -> str:
    return fmt.day(summary.latest_accepted_at.date()) if summary.latest_accepted_at else "（尚无报送）"


# --- slide frame ------------------------------------------------------------------------------------------------


def _new_slide(prs, info: DeckInfo, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    add_text_box(slide, LEFT, Inches(0.3), CONTENT_WIDTH, Inches(0.75), [title], Style(26, bold=True),
                 anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
    rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, LEFT, Inches(1.08), CONTENT_WIDTH, Inches(0.04))
    _fill(rule, ACCENT)
    add_text_box(slide, LEFT, Inches(7.05), Inches(11.3), Inches(0.35), [info.footer], Style(10, colour=MUTED_COLOUR))
    number = f"{len(prs.slides)}"
    add_text_box(slide, Inches(11.833), Inches(7.05), Inches(1.0), Inches(0.35), [number],
                 Style(10, colour=MUTED_COLOUR, align=PP_ALIGN.RIGHT))  # fmt: skip
    if info.demo_label:
        add_text_box(slide, Inches(10.333), Inches(0.3), Inches(2.5), Inches(0.4), [info.demo_label],
                     Style(14, bold=True, colour=ACCENT, align=PP_ALIGN.RIGHT))  # fmt: skip
    return slide


def _fill(shape, colour: str) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))
    shape.line.fill.background()


def status_chip(slide, left, top, width, height, text: str, status: str, size: float = 14) -> None:
    """A rounded label in the status colour, carrying the status word itself."""
    chip = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, height)
    _fill(chip, STATUS_COLOURS[status])
    colour = STATUS_TEXT_COLOURS[status].lstrip("#")
    write_lines(chip.text_frame, [text], Style(size, bold=True, colour=colour, align=PP_ALIGN.CENTER),
                anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip


# --- tables and the facts behind them ---------------------------------------------------------------------------

BOARD_HEADER = ["章", "措施", "状态", "关键数字", "较上年", "报送情况"]
# One line per measure at 11 pt: 关键数字 carries the metric name ("会费收缴率 97.1%"), 报送情况 its policy sentence.
BOARD_WIDTHS = [0.45, 3.2, 0.85, 3.2, 0.95, 2.65]


def board_table(slide, board: Board, left, top, width, height) -> None:
    """The eighteen measures in the notice's order: chapter, measure, status (its colour and word), key figure,
    the trend against last year and whether the measure's returns are complete."""
    rows = [
        [
            Cell(chapter.number, align=PP_ALIGN.CENTER),
            Cell(f"第{tile.measure.number}条　{tile.measure.short_name}"),
            status_cell(tile.status),
            Cell(tile.key_figure or tile.metric_text, align=PP_ALIGN.CENTER),
            Cell(tile.trend or "—", align=PP_ALIGN.CENTER),
            Cell(tile.incomplete or "齐全"),
        ]
        for chapter, tiles in board.chapters
        for tile in tiles
    ]
    add_table(
        slide, left, top, width, BOARD_HEADER, rows, BOARD_WIDTHS, size=11, row_height=int(height / (len(rows) + 1))
    )


LAGGARD_ROWS = 12  # more would not fit the slide; the rest are counted under the table


def laggard_table(slide, laggards: Sequence[Laggard], left, top, width, height) -> None:
    shown = list(laggards[:LAGGARD_ROWS])
    rows = [
        [Cell(lag.unit_name), status_cell(lag.status), Cell(lag.value_text, align=PP_ALIGN.CENTER)] for lag in shown
    ]
    row_height = min(Inches(0.4), int((height - Inches(0.5)) / (len(rows) + 1)))
    add_table(slide, left, top, width, ["单位", "状态", "数字"], rows, [2.0, 1.0, 2.2], size=13, row_height=row_height)
    if len(laggards) > len(shown):
        below = top + row_height * (len(rows) + 1) + Inches(0.1)
        add_text_box(slide, left, below, width, Inches(0.4), [f"另有{len(laggards) - len(shown)}个单位，见措施详情页。"],
                     Style(12, colour=MUTED_COLOUR))  # fmt: skip


SUBMISSION_ROWS = 10


def submission_table(slide, rows, left, top, width, height) -> None:
    shown = [
        [Cell(unit), Cell(kind), Cell(word, bold=True), Cell(note)] for unit, kind, word, note in rows[:SUBMISSION_ROWS]
    ]
    row_height = min(Inches(0.4), int(height / (SUBMISSION_ROWS + 2)))
    add_table(
        slide,
        left,
        top,
        width,
        ["单位", "报表", "情况", "说明"],
        shown,
        [2.4, 3.2, 1.6, 5.0],
        size=13,
        row_height=row_height,
    )
    if len(rows) > len(shown):
        below = top + row_height * (len(shown) + 1) + Inches(0.1)
        add_text_box(slide, left, below, width, Inches(0.4), [f"另有{len(rows) - len(shown)}项，见报送情况页面。"],
                     Style(12, colour=MUTED_COLOUR))  # fmt: skip


# --- the slides -------------------------------------------------------------------------------------------------


def _title_slide(prs, book: StatusBook, info: DeckInfo) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(2.2), SLIDE_WIDTH, Inches(2.2))
    _fill(band, ACCENT)
    add_text_box(slide, LEFT, Inches(2.35), CONTENT_WIDTH, Inches(1.1), [DECK_TITLE],
                 Style(44, bold=True, colour="FFFFFF", align=PP_ALIGN.CENTER), anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
    add_text_box(slide, LEFT, Inches(3.45), CONTENT_WIDTH, Inches(0.8), [f"{info.year}年度"],
                 Style(28, colour="FFFFFF", align=PP_ALIGN.CENTER), anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
    lines = [
        "陕西省总工会《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）",
        f"数据截至{info.data_date}　{info.summary.version_text}",
    ]
    add_text_box(slide, LEFT, Inches(4.8), CONTENT_WIDTH, Inches(1.0), lines,
                 Style(18, colour=MUTED_COLOUR, align=PP_ALIGN.CENTER), space_after=6)  # fmt: skip
    if info.demo_label:
        note = f"{info.demo_label}本演示文稿由演示数据生成，不反映任何单位的真实情况"
        add_text_box(slide, LEFT, Inches(5.9), CONTENT_WIDTH, Inches(0.6), [note],
                     Style(20, bold=True, colour=ACCENT, align=PP_ALIGN.CENTER))  # fmt: skip


def _board_slide(prs, book: StatusBook, info: DeckInfo) -> None:
    board = measure_board(book, info.year)
    slide = _new_slide(prs, info, f"十八条措施落实情况总览　{info.year}年度")
    width = Inches(1.7)
    for index, (status, count) in enumerate(board.counts.items()):
        status_chip(slide, LEFT + index * (width + Inches(0.2)), CONTENT_TOP, width, Inches(0.4),
                    f"{status} {count}项", status)  # fmt: skip
    board_table(slide, board, LEFT, CONTENT_TOP + Inches(0.55), CONTENT_WIDTH,
                            CONTENT_BOTTOM - CONTENT_TOP - Inches(0.55))  # fmt: skip


CHIP_HEIGHT = Inches(0.62)  # two lines of 12-point text: a measure's name, status and key figure
IMAGE_WEIGHT = 2.0  # an image slot is wider than a native chart's: its text cannot reflow
CROWDED_WEIGHT = 1.2  # a chart of many units (20 inspected units) gets more room than one of few


def _family_slide(prs, con, book: StatusBook, info: DeckInfo, screen: FamilyScreen, figures: Sequence[Figure]):
    slide = _new_slide(prs, info, f"{screen.name}（第{screen.measures_text}条）　{info.year}年度")
    gap = Inches(0.2)
    chip_width = (CONTENT_WIDTH - gap * (len(screen.tiles) - 1)) / len(screen.tiles)
    for index, tile in enumerate(screen.tiles):
        left = LEFT + index * (chip_width + gap)
        status_chip(slide, left, CONTENT_TOP, chip_width, CHIP_HEIGHT, _tile_text(tile), tile.status, size=12)
    top = CONTENT_TOP + CHIP_HEIGHT + Inches(0.12)
    shown = {figure.key: figure_frame(figure, con, book, info.year) for figure in figures}
    notes = [note for figure in figures if (note := _round_note(figure, shown[figure.key], info.year))][:1]
    if notes:
        add_text_box(slide, LEFT, top, CONTENT_WIDTH, Inches(0.35), notes, Style(12, colour=MUTED_COLOUR))
        top += Inches(0.35)
    weights = [_weight(figure, shown[figure.key]) for figure in figures]
    unit = (CONTENT_WIDTH - gap * (len(figures) - 1)) / sum(weights)
    left = LEFT
    for figure, weight in zip(figures, weights, strict=True):
        width = Emu(int(unit * weight))
        _place_figure(slide, con, book, info, figure, shown[figure.key], left, top, width, CONTENT_BOTTOM - top)
        left += width + gap


def _weight(figure: Figure, shown: FigureFrame) -> float:
    if figure.native is None:
        return IMAGE_WEIGHT
    crowded = shown.has_data and shown.frame["year"].eq(shown.shown_year).sum() > deck_charts.CROWDED
    return CROWDED_WEIGHT if figure.span == ONE_YEAR and crowded else 1.0


def _tile_text(tile: Tile) -> str:
    # A figure never stands bare: "会费收缴率 95.6%", as on the tiles; words ("尚未召开") need no name.
    shown = tile.key_figure or tile.metric_text
    figure = f" {shown}" if shown not in ("", "—") else ""
    return f"第{tile.measure.number}条 {tile.measure.short_name}：{tile.status}{figure}"


def _round_note(figure: Figure, shown: FigureFrame, year: int) -> str:
    """Which inspection round the 第9条 charts show when the year held none (a round every two years)."""
    if figure.section != SPECIAL_INSPECTIONS:
        return ""
    if not shown.has_data:
        return f"截至{year}年度尚未开展第9条专项督查，暂无督查结果。"
    if shown.shown_year != year:
        return f"{year}年度没有开展专项督查（每2年一轮），第9条图表为最近一轮：{shown.shown_year}年专项督查的结果。"
    return ""


def _place_figure(slide, con, book, info: DeckInfo, figure: Figure, shown: FigureFrame, left, top, width, height):
    if not shown.has_data:
        text = f"{info.year}年度暂无{figure.measures_text}（{figure.title}）的数据。"
        add_text_box(slide, left, top + Inches(0.3), width, Inches(1.0), [text], Style(14, colour=MUTED_COLOUR),
                     anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
        return
    if figure.native is None:
        _place_image(slide, con, book, info, figure, shown, left, top, width, height)
        return
    native = deck_charts.native_chart(figure, shown.frame, book, shown.shown_year)
    deck_charts.add_native_chart(slide, left, top, width, height, native)


IMAGE_PIXELS_PER_INCH = 112  # layout pixels per slide inch: the builders' 13-pixel text shows at about 8 points


def _place_image(slide, con, book: StatusBook, info: DeckInfo, figure: Figure, shown: FigureFrame, left, top, width,
                 height) -> None:  # fmt: skip
    """A figure python-pptx cannot draw natively, as a PNG from exports.images laid out at its slot's own size:
    at the images' default 1000-pixel width, shrunk into a third of a slide, its text would be about 5 points.
    The slide's footer names the source, date and version, so the image's own footer line is left out."""
    fig = document_figure(figure, shown, book, info.year, demo=bool(info.demo_label), data_date=info.data_date,
                          version=info.summary.version_text)  # fmt: skip
    footer = footer_text(demo=bool(info.demo_label), data_date=info.data_date, version=info.summary.version_text)
    fig.layout.annotations = [a for a in fig.layout.annotations if a.text != footer]
    fig.update_layout(margin_b=fig.layout.margin.b - FOOTER_ROOM)
    # Name every row: at a slot's height plotly would otherwise label only every other inspected unit.
    fig.update_yaxes(
        tickmode="array", tickvals=[v for trace in fig.data for v in (trace.y if trace.y is not None else ())]
    )
    pixels_wide, pixels_high = (int(Emu(side).inches * IMAGE_PIXELS_PER_INCH) for side in (width, height))
    png = render(fig, "png", width=pixels_wide, height=pixels_high, scale=2)
    slide.shapes.add_picture(io.BytesIO(png), left, top, width, height)


def _measure_slide(prs, book: StatusBook, info: DeckInfo, tile: Tile) -> None:
    detail = measure_detail(book, tile.measure.number, info.year)
    slide = _new_slide(prs, info, f"第{tile.measure.number}条　{tile.measure.short_name}")
    status_chip(slide, LEFT, CONTENT_TOP, Inches(2.6), Inches(0.5), f"{info.year}年度：{tile.status}", tile.status, 18)
    if tile.trend:
        add_text_box(slide, LEFT + Inches(2.8), CONTENT_TOP, Inches(3), Inches(0.5), [tile.trend],
                     Style(16, colour=MUTED_COLOUR), anchor=MSO_ANCHOR.MIDDLE)  # fmt: skip
    e = detail.overall.explanation
    body = Style(16)
    lines: list = [[(e.summary, Style(20, bold=True))]]
    lines += [label_line(FORMULA, e.formula or "—", body), label_line(THRESHOLD, e.threshold or "—", body)]
    lines.append(label_line(RULE, e.rule or "—", body))
    if e.note:
        lines.append(label_line(NOTE, e.note, body))
    if e.missing_units:
        lines.append(label_line(f"{MISSING}（{len(e.missing_units)}个）", "、".join(e.missing_units), body))
    text_width = Inches(7.2) if e.laggards else CONTENT_WIDTH
    top = CONTENT_TOP + Inches(0.7)
    add_text_box(slide, LEFT, top, text_width, CONTENT_BOTTOM - top - HISTORY_HEIGHT, lines, body, space_after=10)
    _history_row(slide, detail.history, LEFT, CONTENT_BOTTOM - HISTORY_HEIGHT + Inches(0.1))
    if e.laggards:
        left = LEFT + Inches(7.5)
        add_text_box(slide, left, top, Inches(4.83), Inches(0.4), [LAGGARDS], Style(16, bold=True))
        laggard_table(slide, e.laggards, left, top + Inches(0.45), Inches(4.83), CONTENT_BOTTOM - top)


HISTORY_HEIGHT = Inches(0.9)


def _history_row(slide, history, left, top) -> None:
    """历年状态: the measure's overall status in every year, a chip per year, as the measure-detail page shows."""
    add_text_box(
        slide, left, top, Inches(1.3), Inches(0.5), ["历年状态"], Style(16, bold=True), anchor=MSO_ANCHOR.MIDDLE
    )
    for index, status in enumerate(history):
        chip_left = left + Inches(1.4) + index * Inches(1.75)
        status_chip(
            slide, chip_left, top, Inches(1.6), Inches(0.5), f"{status.year}年 {status.status}", status.status, 13
        )


def _submission_slide(prs, info: DeckInfo, status: SubmissionState) -> None:
    slide = _new_slide(prs, info, f"{info.year}年度报表报送情况")
    add_text_box(slide, LEFT, CONTENT_TOP, CONTENT_WIDTH, Inches(1.5), [s.text + "。" for s in status.summaries],
                 Style(15), space_after=4)  # fmt: skip
    top = CONTENT_TOP + Inches(1.6)
    if status.rows:
        submission_table(slide, status.rows, LEFT, top, CONTENT_WIDTH, CONTENT_BOTTOM - top)
    else:
        add_text_box(slide, LEFT, top, CONTENT_WIDTH, Inches(0.5), ["各单位均已按时报送。"], Style(16, bold=True))


def _closing_slide(prs, book: StatusBook, info: DeckInfo, status: SubmissionState, since=None) -> None:
    slide = _new_slide(prs, info, "数据说明")
    body = Style(16)
    latest = info.summary.latest_accepted_at
    lines = [
        label_line(
            "数据截至", f"{info.data_date}" + (f" {latest:%H:%M}（最近一次接收报表的时间）" if latest else ""), body
        ),
        label_line("数据版本", info.summary.version_text.removeprefix("数据版本："), body),
        label_line("未报送单位", "、".join(status.missing_names) or "无", body),
        label_line("逾期报送单位", "、".join(status.late_names) or "无", body),
        label_line("估计数", _estimates_text(len(estimated_figures(book, info.year))), body),
        label_line(
            "判定依据", "各条措施的状态按《十八条措施》指标目录中的规则和阈值判定，计算过程见各措施详情页。", body
        ),
    ]
    if since is not None:
        meeting = since[0]
        then = deck_changes.version_words(meeting.version_text)
        lines.insert(2, label_line("对比的会议版", f"{meeting.label}，数据{then}", body))
    if info.demo_label:
        lines.insert(0, [(f"{info.demo_label}本演示文稿中的全部数字均为演示数据，不反映任何单位的真实情况。",
                          Style(16, bold=True, colour=ACCENT))])  # fmt: skip
    add_text_box(slide, LEFT, CONTENT_TOP, CONTENT_WIDTH, CONTENT_BOTTOM - CONTENT_TOP, lines, body, space_after=12)


def _estimates_text(count: int) -> str:
    if not count:
        return "本年度当前数据中没有按估计数读入的数字。"
    return f"本年度当前数据中有{count}处按估计数读入（如“约120”按 120 读入），请填报单位核实。"


def flagged_tiles(book: StatusBook, year: int) -> list[Tile]:
    """The measures that are 未达标 or 预警 this year, worst first, then in the notice's order."""
    tiles = [t for t in measure_board(book, year).tiles if t.status in (OFF_TRACK, AT_RISK)]
    return sorted(tiles, key=lambda t: (SEVERITY[t.status], t.measure.number))


def _since_slide(prs, book: StatusBook, info: DeckInfo, since: deck_changes.Since) -> None:
    slide = _new_slide(prs, info, deck_changes.slide_title(since[0]))
    deck_changes.fill_slide(slide, LEFT, CONTENT_TOP, CONTENT_WIDTH, CONTENT_BOTTOM - CONTENT_TOP, since,
                            book.catalog, info.summary.version_text)  # fmt: skip


def build_deck(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    *,
    demo: bool,
    families: Sequence[str] | None = None,
    since: deck_changes.Since | None = None,
) -> bytes:
    """The deck for a year as .pptx bytes. ``families``: the chart families to show (default: every catalog
    family with figures in the registry). ``since``: exports.changes.since_meeting(...)'s (meeting, changes), for
    a 会议以来变化 slide before the submission status. Demo data is labelled whenever ``demo`` is set or the
    warehouse says so."""
    summary = warehouse_summary(con)
    demo_label = f"【{book.catalog.reporting.demo_label}】" if demo or summary.is_demo else ""
    info = DeckInfo(year, demo_label, data_date_text(summary), summary)
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    _title_slide(prs, book, info)
    _board_slide(prs, book, info)
    charted = {figure.family for figure in FIGURES}
    wanted = [
        code for code in book.catalog.chart_families if code in charted and (families is None or code in families)
    ]
    screens = {screen.code: screen for screen in family_screens(book, year)}
    for code in wanted:
        _family_slide(prs, con, book, info, screens[code], of_family(code))
    for tile in flagged_tiles(book, year):
        _measure_slide(prs, book, info, tile)
    if since is not None:
        _since_slide(prs, book, info, since)
    status = submission_state(con, book, year)
    _submission_slide(prs, info, status)
    _closing_slide(prs, book, info, status, since)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
