"""The registry of figures (dashboard/figures.py) and the engine's verdicts on a chart's rows
(queries.board.with_statuses): every figure said once and complete, and every bar coloured by the status the
engine gives its unit or year — on a hand-built case where the bar's own figure would look green, and on the demo."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest

from dashboard import charts, figures
from dashboard.theme import STATUS_COLOURS
from pipeline.catalog import load_catalog
from pipeline.status.model import AT_RISK, NO_DATA, STATUSES
from queries import profile, series
from queries.board import NOT_INSPECTED, NOT_SUBMITTED, StatusBook, unit_statuses, with_statuses
from tests.status_fixtures import context, fact

SCORES = load_catalog().measure(9).rule.params["scores"]
INSPECTED = [f"C{n:02d}" for n in range(1, 13)] + [f"I{n:02d}" for n in range(1, 9)]


@pytest.fixture(scope="module")
def con(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def book(con) -> StatusBook:
    return StatusBook.from_warehouse(con)


def bar_statuses(fig) -> dict[str, str]:
    """Bar category -> the status its trace stands for, checking that the trace has that status's colour."""
    found = {}
    for trace in fig.data:
        if trace.type != "bar" or trace.name not in STATUSES:
            continue
        assert trace.marker.color == STATUS_COLOURS[trace.name]
        for category in trace.y if trace.orientation == "h" else trace.x:
            found[category] = trace.name
    return found


# --- the registry ---------------------------------------------------------------------------------------------


def test_each_figure_is_named_once_and_served_by_its_own_series_query():
    keys = [f.key for f in figures.FIGURES]
    assert len(keys) == len(set(keys)) == 11
    for figure in figures.FIGURES:
        assert figure.series is getattr(series, figure.key)
        assert figure.builder.__module__ == "dashboard.charts"


def test_each_figures_csv_headings_name_columns_of_its_series(con):
    for figure in figures.FIGURES:
        columns = set(figure.series(con, years=[2024]).columns)
        assert figure.csv_columns and set(figure.csv_columns) <= columns, figure.key


def test_every_chart_family_with_measures_to_chart_has_its_figures_and_one_key_chart():
    catalog = load_catalog()
    charted = {f.family for f in figures.FIGURES}
    assert charted == {"coverage", "funding", "inspections", "cadres"} <= set(catalog.chart_families)
    for family in charted:
        served = {n for f in figures.of_family(family) for n in f.measures}
        assert served <= set(catalog.chart_families[family].measures)
        key = figures.key_chart(family)
        assert key is not None and key.family == family
        assert [f for f in figures.of_family(family) if f.key_chart] == [key]
    assert figures.key_chart("mechanisms") is None  # 机制建设 has tiles only


def test_file_stem_and_measures_text():
    figure = figures.BY_KEY["m5_dues_by_union"]
    assert figure.file_stem(2024) == "第5条_会费收缴率_2024年度"
    assert figure.measures_text == "第5条"


# --- the engine's verdicts on a chart's rows ---------------------------------------------------------------------


def inspection(year: int, entity: str, score: float, found: int, rectified: int, row: int) -> list[dict]:
    """One R4 special-inspection row: the same score on all seven dimensions, problems found and rectified."""
    cells = [fact(year, code, score, unit="P00", entity=entity, row_no=row) for code in SCORES]
    cells.append(fact(year, "m9_problems_found", found, unit="P00", entity=entity, row_no=row))
    return [*cells, fact(year, "m9_problems_rectified", rectified, unit="P00", entity=entity, row_no=row)]


def test_a_unit_the_engine_judges_at_risk_is_amber_though_its_bar_alone_would_look_green():
    # 汉中市 rectified every problem found (100%, above the 90% line of the rectification chart) but scored 70
    # on average (the pass mark is 80): the engine judges it 预警, and so does its bar.
    facts = [f for i, u in enumerate(INSPECTED) if u != "C07" for f in inspection(2024, u, 90, 10, 10, 5 + i)]
    facts += inspection(2024, "C07", 70, 10, 10, row=40)
    book = StatusBook.from_context(context(facts))
    assert unit_statuses(book, 9, 2024)["C07"] == AT_RISK
    frame = pd.DataFrame(
        {
            "year": [2024, 2024],
            "unit_code": ["C07", "C01"],
            "unit_name": ["汉中市", "西安市"],
            "unit_type": ["city", "city"],
            "found": [10, 10],
            "rectified": [10, 10],
            "rate": [1.0, 1.0],
            "mean_score": [70.0, 90.0],
        }
    )
    fig = charts.m9_rectification_chart(with_statuses(book, 9, frame))
    assert bar_statuses(fig) == {"汉中市": AT_RISK, "西安市": "达标"}
    amber = next(t for t in fig.data if t.name == AT_RISK)
    assert amber.marker.color == STATUS_COLOURS[AT_RISK] and list(amber.text) == ["100% 预警"]


def test_rows_the_engine_did_not_judge_read_no_data_and_the_cached_frame_is_left_alone(book):
    frame = pd.DataFrame({"year": [2024, 2020], "unit_code": ["I01", "I01"], "rate": [0.9, 0.8]})
    marked = with_statuses(book, 5, frame)
    assert list(marked["status"]) == [unit_statuses(book, 5, 2024)["I01"], NO_DATA]
    assert "status" not in frame.columns
    per_year = with_statuses(book, 10, pd.DataFrame({"year": [2023, 2024], "rate": [0.9, 0.95]}))
    assert list(per_year["status"]) == [book.result(10, 2023).overall.status, book.result(10, 2024).overall.status]


@pytest.mark.parametrize("year", [2022, 2024])  # both inspection-round years of the demo
@pytest.mark.parametrize("figure", figures.FIGURES, ids=lambda f: f.key)
def test_on_the_demo_every_bar_has_the_engines_status(con, book, figure, year):
    measure = figure.measures[0]
    frame = figure.with_statuses(book, figure.series(con, years=profile.chart_years(figure.span, book.years, year)))
    fig = figure.builder(frame)
    if figure.key == "m10_random_inspections_by_year":
        expected = {
            f"{y}年（{n}次）": book.result(measure, y).overall.status
            for y, n in zip(frame["year"], frame["inspections"], strict=True)
        }
    elif figure.key == "m4_special_funds_by_year":
        # The disbursement rate's status is written, in its colour, under each year.
        for y, tick in zip(frame["year"], fig.layout.xaxis.ticktext, strict=True):
            status = book.result(measure, int(y)).overall.status
            assert f"color:{STATUS_COLOURS[status]}" in tick and tick.endswith(f"{status}</span>")
        return
    elif figure.builder.__name__ in ("m7_membership_chart", "m6_budget_chart", "m8_county_union_share_chart",
                                     "m9_scores_heatmap"):  # fmt: skip
        assert bar_statuses(fig) == {}  # lines, neutral bars beside last year's, a heat map of scores
        return
    else:
        latest = frame[frame["year"] == frame["year"].max()]
        verdicts = unit_statuses(book, measure, int(latest["year"].max()))
        expected = {
            name: verdicts.get(code, NO_DATA)
            for name, code in zip(latest["unit_name"], latest["unit_code"], strict=True)
        }
    assert expected and bar_statuses(fig) == expected


def test_the_csv_of_a_figure_carries_its_headings_and_the_engines_statuses(con, book):
    figure = figures.BY_KEY["m16_training_by_union"]
    frame = figure.with_statuses(book, figure.series(con, years=[2024]))
    table = pd.read_csv(io.BytesIO(profile.chart_csv(frame, figure)), encoding="utf-8-sig")
    assert list(table.columns) == [
        "年度",
        "单位代码",
        "单位",
        "干部人数（人）",
        "本年参加培训的干部人数（人）",
        "干部培训率（%）",
        "状态",
    ]
    verdicts = unit_statuses(book, 16, 2024)
    assert list(table["状态"]) == [verdicts[code] for code in table["单位代码"]]
    assert profile.chart_csv(frame, figure) == profile.chart_csv(frame, figure.key)


# --- every unit the engine judges, in every chart ---------------------------------------------------------------


def drawn_units(fig, figure) -> dict[str, str]:
    """Unit name -> the word drawn for it when it has no figures (未报送 / 未督查), or "", read off the figure."""
    builder = figure.builder.__name__
    if builder == "m9_scores_heatmap":
        heatmap = fig.data[0]
        words = {heatmap.y[int(a.y)]: a.text for a in fig.layout.annotations if a.yref == "y"}
        return {name: words.get(name, "") for name in heatmap.y}
    if builder == "m6_budget_chart":
        panels = [a for a in fig.layout.annotations if "·" in (a.text or "")]
        words = {}
        for trace, panel in zip((t for t in fig.data if t.showlegend is False), panels, strict=True):
            marks = [a.text for a in fig.layout.annotations if a.xref == trace.xaxis and "·" not in a.text]
            words[panel.text.removeprefix("<b>").split("·")[0]] = "、".join(marks)
        return words
    if builder == "m7_membership_chart":
        found = {}
        for trace in fig.data:
            name, _, note = trace.name.partition("（")
            found[name] = note.rstrip("）").split("年")[-1] if note else ""
        return found
    if builder == "m8_county_union_share_chart":
        current = fig.data[-1]
        return {
            name: text if text in (NOT_SUBMITTED, NOT_INSPECTED) else ""
            for name, text in zip(current.x, current.text, strict=True)
        }
    found = {}
    for trace in fig.data:  # status bars: the label of a unit without a figure starts with the word
        categories = trace.y if trace.orientation == "h" else trace.x
        for name, text in zip(categories, trace.text, strict=True):
            word = text.split("<br>")[0].split(" ")[0]
            found[name] = word if word in (NOT_SUBMITTED, NOT_INSPECTED) else ""
    return found


PER_UNIT = [f for f in figures.FIGURES if f.key not in ("m4_special_funds_by_year", "m10_random_inspections_by_year")]


@pytest.mark.parametrize("year", [2023, 2024, 2025])
@pytest.mark.parametrize("figure", PER_UNIT, ids=lambda f: f.key)
def test_each_chart_draws_every_unit_the_engine_judges_those_without_figures_marked(con, book, figure, year):
    from exports.images import figure_frame

    shown = figure_frame(figure, con, book, year)
    assert shown.has_data
    measure, shown_year = figure.measures[0], shown.shown_year
    judged = {s.unit_code for s in book.result(measure, shown_year).units}
    reported = set(figure.series(con, years=[shown_year])["unit_code"])
    word = NOT_INSPECTED if measure == 9 else NOT_SUBMITTED
    names = {code: book.registry.get(code).short_name for code in judged}
    expected = {names[code]: "" if code in reported else word for code in judged}
    assert drawn_units(figure.builder(shown.frame), figure) == expected


def test_the_demos_missing_units_are_drawn_in_place(con, book):
    from exports.images import figure_frame

    def marks(key: str, year: int) -> dict[str, str]:
        figure = figures.BY_KEY[key]
        drawn = drawn_units(figure.builder(figure_frame(figure, con, book, year).frame), figure)
        return {name: word for name, word in drawn.items() if word}

    # 韩城市 was not inspected in the 2023–2024 window: one reason 第9条 failed.
    assert marks("m9_scores_by_unit", 2025) == marks("m9_rectification_by_unit", 2025) == {"韩城市": "未督查"}
    assert unit_statuses(book, 9, 2024)["C12"] == "未达标"
    assert marks("m3_coverage_by_city", 2025) == marks("m8_county_union_share_by_city", 2025) == {"商洛市": "未报送"}
    for key in ("m5_dues_by_union", "m16_training_by_union", "m17_promotion_parity_by_union"):
        assert marks(key, 2025) == {"省海员建设工会": "未报送"}, key


def test_the_csv_lists_the_missing_unit_with_its_status_and_the_word(con, book):
    figure = figures.BY_KEY["m16_training_by_union"]
    frame = figure.with_statuses(book, figure.series(con, years=[2025]))
    table = pd.read_csv(io.BytesIO(profile.chart_csv(frame, figure)), encoding="utf-8-sig", dtype=str)
    assert len(table) == len(unit_statuses(book, 16, 2025)) == 8
    (missing,) = table[table["单位代码"] == "I07"].to_dict("records")
    assert missing == {
        "年度": "2025",
        "单位代码": "I07",
        "单位": "省海员建设工会",
        "干部人数（人）": "未报送",
        "本年参加培训的干部人数（人）": "未报送",
        "干部培训率（%）": "未报送",
        "状态": unit_statuses(book, 16, 2025)["I07"],
    }
    assert table[table["单位代码"] != "I07"]["干部培训率（%）"].astype(float).between(0, 100).all()
