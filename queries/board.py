"""The leaders' questions: which of the eighteen measures are on track, and who is lagging?

A StatusBook judges every measure for every year once (from the warehouse as it is now); the functions
below answer one question each from it. Pages cache the book by warehouse version, so a page run does not
judge anything twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb

from pipeline.catalog import Catalog, Chapter, Measure, load_catalog
from pipeline.registry import Registry, Unit, load_registry
from pipeline.status.anomalies import Anomaly, find_anomalies
from pipeline.status.context import RuleContext
from pipeline.status.engine import evaluate
from pipeline.status.model import NO_DATA, PROVINCE_SCOPE, STATUSES, MeasureResult, MeasureStatus


@dataclass(frozen=True)
class Scope:
    """Which units a reader may see. None means all (the federation's own staff); a 填报单位 account later
    gets only its own unit, applied here in the query layer rather than in widgets."""

    unit_codes: frozenset[str] | None = None

    def allows(self, unit_code: str) -> bool:
        return self.unit_codes is None or unit_code in self.unit_codes or unit_code == PROVINCE_SCOPE


ALL_UNITS = Scope()


@dataclass
class StatusBook:
    catalog: Catalog
    registry: Registry
    context: RuleContext
    results: dict[tuple[int, int], MeasureResult]
    years: list[int]
    anomalies: list[Anomaly] = field(default_factory=list)

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection, *, catalog: Catalog | None = None,
                       registry: Registry | None = None) -> StatusBook:
        catalog, registry = catalog or load_catalog(), registry or load_registry()
        ctx = RuleContext.from_warehouse(con, catalog, registry)
        return cls.from_context(ctx)

    @classmethod
    def from_context(cls, ctx: RuleContext) -> StatusBook:
        years = ctx.years
        return cls(ctx.catalog, ctx.registry, ctx, evaluate(ctx, years), years, find_anomalies(ctx))

    def result(self, measure: int, year: int) -> MeasureResult | None:
        return self.results.get((measure, year))

    @property
    def latest_year(self) -> int | None:
        return self.years[-1] if self.years else None


@dataclass(frozen=True)
class Tile:
    """One measure on the leaders' board."""

    measure: Measure
    status: str
    metric_text: str
    summary: str
    previous_status: str | None  # last year's status, for the trend
    trend: str  # "较上年好转" / "较上年下滑" / "与上年持平" / "" (baseline year)
    incomplete: str  # e.g. "2个单位未报送" when the measure's returns are incomplete this year
    note: str


@dataclass(frozen=True)
class Board:
    year: int
    chapters: tuple[tuple[Chapter, tuple[Tile, ...]], ...]
    counts: dict[str, int]  # 达标/预警/未达标/无数据 -> number of measures

    @property
    def tiles(self) -> tuple[Tile, ...]:
        return tuple(tile for _, tiles in self.chapters for tile in tiles)


def _trend(current: str, previous: str | None) -> str:
    order = {"未达标": 0, "预警": 1, "达标": 2}
    if previous is None or current not in order or previous not in order:
        return ""
    if order[current] > order[previous]:
        return "较上年好转"
    if order[current] < order[previous]:
        return "较上年下滑"
    return "与上年持平"


def _tile(book: StatusBook, measure: Measure, year: int) -> Tile:
    result = book.result(measure.number, year)
    previous = book.result(measure.number, year - 1)
    overall = result.overall if result else None
    status = overall.status if overall else NO_DATA
    explanation = overall.explanation if overall else None
    missing = explanation.missing_units if explanation else ()
    return Tile(
        measure=measure, status=status, metric_text=overall.metric_text if overall else "—",
        summary=explanation.summary if explanation else f"{year}年暂无数据。",
        previous_status=previous.overall.status if previous else None,
        trend=_trend(status, previous.overall.status if previous else None),
        incomplete=f"{len(missing)}个单位未报送" if missing else "",
        note=explanation.note if explanation else "",
    )


def measure_board(book: StatusBook, year: int) -> Board:
    """The eighteen measures for a year, grouped by the notice's six chapters, with the status counts."""
    chapters = tuple(
        (chapter, tuple(_tile(book, m, year) for m in book.catalog.measures_of_chapter(chapter.number)))
        for chapter in book.catalog.chapters
    )
    counts = Counter(tile.status for _, tiles in chapters for tile in tiles)
    return Board(year, chapters, {status: counts.get(status, 0) for status in STATUSES})


@dataclass(frozen=True)
class MeasureDetail:
    measure: Measure
    year: int
    overall: MeasureStatus | None
    units: tuple[MeasureStatus, ...]  # per-unit statuses this year, worst first, within scope
    history: tuple[MeasureStatus, ...]  # the overall status in every year
    anomalies: tuple[Anomaly, ...]  # flagged figures of this measure this year


def _worst_first(statuses: tuple[MeasureStatus, ...]) -> tuple[MeasureStatus, ...]:
    order = {"未达标": 0, "预警": 1, "无数据": 2, "达标": 3}
    return tuple(sorted(statuses, key=lambda s: (order[s.status], s.metric if s.metric is not None else 0)))


def measure_detail(book: StatusBook, measure: int, year: int, *, scope: Scope = ALL_UNITS) -> MeasureDetail:
    result = book.result(measure, year)
    units = tuple(s for s in result.units if scope.allows(s.unit_code)) if result else ()
    history = tuple(book.results[(measure, y)].overall for y in book.years if (measure, y) in book.results)
    anomalies = tuple(
        a for a in book.anomalies
        if a.year == year and book.catalog.indicator(a.indicator).measure == measure and scope.allows(a.unit_code)
    )
    return MeasureDetail(book.catalog.measure(measure), year, result.overall if result else None,
                         _worst_first(units), history, anomalies)


@dataclass(frozen=True)
class UnitProfile:
    unit: Unit
    year: int
    statuses: tuple[MeasureStatus, ...]  # this unit's status on every measure judged per unit, this year
    history: dict[int, tuple[MeasureStatus, ...]]  # measure -> this unit's status in every year
    counties: tuple[Unit, ...]  # for a city, its counties
    anomalies: tuple[Anomaly, ...]


def unit_profile(book: StatusBook, unit_code: str, year: int, *, scope: Scope = ALL_UNITS) -> UnitProfile | None:
    """One unit across all measures and years; None when the scope does not allow it."""
    if not scope.allows(unit_code) or unit_code not in book.registry:
        return None
    unit = book.registry.get(unit_code)

    def own(measure: int, y: int) -> MeasureStatus | None:
        result = book.result(measure, y)
        return next((s for s in result.units if s.unit_code == unit_code), None) if result else None

    statuses = tuple(s for m in book.catalog.measures if (s := own(m.number, year)) is not None)
    history = {
        m.number: tuple(s for y in book.years if (s := own(m.number, y)) is not None) for m in book.catalog.measures
    }
    counties = book.registry.counties_of(unit_code) if unit.type == "city" else ()
    anomalies = tuple(a for a in book.anomalies if a.unit_code == unit_code and a.year == year)
    return UnitProfile(unit, year, statuses, {m: h for m, h in history.items() if h}, counties, anomalies)
