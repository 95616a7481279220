"""The old .xls format: a clean return saved again with xlwt, cell values only, the same sheet names.

Some offices still send .xls; the copy lets the reader be tested on it against the very values of its .xlsx twin.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import xlwt
from openpyxl import Workbook

HIDDEN = 1  # xlwt's BOUNDSHEET visibility for a hidden sheet


def xls_bytes(wb: Workbook) -> bytes:
    """Every sheet's values (dates with a date format so readers see dates, not serial numbers)."""
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for ws in wb.worksheets:
        sheet = book.add_sheet(ws.title)
        if ws.sheet_state != "visible":
            sheet.visibility = HIDDEN
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None:
                    continue
                if isinstance(value, (datetime, date)):
                    sheet.write(cell.row - 1, cell.column - 1, value, date_style)
                else:
                    sheet.write(cell.row - 1, cell.column - 1, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
