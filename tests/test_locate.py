"""The locate stage on returns written by the template writer, then edited the way submitters edit them."""

import datetime
import io

import locate_returns
import pytest
import xlwt
from openpyxl import Workbook
from openpyxl.packaging.custom import CustomPropertyList
from openpyxl.utils import get_column_letter

from pipeline.catalog import load_catalog
from pipeline.ingest import ingest_bytes
from pipeline.issues import Issue, RejectedFile
from pipeline.locate import LocatedCell, LocatedRecord, LocatedReturn, locate_return
from pipeline.read import read_workbook
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import writer

CATALOG = load_catalog()
REGISTRY = load_registry()
NAME = "报表.xlsx"
YEAR = 2024
UNITS = {"R1": "C01", "R2": "I08", "R3": None, "R4": None}
SUBMITTERS = {"R1": "西安市总工会", "R2": "陕西省金融工会", "R3": "陕西省总工会", "R4": "陕西省总工会"}
FILLED_ON = datetime.date(2025, 1, 10)


def header_values(code: str) -> dict[str, object]:
    return {"unit_name": SUBMITTERS[code], "submitter": "张三", "phone": "029-87654321", "filled_on": FILLED_ON}


def sample(code: str, number: int) -> object:
    """A distinct value of the indicator's type, as written into the workbook."""
    kind = CATALOG.indicators[code].type
    if kind == "date":
        return datetime.date(YEAR, 3, number)
    if kind == "bool":
        return "是"
    if kind == "text":
        return f"事项{number}"
    return number


def as_read(value: object) -> object:
    """calamine reads every .xlsx number as a float."""
    return float(value) if isinstance(value, int) else value


def record_rows(layout, table: str) -> list[dict[str, object]]:
    """Two rows with distinct values; R1's prefilled counties keep their names."""
    columns = layout.records[table].columns
    rows = [{code: sample(code, 10 * row + col) for col, code in enumerate(columns, 1)} for row in (1, 2)]
    if table.startswith("R4"):
        rows[0]["key"], rows[1]["key"] = "西安市总工会", "陕西省金融工会"
    rows[1]["remark"] = "含补报"
    return rows


def filled(code: str):
    wb, layout = build_template(CATALOG, REGISTRY, code, YEAR, unit_code=UNITS[code])
    values = {indicator: sample(indicator, number) for number, indicator in enumerate(layout.value_cells, 1)}
    remarks = {next(iter(layout.value_cells)): "含追加预算"} if layout.value_cells else None
    records = {table: record_rows(layout, table) for table in layout.records}
    fill_return(wb, layout, header=header_values(code), values=values, remarks=remarks, records=records)
    return wb, layout


def expected_values(layout, column: str | None = None) -> dict[str, LocatedCell]:
    """Each value cell as filled, optionally moved to another column."""
    return {
        code: LocatedCell(as_read(sample(code, number)), ref.sheet, (column or ref.cell[0]) + ref.cell[1:])
        for number, (code, ref) in enumerate(layout.value_cells.items(), 1)
    }


def xlsx(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def locate(wb: Workbook) -> LocatedReturn:
    return locate_return(read_workbook(xlsx(wb), NAME), CATALOG)


def cell(raw, ref) -> LocatedCell:
    return LocatedCell(raw, ref.sheet, ref.cell)


def located_at(ws, column: str, row: int) -> LocatedCell:
    return LocatedCell(as_read(ws[f"{column}{row}"].value), ws.title, f"{column}{row}")


def expected_records(wb, layout) -> dict[str, tuple[LocatedRecord, ...]]:
    """What the layout says the records tables hold, read back from the openpyxl workbook."""
    out = {}
    for table, records_layout in layout.records.items():
        ws = wb[records_layout.sheet]
        rows = []
        for row in range(records_layout.first_data_row, records_layout.first_data_row + records_layout.max_rows):
            key = located_at(ws, records_layout.key_column, row)
            if key.raw is None:
                continue
            remark = located_at(ws, records_layout.remark_column, row)
            rows.append(
                LocatedRecord(
                    key,
                    {code: located_at(ws, column, row) for code, column in records_layout.columns.items()},
                    remark if remark.raw is not None else None,
                    row,
                )
            )
        out[table] = tuple(rows)
    return out


def issue(
    severity: str,
    code: str,
    message: str,
    fix: str,
    sheet: str = "",
    cell_ref: str = "",
    value: str = "",
    indicator: str = "",
) -> Issue:
    return Issue(severity, code, message, fix, NAME, sheet, cell_ref, value, indicator)


def data_row(ws, text: str) -> int:
    """The row whose label (column B) or key (column A) is `text`."""
    for row in ws.iter_rows():
        for c in row[:2]:
            if c.value == text:
                return c.row
    raise LookupError(text)


# -- clean returns ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["R1", "R2", "R3", "R4"])
def test_clean_return_every_cell_at_its_address(code):
    wb, layout = filled(code)
    located = locate(wb)
    assert (located.file_name, located.return_code, located.year) == (NAME, code, YEAR)
    assert located.year_source == cell(float(YEAR), layout.year_cell)
    assert located.header == {f: cell(v, layout.header_cells[f]) for f, v in header_values(code).items()}
    assert located.values == expected_values(layout)
    first = next(iter(layout.value_cells), None)
    assert located.remarks == ({first: cell("含追加预算", layout.remark_cells[first])} if first else {})
    assert located.records == expected_records(wb, layout)
    assert located.tables_found == tuple(t.code for t in CATALOG.tables_of_return(code))
    assert located.issues == ()


def test_r1_counties_without_figures_are_kept():
    wb, layout = filled("R1")
    records = locate(wb).records["R1_COUNTY"]
    assert [r.key.raw for r in records] == [c.name for c in REGISTRY.counties_of("C01")]
    assert records[2].values["m3_county_meeting_held"] == LocatedCell(None, "区县明细", "B7")


# -- submitters' edits ------------------------------------------------------------------------------------------------


def test_moved_value_and_remark_columns():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    header_row = int(layout.value_cells["m5_dues_due"].cell[1:]) - 1
    for row in range(header_row, ws.max_row + 1):
        ws[f"D{row}"].value, ws[f"E{row}"].value = ws[f"E{row}"].value, ws[f"D{row}"].value
    located = locate(wb)
    moved = expected_values(layout, "E")
    assert located.values == moved
    assert located.remarks == {
        "m5_dues_due": LocatedCell("含追加预算", "本级情况", "D" + moved["m5_dues_due"].cell[1:])
    }
    assert located.issues == ()


def test_inserted_blank_and_note_rows():
    wb, layout = filled("R1")
    ws = wb["本级情况"]
    row = int(layout.value_cells["m6_budget_key_work"].cell[1:])
    ws.insert_rows(row + 1, 3)
    ws[f"A{row + 2}"] = "注：以上两项按决算数填写"
    ws[f"B{row + 3}"] = "（续）经费按万元填写"
    counties = wb["区县明细"]
    counties.insert_rows(6, 2)
    counties["A7"] = "备注：新城区数据已核实"
    located = locate(wb)
    shifted = {
        code: LocatedCell(c.raw, c.sheet, f"D{int(c.cell[1:]) + (3 if int(c.cell[1:]) > row else 0)}")
        for code, c in expected_values(layout).items()
    }
    assert located.values == shifted
    county_rows = [r.row_number for r in located.records["R1_COUNTY"]]
    assert county_rows[:2] == [5, 8]  # 碑林区 carries figures, so the note does not end the table
    assert located.issues == ()


def test_notes_summary_and_blank_rows_inside_a_records_table():
    wb, layout = filled("R4")
    rows = [
        {"key": "西安市总工会", "m10_matter": "安全生产", "m10_problems_found": 3},
        {"key": "合计", "m10_problems_found": 3},
        {"key": "注：按督查时间顺序填写"},
        {"key": "1. 本表由督查组填写"},
        {"key": "陕西省金融工会", "m10_matter": "会费收缴", "m10_problems_found": 1},
        {"m10_problems_found": 2},
        {},
        {},
        {},
        {"key": "宝鸡市总工会", "m10_problems_found": 9},
    ]
    fill_return(wb, layout, header={}, values={}, records={"R4_RANDOM": rows})
    located = locate(wb)
    first = layout.records["R4_RANDOM"].first_data_row
    assert [(r.key.raw, r.row_number) for r in located.records["R4_RANDOM"]] == [
        ("西安市总工会", first),
        ("陕西省金融工会", first + 4),
        ("宝鸡市总工会", first + 9),  # three blank rows do not end the table
    ]
    assert located.issues == (
        issue(
            "error",
            "missing_key",
            f"第{first + 5}行填写了数据，但没有填写“被督查单位”",
            "请在该行填写被督查单位，或删除该行",
            "随机督查",
            f"A{first + 5}",
        ),
    )


def test_edited_header_texts_and_aliases():
    wb, layout = filled("R1")
    ws = wb["本级情况"]
    header_row = int(layout.value_cells["m3_city_meetings"].cell[1:]) - 1
    ws[f"B{header_row}"], ws[f"D{header_row}"], ws[f"E{header_row}"] = "项目名称", "本年数值\n（万元）", "备 注"
    ws[f"B{data_row(ws, '市级产业工会数')}"] = " 市级产业工会数 "
    ws[f"B{data_row(ws, '驻会产业工会日常办公经费和差旅费')}"] = "驻会产业工会办公经费（万元）"
    counties = wb["区县明细"]
    counties["A4"], counties["B4"], counties["D4"], counties["E4"] = (
        "区县",
        "召开专题会议",
        "县级预算经费(万元)",
        "县级产业工会数\n（个）",
    )
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.remarks == {"m3_city_meetings": cell("含追加预算", layout.remark_cells["m3_city_meetings"])}
    assert located.records == expected_records(wb, layout)
    assert located.issues == ()


def test_leading_qizhong_and_half_width_brackets_in_labels():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    ws[f"B{data_row(ws, '其中：本年理顺组织关系的基层工会数')}"] = "本年理顺组织关系的基层工会数"
    ws[f"B{data_row(ws, '是否建立联席（联系）会议制度')}"] = "是否建立联席(联系)会议制度"
    ws[f"B{data_row(ws, '党组织数')}"] = "其中：党组织数"
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.issues == ()


def test_extra_sheet_placed_first():
    wb, layout = filled("R3")
    cover = wb.create_sheet("封面", 0)
    cover["A1"], cover["A3"], cover["B3"] = "2023年度工作总结（附表）", "指标名称", "本年数"
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert (located.year, located.year_source, located.issues) == (YEAR, cell(float(YEAR), layout.year_cell), ())


def test_hidden_copy_of_the_sheet_is_ignored():
    wb, layout = filled("R2")
    copy = wb.copy_worksheet(wb["本级情况"])
    copy.title = "本级情况（上年）"
    copy[layout.value_cells["m5_dues_due"].cell] = 999
    copy.sheet_state = "hidden"
    wb.move_sheet(copy, offset=-wb.index(copy))
    located = locate(wb)
    assert located.values["m5_dues_due"] == cell(1.0, layout.value_cells["m5_dues_due"])
    assert located.issues == ()


def test_table_only_on_a_hidden_sheet_is_read_with_a_warning():
    wb, layout = filled("R2")
    wb["本级情况"].sheet_state = "hidden"
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.header["unit_name"] == cell("陕西省金融工会", layout.header_cells["unit_name"])
    assert located.issues == (
        issue(
            "warning",
            "hidden_sheet",
            "“一、本单位落实情况”表位于隐藏的工作表“本级情况”中，已按该表读取",
            "请取消隐藏该工作表并核对数据是否为本次要报送的",
            "本级情况",
        ),
    )


def test_same_table_on_two_visible_sheets():
    wb, layout = filled("R3")
    copy = wb.copy_worksheet(wb["本级情况"])
    copy.title = "本级情况 (2)"
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.issues == (
        issue(
            "warning",
            "duplicate_table",
            "“一、省总工会本级落实情况”表在工作表“本级情况”和“本级情况 (2)”中都出现，已读取“本级情况”",
            "请删除多余的工作表或表格，只保留要报送的一份",
            "本级情况",
        ),
    )


def test_label_and_value_in_one_cell():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    for field in ("unit_name", "submitter", "phone", "filled_on"):
        ws[layout.header_cells[field].cell] = None
    ws["B3"] = "填报单位(公章)：陕西省金融工会"
    ws["B4"] = "填报人:李四    联系电话：029-1234"
    ws["B5"] = None
    ws["B6"] = "填报日期：2025年1月8日"
    assert locate(wb).header == {
        "unit_name": LocatedCell("陕西省金融工会", "本级情况", "B3"),
        "submitter": LocatedCell("李四", "本级情况", "B4"),
        "phone": LocatedCell("029-1234", "本级情况", "B4"),
        "filled_on": LocatedCell("2025年1月8日", "本级情况", "B6"),
    }


def test_empty_header_field_points_at_the_cell_to_fill():
    wb, layout = filled("R2")
    wb["本级情况"][layout.header_cells["submitter"].cell] = None
    assert locate(wb).header["submitter"] == cell(None, layout.header_cells["submitter"])


# -- missing pieces -----------------------------------------------------------------------------------------------------


def test_missing_required_table():
    wb, _ = filled("R1")
    del wb["区县明细"]
    located = locate(wb)
    assert (located.tables_found, located.records) == (("R1_MAIN",), {})
    assert located.issues == (
        issue(
            "error",
            "missing_table",
            "未找到“二、所辖县（区）总工会落实情况（区县明细）”表",
            "请使用本年度模板，保留表头行“县（区）名称 …”",
        ),
    )


def test_missing_header_row_names_the_sheet():
    wb, _ = filled("R2")
    ws = wb["本级情况"]
    ws[f"B{data_row(ws, '指标名称')}"] = None
    assert locate(wb).issues == (
        issue(
            "error",
            "missing_table",
            "未找到“一、本单位落实情况”表：工作表“本级情况”第9行最接近该表的表头，但缺少“指标名称”",
            "请在 B9 填写“指标名称”（表头行应为“序号、指标名称、计量单位、本年数、说明”）",
            "本级情况",
            "B9",
        ),
    )


def test_missing_indicator_rows():
    wb, _ = filled("R3")
    ws = wb["本级情况"]
    ws.delete_rows(data_row(ws, "职工疗休养名额总数"))
    ws.delete_rows(data_row(ws, "全省产业工会工作会议召开日期"))
    located = locate(wb)
    assert set(located.values) == set(CATALOG.indicators[c].code for c in located.values)
    assert "m14_recuperation_places_total" not in located.values
    assert located.issues == (
        issue(
            "warning",
            "missing_indicator",
            "“一、省总工会本级落实情况”表中找不到指标“全省产业工会工作会议召开日期”这一行",
            "请在该表中恢复指标名称为“全省产业工会工作会议召开日期”的一行，并在“本年数”列填写",
            "本级情况",
            indicator="全省产业工会工作会议召开日期",
        ),
        issue(
            "error",
            "missing_indicator",
            "“一、省总工会本级落实情况”表中找不到指标“职工疗休养名额总数”这一行",
            "请在该表中恢复指标名称为“职工疗休养名额总数”的一行，并在“本年数”列填写",
            "本级情况",
            indicator="职工疗休养名额总数",
        ),
    )


def test_duplicate_and_unknown_rows():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    last = ws.max_row
    ws[f"B{last + 1}"], ws[f"D{last + 1}"] = "党组织数", 7
    ws[f"B{last + 2}"], ws[f"D{last + 2}"] = "工会小组数", 12
    ws[f"B{last + 3}"] = "审核人"
    located = locate(wb)
    assert located.values["m15_party_organizations"] == expected_values(layout)["m15_party_organizations"]
    first = layout.value_cells["m15_party_organizations"].cell.replace("D", "B")
    assert located.issues == (
        issue(
            "error",
            "duplicate_indicator",
            f"指标“党组织数”出现了两行（另见 {first}）",
            "请删除重复的一行，只保留一个数值",
            "本级情况",
            f"B{last + 1}",
            "党组织数",
            "党组织数",
        ),
        issue(
            "warning",
            "unknown_row",
            "“工会小组数”不是“一、本单位落实情况”表的指标，该行数据未读取",
            "请核对指标名称，使用模板中的原名称",
            "本级情况",
            f"B{last + 2}",
            "12",
        ),
    )


def test_missing_records_columns():
    wb, _ = filled("R1")
    counties = wb["区县明细"]
    counties["D4"], counties["F4"] = None, "备用"
    located = locate(wb)
    assert "m6_county_budget_amount" not in located.records["R1_COUNTY"][0].values
    assert located.issues == (
        issue(
            "warning",
            "unknown_column",
            "“二、所辖县（区）总工会落实情况（区县明细）”表 D 列（表头为空）不是该表的列，其中 D5、D6 的数据未读取",
            "请把数据移到表头对应的列，或把表头改为模板中的列名；不需要的请删除",
            "区县明细",
            "D4",
        ),
        issue(
            "warning",
            "unknown_column",
            "“二、所辖县（区）总工会落实情况（区县明细）”表 F 列（表头“备用”）不是该表的列，其中 F5、F6 的数据未读取",
            "请把数据移到表头对应的列，或把表头改为模板中的列名；不需要的请删除",
            "区县明细",
            "F4",
            "备用",
        ),
        issue(
            "warning",
            "missing_column",
            "“二、所辖县（区）总工会落实情况（区县明细）”表缺少“县级预算安排产业工会经费（万元）”列",
            "请在表头行恢复“县级预算安排产业工会经费（万元）”列，并逐行填写",
            "区县明细",
            indicator="县级预算安排产业工会经费",
        ),
        issue(
            "error",
            "missing_column",
            "“二、所辖县（区）总工会落实情况（区县明细）”表缺少“县级新业态行业工会联合会数（个）”列",
            "请在表头行恢复“县级新业态行业工会联合会数（个）”列，并逐行填写",
            "区县明细",
            indicator="县级新业态行业工会联合会数",
        ),
    )


# -- return type and year -----------------------------------------------------------------------------------------------


def without_properties(wb: Workbook) -> Workbook:
    wb.custom_doc_props = CustomPropertyList()
    wb.properties.title = None
    return wb


def test_return_type_from_the_table_number_cell():
    wb, _ = filled("R2")
    assert locate(without_properties(wb)).return_code == "R2"


def test_return_type_from_the_tables_alone():
    wb, layout = filled("R2")
    without_properties(wb)
    del wb["填表说明"]
    ws = wb["本级情况"]
    ws["A1"], ws["A2"] = "年度统计表", None
    located = locate(wb)
    assert (located.return_code, located.tables_found) == ("R2", ("R2_MAIN",))
    assert located.year_source == cell(float(YEAR), layout.year_cell)


def test_r4_tables_told_apart_on_renamed_reordered_sheets():
    wb, layout = filled("R4")
    wb["专项督查"].title, wb["随机督查"].title = "Sheet2", "Sheet1"
    wb.move_sheet("Sheet1", offset=-1)
    located = locate(wb)
    special = located.records["R4_SPECIAL"]
    assert [(r.key.sheet, r.row_number, len(r.values)) for r in special] == [("Sheet2", 10, 10), ("Sheet2", 11, 10)]
    assert [(r.key.sheet, r.row_number, len(r.values)) for r in located.records["R4_RANDOM"]] == [
        ("Sheet1", 5, 4),
        ("Sheet1", 6, 4),
    ]
    assert located.issues == ()


def test_unknown_return_type():
    wb = Workbook()
    wb.active["A1"], wb.active["A2"] = "工作总结", "今年完成了各项任务"
    with pytest.raises(RejectedFile) as caught:
        locate(wb)
    assert caught.value.issues == [
        issue(
            "error",
            "unknown_return_type",
            "无法识别报表类型：文件中没有表号和报表名称，也找不到任何报表的表头",
            "请使用省总工会下发的本年度报表模板（表号 R1、R2、R3、R4）填报后重新上传",
        )
    ]


@pytest.mark.parametrize(
    ("typed", "year"),
    [
        (2023, 2023),
        ("２０２４年度", 2024),
        ("二〇二三年", 2023),
        (" 2022 ", 2022),
    ],
)
def test_year_as_the_file_says(typed, year):
    wb, layout = filled("R1")
    wb["本级情况"][layout.year_cell.cell] = typed
    located = locate(wb)
    raw = float(typed) if isinstance(typed, int) else typed
    assert (located.year, located.year_source) == (year, cell(raw, layout.year_cell))


def test_year_from_the_title_then_from_the_properties():
    wb, layout = filled("R1")
    ws = wb["本级情况"]
    ws[layout.year_cell.cell] = None
    assert (locate(wb).year, locate(wb).year_source) == (
        YEAR,
        LocatedCell("2024年度市（区）总工会年度报表", "本级情况", "A1"),
    )
    for sheet in wb.worksheets:
        sheet["A1"] = None
    assert (locate(wb).year, locate(wb).year_source) == (YEAR, LocatedCell("2024", "", ""))


def test_unreadable_year_cell_is_kept_as_the_source():
    wb, layout = filled("R1")
    without_properties(wb)
    for sheet in wb.worksheets:
        sheet["A1"] = None
    wb["本级情况"][layout.year_cell.cell] = "去年"
    located = locate(wb)
    assert (located.return_code, located.year, located.year_source) == ("R1", None, cell("去年", layout.year_cell))


def test_year_label_with_value_in_one_cell():
    wb, layout = filled("R3")
    ws = wb["本级情况"]
    ws[layout.year_cell.cell] = None
    label = layout.year_cell.cell
    label_ref = f"{get_column_letter(ws[label].column - 1)}{ws[label].row}"
    ws[label_ref] = "报表年度：2023年度"
    located = locate(wb)
    assert (located.year, located.year_source) == (2023, LocatedCell("2023年度", "本级情况", label_ref))


def test_two_row_header_with_a_group_title_above_the_scores():
    wb, layout = filled("R4")
    special = layout.records["R4_SPECIAL"]
    ws = wb["专项督查"]
    header = special.header_row
    ws.insert_rows(header)
    last = special.remark_column
    for letter in ("A", "B", "J", "K", last):  # these headers move up; the score names stay in the lower row
        ws[f"{letter}{header}"], ws[f"{letter}{header + 1}"] = ws[f"{letter}{header + 1}"].value, None
    ws[f"C{header}"] = "得分"
    located = locate(wb)
    assert [
        (r.row_number, r.key.cell, r.values["m9_score_role"].cell, r.values["m9_problems_found"].cell)
        for r in located.records["R4_SPECIAL"]
    ] == [
        (header + 2, f"A{header + 2}", f"I{header + 2}", f"J{header + 2}"),
        (header + 3, f"A{header + 3}", f"I{header + 3}", f"J{header + 3}"),
    ]
    assert located.issues == ()


def xls_copy(wb: Workbook) -> bytes:
    """The workbook's values saved as .xls, as a submitter's "save as Excel 97-2003" does."""
    book = xlwt.Workbook()
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for ws in wb.worksheets:
        sheet = book.add_sheet(ws.title)
        if ws.sheet_state != "visible":
            sheet.visibility = 1
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, datetime.date):
                    sheet.write(c.row - 1, c.column - 1, c.value, date_style)
                elif c.value is not None:
                    sheet.write(c.row - 1, c.column - 1, c.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xls_copy_of_a_return():
    wb, layout = filled("R1")
    located = locate_return(read_workbook(xls_copy(wb), "报表.xls"), CATALOG)
    assert (located.return_code, located.year, located.year_source) == ("R1", YEAR, cell(YEAR, layout.year_cell))
    assert located.values == expected_values(layout)
    assert located.records == expected_records(wb, layout)
    assert located.header == {f: cell(v, layout.header_cells[f]) for f, v in header_values("R1").items()}
    assert located.issues == ()


# -- nothing typed inside a table is dropped (issue 9, defect 1) --------------------------------------------------------


def county_figures(row: int) -> dict[str, object]:
    """What the complete R1 return of tests/locate_returns.py holds for its row-th county (0-based)."""
    return locate_returns.figures(list(R1_COUNTY_COLUMNS), row)


def county_values(validated, county: str) -> dict[str, object]:
    """The loaded figures of one county, as the warehouse stores them (numbers as floats, flags as booleans)."""
    code = REGISTRY.resolve(county, types={"county"}, parent="C03").unit.code
    return {
        v.indicator: next(x for x in (v.value_num, v.value_text, v.value_date, v.value_bool) if x is not None)
        for v in validated.values
        if v.entity_code == code
    }


def as_loaded(figures: dict[str, object]) -> dict[str, object]:
    return {code: (value == "是" if value in ("是", "否") else value) for code, value in figures.items()}


R1_COUNTY_COLUMNS = build_template(CATALOG, REGISTRY, "R1", YEAR, unit_code="C03")[1].records["R1_COUNTY"].columns
BAOJI = [c.name for c in REGISTRY.counties_of("C03")]


def test_three_blank_rows_between_two_counties_lose_no_county(tmp_path):
    """The reported case: the counties below three blank rows were accepted as 未开展; now they load."""
    wb, layout = locate_returns.clean_return("R1")
    counties = wb["区县明细"]
    first = layout.records["R1_COUNTY"].first_data_row
    counties.insert_rows(first + 4, 3)  # after the fourth county
    located = locate_returns.locate(wb)
    assert [(r.key.raw, r.row_number) for r in located.records["R1_COUNTY"]] == [
        (name, first + n + (3 if n >= 4 else 0)) for n, name in enumerate(BAOJI)
    ]
    validated = locate_returns.load(wb)
    assert validated.issues == ()
    for n, name in enumerate(BAOJI):
        assert county_values(validated, name) == as_loaded(county_figures(n)), name
    # and so in the warehouse: every county's figures, the ones below the gap included
    with writer(tmp_path / "warehouse.duckdb") as con:
        result = ingest_bytes(
            con,
            locate_returns.xlsx(wb),
            locate_returns.FILE_NAME,
            received_at=datetime.datetime(YEAR + 1, 1, 12, 9, 30),
            raw_dir=tmp_path / "raw",
        )
        assert result.status == "accepted"
        loaded = con.execute(
            "select u.name, v.value_num from raw_values v join (select unnest($codes) as code, unnest($names) as name) u"
            " on u.code = v.entity_code where v.submission_id = $id and v.indicator = 'm8_county_industry_unions'"
            " order by v.value_num",
            {
                "codes": [c.code for c in REGISTRY.counties_of("C03")],
                "names": BAOJI,
                "id": result.submission_id,
            },
        ).fetchall()
    assert loaded == [(name, float(county_figures(n)["m8_county_industry_unions"])) for n, name in enumerate(BAOJI)]


def test_summary_row_note_and_signature_line_inside_the_county_table():
    wb, layout = locate_returns.clean_return("R1")
    counties = wb["区县明细"]
    first = layout.records["R1_COUNTY"].first_data_row
    counties.insert_rows(first + 3, 4)
    counties[f"A{first + 3}"], counties[f"E{first + 3}"] = "小计", 999  # a subtotal of the three counties above
    counties[f"A{first + 4}"] = "备注：以下县区数据由市总工会代填"
    counties[f"B{first + 5}"] = "1. 数据截至12月31日，经各县（区）总工会核实。"  # the note goes on, typed in column B
    counties[f"A{first + 6}"] = "审核人：李四"
    last = counties.max_row
    counties[f"A{last + 2}"], counties[f"E{last + 2}"] = "合计", 1234
    validated = locate_returns.load(wb)
    assert validated.issues == ()
    assert {name: county_values(validated, name) for name in BAOJI} == {
        name: as_loaded(county_figures(n)) for n, name in enumerate(BAOJI)
    }


def test_a_county_after_a_note_is_a_county_not_the_note_going_on():
    wb, layout = filled("R1")
    counties = wb["区县明细"]
    counties.insert_rows(6)
    counties["A6"] = "备注：新城区数据已核实"  # 碑林区 (now row 7) has no figures: it stays a row of the table
    located = locate(wb)
    assert [(r.key.raw, r.row_number) for r in located.records["R1_COUNTY"][:3]] == [
        ("新城区", 5),
        ("碑林区", 7),
        ("莲湖区", 8),
    ]
    assert located.issues == ()


def test_county_table_continued_after_a_page_break():
    """Printed on two pages: a gap, the title again marked （续）, the header again (with columns in another order)."""
    wb, layout = locate_returns.clean_return("R1")
    counties = wb["区县明细"]
    first, header = layout.records["R1_COUNTY"].first_data_row, layout.records["R1_COUNTY"].header_row
    split = first + 6
    counties.insert_rows(split, 5)
    counties[f"A{split + 2}"] = "二、所辖县（区）总工会落实情况（区县明细）（续）"
    width = counties.max_column
    order = [1, 3, 2, *range(4, width + 1)]  # the second page has two columns swapped
    for col in range(1, width + 1):
        counties.cell(split + 3, col).value = counties.cell(header, order[col - 1]).value
    for row in range(split + 5, counties.max_row + 1):
        cells = [counties.cell(row, col).value for col in order]
        for col, value in enumerate(cells, 1):
            counties.cell(row, col).value = value
    located = locate_returns.locate(wb)
    assert [r.key.raw for r in located.records["R1_COUNTY"]] == BAOJI
    validated = locate_returns.load(wb)
    assert validated.issues == ()
    assert {name: county_values(validated, name) for name in BAOJI} == {
        name: as_loaded(county_figures(n)) for n, name in enumerate(BAOJI)
    }


def test_indicator_list_continued_under_a_repeated_header():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    header = data_row(ws, "指标名称")
    split = data_row(ws, "核定编制数")
    ws.insert_rows(split, 3)
    for col in range(1, 6):
        ws.cell(split + 2, col).value = ws.cell(header, col).value
    located = locate(wb)
    assert located.values == {
        code: LocatedCell(c.raw, c.sheet, f"D{int(c.cell[1:]) + (3 if int(c.cell[1:]) >= split else 0)}")
        for code, c in expected_values(layout).items()
    }
    assert located.issues == ()


def test_a_figure_that_cannot_be_placed_is_an_error_naming_its_cells():
    wb, _ = filled("R2")
    ws = wb["本级情况"]
    row = data_row(ws, "会员人数")
    ws.insert_rows(row + 1, 2)
    ws[f"D{row + 1}"] = 88  # a figure without an indicator
    ws[f"A{row + 2}"], ws[f"D{row + 2}"] = "注：会员人数含退休会员", 12  # a note, and a figure beside it
    fix = (
        "请在“指标名称”列填写该数值所属的指标（使用模板中的原名称），把数值填在该指标一行的“本年数”列；"
        "说明文字请写在“说明”列或表格下方"
    )
    assert locate(wb).issues == (
        issue(
            "error",
            "unrecognised_row",
            f"表格内第{row + 1}行有内容但无法识别（“一、本单位落实情况”表 D{row + 1}）：有数值，但该行没有可识别的指标名称",
            fix,
            "本级情况",
            f"D{row + 1}",
            "88",
        ),
        issue(
            "error",
            "unrecognised_row",
            f"表格内第{row + 2}行有内容但无法识别（“一、本单位落实情况”表 D{row + 2}）：有数值，但该行没有可识别的指标名称",
            fix,
            "本级情况",
            f"D{row + 2}",
            "12",
        ),
    )


def test_figures_outside_the_county_columns_are_reported():
    wb, _ = filled("R1")
    counties = wb["区县明细"]
    counties.insert_rows(8)
    counties["H8"], counties["J8"] = 3.5, "５个"  # no county, and no column of the table
    counties["I10"] = 7  # a county's row, in a column without a header
    assert locate(wb).issues == (
        issue(
            "error",
            "unrecognised_row",
            "表格内第8行有内容但无法识别（“二、所辖县（区）总工会落实情况（区县明细）”表 H8、J8）："
            "有数值，但既没有填写“县（区）名称”，也不在该表的任何数据列中",
            "请在“县（区）名称”列填写该行所属的单位，并把数值移到表头对应的列；不需要的请删除",
            "区县明细",
            "H8",
            "3.5",
        ),
        issue(
            "warning",
            "unknown_column",
            "“二、所辖县（区）总工会落实情况（区县明细）”表 I 列（表头为空）不是该表的列，其中 I10 的数据未读取",
            "请把数据移到表头对应的列，或把表头改为模板中的列名；不需要的请删除",
            "区县明细",
            "I4",
        ),
    )


# -- a value column headed by the year (issue 9, defect 2) --------------------------------------------------------------


@pytest.mark.parametrize(
    "heading", ["2024年", "2024年度", "２０２４年度", "2024年数", "本年度", "今年", "本年", "2024年（万元）"]
)
@pytest.mark.parametrize("code", ["R1", "R2", "R3"])
def test_value_column_headed_by_the_year(code, heading):
    wb, layout = filled(code)
    ref = next(iter(layout.value_cells.values()))
    wb[ref.sheet][f"D{int(ref.cell[1:]) - 1}"] = heading
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.records == expected_records(wb, layout)
    assert located.issues == ()


def test_last_years_column_beside_this_years():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    header = data_row(ws, "指标名称")
    ws.insert_cols(4)
    ws[f"D{header}"], ws[f"E{header}"] = "2023年", "2024年"
    for row in range(header + 1, ws.max_row + 1):
        ws[f"D{row}"] = 500 + row  # last year's figures, kept for comparison
    located = locate(wb)
    assert located.values == expected_values(layout, "E")
    assert located.issues == ()


def test_value_column_headed_by_another_year_is_read_with_a_warning():
    wb, layout = filled("R2")
    ws = wb["本级情况"]
    header = data_row(ws, "指标名称")
    ws[f"D{header}"] = "2023年度"
    located = locate(wb)
    assert located.values == expected_values(layout)
    assert located.issues == (
        issue(
            "warning",
            "value_header_year",
            "“一、本单位落实情况”表的数值列表头是“2023年度”，与报表年度2024年不一致，已按本年数读取",
            "请核对该列是否为2024年的数据，并把表头改为“本年数”",
            "本级情况",
            f"D{header}",
            "2023年度",
        ),
    )


def test_unrecognisable_value_heading_names_the_closest_header_cell():
    wb, _ = filled("R2")
    ws = wb["本级情况"]
    header = data_row(ws, "指标名称")
    ws[f"D{header}"] = "完成情况"
    assert locate(wb).issues == (
        issue(
            "error",
            "missing_table",
            f"未找到“一、本单位落实情况”表：工作表“本级情况”中 D{header} 的“完成情况”最接近该表的表头，但无法识别为“本年数”",
            f"请把 D{header} 改为“本年数”（表头行应为“序号、指标名称、计量单位、本年数、说明”）",
            "本级情况",
            f"D{header}",
            "完成情况",
        ),
    )


def test_unrecognisable_key_heading_names_the_closest_header_cell():
    wb, layout = filled("R1")
    header = layout.records["R1_COUNTY"].header_row
    wb["区县明细"][f"A{header}"] = "地区"
    assert locate(wb).issues == (
        issue(
            "error",
            "missing_table",
            f"未找到“二、所辖县（区）总工会落实情况（区县明细）”表：工作表“区县明细”中 A{header} 的“地区”最接近该表的表头，"
            "但无法识别为“县（区）名称”",
            f"请把 A{header} 改为“县（区）名称”（表头行应为“县（区）名称 …”）",
            "区县明细",
            f"A{header}",
            "地区",
        ),
    )


def test_a_control_character_in_a_label_does_not_hide_it():
    import dataclasses

    from locate_returns import CATALOG, FILE_NAME, clean_return, locate, xlsx

    from pipeline.locate import locate_return
    from pipeline.read import read_workbook

    wb, _ = clean_return("R1")
    expected = locate(wb)
    workbook = read_workbook(xlsx(wb), FILE_NAME)
    sheets = []
    for sheet in workbook.sheets:  # a NUL inside every text cell, as a paste from another system leaves it
        rows = tuple(tuple(f"{v[:1]}\x00{v[1:]}" if isinstance(v, str) and v else v for v in row) for row in sheet.rows)
        sheets.append(dataclasses.replace(sheet, rows=rows))
    located = locate_return(dataclasses.replace(workbook, sheets=tuple(sheets)), CATALOG)
    assert located.return_code == expected.return_code == "R1"
    assert {code: cell.cell for code, cell in located.values.items()} == {
        code: cell.cell for code, cell in expected.values.items()
    }
    assert located.issues == expected.issues
