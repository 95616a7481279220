"""The measure page's 历年状态 comes from the compact statuses (book.marks): the status and key figure as shown in every
year, the same as the rule functions give, while only the year the page explains is judged with explanations."""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_pages_board import DETAIL, open_page
from test_status_compact import altered, harder

from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.status.context import RuleContext
from pipeline.status.engine import judge
from pipeline.status.facts import read_mart
from pipeline.warehouse import open_reader
from queries import board
from queries.board import StatusBook, measure_detail
from queries.scope import Scope


@pytest.fixture(scope="module")
def demo_inputs(demo_warehouse):
    con = open_reader(demo_warehouse)
    try:
        return read_mart(con, "measure_facts"), read_mart(con, "return_coverage")
    finally:
        con.close()


def judged_overall(ctx: RuleContext, number: int) -> list[tuple[int, str, str]]:
    """(year, status, metric_text) of the province-wide row in every year, from the rule functions."""
    measure = ctx.catalog.measure(number)
    return [(year, s.status, s.metric_text) for year in ctx.years for s in [judge(ctx, measure, year).overall]]


def judged_units(ctx: RuleContext, number: int, scope: Scope) -> list[tuple[int, str, str, str]]:
    """(year, unit, status, metric_text) of the units in scope in every year, in the rule functions' order."""
    measure = ctx.catalog.measure(number)
    return [
        (year, s.unit_code, s.status, s.metric_text)
        for year in ctx.years
        for s in judge(ctx, measure, year).units
        if scope.allows(s.unit_code)
    ]


def shown(history) -> list[tuple]:
    return [(m.year, m.status, m.metric_text) for m in history]


def shown_units(history) -> list[tuple]:
    return [(m.year, m.unit_code, m.status, m.metric_text) for m in history]


def book_and_reference(warehouse):
    """The book the page reads and a separate context for the rule functions, both on the warehouse."""
    con = open_reader(warehouse)
    try:
        return StatusBook.from_warehouse(con), RuleContext.from_warehouse(con, load_catalog(), load_registry())
    finally:
        con.close()


def unit_scopes(registry) -> list[Scope]:
    """A reader of a city (with its counties), of an industry union and of a county."""
    return [Scope.of_unit(registry, code) for code in ("C01", "C07", "I03", registry.counties_of("C03")[0].code)]


def test_every_measures_history_is_the_rule_functions_on_the_demo(demo_warehouse):
    book, reference = book_and_reference(demo_warehouse)
    for measure in book.catalog.measures:
        detail = measure_detail(book, measure.number, book.latest_year)
        assert shown(detail.history) == judged_overall(reference, measure.number), measure.number
    # Not vacuous: the histories read figures of every shape, and words where there is no figure.
    texts = {
        m.metric_text for measure in book.catalog.measures for m in measure_detail(book, measure.number, 2025).history
    }
    shapes = [
        r"\d{4}年\d{1,2}月\d{1,2}日",
        r"\d+\.\d%",
        r"\d+\.\d分",
        r"\d+/\d+",
        r"[\d,.]+万元",
        r"\d\.\d\d",
        "尚未召开",
        "—",
    ]
    assert all(any(re.fullmatch(shape, t) for t in texts) for shape in shapes), texts


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_histories_match_the_rule_functions_on_altered_returns(demo_inputs, seed):
    """Every measure's history, province-wide and for unit readers, on altered copies of the demo (blank and missing
    figures, returns not filed, figures at thresholds): what the page shows is what the rule functions say."""
    catalog, registry = load_catalog(), load_registry()
    facts, coverage = (altered if seed % 2 else harder)(*demo_inputs, seed)
    book = StatusBook.from_context(RuleContext(catalog, registry, facts, coverage))
    reference = RuleContext(catalog, registry, facts, coverage)
    scopes = unit_scopes(registry)
    for measure in catalog.measures:
        detail = measure_detail(book, measure.number, book.latest_year)
        assert shown(detail.history) == judged_overall(reference, measure.number), measure.number
        for scope in scopes:
            history = measure_detail(book, measure.number, book.latest_year, scope=scope).history
            assert shown_units(history) == judged_units(reference, measure.number, scope), (measure.number, scope)


def test_a_unit_readers_history_is_its_own_statuses_in_every_year(demo_warehouse):
    book, reference = book_and_reference(demo_warehouse)
    xian = Scope.of_unit(book.registry, "C01")
    history = measure_detail(book, 3, 2024, scope=xian).history
    assert {m.unit_code for m in history} == {"C01"} and [m.year for m in history] == book.years
    assert shown_units(history) == judged_units(reference, 3, xian)
    # A measure judged province-wide only has no unit history to show a unit reader.
    assert measure_detail(book, 4, 2024, scope=xian).history == ()


def test_the_measure_detail_judges_only_the_year_it_explains(demo_warehouse):
    con = open_reader(demo_warehouse)
    try:
        book = StatusBook.from_warehouse(con)
    finally:
        con.close()
    for number in (3, 9, 13):
        detail = measure_detail(book, number, 2023)
        assert [m.year for m in detail.history] == book.years
    judged = {(number, year) for year in book.results.judged_years for number in book.results.judged_measures(year)}
    assert judged == {(3, 2023), (9, 2023), (13, 2023)}
    xian = Scope.of_unit(book.registry, "C01")
    measure_detail(book, 8, 2022, scope=xian)
    assert set(book.results.judged_measures(2022)) == {8} and set(book.results.judged_measures(2021)) == set()


def test_the_page_shows_the_rule_functions_history_and_judges_only_its_year(
    monkeypatch, demo_warehouse, demo_warehouse_copy
):
    """The 措施详情 page of 第9条 in 2022 (a fresh copy of the demo, so nothing is cached): each year's badge and figure
    are the rule functions', and no year after 2022 is judged with explanations."""
    calls: list[tuple[int, int]] = []

    def counted(ctx, measure, year):
        calls.append((measure.number, year))
        return judge(ctx, measure, year)

    monkeypatch.setattr(board, "judge", counted)
    app = open_page(monkeypatch, demo_warehouse_copy, DETAIL, m="9", year="2022")
    history = next(h.value for h in app.html if 'class="history"' in h.value)
    cells = re.findall(r'<b>(\d{4})年</b>.*?>([^<>]+)</span><span class="figure">([^<]*)</span>', history)
    con = open_reader(demo_warehouse)
    try:
        reference = RuleContext.from_warehouse(con, load_catalog(), load_registry())
    finally:
        con.close()
    assert [(int(y), s, unescape(t)) for y, s, t in cells] == judged_overall(reference, 9)
    # The overview opened first shows 2022 and the year before; the history's later years are marks, not judged.
    assert (9, 2022) in calls
    assert {year for number, year in calls if number == 9} <= {2021, 2022}
    assert not {year for _, year in calls} & {2023, 2024, 2025}
