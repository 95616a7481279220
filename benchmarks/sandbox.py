"""Parse-worker benchmark: what reading in a bounded worker process costs over reading in this process.

For the demo returns (valid and broken, the real mix of a batch): read_workbook called here, one file after another
(the floor), against the same files through a warm pool of workers, one at a time and then read ahead in order
(what a batch does). The ratios are the figures; a worker's start-up (importing the parsers) is measured apart,
since it is paid once per pool, not per file.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

from benchmarks.common import best_of, record
from pipeline.demo.generate import generate
from pipeline.ingest import collect_files
from pipeline.issues import RejectedFile
from pipeline.read import read_workbook
from pipeline.sandbox import ParseWorkers, WorkerLimits


def _in_process(files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        with contextlib.suppress(RejectedFile):
            read_workbook(data, name)


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "returns")
        files = [(path.name, path.read_bytes()) for path in collect_files([root / "returns"])]
    floor_s, _ = best_of(lambda: _in_process(files))
    started = time.perf_counter()
    pool = ParseWorkers(2, WorkerLimits())
    pool.read(*reversed(files[0]))  # starts one worker
    startup_s = time.perf_counter() - started
    try:
        list(pool.read_in_order(files))  # both workers warm
        one_by_one_s, _ = best_of(lambda: [pool.read(data, name) for name, data in files])
        ahead_s, _ = best_of(lambda: list(pool.read_in_order(files)))
    finally:
        pool.close()
    figures = {
        "files": len(files),
        "in_process_read_s": round(floor_s, 3),
        "worker_read_one_by_one_s": round(one_by_one_s, 3),
        "worker_read_ahead_s": round(ahead_s, 3),
        "overhead_per_file_ms": round((one_by_one_s - floor_s) / len(files) * 1000, 2),
        "one_by_one_ratio": round(one_by_one_s / floor_s, 2),
        "read_ahead_ratio": round(ahead_s / floor_s, 2),
        "worker_startup_s": round(startup_s, 3),
    }
    record("sandbox", figures)
    print(
        f"工作进程基准：{figures['files']} 个文件，本进程读取 {figures['in_process_read_s']} 秒；"
        f"经工作进程逐个读取 {figures['worker_read_one_by_one_s']} 秒（{figures['one_by_one_ratio']}×，"
        f"每个文件多 {figures['overhead_per_file_ms']} 毫秒），两个进程预读 {figures['worker_read_ahead_s']} 秒"
        f"（{figures['read_ahead_ratio']}×）；启动一个工作进程 {figures['worker_startup_s']} 秒"
    )
    return figures
