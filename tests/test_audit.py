"""The append-only audit trail (pipeline/audit.py): rows, filters, the Excel export, and the triggers."""

from __future__ import annotations

import io
import logging
import sqlite3
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from pipeline import audit

INJECTION = '=HYPERLINK("http://x","y")'


@pytest.fixture
def trail(tmp_path):
    path = tmp_path / "access.sqlite"
    # 2026-03-01 23:30 UTC is 2026-03-02 07:30 in Beijing: the local day differs from the UTC day.
    rows = [
        ("sign_in", "wang", "wang", "成功", "", "10.0.0.1", datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
        ("upload", "wang", "演示_西安_R1_2025.xlsx", "已接收", "西安市总工会 2025 年 R1", "10.0.0.1",
         datetime(2026, 3, 2, 1, 0, tzinfo=UTC)),
        ("export", "li", "情况通报 2025", "成功", "数据版本 v12", "10.0.0.9", datetime(2026, 3, 3, 2, 0, tzinfo=UTC)),
        ("sign_in_failed", "ghost", "ghost", "失败", "用户名不存在", "203.0.113.5",
         datetime(2026, 3, 4, 15, 59, tzinfo=UTC)),
        ("upload", "wang", INJECTION, "已退回", "100%_完成", "10.0.0.1", datetime(2026, 3, 4, 16, 1, tzinfo=UTC)),
    ]  # fmt: skip
    for action, actor, target, outcome, detail, address, at in rows:
        audit.record(action, actor=actor, target=target, outcome=outcome, detail=detail, address=address, path=path,
                     at=at, strict=True)  # fmt: skip
    return path


def test_entries_newest_first_with_chinese_columns_and_local_time(trail):
    frame = audit.entries(trail)
    assert list(frame.columns) == ["时间", "用户", "操作", "对象", "结果", "说明", "地址"]
    assert frame.iloc[0].tolist() == [
        "2026-03-05 00:01:00",
        "wang",
        "上传报表",
        INJECTION,
        "已退回",
        "100%_完成",
        "10.0.0.1",
    ]
    assert frame["时间"].tolist()[-1] == "2026-03-02 07:30:00"
    assert frame["操作"].tolist() == ["上传报表", "登录失败", "导出", "上传报表", "登录"]


def test_entries_filters(trail):
    assert audit.entries(trail, actor="WANG")["操作"].tolist() == ["上传报表", "上传报表", "登录"]
    assert audit.entries(trail, action="upload")["对象"].tolist() == [INJECTION, "演示_西安_R1_2025.xlsx"]
    assert len(audit.entries(trail, action="导出")) == 1
    # Dates are Beijing days: 03-02 holds the 07:30 sign-in and the 09:00 upload.
    day = audit.entries(trail, since=date(2026, 3, 2), until=date(2026, 3, 2))
    assert day["操作"].tolist() == ["上传报表", "登录"]
    assert audit.entries(trail, since=date(2026, 3, 5))["时间"].tolist() == ["2026-03-05 00:01:00"]
    assert audit.entries(trail, until=datetime(2026, 3, 2, 7, 30))["操作"].tolist() == ["登录"]
    assert audit.entries(trail, text="西安")["对象"].tolist() == ["演示_西安_R1_2025.xlsx"]
    assert audit.entries(trail, text="v12")["用户"].tolist() == ["li"]
    # LIKE wildcards in the search text are literal.
    assert audit.entries(trail, text="%_")["说明"].tolist() == ["100%_完成"]
    assert audit.entries(trail, text="0%")["说明"].tolist() == ["100%_完成"]
    assert audit.entries(trail, limit=2)["操作"].tolist() == ["上传报表", "登录失败"]
    assert audit.entries(trail, actor="nobody").empty
    assert audit.actors(trail) == ["ghost", "li", "wang"]


def test_rows_cannot_be_updated_or_deleted(trail):
    con = sqlite3.connect(trail)
    with pytest.raises(sqlite3.DatabaseError, match="只能追加，不能修改"):
        con.execute("update audit_log set actor = 'someone' where id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="只能追加，不能删除"):
        con.execute("delete from audit_log")
    con.close()
    assert len(audit.entries(trail)) == 5
    assert audit.entries(trail)["用户"].tolist()[-1] == "wang"


def test_record_never_raises_unless_asked(tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with caplog.at_level(logging.ERROR, logger="pipeline.audit"):
        audit.record("export", actor="li", path=blocked / "access.sqlite")
    assert "could not write audit row export" in caplog.text
    with pytest.raises(OSError):
        audit.record("export", actor="li", path=blocked / "access.sqlite", strict=True)
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("rename_everything", actor="li", path=tmp_path / "ok.sqlite", strict=True)


def test_actions_include_the_contract():
    required = {
        "sign_in", "sign_in_failed", "sign_out", "password_changed", "upload", "supersede", "export",
        "settings_saved", "settings_restored", "account_added", "account_disabled", "account_enabled",
        "password_reset", "role_changed", "access_denied",
    }  # fmt: skip
    assert required <= audit.ACTIONS.keys()
    assert audit.action_code("导出") == "export" and audit.action_code("export") == "export"


def test_xlsx_neutralises_every_cell_and_is_formatted(trail):
    data = audit.entries_xlsx(audit.entries(trail))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "操作日志"
    assert [c.value for c in sheet[1]] == ["时间", "用户", "操作", "对象", "结果", "说明", "地址"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == 60
    assert sheet["D2"].value == "'" + INJECTION and sheet["D2"].data_type == "s"
    assert sheet["D5"].value == "演示_西安_R1_2025.xlsx"
    assert sheet.max_row == 6
    assert not any(
        isinstance(cell.value, str) and cell.value.startswith("=") for row in sheet.iter_rows() for cell in row
    )
    empty = load_workbook(io.BytesIO(audit.entries_xlsx(audit.entries(trail, actor="nobody")))).active
    assert [c.value for c in empty[1]][0] == "时间" and empty.max_row == 1


def test_export_workbook_records_the_export(trail):
    frame = audit.entries(trail, actor="wang")
    data = audit.export_workbook(frame, actor="boss", address="10.0.0.8", path=trail, file_name="操作日志.xlsx")
    assert load_workbook(io.BytesIO(data)).active.max_row == 1 + 3
    newest = audit.entries(trail, limit=1).iloc[0].tolist()
    assert newest[1:] == ["boss", "导出", "操作日志", "成功", "3 条，操作日志.xlsx", "10.0.0.8"]
