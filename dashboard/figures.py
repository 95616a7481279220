"""The registry of figures: what each chart is, said once. Pages, the projector, the CSV downloads and every export
(PNG/SVG, the PowerPoint deck, the Word 情况通报, the Excel workbook) iterate FIGURES; none keeps a chart list of
its own. This module does not import streamlit.

A Figure names the measure(s) it serves, its Chinese title, the query that returns its series (queries/series.py),
the pure builder that draws it (dashboard/charts.py), the span of years it shows, its CSV headings, the native
PowerPoint chart that can stand for it (or None where python-pptx has no such chart: the heat map), and whether it
is its family's key chart on the projector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from queries import series
from queries.board import MISSING_COLUMN, StatusBook, with_judged_units, with_statuses
from queries.profile import ONE_YEAR, SERIES_COLUMNS, TREND, WITH_LAST_YEAR

DEFAULT_HEIGHT = 450  # pixels (plotly's default)
# Native PowerPoint chart kinds a figure can be redrawn as (see exports/deck.py).
BAR, CLUSTERED_BAR, LINE = "bar", "clustered_bar", "line"


@dataclass(frozen=True)
class Figure:
    key: str  # stable identifier, also the series query's name: "m3_coverage_by_city"
    measures: tuple[int, ...]  # the measure(s) it serves
    family: str  # the chart family (catalog chart_families)
    title: str  # what it shows, in Chinese: "专题会议覆盖率"
    series: Callable[..., pd.DataFrame]  # (con, *, years=…, unit_codes=…, catalog=…, registry=…) -> its data
    builder: Callable[..., go.Figure]  # (df, *, large=…, title=…, catalog=…) -> plotly figure (pure)
    span: str  # ONE_YEAR, WITH_LAST_YEAR or TREND: which years the figure shows
    height: int = DEFAULT_HEIGHT
    native: str | None = BAR  # the native PowerPoint chart kind, or None to place an image
    key_chart: bool = False  # the family's chart on the projector screen
    section: str = ""  # a sub-heading the page groups it under (督查结果: 专项督查 / 随机督查)

    @property
    def csv_columns(self) -> Mapping[str, str]:
        """Column -> heading spec for the CSV and Excel exports (see queries.profile.chart_csv)."""
        return SERIES_COLUMNS[self.key]

    @property
    def measures_text(self) -> str:
        return "、".join(f"第{n}条" for n in self.measures)

    def with_statuses(self, book: StatusBook, frame: pd.DataFrame) -> pd.DataFrame:
        """The figure's series frame with a row for every unit the engine judges (those without figures marked
        未报送 / 未督查 in missing_label) and the engine's verdict on each row, ready for the builder, the CSV and
        every export: the one door they all use. The verdicts are those of the figure's first measure (every
        figure serves one today)."""
        measure = self.measures[0]
        framed = with_statuses(book, measure, with_judged_units(book, measure, frame))
        # The reason a row has no figures reads last, after the status it explains (CSV and workbook columns).
        if MISSING_COLUMN not in framed.columns:  # the province's own figures by year: no units to add
            return framed
        return framed[[c for c in framed.columns if c != MISSING_COLUMN] + [MISSING_COLUMN]]

    def file_stem(self, year: int) -> str:
        """第3条_专题会议覆盖率_2025年度: the name of every file made of this figure."""
        return f"{'_'.join(f'第{n}条' for n in self.measures)}_{self.title}_{year}年度"


SPECIAL_INSPECTIONS, RANDOM_INSPECTIONS = "专项督查（第9条）", "随机督查（第10条）"

FIGURES: tuple[Figure, ...] = (
    Figure("m3_coverage_by_city", (3,), "coverage", "专题会议覆盖率", series.m3_coverage_by_city,
           charts.m3_coverage_chart, ONE_YEAR, key_chart=True),
    Figure("m7_membership_by_union", (7,), "coverage", "会员覆盖率", series.m7_membership_by_union,
           charts.m7_membership_chart, TREND, native=LINE),
    Figure("m8_county_union_share_by_city", (8,), "coverage", "县级产业工会覆盖情况",
           series.m8_county_union_share_by_city, charts.m8_county_union_share_chart, WITH_LAST_YEAR,
           native=CLUSTERED_BAR),
    Figure("m4_special_funds_by_year", (4,), "funding", "临时性重大活动经费", series.m4_special_funds_by_year,
           charts.m4_special_funds_chart, TREND, native=CLUSTERED_BAR),
    Figure("m5_dues_by_union", (5,), "funding", "会费收缴率", series.m5_dues_by_union, charts.m5_dues_chart,
           ONE_YEAR, key_chart=True),
    # Twelve cities in the legend need more height than the default.
    Figure("m6_budget_by_city", (6,), "funding", "市本级产业工会经费预算", series.m6_budget_by_city,
           charts.m6_budget_chart, TREND, height=560, native=LINE),
    # Up to 20 inspected units (12 cities, 8 industry unions): more than the default height.
    Figure("m9_scores_by_unit", (9,), "inspections", "专项督查分项得分", series.m9_scores_by_unit,
           charts.m9_scores_heatmap, ONE_YEAR, height=760, native=None, section=SPECIAL_INSPECTIONS),
    Figure("m9_rectification_by_unit", (9,), "inspections", "专项督查问题整改率", series.m9_rectification_by_unit,
           charts.m9_rectification_chart, ONE_YEAR, height=760, section=SPECIAL_INSPECTIONS),
    # Random inspections by year: the per-unit charts of measure 9 have 20 rows, too many for one projector screen.
    Figure("m10_random_inspections_by_year", (10,), "inspections", "随机督查问题整改率",
           series.m10_random_inspections_by_year, charts.m10_random_inspections_chart, TREND, key_chart=True,
           section=RANDOM_INSPECTIONS),
    Figure("m16_training_by_union", (16,), "cadres", "干部培训率", series.m16_training_by_union,
           charts.m16_training_chart, ONE_YEAR, key_chart=True),
    Figure("m17_promotion_parity_by_union", (17,), "cadres", "干部提拔率比值", series.m17_promotion_parity_by_union,
           charts.m17_parity_chart, ONE_YEAR),
)  # fmt: skip

BY_KEY: dict[str, Figure] = {figure.key: figure for figure in FIGURES}


def of_family(family: str) -> tuple[Figure, ...]:
    return tuple(figure for figure in FIGURES if figure.family == family)


def key_chart(family: str) -> Figure | None:
    """The family's chart on the projector screen; None for a family without charts (机制建设)."""
    return next((figure for figure in FIGURES if figure.family == family and figure.key_chart), None)


def of_measure(measure: int) -> tuple[Figure, ...]:
    return tuple(figure for figure in FIGURES if measure in figure.measures)
