"""Streamlit pieces every page shares: the cached read-only connection, cached queries, the demo banner.

Caching follows Streamlit's guidance: one connection resource per process (a cursor per query, since a
DuckDB connection must not be used from several sessions' threads at once), and bounded query caches
keyed by the warehouse's version token so that a new upload is seen without a restart.
"""

from __future__ import annotations

import logging

import streamlit as st

import queries.warehouse as queries
from pipeline.catalog import Catalog, load_catalog
from pipeline.warehouse import ReaderCache, version_token, warehouse_path

log = logging.getLogger(__name__)


@st.cache_resource
def _reader(path: str) -> ReaderCache:
    # Keyed by path so that tests (and a deployment that moves the warehouse) get the right file.
    return ReaderCache(path)


def cursor():
    """A cursor on the current warehouse version, for one query on this thread."""
    return _reader(str(warehouse_path())).cursor()


def catalog() -> Catalog:
    return load_catalog()


def warehouse_version() -> tuple[str, tuple[int, int]]:
    """Cache key of the warehouse as it is now: its path and (inode, mtime); a write changes it."""
    path = warehouse_path()
    return str(path), version_token(path)


@st.cache_data(max_entries=16, ttl=600)
def warehouse_summary(path: str, version: tuple[int, int]) -> queries.WarehouseSummary:
    return queries.warehouse_summary(cursor())


def demo_banner() -> None:
    """Say plainly, on every page, when what is shown is demo data, and how fresh the data is."""
    try:
        summary = warehouse_summary(*warehouse_version())
    except Exception:  # noqa: BLE001 - a broken warehouse must show a message, never a traceback
        log.exception("读取数据仓库失败")
        st.error("暂时无法读取数据仓库，请稍后刷新；如持续出现，请联系系统管理员。")
        return
    if summary.is_demo:
        st.warning("**演示数据**：当前看板展示的是系统生成的演示数据，不是真实报表。", icon=":material/science:")
    if summary.latest_accepted_at is None:
        st.info("数据仓库中还没有已接收的报表。请在“数据上传”页上传各单位报表，或运行 make run 生成演示数据。")
    else:
        st.caption(f"数据截至 {summary.latest_accepted_at:%Y年%m月%d日 %H:%M}（最近一次接收报表的时间）")
