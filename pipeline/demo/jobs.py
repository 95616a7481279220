"""Run the file-building jobs, in forked worker processes where the platform allows and the process is single-threaded.

Building a template dominates the run time and each file is independent, so two or more cores cut the
wall time almost proportionally. Results come back in job order, so the output does not depend on
scheduling. Forked workers inherit the job list, so only an index crosses the process boundary.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

Job = Callable[[], list[Any]]
MAX_WORKERS = 4
_jobs: list[Job] = []  # set before forking; read by the workers


def _run(index: int) -> list[Any]:
    return _jobs[index]()


def _workers(count: int) -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        # A fork copies only the calling thread: a lock another thread held at that moment (DuckDB's, a browser
        # driver's, logging's) stays held in the child forever. `make bench` generates returns after its page
        # benchmarks have started such threads, and its forked workers died; such a process builds in place.
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, count // 8))


def run_jobs(jobs: list[Job]) -> list[Any]:
    """Every job's results, concatenated in job order."""
    workers = _workers(len(jobs))
    if workers == 1:
        return [item for job in jobs for item in job()]
    global _jobs
    _jobs = jobs
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            chunks = list(pool.map(_run, range(len(jobs)), chunksize=4))
    finally:
        _jobs = []
    return [item for chunk in chunks for item in chunk]
