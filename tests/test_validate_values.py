"""Cell values through read → locate → validate → load, on returns filled in the real templates the way clerks
fill them: the exact values that land in the warehouse and the exact hint each reading gives the submitter."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl.utils.cell import coordinate_to_tuple

from pipeline.catalog import load_catalog
from pipeline.issues import ERROR, WARNING, Issue
from pipeline.load import load_validated
from pipeline.locate import locate_return
from pipeline.normalise import answer_words, parse_bool
from pipeline.read import SheetData, WorkbookData, read_workbook
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn
from pipeline.warehouse import writer

CATALOG, REGISTRY = load_catalog(), load_registry()
TODAY = date(2026, 1, 20)
RECEIVED = datetime(2026, 1, 20, 9, 0)
HEADER = {"submitter": "张敏", "phone": "029-87654321", "filled_on": date(2026, 1, 10)}
FILE = "报表.xlsx"


def _bytes(return_code: str, unit_code: str, year: int, values: dict, records: dict | None = None, **kw) -> bytes:
    wb, layout = build_template(CATALOG, REGISTRY, return_code, year, unit_code=unit_code)
    header = {"unit_name": REGISTRY.get(unit_code).name, **HEADER, **kw.pop("header", {})}
    fill_return(wb, layout, header=header, values=values, records=records, **kw)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _layout(return_code: str, unit_code: str, year: int = 2025):
    return build_template(CATALOG, REGISTRY, return_code, year, unit_code=unit_code)[1]


def _validate(workbook: WorkbookData) -> ValidatedReturn:
    return validate_return(workbook, locate_return(workbook, CATALOG), CATALOG, REGISTRY, today=TODAY)


def _check(data: bytes) -> ValidatedReturn:
    return _validate(read_workbook(data, FILE))


def _warehouse(validated: ValidatedReturn, tmp_path: Path) -> tuple[dict, dict]:
    """Load into a fresh warehouse; (the submission row, {(indicator, entity): value row}) as stored."""
    with writer(tmp_path / "warehouse.duckdb", catalog=CATALOG) as con:
        outcome = load_validated(con, validated, received_at=RECEIVED, raw_path="raw/x.xlsx")
        cursor = con.execute("select * from submissions where submission_id = ?", [outcome.submission_id])
        submission = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
        cursor = con.execute("select * from raw_values where submission_id = ?", [outcome.submission_id])
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return submission, {(r["indicator"], r["entity_code"]): r for r in rows}


def _with_cells(workbook: WorkbookData, sheet: str, cells: dict[str, object]) -> WorkbookData:
    """The workbook with some cells of one sheet replaced, as the read stage would hand them on."""
    sheets = []
    for data in workbook.sheets:
        if data.name == sheet:
            rows = [list(r) for r in data.rows]
            for ref, value in cells.items():
                row, col = coordinate_to_tuple(ref)
                rows.extend([] for _ in range(row - len(rows)))
                rows[row - 1].extend([None] * (col - len(rows[row - 1])))
                rows[row - 1][col - 1] = value
            data = SheetData(data.name, data.visible, tuple(tuple(r) for r in rows), data.merged)
        sheets.append(data)
    return dataclasses.replace(workbook, sheets=tuple(sheets))


def _warnings(validated: ValidatedReturn) -> list[tuple[str, str, str, str]]:
    return [(i.code, i.cell, i.message, i.value) for i in validated.issues if i.severity == WARNING]


def _errors(validated: ValidatedReturn) -> list[Issue]:
    return [i for i in validated.issues if i.severity == ERROR]


# -- R2: counts written the way clerks write them ------------------------------------------------------------------

R2_CLEAN = {i.code: 1 for i in CATALOG.indicators_of_table("R2_MAIN")} | {
    "m13_has_joint_meeting_system": "是",
    "m7_grassroots_unions": 40,
    "m7_members": 9000,
    "m7_employees": 20000,
}


def _r2(**typed: object) -> bytes:
    return _bytes("R2", "I01", 2025, {**R2_CLEAN, **typed})


def test_counts_as_clerks_type_them_land_as_numbers_with_a_hint_for_each_reading(tmp_path):
    typed = {
        "m11_guidance_visits": "无",  # 次, required: none of them
        "m13_meetings_held": "—",
        "m15_joint_activities": "4次",  # the indicator's own unit: nothing to say
        "m16_cadres_exchanged": "9名",  # 名 is how people count 人
        "m13_counterparts": "2家",
        "m7_rationalized_this_year": "3个",
        "m18_research_topics": "3项",  # 项 under a 个 indicator: accepted, checked
        "m16_training_sessions": "两期",
        "m7_members": "1.5万",
        "m11_leadership_studies": "约12",
        "m17_rated_excellent": "/",
    }
    validated = _check(_r2(**typed))
    assert _errors(validated) == []
    cells = {code: _layout("R2", "I01").value_cells[code].cell for code in typed}
    expected = [
        ("nothing_as_zero", cells["m11_guidance_visits"], "“对下级产业工会工作指导次数”按“没有”读作 0", "无"),
        ("nothing_as_zero", cells["m13_meetings_held"], "“本年召开联席（联系）会议次数”按“没有”读作 0", "—"),
        (
            "counting_word",
            cells["m18_research_topics"],
            "“专题研究课题数”按 3 读入；计量词“项”与本指标的计量单位“个”不同，请核对是否填错了行",
            "3项",
        ),
        ("converted_number", cells["m16_training_sessions"], "“举办培训班期数”按 2 读入", "两期"),
        ("converted_number", cells["m7_members"], "“会员人数”按 15000 读入", "1.5万"),
        (
            "estimate",
            cells["m11_leadership_studies"],
            "“领导班子专题研究产业工会工作次数”是估计数，按 12 读入；如有准确数请更正",
            "约12",
        ),
        ("nothing_as_zero", cells["m17_rated_excellent"], "“年度考核优秀人数”按“没有”读作 0", "/"),
    ]
    assert sorted(_warnings(validated)) == sorted(expected)
    _, stored = _warehouse(validated, tmp_path)
    loaded = {code: stored[(code, "I01")]["value_num"] for code in typed}
    assert loaded == {
        "m11_guidance_visits": 0,
        "m13_meetings_held": 0,
        "m15_joint_activities": 4,
        "m16_cadres_exchanged": 9,
        "m13_counterparts": 2,
        "m7_rationalized_this_year": 3,
        "m18_research_topics": 3,
        "m16_training_sessions": 2,
        "m7_members": 15000,
        "m11_leadership_studies": 12,
        "m17_rated_excellent": 0,
    }
    # The remark of each reading is kept with the value too.
    assert stored[("m7_members", "I01")]["note"] == "已由万人换算为人"
    assert stored[("m11_guidance_visits", "I01")]["note"] == "按 0 读入"
    assert stored[("m11_guidance_visits", "I01")]["raw_text"] == "无"


def test_every_hint_names_file_sheet_cell_and_indicator():
    validated = _check(_r2(m7_members="1.5万"))
    (hint,) = [i for i in validated.issues if i.code == "converted_number"]
    cell = _layout("R2", "I01").value_cells["m7_members"].cell
    assert hint.format_line() == (
        f"[提示] 文件“{FILE}”，工作表“本级情况”，单元格 {cell}：“会员人数”按 15000 读入（填写的是“1.5万”）。"
        " 修改方法：请核对读入的数；如不对，请改填阿拉伯数字后重新报送"
    )


def test_a_mark_in_a_required_amount_is_missing_without_contradicting_itself():
    data = _bytes("R3", "P00", 2025, _r3_values(m4_funds_requested="—"))
    (error,) = _errors(_check(data))
    assert (error.code, error.message, error.value) == ("missing_value", "必填指标“申请经费”没有填写数值", "—")


# -- R1: yes/no answers in the words of the question ---------------------------------------------------------------


def _county_rows(answers: list[tuple[object, object]]) -> list[dict[str, object]]:
    return [
        {
            "m3_county_meeting_held": meeting,
            "m6_county_budget_included": budget,
            "m6_county_budget_amount": 5,
            "m8_county_industry_unions": 1,
            "m8_county_new_form_federations": 1,
            "m8_county_township_federations": 2,
        }
        for meeting, budget in answers
    ]


R1_MAIN_VALUES = {
    "m3_city_meetings": 2,
    "m6_budget_key_work": 50,
    "m6_resident_office_funds": 20,
    "m8_city_industry_unions": 6,
    "m8_city_new_form_federations": 2,
}
BAOJI_ANSWERS = [
    ("已召开", "已纳入"),
    ("未召开", "未纳入"),
    ("召开", "没有纳入"),
    ("尚未召开", "纳入本级预算"),
    ("是", "否"),
    ("√", "×"),
    ("已召开专题会议", "不纳入"),
    ("有", "无"),
    ("是", "尚未纳入"),
    ("是", "已经纳入"),
    ("否", "未纳入预算"),
    ("是", "已纳入。"),
]


def test_yes_no_answers_in_the_questions_own_verb_land_as_booleans(tmp_path):
    data = _bytes("R1", "C03", 2025, R1_MAIN_VALUES, records={"R1_COUNTY": _county_rows(BAOJI_ANSWERS)})
    validated = _check(data)
    assert validated.issues == ()
    _, stored = _warehouse(validated, tmp_path)
    counties = [c.code for c in REGISTRY.counties_of("C03")]
    meetings = [stored[("m3_county_meeting_held", c)]["value_bool"] for c in counties]
    budgets = [stored[("m6_county_budget_included", c)]["value_bool"] for c in counties]
    assert meetings == [True, False, True, False, True, True, True, True, True, True, False, True]
    assert budgets == [True, False, False, True, False, False, False, False, False, True, False, True]
    assert stored[("m6_county_budget_included", "C03-01")]["raw_text"] == "已纳入"


@pytest.mark.parametrize(
    "indicator", [i for i in CATALOG.indicators.values() if i.type == "bool"], ids=lambda i: i.code
)
def test_every_yes_no_indicator_of_the_catalog_has_its_verb(indicator):
    words = answer_words(indicator.name, indicator.aliases)
    (verb,) = words.verbs
    assert verb in indicator.name
    answers = {f"已{verb}": True, f"未{verb}": False, f"没有{verb}": False, f"尚未{verb}": False, verb: True}
    assert {text: parse_bool(text, words=words).value for text in answers} == answers


def test_a_verb_from_another_question_is_refused_naming_this_questions_words():
    answers = [("是", "已建立")] + [("是", "是")] * 11
    validated = _check(_bytes("R1", "C03", 2025, R1_MAIN_VALUES, records={"R1_COUNTY": _county_rows(answers)}))
    (error,) = _errors(validated)
    assert (error.code, error.message) == (
        "not_a_bool",
        "“已建立”无法识别，请填写“是”或“否”（也可填“已纳入”或“未纳入”）",
    )


def test_an_answer_with_a_remark_is_read_and_the_remark_is_pointed_out():
    answers = [("是", "已纳入（50万元）")] + [("是", "是")] * 11
    validated = _check(_bytes("R1", "C03", 2025, R1_MAIN_VALUES, records={"R1_COUNTY": _county_rows(answers)}))
    assert [(code, message) for code, _, message, _ in _warnings(validated)] == [
        ("answer_with_remark", "“是否将产业工会经费纳入本级预算”按“是”读入，后面的说明文字没有读入")
    ]


# -- R3: a date without a year --------------------------------------------------------------------------------------


def _r3_values(**typed: object) -> dict[str, object]:
    values = {i.code: 10 for i in CATALOG.indicators_of_table("R3_MAIN")}
    values |= {"m1_conference_date": date(2025, 5, 12), "m2_meeting_date": date(2025, 3, 1), "m2_unions_reported": 8}
    return values | typed


def test_a_date_without_a_year_takes_the_reporting_year(tmp_path):
    validated = _check(_bytes("R3", "P00", 2025, _r3_values(m1_conference_date="6月18日")))
    cell = _layout("R3", "P00").value_cells["m1_conference_date"].cell
    assert _warnings(validated) == [
        (
            "date_without_year",
            cell,
            "“全省产业工会工作会议召开日期”没有写年份，按报表年度读作 2025年6月18日；如不是2025年请更正",
            "6月18日",
        )
    ]
    _, stored = _warehouse(validated, tmp_path)
    assert stored[("m1_conference_date", "P00")]["value_date"] == date(2025, 6, 18)


# -- last year's template with this year typed into it --------------------------------------------------------------


def _last_years_template_with_year(year_typed: int) -> WorkbookData:
    layout = _layout("R2", "I01", 2024)
    workbook = read_workbook(_bytes("R2", "I01", 2024, R2_CLEAN), FILE)
    return _with_cells(workbook, layout.year_cell.sheet, {layout.year_cell.cell: year_typed})


def test_last_years_template_with_the_year_changed_is_accepted_for_the_year_typed():
    validated = _validate(_last_years_template_with_year(2025))
    assert validated.year == 2025 and validated.status == "accepted_with_warnings"
    assert [(i.code, i.message, i.fix) for i in validated.issues] == [
        (
            "template_year_changed",
            "所用模板是 2024 年度的，报表年度已改为 2025；模板版式相同，按 2025 年度接收",
            "本次不必修改；今后请使用 2025 年度模板填报",
        )
    ]


def test_last_years_template_keeps_its_file_name_and_is_still_accepted():
    workbook = dataclasses.replace(
        _last_years_template_with_year(2025), file_name="2024年度_R2_省级产业工会年度报表_模板.xlsx"
    )
    validated = _validate(workbook)
    assert (validated.year, [i.code for i in validated.issues]) == (2025, ["template_year_changed"])
    # A year in the file name that is neither the template's nor the one typed is still questioned.
    workbook = dataclasses.replace(workbook, file_name="2023年度报表.xlsx")
    assert [i.code for i in _validate(workbook).issues] == ["template_year_changed", "wrong_year"]


def test_a_year_typed_back_into_a_template_is_refused():
    layout = _layout("R2", "I01", 2025)
    workbook = read_workbook(_bytes("R2", "I01", 2025, R2_CLEAN), FILE)
    workbook = _with_cells(workbook, layout.year_cell.sheet, {layout.year_cell.cell: 2024})
    assert [(i.code, i.message) for i in _errors(_validate(workbook))] == [
        ("wrong_year", "文件中的报表年度为 2024，但所用模板是 2025 年度的")
    ]


def test_a_template_of_another_layout_with_the_year_changed_is_refused():
    workbook = _last_years_template_with_year(2025)
    workbook = dataclasses.replace(workbook, properties={**workbook.properties, "template_version": "2020.1"})
    validated = _validate(workbook)
    assert [(i.code, i.message) for i in _errors(validated)] == [
        ("wrong_year", "文件中的报表年度为 2025，但所用模板是 2024 年度的，版式与本年度模板不同")
    ]


# -- Excel error values ---------------------------------------------------------------------------------------------

CHECK_FORMULA = "请检查这个单元格的公式（例如除数是否为 0、引用的单元格是否已被删除）并改正"


def test_excel_error_values_are_errors_naming_cell_indicator_and_meaning():
    from pipeline.cell_values import ExcelErrorValue

    layout = _layout("R1", "C03")
    county = layout.records["R1_COUNTY"]
    first, second = county.first_data_row, county.first_data_row + 1
    data = _bytes("R1", "C03", 2025, R1_MAIN_VALUES, records={"R1_COUNTY": _county_rows([("是", "是")] * 12)})
    workbook = read_workbook(data, FILE)
    main_sheet = layout.value_cells["m3_city_meetings"].sheet
    workbook = _with_cells(
        workbook,
        main_sheet,
        {
            layout.value_cells["m3_city_meetings"].cell: ExcelErrorValue("#DIV/0!"),
            layout.remark_cells["m6_budget_key_work"].cell: ExcelErrorValue("#REF!"),
            layout.header_cells["submitter"].cell: ExcelErrorValue("#VALUE!"),
        },
    )
    bool_cell = f"{county.columns['m6_county_budget_included']}{first}"
    key_cell = f"{county.key_column}{second}"
    workbook = _with_cells(
        workbook, county.sheet, {bool_cell: ExcelErrorValue("#N/A"), key_cell: ExcelErrorValue("#REF!")}
    )
    validated = _validate(workbook)
    found = {(i.sheet, i.cell): (i.code, i.message, i.fix, i.value) for i in validated.issues}
    assert found == {
        (main_sheet, layout.header_cells["submitter"].cell): (
            "excel_error_value",
            "“填报人”是 Excel 错误值“#VALUE!”，意思是参与计算的单元格类型不对（如把文字当作数字计算），读不出数据",
            f"{CHECK_FORMULA}，或直接填写文字",
            "#VALUE!",
        ),
        (main_sheet, layout.value_cells["m3_city_meetings"].cell): (
            "excel_error_value",
            "“市总工会召开研究产业工会工作专题会议次数”的单元格是 Excel 错误值“#DIV/0!”，意思是除数为 0，读不出数据",
            f"{CHECK_FORMULA}；确实没有数据的，请直接填 0",
            "#DIV/0!",
        ),
        (main_sheet, layout.remark_cells["m6_budget_key_work"].cell): (
            "excel_error_value",
            "“本级预算安排产业工会重点工作经费”的说明是 Excel 错误值“#REF!”，意思是公式引用的单元格已被删除，读不出数据",
            f"{CHECK_FORMULA}，或直接填写文字",
            "#REF!",
        ),
        (county.sheet, bool_cell): (
            "excel_error_value",
            "“是否将产业工会经费纳入本级预算”的单元格是 Excel 错误值“#N/A”，意思是查找的值不存在，读不出数据",
            f"{CHECK_FORMULA}，或直接选择“是”或“否”",
            "#N/A",
        ),
        (county.sheet, key_cell): (
            "excel_error_value",
            "“县（区）名称”是 Excel 错误值“#REF!”，意思是公式引用的单元格已被删除，读不出数据",
            f"{CHECK_FORMULA}，或直接填写文字",
            "#REF!",
        ),
        # The county whose name cell is broken cannot be placed, so it is missing as well.
        (county.sheet, ""): (
            "missing_counties",
            "区县明细缺少：金台区（按未开展计）",
            "请为每个所辖县（区）各填一行",
            "",
        ),
    }
    assert validated.status == "rejected"


@pytest.mark.parametrize("error_text", ["#DIV/0!", "#N/A", "#NAME?"])
def test_an_excel_error_in_a_records_row_is_not_an_empty_row(error_text):
    from pipeline.cell_values import ExcelErrorValue

    layout = _layout("R1", "C03")
    county = layout.records["R1_COUNTY"]
    data = _bytes("R1", "C03", 2025, R1_MAIN_VALUES, records={"R1_COUNTY": _county_rows([("是", "是")] * 12)})
    row = county.first_data_row
    blanks = {f"{column}{row}": None for column in county.columns.values()}
    cells = blanks | {f"{county.columns['m8_county_industry_unions']}{row}": ExcelErrorValue(error_text)}
    validated = _validate(_with_cells(read_workbook(data, FILE), county.sheet, cells))
    # Not skipped as a blank row (empty_row): the error, and the row's other required cells, are reported.
    assert sorted(i.code for i in validated.issues) == ["excel_error_value"] + ["missing_value"] * 4
    (error,) = [i for i in validated.issues if i.code == "excel_error_value"]
    assert (error.cell, error.value) == (f"{county.columns['m8_county_industry_unions']}{row}", error_text)


# -- control characters ---------------------------------------------------------------------------------------------


def test_a_nul_in_names_and_remarks_never_reaches_the_warehouse(tmp_path):
    layout = _layout("R1", "C03")
    county = layout.records["R1_COUNTY"]
    data = _bytes(
        "R1", "C03", 2025, R1_MAIN_VALUES, remarks={}, records={"R1_COUNTY": _county_rows([("是", "是")] * 12)}
    )
    # openpyxl refuses to write control characters, but other writers do not: put them in as a reader sees them.
    header = layout.header_cells
    workbook = _with_cells(
        read_workbook(data, FILE),
        header["submitter"].sheet,
        {
            header["submitter"].cell: "张\x00敏",
            header["phone"].cell: "029-8765\x004321\x7f",
            header["unit_name"].cell: "宝鸡市总工会\x00",
            layout.remark_cells["m3_city_meetings"].cell: "含\x1b两次\x00联席会",
        },
    )
    workbook = _with_cells(
        workbook,
        county.sheet,
        {
            f"{county.key_column}{county.first_data_row}": "渭滨区\x00",
            f"{county.columns['m8_county_industry_unions']}{county.first_data_row}": "1\x00",
        },
    )
    validated = _validate(workbook)
    assert validated.issues == ()
    submission, stored = _warehouse(validated, tmp_path)
    assert (submission["submitter"], submission["phone"], submission["unit_code"]) == ("张敏", "029-87654321", "C03")
    assert stored[("m3_city_meetings", "C03")]["remark"] == "含两次联席会"
    assert stored[("m8_county_industry_unions", "C03-01")]["value_num"] == 1
    assert stored[("m8_county_industry_unions", "C03-01")]["raw_text"] == "1"
    texts = [v for row in stored.values() for v in row.values() if isinstance(v, str)]
    texts += [v for v in submission.values() if isinstance(v, str)]
    assert not [t for t in texts if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in t)]
