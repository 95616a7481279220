"""督查结果（第9、10条）: each measure's status for the selected year, then the latest special-inspection round up
to that year (第9条; a round every two years, 2022 and 2024 in the demo) as a heatmap of the inspected units'
scores and their rectification rates, and the random inspections' rectification rate over the years (第10条).
Every chart's data downloads as CSV; plotly's toolbar gives the PNG."""

import streamlit as st

from dashboard import charts, ui
from dashboard.family import chart, family_header
from queries import profile, series
from queries.profile import ONE_YEAR, TREND

FAMILY = "inspections"
ROUND_HEIGHT = 760  # up to 20 inspected units (12 cities, 8 industry unions): more than the default height
# measure, what the chart shows (messages and file names), series, builder, span of years[, height]
ROUND_CHARTS = (
    (9, "专项督查分项得分", series.m9_scores_by_unit, charts.m9_scores_heatmap, ONE_YEAR, ROUND_HEIGHT),
    (9, "专项督查问题整改率", series.m9_rectification_by_unit, charts.m9_rectification_chart, ONE_YEAR, ROUND_HEIGHT),
)
RANDOM_CHART = (
    10,
    "随机督查问题整改率",
    series.m10_random_inspections_by_year,
    charts.m10_random_inspections_chart,
    TREND,
)


book, selection = family_header(FAMILY)

# 第9条: one round of special inspections every two years; the latest round held up to the selected year.
with ui.guarded("第9条专项督查"):
    rounds = ui.cached_query(series.m9_rectification_by_unit, years=profile.years_up_to(book.years, selection.year))
    round_year = profile.latest_round_year(rounds)
if round_year is None:
    st.info(f"截至{selection.year}年度尚未开展第9条专项督查，暂无督查结果。", icon=":material/info:")
else:
    st.markdown(f"##### {round_year}年专项督查（第9条）")
    if round_year != selection.year:
        st.caption(f"{selection.year}年度没有开展专项督查（每2年一轮），以下为最近一轮：{round_year}年专项督查的结果。")
    for spec in ROUND_CHARTS:
        chart(*spec, years=book.years, year=round_year, large=selection.present)

st.markdown("##### 随机督查（第10条）")
chart(*RANDOM_CHART, years=book.years, year=selection.year, large=selection.present)
