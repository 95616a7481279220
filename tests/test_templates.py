"""The Excel return templates: written from the catalog, reopened with openpyxl and calamine, filled by layout."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.templates import (
    TEMPLATE_VERSION,
    CellRef,
    build_template,
    fill_return,
    template_bytes,
    template_filename,
    write_template,
)

YEAR = 2024
RETURN_CODES = ("R1", "R2", "R3", "R4")
# What each indicator type must get as Excel data validation: (type, operator, formula1, formula2).
EXPECTED_VALIDATION = {
    "count": ("whole", "greaterThanOrEqual", "0", None),
    "amount": ("decimal", "greaterThanOrEqual", "0", None),
    "score": ("decimal", "between", "0", "100"),
    "rate": ("decimal", "between", "0", "100"),
    "bool": ("list", None, '"是,否"', None),
    "date": ("date", "greaterThanOrEqual", "DATE(2000,1,1)", None),
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def written(catalog, registry, tmp_path_factory):
    """Every return type written for YEAR without a unit, with its layout: code -> (path, layout)."""
    folder = tmp_path_factory.mktemp("templates")
    result = {}
    for code in RETURN_CODES:
        _, layout = build_template(catalog, registry, code, YEAR)
        result[code] = (write_template(folder, catalog, registry, code, YEAR), layout)
    return result


def reopen(written, code):
    path, layout = written[code]
    return openpyxl.load_workbook(path), layout


def validation_at(ws, coordinate):
    matches = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(matches) <= 1, f"{ws.title}!{coordinate} has {len(matches)} validations"
    return matches[0] if matches else None


def assert_validation(ws, coordinate, indicator_type):
    dv = validation_at(ws, coordinate)
    if indicator_type == "text":
        assert dv is None
        return
    assert dv is not None, f"{ws.title}!{coordinate} has no validation"
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == EXPECTED_VALIDATION[indicator_type]
    assert dv.allow_blank and dv.showErrorMessage and dv.showInputMessage
    assert dv.errorTitle == "输入有误"


# -- sheets, titles, year, properties -----------------------------------------------------------------------------------


def test_sheet_names_and_order(written):
    expected = {
        "R1": ["填表说明", "本级情况", "区县明细", "代码表"],
        "R2": ["填表说明", "本级情况", "代码表"],
        "R3": ["填表说明", "本级情况", "代码表"],
        "R4": ["填表说明", "专项督查", "随机督查", "代码表"],
    }
    for code in RETURN_CODES:
        wb, _ = reopen(written, code)
        assert wb.sheetnames == expected[code]
        assert [ws.sheet_state for ws in wb.worksheets] == ["visible"] * (len(expected[code]) - 1) + ["hidden"]


def test_titles_carry_the_year(written):
    wb, _ = reopen(written, "R1")
    assert wb["填表说明"]["A1"].value == "2024年度市（区）总工会年度报表填表说明"
    assert wb["本级情况"]["A1"].value == "2024年度市（区）总工会年度报表"
    assert wb["区县明细"]["A1"].value == "2024年度市（区）总工会年度报表 — 区县明细"
    assert "A1:E1" in {str(r) for r in wb["本级情况"].merged_cells.ranges}
    assert wb["本级情况"]["A1"].font.name == "黑体" and wb["本级情况"]["A1"].font.b
    wb, _ = reopen(written, "R4")
    assert wb["专项督查"]["A1"].value == "2024年度督查结果表"
    assert wb["随机督查"]["A1"].value == "2024年度督查结果表 — 随机督查"


def test_year_cell_holds_the_year_as_an_int(written):
    expected_cells = {"R1": "D2", "R2": "D2", "R3": "D2", "R4": "C2"}
    expected_sheets = {"R1": "本级情况", "R2": "本级情况", "R3": "本级情况", "R4": "专项督查"}
    for code in RETURN_CODES:
        wb, layout = reopen(written, code)
        assert layout.year_cell == CellRef(expected_sheets[code], expected_cells[code])
        ws = wb[layout.year_cell.sheet]
        year_cell = ws[layout.year_cell.cell]
        assert year_cell.value == 2024 and type(year_cell.value) is int
        assert ws.cell(year_cell.row, year_cell.column - 1).value == "报表年度"
        assert ws.cell(year_cell.row, year_cell.column + 1).value == f"模板版本：{TEMPLATE_VERSION}"
        assert ws["A2"].value == f"表号：{code}"
        assert year_cell.protection.locked


def test_workbook_properties(written, catalog):
    for code in RETURN_CODES:
        wb, _ = reopen(written, code)
        custom = {prop.name: prop.value for prop in wb.custom_doc_props.props}
        assert custom == {"return_code": code, "reporting_year": 2024, "template_version": TEMPLATE_VERSION}
        assert wb.properties.subject == code
        assert wb.properties.title == f"2024年度{catalog.returns[code].name}"
        assert "十八条落实看板" in wb.properties.keywords.split(",")


# -- tables: labels, headers, validation ---------------------------------------------------------------------------------


def test_indicator_list_rows_match_the_catalog(written, catalog):
    for code in ("R1", "R2", "R3"):
        wb, layout = reopen(written, code)
        table = f"{code}_MAIN"
        indicators = catalog.indicators_of_table(table)
        assert list(layout.value_cells) == [i.code for i in indicators]
        ws = wb["本级情况"]
        header_row = ws[layout.value_cells[indicators[0].code].cell].row - 1
        assert [c.value for c in ws[header_row][:5]] == ["序号", "指标名称", "计量单位", "本年数", "说明"]
        assert ws.cell(header_row - 1, 1).value == catalog.tables[table].title
        for seq, indicator in enumerate(indicators, 1):
            value_ref, remark_ref = layout.value_cells[indicator.code], layout.remark_cells[indicator.code]
            value_cell = ws[value_ref.cell]
            assert value_ref.sheet == remark_ref.sheet == "本级情况"
            assert value_cell.row == header_row + seq and value_cell.column_letter == "D"
            assert ws[remark_ref.cell].row == value_cell.row and ws[remark_ref.cell].column_letter == "E"
            assert [ws.cell(value_cell.row, col).value for col in (1, 2, 3)] == [seq, indicator.name, indicator.unit]
            assert_validation(ws, value_ref.cell, indicator.type)


def test_records_headers_and_validation_match_the_catalog(written, catalog):
    for code, table_codes in (("R1", ["R1_COUNTY"]), ("R4", ["R4_SPECIAL", "R4_RANDOM"])):
        wb, layout = reopen(written, code)
        assert list(layout.records) == table_codes
        for table_code in table_codes:
            table, records = catalog.tables[table_code], layout.records[table_code]
            ws = wb[records.sheet]
            assert records.sheet == table.sheet
            indicators = catalog.indicators_of_table(table_code)
            assert list(records.columns) == [i.code for i in indicators]
            assert ws[f"{records.key_column}{records.header_row}"].value == table.key.name
            assert ws[f"{records.remark_column}{records.header_row}"].value == "说明"
            assert ws.cell(records.header_row - 1, 1).value == table.title
            last_row = records.first_data_row + records.max_rows - 1
            for indicator in indicators:
                column = records.columns[indicator.code]
                assert ws[f"{column}{records.header_row}"].value == indicator.label_with_unit
                for row in (records.first_data_row, last_row):
                    assert_validation(ws, f"{column}{row}", indicator.type)
                assert validation_at(ws, f"{column}{last_row + 1}") is None


def test_records_without_unit_get_blank_rows_and_a_key_dropdown(written, registry):
    wb, layout = reopen(written, "R1")
    county = layout.records["R1_COUNTY"]
    assert (county.header_row, county.first_data_row, county.max_rows, county.key_column) == (4, 5, 120, "A")
    assert county.columns["m3_county_meeting_held"] == "B" and county.remark_column == "H"
    ws, codes = wb["区县明细"], wb["代码表"]
    assert all(ws.cell(row, 1).value is None for row in range(5, 125))
    counties = [u.name for u in registry.units if u.type == "county"]
    dv = validation_at(ws, "A124")
    assert (dv.type, dv.formula1) == ("list", f"'代码表'!$B$2:$B${len(counties) + 1}")
    assert codes["B1"].value == "县（区）名称"
    assert [codes.cell(row, 2).value for row in range(2, len(counties) + 2)] == counties
    assert codes["B2"].value == "新城区"

    wb, layout = reopen(written, "R4")
    inspected = [u.name for u in registry.cities()] + [u.name for u in registry.industry_unions()]
    for table_code, header_row in (("R4_SPECIAL", 9), ("R4_RANDOM", 4)):
        records = layout.records[table_code]
        assert (records.header_row, records.max_rows) == (header_row, 30)
        dv = validation_at(wb[records.sheet], f"A{records.first_data_row}")
        assert dv.formula1 == f"'代码表'!$B$2:$B${len(inspected) + 1}"
    assert [wb["代码表"].cell(row, 2).value for row in range(2, len(inspected) + 2)] == inspected


def test_header_block(written, catalog, registry):
    wb, layout = reopen(written, "R1")
    ws = wb["本级情况"]
    assert layout.header_cells == {
        code: CellRef("本级情况", cell)
        for code, cell in (("unit_name", "C3"), ("submitter", "C4"), ("phone", "C5"), ("filled_on", "C6"))
    }
    for header_field, row in zip(catalog.header_block, range(3, 7), strict=True):
        assert ws[f"B{row}"].value == header_field.name
        assert ws[f"C{row}"].value is None and not ws[f"C{row}"].protection.locked
        assert f"C{row}:E{row}" in {str(r) for r in ws.merged_cells.ranges}
    dv = validation_at(ws, "C3")
    assert (dv.type, dv.formula1) == ("list", "'代码表'!$A$2:$A$13")
    assert [wb["代码表"].cell(row, 1).value for row in range(2, 14)] == [u.name for u in registry.cities()]
    assert (validation_at(ws, "C6").type, ws["C6"].number_format) == ("date", "yyyy-mm-dd")
    assert validation_at(ws, "C4") is None

    wb, layout = reopen(written, "R2")
    dv = validation_at(wb["本级情况"], layout.header_cells["unit_name"].cell)
    assert dv.formula1 == "'代码表'!$A$2:$A$9"
    assert [wb["代码表"].cell(row, 1).value for row in range(2, 10)] == [u.name for u in registry.industry_unions()]


def test_structure_is_locked_and_inputs_are_unlocked(written):
    wb, layout = reopen(written, "R1")
    ws = wb["本级情况"]
    protection = ws.protection
    assert protection.sheet and protection.password is None
    assert not protection.formatColumns and not protection.formatRows
    assert not protection.selectLockedCells and not protection.selectUnlockedCells
    for locked in ("A1", "B9", "D9", "A10", "B10", "C10"):
        assert ws[locked].protection.locked, locked
    for unlocked in ("D10", "E10", "D14", "E14", "C3", "C6"):
        assert not ws[unlocked].protection.locked, unlocked
    county = wb["区县明细"]
    assert county.protection.sheet
    assert county["B4"].protection.locked
    assert not county["A5"].protection.locked and not county["H124"].protection.locked
    assert wb["填表说明"].protection.sheet and wb["代码表"].protection.sheet


def test_layout_and_print_setup(written):
    wb, _ = reopen(written, "R1")
    main, county = wb["本级情况"], wb["区县明细"]
    assert (main.freeze_panes, county.freeze_panes) == ("A10", "B5")
    assert main.print_title_rows == "$9:$9"
    for ws in (main, county):
        assert ws.page_setup.orientation == "landscape"
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert {letter: main.column_dimensions[letter].width for letter in "ABCDE"} == {
        "A": 6,
        "B": 46,
        "C": 10,
        "D": 16,
        "E": 36,
    }
    assert county.column_dimensions["A"].width == 26 and county.column_dimensions["G"].width == 14
    assert main["B9"].font.name == "黑体" and main["B9"].fill.fgColor.rgb == "00D9D9D9"
    assert main["B10"].font.name == "仿宋_GB2312" and main["B10"].border.left.style == "thin"
    assert main["D11"].number_format == "0.00"  # an amount in 万元


# -- the 填表说明 sheet ------------------------------------------------------------------------------------------------------


def test_instructions_sheet(written, catalog):
    wb, _ = reopen(written, "R1")
    ws = wb["填表说明"]
    texts = [ws.cell(row, 1).value for row in range(1, ws.max_row + 1)]
    assert (
        "一、填报单位：各市（区）总工会（共12个）填报本单位情况；“区县明细”工作表由市（区）总工会汇总所辖县（区）总工会情况后一并填报。"
        in texts
    )
    assert "三、报送时限：请于2025年1月31日前报送。" in texts
    assert f"四、联系方式：{catalog.reporting.contact}" in texts
    assert "2. 日期按“2024-05-12”的格式填写。" in texts
    assert f"模板版本：{TEMPLATE_VERSION}" in texts
    header_row = texts.index("序号") + 1
    assert [c.value for c in ws[header_row]] == ["序号", "所属措施", "指标名称", "计量单位", "填报要求"]
    rows = [
        tuple(c.value for c in ws[row])
        for row in range(header_row + 1, ws.max_row + 1)
        if isinstance(ws.cell(row, 1).value, int)
    ]
    indicators = [*catalog.indicators_of_table("R1_MAIN"), *catalog.indicators_of_table("R1_COUNTY")]
    assert [row[2] for row in rows] == [i.name for i in indicators]
    assert rows[0] == (
        1,
        "第3条 市县总工会每年召开专题会议",
        "市总工会召开研究产业工会工作专题会议次数",
        "次",
        "必填。请填写不小于0的整数（单位：次）。",
    )
    assert rows[7] == (
        3,
        "第6条 市县预算安排产业工会经费",
        "县级预算安排产业工会经费",
        "万元",
        "选填。请填写不小于0的金额（单位：万元），可保留两位小数。",
    )

    wb, _ = reopen(written, "R3")
    texts = [wb["填表说明"].cell(row, 1).value for row in range(1, wb["填表说明"].max_row + 1)]
    assert "一、填报单位：陕西省总工会填报。" in texts
    assert "3. “填报单位”请从下拉列表中选择。" in texts  # R3 has no 是/否 indicator


# -- a unit's own template -------------------------------------------------------------------------------------------------


def test_city_template_prefills_unit_and_counties(catalog, registry, tmp_path):
    path = write_template(tmp_path, catalog, registry, "R1", YEAR, unit_code="C01")
    assert path.name == "2024年度_R1_市（区）总工会年度报表_西安市总工会_模板.xlsx"
    _, layout = build_template(catalog, registry, "R1", YEAR, unit_code="C01")
    wb = openpyxl.load_workbook(path)
    assert wb["本级情况"][layout.header_cells["unit_name"].cell].value == "西安市总工会"
    county = layout.records["R1_COUNTY"]
    assert (county.first_data_row, county.max_rows) == (5, 13)
    ws = wb["区县明细"]
    names = [ws.cell(row, 1).value for row in range(5, 5 + 13)]
    assert names == [u.name for u in registry.counties_of("C01")]
    assert names[0] == "新城区" and names[-1] == "周至县"
    assert ws["A5"].protection.locked and not ws["B5"].protection.locked
    assert ws["A18"].value is None and validation_at(ws, "B18") is None
    custom = {prop.name: prop.value for prop in wb.custom_doc_props.props}
    assert custom["unit_code"] == "C01"
    assert "7. “区县明细”工作表已列出全部“县（区）名称”，请逐行填写，不要修改名称或增删行。" in [
        wb["填表说明"].cell(row, 1).value for row in range(1, 30)
    ]


def test_city_without_counties_gets_an_empty_county_table(catalog, registry):
    wb, layout = build_template(catalog, registry, "R1", YEAR, unit_code="C12")
    assert layout.records["R1_COUNTY"].max_rows == 0
    assert (
        wb["区县明细"]["A1"].value == "2024年度市（区）总工会年度报表 — 区县明细（本单位无下辖县（区），本表无需填写）"
    )
    with pytest.raises(ValueError, match="只预留了0行"):
        fill_return(wb, layout, header={}, values={}, records={"R1_COUNTY": [{"key": "韩城市"}]})


def test_arguments_are_checked(catalog, registry):
    with pytest.raises(ValueError, match="未知的报表类型“R9”"):
        build_template(catalog, registry, "R9", YEAR)
    with pytest.raises(ValueError, match="不是R1《市（区）总工会年度报表》的填报单位"):
        build_template(catalog, registry, "R1", YEAR, unit_code="I01")
    with pytest.raises(ValueError, match="早于起始年度2021年"):
        build_template(catalog, registry, "R2", 2020)
    with pytest.raises(KeyError):
        build_template(catalog, registry, "R2", YEAR, unit_code="X99")


# -- filling, file names, bytes, calamine ---------------------------------------------------------------------------------


def test_fill_return_writes_where_the_layout_says(catalog, registry, tmp_path):
    wb, layout = build_template(catalog, registry, "R1", YEAR, unit_code="C01")
    header = {
        "unit_name": "西安市总工会（盖章）",
        "submitter": "张三",
        "phone": "029-87654321",
        "filled_on": date(2025, 1, 15),
    }
    values = {
        "m3_city_meetings": 3,
        "m6_budget_key_work": 120.5,
        "m6_resident_office_funds": "30万",
        "m8_city_industry_unions": 7,
        "m8_city_new_form_federations": None,
    }
    remarks = {"m6_budget_key_work": "较上年增加40万元，新增产业工会"}
    rows = [
        {"key": "新城区", "m3_county_meeting_held": "是", "m6_county_budget_amount": 5.5, "remark": "新建2个"},
        {"m3_county_meeting_held": "否", "m8_county_industry_unions": 0},
    ]
    fill_return(wb, layout, header=header, values=values, remarks=remarks, records={"R1_COUNTY": rows})
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    reread = openpyxl.load_workbook(path)

    def at(ref):
        return reread[ref.sheet][ref.cell].value

    assert {code: at(ref) for code, ref in layout.header_cells.items()} == {
        **header,
        "filled_on": datetime(2025, 1, 15),
    }
    assert {code: at(layout.value_cells[code]) for code in values} == values
    assert at(layout.remark_cells["m6_budget_key_work"]) == "较上年增加40万元，新增产业工会"
    ws, county = reread["区县明细"], layout.records["R1_COUNTY"]
    assert [ws[f"{c}5"].value for c in "ABCDEFGH"] == ["新城区", "是", None, 5.5, None, None, None, "新建2个"]
    assert [ws[f"{c}6"].value for c in "ABCDEFGH"] == ["碑林区", "否", None, None, 0, None, None, None]
    assert county.first_data_row == 5 and ws["B7"].value is None


def test_fill_return_handles_records_of_r4(catalog, registry):
    wb, layout = build_template(catalog, registry, "R4", YEAR)
    special = {
        "key": "陕西省金融工会",
        "m9_inspection_date": date(2024, 6, 3),
        "m9_score_role": 88,
        "m9_problems_found": 4,
        "m9_problems_rectified": 4,
        "remark": "整改完毕",
    }
    random_rows = [{"key": "宝鸡市总工会", "m10_matter": "安全生产专项", "m10_problems_found": 2}] * 2
    fill_return(
        wb,
        layout,
        header={"unit_name": "陕西省总工会"},
        values={},
        records={"R4_SPECIAL": [special], "R4_RANDOM": random_rows},
    )
    records = layout.records["R4_SPECIAL"]
    ws = wb[records.sheet]
    row = records.first_data_row
    assert ws[f"A{row}"].value == "陕西省金融工会"
    assert ws[f"{records.columns['m9_score_role']}{row}"].value == 88
    assert ws[f"{records.remark_column}{row}"].value == "整改完毕"
    random_layout = layout.records["R4_RANDOM"]
    ws = wb[random_layout.sheet]
    assert [ws[f"{random_layout.columns['m10_matter']}{r}"].value for r in (5, 6, 7)] == ["安全生产专项"] * 2 + [None]
    assert wb["专项督查"][layout.header_cells["unit_name"].cell].value == "陕西省总工会"


def test_fill_return_rejects_codes_the_layout_lacks(catalog, registry):
    wb, layout = build_template(catalog, registry, "R2", YEAR)
    with pytest.raises(KeyError, match="m3_city_meetings"):
        fill_return(wb, layout, header={}, values={"m3_city_meetings": 1})
    with pytest.raises(KeyError, match="表头字段“fax”"):
        fill_return(wb, layout, header={"fax": "1"}, values={})
    wb, layout = build_template(catalog, registry, "R4", YEAR)
    with pytest.raises(ValueError, match="只预留了30行，却要写入31行"):
        fill_return(wb, layout, header={}, values={}, records={"R4_RANDOM": [{"key": "x"}] * 31})
    with pytest.raises(KeyError, match="m9_score_role"):
        fill_return(wb, layout, header={}, values={}, records={"R4_RANDOM": [{"m9_score_role": 1}]})


def test_template_filename(catalog):
    assert template_filename(catalog, "R1", 2024) == "2024年度_R1_市（区）总工会年度报表_模板.xlsx"
    assert template_filename(catalog, "R4", 2025) == "2025年度_R4_督查结果表_模板.xlsx"
    assert (
        template_filename(catalog, "R2", 2024, "陕西省金融工会")
        == "2024年度_R2_省级产业工会年度报表_陕西省金融工会_模板.xlsx"
    )


def test_write_template_to_a_file_path(catalog, registry, tmp_path):
    target = tmp_path / "out" / "r3.xlsx"
    assert write_template(target, catalog, registry, "R3", YEAR) == target
    assert openpyxl.load_workbook(target).sheetnames == ["填表说明", "本级情况", "代码表"]


def test_template_bytes_is_a_valid_workbook(catalog, registry):
    data = template_bytes(catalog, registry, "R2", YEAR, unit_code="I08")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["填表说明", "本级情况", "代码表"]
    assert wb["本级情况"]["C3"].value == "陕西省金融工会"
    assert wb["本级情况"]["D2"].value == 2024


def test_calamine_reads_sheets_and_headers(written, catalog):
    path, layout = written["R1"]
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["填表说明", "本级情况", "区县明细", "代码表"]
    main = book.get_sheet_by_name("本级情况").to_python()
    header_row = int(layout.value_cells["m3_city_meetings"].cell[1:]) - 1
    assert main[header_row - 1][:5] == ["序号", "指标名称", "计量单位", "本年数", "说明"]
    assert main[1][3] == 2024
    county = book.get_sheet_by_name("区县明细").to_python()
    indicators = catalog.indicators_of_table("R1_COUNTY")
    assert county[layout.records["R1_COUNTY"].header_row - 1] == [
        "县（区）名称",
        *(i.label_with_unit for i in indicators),
        "说明",
    ]
    path, layout = written["R4"]
    special = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("专项督查").to_python()
    assert special[layout.records["R4_SPECIAL"].header_row - 1][:3] == ["被督查单位", "督查日期", "组织领导（分）"]


def test_templates_for_other_years(catalog, registry, tmp_path):
    path = write_template(tmp_path, catalog, registry, "R2", 2021)
    wb = openpyxl.load_workbook(Path(path))
    assert path.name == "2021年度_R2_省级产业工会年度报表_模板.xlsx"
    assert wb["本级情况"]["A1"].value == "2021年度省级产业工会年度报表" and wb["本级情况"]["D2"].value == 2021
    assert "三、报送时限：请于2022年1月31日前报送。" in [wb["填表说明"].cell(r, 1).value for r in range(1, 10)]
