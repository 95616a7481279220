"""Helpers every rule module shares, so all eighteen measures are judged and explained the same way: reading a
figure with the cell it came from, grading against the catalog's thresholds and saying them in words, building
statuses with their evidence, naming the laggards, and the sentences of a summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.catalog import COUNT_AS_UNMET, Catalog, Measure
from pipeline.registry import Unit
from pipeline.status import format as fmt
from pipeline.status.context import VALUE_COLUMN, RuleContext
from pipeline.status.model import (
    AT_RISK,
    NO_DATA,
    NOT_DUE,
    OFF_TRACK,
    ON_TRACK,
    SEVERITY,
    Explanation,
    Laggard,
    MeasureStatus,
    Remark,
    SourceRef,
)

NOT_REPORTED = "未报送"
# Figures are decimal entries held as binary floats (1198.9 ÷ 1262, 8 ÷ 10): a value exactly at a threshold
# must meet it.
TOLERANCE = 1e-9
# How a registry unit type reads in a sentence ("8个省级产业工会", "12个市级总工会").
UNIT_LABELS = {"province": "省总工会", "city": "市级总工会", "county": "县（区）总工会", "industry": "省级产业工会"}
# Indicator names of sub-items start with this; it reads oddly inside a formula.
SUB_ITEM_PREFIX = "其中："
Inputs = dict[str, float | str | None]
# How a laggard's figure reads when its metric_text alone would not say enough.
Shown = Callable[[MeasureStatus], str]


def unit_label(unit_type: str) -> str:
    return UNIT_LABELS.get(unit_type, "单位")


def indicator_return(ctx: RuleContext, indicator: str) -> str:
    return ctx.catalog.indicator(indicator).return_code


# -- thresholds -----------------------------------------------------------------------------------------


def meets(value: float, threshold: float) -> bool:
    """A value exactly at a threshold meets it."""
    return value >= threshold - TOLERANCE


def grade(value: float, thresholds: dict[str, float]) -> str:
    """达标 at or above green, 预警 at or above amber (when the catalog sets one), else 未达标."""
    if meets(value, thresholds["green"]):
        return ON_TRACK
    amber = thresholds.get("amber")
    return AT_RISK if amber is not None and meets(value, amber) else OFF_TRACK


def plain_pct(ratio: float) -> str:
    """A threshold as people say it: 0.95 -> "95%", 0.875 -> "87.5%"."""
    return f"{round(ratio * 100, 6):g}%"


def threshold_words(thresholds: dict[str, float], show: Callable[[float], str] = plain_pct) -> str:
    """The thresholds in words, from the catalog: "≥95% 达标，≥85% 预警，否则未达标"."""
    parts = [f"≥{show(thresholds['green'])} 达标"]
    if thresholds.get("amber") is not None:
        parts.append(f"≥{show(thresholds['amber'])} 预警")
    return "，".join([*parts, "否则未达标"])


def shortfall(status: str, thresholds: dict[str, float], show: Callable[[float], str]) -> str:
    """The verdict clause of a one-unit summary: "达标" / "低于95%，为预警" / "低于85%，未达标"."""
    if status == ON_TRACK:
        return "达标"
    if status == AT_RISK:
        return f"低于{show(thresholds['green'])}，为预警"
    return f"低于{show(thresholds.get('amber', thresholds['green']))}，未达标"


# -- figures --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One current figure with its value (typed by the indicator), how it reads, where it came from."""

    indicator: str
    value: Any
    text: str
    source: SourceRef
    remark: Remark | None


def typed_value(ctx: RuleContext, indicator: str, row: Mapping) -> object | None:
    """The value of a mart row in the column its indicator type uses (the other columns hold nulls)."""
    kind = ctx.catalog.indicator(indicator).type
    cell = row[VALUE_COLUMN.get(kind, "value_num")]
    if cell is None or pd.isna(cell):
        return None
    if kind == "date":
        return pd.Timestamp(cell).date()
    if kind == "bool":
        return bool(cell)
    return str(cell) if kind == "text" else float(cell)


def show(ctx: RuleContext, indicator: str, value: object | None) -> str:
    """A value as it reads: "2024年3月5日", "是", "1,234.5万元"."""
    return figure_text(ctx.catalog, indicator, value)


def figure_text(catalog: Catalog, indicator: str, value: object | None) -> str:
    """show() from the catalog alone, for the compact statuses, which have no RuleContext."""
    found = catalog.indicator(indicator)
    if value is None:
        return "—"
    if found.type == "date":
        return fmt.day(value)  # type: ignore[arg-type]
    if found.type == "bool":
        return "是" if value else "否"
    if found.type == "text":
        return str(value)
    return fmt.number(float(value), found.unit)  # type: ignore[arg-type]  # as RuleContext.fmt_indicator


def source_of_row(ctx: RuleContext, row: Mapping, value_text: str) -> SourceRef:
    """The submitted cell behind one mart row."""
    indicator = str(row["indicator"])
    return SourceRef(
        unit_code=str(row["unit_code"]),
        entity_code=str(row["entity_code"]),
        indicator=indicator,
        indicator_name=ctx.catalog.indicator(indicator).name,
        value_text=value_text,
        submission_id=int(row["submission_id"]),
        file_name=str(row["file_name"]),
        sheet=str(row["sheet"]),
        cell=str(row["cell"]),
    )


def figure_of_row(ctx: RuleContext, row: Mapping) -> Figure | None:
    indicator = str(row["indicator"])
    value = typed_value(ctx, indicator, row)
    if value is None:
        return None
    text = show(ctx, indicator, value)
    note = row["remark"]
    remark = None if note is None or pd.isna(note) else Remark(str(row["entity_code"]), indicator, str(note))
    return Figure(indicator, value, text, source_of_row(ctx, row, text), remark)


def figure(ctx: RuleContext, indicator: str, year: int, entity: str) -> Figure | None:
    """The current figure of an indicator for a unit (or county) in a year, or None when absent or blank."""
    # Rules ask for the same figure several times (a unit's own status, the province's sum, last year's comparison):
    # each is read and formatted once per book. Figures are immutable, so sharing them is safe.
    key = (indicator, year, entity)
    if key in ctx.figure_memo:
        return ctx.figure_memo[key]
    row = ctx.first_row(indicator, year, entity)  # an indexed lookup: rules ask this thousands of times
    found = None if row is None else figure_of_row(ctx, row)
    ctx.figure_memo[key] = found
    return found


def as_number(value: object) -> float | None:
    if value is None or isinstance(value, str) or pd.isna(value):
        return None
    return float(value)


def value_of(ctx: RuleContext, indicator: str, year: int, entity: str) -> float | None:
    """The current value of a numeric indicator, or None."""
    return as_number(ctx.value(indicator, year, entity))


def item_name(ctx: RuleContext, indicator: str) -> str:
    """An indicator's name as it reads inside a formula (without "其中：")."""
    return ctx.catalog.indicator(indicator).name.removeprefix(SUB_ITEM_PREFIX)


def show_figure(ctx: RuleContext, indicator: str, value: float | None, suffix: str = "") -> str:
    """ "实收会费 88.2万元" (or "实收会费合计 779.2万元" with suffix 合计)."""
    return f"{item_name(ctx, indicator)}{suffix} {ctx.fmt_indicator(indicator, value)}"


# -- evidence -------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """The submitted cells and 说明 behind a status."""

    sources: list[SourceRef] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    # (entity, text) of every remark held: add_remark shows a 说明 once per entity without scanning the list.
    _remarked: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False, compare=False)
    _indexed: int = field(default=0, init=False, repr=False, compare=False)  # remarks already in _remarked

    @classmethod
    def of(cls, figures: Iterable[Figure | None]) -> Evidence:
        """Every figure read, in order (absent ones skipped)."""
        found = [f for f in figures if f is not None]
        return cls([f.source for f in found], [f.remark for f in found if f.remark is not None])

    def add(self, ctx: RuleContext, indicator: str, year: int, entity: str, value_text: str | None = None) -> None:
        shown = value_text or ctx.fmt_indicator(indicator, value_of(ctx, indicator, year, entity))
        source = ctx.source(indicator, year, entity, shown)
        if source is not None:
            self.sources.append(source)
            self.add_remark(entity, indicator, ctx.remark(indicator, year, entity))

    def add_row(self, ctx: RuleContext, row: Mapping) -> None:
        """One row of a records table (several rows may describe the same entity)."""
        shown = ctx.fmt_indicator(row["indicator"], as_number(row["value_num"]))
        self.sources.append(source_of_row(ctx, row, shown))
        self.add_remark(row["entity_code"], row["indicator"], row["remark"])

    def add_remark(self, entity: str, indicator: str, text: object) -> None:
        # A records row's 说明 is stored beside each of its figures: show it once per entity.
        if not isinstance(text, str) or not text:
            return
        self._remarked.update((r.unit_code, r.text) for r in self.remarks[self._indexed :])
        if (entity, text) not in self._remarked:
            self._remarked.add((entity, text))
            self.remarks.append(Remark(entity, indicator, text))
        self._indexed = len(self.remarks)

    def merge(self, other: Evidence) -> Evidence:
        return self._absorb([(other.sources, other.remarks)])

    def extend(self, statuses: Iterable[MeasureStatus]) -> Evidence:
        # Dedupe: a figure shared by every unit (the organ's own rate in M17) is listed once.
        return self._absorb((s.explanation.sources, s.explanation.remarks) for s in statuses)

    def _absorb(self, parts: Iterable[tuple[Sequence[SourceRef], Sequence[Remark]]]) -> Evidence:
        """Append each part's sources and remarks not already held before that part (a set lookup, not a scan of
        the list: the province-wide row of a per-unit measure gathers every unit's cells)."""
        sources, remarks = set(self.sources), set(self.remarks)
        for part_sources, part_remarks in parts:
            new_sources = [s for s in part_sources if s not in sources]
            new_remarks = [r for r in part_remarks if r not in remarks]
            self.sources += new_sources
            self.remarks += new_remarks
            sources.update(new_sources)
            remarks.update(new_remarks)
        return self


# -- statuses -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judging:
    """One measure in one year: builds its statuses with the measure's reading, metric name and threshold words."""

    ctx: RuleContext
    measure: Measure
    year: int
    threshold: str
    name: str = ""  # the metric name of the rows when not the catalog's rule.metric_name
    cite_return: bool = False  # a unit that did not report: name the return it missed and list it as missing

    @property
    def metric_name(self) -> str:
        return self.name or self.measure.rule.metric_name

    @property
    def at_baseline(self) -> bool:
        """The baseline year (or before) has no last year to compare with."""
        return self.year <= self.ctx.catalog.reporting.baseline_year

    def status(
        self,
        unit_code: str,
        status: str,
        metric: float | None,
        metric_text: str,
        summary: str,
        evidence: Evidence | None = None,
        inputs: Inputs | None = None,
        **fields: Any,
    ) -> MeasureStatus:
        """`fields` are further Explanation fields (formula, note, laggards, missing_units) or overrides of
        value_text (by default metric_text when there is a metric), metric_name and threshold."""
        evidence = evidence or Evidence()
        explanation = Explanation(
            metric_name=fields.pop("metric_name", self.metric_name),
            value_text=fields.pop("value_text", metric_text if metric is not None else ""),
            formula=fields.pop("formula", ""),
            threshold=fields.pop("threshold", self.threshold),
            rule=self.measure.rule.reading,
            summary=summary,
            sources=tuple(evidence.sources),
            remarks=tuple(evidence.remarks),
            **fields,
        )
        number = self.measure.number
        return MeasureStatus(number, self.year, unit_code, status, metric, metric_text, explanation, inputs or {})

    @property
    def missing_policy(self) -> str:
        """How a unit that did not report counts for this measure's rule kind (the catalog's rule_kinds)."""
        return self.ctx.catalog.missing_policy(self.measure.rule.kind)

    @property
    def counts_missing_as_unmet(self) -> bool:
        return self.missing_policy == COUNT_AS_UNMET

    def missing_note(self, missing: Iterable[str]) -> str:
        """“1个单位未报送，按未满足计” — the policy said wherever a figure leaves units out."""
        count = len(list(missing))
        return f"{count}个单位未报送，{self.missing_policy}" if count else ""

    def no_data(self, unit_code: str, note: str, summary: str, **fields: Any) -> MeasureStatus:
        return self.status(unit_code, NO_DATA, None, "—", summary, note=note, **fields)

    def not_reported(self, unit: Unit, return_code: str) -> MeasureStatus:
        """The row of a unit that filed no current return for the year."""
        if not self.cite_return:
            return self.no_data(unit.code, NOT_REPORTED, self.said(unit, NOT_REPORTED))
        summary = self.said(unit, NOT_REPORTED + self.ctx.catalog.returns[return_code].name)
        missing = (unit.short_name,)
        return self.status(unit.code, NO_DATA, None, NOT_REPORTED, summary, note=NOT_REPORTED, missing_units=missing)

    def each(
        self, return_code: str, judge_one: Callable[[Unit], MeasureStatus], units: Iterable[Unit] | None = None
    ) -> tuple[MeasureStatus, ...]:
        """One status per unit (by default every unit expected to file `return_code`); a unit that did not file
        the return is 无数据 未报送."""
        reported = self.ctx.reporters(return_code, self.year)
        units = self.ctx.expected_units(return_code) if units is None else units
        return tuple(judge_one(u) if u.code in reported else self.not_reported(u, return_code) for u in units)

    def split(self, return_code: str, units: Iterable[MeasureStatus]) -> tuple[list[MeasureStatus], list[str]]:
        """The statuses of the units that filed `return_code`, and the codes of the units that did not."""
        reported, units = self.ctx.reporters(return_code, self.year), list(units)
        judged = [s for s in units if s.unit_code in reported]
        return judged, [s.unit_code for s in units if s.unit_code not in reported]

    def behind(
        self, judged: Iterable[MeasureStatus], missing: list[str], shown: Shown | None = None
    ) -> dict[str, tuple]:
        """Who holds a per-unit measure back, as Explanation fields: the laggards (see laggards_of) and the names
        of the units that did not report."""
        names = tuple(self.ctx.unit_name(code) for code in missing)
        return {"laggards": laggards_of(self.ctx, judged, missing, shown), "missing_units": names}

    def said(self, unit: Unit | None, text: str) -> str:
        """A one-line summary: "2024年，省金融工会未报送。"."""
        return f"{self.year}年，{unit.short_name if unit else ''}{text}。"

    def group(self) -> str:
        return unit_label(self.measure.judged_per)


# -- laggards and sentences -----------------------------------------------------------------------------


def laggards_of(
    ctx: RuleContext, statuses: Iterable[MeasureStatus], missing: Iterable[str] = (), shown: Shown | None = None
) -> tuple[Laggard, ...]:
    """Units 未达标 then 预警 (lowest figure first within a status), then the `missing` units (did not report).
    `shown` replaces a unit's metric_text where another figure tells more (e.g. what fell)."""
    behind = sorted(
        (s for s in statuses if s.status in (OFF_TRACK, AT_RISK)),
        key=lambda s: (SEVERITY[s.status], s.metric is None, s.metric or 0.0),
    )
    found = [Laggard(s.unit_code, ctx.unit_name(s.unit_code), s.status, (shown or _metric_text)(s)) for s in behind]
    absent = [Laggard(code, ctx.unit_name(code), NO_DATA, NOT_REPORTED) for code in missing]
    return tuple(found + absent)


def _metric_text(status: MeasureStatus) -> str:
    return status.metric_text


def laggard_clause(laggards: Iterable[Laggard]) -> str:
    """“汉中市（72.7%）为未达标，延安市（92.9%）为预警，商洛市未报送” — empty when nobody lags."""
    laggards = list(laggards)
    parts = []
    for status in (OFF_TRACK, AT_RISK):
        items = [f"{lag.unit_name}（{lag.value_text}）" for lag in laggards if lag.status == status]
        if items:
            parts.append(f"{fmt.names(items)}为{status}")
    for text in dict.fromkeys(lag.value_text for lag in laggards if lag.status == NO_DATA):
        parts.append(
            fmt.names([lag.unit_name for lag in laggards if lag.status == NO_DATA and lag.value_text == text]) + text
        )
    return "，".join(parts)


def sentence(head: str, clause: str) -> str:
    return f"{head}；{clause}。" if clause else f"{head}。"


def _is_not_reported(status: MeasureStatus) -> bool:
    return status.status == NO_DATA and status.explanation.note == NOT_REPORTED


def group_summary(
    j: Judging, met_words: tuple[str, str], units: Sequence[MeasureStatus], laggards: tuple[Laggard, ...]
) -> str:
    """One sentence for a slide, e.g. with met_words ("会费收缴率", "达到95%"):
    2024年，8个省级产业工会中6个会费收缴率达到95%，省国防邮电工会（88.2%）、省金融工会（91.0%）为预警。
    """
    subject, predicate = met_words
    head = f"{j.year}年，{len(units)}个{j.group()}"
    if all(_is_not_reported(s) for s in units):
        return f"{head}均{NOT_REPORTED}。"
    met = sum(s.status == ON_TRACK for s in units)
    if met == len(units):
        return f"{head}{subject}均{predicate}。"
    missing = [j.ctx.unit_name(s.unit_code) for s in units if _is_not_reported(s)]
    unjudged = [j.ctx.unit_name(s.unit_code) for s in units if s.status == NO_DATA and not _is_not_reported(s)]
    clauses = [f"{head}中{met}个{subject}{predicate}", laggard_clause(laggards)]
    clauses += [f"{fmt.names(missing)}未报送"] if missing else []
    clauses += [f"{fmt.names(unjudged)}无法判断"] if unjudged else []
    return "，".join(c for c in clauses if c) + "。"


@dataclass(frozen=True)
class Overview:
    """Per-unit statuses seen together for the province-wide row: who lags (worst first), who did not report with
    the note saying the aggregate leaves them out, and the sentence for a slide (see group_summary)."""

    laggards: tuple[Laggard, ...]
    missing_units: tuple[str, ...]
    note: str
    summary: str

    @classmethod
    def of(
        cls, j: Judging, units: Sequence[MeasureStatus], met_words: tuple[str, str], shown: Shown | None = None
    ) -> Overview:
        laggards = laggards_of(j.ctx, units, shown=shown)
        missing = tuple(j.ctx.unit_name(s.unit_code) for s in units if _is_not_reported(s))
        note = f"{len(missing)}个单位均未报送" if missing and len(missing) == len(units) else j.missing_note(missing)
        return cls(laggards, missing, note, group_summary(j, met_words, units, laggards))

    @property
    def fields(self) -> dict[str, tuple]:
        return {"laggards": self.laggards, "missing_units": self.missing_units}


def joined(*notes: str) -> str:
    return "；".join(n for n in notes if n)


# -- reporting windows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The reporting window holding a year (windows of N years counted from the baseline year) and the years in
    it so far whose province return is missing."""

    start: int
    end: int
    year: int
    unfiled_years: tuple[int, ...]
    unfiled: str  # "2023年督查结果表未报送" or ""

    @classmethod
    def of(cls, ctx: RuleContext, return_code: str, length: int, year: int) -> Window:
        baseline = ctx.catalog.reporting.baseline_year
        start = baseline + (year - baseline) // length * length
        province = ctx.registry.province().code
        unfiled = tuple(y for y in range(start, year + 1) if province not in ctx.reporters(return_code, y))
        title = ctx.catalog.returns[return_code].name
        text = "、".join(f"{y}年" for y in unfiled) + f"{title}未报送" if unfiled else ""
        return cls(start, start + length - 1, year, unfiled, text)

    @property
    def text(self) -> str:
        return f"{self.start}–{self.end}"

    @property
    def is_open(self) -> bool:
        return self.year < self.end

    @property
    def all_unfiled(self) -> bool:
        return len(self.unfiled_years) == self.year - self.start + 1

    @property
    def closes(self) -> str:
        """When the window closes, in words: "窗口期2024–2026，2026年底届满"."""
        return f"窗口期{self.text}，{self.end}年底届满"

    @property
    def pending_status(self) -> str:
        # What is not done yet fails only once the window has closed and every return in it is in; before that it is
        # 未到期 (not due), unless no return of the window has come in at all (then nothing is known: 无数据).
        if self.is_open:
            return NO_DATA if self.all_unfiled else NOT_DUE
        return NO_DATA if self.unfiled else OFF_TRACK
