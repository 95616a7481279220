"""Statuses without their explanations, for every unit and every year at once, judged in SQL.

The rule functions (rules_*.py) judge one measure in one year and write the explanation a leader reads: the formula
with its figures, the laggards, the source cells. That is the right work for what a screen or a document shows, and
far too much for a question such as "this unit's status on every measure in every year" (单位画像's history) or "the
colour of every bar of a chart over ten years": at 100× the demo, judging every measure of every year that way takes
about ten seconds and most of a gigabyte.

So each rule kind is also written as one SQL query (pipeline/sql/status/<kind>.sql) over the current figures, for all
units and years at once. It returns compact rows, (year, unit_code, status, metric), the same statuses and key figures
the rule function gives (tests/test_status_compact.py holds the two to each other on the demo warehouse and on
thousands of altered copies of it). Thresholds and parameters come from the catalog and are bound as parameters,
never formatted into the SQL.

Each row also gets its metric_text, the key figure as the rule function shows it ("8/8", "86.3%", "2022年11月17日"),
so a measure's history over the years needs no explanation judged. A query returns, beside the four columns, the few
figures its text needs (a meeting date, how many units are expected, which checks failed ...); the kind's text function
(registered with @sql_text in compact_<module>.py) makes the words in Python from them, through the same formatter the
rule function uses, so the two cannot drift. Chinese words never appear in the SQL.

What a query reads, named on the fact store's connection (see facts.sql_over and RuleContext.set_inputs):
- status_figures: the value columns of every current figure (the measure_facts mart; records tables have several rows
  per entity);
- first_figures(codes): the first current row of each (indicator, year, entity) of these indicators, the row the rule
  functions read (a table macro over status_figures);
- status_years(year): the years judged (RuleContext.years);
- status_units(code, type, parent, position): the registry, in its order;
- status_coverage(return_code, year, unit_code): who filed a current return of each type in each year;
- the macros of pipeline/sql/status/_shared.sql (units of a type each year, who filed, grading).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.catalog import COUNT_AS_UNMET, NUMERIC_TYPES, Catalog, Measure
from pipeline.status.context import RuleContext
from pipeline.status.model import AT_RISK, NO_DATA, NOT_DUE, OFF_TRACK, ON_TRACK, PROVINCE_SCOPE
from pipeline.status.rules_common import (
    NOT_REPORTED,
    TOLERANCE,  # a value exactly at a threshold meets it, as in the rules
)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql" / "status"
COLUMNS = ["measure", "year", "unit_code", "status", "metric", "metric_text"]
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")

ParamsOf = Callable[[Catalog, Measure], dict[str, Any]]
PARAMS: dict[str, ParamsOf] = {}
# A compact row as its kind's text function reads it: the query's columns by name, a missing value as None.
Row = Mapping[str, Any]
TextOf = Callable[[Catalog, Measure, Row], str]
TEXTS: dict[str, TextOf] = {}


def sql_rule(kind: str) -> Callable[[ParamsOf], ParamsOf]:
    """Register how a rule kind's query is parameterised from a measure's catalog entry; the query is
    pipeline/sql/status/<kind>.sql."""

    def register(function: ParamsOf) -> ParamsOf:
        PARAMS[kind] = function
        return function

    return register


def sql_text(kind: str) -> Callable[[TextOf], TextOf]:
    """Register how a rule kind's compact row reads as the rule function's metric_text."""

    def register(function: TextOf) -> TextOf:
        TEXTS[kind] = function
        return function

    return register


@dataclass(frozen=True)
class StatusMark:
    """One compact status: a unit's (or the province-wide, unit_code P00) status on a measure in a year."""

    measure: int
    year: int
    unit_code: str
    status: str
    metric: float | None
    metric_text: str = ""  # the key figure as the rule function shows it ("" for a mark made without one)


def typed_codes(catalog: Catalog, codes: list[str], types: set[str] | frozenset[str], column: str) -> list[str]:
    """The indicator codes, checked to be of these types: a query reads their values from `column`, the column of
    their type, and would read nulls from any other (a catalog edit must fail loudly here, not judge on nothing)."""
    for code in codes:
        if catalog.indicator(code).type not in types:
            raise ValueError(f"指标 {code} 的类型不是{'、'.join(sorted(types))}，状态查询无法按 {column} 读取")
    return list(codes)


def numeric_codes(catalog: Catalog, codes: list[str]) -> list[str]:
    """typed_codes for numbers (read from value_num)."""
    return typed_codes(catalog, codes, NUMERIC_TYPES, "value_num")


def _load_kinds() -> None:
    # Imported for their @sql_rule registrations (one module per rules_* module).
    from pipeline.status import compact_funding, compact_meetings, compact_organisation, compact_people  # noqa: F401


@functools.cache
def kind_sql(kind: str) -> str:
    """A rule kind's query, read once per process (a book asks for eighteen)."""
    return (SQL_DIR / f"{kind}.sql").read_text(encoding="utf-8")


def common_params(catalog: Catalog, measure: Measure, registry_province: str) -> dict[str, Any]:
    """What every query may ask for: the status words (model.py says them, not the SQL), the baseline year, the
    tolerance, the province's registry code, and how a unit that did not report counts for this rule kind."""
    return {
        "on_track": ON_TRACK,
        "at_risk": AT_RISK,
        "off_track": OFF_TRACK,
        "not_due": NOT_DUE,
        "no_data": NO_DATA,
        "province_scope": PROVINCE_SCOPE,
        "province": registry_province,
        "baseline": catalog.reporting.baseline_year,
        "tolerance": TOLERANCE,
        "missing_unmet": catalog.missing_policy(measure.rule.kind) == COUNT_AS_UNMET,
    }


def bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the query names (DuckDB refuses any it does not use)."""
    names = set(_PARAMETER.findall(_COMMENT.sub("", sql)))  # a comment may name a parameter in passing
    missing = names - params.keys()
    if missing:
        raise KeyError(f"status query needs parameters not given: {sorted(missing)}")
    return {name: params[name] for name in names}


def measure_marks(ctx: RuleContext, measure: Measure) -> pd.DataFrame:
    """One measure's compact statuses for every judged year: one row per unit the rule judges and one province-wide
    row (P00) per year, ordered by year then the registry (P00 first)."""
    if not ctx.years:
        return pd.DataFrame(columns=COLUMNS)
    _load_kinds()
    kind = measure.rule.kind
    sql = kind_sql(kind)
    params = {**common_params(ctx.catalog, measure, ctx.registry.province().code), **PARAMS[kind](ctx.catalog, measure)}
    rows = ctx.store.sql_over(ctx.set_inputs, sql, bound(sql, params))
    rows.insert(0, "measure", measure.number)
    text_of = TEXTS[kind]
    rows["metric_text"] = [text_of(ctx.catalog, measure, row) for row in _plain_rows(rows)]
    return rows[COLUMNS]


def _plain_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts with None for every missing value (pandas gives NaN, NaT or None by column type). Built a
    column at a time: at 100× the demo a measure has thousands of rows."""
    names = list(rows.columns)
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*map(_plain_values, (rows[n] for n in names)), strict=True)
    ]


def _plain_values(column: pd.Series) -> list[Any]:
    values = column.tolist()
    missing = column.isna()  # per element; a list in a cell (failed checks) is not missing
    if not missing.any():
        return values
    return [None if gone else value for value, gone in zip(values, missing.tolist(), strict=True)]


def present(value: object) -> float | None:
    """A compact row's number (metric or count) as the rule functions hold it: a float, or None."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def unless_unfiled(row: Row, text: str) -> str:
    """A unit's text, or 未报送 for a unit that filed no current return (the `unfiled` column) where the rule kind
    cites the missing return (Judging.not_reported with cite_return)."""
    return NOT_REPORTED if row["unfiled"] else text


class Marks:
    """A book's compact statuses, one measure at a time: each measure's query runs for every year and unit the first
    time anything asks about the measure, and is kept with the book (a few thousand rows at 100× the demo). Shared by
    every session of a cached book, under a lock."""

    def __init__(self, ctx: RuleContext) -> None:
        self._ctx = ctx
        self._measures = {m.number: m for m in ctx.catalog.measures}
        self._rows: dict[int, pd.DataFrame] = {}
        self._by_year: dict[int, dict[int, tuple[str | None, dict[str, str]]]] = {}
        self._lock = threading.Lock()

    def of(self, number: int) -> pd.DataFrame:
        """Every compact status of a measure (see measure_marks)."""
        rows = self._rows.get(number)
        if rows is None:
            with self._lock:
                rows = self._rows.get(number)
                if rows is None:
                    rows = measure_marks(self._ctx, self._measures[number])
                    self._rows[number] = rows
                    if len(self._rows) == len(self._measures):  # every measure is in: the queries' table can go
                        self._ctx.store.release_status_figures()
        return rows

    def _years(self, number: int) -> dict[int, tuple[str | None, dict[str, str]]]:
        by_year = self._by_year.get(number)
        if by_year is None:
            by_year = {}
            rows = self.of(number)
            for year, unit_code, status in zip(rows["year"], rows["unit_code"], rows["status"], strict=True):
                _, units = by_year.setdefault(int(year), (None, {}))
                if unit_code == PROVINCE_SCOPE:
                    by_year[int(year)] = (status, units)
                else:
                    units[unit_code] = status
            self._by_year[number] = by_year  # made twice at worst when two sessions ask at once: the same answer
        return by_year

    def overall(self, number: int, year: int) -> str | None:
        """The measure's province-wide status in a year; None for a year not judged."""
        found = self._years(number).get(int(year))
        return None if found is None else found[0]

    def units(self, number: int, year: int) -> dict[str, str]:
        """unit_code -> status of every unit judged on the measure in a year (the province-wide row left out)."""
        found = self._years(number).get(int(year))
        return {} if found is None else found[1]

    def of_unit(self, unit_code: str) -> dict[int, tuple[StatusMark, ...]]:
        """measure -> the unit's compact statuses year by year, for every measure that judges the unit."""
        found = {}
        for number in self._measures:
            rows = self.of(number)
            rows = rows[rows["unit_code"] == unit_code] if unit_code != PROVINCE_SCOPE else rows.iloc[0:0]
            if len(rows):
                found[number] = _marks(rows)
        return found

    def overall_marks(self, number: int) -> tuple[StatusMark, ...]:
        """The measure's province-wide compact status in every judged year, with its key figure as shown."""
        rows = self.of(number)
        return _marks(rows[rows["unit_code"] == PROVINCE_SCOPE])

    def unit_marks(self, number: int, keep: Callable[[str], bool]) -> tuple[StatusMark, ...]:
        """The compact statuses of the units `keep` allows on a measure, year by year (each year in the registry's
        order, as the rule function lists its units)."""
        rows = self.of(number)
        units = rows["unit_code"]
        return _marks(rows[(units != PROVINCE_SCOPE) & units.map(keep).astype(bool)])


def _marks(rows: pd.DataFrame) -> tuple[StatusMark, ...]:
    columns = (rows[name] for name in COLUMNS)
    return tuple(
        StatusMark(int(number), int(year), unit_code, status, None if pd.isna(metric) else float(metric), text)
        for number, year, unit_code, status, metric, text in zip(*columns, strict=True)
    )
