"""Rule kinds of the meeting and mechanism measures: window_held (M1), held_all_reported (M2), coverage (M3),
min_each (M11) and every_unit (M13, M15, M18).

The small helpers at the top (reading a figure with its cell, banding a value, naming laggards) are shared with
rules_organisation.py so both modules explain their statuses the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pipeline.catalog import Measure
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
)

# How a registry unit type reads in a sentence ("8个省级产业工会").
TYPE_LABELS = {"province": "省总工会", "city": "市级总工会", "county": "县（区）总工会", "industry": "省级产业工会"}
NOT_REPORTED = "未报送"
COVERAGE_NAME = "召开专题会议的市、县总工会比例"
# Ratios such as 8/10 must meet a threshold of 0.8 despite binary floating point.
TOLERANCE = 1e-9


# -- shared helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One current figure with its value (typed by the indicator), how it reads, where it came from."""

    indicator: str
    value: object
    text: str
    source: SourceRef
    remark: Remark | None


def typed_value(ctx: RuleContext, indicator: str, row: pd.Series) -> object | None:
    """The value of a mart row in the column its indicator type uses (the other columns hold nulls)."""
    kind = ctx.catalog.indicator(indicator).type
    column = {"bool": "value_bool", "date": "value_date", "text": "value_text"}.get(kind, "value_num")
    cell = row[column]
    if cell is None or pd.isna(cell):
        return None
    if kind == "date":
        return pd.Timestamp(cell).date()
    if kind == "bool":
        return bool(cell)
    return str(cell) if kind == "text" else float(cell)


def show(ctx: RuleContext, indicator: str, value: object | None) -> str:
    kind = ctx.catalog.indicator(indicator).type
    if value is None:
        return "—"
    if kind == "date":
        return fmt.day(value)  # type: ignore[arg-type]
    if kind == "bool":
        return "是" if value else "否"
    if kind == "text":
        return str(value)
    return ctx.fmt_indicator(indicator, float(value))  # type: ignore[arg-type]


def figure_of_row(ctx: RuleContext, row: pd.Series) -> Figure | None:
    indicator = str(row["indicator"])
    value = typed_value(ctx, indicator, row)
    if value is None:
        return None
    text = show(ctx, indicator, value)
    source = SourceRef(
        unit_code=str(row["unit_code"]),
        entity_code=str(row["entity_code"]),
        indicator=indicator,
        indicator_name=ctx.catalog.indicator(indicator).name,
        value_text=text,
        submission_id=int(row["submission_id"]),
        file_name=str(row["file_name"]),
        sheet=str(row["sheet"]),
        cell=str(row["cell"]),
    )
    note = row["remark"]
    remark = None if note is None or pd.isna(note) else Remark(str(row["entity_code"]), indicator, str(note))
    return Figure(indicator, value, text, source, remark)


def figure(ctx: RuleContext, indicator: str, year: int, entity: str) -> Figure | None:
    """The current figure of an indicator for a unit (or county) in a year, or None when absent or blank."""
    rows = ctx.figures(indicator, year)
    rows = rows[rows["entity_code"] == entity]
    return None if rows.empty else figure_of_row(ctx, rows.iloc[0])


def sources(figures: Iterable[Figure]) -> tuple[SourceRef, ...]:
    return tuple(f.source for f in figures)


def remarks(figures: Iterable[Figure]) -> tuple[Remark, ...]:
    return tuple(f.remark for f in figures if f.remark is not None)


def meets(value: float, threshold: float) -> bool:
    """A value exactly at a threshold meets it."""
    return value >= threshold - TOLERANCE


def band(value: float, green: float, amber: float | None) -> str:
    if meets(value, green):
        return ON_TRACK
    return AT_RISK if amber is not None and meets(value, amber) else OFF_TRACK


def pct_threshold(ratio: float) -> str:
    """0.8 -> "80%" (thresholds read without trailing decimals)."""
    return f"{ratio * 100:g}%"


def band_text(green: float, amber: float | None) -> str:
    if amber is None:
        return f"≥{pct_threshold(green)} 达标，否则未达标"
    return f"≥{pct_threshold(green)} 达标，≥{pct_threshold(amber)} 预警，否则未达标"


def window_of(baseline: int, length: int, year: int) -> tuple[int, int]:
    """The reporting window holding a year: windows of `length` years counted from the baseline year."""
    start = baseline + (year - baseline) // length * length
    return start, start + length - 1


def span(start: int, end: int) -> str:
    return f"{start}–{end}"


def explain(measure: Measure, **fields: object) -> Explanation:
    return Explanation(rule=measure.rule.reading, **fields)  # type: ignore[arg-type]


def status_row(
    measure: Measure,
    year: int,
    unit: str,
    status: str,
    metric: float | None,
    metric_text: str,
    explanation: Explanation,
    inputs: dict | None = None,
) -> MeasureStatus:
    return MeasureStatus(measure.number, year, unit, status, metric, metric_text, explanation, inputs or {})


def not_reported(
    ctx: RuleContext, measure: Measure, year: int, unit: str, return_code: str, metric_name: str, threshold: str
) -> MeasureStatus:
    """The row of a unit that filed no current return for the year."""
    name = ctx.unit_name(unit)
    title = ctx.catalog.returns[return_code].name
    explanation = explain(
        measure,
        metric_name=metric_name,
        value_text="",
        formula="",
        threshold=threshold,
        summary=f"{year}年，{name}未报送{title}。",
        missing_units=(name,),
        note=NOT_REPORTED,
    )
    return status_row(measure, year, unit, NO_DATA, None, NOT_REPORTED, explanation)


def laggards_of(
    ctx: RuleContext, rows: Iterable[MeasureStatus], missing: Iterable[str] = (), texts: dict[str, str] | None = None
) -> tuple[Laggard, ...]:
    """Units 未达标 then 预警 (lowest figure first within a status), then the units that did not report.
    `texts` replaces a unit's metric_text where another figure tells more (e.g. what fell)."""
    texts = texts or {}
    behind = [r for r in rows if r.status in (OFF_TRACK, AT_RISK)]
    behind.sort(key=lambda r: (SEVERITY[r.status], r.metric is None, r.metric or 0.0))
    found = [
        Laggard(r.unit_code, ctx.unit_name(r.unit_code), r.status, texts.get(r.unit_code, r.metric_text))
        for r in behind
    ]
    absent = [Laggard(code, ctx.unit_name(code), NO_DATA, NOT_REPORTED) for code in missing]
    return tuple(found + absent)


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


def partial_note(missing: Iterable[str]) -> str:
    count = len(list(missing))
    return f"{count}个单位未报送，按已报送单位计算" if count else ""


def joined(*notes: str) -> str:
    return "；".join(n for n in notes if n)


def indicator_return(ctx: RuleContext, indicator: str) -> str:
    return ctx.catalog.indicator(indicator).return_code


# -- window_held (M1) ----------------------------------------------------------------------------


@rule("window_held")
def judge_window_held(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params = measure.rule.params
    indicator, length = params["indicator"], int(params["window_years"])
    baseline = ctx.catalog.reporting.baseline_year
    start, end = window_of(baseline, length, year)
    window = span(start, end)
    province = ctx.registry.province().code
    return_code = indicator_return(ctx, indicator)
    years = range(start, year + 1)
    held = [f for y in years if (f := figure(ctx, indicator, y, province)) is not None]
    unfiled = [y for y in years if province not in ctx.reporters(return_code, y)]
    unfiled_note = (
        "、".join(f"{y}年" for y in unfiled) + f"{ctx.catalog.returns[return_code].name}未报送" if unfiled else ""
    )
    name = ctx.catalog.indicator(indicator).name
    head = f"{year}年，{measure.short_name}"
    if held:
        latest = held[-1]
        status, text, note = ON_TRACK, latest.text, unfiled_note
        formula = f"窗口期{window}：" + "、".join(f"{f.text}召开" for f in held)
        summary = f"{head}：窗口期{window}内已于{latest.text}召开，达标。"
    elif len(unfiled) == len(years):
        status, text, note = NO_DATA, NOT_REPORTED, unfiled_note
        formula, summary = "", f"{head}：{unfiled_note}，无法判断。"
    elif year < end:
        status, text, note = NO_DATA, "尚未召开", joined(f"窗口期{window}，尚未届满", unfiled_note)
        formula = f"窗口期{window}：截至{year}年未填报{name}"
        summary = f"{head}：窗口期{window}内尚未召开，窗口期尚未届满。"
    elif unfiled:
        # A return missing from a closed window may hold the meeting: say so rather than fail the measure.
        status, text = NO_DATA, "未召开"
        note = f"窗口期{window}已届满，{unfiled_note}，无法判断是否召开"
        formula, summary = f"窗口期{window}：已报送年度均未填报{name}", f"{head}：{note}。"
    else:
        status, text, note = OFF_TRACK, "未召开", ""
        formula = f"窗口期{window}：各年度均未填报{name}"
        summary = f"{head}：窗口期{window}已届满，未召开，未达标。"
    explanation = explain(
        measure,
        metric_name=name,
        value_text=text if held else "",
        formula=formula,
        threshold=f"自{baseline}年起每{length}年为一个窗口期，窗口期内至少召开1次为达标；届满仍未召开为未达标",
        summary=summary,
        note=note,
        sources=sources(held),
        remarks=remarks(held),
        missing_units=(ctx.unit_name(province),) if unfiled else (),
    )
    inputs = {"window": window, "held_on": held[-1].value.isoformat() if held else None}  # type: ignore[attr-defined]
    return MeasureResult(status_row(measure, year, PROVINCE_SCOPE, status, None, text, explanation, inputs))


# -- held_all_reported (M2) ----------------------------------------------------------------------


@rule("held_all_reported")
def judge_held_all_reported(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params = measure.rule.params
    label = TYPE_LABELS[params["expected_units"]]
    expected = len(ctx.registry.of_type(params["expected_units"]))
    province = ctx.registry.province().code
    return_code = indicator_return(ctx, params["reported"])
    threshold = f"当年召开且{expected}个{label}均作汇报为达标；召开但未全部汇报为预警；未召开为未达标"
    reported_name = ctx.catalog.indicator(params["reported"]).name
    if province not in ctx.reporters(return_code, year):
        return MeasureResult(not_reported(ctx, measure, year, province, return_code, reported_name, threshold))
    held = figure(ctx, params["held"], year, province)
    reported = figure(ctx, params["reported"], year, province)
    count = None if reported is None else float(reported.value)  # type: ignore[arg-type]
    text = "—" if count is None else f"{count:g}/{expected}"
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
    used = [f for f in (held, reported) if f is not None]
    explanation = explain(
        measure,
        metric_name=reported_name,
        value_text=text if count is not None else "",
        formula=joined(held_text, reported_text),
        threshold=threshold,
        summary=summary,
        note=note,
        sources=sources(used),
        remarks=remarks(used),
    )
    inputs = {"held_on": held.value.isoformat() if held else None, "reported": count, "expected": float(expected)}  # type: ignore[attr-defined]
    return MeasureResult(status_row(measure, year, PROVINCE_SCOPE, status, count, text, explanation, inputs))


# -- coverage (M3) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityCoverage:
    row: MeasureStatus
    covered: int
    total: int
    figures: tuple[Figure, ...]


def _coverage_threshold(measure: Measure) -> str:
    thresholds = measure.rule.thresholds
    return band_text(thresholds["green"], thresholds.get("amber"))


def _city_coverage(ctx: RuleContext, measure: Measure, year: int, city: str) -> CityCoverage:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    own = figure(ctx, params["unit_held"], year, city)
    own_held = own is not None and meets(float(own.value), 1)  # type: ignore[arg-type]
    counties = ctx.registry.counties_of(city)
    rows = {c.code: figure(ctx, params["county_held"], year, c.code) for c in counties}
    held = [c for c in counties if rows[c.code] is not None and rows[c.code].value]
    absent = [c for c in counties if rows[c.code] is None]
    covered, total = int(own_held) + len(held), 1 + len(counties)
    rate = covered / total
    status = band(rate, thresholds["green"], thresholds.get("amber"))
    name = ctx.unit_name(city)
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
    used = tuple(f for f in (own, *rows.values()) if f is not None)
    summary = f"{year}年，{name}召开专题会议的市、县总工会{covered}/{total}个（{fmt.pct(rate)}），{status}"
    if lagging_counties:
        summary += f"；{fmt.names([c.unit_name for c in lagging_counties])}未召开"
    summary += "。"
    explanation = explain(
        measure,
        metric_name=COVERAGE_NAME,
        value_text=fmt.pct(rate),
        formula=formula,
        threshold=_coverage_threshold(measure),
        summary=summary,
        laggards=lagging_counties,
        note=joined(*notes),
        sources=sources(used),
        remarks=remarks(used),
    )
    inputs = {"covered": float(covered), "total": float(total)}
    row = status_row(measure, year, city, status, rate, fmt.pct(rate), explanation, inputs)
    return CityCoverage(row, covered, total, used)


@rule("coverage")
def judge_coverage(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    return_code = indicator_return(ctx, measure.rule.params["unit_held"])
    reporters = ctx.reporters(return_code, year)
    cities = ctx.registry.cities()
    judged = {c.code: _city_coverage(ctx, measure, year, c.code) for c in cities if c.code in reporters}
    missing = [c.code for c in cities if c.code not in reporters]
    metric_name = COVERAGE_NAME
    units = tuple(
        judged[c.code].row
        if c.code in judged
        else not_reported(ctx, measure, year, c.code, return_code, metric_name, _coverage_threshold(measure))
        for c in cities
    )
    missing_names = tuple(ctx.unit_name(code) for code in missing)
    laggards = laggards_of(ctx, [j.row for j in judged.values()], missing)
    if not judged:
        explanation = explain(
            measure,
            metric_name=metric_name,
            value_text="",
            formula="",
            threshold=_coverage_threshold(measure),
            summary=f"{year}年，各市级总工会均未报送，无法计算。",
            missing_units=missing_names,
            laggards=laggards,
            note="无市级总工会报送",
        )
        return MeasureResult(status_row(measure, year, PROVINCE_SCOPE, NO_DATA, None, "—", explanation), units)
    covered = sum(j.covered for j in judged.values())
    total = sum(j.total for j in judged.values())
    rate = covered / total
    thresholds = measure.rule.thresholds
    status = band(rate, thresholds["green"], thresholds.get("amber"))
    used = [f for j in judged.values() for f in j.figures]
    head = f"{year}年，全省{len(judged)}个报送的市级总工会及所辖县（区）总工会召开专题会议的比例为{fmt.pct(rate)}，{status}"
    explanation = explain(
        measure,
        metric_name=metric_name,
        value_text=fmt.pct(rate),
        formula=f"召开专题会议的市、县总工会 {covered}个 ÷ 市、县总工会 {total}个 = {fmt.pct(rate)}",
        threshold=_coverage_threshold(measure),
        summary=sentence(head, laggard_clause(laggards)),
        laggards=laggards,
        missing_units=missing_names,
        note=partial_note(missing),
        sources=sources(used),
        remarks=remarks(used),
    )
    inputs = {"covered": float(covered), "total": float(total)}
    overall = status_row(measure, year, PROVINCE_SCOPE, status, rate, fmt.pct(rate), explanation, inputs)
    return MeasureResult(overall, units)


# -- min_each (M11) ------------------------------------------------------------------------------


def _min_each_threshold(ctx: RuleContext, measure: Measure) -> str:
    minimum = measure.rule.thresholds["minimum"]
    items = "、".join(
        f"{ctx.catalog.indicator(i).name}≥{show(ctx, i, minimum)}" for i in measure.rule.params["indicators"]
    )
    return f"{items}：每项均达到为达标；部分达到为预警；均未达到为未达标"


def _min_each_unit(ctx: RuleContext, measure: Measure, year: int, unit: str) -> MeasureStatus:
    indicators = measure.rule.params["indicators"]
    minimum = measure.rule.thresholds["minimum"]
    found = {i: figure(ctx, i, year, unit) for i in indicators}
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
    name = ctx.unit_name(unit)
    if missed:
        short = "、".join(ctx.catalog.indicator(i).name for i in missed)
        summary = f"{year}年，{name}{short}未达到规定次数，{status}。"
    else:
        summary = f"{year}年，{name}各项均达到规定次数，达标。"
    used = [f for f in found.values() if f is not None]
    text = f"{len(met)}/{len(indicators)}项"
    explanation = explain(
        measure,
        metric_name="达到规定次数的指标项数",
        value_text=text,
        formula="；".join(parts),
        threshold=_min_each_threshold(ctx, measure),
        summary=summary,
        sources=sources(used),
        remarks=remarks(used),
    )
    inputs = {i: (None if found[i] is None else float(found[i].value)) for i in indicators}  # type: ignore[arg-type]
    return status_row(measure, year, unit, status, float(len(met)), text, explanation, inputs)


@rule("min_each")
def judge_min_each(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    return_code = indicator_return(ctx, measure.rule.params["indicators"][0])
    expected = ctx.expected_units(return_code)
    reporters = ctx.reporters(return_code, year)
    threshold = _min_each_threshold(ctx, measure)
    judged = [_min_each_unit(ctx, measure, year, u.code) for u in expected if u.code in reporters]
    by_code = {r.unit_code: r for r in judged}
    units = tuple(
        by_code.get(u.code)
        or not_reported(ctx, measure, year, u.code, return_code, "达到规定次数的指标项数", threshold)
        for u in expected
    )
    missing = [u.code for u in expected if u.code not in reporters]
    met = sum(r.status == ON_TRACK for r in judged)
    statuses = {r.status for r in judged}
    # All reporting units 达标 → 达标; any unit meeting none of the minimums → 未达标; otherwise 预警.
    if not judged:
        status = NO_DATA
    elif statuses == {ON_TRACK}:
        status = ON_TRACK
    else:
        status = OFF_TRACK if OFF_TRACK in statuses else AT_RISK
    label = TYPE_LABELS[expected[0].type] if expected else ""
    text = f"{met}/{len(expected)}"
    laggards = laggards_of(ctx, judged, missing)
    head = f"{year}年，{len(expected)}个{label}中{met}个各项均达到规定次数，{status}"
    explanation = explain(
        measure,
        metric_name="各项均达到规定次数的单位数",
        value_text=text,
        formula=f"各项均达到规定次数的{label} {met}个（报送{len(judged)}个，应报送{len(expected)}个）",
        threshold=f"{threshold}。全部报送单位均达标为达标，任一单位均未达到为未达标，否则预警",
        summary=sentence(head, laggard_clause(laggards)) if judged else f"{year}年，各{label}均未报送，无法判断。",
        laggards=laggards,
        missing_units=tuple(ctx.unit_name(c) for c in missing),
        note=partial_note(missing),
        sources=tuple(s for r in judged for s in r.explanation.sources),
        remarks=tuple(m for r in judged for m in r.explanation.remarks),
    )
    inputs = {"units_met": float(met), "units_reporting": float(len(judged)), "units_expected": float(len(expected))}
    overall = status_row(
        measure, year, PROVINCE_SCOPE, status, float(met) if judged else None, text, explanation, inputs
    )
    return MeasureResult(overall, units)


# -- every_unit (M13, M15, M18) ------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One part of an every_unit condition for one unit."""

    indicator: str
    ask: str  # e.g. 本年召开联席（联系）会议次数≥1次
    ok: bool
    figure: Figure | None

    def shown(self) -> str:
        return self.figure.text if self.figure else "未填报"


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
        ok = fig is not None and meets(float(fig.value), 1)  # type: ignore[arg-type]
        checks.append(Check(indicator, f"{name}≥{show(ctx, indicator, 1.0)}", ok, fig))
    return checks


def _every_unit_row(ctx: RuleContext, measure: Measure, year: int, unit: str, threshold: str) -> MeasureStatus:
    checks = _every_unit_checks(ctx, measure, year, unit)
    failed = [c for c in checks if not c.ok]
    status = OFF_TRACK if failed else ON_TRACK
    value_text = "；".join(f"{ctx.catalog.indicator(c.indicator).name}：{c.shown()}" for c in failed) or "满足"
    formula = "；".join(f"{c.ask}：{c.shown()}，{'满足' if c.ok else '不满足'}" for c in checks)
    name = ctx.unit_name(unit)
    summary = (
        f"{year}年，{name}满足条件，达标。" if not failed else f"{year}年，{name}未满足条件（{value_text}），未达标。"
    )
    used = [c.figure for c in checks if c.figure is not None]
    explanation = explain(
        measure,
        metric_name="是否满足条件",
        value_text=value_text,
        formula=formula,
        threshold=threshold,
        summary=summary,
        sources=sources(used),
        remarks=remarks(used),
    )
    inputs = {f.indicator: (f.value if isinstance(f.value, float) else f.text) for f in used}
    return status_row(measure, year, unit, status, 0.0 if failed else 1.0, value_text, explanation, inputs)


@rule("every_unit")
def judge_every_unit(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params, amber = measure.rule.params, measure.rule.thresholds["amber"]
    condition = params["condition"]
    first = (condition.get("all_true") or condition.get("at_least_one"))[0]
    return_code = indicator_return(ctx, first)
    expected = ctx.registry.of_type(params["expected_units"])
    label = TYPE_LABELS[params["expected_units"]]
    reporters = ctx.reporters(return_code, year)
    threshold = (
        f"全部{len(expected)}个{label}均满足为达标；≥{pct_threshold(amber)} 预警，否则未达标（未报送的按未满足计）"
    )
    units = tuple(
        _every_unit_row(ctx, measure, year, u.code, threshold)
        if u.code in reporters
        else not_reported(ctx, measure, year, u.code, return_code, "是否满足条件", threshold)
        for u in expected
    )
    judged = [r for r in units if r.unit_code in reporters]
    missing = [u.code for u in expected if u.code not in reporters]
    met = sum(r.status == ON_TRACK for r in judged)
    share = met / len(expected) if expected else 0.0
    if not judged:
        status = NO_DATA
    elif met == len(expected):
        status = ON_TRACK
    else:
        status = AT_RISK if meets(share, amber) else OFF_TRACK
    text = f"{met}/{len(expected)}"
    laggards = laggards_of(ctx, judged, missing)
    head = f"{year}年，{len(expected)}个{label}中{met}个满足条件（{fmt.pct(share)}），{status}"
    explanation = explain(
        measure,
        metric_name="满足条件的单位数",
        value_text=text,
        formula=f"满足条件的{label} {met}个 ÷ {label}总数 {len(expected)}个 = {fmt.pct(share)}",
        threshold=threshold,
        summary=sentence(head, laggard_clause(laggards)) if judged else f"{year}年，各{label}均未报送，无法判断。",
        laggards=laggards,
        missing_units=tuple(ctx.unit_name(c) for c in missing),
        note=f"{len(missing)}个单位未报送，按未满足计" if missing else "",
        sources=tuple(s for r in judged for s in r.explanation.sources),
        remarks=tuple(m for r in judged for m in r.explanation.remarks),
    )
    inputs = {"units_met": float(met), "units_expected": float(len(expected)), "share": share}
    overall = status_row(
        measure, year, PROVINCE_SCOPE, status, float(met) if judged else None, text, explanation, inputs
    )
    return MeasureResult(overall, units)
