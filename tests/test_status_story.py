"""On the demo warehouse, each measure's status in each year is what the demo generator's story implies.

The story (pipeline/demo/story.py and the manifest's "story" section), measure by measure:
  M1  conference held 2022-11 → the 2021–2023 window is met (2022, 2023 达标); 2021 and 2024–2025 are open
      windows with no conference yet → 未到期 (not a failure, not missing data; the note says when it closes).
  M2  held every year; in 2022 only 7 of 8 unions reported → 预警; otherwise 达标.
  M3  汉中 lags on county special meetings (coverage < 80%) every year → province-wide 预警 every year.
  M4  disbursed/approved ≥ 90% except 2023 (~82%) → 未达标 in 2023 only.
  M5  aggregate collection ≥ 95% every year (达标), with 国防邮电 88.2% and 金融 91.0% 预警 in 2024.
  M6  安康's budget falls from 2023 → 预警 from 2023; the 2021 baseline judges inclusion only.
  M7  baseline 2021 has nothing to compare with → 无数据; later years nothing falls province-wide → 达标.
  M8  baseline 2021 → 无数据 (share < 100%); the county share rises every year → 达标.
  M9  2022 round inspects all 20 units → 达标; 2024 round misses 韩城 → the 2023–2024 window closes 未达标;
      2021, 2023 and 2025 are open windows without a round yet → 未到期.
  M10 random inspections every year; rectification fell below 90% in 2023 → 未达标 there.
  M11 every union that reported studied and guided every year → 达标; in 2025 海员建设 did not report, which
      min_each counts as unmet (the catalog's policy, as for M13/M15/M18) → 预警 7/8.
  M12 国防邮电 short of staff (≈60%) → its own 未达标; province-wide 达标 until the shortage drags the
      aggregate below 90% in 2024–2025 → 预警.
  M13 one union had no joint-meeting system in 2021 → 预警 7/8; in 2025 海员建设 did not report → 预警 7/8.
  M14 baseline 2021 → 无数据; shares rise except a dip in 2023 → 预警 there.
  M15, M18 every union did it; in 2025 海员建设 did not report → 预警 7/8.
  M16 training ≥ 80% province-wide every year → 达标.
  M17 industry-union promotion rates below the organ's in 2021–2022 (parity < 1.0) → 预警; parity later → 达标.
"""

from __future__ import annotations

import copy

import duckdb
import pytest
import yaml

from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from pipeline.registry import load_registry
from pipeline.status.context import RuleContext
from pipeline.warehouse import open_reader
from queries.board import StatusBook, measure_board, measure_detail

G, A, R, N, U = "达标", "预警", "未达标", "无数据", "未到期"
YEARS = (2021, 2022, 2023, 2024, 2025)
EXPECTED = {
    1: (U, G, G, U, U),  # open windows read 未到期 since issue 12 (were 无数据)
    2: (G, A, G, G, G),
    3: (A, A, A, A, A),
    4: (G, G, R, G, G),
    5: (G, G, G, G, G),
    6: (G, G, A, A, A),
    7: (N, G, G, G, G),
    8: (N, G, G, G, G),
    9: (U, G, U, R, U),  # open windows read 未到期 since issue 12 (were 无数据)
    10: (G, G, R, G, G),
    11: (G, G, G, G, A),  # 海员建设 missing in 2025 counts as unmet (min_each's policy, issue 12; was 达标)
    12: (G, G, G, A, A),
    13: (A, G, G, G, A),
    14: (N, G, A, G, G),
    15: (G, G, G, G, A),
    16: (G, G, G, G, G),
    17: (A, A, G, G, G),
    18: (G, G, G, G, A),
}


@pytest.fixture(scope="module")
def book(demo_warehouse) -> StatusBook:
    return StatusBook.from_warehouse(open_reader(demo_warehouse))


@pytest.mark.parametrize("measure", sorted(EXPECTED))
def test_status_of_each_measure_in_each_year_follows_the_story(book, measure):
    actual = tuple(book.result(measure, year).overall.status for year in YEARS)
    assert actual == EXPECTED[measure]


def test_board_counts_add_up(book):
    for index, year in enumerate(YEARS):
        counts = measure_board(book, year).counts
        expected = {status: sum(1 for row in EXPECTED.values() if row[index] == status) for status in (G, A, R, U, N)}
        assert counts == expected


def _unit(book, measure, year, code):
    return next(s for s in book.result(measure, year).units if s.unit_code == code)


def test_dues_laggards_in_2024_are_named_with_their_rates(book):
    overall = book.result(5, 2024).overall
    assert overall.explanation.summary == (
        "2024年，8个省级产业工会中6个会费收缴率达到95%，省国防邮电工会（88.2%）、省金融工会（91.0%）为预警。"
    )
    assert [(g.unit_code, g.value_text, g.status) for g in overall.explanation.laggards] == [
        ("I04", "88.2%", A),
        ("I08", "91.0%", A),
    ]
    assert _unit(book, 5, 2024, "I04").metric == pytest.approx(0.882, abs=0.0005)


def test_the_story_s_laggards_lag(book):
    for year in YEARS:
        assert _unit(book, 3, year, "C07").status == R  # 汉中 coverage below 80%
        assert _unit(book, 12, year, "I04").status == R  # 国防邮电 short of staff
    for year in (2023, 2024, 2025):
        assert _unit(book, 6, year, "C09").status == A  # 安康 budget lower than last year
    assert _unit(book, 9, 2024, "C12").status == R  # 韩城 not inspected in the 2023–2024 window
    assert "未接受专项督查" in _unit(book, 9, 2024, "C12").metric_text + _unit(book, 9, 2024, "C12").explanation.summary


def test_open_windows_say_so_instead_of_turning_red(book):
    assert book.result(1, 2025).overall.explanation.note == "窗口期2024–2026，2026年底届满，本窗口期内尚未召开"
    assert book.result(9, 2025).overall.explanation.note == "窗口期2025–2026，2026年底届满，本窗口期内尚未开展专项督查"
    # A window already met says so while it is still open.
    assert book.result(1, 2022).overall.explanation.note == "窗口期2021–2023，2023年底届满，本窗口期内已召开"


def test_missing_returns_are_named(book):
    assert (
        "陕西省海员建设工会" in book.result(13, 2025).overall.explanation.missing_units
        or "省海员建设工会" in book.result(13, 2025).overall.explanation.missing_units
    )
    assert any("商洛" in name for name in book.result(3, 2025).overall.explanation.missing_units)


def test_every_explanation_names_real_source_cells(book, demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    checked = 0
    for (measure, year), result in book.results.items():
        for status in (result.overall, *result.units):
            for source in status.explanation.sources:
                row = con.execute(
                    "select raw_text from raw_values where submission_id = ? and indicator = ? and sheet = ? and cell = ?",
                    [source.submission_id, source.indicator, source.sheet, source.cell],
                ).fetchone()
                assert row is not None, (measure, year, source)
                file_name = con.execute(
                    "select file_name from submissions where submission_id = ?", [source.submission_id]
                ).fetchone()[0]
                assert file_name == source.file_name
                checked += 1
    assert checked > 500
    for measure in range(1, 19):
        statuses = [r.overall for (m, _), r in book.results.items() if m == measure and r.overall.status != N]
        assert any(s.explanation.sources for s in statuses), measure


def test_measure_detail_lists_units_worst_first(book):
    detail = measure_detail(book, 12, 2024)
    assert detail.units[0].unit_code == "I04"
    assert [s.year for s in detail.history] == list(YEARS)


def _book_with(demo_warehouse, edit) -> StatusBook:
    raw = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    edit(raw)
    catalog = parse_catalog(raw)
    ctx = RuleContext.from_warehouse(open_reader(demo_warehouse), catalog, load_registry())
    return StatusBook.from_context(ctx)


def _rule(raw: dict, number: int) -> dict:
    return next(m for m in raw["measures"] if m["number"] == number)["rule"]


def test_changing_a_threshold_in_the_catalog_flips_statuses_with_no_code_change(demo_warehouse):
    def stricter(raw):
        _rule(raw, 5)["thresholds"]["green"] = 0.98  # aggregate collection is 95–98%
        _rule(raw, 12)["thresholds"]["amber"] = 0.5  # 国防邮电's 60% staffing becomes 预警
        _rule(raw, 4)["thresholds"]["green"] = 0.8  # 2023's 81% disbursement now meets it

    book = _book_with(demo_warehouse, stricter)
    assert book.result(5, 2024).overall.status == A
    assert _unit(book, 5, 2024, "I01").status in (A, G)
    assert _unit(book, 12, 2024, "I04").status == A
    assert book.result(4, 2023).overall.status == G
