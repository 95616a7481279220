"""Judge every measure for every year: dispatch each measure to the function of its rule kind.

Rule functions live in rules_*.py, one small function per rule kind, registered with @rule("kind").
They read their parameters and thresholds from the catalog (measure.rule), never from code, so a
threshold changed in catalog/measures.yaml changes the status everywhere.

Each rule kind is also written as one SQL query over every unit and year at once (compact.py and
pipeline/sql/status/): the same statuses and key figures without explanations, for questions that span many years or
measures. The rule functions here are the reference the queries are tested against (tests/test_status_compact.py).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pandas as pd

from pipeline.catalog import Catalog, Measure
from pipeline.registry import Registry
from pipeline.status.context import RuleContext
from pipeline.status.model import MeasureResult

RuleFunction = Callable[[RuleContext, Measure, int], MeasureResult]
RULES: dict[str, RuleFunction] = {}


def rule(kind: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register the function that judges one rule kind."""

    def register(function: RuleFunction) -> RuleFunction:
        RULES[kind] = function
        return function

    return register


def _load_rules() -> None:
    # Imported for their @rule registrations.
    from pipeline.status import rules_funding, rules_meetings, rules_organisation, rules_people  # noqa: F401


def judge(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    _load_rules()
    return RULES[measure.rule.kind](ctx, measure, year)


def evaluate(ctx: RuleContext, years: list[int] | None = None) -> dict[tuple[int, int], MeasureResult]:
    """Every measure for every year: {(measure number, year): MeasureResult}."""
    _load_rules()
    years = ctx.years if years is None else years
    return {(m.number, y): RULES[m.rule.kind](ctx, m, y) for y in years for m in ctx.catalog.measures}


def evaluate_warehouse(
    con: duckdb.DuckDBPyConnection,
    *,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
    years: list[int] | None = None,
) -> dict[tuple[int, int], MeasureResult]:
    """Every measure for every year of the warehouse; the catalog and registry default to those in force there
    (catalog/ plus the saved settings)."""
    if catalog is None or registry is None:
        from pipeline.reference import load_reference  # reference → settings → this module

        reference = load_reference(con)
        catalog, registry = catalog or reference.catalog, registry or reference.registry
    ctx = RuleContext.from_warehouse(con, catalog, registry)
    return evaluate(ctx, years)


def status_table(results: dict[tuple[int, int], MeasureResult]) -> pd.DataFrame:
    """The status mart as a table: one row per (measure, year, unit), the province-wide row as unit P00."""
    rows = []
    for result in results.values():
        for status in (result.overall, *result.units):
            rows.append(
                {
                    "measure": status.measure,
                    "year": status.year,
                    "unit_code": status.unit_code,
                    "status": status.status,
                    "metric": status.metric,
                    "metric_text": status.metric_text,
                    "summary": status.explanation.summary,
                }
            )
    columns = ["measure", "year", "unit_code", "status", "metric", "metric_text", "summary"]
    return pd.DataFrame(rows, columns=columns)
