"""How the meetings rule kinds' SQL (pipeline/sql/status/<kind>.sql) is parameterised from a measure's catalog entry.

One function per rule kind, registered with @sql_rule(kind), returning the kind's own parameters; compact.py adds
those every query may use (status words, baseline year, tolerance, the province's code, the missing-unit policy).
Every threshold and indicator code comes from the catalog here: the SQL never spells one. Beside each, registered with
@sql_text(kind), how a compact row reads as the rule function's metric_text (through rules_meetings' formatters), from
the figures the query returns beside the status: `unfiled` (a unit that filed no return), `units` (how many units the
province-wide row counts), a meeting date, the checks a unit failed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.catalog import NUMERIC_TYPES, Catalog, Measure
from pipeline.status import format as fmt
from pipeline.status.compact import Row, present, sql_rule, sql_text, typed_codes, unless_unfiled
from pipeline.status.model import PROVINCE_SCOPE
from pipeline.status.rules_common import NOT_REPORTED, figure_text
from pipeline.status.rules_meetings import (
    NOT_FILLED,
    held_in_window_text,
    items_met_text,
    reported_count_text,
    tally_text,
    unmet_text,
)


@sql_rule("window_held")
def window_held_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params = measure.rule.params
    typed_codes(catalog, [params["indicator"]], {"date"}, "value_date")
    return {
        "indicator": params["indicator"],
        "window_years": int(params["window_years"]),
        "return_code": catalog.indicator(params["indicator"]).return_code,
    }


@sql_text("window_held")
def window_held_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    held_on = None if row["held_on"] is None else pd.Timestamp(row["held_on"]).date()
    return held_in_window_text(row["status"], held_on, bool(row["all_unfiled"]))


@sql_rule("held_all_reported")
def held_all_reported_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params = measure.rule.params
    typed_codes(catalog, [params["held"]], {"date"}, "value_date")
    typed_codes(catalog, [params["reported"]], NUMERIC_TYPES, "value_num")
    return {
        "held": params["held"],
        "reported": params["reported"],
        "expected_units": params["expected_units"],
        "return_code": catalog.indicator(params["reported"]).return_code,
    }


@sql_text("held_all_reported")
def held_all_reported_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return unless_unfiled(row, reported_count_text(present(row["metric"]), int(row["units"])))


@sql_rule("coverage")
def coverage_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    typed_codes(catalog, [params["unit_held"]], NUMERIC_TYPES, "value_num")
    typed_codes(catalog, [params["county_held"]], {"bool"}, "value_bool")
    return {
        "unit_held": params["unit_held"],
        "county_held": params["county_held"],
        "green": float(thresholds["green"]),
        "amber": None if thresholds.get("amber") is None else float(thresholds["amber"]),
        "return_code": catalog.indicator(params["unit_held"]).return_code,
    }


@sql_text("coverage")
def coverage_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return unless_unfiled(row, fmt.pct(present(row["metric"])))


@sql_rule("min_each")
def min_each_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    indicators = list(measure.rule.params["indicators"])
    typed_codes(catalog, indicators, NUMERIC_TYPES, "value_num")
    return_code = catalog.indicator(indicators[0]).return_code
    return {
        "indicators": indicators,
        "minimum": float(measure.rule.thresholds["minimum"]),
        "return_code": return_code,
        "submitted_by": catalog.returns[return_code].submitted_by,
    }


@sql_text("min_each")
def min_each_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    if row["unit_code"] == PROVINCE_SCOPE:
        return tally_text(int(row["metric"] or 0), int(row["units"]))
    if row["unfiled"]:
        return NOT_REPORTED
    return items_met_text(int(row["metric"]), len(measure.rule.params["indicators"]))


@sql_rule("every_unit")
def every_unit_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params = measure.rule.params
    all_true = list(params["condition"].get("all_true", []))
    at_least_one = list(params["condition"].get("at_least_one", []))
    typed_codes(catalog, all_true, {"bool"}, "value_bool")
    typed_codes(catalog, at_least_one, NUMERIC_TYPES, "value_num")
    return {
        "all_true": all_true,
        "at_least_one": at_least_one,
        "expected_units": params["expected_units"],
        "amber": float(measure.rule.thresholds["amber"]),
        # The return the rule function reads who filed from: that of the condition's first indicator.
        "return_code": catalog.indicator((all_true or at_least_one)[0]).return_code,
    }


@sql_text("every_unit")
def every_unit_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    if row["unit_code"] == PROVINCE_SCOPE:
        return tally_text(int(row["metric"] or 0), int(row["units"]))
    if row["unfiled"]:
        return NOT_REPORTED
    failed = row["failed"] if row["failed"] is not None else []
    return unmet_text((catalog.indicator(check["indicator"]).name, _check_shown(catalog, check)) for check in failed)


def _check_shown(catalog: Catalog, check: dict) -> str:
    """A failed check's figure as judge_every_unit shows it: yes/no or the count, 未填报 when blank or missing."""
    code = check["indicator"]
    value = check["flag"] if catalog.indicator(code).type == "bool" else check["count"]
    return NOT_FILLED if value is None else figure_text(catalog, code, value)
