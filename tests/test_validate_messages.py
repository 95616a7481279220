"""Messages addressed to the person who must act, on returns filled in the real templates: former unit names read
with a hint, examples in the reporting year, whole-number examples for counts, and the indicator named beside
file, sheet and cell on screen, in the JSON list and in the 错误清单 sheet."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from pipeline.catalog import load_catalog
from pipeline.issues import ERROR, WARNING, Issue
from pipeline.locate import locate_return
from pipeline.read import read_workbook
from pipeline.registry import load_registry
from pipeline.report import annotate_workbook, format_terminal
from pipeline.template_layout import type_error
from pipeline.templates import build_template, fill_return
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn
from tests.locate_returns import figures

CATALOG, REGISTRY = load_catalog(), load_registry()
TODAY = date(2026, 1, 20)
FILE = "报表.xlsx"
HEADER = {"submitter": "张敏", "phone": "0915-3261234", "filled_on": date(2026, 1, 10)}
ANKANG = "C09"  # 安康市: 旬阳县 became 旬阳市 in 2021


def _return(code: str, unit_code: str | None, unit_name: str, year: int, *, values=None, records=None) -> bytes:
    wb, layout = build_template(CATALOG, REGISTRY, code, year, unit_code=unit_code)
    filled = figures(list(layout.value_cells)) | (values or {})
    if records is None:
        records = {
            table: [figures(list(t.columns), row) for row in range(len(REGISTRY.counties_of(unit_code)))]
            for table, t in layout.records.items()
        }
    fill_return(wb, layout, header={"unit_name": unit_name, **HEADER}, values=filled, records=records)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _validate(data: bytes) -> ValidatedReturn:
    workbook = read_workbook(data, FILE)
    return validate_return(workbook, locate_return(workbook, CATALOG), CATALOG, REGISTRY, today=TODAY)


def _cell(code: str, unit_code: str | None, indicator: str, year: int = 2025) -> str:
    return build_template(CATALOG, REGISTRY, code, year, unit_code=unit_code)[1].value_cells[indicator].cell


def _ankang_with_county_key(key: str, year: int) -> ValidatedReturn:
    """安康's R1 with one county row keyed by `key` instead of 旬阳市 (every figure filled)."""
    counties = REGISTRY.counties_of(ANKANG)
    layout = build_template(CATALOG, REGISTRY, "R1", year, unit_code=ANKANG)[1]
    columns = list(layout.records["R1_COUNTY"].columns)
    rows = [figures(columns, row) for row in range(len(counties))]
    position = next(i for i, county in enumerate(counties) if county.name == "旬阳市")
    rows[position]["key"] = key
    return _validate(_return("R1", ANKANG, "安康市总工会", year, records={"R1_COUNTY": rows}))


# -- former names --------------------------------------------------------------------------------------------------


def test_a_county_under_its_former_name_is_read_as_the_county_with_a_hint():
    validated = _ankang_with_county_key("旬阳县", 2025)
    assert [i for i in validated.issues if i.is_error] == []
    hints = [i for i in validated.issues if i.code == "former_unit_name"]
    assert len(hints) == 1
    hint = hints[0]
    assert (hint.severity, hint.message, hint.fix, hint.value) == (
        WARNING,
        "旬阳县已于2021年更名为旬阳市，按旬阳市读入",
        "本次不必修改；今后请填写现名“旬阳市”",
        "旬阳县",
    )
    assert hint.sheet == CATALOG.tables["R1_COUNTY"].sheet
    assert "missing_counties" not in {i.code for i in validated.issues}
    # The row's figures land under 旬阳市, as typed.
    layout = build_template(CATALOG, REGISTRY, "R1", 2025, unit_code=ANKANG)[1]
    position = next(i for i, c in enumerate(REGISTRY.counties_of(ANKANG)) if c.name == "旬阳市")
    typed = figures(list(layout.records["R1_COUNTY"].columns), position)
    xunyang = {v.indicator: (v.value_num, v.value_bool) for v in validated.values if v.entity_code == "C09-10"}
    assert xunyang == {
        code: (float(value), None) if CATALOG.indicators[code].is_numeric else (None, value == "是")
        for code, value in typed.items()
    }


def test_a_city_return_naming_its_city_by_a_typo_is_offered_cities_only():
    validated = _validate(_return("R1", "C03", "宝鸡士总工会", 2025))
    assert [(i.code, i.message) for i in validated.issues if i.is_error] == [
        (
            "unknown_unit",
            "无法识别单位名称“宝鸡士总工会”。最接近的是：宝鸡市总工会。请核对单位名称并按全称填写；"
            f"如名称无误（例如单位新近更名），请与{CATALOG.reporting.contact}联系。",
        )
    ]


def test_a_city_return_naming_a_county_by_a_typo_suggests_no_county():
    validated = _validate(_return("R1", "C09", "旬阳士总工会", 2025))
    assert [(i.code, i.message) for i in validated.issues if i.is_error] == [
        (
            "unknown_unit",
            "无法识别单位名称“旬阳士总工会”，未找到相近的单位。请核对单位名称并按全称填写；"
            f"如名称无误（例如单位新近更名），请与{CATALOG.reporting.contact}联系。",
        )
    ]


# -- examples in the reporting year, whole numbers for counts --------------------------------------------------------


def test_a_date_hint_gives_its_example_in_the_reporting_year():
    cell = _cell("R3", None, "m1_conference_date", 2024)
    data = _return("R3", None, "陕西省总工会", 2024, values={"m1_conference_date": "下个月"})
    [issue] = [i for i in _validate(data).issues if i.is_error]
    assert (issue.code, issue.cell, issue.indicator) == ("not_a_date", cell, "全省产业工会工作会议召开日期")
    assert issue.message == "“下个月”不是日期，请按 2024年5月12日 或 2024-05-12 的格式填写"
    assert issue.fix == "请按 2024-05-12 或 2024年5月12日 的格式填写日期"


def test_a_count_is_given_a_whole_number_example_and_an_amount_a_decimal_one():
    data = _return("R2", "I01", "陕西省教科文卫体工会", 2025, values={"m7_members": "若干", "m5_dues_due": "若干"})
    issues = {i.indicator: i for i in _validate(data).issues if i.is_error}
    assert issues["会员人数"].message == "“若干”不是数字，请填写阿拉伯数字（如 12）"
    assert issues["应收会费"].message == "“若干”不是数字，请填写阿拉伯数字（如 12 或 3.5）"
    assert issues["会员人数"].cell == _cell("R2", "I01", "m7_members")


def test_the_templates_date_validation_message_uses_the_templates_year():
    assert type_error("date", "日期", 2026) == "请填写2000年1月1日以后的有效日期，格式如2026-05-12。"


# -- the indicator beside file, sheet and cell ------------------------------------------------------------------------


def _bad_r2() -> ValidatedReturn:
    typed = {"m7_members": "若干", "m7_grassroots_unions": -3, "m11_leadership_studies": "约12"}
    return _validate(_return("R2", "I01", "陕西省教科文卫体工会", 2025, values=typed))


def test_every_value_issue_names_its_indicator():
    validated = _bad_r2()
    by_code = {i.code: i for i in validated.issues}
    assert {code: by_code[code].indicator for code in ("not_a_number", "out_of_range", "estimate")} == {
        "not_a_number": "会员人数",
        "out_of_range": "所属基层工会数",
        "estimate": "领导班子专题研究产业工会工作次数",
    }


def test_the_screen_line_names_the_indicator_the_message_leaves_out():
    validated = _bad_r2()
    issue = next(i for i in validated.issues if i.code == "not_a_number")
    sheet, cell = issue.sheet, _cell("R2", "I01", "m7_members")
    assert issue.format_line() == (
        f"[错误] 文件“{FILE}”，工作表“{sheet}”，单元格 {cell}，指标“会员人数”："
        "“若干”不是数字，请填写阿拉伯数字（如 12）（填写的是“若干”）。 修改方法：请填写非负整数（阿拉伯数字），如 12"
    )
    negative = next(i for i in validated.issues if i.code == "out_of_range")
    assert negative.location() == f"文件“{FILE}”，工作表“{sheet}”，单元格 {negative.cell}"  # named in the message
    assert negative.message == "“所属基层工会数”不能为负数"
    assert f"单元格 {cell}，指标“会员人数”" in format_terminal(FILE, "rejected", validated.issues)


def test_the_issue_list_sheet_has_an_indicator_column():
    data = _return("R2", "I01", "陕西省教科文卫体工会", 2025, values={"m7_members": "若干"})
    validated = _validate(data)
    listing = load_workbook(io.BytesIO(annotate_workbook(data, FILE, validated.issues)))["错误清单"]
    assert [c.value for c in listing[3]] == [
        "序号",
        "级别",
        "工作表",
        "单元格",
        "指标",
        "填写的内容",
        "问题",
        "修改方法",
    ]
    first = [c.value for c in listing[4]]
    assert first == [
        1,
        "错误",
        validated.issues[0].sheet,
        _cell("R2", "I01", "m7_members"),
        "会员人数",
        "若干",
        "“若干”不是数字，请填写阿拉伯数字（如 12）",
        "请填写非负整数（阿拉伯数字），如 12",
    ]


def test_an_arithmetic_check_names_its_left_hand_indicator():
    data = _return("R2", "I01", "陕西省教科文卫体工会", 2025, values={"m7_rationalized_this_year": 500})
    issue = next(i for i in _validate(data).issues if i.code == "check_failed")
    assert issue.indicator == "其中：本年理顺组织关系的基层工会数"


def test_issue_indicator_defaults_to_empty_and_round_trips_as_a_dict():
    issue = Issue(ERROR, "not_a_number", "不是数字", "请填数字", FILE, "本级情况", "D5", "x", "会员人数")
    assert Issue(**issue.as_dict()) == issue
    assert Issue(ERROR, "wrong_year", "年度不对", "改").indicator == ""
