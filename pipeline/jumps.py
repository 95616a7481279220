"""Year-over-year jumps at upload: a figure that changed implausibly since last year, told before anyone reads a status.

The anomaly scan (pipeline/status/anomalies.py) flags such figures on the measure-detail page, after loading. A
return that drops 所属基层工会数 from 438 to 60 deserves a word the moment it arrives, in the upload result, the CLI
and the annotated workbook, with last year's figure and the unit's 说明. The rule, the bounds (the catalog's
reporting.anomaly where set, else the scan's defaults) and the wording of the change are the scan's own: this
module only compares the return in hand with the current figures of the year before in the warehouse.

A jump is a warning: the file is accepted, and the submitter is asked to check the figure or explain it.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from operator import attrgetter

import duckdb

from pipeline.catalog import Catalog
from pipeline.issues import WARNING, Issue
from pipeline.registry import Registry
from pipeline.status.anomalies import FLOORS, SERIES_LEVELS, bounds, change_text, is_anomalous
from pipeline.validated import ValidatedReturn, ValueRow

YEAR_OVER_YEAR_JUMP = "year_over_year_jump"
FIX_WITH_REMARK = "单位已在“说明”栏作了说明，本次照常接收；如数字有误，请更正后重新报送"
FIX_WITHOUT_REMARK = "请核对这个数；如确属实，请在“说明”栏写明原因（本次照常接收）；如有误，请更正后重新报送"

Figures = Mapping[tuple[str, str], float]  # (indicator code, entity code) -> value


# The followed indicators of the catalog last asked about: every return of a batch asks about the same catalog.
_FOLLOWED: tuple[weakref.ref[Catalog], frozenset[str]] | None = None


def series_indicators(catalog: Catalog) -> frozenset[str]:
    """The indicators the anomaly scan follows from year to year (counts, amounts, scores of a unit or county)."""
    global _FOLLOWED
    kept = _FOLLOWED
    if kept is not None and kept[0]() is catalog:
        return kept[1]
    followed = frozenset(
        code for code, ind in catalog.indicators.items() if ind.type in FLOORS and ind.level in SERIES_LEVELS
    )
    _FOLLOWED = (weakref.ref(catalog), followed)
    return followed


# The catalog last asked about, its ratio and the floor of each followed indicator: every return of a batch asks.
_FLOORS: tuple[weakref.ref[Catalog], float, dict[str, float]] | None = None


def _followed_floors(catalog: Catalog) -> tuple[float, dict[str, float]]:
    """(ratio, followed indicator -> its floor): the scan's bounds, looked up per figure without the catalog."""
    global _FLOORS
    kept = _FLOORS
    if kept is not None and kept[0]() is catalog:
        return kept[1], kept[2]
    ratio, floors = bounds(catalog)
    by_code = {code: floors[catalog.indicator(code).type] for code in series_indicators(catalog)}
    _FLOORS = (weakref.ref(catalog), ratio, by_code)
    return ratio, by_code


def jumped(current: Figures, previous: Figures, catalog: Catalog) -> list[tuple[str, str]]:
    """The (indicator, entity) keys of `current` whose change since `previous` the anomaly scan would flag."""
    ratio, floors = _followed_floors(catalog)
    return [
        key
        for key, now in current.items()
        if key in previous
        and (floor := floors.get(key[0])) is not None
        and is_anomalous(previous[key], now, ratio, floor)
    ]


_ROW_NO = attrgetter("row_no")


def _this_year(
    validated: ValidatedReturn, among: Figures | None = None, followed: Mapping[str, float] | None = None
) -> dict[tuple[str, str], ValueRow]:
    """The return's figure per (indicator, entity): the first row, as the scan takes it; with `among`, only of the
    keys it holds, and with `followed`, only of the indicators it holds (the others are left out before the pick,
    which is per key, so the picks are the same)."""
    rows: dict[tuple[str, str], ValueRow] = {}
    for row in sorted(validated.values, key=_ROW_NO):
        if row.value_num is not None and (followed is None or row.indicator in followed):
            key = (row.indicator, row.entity_code)
            if among is None or key in among:
                rows.setdefault(key, row)
    return rows


def _last_year(con: duckdb.DuckDBPyConnection, validated: ValidatedReturn, entities: list[str]) -> dict:
    """The current figures of the year before for the same entities, from the same kind of return."""
    found = con.execute(
        "SELECT indicator, entity_code, value_num FROM current_values "
        "WHERE year = $year AND return_code = $return_code AND value_num IS NOT NULL "
        "AND list_contains($entities, entity_code) ORDER BY row_no",
        {"year": validated.year - 1, "return_code": validated.return_code, "entities": entities},
    ).fetchall()
    previous: dict[tuple[str, str], float] = {}
    for indicator, entity, value in found:
        previous.setdefault((indicator, entity), float(value))
    return previous


def year_over_year_jumps(
    con: duckdb.DuckDBPyConnection, validated: ValidatedReturn, catalog: Catalog, registry: Registry
) -> list[Issue]:
    """A warning for each figure of an accepted return that changed implausibly since the year before's current
    figure of the same entity (the unit, or a county of a city's return)."""
    # A rejected file loads nothing; its figures are compared when it comes back corrected, its errors first.
    if not validated.accepted or validated.year is None or validated.return_code is None:
        return []
    rows = _this_year(validated)
    if not rows:
        return []
    previous = _last_year(con, validated, sorted({entity for _, entity in rows}))
    return jump_issues(validated, previous, catalog, registry)


def jump_issues(validated: ValidatedReturn, previous: Figures, catalog: Catalog, registry: Registry) -> list[Issue]:
    """year_over_year_jumps' warnings, given the year before's current figures of the return's entities (each the
    first in row order, as _last_year reads them): a batch that holds those figures in memory asks no database."""
    # A figure without one the year before cannot jump, nor one of an indicator the scan does not follow.
    rows = _this_year(validated, among=previous, followed=_followed_floors(catalog)[1])
    current = {key: float(row.value_num) for key, row in rows.items() if row.value_num is not None}
    return [
        _issue(rows[key], previous[key], validated, catalog, registry) for key in jumped(current, previous, catalog)
    ]


def _issue(row: ValueRow, before: float, validated: ValidatedReturn, catalog: Catalog, registry: Registry) -> Issue:
    indicator = catalog.indicator(row.indicator)
    now = float(row.value_num or 0.0)
    subject = ""
    if row.entity_code != validated.unit_code and row.entity_code in registry:
        subject = f"（{registry.get(row.entity_code).short_name}）"
    change = change_text(before, now, indicator.unit)
    message = f"“{indicator.name}”{subject}与上年（{validated.year - 1}年）相比{change}"
    if row.remark:
        message += f"；单位的说明：{row.remark}"
    return Issue(
        WARNING,
        YEAR_OVER_YEAR_JUMP,
        message,
        FIX_WITH_REMARK if row.remark else FIX_WITHOUT_REMARK,
        validated.file_name,
        row.sheet,
        row.cell,
        row.raw_text,
        indicator=indicator.name,
    )
