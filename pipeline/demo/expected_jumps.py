"""Which demo returns are told about a year-over-year jump when loaded, for the manifest's expected_warnings.

Loading compares each accepted return with the current figures of the same unit's return of the year before
(pipeline/jumps.py). The demo is loaded one year folder after the other, so that return is the latest accepted
file of the previous year: the 更正版 of a resubmitted return, never its 第1版. The figures compared are the
manifest's, which record what each file loads.
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog import Catalog
from pipeline.jumps import YEAR_OVER_YEAR_JUMP, jumped
from pipeline.registry import Registry

Entry = dict[str, Any]


def _figures(entry: Entry, catalog: Catalog, registry: Registry) -> dict[tuple[str, str], float]:
    """(indicator, entity) -> number, for the unit's own figures and its counties' rows."""
    figures = {(code, entry["unit_code"]): value for code, value in entry["values"].items()}
    for table_code, rows in entry["records"].items():
        if catalog.tables[table_code].level != "county":
            continue
        for row in rows:
            county = registry.resolve(row["key"], types={"county"}, parent=entry["unit_code"]).unit
            if county is not None:
                figures.update(
                    {(code, county.code): value for code, value in row.items() if code not in ("key", "remark")}
                )
    return {key: float(v) for key, v in figures.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _current_entries(files: list[Entry]) -> dict[tuple[Any, str, int], Entry]:
    """The accepted file that is current for each (unit, return, year): the latest filed, the later version on a tie."""
    current: dict[tuple[Any, str, int], Entry] = {}
    for entry in files:
        if entry["expected_outcome"] == "rejected":
            continue
        key = (entry["unit_code"], entry["return_code"], entry["year"])
        known = current.get(key)
        if known is None or (entry["filled_on"], entry["version"]) > (known["filled_on"], known["version"]):
            current[key] = entry
    return current


def add_jump_warnings(files: list[Entry], catalog: Catalog, registry: Registry) -> None:
    """Add year_over_year_jump to the expected warnings (and outcome) of each accepted file that will get one."""
    current = _current_entries(files)
    for entry in files:
        previous = current.get((entry["unit_code"], entry["return_code"], entry["year"] - 1))
        if entry["expected_outcome"] == "rejected" or previous is None:
            continue
        if jumped(_figures(entry, catalog, registry), _figures(previous, catalog, registry), catalog):
            entry["expected_warnings"] = sorted({*entry["expected_warnings"], YEAR_OVER_YEAR_JUMP})
            entry["expected_outcome"] = "accepted_with_warnings"
