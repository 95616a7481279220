"""How the meetings rule kinds' SQL (pipeline/sql/status/<kind>.sql) is parameterised from a measure's catalog entry.

One function per rule kind, registered with @sql_rule(kind), returning the kind's own parameters; compact.py adds
those every query may use (status words, baseline year, tolerance, the province's code, the missing-unit policy).
Every threshold and indicator code comes from the catalog here: the SQL never spells one.
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog import NUMERIC_TYPES, Catalog, Measure
from pipeline.status.compact import sql_rule, typed_codes


@sql_rule("window_held")
def window_held_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params = measure.rule.params
    typed_codes(catalog, [params["indicator"]], {"date"}, "value_date")
    return {
        "indicator": params["indicator"],
        "window_years": int(params["window_years"]),
        "return_code": catalog.indicator(params["indicator"]).return_code,
    }


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
