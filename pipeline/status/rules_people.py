"""Rule kinds about cadres: parity (M17).

parity: each industry union's promotion rate (promoted ÷ eligible) divided by the provincial federation's own
organ rate from its R3 return of the same year. At or above green the unions' cadres are "considered together
with organ cadres" (达标), at or above amber 预警, else 未达标. The province-wide index pools the reporting unions:
(Σpromoted ÷ Σeligible) ÷ organ rate. Without an organ rate above zero nothing can be compared (无数据).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.catalog import Measure
from pipeline.registry import Unit
from pipeline.status import format as fmt
from pipeline.status.context import RuleContext
from pipeline.status.engine import rule
from pipeline.status.model import PROVINCE_SCOPE, MeasureResult, MeasureStatus
from pipeline.status.rules_common import (
    Evidence,
    Judging,
    Overview,
    grade,
    item_name,
    joined,
    shortfall,
    show_figure,
    threshold_words,
    value_of,
)


@dataclass(frozen=True)
class ParitySpec:
    numerator: str
    denominator: str
    ref_numerator: str
    ref_denominator: str
    thresholds: dict[str, float]

    @classmethod
    def of(cls, measure: Measure) -> ParitySpec:
        p = measure.rule.params
        names = ("unit_numerator", "unit_denominator", "reference_numerator", "reference_denominator")
        return cls(*(p[name] for name in names), measure.rule.thresholds)

    def rate_text(self, ctx: RuleContext, promoted: float | None, eligible: float | None, suffix: str = "") -> str:
        """本年提拔或晋升职级的干部数 2人 ÷ 符合晋升条件的干部数 10人 = 20.0%."""
        text = f"{show_figure(ctx, self.numerator, promoted, suffix)} ÷ {show_figure(ctx, self.denominator, eligible, suffix)}"
        return text + (f" = {fmt.pct(promoted / eligible)}" if promoted is not None and eligible else "")


@dataclass(frozen=True)
class Reference:
    """The organ's own promotion figures from the province's return."""

    promoted: float | None
    eligible: float | None
    evidence: Evidence

    @property
    def rate(self) -> float | None:
        return None if self.promoted is None or not self.eligible else self.promoted / self.eligible

    def text(self, ctx: RuleContext, spec: ParitySpec) -> str:
        ratio = f" = {fmt.pct(self.rate)}" if self.rate is not None else ""
        num, den = (
            show_figure(ctx, spec.ref_numerator, self.promoted),
            show_figure(ctx, spec.ref_denominator, self.eligible),
        )
        return f"{num} ÷ {den}{ratio}"

    def missing_note(self, ctx: RuleContext, spec: ParitySpec) -> str:
        province = ctx.registry.province().short_name
        if self.eligible is None or self.promoted is None:
            what = f"{item_name(ctx, spec.ref_denominator)}、{item_name(ctx, spec.ref_numerator)}"
        else:
            what = f"{item_name(ctx, spec.ref_numerator)}为0"
        return f"缺少{province}机关干部提拔数据（{what}），无法计算"


def _reference(ctx: RuleContext, spec: ParitySpec, year: int) -> Reference:
    province = ctx.registry.province().code
    evidence = Evidence()
    for code in (spec.ref_numerator, spec.ref_denominator):
        evidence.add(ctx, code, year, province)
    promoted, eligible = (
        value_of(ctx, spec.ref_numerator, year, province),
        value_of(ctx, spec.ref_denominator, year, province),
    )
    return Reference(promoted, eligible, evidence)


def _parity_of_unit(j: Judging, spec: ParitySpec, unit: Unit, ref: Reference) -> MeasureStatus:
    ctx = j.ctx
    evidence = Evidence()
    for code in (spec.numerator, spec.denominator):
        evidence.add(ctx, code, j.year, unit.code)
    evidence.merge(ref.evidence)
    promoted, eligible = (
        value_of(ctx, spec.numerator, j.year, unit.code),
        value_of(ctx, spec.denominator, j.year, unit.code),
    )
    inputs = {
        spec.numerator: promoted,
        spec.denominator: eligible,
        spec.ref_numerator: ref.promoted,
        spec.ref_denominator: ref.eligible,
    }
    formula = f"{spec.rate_text(ctx, promoted, eligible)}；{ref.text(ctx, spec)}"
    common = {"evidence": evidence, "inputs": inputs, "formula": formula}
    if not ref.rate:  # missing, or no organ cadre promoted: nothing to compare with
        note = ref.missing_note(ctx, spec)
        return j.no_data(unit.code, note, j.said(unit, f"：{note}"), **common)
    if promoted is None or not eligible:
        code = spec.numerator if promoted is None else spec.denominator
        note = (
            f"未填报{item_name(ctx, code)}"
            if promoted is None or eligible is None
            else f"{item_name(ctx, code)}为0，无法计算"
        )
        return j.no_data(unit.code, note, j.said(unit, note), **common)
    index = promoted * ref.eligible / (eligible * ref.promoted)  # one division: no double rounding at a threshold
    status = grade(index, spec.thresholds)
    common["formula"] = f"{formula}；{fmt.pct(promoted / eligible)} ÷ {fmt.pct(ref.rate)} = {fmt.ratio_text(index)}"
    verdict = shortfall(status, spec.thresholds, fmt.ratio_text)
    summary = j.said(unit, f"{j.metric_name}{fmt.ratio_text(index)}，{verdict}")
    return j.status(unit.code, status, index, fmt.ratio_text(index), summary, **common)


@rule("parity")
def judge_parity(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    spec = ParitySpec.of(measure)
    j = Judging(ctx, measure, year, threshold_words(spec.thresholds, fmt.ratio_text))
    ref = _reference(ctx, spec, year)
    units = j.each(ctx.catalog.indicator(spec.numerator).return_code, lambda u: _parity_of_unit(j, spec, u, ref))
    usable = [s for s in units if s.inputs.get(spec.numerator) is not None and s.inputs.get(spec.denominator)]
    promoted = sum(s.inputs[spec.numerator] for s in usable)
    eligible = sum(s.inputs[spec.denominator] for s in usable)
    view = Overview.of(j, units, (j.metric_name, f"达到{fmt.ratio_text(spec.thresholds['green'])}"))
    inputs = {
        spec.numerator: promoted,
        spec.denominator: eligible,
        spec.ref_numerator: ref.promoted,
        spec.ref_denominator: ref.eligible,
        "units_used": float(len(usable)),
    }
    common = {"evidence": Evidence().merge(ref.evidence).extend(units), "inputs": inputs, **view.fields}
    pooled = spec.rate_text(ctx, promoted, eligible, "合计") + (f"（{len(usable)}个单位）" if usable else "")
    formula = f"{pooled}；{ref.text(ctx, spec)}"
    if not ref.rate or not usable:
        why = ref.missing_note(ctx, spec) if not ref.rate else "无可用数据"
        summary = j.said(None, why) if not ref.rate else view.summary
        overall = j.no_data(PROVINCE_SCOPE, joined(why, view.note), summary, formula=formula, **common)
        return MeasureResult(overall, units)
    index = promoted * ref.eligible / (eligible * ref.promoted)
    formula += f"；{fmt.pct(promoted / eligible)} ÷ {fmt.pct(ref.rate)} = {fmt.ratio_text(index)}"
    status = grade(index, spec.thresholds)
    overall = j.status(
        PROVINCE_SCOPE, status, index, fmt.ratio_text(index), view.summary, formula=formula, note=view.note, **common
    )
    return MeasureResult(overall, units)
