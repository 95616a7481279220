"""Validate stage: turn a located return into typed values with provenance, and say what is wrong.

Errors block the file (nothing of it is loaded); warnings are loaded and shown. Every issue names the
sheet and cell, the value found, what is wrong and how to fix it, in Chinese. The rules come from the
catalog (types, required, arithmetic checks) and the registry (who may submit which return, which
counties belong to which city); nothing here repeats an indicator's name or bound.

Every reading that changes what a cell literally says (两次 → 2, 无 → 0, 6月18日 → the reporting year's
date …) becomes a warning naming the indicator, besides the note kept with the value, so the submitter
sees it at upload, in the CLI and in the annotated workbook. An Excel error value (#DIV/0! …) in any cell
read as data is an error, never a blank.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from math import copysign

from pipeline.catalog import Catalog, Check, Indicator, Table
from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import ERROR, WARNING, Issue
from pipeline.locate import LocatedCell, LocatedRecord, LocatedReturn
from pipeline.normalise import (
    ANSWER_WITH_REMARK,
    CONVERTED_NUMBER,
    COUNTING_WORD,
    DATE_WITHOUT_DAY,
    DATE_WITHOUT_YEAR,
    ESTIMATE,
    NOTHING_AS_ZERO,
    Parsed,
    answer_words,
    excel_error,
    parse_bool,
    parse_date,
    parse_number,
    parse_text,
    remove_control_characters,
)
from pipeline.read import WorkbookData
from pipeline.registry import Registry, Resolution, Unit
from pipeline.templates import TEMPLATE_VERSION
from pipeline.validated import ValidatedReturn, ValueRow

UNIT_TYPE_NAMES = {"province": "省总工会", "city": "市级总工会", "industry": "省级产业工会", "county": "县（区）总工会"}
DEMO_PREFIX = "演示_"
YEAR_IN_FILE_NAME = re.compile(r"(?<!\d)(20[2-9]\d)(?!\d)")


@dataclass
class _Collector:
    """Accumulates issues for one file, filling in the file name once."""

    file_name: str
    issues: list[Issue] = field(default_factory=list)

    def add(
        self,
        severity: str,
        code: str,
        message: str,
        fix: str,
        *,
        cell: LocatedCell | None = None,
        sheet: str = "",
        cell_ref: str = "",
        value: object = None,
        indicator: str = "",
    ) -> None:
        self.issues.append(
            Issue(
                severity=severity,
                code=code,
                message=message,
                fix=fix,
                file=self.file_name,
                sheet=cell.sheet if cell else sheet,
                cell=cell.cell if cell else cell_ref,
                value=_as_text(cell.raw if cell and value is None else value),
                indicator=indicator,
            )
        )

    def place(self, issue: Issue, cell: LocatedCell) -> None:
        """An issue of a cell's value (see _Reading), found without its place: recorded at the cell, in this file."""
        self.issues.append(
            replace(issue, file=self.file_name, sheet=cell.sheet, cell=cell.cell, value=_as_text(cell.raw))
        )


def _as_text(raw: object) -> str:
    """The cell as text for messages and the raw_text kept in the warehouse; never a control character."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return remove_control_characters(str(raw)).strip()


def _parse(indicator: Indicator, raw: object, reporting_year: int | None) -> Parsed:
    if indicator.type == "count":
        return parse_number(
            raw, unit=indicator.unit, integer=True, counting_words=True, marks_mean_zero=indicator.required
        )
    if indicator.type in ("amount", "score"):
        return parse_number(raw, unit=indicator.unit)
    if indicator.type == "rate":
        return parse_number(raw, unit="%")
    if indicator.type == "date":
        return parse_date(raw, reporting_year=reporting_year)
    if indicator.type == "bool":
        return parse_bool(raw, words=answer_words(indicator.name, indicator.aliases))
    return parse_text(raw)


def reading_of(indicator: Indicator, typed: str, reporting_year: int | None) -> str:
    """How a cell's text was read when the reading changed what it says ("按 15000 读入"), as the submitter was
    told at upload; "" when the text was taken as it stands. The measure detail shows it beside the figure."""
    parsed = _parse(indicator, typed, reporting_year)
    return (parsed.warning or "") if parsed.ok and not parsed.empty else ""


TYPE_FIX = {
    "count": "请填写非负整数（阿拉伯数字），如 12",
    "amount": "请填写以万元为单位的数字，如 35.5",
    "score": "请填写 0–100 之间的分数",
    "rate": "请填写 0–100 之间的百分数，如 95.5",
    "bool": "请从下拉列表中选择“是”或“否”",
    "text": "请填写文字说明",
}
# A date example in the reporting year: a 2026 return told "如 2024-05-12" looks like it asks for a wrong year.
DATE_FIX = "请按 {year}-05-12 或 {year}年5月12日 的格式填写日期"
DATE_FIX_WITHOUT_YEAR = "请按“年-月-日”的格式填写完整日期（四位年份、月、日）"


def type_fix(indicator_type: str, year: int | None) -> str:
    """How to fill a cell of this type; a date's example lies in the reporting year when it is known."""
    if indicator_type == "date":
        return DATE_FIX.format(year=year) if year is not None else DATE_FIX_WITHOUT_YEAR
    return TYPE_FIX[indicator_type]


TYPE_CODE = {"date": "not_a_date", "bool": "not_a_bool", "text": "not_text"}
# What a required cell that holds only "—" or "无" lacks (a count reads such a mark as 0 instead).
TYPE_MISSING = {"date": "日期", "bool": "“是”或“否”", "text": "文字"}
# How to fix a reading the submitter should check, by Parsed.warning_code.
WARNING_FIX = {
    ESTIMATE: "如有准确数请更正后重新报送",
    CONVERTED_NUMBER: "请核对读入的数；如不对，请改填阿拉伯数字后重新报送",
    NOTHING_AS_ZERO: "如确实为 0 则不必修改（今后可直接填 0）；如有数据请填写后重新报送",
    COUNTING_WORD: "请核对这个数是否填在了本指标的行；无误则不必修改",
    DATE_WITHOUT_YEAR: "如日期无误则不必修改；今后请写明年份",
    DATE_WITHOUT_DAY: "如有具体日期请补全后重新报送",
    ANSWER_WITH_REMARK: "说明文字请写在“说明”栏",
}
EXCEL_ERROR_VALUE = "excel_error_value"
_CHECK_FORMULA = "请检查这个单元格的公式（例如除数是否为 0、引用的单元格是否已被删除）并改正"
EXCEL_ERROR_FIX = {
    "date": f"{_CHECK_FORMULA}，或直接填写日期",
    "bool": f"{_CHECK_FORMULA}，或直接选择“是”或“否”",
    "text": f"{_CHECK_FORMULA}，或直接填写文字",
}
EXCEL_ERROR_NUMBER_FIX = f"{_CHECK_FORMULA}；确实没有数据的，请直接填 0"


def _excel_error_issue(
    cell: LocatedCell | None, subject: str, fix: str, out: _Collector, *, indicator: str = ""
) -> bool:
    """Record an Excel error value (#DIV/0! …) in a cell read as data; True when there was one."""
    error = excel_error(cell.raw) if cell is not None else None
    if error is None:
        return False
    out.add(ERROR, EXCEL_ERROR_VALUE, _excel_error_message(subject, error), fix, cell=cell, indicator=indicator)
    return True


def _excel_error_message(subject: str, error: ExcelErrorValue) -> str:
    return f"{subject}是 Excel 错误值“{error.text}”，意思是{error.meaning}，读不出数据"


def _bounds_issue(indicator: Indicator, number: float, year: int | None) -> tuple[str, str] | None:
    """(message, fix) when a number is outside what the indicator allows."""
    if number < 0:
        return f"“{indicator.name}”不能为负数", "请核对后填写非负数；确无此项的填 0"
    if indicator.type in ("score", "rate") and number > 100:
        return f"“{indicator.name}”应在 0–100 之间", type_fix(indicator.type, year)
    return None


@dataclass(frozen=True)
class _Reading:
    """What a cell's value says for an indicator, wherever the cell is: the issues it raises, in order (each without
    its file and cell), and the figure's typed fields when it yields one."""

    issues: tuple[Issue, ...]
    empty: bool  # nothing reported (the parser's empty): a record whose cells are all empty is an empty row
    figure: _Figure | None


@dataclass(frozen=True)
class _Figure:
    value_num: float | None
    value_text: str | None
    value_date: date | None
    value_bool: bool | None
    raw_text: str
    note: str | None


def _read_cell(indicator: Indicator, raw: object, year: int | None) -> _Reading:
    """A cell's value read for an indicator: its Excel error, parse error, missing value, reading warning or bound.

    Every issue names the indicator (Issue.indicator), also where the reader's message does not.
    """
    name = indicator.name
    error = None if type(raw) is float or type(raw) is int else excel_error(raw)  # a number is no error value
    if error is not None:
        fix = EXCEL_ERROR_FIX.get(indicator.type, EXCEL_ERROR_NUMBER_FIX)
        message = _excel_error_message(f"“{name}”的单元格", error)
        return _Reading((Issue(ERROR, EXCEL_ERROR_VALUE, message, fix, indicator=name),), False, None)
    parsed = _parse(indicator, raw, year)
    if not parsed.ok:
        code = TYPE_CODE.get(indicator.type, "not_a_number")
        message = parsed.error or f"“{name}”无法识别"
        return _Reading((Issue(ERROR, code, message, type_fix(indicator.type, year), indicator=name),), False, None)
    if parsed.empty:
        if not indicator.required:
            return _Reading((), True, None)
        lacking = f"没有填写{TYPE_MISSING.get(indicator.type, '数值')}" if _as_text(raw) else "未填写"
        fix = f"{type_fix(indicator.type, year)}；确无此项的填 0 或“否”"
        return _Reading((Issue(ERROR, "missing_value", f"必填指标“{name}”{lacking}", fix, indicator=name),), True, None)
    issues: tuple[Issue, ...] = ()
    if parsed.warning:
        code = parsed.warning_code or "normalised"
        fix = WARNING_FIX.get(code, "如读入有误，请更正后重新报送")
        issues = (Issue(WARNING, code, f"“{name}”{parsed.warning}", fix, indicator=name),)
    value = parsed.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        problem = _bounds_issue(indicator, float(value), year)
        if problem:
            out_of_range = Issue(ERROR, "out_of_range", problem[0], problem[1], indicator=name)
            return _Reading((*issues, out_of_range), False, None)
    figure = _Figure(
        value_num=float(value) if indicator.is_numeric else None,
        value_text=str(value) if indicator.type == "text" else None,
        value_date=value if indicator.type == "date" else None,
        value_bool=bool(value) if indicator.type == "bool" else None,
        raw_text=_as_text(raw),
        note=parsed.note,
    )
    return _Reading(issues, False, figure)


# Each distinct (indicator, value, reporting year) is read once per catalog: labels, answers (是/否) and many figures
# recur in every return of a batch, and a reading does not depend on where its cell is. The value's type is part of
# the key, since 1, 1.0 and True are equal keys but read differently; a float zero's sign is too (0.0 == -0.0, yet
# each is loaded as typed, and zeros are common figures). NaN (equal to nothing) is never kept, nor a long text.
_CACHED_TYPES = frozenset({str, int, float, bool, type(None)})
_READINGS_KEPT = 20_000
_READING_TEXT_CHARS = 200
_READINGS: dict[int, tuple[weakref.ref[Catalog], dict[tuple, _Reading]]] = {}


def _readings(catalog: Catalog) -> dict[tuple, _Reading]:
    """The readings kept for a catalog object (a Reference builds one per settings version)."""
    kept = _READINGS.get(id(catalog))
    if kept is not None and kept[0]() is catalog:
        return kept[1]
    for key in [k for k, (ref, _) in _READINGS.items() if ref() is None]:  # catalogs since dropped
        del _READINGS[key]
    readings: dict[tuple, _Reading] = {}
    _READINGS[id(catalog)] = (weakref.ref(catalog), readings)
    return readings


def _reading(readings: dict[tuple, _Reading], indicator: Indicator, raw: object, year: int | None) -> _Reading:
    kind = type(raw)
    if kind is float:  # the commonest value: asked first
        if raw != raw:
            return _read_cell(indicator, raw, year)
        key: tuple = (indicator.code, kind, raw, year) if raw else (indicator.code, kind, raw, year, copysign(1.0, raw))
    elif kind in _CACHED_TYPES and (kind is not str or len(raw) <= _READING_TEXT_CHARS):
        key = (indicator.code, kind, raw, year)
    else:
        return _read_cell(indicator, raw, year)
    return readings.get(key) or _remembered(readings, _READINGS_KEPT, key, indicator, raw, year)


def _remembered(kept: dict, limit: int, key: object, indicator: Indicator, raw: object, year: int | None) -> _Reading:
    """_read_cell's reading, kept under key (the cache emptied first when it holds `limit` readings). A reading is
    never false, so `kept.get(key) or _remembered(...)` reads the cache without a call on a hit."""
    reading = _read_cell(indicator, raw, year)
    if len(kept) >= limit:
        kept.clear()
    kept[key] = reading
    return reading


# The readings of non-zero figures (floats, as the reader gives every number), per catalog object, reporting year and
# indicator, keyed by the figure alone: a figure's reading is then one lookup, without the key _reading builds, and
# the commonest cell of a return. A zero (whose sign _reading keeps apart) and NaN go the long way.
_FIGURES: dict[int, tuple[weakref.ref[Catalog], dict[int | None, dict[str, dict[float, _Reading]]]]] = {}
_FIGURES_KEPT = 2_000  # per indicator and year


def _figure_readings(catalog: Catalog, year: int | None) -> dict[str, dict[float, _Reading]]:
    kept = _FIGURES.get(id(catalog))
    if kept is None or kept[0]() is not catalog:
        for key in [k for k, (ref, _) in _FIGURES.items() if ref() is None]:  # catalogs since dropped
            del _FIGURES[key]
        kept = _FIGURES[id(catalog)] = (weakref.ref(catalog), {})
    return kept[1].setdefault(year, {})


def _read_cells(
    cells: Iterable[tuple[str, LocatedCell]],
    indicators: Mapping[str, Indicator],
    readings: dict[tuple, _Reading],
    figures: dict[str, dict[float, _Reading]],
    year: int | None,
) -> list[tuple[Indicator, LocatedCell, _Reading]]:
    """(indicator, cell, its reading) of each (indicator code, cell), as _reading reads them."""
    read = []
    for code, cell in cells:
        indicator, raw = indicators[code], cell[0]
        if type(raw) is float and raw and raw == raw:
            of_indicator = figures.get(code)
            if of_indicator is None:
                of_indicator = figures[code] = {}
            reading = of_indicator.get(raw) or _remembered(of_indicator, _FIGURES_KEPT, raw, indicator, raw, year)
        else:
            reading = _reading(readings, indicator, raw, year)
        read.append((indicator, cell, reading))
    return read


# Builds a ValueRow from a tuple of its fields without the Python-level __new__ a named tuple class generates, which
# costs as much again: a ValueRow is built for every figure of a batch.
_new_tuple = tuple.__new__


def _value_row(
    indicator: str, entity: str, row_no: int, figure: _Figure, remark: str | None, cell: LocatedCell
) -> ValueRow:
    """The stored row of a figure (for every figure of a batch: see _new_tuple)."""
    return _new_tuple(
        ValueRow,
        (indicator, entity, row_no, figure.value_num, figure.value_text, figure.value_date, figure.value_bool,
         figure.raw_text, remark, cell.sheet, cell.cell, figure.note),
    )  # fmt: skip


def _check_formulas(workbook: WorkbookData, located: LocatedReturn, out: _Collector) -> set[tuple[str, str]]:
    """Formula cells without a cached value: we cannot know their value, so they block the file."""
    if not workbook.formulas_without_value:  # most files: nothing to block, no need to gather the cells read
        return set()
    used = {(c.sheet, c.cell) for c in located.values.values()}
    for records in located.records.values():
        for record in records:
            used.update((c.sheet, c.cell) for c in record.values.values())
    blocked = set(workbook.formulas_without_value) & used
    for sheet, cell in sorted(blocked):
        out.add(
            ERROR,
            "formula_without_value",
            "该单元格是公式，但文件中没有保存计算结果",
            "请用 Excel 或 WPS 打开文件、确认公式结果后保存，再重新上传；也可以把公式改为数值",
            sheet=sheet,
            cell_ref=cell,
            value="（公式）",
        )
    return blocked


def _former_name_hint(resolution: Resolution, cell: LocatedCell | None, out: _Collector) -> None:
    """A renamed unit named by its former name (旬阳县 in a 2025 return) is read as the unit, with a hint."""
    if resolution.hint and resolution.unit is not None:
        fix = f"本次不必修改；今后请填写现名“{resolution.unit.name}”"
        out.add(WARNING, "former_unit_name", resolution.hint, fix, cell=cell)


def _resolve_submitter(
    located: LocatedReturn, catalog: Catalog, registry: Registry, year: int | None, out: _Collector
) -> Unit | None:
    expected_type = catalog.returns[located.return_code].submitted_by
    return_name = catalog.returns[located.return_code].name
    cell = located.header.get("unit_name")
    if _excel_error_issue(cell, f"“{_header_name(catalog, 'unit_name')}”", _HEADER_ERROR_FIX, out):
        return None
    text = _as_text(cell.raw) if cell else ""
    if not text:
        out.add(
            ERROR,
            "missing_unit",
            "未填写填报单位",
            "请在“填报单位（盖章）”后填写单位全称，如“西安市总工会”",
            cell=cell,
            sheet=cell.sheet if cell else "",
        )
        return None
    resolution = registry.resolve(text, expected_types={expected_type}, year=year)
    if resolution.unit is None:
        out.add(ERROR, "unknown_unit", resolution.message(), "请填写单位登记表中的单位全称", cell=cell)
        return None
    unit = resolution.unit
    if unit.type != expected_type:
        out.add(
            ERROR,
            "wrong_return_type",
            f"{unit.name}是{UNIT_TYPE_NAMES[unit.type]}，不填报《{return_name}》"
            f"（该表由{UNIT_TYPE_NAMES[expected_type]}填报）",
            "请改用本单位对应的报表模板重新填报",
            cell=cell,
        )
        return None
    _former_name_hint(resolution, cell, out)
    return unit


def _check_year(
    workbook: WorkbookData,
    located: LocatedReturn,
    catalog: Catalog,
    expected_year: int | None,
    today: date,
    out: _Collector,
) -> int | None:
    year, cell = located.year, located.year_source
    fix = "请使用本年度模板重新填报，并核对“报表年度”"
    if year is None and _excel_error_issue(cell, "“报表年度”", f"{_CHECK_FORMULA}，或直接填写年份", out):
        return None
    if year is None:
        out.add(
            ERROR,
            "missing_year",
            "未找到报表年度",
            "请在“报表年度”后填写本报表所属年度的四位年份；最好使用本年度模板",
            sheet=catalog.returns[located.return_code].sheets[0].name,
        )
        return None
    if not catalog.reporting.first_year <= year <= today.year:
        out.add(
            ERROR,
            "wrong_year",
            f"报表年度 {year} 不在可填报范围 {catalog.reporting.first_year}–{today.year} 内",
            fix,
            cell=cell,
        )
        return None
    stamped = workbook.properties.get("reporting_year", "")
    template_year = int(stamped) if stamped.isdigit() else year
    if template_year != year and not _template_year_change_accepted(workbook, template_year, year, cell, out):
        return None
    if expected_year is not None and expected_year != year:
        out.add(
            ERROR, "wrong_year", f"本次收取的是 {expected_year} 年度报表，文件中的报表年度为 {year}", fix, cell=cell
        )
        return None
    # Last year's template keeps last year's file name (2024年度_R2_…_模板.xlsx): that year names the template.
    named = {int(y) for y in YEAR_IN_FILE_NAME.findall(workbook.file_name)} - ({template_year} - {year})
    if named and year not in named:
        out.add(
            ERROR,
            "wrong_year",
            f"文件名表明是 {'、'.join(str(y) for y in sorted(named))} 年度报表，但文件中的报表年度为 {year}",
            "请核对报表年度：若填错了年度，请用正确年度的模板重新填报；若文件名有误，请更正文件名",
            cell=cell,
        )
        return None
    return year


def _template_year_change_accepted(
    workbook: WorkbookData, stamped: int, year: int, cell: LocatedCell | None, out: _Collector
) -> bool:
    """An earlier year's template with this year typed into it is accepted when its layout is this one.

    The template stamps its year and layout version into the file's properties. The visible year is what the
    unit declared, so it counts; a template of another layout version may place or name figures differently,
    and is refused. A year typed back (2024 template, 2023 typed) is no reuse of an old template: refused.
    """
    if stamped < year and workbook.properties.get("template_version") == TEMPLATE_VERSION:
        out.add(
            WARNING,
            "template_year_changed",
            f"所用模板是 {stamped} 年度的，报表年度已改为 {year}；模板版式相同，按 {year} 年度接收",
            f"本次不必修改；今后请使用 {year} 年度模板填报",
            cell=cell,
        )
        return True
    layout = "，版式与本年度模板不同" if stamped < year else ""
    out.add(
        ERROR,
        "wrong_year",
        f"文件中的报表年度为 {year}，但所用模板是 {stamped} 年度的{layout}",
        f"请使用 {year} 年度模板重新填报，或核对报表年度",
        cell=cell,
    )
    return False


_HEADER_ERROR_FIX = f"{_CHECK_FORMULA}，或直接填写文字"


# Each catalog's header field names by code: every return asks for four of them, and the catalog holds a list.
_HEADER_NAMES: dict[int, tuple[weakref.ref[Catalog], dict[str, str]]] = {}


def _header_name(catalog: Catalog, code: str) -> str:
    kept = _HEADER_NAMES.get(id(catalog))
    if kept is None or kept[0]() is not catalog:
        for key in [k for k, (ref, _) in _HEADER_NAMES.items() if ref() is None]:  # catalogs since dropped
            del _HEADER_NAMES[key]
        names: dict[str, str] = {}
        for spec in catalog.header_block:
            names.setdefault(spec.code, spec.name)  # the first of a code, as a search of the list finds
        kept = _HEADER_NAMES[id(catalog)] = (weakref.ref(catalog), names)
    return kept[1][code]


def _header_values(
    located: LocatedReturn, catalog: Catalog, year: int | None, out: _Collector
) -> tuple[str | None, str | None, date | None]:
    # An Excel error value is reported as such and is neither a value nor "left empty".
    cells = {
        code: cell
        for code in ("submitter", "phone", "filled_on")
        if not _excel_error_issue(
            cell := located.header.get(code), f"“{_header_name(catalog, code)}”", _HEADER_ERROR_FIX, out
        )
    }
    texts = {code: parse_text(cell.raw).value if cell else None for code, cell in cells.items()}
    if "submitter" in cells and not texts["submitter"]:
        out.add(WARNING, "missing_submitter", "未填写填报人", "请填写填报人姓名，便于核实数据", cell=cells["submitter"])
    if "phone" in cells and not texts["phone"]:
        out.add(WARNING, "missing_phone", "未填写联系电话", "请填写联系电话，便于核实数据", cell=cells["phone"])
    filled_on = None
    cell = cells.get("filled_on")
    if cell is not None:
        parsed = parse_date(cell.raw, reporting_year=year)
        if parsed.ok and not parsed.empty:
            filled_on = parsed.value
        elif not parsed.ok:
            fix = type_fix("date", year)
            out.add(WARNING, "bad_filled_on", parsed.error or "填报日期无法识别", fix, cell=cell)
    submitter, phone = texts.get("submitter"), texts.get("phone")
    return (str(submitter) if submitter else None, str(phone) if phone else None, filled_on)


def _remark(cell: LocatedCell | None, subject: str, out: _Collector, *, indicator: str = "") -> str | None:
    """The 说明 text kept with a figure (of an indicator, or a record's row); an Excel error value there is
    reported, not stored."""
    if cell is None:  # most figures have no 说明
        return None
    if _excel_error_issue(cell, f"“{subject}”的说明", _HEADER_ERROR_FIX, out, indicator=indicator):
        return None
    return _as_text(cell.raw) or None


def _unit_values(
    located: LocatedReturn, catalog: Catalog, unit: Unit, year: int | None, blocked: set, out: _Collector
) -> list[ValueRow]:
    rows = []
    remarks, entity = located.remarks, unit.code
    figures = _figure_readings(catalog, year)
    for indicator, cell, reading in _read_cells(
        located.values.items(), catalog.indicators, _readings(catalog), figures, year
    ):
        if blocked and (cell.sheet, cell.cell) in blocked:
            continue
        code = indicator.code
        remark_cell = remarks.get(code)  # most figures have no 说明
        remark = None if remark_cell is None else _remark(remark_cell, indicator.name, out, indicator=indicator.name)
        for issue in reading.issues:
            out.place(issue, cell)
        figure = reading.figure
        if figure is not None:
            rows.append(_value_row(code, entity, 0, figure, remark, cell))
    return rows


# Record keys recur (a city's counties, in each of its returns): a key resolved cleanly (no Excel error value, no
# former name, nothing to report) is kept per registry, by what its resolution depends on: the kind of table (a
# county's parent, or the kinds a key resolves to), the year and the text as typed.
_RECORD_KEYS: weakref.WeakKeyDictionary[Registry, dict[tuple, Unit]] = weakref.WeakKeyDictionary()
_RECORD_KEYS_KEPT = 20_000


def _resolved_keys(registry: Registry) -> dict[tuple, Unit]:
    kept = _RECORD_KEYS.get(registry)
    if kept is None:
        kept = _RECORD_KEYS[registry] = {}
    return kept


def _resolve_record_key(
    record: LocatedRecord, table: Table, unit: Unit, registry: Registry, year: int | None, out: _Collector
) -> Unit | None:
    key_name = table.key.name if table.key else "单位名称"
    if _excel_error_issue(record.key, f"“{key_name}”", _HEADER_ERROR_FIX, out):
        return None
    text = _as_text(record.key.raw)
    if table.level == "county":
        resolution = registry.resolve(text, types={"county"}, parent=unit.code, year=year)
        _former_name_hint(resolution, record.key, out)
        if resolution.unit is None:
            out.add(
                ERROR,
                "unknown_county",
                f"“{text}”不是{unit.short_name}所辖的县（区）。{resolution.message()}",
                f"请填写{unit.short_name}所辖县（区）的名称，每个县（区）一行",
                cell=record.key,
            )
        return resolution.unit
    kinds = set(table.key.resolves) if table.key else None
    resolution = registry.resolve(text, types=kinds, year=year)
    _former_name_hint(resolution, record.key, out)
    if resolution.unit is None:
        out.add(ERROR, "unknown_unit", resolution.message(), "请填写被督查单位的全称", cell=record.key)
    return resolution.unit


def _record_values(
    located: LocatedReturn,
    catalog: Catalog,
    unit: Unit,
    registry: Registry,
    year: int | None,
    blocked: set,
    out: _Collector,
) -> list[ValueRow]:
    rows: list[ValueRow] = []
    readings, indicators, resolved = _readings(catalog), catalog.indicators, _resolved_keys(registry)
    figures = _figure_readings(catalog, year)
    for table_code, records in located.records.items():
        table = catalog.tables[table_code]
        seen: dict[str, LocatedRecord] = {}
        repeat_allowed = table.code == "R4_RANDOM"
        if table.level == "county":
            kind: tuple = ("county", unit.code, year)
        else:
            kind = ("units", table.key.resolves if table.key else None, year)
        for position, record in enumerate(records, start=1):
            read = _read_cells(record.values.items(), indicators, readings, figures, year)
            if all(reading.empty for _, _, reading in read):
                out.add(
                    WARNING,
                    "empty_row",
                    f"“{_as_text(record.key.raw)}”这一行没有填写任何数据，按未报送处理",
                    "如该单位有数据，请补填后重新报送",
                    cell=record.key,
                )
                continue
            key_raw = record.key.raw
            known = (kind, key_raw) if type(key_raw) is str and len(key_raw) <= _READING_TEXT_CHARS else None
            entity = resolved.get(known) if known is not None else None
            if entity is None:
                told = len(out.issues)
                entity = _resolve_record_key(record, table, unit, registry, year, out)
                if entity is None:
                    continue
                if known is not None and len(out.issues) == told:  # resolved with nothing to tell: the same again
                    if len(resolved) >= _RECORD_KEYS_KEPT:
                        resolved.clear()
                    resolved[known] = entity
            if entity.code in seen and not repeat_allowed:
                first = seen[entity.code].key
                out.add(
                    ERROR,
                    "duplicate_row",
                    f"“{entity.name}”出现了两次（另见 {first.cell}）",
                    "每个单位只填一行，请合并或删除重复行",
                    cell=record.key,
                )
                continue
            seen[entity.code] = record
            remark = _remark(record.remark, entity.name, out)
            row_no = position if repeat_allowed else 0
            entity_code = entity.code
            for indicator, cell, reading in read:
                if blocked and (cell.sheet, cell.cell) in blocked:
                    continue
                for issue in reading.issues:
                    out.place(issue, cell)
                figure = reading.figure
                if figure is not None:
                    rows.append(_value_row(indicator.code, entity_code, row_no, figure, remark, cell))
        if table.level == "county":
            _report_missing_counties(unit, set(seen), registry, table, out)
    return rows


def _report_missing_counties(unit: Unit, present: set[str], registry: Registry, table: Table, out: _Collector) -> None:
    missing = [c.name for c in registry.counties_of(unit.code) if c.code not in present]
    if missing:
        out.add(
            WARNING,
            "missing_counties",
            f"区县明细缺少：{'、'.join(missing)}（按未开展计）",
            "请为每个所辖县（区）各填一行",
            sheet=table.sheet,
        )


# The checks of each return type, per catalog object: the catalog finds them by scanning all its checks per ask.
_CHECKS: dict[int, tuple[weakref.ref[Catalog], dict[str, tuple[Check, ...]]]] = {}


def _checks_of_return(catalog: Catalog, return_code: str) -> tuple[Check, ...]:
    kept = _CHECKS.get(id(catalog))
    if kept is None or kept[0]() is not catalog:
        for key in [k for k, (ref, _) in _CHECKS.items() if ref() is None]:  # catalogs since dropped
            del _CHECKS[key]
        kept = _CHECKS[id(catalog)] = (weakref.ref(catalog), {})
    checks = kept[1].get(return_code)
    if checks is None:
        checks = kept[1][return_code] = catalog.checks_of_return(return_code)
    return checks


def _check_arithmetic(values: list[ValueRow], catalog: Catalog, return_code: str, out: _Collector) -> None:
    checks = _checks_of_return(catalog, return_code)
    if not checks:  # most return types have none: no need to index their figures
        return
    compared = {code for check in checks for code in (check.lhs, check.rhs)}  # the other figures play no part
    by_key = {(v.indicator, v.entity_code, v.row_no): v for v in values if v.indicator in compared}
    of_indicator: dict[str, list[tuple[str, int, ValueRow]]] = {}  # each check reads only its own indicator's rows
    for (indicator, entity, row_no), value in by_key.items():
        of_indicator.setdefault(indicator, []).append((entity, row_no, value))
    for check in checks:
        for entity, row_no, lhs in of_indicator.get(check.lhs, ()):
            rhs = by_key.get((check.rhs, entity, row_no))
            if rhs is None or lhs.value_num is None or rhs.value_num is None:
                continue
            if lhs.value_num > rhs.value_num + 1e-9:
                lhs_name = catalog.indicator(check.lhs).name
                rhs_name = catalog.indicator(check.rhs).name
                message = f"{check.message}：{lhs_name} {_as_text(lhs.value_num)} ＞ {rhs_name} {_as_text(rhs.value_num)}（{rhs.cell}）"
                fix = (
                    "请核对这两个数；如确属实，请在“说明”栏写明原因"
                    if check.severity == WARNING
                    else "请核对这两个数后更正"
                )
                out.issues.append(
                    Issue(
                        check.severity,
                        "check_failed",
                        message,
                        fix,
                        out.file_name,
                        lhs.sheet,
                        lhs.cell,
                        lhs.raw_text,
                        indicator=lhs_name,
                    )
                )


def is_demo_file(workbook: WorkbookData) -> bool:
    """Demo returns carry a demo_data property; an .xls copy cannot hold one, so its 演示_ name counts too."""
    return workbook.properties.get("demo_data", "").lower() == "true" or workbook.file_name.startswith(DEMO_PREFIX)


def validate_return(
    workbook: WorkbookData,
    located: LocatedReturn,
    catalog: Catalog,
    registry: Registry,
    *,
    expected_year: int | None = None,
    today: date | None = None,
) -> ValidatedReturn:
    """Check a located return against the catalog and registry; never raises for bad content."""
    out = _Collector(workbook.file_name, list(located.issues))
    today = today or date.today()
    blocked = _check_formulas(workbook, located, out)
    # The year first: whether a former unit name deserves a hint depends on it.
    year = _check_year(workbook, located, catalog, expected_year, today, out)
    unit = _resolve_submitter(located, catalog, registry, year, out)
    submitter, phone, filled_on = _header_values(located, catalog, year, out)
    values: list[ValueRow] = []
    if unit is not None:
        values = _unit_values(located, catalog, unit, year, blocked, out)
        values += _record_values(located, catalog, unit, registry, year, blocked, out)
        _check_arithmetic(values, catalog, located.return_code, out)
    return ValidatedReturn(
        file_name=workbook.file_name,
        sha256=workbook.sha256,
        return_code=located.return_code,
        year=year,
        unit_code=unit.code if unit else None,
        submitter=submitter,
        phone=phone,
        filled_on=filled_on,
        values=tuple(values),
        issues=tuple(out.issues),
        is_demo=is_demo_file(workbook),
    )
