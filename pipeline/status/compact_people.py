"""How the people rule kinds' SQL (pipeline/sql/status/<kind>.sql) is parameterised from a measure's catalog entry.

One function per rule kind, registered with @sql_rule(kind), returning the kind's own parameters; compact.py adds
those every query may use (status words, baseline year, tolerance, the province's code, the missing-unit policy).
Every threshold and indicator code comes from the catalog here: the SQL never spells one. Beside each, registered with
@sql_text(kind), how a compact row reads as the rule function's metric_text.
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog import Catalog, Measure
from pipeline.status import format as fmt
from pipeline.status.compact import Row, present, sql_rule, sql_text


@sql_rule("parity")
def parity_params(catalog: Catalog, measure: Measure) -> dict[str, Any]:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    return_code = catalog.indicator(params["unit_numerator"]).return_code
    return {
        "numerator": params["unit_numerator"],
        "denominator": params["unit_denominator"],
        "reference_numerator": params["reference_numerator"],
        "reference_denominator": params["reference_denominator"],
        "green": float(thresholds["green"]),
        "amber": None if thresholds.get("amber") is None else float(thresholds["amber"]),
        "return_code": return_code,
        "submitted_by": catalog.returns[return_code].submitted_by,
    }


@sql_text("parity")
def parity_text(catalog: Catalog, measure: Measure, row: Row) -> str:
    return fmt.ratio_text(present(row["metric"]))  # the index, as judge_parity shows it
