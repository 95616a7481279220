"""Text from submitters written into the 催报名单 workbook: never a live formula, never a cell Excel cannot hold."""

import io
from datetime import datetime

import openpyxl
import pandas as pd

from pipeline.spreadsheet_text import neutralise_formula
from queries.chase_list import chase_list_xlsx
from queries.submissions import CHASE_COLUMNS


def test_formula_triggers_are_neutralised_and_other_text_is_kept():
    assert [neutralise_formula(v) for v in ("=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+1", "'+86 138", "'-5", "'@SUM(A1)", "'\tx", "'\rx",
    ]  # fmt: skip
    assert [neutralise_formula(v) for v in ("张三", "0914-5576079", "", None, 12, "张\x00三")] == [
        "张三", "0914-5576079", "", None, 12, "张三",
    ]  # fmt: skip


def test_the_chase_list_never_writes_a_formula_from_a_contact_name():
    row = {
        "单位": "商洛市总工会", "报表": "R1 市（区）总工会年度报表", "情况": "逾期未报送",
        "最近一次报送的填报人": '=HYPERLINK("http://example.invalid","点击")', "联系电话": "+86 0914\x005576079",
        "最近报送时间": datetime(2025, 1, 17, 9, 0), "备注": "@备注",
    }  # fmt: skip
    data = chase_list_xlsx(pd.DataFrame([row], columns=list(CHASE_COLUMNS)), 2025, demo=False)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    contact, phone, note = ws.cell(3, 4), ws.cell(3, 5), ws.cell(3, 7)
    assert (contact.value, contact.data_type) == ('\'=HYPERLINK("http://example.invalid","点击")', "s")
    assert (phone.value, note.value) == ("'+86 09145576079", "'@备注")
