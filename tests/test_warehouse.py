import fcntl
import hashlib
import os
import select
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline import settings, warehouse
from pipeline.catalog import CatalogError, load_catalog
from pipeline.load import load_validated
from pipeline.reference import load_reference
from pipeline.validated import ValidatedReturn, ValueRow
from pipeline.warehouse import (
    DEFAULT_WAREHOUSE,
    ReaderCache,
    ensure_schema,
    lock_path,
    open_reader,
    sync_catalog,
    version_token,
    warehouse_path,
    writer,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
RECEIVED = datetime(2024, 1, 20, 9, 30)

# Builds the same kind of return in a child process; argv: warehouse path, sha256 character.
CHILD_PRELUDE = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from pipeline.load import load_validated
    from pipeline.validated import ValidatedReturn, ValueRow
    from pipeline.warehouse import writer

    def one_return(sha_char, unit):
        values = (ValueRow("m3_city_meetings", unit, 0, 2.0, None, None, None, "2", None, "填报表", "D7", None),)
        return ValidatedReturn("child.xlsx", sha_char * 64, "R1", 2023, unit, None, None, None, values, ())
    path = sys.argv[1]
    """
)

HOLD_WRITE_OPEN = CHILD_PRELUDE + textwrap.dedent(
    """
    with writer(path) as con:
        load_validated(con, one_return("b", "C02"), received_at=datetime(2024, 1, 21), raw_path="r")
        print("ready", flush=True)
        sys.stdin.readline()  # the parent reads the old version meanwhile
    print("swapped", flush=True)
    """
)

DIE_MID_LOAD = CHILD_PRELUDE + textwrap.dedent(
    """
    with writer(path) as con:
        load_validated(con, one_return("b", "C02"), received_at=datetime(2024, 1, 21), raw_path="r")
        con.execute("CHECKPOINT")  # the first file's work is on the copy's disk, not only in memory
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO submissions (sha256, file_name, unit_code, return_code, year, received_at, raw_path, "
            "status, error_count, warning_count, is_demo, loaded_at) VALUES "
            "('c', 'half.xlsx', 'C03', 'R1', 2023, now()::TIMESTAMP, 'r', 'accepted', 0, 0, false, now()::TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO raw_values (submission_id, indicator, entity_code, row_no, raw_text, sheet, cell) "
            "SELECT max(submission_id), 'm3_city_meetings', 'C03', 0, '1', '填报表', 'D7' FROM submissions"
        )
        print("ready", flush=True)
        time.sleep(600)
    """
)


def one_return(sha_char: str, unit: str = "C01", year: int = 2023, meetings: float = 2.0) -> ValidatedReturn:
    values = (ValueRow("m3_city_meetings", unit, 0, meetings, None, None, None, "2", None, "填报表", "D7", None),)
    return ValidatedReturn("r1.xlsx", sha_char * 64, "R1", year, unit, None, None, None, values, ())


def start_child(script: str, path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", script, str(path)], cwd=REPO_ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def read_line(process: subprocess.Popen, timeout: float = 60.0) -> str:
    """The child's next line; fails instead of hanging if the child dies or stalls."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "child process did not answer"
    line = process.stdout.readline().strip()
    if not line:
        pytest.fail(f"child process died: {process.stderr.read()}")
    return line


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def table_counts(path: Path) -> tuple[int, int, int]:
    con = open_reader(path)
    try:
        return tuple(
            count(con, f"SELECT count(*) FROM {t}") for t in ("submissions", "submission_issues", "raw_values")
        )
    finally:
        con.close()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name not in (path.name, lock_path(path).name))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


@pytest.fixture
def loaded(path: Path) -> Path:
    """A warehouse holding one accepted R1 return from C01."""
    with writer(path) as con:
        load_validated(con, one_return("a"), received_at=RECEIVED, raw_path="r")
    return path


# -- paths -------------------------------------------------------------------------------------------


def test_warehouse_path_defaults_to_data_dir_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIBATIAO_WAREHOUSE", raising=False)
    assert warehouse_path() == REPO_ROOT / "data" / "warehouse.duckdb" == DEFAULT_WAREHOUSE
    monkeypatch.setenv("SHIBATIAO_WAREHOUSE", "/tmp/other/wh.duckdb")
    assert warehouse_path() == Path("/tmp/other/wh.duckdb")
    assert lock_path(DEFAULT_WAREHOUSE) == REPO_ROOT / "data" / "warehouse.lock"


def test_writer_uses_env_path_when_none_given(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIBATIAO_WAREHOUSE", str(path))
    with writer() as con:
        load_validated(con, one_return("a"), received_at=RECEIVED, raw_path="r")
    assert table_counts(path) == (1, 0, 1)


# -- writer ------------------------------------------------------------------------------------------


def test_writer_creates_a_fresh_warehouse_and_swaps_it_in(path: Path) -> None:
    with writer(path) as con:
        assert count(con, "SELECT count(*) FROM catalog_indicators") == 68
        assert count(con, "SELECT count(*) FROM catalog_measures") == 18
        assert not path.exists()  # nothing visible before the swap
    assert path.exists()
    assert leftovers(path) == []
    assert table_counts(path) == (0, 0, 0)


def test_each_write_cycle_publishes_a_new_version(loaded: Path) -> None:
    before = version_token(loaded)
    with writer(loaded) as con:
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert version_token(loaded) != before
    assert version_token(loaded) == (os.stat(loaded).st_ino, os.stat(loaded).st_mtime_ns)
    assert table_counts(loaded) == (2, 0, 2)


def test_version_token_of_a_missing_file(tmp_path: Path) -> None:
    assert version_token(tmp_path / "none.duckdb") == (0, 0)


def test_exception_in_writer_discards_the_copy(loaded: Path) -> None:
    before = file_hash(loaded)
    with pytest.raises(ValueError, match="boom"), writer(loaded) as con:
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
        raise ValueError("boom")
    assert file_hash(loaded) == before
    assert leftovers(loaded) == []
    assert table_counts(loaded) == (1, 0, 1)


def test_writer_fails_on_a_transaction_left_open(loaded: Path) -> None:
    before = file_hash(loaded)
    with pytest.raises(duckdb.Error), writer(loaded) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM raw_values")
    assert file_hash(loaded) == before
    assert leftovers(loaded) == []


# -- schema ------------------------------------------------------------------------------------------


def schema_snapshot(con: duckdb.DuckDBPyConnection) -> list:
    return con.execute(
        "SELECT 'table', table_name, sql FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT 'view', view_name, sql FROM duckdb_views() WHERE NOT internal "
        "UNION ALL SELECT 'sequence', sequence_name, sql FROM duckdb_sequences() ORDER BY 1, 2"
    ).fetchall()


def test_ensure_schema_twice_is_a_no_op() -> None:
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    con.execute(
        "INSERT INTO submissions (sha256, file_name, received_at, raw_path, status, error_count, warning_count, "
        "is_demo, loaded_at) VALUES ('x', 'f', TIMESTAMP '2024-01-01', 'r', 'rejected', 1, 0, false, "
        "TIMESTAMP '2024-01-01')"
    )
    first = schema_snapshot(con)
    ensure_schema(con)
    assert schema_snapshot(con) == first
    assert [name for kind, name, _ in first if kind == "view"] == [
        "current_submissions", "current_values", "submission_history"
    ]  # fmt: skip
    assert con.execute("SELECT submission_id, sha256 FROM submissions").fetchall() == [(1, "x")]
    assert count(con, "SELECT nextval('submission_id_seq')") == 2  # the sequence was not reset


def test_sql_files_run_in_name_order() -> None:
    names = [p.relative_to(warehouse.SQL_DIR).as_posix() for p in warehouse.sql_files()]
    assert names == [
        "schema.sql", "settings.sql", "views/10_submission_history.sql", "views/20_current_submissions.sql",
        "views/30_current_values.sql",
    ]  # fmt: skip


def insert_submission(con, submission_id, unit, year, return_code, status, received) -> None:
    con.execute(
        "INSERT INTO submissions VALUES ($id, $sha, 'f.xlsx', $unit, $ret, $year, NULL, NULL, NULL, $received, 'r', "
        "$status, 0, 0, false, $received)",
        {"id": submission_id, "sha": str(submission_id), "unit": unit, "ret": return_code, "year": year,
         "status": status, "received": received},
    )  # fmt: skip


def test_views_on_hand_built_submissions() -> None:
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    sync_catalog(con, load_catalog())
    jan, feb, mar = datetime(2024, 1, 10), datetime(2024, 2, 10), datetime(2024, 3, 10)
    insert_submission(con, 1, "C01", 2023, "R1", "accepted", jan)
    insert_submission(con, 2, "C01", 2023, "R1", "accepted_with_warnings", feb)
    insert_submission(con, 3, "C01", 2023, "R1", "rejected", mar)  # later, but rejected
    insert_submission(con, 4, "C02", 2023, "R1", "accepted", feb)
    insert_submission(con, 5, "C02", 2023, "R1", "accepted", feb)  # same time: the higher id wins
    insert_submission(con, 6, "C01", 2022, "R1", "accepted", jan)
    insert_submission(con, 7, None, None, None, "rejected", jan)
    insert_submission(con, 8, "C01", 2023, "R1", "accepted", datetime(2023, 12, 1))  # older than 1
    assert con.execute(
        "SELECT submission_id, is_current, superseded_by FROM submission_history ORDER BY submission_id"
    ).fetchall() == [
        (1, False, 2), (2, True, None), (3, False, None), (4, False, 5), (5, True, None), (6, True, None),
        (7, False, None), (8, False, 1),
    ]  # fmt: skip
    assert con.execute(
        "SELECT submission_id, unit_code, year, status FROM current_submissions ORDER BY submission_id"
    ).fetchall() == [
        (2, "C01", 2023, "accepted_with_warnings"),
        (5, "C02", 2023, "accepted"),
        (6, "C01", 2022, "accepted"),
    ]
    for submission_id, indicator in ((1, "m3_city_meetings"), (2, "m3_city_meetings"), (2, "m99_gone"),
                                     (3, "m3_city_meetings"), (5, "m17_x")):  # fmt: skip
        con.execute(
            "INSERT INTO raw_values (submission_id, indicator, entity_code, row_no, value_num, raw_text, sheet, cell) "
            "VALUES ($id, $indicator, 'C01', 0, $id, '', 's', 'D7')",
            {"id": submission_id, "indicator": indicator},
        )
    assert con.execute(
        "SELECT submission_id, indicator, measure, indicator_name, value_num FROM current_values ORDER BY 1, 2"
    ).fetchall() == [
        (2, "m3_city_meetings", 3, "市总工会召开研究产业工会工作专题会议次数", 2.0),
        (2, "m99_gone", 99, None, 2.0),  # not in the catalog: measure from the code prefix
        (5, "m17_x", 17, None, 5.0),
    ]


# -- readers -----------------------------------------------------------------------------------------


def test_open_reader_creates_an_empty_warehouse(path: Path) -> None:
    con = open_reader(path)
    assert count(con, "SELECT count(*) FROM current_values") == 0
    assert count(con, "SELECT count(*) FROM catalog_indicators") == 68
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM catalog_indicators")
    con.close()
    assert path.exists()
    assert leftovers(path) == []


def test_reader_cache_reopens_only_when_the_file_is_replaced(loaded: Path) -> None:
    cache = ReaderCache(loaded)
    old_cursor = cache.cursor()
    first_token = cache.token
    assert cache.cursor().execute("SELECT count(*) FROM submissions").fetchone() == (1,)
    assert cache.token == first_token == version_token(loaded)
    with writer(loaded) as con:
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert cache.cursor().execute("SELECT count(*) FROM submissions").fetchone() == (2,)
    assert cache.token == version_token(loaded) != first_token
    # A cursor taken before the swap keeps reading the version it started on.
    assert old_cursor.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
    cache.close()


def test_reader_cache_serves_cursors_to_many_threads(loaded: Path) -> None:
    cache = ReaderCache(loaded)

    def query(_: int) -> int:
        cursor = cache.cursor()
        try:
            return count(cursor, "SELECT count(*) FROM current_values")
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(query, range(40))) == [1] * 40
    cache.close()


# -- processes ---------------------------------------------------------------------------------------


def test_reader_and_writer_in_different_processes_at_the_same_time(loaded: Path) -> None:
    cache = ReaderCache(loaded)
    assert count(cache.cursor(), "SELECT count(*) FROM submissions") == 1
    child = start_child(HOLD_WRITE_OPEN, loaded)
    try:
        assert read_line(child) == "ready"
        # The writer holds its copy open read-write; the warehouse itself stays readable.
        reader = open_reader(loaded)
        assert count(reader, "SELECT count(*) FROM submissions") == 1
        assert count(cache.cursor(), "SELECT count(*) FROM submissions") == 1
        with open(lock_path(loaded), "a") as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # a second writer would wait
        child.stdin.write("go\n")
        child.stdin.flush()
        assert read_line(child) == "swapped"
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
    assert count(cache.cursor(), "SELECT count(*) FROM submissions") == 2
    assert cache.cursor().execute("SELECT unit_code FROM current_submissions ORDER BY 1").fetchall() == [
        ("C01",), ("C02",)
    ]  # fmt: skip
    assert count(reader, "SELECT count(*) FROM submissions") == 1  # the old snapshot, still consistent
    reader.close()
    cache.close()
    assert leftovers(loaded) == []


def test_kill_9_in_the_middle_of_a_load_leaves_the_warehouse_untouched(loaded: Path) -> None:
    before_hash, before_counts = file_hash(loaded), table_counts(loaded)
    child = start_child(DIE_MID_LOAD, loaded)
    try:
        assert read_line(child) == "ready"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert file_hash(loaded) == before_hash
    assert table_counts(loaded) == before_counts == (1, 0, 1)
    stale = f"{loaded.name}.writing-{child.pid}"
    assert stale in leftovers(loaded)

    with writer(loaded) as con:
        outcome = load_validated(con, one_return("d", unit="C04"), received_at=RECEIVED, raw_path="r")
    assert outcome.status == "accepted"
    assert leftovers(loaded) == []
    con = open_reader(loaded)
    assert con.execute("SELECT unit_code FROM submissions ORDER BY submission_id").fetchall() == [("C01",), ("C04",)]
    con.close()


def test_views_have_current_catalog_after_a_write(loaded: Path) -> None:
    con = open_reader(loaded)
    assert con.execute("SELECT number, short_name FROM catalog_measures WHERE number = 1").fetchall() == [
        (1, "全省产业工会工作会议每3年1次")
    ]
    assert con.execute(
        "SELECT code, measure, type, table_code, return_code, level FROM catalog_indicators "
        "WHERE code = 'm3_county_meeting_held'"
    ).fetchall() == [("m3_county_meeting_held", 3, "bool", "R1_COUNTY", "R1", "county")]
    con.close()


def test_filled_on_and_demo_flag_survive_the_swap(path: Path) -> None:
    demo = ValidatedReturn("d.xlsx", "e" * 64, "R1", 2023, "C01", "李四", "123", date(2024, 1, 2),
                           one_return("x").values, (), is_demo=True)  # fmt: skip
    with writer(path) as con:
        load_validated(con, demo, received_at=RECEIVED, raw_path="r")
    con = open_reader(path)
    assert con.execute("SELECT submitter, filled_on, is_demo FROM current_submissions").fetchall() == [
        ("李四", date(2024, 1, 2), True)
    ]
    assert con.execute("SELECT is_demo FROM current_values").fetchall() == [(True,)]
    con.close()


def test_a_writer_still_runs_when_saved_settings_no_longer_fit_the_catalog_files(tmp_path):
    """Settings saved against catalog files edited since (here: a 预警线 above the 达标线) must not lock the
    warehouse: the writer syncs the default catalog, and restoring the defaults makes the settings fit again."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse.writer(path) as con:
        con.execute(
            "INSERT INTO settings_versions (saved_at, author, reason, kind, summary, payload) "
            "VALUES (now(), 'admin', '旧版本', 'measure', '第5条', $payload)",
            {"payload": '{"measures": {"5": {"thresholds": {"amber": 0.99}}}}'},
        )
    reader = warehouse.open_reader(path)
    with pytest.raises(CatalogError, match="黄色阈值 0.99 高于绿色阈值 0.95"):
        load_reference(reader)
    reader.close()
    restored = settings.restore(0, author="admin", reason="默认文件已更新", warehouse=path)
    reader = warehouse.open_reader(path)
    try:
        assert restored.id == 2 and load_reference(reader).catalog.measure(5).rule.thresholds["amber"] == 0.85
        assert reader.execute("SELECT count(*) FROM catalog_measures").fetchone() == (18,)
    finally:
        reader.close()


# -- content token and quiet write cycles ---------------------------------------------------------------------------


def test_content_token_follows_the_content_not_the_file(loaded: Path, tmp_path: Path) -> None:
    assert warehouse.content_token(tmp_path / "none.duckdb") == "empty"
    first = warehouse.content_token(loaded)
    assert first.startswith("s1-1-v0-")  # one submission, the latest is number 1, default settings
    with writer(loaded):
        pass  # a swap that adds nothing
    assert warehouse.content_token(loaded) == first
    with writer(loaded) as con:
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert warehouse.content_token(loaded).startswith("s2-2-v0-")


def test_a_writer_that_may_skip_the_swap_keeps_the_file_when_nothing_was_added(loaded: Path) -> None:
    before, digest = version_token(loaded), file_hash(loaded)
    with writer(loaded, swap_unchanged=False) as con:
        con.execute("SELECT count(*) FROM submissions").fetchone()
    assert version_token(loaded) == before and file_hash(loaded) == digest
    assert leftovers(loaded) == []
    with writer(loaded, swap_unchanged=False) as con:
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert version_token(loaded) != before
    assert table_counts(loaded) == (2, 0, 2)


def test_schema_and_catalog_are_applied_again_only_when_they_changed(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    sync_catalog(con, load_catalog())
    con.execute("DROP VIEW current_values")  # stands in for a view the files would recreate
    con.execute("DELETE FROM catalog_measures WHERE number = 18")
    ensure_schema(con)  # same files: not re-run
    sync_catalog(con, load_catalog())  # same catalog rows: not rewritten
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'current_values'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM catalog_measures").fetchone() == (17,)
    con.execute("DELETE FROM warehouse_meta")  # as a warehouse written before the files changed
    ensure_schema(con)
    sync_catalog(con, load_catalog())
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'current_values'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM catalog_measures").fetchone() == (18,)
    con.close()


def test_a_write_session_reads_in_place_and_copies_only_to_write(loaded: Path, monkeypatch) -> None:
    import shutil

    copies = []
    real_copy = shutil.copyfile
    monkeypatch.setattr(shutil, "copyfile", lambda a, b: copies.append(b) or real_copy(a, b))
    before = version_token(loaded)
    with warehouse.write_session(loaded) as session:
        assert session.reader.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
    assert copies == [] and version_token(loaded) == before  # read only: never copied, never swapped
    with warehouse.write_session(loaded) as session:
        load_validated(session.connection(), one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert len(copies) == 1 and version_token(loaded) != before
    assert table_counts(loaded) == (2, 0, 2)
    with pytest.raises(ValueError, match="boom"), warehouse.write_session(loaded) as session:
        load_validated(session.connection(), one_return("c", unit="C03"), received_at=RECEIVED, raw_path="r")
        raise ValueError("boom")
    assert table_counts(loaded) == (2, 0, 2) and leftovers(loaded) == []


def test_a_cursor_opened_later_reads_the_version_the_warehouse_had_when_it_was_asked_for(demo_warehouse, tmp_path):
    import os
    import shutil

    from pipeline.warehouse import ReaderCache, open_reader

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    reader = ReaderCache(path)
    open_later = reader.opener()
    count = "select count(*) from current_values"
    before = reader.cursor().execute(count).fetchone()[0]
    assert before > 4000
    empty = tmp_path / "empty.duckdb"
    open_reader(empty).close()
    os.replace(empty, path)  # a writer lands a new version (here an empty one) by renaming it over the file
    assert reader.cursor().execute(count).fetchone()[0] == 0
    assert open_later().execute(count).fetchone()[0] == before


# -- the files' shared DuckDB instance ------------------------------------------------------------------------------


def attached_files() -> list[str]:
    """The files attached to the write cycles' shared instance now (none between cycles)."""
    instance = warehouse._FILES._instance
    if instance is None:
        return []
    cursor = instance.cursor()
    try:
        return [
            row[0] for row in cursor.execute("SELECT path FROM duckdb_databases() WHERE path IS NOT NULL").fetchall()
        ]
    finally:
        cursor.close()


def test_write_cycles_start_no_duckdb_instance_of_their_own_and_let_go_of_their_files(
    loaded: Path, monkeypatch
) -> None:
    started = []
    real_connect = duckdb.connect
    monkeypatch.setattr(warehouse.duckdb, "connect", lambda *a, **k: started.append(a) or real_connect(*a, **k))
    for sha, unit in (("b", "C02"), ("c", "C03")):
        with warehouse.write_session(loaded) as session:
            assert session.reader.execute("SELECT count(*) FROM submissions").fetchone()[0] >= 1
            load_validated(session.connection(), one_return(sha, unit=unit), received_at=RECEIVED, raw_path="r")
    assert warehouse.content_token(loaded).startswith("s3-3-")
    assert started == []  # the warehouse read in place, the copies and the token's read: all attached, none started
    assert attached_files() == []  # every file detached: renamed, removed or read by others freely
    assert table_counts(loaded) == (3, 0, 3) and leftovers(loaded) == []


def test_a_failed_write_cycle_detaches_its_copy_too(loaded: Path) -> None:
    with pytest.raises(duckdb.Error), writer(loaded) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM raw_values")
    assert attached_files() == [] and leftovers(loaded) == []
    with writer(loaded) as con:  # and the next writer of the same file attaches its copy again
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert table_counts(loaded) == (2, 0, 2)


def test_writers_of_two_warehouses_on_two_threads_each_land_whole(tmp_path: Path) -> None:
    def write(name: str) -> tuple[int, int, int]:
        target = tmp_path / f"{name}.duckdb"
        for n, sha in enumerate("abcd"):
            with writer(target) as con:
                load_validated(con, one_return(sha, unit=f"C0{n + 1}"), received_at=RECEIVED, raw_path="r")
        return table_counts(target)

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(write, ["one", "two"])) == [(4, 0, 4), (4, 0, 4)]
    assert attached_files() == []


class _InvalidatedInstance:
    """What DuckDB's instance becomes after a fatal error: every statement on it fails."""

    def cursor(self) -> "_InvalidatedInstance":
        return self

    def execute(self, *_: object) -> None:
        raise duckdb.FatalException("FATAL Error: database has been invalidated because of a previous fatal error")

    def close(self) -> None:
        pass


def test_an_instance_invalidated_by_a_fatal_error_is_replaced(loaded: Path, monkeypatch) -> None:
    files = warehouse._AttachedFiles()
    files._instance = _InvalidatedInstance()
    monkeypatch.setattr(warehouse, "_FILES", files)
    with writer(loaded) as con:  # would fail on every write cycle of this process if the instance were kept
        load_validated(con, one_return("b", unit="C02"), received_at=RECEIVED, raw_path="r")
    assert not isinstance(files._instance, _InvalidatedInstance)
    assert table_counts(loaded) == (2, 0, 2) and leftovers(loaded) == []


def test_a_content_token_read_when_the_instance_was_invalidated_meanwhile_is_read_again(loaded, monkeypatch) -> None:
    files = warehouse._AttachedFiles()
    monkeypatch.setattr(warehouse, "_FILES", files)
    real_version, failures = warehouse.content_version, []

    def invalidated_once(con: duckdb.DuckDBPyConnection) -> str:
        if not failures:  # another thread's fatal error invalidated the instance after this file was attached
            failures.append(files._instance)
            raise duckdb.FatalException("FATAL Error: database has been invalidated because of a previous fatal error")
        return real_version(con)

    monkeypatch.setattr(warehouse, "content_version", invalidated_once)
    assert warehouse.content_token(loaded).startswith("s1-1-")
    assert files._instance is not None and files._instance is not failures[0]  # read again on a new instance
    assert attached_files() == []
