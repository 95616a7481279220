"""The status engine reads the warehouse's figures a year at a time, through a connection of its own that stays on
the version it opened: the board reads three years, not fifty; a book outlives the connection it was built from;
a batch landing later never mixes into a book built before it; a writer's connection is judged from memory."""

from __future__ import annotations

import os
import shutil

import duckdb
import pandas as pd
import pytest

from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.status.context import RuleContext
from pipeline.status.engine import evaluate, status_table
from pipeline.status.facts import FrameFacts, WarehouseFacts, facts_of, read_mart
from pipeline.warehouse import open_reader
from queries.board import StatusBook, measure_board, measure_detail


def _book(path) -> StatusBook:
    con = open_reader(path)
    try:
        return StatusBook.from_warehouse(con, catalog=load_catalog(), registry=load_registry())
    finally:
        con.close()  # the caller's connection is gone; the book reads through its own


def test_the_board_reads_the_years_it_compares_and_nothing_else(demo_warehouse):
    book = _book(demo_warehouse)
    assert isinstance(book.context.store, WarehouseFacts)
    assert book.context.store.loaded_years == ()
    measure_board(book, 2025)
    # 2025 and 2024 are shown; 2024's year-over-year rules look at 2023, read with 2022 in one query.
    assert book.context.store.loaded_years == (2022, 2023, 2024, 2025)
    measure_detail(book, 5, 2021)  # a measure's history reaches back: the earlier years come in when asked
    assert book.context.store.loaded_years == (2021, 2022, 2023, 2024, 2025)


def test_a_year_read_alone_holds_exactly_that_years_figures_in_the_marts_order(demo_warehouse):
    con = open_reader(demo_warehouse)
    every = read_mart(con, "measure_facts")
    store = facts_of(con)
    con.close()
    for year in (2025, 2022):
        expected = every[every["year"] == year].reset_index(drop=True)
        pd.testing.assert_frame_equal(store.year(year), expected)
    pd.testing.assert_frame_equal(store.all().reset_index(drop=True), every)


def test_a_book_read_year_by_year_judges_exactly_as_one_holding_every_figure(demo_warehouse):
    con = open_reader(demo_warehouse)
    whole = RuleContext(
        load_catalog(), load_registry(), read_mart(con, "measure_facts"), read_mart(con, "return_coverage")
    )
    by_year = RuleContext.from_warehouse(con, load_catalog(), load_registry())
    con.close()
    assert isinstance(whole.store, FrameFacts) and isinstance(by_year.store, WarehouseFacts)
    expected, found = status_table(evaluate(whole)), status_table(evaluate(by_year))
    assert len(found) > 700
    pd.testing.assert_frame_equal(found, expected)
    assert [a.source for a in StatusBook.from_context(by_year).anomalies] == [
        a.source for a in StatusBook.from_context(whole).anomalies
    ]


def test_a_book_keeps_the_version_it_opened_when_a_batch_replaces_the_file(demo_warehouse, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    book = _book(path)
    before = len(book.context.year_facts(2025))
    assert before > 500
    # A writer lands a batch by writing a new file and renaming it over the old one; here the new version is empty.
    empty = tmp_path / "empty.duckdb"
    open_reader(empty).close()
    os.replace(empty, path)
    fresh = open_reader(path)
    assert fresh.execute("select count(*) from current_values").fetchone() == (0,)
    fresh.close()
    # Years the book had not read yet still come from the version it was built on.
    assert book.context.store.loaded_years == (2023, 2024, 2025)
    assert len(book.context.year_facts(2021)) > 500
    assert book.context.store.loaded_years == (2021, 2023, 2024, 2025)  # a span stops at the first year
    assert book.result(5, 2021).overall.status != "无数据"


def test_a_writers_connection_is_judged_from_figures_read_at_once(demo_warehouse, tmp_path):
    path = tmp_path / "writer.duckdb"
    shutil.copy(demo_warehouse, path)
    writer = duckdb.connect(str(path))
    try:
        store = facts_of(writer)
        assert isinstance(store, FrameFacts)
        assert len(store.all()) == writer.execute("select count(*) from current_values").fetchone()[0]
    finally:
        writer.close()


@pytest.mark.parametrize("year", [None, 2024])
def test_the_anomaly_pairs_in_sql_are_the_plain_year_over_year_comparison(demo_warehouse, year):
    from pipeline.status.anomalies import bounds, find_anomalies, is_anomalous, series_codes

    con = open_reader(demo_warehouse)
    ctx = RuleContext.from_warehouse(con, load_catalog(), load_registry())
    con.close()
    ratio, floors = bounds(ctx.catalog)
    codes = set(series_codes(ctx.catalog))
    facts = ctx.facts[ctx.facts["indicator"].isin(codes) & ctx.facts["value_num"].notna()]
    first = facts.sort_values("row_no", kind="stable").drop_duplicates(["indicator", "entity_code", "year"])
    value = {(r.indicator, r.entity_code, int(r.year)): float(r.value_num) for r in first.itertuples()}
    expected = sorted(
        (y, indicator, entity)
        for (indicator, entity, y), now in value.items()
        if (year is None or y == year)
        and (indicator, entity, y - 1) in value
        and is_anomalous(value[(indicator, entity, y - 1)], now, ratio, floors[ctx.catalog.indicator(indicator).type])
    )
    found = sorted((a.year, a.indicator, a.entity_code) for a in find_anomalies(ctx, year))
    assert found == expected
    assert len(expected) >= (1 if year else 3)


def test_a_year_without_figures_is_an_empty_frame_that_merges_like_any_other(demo_warehouse):
    # A warehouse holding one year is judged for every year from the catalog's first: the years without figures must
    # behave as empty tables (a records rule merges its numerators with its denominators).
    con = open_reader(demo_warehouse)
    store = facts_of(con)
    con.close()
    empty, full = store.year(1990), store.year(2024)
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert (empty.dtypes == full.dtypes).all()
    merged = pd.merge(empty, empty, on=["unit_code", "entity_code", "row_no"], how="outer")
    assert merged.empty
    assert len(pd.concat([empty, full])) == len(full)
