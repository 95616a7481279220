"""The 催报名单 as an Excel workbook the analyst can print or forward: a title row, a header row, one row per
unit and return to chase (columns of queries.submissions.CHASE_COLUMNS)."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from pipeline.spreadsheet_text import neutralise_formula
from queries.submissions import CHASE_COLUMNS

SHEET_TITLE = "催报名单"
HEADER_ROW = 2  # row 1 is the title
WIDTHS = {
    "单位": 22,
    "报表": 26,
    "情况": 20,
    "最近一次报送的填报人": 14,
    "联系电话": 16,
    "最近报送时间": 18,
    "备注": 60,
}
DEMO_LABEL = "演示数据"
_THIN = Side(style="thin", color="FF9E9E9E")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def chase_list_title(year: int, *, demo: bool, generated_at: datetime) -> str:
    """2025年度催报名单（生成时间 2026-11-25 10:40）, with 【演示数据】 in front when the data are demo data."""
    title = f"{year}年度催报名单（生成时间 {generated_at:%Y-%m-%d %H:%M}）"
    return f"【{DEMO_LABEL}】{title}" if demo else title


def chase_list_filename(year: int, *, demo: bool) -> str:
    return f"{DEMO_LABEL}_{year}年度催报名单.xlsx" if demo else f"{year}年度催报名单.xlsx"


def _cell_value(value: object) -> object:
    # openpyxl cannot write pandas' missing markers; an empty cell is what the reader expects.
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    # Contact names and phone numbers are what submitters typed: never a live formula here.
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else neutralise_formula(value)


def _write_title(ws, title: str) -> None:
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(CHASE_COLUMNS))
    ws.row_dimensions[1].height = 28


def _write_header(ws) -> None:
    fill = PatternFill("solid", fgColor="FFD9E1F2")
    for col, name in enumerate(CHASE_COLUMNS, 1):
        cell = ws.cell(HEADER_ROW, col, name)
        cell.font, cell.fill, cell.border = Font(bold=True), fill, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[name]


def _write_rows(ws, df: pd.DataFrame) -> None:
    for offset, record in enumerate(df[list(CHASE_COLUMNS)].itertuples(index=False), 1):
        for col, value in enumerate(record, 1):
            cell = ws.cell(HEADER_ROW + offset, col, _cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if CHASE_COLUMNS[col - 1] == "最近报送时间":
                cell.number_format = "yyyy-mm-dd hh:mm"
            if CHASE_COLUMNS[col - 1] == "联系电话":
                cell.number_format = "@"  # a phone number is text: keep leading zeros


def chase_list_xlsx(df: pd.DataFrame, year: int, *, demo: bool, generated_at: datetime | None = None) -> bytes:
    """The 催报名单 workbook as .xlsx bytes (an empty list still gets its title and header)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    _write_title(ws, chase_list_title(year, demo=demo, generated_at=generated_at or datetime.now()))
    _write_header(ws)
    _write_rows(ws, df)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    last_row = HEADER_ROW + max(len(df), 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(CHASE_COLUMNS))}{last_row}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # print one page wide, as many pages tall as needed
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
