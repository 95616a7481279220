"""The organisation and inspection rules (M7, M8, M9) on hand-made figures."""

from __future__ import annotations

import copy

import yaml

from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from pipeline.status import rules_organisation  # noqa: F401  (registers the rule kinds)
from pipeline.status.context import RuleContext
from pipeline.status.engine import RULES
from pipeline.status.model import Laggard, MeasureResult
from tests.status_fixtures import context, fact

RAW_CATALOG = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))
CITIES = [f"C{n:02d}" for n in range(1, 13)]
INDUSTRY = [f"I{n:02d}" for n in range(1, 9)]
TONGCHUAN_COUNTIES = ["C02-01", "C02-02", "C02-03", "C02-04"]


def judge(ctx: RuleContext, number: int, year: int) -> MeasureResult:
    measure = ctx.catalog.measure(number)
    return RULES[measure.rule.kind](ctx, measure, year)


def with_rule(ctx: RuleContext, number: int, **changes) -> RuleContext:
    """The same figures judged by a copy of the catalog whose rule of one measure is edited."""
    raw = copy.deepcopy(RAW_CATALOG)
    entry = next(m for m in raw["measures"] if m["number"] == number)
    for key, value in changes.items():
        if key == "thresholds":
            entry["rule"]["thresholds"].update(value)
        else:
            entry["rule"][key] = value
    return RuleContext(parse_catalog(raw), ctx.registry, ctx.facts, ctx.coverage)


def unit(result: MeasureResult, code: str):
    return next(u for u in result.units if u.unit_code == code)


# -- M7 none_falling -----------------------------------------------------------------------------


def r2(year: int, union: str, members: int, employees: int, unions: int) -> list[dict]:
    return [
        fact(year, "m7_members", members, unit=union, cell="D20"),
        fact(year, "m7_employees", employees, unit=union, cell="D21"),
        fact(year, "m7_grassroots_unions", unions, unit=union, cell="D18"),
    ]


M7_FACTS = [
    *r2(2021, "I01", 900, 1000, 100),
    *r2(2022, "I01", 900, 1000, 100),  # both equal: not falling
    *r2(2021, "I02", 900, 1000, 50),
    *r2(2022, "I02", 850, 1000, 60),  # coverage falls
    *r2(2021, "I03", 800, 1000, 40),
    *r2(2022, "I03", 790, 1000, 39),  # both fall
    *r2(2022, "I04", 500, 1000, 10),  # no 2021 return
]


def test_m7_unit_statuses_by_number_of_falling_conditions():
    result = judge(context(M7_FACTS), 7, 2022)
    assert [(u.unit_code, u.status, u.metric_text) for u in result.units[:4]] == [
        ("I01", "达标", "90.0%"),
        ("I02", "预警", "85.0%"),
        ("I03", "未达标", "79.0%"),
        ("I04", "无数据", "50.0%"),
    ]
    i02 = unit(result, "I02").explanation
    assert i02.formula == (
        "会员覆盖率：会员人数 850人 ÷ 职工人数 1,000人 = 85.0%（上年 90.0%，下降）；所属基层工会数：60个（上年 50个，未下降）"
    )
    assert i02.summary == "2022年，省能源化学地质工会会员覆盖率低于上年，预警。"
    assert [s.location() for s in i02.sources] == [
        "2022_R2_I02.xlsx／R2_MAIN!D20",
        "2022_R2_I02.xlsx／R2_MAIN!D21",
        "2021_R2_I02.xlsx／R2_MAIN!D20",
        "2021_R2_I02.xlsx／R2_MAIN!D21",
        "2022_R2_I02.xlsx／R2_MAIN!D18",
        "2021_R2_I02.xlsx／R2_MAIN!D18",
    ]
    assert (
        unit(result, "I03").explanation.summary
        == "2022年，省机械冶金建材工会会员覆盖率、所属基层工会数低于上年，未达标。"
    )
    assert unit(result, "I04").explanation.note == "上年未报送，无可比数据"


def test_m7_overall_compares_the_units_reporting_both_years():
    overall = judge(context(M7_FACTS), 7, 2022).overall
    # I01–I03: 2,540 ÷ 3,000 = 84.7% against 2,600 ÷ 3,000 = 86.7%; 199 unions against 190.
    assert (overall.status, overall.metric, overall.metric_text) == ("预警", 2540 / 3000, "84.7%")
    e = overall.explanation
    assert e.formula == (
        "按3个两年均报送的单位合计：会员覆盖率：Σ会员人数 2,540人 ÷ Σ职工人数 3,000人 = 84.7%（上年 86.7%，下降）；"
        "所属基层工会数：合计 199个（上年 190个，未下降）"
    )
    assert e.laggards[:2] == (
        Laggard("I03", "省机械冶金建材工会", "未达标", "会员覆盖率 80.0%→79.0%；所属基层工会数 40个→39个"),
        Laggard("I02", "省能源化学地质工会", "预警", "会员覆盖率 90.0%→85.0%"),
    )
    assert e.missing_units == ("省财贸轻纺烟草工会", "省农林水利气象工会", "省海员建设工会", "省金融工会")
    assert e.note == "4个单位未报送，按已报送单位计算；省国防邮电工会缺少上年可比数据，未纳入全省比较"
    assert e.summary == (
        "2022年，全省会员覆盖率低于上年，预警；省机械冶金建材工会（会员覆盖率 80.0%→79.0%；所属基层工会数 40个→39个）为未达标，"
        "省能源化学地质工会（会员覆盖率 90.0%→85.0%）为预警，省财贸轻纺烟草工会、省农林水利气象工会、省海员建设工会、省金融工会未报送。"
    )
    assert overall.inputs == {"units_compared": 3.0, "units_reporting": 4.0}


def test_m7_nothing_falling_province_wide_is_on_track():
    facts = [*r2(2021, "I01", 900, 1000, 100), *r2(2022, "I01", 900, 1000, 100)]
    overall = judge(context(facts), 7, 2022).overall
    assert (overall.status, overall.explanation.summary) == (
        "达标",
        "2022年，全省各项均未低于上年，达标；省能源化学地质工会、省机械冶金建材工会、省国防邮电工会、省财贸轻纺烟草工会、"
        "省农林水利气象工会、省海员建设工会等7个未报送。",
    )


def test_m7_baseline_year_is_no_data_with_the_current_figure():
    result = judge(context(M7_FACTS), 7, 2021)
    overall = result.overall
    assert (overall.status, overall.metric_text) == ("无数据", "86.7%")
    assert overall.explanation.note == "基线年，无上年可比数据；5个单位未报送，按已报送单位计算"
    assert overall.explanation.summary == "2021年，全省会员覆盖率86.7%（基线年，无上年可比数据）。"
    i01 = unit(result, "I01")
    assert (i01.status, i01.explanation.note) == ("无数据", "基线年，无上年可比数据")
    assert i01.explanation.summary == "2021年，省教科文卫体工会会员覆盖率90.0%（基线年，无上年可比数据）。"


def test_m7_conditions_come_from_the_catalog():
    ctx = with_rule(context(M7_FACTS), 7, conditions=[{"name": "所属基层工会数", "value": "m7_grassroots_unions"}])
    result = judge(ctx, 7, 2022)
    assert [(u.unit_code, u.status) for u in result.units[:3]] == [("I01", "达标"), ("I02", "达标"), ("I03", "预警")]
    assert result.overall.status == "达标"


# -- M8 share_rising -----------------------------------------------------------------------------


def r1_m8(year: int, city: str, counties: dict[str, int]) -> list[dict]:
    rows = [fact(year, "m8_city_industry_unions", 2, unit=city, cell="D40")]
    for row, (county, unions) in enumerate(counties.items(), start=5):
        rows.append(
            fact(year, "m8_county_industry_unions", unions, unit=city, entity=county, row_no=row, cell=f"E{row}")
        )
    return rows


def tongchuan(year: int, having: int) -> list[dict]:
    """铜川: the first `having` of its 4 counties have an industry union."""
    return r1_m8(year, "C02", {c: (1 if i < having else 0) for i, c in enumerate(TONGCHUAN_COUNTIES)})


def test_m8_rising_equal_and_falling_shares():
    rising = unit(judge(context([*tongchuan(2021, 1), *tongchuan(2022, 2)]), 8, 2022), "C02")
    equal = unit(judge(context([*tongchuan(2021, 2), *tongchuan(2022, 2)]), 8, 2022), "C02")
    falling = unit(judge(context([*tongchuan(2021, 3), *tongchuan(2022, 2)]), 8, 2022), "C02")
    assert [(r.status, r.metric, r.metric_text) for r in (rising, equal, falling)] == [
        ("达标", 0.5, "50.0%"),
        ("预警", 0.5, "50.0%"),
        ("未达标", 0.5, "50.0%"),
    ]
    assert rising.explanation.formula == "县级产业工会数≥1的县（区）2个 ÷ 所辖县（区）4个 = 50.0%（上年 1/4，25.0%）"
    assert (
        rising.explanation.summary
        == "2022年，铜川市所辖县（区）中2/4个县级产业工会数≥1（50.0%），较上年（25.0%）上升，达标。"
    )
    assert (
        equal.explanation.summary
        == "2022年，铜川市所辖县（区）中2/4个县级产业工会数≥1（50.0%），较上年（50.0%）持平，预警。"
    )
    assert [s.location() for s in rising.explanation.sources][:2] == [
        "2022_R1_C02.xlsx／R1_COUNTY!E5",
        "2022_R1_C02.xlsx／R1_COUNTY!E6",
    ]
    assert len(rising.explanation.sources) == 8


def test_m8_full_share_is_on_track_even_when_flat_or_in_the_baseline_year():
    flat_full = unit(judge(context([*tongchuan(2021, 4), *tongchuan(2022, 4)]), 8, 2022), "C02")
    baseline_full = unit(judge(context(tongchuan(2021, 4)), 8, 2021), "C02")
    assert (flat_full.status, baseline_full.status) == ("达标", "达标")


def test_m8_baseline_year_and_missing_last_year_are_no_data():
    baseline = unit(judge(context(tongchuan(2021, 1)), 8, 2021), "C02")
    assert (baseline.status, baseline.explanation.note) == ("无数据", "基线年，无上年可比数据")
    no_last = unit(judge(context(tongchuan(2022, 1)), 8, 2022), "C02")
    assert (no_last.status, no_last.explanation.note) == ("无数据", "上年未报送，无可比数据")


def test_m8_missing_county_rows_count_as_not_having():
    facts = [*tongchuan(2021, 1), *r1_m8(2022, "C02", {"C02-01": 1, "C02-02": 1, "C02-03": 3})]
    row = unit(judge(context(facts), 8, 2022), "C02")
    assert (row.status, row.metric_text) == ("达标", "75.0%")


def test_m8_overall_province_share_excludes_hancheng_and_names_missing_cities():
    yangling = {"C11-01": 1}
    facts = [*tongchuan(2021, 1), *r1_m8(2021, "C11", yangling), *tongchuan(2022, 1), *r1_m8(2022, "C11", yangling)]
    facts += [fact(2022, "m8_city_industry_unions", 0, unit="C12")]
    result = judge(context(facts), 8, 2022)
    assert [u.unit_code for u in result.units] == CITIES[:11]
    overall = result.overall
    # (1 + 1) ÷ (4 + 1) both years: equal
    assert (overall.status, overall.metric, overall.metric_text) == ("预警", 0.4, "40.0%")
    e = overall.explanation
    assert e.formula == "县级产业工会数≥1的县（区）2个 ÷ 所辖县（区）5个 = 40.0%（上年 2/5，40.0%）"
    assert e.note == "9个单位未报送，按已报送单位计算；韩城市无所辖县（区），不参与本项评价"
    assert e.laggards[0] == Laggard("C02", "铜川市", "预警", "25.0%")
    assert e.missing_units == ("西安市", "宝鸡市", "咸阳市", "渭南市", "延安市", "汉中市", "榆林市", "安康市", "商洛市")
    assert e.summary == (
        "2022年，全省县级产业工会数≥1的县（区）比例为40.0%，较上年（40.0%）持平，预警；"
        "铜川市（25.0%）为预警，西安市、宝鸡市、咸阳市、渭南市、延安市、汉中市等9个未报送。"
    )


def test_m8_overall_compares_only_cities_reporting_both_years():
    facts = [*tongchuan(2021, 1), *tongchuan(2022, 2), *r1_m8(2022, "C11", {"C11-01": 0})]
    overall = judge(context(facts), 8, 2022).overall
    # headline 2/5 = 40%; 铜川 alone rose from 1/4 to 2/4
    assert (overall.status, overall.metric_text) == ("达标", "40.0%")
    assert overall.explanation.formula == (
        "县级产业工会数≥1的县（区）2个 ÷ 所辖县（区）5个 = 40.0%；"
        "1个两年均报送的市：县级产业工会数≥1的县（区）2个 ÷ 所辖县（区）4个 = 50.0%（上年 1/4，25.0%）"
    )


def test_m8_overall_baseline_is_no_data_unless_full():
    overall = judge(context(tongchuan(2021, 1)), 8, 2021).overall
    assert (overall.status, overall.metric_text) == ("无数据", "25.0%")
    assert overall.explanation.summary == (
        "2021年，全省县级产业工会数≥1的县（区）比例为25.0%，基线年，无上年可比数据；"
        "西安市、宝鸡市、咸阳市、渭南市、延安市、汉中市等10个未报送。"
    )
    assert judge(context(tongchuan(2021, 4)), 8, 2021).overall.status == "达标"


def test_m8_counted_indicator_comes_from_the_catalog():
    facts = [*tongchuan(2021, 1), *tongchuan(2022, 2)]
    facts += [fact(2021, "m8_county_new_form_federations", 1, unit="C02", entity=c) for c in TONGCHUAN_COUNTIES]
    ctx = with_rule(context(facts), 8, county_value="m8_county_new_form_federations")
    row = unit(judge(ctx, 8, 2022), "C02")  # 4/4 in 2021, no rows (0/4) in 2022
    assert (row.status, row.metric_text) == ("未达标", "0.0%")


# -- M9 inspection_window ------------------------------------------------------------------------

SCORES = [
    "m9_score_leadership",
    "m9_score_system",
    "m9_score_staffing",
    "m9_score_responsibility",
    "m9_score_funding",
    "m9_score_tasks",
    "m9_score_role",
]


def inspection(year: int, entity: str, scores: list[float], found: int, rectified: int, row: int = 5) -> list[dict]:
    """One R4 special-inspection row; its cells are in row `row`, columns C (first score) onwards."""
    cells = "CDEFGHIJK"
    rows = [
        fact(year, code, score, unit="P00", entity=entity, row_no=row, cell=f"{cells[i]}{row}")
        for i, (code, score) in enumerate(zip(SCORES, scores, strict=True))
    ]
    rows.append(fact(year, "m9_problems_found", found, unit="P00", entity=entity, row_no=row, cell=f"J{row}"))
    rows.append(fact(year, "m9_problems_rectified", rectified, unit="P00", entity=entity, row_no=row, cell=f"K{row}"))
    return rows


def everyone(
    year: int, score: float = 90, found: int = 10, rectified: int = 10, skip: tuple[str, ...] = ()
) -> list[dict]:
    return [
        f
        for i, u in enumerate(CITIES + INDUSTRY)
        if u not in skip
        for f in inspection(year, u, [score] * 7, found, rectified, row=5 + i)
    ]


def r4_filed(*years: int) -> dict:
    return {("R4", y): ["P00"] for y in years}


def test_m9_unit_exactly_at_both_thresholds_is_on_track():
    facts = everyone(2022, score=90, skip=("C01",)) + inspection(2022, "C01", [79, 81, 80, 80, 80, 80, 80], 10, 9)
    result = judge(context(facts), 9, 2022)
    row = unit(result, "C01")
    assert (row.status, row.metric, row.metric_text) == ("达标", 80.0, "80.0分")
    assert (
        row.explanation.formula
        == "2022年督查：（79分＋81分＋80分＋80分＋80分＋80分＋80分）÷ 7 = 80.0分；整改率 已整改问题数 9个 ÷ 发现问题数 10个 = 90.0%"
    )
    assert row.explanation.summary == "2022年，西安市于2022年接受专项督查，平均得分80.0分，整改率90.0%，达标。"
    assert [s.location() for s in row.explanation.sources][:2] == [
        "2022_R4_P00.xlsx／R4_SPECIAL!C5",
        "2022_R4_P00.xlsx／R4_SPECIAL!D5",
    ]
    assert len(row.explanation.sources) == 9


def test_m9_one_threshold_missed_is_at_risk_both_missed_is_off_track():
    facts = everyone(2022, skip=("C01", "C02", "C03"))
    facts += inspection(2022, "C01", [79.9] * 7, 10, 10, row=40)  # score just below
    facts += inspection(2022, "C02", [95] * 7, 10, 8, row=41)  # rectification 80%
    facts += inspection(2022, "C03", [70] * 7, 10, 5, row=42)  # both
    result = judge(context(facts), 9, 2022)
    assert [(c, unit(result, c).status) for c in ("C01", "C02", "C03")] == [
        ("C01", "预警"),
        ("C02", "预警"),
        ("C03", "未达标"),
    ]
    assert result.overall.explanation.laggards == (
        Laggard("C03", "宝鸡市", "未达标", "70.0分，整改率50.0%"),
        Laggard("C01", "西安市", "预警", "79.9分，整改率100.0%"),
        Laggard("C02", "铜川市", "预警", "95.0分，整改率80.0%"),
    )


def test_m9_no_problems_found_means_rectification_does_not_apply():
    facts = everyone(2022, skip=("C01",)) + inspection(2022, "C01", [85] * 7, 0, 0)
    row = unit(judge(context(facts), 9, 2022), "C01")
    assert row.status == "达标"
    assert row.explanation.formula.endswith("整改率 不适用（未发现问题）")


def test_m9_overall_from_mean_score_and_total_rectification():
    # 19 units at 90 with 10/10, 铜川 at 71 with 10/0: mean (19×90 + 71) ÷ 20 = 89.05; 190 ÷ 200 = 95%
    facts = everyone(2022, skip=("C02",)) + inspection(2022, "C02", [71] * 7, 10, 0)
    overall = judge(context(facts), 9, 2022).overall
    assert (overall.status, overall.metric_text) == ("达标", "89.0分")
    assert round(overall.metric, 2) == 89.05
    assert overall.explanation.formula == (
        "窗口期2021–2022已督查20/20个单位：平均得分 = 各单位平均得分之和 ÷ 20 = 89.0分；"
        "整改率 = Σ已整改问题数 190个 ÷ Σ发现问题数 200个 = 95.0%"
    )
    assert overall.explanation.summary == (
        "2022年（窗口期2021–2022），已督查20/20个单位，平均得分89.0分，整改率95.0%，达标；铜川市（71.0分，整改率0.0%）为未达标。"
    )
    assert len(overall.explanation.sources) == 20 * 9


def test_m9_overall_exactly_at_thresholds_is_on_track_and_below_both_is_off_track():
    at = judge(context(everyone(2022, score=80, found=10, rectified=9)), 9, 2022).overall
    below = judge(context(everyone(2022, score=79, found=10, rectified=8)), 9, 2022).overall
    one = judge(context(everyone(2022, score=79, found=10, rectified=9)), 9, 2022).overall
    assert [(r.status, r.metric_text) for r in (at, one, below)] == [
        ("达标", "80.0分"),
        ("预警", "79.0分"),
        ("未达标", "79.0分"),
    ]


def test_m9_closed_window_with_a_unit_never_inspected_is_off_track():
    # Inspections in 2023 count for the window 2023–2024; 韩城 never inspected.
    facts = everyone(2023, skip=("C12",))
    result = judge(context(facts, reporters=r4_filed(2023, 2024)), 9, 2024)
    overall = result.overall
    assert (overall.status, overall.metric_text) == ("未达标", "90.0分")
    assert overall.explanation.laggards == (Laggard("C12", "韩城市", "未达标", "未接受专项督查"),)
    assert overall.explanation.summary == (
        "2024年（窗口期2023–2024），已督查19/20个单位，平均得分90.0分，整改率100.0%，未达标；韩城市（未接受专项督查）为未达标。"
    )
    hancheng = unit(result, "C12")
    assert (hancheng.status, hancheng.explanation.note) == ("未达标", "窗口期内未接受专项督查")
    assert (
        unit(result, "C01").explanation.summary
        == "2024年，西安市于2023年接受专项督查，平均得分90.0分，整改率100.0%，达标。"
    )


def test_m9_open_window_partly_inspected_and_on_track_so_far_is_not_due():
    facts = inspection(2025, "C01", [88] * 7, 4, 4) + inspection(2025, "I01", [84] * 7, 6, 6, row=6)
    result = judge(context(facts), 9, 2025)
    overall = result.overall
    assert (overall.status, overall.metric_text) == ("未到期", "86.0分")
    assert overall.explanation.note == "窗口期2025–2026，2026年底届满，已督查2/20个单位，尚未全部督查"
    pending = unit(result, "C02")
    assert (pending.status, pending.metric_text, pending.explanation.note) == (
        "未到期",  # not inspected yet, and the window is still open: neither a failure nor missing data
        "尚未督查",
        "窗口期2025–2026，2026年底届满",
    )
    assert pending.explanation.summary == "2025年，铜川市尚未接受专项督查（窗口期2025–2026，2026年底届满）。"
    assert len(result.units) == 20


def test_m9_open_window_partly_inspected_below_the_bar_is_graded_now():
    facts = inspection(2025, "C01", [70] * 7, 4, 4)
    overall = judge(context(facts), 9, 2025).overall
    assert (overall.status, overall.metric_text) == ("预警", "70.0分")


def test_m9_open_window_fully_inspected_is_met_and_says_so():
    overall = judge(context(everyone(2025), reporters=r4_filed(2025)), 9, 2025).overall
    assert overall.status == "达标"
    assert overall.explanation.note == "窗口期2025–2026，2026年底届满，20个单位本窗口期内均已督查"


def test_m9_open_window_without_inspections_is_not_due():
    overall = judge(context([], reporters=r4_filed(2025)), 9, 2025).overall
    assert (overall.status, overall.metric, overall.metric_text) == ("未到期", None, "—")
    assert overall.explanation.note == "窗口期2025–2026，2026年底届满，本窗口期内尚未开展专项督查"
    assert overall.explanation.summary == "2025年，窗口期2025–2026内尚未开展专项督查，2026年底届满，未到期。"


def test_m9_open_window_without_any_return_is_no_data():
    overall = judge(context([], reporters=r4_filed()), 9, 2025).overall
    assert overall.status == "无数据"


def test_m9_a_new_window_starts_from_nothing():
    overall = judge(context(everyone(2022), reporters=r4_filed(2022, 2023)), 9, 2023).overall
    assert (overall.status, overall.explanation.note) == (
        "未到期",
        "窗口期2023–2024，2024年底届满，本窗口期内尚未开展专项督查",
    )


def test_m9_a_unit_inspected_twice_is_judged_on_the_later_inspection():
    facts = everyone(2021, skip=("C01",)) + inspection(2021, "C01", [60] * 7, 10, 0)
    facts += inspection(2022, "C01", [85] * 7, 10, 10)
    row = unit(judge(context(facts), 9, 2022), "C01")
    assert (row.status, row.metric_text, row.inputs["inspected_in"]) == ("达标", "85.0分", 2022.0)


def test_m9_closed_window_with_a_missing_return_cannot_fail_uninspected_units():
    facts = everyone(2024, skip=("C12",))
    result = judge(context(facts, reporters=r4_filed(2024)), 9, 2024)
    assert result.overall.status == "达标"
    assert result.overall.explanation.missing_units == ("省总工会",)
    assert result.overall.explanation.note == "2023年督查结果表未报送"
    assert unit(result, "C12").explanation.note == "窗口期2023–2024已届满，2023年督查结果表未报送，无法判断"


def test_m9_thresholds_come_from_the_catalog():
    ctx = context(everyone(2022, score=84))
    assert judge(ctx, 9, 2022).overall.status == "达标"
    stricter = judge(with_rule(ctx, 9, thresholds={"mean_score": 85}), 9, 2022).overall
    assert (stricter.status, stricter.explanation.threshold) == (
        "预警",
        "每2年窗口期内全部单位接受专项督查，平均得分≥85分且整改率≥90%为达标；一项未达到为预警，两项均未达到为未达标；"
        "窗口期届满仍有单位未接受督查为未达标；窗口期未届满且尚未全部督查为未到期（未发现问题的不计整改率）",
    )
