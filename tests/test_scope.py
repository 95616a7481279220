"""A 填报单位 reader sees its own unit and nothing of any other, at the one entry point where pages call the query
layer (queries/scope.call_in_scope): every query function either enforces the scope itself or is refused."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pandas as pd
import pytest

import queries
from pipeline.registry import load_registry
from pipeline.warehouse import open_reader
from queries import board, profile, series, submissions
from queries.board import StatusBook
from queries.scope import ALL_UNITS, OutOfScope, Scope, call_in_scope, enforcement

XIAN = "C01"


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = open_reader(demo_warehouse)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def book(con) -> StatusBook:
    return StatusBook.from_warehouse(con)


@pytest.fixture(scope="module")
def xian() -> Scope:
    return Scope.of_unit(load_registry(), XIAN)


def other_unit_names(scope: Scope) -> list[str]:
    """Every other city's and industry union's names, as a leak would show them."""
    registry = load_registry()
    units = [u for kind in ("city", "industry") for u in registry.of_type(kind) if not scope.allows(u.code)]
    return [name for u in units for name in {u.name, u.short_name}]


def test_a_unit_scope_is_the_unit_and_its_counties_not_the_province(xian):
    registry = load_registry()
    assert xian.unit_codes == {XIAN, *(c.code for c in registry.counties_of(XIAN))}
    assert len(xian.unit_codes) > 5
    assert not xian.allows("P00") and not xian.allows("C02") and xian.allows(XIAN)
    assert ALL_UNITS.allows("P00") and ALL_UNITS.everything and not xian.everything
    assert "西安市总工会" in xian.refusal()


def public_query_functions():
    for info in pkgutil.iter_modules(queries.__path__):
        module = importlib.import_module(f"queries.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{info.name}.{name}", function


def test_every_query_function_that_reads_across_units_is_refused_to_a_scoped_reader(xian):
    refused = 0
    for _name, function in public_query_functions():
        if enforcement(function) == "":
            with pytest.raises(OutOfScope):
                call_in_scope(function, object(), scope=xian)  # refused before it touches the source
            refused += 1
    assert refused > 10  # measure_board, family_screens, with_statuses, warehouse summaries, chase letters' data …


def test_the_board_and_family_screens_are_refused_but_allowed_to_the_federation(book, xian):
    with pytest.raises(OutOfScope, match="西安市总工会"):
        call_in_scope(board.measure_board, book, 2024, scope=xian)
    with pytest.raises(OutOfScope):
        call_in_scope(board.family_screens, book, 2024, scope=xian)
    assert call_in_scope(board.measure_board, book, 2024, scope=ALL_UNITS).year == 2024


def test_a_scoped_reader_cannot_name_a_scope_of_its_own(con, xian):
    with pytest.raises(OutOfScope):
        call_in_scope(submissions.tracker_table, con, 2024, "R1", scope=xian, unit_codes=None)
    # positionally too: rejected_files(con, year, return_code, unit_codes)
    with pytest.raises(OutOfScope):
        call_in_scope(submissions.rejected_files, con, 2024, "R1", None, scope=xian)


def test_another_units_profile_submissions_and_counties_are_refused(book, con, xian):
    with pytest.raises(OutOfScope):
        call_in_scope(board.unit_profile, book, "C02", 2024, scope=xian)
    with pytest.raises(OutOfScope):
        call_in_scope(profile.unit_submissions, con, "C02", scope=xian)
    with pytest.raises(OutOfScope):
        call_in_scope(profile.county_breakdown, con, "C07", 2024, scope=xian)
    own = call_in_scope(board.unit_profile, book, XIAN, 2024, scope=xian)
    assert own.unit.code == XIAN and own.statuses
    assert {s.unit_code for s in own.statuses} == {XIAN}
    files = call_in_scope(profile.unit_submissions, con, XIAN, scope=xian)
    assert len(files) >= 2 and set(files["file_name"].str.contains("西安")) == {True}
    counties = call_in_scope(profile.county_breakdown, con, XIAN, 2024, scope=xian)
    assert len(counties) == len(load_registry().counties_of(XIAN))


def test_tracker_rows_and_rejected_files_are_only_the_units_own(con, xian):
    table = call_in_scope(submissions.tracker_table, con, 2024, "R1", scope=xian)
    assert list(table["unit_code"]) == [XIAN]
    summary = submissions.tracker_summary(table, 2024, "R1")
    assert summary.expected == 1
    assert not any(name in summary.text for name in other_unit_names(xian))
    everyone = call_in_scope(submissions.tracker_table, con, 2024, "R1", scope=ALL_UNITS)
    assert len(everyone) == 12
    for year in (2021, 2022, 2023, 2024, 2025):
        rejected = call_in_scope(submissions.rejected_files, con, year, scope=xian)
        assert set(rejected["unit_code"]) <= {XIAN}
        chase = call_in_scope(submissions.chase_list, con, year, scope=xian)
        assert set(chase["单位"]) <= {"西安市总工会"}


def test_every_chart_series_holds_only_the_readers_units(con, xian):
    checked = 0
    for name, function in inspect.getmembers(series, inspect.isfunction):
        if not name.startswith("m") or function.__module__ != series.__name__:
            continue
        frame = call_in_scope(function, con, scope=xian)
        if "unit_code" in frame.columns:
            assert set(frame["unit_code"]) <= xian.unit_codes, name
            checked += 1
        whole = call_in_scope(function, con, scope=ALL_UNITS)
        assert len(whole) >= len(frame), name
    assert checked >= 7


def test_a_measure_detail_for_a_unit_names_no_other_unit(book, xian):
    detail = call_in_scope(board.measure_detail, book, 3, 2024, scope=xian)
    assert detail.overall is None  # the province-wide verdict's explanation names the laggards
    assert {s.unit_code for s in detail.units} == {XIAN}
    assert {s.unit_code for s in detail.history} == {XIAN} and len(detail.history) >= 3
    text = " ".join([s.explanation.summary for s in detail.units] + [s.metric_text for s in detail.history])
    assert not any(name in text for name in other_unit_names(xian))
    whole = call_in_scope(board.measure_detail, book, 3, 2024, scope=ALL_UNITS)
    assert whole.overall is not None and len(whole.units) == 12


def test_the_reference_fills_catalog_and_registry_parameters(con):
    class Reference:  # the shape of pipeline.reference.Reference that call_in_scope reads
        catalog = None
        registry = load_registry()

    frame = call_in_scope(series.m5_dues_by_union, con, scope=ALL_UNITS, reference=Reference())
    assert isinstance(frame, pd.DataFrame) and set(frame["unit_code"]) == {
        u.code for u in load_registry().of_type("industry")
    }
