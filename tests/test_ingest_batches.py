"""A batch's truthful ending (Ctrl-C keeps what was finished, and says so), received times that can be trusted, and
the archive of rejected originals within its quota."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline import cli_output
from pipeline.__main__ import main
from pipeline.ingest import BatchInterrupted, ReceivedTime, ingest_paths, trusted_received_time
from pipeline.raw_archive import prune_rejected

REPO = Path(__file__).resolve().parent.parent


def _accepted_files(demo_manifest, demo_returns, count: int, year: int = 2024) -> list[Path]:
    entries = [f for f in demo_manifest["files"] if f["expected_outcome"] == "accepted" and f["year"] == year]
    return [demo_returns / entry["file"] for entry in entries[:count]]


def _copy(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, folder / path.name)
    return folder


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- interrupts -----------------------------------------------------------------------------------------------------


def test_ctrl_c_keeps_the_files_finished_before_it(tmp_path, demo_manifest, demo_returns):
    batch = _copy(_accepted_files(demo_manifest, demo_returns, 5), tmp_path / "batch")
    seen = []

    def interrupt_after_two(result):
        seen.append(result.file_name)
        if len(seen) == 2:
            raise KeyboardInterrupt

    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(BatchInterrupted) as caught:
        ingest_paths([batch], warehouse=warehouse, raw_dir=tmp_path / "raw", on_result=interrupt_after_two)
    names = sorted(p.name for p in batch.iterdir())
    assert [r.file_name for r in caught.value.results] == names[:2]
    assert caught.value.remaining == names[2:]
    assert sorted(r[0] for r in _rows(warehouse, "SELECT file_name FROM submissions")) == names[:2]
    line = cli_output.interrupted_line(caught.value.results, caught.value.remaining)
    assert line.startswith("已中断：中断前处理完的 2 个文件已保存（其中装入 2 个）；未处理：")
    assert line.endswith("请重新运行该命令（已装入的文件会显示为“未变化”）。")


def test_the_cli_says_which_files_an_interrupt_left_out(capsys, monkeypatch, tmp_path, demo_manifest, demo_returns):
    batch = _copy(_accepted_files(demo_manifest, demo_returns, 3), tmp_path / "batch")
    calls = []

    def advance(self, result):
        calls.append(result)
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_output.Progress, "advance", advance)
    warehouse = tmp_path / "w.duckdb"
    code, out, err = _run(capsys, "--warehouse", str(warehouse), "ingest", str(batch), "--raw-dir", str(tmp_path / "r"))
    names = sorted(p.name for p in batch.iterdir())
    assert code == 130
    assert f"已中断：中断前处理完的 1 个文件已保存（其中装入 1 个）；未处理：{names[1]}、{names[2]}" in err
    assert _rows(warehouse, "SELECT file_name FROM submissions") == [(names[0],)]
    assert "共处理 1 个文件：已接收 1 个。" in out


def test_a_real_sigint_mid_batch_keeps_exactly_what_it_reports(tmp_path, demo_returns):
    warehouse = tmp_path / "w.duckdb"
    command = [sys.executable, "-m", "pipeline", "--warehouse", str(warehouse), "ingest", str(demo_returns),
               "--raw-dir", str(tmp_path / "raw")]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    progress, deadline = b"", time.monotonic() + 120
    # The progress bar (stderr) says how many files are done: interrupt once a few are, long before the end.
    while not re.search(rb"\b([3-9]|[1-9]\d)/121\b", progress) and time.monotonic() < deadline:
        chunk = os.read(process.stderr.fileno(), 4096)
        if not chunk:
            break
        progress += chunk
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    err = (progress + err).decode()
    assert process.returncode == 130, err
    kept = _rows(warehouse, "SELECT count(*) FROM submissions")[0][0]
    assert 3 <= kept < 121
    assert f"已中断：中断前处理完的 {kept} 个文件已保存" in err
    assert "Traceback" not in err


# -- received time --------------------------------------------------------------------------------------------------


def test_a_file_time_in_the_future_or_before_its_year_is_not_trusted():
    future = ReceivedTime(datetime(2099, 1, 1, 8, 0), from_file=True)
    moment, hint = trusted_received_time(future, 2024, "a.xlsx")
    assert abs((moment - datetime.now()).total_seconds()) < 60
    assert hint.code == "untrusted_received_time"
    assert hint.message.startswith("文件的修改时间 2099-01-01 08:00 晚于当前时间，不可信；接收时间按装载时间")
    early = ReceivedTime(datetime(2023, 12, 30, 9, 0), from_file=True)
    assert trusted_received_time(early, 2024, "a.xlsx")[1].message.startswith(
        "文件的修改时间 2023-12-30 09:00 早于报表年度（2024年）开始，不可信"
    )
    plausible = ReceivedTime(datetime(2025, 1, 20, 9, 0), from_file=True)
    assert trusted_received_time(plausible, 2024, "a.xlsx") == (datetime(2025, 1, 20, 9, 0), None)
    stated = ReceivedTime(datetime(2023, 12, 30, 9, 0))  # --received is a fact, whatever it says
    assert trusted_received_time(stated, 2024, "a.xlsx") == (datetime(2023, 12, 30, 9, 0), None)


def test_the_cli_records_the_load_time_for_a_file_dated_2099(capsys, tmp_path, demo_manifest, demo_returns):
    batch = _copy(_accepted_files(demo_manifest, demo_returns, 1), tmp_path / "batch")
    path = next(batch.iterdir())
    stamp = datetime(2099, 1, 1).timestamp()
    os.utime(path, (stamp, stamp))
    warehouse = tmp_path / "w.duckdb"
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "ingest", str(path), "--raw-dir", str(tmp_path / "r"))
    assert code == 0 and "已接收（有提示）" in out and "晚于当前时间，不可信" in out
    (received,) = _rows(warehouse, "SELECT received_at FROM submissions")[0]
    assert abs((received - datetime.now()).total_seconds()) < 120


def test_received_sets_the_time_and_a_file_that_does_not_become_current_says_so(
    capsys, tmp_path, demo_manifest, demo_returns
):
    entry = next(f for f in demo_manifest["files"] if f["version"] == 2)  # 宝鸡's correction and its first version
    correction, first = demo_returns / entry["file"], demo_returns / entry["supersedes"]
    warehouse, raw = tmp_path / "w.duckdb", str(tmp_path / "r")
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "ingest", str(correction), "--raw-dir", raw,
                        "--received", "2024-01-19 09:00")  # fmt: skip
    assert code == 0
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "ingest", str(first), "--raw-dir", raw,
                        "--received", "2024-01-12")  # fmt: skip
    assert code == 0
    assert f"文件“{first.name}”：已接收（有提示）" in out
    assert "本文件已接收，但同一单位同一年度同一报表已有更晚收到的版本，本文件只存档、不作为当前数据" in out
    assert _rows(warehouse, "SELECT file_name, received_at FROM submissions ORDER BY submission_id") == [
        (correction.name, datetime(2024, 1, 19, 9, 0)),
        (first.name, datetime(2024, 1, 12, 0, 0)),
    ]


def test_received_in_the_future_is_a_usage_error(capsys, tmp_path):
    later = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    code, _, err = _run(capsys, "ingest", str(tmp_path), "--received", later)
    assert code == 2 and "晚于当前时间" in err


# -- the archive of rejected originals -----------------------------------------------------------------------------


def _broken(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"坏文件{n}.xlsx").write_bytes(b"not a workbook " + bytes([n]) * 4000)
    return folder


def test_rejected_originals_are_kept_within_the_quota(monkeypatch, tmp_path):
    monkeypatch.setenv("REJECTED_ARCHIVE_QUOTA_MB", str(10_000 / 1024 / 1024))  # room for two 4 KB files
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    results = ingest_paths([_broken(tmp_path / "in", 3)], warehouse=warehouse, raw_dir=raw)
    assert [[i.code for i in r.issues] for r in results] == [
        ["not_excel"],
        ["not_excel"],
        ["not_excel", "archive_quota"],
    ]
    assert results[2].issues[1].message.startswith("被退回文件的原件存档已达 0 MB 上限，本文件的原件未存档")
    paths = [p for (p,) in _rows(warehouse, "SELECT raw_path FROM submissions ORDER BY submission_id")]
    assert [bool(p) and Path(p).is_file() for p in paths] == [True, True, False]
    assert len(list(raw.rglob("*.xlsx"))) == 2


def test_an_original_the_archive_held_before_is_never_removed_for_the_quota(monkeypatch, tmp_path):
    # A copy a failed batch left behind is kept and not counted; the same bytes under another name get their own.
    monkeypatch.setenv("REJECTED_ARCHIVE_QUOTA_MB", "0")
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    folder = _broken(tmp_path / "in", 2)
    held = []
    for file in sorted(folder.iterdir()):
        sha = hashlib.sha256(file.read_bytes()).hexdigest()
        held.append(raw / sha[:2] / f"{sha}.xlsx")
    held[0].parent.mkdir(parents=True)
    held[0].write_bytes((folder / "坏文件0.xlsx").read_bytes())
    results = ingest_paths([folder], warehouse=warehouse, raw_dir=raw)
    assert [[i.code for i in r.issues] for r in results] == [["not_excel"], ["not_excel", "archive_quota"]]
    assert held[0].read_bytes() == (folder / "坏文件0.xlsx").read_bytes() and not held[1].exists()


def test_prune_rejected_removes_only_old_rejected_originals(capsys, tmp_path, demo_manifest, demo_returns):
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    batch = _copy(_accepted_files(demo_manifest, demo_returns, 1), _broken(tmp_path / "in", 2))
    ingest_paths([batch], warehouse=warehouse, raw_dir=raw, received_at=datetime(2025, 1, 20))
    assert len(list(raw.rglob("*.xlsx"))) == 3
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "prune-rejected", "--older-than", "30", "--dry-run")
    assert code == 0 and "将删除 2 个被退回文件的原件" in out and len(list(raw.rglob("*.xlsx"))) == 3
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "prune-rejected", "--older-than", "30")
    assert code == 0 and "已删除 2 个被退回文件的原件，共 0.0 MB；报送记录保留。" in out
    remaining = list(raw.rglob("*.xlsx"))
    assert (
        len(remaining) == 1
        and remaining[0].read_bytes() == next(p for p in batch.iterdir() if not p.name.startswith("坏")).read_bytes()
    )
    assert _rows(warehouse, "SELECT count(*) FROM submissions") == [(3,)]  # the history stays
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert prune_rejected(con, 30).removed == ()  # nothing left to prune


# -- check and errors compare with last year too ---------------------------------------------------------------------


def test_check_tells_year_over_year_jumps_against_the_warehouse(
    capsys, tmp_path, demo_warehouse, demo_manifest, demo_returns
):
    entry = next(f for f in demo_manifest["files"] if "year_over_year_jump" in f["expected_warnings"])
    source = demo_returns / entry["file"]
    code, out, _ = _run(capsys, "--warehouse", str(demo_warehouse), "check", str(source))
    assert code == 0 and f"与上年（{entry['year'] - 1}年）相比由" in out
    code, out, _ = _run(capsys, "--warehouse", str(tmp_path / "无.duckdb"), "check", str(source))
    assert code == 0 and "与上年（" not in out
    assert not (tmp_path / "无.duckdb").exists()  # a check never creates a warehouse


# -- one transaction per batch --------------------------------------------------------------------------------------


def test_a_batch_that_changes_nothing_leaves_the_warehouse_file_and_its_token(tmp_path, demo_manifest, demo_returns):
    from pipeline.warehouse import content_token, version_token

    batch = _copy(_accepted_files(demo_manifest, demo_returns, 3), tmp_path / "batch")
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    ingest_paths([batch], warehouse=warehouse, raw_dir=raw)
    file_before, content_before = version_token(warehouse), content_token(warehouse)
    again = ingest_paths([batch], warehouse=warehouse, raw_dir=raw)
    assert [r.status for r in again] == ["unchanged"] * 3
    assert version_token(warehouse) == file_before  # not swapped: readers keep their connection and caches
    assert content_token(warehouse) == content_before
    assert not list(tmp_path.glob("w.duckdb.writing-*"))
    (tmp_path / "more").mkdir()
    shutil.copy2(_accepted_files(demo_manifest, demo_returns, 4)[3], tmp_path / "more")
    assert [r.status for r in ingest_paths([tmp_path / "more"], warehouse=warehouse, raw_dir=raw)] == ["accepted"]
    assert content_token(warehouse) != content_before


def test_a_failure_while_writing_the_batch_loads_none_of_it(monkeypatch, tmp_path, demo_manifest, demo_returns):
    import pipeline.ingest

    batch = _copy(_accepted_files(demo_manifest, demo_returns, 3), tmp_path / "batch")
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"
    ingest_paths([_copy(_accepted_files(demo_manifest, demo_returns, 1, year=2023), tmp_path / "first")],
                 warehouse=warehouse, raw_dir=raw)  # fmt: skip
    real_commit = pipeline.ingest.BatchWriter.commit

    def write_then_fail(writer, before_commit=None):
        real_commit(writer, before_commit)
        assert writer.con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 4  # all three were written …
        raise OSError("disk full")  # … and then the process fails before the swap

    monkeypatch.setattr(pipeline.ingest.BatchWriter, "commit", write_then_fail)
    with pytest.raises(OSError):
        ingest_paths([batch], warehouse=warehouse, raw_dir=raw)
    assert _rows(warehouse, "SELECT count(*) FROM submissions") == [(1,)]
    assert _rows(warehouse, "SELECT count(DISTINCT submission_id) FROM raw_values") == [(1,)]
    monkeypatch.undo()
    assert [r.status for r in ingest_paths([batch], warehouse=warehouse, raw_dir=raw)] == ["accepted"] * 3


def test_within_a_batch_the_same_bytes_are_unchanged_and_a_later_version_supersedes(
    tmp_path, demo_manifest, demo_returns
):
    entry = next(f for f in demo_manifest["files"] if f["version"] == 2)  # 宝鸡's correction and its first version
    correction, first = demo_returns / entry["file"], demo_returns / entry["supersedes"]
    data = first.read_bytes()
    results = ingest_uploads_in_order(
        tmp_path, [("第1版.xlsx", data), ("第1版再传.xlsx", data), ("更正.xlsx", correction.read_bytes())]
    )
    assert [r.status for r in results][1:] == ["unchanged", "accepted"]
    assert results[1].submission_id == results[0].submission_id
    assert results[1].message.startswith("“第1版再传.xlsx”与此前第1号报送（“第1版.xlsx”）完全相同")
    assert results[2].superseded_id == results[0].submission_id == 1 and results[2].submission_id == 2
    assert "替代此前第1号报送" in results[2].message
    rows = _rows(
        tmp_path / "w.duckdb", "SELECT submission_id, file_name, is_current FROM submission_history ORDER BY 1"
    )
    assert rows == [(1, "第1版.xlsx", False), (2, "更正.xlsx", True)]
    sequence = "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'submission_id_seq'"
    assert _rows(tmp_path / "w.duckdb", sequence) == [(2,)]  # the next submission is number 3


def ingest_uploads_in_order(tmp_path: Path, files: list[tuple[str, bytes]]):
    from pipeline.ingest import ingest_uploads

    return ingest_uploads(files, warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw")


# -- durability -----------------------------------------------------------------------------------------------------


def test_the_batch_commits_only_after_its_originals_are_durable(tmp_path, demo_manifest, demo_returns, monkeypatch):
    """The originals reach the disk while the last rows are inserted, and the commit waits for them: a warehouse
    never names an original that a power cut could still lose."""
    import pipeline.load as load_module

    events: list[str] = []
    made_durable: list[Path] = []
    real_durable = load_module.make_durable
    real_insert, real_commit = load_module.BatchWriter.insert, load_module.BatchWriter.commit

    def slow_durable(paths):
        events.append("sync begins")
        time.sleep(0.5)
        real_durable(paths)
        made_durable.extend(paths)
        events.append(f"sync done ({len(paths)} originals)")

    def watched_insert(writer, planned):
        events.append("inserts begin")
        real_insert(writer, planned)

    def watched_commit(writer, before_commit=None):
        def then():
            before_commit()
            events.append("about to commit")

        real_commit(writer, then)
        events.append("committed")

    monkeypatch.setattr(load_module, "make_durable", slow_durable)
    monkeypatch.setattr(load_module.BatchWriter, "insert", watched_insert)
    monkeypatch.setattr(load_module.BatchWriter, "commit", watched_commit)
    batch = _copy(_accepted_files(demo_manifest, demo_returns, 3), tmp_path / "batch")
    results = ingest_paths([batch], warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw")
    assert [r.status for r in results] == ["accepted"] * 3
    assert events.index("sync done (3 originals)") < events.index("about to commit") < events.index("committed")
    assert events.index("sync begins") < events.index("inserts begin") < events.index("sync done (3 originals)")
    assert sorted(made_durable) == sorted(p for p in (tmp_path / "raw").rglob("*") if p.is_file())
    assert _rows(tmp_path / "w.duckdb", "SELECT count(*) FROM submissions") == [(3,)]


def test_originals_are_made_durable_by_one_sync_of_their_file_system_or_an_fsync_each(tmp_path, monkeypatch):
    import pipeline.load as load_module

    (tmp_path / "a").mkdir()
    files = [tmp_path / "a" / "one.xlsx", tmp_path / "a" / "two.xlsx", tmp_path / "three.xlsx"]
    for path in files:
        path.write_bytes(b"PK original")
    synced: list[int] = []

    def syncfs(fd):
        synced.append(os.fstat(fd).st_dev)
        return 0

    monkeypatch.setattr(load_module, "_SYNCFS", syncfs)
    load_module.make_durable([*files, tmp_path / "dropped since.xlsx"])
    assert synced == [os.stat(tmp_path).st_dev]  # one sync for the one file system the three are on
    monkeypatch.setattr(load_module, "_SYNCFS", lambda fd: -1)
    with pytest.raises(OSError):  # a failed sync is never taken for a durable original
        load_module.make_durable(files)
    fsynced: list[Path] = []
    monkeypatch.setattr(load_module, "_SYNCFS", None)  # no syncfs in this C library: an fsync per file
    monkeypatch.setattr(load_module, "fsync_path", fsynced.append)
    load_module.make_durable(files)
    assert sorted(fsynced) == sorted(files)
    assert load_module._libc_syncfs() is not None  # Debian's C library has syncfs: the one-sync path is the real one
