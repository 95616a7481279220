"""The PowerPoint deck, reopened with python-pptx: its slides, the board's statuses, every native chart's figures,
the East Asian font on every run and the demo label, checked against the query layer and the status engine."""

from __future__ import annotations

import io
import math
import re

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches

from dashboard.figures import CLUSTERED_BAR, LINE, SPECIAL_INSPECTIONS, of_family
from dashboard.theme import STATUS_COLOURS
from exports.deck import build_deck
from exports.pptx_text import EAST_ASIAN_FACE, LANGUAGE
from pipeline.warehouse import open_reader
from queries.board import StatusBook, measure_board, measure_detail
from queries.profile import chart_years, latest_round_year, years_up_to
from queries.series import m9_rectification_by_unit
from queries.submissions import tracker_summary, tracker_table

FAMILIES = ("coverage", "funding", "inspections", "cadres")
FLAGGED = ("未达标", "预警")


@pytest.fixture(scope="module")
def reader(demo_warehouse):
    con = open_reader(demo_warehouse)
    yield con, StatusBook.from_warehouse(con)
    con.close()


@pytest.fixture(scope="module")
def deck(reader):
    con, book = reader
    year = book.latest_year
    return year, Presentation(io.BytesIO(build_deck(con, book, year, demo=True)))


def texts(shape) -> list[str]:
    return [shape.text_frame.text] if shape.has_text_frame and shape.text_frame.text else []


def slide_title(slide) -> str:
    return next(text for shape in slide.shapes for text in texts(shape))


def slide_text(slide) -> str:
    parts = [text for shape in slide.shapes for text in texts(shape)]
    for shape in slide.shapes:
        if shape.has_table:
            parts += [cell.text_frame.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def charts(slide) -> list:
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def fill_hex(cell_or_point_format) -> str:
    return "#" + str(cell_or_point_format.fill.fore_color.rgb).lower()


def test_the_slides_in_order_with_their_titles(deck, reader):
    year, prs = deck
    _, book = reader
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    assert math.isclose(prs.slide_width / prs.slide_height, 16 / 9, rel_tol=1e-3)
    flagged = [t for t in measure_board(book, year).tiles if t.status in FLAGGED]
    # The demo story's 2025 (amber only); 第11条 joined with issue 12: min_each counts 海员建设's missing return as unmet.
    assert {t.measure.number for t in flagged} == {3, 6, 11, 12, 13, 15, 18}
    assert len(prs.slides) == 2 + len(FAMILIES) + len(flagged) + 2
    titles = [slide_title(slide) for slide in prs.slides]
    assert titles[0] == "十八条措施落实情况"
    assert titles[1] == f"十八条措施落实情况总览　{year}年度"
    for title, code in zip(titles[2:6], FAMILIES, strict=True):
        family = book.catalog.chart_families[code]
        numbers = "、".join(str(n) for n in family.measures)
        assert title == f"{family.name}（第{numbers}条）　{year}年度"
    worst_first = sorted(flagged, key=lambda t: (FLAGGED.index(t.status), t.measure.number))
    assert titles[6:-2] == [f"第{t.measure.number}条　{t.measure.short_name}" for t in worst_first]
    assert titles[-2:] == [f"{year}年度报表报送情况", "数据说明"]


def test_title_slide_names_year_date_version_and_demo(deck):
    year, prs = deck
    text = slide_text(prs.slides[0])
    assert f"{year}年度" in text
    assert "数据截至2026年1月29日" in text
    assert "数据版本：截至第121号报送（最近接收 2026-01-29 09:00）" in text
    assert "【演示数据】本演示文稿由演示数据生成" in text


def test_every_slide_carries_the_demo_label_and_the_data_version(deck):
    _, prs = deck
    for slide in prs.slides:
        text = slide_text(slide)
        assert "【演示数据】" in text
        assert "截至第121号报送" in text


def test_board_table_statuses_are_the_engines(deck, reader):
    year, prs = deck
    _, book = reader
    table = next(shape.table for shape in prs.slides[1].shapes if shape.has_table)
    header = [cell.text_frame.text for cell in table.rows[0].cells]
    assert header == ["章", "措施", "状态", "关键数字", "较上年", "报送情况"]
    rows = list(table.rows)[1:]
    assert len(rows) == 18
    for number, row in enumerate(rows, start=1):
        cells = row.cells
        assert cells[1].text_frame.text.startswith(f"第{number}条　")
        status = book.result(number, year).overall.status if book.result(number, year) else "无数据"
        assert cells[2].text_frame.text == status
        assert fill_hex(cells[2]) == STATUS_COLOURS[status]
    counts = measure_board(book, year).counts
    assert all(f"{status} {count}项" in slide_text(prs.slides[1]) for status, count in counts.items())
    # Open windows (第1条 2024–2026, 第9条 2025–2026) are 未到期 in their own colour, counted apart from 无数据.
    assert [rows[n - 1].cells[2].text_frame.text for n in (1, 9)] == ["未到期", "未到期"]
    assert fill_hex(rows[0].cells[2]) == STATUS_COLOURS["未到期"] != STATUS_COLOURS["无数据"]
    assert "未到期 2项" in slide_text(prs.slides[1])


def _shown_year(figure, con, book, year) -> int:
    if figure.section != SPECIAL_INSPECTIONS:
        return year
    return latest_round_year(m9_rectification_by_unit(con, years=years_up_to(book.years, year)))


def _values(chart) -> dict[str, dict[str, float | None]]:
    """series name -> category -> value, read back from the chart's own data."""
    plot = chart.plots[0]
    return {series.name: dict(zip(plot.categories, series.values, strict=True)) for series in plot.series}


def _assert_native_chart(chart, figure, con, book, year) -> None:
    shown = _shown_year(figure, con, book, year)
    frame = figure.series(con, years=chart_years(figure.span, book.years, shown))
    values = _values(chart)
    if figure.native == LINE:
        column = {"m7_membership_by_union": "coverage_rate", "m6_budget_by_city": "total"}[figure.key]
        # A unit with a year it did not report is named with it, as in the screen's legend: 省海员建设工会（2025年未报送）.
        named = {name.partition("（")[0]: name for name in values}
        assert set(named) == set(frame["unit_name"])
        for row in frame.itertuples():
            assert values[named[row.unit_name]][f"{row.year}年"] == pytest.approx(getattr(row, column))
        judged = {s.unit_code for s in book.result(figure.measures[0], shown).units}
        for code in judged - set(frame[frame["year"] == shown]["unit_code"]):
            name = book.registry.get(code).short_name
            assert named[name].endswith(f"{shown}年未报送）") and values[named[name]][f"{shown}年"] is None
    elif figure.native == CLUSTERED_BAR and figure.key == "m4_special_funds_by_year":
        by_name = dict(zip(("申请经费", "批准经费", "已拨付经费"), ("requested", "approved", "disbursed"), strict=True))
        assert set(values) == set(by_name)
        for row in frame.itertuples():
            for name, column in by_name.items():
                assert values[name][f"{row.year}年"] == pytest.approx(getattr(row, column))
    elif figure.native == CLUSTERED_BAR:  # m8: this year's share beside last year's, per city
        now = frame[frame["year"] == shown]
        before = frame[frame["year"] == shown - 1].set_index("unit_name")["share"]
        for row in now.itertuples():
            assert values[f"{shown}年"][row.unit_name] == pytest.approx(row.share)
            assert values[f"{shown - 1}年"][row.unit_name] == pytest.approx(before[row.unit_name])
    else:
        (bars,) = values.values()
        if figure.key == "m10_random_inspections_by_year":
            expected = {f"{r.year}年（{r.inspections}次）": r.rate for r in frame.itertuples()}
        else:
            column = "parity_index" if figure.key == "m17_promotion_parity_by_union" else "rate"
            rows = frame[frame["year"] == shown]
            expected = dict(zip(rows["unit_name"], rows[column], strict=True))
        assert {name: value for name, value in bars.items() if value is not None} == pytest.approx(expected)
        # Units the engine judged without a figure keep their place, marked as not reported.
        absent = [name for name, value in bars.items() if value is None]
        assert all(name.endswith(("（未报送）", "（未督查）")) for name in absent)


def test_native_charts_hold_the_querys_figures(deck, reader):
    year, prs = deck
    con, book = reader
    for slide, code in zip(list(prs.slides)[2:6], FAMILIES, strict=True):
        natives = [figure for figure in of_family(code) if figure.native]
        slide_charts = charts(slide)
        assert len(slide_charts) == len(natives)
        for chart, figure in zip(slide_charts, natives, strict=True):
            assert chart.has_title and f"第{figure.measures[0]}条" in chart.chart_title.text_frame.text
            assert chart.value_axis.has_title and chart.value_axis.axis_title.text_frame.text
            _assert_native_chart(chart, figure, con, book, year)


def test_bars_take_the_engines_colour_and_word(deck, reader):
    year, prs = deck
    _, book = reader
    chart = charts(prs.slides[3])[1]  # 经费保障: the dues collection rates (第5条)
    assert "会费收缴率" in chart.chart_title.text_frame.text
    series = chart.plots[0].series[0]
    judged = {s.unit_code: s.status for s in measure_detail(book, 5, year).units}
    names = {book.registry.get(code).short_name: status for code, status in judged.items()}
    for category, point, value in zip(chart.plots[0].categories, series.points, series.values, strict=True):
        status = names[category.removesuffix("（未报送）")]
        assert fill_hex(point.format) == STATUS_COLOURS[status]
        if value is not None:
            assert point.data_label.text_frame.text == f"{value * 100:.1f}% {status}"


def test_the_heat_map_is_an_image_of_the_latest_round(deck):
    _, prs = deck
    inspections = prs.slides[4]
    pictures = [shape for shape in inspections.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == 1
    assert pictures[0].image.content_type == "image/png"
    assert "第9条图表为最近一轮：2024年专项督查的结果" in slide_text(inspections)


def test_measure_slides_explain_with_the_engines_figures(deck, reader):
    year, prs = deck
    _, book = reader
    slide = next(s for s in prs.slides if slide_title(s).startswith("第3条　"))
    explanation = measure_detail(book, 3, year).overall.explanation
    text = slide_text(slide)
    for part in (explanation.summary, explanation.formula, explanation.threshold, explanation.rule):
        assert part in text
    assert f"计算过程：{explanation.formula}" in text and f"判定规则：{explanation.rule}" in text
    assert f"未报送单位（{len(explanation.missing_units)}个）：{'、'.join(explanation.missing_units)}" in text
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [[cell.text_frame.text for cell in row.cells] for row in list(table.rows)[1:]]
    assert rows == [[lag.unit_name, lag.status, lag.value_text] for lag in explanation.laggards]
    assert ["汉中市", "未达标", "75.0%"] in rows


def test_submission_and_closing_slides_name_who_is_missing(deck, reader):
    year, prs = deck
    con, book = reader
    submissions, closing = slide_text(prs.slides[-2]), slide_text(prs.slides[-1])
    for code in book.catalog.returns:
        summary = tracker_summary(tracker_table(con, year, code), year, code)
        assert summary.text in submissions
        for name in summary.missing:
            assert name in submissions and name in closing
    assert "商洛市总工会" in closing and "陕西省海员建设工会" in closing
    assert "逾期报送单位：无" in closing
    assert "估计数：本年度当前数据中没有按估计数读入的数字。" in closing


def test_an_estimate_is_counted_in_the_data_note(reader):
    con, book = reader
    prs = Presentation(io.BytesIO(build_deck(con, book, 2023, demo=True, families=())))
    assert "估计数：本年度当前数据中有1处按估计数读入" in slide_text(prs.slides[-1])
    assert len(prs.slides) == 2 + len([t for t in measure_board(book, 2023).tiles if t.status in FLAGGED]) + 2


def _properties_without_ea(root) -> list[str]:
    missing = []
    for run in root.iter(qn("a:r")):
        properties = run.find(qn("a:rPr"))
        ea = properties.find(qn("a:ea")) if properties is not None else None
        if ea is None or ea.get("typeface") != EAST_ASIAN_FACE or properties.get("lang") != LANGUAGE:
            missing.append(run.findtext(qn("a:t")))
    return missing


def test_every_run_names_the_east_asian_face(deck):
    _, prs = deck
    runs = 0
    for slide in prs.slides:
        assert _properties_without_ea(slide.element) == []
        runs += len(list(slide.element.iter(qn("a:r"))))
        for chart in charts(slide):
            space = chart._chartSpace
            assert _properties_without_ea(space) == []
            defaults = list(space.iter(qn("a:defRPr")))
            assert defaults and all(d.find(qn("a:ea")) is not None for d in defaults)
    assert runs > 300


def test_an_empty_warehouse_gives_a_deck_that_says_so(tmp_path):
    con = open_reader(tmp_path / "empty.duckdb")
    book = StatusBook.from_warehouse(con)
    prs = Presentation(io.BytesIO(build_deck(con, book, 2025, demo=False)))
    assert len(prs.slides) == 2 + len(FAMILIES) + 2  # nothing flagged without data
    assert "【演示数据】" not in "\n".join(slide_text(s) for s in prs.slides)
    assert "暂无第3条（专题会议覆盖率）的数据" in slide_text(prs.slides[2]).replace("2025年度", "")
    assert re.search(r"无数据 18项", slide_text(prs.slides[1]))
    con.close()


def test_no_key_figure_stands_bare_on_the_board_or_the_family_slides(deck, reader):
    year, prs = deck
    _, book = reader
    board = measure_board(book, year)
    text = "\n".join(slide_text(slide) for slide in prs.slides)
    with_figures = [t for t in board.tiles if t.key_figure]
    assert len(with_figures) >= 10
    for tile in with_figures:  # e.g. "晋升比 1.12", never a bare "1.12"
        assert tile.key_figure in text, tile.measure.number
    m17 = next(t for t in board.tiles if t.measure.number == 17)
    assert m17.key_figure.startswith(m17.metric_name) and m17.metric_name
