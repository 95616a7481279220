"""Rule kinds about funds and other ratios of two figures.

- ratio (M4, M5, M10, M12, M16): numerator ÷ denominator against the catalog's green (and optional amber)
  threshold. Judged for the province from one value pair (M4), for the province from the sum of all
  inspection records of the year (M10), or per unit with a province-wide Σnumerator ÷ Σdenominator (M5, M12, M16).
- not_lower_than_last_year (M6): each city's budgeted amount must be in the budget and not below last year.
- share_not_below_last_year (M14): the industry unions' shares of awards, training, rest and aid must not fall.

Grading, threshold words, evidence and per-unit summaries come from rules_common.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from pipeline.catalog import Catalog, Measure
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
    MeasureResult,
    MeasureStatus,
    worst,
)
from pipeline.status.rules_common import (
    NOT_REPORTED,
    Evidence,
    Inputs,
    Judging,
    Overview,
    grade,
    item_name,
    joined,
    laggards_of,
    meets,
    plain_pct,
    shortfall,
    show_figure,
    threshold_words,
    value_of,
)

# -- ratio ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioSpec:
    numerator: str
    denominator: str
    thresholds: dict[str, float]

    @classmethod
    def of(cls, measure: Measure) -> RatioSpec:
        return cls(measure.rule.params["numerator"], measure.rule.params["denominator"], measure.rule.thresholds)

    def formula(self, ctx: RuleContext, num: float | None, den: float | None, suffix: str = "") -> str:
        text = f"{show_figure(ctx, self.numerator, num, suffix)} ÷ {show_figure(ctx, self.denominator, den, suffix)}"
        return text if num is None or not den else f"{text} = {fmt.pct(num / den)}"


def _ratio_status(
    j: Judging,
    spec: RatioSpec,
    unit_code: str,
    subject: str,
    pair: tuple[float | None, float | None],
    evidence: Evidence,
    zero_note: str,
) -> MeasureStatus:
    """Grade one numerator/denominator pair; a missing figure or a zero denominator is 无数据."""
    num, den = pair
    common = {"evidence": evidence, "inputs": {spec.numerator: num, spec.denominator: den}}
    formula = spec.formula(j.ctx, num, den)
    for value, code in ((num, spec.numerator), (den, spec.denominator)):
        if value is None:
            note = f"未填报{item_name(j.ctx, code)}"
            summary = f"{j.year}年，{subject}{note}，无法计算{j.metric_name}。"
            return j.no_data(unit_code, note, summary, formula=formula, **common)
    if den == 0:
        summary = f"{j.year}年，{subject}{zero_note.removeprefix('当年')}。"
        return j.no_data(unit_code, zero_note, summary, formula=formula, **common)
    ratio = num / den
    status = grade(ratio, spec.thresholds)
    summary = f"{j.year}年，{subject}{j.metric_name}{fmt.pct(ratio)}，{shortfall(status, spec.thresholds, plain_pct)}。"
    return j.status(unit_code, status, ratio, fmt.pct(ratio), summary, formula=formula, **common)


def _ratio_of_unit(j: Judging, spec: RatioSpec, unit: Unit, subject: str) -> MeasureStatus:
    evidence = Evidence()
    for code in (spec.numerator, spec.denominator):
        evidence.add(j.ctx, code, j.year, unit.code)
    pair = (value_of(j.ctx, spec.numerator, j.year, unit.code), value_of(j.ctx, spec.denominator, j.year, unit.code))
    zero_note = f"当年无{item_name(j.ctx, spec.denominator)}，无法计算{j.metric_name}"
    return _ratio_status(j, spec, unit.code, subject, pair, evidence, zero_note)


def _ratio_of_records(j: Judging, spec: RatioSpec) -> MeasureResult:
    """Sum every record of the year (one row per inspection); laggards are the inspected units below green."""
    ctx, year = j.ctx, j.year
    table = ctx.catalog.tables[ctx.catalog.indicator(spec.numerator).table]
    numerators, denominators = ctx.figures(spec.numerator, year), ctx.figures(spec.denominator, year)
    keys = ["unit_code", "entity_code", "row_no"]
    rows = pd.merge(numerators, denominators, on=keys, how="outer", suffixes=("_num", "_den"))
    if rows.empty:
        filed = ctx.registry.province().code in ctx.reporters(table.return_code, year)
        note = f"当年未开展{table.sheet}" if filed else f"{ctx.catalog.returns[table.return_code].name}{NOT_REPORTED}"
        return MeasureResult(j.no_data(PROVINCE_SCOPE, note, j.said(None, note.removeprefix("当年"))))
    evidence = Evidence()
    for row in pd.concat([numerators, denominators]).to_dict("records"):
        evidence.add_row(ctx, row)
    # A blank figure in an inspection row counts as 0 (the validator has already flagged it).
    rows["num"], rows["den"] = rows["value_num_num"].fillna(0.0), rows["value_num_den"].fillna(0.0)
    per_entity = rows.groupby("entity_code", sort=False)[["num", "den"]].sum()
    entities = [
        j.status(code, grade(r.num / r.den, spec.thresholds), r.num / r.den, fmt.pct(r.num / r.den), "")
        for code, r in per_entity.iterrows()
        if r.den > 0
    ]
    subject = f"{table.sheet}{len(rows)}次（涉及{len(per_entity)}个单位），"
    zero_note = f"当年{table.sheet}{item_name(ctx, spec.denominator)}为0，无法计算{j.metric_name}"
    pair = (float(rows["num"].sum()), float(rows["den"].sum()))
    overall = _ratio_status(j, spec, PROVINCE_SCOPE, subject, pair, evidence, zero_note)
    laggards = laggards_of(ctx, entities)
    if laggards:
        items = "、".join(f"{lag.unit_name}（{lag.value_text}）" for lag in laggards)
        summary = (
            overall.explanation.summary.removesuffix("。") + f"；{items}低于{plain_pct(spec.thresholds['green'])}。"
        )
        overall = replace(overall, explanation=replace(overall.explanation, laggards=laggards, summary=summary))
    return MeasureResult(overall)


def _ratio_per_unit(j: Judging, spec: RatioSpec) -> MeasureResult:
    """Each unit on its own figures; the province on Σnumerator ÷ Σdenominator over the units that reported."""
    units = j.each(
        j.ctx.catalog.indicator(spec.numerator).return_code, lambda u: _ratio_of_unit(j, spec, u, u.short_name)
    )
    usable = [s for s in units if None not in (s.inputs.get(spec.numerator), s.inputs.get(spec.denominator))]
    total_num = sum(s.inputs[spec.numerator] for s in usable)
    total_den = sum(s.inputs[spec.denominator] for s in usable)
    view = Overview.of(j, units, (j.metric_name, f"达到{plain_pct(spec.thresholds['green'])}"))
    inputs = {spec.numerator: total_num, spec.denominator: total_den, "units_used": float(len(usable))}
    common = {"evidence": Evidence().extend(units), "inputs": inputs, **view.fields}
    formula = spec.formula(j.ctx, total_num, total_den, "合计") if usable else ""
    if not usable or total_den == 0:
        why = "无可用数据" if not usable else f"{item_name(j.ctx, spec.denominator)}合计为0"
        overall = j.no_data(PROVINCE_SCOPE, joined(why, view.note), view.summary, formula=formula, **common)
        return MeasureResult(overall, units)
    ratio = total_num / total_den
    formula += f"（{len(usable)}个单位）"
    status = grade(ratio, spec.thresholds)
    overall = j.status(
        PROVINCE_SCOPE, status, ratio, fmt.pct(ratio), view.summary, formula=formula, note=view.note, **common
    )
    return MeasureResult(overall, units)


@rule("ratio")
def judge_ratio(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    spec = RatioSpec.of(measure)
    j = Judging(ctx, measure, year, threshold_words(spec.thresholds, plain_pct))
    if measure.judged_per != "province":
        return _ratio_per_unit(j, spec)
    if ctx.catalog.tables[ctx.catalog.indicator(spec.numerator).table].kind == "records":
        return _ratio_of_records(j, spec)
    province = ctx.registry.province()
    return_code = ctx.catalog.indicator(spec.numerator).return_code
    if province.code not in ctx.reporters(return_code, year):
        summary = j.said(None, ctx.catalog.returns[return_code].name + NOT_REPORTED)
        return MeasureResult(j.no_data(PROVINCE_SCOPE, NOT_REPORTED, summary))
    return MeasureResult(_ratio_of_unit(j, spec, province, ""))


# -- not_lower_than_last_year ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetSpec:
    amounts: tuple[str, ...]
    included_when: str
    county_flags: tuple[str, ...]  # the measure's county yes/no indicators: supporting detail only

    @classmethod
    def of(cls, measure: Measure) -> BudgetSpec:
        params = measure.rule.params
        flags = tuple(i.code for i in measure.indicators if i.level == "county" and i.type == "bool")
        return cls(tuple(params["amounts"]), params["included_when_positive"], flags)

    def total(self, ctx: RuleContext, year: int, code: str) -> float | None:
        known = [v for v in (value_of(ctx, amount, year, code) for amount in self.amounts) if v is not None]
        return sum(known) if known else None

    def money(self, ctx: RuleContext, value: float | None) -> str:
        return amount_text(ctx.catalog, self.amounts, value)


def amount_text(catalog: Catalog, amounts: Sequence[str], value: float | None) -> str:
    """An amount of not_lower_than_last_year as shown, in its first amount's unit: "48.5万元" ("—" without one).
    The key figure of the rule function and of the compact statuses alike."""
    return fmt.number(value, catalog.indicator(amounts[0]).unit)


def _county_detail(j: Judging, spec: BudgetSpec, city: str, evidence: Evidence) -> tuple[str, Inputs]:
    """The counties' answers beside the city's own figure: 所辖13个县（区）中9个已将产业工会经费纳入本级预算."""
    counties = j.ctx.registry.counties_of(city)
    if not counties or not spec.county_flags:
        return "", {}
    flag = spec.county_flags[0]
    answers = {c.code: j.ctx.value(flag, j.year, c.code) for c in counties}
    yes = sum(1 for value in answers.values() if value is not None and bool(value))
    blank = sum(1 for value in answers.values() if value is None)
    for code, value in answers.items():
        if value is not None:
            evidence.add(j.ctx, flag, j.year, code, "是" if bool(value) else "否")
    name = j.ctx.catalog.indicator(flag).name
    what = f"已{name.removeprefix('是否')}" if name.startswith("是否") else f"{name}为“是”"
    text = f"所辖{len(counties)}个县（区）中{yes}个{what}" + (f"（{blank}个未填报）" if blank else "")
    return text, {"counties_included": float(yes), "counties_total": float(len(counties))}


def _budget_of_city(j: Judging, spec: BudgetSpec, city: Unit) -> MeasureStatus:
    ctx, year = j.ctx, j.year
    evidence = Evidence()
    for code in spec.amounts:
        evidence.add(ctx, code, year, city.code)
    county_text, county_inputs = _county_detail(j, spec, city.code, evidence)
    amount, flag = spec.total(ctx, year, city.code), value_of(ctx, spec.included_when, year, city.code)
    inputs: Inputs = {"amount": amount, **county_inputs}
    formula = " + ".join(show_figure(ctx, code, value_of(ctx, code, year, city.code)) for code in spec.amounts)
    formula += f" = {spec.money(ctx, amount)}"
    common = {"evidence": evidence, "inputs": inputs, "formula": formula}
    if flag is None or amount is None:
        note = f"未填报{item_name(ctx, spec.included_when)}"
        return j.no_data(city.code, joined(note, county_text), j.said(city, note), **common)
    shown = spec.money(ctx, amount)
    if flag <= 0:
        summary = j.said(city, f"{item_name(ctx, spec.included_when)}为0，未纳入本级预算，未达标")
        return j.status(city.code, OFF_TRACK, amount, shown, summary, note=county_text, **common)
    baseline = ctx.catalog.reporting.baseline_year
    previous = None if year <= baseline else spec.total(ctx, year - 1, city.code)
    if previous is None:
        why = f"基线年（{baseline}年）只判断是否纳入预算" if year <= baseline else "上年未报送，只判断是否纳入预算"
        summary = j.said(city, f"已纳入本级预算（{shown}），达标")
        return j.status(city.code, ON_TRACK, amount, shown, summary, note=joined(why, county_text), **common)
    for code in spec.amounts:
        evidence.add(ctx, code, year - 1, city.code)
    inputs["previous_amount"] = previous
    before = spec.money(ctx, previous)
    common["formula"] = f"{formula}；上年（{year - 1}年）{before}"
    status = ON_TRACK if meets(amount, previous) else AT_RISK
    verdict = f"不低于{year - 1}年 {before}，达标" if status == ON_TRACK else f"低于{year - 1}年 {before}，为预警"
    summary = j.said(city, f"{j.metric_name} {shown}，{verdict}")
    return j.status(city.code, status, amount, shown, summary, note=county_text, **common)


def _budget_laggard_text(ctx: RuleContext, spec: BudgetSpec, status: MeasureStatus) -> str:
    """How a laggard city reads: 未纳入本级预算, or 2024年 48.5万元，低于2023年 51.8万元."""
    if status.status == OFF_TRACK:
        return "未纳入本级预算"
    before = spec.money(ctx, status.inputs["previous_amount"])
    return f"{status.year}年 {status.metric_text}，低于{status.year - 1}年 {before}"


@rule("not_lower_than_last_year")
def judge_not_lower_than_last_year(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    """Each city: in the budget and not below last year; the province: the worst of the reporting cities."""
    spec = BudgetSpec.of(measure)
    j = Judging(ctx, measure, year, ctx.catalog.rule_kinds.get(measure.rule.kind, ""))
    units = j.each(ctx.catalog.indicator(spec.included_when).return_code, lambda city: _budget_of_city(j, spec, city))
    met_words = ("", "已纳入本级预算" if j.at_baseline else "已纳入本级预算且不低于上年")
    view = Overview.of(j, units, met_words, shown=lambda s: _budget_laggard_text(ctx, spec, s))
    judged = [s for s in units if s.status != NO_DATA]
    summary, common = view.summary, {"evidence": Evidence().extend(units), "note": view.note, **view.fields}
    if not judged:
        return MeasureResult(j.status(PROVINCE_SCOPE, NO_DATA, None, "—", summary, **common), units)
    total = sum(s.metric for s in judged)
    counts = "、".join(f"{st}{sum(s.status == st for s in judged)}个" for st in (ON_TRACK, AT_RISK, OFF_TRACK))
    formula = f"{len(judged)}个单位合计 {spec.money(ctx, total)}；{counts}"
    inputs = {"amount": total, "units_judged": float(len(judged))}
    status = worst([s.status for s in judged])
    overall = j.status(
        PROVINCE_SCOPE, status, total, spec.money(ctx, total), summary, formula=formula, inputs=inputs, **common
    )
    return MeasureResult(overall, units)


# -- share_not_below_last_year --------------------------------------------------------------------------

Share = tuple[float | None, float | None, float | None]  # part, whole, part ÷ whole


def _shares(ctx: RuleContext, pairs: list[dict], year: int, entity: str) -> list[Share]:
    """(part, whole, share) per pair; share is None when the whole is missing or zero."""
    result = []
    for pair in pairs:
        part, whole = value_of(ctx, pair["part"], year, entity), value_of(ctx, pair["whole"], year, entity)
        result.append((part, whole, part / whole if part is not None and whole else None))
    return result


def _share_formula(ctx: RuleContext, pairs: list[dict], now: list[Share], before: list[Share] | None) -> str:
    """五一劳动奖名额占比 30个 ÷ 100个 = 30.0%（上年 28.0%）；…"""
    parts = []
    for i, (pair, (part, whole, share)) in enumerate(zip(pairs, now, strict=True)):
        text = f"{pair['name']} {ctx.fmt_indicator(pair['part'], part)} ÷ {ctx.fmt_indicator(pair['whole'], whole)}"
        text += f" = {fmt.pct(share)}" if share is not None else "（无法计算）"
        parts.append(text + (f"（上年 {fmt.pct(before[i][2])}）" if before is not None else ""))
    return "；".join(parts)


def _share_verdict(comparable: list[tuple[str, float, float]]) -> tuple[str, str]:
    """(status, summary tail): none lower 达标, some lower 预警, all lower 未达标."""
    lower = [(name, n, b) for name, n, b in comparable if not meets(n, b)]
    if not lower:
        return ON_TRACK, f"{len(comparable)}项占比均不低于上年，达标"
    status = OFF_TRACK if len(lower) == len(comparable) else AT_RISK
    items = "、".join(f"{name}（{fmt.pct(n)}，上年{fmt.pct(b)}）" for name, n, b in lower)
    verdict = "为预警" if status == AT_RISK else "未达标"
    return status, f"{len(comparable)}项占比中{len(comparable) - len(lower)}项不低于上年，{items}低于上年，{verdict}"


@rule("share_not_below_last_year")
def judge_share_not_below_last_year(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    """Each share (part ÷ whole) this year against last year; the key figure is the first share."""
    pairs = list(measure.rule.params["shares"])
    j = Judging(ctx, measure, year, ctx.catalog.rule_kinds.get(measure.rule.kind, ""))
    province = ctx.registry.province()
    return_code = ctx.catalog.indicator(pairs[0]["part"]).return_code
    if province.code not in ctx.reporters(return_code, year):
        return MeasureResult(j.no_data(PROVINCE_SCOPE, NOT_REPORTED, j.said(province, NOT_REPORTED)))
    baseline = ctx.catalog.reporting.baseline_year
    filed_before = year > baseline and province.code in ctx.reporters(return_code, year - 1)
    now = _shares(ctx, pairs, year, province.code)
    before = _shares(ctx, pairs, year - 1, province.code) if filed_before else None
    evidence = Evidence()
    for y in (year, year - 1) if filed_before else (year,):
        for pair in pairs:
            evidence.add(ctx, pair["part"], y, province.code)
            evidence.add(ctx, pair["whole"], y, province.code)
    inputs: Inputs = {pair["name"]: share for pair, (_, _, share) in zip(pairs, now, strict=True)}
    for pair, (_, _, share) in zip(pairs, before or [(None, None, None)] * len(pairs), strict=True):
        inputs[f"{pair['name']}（上年）"] = share
    common = {"evidence": evidence, "inputs": inputs, "formula": _share_formula(ctx, pairs, now, before)}
    metric = now[0][2]
    pairs_before = before or [(None, None, None)] * len(pairs)
    comparable = [
        (pair["name"], n[2], b[2])
        for pair, n, b in zip(pairs, now, pairs_before, strict=True)
        if None not in (n[2], b[2])
    ]
    if not comparable:
        if year <= baseline:
            note = f"基线年（{baseline}年）无上年数据可比较"
        else:
            note = "本年或上年各项占比均无法计算" if filed_before else "上年未报送，无法比较"
        summary = j.said(None, f"{j.metric_name}{fmt.pct(metric)}；{note}")
        return MeasureResult(j.status(PROVINCE_SCOPE, NO_DATA, metric, fmt.pct(metric), summary, note=note, **common))
    status, tail = _share_verdict(comparable)
    skipped = [pair["name"] for pair in pairs if pair["name"] not in {name for name, _, _ in comparable}]
    note = f"{'、'.join(skipped)}无法计算，未参与比较" if skipped else ""
    return MeasureResult(
        j.status(PROVINCE_SCOPE, status, metric, fmt.pct(metric), j.said(None, tail), note=note, **common)
    )
