"""督查结果（第9、10条）: each measure's status for the selected year, then the latest special-inspection round up
to that year (第9条; a round every two years, 2022 and 2024 in the demo) as a heatmap of the inspected units'
scores and their rectification rates, and the random inspections' rectification rate over the years (第10条).
Every chart's data downloads as CSV; plotly's toolbar gives the PNG."""

from collections.abc import Callable

import streamlit as st

from dashboard import charts, filters, tiles, ui
from queries import profile, series
from queries.board import family_screens, number_runs
from queries.profile import ONE_YEAR, TREND

HEIGHT, LARGE_SCALE = 450, 1.5  # chart height in pixels (plotly's default), and its projector-mode factor
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


def chart(
    measure: int,
    what: str,
    query: Callable,
    build: Callable,
    span: str,
    height: int = HEIGHT,
    *,
    years: list[int],
    year: int,
    large: bool,
) -> None:
    """A series drawn by its builder with its CSV download, or a message naming the measure and the year."""
    with ui.guarded(f"第{measure}条图表"):
        df = ui.cached_query(query, years=profile.chart_years(span, years, year))
        if not profile.has_data(df, span, year):
            st.info(f"{year}年度暂无第{measure}条（{what}）的数据。", icon=":material/info:")
            return
        name = f"第{measure}条_{what}_{year}年度"
        config = {"displaylogo": False, "toImageButtonOptions": {"filename": name, "scale": 2}}
        fig = build(df, large=large)
        # Projector type is about 1.5 times larger, so is the chart: labels and legend keep their room.
        fig.update_layout(height=round(height * (LARGE_SCALE if large else 1)))
        st.plotly_chart(fig, theme=None, width="stretch", config=config)
        if large:
            return  # the projector shows the chart only
        st.download_button(
            "下载图表数据（CSV）",
            profile.chart_csv(df, query.__name__),
            file_name=f"{name}.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            key=f"csv_{query.__name__}",
        )


book = ui.status_book()
selection = filters.current(book.years, book.registry)
family = book.catalog.chart_families[FAMILY]
tiles.inject_css()

if selection.year is None:
    st.subheader(f"{family.name}（第{number_runs(list(family.measures))}条）")
    st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
    st.stop()

screen = next(s for s in family_screens(book, selection.year) if s.code == FAMILY)
st.subheader(f"{screen.name}（第{screen.measures_text}条）　{selection.year}年度")
with ui.guarded("措施状态"):
    for column, tile in zip(st.columns(len(screen.tiles)), screen.tiles, strict=True):
        with column, st.container(border=True, height="stretch"):
            st.html(tiles.tile_html(tile, large=selection.present, summary=not selection.present))

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
