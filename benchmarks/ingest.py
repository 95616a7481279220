"""Ingest benchmark: all demo returns into an empty warehouse, against only reading the same files with
python-calamine, interleaved round by round so a slow moment of the shared machine touches both. Each round is a
demo of its own seed (121 returns never seen before), as a server's batches are.

ingest_overhead_ratio (each round's full ingest ÷ that round's calamine read; target ≤ 4) is the pipeline's
overhead over the fastest reader. ingest_into_existing_ratio is the same for batches that land, one after another,
in one warehouse and one archive already holding the batches before them (as a server's do on deadline day: the
warehouse is copied before it is written, last year's figures are read from it for the jump check, and later
returns supersede earlier ones). Also: the same folder ingested again (every file unchanged: no swap); the peak
resident memory of an ingest, measured in a fresh process (the CLI's own footprint) and of its parse workers; and at
each scale of the status benchmark (10× and 100× the demo's warehouse, benchmarks/synthetic.py) the seconds of new
batches loaded one after another into it, with the peaks of that process and of its workers.

BENCH_INGEST_ROUNDS sets the rounds of each series (default 9: on this shared machine one round's ratio moves by a
fifth or more from one second to the next, as the host lends the second core more or less fully, and the median of
nine moves less than that of five).
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from benchmarks.common import REPO_ROOT, interleaved, record, spread, timed
from benchmarks.status import SCALES
from benchmarks.synthetic import build_synthetic_warehouse
from pipeline.demo.generate import DEFAULT_SEED, generate
from pipeline.ingest import collect_files, ingest_paths
from pipeline.sandbox import ParseWorkers, WorkerLimits, default_pool_size

# Run in a fresh interpreter: start the workers on a first folder, loaded into an empty scratch warehouse, then load
# each further folder in turn into WAREHOUSE (timed, as a server's batches on deadline day); stop the workers and
# report the seconds and both peaks (MB). Peaks are each process's own VmHWM: getrusage's ru_maxrss carries a parent's
# peak over into its children across fork and exec, so this script (a child of the benchmark) and its workers would
# report the benchmark's own peak.
_INGEST_SCRIPT = """
import json, os, sys, time
from pathlib import Path
from benchmarks.common import peak_rss_mb
from pipeline.ingest import ingest_paths
from pipeline.sandbox import ParseWorkers, WorkerLimits, default_pool_size
warehouse, scratch, first, *folders = (Path(arg) for arg in sys.argv[1:])
workers = ParseWorkers(default_pool_size(), WorkerLimits())
ingest_paths([first], warehouse=scratch / "first.duckdb", raw_dir=scratch / "first_raw", workers=workers)
seconds = []
for folder in folders:
    start = time.perf_counter()
    ingest_paths([folder], warehouse=warehouse, raw_dir=scratch / "raw", workers=workers)
    seconds.append(time.perf_counter() - start)
worker_peak = workers.peak_rss_mb()
workers.close()
print(json.dumps({"seconds": seconds, "main": peak_rss_mb(os.getpid()), "worker": worker_peak}))
"""
BATCHES_AT_SCALE = 3


def _read_only(files: list[Path]) -> None:
    for path in files:
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
            for name in workbook.sheet_names:
                workbook.get_sheet_by_name(name).to_python()
        except Exception:  # noqa: BLE001 - broken demo files fail to read; reading them is still timed
            pass


def _in_fresh_process(warehouse: Path, scratch: Path, folders: list[Path]) -> dict:
    """_INGEST_SCRIPT's report for these folders (the first starts the workers, the others go into `warehouse`)."""
    scratch.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _INGEST_SCRIPT, str(warehouse), str(scratch), *map(str, folders)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _at_scale(demo_warehouse: Path, root: Path, name: str, folders: list[Path]) -> dict:
    """Seconds per batch (folders[1:] one after another) into a synthetic warehouse `name` times the demo's, built from
    `demo_warehouse`, and the peaks of that process and of its workers."""
    unit_copies, year_copies = SCALES[name]
    target = root / f"synthetic_{name}.duckdb"
    build_synthetic_warehouse(demo_warehouse, target, unit_copies=unit_copies, year_copies=year_copies)
    return _in_fresh_process(target, root / f"scale_{name}", folders)


def run() -> dict:
    rounds = int(os.environ.get("BENCH_INGEST_ROUNDS", "9"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Every round reads returns it has never seen (the demo built from another seed: the same template, other
        # figures), as a server's batches are: a cache keyed by what a file holds only helps where real returns
        # share it too (the template's own parts), never by meeting the same file again. Set 0 warms up.
        batches = []
        for number in range(2 * rounds + 1):  # the warm-up's, then each series' own
            generate(root / f"returns{number}", seed=DEFAULT_SEED + number)
            batches.append(collect_files([root / f"returns{number}"]))
        workers = ParseWorkers(default_pool_size(), WorkerLimits())  # as the server and the CLI size it
        try:
            count = iter(range(1000))
            cpu: dict[str, list[float]] = {"main": [], "workers": []}
            batch = {"files": batches[0]}
            upcoming = iter(batches[1 : rounds + 1])

            def ingest_once() -> None:
                n = next(count)
                main_before, workers_before = time.process_time(), workers.cpu_seconds()
                ingest_paths(batch["files"], warehouse=root / f"wh{n}.duckdb", raw_dir=root / f"raw{n}",
                             workers=workers)  # fmt: skip
                cpu["main"].append(time.process_time() - main_before)
                cpu["workers"].append(workers.cpu_seconds() - workers_before)

            def read_next_batch() -> None:  # the round's floor: calamine alone over the batch its ingest will load
                batch["files"] = next(upcoming)
                _read_only(batch["files"])

            ingest_once()  # warm: workers started, modules imported, as in a running server or a long CLI batch
            timings = interleaved(read_next_batch, {"ingest": ingest_once}, rounds)
            again_s = timed(lambda: ingest_paths(batch["files"], warehouse=root / f"wh{rounds}.duckdb",
                                                 raw_dir=root / f"raw{rounds}", workers=workers))  # fmt: skip
            # The second series: every batch into one warehouse and archive, which hold the warm-up batch at first.
            shared = {"warehouse": root / "shared.duckdb", "raw_dir": root / "shared_raw"}
            ingest_paths(batches[0], workers=workers, **shared)
            upcoming = iter(batches[rounds + 1 :])
            into_existing = interleaved(
                read_next_batch, {"ingest": lambda: ingest_paths(batch["files"], workers=workers, **shared)}, rounds
            )
        finally:
            workers.close()
        files = batches[0]
        peaks = _in_fresh_process(root / "unused.duckdb", root / "peak", [root / "returns0"])  # one folder, no more
        # wh0 holds the demo (the default seed's returns, loaded by the warm-up): the synthetic warehouses copy it.
        scaled = {
            name: _at_scale(
                root / "wh0.duckdb", root, name, [root / f"returns{n}" for n in range(BATCHES_AT_SCALE + 1)]
            )
            for name in ("10x", "100x")
        }
    floors, ratios = timings[""], timings["ingest"]
    ingest_s = [ratio * floor for ratio, floor in zip(ratios, floors, strict=True)]
    existing_s = [ratio * floor for ratio, floor in zip(into_existing["ingest"], into_existing[""], strict=True)]
    figures = {
        "ingest_overhead_ratio": spread(ratios),
        "ingest_into_existing_ratio": spread(into_existing["ingest"]),
        "ingest_into_existing_s": spread(existing_s, 3),
        "ingest_peak_rss_mb": round(peaks["main"], 1),
        "ingest_worker_peak_rss_mb": round(peaks["worker"], 1),
        "files": len(files),
        "rounds": rounds,
        "calamine_read_s": spread(floors, 3),
        "ingest_s": spread(ingest_s, 3),
        "files_per_s": round(len(files) / min(ingest_s), 1),
        "reingest_unchanged_s": round(again_s, 3),
        # Where an ingest's time goes: CPU of this process (all its threads) and of the parse workers, per ingest
        # (the warm-up round left out); with 2 cores, their sum over 2 is about the least wall time possible.
        "ingest_main_cpu_s": spread(cpu["main"][1:], 3),
        "ingest_workers_cpu_s": spread(cpu["workers"][1:], 3),
        "this_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    for name, measured in scaled.items():  # batches into warehouses 10× and 100× the demo's, one after another
        figures[f"ingest_s_{name}"] = spread(measured["seconds"], 3)
        figures[f"ingest_peak_rss_mb_{name}"] = round(measured["main"], 1)
        figures[f"ingest_worker_peak_rss_mb_{name}"] = round(measured["worker"], 1)
    record("ingest", figures)
    ratio, existing = figures["ingest_overhead_ratio"], figures["ingest_into_existing_ratio"]
    print(
        f"装载基准：{len(files)} 个演示文件，完整装载中位 {figures['ingest_s']['median']} 秒"
        f"（最快 {figures['files_per_s']} 个/秒）；仅用 calamine 读取中位 {figures['calamine_read_s']['median']} 秒；"
        f"开销比中位 {ratio['median']}×（{ratio['min']}–{ratio['max']}，目标 ≤ 4×）；装入已有前几批的仓库时开销比中位"
        f" {existing['median']}×（{existing['min']}–{existing['max']}）；CPU 时间中位：主进程"
        f" {figures['ingest_main_cpu_s']['median']} 秒，解析工作进程 {figures['ingest_workers_cpu_s']['median']} 秒；"
        f"同一批再装一次（全部未变化）"
        f" {figures['reingest_unchanged_s']} 秒；内存峰值：主进程 {figures['ingest_peak_rss_mb']} MB，"
        f"解析工作进程 {figures['ingest_worker_peak_rss_mb']} MB；逐批装入 10 倍、100 倍规模的仓库：每批中位"
        f" {figures['ingest_s_10x']['median']} 秒、{figures['ingest_s_100x']['median']} 秒，主进程内存峰值"
        f" {figures['ingest_peak_rss_mb_10x']} MB、{figures['ingest_peak_rss_mb_100x']} MB"
    )
    return figures
