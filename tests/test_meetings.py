"""Meeting versions (会议版): frozen, then new returns arrive and a threshold changes; the meeting version still
shows and exports exactly what it showed, and its files are checked."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard.figures import FIGURES
from exports import meetings
from exports.workbook import build_data_workbook
from pipeline.catalog import DEFAULT_CATALOG_PATH, load_catalog
from pipeline.ingest import ingest_paths
from pipeline.warehouse import open_reader
from queries.board import StatusBook

NAME = "2025年度全省产业工会工作推进会"
DUES_RETURN = Path("2025") / "演示_2025_R2_陕西省金融工会.xlsx"  # 省金融工会 (I08): dues due D10, collected D11
M5_THRESHOLDS = "thresholds: {green: 0.95, amber: 0.85}"


def resubmit_dues(
    demo_returns: Path, warehouse: Path, folder: Path, *, collected: float = 700, submitter: str | None = None
):
    """省金融工会 resubmits its 2025 return with dues collected changed (700 of 1,436.3万元: 48.7%, 未达标) and,
    optionally, another contact name; received after the demo's last return."""
    book = openpyxl.load_workbook(demo_returns / DUES_RETURN)
    sheet = book["本级情况"]
    sheet["D11"] = collected
    if submitter is not None:
        sheet["C4"] = submitter
        sheet["C4"].data_type = "s"  # typed text, as a submitter's "=HYPERLINK(…)" arrives
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"演示_2025_R2_陕西省金融工会_更正{collected}.xlsx"
    book.save(path)
    [result] = ingest_paths([path], warehouse=warehouse, raw_dir=folder / "raw", received_at=datetime(2026, 2, 10, 9))
    assert result.status == "accepted", result.issues
    return result


def raise_m5_threshold(catalog_path: Path, green: float = 0.975) -> None:
    """Change the catalog file's 会费收缴率 threshold for 达标 (≥95% → ≥97.5% by default)."""
    text = catalog_path.read_text(encoding="utf-8")
    assert text.count(M5_THRESHOLDS) == 1
    catalog_path.write_text(text.replace(M5_THRESHOLDS, f"thresholds: {{green: {green}, amber: 0.85}}"), "utf-8")


def book_of(warehouse: Path, catalog_path: Path | None = None) -> StatusBook:
    con = open_reader(warehouse)
    return StatusBook.from_warehouse(con, catalog=load_catalog(catalog_path) if catalog_path else None)


def workbook_cells(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


@pytest.fixture(scope="module")
def frozen(demo_warehouse, demo_returns, tmp_path_factory):
    """A meeting frozen from a live warehouse; then a return arrives and the catalog's M5 threshold is raised."""
    root = tmp_path_factory.mktemp("meetings")
    live, catalog = root / "live.duckdb", root / "measures.yaml"
    shutil.copy(demo_warehouse, live)
    shutil.copy(DEFAULT_CATALOG_PATH, catalog)
    before_con = open_reader(live)
    before = StatusBook.from_warehouse(before_con, catalog=load_catalog(catalog))
    before_figures = {f.key: f.series(before_con, years=None) for f in FIGURES}
    before_workbook = build_data_workbook(before_con, before, 2025, demo=True)
    before_con.close()
    meeting = meetings.freeze(NAME, warehouse=live, catalog_path=catalog, meetings_dir=root / "frozen", year=2025)
    resubmit_dues(demo_returns, live, root / "new")
    raise_m5_threshold(catalog)
    return {
        "root": root, "live": live, "catalog": catalog, "meeting": meeting, "before": before,
        "before_figures": before_figures, "before_workbook": before_workbook,
    }  # fmt: skip


def test_the_live_data_did_change_after_the_freeze(frozen):
    live = book_of(frozen["live"], frozen["catalog"])
    assert (frozen["before"].result(5, 2025).overall.status, live.result(5, 2025).overall.status) == ("达标", "预警")
    i08 = next(s for s in live.result(5, 2025).units if s.unit_code == "I08")
    assert (i08.status, i08.metric_text) == ("未达标", "48.7%")
    assert "≥97.5% 达标" in live.result(5, 2025).overall.explanation.threshold


def test_the_meeting_version_shows_every_status_and_explanation_as_frozen(frozen):
    meeting, book = meetings.meeting_book(NAME, frozen["root"] / "frozen")
    assert meeting == frozen["meeting"]
    assert book.years == frozen["before"].years
    assert book.results == frozen["before"].results  # statuses, figures, explanations, sources: every year
    assert book.result(5, 2025).overall.explanation.threshold == "≥95% 达标，≥85% 预警，否则未达标"


def test_the_meeting_version_figures_and_workbook_are_unchanged(frozen):
    path, catalog = meetings.open_meeting(NAME, frozen["root"] / "frozen")
    con = open_reader(path)
    for figure in FIGURES:
        pd.testing.assert_frame_equal(figure.series(con, years=None), frozen["before_figures"][figure.key])
    _, book = meetings.meeting_book(NAME, frozen["root"] / "frozen")
    again = build_data_workbook(con, book, 2025, demo=True)
    assert workbook_cells(again) == workbook_cells(frozen["before_workbook"])
    live_con = open_reader(frozen["live"])
    live = build_data_workbook(live_con, book_of(frozen["live"], frozen["catalog"]), 2025, demo=True)
    assert workbook_cells(live) != workbook_cells(again)  # the live export did move on


def test_the_manifest_names_the_version_and_the_files_it_holds(frozen):
    meeting = frozen["meeting"]
    assert meeting.folder == frozen["root"] / "frozen" / NAME
    assert sorted(p.name for p in meeting.folder.iterdir()) == [
        "manifest.json", "measures.yaml", "units.yaml", "warehouse.duckdb",
    ]  # fmt: skip
    assert (meeting.year, meeting.is_demo, meeting.last_submission_id) == (2025, True, 121)
    assert meeting.version_text == "数据版本：截至第121号报送（最近接收 2026-01-29 09:00）"
    assert meeting.source_warehouse == str(frozen["live"])
    assert meeting.label == f"会议版“{NAME}”（冻结于 {meeting.created_at:%Y-%m-%d %H:%M}）"
    assert meetings.list_meetings(frozen["root"] / "frozen") == [meeting]
    assert meetings.verify(meeting) == []
    assert M5_THRESHOLDS not in frozen["catalog"].read_text(encoding="utf-8")  # changed since the freeze
    assert M5_THRESHOLDS in meeting.catalog_path.read_text(encoding="utf-8")  # the thresholds then in force


def test_a_changed_frozen_file_is_refused(frozen, tmp_path):
    copy = tmp_path / "frozen"
    shutil.copytree(frozen["meeting"].folder, copy / NAME)
    raise_m5_threshold(copy / NAME / "measures.yaml", green=0.5)
    with pytest.raises(meetings.MeetingError, match="measures.yaml 已被改动"):
        meetings.open_meeting(NAME, copy)


def test_names_are_made_safe_and_never_reused(demo_warehouse, tmp_path):
    assert meetings.safe_name(" 2025/第一次:调度会 ") == "2025_第一次_调度会"
    with pytest.raises(meetings.MeetingError, match="不能为空"):
        meetings.safe_name(" ./ ")
    first = meetings.freeze("调度会/一", warehouse=demo_warehouse, meetings_dir=tmp_path)
    assert first.folder.name == "调度会_一" and meetings.find_meeting("调度会/一", tmp_path) == first
    with pytest.raises(meetings.MeetingError, match="已有名为“调度会/一”的会议版"):
        meetings.freeze("调度会/一", warehouse=demo_warehouse, meetings_dir=tmp_path)
    with pytest.raises(meetings.MeetingError, match="没有名为“不存在”的会议版"):
        meetings.open_meeting("不存在", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["调度会_一"]  # no half-built folder left behind


def test_a_freeze_while_a_writer_is_at_work_copies_the_last_complete_version(demo_warehouse_copy, tmp_path):
    from pipeline.warehouse import writer

    marker = "select count(*) from information_schema.tables where table_name = 'written_meanwhile'"
    with writer(demo_warehouse_copy) as con:
        con.execute("CREATE TABLE written_meanwhile AS SELECT 1 AS x")  # a write the freeze must not see
        meeting = meetings.freeze("写入中", warehouse=demo_warehouse_copy, meetings_dir=tmp_path / "m")
    assert open_reader(meeting.warehouse_path).execute(marker).fetchone() == (0,)
    assert open_reader(demo_warehouse_copy).execute(marker).fetchone() == (1,)  # the writer's version, swapped in
    assert meeting.last_submission_id == 121 and meetings.verify(meeting) == []
