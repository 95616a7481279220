"""Streamlit pieces every page shares: the cached read-only connection, the cached status book, the page
header with the demo banner and freshness line, and a guard that turns errors into a Chinese message.

A meeting version (会议版) chosen in the sidebar replaces the live warehouse, catalog and registry for every page
(the frozen files in data/meetings/<name>/), and a banner says so; live_cursor() and live_status_book() always read
the live data (for 会议以来变化 and uploads).

Caching follows Streamlit's guidance: one connection resource per process (a cursor per query, since a
DuckDB connection must not be used from several sessions' threads at once), the status book as a shared
resource keyed by the warehouse's version token, and bounded query caches keyed the same way, so that an
upload is seen on the next run without a restart. Cached objects are never mutated.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

import pyarrow as pa
import streamlit as st

import queries.warehouse as warehouse_queries
from dashboard import auth, filters
from dashboard.run_memo import per_run
from exports import meetings
from pipeline import access
from pipeline.access import ROLE_UNIT
from pipeline.catalog import Catalog
from pipeline.reference import Reference, load_reference
from pipeline.registry import Registry
from pipeline.warehouse import ReaderCache, content_token, warehouse_path
from queries.board import StatusBook, measure_board
from queries.scope import ALL_UNITS, OutOfScope, Scope, call_in_scope
from queries.uploads import markdown_safe

log = logging.getLogger(__name__)
Version = tuple[str, tuple[str, str]]  # (warehouse path, (content token, reference version))


@st.cache_resource
def _reader(path: str) -> ReaderCache:
    # Keyed by path so that tests (and a deployment that moves the warehouse) get the right file.
    return ReaderCache(path)


# --- which data: the live warehouse or a meeting version ----------------------------------------------------


def meeting_choices() -> dict[str, str]:
    """Meeting name -> its label (会议版“…”（冻结于 …）), newest first, for the sidebar's 数据版本."""
    return {m.name: m.label for m in meetings.list_meetings()}


def active_meeting() -> meetings.MeetingVersion | None:
    """The meeting version chosen in the sidebar, None for the live data (or when it has since been removed)."""
    name = filters.chosen_meeting()
    return next((m for m in meetings.list_meetings() if m.name == name), None) if name else None


@st.cache_resource(max_entries=8)
def _reference(path: str, version: str, catalog_path: str | None, registry_path: str | None) -> Reference:
    # One Reference per data version: the catalog and registry files (a meeting version's frozen copies) plus the
    # settings saved in that warehouse. A settings change is a warehouse write, so its version token changes too.
    return load_reference(
        _reader(path).cursor(),
        catalog_path=Path(catalog_path) if catalog_path else None,
        registry_path=Path(registry_path) if registry_path else None,
    )


def _active_path() -> Path:
    meeting = active_meeting()
    return meeting.warehouse_path if meeting else warehouse_path()


def reference() -> Reference:
    """The reference data of the data shown: a meeting version keeps the catalog, registry and settings in force
    when it was frozen; the live data has today's."""
    return per_run("reference", _shown_reference)


def _shown_reference() -> Reference:
    meeting = active_meeting()
    if meeting is None:
        return live_reference()
    path = meeting.warehouse_path
    return _reference(str(path), content_token(path), str(meeting.catalog_path), str(meeting.registry_path))


def live_reference() -> Reference:
    """The reference data in force now, whatever version is shown: uploads, templates and settings use it."""
    return per_run("live_reference", _live_reference)


def _live_reference() -> Reference:
    path = warehouse_path()
    return _reference(str(path), content_token(path), None, None)


def catalog() -> Catalog:
    return reference().catalog


def registry() -> Registry:
    return reference().registry


def live_catalog() -> Catalog:
    return live_reference().catalog


def live_registry() -> Registry:
    return live_reference().registry


# --- who is reading: the scope every query call runs in -------------------------------------------------------


def scope() -> Scope:
    """The signed-in reader's scope: every unit for the federation's staff, its own unit for a 填报单位, nothing
    when nobody is signed in (fail closed)."""
    account = auth.current_account()
    if account is None:
        return Scope(frozenset())
    if account.role == ROLE_UNIT:
        registry = live_reference().registry
        if account.unit_code not in registry:
            return Scope(frozenset(), account.unit_code or "")
        return Scope.of_unit(registry, account.unit_code)
    return ALL_UNITS


def own_unit_code() -> str:
    """A 填报单位's own unit, kept in the shared selection (so links and the URL show it). A link that names another
    unit is refused in words and audited, never followed."""
    account = auth.current_account()
    code = account.unit_code if account is not None else None
    if code is None:
        raise OutOfScope(scope().refusal())
    wanted = (st.query_params.get("unit") or "").strip()
    if wanted and wanted != code:
        known = registry().get(wanted) if wanted in registry() else registry().resolve(wanted).unit
        if known is None or known.code != code:
            named = known.name if known is not None else wanted
            st.warning(markdown_safe(scope().refusal(f"链接中指定的单位（{named}）")), icon=":material/block:")
            auth.record("access_denied", target=f"unit={wanted[:80]}", outcome="拒绝", detail="链接参数")
    st.session_state.setdefault(filters.STATE, {})["unit"] = code
    st.query_params["unit"] = code
    return code


def _whole_scope_only(what: str) -> None:
    reader = scope()
    if not reader.everything:
        raise OutOfScope(reader.refusal(what))


def cursor():
    """A cursor on the data shown (the live warehouse or the chosen meeting version), for a reader who may see every
    unit; a scoped reader reaches data only through cached_query and book_query."""
    _whole_scope_only("全部单位的数据")
    return _cursor()


def _cursor():
    return _reader(str(_active_path())).cursor()


def cursor_opener():
    """For work done after the run, on a thread of its own (a download built when it is clicked): the reader's scope
    is checked now, and the cursor, on the data shown now, is opened only when called."""
    _whole_scope_only("全部单位的数据")
    return _reader(str(_active_path())).opener()


def live_cursor():
    """A cursor on the live warehouse whatever version is shown (every unit's data: whole-scope readers only)."""
    _whole_scope_only("全部单位的数据")
    return _reader(str(warehouse_path())).cursor()


def warehouse_version() -> Version:
    """Cache key of the data shown: its path, its content token and the reference version. A batch that changes
    nothing keeps the token (and every cache); a meeting version never changes."""
    return per_run("warehouse_version", _warehouse_version)


def _warehouse_version() -> Version:
    path = _active_path()
    return str(path), (content_token(path), reference().version)


def data_version_text() -> str:
    """Which data a download is built from, as exports and the audit trail name it."""
    meeting = active_meeting()
    if meeting is not None:
        return f"{meeting.label}，{meeting.version_text}"
    return f"实时数据，{warehouse_summary().version_text}"


def meeting_banner() -> None:
    """On every page while a meeting version is shown: which one, and that it is not the live data."""
    meeting = active_meeting()
    if meeting is None:
        return
    text = f"正在查看会议版“{markdown_safe(meeting.name)}”（冻结于 {meeting.created_at:%Y-%m-%d %H:%M}），不是实时数据"
    st.warning(f"**{text}**。{meeting.version_text}。要看最新数据，请在侧栏“数据版本”中选择“实时数据”。",
               icon=":material/history:")  # fmt: skip


@st.cache_data(max_entries=16, ttl=600)
def _summary(path: str, version: tuple) -> warehouse_queries.WarehouseSummary:
    return warehouse_queries.warehouse_summary(_reader(path).cursor())


def warehouse_summary() -> warehouse_queries.WarehouseSummary:
    return per_run("summary", lambda: _summary(*warehouse_version()))


def live_warehouse_summary() -> warehouse_queries.WarehouseSummary:
    """The live warehouse's summary whatever version the sidebar shows (whole-scope readers only)."""
    _whole_scope_only("全部单位的数据")
    return _summary(*_live_version())


@st.cache_resource(max_entries=4)
def _book(path: str, version: tuple, catalog_path: str | None, registry_path: str | None) -> StatusBook:
    # One book per data version, live or a meeting's (whose frozen catalog and registry files the paths name); built
    # from the path alone, so the background warmer below builds the very book a page will ask for.
    current = _reference(path, version[0], catalog_path, registry_path)
    return StatusBook.from_warehouse(_reader(path).cursor(), catalog=current.catalog, registry=current.registry)


def _shown_book() -> StatusBook:
    return per_run("shown_book", _book_of_version)


def _book_of_version() -> StatusBook:
    meeting = active_meeting()
    files = (str(meeting.catalog_path), str(meeting.registry_path)) if meeting else (None, None)
    return _book(*warehouse_version(), *files)


def status_book() -> StatusBook:
    """The status book of the data shown, one per data version and shared by every session; each measure and year is
    judged the first time a page asks for it (never mutate it). It reads the warehouse a year at a time through a
    read-only connection of its own, which keeps the version the book was built on (pipeline/status/facts.py).
    Memory (the whole process, demo scale about 0.2 GB): about 0.3 GB with the board judged at 100× the demo's size,
    about 0.35 GB with every measure's compact statuses too, about 0.9 GB once every one of its fifty years is judged
    with explanations; max_entries bounds how many versions stay cached (an
    evicted book closes its connection). Whole-scope readers only: a scoped reader asks book_query for what it may see."""
    _whole_scope_only("全省各单位的落实情况")
    return _shown_book()


def overview_book() -> tuple[StatusBook, bool]:
    """The book the overview shows, and whether it is the version before the newest. At the moment a batch lands
    the background warmer starts judging the new version (about a second at 100× the demo); a leader who opens the
    overview meanwhile is shown the board judged just before, at once, with a notice, and the page refreshes itself
    when the new board is ready (overview.py). Only for the live data: a meeting version never changes."""
    _whole_scope_only("全省各单位的落实情况")
    warmer = start_warming() if active_meeting() is None else None
    previous = warmer.previous_while_judging(warehouse_version()[1][0]) if warmer is not None else None
    return (previous, True) if previous is not None else (_shown_book(), False)


def newest_overview_ready() -> bool:
    """Whether the live warehouse's newest version has been judged (or will not be by the warmer)."""
    warmer = start_warming()
    return warmer is None or warmer.previous_while_judging(content_token(warehouse_path())) is None


def live_status_book() -> StatusBook:
    """Today's statuses from the live warehouse, whatever version the sidebar shows (whole-scope readers only)."""
    _whole_scope_only("全省各单位的落实情况")
    return _book(*_live_version(), None, None)


def _live_version() -> Version:
    """The cache key of the live warehouse, whatever version the sidebar shows."""
    path = warehouse_path()
    return str(path), (content_token(path), live_reference().version)


# --- judging ahead: a new version's overview is judged as soon as it lands ------------------------------------------

# How often the warmer looks at the warehouse file (one os.stat while nothing changes).
WARM_INTERVAL_SECONDS = 1.0


class BookWarmer:
    """Judges the overview of each new version of the live warehouse in the background. A batch from the upload page
    or the command line replaces the warehouse file; at 100× the demo the first leader to open the dashboard after it
    would otherwise wait about a second while the board's 36 measure-years are judged. The warmer builds the very
    book the pages ask for (the same cache entry) and judges the latest year and the one before, then every measure's
    compact statuses (the chart pages' colours); a page that comes while it works waits for the same entry rather
    than judging it twice.

    One daemon thread per warehouse path, started by the first page run. SHIBATIAO_WARM_BOOKS=0 turns it off (the
    test suite does, so that no thread judges a test's warehouse behind its back)."""

    # The newest version judged in full and its book, kept while the next version is judged: the overview shows it
    # meanwhile (overview_book). A class default, so that a warmer made without its thread (the tests) has it too.
    warmed_book: StatusBook | None = None  # the book of the version `warmed` names
    failed: str | None = None  # a content token whose warm-up failed: pages judge it themselves, as without a warmer

    def __init__(self, path: str) -> None:
        self.path = path
        self.warmed: str | None = None  # the content token whose board is judged
        self._wake = threading.Event()
        threading.Thread(target=self._run, name=f"book-warmer:{Path(path).name}", daemon=True).start()

    def poke(self) -> None:
        """A batch has just landed in this process (the upload page): look now, not at the next tick."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            try:
                self.warm()
            except Exception:  # noqa: BLE001 - a failed warm-up costs nothing: the next visitor judges as before
                log.exception("预先判定总览失败：%s", self.path)
            self._wake.wait(WARM_INTERVAL_SECONDS)
            self._wake.clear()

    def warm(self) -> bool:
        """Judge the current version's board if it is new; True when it did."""
        path = Path(self.path)
        token = content_token(path)
        if token == self.warmed or not path.exists():
            return False
        try:
            version = (token, _reference(self.path, token, None, None).version)
            _summary(self.path, version)  # every page's header line
            book = _book(self.path, version, None, None)
            if book.latest_year is not None:
                measure_board(book, book.latest_year)
                # The chart pages colour every year's bars from the compact statuses: judge those next.
                for measure in book.catalog.measures:
                    book.marks.of(measure.number)
        except Exception:
            self.failed = token
            raise
        self.warmed_book, self.warmed = book, token
        return True

    def previous_while_judging(self, token: str) -> StatusBook | None:
        """The last version's book while `token` (the live warehouse's newest version) is still to be judged; None
        once it is judged, when nothing was judged before it, or when judging it failed."""
        book = self.warmed_book
        if book is None or token in (self.warmed, self.failed):
            return None
        return book


@st.cache_resource
def _warmer(path: str) -> BookWarmer:
    return BookWarmer(path)


def warming_enabled() -> bool:
    return os.environ.get("SHIBATIAO_WARM_BOOKS", "1") != "0"


def start_warming() -> BookWarmer | None:
    """The live warehouse's warmer (started on the first call); None when warming is turned off."""
    return _warmer(str(warehouse_path())) if warming_enabled() else None


def batch_landed() -> None:
    """Called by the upload page after a batch: the warmer judges the new version at once."""
    warmer = start_warming()
    if warmer is not None:
        warmer.poke()


def rows_table(rows: list[dict]) -> pa.Table:
    """A few rows for st.dataframe or st.table, as an Arrow table in the rows' column order: the element hands it over
    as it is, where a list of dicts would go through pandas and back to Arrow on every run."""
    return pa.Table.from_pylist(rows)


def years() -> list[int]:
    """The reporting years with data (the sidebar's choices); no unit's figures, so every reader may have them."""
    return _shown_book().years


def book_query(function: Callable, *args, **kwargs):
    """A query-layer function of the status book, run within the reader's scope (queries/scope.py)."""
    return call_in_scope(function, _shown_book(), *args, scope=scope(), reference=reference(), **kwargs)


def cached_query(function: Callable, *args, **kwargs):
    """Run a query-layer function on a cursor within the reader's scope, cached by data version, reference version,
    scope and arguments."""
    reader = scope()
    key = (function.__module__, function.__name__, warehouse_version(), reader, args, tuple(sorted(kwargs.items())))
    return _cached(*key)


@st.cache_data(max_entries=128, ttl=600, show_spinner=False)
def _cached(module: str, name: str, version: Version, reader: Scope, args: tuple, kwargs: tuple):
    import importlib

    function = getattr(importlib.import_module(module), name)
    return call_in_scope(function, _cursor(), *args, scope=reader, reference=reference(), **dict(kwargs))


def demo_accounts() -> list[tuple[str, str, str]]:
    """The demo accounts (user, password, role) to list on the sign-in page, only while the demo warehouse is shown
    and only those the store marks as demo."""
    if not warehouse_summary().is_demo:
        return []
    existing = {a.username for a in auth.store().accounts() if a.is_demo and not a.disabled}
    return [(user, password, role) for user, password, role in access.DEMO_ACCOUNTS if user in existing]


def demo_banner(summary: warehouse_queries.WarehouseSummary) -> None:
    if summary.is_demo:
        st.warning("**演示数据**：当前看板展示的是系统生成的演示数据，不是真实报表。", icon=":material/science:")


def freshness(summary: warehouse_queries.WarehouseSummary, year: int | None) -> None:
    """Every page's one header line: the product, the reporting year shown and how fresh the data is (the source
    document on hover)."""
    product = "**十八条落实看板**　"
    source = "陕西省总工会《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）落实情况"
    if summary.latest_accepted_at is None:
        st.caption(product, help=source)
        st.info(
            "数据仓库中还没有已接收的报表。请在“数据上传”页上传各单位报表；本机演示可运行 make run 自动生成演示数据。"
        )
        return
    shown = f"报表年度：{year}年度　" if year else ""
    if not scope().everything:  # when other units last reported is not a 填报单位's business
        st.caption(f"{product}{shown.strip()}", help=source)
        return
    fresh = f"数据截至 {summary.latest_accepted_at:%Y年%m月%d日 %H:%M}（最近一次接收报表的时间）"
    st.caption(f"{product}{shown}{fresh}", help=source)


def projector_line(summary: warehouse_queries.WarehouseSummary, year: int | None) -> None:
    """Projector mode's whole header, one quiet line: the product, 演示数据, a meeting version, the data's date.
    The demo and meeting notes stay (a room must not take them for live, real data), only smaller."""
    parts = ["十八条落实看板"]
    if summary.is_demo:
        parts.append("演示数据（非真实报表）")
    meeting = active_meeting()
    if meeting is not None:
        parts.append(f"会议版“{meeting.name}”（冻结于 {meeting.created_at:%Y-%m-%d}），不是实时数据")
    if year is not None:
        parts.append(f"{year}年度")
    if summary.latest_accepted_at is not None:
        parts.append(f"数据截至 {summary.latest_accepted_at:%Y-%m-%d}")
    st.html(f'<div class="projector-line">{escape("　·　".join(parts))}</div>')


# Streamlit serves <html lang="en"> and has no setting for it; screen readers, hyphenation and the browser's font
# choice for CJK glyphs read this attribute, so the page says it is Simplified Chinese as soon as it loads.
PAGE_LANGUAGE_SCRIPT = '<script>document.documentElement.lang = "zh-CN";</script>'


def set_page_language() -> None:
    st.html(PAGE_LANGUAGE_SCRIPT, unsafe_allow_javascript=True)


# plotly.js knows only "en" and "en-US" as bundled by Streamlit (its zh-CN locale module is not in Streamlit's
# plotly.js build, and the module registry is not reachable from a page), so the zh-CN locale travels inline in each
# chart's config (plotly's config.locales): the toolbar's tooltips, month and day names, and the number format.
PLOTLY_ZH_CN = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "矩形框选择",
        "Compare data on hover": "悬停时比较数据",
        "Double-click to zoom back out": "双击恢复缩放",
        "Download plot": "下载图表",
        "Download plot as a png": "下载图表（PNG）",
        "Download plot as a PNG": "下载图表（PNG）",
        "Lasso Select": "套索选择",
        "Pan": "平移",
        "Produced with Plotly.js": "由 Plotly.js 生成",
        "Reset": "重置",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Reset views": "重置视图",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Snapshot succeeded": "图片已生成",
        "Sorry, there was a problem downloading your snapshot!": "抱歉，图片下载出错！",
        "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
        "Toggle Spike Lines": "显示/隐藏参考线",
        "Toggle show closest data on hover": "显示/隐藏悬停数据",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Fullscreen": "全屏",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{n}月" for n in range(1, 13)],
        "shortMonths": [f"{n}月" for n in range(1, 13)],
        "date": "%Y-%m-%d",
        "decimal": ".",
        "thousands": ",",
    },
}


def plotly_config(**options: object) -> dict:
    """A chart's plotly config in Chinese: the zh-CN locale (given inline) plus the page's own options."""
    return {"locale": "zh-CN", "locales": {"zh-CN": PLOTLY_ZH_CN}, **options}


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """No traceback ever reaches the screen: log it, say in Chinese what could not be shown."""
    try:
        yield
    except OutOfScope as refusal:  # a scoped reader asked for more than its unit: say so, nothing else
        st.warning(markdown_safe(str(refusal)), icon=":material/block:")
    except Exception:  # noqa: BLE001 - the log gets the traceback, the user a sentence
        log.exception("页面出错：%s", what)
        st.error(f"{what}暂时无法显示。请刷新页面；如持续出现，请联系系统管理员（详细信息已记入服务器日志）。")
