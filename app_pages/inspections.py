"""督查结果（第9、10条）: each measure's status for the selected year, then the family's figures from the registry
(dashboard/figures.py) in their sections: the latest special-inspection round up to that year (第9条; a round every
two years, 2022 and 2024 in the demo) as a heatmap of the inspected units' scores and their rectification rates,
and the random inspections' rectification rate over the years (第10条). Every chart's data downloads as CSV;
plotly's toolbar gives the PNG."""

import streamlit as st

from dashboard import figures, ui
from dashboard.family import chart, family_header
from queries import profile

FAMILY = "inspections"


book, selection = family_header(FAMILY)
family = figures.of_family(FAMILY)
round_figures = [f for f in family if f.section == figures.SPECIAL_INSPECTIONS]

# 第9条: one round of special inspections every two years; the latest round held up to the selected year.
with ui.guarded("第9条专项督查"):
    rounds = ui.cached_query(round_figures[0].series, years=profile.years_up_to(book.years, selection.year))
    round_year = profile.latest_round_year(rounds)
if round_year is None:
    st.info(f"截至{selection.year}年度尚未开展第9条专项督查，暂无督查结果。", icon=":material/info:")
else:
    st.markdown(f"##### {round_year}年{figures.SPECIAL_INSPECTIONS}")
    if round_year != selection.year:
        st.caption(f"{selection.year}年度没有开展专项督查（每2年一轮），以下为最近一轮：{round_year}年专项督查的结果。")
    for figure in round_figures:
        chart(figure, book=book, year=round_year, large=selection.present, selected_year=selection.year)

st.markdown(f"##### {figures.RANDOM_INSPECTIONS}")
for figure in (f for f in family if f.section == figures.RANDOM_INSPECTIONS):
    chart(figure, book=book, year=selection.year, large=selection.present)
