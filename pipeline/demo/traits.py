"""Apply a file's planned traits in a fixed order, and find the formulas they wrote for the byte-level pass."""

from __future__ import annotations

from openpyxl import Workbook

from pipeline.demo.messy import CELL_TRAITS, TraitContext
from pipeline.demo.messy_sheets import SHEET_TRAITS


def apply_traits(wb: Workbook, ctx: TraitContext, traits: tuple[str, ...]) -> None:
    """Apply the traits in a fixed order: cell-level ones first, while the layout still holds."""
    order = [*CELL_TRAITS, *SHEET_TRAITS]
    unknown = set(traits) - set(order) - {"xls_copy"}
    if unknown:
        raise ValueError(f"未知的特征：{'、'.join(sorted(unknown))}")
    for name in order:
        if name in traits:
            (CELL_TRAITS.get(name) or SHEET_TRAITS[name])(wb, ctx)


def formula_cells(wb: Workbook, formula_values: dict[str, str]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> cached value for every formula a trait wrote, wherever later traits moved it."""
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in formula_values:
                    found[(ws.title, cell.coordinate)] = formula_values[cell.value]
    return found
