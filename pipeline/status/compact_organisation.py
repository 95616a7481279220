"""How the organisation and inspection rule kinds' SQL (pipeline/sql/status/<kind>.sql) is parameterised from a measure's catalog entry.

One function per rule kind, registered with @sql_rule(kind), returning the kind's own parameters; compact.py adds
those every query may use (status words, baseline year, tolerance, the province's code, the missing-unit policy).
Every threshold and indicator code comes from the catalog here: the SQL never spells one. Beside each, registered with
@sql_text(kind), how a compact row reads as the rule function's metric_text (through rules_organisation's formatters).
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog import Catalog, Measure
from pipeline.status import format as fmt
from pipeline.status.compact import Row, numeric_codes, present, sql_rule, sql_text, unless_unfiled
from pipeline.status.rules_organisation import condition_text, score_text, uninspected_text


def _return_of(catalog: Catalog, indicator: str) -> dict[str, str]:
    return_code = catalog.indicator(indicator).return_code
    return {"return_code": return_code, "submitted_by": catalog.returns[return_code].submitted_by}


@sql_rule("none_falling")
def none_falling_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    # Condition i is values[i] (a plain value, or a ratio's numerator) over denominators[i] (NULL for a plain value).
    conditions = measure.rule.params["conditions"]
    values = numeric_codes(catalog, [c.get("numerator") or c["value"] for c in conditions])
    denominators = [c.get("denominator") for c in conditions]
    numeric_codes(catalog, [code for code in denominators if code is not None])
    return {"values": values, "denominators": denominators, **_return_of(catalog, values[0])}


@sql_text("none_falling")
def none_falling_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    first = measure.rule.params["conditions"][0]
    return unless_unfiled(row, condition_text(catalog, first, present(row["metric"])))


@sql_rule("share_rising")
def share_rising_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    (county_value,) = numeric_codes(catalog, [measure.rule.params["county_value"]])
    return {"county_value": county_value, **_return_of(catalog, county_value)}


@sql_text("share_rising")
def share_rising_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return unless_unfiled(row, fmt.pct(present(row["metric"])))


@sql_rule("inspection_window")
def inspection_window_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    return {
        "scores": numeric_codes(catalog, params["scores"]),
        "found": numeric_codes(catalog, [params["found"]])[0],
        "rectified": numeric_codes(catalog, [params["rectified"]])[0],
        "window_years": int(params["window_years"]),
        "expected_types": list(params["expected_units"]),
        "mean_score": float(thresholds["mean_score"]),
        "rectification": float(thresholds["rectification"]),
        "return_code": catalog.indicator(params["found"]).return_code,
    }


@sql_text("inspection_window")
def inspection_window_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    if not row["inspected"]:
        return uninspected_text(row["status"])
    return score_text(catalog, measure, present(row["metric"]))
