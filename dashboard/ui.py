"""Streamlit pieces every page shares: the cached read-only connection, the cached status book, the page
header with the demo banner and freshness line, and a guard that turns errors into a Chinese message.

Caching follows Streamlit's guidance: one connection resource per process (a cursor per query, since a
DuckDB connection must not be used from several sessions' threads at once), the status book as a shared
resource keyed by the warehouse's version token, and bounded query caches keyed the same way, so that an
upload is seen on the next run without a restart. Cached objects are never mutated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

import queries.warehouse as warehouse_queries
from pipeline.catalog import Catalog, load_catalog
from pipeline.registry import Registry, load_registry
from pipeline.warehouse import ReaderCache, version_token, warehouse_path
from queries.board import StatusBook

log = logging.getLogger(__name__)
Version = tuple[str, tuple[int, int]]


@st.cache_resource
def _reader(path: str) -> ReaderCache:
    # Keyed by path so that tests (and a deployment that moves the warehouse) get the right file.
    return ReaderCache(path)


def cursor():
    """A cursor on the current warehouse version, for one query on this thread."""
    return _reader(str(warehouse_path())).cursor()


def catalog() -> Catalog:
    return load_catalog()


def registry() -> Registry:
    return load_registry()


def warehouse_version() -> Version:
    """Cache key of the warehouse as it is now: its path and (inode, mtime); a write changes it."""
    path = warehouse_path()
    return str(path), version_token(path)


@st.cache_data(max_entries=16, ttl=600)
def _summary(path: str, version: tuple[int, int]) -> warehouse_queries.WarehouseSummary:
    return warehouse_queries.warehouse_summary(cursor())


def warehouse_summary() -> warehouse_queries.WarehouseSummary:
    return _summary(*warehouse_version())


@st.cache_resource(max_entries=4)
def _book(path: str, version: tuple[int, int]) -> StatusBook:
    return StatusBook.from_warehouse(cursor(), catalog=catalog(), registry=registry())


def status_book() -> StatusBook:
    """Every measure judged for every year, once per warehouse version (shared; never mutate it)."""
    return _book(*warehouse_version())


def cached_query(function: Callable, *args, **kwargs):
    """Run a query-layer function on a cursor, cached by warehouse version and arguments."""
    return _cached(function.__module__, function.__name__, warehouse_version(), args, tuple(sorted(kwargs.items())))


@st.cache_data(max_entries=128, ttl=600, show_spinner=False)
def _cached(module: str, name: str, version: Version, args: tuple, kwargs: tuple):
    import importlib

    function = getattr(importlib.import_module(module), name)
    return function(cursor(), *args, **dict(kwargs))


def demo_banner(summary: warehouse_queries.WarehouseSummary, *, compact: bool = False) -> None:
    if summary.is_demo and compact:  # projector mode: one short line, so the chart stays above the fold
        st.caption("演示数据（非真实报表）")
    elif summary.is_demo:
        st.warning("**演示数据**：当前看板展示的是系统生成的演示数据，不是真实报表。", icon=":material/science:")


def freshness(summary: warehouse_queries.WarehouseSummary, year: int | None, *, compact: bool = False) -> None:
    """Every page says which reporting year it shows and how fresh the data is."""
    if compact and summary.latest_accepted_at is not None:
        st.caption(f"{year}年度　数据截至 {summary.latest_accepted_at:%Y-%m-%d}")
        return
    if summary.latest_accepted_at is None:
        st.info(
            "数据仓库中还没有已接收的报表。请在“数据上传”页上传各单位报表；本机演示可运行 make run 自动生成演示数据。"
        )
        return
    shown = f"报表年度：{year}年度　" if year else ""
    st.caption(f"{shown}数据截至 {summary.latest_accepted_at:%Y年%m月%d日 %H:%M}（最近一次接收报表的时间）")


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """No traceback ever reaches the screen: log it, say in Chinese what could not be shown."""
    try:
        yield
    except Exception:  # noqa: BLE001 - the log gets the traceback, the user a sentence
        log.exception("页面出错：%s", what)
        st.error(f"{what}暂时无法显示。请刷新页面；如持续出现，请联系系统管理员（详细信息已记入服务器日志）。")
