"""The skeleton the four chart-family pages share: the family's heading and status tiles, then the family's
figures from the registry (dashboard/figures.py), each drawn by its pure builder over its series with the status
engine's verdicts, with downloads beside it: its data as CSV, and the chart as a PNG or SVG laid out for a
briefing (title, measure, data source, data date and version: exports.images)."""

from collections.abc import Callable

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import auth, filters, tiles, ui
from dashboard.figures import Figure
from exports import images
from queries import profile
from queries.board import StatusBook, family_screens, number_runs
from queries.scope import Scope

LARGE_SCALE = 1.5  # the chart's projector-mode factor
DEMO_PREFIX = images.DEMO_LABEL  # 【演示数据】 before the name of every file made from demo data
IMAGE_DOWNLOADS = ((images.PNG, "下载图片（PNG）", "image/png"), (images.SVG, "下载矢量图（SVG）", "image/svg+xml"))


def image_data(
    figure: Figure, open_cursor: Callable[[], duckdb.DuckDBPyConnection], book: StatusBook, year: int, fmt: str, *,
    demo: bool,
) -> Callable[[], bytes]:  # fmt: skip
    """The chart as a briefing image, made only when its button is clicked (Streamlit calls this on a thread of
    its own, so it opens a cursor of its own then, on the version the page showed). The first image starts a
    Chromium that the server keeps: later ones take a fraction of a second instead of about two."""

    def make() -> bytes:
        images.start_browser()  # idempotent
        return images.figure_image(figure, open_cursor(), book, year, fmt=fmt, demo=demo)

    return make


class SettledFigure(go.Figure):
    """A drawn figure that nothing changes again (a cached chart): its dictionary is made once. st.plotly_chart asks
    every figure for to_dict() on every run, and plotly answers with a deep copy of the figure with its arrays
    re-encoded, about a third of a chart page's run; this answers with the same dictionary each time. Callers must not
    change it (streamlit and kaleido only read it)."""

    def to_dict(self) -> dict:
        settled = self.__dict__.get("_settled_dict")
        if settled is None:
            settled = super().to_dict()
            self.__dict__["_settled_dict"] = settled  # twice at worst when two sessions draw at once: equal dicts
        return settled


@st.cache_resource(max_entries=64, show_spinner=False)
def _drawn(
    key: str, version: ui.Version, reader: Scope, years: tuple[int, ...], year: int, large: bool,
    _figure: Figure, _book: StatusBook,
) -> tuple[pd.DataFrame, go.Figure, bytes] | None:  # fmt: skip
    """A figure's frame with the engine's verdicts, its plotly figure and its CSV, built once per data version (the
    key, version, scope, years, year and size say which) and shared by every session: building is most of a chart
    page's time. None when the year has no data for it. Nothing here is mutated afterwards (st.plotly_chart
    serialises a copy)."""
    series = ui.cached_query(_figure.series, years=list(years))
    if not profile.has_data(series, _figure.span, year):
        return None
    # Bars take the colour of the engine's verdict on each unit: the status the tiles above show.
    df = _figure.with_statuses(_book, series)
    fig = _figure.builder(df, large=large, catalog=_book.catalog)
    # Projector type is about 1.5 times larger, so is the chart: labels and legend keep their room.
    fig.update_layout(height=round(_figure.height * (LARGE_SCALE if large else 1)))
    return df, SettledFigure(fig), profile.chart_csv(df, _figure)


def chart(figure: Figure, *, book: StatusBook, year: int, large: bool, selected_year: int | None = None) -> None:
    """A figure of the registry for the year with its downloads, or a message naming the measure and the year.
    selected_year: the year chosen in the sidebar when the chart shows another (the latest inspection round); the
    images then say which round they show for that year."""
    with ui.guarded(f"{figure.measures_text}图表"):
        years = tuple(profile.chart_years(figure.span, book.years, year))
        drawn = _drawn(figure.key, ui.warehouse_version(), ui.scope(), years, year, large, figure, book)
        if drawn is None:
            st.info(f"{year}年度暂无{figure.measures_text}（{figure.title}）的数据。", icon=":material/info:")
            return
        df, fig, csv = drawn
        demo = ui.warehouse_summary().is_demo
        name = f"{DEMO_PREFIX if demo else ''}{figure.file_stem(year)}"  # every export of demo data says so
        config = ui.plotly_config(displaylogo=False, toImageButtonOptions={"filename": name, "scale": 2})
        st.plotly_chart(fig, theme=None, width="stretch", config=config)
        if large:
            return  # the projector shows the chart only
        with st.container(horizontal=True):
            version, opener = ui.data_version_text(), ui.cursor_opener()
            st.download_button(
                "下载图表数据（CSV）",
                auth.audited_download(
                    lambda: csv, document=f"{figure.title}（CSV）", file_name=f"{name}.csv", version=version
                ),  # fmt: skip
                file_name=f"{name}.csv",
                mime="text/csv",
                on_click="ignore",
                icon=":material/download:",
                key=f"csv_{figure.key}",
            )
            for fmt, label, mime in IMAGE_DOWNLOADS:
                st.download_button(
                    label,
                    auth.audited_download(
                        image_data(figure, opener, book, selected_year or year, fmt, demo=demo),
                        document=f"{figure.title}（{fmt.upper()}）",
                        file_name=f"{name}.{fmt}",
                        version=version,
                    ),
                    file_name=f"{name}.{fmt}",
                    mime=mime,
                    on_click="ignore",
                    icon=":material/image:",
                    key=f"{fmt}_{figure.key}",
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
                st.html(tiles.tile_html(tile, large=selection.present, summary="" if selection.present else "full"))
    return book, selection
