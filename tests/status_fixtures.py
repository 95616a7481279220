"""Hand-built inputs for the status rules: a few figures a reader can check by eye, no warehouse needed."""

from __future__ import annotations

import zlib

import pandas as pd

from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.status.context import RuleContext

FACT_COLUMNS = [
    "year",
    "measure",
    "indicator",
    "return_code",
    "unit_code",
    "entity_code",
    "row_no",
    "value_num",
    "value_bool",
    "value_date",
    "value_text",
    "raw_text",
    "remark",
    "submission_id",
    "file_name",
    "sheet",
    "cell",
]


def fact(
    year: int,
    indicator: str,
    value,
    *,
    unit: str,
    entity: str | None = None,
    row_no: int = 0,
    remark: str | None = None,
    cell: str = "D10",
) -> dict:
    """One current figure. `value` may be a number, a bool, a date or text; the column follows its type."""
    catalog = load_catalog()
    ind = catalog.indicator(indicator)
    row = dict.fromkeys(FACT_COLUMNS)
    row.update(
        year=year,
        measure=ind.measure,
        indicator=indicator,
        return_code=ind.return_code,
        unit_code=unit,
        entity_code=entity or unit,
        row_no=row_no,
        raw_text=str(value),
        remark=remark,
        submission_id=zlib.crc32(f"{year}{ind.return_code}{unit}".encode()) % 100_000,
        file_name=f"{year}_{ind.return_code}_{unit}.xlsx",
        sheet=ind.table,
        cell=cell,
    )
    column = {"bool": "value_bool", "date": "value_date", "text": "value_text"}.get(ind.type, "value_num")
    row[column] = float(value) if column == "value_num" else value
    return row


def context(facts: list[dict], reporters: dict[tuple[str, int], list[str]] | None = None) -> RuleContext:
    """A RuleContext over the given figures. `reporters` maps (return code, year) to the units that filed
    a current return; by default every unit that has a figure counts as having filed."""
    frame = pd.DataFrame(facts, columns=FACT_COLUMNS)
    if reporters is None:
        pairs = {(f["return_code"], f["year"], f["unit_code"]) for f in facts}
    else:
        pairs = {(code, year, unit) for (code, year), units in reporters.items() for unit in units}
    coverage = pd.DataFrame(
        [
            {
                "unit_code": u,
                "year": y,
                "return_code": r,
                "submission_id": 1,
                "file_name": "",
                "received_at": None,
                "filled_on": None,
            }
            for r, y, u in sorted(pairs)
        ],
        columns=["unit_code", "year", "return_code", "submission_id", "file_name", "received_at", "filled_on"],
    )
    return RuleContext(load_catalog(), load_registry(), frame, coverage)
