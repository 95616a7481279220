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
        return cls(numerator, denominator, thresholds, measure.rule.metric_name, threshold_words(thresholds, plain_pct))


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


# -- not_lower_than_last_year ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetSpec:
    amounts: tuple[str, ...]
    included_when: str
    metric_name: str
    threshold: str
    county_flags: tuple[str, ...]  # the measure's county yes/no indicators: supporting detail only

    @classmethod
    def of(cls, ctx: RuleContext, measure: Measure) -> BudgetSpec:
        params = measure.rule.params
        amounts = tuple(params["amounts"])
        flags = tuple(i.code for i in measure.indicators if i.level == "county" and i.type == "bool")
        return cls(amounts, params["included_when_positive"], measure.rule.metric_name,
                   ctx.catalog.rule_kinds.get(measure.rule.kind, ""), flags)

    def total(self, ctx: RuleContext, year: int, code: str) -> float | None:
        values = [figure(ctx, amount, year, code) for amount in self.amounts]
        known = [v for v in values if v is not None]
        return sum(known) if known else None


def _county_detail(ctx: RuleContext, spec: BudgetSpec, year: int, city: str, evidence: Evidence
                   ) -> tuple[str, dict[str, float]]:
    """"所辖13个县（区）中9个已将产业工会经费纳入本级预算" — shown beside the city's own figure."""
    counties = ctx.registry.counties_of(city)
    if not counties or not spec.county_flags:
        return "", {}
    flag = spec.county_flags[0]
    answers = {c.code: ctx.value(flag, year, c.code) for c in counties}
    yes = sum(1 for value in answers.values() if value is not None and bool(value))
    blank = sum(1 for value in answers.values() if value is None)
    for code, value in answers.items():
        if value is not None:
            evidence.add(ctx, flag, year, code, "是" if bool(value) else "否")
    name = ctx.catalog.indicator(flag).name
    what = f"已{name.removeprefix('是否')}" if name.startswith("是否") else f"{name}为“是”"
    text = f"所辖{len(counties)}个县（区）中{yes}个{what}" + (f"（{blank}个未填报）" if blank else "")
    return text, {"counties_included": float(yes), "counties_total": float(len(counties))}


def _budget_of_city(ctx: RuleContext, measure: Measure, spec: BudgetSpec, year: int, city: Unit) -> MeasureStatus:
    evidence = Evidence()
    amount = spec.total(ctx, year, city.code)
    flag = figure(ctx, spec.included_when, year, city.code)
    for code in spec.amounts:
        evidence.add(ctx, code, year, city.code)
    county_text, county_inputs = _county_detail(ctx, spec, year, city.code, evidence)
    formula = " + ".join(show_figure(ctx, code, figure(ctx, code, year, city.code)) for code in spec.amounts)
    formula += f" = {ctx.fmt_indicator(spec.amounts[0], amount)}"
    inputs: dict[str, float | str | None] = {"amount": amount, **county_inputs}
    if flag is None or amount is None:
        note = f"未填报{label(ctx, spec.included_when if flag is None else spec.amounts[0])}"
        return no_data(measure, year, city.code, "；".join(filter(None, [note, county_text])),
                       f"{year}年，{city.short_name}{note}。", metric_name=spec.metric_name,
                       threshold=spec.threshold, formula=formula, evidence=evidence, inputs=inputs)
    shown = ctx.fmt_indicator(spec.amounts[0], amount)
    common = {"metric_name": spec.metric_name, "threshold": spec.threshold, "evidence": evidence, "inputs": inputs}
    if flag <= 0:
        return make_status(measure, year, city.code, OFF_TRACK, amount, "未纳入本级预算",
                           summary=f"{year}年，{city.short_name}{label(ctx, spec.included_when)}为0，未纳入本级预算，未达标。",
                           formula=formula, note=county_text, **common)
    baseline = ctx.catalog.reporting.baseline_year
    previous = None if year <= baseline else spec.total(ctx, year - 1, city.code)
    if previous is None:
        why = (f"基线年（{baseline}年）只判断是否纳入预算" if year <= baseline else "上年未报送，只判断是否纳入预算")
        return make_status(measure, year, city.code, ON_TRACK, amount, shown,
                           summary=f"{year}年，{city.short_name}已纳入本级预算（{shown}），达标。", formula=formula,
                           note="；".join(filter(None, [why, county_text])), **common)
    for code in spec.amounts:
        evidence.add(ctx, code, year - 1, city.code)
    inputs["previous_amount"] = previous
    before = ctx.fmt_indicator(spec.amounts[0], previous)
    formula += f"；上年（{year - 1}年）{before}"
    if meets(amount, previous):
        return make_status(measure, year, city.code, ON_TRACK, amount, shown,
                           summary=f"{year}年，{city.short_name}{spec.metric_name} {shown}，不低于{year - 1}年 {before}，达标。",
                           formula=formula, note=county_text, **common)
    text = f"{year}年 {shown}，低于{year - 1}年 {before}"
    return make_status(measure, year, city.code, AT_RISK, amount, text,
                       summary=f"{year}年，{city.short_name}{spec.metric_name}{text}，为预警。", formula=formula,
                       note=county_text, **common)


@rule("not_lower_than_last_year")
def judge_not_lower_than_last_year(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    """Each city: in the budget and not below last year; the province: the worst of the reporting cities."""
    spec = BudgetSpec.of(ctx, measure)
    return_code = ctx.catalog.indicator(spec.included_when).return_code
    units = judge_each(ctx, measure, year, return_code,
                       lambda city: _budget_of_city(ctx, measure, spec, year, city), spec.metric_name, spec.threshold)
    missing_codes, note = missing_note(units)
    laggards = laggards_of(ctx, units)
    evidence = Evidence()
    evidence.extend(units)
    judged = [s for s in units if s.status != NO_DATA]
    total = sum(s.metric for s in judged) if judged else None
    counts = "、".join(f"{status}{sum(s.status == status for s in judged)}个" for status in (ON_TRACK, AT_RISK, OFF_TRACK))
    group = GROUP_LABELS.get(measure.judged_per, "单位")
    summary = group_summary(ctx, year, group, "", "已纳入本级预算且不低于上年" if year > ctx.catalog.reporting.baseline_year
                            else "已纳入本级预算", units, laggards)
    overall = make_status(
        measure, year, PROVINCE_SCOPE, worst([s.status for s in judged]), total,
        ctx.fmt_indicator(spec.amounts[0], total), metric_name=spec.metric_name, threshold=spec.threshold,
        summary=summary, formula=f"{len(judged)}个单位{spec.metric_name} {ctx.fmt_indicator(spec.amounts[0], total)}；{counts}"
        if judged else "", note=note, laggards=laggards, missing=tuple(ctx.unit_name(c) for c in missing_codes),
        evidence=evidence, inputs={"amount": total, "units_judged": float(len(judged))},
    )
    if not judged:
        overall = replace(overall, metric=None, metric_text="—")
    return MeasureResult(overall, tuple(units))


# -- share_not_below_last_year --------------------------------------------------------------------------


def _shares(ctx: RuleContext, pairs: list[dict], year: int, entity: str) -> list[tuple[float | None, ...]]:
    """(part, whole, share) per pair; share is None when the whole is missing or zero."""
    result = []
    for pair in pairs:
        part, whole = figure(ctx, pair["part"], year, entity), figure(ctx, pair["whole"], year, entity)
        share = part / whole if part is not None and whole else None
        result.append((part, whole, share))
    return result


@rule("share_not_below_last_year")
def judge_share_not_below_last_year(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    """Each share (part ÷ whole) this year against last year: none lower 达标, some lower 预警, all lower 未达标."""
    pairs = list(measure.rule.params["shares"])
    metric_name = measure.rule.metric_name
    threshold = ctx.catalog.rule_kinds.get(measure.rule.kind, "")
    province = ctx.registry.province()
    return_code = ctx.catalog.indicator(pairs[0]["part"]).return_code
    common = {"metric_name": metric_name, "threshold": threshold}
    if province.code not in ctx.reporters(return_code, year):
        return MeasureResult(no_data(measure, year, PROVINCE_SCOPE, NOT_REPORTED,
                                     f"{year}年，{province.short_name}{NOT_REPORTED}。", **common))
    evidence = Evidence()
    now = _shares(ctx, pairs, year, province.code)
    baseline = ctx.catalog.reporting.baseline_year
    filed_before = year > baseline and province.code in ctx.reporters(return_code, year - 1)
    before = _shares(ctx, pairs, year - 1, province.code) if filed_before else [(None, None, None)] * len(pairs)
    for pair in pairs:
        for y in (year, year - 1) if filed_before else (year,):
            evidence.add(ctx, pair["part"], y, province.code)
            evidence.add(ctx, pair["whole"], y, province.code)
    parts = []
    for pair, (part, whole, share), (_, _, last) in zip(pairs, now, before, strict=True):
        text = f"{pair['name']} {ctx.fmt_indicator(pair['part'], part)} ÷ {ctx.fmt_indicator(pair['whole'], whole)}"
        text += f" = {fmt.pct(share)}" if share is not None else "（无法计算）"
        parts.append(text + (f"（上年 {fmt.pct(last)}）" if filed_before else ""))
    formula = "；".join(parts)
    inputs = {pair["name"]: now[i][2] for i, pair in enumerate(pairs)}
    inputs.update({f"{pair['name']}（上年）": before[i][2] for i, pair in enumerate(pairs)})
    metric = now[0][2]
    comparable = [(pair, n[2], b[2]) for pair, n, b in zip(pairs, now, before, strict=True)
                  if n[2] is not None and b[2] is not None]
    if not comparable:
        if year <= baseline:
            note = f"基线年（{baseline}年）无上年数据可比较"
        else:
            note = "上年未报送，无法比较" if not filed_before else "本年或上年各项占比均无法计算"
        summary = f"{year}年，{metric_name}{fmt.pct(metric)}；{note}。"
        return MeasureResult(make_status(measure, year, PROVINCE_SCOPE, NO_DATA, metric, fmt.pct(metric),
                                         summary=summary, formula=formula, note=note, evidence=evidence,
                                         inputs=inputs, **common))
    lower = [(pair, n, b) for pair, n, b in comparable if not meets(n, b)]
    if not lower:
        status, tail = ON_TRACK, f"{len(comparable)}项占比均不低于上年，达标"
    else:
        status = OFF_TRACK if len(lower) == len(comparable) else AT_RISK
        items = "、".join(f"{pair['name']}（{fmt.pct(n)}，上年{fmt.pct(b)}）" for pair, n, b in lower)
        verdict = "为预警" if status == AT_RISK else "未达标"
        tail = f"{len(comparable)}项占比中{len(comparable) - len(lower)}项不低于上年，{items}低于上年，{verdict}"
    skipped = [pair["name"] for pair, n, b in zip(pairs, now, before, strict=True) if n[2] is None or b[2] is None]
    note = f"{'、'.join(skipped)}无法计算，未参与比较" if skipped else ""
    return MeasureResult(make_status(measure, year, PROVINCE_SCOPE, status, metric, fmt.pct(metric),
                                     summary=f"{year}年，{tail}。", formula=formula, note=note, evidence=evidence,
                                     inputs=inputs, **common))
