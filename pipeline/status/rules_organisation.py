"""Rule kinds of the organisation and inspection measures: none_falling (M7), share_rising (M8) and
inspection_window (M9). Figures are read and explained with the helpers of rules_common.py."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from pipeline.catalog import Catalog, Measure
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
    MeasureResult,
    MeasureStatus,
)
from pipeline.status.rules_common import (
    Evidence,
    Figure,
    Judging,
    Window,
    figure,
    figure_of_row,
    figure_text,
    indicator_return,
    joined,
    laggard_clause,
    laggards_of,
    meets,
    plain_pct,
    sentence,
    show,
    unit_label,
)

INSPECTION_NAME = "专项督查平均得分"
BASELINE_NOTE = "基线年，无上年可比数据"
NO_LAST_YEAR_NOTE = "上年未报送，无可比数据"
SHARE_THRESHOLD = "达到100%或较上年上升为达标；持平为预警；下降为未达标"
# How many falling conditions (none_falling) or missed thresholds (inspection_window) each status allows.
BY_MISSES = {0: ON_TRACK, 1: AT_RISK}


def by_misses(count: int) -> str:
    return BY_MISSES.get(count, OFF_TRACK)


def no_comparison_note(j: Judging) -> str:
    return BASELINE_NOTE if j.at_baseline else NO_LAST_YEAR_NOTE


# -- none_falling (M7) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One condition of none_falling for one unit (or the province) in one year."""

    value: float | None  # None when a figure is missing or the denominator is zero
    text: str  # "会员人数 9,000人 ÷ 职工人数 10,000人 = 90.0%" or "120个"
    figures: tuple[Figure, ...]


def _is_ratio(condition: dict) -> bool:
    return "numerator" in condition


def condition_text(catalog: Catalog, condition: dict, value: float | None) -> str:
    """A none_falling condition's figure as shown ("88.2%", "120个"): the key figure of the rule function and of the
    compact statuses (the first condition's)."""
    if _is_ratio(condition):
        return fmt.pct(value)
    return figure_text(catalog, condition["value"], value)


def _read(ctx: RuleContext, condition: dict, year: int, units: list[str]) -> Reading:
    """A condition summed over units: Σvalue, or Σnumerator ÷ Σdenominator (one unit: its own figures)."""
    codes = [condition["numerator"], condition["denominator"]] if _is_ratio(condition) else [condition["value"]]
    found = {code: [figure(ctx, code, year, u) for u in units] for code in codes}
    if not units or any(f is None for figs in found.values() for f in figs):
        return Reading(None, "未填报", tuple(f for figs in found.values() for f in figs if f is not None))
    used = tuple(f for figs in found.values() for f in figs)
    totals = {code: sum(float(f.value) for f in figs) for code, figs in found.items()}  # type: ignore[arg-type]
    parts = [f"{'Σ' if len(units) > 1 else ''}{ctx.catalog.indicator(c).name} {show(ctx, c, totals[c])}" for c in codes]
    if not _is_ratio(condition):
        total = show(ctx, codes[0], totals[codes[0]])
        return Reading(totals[codes[0]], f"合计 {total}" if len(units) > 1 else total, used)
    if totals[codes[1]] == 0:
        return Reading(None, f"{parts[0]} ÷ {parts[1]}，分母为零", used)
    value = totals[codes[0]] / totals[codes[1]]
    return Reading(value, f"{parts[0]} ÷ {parts[1]} = {fmt.pct(value)}", used)


@dataclass(frozen=True)
class Comparison:
    """Every condition this year against last year, for one unit or summed over several."""

    parts: tuple[str, ...]  # one formula part per condition
    falling: tuple[str, ...]  # names of the conditions that fell
    changes: tuple[str, ...]  # "会员覆盖率 89.9%→88.2%" for each that fell
    compared: int  # conditions with figures in both years
    figures: tuple[Figure, ...]

    @property
    def status(self) -> str:
        return by_misses(len(self.falling)) if self.compared else NO_DATA


def _compare(ctx: RuleContext, conditions: list[dict], year: int, units: list[str]) -> Comparison:
    parts, falling, changes, figures, compared = [], [], [], [], 0
    for condition in conditions:
        now, last = _read(ctx, condition, year, units), _read(ctx, condition, year - 1, units)
        figures += [*now.figures, *last.figures]
        if now.value is None or last.value is None:
            parts.append(f"{condition['name']}：{now.text}（上年 {last.text}），无法比较")
            continue
        compared += 1
        fell = now.value < last.value
        was, is_ = condition_text(ctx.catalog, condition, last.value), condition_text(ctx.catalog, condition, now.value)
        parts.append(f"{condition['name']}：{now.text}（上年 {was}，{'下降' if fell else '未下降'}）")
        if fell:
            falling.append(condition["name"])
            changes.append(f"{condition['name']} {was}→{is_}")
    return Comparison(tuple(parts), tuple(falling), tuple(changes), compared, tuple(figures))


def _falling_threshold(conditions: list[dict]) -> str:
    names = "、".join(c["name"] for c in conditions)
    return f"{names}均不低于上年为达标；一项下降为预警；两项及以上下降为未达标"


def _falling_verdict(comparison: Comparison) -> str:
    if not comparison.compared:
        return "缺少可比数据"
    if comparison.falling:
        return f"{'、'.join(comparison.falling)}低于上年，{comparison.status}"
    return "各项均未低于上年，达标"


def _none_falling_row(j: Judging, unit: Unit, last_filed: bool) -> MeasureStatus:
    ctx, year, conditions = j.ctx, j.year, j.measure.rule.params["conditions"]
    head = _read(ctx, conditions[0], year, [unit.code])
    metric_text = condition_text(ctx.catalog, conditions[0], head.value)
    if j.at_baseline or not last_filed:
        note = no_comparison_note(j)
        summary = j.said(unit, f"{conditions[0]['name']}{metric_text}（{note}）")
        evidence = Evidence.of(head.figures)
        fields = {"value_text": metric_text, "formula": head.text, "note": note}
        return j.status(unit.code, NO_DATA, head.value, metric_text, summary, evidence, **fields)
    comparison = _compare(ctx, conditions, year, [unit.code])
    summary = j.said(unit, _falling_verdict(comparison))
    inputs = {"falling": float(len(comparison.falling)), "changes": "；".join(comparison.changes)}
    note = "" if comparison.compared else "缺少可比数据"
    fields = {"value_text": metric_text, "formula": "；".join(comparison.parts), "note": note}
    evidence = Evidence.of(comparison.figures)
    return j.status(unit.code, comparison.status, head.value, metric_text, summary, evidence, inputs, **fields)


def _complete(ctx: RuleContext, conditions: list[dict], year: int, units: list[str]) -> list[str]:
    """Units with every figure of every condition in both years: the province-wide comparison sums only these."""
    return [
        u for u in units if all(_read(ctx, c, y, [u]).value is not None for c in conditions for y in (year - 1, year))
    ]


def _changes_or_figure(row: MeasureStatus) -> str:
    """How a none_falling laggard reads: what fell ("会员覆盖率 89.9%→88.2%"), else its figure."""
    return str(row.inputs["changes"]) if row.inputs.get("changes") else row.metric_text


@rule("none_falling")
def judge_none_falling(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    conditions = measure.rule.params["conditions"]
    return_code = indicator_return(ctx, conditions[0].get("numerator") or conditions[0]["value"])
    last = ctx.reporters(return_code, year - 1)
    j = Judging(ctx, measure, year, _falling_threshold(conditions), conditions[0]["name"], cite_return=True)
    units = j.each(return_code, lambda unit: _none_falling_row(j, unit, unit.code in last))
    judged, missing = j.split(return_code, units)
    reporting = [r.unit_code for r in judged]
    both = [] if j.at_baseline else _complete(ctx, conditions, year, [c for c in reporting if c in last])
    behind = j.behind(judged, missing, _changes_or_figure)
    notes = [j.missing_note(missing)]
    # The headline figure is summed over the units compared, so it matches the formula beside it.
    headline = _read(ctx, conditions[0], year, both or reporting)
    metric_text = condition_text(ctx.catalog, conditions[0], headline.value)
    if not both:
        status, used = NO_DATA, headline.figures
        notes.insert(0, no_comparison_note(j))
        formula = f"{conditions[0]['name']}：{headline.text}"
        summary = f"{year}年，全省{conditions[0]['name']}{metric_text}（{notes[0]}）。"
        if not reporting:
            summary = f"{year}年，各单位均未报送，无法判断。"
    else:
        comparison = _compare(ctx, conditions, year, both)
        status, used = comparison.status, comparison.figures
        unmatched = [ctx.unit_name(c) for c in reporting if c not in both]
        if unmatched:
            notes.append(f"{fmt.names(unmatched)}缺少上年可比数据，未纳入全省比较")
        formula = f"按{len(both)}个两年均报送的单位合计：" + "；".join(comparison.parts)
        summary = sentence(f"{year}年，全省{_falling_verdict(comparison)}", laggard_clause(behind["laggards"]))
    inputs = {"units_compared": float(len(both)), "units_reporting": float(len(reporting))}
    fields = {"value_text": metric_text, "formula": formula, "note": joined(*notes), **behind}
    evidence = Evidence.of(used)
    overall = j.status(PROVINCE_SCOPE, status, headline.value, metric_text, summary, evidence, inputs, **fields)
    return MeasureResult(overall, units)


# -- share_rising (M8) ---------------------------------------------------------------------------


def _has(ctx: RuleContext, indicator: str) -> str:
    return f"{ctx.catalog.indicator(indicator).name}≥1"


def _share_name(ctx: RuleContext, indicator: str) -> str:
    return f"{_has(ctx, indicator)}的县（区）比例"


@dataclass(frozen=True)
class Share:
    """The counties of one or more cities with the indicator ≥ 1 (having) among all their counties (total)."""

    having: int
    total: int
    figures: tuple[Figure, ...]

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.having, self.total)


def _share(ctx: RuleContext, indicator: str, year: int, cities: list[Unit]) -> Share:
    """Counties (registry count) with the indicator ≥ 1; a county without a row counts as not having."""
    counties = [c for city in cities for c in ctx.registry.counties_of(city.code)]
    found = [f for c in counties if (f := figure(ctx, indicator, year, c.code)) is not None]
    having = sum(meets(float(f.value), 1) for f in found)  # type: ignore[arg-type]
    return Share(having, len(counties), tuple(found))


def _rising_status(now: Share, last: Share | None) -> str:
    if now.ratio == 1:
        return ON_TRACK
    if last is None:
        return NO_DATA
    return ON_TRACK if now.ratio > last.ratio else AT_RISK if now.ratio == last.ratio else OFF_TRACK


def _verdict(now: Share, last: Share | None, status: str, note: str) -> str:
    """“较上年（45.3%）上升，达标” — the reason behind a share_rising status."""
    if status == NO_DATA:
        return note
    if now.ratio == 1 or last is None:
        return f"达到100%，{status}"
    change = "上升" if now.ratio > last.ratio else "持平" if now.ratio == last.ratio else "下降"
    return f"较上年（{fmt.pct(float(last.ratio))}）{change}，{status}"


def _share_formula(ctx: RuleContext, indicator: str, now: Share, last: Share | None) -> str:
    name = ctx.catalog.indicator(indicator).name
    text = f"{name}≥1的县（区）{now.having}个 ÷ 所辖县（区）{now.total}个 = {fmt.pct(float(now.ratio))}"
    return text + (f"（上年 {last.having}/{last.total}，{fmt.pct(float(last.ratio))}）" if last else "")


def _share_inputs(now: Share, last: Share | None) -> dict[str, float | None]:
    return {"having": float(now.having), "counties": float(now.total), "last_year": float(last.ratio) if last else None}


def _share_row(j: Judging, city: Unit, last_filed: bool) -> MeasureStatus:
    ctx, year, indicator = j.ctx, j.year, j.measure.rule.params["county_value"]
    now = _share(ctx, indicator, year, [city])
    last = None if j.at_baseline or not last_filed else _share(ctx, indicator, year - 1, [city])
    status = _rising_status(now, last)
    note = "" if status != NO_DATA else no_comparison_note(j)
    rate = float(now.ratio)
    evidence = Evidence.of(now.figures + (last.figures if last else ()))
    verdict = _verdict(now, last, status, note)
    summary = j.said(
        city, f"所辖县（区）中{now.having}/{now.total}个{_has(ctx, indicator)}（{fmt.pct(rate)}），{verdict}"
    )
    fields = {"formula": _share_formula(ctx, indicator, now, last), "note": note}
    return j.status(city.code, status, rate, fmt.pct(rate), summary, evidence, _share_inputs(now, last), **fields)


@rule("share_rising")
def judge_share_rising(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    indicator = measure.rule.params["county_value"]
    return_code = indicator_return(ctx, indicator)
    with_counties = [c for c in ctx.expected_units(return_code) if ctx.registry.counties_of(c.code)]
    excluded = [c.short_name for c in ctx.expected_units(return_code) if c not in with_counties]
    last_filed = ctx.reporters(return_code, year - 1)
    j = Judging(ctx, measure, year, SHARE_THRESHOLD, _share_name(ctx, indicator), cite_return=True)
    units = j.each(return_code, lambda city: _share_row(j, city, city.code in last_filed), with_counties)
    judged, missing = j.split(return_code, units)
    reporting = [c for c in with_counties if c.code not in missing]
    notes = [j.missing_note(missing), f"{fmt.names(excluded)}无所辖县（区），不参与本项评价" if excluded else ""]
    behind = j.behind(judged, missing)
    if not reporting:
        summary = f"{year}年，各{unit_label('city')}均未报送，无法计算。"
        return MeasureResult(j.no_data(PROVINCE_SCOPE, joined(*notes), summary, **behind), units)
    now = _share(ctx, indicator, year, reporting)
    # The comparison uses the cities that filed both years, so a missing return does not move the share.
    both = [c for c in reporting if c.code in last_filed]
    last = None if j.at_baseline or not both else _share(ctx, indicator, year - 1, both)
    same = _share(ctx, indicator, year, both) if last else now
    status = _rising_status(now, None) if last is None else _rising_status(same, last)
    partial = last is not None and len(both) < len(reporting)
    formula = _share_formula(ctx, indicator, now, None if partial else last)
    if partial:
        formula += f"；{len(both)}个两年均报送的市：{_share_formula(ctx, indicator, same, last)}"
    if status == NO_DATA:
        notes.insert(0, no_comparison_note(j))
    rate = float(now.ratio)
    evidence = Evidence.of(now.figures + (last.figures if last else ()))
    head = f"{year}年，全省{_share_name(ctx, indicator)}为{fmt.pct(rate)}，{_verdict(same, last, status, notes[0])}"
    summary = sentence(head, laggard_clause(behind["laggards"]))
    inputs, fields = _share_inputs(now, last), {"formula": formula, "note": joined(*notes), **behind}
    overall = j.status(PROVINCE_SCOPE, status, rate, fmt.pct(rate), summary, evidence, inputs, **fields)
    return MeasureResult(overall, units)


# -- inspection_window (M9) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """A unit's latest special inspection within the window (a unit inspected twice is judged on the later)."""

    unit: str
    year: int
    scores: tuple[Figure, ...]
    found: Figure | None
    rectified: Figure | None

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(f for f in (*self.scores, self.found, self.rectified) if f is not None)

    @property
    def mean(self) -> float | None:
        return sum(float(f.value) for f in self.scores) / len(self.scores) if self.scores else None  # type: ignore[arg-type]

    @property
    def rectification(self) -> float | None:
        """None when nothing was found (or the counts are blank): rectification does not apply."""
        if self.found is None or self.rectified is None or not self.found.value:
            return None
        return float(self.rectified.value) / float(self.found.value)  # type: ignore[arg-type]


def _inspections(ctx: RuleContext, params: dict, start: int, year: int) -> dict[str, Inspection]:
    codes = [*params["scores"], params["found"], params["rectified"]]
    # The window's figures come from the year-by-indicator index rather than a scan of every figure of every year.
    rows = pd.concat([ctx.figures(code, y) for y in range(start, year + 1) for code in codes])
    rows = rows[rows["return_code"] == indicator_return(ctx, params["found"])]
    # Each entity's latest inspection row (the greatest year, then row number), picked for all entities at once.
    keys = ["entity_code", "year", "row_no"]
    latest = rows[keys].sort_values(["year", "row_no"], kind="stable").drop_duplicates("entity_code", keep="last")
    chosen = rows[pd.MultiIndex.from_frame(rows[keys]).isin(pd.MultiIndex.from_frame(latest))]
    found: dict[str, dict[str, Figure]] = {}
    years: dict[str, int] = {}
    for r in chosen.to_dict("records"):
        years[r["entity_code"]] = int(r["year"])
        if (f := figure_of_row(ctx, r)) is not None:
            found.setdefault(r["entity_code"], {})[f.indicator] = f
    result = {}
    for entity, y in years.items():
        figures = found.get(entity, {})
        scores = tuple(figures[c] for c in params["scores"] if c in figures)
        result[entity] = Inspection(entity, y, scores, figures.get(params["found"]), figures.get(params["rectified"]))
    return result


def _misses(mean: float | None, rectification: float | None, thresholds: dict) -> int:
    low_score = mean is None or not meets(mean, thresholds["mean_score"])
    low_rectification = rectification is not None and not meets(rectification, thresholds["rectification"])
    return int(low_score) + int(low_rectification)


def _inspection_threshold(ctx: RuleContext, measure: Measure) -> str:
    params, thresholds = measure.rule.params, measure.rule.thresholds
    score = show(ctx, params["scores"][0], thresholds["mean_score"])
    return (
        f"每{params['window_years']}年窗口期内全部单位接受专项督查，平均得分≥{score}且整改率≥"
        f"{plain_pct(thresholds['rectification'])}为达标；一项未达到为预警，两项均未达到为未达标；"
        f"窗口期届满仍有单位未接受督查为未达标；窗口期未届满且尚未全部督查为{NOT_DUE}（未发现问题的不计整改率）"
    )


def score_text(catalog: Catalog, measure: Measure, value: float | None) -> str:
    """A mean score always with one decimal ("78.0分"), so scores line up in a list: the key figure of an inspected
    unit and of the province, in the rule function and the compact statuses."""
    unit = catalog.indicator(measure.rule.params["scores"][0]).unit
    return "—" if value is None else fmt.number(value, unit, 1)


def uninspected_text(status: str) -> str:
    """The key figure of a unit not inspected in the window: failed once the window has closed, else still to come."""
    return "未接受专项督查" if status == OFF_TRACK else "尚未督查"


def _rectification_text(value: float | None) -> str:
    return "不适用（未发现问题）" if value is None else fmt.pct(value)


def _inspected_row(j: Judging, ins: Inspection) -> MeasureStatus:
    status = by_misses(_misses(ins.mean, ins.rectification, j.measure.rule.thresholds))
    score, rect = score_text(j.ctx.catalog, j.measure, ins.mean), _rectification_text(ins.rectification)
    formula = f"{ins.year}年督查：（{'＋'.join(f.text for f in ins.scores)}）÷ {len(ins.scores)} = {score}；整改率 "
    if ins.rectification is None:
        formula += rect
    else:
        formula += f"{ins.rectified.source.indicator_name} {ins.rectified.text} ÷ {ins.found.source.indicator_name} {ins.found.text} = {rect}"  # type: ignore[union-attr]
    name = j.ctx.unit_name(ins.unit)
    summary = f"{j.year}年，{name}于{ins.year}年接受专项督查，平均得分{score}，整改率{rect}，{status}。"
    inputs = {"inspected_in": float(ins.year), "mean_score": ins.mean, "rectification": ins.rectification}
    evidence = Evidence.of(ins.figures)
    return j.status(ins.unit, status, ins.mean, score, summary, evidence, inputs, value_text=score, formula=formula)


def _pending_note(window: Window) -> str:
    """Why a unit not yet inspected in the window is not (or is) failed."""
    if window.is_open:
        return window.closes
    return f"窗口期{window.text}已届满，{window.unfiled}，无法判断" if window.unfiled else "窗口期内未接受专项督查"


def _uninspected_row(j: Judging, window: Window, unit: str) -> MeasureStatus:
    # While the window is open a unit not yet inspected is 未到期 “尚未督查”, with the year the window closes: it
    # still has time, which is neither a failure nor missing data.
    status = window.pending_status
    name = j.ctx.unit_name(unit)
    if status == OFF_TRACK:
        summary = f"{window.year}年，{name}窗口期{window.text}内未接受专项督查，未达标。"
    else:
        summary = f"{window.year}年，{name}尚未接受专项督查（{_pending_note(window)}）。"
    return j.status(unit, status, None, uninspected_text(status), summary, note=_pending_note(window))


def _inspection_text(row: MeasureStatus) -> str:
    """A laggard reads “75.4分，整改率66.7%”; a unit never inspected keeps its “未接受专项督查”."""
    if row.metric is None:
        return row.metric_text
    return f"{row.metric_text}，整改率{_rectification_text(row.inputs['rectification'])}"  # type: ignore[arg-type]


@rule("inspection_window")
def judge_inspection_window(ctx: RuleContext, measure: Measure, year: int) -> MeasureResult:
    params = measure.rule.params
    window = Window.of(ctx, indicator_return(ctx, params["found"]), int(params["window_years"]), year)
    j = Judging(ctx, measure, year, _inspection_threshold(ctx, measure), INSPECTION_NAME)
    expected = [u for kind in params["expected_units"] for u in ctx.registry.of_type(kind)]
    found = _inspections(ctx, params, window.start, year)
    inspected = [found[u.code] for u in expected if u.code in found]
    units = tuple(
        _inspected_row(j, found[u.code]) if u.code in found else _uninspected_row(j, window, u.code) for u in expected
    )
    laggards = laggards_of(ctx, units, shown=_inspection_text)
    scored = [i.mean for i in inspected if i.mean is not None]
    mean = sum(scored) / len(scored) if scored else None
    counted = [i for i in inspected if i.found is not None and i.rectified is not None]
    found_sum = sum(float(i.found.value) for i in counted)  # type: ignore[union-attr]
    fixed_sum = sum(float(i.rectified.value) for i in counted)  # type: ignore[union-attr]
    rectification = fixed_sum / found_sum if found_sum else None
    if not inspected or (len(inspected) < len(expected) and window.pending_status == OFF_TRACK):
        status = window.pending_status
    else:
        status = by_misses(_misses(mean, rectification, measure.rule.thresholds))
        if status == ON_TRACK and len(inspected) < len(expected) and window.is_open:
            # Those inspected so far meet the thresholds, the rest still have time: not met yet, but not due either.
            status = NOT_DUE
    notes = [window.unfiled]
    if window.is_open:
        if not inspected:
            so_far = f"{window.closes}，本窗口期内尚未开展专项督查"
        elif len(inspected) < len(expected):
            so_far = f"{window.closes}，已督查{len(inspected)}/{len(expected)}个单位，尚未全部督查"
        else:
            so_far = f"{window.closes}，{len(expected)}个单位本窗口期内均已督查"
        notes.insert(0, so_far)
    score, rect = score_text(ctx.catalog, measure, mean), _rectification_text(rectification)
    found_ind, fixed_ind = ctx.catalog.indicator(params["found"]), ctx.catalog.indicator(params["rectified"])
    formula = (
        f"窗口期{window.text}已督查{len(inspected)}/{len(expected)}个单位：平均得分 = 各单位平均得分之和 ÷ "
        f"{len(scored)} = {score}；整改率 = Σ{fixed_ind.name} {fmt.number(fixed_sum, fixed_ind.unit)} ÷ "
        f"Σ{found_ind.name} {fmt.number(found_sum, found_ind.unit)} = {rect}"
    )
    head = f"{year}年（窗口期{window.text}），已督查{len(inspected)}/{len(expected)}个单位，平均得分{score}，整改率{rect}，{status}"
    if not inspected:
        verdict = (
            f"{window.end}年底届满，{status}"
            if window.is_open and status == NOT_DUE
            else status
            if status == OFF_TRACK
            else f"{window.unfiled}，无法判断"
        )
        head = f"{year}年，窗口期{window.text}内尚未开展专项督查，{verdict}"
        formula = ""
    counts = {"inspected": float(len(inspected)), "expected": float(len(expected))}
    inputs = {**counts, "mean_score": mean, "rectification": rectification}
    missing = (ctx.registry.province().short_name,) if window.unfiled else ()
    fields = {"value_text": score if inspected else "", "formula": formula, "note": joined(*notes)}
    summary = sentence(head, laggard_clause(laggards))
    evidence = Evidence.of(f for i in inspected for f in i.figures)
    fields |= {"laggards": laggards, "missing_units": missing}
    overall = j.status(PROVINCE_SCOPE, status, mean, score, summary, evidence, inputs, **fields)
    return MeasureResult(overall, units)
