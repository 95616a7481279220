"""Status benchmark: the leaders' board (every measure for the latest year, as the overview shows it) on the demo
warehouse and on synthetic warehouses 10× and 100× larger, and every measure for every year beside it.

Each measurement runs in a fresh process (`python -m benchmarks.status WAREHOUSE UNIT_COPIES`), so that peak memory
is the status engine's own and nothing is cached from an earlier run; the scales are interleaved round by round and
each round's ratios are taken against that round's 1× run, so a busy machine slows numerator and denominator alike.

Returned (and written to artifacts/bench.json under "status"): status_scale_ratio_10x and status_scale_ratio_100x
(board time ÷ the 1× board time, as {median, min, max} over the rounds; status_scale_cpu_ratio_* the same in CPU
time), status_peak_rss_mb_100x (the peak RSS of the process that built the 100× board), and per scale the times,
CPU times and peaks of the board and of all years judged by the rule functions (what exports of every year need; a
measure's history on its page comes from the set-based statuses, measured beside them).

Measured on 2026-12-01 (2 shared cores, CPU seconds, board / all years): before this engine's rework 1× 0.49,
10× 4.2, 100× 45.2 (every year was judged up front; 1,505 MB at 100×); after the lazy book, board 1× 0.2, 10× 0.6,
100× 1.4 (610–630 MB), all years at 100× 12.6 (1,280 MB). On 2026-12-02, reading the warehouse a year at a time
(pipeline/status/facts.py), wall seconds: board 1× 0.27, 10× 0.60, 100× 0.61 (2.15×, 296 MB), all years at 100× 9.8
(833 MB). Peaks are each process's own VmHWM (see _peak_rss_mb).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO_ROOT, peak_rss_mb, record
from benchmarks.synthetic import build_synthetic_warehouse, synthetic_registry

# name -> (unit copies, year spans): 10× has ten times the units, 100× ten times the units and ten times the years.
SCALES = {"1x": (1, 1), "10x": (10, 1), "100x": (10, 10)}
ROUNDS = int(os.environ.get("STATUS_BENCH_ROUNDS", "5"))  # five: three rounds gave 100× ratios of 1.28–3.68 here


def _peak_rss_mb() -> float:
    """This process's own peak (VmHWM). Not getrusage's ru_maxrss: Linux carries that over from the parent across
    fork and exec, so a child of a benchmark that has built warehouses would report the parent's peak."""
    return peak_rss_mb(os.getpid())


def measure(warehouse: Path, unit_copies: int) -> dict:
    """In this process: open the warehouse, build the status book and the latest year's board, then judge every
    year and find every anomaly. Times in seconds (wall and CPU), peaks in MB."""
    from pipeline.warehouse import open_reader
    from queries.board import StatusBook, measure_board

    registry = synthetic_registry(unit_copies)
    con = open_reader(warehouse)
    values = con.execute("select count(*) from raw_values").fetchone()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    book = StatusBook.from_warehouse(con, registry=registry)
    board = measure_board(book, book.latest_year)
    board_wall, board_cpu, board_rss = time.perf_counter() - wall, time.process_time() - cpu, _peak_rss_mb()
    rows = sum(1 + len(result.units) for result in book.results.values())
    anomalies = len(book.anomalies)
    con.close()
    return {
        "values": values,
        "board_tiles": len(board.tiles),
        "board_seconds": board_wall,
        "board_cpu_seconds": board_cpu,
        "board_peak_rss_mb": board_rss,
        "all_years_seconds": time.perf_counter() - wall,
        "all_years_cpu_seconds": time.process_time() - cpu,
        "all_years_peak_rss_mb": _peak_rss_mb(),
        "status_rows": rows,
        "anomalies": anomalies,
    }


def measure_compact(warehouse: Path, unit_copies: int) -> dict:
    """In this process: every measure's compact statuses for every unit and year (the set-based judgement of
    pipeline/status/compact.py: what a unit's history on all measures, a chart's colours over the years and a settings
    preview need). Times in seconds (wall and CPU), the peak in MB."""
    from pipeline.warehouse import open_reader
    from queries.board import StatusBook

    registry = synthetic_registry(unit_copies)
    con = open_reader(warehouse)
    wall, cpu = time.perf_counter(), time.process_time()
    book = StatusBook.from_warehouse(con, registry=registry)
    rows = sum(len(book.marks.of(m.number)) for m in book.catalog.measures)
    figures = {
        "compact_seconds": time.perf_counter() - wall,
        "compact_cpu_seconds": time.process_time() - cpu,
        "compact_peak_rss_mb": _peak_rss_mb(),
        "compact_rows": rows,
    }
    con.close()
    return figures


def _measure_in_child(warehouse: Path, unit_copies: int, what: str = "book") -> dict:
    command = [sys.executable, "-m", "benchmarks.status", str(warehouse), str(unit_copies), what]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spread(values: list[float], digits: int = 2) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def _build(root: Path) -> dict[str, Path]:
    from pipeline.demo.generate import generate
    from pipeline.ingest import ingest_paths

    generate(root / "returns")
    demo = root / "demo.duckdb"
    ingest_paths([root / "returns"], warehouse=demo, raw_dir=root / "raw")
    paths = {}
    for name, (unit_copies, year_copies) in SCALES.items():
        paths[name] = root / f"synthetic_{name}.duckdb"
        build_synthetic_warehouse(demo, paths[name], unit_copies=unit_copies, year_copies=year_copies)
    return paths


def summarise(runs: dict[str, list[dict]]) -> dict:
    """The report from every round's measurements: ratios per round against that round's 1× run."""
    base = runs["1x"]
    figures: dict = {}
    for name, measured in runs.items():
        ratio = [m["board_seconds"] / b["board_seconds"] for m, b in zip(measured, base, strict=True)]
        cpu_ratio = [m["board_cpu_seconds"] / b["board_cpu_seconds"] for m, b in zip(measured, base, strict=True)]
        all_ratio = [m["all_years_seconds"] / b["all_years_seconds"] for m, b in zip(measured, base, strict=True)]
        compact_ratio = [m["compact_seconds"] / b["compact_seconds"] for m, b in zip(measured, base, strict=True)]
        # What the set-based judgement saves against the rule functions judging every year, within one round.
        speedup = [m["all_years_seconds"] / m["compact_seconds"] for m in measured]
        figures[name] = {
            "values": measured[0]["values"],
            "status_rows": measured[0]["status_rows"],
            "board_seconds": _spread([m["board_seconds"] for m in measured]),
            "board_cpu_seconds": _spread([m["board_cpu_seconds"] for m in measured]),
            "board_peak_rss_mb": _spread([m["board_peak_rss_mb"] for m in measured], 0),
            "all_years_seconds": _spread([m["all_years_seconds"] for m in measured]),
            "all_years_peak_rss_mb": _spread([m["all_years_peak_rss_mb"] for m in measured], 0),
            "board_ratio_vs_1x": _spread(ratio),
            "board_cpu_ratio_vs_1x": _spread(cpu_ratio),
            "all_years_ratio_vs_1x": _spread(all_ratio),
            "compact_rows": measured[0]["compact_rows"],
            "compact_seconds": _spread([m["compact_seconds"] for m in measured]),
            "compact_peak_rss_mb": _spread([m["compact_peak_rss_mb"] for m in measured], 0),
            "compact_ratio_vs_1x": _spread(compact_ratio),
            "compact_speedup_vs_rule_functions": _spread(speedup, 1),
        }
    return {
        "status_scale_ratio_10x": figures["10x"]["board_ratio_vs_1x"],
        "status_scale_ratio_100x": figures["100x"]["board_ratio_vs_1x"],
        # The same ratios in CPU time (every thread of the process): steadier than wall time on a shared machine.
        "status_scale_cpu_ratio_10x": figures["10x"]["board_cpu_ratio_vs_1x"],
        "status_scale_cpu_ratio_100x": figures["100x"]["board_cpu_ratio_vs_1x"],
        "status_peak_rss_mb_100x": figures["100x"]["board_peak_rss_mb"],
        "status_peak_rss_mb_100x_all_years": figures["100x"]["all_years_peak_rss_mb"],
        # Every measure, unit and year judged set-based (compact statuses, no explanations).
        "status_compact_scale_ratio_100x": figures["100x"]["compact_ratio_vs_1x"],
        "status_compact_seconds_100x": figures["100x"]["compact_seconds"],
        "status_compact_peak_rss_mb_100x": figures["100x"]["compact_peak_rss_mb"],
        "status_compact_speedup_100x": figures["100x"]["compact_speedup_vs_rule_functions"],
        "rounds": len(base),
        "scales": figures,
    }


def _print(report: dict) -> None:
    print(f"状态基准（{report['rounds']}轮交替运行，取中位数；倍数为同一轮内与1×之比）")
    print("规模   数值个数    总览用时   倍数     全部年份用时  倍数     总览峰值内存  全部年份峰值内存")
    for name, item in report["scales"].items():
        print(
            f"{name:<6} {item['values']:>9,}  {item['board_seconds']['median']:>6.2f}秒  "
            f"{item['board_ratio_vs_1x']['median']:>5.1f}×  {item['all_years_seconds']['median']:>9.2f}秒  "
            f"{item['all_years_ratio_vs_1x']['median']:>6.1f}×  {item['board_peak_rss_mb']['median']:>8.0f} MB  "
            f"{item['all_years_peak_rss_mb']['median']:>10.0f} MB"
        )
    print("规模   全部年份（SQL，不含说明）用时  倍数     峰值内存    较逐年规则函数快")
    for name, item in report["scales"].items():
        print(
            f"{name:<6} {item['compact_seconds']['median']:>22.2f}秒  {item['compact_ratio_vs_1x']['median']:>5.1f}×  "
            f"{item['compact_peak_rss_mb']['median']:>7.0f} MB  {item['compact_speedup_vs_rule_functions']['median']:>10.1f}×"
        )


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _build(Path(tmp))
        runs: dict[str, list[dict]] = {name: [] for name in SCALES}
        for _ in range(ROUNDS):
            for name, (unit_copies, _years) in SCALES.items():
                book = _measure_in_child(paths[name], unit_copies)
                runs[name].append({**book, **_measure_in_child(paths[name], unit_copies, "compact")})
    report = summarise(runs)
    _print(report)
    record("status", report)
    return report


if __name__ == "__main__":
    measured = measure_compact if sys.argv[3:] == ["compact"] else measure
    print(json.dumps(measured(Path(sys.argv[1]), int(sys.argv[2]))))
