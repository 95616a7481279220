"""What the CLI prints for people names units and returns, never their codes (the codes stay in --json)."""

from __future__ import annotations

from datetime import datetime

from pipeline.cli_output import submissions_table
from pipeline.registry import load_registry


def test_submissions_table_names_units_and_returns() -> None:
    rows = [
        {"submission_id": 7, "year": 2024, "return_code": "R1", "unit_code": "C10", "status": "accepted",
         "is_current": True, "superseded_by": None, "received_at": datetime(2025, 1, 20, 9, 5), "file_name": "商洛.xlsx"},
        {"submission_id": 8, "year": 2024, "return_code": "R2", "unit_code": "I07", "status": "accepted_with_warnings",
         "is_current": False, "superseded_by": 9, "received_at": datetime(2025, 1, 21, 10, 0), "file_name": "海员.xlsx"},
        {"submission_id": 9, "year": None, "return_code": None, "unit_code": None, "status": "rejected",
         "is_current": False, "superseded_by": None, "received_at": datetime(2025, 1, 22, 8, 0), "file_name": "坏.xlsx"},
    ]  # fmt: skip
    assert submissions_table(rows, load_registry()).splitlines() == [
        "编号\t年度\t报表\t填报单位\t结果\t当前版本\t接收时间\t文件",
        "7\t2024\tR1 市（区）总工会年度报表\t商洛市总工会\t已接收\t是\t2025-01-20 09:05\t商洛.xlsx",
        "8\t2024\tR2 省级产业工会年度报表\t陕西省海员建设工会\t已接收（有提示）\t被替代\t2025-01-21 10:00\t海员.xlsx",
        "9\t\t（无法识别）\t（无法识别）\t被退回\t否\t2025-01-22 08:00\t坏.xlsx",
    ]


def test_no_submissions() -> None:
    assert submissions_table([], load_registry()) == "没有符合条件的报送记录。"
