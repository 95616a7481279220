"""Timing helpers, interleaved runs against a floor, peak memory, and the sections' figures of this run."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = REPO_ROOT / "artifacts" / "bench.json"
_RECORDED: dict[str, dict] = {}


def best_of(function: Callable[[], object], repeat: int = 3) -> tuple[float, list[float]]:
    """Best and all wall-clock times of `repeat` runs, in seconds (best is the least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(
    floor: Callable[[], object], subjects: Mapping[str, Callable[[], object]], rounds: int
) -> dict[str, list[float]]:
    """Each round times the floor, then every subject once, so a slow moment of the shared machine touches both;
    returns each subject's per-round ratios to that round's floor (and the floor's own seconds under "")."""
    ratios: dict[str, list[float]] = {name: [] for name in subjects}
    floors: list[float] = []
    for _ in range(rounds):
        floor_s = timed(floor)
        floors.append(floor_s)
        for name, subject in subjects.items():
            ratios[name].append(timed(subject) / floor_s)
    return {"": floors, **ratios}


def spread(values: list[float], digits: int = 2) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory in MB: of a live process (its VmHWM), or of this process."""
    if pid is None:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ValueError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far (/proc/<pid>/stat), in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def record(section: str, figures: dict) -> None:
    """Keep a section's figures for this run's report (benchmarks/report.py writes artifacts/bench.json once)."""
    _RECORDED[section] = figures


def recorded() -> dict[str, dict]:
    return dict(_RECORDED)
