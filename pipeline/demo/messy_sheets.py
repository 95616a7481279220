"""Sheet-level messy-but-valid traits: headers, merges, moved columns, note rows and extra sheets.

They run after the cell-level traits of messy.py, because they move cells away from where the template
layout says they are. Each changes how the workbook looks, never what the return reports.
  edited_headers   a row label or column header written as a catalog alias (会员数 for 会员人数)
  merged_title     the table titles merged across the table, as people tidy a sheet for printing
  moved_columns    说明 and 本年数 swapped; two indicator columns of a records table swapped
  note_rows        a blank row inside a table, a 备注 row right after its data, a 填表说明 note under it
  extra_sheet      an unrelated sheet (草稿 / 附表) placed first and left active
  hidden_sheet     a hidden sheet with last year's figures
  wps_export       saved by WPS Office: docProps/app.xml names WPS 表格 and a KSOProductBuildVer property
"""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty

from pipeline.demo.messy import TraitContext
from pipeline.demo.sheets import indicator_list, last_column, row_of, swap_columns, unprotect
from pipeline.template_layout import RecordsLayout

WPS_BUILD = "2052-12.1.0.17827"
NOTE_TEXT = "备注：本表经费数据以财务决算为准，人数为年末数。"
INSTRUCTION_NOTE = "填表说明：1. 金额单位为万元；2. 请于次年1月31日前报送；3. 如有疑问请与省总工会产业工会工作部联系。"


def _filled_records(ctx: TraitContext) -> list[tuple[RecordsLayout, int]]:
    """Records tables of this return that hold rows, with their number of filled rows."""
    return [(ctx.layout.records[t], len(rows)) for t, rows in ctx.story.records.items() if rows]


def edited_headers(wb: Workbook, ctx: TraitContext) -> None:
    geometry = indicator_list(wb, ctx.layout, ctx.catalog)
    if geometry is not None:
        ws = wb[geometry.sheet]
        unprotect(ws)
        for code in list(ctx.story.values)[:2]:
            cell = ws[f"{geometry.columns['label']}{row_of(ctx.layout.value_cells[code].cell)}"]
            alias = ctx.catalog.indicators[code].aliases[0]
            ctx.note("edited_headers", where=f"{ws.title}!{cell.coordinate}", was=str(cell.value), text=alias)
            cell.value = alias
        cell = ws[f"{geometry.columns['value']}{geometry.header_row}"]
        cell.value = ctx.catalog.indicator_list_columns["value"].aliases[0]
        ctx.note("edited_headers", where=f"{ws.title}!{cell.coordinate}", was="本年数", text=cell.value)
    for layout, _ in _filled_records(ctx)[:1]:
        ws = wb[layout.sheet]
        unprotect(ws)
        table = ctx.catalog.tables[layout.table]
        assert table.key is not None
        renames = {layout.key_column: table.key.aliases[0]}
        code = next(iter(layout.columns))
        indicator = ctx.catalog.indicators[code]
        suffix = "" if indicator.label_with_unit == indicator.name else f"（{indicator.unit}）"
        renames[layout.columns[code]] = indicator.aliases[0] + suffix
        for letter, text in renames.items():
            cell = ws[f"{letter}{layout.header_row}"]
            ctx.note("edited_headers", where=f"{ws.title}!{cell.coordinate}", was=str(cell.value), text=text)
            cell.value = text


def _merge_row(ws_title: str, wb: Workbook, row: int, last: str, ctx: TraitContext) -> None:
    ws = wb[ws_title]
    target = f"A{row}:{last}{row}"
    if any(str(r) == target for r in ws.merged_cells.ranges):
        return
    unprotect(ws)
    ws.merge_cells(target)
    ctx.note("merged_title", where=f"{ws_title}!{target}", text=str(ws[f"A{row}"].value))


def merged_title(wb: Workbook, ctx: TraitContext) -> None:
    geometry = indicator_list(wb, ctx.layout, ctx.catalog)
    if geometry is not None:
        last = last_column(wb[geometry.sheet], geometry.header_row)
        _merge_row(geometry.sheet, wb, geometry.header_row - 1, last, ctx)
    for layout in ctx.layout.records.values():
        _merge_row(layout.sheet, wb, layout.header_row - 1, last_column(wb[layout.sheet], layout.header_row), ctx)


def moved_columns(wb: Workbook, ctx: TraitContext) -> None:
    geometry = indicator_list(wb, ctx.layout, ctx.catalog)
    if geometry is not None:
        ws = wb[geometry.sheet]
        unprotect(ws)
        value, remark = geometry.columns["value"], geometry.columns["remark"]
        swap_columns(ws, value, remark, range(geometry.header_row, geometry.last_row + 1))
        ctx.note("moved_columns", sheet=ws.title, swapped=f"{value}↔{remark}", text="本年数与说明两列互换")
    for layout, _ in _filled_records(ctx)[:1]:
        ws = wb[layout.sheet]
        unprotect(ws)
        letters = list(layout.columns.values())
        first, last = letters[0], letters[-1]
        swap_columns(ws, first, last, range(layout.header_row, layout.first_data_row + layout.max_rows))
        ctx.note(
            "moved_columns",
            sheet=ws.title,
            swapped=f"{first}↔{last}",
            text=f"“{ws[f'{first}{layout.header_row}'].value}”与“{ws[f'{last}{layout.header_row}'].value}”两列互换",
        )


def note_rows(wb: Workbook, ctx: TraitContext) -> None:
    records = [(layout, n) for layout, n in _filled_records(ctx) if n >= 3]
    if records:
        layout, filled = records[0]
        ws, key, first = wb[layout.sheet], layout.key_column, layout.first_data_row
        blank_at, end = first + 2, first + layout.max_rows
    else:
        geometry = indicator_list(wb, ctx.layout, ctx.catalog)
        assert geometry is not None
        ws, key, first = wb[geometry.sheet], geometry.columns["seq"], geometry.first_row
        filled = geometry.last_row - first + 1
        blank_at, end = first + filled // 2, geometry.last_row + 1
    unprotect(ws)
    ws.insert_rows(blank_at)
    note_row = first + filled + 1  # the data now ends one row lower
    ws[f"{key}{note_row}"].value = NOTE_TEXT
    ws[f"{key}{max(end + 1, note_row) + 2}"].value = INSTRUCTION_NOTE
    ctx.note("note_rows", sheet=ws.title, blank_row=str(blank_at), note_row=str(note_row), text=NOTE_TEXT)


def extra_sheet(wb: Workbook, ctx: TraitContext) -> None:
    name = (ctx.options.get("extra_sheet") or ("草稿",))[0]
    ws = wb.create_sheet(name, 0)
    if name == "草稿":
        numbers = [v for v in ctx.story.values.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        ws.append(["测算过程（不报送）", None])
        for index, number in enumerate(numbers[:4], 1):
            ws.append([f"草稿数{index}", number])
    else:
        ws.append([f"附表：{ctx.story.year}年度产业工会重点工作清单"])
        for item in ("召开产业工会工作推进会", "开展职工技能竞赛", "走访慰问困难职工"):
            ws.append([item])
    wb.active = 0
    ctx.note("extra_sheet", sheet=name, text="放在第一个位置的无关工作表")


def hidden_sheet(wb: Workbook, ctx: TraitContext) -> None:
    ws = wb.create_sheet("上年数据")
    ws.append(["指标", "上年数"])
    for code, value in list(ctx.story.values.items())[:6]:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            last_year = round(value * 0.9) if isinstance(value, int) else round(value * 0.9, 1)
            ws.append([ctx.catalog.indicators[code].name, last_year])
    ws.sheet_state = "hidden"
    ctx.note("hidden_sheet", sheet=ws.title, text="隐藏的上年数据工作表")


def wps_export(wb: Workbook, ctx: TraitContext) -> None:
    wb.custom_doc_props.append(StringProperty(name="KSOProductBuildVer", value=WPS_BUILD))
    ctx.wps = True
    ctx.note("wps_export", text="WPS 表格", build=WPS_BUILD)


SHEET_TRAITS: dict[str, Callable[[Workbook, TraitContext], None]] = {
    "edited_headers": edited_headers,
    "merged_title": merged_title,
    "moved_columns": moved_columns,
    "note_rows": note_rows,
    "extra_sheet": extra_sheet,
    "hidden_sheet": hidden_sheet,
    "wps_export": wps_export,
}
