"""Where the tables of a filled template sit, and the few sheet edits a user makes by hand."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.catalog import Catalog
from pipeline.template_layout import TemplateLayout


@dataclass(frozen=True)
class ListGeometry:
    """An indicator-list table: its sheet, header row, data rows and column letters by role."""

    sheet: str
    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, str]  # seq | label | unit | value | remark -> column letter


def row_of(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit()))


def col_of(ref: str) -> str:
    return "".join(ch for ch in ref if ch.isalpha())


def indicator_list(wb: Workbook, layout: TemplateLayout, catalog: Catalog) -> ListGeometry | None:
    """The first indicator-list table of the return, found through the layout's value cells."""
    if not layout.value_cells:
        return None
    refs = list(layout.value_cells.values())
    sheet = refs[0].sheet
    rows = [row_of(r.cell) for r in refs if r.sheet == sheet]
    header_row = min(rows) - 1
    names = {spec.name: key for key, spec in catalog.indicator_list_columns.items()}
    columns = {}
    for cell in wb[sheet][header_row]:
        if cell.value in names:
            columns[names[cell.value]] = cell.column_letter
    return ListGeometry(sheet, header_row, min(rows), max(rows), columns)


def unprotect(ws: Worksheet) -> None:
    """What a user does before moving things around on a protected template sheet."""
    ws.protection.sheet = False


def swap_columns(ws: Worksheet, first: str, second: str, rows: range) -> None:
    """Exchange two columns' values and styles over the given rows (header included by the caller)."""
    for row in rows:
        a, b = ws[f"{first}{row}"], ws[f"{second}{row}"]
        a_value, a_style = a.value, copy(a._style)
        a.value, a._style = b.value, copy(b._style)
        b.value, b._style = a_value, a_style
    width_a = ws.column_dimensions[first].width
    ws.column_dimensions[first].width = ws.column_dimensions[second].width
    ws.column_dimensions[second].width = width_a


def last_column(ws: Worksheet, header_row: int) -> str:
    used = [c.column for c in ws[header_row] if c.value not in (None, "")]
    return get_column_letter(max(used))
