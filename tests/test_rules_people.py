"""The parity rule (M17) on hand-built figures: each industry union's promotion rate against the provincial
federation's own organ rate, by eye: organ 5 of 20 promoted = 25%."""

from __future__ import annotations

import copy
from collections.abc import Callable

import yaml
from status_fixtures import context, fact

from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from pipeline.status import rules_people  # noqa: F401  (registers the rule kind)
from pipeline.status.context import RuleContext
from pipeline.status.engine import RULES
from pipeline.status.model import Laggard, MeasureResult

INDUSTRY = ["I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08"]
MISSING_REFERENCE = "缺少省总工会机关干部提拔数据（机关符合晋升条件的干部数、机关本年提拔或晋升职级的干部数），无法计算"


def judge(ctx: RuleContext, year: int = 2024) -> MeasureResult:
    measure = ctx.catalog.measure(17)
    return RULES[measure.rule.kind](ctx, measure, year)


def with_catalog(ctx: RuleContext, change: Callable[[dict], None]) -> RuleContext:
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")))
    change(raw)
    return RuleContext(parse_catalog(raw), ctx.registry, ctx.facts, ctx.coverage)


def thresholds(raw: dict) -> dict:
    return next(m for m in raw["measures"] if m["number"] == 17)["rule"]["thresholds"]


def unit(result: MeasureResult, code: str):
    return next(s for s in result.units if s.unit_code == code)


def organ(promoted: float, eligible: float, year: int = 2024) -> list[dict]:
    return [
        fact(year, "m17_organ_promoted", promoted, unit="P00", cell="D40"),
        fact(year, "m17_organ_eligible", eligible, unit="P00", cell="D39"),
    ]


def union(code: str, promoted: float, eligible: float, year: int = 2024) -> list[dict]:
    return [
        fact(year, "m17_cadres_promoted", promoted, unit=code, cell="D31"),
        fact(year, "m17_cadres_eligible", eligible, unit=code, cell="D30"),
    ]


def three_unions() -> list[dict]:
    # 25% -> 1.00, 20% -> 0.80, 10% -> 0.40; I04..I08 did not report
    return organ(5, 20) + union("I01", 3, 12) + union("I02", 2, 10) + union("I03", 1, 10)


def test_index_exactly_at_thresholds():
    result = judge(context(three_unions()))
    assert [(s.unit_code, s.status, s.metric_text) for s in result.units[:3]] == [
        ("I01", "达标", "1.00"),
        ("I02", "预警", "0.80"),
        ("I03", "未达标", "0.40"),
    ]
    assert unit(result, "I02").metric == 0.8
    assert unit(result, "I02").explanation.summary == "2024年，省能源化学地质工会提拔率比值0.80，低于1.00，为预警。"
    assert unit(result, "I03").explanation.summary == "2024年，省机械冶金建材工会提拔率比值0.40，低于0.80，未达标。"
    assert unit(result, "I01").explanation.summary == "2024年，省教科文卫体工会提拔率比值1.00，达标。"


def test_unit_formula_and_sources_include_the_organ_figures():
    status = unit(judge(context(three_unions())), "I02")
    assert status.explanation.formula == (
        "本年提拔或晋升职级的干部数 2人 ÷ 符合晋升条件的干部数 10人 = 20.0%；"
        "机关本年提拔或晋升职级的干部数 5人 ÷ 机关符合晋升条件的干部数 20人 = 25.0%；20.0% ÷ 25.0% = 0.80"
    )
    assert [s.location() for s in status.explanation.sources] == [
        "2024_R2_I02.xlsx／R2_MAIN!D31",
        "2024_R2_I02.xlsx／R2_MAIN!D30",
        "2024_R3_P00.xlsx／R3_MAIN!D40",
        "2024_R3_P00.xlsx／R3_MAIN!D39",
    ]
    assert status.explanation.threshold == "≥1.00 达标，≥0.80 预警，否则未达标"
    assert status.inputs == {
        "m17_cadres_promoted": 2.0,
        "m17_cadres_eligible": 10.0,
        "m17_organ_promoted": 5.0,
        "m17_organ_eligible": 20.0,
    }


def test_overall_pools_the_reporting_unions_and_names_the_missing():
    overall = judge(context(three_unions())).overall
    assert (overall.unit_code, overall.status, overall.metric_text) == ("P00", "未达标", "0.75")
    assert overall.explanation.formula == (
        "本年提拔或晋升职级的干部数合计 6人 ÷ 符合晋升条件的干部数合计 32人 = 18.8%（3个单位）；"
        "机关本年提拔或晋升职级的干部数 5人 ÷ 机关符合晋升条件的干部数 20人 = 25.0%；18.8% ÷ 25.0% = 0.75"
    )
    assert overall.explanation.laggards == (
        Laggard("I03", "省机械冶金建材工会", "未达标", "0.40"),
        Laggard("I02", "省能源化学地质工会", "预警", "0.80"),
    )
    assert overall.explanation.missing_units == (
        "省国防邮电工会",
        "省财贸轻纺烟草工会",
        "省农林水利气象工会",
        "省海员建设工会",
        "省金融工会",
    )
    assert overall.explanation.note == "5个单位未报送，按已报送单位计算"
    assert overall.explanation.summary == (
        "2024年，8个省级产业工会中1个提拔率比值达到1.00，省机械冶金建材工会（0.40）为未达标，省能源化学地质工会（0.80）为预警，"
        "省国防邮电工会、省财贸轻纺烟草工会、省农林水利气象工会、省海员建设工会、省金融工会未报送。"
    )
    assert len(overall.explanation.sources) == 8  # the organ's two cells once, two per union
    assert unit(judge(context(three_unions())), "I05").explanation.note == "未报送"


def test_overall_on_track_and_at_risk():
    everyone = organ(5, 20) + [f for code in INDUSTRY for f in union(code, 1, 4)]
    overall = judge(context(everyone)).overall
    assert (overall.status, overall.metric_text) == ("达标", "1.00")
    assert overall.explanation.summary == "2024年，8个省级产业工会提拔率比值均达到1.00。"
    at_risk = organ(5, 20) + union("I01", 3, 12) + union("I02", 1, 6)  # 4 of 18 = 22.2% -> 0.89
    assert judge(context(at_risk)).overall.status == "预警"


def test_missing_or_zero_reference_is_no_data():
    result = judge(context(union("I01", 3, 12)))
    assert result.overall.status == "无数据"
    assert result.overall.explanation.note == f"{MISSING_REFERENCE}；7个单位未报送，按已报送单位计算"
    assert result.overall.explanation.summary == f"2024年，{MISSING_REFERENCE}。"
    assert (unit(result, "I01").status, unit(result, "I01").explanation.note) == ("无数据", MISSING_REFERENCE)
    zero = judge(context(organ(0, 20) + union("I01", 3, 12)))
    assert zero.overall.status == "无数据"
    assert (
        unit(zero, "I01").explanation.note
        == "缺少省总工会机关干部提拔数据（机关本年提拔或晋升职级的干部数为0），无法计算"
    )


def test_union_without_eligible_cadres_cannot_be_judged():
    result = judge(context(organ(5, 20) + union("I01", 0, 0) + union("I02", 1, 4)))
    assert (unit(result, "I01").status, unit(result, "I01").explanation.note) == (
        "无数据",
        "符合晋升条件的干部数为0，无法计算",
    )
    assert result.overall.status == "达标"
    assert result.overall.explanation.formula.startswith(
        "本年提拔或晋升职级的干部数合计 1人 ÷ 符合晋升条件的干部数合计 4人 = 25.0%（1个单位）"
    )


def test_thresholds_from_catalog_flip_status():
    ctx = context(three_unions())

    def lower_green(raw: dict) -> None:
        thresholds(raw)["green"] = 0.8

    def lower_amber(raw: dict) -> None:
        thresholds(raw)["amber"] = 0.4

    assert unit(judge(with_catalog(ctx, lower_green)), "I02").status == "达标"
    assert unit(judge(with_catalog(ctx, lower_amber)), "I03").status == "预警"
    assert judge(with_catalog(ctx, lower_amber)).overall.status == "预警"
