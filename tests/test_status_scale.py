"""The status engine's indexes and lazy judging give exactly what the plain scans gave: the year-at-a-time book, the
compact figure index, set-based de-duplication of evidence, the anomaly scan done for all pairs at once and the
registry's children index."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmarks.synthetic import synthetic_registry
from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.status.anomalies import FLOORS, SERIES_LEVELS, bounds, find_anomalies, is_anomalous
from pipeline.status.context import FirstRows, RuleContext
from pipeline.status.engine import evaluate
from pipeline.status.model import Remark, SourceRef
from pipeline.status.rules_common import Evidence
from pipeline.warehouse import open_reader
from queries.board import StatusBook, measure_board, measure_detail
from tests.status_fixtures import context, fact


@pytest.fixture(scope="module")
def demo_context(demo_warehouse) -> RuleContext:
    con = open_reader(demo_warehouse)
    try:
        return RuleContext.from_warehouse(con, load_catalog(), load_registry())
    finally:
        con.close()


def test_the_board_judges_only_its_year_and_the_one_before(demo_context):
    book = StatusBook.from_context(demo_context)
    assert book.results.judged_years == ()
    board = measure_board(book, 2025)
    assert book.results.judged_years == (2024, 2025)  # the tiles' trend compares with last year
    assert len(board.tiles) == 18
    assert (5, 2021) in book.results and (19, 2021) not in book.results and (5, 2030) not in book.results
    assert book.results.judged_years == (2024, 2025)  # asking what is there judges nothing
    assert book.results.judged_measures(2025) == tuple(range(1, 19))


def test_a_measures_page_judges_that_measure_in_the_shown_year_and_nothing_else(demo_context):
    """Its history (every year's status and key figure) comes from the SQL statuses: only the shown year is judged
    by the rule functions, for its explanation."""
    book = StatusBook.from_context(demo_context)
    detail = measure_detail(book, 5, 2025)
    assert [s.year for s in detail.history] == demo_context.years
    assert book.results.judged_years == (2025,)
    assert book.results.judged_measures(2025) == (5,)


def test_the_year_at_a_time_book_equals_judging_every_year_up_front(demo_context):
    book = StatusBook.from_context(demo_context)
    eager = evaluate(demo_context, demo_context.years)
    assert book.result(9, 2023) == eager[(9, 2023)]  # one year first, then all of them in order
    assert list(book.results) == list(eager)
    assert book.results == eager
    assert len(book.results) == len(eager) == 18 * len(demo_context.years)
    assert book.results.judged_years == tuple(demo_context.years)


def _plain(value: object) -> object:
    """None for every kind of null, so a row of the index compares with a row of the frame."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def test_the_figure_index_returns_the_first_row_of_every_indicator_year_and_entity(demo_context):
    facts = demo_context.facts
    index = FirstRows(facts)
    first = facts.drop_duplicates(["indicator", "year", "entity_code"], keep="first")
    assert len(first) < len(facts)  # inspection records repeat an entity: the later rows must not answer
    for row in first.to_dict("records"):
        found = index.get(row["indicator"], int(row["year"]), row["entity_code"])
        assert {k: _plain(v) for k, v in found.items()} == {k: _plain(v) for k, v in row.items()}
    assert index.get("m5_dues_collected", 2019, "C01") is None
    assert index.get("no_such_indicator", 2024, "C01") is None


def test_a_figure_typed_date_or_yes_no_reads_as_before(demo_context):
    # value() turns the index's values into plain Python: a date, a bool, a float.
    values = {
        (row.indicator, int(row.year), row.entity_code): row
        for row in demo_context.facts.itertuples(index=False)
        if demo_context.catalog.indicator(row.indicator).type in ("date", "bool")
    }
    assert values
    for (indicator, year, entity), row in list(values.items())[:40]:
        value = demo_context.value(indicator, year, entity)
        kind = demo_context.catalog.indicator(indicator).type
        if kind == "date" and value is not None:
            assert value == row.value_date.date()
        if kind == "bool" and value is not None:
            assert value is bool(row.value_bool) or value == bool(row.value_bool)


def _source(cell: str, unit: str = "C01") -> SourceRef:
    return SourceRef(unit, unit, "m5_dues_collected", "实收会费", "1.0万元", 7, "f.xlsx", "表", cell)


def test_evidence_lists_each_cell_once_in_the_order_first_seen():
    a, b, c = _source("D1"), _source("D2"), _source("D3")
    evidence = Evidence([a, b], [])
    evidence.merge(Evidence([b, c, a], [Remark("C01", "x", "说明")]))
    assert evidence.sources == [a, b, c]
    # Duplicates inside one part are kept as the list-based merge kept them; those already held are not.
    evidence.merge(Evidence([_source("D4"), _source("D4"), c], [Remark("C01", "x", "说明")]))
    assert evidence.sources == [a, b, c, _source("D4"), _source("D4")]
    assert evidence.remarks == [Remark("C01", "x", "说明")]


def test_a_remark_is_shown_once_per_entity_even_after_a_merge():
    evidence = Evidence()
    evidence.merge(Evidence([], [Remark("C01", "m5_dues_collected", "含上年补缴")]))
    evidence.add_remark("C01", "m5_dues_due", "含上年补缴")  # the same 说明 beside another figure of the row
    evidence.add_remark("C02", "m5_dues_due", "含上年补缴")
    evidence.add_remark("C01", "m5_dues_due", "另一条说明")
    evidence.add_remark("C01", "m5_dues_due", float("nan"))
    assert [(r.unit_code, r.text) for r in evidence.remarks] == [
        ("C01", "含上年补缴"),
        ("C02", "含上年补缴"),
        ("C01", "另一条说明"),
    ]


def _anomalies_one_by_one(ctx: RuleContext) -> list[tuple]:
    """The scan as it was written first: every figure against the same entity's figure the year before."""
    ratio, floors = bounds(ctx.catalog)
    codes = [c for c, i in ctx.catalog.indicators.items() if i.type in FLOORS and i.level in SERIES_LEVELS]
    rows = ctx.facts[ctx.facts["indicator"].isin(codes) & ctx.facts["value_num"].notna()]
    rows = rows.sort_values("row_no").drop_duplicates(["indicator", "entity_code", "year"])
    before = {(r.indicator, r.entity_code, int(r.year)): float(r.value_num) for r in rows.itertuples()}
    found = []
    for r in rows.itertuples():
        last = before.get((r.indicator, r.entity_code, int(r.year) - 1))
        floor = floors[ctx.catalog.indicator(r.indicator).type]
        if last is not None and is_anomalous(last, float(r.value_num), ratio, floor):
            found.append((int(r.year), r.entity_code, r.indicator, last, float(r.value_num)))
    return sorted(found)


def test_the_anomaly_scan_flags_exactly_what_the_figure_by_figure_scan_flagged(demo_context):
    found = sorted((a.year, a.entity_code, a.indicator, a.previous, a.current) for a in find_anomalies(demo_context))
    assert found and found == _anomalies_one_by_one(demo_context)
    assert [a for a in find_anomalies(demo_context, 2024)] == [
        a for a in find_anomalies(demo_context) if a.year == 2024
    ]


def test_the_anomaly_scan_at_its_bounds():
    # count floor 10, ratio 3: 5 → 15 (×3, +10) is flagged; 6 → 15 (+9) is not; 0 → 10 is; a gap year breaks the
    # series; a fall to a third (30 → 10) is flagged.
    series = [(2021, 5, 6, 0, 30, 30), (2022, 15, 15, 10, 10, 30)]
    facts = []
    for year, *values in series:
        for entity, value in zip(("C01", "C02", "C03", "C04", "C05"), values, strict=False):
            facts.append(fact(year, "m3_city_meetings", value, unit=entity))
    facts.append(fact(2024, "m3_city_meetings", 90, unit="C05"))  # 2023 missing: not compared
    flagged = find_anomalies(context(facts))
    assert [(a.entity_code, a.previous, a.current) for a in flagged] == [
        ("C01", 5.0, 15.0),
        ("C03", 0.0, 10.0),
        ("C04", 30.0, 10.0),
    ]
    assert flagged[0].change_text == "由 5次 增至 15次（×3.0）"
    assert math.isclose(flagged[2].current / flagged[2].previous, 1 / 3)


def test_the_registry_indexes_give_the_units_in_file_order():
    registry = synthetic_registry(3)
    for unit in registry.units:
        assert registry.children(unit.code) == tuple(u for u in registry.units if u.parent == unit.code)
    for kind in ("province", "city", "county", "industry"):
        assert registry.of_type(kind) == tuple(u for u in registry.units if u.type == kind)
    assert [c.code for c in registry.counties_of("C01r2")][:2] == ["C01-01r2", "C01-02r2"]
    assert registry.children("C01-01") == ()
    with pytest.raises(KeyError):
        registry.children("X99")


def test_the_benchmark_takes_each_rounds_ratio_against_that_rounds_1x_run():
    from benchmarks.status import summarise

    def run(wall: float, cpu: float, rss: float) -> dict:
        figures = {"board_seconds": wall, "board_cpu_seconds": cpu, "board_peak_rss_mb": rss}
        return {
            "values": 10,
            "status_rows": 5,
            "all_years_seconds": 2 * wall,
            "all_years_peak_rss_mb": 2 * rss,
            # The set-based judgement of every year: a tenth of the rule functions' time, a little more at 100×.
            "compact_seconds": wall / 5,
            "compact_peak_rss_mb": rss / 2,
            "compact_rows": 50,
        } | figures

    report = summarise(
        {
            "1x": [run(1.0, 0.5, 200), run(2.0, 0.5, 210)],  # the second round ran on a busier machine
            "10x": [run(2.0, 1.0, 250), run(5.0, 1.5, 260)],
            "100x": [run(3.0, 2.0, 600), run(4.0, 3.0, 640)],
        }
    )
    assert report["status_scale_ratio_10x"] == {"median": 2.25, "min": 2.0, "max": 2.5}
    assert report["status_scale_ratio_100x"] == {"median": 2.5, "min": 2.0, "max": 3.0}
    assert report["status_scale_cpu_ratio_100x"] == {"median": 5.0, "min": 4.0, "max": 6.0}
    assert report["status_peak_rss_mb_100x"] == {"median": 620.0, "min": 600.0, "max": 640.0}
    assert report["status_peak_rss_mb_100x_all_years"]["max"] == 1280.0
    # Set-based: 100× ÷ 1× in the same round (0.6 ÷ 0.2, 0.8 ÷ 0.4), and the rule functions' time ÷ its own.
    assert report["status_compact_scale_ratio_100x"] == {"median": 2.5, "min": 2.0, "max": 3.0}
    assert report["status_compact_speedup_100x"] == {"median": 10.0, "min": 10.0, "max": 10.0}
    assert report["status_compact_peak_rss_mb_100x"]["median"] == 310.0
