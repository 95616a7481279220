"""Rule kinds of the meeting and mechanism measures: window_held (M1), held_all_reported (M2), coverage (M3),
min_each (M11) and every_unit (M13, M15, M18). Figures are read and explained with the helpers of rules_common.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.catalog import Measure
from pipeline.registry import Unit
from pipeline.status import format as fmt
from pipeline.status.context import RuleContext
from pipeline.status.engine import rule
from pipeline.status.model import (
    AT_RISK,
    NO_DATA,
    NOT_DUE,
    OFF_TRACK,
    ON_TRACK,
    PROVINCE_SCOPE,
    Laggard,
    MeasureResult,
    MeasureStatus,
)
from pipeline.status.rules_common import (
    NOT_REPORTED,
    Evidence,
    Figure,
    Inputs,
    Judging,
    Window,
    figure,
    grade,
    indicator_return,
    joined,
    laggard_clause,
    meets,
    plain_pct,
    sentence,
    show,
    threshold_words,
    unit_label,
)

COVERAGE_NAME = "召开专题会议的市、县总工会比例"
NOT_FILLED = "未填报"  # how a check reads whose figure is blank or missing


# -- key figures as shown: one formatter per shape, used by the rule functions and the compact statuses alike --------


def held_in_window_text(status: str, held_on: date | None, all_unfiled: bool) -> str:
    """window_held's key figure: the date of the latest meeting in the window so far, else why there is none."""
    if held_on is not None:
        return fmt.day(held_on)
    if status == NO_DATA and all_unfiled:
        return NOT_REPORTED
    return "尚未召开" if status == NOT_DUE else "未召开"


def reported_count_text(count: float | None, expected: int) -> str:
    """held_all_reported's key figure: how many of the expected units reported, "8/8" ("—" when not given)."""
    return "—" if count is None else f"{count:g}/{expected}"


def items_met_text(met: int, items: int) -> str:
    """A min_each unit's key figure: how many of the indicators reach the minimum, "2/3项"."""
    return f"{met}/{items}项"


def tally_text(met: int, units: int) -> str:
    """The province-wide key figure of a measure each unit must meet: how many of the expected units did, "6/8"."""
    return f"{met}/{units}"


def unmet_text(failed: Iterable[tuple[str, str]]) -> str:
    """An every_unit unit's key figure: each failed check's indicator with its figure as shown, or 满足."""
    return "；".join(f"{name}：{shown}" for name, shown in failed) or "满足"


# -- window_held (M1) ----------------------------------------------------------------------------


@rule("window_held")
def judge_window_held(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params = measure.rule.params
    indicator, length = params["indicator"], int(params["window_years"])
    baseline = ctx.catalog.reporting.baseline_year
    window = Window.of(ctx, indicator_return(ctx, indicator), length, year)
    span, unfiled = window.text, window.unfiled
    province = ctx.registry.province()
    held = [f for y in range(window.start, year + 1) if (f := figure(ctx, indicator, y, province.code)) is not None]
    name = ctx.catalog.indicator(indicator).name
    head = f"{year}年，{measure.short_name}"
    if held:
        latest = held[-1]
        status = ON_TRACK
        # An open window already met says so: nothing more is due until the next window.
        note = joined(f"{window.closes}，本窗口期内已召开" if window.is_open else "", unfiled)
        formula = f"窗口期{span}：" + "、".join(f"{f.text}召开" for f in held)
        summary = f"{head}：窗口期{span}内已于{latest.text}召开，达标。"
    elif window.all_unfiled:
        status, note = NO_DATA, unfiled
        formula, summary = "", f"{head}：{unfiled}，无法判断。"
    elif window.is_open:
        status, note = NOT_DUE, joined(f"{window.closes}，本窗口期内尚未召开", unfiled)
        formula = f"窗口期{span}：截至{year}年未填报{name}"
        summary = f"{head}：窗口期{span}内尚未召开，{window.end}年底前召开即为达标，{NOT_DUE}。"
    elif unfiled:
        # A return missing from a closed window may hold the meeting: say so rather than fail the measure.
        status = NO_DATA
        note = f"窗口期{span}已届满，{unfiled}，无法判断是否召开"
        formula, summary = f"窗口期{span}：已报送年度均未填报{name}", f"{head}：{note}。"
    else:
        status, note = OFF_TRACK, ""
        formula = f"窗口期{span}：各年度均未填报{name}"
        summary = f"{head}：窗口期{span}已届满，未召开，未达标。"
    threshold = (
        f"自{baseline}年起每{length}年为一个窗口期，窗口期内至少召开1次为达标；届满仍未召开为未达标；"
        f"窗口期未届满且尚未召开为{NOT_DUE}"
    )
    j = Judging(ctx, measure, year, threshold, name)
    text = held_in_window_text(status, held[-1].value if held else None, window.all_unfiled)
    inputs = {"window": span, "held_on": held[-1].value.isoformat() if held else None}
    missing = (province.short_name,) if unfiled else ()
    fields = {"value_text": text if held else "", "formula": formula, "note": note, "missing_units": missing}
    overall = j.status(PROVINCE_SCOPE, status, None, text, summary, Evidence.of(held), inputs, **fields)
    return MeasureResult(overall)


# -- held_all_reported (M2) ----------------------------------------------------------------------


@rule("held_all_reported")
def judge_held_all_reported(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params = measure.rule.params
    label = unit_label(params["expected_units"])
    expected = len(ctx.registry.of_type(params["expected_units"]))
    province = ctx.registry.province()
    return_code = indicator_return(ctx, params["reported"])
    threshold = f"当年召开且{expected}个{label}均作汇报为达标；召开但未全部汇报为预警；未召开为未达标"
    reported_name = ctx.catalog.indicator(params["reported"]).name
    j = Judging(ctx, measure, year, threshold, reported_name, cite_return=True)
    if province.code not in ctx.reporters(return_code, year):
        return MeasureResult(j.not_reported(province, return_code))
    held = figure(ctx, params["held"], year, province.code)
    reported = figure(ctx, params["reported"], year, province.code)
    count = None if reported is None else float(reported.value)
    text = reported_count_text(count, expected)
    head = f"{year}年，{measure.short_name}"
    note = ""
    if held is None:
        status, summary = OFF_TRACK, f"{head}：当年未召开，未达标。"
    elif count is None:
        status, note = NO_DATA, f"未填报{reported_name}"
        summary = f"{head}：已于{held.text}召开，{note}。"
    elif meets(count, expected):
        status, summary = ON_TRACK, f"{head}：已于{held.text}召开，{expected}个{label}均作汇报，达标。"
    else:
        status, summary = AT_RISK, f"{head}：已于{held.text}召开，{text}个{label}作汇报，预警。"
    held_text = f"{held.text}召开" if held else "当年未召开"
    reported_text = f"{reported_name} {reported.text}，应汇报的{label} {expected}个" if reported else ""
    inputs = {"held_on": held.value.isoformat() if held else None, "reported": count, "expected": float(expected)}
    evidence = Evidence.of((held, reported))
    fields = {"formula": joined(held_text, reported_text), "note": note}
    return MeasureResult(j.status(PROVINCE_SCOPE, status, count, text, summary, evidence, inputs, **fields))


# -- coverage (M3) -------------------------------------------------------------------------------


def _city_coverage(j: Judging, city: Unit) -> MeasureStatus:
    ctx, year, params = j.ctx, j.year, j.measure.rule.params
    own = figure(ctx, params["unit_held"], year, city.code)
    own_held = own is not None and meets(float(own.value), 1)
    counties = ctx.registry.counties_of(city.code)
    rows = {c.code: figure(ctx, params["county_held"], year, c.code) for c in counties}
    held = [c for c in counties if rows[c.code] is not None and rows[c.code].value]
    absent = [c for c in counties if rows[c.code] is None]
    covered, total = int(own_held) + len(held), 1 + len(counties)
    rate = covered / total
    status = grade(rate, j.measure.rule.thresholds)
    own_text = f"市本级召开{own.text}（{'计1个' if own_held else '不计'}）" if own else "市本级未填报（不计）"
    formula = (
        f"{own_text}＋县（区）{len(held)}/{len(counties)}个召开 = {covered}个 ÷ 市、县总工会{total}个 = {fmt.pct(rate)}"
    )
    notes = [f"{fmt.names([c.short_name for c in absent])}未填报，按未召开计" if absent else ""]
    if not counties:
        notes.append("无所辖县（区），按市本级计算")
    lagging_counties = tuple(
        Laggard(c.code, c.short_name, OFF_TRACK, "未填报" if c in absent else "未召开")
        for c in counties
        if c not in held
    )
    summary = f"{year}年，{city.short_name}召开专题会议的市、县总工会{covered}/{total}个（{fmt.pct(rate)}），{status}"
    if lagging_counties:
        summary += f"；{fmt.names([c.unit_name for c in lagging_counties])}未召开"
    summary += "。"
    evidence = Evidence.of((own, *rows.values()))
    inputs = {"covered": float(covered), "total": float(total)}
    fields = {"formula": formula, "laggards": lagging_counties, "note": joined(*notes)}
    return j.status(city.code, status, rate, fmt.pct(rate), summary, evidence, inputs, **fields)


@rule("coverage")
def judge_coverage(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    thresholds = measure.rule.thresholds
    j = Judging(ctx, measure, year, threshold_words(thresholds), COVERAGE_NAME, cite_return=True)
    return_code = indicator_return(ctx, measure.rule.params["unit_held"])
    units = j.each(return_code, lambda city: _city_coverage(j, city), ctx.registry.cities())
    judged, missing = j.split(return_code, units)
    behind = j.behind(judged, missing)
    if not judged:
        summary = f"{year}年，各{unit_label('city')}均未报送，无法计算。"
        return MeasureResult(j.no_data(PROVINCE_SCOPE, f"无{unit_label('city')}报送", summary, **behind), units)
    covered = sum(int(r.inputs["covered"]) for r in judged)
    total = sum(int(r.inputs["total"]) for r in judged)
    rate = covered / total
    status = grade(rate, thresholds)
    head = f"{year}年，全省{len(judged)}个报送的市级总工会及所辖县（区）总工会召开专题会议的比例为{fmt.pct(rate)}，{status}"
    formula = f"召开专题会议的市、县总工会 {covered}个 ÷ 市、县总工会 {total}个 = {fmt.pct(rate)}"
    summary = sentence(head, laggard_clause(behind["laggards"]))
    inputs = {"covered": float(covered), "total": float(total)}
    fields = {"formula": formula, "note": j.missing_note(missing), **behind}
    overall = j.status(
        PROVINCE_SCOPE, status, rate, fmt.pct(rate), summary, Evidence().extend(judged), inputs, **fields
    )
    return MeasureResult(overall, units)


# -- min_each (M11) ------------------------------------------------------------------------------


def _min_each_threshold(ctx: RuleContext, measure: Measure) -> str:
    minimum = measure.rule.thresholds["minimum"]
    items = "、".join(
        f"{ctx.catalog.indicator(i).name}≥{show(ctx, i, minimum)}" for i in measure.rule.params["indicators"]
    )
    return f"{items}：每项均达到为达标；部分达到为预警；均未达到为未达标"


def _min_each_unit(j: Judging, unit: Unit) -> MeasureStatus:
    ctx, year = j.ctx, j.year
    indicators = j.measure.rule.params["indicators"]
    minimum = j.measure.rule.thresholds["minimum"]
    found = {i: figure(ctx, i, year, unit.code) for i in indicators}
    met = [i for i in indicators if found[i] is not None and meets(float(found[i].value), minimum)]
    missed = [i for i in indicators if i not in met]
    status = ON_TRACK if not missed else (OFF_TRACK if not met else AT_RISK)
    parts = []
    for i in indicators:
        fig, floor = found[i], show(ctx, i, minimum)
        name = ctx.catalog.indicator(i).name
        parts.append(
            f"{name} 未填报（按未达到计）" if fig is None else f"{name} {fig.text}{' ≥ ' if i in met else ' < '}{floor}"
        )
    if missed:
        short = "、".join(ctx.catalog.indicator(i).name for i in missed)
        summary = f"{year}年，{unit.short_name}{short}未达到规定次数，{status}。"
    else:
        summary = f"{year}年，{unit.short_name}各项均达到规定次数，达标。"
    text = items_met_text(len(met), len(indicators))
    inputs = {i: (None if found[i] is None else float(found[i].value)) for i in indicators}
    evidence = Evidence.of(found.values())
    return j.status(unit.code, status, float(len(met)), text, summary, evidence, inputs, formula="；".join(parts))


@rule("min_each")
def judge_min_each(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    return_code = indicator_return(ctx, measure.rule.params["indicators"][0])
    threshold = _min_each_threshold(ctx, measure)
    j = Judging(ctx, measure, year, threshold, "达到规定次数的指标项数", cite_return=True)
    units = j.each(return_code, lambda unit: _min_each_unit(j, unit))
    judged, missing = j.split(return_code, units)
    met = sum(r.status == ON_TRACK for r in judged)
    statuses = {r.status for r in judged}
    # All units 达标 → 达标; any unit meeting none of the minimums → 未达标; otherwise 预警. A unit that did not report
    # counts as the catalog's policy for the kind says (按未满足计: it keeps the measure from 达标, like every_unit).
    unmet_missing = bool(missing) and j.counts_missing_as_unmet
    if not judged:
        status = NO_DATA
    elif statuses == {ON_TRACK} and not unmet_missing:
        status = ON_TRACK
    else:
        status = OFF_TRACK if OFF_TRACK in statuses else AT_RISK
    expected = ctx.expected_units(return_code)
    label = unit_label(expected[0].type) if expected else ""
    head = f"{year}年，{len(expected)}个{label}中{met}个各项均达到规定次数，{status}"
    inputs = {"units_met": float(met), "units_reporting": float(len(judged)), "units_expected": float(len(expected))}
    fields = {
        "metric_name": "各项均达到规定次数的单位数",
        "formula": f"各项均达到规定次数的{label} {met}个（报送{len(judged)}个，应报送{len(expected)}个）",
        "threshold": f"{threshold}。全部单位均达标为达标，任一单位均未达到为未达标，否则预警（未报送的{j.missing_policy}）",
        "note": j.missing_note(missing),
    }
    return MeasureResult(_tally(j, judged, missing, status, head, label, inputs, **fields), units)


def _tally(
    j: Judging,
    judged: list[MeasureStatus],
    missing: list[str],
    status: str,
    head: str,
    label: str,
    inputs: Inputs,
    **fields: Any,
) -> MeasureStatus:
    """The province-wide row of a measure each unit must meet: how many of the expected units did ("6/8"),
    the sentence led by `head`, the laggards and the units that did not report."""
    met = sum(r.status == ON_TRACK for r in judged)
    text = tally_text(met, len(judged) + len(missing))
    behind = j.behind(judged, missing)
    summary = (
        sentence(head, laggard_clause(behind["laggards"])) if judged else f"{j.year}年，各{label}均未报送，无法判断。"
    )
    metric = float(met) if judged else None
    evidence = Evidence().extend(judged)
    return j.status(
        PROVINCE_SCOPE, status, metric, text, summary, evidence, inputs, value_text=text, **behind, **fields
    )


# -- every_unit (M13, M15, M18) ------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One part of an every_unit condition for one unit."""

    indicator: str
    ask: str  # e.g. 本年召开联席（联系）会议次数≥1次
    ok: bool
    figure: Figure | None

    def shown(self) -> str:
        return self.figure.text if self.figure else NOT_FILLED


def _every_unit_checks(ctx: RuleContext, measure: Measure, year: int, unit: str) -> list[Check]:
    condition = measure.rule.params["condition"]
    checks = []
    for indicator in condition.get("all_true", []):
        fig = figure(ctx, indicator, year, unit)
        name = ctx.catalog.indicator(indicator).name
        checks.append(Check(indicator, f"{name}为“是”", bool(fig and fig.value), fig))
    for indicator in condition.get("at_least_one", []):
        fig = figure(ctx, indicator, year, unit)
        name = ctx.catalog.indicator(indicator).name
        ok = fig is not None and meets(float(fig.value), 1)
        checks.append(Check(indicator, f"{name}≥{show(ctx, indicator, 1.0)}", ok, fig))
    return checks


def _every_unit_row(j: Judging, unit: Unit) -> MeasureStatus:
    checks = _every_unit_checks(j.ctx, j.measure, j.year, unit.code)
    failed = [c for c in checks if not c.ok]
    status = OFF_TRACK if failed else ON_TRACK
    value_text = unmet_text((j.ctx.catalog.indicator(c.indicator).name, c.shown()) for c in failed)
    formula = "；".join(f"{c.ask}：{c.shown()}，{'满足' if c.ok else '不满足'}" for c in checks)
    summary = j.said(unit, "满足条件，达标" if not failed else f"未满足条件（{value_text}），未达标")
    used = [c.figure for c in checks if c.figure is not None]
    inputs = {f.indicator: (f.value if isinstance(f.value, float) else f.text) for f in used}
    metric = 0.0 if failed else 1.0
    return j.status(unit.code, status, metric, value_text, summary, Evidence.of(used), inputs, formula=formula)


@rule("every_unit")
def judge_every_unit(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params, amber = measure.rule.params, measure.rule.thresholds["amber"]
    condition = params["condition"]
    return_code = indicator_return(ctx, (condition.get("all_true") or condition.get("at_least_one"))[0])
    expected = ctx.registry.of_type(params["expected_units"])
    label = unit_label(params["expected_units"])
    policy = ctx.catalog.missing_policy(measure.rule.kind)
    threshold = f"全部{len(expected)}个{label}均满足为达标；≥{plain_pct(amber)} 预警，否则未达标（未报送的{policy}）"
    j = Judging(ctx, measure, year, threshold, "是否满足条件", cite_return=True)
    units = j.each(return_code, lambda unit: _every_unit_row(j, unit), expected)
    judged, missing = j.split(return_code, units)
    met = sum(r.status == ON_TRACK for r in judged)
    # 按未满足计: the share is over every expected unit; otherwise over the units that reported.
    base = expected if j.counts_missing_as_unmet else judged
    share = met / len(base) if base else 0.0
    if not judged:
        status = NO_DATA
    elif met == len(base):
        status = ON_TRACK
    else:
        status = AT_RISK if meets(share, amber) else OFF_TRACK
    head = f"{year}年，{len(expected)}个{label}中{met}个满足条件（{fmt.pct(share)}），{status}"
    inputs = {"units_met": float(met), "units_expected": float(len(expected)), "share": share}
    fields = {
        "metric_name": "满足条件的单位数",
        "formula": f"满足条件的{label} {met}个 ÷ {label}{'总数' if base is expected else '报送数'} {len(base)}个 = {fmt.pct(share)}",
        "note": j.missing_note(missing),
    }
    return MeasureResult(_tally(j, judged, missing, status, head, label, inputs, **fields), units)
