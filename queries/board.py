"""The leaders' questions: which of the eighteen measures are on track, and who is lagging?

A StatusBook judges every measure for every year once (from the warehouse as it is now); the functions
below answer one question each from it. Pages cache the book by warehouse version, so a page run does not
judge anything twice.

Two judgements sit in a book. `results` are the rule functions' verdicts with their explanations, judged per measure
and year as a page shows them (the board's two years, a measure's page). `marks` are the same statuses without
explanations, judged in SQL for every unit and year at once (pipeline/status/compact.py), each with its key figure as
shown: what a question about many years or many measures needs and nothing more — the colour of every bar of a chart,
a measure's 历年状态 on its page, a unit's status history on all eighteen measures, the statuses a settings change
would move.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipeline.catalog import CANNOT_JUDGE, Catalog, Chapter, Measure, load_catalog
from pipeline.registry import Registry, Unit, load_registry
from pipeline.status.anomalies import Anomaly, find_anomalies
from pipeline.status.compact import Marks, StatusMark
from pipeline.status.context import RuleContext
from pipeline.status.engine import judge
from pipeline.status.model import (
    EXPLANATION_LABELS,
    NO_DATA,
    PROVINCE_SCOPE,
    SEVERITY,
    STATUSES,
    MeasureResult,
    MeasureStatus,
    SourceRef,
)
from pipeline.status.rules_common import plain_pct
from pipeline.validate import reading_of
from queries.scope import ALL_UNITS, OutOfScope, Scope, scope_free


class Results(Mapping[tuple[int, int], MeasureResult]):
    """{(measure number, year): MeasureResult} for every measure and year, each judged the first time it is asked
    for. The board shows a year and the one before it, a measure's page that measure in the year it explains (its
    history over the years is the compact marks); at 100× the demo (ten times the units and the years) judging
    everything up front made the first visitor after an upload wait about a minute for statuses nobody opened.
    Shared by every session of a cached book: each is judged once, under a lock."""

    def __init__(self, ctx: RuleContext, years: list[int]) -> None:
        self._ctx = ctx
        self._years = tuple(years)
        self._measures = {m.number: m for m in ctx.catalog.measures}
        self._judged: dict[tuple[int, int], MeasureResult] = {}
        self._lock = threading.Lock()

    @property
    def judged_years(self) -> tuple[int, ...]:
        """The years with any measure judged so far, in order."""
        return tuple(sorted({year for _, year in self._judged}))

    def judged_measures(self, year: int) -> tuple[int, ...]:
        """The measures judged so far for a year, in catalog order."""
        return tuple(number for number in self._measures if (number, year) in self._judged)

    def __getitem__(self, key: tuple[int, int]) -> MeasureResult:
        result = self._judged.get(key)
        if result is not None:
            return result
        if key not in self:
            raise KeyError(key)
        with self._lock:
            result = self._judged.get(key)
            if result is None:
                result = judge(self._ctx, self._measures[key[0]], key[1])
                self._judged[key] = result
        return result

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and key[1] in self._years and key[0] in self._measures

    def __iter__(self) -> Iterator[tuple[int, int]]:
        # The order judging every year up front gave: year by year, each year's measures in catalog order.
        return ((number, year) for year in self._years for number in self._measures)

    def __len__(self) -> int:
        return len(self._years) * len(self._measures)


@dataclass
class StatusBook:
    catalog: Catalog
    registry: Registry
    context: RuleContext
    results: Mapping[tuple[int, int], MeasureResult]
    years: list[int]
    marks: Marks
    _anomalies: list[Anomaly] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_warehouse(
        cls, con: duckdb.DuckDBPyConnection, *, catalog: Catalog | None = None, registry: Registry | None = None
    ) -> StatusBook:
        catalog, registry = catalog or load_catalog(), registry or load_registry()
        ctx = RuleContext.from_warehouse(con, catalog, registry)
        return cls.from_context(ctx)

    @classmethod
    def from_context(cls, ctx: RuleContext) -> StatusBook:
        years = ctx.years
        return cls(ctx.catalog, ctx.registry, ctx, Results(ctx, years), years, Marks(ctx))

    @property
    def anomalies(self) -> list[Anomaly]:
        """Every flagged figure of every year, found the first time a page asks (the board does not)."""
        if self._anomalies is None:
            self._anomalies = find_anomalies(self.context)  # found twice at worst when two sessions ask at once
        return self._anomalies

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
    incomplete: str  # e.g. "2个单位未报送，按未满足计": who is missing and how the rule kind counts them
    note: str
    metric_name: str = ""  # what the key figure is, e.g. 会费收缴率: a figure never stands bare on a tile
    target: str = ""  # the bar it is measured against, e.g. "达标线 95%"

    @property
    def key_figure(self) -> str:
        """The key figure with its name: "会费收缴率 95.6%"; "" when the tile shows words, not a figure ("—",
        "尚未召开", "未报送"), which need no name."""
        if not any(ch.isdigit() for ch in self.metric_text):
            return ""
        return f"{self.metric_name} {self.metric_text}".strip()


@dataclass(frozen=True)
class Board:
    year: int
    chapters: tuple[tuple[Chapter, tuple[Tile, ...]], ...]
    counts: dict[str, int]  # 达标/预警/未达标/未到期/无数据 -> number of measures

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
    policy = book.catalog.missing_policy(measure.rule.kind)
    incomplete = f"{len(missing)}个单位未报送" if missing else ""
    if incomplete and policy != CANNOT_JUDGE:
        incomplete += f"，{policy}"
    return Tile(
        measure=measure,
        status=status,
        metric_text=overall.metric_text if overall else "—",
        summary=explanation.summary if explanation else f"{year}年暂无数据。",
        previous_status=previous.overall.status if previous else None,
        trend=_trend(status, previous.overall.status if previous else None),
        incomplete=incomplete,
        note=explanation.note if explanation else "",
        metric_name=explanation.metric_name if explanation else measure.rule.metric_name,
        target=target_text(book, measure),
    )


def target_text(book: StatusBook, measure: Measure) -> str:
    """The bar a measure's key figure is held to, in a few words from the catalog: "达标线 95%", "达标线 1.0"."""
    rule, kind = measure.rule, measure.rule.kind
    params, thresholds = rule.params, rule.thresholds
    if kind == "parity":
        return f"达标线 {thresholds['green']:.1f}"
    if "green" in thresholds:
        return f"达标线 {plain_pct(thresholds['green'])}"
    if kind == "inspection_window":
        unit = book.catalog.indicator(params["scores"][0]).unit
        return f"达标线 {thresholds['mean_score']:g}{unit}，整改率{plain_pct(thresholds['rectification'])}"
    if kind == "min_each":
        unit = book.catalog.indicator(params["indicators"][0]).unit
        return f"达标线 每项≥{thresholds['minimum']:g}{unit}"
    if kind in ("every_unit", "held_all_reported"):
        return f"达标线 {len(book.registry.of_type(params['expected_units']))}个全部"
    if kind == "window_held":
        return f"达标线 每{params['window_years']}年1次"
    if kind == "share_rising":
        return "达标线 100%或较上年上升"
    return "达标线 不低于上年"


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
    # The province-wide status in every year, or a scoped reader's own statuses: compact (status and key figure as
    # shown, no explanation), so the page judges only the year it explains.
    history: tuple[StatusMark, ...]
    anomalies: tuple[Anomaly, ...]  # flagged figures of this measure this year


def _worst_first(statuses: tuple[MeasureStatus, ...]) -> tuple[MeasureStatus, ...]:
    return tuple(sorted(statuses, key=lambda s: (SEVERITY[s.status], s.metric if s.metric is not None else 0)))


def measure_detail(book: StatusBook, measure: int, year: int, *, scope: Scope = ALL_UNITS) -> MeasureDetail:
    """The measure this year. For a scoped reader (a 填报单位) the province-wide verdict and its history are left out,
    since their explanations name other units: `overall` is None and `history` is the reader's own statuses."""
    result = book.result(measure, year)
    units = tuple(s for s in result.units if scope.allows(s.unit_code)) if result else ()
    # Every year's status and key figure from the compact marks: only the year shown is judged with explanations.
    marks = book.marks
    history = marks.overall_marks(measure) if scope.everything else marks.unit_marks(measure, scope.allows)
    anomalies = tuple(
        a
        for a in book.anomalies
        if a.year == year and book.catalog.indicator(a.indicator).measure == measure and scope.allows(a.unit_code)
    )
    overall = result.overall if result and scope.everything else None
    return MeasureDetail(book.catalog.measure(measure), year, overall, _worst_first(units), history, anomalies)


@dataclass(frozen=True)
class UnitProfile:
    unit: Unit
    year: int
    statuses: tuple[MeasureStatus, ...]  # this unit's status on every measure judged per unit, this year
    history: dict[int, tuple[StatusMark, ...]]  # measure -> this unit's status in every year (compact: no explanation)
    counties: tuple[Unit, ...]  # for a city, its counties
    anomalies: tuple[Anomaly, ...]


def unit_profile(book: StatusBook, unit_code: str, year: int, *, scope: Scope = ALL_UNITS) -> UnitProfile | None:
    """One unit across all measures and years; None for a code the registry does not know, OutOfScope for a unit
    outside the reader's scope."""
    if not scope.allows(unit_code):
        raise OutOfScope(scope.refusal("其他单位的落实情况"))
    if unit_code not in book.registry:
        return None
    unit = book.registry.get(unit_code)

    def own(measure: int, y: int) -> MeasureStatus | None:
        result = book.result(measure, y)
        return next((s for s in result.units if s.unit_code == unit_code), None) if result else None

    statuses = tuple(s for m in book.catalog.measures if (s := own(m.number, year)) is not None)
    # Eighteen measures in every year: the compact statuses, not eighteen times the years of explanations.
    history = book.marks.of_unit(unit_code)
    counties = book.registry.counties_of(unit_code) if unit.type == "city" else ()
    anomalies = tuple(a for a in book.anomalies if a.unit_code == unit_code and a.year == year)
    return UnitProfile(unit, year, statuses, history, counties, anomalies)


# --- what the measure-detail and projector pages show, as plain tables ----------------------------------

NO_REMARK = "（未填写说明）"
LEVEL_NAMES = {"unit": "本级", "county": "县（区）明细", "inspected_unit": "被督查单位"}
# A per-unit key figure reads "97.3%", "75.4分", "1,243.0万元", "2/2项" or "1.16"; anything else ("满足",
# "联席会议次数：0次") is a yes/no judgement that a bar cannot show.
_FIGURE = re.compile(r"^-?[\d,]+(?:\.\d+)?(?:/[\d,]+)?(?P<unit>[^\d\s/:：]*)$")


@scope_free
def measure_labels(catalog: Catalog) -> dict[int, str]:
    """Selector labels: 第5条　经费收支管理与会费收缴."""
    return {m.number: f"第{m.number}条　{m.short_name}" for m in catalog.measures}


def _name(registry: Registry, code: str) -> str:
    return registry.get(code).short_name if code in registry else code


def measure_unit_table(book: StatusBook, measure: int, year: int, *, scope: Scope = ALL_UNITS) -> pd.DataFrame:
    """One row per unit judged on the measure this year, worst first: unit_code, unit_name, status, metric,
    metric_text, summary. Empty for measures judged only province-wide."""
    rows = [
        {
            "unit_code": s.unit_code,
            "unit_name": _name(book.registry, s.unit_code),
            "status": s.status,
            "metric": s.metric,
            "metric_text": s.metric_text,
            "summary": s.explanation.summary,
        }
        for s in measure_detail(book, measure, year, scope=scope).units
    ]
    columns = ["unit_code", "unit_name", "status", "metric", "metric_text", "summary"]
    return pd.DataFrame(rows, columns=columns).astype({"metric": "float64"})


@dataclass(frozen=True)
class UnitMetric:
    """What the per-unit key figure of a measure is, for a chart axis."""

    name: str  # e.g. 会费收缴率
    unit: str  # "%", "分", "万元", "项" or "" (a plain ratio such as 1.12)

    @property
    def percent(self) -> bool:
        return self.unit == "%"

    @property
    def axis_title(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name

    def chart_title(self, measure: int, year: int) -> str:
        """The title of the measure-detail chart of every unit's figure, said here rather than in the page."""
        return f"{year}年各单位{self.name}（第{measure}条）"


def unit_metric(book: StatusBook, measure: int, year: int) -> UnitMetric | None:
    """The per-unit key figure when it is a number a bar can show; None for yes/no judgements or no figures."""
    result = book.result(measure, year)
    figures = [s for s in (result.units if result else ()) if s.metric is not None]
    matches = [_FIGURE.match(s.metric_text) for s in figures]
    if not figures or not all(matches):
        return None
    units = {m["unit"] for m in matches}
    if len(units) != 1:
        return None
    return UnitMetric(figures[0].explanation.metric_name, units.pop())


@scope_free
def measure_indicators(catalog: Catalog, measure: int) -> pd.DataFrame:
    """The measure's indicators: name, unit, return (the return and its name), level (填报层级)."""
    rows = [
        {
            "name": i.name,
            "unit": i.unit,
            "return": f"{i.return_code} {catalog.returns[i.return_code].name}",
            "level": LEVEL_NAMES.get(i.level, i.level),
        }
        for i in catalog.measure(measure).indicators
    ]
    return pd.DataFrame(rows, columns=["name", "unit", "return", "level"])


def _entity_owner(registry: Registry, entity_code: str) -> str:
    """A county's figures belong to its city for scoping; any other entity to itself."""
    if entity_code in registry and registry.get(entity_code).type == "county":
        return registry.get(entity_code).parent or entity_code
    return entity_code


def _source_allowed(book: StatusBook, scope: Scope, ref: SourceRef) -> bool:
    return scope.allows(ref.unit_code) and scope.allows(_entity_owner(book.registry, ref.entity_code))


def _readings(book: StatusBook, refs: list[SourceRef]) -> dict[tuple[int, str, str], str]:
    """(submission, sheet, cell) -> how the cell's text was read, for the cells whose reading changed what they say:
    "填写的是“1.5万”，按 15000 读入". The warehouse keeps each cell as typed; reading it again with the validator's
    own parser gives the very hint the submitter had at upload."""
    wanted = {(r.submission_id, r.sheet, r.cell) for r in refs}
    typed = book.context.store.of_submissions({r.submission_id for r in refs})
    readings = {}
    for row in typed.itertuples(index=False):
        key = (int(row.submission_id), row.sheet, row.cell)
        if key not in wanted or row.indicator not in book.catalog.indicators or not isinstance(row.raw_text, str):
            continue
        reading = reading_of(book.catalog.indicator(row.indicator), row.raw_text, int(row.year))
        if reading:
            readings[key] = f"填写的是“{row.raw_text}”，{reading}"
    return readings


def measure_sources(book: StatusBook, measure: int, year: int, *, scope: Scope = ALL_UNITS) -> pd.DataFrame:
    """Every submitted cell the measure's status relies on this year: unit_name (who submitted), entity_name
    (the unit or county the figure is about), indicator_name, value_text, reading (how a converted cell was read,
    "" for the rest), file_name, sheet, cell."""
    result = book.result(measure, year)
    statuses = (result.overall, *result.units) if result else ()
    refs = dict.fromkeys(ref for s in statuses for ref in s.explanation.sources if _source_allowed(book, scope, ref))
    readings = _readings(book, list(refs))
    rows = [
        {
            "unit_name": _name(book.registry, r.unit_code),
            "entity_name": _name(book.registry, r.entity_code),
            "indicator_name": r.indicator_name,
            "value_text": r.value_text,
            "reading": readings.get((r.submission_id, r.sheet, r.cell), ""),
            "file_name": r.file_name,
            "sheet": r.sheet,
            "cell": r.cell,
        }
        for r in refs
    ]
    columns = ["unit_name", "entity_name", "indicator_name", "value_text", "reading", "file_name", "sheet", "cell"]
    return pd.DataFrame(rows, columns=columns)


def measure_anomalies(book: StatusBook, measure: int, year: int, *, scope: Scope = ALL_UNITS) -> pd.DataFrame:
    """The measure's flagged figures this year with the submitter's 说明 beside each: unit_name, entity_name,
    indicator_name, change_text, remark (NO_REMARK when none was given), location (file／sheet!cell)."""
    rows = [
        {
            "unit_name": _name(book.registry, a.unit_code),
            "entity_name": _name(book.registry, a.entity_code),
            "indicator_name": a.indicator_name,
            "change_text": a.change_text,
            "remark": a.remark or NO_REMARK,
            "location": a.source.location() if a.source else "",
        }
        for a in measure_detail(book, measure, year, scope=scope).anomalies
    ]
    columns = ["unit_name", "entity_name", "indicator_name", "change_text", "remark", "location"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class FamilyScreen:
    """One screen of the projector mode: a chart family's measures as tiles."""

    code: str  # coverage, funding, inspections, cadres, mechanisms
    name: str  # 组织覆盖 …
    tiles: tuple[Tile, ...]

    @property
    def measures_text(self) -> str:
        """The measure numbers with runs shortened: 1、2、11–15、18."""
        return number_runs([t.measure.number for t in self.tiles])


def number_runs(numbers: list[int]) -> str:
    """[1, 2, 11, 12, 13, 14, 15, 18] -> "1、2、11–15、18": runs of four or more joined by a dash."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) >= 4 else "、".join(map(str, r)) for r in runs]
    return "、".join(parts)


def family_screens(book: StatusBook, year: int) -> tuple[FamilyScreen, ...]:
    """The catalog's chart families in order, each with its measures' tiles for the year."""
    tiles = {t.measure.number: t for t in measure_board(book, year).tiles}
    return tuple(
        FamilyScreen(code, family.name, tuple(tiles[n] for n in family.measures))
        for code, family in book.catalog.chart_families.items()
    )


# --- the status engine's verdicts beside a chart's figures ----------------------------------------------------

STATUS_COLUMN = "status"


def unit_statuses(book: StatusBook, measure: int, year: int) -> dict[str, str]:
    """unit_code -> the status engine's verdict on the unit for the measure that year; empty when the measure is
    judged only province-wide or has no result that year. A chart colours every year it shows: the compact
    statuses answer (the same verdicts as the explained results, without judging each year's explanations)."""
    return book.marks.units(measure, year)


MISSING_COLUMN = "missing_label"  # why a judged unit's row has no figures: NOT_SUBMITTED or NOT_INSPECTED
NOT_SUBMITTED, NOT_INSPECTED = "未报送", "未督查"
INSPECTION_RULE_KINDS = frozenset({"inspection_window"})  # figures come from the inspectors, not the unit


def missing_label(book: StatusBook, measure: int) -> str:
    """The word a chart, a CSV or a slide prints for a judged unit without figures: 未督查 where the figures are the
    inspectors' (第9条), 未报送 where the unit sends them itself."""
    return NOT_INSPECTED if book.catalog.measure(measure).rule.kind in INSPECTION_RULE_KINDS else NOT_SUBMITTED


def with_judged_units(book: StatusBook, measure: int, frame: pd.DataFrame) -> pd.DataFrame:
    """A per-unit series frame with a row for every unit the engine judged in each of the frame's years, so a
    chart shows the same units as the measure's explanation and detail page. A judged unit the frame lacks gets a
    row with its registry name and type, no figures (NaN) and, in MISSING_COLUMN, 未报送 (未督查 for inspections);
    rows with figures have "" there. Added rows follow the frame's own, in registry-code order. A frame without
    unit_code (the province's own figures by year) is returned as it is. Returns a new frame."""
    if "unit_code" not in frame.columns:
        return frame
    word = missing_label(book, measure)
    present = set(zip(frame["year"].astype(int), frame["unit_code"].astype(str), strict=True))
    years = sorted({year for year, _ in present})
    added = []
    for year in years:
        for code in sorted(unit_statuses(book, measure, year)):
            if (year, code) in present or code == PROVINCE_SCOPE or code not in book.registry:
                continue
            unit = book.registry.get(code)
            added.append({"year": year, "unit_code": code, "unit_name": unit.short_name, "unit_type": unit.type})
    out = frame.assign(**{MISSING_COLUMN: pd.Series("", index=frame.index, dtype="object")})
    if not added:
        return out
    extra = pd.DataFrame(added).assign(**{MISSING_COLUMN: word})
    extra = extra[[c for c in extra.columns if c in out.columns]]
    combined = pd.concat([out, extra], ignore_index=True)
    combined["year"] = combined["year"].astype(frame["year"].dtype)
    return combined


def with_statuses(book: StatusBook, measure: int, frame: pd.DataFrame) -> pd.DataFrame:
    """A series frame with a STATUS_COLUMN holding the engine's verdict on each row, so that a chart, a CSV or a
    slide colours a bar by the very status the board shows and never grades the figure again.

    A row per unit takes that unit's status in its year; a row per year (no unit_code: the province's own figures,
    M4 and M10) takes the measure's overall status that year. A unit or year the engine did not judge reads 无数据.
    Returns a new frame: a cached series is never changed in place."""
    years = sorted({int(y) for y in frame["year"]}) if not frame.empty else []
    if "unit_code" in frame.columns:
        by_year = {y: unit_statuses(book, measure, y) for y in years}
        statuses = [
            by_year[int(y)].get(code, NO_DATA) for y, code in zip(frame["year"], frame["unit_code"], strict=True)
        ]
    else:
        overall = {y: book.marks.overall(measure, y) or NO_DATA for y in years}
        statuses = [overall[int(y)] for y in frame["year"]]
    return frame.assign(**{STATUS_COLUMN: pd.Series(statuses, index=frame.index, dtype="object")})


# --- an explanation in labelled parts: the same words on screen, in the CLI and in the documents ----------------


@dataclass(frozen=True)
class ExplanationPart:
    field: str  # the Explanation field it shows ("value_text" is the metric with its value)
    label: str  # its Chinese label, from EXPLANATION_LABELS
    text: str


def explanation_parts(status: MeasureStatus) -> tuple[ExplanationPart, ...]:
    """The text parts of a status's explanation in reading order, each under its EXPLANATION_LABELS label: key
    figure, formula, threshold and rule always (— when the rule has none), then the summary, and the note and the
    missing units when there are any. Laggards, sources and remarks are lists, shown by each medium in its own way
    under their labels."""
    e = status.explanation
    texts = {
        "value_text": f"{e.metric_name} {e.value_text or status.metric_text}".strip(),
        "formula": e.formula or "—",
        "threshold": e.threshold or "—",
        "rule": e.rule or "—",
        "summary": e.summary,
        "note": e.note,
        "missing_units": f"{'、'.join(e.missing_units)}（共{len(e.missing_units)}个）" if e.missing_units else "",
    }
    return tuple(ExplanationPart(field, EXPLANATION_LABELS[field], text) for field, text in texts.items() if text)
