import datetime
import io
import json

import xlwt
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.protection import SheetProtection

from pipeline.issues import Issue
from pipeline.report import annotate_workbook, annotated_filename, format_terminal, issues_to_json

FILE = "西安市总工会_2024.xlsx"
RED = "FFFFC7CE"
AMBER = "FFFFEB9C"
HEADER = ["序号", "级别", "工作表", "单元格", "指标", "填写的内容", "问题", "修改方法"]


def err(
    sheet: str,
    cell: str,
    value: str = "",
    message: str = "不是数字",
    fix: str = "请填写阿拉伯数字",
    indicator: str = "",
) -> Issue:
    return Issue("error", "not_a_number", message, fix, FILE, sheet, cell, value, indicator)


def warn(sheet: str, cell: str, value: str = "", message: str = "数值偏大", fix: str = "请核对后确认") -> Issue:
    return Issue("warning", "suspicious", message, fix, FILE, sheet, cell, value)


def template_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "基本情况"
    ws["A1"] = "2024年度落实情况"
    ws["D7"] = "十二"
    ws["D8"] = 99999
    ws["B2"] = "x"
    ws["A10"] = "y"
    ws.merge_cells("F1:H1")
    ws["F1"] = "合并标题"
    ws.protection = SheetProtection(sheet=True)
    hidden = wb.create_sheet("代码表")
    hidden["A1"] = "C01"
    hidden.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data))


def list_rows(wb) -> list[list[object]]:
    return [list(r) for r in wb["错误清单"].iter_rows(min_row=4, values_only=True)]


# -- annotated workbook -------------------------------------------------------------------------------------------


def test_annotated_copy_lists_every_issue_in_order():
    issues = [
        warn("基本情况", "D8", "99999"),
        err("基本情况", "D7", "十二"),
        Issue("error", "wrong_year", "年度不对", "请改为2024", FILE),
        err("已删除的表", "C3", "1"),
    ]
    wb = reopen(annotate_workbook(template_bytes(), FILE, issues))
    assert wb.sheetnames == ["错误清单", "基本情况", "代码表"]
    sheet = wb["错误清单"]
    assert wb.active.title == "错误清单"
    assert sheet["A1"].value == f"{FILE} 审核结果：3 个错误，1 个提示"
    assert [c.value for c in sheet[3]] == HEADER
    assert sheet.freeze_panes == "A4"
    assert list_rows(wb) == [
        [1, "错误", None, None, None, None, "年度不对", "请改为2024"],
        [2, "错误", "基本情况", "D7", None, "十二", "不是数字", "请填写阿拉伯数字"],
        [3, "错误", "已删除的表", "C3", None, "1", "不是数字", "请填写阿拉伯数字"],
        [4, "提示", "基本情况", "D8", None, "99999", "数值偏大", "请核对后确认"],
    ]
    assert sheet.column_dimensions["G"].width == 50
    assert sheet["G4"].alignment.wrap_text is True
    assert sheet["A3"].font.b is True


def test_offending_cells_are_filled_and_commented_values_unchanged():
    issues = [err("基本情况", "D7", "十二"), warn("基本情况", "D8", "99999")]
    ws = reopen(annotate_workbook(template_bytes(), FILE, issues))["基本情况"]
    assert ws["D7"].value == "十二"
    assert ws["D8"].value == 99999
    assert ws["D7"].fill.fgColor.rgb == RED
    assert ws["D8"].fill.fgColor.rgb == AMBER
    assert ws["D7"].comment.author == "十八条落实看板"
    assert ws["D7"].comment.text == "【错误】不是数字（填写的是“十二”）\n修改方法：请填写阿拉伯数字"
    assert ws["D8"].comment.text == "【提示】数值偏大（填写的是“99999”）\n修改方法：请核对后确认"
    assert ws["A1"].comment is None
    assert ws["A1"].fill.fgColor.rgb != RED


def test_two_issues_on_one_cell_share_a_red_comment():
    issues = [warn("基本情况", "D7"), err("基本情况", "D7", "十二")]
    ws = reopen(annotate_workbook(template_bytes(), FILE, issues))["基本情况"]
    assert ws["D7"].fill.fgColor.rgb == RED
    assert ws["D7"].comment.text == (
        "【错误】不是数字（填写的是“十二”）\n修改方法：请填写阿拉伯数字\n\n【提示】数值偏大\n修改方法：请核对后确认"
    )


def test_hyperlinks_point_at_the_cell_and_missing_sheets_get_none():
    issues = [
        err("基本情况", "D7"),
        err("已删除的表", "C3"),
        Issue("error", "corrupt_file", "文件损坏", "请重新保存", FILE),
    ]
    sheet = reopen(annotate_workbook(template_bytes(), FILE, issues))["错误清单"]
    rows = {sheet.cell(row=r, column=3).value: sheet.cell(row=r, column=4) for r in (4, 5, 6)}
    assert rows["基本情况"].hyperlink.location == "'基本情况'!D7"
    assert rows["已删除的表"].hyperlink is None
    assert rows[None].hyperlink is None


def test_protection_removed_and_hidden_sheet_with_issue_shown():
    wb = reopen(annotate_workbook(template_bytes(), FILE, [warn("代码表", "A1", "C01")]))
    assert wb["基本情况"].protection.sheet is False
    assert wb["代码表"].sheet_state == "visible"
    assert wb["代码表"]["A1"].fill.fgColor.rgb == AMBER


def test_issue_inside_merged_range_marks_its_top_left_cell():
    ws = reopen(annotate_workbook(template_bytes(), FILE, [err("基本情况", "G1")]))["基本情况"]
    assert ws["F1"].fill.fgColor.rgb == RED
    assert ws["F1"].comment.text == "【错误】不是数字\n修改方法：请填写阿拉伯数字"
    assert ws["F1"].value == "合并标题"


def test_reannotating_a_resubmitted_copy_replaces_the_old_marks():
    first = annotate_workbook(template_bytes(), FILE, [err("基本情况", "D7", "十二")])
    second = reopen(annotate_workbook(first, FILE, [warn("基本情况", "D8", "99999")]))
    assert second.sheetnames == ["错误清单", "基本情况", "代码表"]
    assert second["错误清单"]["A1"].value == f"{FILE} 审核结果：0 个错误，1 个提示"
    ws = second["基本情况"]
    assert ws["D7"].comment is None
    assert ws["D7"].fill.fgColor.rgb != RED
    assert ws["D8"].fill.fgColor.rgb == AMBER


def test_value_that_looks_like_a_formula_stays_text():
    wb = reopen(annotate_workbook(template_bytes(), FILE, [err("基本情况", "D7", "=1+1")]))
    assert list_rows(wb)[0][5] == "=1+1"
    assert wb["错误清单"]["F4"].data_type == "s"


def test_xls_input_becomes_annotated_xlsx_with_values():
    book = xlwt.Workbook()
    ws = book.add_sheet("基本情况")
    ws.write(0, 0, "2024年度落实情况")
    ws.write(6, 3, "十二")
    ws.write(7, 3, 15)
    ws.write(8, 0, datetime.date(2025, 1, 20), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    book.add_sheet("说明").write(0, 0, "备注")
    out = io.BytesIO()
    book.save(out)
    wb = reopen(annotate_workbook(out.getvalue(), "西安.xls", [err("基本情况", "D7", "十二")]))
    assert wb.sheetnames == ["错误清单", "基本情况", "说明"]
    ws = wb["基本情况"]
    assert ws["A1"].value == "2024年度落实情况"
    assert ws["D7"].value == "十二"
    assert ws["D8"].value == 15
    assert ws["A9"].value == datetime.datetime(2025, 1, 20)
    assert ws["B1"].value is None
    assert ws["D7"].fill.fgColor.rgb == RED
    assert "请填写阿拉伯数字" in ws["D7"].comment.text
    assert wb["说明"]["A1"].value == "备注"
    assert wb["错误清单"]["A1"].value == "西安.xls 审核结果：1 个错误，0 个提示"


def test_unreadable_file_gives_only_the_issue_list():
    issue = Issue("error", "corrupt_file", "文件已损坏，无法打开", "请用 Excel 重新保存后提交", "坏文件.xlsx")
    for data in (b"this is not a workbook", b"", b"PK\x03\x04garbage"):
        wb = reopen(annotate_workbook(data, "坏文件.xlsx", [issue]))
        assert wb.sheetnames == ["错误清单"]
        assert wb["错误清单"]["A1"].value == "坏文件.xlsx 审核结果：1 个错误，0 个提示"
        assert list_rows(wb) == [
            [1, "错误", None, None, None, None, "文件已损坏，无法打开", "请用 Excel 重新保存后提交"]
        ]


def test_annotated_filename():
    assert annotated_filename("西安市总工会_2024.xls") == "西安市总工会_2024_审核意见.xlsx"
    assert annotated_filename("uploads/金融工会.xlsm") == "金融工会_审核意见.xlsx"
    assert annotated_filename("") == "审核意见.xlsx"


# -- terminal and JSON --------------------------------------------------------------------------------------------


def test_terminal_orders_by_severity_then_row_major_cells():
    issues = [
        warn("基本情况", "A1"),
        err("基本情况", "A10", "a10"),
        err("基本情况", "B2", "b2"),
        err("基本情况", "A2", "a2"),
        err("附表", "A1", "z"),
    ]
    lines = format_terminal(FILE, "rejected", issues).splitlines()
    assert lines[0] == f"文件“{FILE}”：被退回（4 个错误，1 个提示）"
    found = [line.split("单元格 ")[1].split("：")[0] for line in lines[1:]]
    assert found == ["A2", "B2", "A10", "A1", "A1"]
    assert "工作表“附表”" in lines[4]
    assert lines[5].startswith("  [提示]")
    assert lines[2] == "  " + err("基本情况", "B2", "b2").format_line()


def test_terminal_status_words_and_colour():
    assert format_terminal("a.xlsx", "accepted", []) == "文件“a.xlsx”：已接收"
    assert format_terminal("a.xlsx", "unchanged", []) == "文件“a.xlsx”：未变化（与已接收的文件完全相同）"
    first = format_terminal("a.xlsx", "accepted_with_warnings", [warn("s", "A1")]).splitlines()[0]
    assert first == "文件“a.xlsx”：已接收（有提示）（0 个错误，1 个提示）"
    coloured = format_terminal("a.xlsx", "rejected", [err("s", "A1")], color=True).splitlines()
    assert coloured[0] == "\033[1m文件“a.xlsx”\033[0m：\033[31m被退回\033[0m（1 个错误，0 个提示）"
    assert coloured[1] == "  \033[31m" + err("s", "A1").format_line() + "\033[0m"
    assert "\033[" not in format_terminal("a.xlsx", "rejected", [err("s", "A1")])


def test_issues_to_json_round_trips_with_chinese():
    issues = [warn("基本情况", "D8", "99999"), err("基本情况", "D7", "十二")]
    text = issues_to_json(
        [
            {
                "file": FILE,
                "status": "rejected",
                "unit_code": "C01",
                "year": 2024,
                "return_code": "R1",
                "issues": issues,
            },
            {
                "file": "b.xlsx",
                "status": "accepted",
                "unit_code": None,
                "year": None,
                "return_code": "R2",
                "issues": [],
            },
        ]
    )
    assert "不是数字" in text
    data = json.loads(text)
    assert list(data[0]) == ["file", "status", "unit_code", "year", "return_code", "issues"]
    assert data[0]["issues"] == [issues[1].as_dict(), issues[0].as_dict()]
    assert data[0]["issues"][0]["message"] == "不是数字"
    assert data[1] == {
        "file": "b.xlsx",
        "status": "accepted",
        "unit_code": None,
        "year": None,
        "return_code": "R2",
        "issues": [],
    }
    assert text.startswith('[\n  {\n    "file": "西安市总工会_2024.xlsx"')


def test_the_issue_list_and_the_comment_name_the_indicator():
    """A value issue names its indicator in the 指标 column; where its message does not, the comment does."""
    issues = [
        err("基本情况", "D7", "十二", message="“十二”不是数字，请填写阿拉伯数字（如 12）", indicator="基层工会数"),
        err("基本情况", "D8", "99999", message="“会员人数”不能为负数", indicator="会员人数"),
    ]
    wb = reopen(annotate_workbook(template_bytes(), FILE, issues))
    assert list_rows(wb) == [
        [
            1,
            "错误",
            "基本情况",
            "D7",
            "基层工会数",
            "十二",
            "“十二”不是数字，请填写阿拉伯数字（如 12）",
            "请填写阿拉伯数字",
        ],
        [2, "错误", "基本情况", "D8", "会员人数", "99999", "“会员人数”不能为负数", "请填写阿拉伯数字"],
    ]
    ws = wb["基本情况"]
    assert ws["D7"].comment.text == (
        "【错误】指标“基层工会数”：“十二”不是数字，请填写阿拉伯数字（如 12）（填写的是“十二”）\n修改方法：请填写阿拉伯数字"
    )
    assert ws["D8"].comment.text == "【错误】“会员人数”不能为负数（填写的是“99999”）\n修改方法：请填写阿拉伯数字"
    assert format_terminal(FILE, "rejected", issues[:1]).splitlines()[1] == (
        f"  [错误] 文件“{FILE}”，工作表“基本情况”，单元格 D7，指标“基层工会数”："
        "“十二”不是数字，请填写阿拉伯数字（如 12）（填写的是“十二”）。 修改方法：请填写阿拉伯数字"
    )
