"""A batch inserts the files decided so far while later ones are still being read; it still commits once, so what
lands, and what a failure or an interrupt leaves, is what a batch written at its end would give."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import pipeline.ingest as ingest_module
import pipeline.load as load_module
from pipeline.ingest import BatchInterrupted, ingest_paths

WRITTEN_AT_THE_END = 10**6


def _files(demo_manifest, demo_returns, *, year: int, outcome: str, count: int) -> list[Path]:
    entries = [f for f in demo_manifest["files"] if f["expected_outcome"] == outcome and f["year"] == year]
    assert len(entries) >= count
    return [demo_returns / entry["file"] for entry in entries[:count]]


def _folder(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, folder / path.name)
    return folder


def _contents(warehouse: Path, raw_dir: Path) -> dict[str, list[tuple]]:
    """Everything a batch writes, with the archive folder taken out of raw paths (the two runs use their own)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "submissions": con.execute(
                "SELECT submission_id, sha256, file_name, unit_code, return_code, year, received_at, status, "
                "error_count, warning_count, replace(raw_path, $raw, '') FROM submissions ORDER BY submission_id",
                {"raw": str(raw_dir)},
            ).fetchall(),
            "issues": con.execute("SELECT * FROM submission_issues ORDER BY submission_id, seq").fetchall(),
            "values": con.execute("SELECT * FROM raw_values ORDER BY ALL").fetchall(),
            "current": con.execute(
                "SELECT submission_id, is_current FROM submission_history ORDER BY submission_id"
            ).fetchall(),
            "sequence": con.execute(
                "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'submission_id_seq'"
            ).fetchall(),
        }


def _summary(results) -> list[tuple]:
    return [(r.file_name, r.status, r.submission_id, r.superseded_id, r.message) for r in results]


def test_rows_inserted_while_reading_are_the_rows_a_batch_written_at_its_end_would_give(
    monkeypatch, tmp_path, demo_manifest, demo_returns
):
    """Two batches into one warehouse (the second read in place, with a correction that supersedes a file of the
    same batch, a resent file and rejected files), once inserting every two files and once all at the end."""
    first = _folder(_files(demo_manifest, demo_returns, year=2023, outcome="accepted", count=5), tmp_path / "first")
    correction = next(f for f in demo_manifest["files"] if f["version"] == 2)
    second_files = [
        *_files(demo_manifest, demo_returns, year=2024, outcome="accepted", count=6),
        *_files(demo_manifest, demo_returns, year=2024, outcome="rejected", count=2),
        demo_returns / correction["supersedes"],
        demo_returns / correction["file"],
    ]
    second = _folder(second_files, tmp_path / "second")
    inserts: list[int] = []
    real_insert = load_module.BatchWriter.insert

    def counted(writer, planned):
        inserts.append(len(planned))
        real_insert(writer, planned)

    monkeypatch.setattr(load_module.BatchWriter, "insert", counted)
    outcomes = {}
    for label, every in (("early", 2), ("at the end", WRITTEN_AT_THE_END)):
        monkeypatch.setattr(ingest_module, "_INSERT_AT_LEAST", every)
        inserts.clear()
        warehouse, raw = tmp_path / f"{label}.duckdb", tmp_path / f"raw {label}"
        results = [*ingest_paths([first], warehouse=warehouse, raw_dir=raw)]
        inserts.clear()  # a new warehouse takes inserts only once it is created: how many depends on timing
        results += ingest_paths([second, first / sorted(p.name for p in first.iterdir())[0]], warehouse=warehouse,
                                raw_dir=raw)  # fmt: skip
        outcomes[label] = (_summary(results), _contents(warehouse, raw), list(inserts))
    early, at_end = outcomes["early"], outcomes["at the end"]
    # Rows really went in while later files were read, in inserts that shrink towards the end …
    assert len(early[2]) >= 3 and early[2][0] > early[2][-1] and sum(early[2]) == sum(at_end[2])
    assert len(at_end[2]) == 1  # … and in one insert otherwise
    assert early[0] == at_end[0]
    assert early[1] == at_end[1]
    statuses = [status for _, status, *_ in early[0]]
    assert statuses.count("rejected") == 2 and statuses[-1] == "unchanged"
    assert any(not current for _, current in early[1]["current"])  # the correction and its first version met


def test_a_failed_insert_in_the_middle_of_a_batch_keeps_none_of_it(monkeypatch, tmp_path, demo_manifest, demo_returns):
    before = _folder(_files(demo_manifest, demo_returns, year=2023, outcome="accepted", count=2), tmp_path / "before")
    batch = _folder(_files(demo_manifest, demo_returns, year=2024, outcome="accepted", count=6), tmp_path / "batch")
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    ingest_paths([before], warehouse=warehouse, raw_dir=raw)
    kept = _contents(warehouse, raw)
    monkeypatch.setattr(ingest_module, "_INSERT_AT_LEAST", 2)
    real_insert, calls = load_module.BatchWriter.insert, []

    def fail_second(writer, planned):
        calls.append(len(planned))
        if len(calls) == 2:
            raise OSError("disk full")
        real_insert(writer, planned)

    monkeypatch.setattr(load_module.BatchWriter, "insert", fail_second)
    with pytest.raises(OSError):
        ingest_paths([batch], warehouse=warehouse, raw_dir=raw)
    assert calls == [3, 2]  # the first files were inserted before the failure, and are gone with the batch
    assert _contents(warehouse, raw) == kept
    assert not list(tmp_path.glob("w.duckdb.writing-*"))
    monkeypatch.undo()
    assert [r.status for r in ingest_paths([batch], warehouse=warehouse, raw_dir=raw)] == ["accepted"] * 6


def test_ctrl_c_after_rows_went_in_keeps_exactly_the_files_finished(monkeypatch, tmp_path, demo_manifest, demo_returns):
    batch = _folder(_files(demo_manifest, demo_returns, year=2024, outcome="accepted", count=6), tmp_path / "batch")
    monkeypatch.setattr(ingest_module, "_INSERT_AT_LEAST", 1)
    seen = []

    def interrupt_after_four(result):
        seen.append(result.file_name)
        if len(seen) == 4:
            raise KeyboardInterrupt

    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(BatchInterrupted) as caught:
        ingest_paths([batch], warehouse=warehouse, raw_dir=tmp_path / "raw", on_result=interrupt_after_four)
    names = sorted(p.name for p in batch.iterdir())
    assert [r.file_name for r in caught.value.results] == names[:4]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert sorted(r[0] for r in con.execute("SELECT file_name FROM submissions").fetchall()) == names[:4]
        assert con.execute("SELECT count(DISTINCT submission_id) FROM raw_values").fetchone() == (4,)
