"""Year-over-year anomaly flags on hand-built figures."""

from __future__ import annotations

from types import SimpleNamespace

from status_fixtures import context, fact

from pipeline.status.anomalies import Anomaly, bounds, change_text, find_anomalies


def test_tenfold_jump_is_flagged_with_its_remark_and_cell():
    ctx = context(
        [
            fact(2023, "m6_budget_key_work", 51.8, unit="C05", cell="D20"),
            fact(2024, "m6_budget_key_work", 518.0, unit="C05", cell="D20", remark="含新建职工服务中心专项"),
        ]
    )
    [anomaly] = find_anomalies(ctx)
    assert anomaly == Anomaly(
        year=2024,
        unit_code="C05",
        entity_code="C05",
        indicator="m6_budget_key_work",
        indicator_name="本级预算安排产业工会重点工作经费",
        previous=51.8,
        current=518.0,
        change_text="由 51.8万元 增至 518万元（×10.0）",
        remark="含新建职工服务中心专项",
        source=anomaly.source,
    )
    assert anomaly.source.location() == "2024_R1_C05.xlsx／R1_MAIN!D20"
    assert anomaly.source.value_text == "518万元"


def test_small_counts_tripling_are_not_flagged():
    ctx = context([fact(2023, "m3_city_meetings", 1, unit="C01"), fact(2024, "m3_city_meetings", 3, unit="C01")])
    assert find_anomalies(ctx) == []


def test_a_five_percent_change_is_not_flagged():
    ctx = context([fact(2023, "m7_members", 20000, unit="I01"), fact(2024, "m7_members", 21000, unit="I01")])
    assert find_anomalies(ctx) == []


def test_a_drop_to_a_third_is_flagged():
    ctx = context([fact(2023, "m7_members", 9000, unit="I02"), fact(2024, "m7_members", 3000, unit="I02")])
    [anomaly] = find_anomalies(ctx)
    assert (anomaly.previous, anomaly.current, anomaly.remark) == (9000.0, 3000.0, None)
    assert anomaly.change_text == "由 9,000人 降至 3,000人（为上年的33.3%）"


def test_the_first_year_and_a_year_after_a_gap_are_never_flagged():
    first = context([fact(2024, "m7_members", 90000, unit="I01")])
    assert find_anomalies(first) == []
    gap = context([fact(2022, "m7_members", 1000, unit="I01"), fact(2024, "m7_members", 90000, unit="I01")])
    assert find_anomalies(gap) == []


def test_a_county_from_zero_to_many_is_flagged_and_year_filters():
    ctx = context(
        [
            fact(2022, "m8_county_industry_unions", 0, unit="C01", entity="C01-02"),
            fact(2023, "m8_county_industry_unions", 0, unit="C01", entity="C01-02"),
            fact(2024, "m8_county_industry_unions", 12, unit="C01", entity="C01-02"),
        ]
    )
    assert find_anomalies(ctx, 2023) == []
    [anomaly] = find_anomalies(ctx, 2024)
    assert (anomaly.unit_code, anomaly.entity_code) == ("C01", "C01-02")
    assert anomaly.change_text == "由 0个 增至 12个（上年为0）"


def test_inspection_records_and_non_numeric_figures_are_left_out():
    ctx = context(
        [
            fact(2023, "m10_problems_found", 2, unit="P00", entity="C02"),
            fact(2024, "m10_problems_found", 30, unit="P00", entity="C02"),
            fact(2023, "m3_county_meeting_held", False, unit="C01", entity="C01-01"),
            fact(2024, "m3_county_meeting_held", True, unit="C01", entity="C01-01"),
        ]
    )
    assert find_anomalies(ctx) == []


def test_exactly_at_the_bounds_is_flagged():
    # ×3 with a difference of exactly the floor (10) is flagged; ×3 with a smaller difference, or a
    # difference above the floor at only ×2.5, is not
    ctx = context(
        [
            fact(2023, "m3_city_meetings", 5, unit="C01"),
            fact(2024, "m3_city_meetings", 15, unit="C01"),
            fact(2023, "m3_city_meetings", 4, unit="C02"),
            fact(2024, "m3_city_meetings", 12, unit="C02"),
            fact(2023, "m3_city_meetings", 10, unit="C03"),
            fact(2024, "m3_city_meetings", 25, unit="C03"),
        ]
    )
    assert [(a.unit_code, a.change_text) for a in find_anomalies(ctx)] == [("C01", "由 5次 增至 15次（×3.0）")]


def test_bounds_come_from_the_catalog_when_it_sets_them():
    ctx = context([])
    assert bounds(ctx.catalog) == (3.0, {"count": 10.0, "amount": 10.0, "score": 20.0})
    configured = SimpleNamespace(
        catalog=SimpleNamespace(reporting=SimpleNamespace(anomaly={"ratio": 4, "floors": {"amount": 50}}))
    )
    assert bounds(configured.catalog) == (4.0, {"count": 10.0, "amount": 50.0, "score": 20.0})


def test_change_text_for_scores():
    assert change_text(90.0, 25.0, "分") == "由 90分 降至 25分（为上年的27.8%）"
