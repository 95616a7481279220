"""The collector's pace while a batch is under way (pipeline/collector.py): slower during the batch, the server's own
pace back afterwards, also when batches overlap, finish out of order, or fail."""

from __future__ import annotations

import gc
import shutil
import threading

import pytest

from pipeline import collector
from pipeline.collector import BATCH_THRESHOLDS, paced_for_batch
from pipeline.ingest import ingest_paths
from pipeline.sandbox_worker import GC_THRESHOLDS

SERVER_PACE = (700, 10, 10)


@pytest.fixture(autouse=True)
def server_pace():
    before = gc.get_threshold()
    gc.set_threshold(*SERVER_PACE)
    yield
    gc.set_threshold(*before)


def test_a_batch_runs_at_the_batch_pace_and_puts_the_servers_back(tmp_path, demo_manifest, demo_returns):
    entries = [f for f in demo_manifest["files"] if f["expected_outcome"] == "accepted"][:3]
    batch = tmp_path / "batch"
    batch.mkdir()
    for entry in entries:
        shutil.copy2(demo_returns / entry["file"], batch)
    during = []
    results = ingest_paths(
        [batch], warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw",
        on_result=lambda _result: during.append(gc.get_threshold()),
    )  # fmt: skip
    assert [r.status for r in results] == ["accepted"] * 3
    assert during == [BATCH_THRESHOLDS] * 3
    assert gc.get_threshold() == SERVER_PACE


def test_a_failed_batch_puts_the_servers_pace_back(tmp_path, demo_manifest, demo_returns):
    entry = next(f for f in demo_manifest["files"] if f["expected_outcome"] == "accepted")
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy2(demo_returns / entry["file"], batch)

    def fail(_result):
        raise RuntimeError("the caller's own failure")

    with pytest.raises(RuntimeError):
        ingest_paths([batch], warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw", on_result=fail)
    assert gc.get_threshold() == SERVER_PACE
    assert collector._batches_under_way == 0


def test_overlapping_batches_finishing_out_of_order_put_back_the_pace_found_before_the_first():
    first_started, second_started, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with paced_for_batch():
            first_started.set()
            second_started.wait(10)
            first_may_end.wait(10)
        seen["after first"] = gc.get_threshold()

    thread = threading.Thread(target=first)
    thread.start()
    first_started.wait(10)
    with paced_for_batch():  # starts while the first runs, and ends first
        second_started.set()
        seen["during both"] = gc.get_threshold()
    seen["first still running"] = gc.get_threshold()
    first_may_end.set()
    thread.join(10)
    assert seen == {
        "during both": BATCH_THRESHOLDS,
        "first still running": BATCH_THRESHOLDS,  # the second's end does not cut the first's pace short
        "after first": SERVER_PACE,  # not the batch pace the second found when it started
    }


def test_the_workers_run_at_the_batch_pace():
    assert GC_THRESHOLDS == BATCH_THRESHOLDS
    assert BATCH_THRESHOLDS[0] > SERVER_PACE[0]
