"""The DuckDB warehouse and the one policy for connecting to it.

DuckDB allows one writing process per database file, and a read-write open excludes other processes'
read-only opens. So: **readers open ``data/warehouse.duckdb`` read-only; writers never write to it in
place.**

Writer (``writer()``):
  1. takes an exclusive ``fcntl.flock`` on ``data/warehouse.lock`` (writers queue; readers never lock);
  2. removes stale ``warehouse.duckdb.writing-*`` copies left by a writer that was killed;
  3. copies the warehouse to ``warehouse.duckdb.writing-<pid>``, or creates that file fresh when no
     warehouse exists yet, attaches it to the process's one DuckDB instance for files (``_AttachedFiles``),
     and brings its schema, views and catalog copy up to date;
  4. hands the connection to the caller, who writes in transactions of its own (ingest: a whole batch in one);
  5. CHECKPOINTs, detaches, fsyncs and ``os.replace``s the copy over the warehouse (atomic on POSIX),
     fsyncs the directory, and releases the lock.
  On an exception the copy is discarded and the exception re-raised. A crash (kill -9) at any point
  leaves the old warehouse untouched; the stale copy is removed by the next writer.

Readers (``open_reader()``, ``ReaderCache``) open the warehouse read-only. They notice a new version
by the file's (st_ino, st_mtime_ns), which ``os.replace`` always changes, and reopen. A read-only
connection is an in-memory DuckDB with the warehouse ATTACHed READ_ONLY, because ``duckdb.connect(path)``
caches one database instance per path per process: while any cursor on the old instance lived, a
reopen by path would silently return the old file. A DuckDB connection must not be shared across
threads, so callers take ``cursor()`` per query.

Never use ``duckdb.sql()`` (the hidden global database); always bound parameters.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.catalog import Catalog, CatalogError, load_catalog

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
WAREHOUSE_ENV = "SHIBATIAO_WAREHOUSE"
SQL_DIR = Path(__file__).resolve().parent / "sql"
ATTACHED_NAME = "warehouse"  # the catalog name read-only connections USE


def warehouse_path() -> Path:
    """The warehouse file: $SHIBATIAO_WAREHOUSE when set (tests use temporary paths), else data/warehouse.duckdb."""
    override = os.environ.get(WAREHOUSE_ENV)
    return Path(override) if override else DEFAULT_WAREHOUSE


def lock_path(path: Path) -> Path:
    """data/warehouse.duckdb -> data/warehouse.lock"""
    return path.with_suffix(".lock")


def _resolve(path: Path | str | None) -> Path:
    return Path(path).absolute() if path is not None else warehouse_path().absolute()


def warehouse_exists(path: Path | str | None = None) -> bool:
    """Whether the warehouse file is there (a writer creates it when it is not)."""
    return _resolve(path).exists()


def version_token(path: Path | str | None = None) -> tuple[int, int]:
    """(st_ino, st_mtime_ns) of the warehouse, (0, 0) when it does not exist: which file is there now. Readers
    reopen on it; caches of what the data says should key on content_token, which a swap that changed nothing
    leaves alone."""
    try:
        stat = os.stat(_resolve(path))
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)


# The content a reader's results depend on: the submissions (every write of a return adds one, and rows are never
# updated or deleted), the saved settings version in force and the schema (views) in the file. DuckDB-specific
# only in its SQL; a server database would answer the same question from the same tables.
_CONTENT_SQL = """
SELECT
    (SELECT count(*) FROM submissions) AS submissions,
    (SELECT coalesce(max(submission_id), 0) FROM submissions) AS latest_submission,
    (SELECT coalesce(max(id), 0) FROM settings_versions) AS settings_version,
    (SELECT coalesce(max(value), '') FROM warehouse_meta WHERE key = 'schema') AS schema
"""


def content_version(con: duckdb.DuckDBPyConnection) -> str:
    """A short token of the warehouse's content behind ``con`` (see _CONTENT_SQL); "empty" before any schema."""
    try:
        submissions, latest, settings, schema = con.execute(_CONTENT_SQL).fetchone()
    except duckdb.CatalogException:  # no schema yet (or one from before warehouse_meta): nothing cacheable to tell
        return "empty"
    return f"s{submissions}-{latest}-v{settings}-{schema[:8]}"


def _read_content_version(path: Path) -> str:
    """content_version of the file, read on the shared instance (_AttachedFiles); a second time, on a new instance,
    should a fatal error elsewhere in this process have invalidated that one meanwhile."""
    for attempt in (1, 2):
        con = _FILES.attach(path, read_only=True)
        failure: BaseException | None = None
        try:
            return content_version(con)
        except duckdb.FatalException as error:
            failure = error
            if attempt == 2:
                raise
        finally:
            _FILES.detach(con, failure)
    raise AssertionError("unreachable")


_CONTENT_TOKENS: dict[tuple[str, tuple[int, int]], str] = {}
_CONTENT_LOCK = threading.Lock()


def content_token(path: Path | str | None = None) -> str:
    """content_version of the warehouse file now, as a cache key: one os.stat while the file is the same, one
    read-only query after it was swapped. An ingest that changed nothing does not swap; a swap that changed
    nothing (a schema refresh) yields the same token, so caches keyed on it survive both."""
    target = _resolve(path)
    stat = version_token(target)
    if stat == (0, 0):
        return "empty"
    key = (str(target), stat)
    with _CONTENT_LOCK:
        known = _CONTENT_TOKENS.get(key)
    if known is not None:
        return known
    token = _read_content_version(target)
    if token == "empty":  # a file no writer of this version has touched yet: only its identity can tell versions
        token = f"file-{stat[0]}-{stat[1]}"
    with _CONTENT_LOCK:
        for stale in [k for k in _CONTENT_TOKENS if k[0] == key[0]]:
            del _CONTENT_TOKENS[stale]
        _CONTENT_TOKENS[key] = token
    return token


# --- schema -----------------------------------------------------------------------------------------


def sql_files() -> list[Path]:
    """schema.sql, the saved settings' table, then the views in file-name order (10_…, 20_…): later views build on
    earlier ones."""
    return [SQL_DIR / "schema.sql", SQL_DIR / "settings.sql", *sorted((SQL_DIR / "views").glob("*.sql"))]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT; ROLLBACK on any exception, which is re-raised."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        # A failed ROLLBACK must not hide the error that caused it.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# What the schema files and the catalog copy were when last applied, so a write cycle skips re-running them when
# nothing changed (about 0.1 s of every cycle).
_META_SQL = "CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    con.execute(_META_SQL)
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = $key", {"key": key}).fetchone()
    return row[0] if row else None


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ($key, $value)", {"key": key, "value": value})


def _schema_texts() -> tuple[list[str], str]:
    texts = [path.read_text(encoding="utf-8") for path in sql_files()]
    return texts, hashlib.sha256("\x00".join(texts).encode()).hexdigest()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and (re)create the views; idempotent, all or nothing; nothing to do when the schema files
    are the ones last applied to this warehouse."""
    texts, digest = _schema_texts()
    if _meta(con, "schema") == digest:
        return
    with transaction(con):
        for text in texts:
            con.execute(text)
        _set_meta(con, "schema", digest)


def sync_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Rewrite catalog_measures and catalog_indicators from the catalog in force (the files plus saved settings) so
    views can join on them; nothing to do when they already hold exactly these rows."""
    measures, indicators = _catalog_rows(catalog)
    digest = _catalog_digest(catalog)
    if _meta(con, "catalog") == digest:
        return
    # One bulk insert per table (executemany costs a statement per row: about 30 ms of a new warehouse).
    measure_rows = _columns(measures, ("number", "chapter", "short_name"))  # noqa: F841 - read by name below
    indicator_rows = _columns(  # noqa: F841 - read by name below
        indicators, ("code", "measure", "name", "unit", "type", "table_code", "return_code", "level")
    )
    with transaction(con):
        con.execute("DELETE FROM catalog_indicators")
        con.execute("DELETE FROM catalog_measures")
        con.execute("INSERT INTO catalog_measures SELECT * FROM measure_rows")
        con.execute("INSERT INTO catalog_indicators SELECT * FROM indicator_rows")
        _set_meta(con, "catalog", digest)


def _catalog_rows(catalog: Catalog) -> tuple[list[tuple], list[tuple]]:
    measures = [(m.number, m.chapter, m.short_name) for m in catalog.measures]
    indicators = [
        (i.code, i.measure, i.name, i.unit, i.type, i.table, i.return_code, i.level)
        for i in catalog.indicators.values()
    ]
    return measures, indicators


def _catalog_digest(catalog: Catalog) -> str:
    return hashlib.sha256(repr(_catalog_rows(catalog)).encode()).hexdigest()


def _columns(rows: list[tuple], names: tuple[str, ...]) -> pa.Table:
    """Rows as an Arrow table of the given column names, for one INSERT … SELECT."""
    return pa.table({name: [row[n] for row in rows] for n, name in enumerate(names)})


# --- writer -----------------------------------------------------------------------------------------


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """flock on the lock file; released by the kernel too when the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(path), "a") as handle:  # "a": create if missing, never truncate
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _copy_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.writing-{os.getpid()}")


def _remove_stale_copies(path: Path) -> None:
    """Only called under the lock, so every copy found belongs to a writer that died."""
    for stale in path.parent.glob(f"{glob.escape(path.name)}.writing-*"):  # also matches their .wal files
        stale.unlink(missing_ok=True)


def _discard(copy: Path) -> None:
    copy.unlink(missing_ok=True)
    Path(f"{copy}.wal").unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (the directory makes the rename itself durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _effective_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The catalog in force; the default one when the saved settings no longer fit the files in catalog/ (edited
    since), so that a writer can still run, and restore settings that fit."""
    from pipeline.reference import load_reference  # reference reads the settings this module's writer saves
    from pipeline.registry import RegistryError

    try:
        return load_reference(con).catalog
    except (CatalogError, RegistryError):
        log.exception("已保存的设置与 catalog/ 中的文件不再相容，本次写入按默认指标目录同步")
        return load_catalog()


# The private copy is never read by anyone else and becomes the warehouse only by the rename below, after this module
# fsyncs it: DuckDB's own fsyncs on every commit and checkpoint would only be repeated, so they are off (the copy of a
# writer that dies is discarded whole). Each commit checkpoints at once, so a batch's rows are written to the file
# once, not first to the log and again by the CHECKPOINT. A writer's statements are a batch's inserts and small
# catalog rewrites: one thread does them with less hand-over than two. (DuckDB settings are per database instance.)
_PRIVATE_COPY_CONFIG = {"fsync_mode": "NONE", "checkpoint_threshold": "0b", "threads": 1}


class _AttachedFiles:
    """One DuckDB database instance per process, which the files this module opens for one write cycle or one query
    are attached to: the private copies, a write session's read-only view of the warehouse, a content_token read.

    Why: starting a DuckDB instance costs ~22 ms of CPU (its built-in catalog) and closing one ~5 ms, attaching a file
    to a running one ~1 ms; a batch opened two (the warehouse to read, the copy to write), each stealing that time from
    the parse workers. Each file gets a name of its own (file_1, file_2, …) and its connection USEs it, so statements
    name tables as on a connection of their own; detach() closes the connection and detaches the file, after which the
    file may be renamed or removed. The instance's settings are _PRIVATE_COPY_CONFIG: right for the copies, and
    harmless for the short reads (one thread). The long-lived readers of the pages (ReaderCache) keep an instance per
    warehouse version, which lives on until the last cursor on it is gone.

    A fatal DuckDB error invalidates an instance and everything attached to it: the instance is then replaced, so one
    damaged copy cannot stop this process's later writers (the files still attached to the old one keep it until they
    are detached)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instance: duckdb.DuckDBPyConnection | None = None
        self._counter = 0
        self._names: dict[int, tuple[str, duckdb.DuckDBPyConnection]] = {}  # id(connection) -> (name, instance)

    def attach(self, path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        for attempt in (1, 2):
            with self._lock:
                if self._instance is None:
                    self._instance = duckdb.connect(":memory:", config=_PRIVATE_COPY_CONFIG)
                instance = self._instance
                self._counter += 1
                name = f"file_{self._counter}"
                con = instance.cursor()
            mode = " (READ_ONLY)" if read_only else ""
            try:
                con.execute(f"ATTACH $path AS {name}{mode}", {"path": str(path)})
                con.execute(f"USE {name}")
            except duckdb.FatalException:
                con.close()
                self._replace(instance)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                con.close()
                with contextlib.suppress(duckdb.Error):  # a failed ATTACH may have attached nothing
                    _detach_name(instance, name)
                raise
            with self._lock:
                self._names[id(con)] = (name, instance)
            return con
        raise AssertionError("unreachable")

    def name_of(self, con: duckdb.DuckDBPyConnection) -> str:
        return self._names[id(con)][0]

    def detach(self, con: duckdb.DuckDBPyConnection, error: BaseException | None = None) -> None:
        """Close the connection and detach its file. Never raises: an instance that cannot detach, or whose work on
        this file ended in a fatal error (`error`), is replaced."""
        with self._lock:
            name, instance = self._names.pop(id(con))
        if isinstance(error, duckdb.FatalException):
            self._replace(instance)
        with contextlib.suppress(duckdb.Error):
            con.close()  # rolls back a transaction left open, which would keep the file attached
        try:
            _detach_name(instance, name)
        except duckdb.Error:
            log.warning("DuckDB 无法释放文件 %s，改用新的数据库实例", name, exc_info=True)
            self._replace(instance)

    def _replace(self, instance: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            if self._instance is instance:
                self._instance = None  # freed by DuckDB once the last connection on it is closed


def _detach_name(instance: duckdb.DuckDBPyConnection, name: str) -> None:
    detaching = instance.cursor()
    try:
        detaching.execute(f"DETACH DATABASE IF EXISTS {name}")
    finally:
        detaching.close()


_FILES = _AttachedFiles()


@contextmanager
def _write_cycle(
    path: Path, catalog: Catalog | None, swap_unchanged: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Copy, write, swap. The caller holds the lock. With swap_unchanged False, a block that added no submission
    and saved no settings discards its copy: the warehouse file, and every cache keyed on it, stay as they were."""
    _remove_stale_copies(path)
    copy = _copy_path(path)
    existed = path.exists()
    if existed:
        shutil.copyfile(path, copy)
    else:
        copy.write_bytes(_new_warehouse_file(catalog))
    con = _FILES.attach(copy)
    try:
        ensure_schema(con)  # nothing to do on a copy whose schema and catalog are current (their digests match)
        sync_catalog(con, catalog if catalog is not None else _effective_catalog(con))
        before = content_version(con) if existed and not swap_unchanged else None  # only a kept file is compared
        yield con
        if before is not None and content_version(con) == before:
            _FILES.detach(con)
            _discard(copy)
            return
        con.execute(f"CHECKPOINT {_FILES.name_of(con)}")
    except BaseException as error:
        _FILES.detach(con, error)
        _discard(copy)
        raise
    _FILES.detach(con)
    fsync_path(copy)
    os.replace(copy, path)
    fsync_path(path.parent)


# A new warehouse's file as the schema and a catalog make it, kept per process: creating one (tables, views, catalog
# rows) costs DuckDB about 50 ms of CPU, copying it about 1 ms. Only a head start: the write cycle still runs
# ensure_schema and sync_catalog on the copy, which do nothing when its digests are current and the full work when
# the catalog files changed since.
_NEW_FILES: dict[tuple[str, str | None], bytes] = {}
_NEW_FILES_LOCK = threading.Lock()


def _new_warehouse_file(catalog: Catalog | None) -> bytes:
    key = (_schema_texts()[1], _catalog_digest(catalog) if catalog is not None else None)
    with _NEW_FILES_LOCK:
        made = _NEW_FILES.get(key)
        if made is None:
            with tempfile.TemporaryDirectory(prefix="warehouse-new-") as folder:
                file = Path(folder) / "new.duckdb"
                con = duckdb.connect(str(file))
                try:
                    ensure_schema(con)
                    sync_catalog(con, catalog if catalog is not None else _effective_catalog(con))
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
                made = file.read_bytes()
            _NEW_FILES.clear()  # one schema and catalog in use at a time: a stale file is not kept
            _NEW_FILES[key] = made
        return made


@contextmanager
def writer(
    path: Path | str | None = None, *, catalog: Catalog | None = None, swap_unchanged: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy of the warehouse, swapped in when the block ends.

    Blocks while another writer holds the lock. Not re-entrant: a nested writer on the same warehouse
    in the same process would wait for itself. ``catalog`` defaults to the catalog in force (catalog/measures.yaml
    with the settings saved in this warehouse). ``swap_unchanged=False`` (ingest) keeps the old file when the block
    added no submission and saved no settings (content_version unchanged); only a writer that writes nothing else
    may pass it.
    """
    target = _resolve(path)
    with _exclusive_lock(target), _write_cycle(target, catalog, swap_unchanged) as con:
        yield con


class WriteSession:
    """A writer that reads the warehouse in place and copies it only when there is something to write.

    ``reader`` reads the warehouse as it is (read-only, under the writers' lock, so nothing changes it meanwhile)
    for the whole session, also after ``connection()`` has opened the private copy (copy, schema, catalog: the
    usual write cycle) on its first call: what a writer has written but not committed is never read back as if it
    were the warehouse. When the session ends, a copy that was opened is swapped in; when none was, the warehouse
    file was never copied or touched. A warehouse whose schema is older than the files is copied at once and read
    through the copy (``reads_copy``). A warehouse that does not exist yet is created on a thread of its own
    (schema, views, catalog: the better part of 0.1 s, mostly DuckDB's own work) while ``reader`` is an empty
    in-memory database of the same schema, which holds exactly what the new file will: nothing.
    """

    def __init__(self, path: Path, stack: contextlib.ExitStack) -> None:
        self.path, self._stack = path, stack
        self._copy: duckdb.DuckDBPyConnection | None = None
        self._in_place: duckdb.DuckDBPyConnection | None = None
        self._creating: Future[duckdb.DuckDBPyConnection] | None = None
        self._blank: duckdb.DuckDBPyConnection | None = None
        if path.exists():
            self._in_place = _FILES.attach(path, read_only=True)
            if _stored_meta(self._in_place, "schema") != _schema_texts()[1]:
                _FILES.detach(self._in_place)
                self._in_place = None
        if self._in_place is not None:
            self.reader = self._in_place
        elif not path.exists():
            self._creating = _creator().submit(self._stack.enter_context, _write_cycle(self.path, None))
            self.reader = self._blank = _blank_reader()
        else:
            self.reader = self.connection()

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._copy is None:
            if self._creating is not None:
                creating, self._creating = self._creating, None
                self._copy = creating.result()
            else:
                self._copy = self._stack.enter_context(_write_cycle(self.path, None))
            if self._in_place is None and self._blank is None:
                self.reader = self._copy
        return self._copy

    @property
    def reads_copy(self) -> bool:
        """Whether `reader` is the private copy itself (a warehouse whose schema had to be brought up to date)."""
        return self._copy is not None and self.reader is self._copy

    def copy_ready(self) -> bool:
        """Whether connection() would return at once: the copy is open, or the new file's creation has finished, or
        the warehouse is read in place (then connection() copies it now)."""
        if self._copy is not None or self._in_place is not None:
            return True
        return self._creating is not None and self._creating.done()

    def close_reader(self) -> None:
        """Called when the session ends, before its write cycle does: a creation under way finishes first (an
        error in it is raised here), so the new file is swapped in even when nothing was written to it."""
        if self._in_place is not None:
            _FILES.detach(self._in_place)
            self._in_place = None
        if self._blank is not None:
            self._blank.close()
            self._blank = None
        if self._creating is not None:
            creating, self._creating = self._creating, None
            creating.result()


# The schema in an empty in-memory database, per schema version: what a new warehouse is read as while it is
# created. Only ever read (through cursors, one per session).
_BLANK: dict[str, duckdb.DuckDBPyConnection] = {}
_BLANK_LOCK = threading.Lock()
_CREATOR: ThreadPoolExecutor | None = None


def _blank_reader() -> duckdb.DuckDBPyConnection:
    digest = _schema_texts()[1]
    with _BLANK_LOCK:
        blank = _BLANK.get(digest)
        if blank is None:
            blank = duckdb.connect(":memory:")
            ensure_schema(blank)
            _BLANK.clear()
            _BLANK[digest] = blank
        return blank.cursor()


def _creator() -> ThreadPoolExecutor:
    """The threads new warehouses are created on (two writers of different files may create at once)."""
    global _CREATOR
    with _BLANK_LOCK:
        if _CREATOR is None:
            _CREATOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="warehouse-create")
        return _CREATOR


def _stored_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """warehouse_meta's value on a read-only connection (None before the table exists)."""
    try:
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = $key", {"key": key}).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


@contextmanager
def write_session(path: Path | str | None = None) -> Iterator[WriteSession]:
    """Lock, read in place, copy only to write (WriteSession). An exception discards any copy, as writer() does."""
    target = _resolve(path)
    with _exclusive_lock(target), contextlib.ExitStack() as stack:
        session = WriteSession(target, stack)
        try:
            yield session
        finally:
            session.close_reader()


# --- readers ----------------------------------------------------------------------------------------


def _create_if_missing(path: Path) -> None:
    """An empty warehouse, so pages show an empty state instead of an error."""
    if path.exists():
        return
    with _exclusive_lock(path):
        if path.exists():  # another process created it while we waited
            return
        with _write_cycle(path, None):
            pass


def _attach_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH $path AS {ATTACHED_NAME} (READ_ONLY)", {"path": str(path)})
        con.execute(f"USE {ATTACHED_NAME}")
    except BaseException:
        con.close()
        raise
    return con


def open_reader(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse as it is now (created empty if missing).

    Cursors taken from it must run ``USE warehouse`` first; ``ReaderCache.cursor()`` does that.
    """
    target = _resolve(path)
    _create_if_missing(target)
    return _attach_read_only(target)


def reader_beside(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection of its own on the file `con` reads, showing the same version: for an object that outlives
    its caller's connection (a status book, which reads a year at a time). A writer replaces the file by rename, so
    the new connection stays on the version it opened for as long as it lives. None when `con` is not a read-only
    connection on a file (a writer, an in-memory database) or the file has been replaced since `con` opened it."""
    found = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not found or not found[0] or not found[1] or not Path(found[0]).is_file():
        return None
    try:
        own = _attach_read_only(Path(found[0]))
    except duckdb.Error:
        return None
    # The same version: a batch landing between the two opens would otherwise mix newer figures with what the caller
    # read. Submissions are append-only, so their count and greatest id tell versions apart.
    fingerprint = "SELECT count(*), max(submission_id) FROM submissions"
    if own.execute(fingerprint).fetchone() != con.execute(fingerprint).fetchone():
        own.close()
        return None
    return own


class ReaderCache:
    """One cached read-only connection, reopened when the warehouse file has been replaced.

    Thread-safe: each ``cursor()`` is a separate DuckDB connection for one thread. A replaced
    connection is not closed, only dropped, so cursors already handed out finish their queries on the
    old version; DuckDB frees it when the last of them is gone.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = _resolve(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._token: tuple[int, int] | None = None

    def _current(self) -> duckdb.DuckDBPyConnection:
        _create_if_missing(self.path)
        # The token is read before opening: a swap in between costs one extra reopen, never a stale view.
        token = version_token(self.path)
        if self._con is None or token != self._token:
            self._con = _attach_read_only(self.path)
            self._token = token
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest version of the warehouse, for one query or one thread."""
        with self._lock:
            cursor = self._current().cursor()
        cursor.execute(f"USE {ATTACHED_NAME}")
        return cursor

    def opener(self) -> Callable[[], duckdb.DuckDBPyConnection]:
        """A function that opens a cursor later (on another thread, for a download built when it is clicked) on the
        version the warehouse has now, even if the file is replaced meanwhile."""
        with self._lock:
            con = self._current()

        def open_cursor() -> duckdb.DuckDBPyConnection:
            cursor = con.cursor()
            cursor.execute(f"USE {ATTACHED_NAME}")
            return cursor

        return open_cursor

    @property
    def token(self) -> tuple[int, int] | None:
        """The version the cached connection shows, None before the first cursor."""
        return self._token

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
            self._token = None
