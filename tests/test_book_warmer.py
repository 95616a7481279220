"""A new version of the live warehouse has its overview judged in the background (dashboard/ui.py BookWarmer), so the
first leader to open the dashboard after a batch lands does not wait for it: the warmer builds the very book the
pages use, judges the board's two years and nothing else, does nothing while the data is unchanged, and follows a
batch landed from outside the server (the command line) by itself."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from dashboard import ui
from dashboard.tiles import CATCHING_UP
from pipeline.ingest import ingest_paths
from pipeline.warehouse import WAREHOUSE_ENV, content_token
from tests.accounts import signed_in

APP = str(Path(__file__).parent.parent / "app.py")


@pytest.fixture
def live(demo_warehouse, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    monkeypatch.setenv(WAREHOUSE_ENV, str(path))
    return path


def _land(demo_returns: Path, live: Path, tmp_path: Path) -> None:
    """A command-line batch: 2025's returns of three cities again, edited so they are new files."""
    from openpyxl import load_workbook

    batch = tmp_path / "batch"
    batch.mkdir()
    for source in sorted((demo_returns / "2025").glob("*R1*.xlsx"))[:3]:
        workbook = load_workbook(source)
        workbook.properties.title = "再次报送"  # new bytes, same figures: a resubmission that supersedes
        workbook.save(batch / source.name)
    results = ingest_paths([batch], warehouse=live, raw_dir=tmp_path / "raw")
    assert {r.status for r in results} <= {"accepted", "accepted_with_warnings"}, [r.message for r in results]


def _book_of(live: Path):
    token = content_token(live)
    version = (token, ui._reference(str(live), token, None, None).version)
    return ui._book(str(live), version, None, None)


def test_the_warmer_judges_the_new_versions_board_and_nothing_else(live, demo_returns, tmp_path):
    warmer = ui.BookWarmer.__new__(ui.BookWarmer)  # the warm-up itself, without its thread
    warmer.path, warmer.warmed = str(live), None
    assert warmer.warm() is True
    book = _book_of(live)
    assert book.results.judged_years == (2024, 2025)  # the overview's year and the one before, judged ahead
    assert book.results.judged_measures(2025) == tuple(range(1, 19))
    assert warmer.warm() is False  # nothing landed: nothing judged again
    before = content_token(live)
    _land(demo_returns, live, tmp_path)
    assert content_token(live) != before
    assert _book_of(live).results.judged_years == ()  # a new version: a new book, not judged yet
    assert warmer.warm() is True
    assert _book_of(live).results.judged_years == (2024, 2025)
    assert _book_of(live) is not book


def test_a_batch_from_the_command_line_is_judged_before_anyone_opens_the_overview(
    live, demo_returns, tmp_path, monkeypatch
):
    monkeypatch.setenv("SHIBATIAO_WARM_BOOKS", "1")
    page = signed_in(APP, role="领导", default_timeout=60)
    page.run()  # the first page run starts the live warehouse's warmer
    assert not page.exception
    warmer = ui._warmer(str(live))
    _land(demo_returns, live, tmp_path)
    token = content_token(live)
    deadline = time.monotonic() + 60
    while warmer.warmed != token and time.monotonic() < deadline:
        time.sleep(0.2)
    assert warmer.warmed == token
    book = _book_of(live)
    assert book.results.judged_years == (2024, 2025)
    # The overview then shows the warmed book: the same object, nothing judged beyond it.
    page.run()
    assert not page.exception
    assert _book_of(live) is book and book.results.judged_years == (2024, 2025)
    assert any("十八条措施落实总览（2025年度）" in s.value for s in page.subheader)


def test_at_the_moment_a_batch_lands_the_overview_shows_the_board_before_it_then_the_new_one(
    live, demo_returns, tmp_path, monkeypatch
):
    warmer = ui.BookWarmer.__new__(ui.BookWarmer)  # the warm-up itself, without its thread
    warmer.path, warmer.warmed = str(live), None
    monkeypatch.setattr(ui, "start_warming", lambda: warmer)
    assert warmer.warm() is True
    before = _book_of(live)
    _land(demo_returns, live, tmp_path)
    new_token = content_token(live)
    assert warmer.previous_while_judging(new_token) is before  # the new version is not judged yet
    assert not ui.newest_overview_ready()

    page = signed_in(APP, role="领导", default_timeout=60)
    page.run()
    assert not page.exception
    assert [i.value for i in page.info] == [CATCHING_UP]
    assert any("十八条措施落实总览（2025年度）" in s.value for s in page.subheader)
    assert _book_of(live).results.judged_years == ()  # the visit judged nothing of the new version itself
    counts = {m.label: m.value for m in page.metric}
    assert sum(int(v.rstrip("条")) for v in counts.values()) == 18

    assert warmer.warm() is True  # the warmer finishes: the page's timer finds it ready and runs the page again
    assert ui.newest_overview_ready() and warmer.previous_while_judging(new_token) is None
    page.run()
    assert not page.exception
    assert [i.value for i in page.info] == []
    assert _book_of(live) is not before and _book_of(live).results.judged_years == (2024, 2025)


def test_a_failed_warm_up_lets_the_overview_judge_the_new_version_itself(live, demo_returns, tmp_path, monkeypatch):
    warmer = ui.BookWarmer.__new__(ui.BookWarmer)
    warmer.path, warmer.warmed = str(live), None
    monkeypatch.setattr(ui, "start_warming", lambda: warmer)
    assert warmer.warm() is True
    _land(demo_returns, live, tmp_path)

    def broken(*_args, **_kwargs):
        raise RuntimeError("judging failed")

    monkeypatch.setattr(ui, "measure_board", broken)
    with pytest.raises(RuntimeError):
        warmer.warm()
    monkeypatch.undo()
    monkeypatch.setattr(ui, "start_warming", lambda: warmer)
    monkeypatch.setenv(WAREHOUSE_ENV, str(live))
    assert warmer.previous_while_judging(content_token(live)) is None  # no stale board for a version that failed
    page = signed_in(APP, role="领导", default_timeout=60)
    page.run()
    assert not page.exception and [i.value for i in page.info] == []
    assert _book_of(live).results.judged_years == (2024, 2025)  # judged by the visit, as without a warmer
