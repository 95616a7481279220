import hashlib
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

import pipeline.load as load_module
from pipeline.issues import Issue
from pipeline.load import (
    LoadOutcome,
    already_loaded,
    archive_original,
    load_validated,
    record_rejected_file,
)
from pipeline.validated import ValidatedReturn, ValueRow
from pipeline.warehouse import writer

RECEIVED = datetime(2024, 1, 20, 9, 30, 0)


def value(indicator: str, num: float | None = None, *, entity: str = "C01", row_no: int = 0, cell: str = "D7",
          sheet: str = "填报表", text: str | None = None, day: date | None = None, flag: bool | None = None,
          raw: str = "", remark: str | None = None, note: str | None = None) -> ValueRow:  # fmt: skip
    return ValueRow(indicator, entity, row_no, num, text, day, flag, raw, remark, sheet, cell, note)


R1_VALUES = (
    value("m3_city_meetings", 2.0, cell="D7", raw="2"),
    value("m6_budget_key_work", 35.5, cell="D9", raw="35.5", remark="含专项", note="全角数字已转换"),
    value("m3_county_meeting_held", entity="C01-01", row_no=1, sheet="县区表", cell="B5", flag=True, raw="是"),
    value("m3_county_meeting_held", entity="C01-02", row_no=2, sheet="县区表", cell="B6", flag=False, raw="否"),
)
WARNING = Issue("warning", "check_failed", "批准经费大于申请经费", "请核对两项经费", "r1.xlsx", "填报表", "D12", "40")
ERROR = Issue("error", "not_a_number", "应填写数字", "请改为数字", "r1.xlsx", "填报表", "D7", "两次")


def validated(sha: str, *, unit: str | None = "C01", year: int | None = 2023, return_code: str | None = "R1",
              values: tuple[ValueRow, ...] = R1_VALUES, issues: tuple[Issue, ...] = (), file_name: str = "r1.xlsx",
              is_demo: bool = False) -> ValidatedReturn:  # fmt: skip
    return ValidatedReturn(
        file_name=file_name, sha256=sha, return_code=return_code, year=year, unit_code=unit, submitter="张三",
        phone="029-12345678", filled_on=date(2024, 1, 15), values=values, issues=issues, is_demo=is_demo,
    )  # fmt: skip


@pytest.fixture
def con(tmp_path: Path):
    with writer(tmp_path / "wh.duckdb") as connection:
        yield connection


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    return tuple(
        con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("submissions", "submission_issues", "raw_values")
    )


# -- archive -----------------------------------------------------------------------------------------


def test_archive_original_stores_by_hash_with_original_extension(tmp_path: Path) -> None:
    data = b"workbook bytes"
    sha = hashlib.sha256(data).hexdigest()
    path = archive_original(data, tmp_path / "raw", "西安市 2023.XLSX")[0]
    assert path == tmp_path / "raw" / sha[:2] / f"{sha}.xlsx"
    assert path.read_bytes() == data
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{sha}.xlsx"]


def test_archive_original_is_idempotent(tmp_path: Path) -> None:
    first = archive_original(b"abc", tmp_path, "a.xls")[0]
    mtime = first.stat().st_mtime_ns
    second = archive_original(b"abc", tmp_path, "a.xls")[0]
    assert second == first
    assert second.stat().st_mtime_ns == mtime


def test_archive_original_drops_an_unsafe_extension(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    assert archive_original(b"x", tmp_path, "报表.xlsx;rm -rf")[0].name == sha
    assert archive_original(b"x", tmp_path, "无扩展名")[0].name == sha


def test_archive_original_replaces_a_truncated_copy(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"complete").hexdigest()
    target = tmp_path / sha[:2] / f"{sha}.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"comp")
    assert archive_original(b"complete", tmp_path, "a.xlsx")[0].read_bytes() == b"complete"


def test_archive_original_tells_whether_it_wrote_the_copy(tmp_path: Path) -> None:
    data = b"workbook bytes"
    sha = hashlib.sha256(data).hexdigest()
    folder = tmp_path / sha[:2]
    folder.mkdir()
    (folder / f".{sha}.xlsx.tmp-1").write_bytes(b"half")  # a copy a crash left half-written is not one held
    (folder / f"{sha}.xls").write_bytes(data)  # the same bytes under another name: not this call's copy
    path, written = archive_original(data, tmp_path, "a.xlsx")
    assert (path, written) == (folder / f"{sha}.xlsx", True) and path.read_bytes() == data
    assert archive_original(data, tmp_path, "b.XLSX") == (path, False)  # held now: not this call's to remove
    assert (folder / f"{sha}.xls").read_bytes() == data
    path.write_bytes(b"workbook")  # truncated: replaced, and then it is this call's copy
    assert archive_original(data, tmp_path, "a.xlsx") == (path, True) and path.read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == sorted([f".{sha}.xlsx.tmp-1", f"{sha}.xls", f"{sha}.xlsx"])


def test_archive_original_writes_large_files_whole_and_leaves_no_temporary_on_failure(tmp_path: Path, monkeypatch):
    data = bytes(range(256)) * 40_000  # 10 MB: more than one write may take
    path, written = archive_original(data, tmp_path, "big.xlsx", durable=True)
    assert written and path.read_bytes() == data

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        archive_original(b"other bytes", tmp_path, "x.xlsx")
    sha = hashlib.sha256(b"other bytes").hexdigest()
    assert list((tmp_path / sha[:2]).iterdir()) == []


# -- accepted ----------------------------------------------------------------------------------------


def test_accepted_return_is_loaded_with_provenance(con: duckdb.DuckDBPyConnection) -> None:
    outcome = load_validated(con, validated("a" * 64, is_demo=True), received_at=RECEIVED, raw_path="raw/aa/a.xlsx")
    assert outcome == LoadOutcome(
        "accepted", 1, None, "“r1.xlsx”已入库（第1号报送）：西安市总工会 2023年度《市（区）总工会年度报表》，4项数据。"
    )
    row = con.execute(
        "SELECT submission_id, sha256, file_name, unit_code, return_code, year, submitter, phone, filled_on, "
        "received_at, raw_path, status, error_count, warning_count, is_demo FROM submissions"
    ).fetchall()
    assert row == [
        (1, "a" * 64, "r1.xlsx", "C01", "R1", 2023, "张三", "029-12345678", date(2024, 1, 15), RECEIVED,
         "raw/aa/a.xlsx", "accepted", 0, 0, True)
    ]  # fmt: skip
    values = con.execute("SELECT * FROM raw_values ORDER BY indicator, row_no").fetchall()
    assert values == [
        (1, "m3_city_meetings", "C01", 0, 2.0, None, None, None, "2", None, "填报表", "D7", None),
        (1, "m3_county_meeting_held", "C01-01", 1, None, None, None, True, "是", None, "县区表", "B5", None),
        (1, "m3_county_meeting_held", "C01-02", 2, None, None, None, False, "否", None, "县区表", "B6", None),
        (1, "m6_budget_key_work", "C01", 0, 35.5, None, None, None, "35.5", "含专项", "填报表", "D9", "全角数字已转换"),
    ]
    assert con.execute("SELECT count(*) FROM submission_issues").fetchone() == (0,)


def test_current_values_carry_catalog_attributes(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r")
    rows = con.execute(
        "SELECT unit_code, year, return_code, measure, indicator, indicator_name, indicator_unit, level, "
        "entity_code, value_num, value_bool, submission_id, sheet, cell FROM current_values ORDER BY indicator, row_no"
    ).fetchall()
    assert rows == [
        ("C01", 2023, "R1", 3, "m3_city_meetings", "市总工会召开研究产业工会工作专题会议次数", "次", "unit",
         "C01", 2.0, None, 1, "填报表", "D7"),
        ("C01", 2023, "R1", 3, "m3_county_meeting_held", "是否召开专题会议", "是/否", "county",
         "C01-01", None, True, 1, "县区表", "B5"),
        ("C01", 2023, "R1", 3, "m3_county_meeting_held", "是否召开专题会议", "是/否", "county",
         "C01-02", None, False, 1, "县区表", "B6"),
        ("C01", 2023, "R1", 6, "m6_budget_key_work", "本级预算安排产业工会重点工作经费", "万元", "unit",
         "C01", 35.5, None, 1, "填报表", "D9"),
    ]  # fmt: skip


def test_warnings_are_stored_and_counted(con: duckdb.DuckDBPyConnection) -> None:
    outcome = load_validated(con, validated("b" * 64, issues=(WARNING,)), received_at=RECEIVED, raw_path="r")
    assert outcome.status == "accepted_with_warnings"
    assert (
        outcome.message
        == "“r1.xlsx”已入库（第1号报送）：西安市总工会 2023年度《市（区）总工会年度报表》，4项数据，1条提示。"
    )
    assert con.execute("SELECT status, error_count, warning_count FROM submissions").fetchall() == [
        ("accepted_with_warnings", 0, 1)
    ]
    assert con.execute("SELECT * FROM submission_issues").fetchall() == [
        (1, 1, "warning", "check_failed", "批准经费大于申请经费", "请核对两项经费", "填报表", "D12", "40", "")
    ]
    assert con.execute("SELECT count(*) FROM current_values").fetchone() == (4,)


def test_typed_columns_round_trip_when_some_columns_are_all_empty(con: duckdb.DuckDBPyConnection) -> None:
    only_text_and_date = (
        value("m1_conference_date", day=date(2023, 6, 1), raw="2023年6月1日", cell="D5"),
        value("m10_matter", text="督查整改", raw="督查整改", cell="D6"),
    )
    load_validated(con, validated("c" * 64, unit="P00", return_code="R3", values=only_text_and_date),
                   received_at=RECEIVED, raw_path="r")  # fmt: skip
    rows = con.execute(
        "SELECT indicator, value_num, value_text, value_date, value_bool, remark, note FROM raw_values ORDER BY cell"
    ).fetchall()
    assert rows == [
        ("m1_conference_date", None, None, date(2023, 6, 1), None, None, None),
        ("m10_matter", None, "督查整改", None, None, None, None),
    ]


def test_aware_received_at_is_stored_as_local_wall_clock(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "CST-8")  # POSIX spelling of UTC+8, needs no tz database
    time.tzset()
    try:
        load_validated(con, validated("d" * 64), received_at=datetime(2024, 1, 20, 1, 30, tzinfo=UTC), raw_path="r")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert con.execute("SELECT received_at FROM submissions").fetchone() == (datetime(2024, 1, 20, 9, 30),)


# -- idempotence and resubmission --------------------------------------------------------------------


def test_same_bytes_again_is_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r")
    before = counts(con)
    again = load_validated(con, validated("a" * 64), received_at=RECEIVED + timedelta(days=1), raw_path="r")
    assert again == LoadOutcome(
        "unchanged", 1, None, "“r1.xlsx”与此前第1号报送（“r1.xlsx”）完全相同（当时结果：已入库），未重复入库。"
    )
    assert counts(con) == before == (1, 0, 4)


def test_resubmission_becomes_current_and_history_keeps_the_old(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r")
    corrected = (value("m3_city_meetings", 3.0, raw="3"),)
    outcome = load_validated(
        con, validated("e" * 64, values=corrected, file_name="r1-改.xlsx"),
        received_at=RECEIVED + timedelta(days=2), raw_path="r",
    )  # fmt: skip
    assert outcome == LoadOutcome(
        "accepted",
        2,
        1,
        "“r1-改.xlsx”已入库（第2号报送）：西安市总工会 2023年度《市（区）总工会年度报表》，1项数据，替代此前第1号报送。",
    )
    assert con.execute("SELECT submission_id FROM current_submissions").fetchall() == [(2,)]
    assert con.execute(
        "SELECT submission_id, is_current, superseded_by FROM submission_history ORDER BY submission_id"
    ).fetchall() == [(1, False, 2), (2, True, None)]
    assert con.execute("SELECT indicator, value_num, submission_id FROM current_values").fetchall() == [
        ("m3_city_meetings", 3.0, 2)
    ]
    assert con.execute("SELECT count(*) FROM raw_values").fetchone() == (5,)  # nothing deleted


def test_a_late_loaded_older_file_is_archived_but_not_current(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r")
    outcome = load_validated(con, validated("f" * 64), received_at=RECEIVED - timedelta(days=5), raw_path="r")
    assert outcome == LoadOutcome(
        "accepted", 2, None,
        "“r1.xlsx”已入库（第2号报送）：西安市总工会 2023年度《市（区）总工会年度报表》，4项数据；"
        "同一单位同一年度已有更晚收到的第1号报送，本份仅存档、不作为当前数据。",
        is_current=False,
    )  # fmt: skip
    assert con.execute("SELECT submission_id FROM current_submissions").fetchall() == [(1,)]


def test_other_units_and_years_are_separate_keys(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("1" * 64), received_at=RECEIVED, raw_path="r")
    other_unit = load_validated(con, validated("2" * 64, unit="C02"), received_at=RECEIVED, raw_path="r")
    other_year = load_validated(con, validated("3" * 64, year=2024), received_at=RECEIVED, raw_path="r")
    assert (other_unit.superseded_id, other_year.superseded_id) == (None, None)
    assert con.execute("SELECT submission_id FROM current_submissions ORDER BY 1").fetchall() == [(1,), (2,), (3,)]


# -- rejected ----------------------------------------------------------------------------------------


def test_rejected_return_stores_issues_and_no_values(con: duckdb.DuckDBPyConnection) -> None:
    outcome = load_validated(con, validated("9" * 64, issues=(ERROR, WARNING)), received_at=RECEIVED, raw_path="r")
    assert outcome == LoadOutcome(
        "rejected", 1, None, "“r1.xlsx”未入库（第1号报送）：发现1处错误，请按问题清单修改后重新报送。"
    )
    assert counts(con) == (1, 2, 0)
    assert con.execute("SELECT status, error_count, warning_count, unit_code FROM submissions").fetchall() == [
        ("rejected", 1, 1, "C01")
    ]
    assert con.execute("SELECT seq, severity, code, cell, value FROM submission_issues ORDER BY seq").fetchall() == [
        (1, "error", "not_a_number", "D7", "两次"),
        (2, "warning", "check_failed", "D12", "40"),
    ]
    assert con.execute("SELECT count(*) FROM current_submissions").fetchone() == (0,)
    again = load_validated(con, validated("9" * 64, issues=(ERROR,)), received_at=RECEIVED, raw_path="r")
    assert again.status == "unchanged"
    assert again.message == "“r1.xlsx”与此前第1号报送（“r1.xlsx”）完全相同（当时结果：未通过校验），未重复入库。"
    assert counts(con) == (1, 2, 0)


def test_a_rejected_resubmission_does_not_displace_the_current_one(con: duckdb.DuckDBPyConnection) -> None:
    load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r")
    load_validated(con, validated("9" * 64, issues=(ERROR,)), received_at=RECEIVED + timedelta(days=1), raw_path="r")
    assert con.execute(
        "SELECT submission_id, is_current, superseded_by FROM submission_history ORDER BY submission_id"
    ).fetchall() == [(1, True, None), (2, False, None)]


def test_record_rejected_file_for_an_unreadable_file(con: duckdb.DuckDBPyConnection) -> None:
    corrupt = Issue("error", "corrupt_file", "文件已损坏，无法打开", "请重新导出后报送", "坏.xlsx")
    outcome = record_rejected_file(
        con, file_name="坏.xlsx", sha256="0" * 64, issues=[corrupt], received_at=RECEIVED, raw_path="raw/00/0.xlsx"
    )
    assert outcome == LoadOutcome(
        "rejected", 1, None, "“坏.xlsx”未入库（第1号报送）：发现1处错误，请按问题清单修改后重新报送。"
    )
    assert con.execute(
        "SELECT file_name, unit_code, return_code, year, status, error_count, warning_count, is_demo, raw_path "
        "FROM submissions"
    ).fetchall() == [("坏.xlsx", None, None, None, "rejected", 1, 0, False, "raw/00/0.xlsx")]
    assert con.execute("SELECT * FROM submission_issues").fetchall() == [
        (1, 1, "error", "corrupt_file", "文件已损坏，无法打开", "请重新导出后报送", "", "", "", "")
    ]
    again = record_rejected_file(
        con, file_name="坏(1).xlsx", sha256="0" * 64, issues=[corrupt], received_at=RECEIVED, raw_path="r"
    )
    assert (again.status, again.submission_id) == ("unchanged", 1)
    assert again.message == "“坏(1).xlsx”与此前第1号报送（“坏.xlsx”）完全相同（当时结果：未通过校验），未重复入库。"
    assert counts(con) == (1, 1, 0)


def test_already_loaded_answers_before_reading(con: duckdb.DuckDBPyConnection) -> None:
    assert already_loaded(con, "a" * 64) is None
    load_validated(con, validated("a" * 64, issues=(WARNING,)), received_at=RECEIVED, raw_path="r")
    assert already_loaded(con, "a" * 64) == LoadOutcome(
        "unchanged", 1, None, "该文件与此前第1号报送（“r1.xlsx”）完全相同（当时结果：已入库（有提示）），未重复入库。"
    )


# -- atomicity ---------------------------------------------------------------------------------------


def test_failure_while_inserting_values_rolls_back_everything(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = load_module._insert_values

    def insert_half_then_fail(connection, submission_id, values):
        real_insert(connection, submission_id, values[:2])
        assert connection.execute("SELECT count(*) FROM raw_values").fetchone() == (2,)
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_module, "_insert_values", insert_half_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        load_validated(con, validated("a" * 64, issues=(WARNING,)), received_at=RECEIVED, raw_path="r")
    assert counts(con) == (0, 0, 0)
    monkeypatch.setattr(load_module, "_insert_values", real_insert)
    assert load_validated(con, validated("a" * 64), received_at=RECEIVED, raw_path="r").status == "accepted"
    assert con.execute("SELECT count(*) FROM raw_values").fetchone() == (4,)


def test_duplicate_value_key_is_a_constraint_error_and_rolls_back(con: duckdb.DuckDBPyConnection) -> None:
    twice = (value("m3_city_meetings", 1.0, cell="D7"), value("m3_city_meetings", 2.0, cell="D8"))
    with pytest.raises(duckdb.ConstraintException):
        load_validated(con, validated("a" * 64, values=twice), received_at=RECEIVED, raw_path="r")
    assert counts(con) == (0, 0, 0)
