"""Write the Excel template of each return type (R1..R4) for a reporting year, from the catalog.

The template is what analysts send to the reporting units. Every label, header and dropdown comes from the
catalog and the unit registry, so the reader can find tables by the very same header texts. Next to the
workbook the writer returns a TemplateLayout naming the cell of every field, which `fill_return` uses to
write a filled-in return (the demo generator relies on it).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from openpyxl import Workbook
from openpyxl.packaging.custom import IntProperty, StringProperty
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.catalog import Catalog, ReturnType, SheetLayout, Table
from pipeline.registry import Registry, Unit
from pipeline.template_layout import (
    CODES_SHEET,
    EARLIEST_DATE_FORMULA,
    INSTRUCTIONS_SHEET,
    CellRef,
    RecordsLayout,
    TemplateLayout,
    add_indicator_validation,
    add_validation,
    finish_sheet,
    row_height,
    style_body,
    style_header,
    style_input,
    style_title,
    write_instructions,
)

__all__ = [
    "TEMPLATE_VERSION",
    "CellRef",
    "RecordsLayout",
    "TemplateLayout",
    "build_template",
    "fill_return",
    "template_bytes",
    "template_filename",
    "write_template",
]

TEMPLATE_VERSION = "2021.1"
DASHBOARD_KEYWORD = "十八条落实看板"
# Rows prepared for a records table when the rows are not prefilled from the registry.
BLANK_RECORD_ROWS = {"county": 120, "inspected_unit": 30}
INDICATOR_LIST_KEYS = ("seq", "label", "unit", "value", "remark")
_V = TypeVar("_V")
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass
class _CodeLists:
    """Dropdown sources, collected while the data sheets are written and put on the hidden 代码表 at the end."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def formula(self, title: str, names: tuple[str, ...]) -> str:
        self.columns.setdefault(title, names)
        letter = get_column_letter(list(self.columns).index(title) + 1)
        return f"'{CODES_SHEET}'!${letter}$2:${letter}${len(self.columns[title]) + 1}"

    def write(self, ws: Worksheet) -> None:
        for index, (title, names) in enumerate(self.columns.items(), 1):
            style_header(ws.cell(1, index, title))
            for row, name in enumerate(names, 2):
                style_body(ws.cell(row, index, name))
            ws.column_dimensions[get_column_letter(index)].width = 26
        ws.sheet_state = "hidden"
        finish_sheet(ws, freeze=None, print_row=None)


@dataclass
class _Build:
    """Everything one template needs, plus the layout collected while its sheets are written."""

    catalog: Catalog
    registry: Registry
    return_type: ReturnType
    year: int
    unit: Unit | None
    code_lists: _CodeLists = field(default_factory=_CodeLists)
    header_cells: dict[str, CellRef] = field(default_factory=dict)
    year_cell: CellRef | None = None
    value_cells: dict[str, CellRef] = field(default_factory=dict)
    remark_cells: dict[str, CellRef] = field(default_factory=dict)
    records: dict[str, RecordsLayout] = field(default_factory=dict)

    def layout(self) -> TemplateLayout:
        assert self.year_cell is not None  # the first data sheet always carries the year
        return TemplateLayout(
            self.return_type.code,
            self.year,
            self.header_cells,
            self.year_cell,
            self.value_cells,
            self.remark_cells,
            self.records,
        )

    def unit_names(self, unit_types: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(u.name for u in self.registry.units if u.type in unit_types)


# -- public API ------------------------------------------------------------------------------------------------


def build_template(
    catalog: Catalog, registry: Registry, return_code: str, year: int, *, unit_code: str | None = None
) -> tuple[Workbook, TemplateLayout]:
    """The template workbook of one return type and year, and where each of its fields sits."""
    return_type = _return_type(catalog, return_code)
    _check_year(catalog, year)
    build = _Build(catalog, registry, return_type, year, _submitting_unit(registry, return_type, unit_code))
    wb = Workbook()
    wb.active.title = INSTRUCTIONS_SHEET
    for index, sheet in enumerate(return_type.sheets):
        _write_data_sheet(wb.create_sheet(sheet.name), build, sheet, with_meta=sheet.header_block or index == 0)
    prefilled = {
        t.code: len(keys)
        for t in catalog.tables_of_return(return_code)
        if (keys := _prefilled_keys(build, t)) is not None
    }
    write_instructions(
        wb[INSTRUCTIONS_SHEET], catalog, registry, return_type, year, version=TEMPLATE_VERSION, prefilled=prefilled
    )
    build.code_lists.write(wb.create_sheet(CODES_SHEET))
    _set_properties(wb, build)
    return wb, build.layout()


def write_template(
    path: Path, catalog: Catalog, registry: Registry, return_code: str, year: int, *, unit_code: str | None = None
) -> Path:
    """Save the template to `path`; when `path` is a directory, under template_filename() inside it."""
    wb, _ = build_template(catalog, registry, return_code, year, unit_code=unit_code)
    path = Path(path)
    if path.is_dir():
        unit_name = registry.get(unit_code).name if unit_code else None
        path = path / template_filename(catalog, return_code, year, unit_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def template_bytes(
    catalog: Catalog, registry: Registry, return_code: str, year: int, *, unit_code: str | None = None
) -> bytes:
    """The template as .xlsx bytes, for a download button."""
    wb, _ = build_template(catalog, registry, return_code, year, unit_code=unit_code)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_filename(catalog: Catalog, return_code: str, year: int, unit_name: str | None = None) -> str:
    """E.g. 2024年度_R1_市（区）总工会年度报表_模板.xlsx; a unit's copy carries its name before 模板."""
    parts = [f"{year}年度", return_code, _return_type(catalog, return_code).name]
    if unit_name:
        parts.append(_UNSAFE_FILENAME.sub("", unit_name))
    return "_".join([*parts, "模板"]) + ".xlsx"


def fill_return(
    wb: Workbook,
    layout: TemplateLayout,
    *,
    header: dict[str, object],
    values: dict[str, object],
    remarks: dict[str, str] | None = None,
    records: dict[str, list[dict[str, object]]] | None = None,
) -> None:
    """Write values as given into the cells the layout names.

    Records rows fill the prepared rows from the top; a row dict holds "key", indicator codes and "remark".
    A row without "key" keeps the prefilled key of its row.
    """
    for code, value in header.items():
        _set(wb, _lookup(layout.header_cells, code, "表头字段"), value)
    for code, value in values.items():
        _set(wb, _lookup(layout.value_cells, code, "指标"), value)
    for code, text in (remarks or {}).items():
        _set(wb, _lookup(layout.remark_cells, code, "指标说明"), text)
    for table_code, rows in (records or {}).items():
        _fill_records(wb[_lookup(layout.records, table_code, "明细表").sheet], layout.records[table_code], rows)


# -- checks on the arguments ---------------------------------------------------------------------------------------


def _return_type(catalog: Catalog, return_code: str) -> ReturnType:
    if return_code not in catalog.returns:
        raise ValueError(f"未知的报表类型“{return_code}”（可用：{'、'.join(catalog.returns)}）")
    return catalog.returns[return_code]


def _check_year(catalog: Catalog, year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError(f"报表年度应为整数年份（如2024），现为“{year}”")
    if year < catalog.reporting.first_year:
        raise ValueError(f"报表年度{year}年早于起始年度{catalog.reporting.first_year}年")


def _submitting_unit(registry: Registry, return_type: ReturnType, unit_code: str | None) -> Unit | None:
    if unit_code is None:
        return None
    unit = registry.get(unit_code)
    if unit.type != return_type.submitted_by:
        raise ValueError(f"{unit.label()} 不是{return_type.code}《{return_type.name}》的填报单位")
    return unit


# -- data sheets ------------------------------------------------------------------------------------------------------


def _write_data_sheet(ws: Worksheet, build: _Build, sheet: SheetLayout, *, with_meta: bool) -> None:
    tables = [build.catalog.tables[code] for code in sheet.tables]
    width = max(_column_count(build.catalog, table) for table in tables)
    # Header labels go in the widest text column: 指标名称 of a list table, the key column of a records table.
    label_col = 2 if tables[0].kind == "indicator_list" else 1
    name = build.return_type.name
    title = f"{build.year}年度{name}" if sheet.header_block else f"{build.year}年度{name} — {sheet.name}"
    if _has_no_records(build, tables):
        title += "（本单位无下辖县（区），本表无需填写）"
    style_title(ws, 1, title, width, size=18 if sheet.header_block else 14)
    row = 2
    if with_meta:
        row = _write_meta_row(ws, build, row, label_col)
    if sheet.header_block:
        row = _write_header_block(ws, build, row, label_col)
    row += 1  # a blank row before the first table
    first_header_row, freeze = None, None
    for table in tables:
        if table.kind == "indicator_list":
            header_row, row = _write_indicator_list(ws, build, table, row)
        else:
            header_row, row = _write_records(ws, build, table, row)
        if first_header_row is None:
            first_header_row = header_row
            freeze = f"{'A' if table.kind == 'indicator_list' else 'B'}{header_row + 1}"
        row += 1
    finish_sheet(ws, freeze=freeze, print_row=first_header_row)


def _column_count(catalog: Catalog, table: Table) -> int:
    if table.kind == "indicator_list":
        return len(INDICATOR_LIST_KEYS)
    return len(catalog.indicators_of_table(table.code)) + 2  # key and 说明


def _write_meta_row(ws: Worksheet, build: _Build, row: int, label_col: int) -> int:
    style_body(ws.cell(row, 1, f"表号：{build.return_type.code}"), bold=True, wrap=False)
    if label_col > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_col)
    style_body(ws.cell(row, label_col + 1, "报表年度"), bold=True, align="right", wrap=False)
    year_cell = ws.cell(row, label_col + 2, build.year)
    style_body(year_cell, bold=True, align="center")
    year_cell.number_format = "0"
    style_body(ws.cell(row, label_col + 3, f"模板版本：{TEMPLATE_VERSION}"), wrap=False)
    if build.year_cell is None:
        build.year_cell = CellRef(ws.title, year_cell.coordinate)
    return row + 1


def _write_header_block(ws: Worksheet, build: _Build, row: int, label_col: int) -> int:
    value_col = label_col + 1
    for header_field in build.catalog.header_block:
        style_body(ws.cell(row, label_col, header_field.name), bold=True, align="right")
        cell = ws.cell(row, value_col)
        style_input(cell, underline_only=True)
        if header_field.code == "unit_name":
            names = build.unit_names((build.return_type.submitted_by,))
            add_validation(
                ws,
                cell.coordinate,
                "list",
                build.code_lists.formula(header_field.name, names),
                prompt="请从下拉列表中选择本单位名称。",
                error="请从下拉列表中选择填报单位。",
            )
            cell.value = build.unit.name if build.unit else None
        elif header_field.code == "filled_on":
            add_validation(
                ws,
                cell.coordinate,
                "date",
                EARLIEST_DATE_FORMULA,
                operator="greaterThanOrEqual",
                prompt=f"请按{build.year + 1}-01-15的格式填写日期。",
                error="请填写有效日期。",
            )
            cell.number_format = "yyyy-mm-dd"
        elif header_field.code == "phone":
            cell.number_format = "@"  # keeps a leading 0 of an area code
        ws.merge_cells(start_row=row, start_column=value_col, end_row=row, end_column=value_col + 2)
        build.header_cells.setdefault(header_field.code, CellRef(ws.title, cell.coordinate))
        row += 1
    return row


def _write_indicator_list(ws: Worksheet, build: _Build, table: Table, row: int) -> tuple[int, int]:
    columns = build.catalog.indicator_list_columns
    style_title(ws, row, table.title, len(INDICATOR_LIST_KEYS), size=12, merge=False)
    header_row = row + 1
    for col, key in enumerate(INDICATOR_LIST_KEYS, 1):
        style_header(ws.cell(header_row, col, columns[key].name))
    indicators = build.catalog.indicators_of_table(table.code)
    for seq, indicator in enumerate(indicators, 1):
        r = header_row + seq
        style_body(ws.cell(r, 1, seq), bordered=True, align="center")
        style_body(ws.cell(r, 2, indicator.name), bordered=True)
        style_body(ws.cell(r, 3, indicator.unit), bordered=True, align="center")
        style_input(ws.cell(r, 4), indicator_type=indicator.type)
        style_input(ws.cell(r, 5))
        add_indicator_validation(ws, f"D{r}", indicator, build.year)
        build.value_cells[indicator.code] = CellRef(ws.title, f"D{r}")
        build.remark_cells[indicator.code] = CellRef(ws.title, f"E{r}")
    _set_widths(ws, {"A": 6, "B": 46, "C": 10, "D": 16, "E": 36})
    return header_row, header_row + len(indicators) + 1


def _write_records(ws: Worksheet, build: _Build, table: Table, row: int) -> tuple[int, int]:
    assert table.key is not None  # the catalog loader requires a key on every records table
    indicators = build.catalog.indicators_of_table(table.code)
    columns = {ind.code: get_column_letter(index) for index, ind in enumerate(indicators, 2)}
    remark_col = get_column_letter(len(indicators) + 2)
    headers = [
        table.key.name,
        *(ind.label_with_unit for ind in indicators),
        build.catalog.records_columns["remark"].name,
    ]
    style_title(ws, row, table.title, len(headers), size=12, merge=False)
    header_row = row + 1
    for col, text in enumerate(headers, 1):
        style_header(ws.cell(header_row, col, text))
    keys = _prefilled_keys(build, table)
    max_rows = len(keys) if keys is not None else BLANK_RECORD_ROWS[table.level]
    first, last = header_row + 1, header_row + max_rows
    for offset, r in enumerate(range(first, last + 1)):
        if keys is not None:
            style_body(ws.cell(r, 1, keys[offset]), bordered=True)  # locked: names the registry knows
        else:
            style_input(ws.cell(r, 1))
        for ind in indicators:
            style_input(ws[f"{columns[ind.code]}{r}"], indicator_type=ind.type)
        style_input(ws[f"{remark_col}{r}"])
    if max_rows:
        if keys is None:
            names = build.unit_names(table.key.resolves)
            add_validation(
                ws,
                f"A{first}:A{last}",
                "list",
                build.code_lists.formula(table.key.name, names),
                prompt=f"请从下拉列表中选择{table.key.name}。",
                error="请从下拉列表中选择单位。",
            )
        for ind in indicators:
            add_indicator_validation(ws, f"{columns[ind.code]}{first}:{columns[ind.code]}{last}", ind, build.year)
    build.records[table.code] = RecordsLayout(
        table.code, ws.title, header_row, first, max_rows, "A", columns, remark_col
    )
    widths = [26, *(30 if i.type == "text" else 14 for i in indicators), 30]
    _set_widths(ws, {get_column_letter(col): width for col, width in enumerate(widths, 1)})
    ws.row_dimensions[header_row].height = row_height(list(zip(headers, widths, strict=True)))
    return header_row, last + 1


def _prefilled_keys(build: _Build, table: Table) -> tuple[str, ...] | None:
    """A city's own template lists its counties; every other records table starts blank."""
    if table.level == "county" and build.unit is not None:
        return tuple(county.name for county in build.registry.counties_of(build.unit.code))
    return None


def _has_no_records(build: _Build, tables: list[Table]) -> bool:
    return any(t.kind == "records" and _prefilled_keys(build, t) == () for t in tables)


def _set_widths(ws: Worksheet, widths: dict[str, float]) -> None:
    """Widen columns; a column shared by two tables on one sheet keeps the wider setting."""
    for letter, width in widths.items():
        # Membership first: reading an absent column's width would create it with openpyxl's default of 13.
        current = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(current, width)


# -- records and properties ---------------------------------------------------------------------------------------------


def _fill_records(ws: Worksheet, records_layout: RecordsLayout, rows: list[dict[str, object]]) -> None:
    if len(rows) > records_layout.max_rows:
        raise ValueError(f"明细表 {records_layout.table} 只预留了{records_layout.max_rows}行，却要写入{len(rows)}行")
    for offset, row in enumerate(rows):
        r = records_layout.first_data_row + offset
        for name, value in row.items():
            if name == "key":
                column = records_layout.key_column
            elif name == "remark":
                column = records_layout.remark_column
            else:
                column = _lookup(records_layout.columns, name, f"明细表 {records_layout.table} 的指标")
            ws[f"{column}{r}"].value = value


def _lookup(mapping: dict[str, _V], code: str, what: str) -> _V:
    if code not in mapping:
        raise KeyError(f"模板中没有{what}“{code}”的位置（可用：{'、'.join(mapping) or '无'}）")
    return mapping[code]


def _set(wb: Workbook, ref: CellRef, value: object) -> None:
    wb[ref.sheet][ref.cell].value = value


def _set_properties(wb: Workbook, build: _Build) -> None:
    code, year = build.return_type.code, build.year
    wb.properties.title = f"{year}年度{build.return_type.name}"
    wb.properties.subject = code
    wb.properties.keywords = f"{DASHBOARD_KEYWORD},{code},{year}年度,填报模板"
    wb.properties.creator = DASHBOARD_KEYWORD
    wb.properties.description = f"{DASHBOARD_KEYWORD}报表模板，版本{TEMPLATE_VERSION}"
    wb.custom_doc_props.append(StringProperty(name="return_code", value=code))
    wb.custom_doc_props.append(IntProperty(name="reporting_year", value=year))
    wb.custom_doc_props.append(StringProperty(name="template_version", value=TEMPLATE_VERSION))
    if build.unit is not None:
        wb.custom_doc_props.append(StringProperty(name="unit_code", value=build.unit.code))
