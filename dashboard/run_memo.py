"""Answers that hold for one run of the script: app.py starts every run with an empty memo.

Which data and which reference data a run shows, and who is asking from where, are asked for a dozen times per run
(every chart, every download button); each answer is otherwise a cache lookup that hashes its arguments, or a read of
the request. Keeping them for the run also means one run shows one version even if a batch lands while it draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

RUN_MEMO = "_shibatiao_run_memo"
T = TypeVar("T")


def begin_run() -> None:
    """Called by app.py at the start of every run."""
    st.session_state[RUN_MEMO] = {}


def per_run(name: str, compute: Callable[[], T]) -> T:
    """compute()'s answer, kept for the rest of this run; computed afresh outside app.py (some tests run a page
    alone) and outside a session."""
    try:
        memo = st.session_state.get(RUN_MEMO)
    except Exception:  # noqa: BLE001 - no session (a bare script, a background thread)
        memo = None
    if memo is None:
        return compute()
    if name not in memo:
        memo[name] = compute()
    return memo[name]
