"""The data workbook (数据工作簿): the board of eighteen measures, the per-unit figures behind every chart of the figure
registry (one sheet each) and the submission tracker, as one .xlsx for staff who rework the numbers themselves.

Cells are typed: numbers are numbers with a format (rates as percentages, amounts in 万元, counts, scores), times
are dates, and text is always stored as text, so nothing can become a live formula. Every text cell is also
neutralised (pipeline.spreadsheet_text): file names, contact names and phone numbers come from submitters, unit
names and meeting names from the people who keep the registry and the meetings, and staff copy these cells into
other sheets and CSV files, where a leading = would come alive. Every sheet says which data version it was built from, and demo data is
labelled 【演示数据】. This module does not import streamlit.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.figures import FIGURES, SPECIAL_INSPECTIONS, Figure
from pipeline.spreadsheet_text import neutralise_formula
from pipeline.status.model import EXPLANATION_LABELS, Explanation
from queries.board import MISSING_COLUMN, StatusBook, measure_board

# The CSV downloads' own headings (queries.profile), so that the CSV and the workbook never disagree.
from queries.profile import (
    COMMON_COLUMNS,
    UNIT_TYPE_NAMES,
    chart_years,
    column_heading,
    latest_round_year,
    with_reasons,
    years_up_to,
)
from queries.submissions import return_label, tracker_table
from queries.warehouse import warehouse_summary

DEMO_LABEL = "【演示数据】"
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3  # every table sheet: title, data version, headings, then the rows
PERCENT, WAN_YUAN, COUNT, SCORE, RATIO = "0.0%", "#,##0.00", "#,##0", "0.0", "0.00"
DATE_TIME, DATE, WHOLE = "yyyy-mm-dd hh:mm", "yyyy-mm-dd", "0"  # WHOLE: a year or a number, no separator
TEXT = "@"
BOARD_SHEET, TRACKER_SHEET, ABOUT_SHEET = "十八条落实状态", "报送情况", "说明"
_HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    heading: str
    number_format: str | None = None  # None: general (text, or a number without a fixed format)
    user_text: bool = False  # typed by a submitter (every text cell is neutralised; this marks the typed columns)
    width: int = 14


def _plain(value: object) -> object:
    """A pandas/numpy value as what openpyxl writes: None for missing, Python numbers and datetimes."""
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _text_cell(ws: Worksheet, row: int, col: int, text: str):
    """A cell holding text as text, whatever it starts with."""
    cell = ws.cell(row, col, neutralise_formula(text))
    cell.data_type = "s"
    return cell


def _put(ws: Worksheet, row: int, col: int, value: object, column: Column) -> None:
    value = neutralise_formula(_plain(value))
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is text: openpyxl would store "=…" as a formula
        cell.number_format = TEXT
    elif column.number_format and value is not None:
        cell.number_format = column.number_format
    cell.alignment = Alignment(vertical="center", wrap_text=isinstance(value, str) and len(value) > column.width)


def write_table(ws: Worksheet, title: str, note: str, columns: list[Column], rows: Iterable[Iterable[object]]) -> None:
    """A titled table: the title, the data-version note, bold headings, typed rows; frozen headings, a filter."""
    _text_cell(ws, TITLE_ROW, 1, title).font = Font(bold=True, size=14)
    _text_cell(ws, NOTE_ROW, 1, note).font = Font(color="FF616161")
    for col, column in enumerate(columns, 1):
        cell = _text_cell(ws, HEADER_ROW, col, column.heading)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = column.width
    ws.row_dimensions[HEADER_ROW].height = 36  # two lines: long headings wrap
    last = HEADER_ROW
    for last, values in enumerate(rows, HEADER_ROW + 1):
        for col, (column, value) in enumerate(zip(columns, values, strict=True), 1):
            _put(ws, last, col, value, column)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{max(last, HEADER_ROW + 1)}"
    _print_wide(ws)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _print_wide(ws: Worksheet) -> None:
    """Printed landscape, one page wide and as many pages tall as needed."""
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


# --- the board ------------------------------------------------------------------------------------------------

_FRACTION = re.compile(r"^\d+/(?P<of>\d+)")


def metric_format(metric_text: str) -> str | None:
    """The number format that shows a key figure as its text does: 97.3% → 0.0%, 1,310万元, 75.4分, 7/8, 1.12."""
    if metric_text.endswith("%"):
        return PERCENT
    if metric_text.endswith("万元"):
        return '#,##0.0"万元"'
    if metric_text.endswith("分"):
        return '0.0"分"'
    if fraction := _FRACTION.match(metric_text):
        return f'0"/{fraction["of"]}"'
    if re.fullmatch(r"-?[\d,]+\.\d+", metric_text):
        return RATIO
    return None


L = EXPLANATION_LABELS  # the same words as the measure page, the CLI and the documents
METRIC_VALUE = L["value_text"]
BOARD_COLUMNS = [
    Column("措施", WHOLE, width=6), Column("措施名称", width=28), Column("状态", width=8),
    Column("指标", width=24), Column(METRIC_VALUE, width=12), Column(f"{METRIC_VALUE}（文字）", width=14),
    Column("较上年", width=12), Column(L["summary"], width=48), Column(L["formula"], width=48),
    Column(L["threshold"], width=36), Column(L["rule"], width=48), Column(L["laggards"], width=28),
    Column(L["missing_units"], width=28), Column(L["note"], width=28),
]  # fmt: skip


def _laggards(e: Explanation) -> str:
    return "、".join(f"{lag.unit_name}（{lag.value_text}）" for lag in e.laggards)


def _board_rows(book: StatusBook, year: int) -> list[tuple[list[object], str | None]]:
    rows = []
    for tile in measure_board(book, year).tiles:
        result = book.result(tile.measure.number, year)
        overall = result.overall if result else None
        e = overall.explanation if overall else None
        number_format = metric_format(overall.metric_text) if overall else None
        rows.append((
            [tile.measure.number, tile.measure.short_name, tile.status, e.metric_name if e else "",
             overall.metric if number_format else None, tile.metric_text, tile.trend, tile.summary,
             e.formula if e else "", e.threshold if e else "", e.rule if e else tile.measure.rule.text,
             _laggards(e) if e else "", "、".join(e.missing_units) if e else "", tile.note],
            number_format,
        ))  # fmt: skip
    return rows


def _write_board(ws: Worksheet, book: StatusBook, year: int, heading: str, note: str) -> None:
    rows = _board_rows(book, year)
    write_table(ws, f"{heading}十八条措施落实状态", note, BOARD_COLUMNS, [values for values, _ in rows])
    metric_col = [c.heading for c in BOARD_COLUMNS].index(METRIC_VALUE) + 1
    for offset, (_, number_format) in enumerate(rows, HEADER_ROW + 1):
        cell = ws.cell(offset, metric_col)
        if number_format and cell.value is not None:  # each measure's key figure has its own kind of number
            cell.number_format = number_format


# --- one sheet per figure -------------------------------------------------------------------------------------


def _figure_column(spec: str, heading: str, percent: bool, dtype: object) -> Column:
    if percent:
        return Column(heading, PERCENT, width=12)
    if "万元" in heading:
        return Column(heading, WAN_YUAN, width=14)
    if spec == "year" or not pd.api.types.is_numeric_dtype(dtype):
        return Column(heading, WHOLE if spec == "year" else None, width=10 if spec == "year" else 18)
    if "分" in heading:
        return Column(heading, SCORE, width=12)
    if pd.api.types.is_integer_dtype(dtype):
        return Column(heading, COUNT, width=12)
    return Column(heading, RATIO, width=12)


def figure_frame(
    con: duckdb.DuckDBPyConnection, book: StatusBook, figure: Figure, year: int
) -> tuple[pd.DataFrame, str]:
    """The figure's series for the years it shows, and a remark for the title. Special inspections are held every
    two years: as on the 督查结果 page, their figures are the latest round held up to the year."""
    reference = {"catalog": book.catalog, "registry": book.registry}  # the book's, saved settings included
    if figure.section != SPECIAL_INSPECTIONS:
        return figure.series(con, years=chart_years(figure.span, book.years, year), **reference), ""
    rounds = figure.series(con, years=years_up_to(book.years, year), **reference)
    round_year = latest_round_year(rounds)
    if round_year is None:
        return rounds, f"截至{year}年度尚未开展专项督查"
    remark = "" if round_year == year else f"{year}年度未开展专项督查，以下为最近一轮：{round_year}年"
    return rounds[rounds["year"] == round_year].reset_index(drop=True), remark


def figure_table(
    con: duckdb.DuckDBPyConnection, book: StatusBook, figure: Figure, year: int
) -> tuple[list[Column], pd.DataFrame, str]:
    """The figure's rows with the engine's statuses, its CSV headings and typed columns, and the title's remark."""
    frame, remark = figure_frame(con, book, figure, year)
    frame = figure.with_statuses(book, frame)  # the engine's verdict on each row, as the chart's colours and the CSV
    if MISSING_COLUMN in frame.columns:
        # Every unit the measure judges has its row, as on the chart and in the CSV: one without figures reads the
        # reason (未报送 / 未督查) in its empty figure cells, beside the engine's status.
        words = frame[MISSING_COLUMN].fillna("").astype(str)
        frame = with_reasons(frame.drop(columns=MISSING_COLUMN), words).reset_index(drop=True)
    specs = {**COMMON_COLUMNS, **figure.csv_columns}
    columns = []
    for name in frame.columns:
        spec = specs.get(name, name)
        heading, percent = column_heading(spec, book.catalog)
        columns.append(_figure_column(name, heading, percent, frame[name].dtype))
    if "unit_type" in frame.columns:
        frame = frame.assign(unit_type=frame["unit_type"].map(lambda t: UNIT_TYPE_NAMES.get(t, t)))
    return columns, frame, remark


def sheet_name(figure: Figure) -> str:
    """第3条 专题会议覆盖率 (Excel allows 31 characters and no []:*?/\\)."""
    return _SHEET_NAME_FORBIDDEN.sub("_", f"{figure.measures_text} {figure.title}")[:31]


# --- the submission tracker -----------------------------------------------------------------------------------

TRACKER_COLUMNS = [
    Column("报表", width=26), Column("单位", width=20), Column("情况", width=14),
    Column("当前版本文件", user_text=True, width=30), Column("接收时间", DATE_TIME, width=17),
    Column("填报日期", DATE, width=12), Column("填报人", user_text=True, width=12),
    Column("联系电话", user_text=True, width=16), Column("首次接收时间", DATE_TIME, width=17),
    Column("已被替代的版本", user_text=True, width=30), Column("被退回的文件", user_text=True, width=30),
]  # fmt: skip


def tracker_rows(con: duckdb.DuckDBPyConnection, book: StatusBook, year: int) -> list[list[object]]:
    rows = []
    for code in book.catalog.returns:
        table = tracker_table(con, year, code, book.registry, book.catalog)
        for r in table.itertuples(index=False):
            rows.append([
                return_label(book.catalog, code), r.unit_name, r.status_word, r.file_name, r.received_at,
                r.filled_on, r.submitter, r.phone, r.first_received_at, r.superseded_text, r.rejected_text,
            ])  # fmt: skip
    return rows


# --- the workbook ---------------------------------------------------------------------------------------------


def _about(ws: Worksheet, heading: str, lines: list[tuple[str, str]]) -> None:
    _text_cell(ws, 1, 1, heading).font = Font(bold=True, size=14)
    for row, (label, text) in enumerate(lines, 3):
        _text_cell(ws, row, 1, label).font = Font(bold=True)
        _text_cell(ws, row, 2, text)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 34, 90
    _print_wide(ws)


def build_data_workbook(
    con: duckdb.DuckDBPyConnection, book: StatusBook, year: int, *, demo: bool, source_label: str = ""
) -> bytes:
    """The data workbook for a year as .xlsx bytes. ``source_label`` names a meeting version (会议版“…”) when the
    data are a frozen version rather than the live warehouse."""
    version = warehouse_summary(con).version_text
    heading = f"{DEMO_LABEL if demo else ''}{year}年度"
    note = "；".join(part for part in (source_label, version) if part)
    wb = Workbook()
    about = wb.active
    about.title = ABOUT_SHEET
    sheets = [(BOARD_SHEET, "十八条措施的落实状态、关键数值、计算过程与判定标准（与看板一致）")]
    _write_board(wb.create_sheet(BOARD_SHEET), book, year, heading, note)
    for figure in FIGURES:
        columns, frame, remark = figure_table(con, book, figure, year)
        name = sheet_name(figure)
        title = f"{heading}{figure.measures_text} {figure.title}（{remark or '各单位数据'}）"
        write_table(wb.create_sheet(name), title, note, columns, frame.itertuples(index=False))
        sheets.append((name, f"图表“{figure.title}”的数据，服务{figure.measures_text}"))
    write_table(
        wb.create_sheet(TRACKER_SHEET), f"{heading}报送情况", note, TRACKER_COLUMNS, tracker_rows(con, book, year)
    )
    sheets.append((TRACKER_SHEET, "各类报表的应报单位、报送情况、接收时间与联系人"))
    lines = [
        ("数据", "演示数据（系统生成，非真实报表）" if demo else "各单位报送的报表"),
        ("数据版本", version),
        *([("版本", source_label)] if source_label else []),
        (
            "文本单元格",
            "文字（单位名称、填报单位填写的内容等）如以 = + - @ 开头，前面加了英文单引号，以免被当作公式执行",
        ),
        *sheets,
    ]
    _about(about, f"{heading}十八条落实看板数据", lines)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def data_workbook_filename(year: int, *, demo: bool, meeting: str = "") -> str:
    """演示数据_2025年度十八条落实数据（会议版_名称）.xlsx"""
    stem = f"{'演示数据_' if demo else ''}{year}年度十八条落实数据"
    return f"{stem}（会议版_{meeting}）.xlsx" if meeting else f"{stem}.xlsx"
