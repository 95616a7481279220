"""The series behind the four chart families (组织覆盖, 经费保障, 督查结果, 干部队伍).

One function per series, each running one file of queries/sql/ read whole with bound parameters only.
Every function takes the warehouse connection (or a cursor) and two optional filters:
``years`` (None = every year) and ``unit_codes`` (the units an account may see; None = all, an empty set
= none). Unit names come from the registry and dimension names from the catalog, both bound as
parameters, so nothing here repeats a name. Rates are 0–1 floats; amounts are 万元.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.catalog import Catalog, load_catalog
from pipeline.registry import Registry, load_registry

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _units(registry: Registry) -> list[dict[str, str | None]]:
    """The registry in force as a list of structs for the SQL's `units` CTE."""
    return [{"code": u.code, "short_name": u.short_name, "type": u.type, "parent": u.parent} for u in registry.units]


def _run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    years: list[int] | None,
    unit_codes: frozenset[str] | None,
    registry: Registry,
    **params: Any,
) -> pd.DataFrame:
    bound = {
        "years": None if years is None else sorted(int(y) for y in years),
        "scope": None if unit_codes is None else sorted(unit_codes),
        "units": _units(registry),
        **params,
    }
    return con.execute(_sql(name), bound).df()


def _union_ratio(
    con: duckdb.DuckDBPyConnection,
    measure: int,
    years: list[int] | None,
    unit_codes: frozenset[str] | None,
    catalog: Catalog,
    registry: Registry,
    *,
    denominator_as: str,
    numerator_as: str,
) -> pd.DataFrame:
    """A ratio rule's two indicators per industry union and year, under the names the chart uses."""
    rule = catalog.measure(measure).rule.params
    frame = _run(
        con, "union_ratio_by_year", years, unit_codes, registry,
        numerator=rule["numerator"], denominator=rule["denominator"],
    )  # fmt: skip
    return frame.rename(columns={"denominator": denominator_as, "numerator": numerator_as})


# --- 组织覆盖 (M3, M7, M8) ------------------------------------------------------------------------------


def m3_coverage_by_city(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, covered, total, rate: city and county federations that held a meeting."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    rule = catalog.measure(3).rule.params
    return _run(
        con,
        "m3_coverage_by_city",
        years,
        unit_codes,
        registry,
        unit_held=rule["unit_held"],
        county_held=rule["county_held"],
    )


def m7_membership_by_union(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, members, employees, coverage_rate, grassroots_unions."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    return _run(
        con,
        "m7_membership_by_union",
        years,
        unit_codes,
        registry,
        members="m7_members",
        employees="m7_employees",
        grassroots_unions="m7_grassroots_unions",
    )


def m8_county_union_share_by_city(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, counties_with_union, counties_total, share; cities without counties left out."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    county_value = catalog.measure(8).rule.params["county_value"]
    return _run(con, "m8_county_union_share_by_city", years, unit_codes, registry, county_value=county_value)


# --- 经费保障 (M4, M5, M6) ------------------------------------------------------------------------------


def m4_special_funds_by_year(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, activities, requested, approved, disbursed (万元), disbursed_rate: the province's own figures
    (rows only when the scope includes the province)."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    return _run(
        con,
        "m4_special_funds_by_year",
        years,
        unit_codes,
        registry,
        activities="m4_activities",
        requested="m4_funds_requested",
        approved="m4_funds_approved",
        disbursed="m4_funds_disbursed",
    )


def m5_dues_by_union(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, due, collected (万元), rate."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    return _union_ratio(con, 5, years, unit_codes, catalog, registry, denominator_as="due", numerator_as="collected")


def m6_budget_by_city(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, key_work, resident_office, total (万元), counties_included, counties_total."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    return _run(
        con,
        "m6_budget_by_city",
        years,
        unit_codes,
        registry,
        key_work="m6_budget_key_work",
        resident_office="m6_resident_office_funds",
        county_included="m6_county_budget_included",
    )


# --- 督查结果 (M9, M10) ---------------------------------------------------------------------------------


def _m9_scores(catalog: Catalog) -> list[str]:
    return list(catalog.measure(9).rule.params["scores"])


def m9_scores_by_unit(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code (inspected unit), unit_name, unit_type, dimension, dimension_no, score."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    scores = _m9_scores(catalog)
    dimensions = [
        {"indicator": code, "dimension": catalog.indicator(code).name, "position": position}
        for position, code in enumerate(scores, start=1)
    ]
    return _run(con, "m9_scores_by_unit", years, unit_codes, registry, scores=scores, dimensions=dimensions)


def m9_rectification_by_unit(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, unit_type, found, rectified, rate, mean_score (of the seven dimensions)."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    rule = catalog.measure(9).rule.params
    return _run(
        con,
        "m9_rectification_by_unit",
        years,
        unit_codes,
        registry,
        scores=_m9_scores(catalog),
        found=rule["found"],
        rectified=rule["rectified"],
    )


def m10_random_inspections_by_year(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, inspections (rows of the random-inspection table), found, rectified, rate.

    The scope applies to the inspected unit; every year with an inspection-results return keeps its row
    (0 inspections when none concerned the units in scope)."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    rule = catalog.measure(10).rule.params
    return _run(
        con,
        "m10_random_inspections_by_year",
        years,
        unit_codes,
        registry,
        matter="m10_matter",
        found=rule["denominator"],
        rectified=rule["numerator"],
    )


# --- 干部队伍 (M16, M17) --------------------------------------------------------------------------------


def m16_training_by_union(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, cadres, trained, rate."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    frame = _union_ratio(con, 16, years, unit_codes, catalog, registry, denominator_as="cadres", numerator_as="trained")
    return frame.astype({"cadres": "Int64", "trained": "Int64"})  # head counts


def m17_promotion_parity_by_union(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    unit_codes: frozenset[str] | None = None,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """year, unit_code, unit_name, eligible, promoted, rate, organ_rate, parity_index (rate ÷ organ_rate).

    organ_rate is the provincial organ's promotion rate that year (P00's R3), whatever the scope."""
    catalog, registry = catalog or load_catalog(), registry or load_registry()
    rule = catalog.measure(17).rule.params
    return _run(
        con,
        "m17_promotion_parity_by_union",
        years,
        unit_codes,
        registry,
        eligible=rule["unit_denominator"],
        promoted=rule["unit_numerator"],
        organ_eligible=rule["reference_denominator"],
        organ_promoted=rule["reference_numerator"],
    )
