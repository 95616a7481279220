"""Data tests beside the marts (dbt-style): keys not null and unique, accepted values, arithmetic invariants."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.catalog import load_catalog
from pipeline.status.context import read_mart
from pipeline.status.engine import status_table
from pipeline.status.model import STATUSES
from pipeline.warehouse import open_reader
from queries.board import StatusBook


@pytest.fixture(scope="module")
def con(demo_warehouse) -> duckdb.DuckDBPyConnection:
    return open_reader(demo_warehouse)


@pytest.fixture(scope="module")
def statuses(con):
    return status_table(StatusBook.from_warehouse(con).results)


def test_measure_facts_keys_are_not_null_and_unique(con):
    facts = read_mart(con, "measure_facts")
    keys = ["year", "indicator", "unit_code", "entity_code", "row_no"]
    assert len(facts) == con.execute("select count(*) from current_values").fetchone()[0] > 4000
    for column in [*keys, "measure", "submission_id", "file_name", "sheet", "cell"]:
        assert facts[column].notna().all(), column
    assert not facts.duplicated(keys).any()
    assert set(facts["measure"]) == set(range(1, 19))


def test_one_current_submission_per_unit_year_and_return(con):
    duplicates = con.execute(
        "select unit_code, year, return_code, count(*) from current_submissions group by all having count(*) > 1"
    ).fetchall()
    assert duplicates == []


def test_status_mart_keys_values_and_completeness(statuses):
    assert statuses[["measure", "year", "unit_code", "status"]].notna().all().all()
    assert not statuses.duplicated(["measure", "year", "unit_code"]).any()
    assert set(statuses["status"]) <= set(STATUSES)
    province = statuses[statuses["unit_code"] == "P00"]
    assert len(province) == 18 * 5  # every measure judged for every year
    assert (statuses["summary"].str.len() > 5).all()


@pytest.mark.parametrize("measure", [3, 8, 10, 16])
def test_rates_stay_within_0_and_100_percent(statuses, measure):
    metrics = statuses[(statuses["measure"] == measure)]["metric"].dropna()
    assert not metrics.empty
    assert metrics.between(0, 1).all()


def test_of_which_never_exceeds_its_total_in_current_values(con):
    catalog = load_catalog()
    for check in catalog.checks:
        if check.severity != "error":
            continue
        violations = con.execute(
            """
            select l.unit_code, l.year, l.entity_code, l.value_num, r.value_num
            from current_values l
            join current_values r
              on r.submission_id = l.submission_id and r.entity_code = l.entity_code and r.row_no = l.row_no
            where l.indicator = $lhs and r.indicator = $rhs and l.value_num > r.value_num
            """,
            {"lhs": check.lhs, "rhs": check.rhs},
        ).fetchall()
        assert violations == [], (check.lhs, check.rhs)


def test_scores_are_between_0_and_100(con):
    out_of_range = con.execute(
        "select count(*) from current_values where indicator_type = 'score' and not value_num between 0 and 100"
    ).fetchone()[0]
    assert out_of_range == 0
