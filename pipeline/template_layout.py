"""Where things sit in a return template, what each indicator type accepts, and how cells look.

The template writer produces a TemplateLayout next to each workbook so that the demo generator (and tests)
can write values into the right cells without searching for headers. The validation rules here drive both
the Excel data validation of a value cell and the 填报要求 column of the 填表说明 sheet, so the two always agree.
The cell styles live here too, so templates.py holds only what goes where.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.catalog import Catalog, Indicator, ReturnType
from pipeline.registry import Registry

INSTRUCTIONS_SHEET = "填表说明"
CODES_SHEET = "代码表"
# The faces the federation's own PCs use for official forms; elsewhere Excel substitutes a CJK face.
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"


@dataclass(frozen=True)
class CellRef:
    sheet: str
    cell: str  # A1 reference, e.g. "D7"


@dataclass(frozen=True)
class RecordsLayout:
    table: str  # table code, e.g. "R1_COUNTY"
    sheet: str
    header_row: int  # 1-based row of the column headers
    first_data_row: int
    max_rows: int  # rows prepared (with validation and borders) for data
    key_column: str  # column letter of the key column (县（区）名称 / 被督查单位)
    columns: dict[str, str]  # indicator code -> column letter
    remark_column: str


@dataclass(frozen=True)
class TemplateLayout:
    return_code: str
    year: int
    header_cells: dict[str, CellRef]  # header field code -> cell where the value goes
    year_cell: CellRef  # the cell holding the reporting year as an int
    value_cells: dict[str, CellRef]  # indicator code -> value cell, for indicator_list tables
    remark_cells: dict[str, CellRef]  # indicator code -> 说明 cell, for indicator_list tables
    records: dict[str, RecordsLayout]  # table code -> layout, for records tables


# Excel stores dates as serial numbers; a formula keeps the bound readable in Excel's validation dialog.
EARLIEST_DATE_FORMULA = "DATE(2000,1,1)"


@dataclass(frozen=True)
class ValidationRule:
    """Excel data validation for one indicator type, with the Chinese hint shown on the cell."""

    type: str  # Excel validation type: whole | decimal | list | date
    operator: str | None
    formula1: str
    formula2: str | None
    hint: str  # may contain {unit} and {year}
    error: str  # may contain {unit} and {year}
    number_format: str


VALIDATION_RULES: dict[str, ValidationRule] = {
    "count": ValidationRule(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        formula2=None,
        hint="请填写不小于0的整数（单位：{unit}）。",
        error="请填写不小于0的整数，不要带单位或文字。",
        number_format="General",
    ),
    "amount": ValidationRule(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        formula2=None,
        hint="请填写不小于0的金额（单位：万元），可保留两位小数。",
        error="请填写不小于0的数字，金额以万元为单位。",
        number_format="0.00",
    ),
    "score": ValidationRule(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        hint="请填写0到100之间的得分。",
        error="得分应在0到100之间。",
        number_format="General",
    ),
    "rate": ValidationRule(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        hint="请填写0到100之间的百分数数值，不带%号。",
        error="比例应在0到100之间，不带%号。",
        number_format="General",
    ),
    "bool": ValidationRule(
        type="list",
        operator=None,
        formula1='"是,否"',
        formula2=None,
        hint="请从下拉列表中选择“是”或“否”。",
        error="只能选择“是”或“否”。",
        number_format="General",
    ),
    "date": ValidationRule(
        type="date",
        operator="greaterThanOrEqual",
        formula1=EARLIEST_DATE_FORMULA,
        formula2=None,
        hint="请按{year}-05-12的格式填写日期。",
        error="请填写2000年1月1日以后的有效日期，格式如{year}-05-12。",
        number_format="yyyy-mm-dd",
    ),
}

TEXT_HINT = "请用文字简要填写。"


def type_hint(indicator_type: str, unit: str, year: int) -> str:
    """The Chinese instruction for an indicator type, as the cell prompt and the 填报要求 column show it."""
    rule = VALIDATION_RULES.get(indicator_type)
    if rule is None:
        return TEXT_HINT
    return rule.hint.format(unit=unit, year=year)


def type_error(indicator_type: str, unit: str, year: int) -> str:
    """What Excel says when a value breaks the cell's validation; its examples use the template's year."""
    return VALIDATION_RULES[indicator_type].error.format(unit=unit, year=year)


def text_width(text: str) -> int:
    """Display width in Excel column units: a CJK or full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# -- cell styles ------------------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNDERLINE = Border(bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
_LEFT_TYPES = ("text", None)


def style_title(ws: Worksheet, row: int, text: str, width: int, *, size: int, merge: bool = True) -> None:
    """A title row: merged and centred over the table width, or a left-aligned table caption."""
    cell = ws.cell(row, 1, text)
    cell.font = Font(name=HEADING_FONT, size=size, bold=True)
    cell.alignment = Alignment(horizontal="center" if merge else "left", vertical="center")
    if merge and width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.row_dimensions[row].height = size * 2


def style_header(cell: Cell) -> None:
    cell.font = Font(name=HEADING_FONT, size=11)
    cell.fill = _HEADER_FILL
    cell.border = _BOX
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def style_body(
    cell: Cell,
    *,
    bold: bool = False,
    bordered: bool = False,
    align: str = "left",
    wrap: bool = True,
    group: bool = False,
) -> None:
    cell.font = Font(name=BODY_FONT, size=11, bold=bold)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if bordered:
        cell.border = _BOX
    if group:
        cell.fill = _GROUP_FILL


def style_input(cell: Cell, *, indicator_type: str | None = None, underline_only: bool = False) -> None:
    """A cell the filer types into: unlocked on the protected sheet, formatted for its indicator type."""
    cell.protection = Protection(locked=False)
    cell.font = Font(name=BODY_FONT, size=11)
    cell.border = _UNDERLINE if underline_only else _BOX
    align = "left" if indicator_type in _LEFT_TYPES else "center"
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    rule = VALIDATION_RULES.get(indicator_type or "")
    if rule is not None:
        cell.number_format = rule.number_format


def add_validation(
    ws: Worksheet,
    ref: str,
    kind: str,
    formula1: str,
    *,
    prompt: str,
    error: str,
    operator: str | None = None,
    formula2: str | None = None,
    prompt_title: str = "填写提示",
) -> None:
    # Excel truncates (or refuses) longer prompt titles and texts: 32 and 255 characters.
    validation = DataValidation(
        type=kind,
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="stop",
        promptTitle=prompt_title[:32],
        prompt=prompt[:255],
        errorTitle="输入有误",
        error=error[:255],
    )
    validation.add(ref)
    ws.add_data_validation(validation)


def add_indicator_validation(ws: Worksheet, ref: str, indicator: Indicator, year: int) -> None:
    """Validation by indicator type; free-text indicators get none."""
    rule = VALIDATION_RULES.get(indicator.type)
    if rule is None:
        return
    add_validation(
        ws,
        ref,
        rule.type,
        rule.formula1,
        operator=rule.operator,
        formula2=rule.formula2,
        prompt=requirement_text(indicator, year),
        error=type_error(indicator.type, indicator.unit, year),
        prompt_title=indicator.name,
    )


def requirement_text(indicator: Indicator, year: int) -> str:
    """必填/选填, the type's hint and the catalog's help text, as one Chinese sentence group."""
    help_text = indicator.help.strip()
    if help_text and help_text[-1] not in "。！？；":
        help_text += "。"
    return f"{'必填' if indicator.required else '选填'}。{type_hint(indicator.type, indicator.unit, year)}{help_text}"


def finish_sheet(ws: Worksheet, *, freeze: str | None, print_row: int | None) -> None:
    """Protect the structure (no password, so a user who must can lift it) and set up printing."""
    ws.protection = SheetProtection(
        sheet=True,
        formatColumns=False,
        formatRows=False,
        selectLockedCells=False,
        selectUnlockedCells=False,
    )
    ws.freeze_panes = freeze
    if print_row is not None:
        ws.print_title_rows = f"{print_row}:{print_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def row_height(texts_and_widths: list[tuple[str, float]]) -> float:
    """Height in points for a row whose cells wrap: about 16 points per line of the tallest cell."""
    lines = max((-(-text_width(text) // max(int(width * 0.9) - 1, 1)) for text, width in texts_and_widths), default=1)
    return max(lines, 1) * 16 + 4


# -- the 填表说明 sheet -------------------------------------------------------------------------------------------------

_INSTRUCTION_COLUMNS = (("序号", 6), ("所属措施", 30), ("指标名称", 44), ("计量单位", 10), ("填报要求", 52))
_PARAGRAPH_WIDTH = sum(width for _, width in _INSTRUCTION_COLUMNS)
_FILERS = {"city": "各市（区）总工会", "industry": "各省级产业工会"}


def write_instructions(
    ws: Worksheet,
    catalog: Catalog,
    registry: Registry,
    return_type: ReturnType,
    year: int,
    *,
    version: str,
    prefilled: dict[str, int] | None = None,
) -> None:
    """Who fills the return, by when, how, and what every indicator means.

    `prefilled` maps each records table whose keys the writer filled from the registry to its row count.
    """
    for index, (_, width) in enumerate(_INSTRUCTION_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    style_title(ws, 1, f"{year}年度{return_type.name}填表说明", len(_INSTRUCTION_COLUMNS), size=18)
    row = 3
    for text, bold in _paragraphs(catalog, registry, return_type, year, prefilled or {}):
        row = _paragraph(ws, row, text, bold=bold)
    row = _paragraph(ws, row + 1, "六、指标说明", bold=True)
    row = _indicator_table(ws, catalog, return_type, year, row)
    _paragraph(ws, row + 1, f"模板版本：{version}")
    finish_sheet(ws, freeze=None, print_row=None)


def _paragraphs(
    catalog: Catalog, registry: Registry, return_type: ReturnType, year: int, prefilled: dict[str, int]
) -> list[tuple[str, bool]]:
    month, day = (int(part) for part in catalog.reporting.deadline_month_day.split("-"))
    rules = _filling_rules(catalog, return_type, year, prefilled)
    return [
        (f"一、填报单位：{_who_fills(catalog, registry, return_type)}", False),
        (
            f"二、报表年度：{year}年度（{year}年1月1日至{year}年12月31日）。各数据表顶部的“报表年度”已填为{year}，请勿修改。",
            False,
        ),
        (f"三、报送时限：请于{year + 1}年{month}月{day}日前报送。", False),
        (f"四、联系方式：{catalog.reporting.contact}", False),
        ("五、填写要求", True),
        *((f"{number}. {rule}", False) for number, rule in enumerate(rules, 1)),
    ]


def _who_fills(catalog: Catalog, registry: Registry, return_type: ReturnType) -> str:
    if return_type.submitted_by == "province":
        return f"{registry.province().name}填报。"
    count = len(registry.of_type(return_type.submitted_by))
    text = f"{_FILERS[return_type.submitted_by]}（共{count}个）填报本单位情况"
    county_sheets = [t.sheet for t in catalog.tables_of_return(return_type.code) if t.level == "county"]
    for sheet in county_sheets:
        text += f"；“{sheet}”工作表由市（区）总工会汇总所辖县（区）总工会情况后一并填报"
    return text + "。"


def _filling_rules(catalog: Catalog, return_type: ReturnType, year: int, prefilled: dict[str, int]) -> list[str]:
    remark = catalog.indicator_list_columns["remark"].name
    tables = catalog.tables_of_return(return_type.code)
    types = {i.type for table in tables for i in catalog.indicators_of_table(table.code)}
    numbers = "数字一律用阿拉伯数字填写，不带单位、不加千分位分隔符"
    if "amount" in types:
        numbers += "；金额以万元为单位，可保留两位小数"
    if "score" in types:
        numbers += "；得分按百分制填写（0到100分）"
    dropdowns = "“填报单位”请从下拉列表中选择"
    if "bool" in types:
        dropdowns = "“是/否”类指标请点击单元格，从下拉列表中选择“是”或“否”；" + dropdowns
    rules = [
        numbers + "。",
        f"日期按“{year}-05-12”的格式填写。",
        dropdowns + "。",
        "本年没有发生的事项，数量填0，不要留空；日期类指标本年未发生的留空。",
        f"数据与上年相比变化较大（如大幅增减）、统计口径与要求不一致或有其他需要解释的情况，请在“{remark}”栏写明原因。",
        "请勿修改表头、工作表名称和顺序，不要插入或删除行列、合并单元格。各数据表已设置保护（无密码），确需调整格式时可撤销工作表保护。",
    ]
    for table in tables:
        if table.kind != "records" or table.key is None:
            continue
        if prefilled.get(table.code) == 0:
            rules.append(f"本单位没有下辖县（区），“{table.sheet}”工作表无需填写。")
        elif table.code in prefilled:
            rules.append(f"“{table.sheet}”工作表已列出全部“{table.key.name}”，请逐行填写，不要修改名称或增删行。")
        else:
            rules.append(
                f"“{table.sheet}”工作表按“{table.title}”的要求逐行填写，“{table.key.name}”列从下拉列表中选择，"
                "行与行之间不要留空行。"
            )
    return rules


def _paragraph(ws: Worksheet, row: int, text: str, *, bold: bool = False) -> int:
    style_body(ws.cell(row, 1, text), bold=bold)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(_INSTRUCTION_COLUMNS))
    ws.row_dimensions[row].height = row_height([(text, _PARAGRAPH_WIDTH)])
    return row + 1


def _indicator_table(ws: Worksheet, catalog: Catalog, return_type: ReturnType, year: int, row: int) -> int:
    for col, (name, _) in enumerate(_INSTRUCTION_COLUMNS, 1):
        style_header(ws.cell(row, col, name))
    row += 1
    for table in catalog.tables_of_return(return_type.code):
        group = f"“{table.sheet}”工作表 · {table.title}"
        for col in range(1, len(_INSTRUCTION_COLUMNS) + 1):
            style_body(ws.cell(row, col, group if col == 1 else None), bold=True, bordered=True, group=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(_INSTRUCTION_COLUMNS))
        row += 1
        for seq, indicator in enumerate(catalog.indicators_of_table(table.code), 1):
            measure = catalog.measure(indicator.measure)
            texts = (
                seq,
                f"第{measure.number}条 {measure.short_name}",
                indicator.name,
                indicator.unit,
                requirement_text(indicator, year),
            )
            for col, text in enumerate(texts, 1):
                style_body(ws.cell(row, col, text), bordered=True, align="center" if col in (1, 4) else "left")
            ws.row_dimensions[row].height = row_height(
                [(str(text), width) for text, (_, width) in zip(texts, _INSTRUCTION_COLUMNS, strict=True)]
            )
            row += 1
    return row
