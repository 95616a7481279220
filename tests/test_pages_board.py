"""总览, 措施详情 and 放映模式 under AppTest on the demo warehouse (values checked against the status engine) and on
an empty warehouse; the query-layer tables and the per-unit chart builder those pages use."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.theme import STATUS_COLOURS
from dashboard.tiles import EMPTY_WAREHOUSE, caveat_lines, tile_html, trend_text, unit_status_chart
from pipeline.catalog import load_catalog
from pipeline.cli_status import detail_text
from pipeline.status.model import EXPLANATION_LABELS, STATUSES
from pipeline.warehouse import WAREHOUSE_ENV
from queries.board import (
    Scope,
    StatusBook,
    family_screens,
    measure_anomalies,
    measure_board,
    measure_detail,
    measure_indicators,
    measure_sources,
    measure_unit_table,
    number_runs,
    unit_metric,
)
from tests.accounts import signed_in
from tests.status_fixtures import context, fact

APP = str(Path(__file__).parent.parent / "app.py")
OVERVIEW, DETAIL, PRESENT = "app_pages/overview.py", "app_pages/measure_detail.py", "app_pages/present.py"


@pytest.fixture(scope="module")
def book(demo_warehouse) -> StatusBook:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return StatusBook.from_warehouse(con)


def open_page(monkeypatch, warehouse: Path, page: str, **params: str) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    app = signed_in(APP, default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page != OVERVIEW:
        app.switch_page(page)
        app.run()
    assert_clean(app)
    return app


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not [e.value for e in app.error if "暂时无法显示" in e.value]  # no visual fell into ui.guarded


def tiles_html(app: AppTest) -> dict[int, str]:
    """The tiles on the page by measure number."""
    found = {}
    for element in app.html:
        match = re.search(r'<span class="tile-no">第(\d+)条</span>', element.value)
        if match:
            found[int(match.group(1))] = element.value
    return found


def headers(app: AppTest) -> list[str]:
    return [h.value for h in app.header]


# --- 总览 ------------------------------------------------------------------------------------------------------


def test_overview_counts_equal_the_status_engine_for_the_latest_year(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW)
    counts = measure_board(book, book.latest_year).counts
    assert book.latest_year == 2025
    assert [(m.label, m.value) for m in app.metric] == [(s, f"{counts[s]}条") for s in STATUSES]
    assert sum(counts.values()) == 18
    assert f"十八条措施落实总览（{book.latest_year}年度）" in [s.value for s in app.subheader]


def test_overview_shows_eighteen_tiles_by_chapter_each_with_a_detail_button(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW)
    catalog = load_catalog()
    tiles = tiles_html(app)
    assert sorted(tiles) == list(range(1, 19))
    for measure in catalog.measures:
        assert measure.short_name in tiles[measure.number]
    assert [b.key for b in app.button if b.key and b.key.startswith("open_")] == [f"open_{n}" for n in range(1, 19)]
    chapters = [m.value for m in app.markdown if m.value.startswith("#### ")]
    assert chapters == [f"#### {c.number}、{c.heading}" for c in catalog.chapters]


def test_overview_2024_tiles_carry_the_engines_status_figure_and_trend(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW, year="2024")
    tiles = tiles_html(app)
    m9, m5 = book.result(9, 2024).overall, book.result(5, 2024).overall
    assert (m9.status, m9.metric_text) == ("未达标", "86.3分")
    assert (
        '<span class="status-badge status-2">未达标</span><span class="tile-line tile-metric">专项督查平均得分</span>'
        '<span class="tile-figure">86.3分</span><span class="tile-line tile-target">达标线 80分，整改率90%</span>'
    ) in tiles[9]
    assert "上年：未到期" in tiles[9]  # 2023 lies inside the window: no trend is drawn from 未到期
    assert (m5.status, m5.metric_text) == ("达标", "95.6%")
    assert (
        '<span class="status-badge status-0">达标</span><span class="tile-line tile-metric">会费收缴率</span>'
        '<span class="tile-figure">95.6%</span><span class="tile-line tile-target">达标线 95%</span>'
    ) in tiles[5]
    assert "→ 与上年持平（上年：达标）" in tiles[5]
    assert f"--tile-colour:{STATUS_COLOURS['未达标']}" in tiles[9]


def test_overview_2025_tiles_show_missing_returns_and_window_notes(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW)
    tiles = tiles_html(app)
    board = {t.measure.number: t for t in measure_board(book, 2025).tiles}
    assert board[5].incomplete == "1个单位未报送，按已报送单位计算"
    assert "⚠ 1个单位未报送，按已报送单位计算" in tiles[5]
    assert board[1].note == "窗口期2024–2026，2026年底届满，本窗口期内尚未召开"
    # Not a warning: the open window's note is plain information on a 未到期 tile.
    assert '<div class="tile-line">窗口期2024–2026，2026年底届满，本窗口期内尚未召开</div>' in tiles[1]
    assert "⚠" not in tiles[1]
    # the one-sentence summary, folded inside the tile under 摘要
    assert (
        f'<details class="tile-more"><summary>摘要</summary><div class="tile-summary">{escape(board[5].summary)}</div></details>'
        in tiles[5]
    )
    assert board[5].summary.startswith("2025年")


def test_a_tile_button_opens_the_measure_detail(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW, year="2024")
    app.button(key="open_9").click().run()
    assert_clean(app)
    assert [s.value for s in app.subheader][0] == "第9条　专项督查每2年1次"
    assert app.query_params["m"] == "9"


def test_the_measure_picker_opens_the_measure_detail(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW)
    app.selectbox(key="_w_overview_pick").select(12).run()
    assert_clean(app)
    assert [s.value for s in app.subheader][0] == "第12条　增强工作力量"


def test_the_present_toggle_opens_projector_mode(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW)
    app.toggle(key="_w_overview_present").set_value(True).run()
    assert_clean(app)
    assert headers(app)[0].startswith("十八条措施落实总览（")  # the projector starts with the overview screen
    assert app.query_params["mode"] == "present"


# --- 措施详情 --------------------------------------------------------------------------------------------------


def test_detail_of_measure_5_in_2024_explains_the_status(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="5", year="2024")
    measure = load_catalog().measure(5)
    assert [s.value for s in app.subheader] == ["第5条　经费收支管理与会费收缴"]
    assert measure.text in [m.value for m in app.markdown]
    html = "\n".join(h.value for h in app.html)
    assert '<span class="status-badge status-0">达标</span><span class="tile-line">会费收缴率</span>' in html
    assert "<b>省国防邮电工会</b>　88.2%" in html
    assert "<b>省金融工会</b>　91.0%" in html
    markdown = [m.value for m in app.markdown]
    assert "**计算过程**：实收会费合计 14,419.6万元 ÷ 应收会费合计 15,082.9万元 = 95.6%（8个单位）" in markdown
    assert "**判定标准**：≥95% 达标，≥85% 预警，否则未达标" in markdown


LABELLED = re.compile(r"^\*\*(?P<label>[^*]+)\*\*：(?P<text>.+)$", re.S)


@pytest.mark.parametrize(("measure", "year"), [(5, 2024), (3, 2025)])  # 2025: a unit missing, a note
def test_the_page_and_the_cli_explain_a_measure_under_the_same_labels(monkeypatch, demo_warehouse, book, measure, year):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m=str(measure), year=str(year))
    labels = set(EXPLANATION_LABELS.values())
    page = [
        m.groupdict() for e in [*app.markdown, *app.warning] if (m := LABELLED.match(e.value)) and m["label"] in labels
    ]
    cli = [
        {"label": label, "text": text}
        for line in detail_text(measure_detail(book, measure, year), demo=True).splitlines()
        if (parts := line.split("：", 1)) and len(parts) == 2 and (label := parts[0]) in labels and (text := parts[1])
    ]
    overall = book.result(measure, year).overall
    headline = {EXPLANATION_LABELS["value_text"], EXPLANATION_LABELS["summary"]}
    laggards = EXPLANATION_LABELS["laggards"]
    # The page's headline tile shows the key figure and the summary; its laggards are a list under their label.
    assert sorted(p["label"] for p in page) == sorted(
        c["label"] for c in cli if c["label"] not in headline | {laggards}
    )
    assert [p for p in page if p["label"] != EXPLANATION_LABELS["missing_units"]] == [
        c for c in cli if c["label"] not in headline | {laggards, EXPLANATION_LABELS["missing_units"]}
    ]
    assert {c["label"] for c in cli} >= {"关键数据", "计算过程", "判定标准", "判定规则", "结论", "落后单位"}
    assert f"**{laggards}**" in [m.value for m in app.markdown]
    assert overall.explanation.summary in "".join(h.value for h in app.html)
    if overall.explanation.missing_units:
        names = "、".join(overall.explanation.missing_units)
        assert [w.value for w in app.warning if names in w.value] == [f"**未报送单位**：{names}（共1个）"]
        assert f"未报送单位：{names}（共1个）" in [f"{c['label']}：{c['text']}" for c in cli]
        assert {"说明", "未报送单位"} <= {p["label"] for p in page}


def test_detail_of_measure_5_lists_units_history_indicators_and_source_cells(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="5", year="2024")
    units, sources = (d.value for d in app.dataframe)
    indicators = next(m.value for m in app.markdown if m.value.startswith("- **"))
    assert [line.split("**")[1] for line in indicators.splitlines()] == ["应收会费", "实收会费"]
    assert list(units["unit_name"][:2]) == ["省国防邮电工会", "省金融工会"]
    assert list(units["status"]) == ["预警", "预警"] + ["达标"] * 6
    assert len(sources) == 16
    row = sources[(sources["entity_name"] == "省国防邮电工会") & (sources["indicator_name"] == "实收会费")].iloc[0]
    assert (row["value_text"], row["file_name"], row["sheet"], row["cell"]) == (
        "961.9万元", "演示_2024_R2_陕西省国防邮电工会.xlsx", "本级情况", "D11",
    )  # fmt: skip
    history = next(h.value for h in app.html if 'class="history"' in h.value)
    assert [int(y) for y in re.findall(r"<b>(\d{4})年</b>", history)] == [2021, 2022, 2023, 2024, 2025]
    assert len(app.get("plotly_chart")) == 1
    assert "本年度本条措施没有需要核实的异常波动。" in [c.value for c in app.caption]


def test_detail_of_measure_7_in_2024_shows_the_anomaly_flags(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="7", year="2024")
    flags = app.dataframe[-1].value
    assert list(flags["unit_name"]) == ["省教科文卫体工会", "省国防邮电工会", "省农林水利气象工会"]
    assert list(flags["change_text"]) == [
        "由 58个 降至 10个（为上年的17.2%）", "由 10个 增至 33个（×3.3）", "由 41个 降至 13个（为上年的31.7%）",
    ]  # fmt: skip
    assert list(flags.columns) == ["unit_name", "entity_name", "indicator_name", "change_text", "remark", "location"]
    assert list(flags["remark"]) == ["（未填写说明）"] * 3  # the demo submitters left no 说明 on these figures
    assert flags["location"].iloc[1] == "演示_2024_R2_陕西省国防邮电工会.xlsx／本级情况!D13"


def test_detail_of_a_province_wide_measure_has_no_unit_table(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="4", year="2024")
    assert "本条措施按全省整体判断，不分单位评价。" in [c.value for c in app.caption]
    assert len(app.get("plotly_chart")) == 0


def test_detail_of_a_yes_no_measure_has_a_table_but_no_bar_chart(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="13", year="2025")
    assert len(app.get("plotly_chart")) == 0
    units = app.dataframe[0].value  # the indicators are a list above it
    assert units["unit_name"].iloc[0] == "省海员建设工会" and units["metric_text"].iloc[0] == "未报送"


# --- 放映模式 --------------------------------------------------------------------------------------------------

PRESENT_HEADINGS = [
    "十八条措施落实总览（2024年度）", "组织覆盖（第3、7、8条）", "经费保障（第4、5、6条）", "督查结果（第9、10条）",
    "干部队伍（第16、17条）", "工作机制（第1、2、11、12条）", "工作机制（第13、14、15、18条）",
]  # fmt: skip


def overview_cells(app: AppTest) -> list[int]:
    """The measures on the projector's overview screen, in order."""
    grid = next((h.value for h in app.html if 'class="present-grid"' in h.value), "")
    return [
        int(n)
        for n in re.findall(
            r'<div class="present-cell"[^>]*><div class="tile-head"><span class="tile-no">第(\d+)条', grid
        )
    ]


def test_present_starts_with_the_overview_then_a_screen_per_family_and_wraps_around(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, PRESENT, year="2024")
    assert overview_cells(app) == list(range(1, 19))
    seen = []
    for _ in range(len(PRESENT_HEADINGS)):
        seen.append((headers(app)[0], sorted(tiles_html(app)), len(app.get("plotly_chart"))))
        app.button(key="present_next").click().run()
        assert_clean(app)
    assert [s[0] for s in seen] == PRESENT_HEADINGS
    # 工作机制's eight tiles take two screens of four: one row of tiles fits a 720-pixel projector.
    assert [s[1] for s in seen[1:]] == [[3, 7, 8], [4, 5, 6], [9, 10], [16, 17], [1, 2, 11, 12], [13, 14, 15, 18]]
    assert [s[2] for s in seen] == [0, 1, 1, 1, 1, 0, 0]  # a key chart for the four chart families
    assert headers(app) == [PRESENT_HEADINGS[0]]  # after the last screen, the first again
    app.button(key="present_prev").click().run()
    assert headers(app) == [PRESENT_HEADINGS[-1]]


def test_present_tiles_carry_status_figure_and_summary(monkeypatch, demo_warehouse, book):
    app = open_page(monkeypatch, demo_warehouse, PRESENT, year="2024")
    app.button(key="present_next").click().run()
    tile = tiles_html(app)[3]
    status = book.result(3, 2024).overall
    assert 'class="tile large"' in tile
    assert (
        f'<span class="status-badge status-1">预警</span><span class="tile-line tile-metric">{status.explanation.metric_name}'
        f'</span><span class="tile-figure">{status.metric_text}</span>'
    ) in tile
    assert status.explanation.summary in tile


def test_present_turns_projector_mode_on_and_exit_returns_to_the_overview(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, PRESENT)
    assert app.query_params["mode"] == "present"
    app.button(key="present_exit").click().run()
    assert_clean(app)
    assert "mode" not in app.query_params
    assert [m.label for m in app.metric] == list(STATUSES)  # the overview again


def test_timed_advance_turns_the_page_once_the_interval_has_passed(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, PRESENT)
    app.toggle(key="_w_present_auto").set_value(True).run()
    assert headers(app)[0].startswith("十八条措施落实总览（")  # switching it on starts the interval afresh
    app.session_state["_present_advanced_at"] = float("-inf")  # the last turn lies long in the past
    app.run()
    assert headers(app) == ["组织覆盖（第3、7、8条）"]


# --- empty warehouse ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [OVERVIEW, DETAIL, PRESENT])
def test_every_page_explains_how_to_load_data_on_an_empty_warehouse(monkeypatch, tmp_path, page):
    app = open_page(monkeypatch, tmp_path / "empty.duckdb", page)
    assert EMPTY_WAREHOUSE in [i.value for i in app.info]
    assert "python -m pipeline ingest" in EMPTY_WAREHOUSE and "数据上传" in EMPTY_WAREHOUSE
    assert not app.metric and not app.dataframe and not tiles_html(app)


# --- query layer and builders -------------------------------------------------------------------------------


def test_measure_unit_table_is_worst_first_with_the_engines_figures(book):
    table = measure_unit_table(book, 5, 2024)
    assert list(table.columns) == ["unit_code", "unit_name", "status", "metric", "metric_text", "summary"]
    assert list(table["unit_code"]) == ["I04", "I08", "I07", "I03", "I02", "I01", "I06", "I05"]
    assert list(table["metric_text"][:2]) == ["88.2%", "91.0%"]
    assert table["metric"].iloc[0] == pytest.approx(961.9 / 1090.6, abs=1e-4)
    assert measure_unit_table(book, 4, 2024).empty  # judged province-wide only
    scoped = measure_unit_table(book, 5, 2024, scope=Scope(frozenset({"I08"})))
    assert list(scoped["unit_code"]) == ["I08"]


def test_unit_metric_names_the_axis_or_declines_yes_no_judgements(book):
    assert unit_metric(book, 5, 2024).axis_title == "会费收缴率（%）"
    assert unit_metric(book, 5, 2024).percent
    assert unit_metric(book, 9, 2024).axis_title == "专项督查平均得分（分）"
    assert unit_metric(book, 6, 2024).unit == "万元"
    assert unit_metric(book, 17, 2024).axis_title == "提拔率比值"
    assert unit_metric(book, 13, 2024) is None  # 满足 / 未满足
    assert unit_metric(book, 4, 2024) is None  # no per-unit figures


def test_measure_sources_follow_the_scope(book):
    every = measure_sources(book, 3, 2024)
    assert len(every) == 118 and set(every["unit_name"]) == {u.short_name for u in book.registry.cities()}
    xian = measure_sources(book, 3, 2024, scope=Scope(frozenset({"C01"})))
    assert set(xian["unit_name"]) == {"西安市"}
    assert len(xian) == 14 and "新城区" in set(xian["entity_name"])  # a county's row belongs to its city
    assert list(xian.columns) == [
        "unit_name",
        "entity_name",
        "indicator_name",
        "value_text",
        "reading",
        "file_name",
        "sheet",
        "cell",
    ]


def test_measure_anomalies_carry_the_submitters_remark():
    facts = [
        fact(2023, "m5_dues_collected", 100.0, unit="I04"),
        fact(2024, "m5_dues_collected", 1000.0, unit="I04", remark="含补缴的2021–2023年欠费", cell="D11"),
        fact(2023, "m5_dues_due", 110.0, unit="I04"),
        fact(2024, "m5_dues_due", 1100.0, unit="I04", remark="含补缴的2021–2023年欠费"),
    ]
    book = StatusBook.from_context(context(facts))
    flags = measure_anomalies(book, 5, 2024)
    assert list(flags["indicator_name"]) == ["应收会费", "实收会费"]
    assert list(flags["remark"]) == ["含补缴的2021–2023年欠费", "含补缴的2021–2023年欠费"]
    assert list(flags["change_text"]) == ["由 110万元 增至 1,100万元（×10.0）", "由 100万元 增至 1,000万元（×10.0）"]
    assert flags["location"].iloc[1] == "2024_R2_I04.xlsx／R2_MAIN!D11"
    assert measure_anomalies(book, 5, 2024, scope=Scope(frozenset({"I01"}))).empty


def test_measure_indicators_name_return_and_level():
    table = measure_indicators(load_catalog(), 3)
    assert list(table.columns) == ["name", "unit", "return", "level"]
    assert table["return"].iloc[0] == "R1 市（区）总工会年度报表"
    assert list(table["level"]) == ["本级", "县（区）明细"]


def test_family_screens_follow_the_catalog(book):
    screens = family_screens(book, 2024)
    assert [(s.code, s.name, s.measures_text) for s in screens] == [
        ("coverage", "组织覆盖", "3、7、8"), ("funding", "经费保障", "4、5、6"), ("inspections", "督查结果", "9、10"),
        ("cadres", "干部队伍", "16、17"), ("mechanisms", "工作机制", "1、2、11–15、18"),
    ]  # fmt: skip
    assert sorted(t.measure.number for s in screens for t in s.tiles) == list(range(1, 19))


def test_number_runs():
    assert number_runs([18, 1, 2, 11, 12, 13, 14, 15]) == "1、2、11–15、18"
    assert number_runs([9, 10]) == "9、10"
    assert number_runs([4, 5, 6, 7]) == "4–7" and number_runs([4, 5, 6]) == "4、5、6"
    assert number_runs([]) == ""


def test_tile_helpers_merge_caveats_and_escape_names(book):
    board = {t.measure.number: t for t in measure_board(book, 2025).tiles}
    assert caveat_lines(board[5]) == ["1个单位未报送，按已报送单位计算"]
    assert trend_text(board[13]) == "↓ 较上年下滑（上年：达标）"
    assert trend_text(measure_board(book, 2021).tiles[1]) == ""  # the baseline year has no last year
    rogue = replace(board[2], measure=replace(board[2].measure, short_name="<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in tile_html(rogue) and "<b>x</b>" not in tile_html(rogue)


def test_unit_status_chart_colours_bars_by_status_and_prints_the_word():
    frame = pd.DataFrame(
        {
            "unit_name": ["省国防邮电工会", "省金融工会", "省海员建设工会", "韩城市"],
            "status": ["预警", "预警", "达标", "未达标"],
            "metric": [0.882, 0.91, 0.956, None],
            "metric_text": ["88.2%", "91.0%", "95.6%", "未报送"],
            "summary": ["a", "b", "c", "d"],
        }
    )
    fig = unit_status_chart(frame, title="2024年各单位会费收缴率（第5条）", axis_title="会费收缴率（%）", percent=True)
    assert [t.name for t in fig.data] == ["达标", "预警", "未达标"]
    assert [t.marker.color for t in fig.data] == [STATUS_COLOURS[s] for s in ("达标", "预警", "未达标")]
    assert list(fig.data[1].text) == ["88.2%　预警", "91.0%　预警"]
    assert list(fig.data[2].textposition) == ["outside"]  # no figure, no bar: the words sit by the axis
    assert fig.layout.xaxis.tickformat == ".0%" and fig.layout.xaxis.title.text == "会费收缴率（%）"
    assert list(fig.layout.yaxis.categoryarray) == list(frame["unit_name"])
    assert fig.layout.title.text == "2024年各单位会费收缴率（第5条）"
    empty = unit_status_chart(frame.iloc[0:0], title="t", axis_title="a", percent=False)
    assert [a.text for a in empty.layout.annotations] == ["暂无数据"]


# --- how a converted cell was read, beside its figure (issue 9, item 6) ------------------------------------------


def test_detail_shows_how_a_converted_cell_was_read_beside_its_figure(monkeypatch, demo_warehouse):
    """The 2021 return of 省教科文卫体工会 typed 职工人数 as “41.2万人” (a numbers_as_text trait of the demo)."""
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="7", year="2021")
    sources = next(d.value for d in app.dataframe if "reading" in d.value.columns)
    converted = sources[sources["reading"] != ""]
    assert converted[["entity_name", "indicator_name", "value_text", "reading", "cell"]].to_dict("records") == [
        {
            "entity_name": "省教科文卫体工会",
            "indicator_name": "职工人数",
            "value_text": "412,000人",
            "reading": "填写的是“41.2万人”，按 412000 读入",
            "cell": "D15",
        }
    ]
    assert len(sources) > len(converted)  # every other figure was taken as typed


def test_measure_sources_read_each_cell_as_the_upload_did():
    facts = [
        {**fact(2024, "m5_dues_due", 1100.0, unit="I04", cell="D10"), "raw_text": "约1100"},
        fact(2024, "m5_dues_collected", 1000.0, unit="I04", cell="D11"),
        {**fact(2024, "m5_dues_due", 1100.0, unit="I01", cell="D10"), "raw_text": "１１００"},
        {**fact(2024, "m5_dues_collected", 1050.0, unit="I01", cell="D11"), "raw_text": "10500000元"},
    ]
    sources = measure_sources(StatusBook.from_context(context(facts)), 5, 2024)
    readings = {(r.entity_name, r.indicator_name): r.reading for r in sources.itertuples()}
    assert readings == {
        ("省国防邮电工会", "应收会费"): "填写的是“约1100”，是估计数，按 1100 万元读入；如有准确数请更正",
        ("省国防邮电工会", "实收会费"): "",
        ("省教科文卫体工会", "应收会费"): "",  # full-width digits are a typographic clean-up, not a conversion
        ("省教科文卫体工会", "实收会费"): "填写的是“10500000元”，按 1050 万元读入",
    }


# --- issue 12: 未到期, one missing-unit policy, figures with names ---------------------------------------------


@pytest.mark.parametrize(("year", "not_due"), [("2021", (1, 9)), ("2023", (9,)), ("2025", (1, 9))])
def test_overview_counts_open_windows_as_not_due(monkeypatch, demo_warehouse, year, not_due):
    app = open_page(monkeypatch, demo_warehouse, OVERVIEW, year=year)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["未到期"] == f"{len(not_due)}条"
    tiles = tiles_html(app)
    for number in not_due:
        assert '<span class="status-badge status-4">未到期</span>' in tiles[number]
        assert f"--tile-colour:{STATUS_COLOURS['未到期']}" in tiles[number]
        assert "年底届满" in tiles[number]


def test_not_due_has_its_own_colour_distinct_from_no_data():
    assert STATUS_COLOURS["未到期"] not in {STATUS_COLOURS[s] for s in ("达标", "预警", "未达标", "无数据")}


def test_measure_9_history_reads_not_due_in_open_windows(monkeypatch, demo_warehouse, book):
    detail = measure_detail(book, 9, 2025)
    assert [(s.year, s.status) for s in detail.history] == [
        (2021, "未到期"),
        (2022, "达标"),
        (2023, "未到期"),
        (2024, "未达标"),
        (2025, "未到期"),
    ]
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="9", year="2025")
    html = "\n".join(h.value for h in app.html)
    assert html.count('<span class="status-badge status-4">未到期</span>') >= 3


def test_every_tile_names_its_key_figure_and_its_bar(book):
    for year in book.years:
        for tile in measure_board(book, year).tiles:
            html = tile_html(tile)
            if tile.key_figure:
                assert tile.metric_name and tile.key_figure == f"{tile.metric_name} {tile.metric_text}"
                assert f'<span class="tile-line tile-metric">{tile.metric_name}</span>' in html, (year, tile)
            assert tile.target.startswith("达标线 "), (year, tile.measure.number)
    m17 = {t.measure.number: t for t in measure_board(book, 2025).tiles}[17]
    assert (m17.key_figure, m17.target) == ("提拔率比值 1.12", "达标线 1.0")


def test_the_same_7_of_8_reads_the_same_and_the_tile_says_why(book):
    board = {t.measure.number: t for t in measure_board(book, 2025).tiles}
    for number in (11, 13, 15, 18):  # 海员建设 did not report in 2025
        assert (board[number].status, board[number].metric_text) == ("预警", "7/8"), number
        assert board[number].incomplete == "1个单位未报送，按未满足计"
        assert board[number].note == "1个单位未报送，按未满足计"


def test_measure_detail_lists_its_indicators_as_lines_that_wrap(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, DETAIL, m="3", year="2024")
    assert_clean(app)
    listed = next(m.value for m in app.markdown if m.value.startswith("- **"))
    table = measure_indicators(load_catalog(), 3)
    assert listed.count("\n") == len(table) - 1
    first = table.iloc[0]
    assert listed.splitlines()[0].startswith(f"- **{first['name']}**") and first["return"] in listed.splitlines()[0]
