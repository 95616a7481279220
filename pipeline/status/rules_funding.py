"""Rule kinds about funds and other ratios of two figures.

- ratio (M4, M5, M10, M12, M16): numerator ÷ denominator against the catalog's green (and optional amber)
  threshold. Judged for the province from one value pair (M4), for the province from the sum of all
  inspection records of the year (M10), or per unit with a province-wide Σnumerator ÷ Σdenominator (M5, M12, M16).
- not_lower_than_last_year (M6): each city's budgeted amount must be in the budget and not below last year.
- share_not_below_last_year (M14): the industry unions' shares of awards, training, rest and aid must not fall.

The helpers at the top (grading, threshold words, evidence, per-unit summaries) are shared with rules_people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from pipeline.catalog import Measure
from pipeline.registry import Unit
from pipeline.status import format as fmt
from pipeline.status.context import RuleContext
from pipeline.status.engine import rule
from pipeline.status.model import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    PROVINCE_SCOPE,
    SEVERITY,
    Explanation,
    Laggard,
    MeasureResult,
    MeasureStatus,
    Remark,
    SourceRef,
    worst,
)

# Figures are decimal entries held as binary floats, so 1198.9 ÷ 1262 can land a hair below 0.95;
# a value exactly at a threshold must meet it.
TOLERANCE = 1e-9
NOT_REPORTED = "未报送"
# How a group of judged units is named in a summary sentence.
GROUP_LABELS = {"industry": "省级产业工会", "city": "市（区）总工会"}
# Indicator names of sub-items start with this; it reads oddly inside a formula.
SUB_ITEM_PREFIX = "其中："


# -- shared helpers -------------------------------------------------------------------------------------


def meets(value: float, threshold: float) -> bool:
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


def threshold_words(thresholds: dict[str, float], show: Callable[[float], str]) -> str:
    """"≥95% 达标，≥85% 预警，否则未达标" from the catalog thresholds."""
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


def label(ctx: RuleContext, indicator: str) -> str:
    return ctx.catalog.indicator(indicator).name.removeprefix(SUB_ITEM_PREFIX)


def as_number(value: object) -> float | None:
    if value is None or isinstance(value, str) or pd.isna(value):
        return None
    return float(value)


def figure(ctx: RuleContext, indicator: str, year: int, entity: str) -> float | None:
    return as_number(ctx.value(indicator, year, entity))


def show_figure(ctx: RuleContext, indicator: str, value: float | None) -> str:
    return f"{label(ctx, indicator)} {ctx.fmt_indicator(indicator, value)}"


@dataclass
class Evidence:
    """The submitted cells and 说明 behind a status."""

    sources: list[SourceRef] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)

    def add(self, ctx: RuleContext, indicator: str, year: int, entity: str, value_text: str | None = None) -> None:
        source = ctx.source(indicator, year, entity, value_text)
        if source is None:
            return
        if value_text is None:
            source = replace(source, value_text=ctx.fmt_indicator(indicator, figure(ctx, indicator, year, entity)))
        self.sources.append(source)
        text = ctx.remark(indicator, year, entity)
        if text:
            self.remarks.append(Remark(entity, indicator, text))

    def add_row(self, ctx: RuleContext, row: pd.Series) -> None:
        """One row of a records table (several rows may describe the same entity)."""
        indicator = row["indicator"]
        self.sources.append(SourceRef(
            unit_code=row["unit_code"], entity_code=row["entity_code"], indicator=indicator,
            indicator_name=ctx.catalog.indicator(indicator).name,
            value_text=ctx.fmt_indicator(indicator, as_number(row["value_num"])),
            submission_id=int(row["submission_id"]), file_name=row["file_name"], sheet=row["sheet"], cell=row["cell"],
        ))
        if isinstance(row["remark"], str) and row["remark"]:
            self.remarks.append(Remark(row["entity_code"], indicator, row["remark"]))

    def extend(self, statuses: list[MeasureStatus]) -> None:
        for status in statuses:
            self.sources.extend(status.explanation.sources)
            self.remarks.extend(status.explanation.remarks)


def make_status(measure: Measure, year: int, unit_code: str, status: str, metric: float | None, metric_text: str,
                *, metric_name: str, threshold: str, summary: str, formula: str = "", note: str = "",
                laggards: tuple[Laggard, ...] = (), missing: tuple[str, ...] = (), evidence: Evidence | None = None,
                inputs: dict[str, float | str | None] | None = None) -> MeasureStatus:
    evidence = evidence or Evidence()
    explanation = Explanation(
        metric_name=metric_name, value_text=metric_text if metric is not None else "", formula=formula,
        threshold=threshold, rule=measure.rule.reading, summary=summary, laggards=laggards, missing_units=missing,
        note=note, sources=tuple(evidence.sources), remarks=tuple(evidence.remarks),
    )
    return MeasureStatus(measure.number, year, unit_code, status, metric, metric_text, explanation, inputs or {})


def no_data(measure: Measure, year: int, unit_code: str, note: str, summary: str, *, metric_name: str,
            threshold: str, formula: str = "", evidence: Evidence | None = None,
            inputs: dict[str, float | str | None] | None = None) -> MeasureStatus:
    return make_status(measure, year, unit_code, NO_DATA, None, "—", metric_name=metric_name, threshold=threshold,
                       summary=summary, formula=formula, note=note, evidence=evidence, inputs=inputs)


def laggards_of(ctx: RuleContext, statuses: list[MeasureStatus]) -> tuple[Laggard, ...]:
    """Units at 预警 or 未达标, worst first, lowest figure first within a status."""
    lagging = [s for s in statuses if s.status in (AT_RISK, OFF_TRACK)]
    lagging.sort(key=lambda s: (SEVERITY[s.status], s.metric if s.metric is not None else 0.0))
    return tuple(Laggard(s.unit_code, ctx.unit_name(s.unit_code), s.status, s.metric_text) for s in lagging)


def group_summary(ctx: RuleContext, year: int, group: str, subject: str, predicate: str,
                  statuses: list[MeasureStatus], laggards: tuple[Laggard, ...]) -> str:
    """"2024年，8个省级产业工会中6个会费收缴率达到95%，省国防邮电工会（88.2%）、省金融工会（91.0%）为预警。"."""
    met = sum(s.status == ON_TRACK for s in statuses)
    if met == len(statuses):
        return f"{year}年，{len(statuses)}个{group}{subject}均{predicate}。"
    clauses = [f"{year}年，{len(statuses)}个{group}中{met}个{subject}{predicate}"]
    for status in (OFF_TRACK, AT_RISK):
        items = [f"{lag.unit_name}（{lag.value_text}）" for lag in laggards if lag.status == status]
        if items:
            clauses.append(f"{fmt.names(items)}为{status}")
    for text, word in ((NOT_REPORTED, "未报送"), (None, "无法判断")):
        units = [ctx.unit_name(s.unit_code) for s in statuses
                 if s.status == NO_DATA and (s.explanation.note == NOT_REPORTED) == (text == NOT_REPORTED)]
        if units:
            clauses.append(f"{fmt.names(units)}{word}")
    return "，".join(clauses) + "。"


def missing_note(statuses: list[MeasureStatus]) -> tuple[tuple[str, ...], str]:
    """Names of units that did not report and the note that says the aggregate leaves them out."""
    codes = [s.unit_code for s in statuses if s.status == NO_DATA and s.explanation.note == NOT_REPORTED]
    note = f"{len(codes)}个单位未报送，按已报送单位计算" if codes else ""
    return tuple(codes), note


def judge_each(ctx: RuleContext, measure: Measure, year: int, return_code: str,
               judge_one: Callable[[Unit], MeasureStatus], metric_name: str, threshold: str) -> list[MeasureStatus]:
    """One status per unit expected to file `return_code`; a unit that did not file is 无数据 未报送."""
    reported = ctx.reporters(return_code, year)
    return [
        judge_one(unit) if unit.code in reported else no_data(
            measure, year, unit.code, NOT_REPORTED, f"{year}年，{unit.short_name}{NOT_REPORTED}。",
            metric_name=metric_name, threshold=threshold)
        for unit in ctx.expected_units(return_code)
    ]


# -- ratio ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioSpec:
    numerator: str
    denominator: str
    thresholds: dict[str, float]
    metric_name: str
    threshold: str

    @classmethod
    def of(cls, ctx: RuleContext, measure: Measure) -> RatioSpec:
        params, thresholds = measure.rule.params, measure.rule.thresholds
        numerator, denominator = params["numerator"], params["denominator"]
        name = params.get("metric_name") or f"{label(ctx, numerator)} ÷ {label(ctx, denominator)}"
        return cls(numerator, denominator, thresholds, name, threshold_words(thresholds, plain_pct))


def _ratio_formula(ctx: RuleContext, spec: RatioSpec, num: float | None, den: float | None,
                   ratio: float | None, total: bool = False) -> str:
    suffix = "合计" if total else ""
    num_text = f"{label(ctx, spec.numerator)}{suffix} {ctx.fmt_indicator(spec.numerator, num)}"
    den_text = f"{label(ctx, spec.denominator)}{suffix} {ctx.fmt_indicator(spec.denominator, den)}"
    text = f"{num_text} ÷ {den_text}"
    return text if ratio is None else f"{text} = {fmt.pct(ratio)}"


def _ratio_status(ctx: RuleContext, measure: Measure, spec: RatioSpec, year: int, unit_code: str, subject: str,
                  num: float | None, den: float | None, evidence: Evidence, zero_note: str) -> MeasureStatus:
    """Grade one numerator/denominator pair; a missing figure or a zero denominator is 无数据."""
    inputs = {spec.numerator: num, spec.denominator: den}
    formula = _ratio_formula(ctx, spec, num, den, None)
    for value, code in ((num, spec.numerator), (den, spec.denominator)):
        if value is None:
            note = f"未填报{label(ctx, code)}"
            return no_data(measure, year, unit_code, note, f"{year}年，{subject}{note}，无法计算{spec.metric_name}。",
                           metric_name=spec.metric_name, threshold=spec.threshold, formula=formula,
                           evidence=evidence, inputs=inputs)
    if den == 0:
        return no_data(measure, year, unit_code, zero_note, f"{year}年，{subject}{zero_note}。",
                       metric_name=spec.metric_name, threshold=spec.threshold, formula=formula, evidence=evidence,
                       inputs=inputs)
    ratio = num / den
    status = grade(ratio, spec.thresholds)
    summary = f"{year}年，{subject}{spec.metric_name}{fmt.pct(ratio)}，{shortfall(status, spec.thresholds, plain_pct)}。"
    return make_status(measure, year, unit_code, status, ratio, fmt.pct(ratio), metric_name=spec.metric_name,
                       threshold=spec.threshold, summary=summary,
                       formula=_ratio_formula(ctx, spec, num, den, ratio), evidence=evidence, inputs=inputs)


def _ratio_of_unit(ctx: RuleContext, measure: Measure, spec: RatioSpec, year: int, unit: Unit,
                   subject: str) -> MeasureStatus:
    evidence = Evidence()
    num = figure(ctx, spec.numerator, year, unit.code)
    den = figure(ctx, spec.denominator, year, unit.code)
    for code in (spec.numerator, spec.denominator):
        evidence.add(ctx, code, year, unit.code)
    zero_note = f"当年无{label(ctx, spec.denominator)}，无法计算{spec.metric_name}"
    return _ratio_status(ctx, measure, spec, year, unit.code, subject, num, den, evidence, zero_note)


def _ratio_of_records(ctx: RuleContext, measure: Measure, spec: RatioSpec, year: int) -> MeasureResult:
    """Sum every record of the year (one row per inspection); laggards are the inspected units below green."""
    table = ctx.catalog.tables[ctx.catalog.indicator(spec.numerator).table]
    keys = ["unit_code", "entity_code", "row_no"]
    rows = pd.merge(ctx.figures(spec.numerator, year), ctx.figures(spec.denominator, year), on=keys, how="outer",
                    suffixes=("_num", "_den"))
    province = ctx.registry.province().code
    if rows.empty:
        filed = province in ctx.reporters(table.return_code, year)
        note = f"当年未开展{table.sheet}" if filed else f"{ctx.catalog.returns[table.return_code].name}{NOT_REPORTED}"
        return MeasureResult(no_data(measure, year, PROVINCE_SCOPE, note, f"{year}年{note}。",
                                     metric_name=spec.metric_name, threshold=spec.threshold))
    evidence = Evidence()
    for code in (spec.numerator, spec.denominator):
        for _, row in ctx.figures(code, year).iterrows():
            evidence.add_row(ctx, row)
    rows["num"] = rows["value_num_num"].fillna(0.0)
    rows["den"] = rows["value_num_den"].fillna(0.0)
    per_entity = rows.groupby("entity_code", sort=False)[["num", "den"]].sum()
    entities = [
        make_status(measure, year, code, grade(r.num / r.den, spec.thresholds), r.num / r.den,
                    fmt.pct(r.num / r.den), metric_name=spec.metric_name, threshold=spec.threshold, summary="")
        for code, r in per_entity.iterrows() if r.den > 0
    ]
    laggards = laggards_of(ctx, entities)
    subject = f"{table.sheet}{len(rows)}次（涉及{len(per_entity)}个单位），"
    zero_note = f"当年{table.sheet}{label(ctx, spec.denominator)}为0，无法计算{spec.metric_name}"
    overall = _ratio_status(ctx, measure, spec, year, PROVINCE_SCOPE, subject, float(rows["num"].sum()),
                            float(rows["den"].sum()), evidence, zero_note)
    if laggards:
        items = "、".join(f"{lag.unit_name}（{lag.value_text}）" for lag in laggards)
        summary = overall.explanation.summary.removesuffix("。") + f"；{items}低于{plain_pct(spec.thresholds['green'])}。"
        overall = _replace_explanation(overall, laggards=laggards, summary=summary)
    return MeasureResult(overall)


def _replace_explanation(status: MeasureStatus, **changes: object) -> MeasureStatus:
    return replace(status, explanation=replace(status.explanation, **changes))


def _ratio_per_unit(ctx: RuleContext, measure: Measure, spec: RatioSpec, year: int) -> MeasureResult:
    """Each unit on its own figures; the province on Σnumerator ÷ Σdenominator over the units that reported."""
    return_code = ctx.catalog.indicator(spec.numerator).return_code
    units = judge_each(ctx, measure, year, return_code,
                       lambda unit: _ratio_of_unit(ctx, measure, spec, year, unit, unit.short_name),
                       spec.metric_name, spec.threshold)
    usable = [s for s in units if None not in (s.inputs.get(spec.numerator), s.inputs.get(spec.denominator))]
    missing_codes, note = missing_note(units)
    missing = tuple(ctx.unit_name(code) for code in missing_codes)
    evidence = Evidence()
    evidence.extend(units)
    total_num = sum(s.inputs[spec.numerator] for s in usable)
    total_den = sum(s.inputs[spec.denominator] for s in usable)
    inputs = {spec.numerator: total_num, spec.denominator: total_den, "units_used": float(len(usable))}
    laggards = laggards_of(ctx, units)
    group = GROUP_LABELS.get(measure.judged_per, "单位")
    summary = group_summary(ctx, year, group, spec.metric_name, f"达到{plain_pct(spec.thresholds['green'])}",
                            units, laggards)
    formula = _ratio_formula(ctx, spec, total_num, total_den, None, total=True)
    if not usable or total_den == 0:
        why = "无可用数据" if not usable else f"{label(ctx, spec.denominator)}合计为0"
        overall = make_status(measure, year, PROVINCE_SCOPE, NO_DATA, None, "—", metric_name=spec.metric_name,
                              threshold=spec.threshold, summary=summary, formula=formula if usable else "",
                              note="；".join(filter(None, [why, note])), missing=missing, evidence=evidence,
                              inputs=inputs)
        return MeasureResult(overall, tuple(units))
    ratio = total_num / total_den
    overall = make_status(
        measure, year, PROVINCE_SCOPE, grade(ratio, spec.thresholds), ratio, fmt.pct(ratio),
        metric_name=spec.metric_name, threshold=spec.threshold, summary=summary,
        formula=_ratio_formula(ctx, spec, total_num, total_den, ratio, total=True) + f"（{len(usable)}个单位）",
        note=note, laggards=laggards, missing=missing, evidence=evidence, inputs=inputs,
    )
    return MeasureResult(overall, tuple(units))


@rule("ratio")
def judge_ratio(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    spec = RatioSpec.of(ctx, measure)
    if measure.judged_per != "province":
        return _ratio_per_unit(ctx, measure, spec, year)
    if ctx.catalog.tables[ctx.catalog.indicator(spec.numerator).table].kind == "records":
        return _ratio_of_records(ctx, measure, spec, year)
    province = ctx.registry.province()
    return_code = ctx.catalog.indicator(spec.numerator).return_code
    if province.code not in ctx.reporters(return_code, year):
        return MeasureResult(no_data(measure, year, PROVINCE_SCOPE, NOT_REPORTED, f"{year}年，{province.short_name}"
                                     f"{ctx.catalog.returns[return_code].name}{NOT_REPORTED}。",
                                     metric_name=spec.metric_name, threshold=spec.threshold))
    status = _ratio_of_unit(ctx, measure, spec, year, province, "")
    return MeasureResult(status)
