"""The meeting and mechanism rules (M1, M2, M3, M11, M13, M15, M18) on hand-made figures."""

from __future__ import annotations

import copy
from datetime import date

import yaml

from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
from pipeline.status import rules_meetings  # noqa: F401  (registers the rule kinds)
from pipeline.status.context import RuleContext
from pipeline.status.engine import RULES
from pipeline.status.model import PROVINCE_SCOPE, Laggard, MeasureResult
from tests.status_fixtures import context, fact

RAW_CATALOG = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))
INDUSTRY = ["I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08"]
TONGCHUAN_COUNTIES = ["C02-01", "C02-02", "C02-03", "C02-04"]  # 王益区、印台区、耀州区、宜君县


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


# -- M1 window_held ------------------------------------------------------------------------------


def r3(year: int, conference: date | None = None) -> list[dict]:
    """An R3 return for the year; the conference date only where one was held."""
    rows = [fact(year, "m2_unions_reported", 8, unit="P00", cell="D20")]
    if conference:
        rows.append(fact(year, "m1_conference_date", conference, unit="P00", cell="D12"))
    return rows


def test_m1_held_in_the_window_is_on_track_and_names_date_and_cell():
    ctx = context([*r3(2021), *r3(2022, date(2022, 11, 17))])
    overall = judge(ctx, 1, 2022).overall
    assert (overall.unit_code, overall.status, overall.metric, overall.metric_text) == (
        PROVINCE_SCOPE,
        "达标",
        None,
        "2022年11月17日",
    )
    e = overall.explanation
    assert e.formula == "窗口期2021–2023：2022年11月17日召开"
    assert e.summary == "2022年，全省产业工会工作会议每3年1次：窗口期2021–2023内已于2022年11月17日召开，达标。"
    assert e.threshold == (
        "自2021年起每3年为一个窗口期，窗口期内至少召开1次为达标；届满仍未召开为未达标；窗口期未届满且尚未召开为未到期"
    )
    assert e.note == "窗口期2021–2023，2023年底届满，本窗口期内已召开"
    assert e.rule == "自2021年起每3年为一个窗口期（2021–2023、2024–2026……），窗口期内召开过一次即为达标。"
    assert [s.location() for s in e.sources] == ["2022_R3_P00.xlsx／R3_MAIN!D12"]
    assert e.sources[0].value_text == "2022年11月17日"
    assert overall.inputs == {"window": "2021–2023", "held_on": "2022-11-17"}


def test_m1_a_meeting_earlier_in_the_window_still_counts_the_next_year():
    ctx = context([*r3(2022, date(2022, 11, 17)), *r3(2023)])
    assert judge(ctx, 1, 2023).overall.status == "达标"


def test_m1_open_window_without_meeting_is_not_due_with_the_closing_year():
    # Held in the previous window (2023) does not count for 2024–2026: not met yet, but not due until 2026 either.
    ctx = context([*r3(2023, date(2023, 5, 1)), *r3(2024)])
    overall = judge(ctx, 1, 2024).overall
    assert (overall.status, overall.metric_text) == ("未到期", "尚未召开")
    assert overall.explanation.note == "窗口期2024–2026，2026年底届满，本窗口期内尚未召开"
    assert (
        overall.explanation.summary
        == "2024年，全省产业工会工作会议每3年1次：窗口期2024–2026内尚未召开，2026年底前召开即为达标，未到期。"
    )


def test_m1_open_window_with_a_missing_earlier_return_is_still_not_due_and_names_it():
    ctx = context([*r3(2025)])
    overall = judge(ctx, 1, 2025).overall
    assert overall.status == "未到期"
    assert overall.explanation.note == (
        "窗口期2024–2026，2026年底届满，本窗口期内尚未召开；2024年省总工会本级年度报表未报送"
    )


def test_m1_closed_window_without_meeting_is_off_track():
    ctx = context([*r3(2021), *r3(2022), *r3(2023)])
    overall = judge(ctx, 1, 2023).overall
    assert (overall.status, overall.metric_text) == ("未达标", "未召开")
    assert (
        overall.explanation.summary == "2023年，全省产业工会工作会议每3年1次：窗口期2021–2023已届满，未召开，未达标。"
    )
    assert overall.explanation.missing_units == ()


def test_m1_closed_window_with_a_missing_return_cannot_be_judged():
    ctx = context([*r3(2021), *r3(2023)])
    overall = judge(ctx, 1, 2023).overall
    assert overall.status == "无数据"
    assert overall.explanation.note == "窗口期2021–2023已届满，2022年省总工会本级年度报表未报送，无法判断是否召开"
    assert overall.explanation.missing_units == ("省总工会",)


def test_m1_no_return_at_all():
    overall = judge(context([]), 1, 2021).overall
    assert (overall.status, overall.metric_text) == ("无数据", "未报送")
    assert overall.explanation.note == "2021年省总工会本级年度报表未报送"


def test_m1_window_length_comes_from_the_catalog():
    ctx = context([*r3(2021), *r3(2022)])
    assert judge(ctx, 1, 2022).overall.status == "未到期"  # 2021–2023 still open
    two_years = judge(with_rule(ctx, 1, window_years=2), 1, 2022).overall
    assert (two_years.status, two_years.explanation.formula) == (
        "未达标",
        "窗口期2021–2022：各年度均未填报全省产业工会工作会议召开日期",
    )


# -- M2 held_all_reported ------------------------------------------------------------------------


def m2(year: int, held: date | None, reported: int) -> list[dict]:
    rows = [fact(year, "m2_unions_reported", reported, unit="P00", cell="D14")]
    if held:
        rows.append(fact(year, "m2_meeting_date", held, unit="P00", cell="D13"))
    return rows


def test_m2_held_and_all_eight_reported_is_on_track():
    overall = judge(context(m2(2024, date(2024, 4, 11), 8)), 2, 2024).overall
    assert (overall.status, overall.metric, overall.metric_text) == ("达标", 8.0, "8/8")
    assert (
        overall.explanation.formula == "2024年4月11日召开；在会上汇报工作的省级产业工会数 8个，应汇报的省级产业工会 8个"
    )
    assert (
        overall.explanation.summary
        == "2024年，省级产业工会工作会议每年召开：已于2024年4月11日召开，8个省级产业工会均作汇报，达标。"
    )
    assert [s.location() for s in overall.explanation.sources] == [
        "2024_R3_P00.xlsx／R3_MAIN!D13",
        "2024_R3_P00.xlsx／R3_MAIN!D14",
    ]


def test_m2_held_with_seven_of_eight_reporting_is_at_risk():
    overall = judge(context(m2(2022, date(2022, 4, 21), 7)), 2, 2022).overall
    assert (overall.status, overall.metric_text) == ("预警", "7/8")
    assert (
        overall.explanation.summary
        == "2022年，省级产业工会工作会议每年召开：已于2022年4月21日召开，7/8个省级产业工会作汇报，预警。"
    )


def test_m2_not_held_is_off_track():
    overall = judge(context(m2(2023, None, 0)), 2, 2023).overall
    assert (overall.status, overall.metric_text) == ("未达标", "0/8")
    assert overall.explanation.summary == "2023年，省级产业工会工作会议每年召开：当年未召开，未达标。"


def test_m2_without_the_return_is_no_data():
    overall = judge(context([]), 2, 2023).overall
    assert (overall.status, overall.metric_text) == ("无数据", "未报送")
    assert overall.explanation.missing_units == ("省总工会",)
    assert overall.explanation.summary == "2023年，省总工会未报送省总工会本级年度报表。"


def test_m2_expected_units_come_from_the_catalog():
    ctx = context(m2(2024, date(2024, 4, 11), 8))
    overall = judge(with_rule(ctx, 2, expected_units="city"), 2, 2024).overall
    assert (overall.status, overall.metric_text) == ("预警", "8/12")


# -- M3 coverage ---------------------------------------------------------------------------------


def r1(year: int, city: str, meetings: int, counties: dict[str, bool], remark: str | None = None) -> list[dict]:
    rows = [fact(year, "m3_city_meetings", meetings, unit=city, cell="D10")]
    for row, (county, held) in enumerate(counties.items(), start=5):
        rows.append(
            fact(
                year,
                "m3_county_meeting_held",
                held,
                unit=city,
                entity=county,
                row_no=row,
                cell=f"C{row}",
                remark=None if held else remark,
            )
        )
    return rows


def tongchuan(year: int, held: int, remark: str | None = None) -> list[dict]:
    """铜川 holds its own meeting; the first `held` of its 4 counties do too."""
    return r1(year, "C02", 2, {c: i < held for i, c in enumerate(TONGCHUAN_COUNTIES)}, remark)


def test_m3_city_exactly_at_amber_is_at_risk_with_formula_and_cells():
    result = judge(context(tongchuan(2022, 3, remark="机构调整")), 3, 2022)
    row = unit(result, "C02")
    assert (row.status, row.metric, row.metric_text) == ("预警", 0.8, "80.0%")
    e = row.explanation
    assert e.formula == "市本级召开2次（计1个）＋县（区）3/4个召开 = 4个 ÷ 市、县总工会5个 = 80.0%"
    assert e.summary == "2022年，铜川市召开专题会议的市、县总工会4/5个（80.0%），预警；宜君县未召开。"
    assert e.threshold == "≥100% 达标，≥80% 预警，否则未达标"
    assert e.laggards == (Laggard("C02-04", "宜君县", "未达标", "未召开"),)
    assert [s.location() for s in e.sources] == [
        "2022_R1_C02.xlsx／R1_MAIN!D10",
        "2022_R1_C02.xlsx／R1_COUNTY!C5",
        "2022_R1_C02.xlsx／R1_COUNTY!C6",
        "2022_R1_C02.xlsx／R1_COUNTY!C7",
        "2022_R1_C02.xlsx／R1_COUNTY!C8",
    ]
    assert [(r.unit_code, r.text) for r in e.remarks] == [("C02-04", "机构调整")]
    assert row.inputs == {"covered": 4.0, "total": 5.0}


def test_m3_every_unit_holding_is_exactly_green():
    row = unit(judge(context(tongchuan(2022, 4)), 3, 2022), "C02")
    assert (row.status, row.metric_text) == ("达标", "100.0%")


def test_m3_city_below_amber_is_off_track_and_missing_county_rows_count_as_not_held():
    facts = r1(2021, "C02", 1, {"C02-01": True, "C02-02": True, "C02-03": False})  # 宜君县 row absent
    row = unit(judge(context(facts), 3, 2021), "C02")
    assert (row.status, row.metric_text) == ("未达标", "60.0%")
    assert row.explanation.note == "宜君县未填报，按未召开计"
    assert row.explanation.laggards == (
        Laggard("C02-03", "耀州区", "未达标", "未召开"),
        Laggard("C02-04", "宜君县", "未达标", "未填报"),
    )


def test_m3_city_without_own_meeting_is_not_counted():
    row = unit(judge(context(r1(2022, "C11", 0, {"C11-01": True})), 3, 2022), "C11")
    assert (row.status, row.metric_text) == ("未达标", "50.0%")
    assert row.explanation.formula == "市本级召开0次（不计）＋县（区）1/1个召开 = 1个 ÷ 市、县总工会2个 = 50.0%"


def test_m3_hancheng_has_no_counties_so_its_denominator_is_one():
    row = unit(judge(context(r1(2022, "C12", 1, {})), 3, 2022), "C12")
    assert (row.status, row.metric_text) == ("达标", "100.0%")
    assert row.explanation.formula == "市本级召开1次（计1个）＋县（区）0/0个召开 = 1个 ÷ 市、县总工会1个 = 100.0%"
    assert row.explanation.note == "无所辖县（区），按市本级计算"


def test_m3_overall_is_the_province_wide_rate_and_names_laggards_and_missing_cities():
    facts = [*tongchuan(2022, 3), *r1(2022, "C11", 1, {"C11-01": True}), *r1(2022, "C12", 0, {})]
    result = judge(context(facts), 3, 2022)
    overall = result.overall
    # (4 + 2 + 0) ÷ (5 + 2 + 1) = 75%
    assert (overall.status, overall.metric, overall.metric_text) == ("未达标", 0.75, "75.0%")
    e = overall.explanation
    assert e.formula == "召开专题会议的市、县总工会 6个 ÷ 市、县总工会 8个 = 75.0%"
    assert e.laggards[:2] == (Laggard("C12", "韩城市", "未达标", "0.0%"), Laggard("C02", "铜川市", "预警", "80.0%"))
    assert [lag.unit_name for lag in e.laggards[2:]] == [
        "西安市",
        "宝鸡市",
        "咸阳市",
        "渭南市",
        "延安市",
        "汉中市",
        "榆林市",
        "安康市",
        "商洛市",
    ]
    assert {lag.value_text for lag in e.laggards[2:]} == {"未报送"}
    assert e.missing_units == ("西安市", "宝鸡市", "咸阳市", "渭南市", "延安市", "汉中市", "榆林市", "安康市", "商洛市")
    assert e.note == "9个单位未报送，按已报送单位计算"
    assert e.summary == (
        "2022年，全省3个报送的市级总工会及所辖县（区）总工会召开专题会议的比例为75.0%，未达标；"
        "韩城市（0.0%）为未达标，铜川市（80.0%）为预警，西安市、宝鸡市、咸阳市、渭南市、延安市、汉中市等9个未报送。"
    )
    assert len(e.sources) == 1 + 4 + 1 + 1 + 1 + 0
    assert len(result.units) == 12
    missing_row = unit(result, "C01")
    assert (missing_row.status, missing_row.metric_text, missing_row.explanation.note) == ("无数据", "未报送", "未报送")


def test_m3_overall_boundaries():
    at_amber = judge(context(tongchuan(2022, 3)), 3, 2022).overall  # 4/5
    at_green = judge(context(r1(2022, "C11", 1, {"C11-01": True})), 3, 2022).overall  # 2/2
    assert (at_amber.status, at_amber.metric_text) == ("预警", "80.0%")
    assert (at_green.status, at_green.metric_text) == ("达标", "100.0%")


def test_m3_nobody_reporting_is_no_data():
    overall = judge(context([]), 3, 2022).overall
    assert (overall.status, overall.metric) == ("无数据", None)
    assert len(overall.explanation.missing_units) == 12


def test_m3_thresholds_come_from_the_catalog():
    ctx = context(tongchuan(2022, 3))
    assert judge(with_rule(ctx, 3, thresholds={"amber": 0.85}), 3, 2022).overall.status == "未达标"
    assert judge(with_rule(ctx, 3, thresholds={"green": 0.8, "amber": 0.6}), 3, 2022).overall.status == "达标"


# -- M11 min_each --------------------------------------------------------------------------------


def r2_m11(year: int, union: str, studies: int, visits: int) -> list[dict]:
    return [
        fact(year, "m11_leadership_studies", studies, unit=union, cell="D30"),
        fact(year, "m11_guidance_visits", visits, unit=union, cell="D31"),
    ]


def test_m11_units_exactly_at_minimum_meet_and_partial_units_are_at_risk():
    facts = [*r2_m11(2024, "I01", 1, 1), *r2_m11(2024, "I02", 2, 0), *r2_m11(2024, "I03", 0, 0)]
    result = judge(context(facts), 11, 2024)
    assert [(u.unit_code, u.status, u.metric_text) for u in result.units[:3]] == [
        ("I01", "达标", "2/2项"),
        ("I02", "预警", "1/2项"),
        ("I03", "未达标", "0/2项"),
    ]
    i02 = unit(result, "I02").explanation
    assert i02.formula == "领导班子专题研究产业工会工作次数 2次 ≥ 1次；对下级产业工会工作指导次数 0次 < 1次"
    assert i02.summary == "2024年，省能源化学地质工会对下级产业工会工作指导次数未达到规定次数，预警。"
    assert [s.location() for s in i02.sources] == ["2024_R2_I02.xlsx／R2_MAIN!D30", "2024_R2_I02.xlsx／R2_MAIN!D31"]
    # Any unit meeting none of the minimums makes the measure 未达标.
    overall = result.overall
    assert (overall.status, overall.metric, overall.metric_text) == ("未达标", 1.0, "1/8")
    assert overall.explanation.missing_units == (
        "省国防邮电工会",
        "省财贸轻纺烟草工会",
        "省农林水利气象工会",
        "省海员建设工会",
        "省金融工会",
    )


def test_m11_overall_at_risk_when_some_units_meet_only_part():
    facts = [f for u in INDUSTRY[:6] for f in r2_m11(2024, u, 1, 2)]
    facts += [*r2_m11(2024, "I07", 0, 3), *r2_m11(2024, "I08", 4, 0)]
    overall = judge(context(facts), 11, 2024).overall
    assert (overall.status, overall.metric_text) == ("预警", "6/8")
    assert overall.explanation.summary == (
        "2024年，8个省级产业工会中6个各项均达到规定次数，预警；省海员建设工会（1/2项）、省金融工会（1/2项）为预警。"
    )
    assert overall.explanation.note == ""


def with_missing_policy(ctx: RuleContext, policy: str, *kinds: str) -> RuleContext:
    """The same figures judged by a copy of the catalog whose rule kinds count a missing unit another way."""
    raw = copy.deepcopy(RAW_CATALOG)
    for kind in kinds:
        raw["rule_kinds"][kind]["missing_units"] = policy
    return RuleContext(parse_catalog(raw), ctx.registry, ctx.facts, ctx.coverage)


def test_m11_a_missing_unit_counts_as_unmet_like_every_unit():
    # Issue 12: "7/8" read 达标 for 第11条 but 预警 for 第13、15、18条. The catalog now states one policy per rule kind,
    # and min_each, like every_unit, counts a unit that did not report as not meeting the minimums.
    facts = [f for u in INDUSTRY[:7] for f in r2_m11(2024, u, 1, 1)]
    overall = judge(context(facts), 11, 2024).overall
    assert (overall.status, overall.metric_text) == ("预警", "7/8")
    assert overall.explanation.note == "1个单位未报送，按未满足计"
    assert overall.explanation.threshold.endswith("（未报送的按未满足计）")
    assert overall.explanation.summary == "2024年，8个省级产业工会中7个各项均达到规定次数，预警；省金融工会未报送。"
    assert overall.explanation.laggards == (Laggard("I08", "省金融工会", "无数据", "未报送"),)


def test_m11_and_m13_read_7_of_8_the_same_way_under_either_policy():
    m11 = [f for u in INDUSTRY[:7] for f in r2_m11(2024, u, 1, 1)]
    m13 = [f for u in INDUSTRY[:7] for f in r2_m13(2024, u, True, 1)]
    ctx = context(m11 + m13)
    assert [judge(ctx, n, 2024).overall.status for n in (11, 13)] == ["预警", "预警"]
    lenient = with_missing_policy(ctx, "按已报送单位计算", "min_each", "every_unit")
    results = [judge(lenient, n, 2024).overall for n in (11, 13)]
    assert [(r.status, r.metric_text) for r in results] == [("达标", "7/8"), ("达标", "7/8")]
    assert {r.explanation.note for r in results} == {"1个单位未报送，按已报送单位计算"}
    assert results[1].explanation.formula == "满足条件的省级产业工会 7个 ÷ 省级产业工会报送数 7个 = 100.0%"


def test_m11_minimum_comes_from_the_catalog():
    ctx = context(r2_m11(2024, "I01", 1, 1))
    assert unit(judge(ctx, 11, 2024), "I01").status == "达标"
    raised = unit(judge(with_rule(ctx, 11, thresholds={"minimum": 2}), 11, 2024), "I01")
    assert (raised.status, raised.explanation.formula) == (
        "未达标",
        "领导班子专题研究产业工会工作次数 1次 < 2次；对下级产业工会工作指导次数 1次 < 2次",
    )


# -- every_unit (M13, M15, M18) ------------------------------------------------------------------


def r2_m13(year: int, union: str, system: bool, meetings: int) -> list[dict]:
    return [
        fact(year, "m13_has_joint_meeting_system", system, unit=union, cell="D40"),
        fact(year, "m13_meetings_held", meetings, unit=union, cell="D42"),
    ]


def m13_year(meeting_units: int, year: int = 2023) -> list[dict]:
    """All 8 unions report; the first `meeting_units` meet measure 13, the rest have no system."""
    return [
        f for i, u in enumerate(INDUSTRY) for f in r2_m13(year, u, i < meeting_units, 1 if i < meeting_units else 0)
    ]


def test_m13_unit_needs_the_system_and_at_least_one_meeting():
    facts = [*r2_m13(2023, "I01", True, 1), *r2_m13(2023, "I02", True, 0), *r2_m13(2023, "I03", False, 3)]
    result = judge(context(facts), 13, 2023)
    assert [(u.unit_code, u.status) for u in result.units[:3]] == [
        ("I01", "达标"),
        ("I02", "未达标"),
        ("I03", "未达标"),
    ]
    i02 = unit(result, "I02").explanation
    assert i02.formula == (
        "是否建立联席（联系）会议制度为“是”：是，满足；本年召开联席（联系）会议次数≥1次：0次，不满足"
    )
    assert i02.summary == "2023年，省能源化学地质工会未满足条件（本年召开联席（联系）会议次数：0次），未达标。"
    assert [s.location() for s in i02.sources] == ["2023_R2_I02.xlsx／R2_MAIN!D40", "2023_R2_I02.xlsx／R2_MAIN!D42"]


def test_m13_all_eight_meeting_is_on_track():
    overall = judge(context(m13_year(8)), 13, 2023).overall
    assert (overall.status, overall.metric, overall.metric_text) == ("达标", 8.0, "8/8")
    assert overall.explanation.formula == "满足条件的省级产业工会 8个 ÷ 省级产业工会总数 8个 = 100.0%"


def test_m13_seven_of_eight_is_at_risk():
    overall = judge(context(m13_year(7)), 13, 2023).overall
    assert (overall.status, overall.metric_text) == ("预警", "7/8")
    assert overall.explanation.summary == (
        "2023年，8个省级产业工会中7个满足条件（87.5%），预警；"
        "省金融工会（是否建立联席（联系）会议制度：否；本年召开联席（联系）会议次数：0次）为未达标。"
    )


def test_m13_exactly_at_amber_is_at_risk_and_below_is_off_track():
    assert judge(context(m13_year(6)), 13, 2023).overall.status == "预警"  # 6/8 = 75%
    below = judge(context(m13_year(5)), 13, 2023).overall
    assert (below.status, below.explanation.formula) == (
        "未达标",
        "满足条件的省级产业工会 5个 ÷ 省级产业工会总数 8个 = 62.5%",
    )


def test_m13_missing_units_count_as_not_meeting_and_are_named():
    facts = [f for u in INDUSTRY[:7] for f in r2_m13(2023, u, True, 2)]
    result = judge(context(facts), 13, 2023)
    overall = result.overall
    assert (overall.status, overall.metric_text) == ("预警", "7/8")
    assert overall.explanation.missing_units == ("省金融工会",)
    assert overall.explanation.note == "1个单位未报送，按未满足计"
    assert overall.explanation.summary == "2023年，8个省级产业工会中7个满足条件（87.5%），预警；省金融工会未报送。"
    assert (unit(result, "I08").status, unit(result, "I08").metric_text) == ("无数据", "未报送")


def test_m13_blank_figure_of_a_reporting_unit_fails_the_condition():
    facts = [fact(2023, "m13_meetings_held", 2, unit="I01")]
    row = unit(judge(context(facts), 13, 2023), "I01")
    assert (row.status, row.metric_text) == ("未达标", "是否建立联席（联系）会议制度：未填报")


def test_m13_nobody_reporting_is_no_data():
    overall = judge(context([]), 13, 2023).overall
    assert (overall.status, overall.metric_text) == ("无数据", "0/8")
    assert len(overall.explanation.missing_units) == 8


def test_m13_amber_comes_from_the_catalog():
    ctx = context(m13_year(7))
    assert judge(with_rule(ctx, 13, thresholds={"amber": 0.9}), 13, 2023).overall.status == "未达标"


def test_m15_needs_one_joint_activity():
    facts = [fact(2024, "m15_joint_activities", 1 if u != "I04" else 0, unit=u) for u in INDUSTRY]
    result = judge(context(facts), 15, 2024)
    assert (result.overall.status, result.overall.metric_text) == ("预警", "7/8")
    assert unit(result, "I04").explanation.formula == "党建和业务融合活动次数≥1次：0次，不满足"
    assert result.overall.explanation.threshold == (
        "全部8个省级产业工会均满足为达标；≥75% 预警，否则未达标（未报送的按未满足计）"
    )


def test_m18_needs_one_research_topic():
    facts = [fact(2024, "m18_research_topics", 2, unit=u) for u in INDUSTRY]
    result = judge(context(facts), 18, 2024)
    assert (result.overall.status, result.overall.metric_text) == ("达标", "8/8")
    assert unit(result, "I01").explanation.formula == "专题研究课题数≥1个：2个，满足"
