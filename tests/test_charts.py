"""Chart builders on small hand-made frames: titles naming the measure, axis units, catalog thresholds as
dashed lines, bar colours from the frame's status column (the engine's verdicts, never a grade of the bar's own
figure), the empty state, the theme, PNG export."""

from __future__ import annotations

import itertools
import math
import struct

import kaleido
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard.theme import FONT_FAMILY, LARGE, NORMAL, STATUS_COLOURS, apply_theme
from pipeline.catalog import load_catalog

GREEN, AMBER, RED, GREY = (STATUS_COLOURS[s] for s in ("达标", "预警", "未达标", "无数据"))
NAN = math.nan
DIMENSIONS = ["组织领导", "组织体系建设", "人员配备", "责任落实", "经费保障", "完成工作任务", "发挥作用"]


def _thresholds(measure: int) -> dict[str, float]:
    return load_catalog().measure(measure).rule.thresholds


def _unions(rates: list[float], statuses: list[str], year: int = 2024, **extra: list) -> pd.DataFrame:
    """Industry unions' rates with the status engine's verdict on each (the frame's status column)."""
    names = ["省甲工会", "省乙工会", "省丙工会", "省丁工会", "省戊工会", "省己工会"][: len(rates)]
    return pd.DataFrame(
        {
            "year": [year] * len(rates),
            "unit_code": [f"I0{i + 1}" for i in range(len(rates))],
            "unit_name": names,
            "rate": rates,
            **extra,
            "status": statuses,
        }
    )


def _dues(rates: list[float], statuses: list[str] | None = None) -> pd.DataFrame:
    statuses = statuses or ["达标"] * len(rates)
    return _unions(rates, statuses, due=[100.0] * len(rates), collected=[100.0 * r for r in rates])


def _colours(fig: go.Figure) -> dict[str, str]:
    """Category -> bar colour, over every bar trace (one trace per status)."""
    found = {}
    for trace in fig.data:
        categories = trace.y if trace.orientation == "h" else trace.x
        for category in categories:
            found[category] = trace.marker.color
    return found


def _dashed_lines(fig: go.Figure, axis: str = "y") -> list[float]:
    return sorted(getattr(shape, f"{axis}0") for shape in fig.layout.shapes if shape.line.dash == "dash")


def _is_empty_state(fig: go.Figure) -> bool:
    return not fig.data and [a.text for a in fig.layout.annotations] == ["暂无数据"]


# --- colours are the engine's verdicts ---------------------------------------------------------------------


def test_a_bar_takes_the_engines_status_not_a_grade_of_its_own_figure():
    # 99% would clear the 95% line, but the engine judged the union 预警 (e.g. on a condition the bar does not
    # show): the bar is amber and says 预警; a unit the engine did not judge reads 无数据 in grey.
    df = _dues([0.99, 0.5, NAN], ["预警", "达标", None])
    fig = charts.m5_dues_chart(df)
    assert _colours(fig) == {"省甲工会": AMBER, "省乙工会": GREEN, "省丙工会": GREY}
    texts = {t.name: list(t.text) for t in fig.data}
    assert texts == {"达标": ["50%<br>达标"], "预警": ["99%<br>预警"], "无数据": ["无数据"]}
    assert "状态：预警" in next(t for t in fig.data if t.name == "预警").hovertext[0]


def test_a_status_coloured_chart_without_the_engines_verdicts_is_refused():
    with pytest.raises(ValueError, match="status"):
        charts.m5_dues_chart(_dues([0.9]).drop(columns="status"))


# --- 组织覆盖 ---------------------------------------------------------------------------------------------


def test_m3_bars_sorted_by_rate_with_catalog_lines_and_status_colours():
    df = pd.DataFrame(
        {
            "year": [2023, 2024, 2024, 2024, 2024],
            "unit_code": ["C01", "C01", "C02", "C07", "C12"],
            "unit_name": ["西安市", "西安市", "铜川市", "汉中市", "韩城市"],
            "covered": [10, 14, 4, 9, 0],
            "total": [14, 14, 5, 12, 1],
            "rate": [10 / 14, 1.0, 0.8, 0.75, 0.0],
            "status": ["预警", "达标", "预警", "未达标", "未达标"],
        }
    )
    fig = charts.m3_coverage_chart(df)
    assert fig.layout.title.text == "2024年市县总工会专题会议覆盖率（第3条）"
    assert fig.layout.yaxis.title.text == "覆盖率（%）"
    assert fig.layout.xaxis.title.text == "市级总工会"
    assert fig.layout.yaxis.tickformat == ".0%"
    assert list(fig.layout.xaxis.categoryarray) == ["西安市", "铜川市", "汉中市", "韩城市"]
    limits = _thresholds(3)
    assert _dashed_lines(fig) == sorted([limits["green"], limits["amber"]]) == [0.8, 1.0]
    assert _colours(fig) == {"西安市": GREEN, "铜川市": AMBER, "汉中市": RED, "韩城市": RED}
    texts = {t.name: list(t.text) for t in fig.data}
    assert texts["达标"] == ["100%<br>达标"] and texts["预警"] == ["80%<br>预警"]
    assert texts["未达标"] == ["75%<br>未达标", "0%<br>未达标"]
    hover = fig.data[0].hovertext[0]
    assert "召开专题会议的市县总工会 14个 / 共 14个" in hover and "状态：达标" in hover


def test_m7_one_line_per_union_over_the_years():
    df = pd.DataFrame(
        {
            "year": [2021, 2022, 2021, 2022],
            "unit_code": ["I01", "I01", "I02", "I02"],
            "unit_name": ["省甲工会", "省甲工会", "省乙工会", "省乙工会"],
            "members": [90, 95, 80, 70],
            "employees": [100, 100, 100, 100],
            "coverage_rate": [0.9, 0.95, 0.8, 0.7],
            "grassroots_unions": [10, 12, 5, 5],
        }
    )
    fig = charts.m7_membership_chart(df)
    assert fig.layout.title.text == "省级产业工会会员覆盖率（第7条）"
    assert fig.layout.yaxis.title.text == "会员覆盖率（%）"
    assert [(t.name, list(t.x), list(t.y)) for t in fig.data] == [
        ("省甲工会", [2021, 2022], [0.9, 0.95]),
        ("省乙工会", [2021, 2022], [0.8, 0.7]),
    ]
    assert list(fig.layout.xaxis.ticktext) == ["2021年", "2022年"]
    assert "会员 95人 / 职工 100人" in fig.data[0].hovertext[1]


def test_m8_this_year_beside_last_year():
    df = pd.DataFrame(
        {
            "year": [2023, 2023, 2024, 2024],
            "unit_code": ["C01", "C02", "C01", "C02"],
            "unit_name": ["西安市", "铜川市", "西安市", "铜川市"],
            "counties_with_union": [11, 3, 13, 2],
            "counties_total": [13, 4, 13, 4],
            "share": [11 / 13, 0.75, 1.0, 0.5],
        }
    )
    fig = charts.m8_county_union_share_chart(df)
    assert fig.layout.title.text == "2024年县级产业工会覆盖率（第8条）"
    assert fig.layout.yaxis.title.text == "覆盖率（%）"
    assert [t.name for t in fig.data] == ["2023年", "2024年"]
    assert list(fig.data[0].y) == [11 / 13, 0.75] and list(fig.data[1].y) == [1.0, 0.5]
    assert list(fig.data[1].text) == ["100%", "50%"]


# --- 经费保障 ---------------------------------------------------------------------------------------------


def test_m4_grouped_amounts_with_the_disbursement_status_under_each_year():
    df = pd.DataFrame(
        {
            "year": [2022, 2023, 2024],
            "activities": [5, 3, 0],
            "requested": [258.9, 246.5, 0.0],
            "approved": [226.6, 234.9, 0.0],
            "disbursed": [204.0, 190.6, 0.0],
            "disbursed_rate": [204.0 / 226.6, 190.6 / 234.9, NAN],
            "status": ["达标", "未达标", "无数据"],
        }
    )
    fig = charts.m4_special_funds_chart(df)
    assert fig.layout.title.text == "临时性重大活动经费申请、批准与拨付（第4条）"
    assert fig.layout.yaxis.title.text == "金额（万元）"
    catalog = load_catalog()
    assert [t.name for t in fig.data] == [
        catalog.indicator(c).name for c in ("m4_funds_requested", "m4_funds_approved", "m4_funds_disbursed")
    ]
    assert list(fig.data[1].y) == [226.6, 234.9, 0.0]
    ticks = list(fig.layout.xaxis.ticktext)
    assert _thresholds(4)["green"] == 0.9
    assert ticks[0] == f"2022年<br><span style='color:{GREEN}'>经费拨付率 90.0%<br>达标</span>"
    assert ticks[1] == f"2023年<br><span style='color:{RED}'>经费拨付率 81.1%<br>未达标</span>"
    assert ticks[2] == f"2024年<br><span style='color:{GREY}'>无批准经费<br>无数据</span>"


def test_m5_bars_coloured_by_status_with_the_catalog_lines():
    df = _unions(
        [0.95, 0.9499, 0.85, 0.8499, NAN],
        ["达标", "预警", "预警", "未达标", "无数据"],
        due=[100.0] * 5,
        collected=[95.0, 94.99, 85.0, 84.99, NAN],
    )
    fig = charts.m5_dues_chart(df)
    assert fig.layout.title.text == "2024年省级产业工会会费收缴率（第5条）"
    assert fig.layout.yaxis.title.text == "收缴率（%）"
    assert fig.layout.xaxis.title.text == "省级产业工会"
    limits = _thresholds(5)
    assert _dashed_lines(fig) == [limits["amber"], limits["green"]] == [0.85, 0.95]
    assert _colours(fig) == {"省甲工会": GREEN, "省乙工会": AMBER, "省丙工会": AMBER, "省丁工会": RED, "省戊工会": GREY}
    assert [t.name for t in fig.data] == ["达标", "预警", "未达标", "无数据"]
    assert list(fig.data[3].text) == ["无数据"] and list(fig.data[3].y) == [0.0]
    assert [a.text for a in fig.layout.annotations] == ["达标线 95%", "预警线 85%"]


def _budgets(codes: list[str], statuses: list[str], totals: list[float], missing: list[str] | None = None):
    """Cities' totals over 2022–2024 (three rows per city) with the engine's verdicts and the missing-row word."""
    rows = len(codes)
    return pd.DataFrame(
        {
            "year": [2022, 2023, 2024] * (rows // 3),
            "unit_code": codes,
            "unit_name": [{"C09": "安康市", "C10": "商洛市", "C01": "西安市"}[c] for c in codes],
            "key_work": [t - 10 for t in totals],
            "resident_office": [10.0] * rows,
            "total": totals,
            "counties_included": [10] * rows,
            "counties_total": [10] * rows,
            "status": statuses,
            "missing_label": missing or [""] * rows,
        }
    )


def test_m6_small_multiples_one_panel_per_city_on_the_same_axes():
    df = _budgets(
        ["C09"] * 3 + ["C01"] * 3 + ["C10"] * 3,
        ["达标", "达标", "预警"] + ["达标"] * 3 + ["达标", "达标", "无数据"],
        [55.6, 51.8, 48.5, 230.0, 250.0, 280.0, 20.0, 22.0, NAN],
        missing=[""] * 8 + ["未报送"],
    )
    fig = charts.m6_budget_chart(df)
    assert fig.layout.title.text == "市本级产业工会经费预算安排（第6条）"
    panels = [t for t in fig.data if t.showlegend is False]
    # One panel per city in registry-code order, each named with the city's latest verdict.
    assert [(t.xaxis, t.yaxis, list(t.y)[:2]) for t in panels] == [
        ("x", "y", [230.0, 250.0]),
        ("x2", "y2", [55.6, 51.8]),
        ("x3", "y3", [20.0, 22.0]),
    ]
    assert panels[1].y[2] == 48.5 and math.isnan(panels[2].y[2])  # a gap, not a fall to zero
    titles = [a.text for a in fig.layout.annotations if "·" in a.text]
    assert titles == ["西安市·达标", "<b>安康市·预警</b>", "商洛市·无数据"]
    # The laggard's line takes its status colour; the others are the grey field.
    assert [t.line.color for t in panels] == [charts.FIELD_LINE, AMBER, charts.FIELD_LINE]
    # The same axes everywhere: y shared from zero to above the largest total, x the same years.
    assert fig.layout.yaxis2.matches == "y" or fig.layout.yaxis2.range == fig.layout.yaxis.range
    assert list(fig.layout.yaxis.range) == pytest.approx([0, 280.0 * 1.1])
    assert {tuple(getattr(fig.layout, f"xaxis{n}").tickvals) for n in ("", "2", "3")} == {(2022, 2023, 2024)}
    # Each year's point takes the engine's colour; the year 商洛市 did not report reads 未报送 in its panel.
    assert list(panels[1].marker.color) == [GREEN, GREEN, AMBER]
    [word] = [a for a in fig.layout.annotations if a.text == "未报送"]
    assert (word.xref, word.x) == ("x3", 2024)
    assert {t.name for t in fig.data if t.showlegend is not False} == {"达标", "预警", "无数据"}
    hover = panels[1].hovertext[2]
    assert "合计 48.5万元" in hover and "纳入本级预算的县（区）10个 / 共 10个" in hover and "状态：预警" in hover


def test_m6_twelve_cities_make_a_grid_of_small_panels():
    codes = [f"C{n:02d}" for n in range(1, 13)]
    df = pd.DataFrame(
        {
            "year": [2024] * 12,
            "unit_code": codes,
            "unit_name": [f"市{n}" for n in range(12)],
            "key_work": [50.0] * 12,
            "resident_office": [10.0] * 12,
            "total": [60.0] * 12,
            "counties_included": [10] * 12,
            "counties_total": [10] * 12,
            "status": ["达标"] * 12,
        }
    )
    fig = charts.m6_budget_chart(df)
    panels = [t for t in fig.data if t.showlegend is False]
    assert len(panels) == 12 and len({t.xaxis for t in panels}) == 12
    # Three rows of four: the panels of one row share a y range, the rows share the x axis.
    domains = sorted({tuple(getattr(fig.layout, f"yaxis{'' if n == 1 else n}").domain) for n in range(1, 13)})
    assert len(domains) == 3
    assert len({tuple(getattr(fig.layout, f"xaxis{'' if n == 1 else n}").domain) for n in range(1, 13)}) == 4


# --- 督查结果 ---------------------------------------------------------------------------------------------


def _scores(year: int, unit: str, name: str, values: list[float]) -> pd.DataFrame:
    catalog = load_catalog()
    codes = catalog.measure(9).rule.params["scores"]
    return pd.DataFrame(
        {
            "year": year,
            "unit_code": unit,
            "unit_name": name,
            "unit_type": "city" if unit.startswith("C") else "industry",
            "dimension": [catalog.indicator(c).name for c in codes],
            "dimension_no": list(range(1, 8)),
            "score": values,
        }
    )


def test_m9_heatmap_of_the_latest_round():
    df = pd.concat(
        [
            _scores(2022, "C07", "汉中市", [70.0] * 7),
            _scores(2024, "I04", "省国防邮电工会", [72.0, 79, 79, 81, 78, 81, 76]),
            _scores(2024, "C07", "汉中市", [79.0, 77, 75, 77, 74, 74, 72]),
        ]
    )
    fig = charts.m9_scores_heatmap(df)
    assert fig.layout.title.text == "2024年专项督查各单位分项得分（第9条）"
    heatmap = fig.data[0]
    assert list(heatmap.x) == DIMENSIONS
    assert list(heatmap.y) == ["汉中市", "省国防邮电工会"]  # cities first, then industry unions
    assert [list(row) for row in heatmap.z] == [[79, 77, 75, 77, 74, 74, 72], [72, 79, 79, 81, 78, 81, 76]]
    # The score stays in every cell; below the pass mark (80) it is bold with a ▼, so colour is not the only cue.
    assert heatmap.texttemplate == "%{text}"
    assert list(heatmap.text[1]) == ["<b>▼72</b>", "<b>▼79</b>", "<b>▼79</b>", "81", "<b>▼78</b>", "81", "<b>▼76</b>"]
    assert heatmap.colorbar.title.text == "得分（分）"
    assert "▼加粗为低于80分" in fig.layout.xaxis.title.text and _thresholds(9)["mean_score"] == 80


def test_m9_heatmap_shows_a_judged_unit_not_inspected_as_a_grey_row():
    scored = _scores(2024, "C07", "汉中市", [79.0, 77, 75, 77, 74, 74, 72])
    missing = pd.DataFrame({"year": [2024], "unit_code": ["C12"], "unit_name": ["韩城市"], "missing_label": ["未督查"]})
    fig = charts.m9_scores_heatmap(pd.concat([scored.assign(missing_label=""), missing], ignore_index=True))
    heatmap = fig.data[0]
    assert list(heatmap.y) == ["汉中市", "韩城市"] and all(math.isnan(v) for v in heatmap.z[1])
    [band] = [s for s in fig.layout.shapes if s.fillcolor == charts.MISSING_CELL]
    assert (band.y0, band.y1, band.x0, band.x1) == pytest.approx((0.55, 1.45, -0.5, 6.5))
    [word] = [a for a in fig.layout.annotations if a.yref == "y"]
    assert (word.text, word.y) == ("未督查", 1)


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_heat_maps_scale_is_monotonic_in_luminance_so_it_reads_in_greyscale():
    fig = charts.m9_scores_heatmap(_scores(2024, "C07", "汉中市", [79.0, 77, 75, 77, 74, 74, 72]))
    stops = [(float(at), colour) for at, colour in fig.data[0].colorscale]
    assert [at for at, _ in stops] == sorted(at for at, _ in stops) and stops[0][0] == 0 and stops[-1][0] == 1
    luminances = [_luminance(colour) for _, colour in stops]
    assert all(b > a for a, b in itertools.pairwise(luminances))  # strictly lighter as the score rises
    assert luminances[-1] - luminances[0] > 0.8  # from a dark low score to a light high one: a wide contrast
    # One hue: blue dominates every stop, so no red–green pair is asked of the reader.
    assert all(int(c[5:7], 16) >= max(int(c[1:3], 16), int(c[3:5], 16)) for _, c in stops)


def test_a_judged_unit_without_a_figure_keeps_its_place_with_the_word():
    df = _dues([0.98, 0.90, NAN], ["达标", "预警", "无数据"]).assign(missing_label=["", "", "未报送"])
    fig = charts.m5_dues_chart(df)
    [grey] = [t for t in fig.data if t.name == "无数据"]
    assert list(grey.x) == ["省丙工会"] and list(grey.y) == [0.0]
    assert list(grey.text) == ["未报送<br>无数据"] and list(grey.textposition) == ["outside"]
    assert "未报送，无数据" in grey.hovertext[0]
    assert list(fig.layout.xaxis.categoryarray) == ["省甲工会", "省乙工会", "省丙工会"]  # last, in its place


def test_m9_rectification_bars_with_the_catalog_line():
    df = _unions(
        [0.9, 0.8999, 1.0],
        ["达标", "未达标", "达标"],
        found=[10, 10, 3],
        rectified=[9, 9, 3],
        mean_score=[85.0, 75.4, 90.0],
    )
    fig = charts.m9_rectification_chart(df)
    assert fig.layout.title.text == "2024年专项督查问题整改率（第9条）"
    assert fig.layout.xaxis.title.text == "整改率（%）"
    assert _dashed_lines(fig, "x") == [_thresholds(9)["rectification"]] == [0.9]
    assert _colours(fig) == {"省丙工会": GREEN, "省甲工会": GREEN, "省乙工会": RED}
    assert "平均得分 75.4分（80分及格）" in fig.data[1].hovertext[0]


def test_m10_bars_per_year_with_the_catalog_line():
    df = pd.DataFrame(
        {
            "year": [2021, 2022, 2023],
            "inspections": [1, 0, 3],
            "found": [10, 0, 7],
            "rectified": [9, 0, 5],
            "rate": [0.9, NAN, 5 / 7],
            "status": ["达标", "无数据", "未达标"],
        }
    )
    fig = charts.m10_random_inspections_chart(df)
    assert fig.layout.title.text == "随机督查问题整改率（第10条）"
    assert fig.layout.yaxis.title.text == "整改率（%）"
    assert _dashed_lines(fig) == [_thresholds(10)["green"]] == [0.9]
    assert _colours(fig) == {"2021年（1次）": GREEN, "2022年（0次）": GREY, "2023年（3次）": RED}
    assert list(fig.layout.xaxis.categoryarray) == ["2021年（1次）", "2022年（0次）", "2023年（3次）"]
    assert list(fig.layout.xaxis.ticktext) == ["2021年<br>（1次）", "2022年<br>（0次）", "2023年<br>（3次）"]
    red = next(t for t in fig.data if t.name == "未达标")
    assert "随机督查 3次<br>已整改 5个 / 发现问题 7个" in red.hovertext[0]


# --- 干部队伍 ---------------------------------------------------------------------------------------------


def test_m16_bars_coloured_by_status_with_the_catalog_lines():
    df = _unions([0.8, 0.7999, 0.6, 0.5999], ["达标", "预警", "预警", "未达标"], cadres=[10] * 4, trained=[8, 8, 6, 6])
    fig = charts.m16_training_chart(df)
    assert fig.layout.title.text == "2024年省级产业工会干部培训率（第16条）"
    assert fig.layout.yaxis.title.text == "培训率（%）"
    assert _dashed_lines(fig) == sorted(_thresholds(16).values()) == [0.6, 0.8]
    assert _colours(fig) == {"省甲工会": GREEN, "省乙工会": AMBER, "省丙工会": AMBER, "省丁工会": RED}


def test_m17_parity_index_with_one_and_point_eight_lines():
    df = _unions(
        [0.25, 0.2, 0.16, 0.1],
        ["达标", "达标", "预警", "未达标"],
        eligible=[20] * 4,
        promoted=[5, 4, 3, 2],
        organ_rate=[0.2] * 4,
        parity_index=[1.25, 1.0, 0.8, 0.5],
    )
    fig = charts.m17_parity_chart(df)
    assert fig.layout.title.text == "2024年省级产业工会干部提拔率与机关之比（第17条）"
    assert fig.layout.yaxis.title.text == "提拔率比值（倍）"
    assert fig.layout.yaxis.tickformat == ".1f"
    assert _dashed_lines(fig) == sorted(_thresholds(17).values()) == [0.8, 1.0]
    assert _colours(fig) == {"省甲工会": GREEN, "省乙工会": GREEN, "省丙工会": AMBER, "省丁工会": RED}
    assert list(fig.data[0].text) == ["1.25<br>达标", "1.00<br>达标"]
    assert "省总机关提拔率 20.0%" in fig.data[1].hovertext[0]


# --- every builder --------------------------------------------------------------------------------------

BUILDERS = {
    charts.m3_coverage_chart: 3,
    charts.m7_membership_chart: 7,
    charts.m8_county_union_share_chart: 8,
    charts.m4_special_funds_chart: 4,
    charts.m5_dues_chart: 5,
    charts.m6_budget_chart: 6,
    charts.m9_scores_heatmap: 9,
    charts.m9_rectification_chart: 9,
    charts.m10_random_inspections_chart: 10,
    charts.m16_training_chart: 16,
    charts.m17_parity_chart: 17,
}


@pytest.mark.parametrize(("build", "measure"), BUILDERS.items(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_an_empty_frame_gives_a_titled_figure_saying_no_data(build, measure):
    fig = build(pd.DataFrame())
    assert _is_empty_state(fig)
    assert fig.layout.title.text.endswith(f"（第{measure}条）")
    annotation = fig.layout.annotations[0]
    assert (annotation.x, annotation.y, annotation.xref, annotation.yref) == (0.5, 0.5, "paper", "paper")
    large = build(pd.DataFrame(), large=True, title="自定义标题")
    assert large.layout.title.text == "自定义标题" and _is_empty_state(large)


def test_a_given_title_replaces_the_default():
    fig = charts.m5_dues_chart(_dues([0.9]), title="会费收缴情况")
    assert fig.layout.title.text == "会费收缴情况"


# --- theme ----------------------------------------------------------------------------------------------


def test_theme_names_the_simplified_chinese_face_and_scales_up_for_the_projector():
    normal = apply_theme(go.Figure(go.Scatter(x=[1, 2], y=[1200, 3400])))
    large = apply_theme(go.Figure(go.Scatter(x=[1, 2], y=[1200, 3400])), large=True)
    assert "Noto Sans CJK SC" in normal.layout.font.family and normal.layout.font.family == FONT_FAMILY
    assert large.layout.font.size > normal.layout.font.size
    assert 22 <= large.layout.font.size <= 28 and 22 <= large.layout.title.font.size <= 28
    assert large.data[0].line.width > normal.data[0].line.width
    assert large.layout.font.color == "#000000"
    assert (NORMAL.font, LARGE.font) == (normal.layout.font.size, large.layout.font.size)


def test_theme_formats_numbers_the_chinese_way():
    fig = apply_theme(go.Figure(go.Bar(x=["甲"], y=[12345.6])))
    assert fig.layout.separators == ".,"
    assert fig.layout.yaxis.tickformat == ",~f" and fig.layout.yaxis.exponentformat == "none"
    kept = apply_theme(go.Figure(go.Bar(x=["甲"], y=[0.5])).update_yaxes(tickformat=".0%"))
    assert kept.layout.yaxis.tickformat == ".0%"


def test_builders_apply_the_large_theme():
    df = _dues([0.96, 0.9])
    assert charts.m5_dues_chart(df, large=True).layout.font.size == LARGE.font
    assert charts.m5_dues_chart(df).layout.font.size == NORMAL.font


# --- export ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def png_server():
    # One browser for the module's exports (kaleido finds Debian's chromium on PATH).
    kaleido.start_sync_server(silence_warnings=True)
    yield
    kaleido.stop_sync_server(silence_warnings=True)


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored")
def test_a_chart_exports_to_png(png_server):
    fig = charts.m5_dues_chart(_dues([0.96, 0.9, 0.8]), large=True)
    data = fig.to_image(format="png", width=1600, height=900)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1600, 900)
