"""The funding rule kinds on hand-built figures: ratio (M4, M5, M10, M12, M16), not_lower_than_last_year (M6)
and share_not_below_last_year (M14). Every expected figure can be checked by eye from the inputs."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import yaml
from status_fixtures import context, fact

from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from pipeline.status import rules_funding  # noqa: F401  (registers the rule kinds)
from pipeline.status.context import RuleContext
from pipeline.status.engine import RULES
from pipeline.status.model import Laggard, MeasureResult, Remark

INDUSTRY = ["I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08"]


def judge(ctx: RuleContext, number: int, year: int) -> MeasureResult:
    measure = ctx.catalog.measure(number)
    return RULES[measure.rule.kind](ctx, measure, year)


def with_catalog(ctx: RuleContext, change: Callable[[dict], None]) -> RuleContext:
    """The same figures judged against a copy of the catalog changed by `change`."""
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")))
    change(raw)
    return RuleContext(parse_catalog(raw), ctx.registry, ctx.facts, ctx.coverage)


def rule_of(raw: dict, number: int) -> dict:
    return next(m for m in raw["measures"] if m["number"] == number)["rule"]


def unit(result: MeasureResult, code: str):
    return next(s for s in result.units if s.unit_code == code)


# -- ratio per industry union (M5, M12, M16) ------------------------------------------------------------


def dues(year: int, code: str, collected: float, due: float, remark: str | None = None) -> list[dict]:
    return [
        fact(year, "m5_dues_collected", collected, unit=code, cell="D11", remark=remark),
        fact(year, "m5_dues_due", due, unit=code, cell="D10"),
    ]


def test_m5_summary_names_two_laggards_worst_first():
    figures = {"I04": 88.2, "I08": 91.0}
    ctx = context([f for code in INDUSTRY for f in dues(2024, code, figures.get(code, 100.0), 100.0)])
    result = judge(ctx, 5, 2024)
    explanation = result.overall.explanation
    assert explanation.summary == (
        "2024年，8个省级产业工会中6个会费收缴率达到95%，省国防邮电工会（88.2%）、省金融工会（91.0%）为预警。"
    )
    assert explanation.laggards == (
        Laggard("I04", "省国防邮电工会", "预警", "88.2%"),
        Laggard("I08", "省金融工会", "预警", "91.0%"),
    )
    assert result.overall.unit_code == "P00"
    assert result.overall.status == "达标"
    assert result.overall.metric == pytest.approx(0.974)
    assert explanation.formula == "实收会费合计 779.2万元 ÷ 应收会费合计 800万元 = 97.4%（8个单位）"
    assert explanation.threshold == "≥95% 达标，≥85% 预警，否则未达标"
    assert explanation.metric_name == "会费收缴率"
    assert explanation.rule == ctx.catalog.measure(5).rule.reading
    assert explanation.missing_units == ()
    assert explanation.note == ""
    assert len(explanation.sources) == 16


def test_m5_unit_boundaries_are_met_exactly():
    ctx = context(
        dues(2024, "I01", 95.0, 100.0)
        + dues(2024, "I02", 85.0, 100.0)
        + dues(2024, "I03", 84.9, 100.0)
        + dues(2024, "I04", 1198.9, 1262.0)
    )
    result = judge(ctx, 5, 2024)
    assert [(s.unit_code, s.status, s.metric_text) for s in result.units[:4]] == [
        ("I01", "达标", "95.0%"),
        ("I02", "预警", "85.0%"),
        ("I03", "未达标", "84.9%"),
        ("I04", "达标", "95.0%"),
    ]
    assert unit(result, "I02").explanation.summary == "2024年，省能源化学地质工会会费收缴率85.0%，低于95%，为预警。"
    assert unit(result, "I03").explanation.summary == "2024年，省机械冶金建材工会会费收缴率84.9%，低于85%，未达标。"
    assert unit(result, "I01").explanation.summary == "2024年，省教科文卫体工会会费收缴率95.0%，达标。"
    assert unit(result, "I03").explanation.formula == "实收会费 84.9万元 ÷ 应收会费 100万元 = 84.9%"
    assert unit(result, "I03").inputs == {"m5_dues_collected": 84.9, "m5_dues_due": 100.0}


def test_m5_missing_units_are_named_and_left_out_of_the_total():
    ctx = context([f for code in INDUSTRY[:6] for f in dues(2024, code, 100.0, 100.0)])
    result = judge(ctx, 5, 2024)
    explanation = result.overall.explanation
    assert result.overall.status == "达标"
    assert result.overall.metric_text == "100.0%"
    assert explanation.missing_units == ("省海员建设工会", "省金融工会")
    assert explanation.note == "2个单位未报送，按已报送单位计算"
    assert explanation.summary == "2024年，8个省级产业工会中6个会费收缴率达到95%，省海员建设工会、省金融工会未报送。"
    assert explanation.formula == "实收会费合计 600万元 ÷ 应收会费合计 600万元 = 100.0%（6个单位）"
    missing = unit(result, "I08")
    assert (missing.status, missing.metric, missing.explanation.note) == ("无数据", None, "未报送")
    assert missing.explanation.summary == "2024年，省金融工会未报送。"


def test_m5_nobody_reporting_is_no_data():
    ctx = context(dues(2023, "I01", 100.0, 100.0))
    result = judge(ctx, 5, 2024)
    assert result.overall.status == "无数据"
    assert result.overall.metric is None
    assert result.overall.explanation.summary == "2024年，8个省级产业工会均未报送。"
    assert result.overall.explanation.note == "无可用数据；8个单位均未报送"
    assert len(result.overall.explanation.missing_units) == 8


def test_m5_blank_or_zero_figures_cannot_be_judged():
    facts = [fact(2024, "m5_dues_due", 100.0, unit="I01")] + dues(2024, "I02", 0.0, 0.0) + dues(2024, "I03", 90, 100)
    result = judge(context(facts), 5, 2024)
    assert (unit(result, "I01").status, unit(result, "I01").explanation.note) == ("无数据", "未填报实收会费")
    assert (unit(result, "I02").status, unit(result, "I02").explanation.note) == (
        "无数据",
        "当年无应收会费，无法计算会费收缴率",
    )
    assert result.overall.status == "预警"
    assert result.overall.explanation.formula == "实收会费合计 90万元 ÷ 应收会费合计 100万元 = 90.0%（2个单位）"
    assert result.overall.explanation.summary == (
        "2024年，8个省级产业工会中0个会费收缴率达到95%，省机械冶金建材工会（90.0%）为预警，"
        "省国防邮电工会、省财贸轻纺烟草工会、省农林水利气象工会、省海员建设工会、省金融工会未报送，"
        "省教科文卫体工会、省能源化学地质工会无法判断。"
    )


def test_m5_sources_name_the_cells_and_remarks_come_along():
    ctx = context(dues(2024, "I04", 88.2, 100.0, remark="含上年欠缴补缴"))
    status = unit(judge(ctx, 5, 2024), "I04")
    assert [(s.indicator, s.value_text, s.location()) for s in status.explanation.sources] == [
        ("m5_dues_collected", "88.2万元", "2024_R2_I04.xlsx／R2_MAIN!D11"),
        ("m5_dues_due", "100万元", "2024_R2_I04.xlsx／R2_MAIN!D10"),
    ]
    assert status.explanation.remarks == (Remark("I04", "m5_dues_collected", "含上年欠缴补缴"),)


def test_m5_threshold_from_catalog_flips_status():
    ctx = context(dues(2024, "I05", 91.0, 100.0))
    assert unit(judge(ctx, 5, 2024), "I05").status == "预警"

    def lower_green(raw: dict) -> None:
        rule_of(raw, 5)["thresholds"]["green"] = 0.9

    changed = judge(with_catalog(ctx, lower_green), 5, 2024)
    assert unit(changed, "I05").status == "达标"
    assert changed.overall.explanation.threshold == "≥90% 达标，≥85% 预警，否则未达标"


def test_m12_staffing_uses_its_own_thresholds():
    facts = []
    for code, in_post in (("I01", 9), ("I02", 7.5), ("I03", 7)):
        facts += [
            fact(2024, "m12_staff_in_post", in_post, unit=code),
            fact(2024, "m12_staff_establishment", 10, unit=code),
        ]
    result = judge(context(facts), 12, 2024)
    assert [(s.unit_code, s.status) for s in result.units[:3]] == [("I01", "达标"), ("I02", "预警"), ("I03", "未达标")]
    assert unit(result, "I01").explanation.formula == "实有工作人员数 9人 ÷ 核定编制数 10人 = 90.0%"
    assert result.overall.explanation.metric_name == "人员配备率"


def test_m16_training_strips_the_sub_item_prefix():
    facts = []
    for code, trained in (("I01", 8), ("I02", 6), ("I03", 5)):
        facts += [fact(2024, "m16_cadres_trained", trained, unit=code), fact(2024, "m16_cadres", 10, unit=code)]
    result = judge(context(facts), 16, 2024)
    assert [(s.unit_code, s.status) for s in result.units[:3]] == [("I01", "达标"), ("I02", "预警"), ("I03", "未达标")]
    assert unit(result, "I02").explanation.formula == "本年参加培训的干部人数 6人 ÷ 干部人数 10人 = 60.0%"
    assert (
        result.overall.explanation.formula == "本年参加培训的干部人数合计 19人 ÷ 干部人数合计 30人 = 63.3%（3个单位）"
    )
    assert result.overall.status == "预警"


# -- ratio for the province (M4) ----------------------------------------------------------------------


def funds(year: int, disbursed: float, approved: float) -> list[dict]:
    return [
        fact(year, "m4_funds_disbursed", disbursed, unit="P00", cell="D13"),
        fact(year, "m4_funds_approved", approved, unit="P00", cell="D12"),
    ]


def test_m4_exactly_at_green_is_on_track():
    result = judge(context(funds(2024, 90.0, 100.0)), 4, 2024)
    overall = result.overall
    assert (overall.status, overall.metric_text, overall.unit_code) == ("达标", "90.0%", "P00")
    assert result.units == ()
    assert overall.explanation.formula == "已拨付经费 90万元 ÷ 批准经费 100万元 = 90.0%"
    assert overall.explanation.threshold == "≥90% 达标，否则未达标"
    assert overall.explanation.summary == "2024年，经费拨付率90.0%，达标。"
    assert [s.location() for s in overall.explanation.sources] == [
        "2024_R3_P00.xlsx／R3_MAIN!D13",
        "2024_R3_P00.xlsx／R3_MAIN!D12",
    ]
    assert overall.inputs == {"m4_funds_disbursed": 90.0, "m4_funds_approved": 100.0}


def test_m4_below_green_without_amber_is_off_track():
    overall = judge(context(funds(2024, 89.9, 100.0)), 4, 2024).overall
    assert overall.status == "未达标"
    assert overall.explanation.summary == "2024年，经费拨付率89.9%，低于90%，未达标。"


def test_m4_no_approved_funds_is_no_data():
    overall = judge(context(funds(2024, 0.0, 0.0)), 4, 2024).overall
    assert (overall.status, overall.metric) == ("无数据", None)
    assert overall.explanation.note == "当年无批准经费，无法计算经费拨付率"
    assert overall.explanation.summary == "2024年，无批准经费，无法计算经费拨付率。"
    assert overall.explanation.formula == "已拨付经费 0万元 ÷ 批准经费 0万元"


def test_m4_return_not_filed_is_no_data():
    overall = judge(context(funds(2023, 90.0, 100.0)), 4, 2024).overall
    assert (overall.status, overall.explanation.note) == ("无数据", "未报送")
    assert overall.explanation.summary == "2024年，省总工会本级年度报表未报送。"


def test_m4_thresholds_from_catalog_flip_status():
    ctx = context(funds(2024, 89.9, 100.0))

    def add_amber(raw: dict) -> None:
        rule_of(raw, 4)["thresholds"]["amber"] = 0.8

    def lower_green(raw: dict) -> None:
        rule_of(raw, 4)["thresholds"]["green"] = 0.85

    assert judge(with_catalog(ctx, add_amber), 4, 2024).overall.status == "预警"
    assert judge(with_catalog(ctx, lower_green), 4, 2024).overall.status == "达标"


# -- ratio over inspection records (M10) ----------------------------------------------------------------


def inspection(row: int, entity: str, found: int, rectified: int, remark: str | None = None) -> list[dict]:
    return [
        fact(2024, "m10_problems_found", found, unit="P00", entity=entity, row_no=row, cell=f"D{5 + row}"),
        fact(
            2024,
            "m10_problems_rectified",
            rectified,
            unit="P00",
            entity=entity,
            row_no=row,
            cell=f"E{5 + row}",
            remark=remark,
        ),
    ]


def test_m10_sums_every_inspection_and_names_units_below_green():
    facts = (
        inspection(0, "C02", 4, 2, remark="2个问题限期至次年3月")
        + inspection(1, "C02", 2, 2)
        + inspection(2, "I03", 10, 10)
        + inspection(3, "C05", 4, 3)
    )
    overall = judge(context(facts), 10, 2024).overall
    assert (overall.status, overall.metric_text) == ("未达标", "85.0%")
    assert overall.explanation.formula == "已整改问题数 17个 ÷ 发现问题数 20个 = 85.0%"
    assert overall.explanation.laggards == (
        Laggard("C02", "铜川市", "未达标", "66.7%"),
        Laggard("C05", "渭南市", "未达标", "75.0%"),
    )
    assert overall.explanation.summary == (
        "2024年，随机督查4次（涉及3个单位），问题整改率85.0%，低于90%，未达标；铜川市（66.7%）、渭南市（75.0%）低于90%。"
    )
    assert sorted(s.cell for s in overall.explanation.sources) == ["D5", "D6", "D7", "D8", "E5", "E6", "E7", "E8"]
    assert overall.explanation.remarks == (Remark("C02", "m10_problems_rectified", "2个问题限期至次年3月"),)


def test_m10_exactly_at_green_is_on_track():
    overall = judge(context(inspection(0, "I01", 10, 9)), 10, 2024).overall
    assert overall.status == "达标"
    assert overall.explanation.summary == "2024年，随机督查1次（涉及1个单位），问题整改率90.0%，达标。"
    assert overall.explanation.laggards == ()


def test_m10_no_inspection_is_no_data():
    filed = context([], reporters={("R4", 2024): ["P00"]})
    overall = judge(filed, 10, 2024).overall
    assert (overall.status, overall.explanation.note) == ("无数据", "当年未开展随机督查")
    assert overall.explanation.summary == "2024年，未开展随机督查。"
    assert judge(context([]), 10, 2024).overall.explanation.note == "督查结果表未报送"


def test_m10_threshold_from_catalog_flips_status():
    ctx = context(inspection(0, "C02", 20, 17))
    assert judge(ctx, 10, 2024).overall.status == "未达标"

    def lower_green(raw: dict) -> None:
        rule_of(raw, 10)["thresholds"]["green"] = 0.85

    assert judge(with_catalog(ctx, lower_green), 10, 2024).overall.status == "达标"


# -- not_lower_than_last_year (M6) ------------------------------------------------------------------------


def budget(year: int, city: str, key_work: float, office: float) -> list[dict]:
    return [
        fact(year, "m6_budget_key_work", key_work, unit=city, cell="D20"),
        fact(year, "m6_resident_office_funds", office, unit=city, cell="D21"),
    ]


def m6_figures() -> list[dict]:
    return (
        budget(2023, "C01", 40, 15)
        + budget(2024, "C01", 45, 15)  # 55 -> 60: 达标
        + budget(2023, "C03", 20, 2)
        + budget(2024, "C03", 20, 2)  # 22 -> 22: 达标 (equal)
        + budget(2023, "C05", 50, 1.8)
        + budget(2024, "C05", 40, 8.5)  # 51.8 -> 48.5: 预警
        + budget(2024, "C02", 0, 5)  # key work 0: 未达标
        + budget(2024, "C04", 10, 0)  # no 2023 return
        + [
            fact(2024, "m6_county_budget_included", yes, unit="C01", entity=county, cell=f"C{row}")
            for row, (county, yes) in enumerate((("C01-01", True), ("C01-02", True), ("C01-03", False)), 5)
        ]
    )


def test_m6_each_city_and_the_province():
    result = judge(context(m6_figures()), 6, 2024)
    assert [(s.unit_code, s.status, s.metric_text) for s in result.units[:5]] == [
        ("C01", "达标", "60万元"),
        ("C02", "未达标", "5万元"),
        ("C03", "达标", "22万元"),
        ("C04", "达标", "10万元"),
        ("C05", "预警", "48.5万元"),
    ]
    overall = result.overall
    assert overall.status == "未达标"
    assert overall.explanation.laggards == (
        Laggard("C02", "铜川市", "未达标", "未纳入本级预算"),
        Laggard("C05", "渭南市", "预警", "2024年 48.5万元，低于2023年 51.8万元"),
    )
    assert overall.explanation.summary == (
        "2024年，12个市级总工会中3个已纳入本级预算且不低于上年，铜川市（未纳入本级预算）为未达标，"
        "渭南市（2024年 48.5万元，低于2023年 51.8万元）为预警，延安市、汉中市、榆林市、安康市、商洛市、杨凌示范区等7个未报送。"
    )
    assert overall.explanation.formula == "5个单位合计 145.5万元；达标3个、预警1个、未达标1个"
    assert overall.explanation.missing_units == (
        "延安市",
        "汉中市",
        "榆林市",
        "安康市",
        "商洛市",
        "杨凌示范区",
        "韩城市",
    )
    assert overall.explanation.note == "7个单位未报送，按已报送单位计算"


def test_m6_lower_than_last_year_names_both_figures():
    status = unit(judge(context(m6_figures()), 6, 2024), "C05")
    assert status.explanation.summary == "2024年，渭南市产业工会经费预算安排 48.5万元，低于2023年 51.8万元，为预警。"
    assert status.explanation.formula == (
        "本级预算安排产业工会重点工作经费 40万元 + 驻会产业工会日常办公经费和差旅费 8.5万元 = 48.5万元；上年（2023年）51.8万元"
    )
    assert [(s.value_text, s.location()) for s in status.explanation.sources] == [
        ("40万元", "2024_R1_C05.xlsx／R1_MAIN!D20"),
        ("8.5万元", "2024_R1_C05.xlsx／R1_MAIN!D21"),
        ("50万元", "2023_R1_C05.xlsx／R1_MAIN!D20"),
        ("1.8万元", "2023_R1_C05.xlsx／R1_MAIN!D21"),
    ]
    assert status.inputs == {"amount": 48.5, "previous_amount": 51.8, "counties_included": 0.0, "counties_total": 10.0}


def test_m6_equal_to_last_year_and_county_breakdown():
    result = judge(context(m6_figures()), 6, 2024)
    assert (
        unit(result, "C03").explanation.summary
        == "2024年，宝鸡市产业工会经费预算安排 22万元，不低于2023年 22万元，达标。"
    )
    xian = unit(result, "C01")
    assert xian.explanation.note == "所辖13个县（区）中2个已将产业工会经费纳入本级预算（10个未填报）"
    assert [
        (s.entity_code, s.value_text) for s in xian.explanation.sources if s.indicator == "m6_county_budget_included"
    ] == [("C01-01", "是"), ("C01-02", "是"), ("C01-03", "否")]


def test_m6_not_included_and_last_year_missing():
    result = judge(context(m6_figures()), 6, 2024)
    assert (
        unit(result, "C02").explanation.summary
        == "2024年，铜川市本级预算安排产业工会重点工作经费为0，未纳入本级预算，未达标。"
    )
    assert unit(result, "C04").explanation.note.startswith("上年未报送，只判断是否纳入预算；")
    assert unit(result, "C04").explanation.summary == "2024年，咸阳市已纳入本级预算（10万元），达标。"


def test_m6_baseline_year_judges_inclusion_only():
    result = judge(context(budget(2021, "C01", 30, 5) + budget(2021, "C02", 0, 5)), 6, 2021)
    assert unit(result, "C01").status == "达标"
    assert unit(result, "C01").explanation.note.startswith("基线年（2021年）只判断是否纳入预算；")
    assert unit(result, "C02").status == "未达标"
    assert result.overall.explanation.summary.startswith("2021年，12个市级总工会中1个已纳入本级预算，")


def test_m6_overall_at_risk_and_on_track():
    at_risk = (
        budget(2023, "C01", 40, 15)
        + budget(2024, "C01", 45, 15)
        + budget(2023, "C05", 50, 1.8)
        + budget(2024, "C05", 40, 8.5)
    )
    assert judge(context(at_risk), 6, 2024).overall.status == "预警"
    on_track = budget(2023, "C01", 40, 15) + budget(2024, "C01", 45, 15)
    assert judge(context(on_track), 6, 2024).overall.status == "达标"


def test_m6_catalog_parameters_flip_status():
    ctx = context(m6_figures())

    def office_funds_count(raw: dict) -> None:
        rule_of(raw, 6)["included_when_positive"] = "m6_resident_office_funds"

    def later_baseline(raw: dict) -> None:
        raw["reporting"]["baseline_year"] = 2024

    assert unit(judge(with_catalog(ctx, office_funds_count), 6, 2024), "C02").status == "达标"
    assert unit(judge(with_catalog(ctx, later_baseline), 6, 2024), "C05").status == "达标"


# -- share_not_below_last_year (M14) ---------------------------------------------------------------------

SHARE_CODES = [
    "m14_award_quota_industry",
    "m14_award_quota_total",
    "m14_training_places_industry",
    "m14_training_places_total",
    "m14_recuperation_places_industry",
    "m14_recuperation_places_total",
    "m14_hardship_aid_industry",
    "m14_hardship_aid_total",
]
LAST_YEAR = (30, 100, 10, 100, 5, 50, 20, 200)  # 30%, 10%, 10%, 10%


def shares(year: int, values: tuple[float, ...]) -> list[dict]:
    return [
        fact(year, code, value, unit="P00", cell=f"D{30 + i}")
        for i, (code, value) in enumerate(zip(SHARE_CODES, values, strict=True))
    ]


def test_m14_none_below_last_year_is_on_track():
    overall = judge(
        context(shares(2023, LAST_YEAR) + shares(2024, (30, 100, 12, 100, 5, 50, 25, 200))), 14, 2024
    ).overall
    assert (overall.status, overall.metric_text) == ("达标", "30.0%")
    assert overall.explanation.summary == "2024年，4项占比均不低于上年，达标。"
    assert len(overall.explanation.sources) == 16
    assert overall.explanation.sources[1].location() == "2024_R3_P00.xlsx／R3_MAIN!D31"


def test_m14_some_below_is_at_risk():
    overall = judge(
        context(shares(2023, LAST_YEAR) + shares(2024, (30, 100, 12, 100, 4, 50, 20, 200))), 14, 2024
    ).overall
    assert overall.status == "预警"
    assert (
        overall.explanation.summary
        == "2024年，4项占比中3项不低于上年，疗休养名额占比（8.0%，上年10.0%）低于上年，为预警。"
    )
    assert overall.explanation.formula == (
        "五一劳动奖名额占比 30个 ÷ 100个 = 30.0%（上年 30.0%）；干部培训名额占比 12人次 ÷ 100人次 = 12.0%（上年 10.0%）；"
        "疗休养名额占比 4人次 ÷ 50人次 = 8.0%（上年 10.0%）；帮扶资金占比 20万元 ÷ 200万元 = 10.0%（上年 10.0%）"
    )


def test_m14_all_below_is_off_track():
    overall = judge(
        context(shares(2023, LAST_YEAR) + shares(2024, (20, 100, 5, 100, 4, 50, 10, 200))), 14, 2024
    ).overall
    assert overall.status == "未达标"
    assert overall.explanation.summary == (
        "2024年，4项占比中0项不低于上年，五一劳动奖名额占比（20.0%，上年30.0%）、干部培训名额占比（5.0%，上年10.0%）、"
        "疗休养名额占比（8.0%，上年10.0%）、帮扶资金占比（5.0%，上年10.0%）低于上年，未达标。"
    )


def test_m14_baseline_year_shows_shares_without_judging():
    overall = judge(context(shares(2021, LAST_YEAR)), 14, 2021).overall
    assert (overall.status, overall.metric_text) == ("无数据", "30.0%")
    assert overall.explanation.note == "基线年（2021年）无上年数据可比较"
    assert overall.explanation.formula == (
        "五一劳动奖名额占比 30个 ÷ 100个 = 30.0%；干部培训名额占比 10人次 ÷ 100人次 = 10.0%；"
        "疗休养名额占比 5人次 ÷ 50人次 = 10.0%；帮扶资金占比 20万元 ÷ 200万元 = 10.0%"
    )


def test_m14_last_year_missing_and_a_share_without_whole():
    assert judge(context(shares(2024, LAST_YEAR)), 14, 2024).overall.explanation.note == "上年未报送，无法比较"
    overall = judge(context(shares(2023, LAST_YEAR) + shares(2024, (30, 100, 10, 100, 5, 50, 0, 0))), 14, 2024).overall
    assert overall.status == "达标"
    assert overall.explanation.note == "帮扶资金占比无法计算，未参与比较"
    assert overall.explanation.summary == "2024年，3项占比均不低于上年，达标。"


def test_m14_catalog_parameters_flip_status():
    ctx = context(shares(2023, LAST_YEAR) + shares(2024, (30, 100, 12, 100, 4, 50, 20, 200)))

    def drop_recuperation(raw: dict) -> None:
        rule = rule_of(raw, 14)
        rule["shares"] = [s for s in rule["shares"] if s["part"] != "m14_recuperation_places_industry"]

    assert judge(ctx, 14, 2024).overall.status == "预警"
    assert judge(with_catalog(ctx, drop_recuperation), 14, 2024).overall.status == "达标"
