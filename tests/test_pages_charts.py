"""组织覆盖, 经费保障, 督查结果, 干部队伍 and 单位画像 under AppTest on the demo warehouse (values checked against the
status engine and the registry) and on an empty one; the query-layer functions of queries/profile.py."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import figures
from dashboard.theme import STATUS_COLOURS
from pipeline.catalog import load_catalog
from pipeline.registry import load_registry
from pipeline.warehouse import WAREHOUSE_ENV
from queries import profile, series
from queries.board import StatusBook, unit_profile, unit_statuses
from tests.accounts import signed_in

APP = str(Path(__file__).parent.parent / "app.py")
COVERAGE, FUNDING, INSPECTIONS, CADRES, UNIT = (
    "app_pages/coverage.py",
    "app_pages/funding.py",
    "app_pages/inspections.py",
    "app_pages/cadres.py",
    "app_pages/unit_profile.py",
)
# page -> (the header's family name and measures, the charts it draws on the demo's latest year)
FAMILY_PAGES = {
    COVERAGE: ("组织覆盖（第3、7、8条）", 3),
    FUNDING: ("经费保障（第4、5、6条）", 3),
    INSPECTIONS: ("督查结果（第9、10条）", 3),
    CADRES: ("干部队伍（第16、17条）", 2),
}


@pytest.fixture(scope="module")
def book(demo_warehouse) -> StatusBook:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return StatusBook.from_warehouse(con)


@pytest.fixture
def con(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as connection:
        yield connection


def open_page(monkeypatch, warehouse: Path, page: str, **params: str) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    app = signed_in(APP, default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [e.value for e in app.error if "暂时无法显示" in e.value]  # no visual fell into ui.guarded
    return app


def tile_statuses(app: AppTest) -> dict[int, str]:
    """Measure number -> the status word on its tile's badge."""
    found = {}
    for element in app.html:
        number = re.search(r'<span class="tile-no">第(\d+)条</span>', element.value)
        badge = re.search(r'<span class="status-badge [^"]+">([^<]+)</span>', element.value)
        if number and badge:
            found[int(number.group(1))] = badge.group(1)
    return found


def chart_titles(app: AppTest) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")]


def downloads(app: AppTest) -> list[str]:
    return [button.proto.label for button in app.get("download_button")]


def texts(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [i.value for i in app.info]
    return "\n".join(parts + [w.value for w in app.warning])


# --- the four chart-family pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(FAMILY_PAGES))
def test_family_page_on_the_demo_shows_every_measure_and_chart(monkeypatch, demo_warehouse, book, page):
    app = open_page(monkeypatch, demo_warehouse, page)
    heading, chart_count = FAMILY_PAGES[page]
    year = book.latest_year
    assert [h.value for h in app.subheader] == [f"{heading}　{year}年度"]
    family = next(f for f in book.catalog.chart_families.values() if heading.startswith(f.name))
    assert tile_statuses(app) == {n: book.result(n, year).overall.status for n in family.measures}
    assert len(app.get("plotly_chart")) == chart_count
    assert downloads(app) == ["下载图表数据（CSV）", "下载图片（PNG）", "下载矢量图（SVG）"] * chart_count
    # The image and CSV buttons are named like plotly's own PNG: 【演示数据】 first, as every export of demo data.
    configs = [json.loads(chart.proto.config) for chart in app.get("plotly_chart")]
    assert all(c["toImageButtonOptions"]["filename"].startswith("【演示数据】第") for c in configs)


@pytest.mark.parametrize("page", sorted(FAMILY_PAGES))
def test_family_page_on_an_empty_warehouse_says_how_to_load_data(monkeypatch, tmp_path, page):
    app = open_page(monkeypatch, tmp_path / "empty.duckdb", page)
    assert [h.value for h in app.subheader] == [FAMILY_PAGES[page][0]]
    assert any("数据仓库中还没有报表" in i.value for i in app.info)
    assert not app.get("plotly_chart")


def test_funding_page_2024_shows_the_engines_status_for_measure_5(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, FUNDING, year="2024")
    assert tile_statuses(app)[5] == book.result(5, 2024).overall.status == "达标"
    assert book.result(5, 2024).overall.explanation.summary in "\n".join(h.value for h in app.html)
    assert chart_titles(app) == [
        "临时性重大活动经费申请、批准与拨付（第4条）",
        "2024年省级产业工会会费收缴率（第5条）",
        "市本级产业工会经费预算安排（第6条）",
    ]
    config = json.loads(app.get("plotly_chart")[1].proto.config)
    assert config["toImageButtonOptions"]["filename"] == "【演示数据】第5条_会费收缴率_2024年度"
    # Each union's bar has the colour and the word of the engine's verdict on it, as the measure's page does.
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        names = dict(series.m5_dues_by_union(con, years=[2024])[["unit_name", "unit_code"]].itertuples(index=False))
    drawn = {
        name: (trace["name"], trace["marker"]["color"])
        for trace in json.loads(app.get("plotly_chart")[1].proto.spec)["data"]
        for name in trace["x"]
    }
    verdicts = unit_statuses(book, 5, 2024)
    assert drawn == {name: (verdicts[code], STATUS_COLOURS[verdicts[code]]) for name, code in names.items()}


def test_coverage_page_2024_shows_measure_3s_status_and_titled_charts(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, COVERAGE, year="2024")
    statuses = tile_statuses(app)
    assert statuses[3] == book.result(3, 2024).overall.status == "预警"
    assert statuses[8] == book.result(8, 2024).overall.status
    titles = chart_titles(app)
    assert titles[0] == "2024年市县总工会专题会议覆盖率（第3条）"
    assert titles[1] == "省级产业工会会员覆盖率（第7条）"
    assert titles[2].startswith("2024年") and titles[2].endswith("（第8条）")


def test_inspections_page_2024_names_the_2024_round(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, INSPECTIONS, year="2024")
    assert "##### 2024年专项督查（第9条）" in [m.value for m in app.markdown]
    assert tile_statuses(app) == {9: book.result(9, 2024).overall.status, 10: book.result(10, 2024).overall.status}
    titles = chart_titles(app)
    assert titles[:2] == ["2024年专项督查各单位分项得分（第9条）", "2024年专项督查问题整改率（第9条）"]
    assert "（第10条）" in titles[2]


def test_inspections_page_in_a_year_between_rounds_shows_the_previous_round(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, INSPECTIONS, year="2023")
    assert "##### 2022年专项督查（第9条）" in [m.value for m in app.markdown]
    assert "2023年度没有开展专项督查（每2年一轮），以下为最近一轮：2022年专项督查的结果。" in texts(app)
    assert chart_titles(app)[0] == "2022年专项督查各单位分项得分（第9条）"


def test_inspections_page_before_the_first_round_says_so(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, INSPECTIONS, year="2021")
    assert "截至2021年度尚未开展第9条专项督查，暂无督查结果。" in [i.value for i in app.info]
    assert len(app.get("plotly_chart")) == 1  # only the random inspections of 第10条


def test_cadres_page_2021_shows_measure_17_at_risk(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, CADRES, year="2021")
    statuses = tile_statuses(app)
    assert statuses[17] == book.result(17, 2021).overall.status == "预警"
    assert statuses[16] == book.result(16, 2021).overall.status
    assert chart_titles(app) == [
        "2021年省级产业工会干部培训率（第16条）",
        "2021年省级产业工会干部提拔率与机关之比（第17条）",
    ]


def test_mode_present_on_a_family_page_opens_the_projector(monkeypatch, demo_warehouse):
    """?mode=present is one mode whatever page the link names: the projector, starting with its overview screen."""
    app = open_page(monkeypatch, demo_warehouse, CADRES, year="2024", mode="present")
    assert [h.value for h in app.header] == ["十八条措施落实总览（2024年度）"]
    assert downloads(app) == [] and not app.get("plotly_chart")
    assert any('class="present-grid"' in h.value for h in app.html)


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored")
def test_a_charts_image_downloads_are_made_on_click_for_its_year(con, book):
    from dashboard.family import image_data  # the family pages' helper (imports streamlit, needs no session)
    from exports import images

    figure = figures.BY_KEY["m16_training_by_union"]
    try:
        png = image_data(figure, lambda: con, book, 2021, images.PNG, demo=True)()
        svg = image_data(figure, lambda: con, book, 2021, images.SVG, demo=True)().decode("utf-8")
    finally:
        images.stop_browser()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2021年省级产业工会干部培训率（第16条）" in svg and "【演示数据】" in svg
    # The bars carry the engine's verdicts: each union's status word is printed on its bar.
    for status in set(unit_statuses(book, 16, 2021).values()):
        assert status in svg


# --- 单位画像 -------------------------------------------------------------------------------------------------


def test_unit_profile_of_hanzhong_2024(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, UNIT, unit="C07", year="2024")
    assert [h.value for h in app.subheader] == ["单位画像：汉中市总工会（2024年度）"]
    expected = {s.measure: s.status for s in unit_profile(book, "C07", 2024).statuses}
    assert tile_statuses(app) == expected
    assert expected[3] == "未达标"
    tables = [d.value for d in app.dataframe]
    history = next(t for t in tables if "措施" in t.columns and "2024年" in t.columns)
    assert list(history.loc[history["措施"].str.startswith("第3条"), "2024年"]) == ["未达标"]
    counties = next(t for t in tables if profile.COUNTY_COLUMN in t.columns)
    registry = load_registry()
    assert list(counties[profile.COUNTY_COLUMN]) == [u.name for u in registry.counties_of("C07")]
    assert len(counties) == len(registry.counties_of("C07")) == 11
    assert "是否召开专题会议" in counties.columns and "县级产业工会数（个）" in counties.columns
    submissions = next(t for t in tables if "file_name" in t.columns)
    assert list(submissions["year"]) == [2025, 2024, 2023, 2022, 2021]
    assert not [w.value for w in app.warning if "尚未报送" in w.value]


def test_unit_profile_of_shangluo_2025_says_it_has_not_submitted(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, UNIT, unit="C10", year="2025")
    assert "商洛市总工会2025年度尚未报送《市（区）总工会年度报表》。" in [w.value for w in app.warning]
    assert "商洛市总工会2025年度尚未报送，暂无所辖县（区）明细。" in [i.value for i in app.info]
    statuses = tile_statuses(app)
    # Not reported: 无数据 everywhere but 第9条, whose inspection window (2025–2026) is still open: 未到期.
    assert statuses.pop(9) == "未到期"
    assert set(statuses.values()) == {"无数据"}


def test_unit_profile_of_an_industry_union_lists_its_anomalies(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, UNIT, unit="I01", year="2024")
    flagged = [a for a in book.anomalies if a.unit_code == "I01" and a.year == 2024]
    flags = next(d.value for d in app.dataframe if "填报说明" in d.value.columns)
    assert list(flags["指标"]) == [a.indicator_name for a in flagged]
    assert list(flags["变化"]) == [a.change_text for a in flagged]
    assert "所辖县（区）" not in texts(app)  # an industry union has no counties


def test_unit_profile_of_hancheng_has_no_county_table(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, UNIT, unit="C12", year="2024")
    assert "韩城市总工会不辖县（区），没有县（区）明细。" in texts(app)


def test_unit_profile_on_an_empty_warehouse(monkeypatch, tmp_path):
    app = open_page(monkeypatch, tmp_path / "empty.duckdb", UNIT, unit="C07")
    assert [h.value for h in app.subheader] == ["单位画像：汉中市总工会"]
    assert any(i.value.startswith("汉中市总工会还没有已接收的报表。") for i in app.info)


# --- queries/profile.py ---------------------------------------------------------------------------------------


def test_chart_years_by_span():
    years = [2021, 2022, 2023, 2024, 2025]
    assert profile.chart_years(profile.ONE_YEAR, years, 2024) == [2024]
    assert profile.chart_years(profile.WITH_LAST_YEAR, years, 2024) == [2023, 2024]
    assert profile.chart_years(profile.TREND, years, 2023) == [2021, 2022, 2023]


def test_has_data_needs_the_selected_year_except_for_a_trend():
    frame = pd.DataFrame({"year": [2022, 2023]})
    assert profile.has_data(frame, profile.ONE_YEAR, 2023)
    assert not profile.has_data(frame, profile.WITH_LAST_YEAR, 2024)
    assert profile.has_data(frame, profile.TREND, 2024)
    assert not profile.has_data(frame.iloc[0:0], profile.TREND, 2024)


def test_latest_round_year(con):
    assert profile.latest_round_year(series.m9_scores_by_unit(con, years=[2021, 2022, 2023])) == 2022
    assert profile.latest_round_year(series.m9_scores_by_unit(con, years=[2021])) is None


def test_chart_csv_has_chinese_headings_and_percentages(con):
    frame = series.m5_dues_by_union(con, years=[2024])
    data = profile.chart_csv(frame, figures.BY_KEY["m5_dues_by_union"])
    assert data.startswith("\ufeff".encode())  # Excel reads the BOM as UTF-8
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(table.columns) == [
        "年度",
        "单位代码",
        "单位",
        "应收会费（万元）",
        "实收会费（万元）",
        "会费收缴率（%）",
    ]
    assert list(table["会费收缴率（%）"]) == list((frame["rate"] * 100).round(2))
    parity = pd.read_csv(
        io.BytesIO(
            profile.chart_csv(series.m17_promotion_parity_by_union(con, years=[2021]), "m17_promotion_parity_by_union")
        )
    )
    assert "提拔或晋升职级的干部数" in " ".join(parity.columns)
    assert list(parity["提拔率比值（倍）"]) == list(
        series.m17_promotion_parity_by_union(con, years=[2021])["parity_index"].round(4)
    )


def test_unit_submissions_mark_current_replaced_and_rejected_files(con):
    files = profile.unit_submissions(con, "C04")
    assert list(files["state_word"].value_counts().sort_index().items()) == [
        ("已被新版本替代", 1),
        ("当前有效", 5),
        ("被退回（1个错误）", 1),
    ]
    assert set(files.loc[files["state"] == "current", "return_label"]) == {"R1 市（区）总工会年度报表"}


def test_missing_return_messages(con):
    catalog, registry = load_catalog(), load_registry()
    files = profile.unit_submissions(con, "C10")
    assert profile.missing_return_messages(files, catalog, registry.get("C10"), 2025) == [
        "商洛市总工会2025年度尚未报送《市（区）总工会年度报表》。"
    ]
    assert profile.missing_return_messages(files, catalog, registry.get("C10"), 2024) == []
    rejected = pd.DataFrame({"year": [2025], "return_code": ["R1"], "state": ["rejected"]})
    assert profile.missing_return_messages(rejected, catalog, registry.get("C10"), 2025) == [
        "商洛市总工会2025年度尚未报送《市（区）总工会年度报表》（已收到1份被退回的文件，请联系其修改后重新报送）。"
    ]


def test_county_breakdown_of_hanzhong_2024(con):
    table = profile.county_breakdown(con, "C07", 2024)
    catalog = load_catalog()
    _, indicators = profile.county_indicators(catalog)
    assert list(table.columns) == [
        profile.COUNTY_COLUMN,
        *(i.label_with_unit for i in indicators),
        profile.REMARK_COLUMN,
    ]
    first = table.iloc[0]
    expected = (
        con.execute(
            "select indicator, value_num, value_bool from current_values where unit_code = 'C07' and year = 2024 "
            "and entity_code = 'C07-01'"
        )
        .df()
        .set_index("indicator")
    )
    assert first[profile.COUNTY_COLUMN] == load_registry().get("C07-01").name
    assert first["是否召开专题会议"] == ("是" if expected.loc["m3_county_meeting_held", "value_bool"] else "否")
    assert first["县级产业工会数（个）"] == expected.loc["m8_county_industry_unions", "value_num"]
    assert set(table[profile.REMARK_COLUMN]) == {""}


def test_county_breakdown_without_a_return_or_without_counties_is_empty(con):
    assert profile.county_breakdown(con, "C10", 2025).empty
    assert profile.county_breakdown(con, "C12", 2024).empty


def test_unit_history_table_holds_the_units_status_words(book):
    table = profile.unit_history_table(book, unit_profile(book, "C07", 2024))
    assert list(table.columns) == ["措施", *(f"{y}年" for y in book.years)]
    row = table[table["措施"] == f"第9条　{book.catalog.measure(9).short_name}"].iloc[0]
    assert [row[f"{y}年"] for y in book.years] == [
        next(s for s in book.result(9, y).units if s.unit_code == "C07").status for y in book.years
    ]


# --- every unit the engine judges, in every chart of the family pages ---------------------------------------------


def chart_units(chart) -> tuple[set[str], str]:
    """The unit names a drawn chart holds (bar categories, heat-map rows, lines, small-multiple panels) and all its
    text, read from the figure Streamlit was given."""
    spec = json.loads(chart.proto.spec)
    names: set[str] = set()
    for trace in spec["data"]:
        if trace.get("type") == "heatmap":
            names |= set(trace["y"])
        elif trace.get("type") == "bar" and trace.get("name") in STATUS_COLOURS:
            names |= set(trace["y"] if trace.get("orientation") == "h" else trace["x"])
        elif trace.get("type") == "bar":
            names |= {x for x in trace["x"] if isinstance(x, str)}
        elif trace.get("showlegend") is not False and trace.get("name") not in STATUS_COLOURS:
            names.add(trace["name"].partition("（")[0])  # a line per unit
    names |= {
        a["text"].removeprefix("<b>").split("·")[0]
        for a in spec["layout"].get("annotations", [])
        if "·" in a.get("text", "")
    }
    return names, json.dumps(spec, ensure_ascii=False)


@pytest.mark.parametrize("page", sorted(FAMILY_PAGES))
def test_each_chart_on_a_family_page_draws_every_unit_the_engine_judges(monkeypatch, demo_warehouse, book, con, page):
    app = open_page(monkeypatch, demo_warehouse, page)
    year = book.latest_year
    family = next(f for f in book.catalog.chart_families.values() if FAMILY_PAGES[page][0].startswith(f.name))
    shown = [f for f in figures.of_family(family.code) if f.key not in ("m4_special_funds_by_year",)]
    drawn = {json.loads(c.proto.spec)["layout"]["title"]["text"]: c for c in app.get("plotly_chart")}
    checked = 0
    for figure in shown:
        if figure.key == "m10_random_inspections_by_year":
            continue  # by year, no units
        chart = next(c for title, c in drawn.items() if f"（第{figure.measures[0]}条）" in title and _is(figure, title))
        shown_year = 2024 if figure.measures[0] == 9 else year  # the demo's latest inspection round
        judged = unit_statuses(book, figure.measures[0], shown_year)
        reported = set(figure.series(con, years=[shown_year])["unit_code"])
        names, text = chart_units(chart)
        assert names == {book.registry.get(code).short_name for code in judged}, figure.key
        word = "未督查" if figure.measures[0] == 9 else "未报送"
        assert bool(set(judged) - reported) == (word in text), figure.key
        checked += 1
    assert checked == {"coverage": 3, "funding": 2, "inspections": 2, "cadres": 2}[family.code]


def _is(figure, title: str) -> bool:
    """Which of a measure's charts a title names (第9条 has a heat map of scores and the rectification rates)."""
    return {"m9_scores_by_unit": "得分", "m9_rectification_by_unit": "整改率"}.get(figure.key, "") in title


def test_the_inspection_charts_show_hancheng_not_inspected(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, INSPECTIONS)
    heat_map, rectification = (json.loads(c.proto.spec) for c in app.get("plotly_chart")[:2])
    assert "韩城市" in heat_map["data"][0]["y"]
    assert any(a["text"] == "未督查" for a in heat_map["layout"]["annotations"])
    [red] = [t for t in rectification["data"] if t["name"] == "未达标" and "韩城市" in t["y"]]
    assert red["text"][list(red["y"]).index("韩城市")] == "未督查 未达标"  # the engine's verdict, in place
    assert unit_statuses(book, 9, 2024)["C12"] == "未达标"
