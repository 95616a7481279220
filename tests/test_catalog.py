"""The catalog loader: the 18 measures as the notice words them, and every error it can raise."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from pipeline.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog, parse_catalog

NOTICE_PATH = Path(__file__).resolve().parent.parent / "catalog" / "source" / "陕工发〔2021〕24号.txt"
CHAPTER_LINE = re.compile(r"^[一二三四五六七八九十]+、")
MEASURE_LINE = re.compile(r"^(\d{1,2})\.")


def notice_measures() -> dict[int, str]:
    """Split the verbatim notice into its 18 numbered measures, whitespace removed."""
    measures: dict[int, list[str]] = {}
    current: int | None = None
    for line in NOTICE_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if CHAPTER_LINE.match(stripped) or stripped.startswith("陕西省总工会办公室"):
            current = None
            continue
        start = MEASURE_LINE.match(stripped)
        if start:
            current = int(start.group(1))
            measures[current] = [stripped[start.end() :]]
        elif current is not None and stripped:
            measures[current].append(stripped)
    return {n: re.sub(r"\s+", "", "".join(parts)) for n, parts in measures.items()}


def notice_chapters() -> list[str]:
    text = NOTICE_PATH.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if CHAPTER_LINE.match(line.strip())]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def test_all_eighteen_measures_are_present(catalog):
    assert [m.number for m in catalog.measures] == list(range(1, 19))


def test_notice_parser_finds_eighteen_measures():
    assert sorted(notice_measures()) == list(range(1, 19))


@pytest.mark.parametrize("number", range(1, 19))
def test_measure_text_matches_the_notice(catalog, number):
    expected = notice_measures()[number]
    actual = re.sub(r"\s+", "", catalog.measure(number).text)
    assert actual == expected


def test_chapters_match_the_notice(catalog):
    assert [f"{c.number}、{c.heading}" for c in catalog.chapters] == notice_chapters()


def test_measures_sit_in_the_notice_chapters(catalog):
    grouping = {c.number: [m.number for m in catalog.measures_of_chapter(c.number)] for c in catalog.chapters}
    assert grouping == {
        "一": [1, 2, 3],
        "二": [4, 5, 6],
        "三": [7, 8],
        "四": [9, 10],
        "五": [11, 12, 13, 14],
        "六": [15, 16, 17, 18],
    }


def test_indicator_codes_are_unique_and_point_to_their_return(catalog):
    codes = [i.code for m in catalog.measures for i in m.indicators]
    assert len(codes) == len(set(codes)) == len(catalog.indicators)
    assert catalog.indicator("m5_dues_collected").return_code == "R2"
    assert catalog.indicator("m3_county_meeting_held").level == "county"
    assert catalog.indicator("m9_score_role").return_code == "R4"
    assert catalog.indicator("m17_organ_promoted").return_code == "R3"


def test_every_return_table_is_placed_on_a_sheet(catalog):
    assert {t.code: (t.return_code, t.sheet) for t in catalog.tables.values()} == {
        "R1_MAIN": ("R1", "本级情况"),
        "R1_COUNTY": ("R1", "区县明细"),
        "R2_MAIN": ("R2", "本级情况"),
        "R3_MAIN": ("R3", "本级情况"),
        "R4_SPECIAL": ("R4", "专项督查"),
        "R4_RANDOM": ("R4", "随机督查"),
    }


def test_chart_families_cover_the_four_the_leaders_asked_for(catalog):
    families = {code: f.measures for code, f in catalog.chart_families.items()}
    assert families["coverage"] == (3, 7, 8)
    assert families["funding"] == (4, 5, 6)
    assert families["inspections"] == (9, 10)
    assert families["cadres"] == (16, 17)
    for measure in catalog.measures:
        assert measure.number in catalog.chart_families[measure.chart_family].measures


def test_default_thresholds_follow_the_domain_model(catalog):
    assert catalog.measure(5).rule.thresholds == {"green": 0.95, "amber": 0.85}
    assert catalog.measure(12).rule.thresholds == {"green": 0.9, "amber": 0.75}
    assert catalog.measure(9).rule.thresholds == {"mean_score": 80, "rectification": 0.9}
    assert catalog.measure(17).rule.thresholds == {"green": 1.0, "amber": 0.8}
    assert catalog.measure(1).rule.params["window_years"] == 3
    assert catalog.measure(9).rule.params["window_years"] == 2


def test_every_rule_has_a_reading_for_the_screen(catalog):
    for measure in catalog.measures:
        assert len(measure.rule.reading) > 10, measure.number
        assert measure.rule.kind in catalog.rule_kinds


def test_checks_of_a_return_are_within_that_return(catalog):
    r2 = {(c.lhs, c.rhs, c.severity) for c in catalog.checks_of_return("R2")}
    assert ("m7_rationalized_this_year", "m7_grassroots_unions", "error") in r2
    assert ("m5_dues_collected", "m5_dues_due", "warning") in r2
    assert all(catalog.indicator(c.lhs).return_code == "R2" for c in catalog.checks_of_return("R2"))


def test_label_with_unit(catalog):
    assert catalog.indicator("m9_problems_found").label_with_unit == "发现问题数（个）"
    assert catalog.indicator("m9_inspection_date").label_with_unit == "督查日期"


# --- every error the loader can raise, each naming the entry -------------------------------------------


def _measure(raw: dict, number: int) -> dict:
    return next(m for m in raw["measures"] if m["number"] == number)


def _expect_error(raw: dict, *fragments: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(raw)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_unknown_indicator_in_a_rule(raw):
    _measure(raw, 5)["rule"]["numerator"] = "m5_dues_colected"
    _expect_error(raw, "第5条措施", "规则引用了未知指标“m5_dues_colected”")


def test_unknown_indicator_in_a_nested_rule_condition(raw):
    _measure(raw, 7)["rule"]["conditions"][0]["denominator"] = "m7_workers"
    _expect_error(raw, "第7条措施", "m7_workers")


def test_unknown_indicator_in_a_check(raw):
    _measure(raw, 12)["checks"][0]["rhs"] = "m12_nobody"
    _expect_error(raw, "第12条措施", "校验引用了未知指标“m12_nobody”")


def test_missing_threshold(raw):
    del _measure(raw, 5)["rule"]["thresholds"]["green"]
    _expect_error(raw, "第5条措施", "缺少阈值“green”")


def test_missing_thresholds_block(raw):
    del _measure(raw, 9)["rule"]["thresholds"]
    _expect_error(raw, "第9条措施", "缺少阈值“mean_score”")


def test_non_numeric_threshold(raw):
    _measure(raw, 12)["rule"]["thresholds"]["amber"] = "七成五"
    _expect_error(raw, "第12条措施", "阈值“amber”应为数字")


def test_amber_above_green(raw):
    _measure(raw, 5)["rule"]["thresholds"]["amber"] = 0.99
    _expect_error(raw, "第5条措施", "黄色阈值 0.99 高于绿色阈值 0.95")


def test_duplicate_indicator_code(raw):
    _measure(raw, 7)["indicators"][0]["code"] = "m5_dues_due"
    _expect_error(raw, "第7条措施", "指标代码 m5_dues_due 重复", "第5条措施已使用")


def test_duplicate_measure_number(raw):
    duplicate = copy.deepcopy(_measure(raw, 18))
    for indicator in duplicate["indicators"]:
        indicator["code"] += "_copy"
    duplicate["rule"]["condition"]["at_least_one"] = ["m18_research_topics_copy"]
    duplicate["checks"] = []
    raw["measures"].append(duplicate)
    _expect_error(raw, "措施编号重复", "18")


def test_measure_without_indicators(raw):
    _measure(raw, 10)["indicators"] = []
    _expect_error(raw, "第10条措施", "没有任何指标")


def test_unknown_rule_kind(raw):
    _measure(raw, 11)["rule"]["kind"] = "vibes"
    _expect_error(raw, "第11条措施", "未知的规则类型“vibes”")


def test_missing_rule_parameter(raw):
    del _measure(raw, 1)["rule"]["window_years"]
    _expect_error(raw, "第1条措施", "缺少必填项“window_years”")


def test_missing_metric_name(raw):
    del _measure(raw, 16)["rule"]["metric_name"]
    _expect_error(raw, "第16条措施", "缺少必填项“metric_name”")


def test_missing_rule(raw):
    del _measure(raw, 2)["rule"]
    _expect_error(raw, "第2条措施", "缺少状态规则")


def test_unknown_indicator_type(raw):
    _measure(raw, 4)["indicators"][0]["type"] = "money"
    _expect_error(raw, "第4条措施 指标 m4_activities", "未知的数值类型“money”")


def test_indicator_in_an_unknown_table(raw):
    _measure(raw, 4)["indicators"][0]["table"] = "R9_MAIN"
    _expect_error(raw, "m4_activities", "所在表“R9_MAIN”不存在")


def test_unknown_chapter(raw):
    _measure(raw, 4)["chapter"] = "七"
    _expect_error(raw, "第4条措施", "未知的章节“七”")


def test_unknown_chart_family(raw):
    _measure(raw, 4)["chart_family"] = "money"
    _expect_error(raw, "第4条措施", "未知的图表类别“money”")


def test_check_severity(raw):
    _measure(raw, 5)["checks"][0]["severity"] = "fatal"
    _expect_error(raw, "第5条措施", "校验级别")


def test_table_not_on_any_sheet(raw):
    raw["returns"]["R1"]["sheets"][1]["tables"] = []
    _expect_error(raw, "表 R1_COUNTY", "没有放进任何报表的工作表")


def test_sheet_names_an_undefined_table(raw):
    raw["returns"]["R2"]["sheets"][0]["tables"].append("R2_EXTRA")
    _expect_error(raw, "未定义的表 R2_EXTRA")


def test_table_without_indicators(raw):
    raw["tables"]["R2_EXTRA"] = {"title": "附表", "kind": "indicator_list", "level": "unit"}
    raw["returns"]["R2"]["sheets"][0]["tables"].append("R2_EXTRA")
    _expect_error(raw, "表 R2_EXTRA", "没有任何指标")


def test_records_table_needs_a_key(raw):
    del raw["tables"]["R1_COUNTY"]["key"]
    _expect_error(raw, "表 R1_COUNTY", "缺少必填项“key”")


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "measures.yaml"
    path.write_text("measures: [\n  - number: 1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="YAML 格式错误"):
        load_catalog(path)


def test_catalog_from_another_path(tmp_path, raw):
    _measure(raw, 5)["rule"]["thresholds"]["green"] = 0.9
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_catalog(path).measure(5).rule.thresholds["green"] == 0.9
    assert load_catalog().measure(5).rule.thresholds["green"] == 0.95
