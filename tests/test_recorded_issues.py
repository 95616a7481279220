"""A rejected file's issues as recorded: the same bytes sent again are told the same errors, the indicator included,
and so is the tracker's list of rejected files; warehouses made before the indicator was recorded gain the column."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.catalog import load_catalog
from pipeline.ingest import ingest_paths
from pipeline.load import recorded_issues
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import warehouse_exists
from queries.submissions import issue_line, rejected_files

RECEIVED = datetime(2025, 1, 20, 9, 0)
YEAR = 2024


def _r2_with_text_in(indicator: str, text: str) -> tuple[bytes, str, str]:
    """An R2 of 2024 for 陕西省教科文卫体工会 with `text` typed where the indicator's number belongs: its bytes, and the
    indicator's Chinese name and cell."""
    catalog, registry = load_catalog(), load_registry()
    workbook, layout = build_template(catalog, registry, "R2", YEAR, unit_code="I01")
    values = {i.code: 1 for i in catalog.indicators_of_table("R2_MAIN")}
    values["m13_has_joint_meeting_system"] = "是"
    header = {"unit_name": "陕西省教科文卫体工会", "submitter": "张敏", "phone": "029-87654321"}
    fill_return(workbook, layout, header={**header, "filled_on": date(YEAR + 1, 1, 10)}, values=values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    reference = layout.value_cells[indicator]
    edited = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    edited[reference.sheet][reference.cell] = text
    buffer = io.BytesIO()
    edited.save(buffer)
    return buffer.getvalue(), catalog.indicators[indicator].name, reference.cell


def _ingest(path: Path, warehouse: Path, raw: Path):
    (result,) = ingest_paths([path], warehouse=warehouse, raw_dir=raw, received_at=RECEIVED)
    return result


def _not_a_number(result) -> list:
    return [i for i in result.issues if i.code == "not_a_number"]


@pytest.fixture
def bad_return(tmp_path: Path) -> tuple[Path, str, str]:
    data, name, cell = _r2_with_text_in("m7_grassroots_unions", "若干")
    path = tmp_path / "教科文卫体_2024_R2.xlsx"
    path.write_bytes(data)
    return path, name, cell


def test_the_same_rejected_bytes_again_are_told_the_indicator(tmp_path, bad_return):
    path, name, cell = bad_return
    warehouse, raw = tmp_path / "warehouse.duckdb", tmp_path / "raw"
    first = _ingest(path, warehouse, raw)
    assert first.status == "rejected"
    (issue,) = _not_a_number(first)
    assert (issue.cell, issue.indicator) == (cell, name)

    again = _ingest(path, warehouse, raw)  # nothing fixed: the recorded errors are read back, not the file
    assert again.status == "rejected" and again.submission_id == first.submission_id
    assert [(i.code, i.sheet, i.cell, i.value, i.indicator) for i in again.issues] == [
        (i.code, i.sheet, i.cell, i.value, i.indicator) for i in first.issues
    ]
    (told,) = _not_a_number(again)
    assert f"指标“{name}”" in told.format_line()
    assert f"单元格 {cell}" in told.format_line()


def test_the_tracker_names_the_indicator_of_a_rejected_file(tmp_path, bad_return):
    path, name, cell = bad_return
    warehouse = tmp_path / "warehouse.duckdb"
    _ingest(path, warehouse, tmp_path / "raw")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files = rejected_files(con, YEAR, registry=load_registry())
    (lines,) = files["issue_lines"]
    (line,) = [line for line in lines if line.startswith("【") and "若干" in line]
    assert line.endswith(f"（本级情况!{cell}，指标“{name}”）"), line


def test_issue_line_leaves_out_an_indicator_the_message_names_or_none_recorded():
    issue = {"severity": "error", "code": "not_a_number", "sheet": "本级情况", "cell": "D9", "value": "若干"}
    named = issue_line({**issue, "message": "“基层工会数”应为数字", "indicator": "基层工会数"})
    assert named.endswith("（本级情况!D9）") and named.count("基层工会数") == 1
    assert issue_line({**issue, "message": "应为数字", "indicator": ""}).endswith("（本级情况!D9）")
    assert issue_line({**issue, "message": "应为数字"}).endswith("（本级情况!D9）")  # a dict from before the column
    assert issue_line({**issue, "message": "应为数字", "sheet": "", "cell": "", "indicator": "基层工会数"}).endswith(
        "应为数字（指标“基层工会数”）"
    )


def test_a_warehouse_from_before_the_indicator_column_gains_it_and_keeps_its_rows(tmp_path, bad_return):
    path, name, cell = bad_return
    warehouse, raw = tmp_path / "warehouse.duckdb", tmp_path / "raw"
    old = _ingest(path, warehouse, raw)
    # As a warehouse made before: no indicator column, and the schema digest of other schema files.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("ALTER TABLE submission_issues DROP COLUMN indicator")
        con.execute("UPDATE warehouse_meta SET value = 'older schema' WHERE key = 'schema'")
    assert warehouse_exists(warehouse)

    other, other_name, other_cell = _r2_with_text_in("m7_members", "若干")
    (tmp_path / "第二份_2024_R2.xlsx").write_bytes(other)
    new = _ingest(tmp_path / "第二份_2024_R2.xlsx", warehouse, raw)
    assert new.status == "rejected"

    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [row[0] for row in con.execute("DESCRIBE submission_issues").fetchall()]
        assert columns[-1] == "indicator"
        _, old_issues = recorded_issues(con, old.submission_id)
        _, new_issues = recorded_issues(con, new.submission_id)
    assert old_issues and {i.indicator for i in old_issues} == {""}  # not kept then: nothing is made up
    assert [(i.code, i.cell) for i in old_issues] == [(i.code, i.cell) for i in old.issues]
    (recorded,) = [i for i in new_issues if i.code == "not_a_number"]
    assert (recorded.cell, recorded.indicator) == (other_cell, other_name)
    again = _ingest(path, warehouse, raw)  # the old file resent: its errors as recorded, without a name
    assert [i.cell for i in _not_a_number(again)] == [cell]
    assert "指标“" not in _not_a_number(again)[0].format_line()
