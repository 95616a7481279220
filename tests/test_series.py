"""The chart series against the demo warehouse: every figure checked against the demo manifest's story and
the values its files carry, plus the year and unit-scope filters and the empty warehouse."""

from __future__ import annotations

import pandas as pd
import pytest

import queries.series as series
from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.warehouse import open_reader

CITIES = [f"C{i:02d}" for i in range(1, 13)]
UNIONS = [f"I{i:02d}" for i in range(1, 9)]

COLUMNS = {
    series.m3_coverage_by_city: ["year", "unit_code", "unit_name", "covered", "total", "rate"],
    series.m7_membership_by_union: [
        "year", "unit_code", "unit_name", "members", "employees", "coverage_rate", "grassroots_unions",
    ],
    series.m8_county_union_share_by_city: [
        "year", "unit_code", "unit_name", "counties_with_union", "counties_total", "share",
    ],
    series.m4_special_funds_by_year: ["year", "activities", "requested", "approved", "disbursed", "disbursed_rate"],
    series.m5_dues_by_union: ["year", "unit_code", "unit_name", "due", "collected", "rate"],
    series.m6_budget_by_city: [
        "year", "unit_code", "unit_name", "key_work", "resident_office", "total", "counties_included",
        "counties_total",
    ],
    series.m9_scores_by_unit: ["year", "unit_code", "unit_name", "unit_type", "dimension", "dimension_no", "score"],
    series.m9_rectification_by_unit: [
        "year", "unit_code", "unit_name", "unit_type", "found", "rectified", "rate", "mean_score",
    ],
    series.m10_random_inspections_by_year: ["year", "inspections", "found", "rectified", "rate"],
    series.m16_training_by_union: ["year", "unit_code", "unit_name", "cadres", "trained", "rate"],
    series.m17_promotion_parity_by_union: [
        "year", "unit_code", "unit_name", "eligible", "promoted", "rate", "organ_rate", "parity_index",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def reader(demo_warehouse):
    con = open_reader(demo_warehouse)
    yield con
    con.close()


@pytest.fixture
def con(reader):
    cursor = reader.cursor()
    cursor.execute("USE warehouse")
    yield cursor
    cursor.close()


@pytest.fixture(scope="module")
def current(demo_manifest) -> dict[tuple[str, str, int], dict]:
    """The manifest entry that counts for each (return, unit, year): accepted, the latest version."""
    entries: dict[tuple[str, str, int], dict] = {}
    for entry in demo_manifest["files"]:
        if entry["expected_outcome"] == "rejected":
            continue
        key = (entry["return_code"], entry["unit_code"], entry["year"])
        if key not in entries or entry["version"] > entries[key]["version"]:
            entries[key] = entry
    return entries


def _by_unit_year(df: pd.DataFrame, column: str, digits: int) -> dict[tuple[str, int], float]:
    return {(r.unit_code, int(r.year)): round(float(getattr(r, column)), digits) for r in df.itertuples()}


def _story(section: dict, digits: int) -> dict[tuple[str, int], float]:
    return {
        (code, int(year)): round(value, digits)
        for code, years in section.items()
        for year, value in years.items()
        if value is not None
    }


# --- 组织覆盖 ---------------------------------------------------------------------------------------------


def test_m3_coverage_matches_the_story_for_every_city_and_year(con, demo_manifest):
    df = series.m3_coverage_by_city(con)
    assert _by_unit_year(df, "rate", 3) == _story(demo_manifest["story"]["cities"]["coverage"], 3)
    hanzhong = df[df["unit_code"] == "C07"]
    assert list(hanzhong["year"]) == [2021, 2022, 2023, 2024, 2025]
    assert (hanzhong["rate"] < 0.8).all()
    tongchuan_2021 = df[(df["unit_code"] == "C02") & (df["year"] == 2021)].iloc[0]
    assert (tongchuan_2021.unit_name, tongchuan_2021.covered, tongchuan_2021.total) == ("铜川市", 3, 5)
    registry = load_registry()
    totals = df[df["year"] == 2024].set_index("unit_code")["total"].to_dict()
    assert totals == {code: 1 + len(registry.counties_of(code)) for code in CITIES}
    assert totals["C12"] == 1  # 韩城 has no counties: the city federation alone


def test_m3_cities_per_year_leave_out_the_missing_return(con):
    df = series.m3_coverage_by_city(con)
    assert sorted(df[df["year"] == 2024]["unit_code"]) == CITIES
    assert sorted(df[df["year"] == 2025]["unit_code"]) == [c for c in CITIES if c != "C10"]  # 商洛 did not file


def test_m7_membership_is_the_filed_figures(con, current):
    df = series.m7_membership_by_union(con)
    assert len(df) == 39  # 8 unions × 5 years, less 省海员建设工会's missing 2025 return
    for row in df.itertuples():
        values = current[("R2", row.unit_code, row.year)]["values"]
        assert (row.members, row.employees, row.grassroots_unions) == (
            values["m7_members"],
            values["m7_employees"],
            values["m7_grassroots_unions"],
        )
        assert row.coverage_rate == pytest.approx(values["m7_members"] / values["m7_employees"])
    first = df[(df["unit_code"] == "I01") & (df["year"] == 2021)].iloc[0]
    assert (first.unit_name, first.members, first.employees, round(first.coverage_rate, 2)) == (
        "省教科文卫体工会",
        374920,
        412000,
        0.91,
    )


def test_m8_share_matches_the_story_and_leaves_out_cities_without_counties(con, demo_manifest):
    df = series.m8_county_union_share_by_city(con)
    assert _by_unit_year(df, "share", 3) == _story(demo_manifest["story"]["cities"]["county_union_share"], 3)
    assert "C12" not in set(df["unit_code"])
    registry = load_registry()
    xian = df[(df["unit_code"] == "C01") & (df["year"] == 2021)].iloc[0]
    assert (xian.counties_with_union, xian.counties_total) == (8, len(registry.counties_of("C01")))


# --- 经费保障 ---------------------------------------------------------------------------------------------


def test_m4_special_funds_are_the_province_figures(con, current, demo_manifest):
    df = series.m4_special_funds_by_year(con)
    assert list(df["year"]) == [2021, 2022, 2023, 2024, 2025]
    for row in df.itertuples():
        values = current[("R3", "P00", row.year)]["values"]
        assert (row.activities, row.requested, row.approved, row.disbursed) == (
            values["m4_activities"],
            values["m4_funds_requested"],
            values["m4_funds_approved"],
            values["m4_funds_disbursed"],
        )
    rates = {int(r.year): round(r.disbursed_rate, 3) for r in df.itertuples()}
    assert rates == {int(y): v for y, v in demo_manifest["story"]["province"]["funds_disbursed_rate"].items()}
    assert rates[2023] == 0.811


def test_m5_dues_rates_match_the_story(con, demo_manifest, current):
    df = series.m5_dues_by_union(con)
    assert _by_unit_year(df, "rate", 3) == _story(demo_manifest["story"]["industry_unions"]["dues_rate"], 3)
    rates_2024 = _by_unit_year(df[df["year"] == 2024], "rate", 3)
    assert rates_2024[("I04", 2024)] == 0.882
    assert rates_2024[("I08", 2024)] == 0.910
    assert sorted(code for code, _ in rates_2024) == UNIONS
    defence = df[(df["unit_code"] == "I04") & (df["year"] == 2024)].iloc[0]
    values = current[("R2", "I04", 2024)]["values"]
    assert (defence.unit_name, defence.due, defence.collected) == (
        "省国防邮电工会",
        values["m5_dues_due"],
        values["m5_dues_collected"],
    )


def test_m6_budget_totals_match_the_story_and_ankang_falls(con, demo_manifest, current):
    df = series.m6_budget_by_city(con)
    assert _by_unit_year(df, "total", 1) == _story(demo_manifest["story"]["cities"]["budget_total"], 1)
    ankang = df[df["unit_code"] == "C09"].set_index("year")["total"]
    assert ankang[2024] < ankang[2023] < ankang[2022]
    assert ankang[2025] < ankang[2024]
    # 宝鸡 corrected its 2023 return: the corrected figure counts.
    baoji = df[(df["unit_code"] == "C03") & (df["year"] == 2023)].iloc[0]
    values = current[("R1", "C03", 2023)]["values"]
    assert (baoji.key_work, baoji.resident_office) == (values["m6_budget_key_work"], values["m6_resident_office_funds"])
    rows = current[("R1", "C02", 2021)]["records"]["R1_COUNTY"]
    tongchuan = df[(df["unit_code"] == "C02") & (df["year"] == 2021)].iloc[0]
    assert tongchuan.counties_included == sum(bool(r["m6_county_budget_included"]) for r in rows) == 1
    assert tongchuan.counties_total == 4
    assert df[df["unit_code"] == "C12"]["counties_total"].eq(0).all()


# --- 督查结果 ---------------------------------------------------------------------------------------------


def _special_rows(current: dict, year: int) -> dict[str, dict]:
    """R4 special-inspection rows of a year by inspected unit code."""
    registry = load_registry()
    rows = current[("R4", "P00", year)]["records"]["R4_SPECIAL"]
    return {registry.resolve(r["key"], types={"city", "industry"}).unit.code: r for r in rows}


def test_m9_scores_are_the_seven_dimensions_in_catalog_order(con, current):
    df = series.m9_scores_by_unit(con)
    assert sorted(df["year"].unique()) == [2022, 2024]
    catalog = load_catalog()
    codes = catalog.measure(9).rule.params["scores"]
    names = [catalog.indicator(code).name for code in codes]
    assert names[0] == "组织领导" and len(names) == 7
    for year, units in ((2022, 20), (2024, 19)):
        rows = _special_rows(current, year)
        frame = df[df["year"] == year]
        assert frame["unit_code"].nunique() == units == len(rows)
        for code, group in frame.groupby("unit_code"):
            assert list(group["dimension"]) == names
            assert list(group["dimension_no"]) == list(range(1, 8))
            assert list(group["score"]) == [rows[code][c] for c in codes]
    hanzhong = df[(df["unit_code"] == "C07") & (df["year"] == 2024)]
    assert set(hanzhong["unit_name"]) == {"汉中市"} and set(hanzhong["unit_type"]) == {"city"}


def test_m9_rectification_and_mean_scores(con, current, demo_manifest):
    df = series.m9_rectification_by_unit(con)
    registry = load_registry()
    story = demo_manifest["story"]["province"]["special_inspection_mean_score"]
    for year in (2022, 2024):
        rows = _special_rows(current, year)
        frame = df[df["year"] == year]
        means = {registry.get(r.unit_code).name: round(r.mean_score, 2) for r in frame.itertuples()}
        assert means == story[str(year)]
        for row in frame.itertuples():
            found, rectified = rows[row.unit_code]["m9_problems_found"], rows[row.unit_code]["m9_problems_rectified"]
            assert (row.found, row.rectified) == (found, rectified)
            assert row.rate == pytest.approx(rectified / found)
    hanzhong = df[(df["unit_code"] == "C07") & (df["year"] == 2024)].iloc[0]
    assert round(hanzhong.rate, 3) == 0.667 and round(hanzhong.mean_score, 2) == 75.43


def test_m10_random_inspections_match_the_story(con, demo_manifest):
    df = series.m10_random_inspections_by_year(con)
    story = demo_manifest["story"]["province"]
    assert {int(r.year): r.inspections for r in df.itertuples()} == {
        int(y): n for y, n in story["random_inspections"].items()
    }
    assert {int(r.year): round(r.rate, 3) for r in df.itertuples()} == {
        int(y): v for y, v in story["random_rectification_rate"].items()
    }
    year_2023 = df[df["year"] == 2023].iloc[0]
    assert (year_2023.found, year_2023.rectified) == (7, 5)


# --- 干部队伍 ---------------------------------------------------------------------------------------------


def test_m16_training_is_the_filed_figures(con, current):
    df = series.m16_training_by_union(con)
    assert len(df) == 39
    for row in df.itertuples():
        values = current[("R2", row.unit_code, row.year)]["values"]
        assert (row.cadres, row.trained) == (values["m16_cadres"], values["m16_cadres_trained"])
        assert row.rate == pytest.approx(values["m16_cadres_trained"] / values["m16_cadres"])


def test_m17_parity_matches_the_story_and_uses_the_organ_rate(con, demo_manifest, current):
    df = series.m17_promotion_parity_by_union(con)
    assert _by_unit_year(df, "parity_index", 3) == _story(
        demo_manifest["story"]["industry_unions"]["promotion_parity"], 3
    )
    for row in df.itertuples():
        organ = current[("R3", "P00", row.year)]["values"]
        assert row.organ_rate == pytest.approx(organ["m17_organ_promoted"] / organ["m17_organ_eligible"])
        assert row.parity_index == pytest.approx(row.rate / row.organ_rate)
    assert round(df[df["year"] == 2023]["organ_rate"].iloc[0], 4) == round(12 / 65, 4)


# --- filters and the empty warehouse --------------------------------------------------------------------


def test_years_filter_keeps_only_those_years(con):
    df = series.m5_dues_by_union(con, years=[2024])
    assert set(df["year"]) == {2024} and len(df) == 8
    assert set(series.m9_scores_by_unit(con, years=[2023, 2024])["year"]) == {2024}
    assert list(series.m10_random_inspections_by_year(con, years=[2021, 2025])["year"]) == [2021, 2025]


UNIT_SERIES = [f for f in COLUMNS if "unit_code" in COLUMNS[f]]


@pytest.mark.parametrize("function", UNIT_SERIES, ids=lambda f: f.__name__)
def test_scope_filter_returns_only_the_units_in_scope(con, function):
    scope = frozenset({"C07", "I04", "C07-01"})
    full, scoped = function(con), function(con, unit_codes=scope)
    assert not scoped.empty
    assert set(scoped["unit_code"]) <= scope
    expected = full[full["unit_code"].isin(scope)].reset_index(drop=True)
    pd.testing.assert_frame_equal(scoped.reset_index(drop=True), expected)
    assert function(con, unit_codes=frozenset()).empty


def test_scope_filter_on_province_and_inspection_series(con, current):
    assert series.m4_special_funds_by_year(con, unit_codes=frozenset({"C07"})).empty
    assert len(series.m4_special_funds_by_year(con, unit_codes=frozenset({"P00"}))) == 5
    # Random inspections are scoped by the inspected unit: 2023's inspection of 省教科文卫体工会 (3 found, 1 fixed).
    scoped = series.m10_random_inspections_by_year(con, unit_codes=frozenset({"I01"})).set_index("year")
    assert (scoped.loc[2023, "inspections"], scoped.loc[2023, "found"], scoped.loc[2023, "rectified"]) == (1, 3, 1)
    assert list(scoped.index) == [2021, 2022, 2023, 2024, 2025]
    registry = load_registry()
    expected = {
        year: sum(
            registry.resolve(r["key"], types={"city", "industry"}).unit.code == "I01"
            for r in current[("R4", "P00", year)]["records"].get("R4_RANDOM", [])
        )
        for year in scoped.index
    }
    assert scoped["inspections"].to_dict() == expected
    assert 0 < sum(expected.values()) < series.m10_random_inspections_by_year(con)["inspections"].sum()


def test_every_series_is_empty_with_its_columns_on_an_empty_warehouse(tmp_path):
    con = open_reader(tmp_path / "empty.duckdb")
    try:
        for function, columns in COLUMNS.items():
            df = function(con)
            assert df.empty, function.__name__
            assert list(df.columns) == columns, function.__name__
    finally:
        con.close()


def test_every_series_has_its_documented_columns(con):
    for function, columns in COLUMNS.items():
        assert list(function(con).columns) == columns, function.__name__
