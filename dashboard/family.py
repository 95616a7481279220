"""The skeleton the four chart-family pages share: the family's heading and status tiles, then charts each
drawn by its pure builder with a CSV download of its data (plotly's toolbar gives the PNG)."""

from collections.abc import Callable

import streamlit as st

from dashboard import filters, tiles, ui
from queries import profile
from queries.board import StatusBook, family_screens, number_runs

HEIGHT, LARGE_SCALE = 450, 1.5  # chart height in pixels (plotly's default), and its projector-mode factor


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


def family_header(family_code: str) -> tuple[StatusBook, filters.Filters]:
    """Heading and status tiles of a chart family; stops the page with a message on an empty warehouse."""
    book = ui.status_book()
    selection = filters.current(book.years, book.registry)
    family = book.catalog.chart_families[family_code]
    tiles.inject_css()

    if selection.year is None:
        st.subheader(f"{family.name}（第{number_runs(list(family.measures))}条）")
        st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
        st.stop()

    screen = next(s for s in family_screens(book, selection.year) if s.code == family_code)
    st.subheader(f"{screen.name}（第{screen.measures_text}条）　{selection.year}年度")
    with ui.guarded("措施状态"):
        for column, tile in zip(st.columns(len(screen.tiles)), screen.tiles, strict=True):
            with column, st.container(border=True, height="stretch"):
                st.html(tiles.tile_html(tile, large=selection.present, summary=not selection.present))
    return book, selection
