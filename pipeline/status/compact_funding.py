"""How the funding rule kinds' SQL (pipeline/sql/status/<kind>.sql) is parameterised from a measure's catalog entry.

One function per rule kind, registered with @sql_rule(kind), returning the kind's own parameters; compact.py adds
those every query may use (status words, baseline year, tolerance, the province's code, the missing-unit policy).
Every threshold and indicator code comes from the catalog here: the SQL never spells one. Beside each, registered with
@sql_text(kind), how a compact row reads as the rule function's metric_text (through the rule module's formatter).
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog import Catalog, Measure
from pipeline.status import format as fmt
from pipeline.status.compact import Row, present, sql_rule, sql_text
from pipeline.status.rules_funding import amount_text


@sql_rule("ratio")
def ratio_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    numerator = catalog.indicator(params["numerator"])
    records = measure.judged_per == "province" and catalog.tables[numerator.table].kind == "records"
    return {
        "numerator": params["numerator"],
        "denominator": params["denominator"],
        "green": float(thresholds["green"]),
        "amber": None if thresholds.get("amber") is None else float(thresholds["amber"]),
        "per_unit": measure.judged_per != "province",
        "records": records,
        "return_code": numerator.return_code,
        "submitted_by": catalog.returns[numerator.return_code].submitted_by,
    }


@sql_text("ratio")
def ratio_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return fmt.pct(present(row["metric"]))


@sql_rule("not_lower_than_last_year")
def not_lower_than_last_year_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params = measure.rule.params
    included_when = params["included_when_positive"]
    return_code = catalog.indicator(included_when).return_code
    return {
        "amounts": list(params["amounts"]),
        "included_when": included_when,
        "return_code": return_code,
        "submitted_by": catalog.returns[return_code].submitted_by,
    }


@sql_text("not_lower_than_last_year")
def not_lower_than_last_year_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return amount_text(catalog, measure.rule.params["amounts"], present(row["metric"]))


@sql_rule("share_not_below_last_year")
def share_not_below_last_year_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    shares = list(measure.rule.params["shares"])
    return {
        "parts": [pair["part"] for pair in shares],
        "wholes": [pair["whole"] for pair in shares],
        "return_code": catalog.indicator(shares[0]["part"]).return_code,
    }


@sql_text("share_not_below_last_year")
def share_not_below_last_year_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return fmt.pct(present(row["metric"]))
