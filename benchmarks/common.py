"""Timing helpers and the shared results file."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = REPO_ROOT / "artifacts" / "bench.json"


def best_of(function: Callable[[], object], repeat: int = 3) -> tuple[float, list[float]]:
    """Best and all wall-clock times of `repeat` runs, in seconds (best is the least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def median(values: list[float]) -> float:
    return statistics.median(values)


def record(section: str, figures: dict) -> None:
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS_PATH.read_text(encoding="utf-8")) if RESULTS_PATH.exists() else {}
    results[section] = figures
    RESULTS_PATH.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
