"""Rule kinds about cadres: parity (M17).

parity: each industry union's promotion rate (promoted ÷ eligible) divided by the provincial federation's own
organ rate from its R3 return of the same year. At or above green the unions' cadres are "considered together
with organ cadres" (达标), at or above amber 预警, else 未达标. The province-wide index pools the reporting unions:
(Σpromoted ÷ Σeligible) ÷ organ rate. Without a usable organ rate nothing can be compared (无数据).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.catalog import Measure
from pipeline.registry import Unit
from pipeline.status import format as fmt
from pipeline.status.context import RuleContext
from pipeline.status.engine import rule
from pipeline.status.model import NO_DATA, PROVINCE_SCOPE, MeasureResult, MeasureStatus
from pipeline.status.rules_funding import (
    GROUP_LABELS,
    Evidence,
    figure,
    grade,
    group_summary,
    judge_each,
    label,
    laggards_of,
    make_status,
    missing_note,
    no_data,
    shortfall,
    show_figure,
    threshold_words,
)


@dataclass(frozen=True)
class ParitySpec:
    numerator: str
    denominator: str
    ref_numerator: str
    ref_denominator: str
    thresholds: dict[str, float]
    metric_name: str
    threshold: str

    @classmethod
    def of(cls, ctx: RuleContext, measure: Measure) -> ParitySpec:
        p = measure.rule.params
        thresholds = measure.rule.thresholds
        return cls(p["unit_numerator"], p["unit_denominator"], p["reference_numerator"], p["reference_denominator"],
                   thresholds, measure.rule.metric_name, threshold_words(thresholds, fmt.ratio_text))


@dataclass(frozen=True)
class Reference:
    """The organ's own promotion figures from the province's return."""

    promoted: float | None
    eligible: float | None
    evidence: Evidence

    @property
    def rate(self) -> float | None:
        if self.promoted is None or not self.eligible:
            return None
        return self.promoted / self.eligible

    def text(self, ctx: RuleContext, spec: ParitySpec) -> str:
        shown = f"{show_figure(ctx, spec.ref_numerator, self.promoted)} ÷ {show_figure(ctx, spec.ref_denominator, self.eligible)}"
        return shown + (f" = {fmt.pct(self.rate)}" if self.rate is not None else "")


def _reference(ctx: RuleContext, spec: ParitySpec, year: int) -> Reference:
    province = ctx.registry.province().code
    evidence = Evidence()
    for code in (spec.ref_numerator, spec.ref_denominator):
        evidence.add(ctx, code, year, province)
    return Reference(figure(ctx, spec.ref_numerator, year, province),
                     figure(ctx, spec.ref_denominator, year, province), evidence)


def _missing_reference_note(ctx: RuleContext, spec: ParitySpec, ref: Reference) -> str:
    province = ctx.registry.province().short_name
    if ref.eligible is None or ref.promoted is None:
        return (f"缺少{province}机关干部提拔数据（{label(ctx, spec.ref_denominator)}、"
                f"{label(ctx, spec.ref_numerator)}），无法计算")
    return f"缺少{province}机关干部提拔数据（{label(ctx, spec.ref_numerator)}为0），无法计算"


def _parity_of_unit(ctx: RuleContext, measure: Measure, spec: ParitySpec, year: int, unit: Unit,
                    ref: Reference) -> MeasureStatus:
    evidence = Evidence()
    promoted, eligible = figure(ctx, spec.numerator, year, unit.code), figure(ctx, spec.denominator, year, unit.code)
    for code in (spec.numerator, spec.denominator):
        evidence.add(ctx, code, year, unit.code)
    evidence.sources.extend(ref.evidence.sources)
    evidence.remarks.extend(ref.evidence.remarks)
    inputs = {spec.numerator: promoted, spec.denominator: eligible, spec.ref_numerator: ref.promoted,
              spec.ref_denominator: ref.eligible}
    rate = promoted / eligible if promoted is not None and eligible else None
    formula = (f"{show_figure(ctx, spec.numerator, promoted)} ÷ {show_figure(ctx, spec.denominator, eligible)}"
               + (f" = {fmt.pct(rate)}" if rate is not None else "") + f"；{ref.text(ctx, spec)}")
    common = {"metric_name": spec.metric_name, "threshold": spec.threshold, "evidence": evidence, "inputs": inputs}
    if ref.rate is None:
        note = _missing_reference_note(ctx, spec, ref)
        return no_data(measure, year, unit.code, note, f"{year}年，{unit.short_name}：{note}。", formula=formula, **common)
    if rate is None:
        code = spec.denominator if promoted is not None else spec.numerator
        note = f"{label(ctx, code)}为0，无法计算" if eligible == 0 else f"未填报{label(ctx, code)}"
        return no_data(measure, year, unit.code, note, f"{year}年，{unit.short_name}{note}。", formula=formula, **common)
    index = promoted * ref.eligible / (eligible * ref.promoted)  # one division: no double rounding
    status = grade(index, spec.thresholds)
    formula += f"；{fmt.pct(rate)} ÷ {fmt.pct(ref.rate)} = {fmt.ratio_text(index)}"
    summary = (f"{year}年，{unit.short_name}{spec.metric_name}{fmt.ratio_text(index)}，"
               f"{shortfall(status, spec.thresholds, fmt.ratio_text)}。")
    return make_status(measure, year, unit.code, status, index, fmt.ratio_text(index), summary=summary,
                       formula=formula, **common)


@rule("parity")
def judge_parity(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    spec = ParitySpec.of(ctx, measure)
    ref = _reference(ctx, spec, year)
    return_code = ctx.catalog.indicator(spec.numerator).return_code
    units = judge_each(ctx, measure, year, return_code,
                       lambda unit: _parity_of_unit(ctx, measure, spec, year, unit, ref),
                       spec.metric_name, spec.threshold)
    missing_codes, note = missing_note(units)
    missing = tuple(ctx.unit_name(code) for code in missing_codes)
    usable = [s for s in units if s.inputs.get(spec.numerator) is not None and s.inputs.get(spec.denominator)]
    promoted = sum(s.inputs[spec.numerator] for s in usable)
    eligible = sum(s.inputs[spec.denominator] for s in usable)
    evidence = Evidence(list(ref.evidence.sources), list(ref.evidence.remarks))
    evidence.extend(units)
    # The organ's cells appear under every union: list each cell once.
    evidence.sources = list(dict.fromkeys(evidence.sources))
    evidence.remarks = list(dict.fromkeys(evidence.remarks))
    laggards = laggards_of(ctx, units)
    group = GROUP_LABELS.get(measure.judged_per, "单位")
    summary = group_summary(ctx, year, group, spec.metric_name,
                            f"达到{fmt.ratio_text(spec.thresholds['green'])}", units, laggards)
    inputs = {spec.numerator: promoted, spec.denominator: eligible, spec.ref_numerator: ref.promoted,
              spec.ref_denominator: ref.eligible, "units_used": float(len(usable))}
    pooled = f"{label(ctx, spec.numerator)}合计 {ctx.fmt_indicator(spec.numerator, promoted)} ÷ " \
             f"{label(ctx, spec.denominator)}合计 {ctx.fmt_indicator(spec.denominator, eligible)}"
    common = {"metric_name": spec.metric_name, "threshold": spec.threshold, "missing": missing,
              "laggards": laggards, "evidence": evidence, "inputs": inputs}
    if ref.rate is None or not usable:
        why = _missing_reference_note(ctx, spec, ref) if ref.rate is None else "无可用数据"
        summary = f"{year}年，{why}。" if ref.rate is None else summary
        overall = make_status(measure, year, PROVINCE_SCOPE, NO_DATA, None, "—", summary=summary,
                              formula=f"{pooled}；{ref.text(ctx, spec)}", note="；".join(filter(None, [why, note])),
                              **common)
        return MeasureResult(overall, tuple(units))
    index = promoted * ref.eligible / (eligible * ref.promoted)
    formula = (f"{pooled} = {fmt.pct(promoted / eligible)}（{len(usable)}个单位）；{ref.text(ctx, spec)}；"
               f"{fmt.pct(promoted / eligible)} ÷ {fmt.pct(ref.rate)} = {fmt.ratio_text(index)}")
    overall = make_status(measure, year, PROVINCE_SCOPE, grade(index, spec.thresholds), index,
                          fmt.ratio_text(index), summary=summary, formula=formula, note=note, **common)
    return MeasureResult(overall, tuple(units))
