"""Archive a submitted file and load validated returns into the warehouse: one file (load_validated) or a whole
batch (BatchLedger decides each file, BatchWriter writes them all), each in one transaction.

Nothing is updated or deleted: a resubmission is a new submission row, and the views in
pipeline/sql/views decide which submission is current. The same bytes are loaded once; loading them
again reports 'unchanged' and writes nothing, whatever the earlier outcome was.

Values go in through a registered pandas DataFrame and one INSERT … SELECT: measured on this machine
at about 24,000 values/s for a 100-value return and 120,000-350,000 values/s for 2,000-20,000 values,
against about 1,700 values/s with executemany.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from pipeline.issues import Issue
from pipeline.validated import ValueRow
from pipeline.warehouse import fsync_path, transaction

if TYPE_CHECKING:
    from pipeline.catalog import Catalog
    from pipeline.registry import Registry
    from pipeline.validated import ValidatedReturn

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
REJECTED = "rejected"
UNCHANGED = "unchanged"
STATUS_LABELS = {ACCEPTED: "已入库", ACCEPTED_WITH_WARNINGS: "已入库（有提示）", REJECTED: "未通过校验"}

# raw_values' columns after submission_id: a ValueRow's fields, in order (so a batch's rows transpose into columns).
VALUE_COLUMNS = ValueRow._fields
_SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


@dataclass(frozen=True)
class LoadOutcome:
    status: str  # 'accepted' | 'accepted_with_warnings' | 'rejected' | 'unchanged'
    submission_id: int | None  # the new row, or for 'unchanged' the earlier row with the same bytes
    superseded_id: int | None  # the previously current submission for the same key, if this one replaced it
    message: str  # Chinese one-liner for the CLI and the upload page
    is_current: bool = True  # False for an accepted file that a later-received version keeps from being current


@dataclass(frozen=True)
class _Submission:
    """One row of the submissions table, before it has an id."""

    sha256: str
    file_name: str
    unit_code: str | None
    return_code: str | None
    year: int | None
    submitter: str | None
    phone: str | None
    filled_on: date | None
    received_at: datetime
    raw_path: str
    status: str
    error_count: int
    warning_count: int
    is_demo: bool


# --- archive ----------------------------------------------------------------------------------------


def archive_original(
    data: bytes, raw_dir: Path, original_name: str, *, durable: bool = True, sha256: str | None = None
) -> tuple[Path, bool]:
    """Keep the submitted bytes at <raw_dir>/<sha[:2]>/<sha256><ext>; atomic and idempotent. Returns the path and
    whether this call wrote the file (False: the same bytes were there already, so the copy is not this call's to
    remove). One stat tells, whatever the folder holds (a listing would cost more with every original kept).

    Called before anything else, so every outcome (even a crash while loading) has its original on disk. A batch
    passes durable=False and makes its new originals durable together before it commits (make_durable).
    """
    sha = sha256 or hashlib.sha256(data).hexdigest()  # a caller that has hashed the bytes passes the digest
    extension = Path(original_name).suffix.lower()
    if not _SAFE_EXTENSION.fullmatch(extension):  # the name comes from the submitter
        extension = ""
    folder = os.path.join(raw_dir, sha[:2])
    target = os.path.join(folder, f"{sha}{extension}")
    try:
        if os.stat(target).st_size == len(data):
            return Path(target), False
    except FileNotFoundError:
        pass
    temporary = os.path.join(folder, f".{sha}{extension}.tmp-{os.getpid()}")
    # os.open and os.write rather than open(): a buffered file object costs more system calls (fstat, ioctl,
    # lseek) and objects per original, and an original is written whole at once anyway.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    try:
        try:
            descriptor = os.open(temporary, flags, 0o666)
        except FileNotFoundError:  # the first original in this folder (one stat and one open otherwise)
            os.makedirs(folder, exist_ok=True)
            descriptor = os.open(temporary, flags, 0o666)
        try:
            unwritten = memoryview(data)
            while unwritten:  # a regular file takes it in one write but for a full disk or a signal
                unwritten = unwritten[os.write(descriptor, unwritten) :]
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):  # once replaced there is nothing left to remove
            os.unlink(temporary)
        raise
    return Path(target), True


def _libc_syncfs() -> Callable[[int], int] | None:
    """syncfs(2) from the C library (Linux); None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_int], ctypes.c_int
    return function


_SYNCFS = _libc_syncfs()


def make_durable(paths: Sequence[Path]) -> None:
    """Bring files written with durable=False to the disk, their directory entries with them.

    One syncfs(2) per file system they are on: a single journal commit for the whole batch (121 originals: about
    2 ms and under 1 ms of CPU on this machine, where an fsync per file, even sixteen at a time, cost 13-25 ms of
    CPU). It also writes whatever else on that file system is waiting, which an fsync per file would have made wait
    as well in ext4's ordered mode. Where syncfs is missing, an fsync per file, several at once (concurrent fsyncs
    share the journal's commits: 120 files took 0.33 s one after another, 0.015-0.03 s from 16 threads).
    """
    existing = [path for path in paths if path.is_file()]
    if not existing:
        return
    if _SYNCFS is None:
        with ThreadPoolExecutor(max_workers=min(16, len(existing)), thread_name_prefix="fsync") as pool:
            list(pool.map(fsync_path, existing))
        return
    one_per_device = {os.stat(path).st_dev: path for path in existing}
    for path in one_per_device.values():
        fd = os.open(path, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:
                error = ctypes.get_errno()
                raise OSError(error, os.strerror(error), str(path))
        finally:
            os.close(fd)


class DurableOriginals:
    """make_durable on a thread of its own, so a batch's originals reach the disk while its last rows are inserted;
    wait() returns once they have (and raises if they could not)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._done: Future[None] | None = None

    def start(self, paths: Sequence[Path]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="durable")
        self._done = self._pool.submit(make_durable, list(paths))

    def wait(self) -> None:
        if self._done is not None:
            self._done.result()

    def close(self) -> None:
        """Wait for a sync under way (an error is for wait() to raise) and stop the thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


# --- load -------------------------------------------------------------------------------------------


def load_validated(
    con: duckdb.DuckDBPyConnection,
    validated: ValidatedReturn,
    *,
    received_at: datetime,
    raw_path: str,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> LoadOutcome:
    """Submission row, its issues and (unless rejected) its values, in one transaction. The outcome's message names
    the unit and the return by `registry` and `catalog`; when not given, by those in force in the warehouse `con`
    writes (saved settings may rename or add units)."""
    if catalog is None or registry is None:
        from pipeline.reference import load_reference  # imported here: the rest of this module does not need it

        in_force = load_reference(con)
        catalog = in_force.catalog if catalog is None else catalog
        registry = in_force.registry if registry is None else registry
    row = _submission_row(validated, received_at=received_at, raw_path=raw_path)
    return _load(con, row, validated.issues, validated.values, (catalog, registry))


def record_rejected_file(
    con: duckdb.DuckDBPyConnection,
    *,
    file_name: str,
    sha256: str,
    issues: Sequence[Issue],
    received_at: datetime,
    raw_path: str,
) -> LoadOutcome:
    """A file that could not even be read or identified: a rejected submission row and its issues."""
    return _load(con, _rejected_row(file_name, sha256, issues, received_at=received_at, raw_path=raw_path), issues, ())


def _submission_row(validated: ValidatedReturn, *, received_at: datetime, raw_path: str) -> _Submission:
    errors, warnings = _count(validated.issues)
    return _Submission(
        sha256=validated.sha256, file_name=validated.file_name, unit_code=validated.unit_code,
        return_code=validated.return_code, year=validated.year, submitter=validated.submitter,
        phone=validated.phone, filled_on=validated.filled_on, received_at=_naive(received_at),
        raw_path=raw_path, status=validated.status, error_count=errors, warning_count=warnings,
        is_demo=bool(validated.is_demo),
    )  # fmt: skip


def _rejected_row(
    file_name: str, sha256: str, issues: Sequence[Issue], *, received_at: datetime, raw_path: str
) -> _Submission:
    errors, warnings = _count(issues)
    return _Submission(
        sha256=sha256, file_name=file_name, unit_code=None, return_code=None, year=None, submitter=None,
        phone=None, filled_on=None, received_at=_naive(received_at), raw_path=raw_path, status=REJECTED,
        error_count=errors, warning_count=warnings, is_demo=False,
    )  # fmt: skip


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str, file_name: str | None = None) -> LoadOutcome | None:
    """The 'unchanged' outcome when these bytes were recorded before, whatever their status; else None.

    Lets the caller skip reading and validating a file it has seen; load_validated checks again anyway.
    """
    earlier = con.execute(
        "SELECT submission_id, status, file_name FROM submissions WHERE sha256 = $sha256", {"sha256": sha256}
    ).fetchone()
    if earlier is None:
        return None
    recorded = RecordedFile(earlier[0], earlier[1], earlier[2], None)
    return LoadOutcome(UNCHANGED, recorded.submission_id, None, _unchanged_message(recorded, file_name))


def _unchanged_message(earlier: RecordedFile, file_name: str | None) -> str:
    subject = f"“{file_name}”" if file_name else "该文件"
    return (
        f"{subject}与此前第{earlier.submission_id}号报送（“{earlier.file_name}”）完全相同"
        f"（当时结果：{STATUS_LABELS.get(earlier.status, earlier.status)}），未重复入库。"
    )


def _load(
    con: duckdb.DuckDBPyConnection,
    row: _Submission,
    issues: Sequence[Issue],
    values: Sequence[ValueRow],
    reference: tuple[Catalog, Registry] | None = None,
) -> LoadOutcome:
    with transaction(con):
        earlier = already_loaded(con, row.sha256, row.file_name)
        if earlier is not None:
            return earlier
        previous = _current_id(con, row)
        submission_id = _insert_submission(con, row)
        _insert_issues(con, submission_id, issues)
        if row.status != REJECTED:
            _insert_values(con, submission_id, values)
        current = _current_id(con, row)
    if row.status == REJECTED:
        return LoadOutcome(REJECTED, submission_id, None, _rejected_message(row, submission_id))
    superseded = previous if current == submission_id else None
    assert reference is not None  # only a rejected row goes without (record_rejected_file)
    message = _accepted_message(row, submission_id, len(values), superseded, current, *reference)
    return LoadOutcome(row.status, submission_id, superseded, message, is_current=current == submission_id)


def _count(issues: Sequence[Issue]) -> tuple[int, int]:
    errors = sum(1 for issue in issues if issue.is_error)
    return errors, len(issues) - errors


def _naive(moment: datetime) -> datetime:
    """TIMESTAMP columns hold local wall-clock time; an aware datetime is converted to it."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment


def _current_id(con: duckdb.DuckDBPyConnection, row: _Submission) -> int | None:
    if row.unit_code is None or row.year is None or row.return_code is None:
        return None
    # The same choice as views/10_submission_history.sql (latest accepted by received_at, then id), asked
    # of the table directly: the view ranks every submission, which is too slow once per loaded file.
    found = con.execute(
        "SELECT submission_id FROM submissions "
        "WHERE unit_code = $unit AND year = $year AND return_code = $return_code "
        "AND status IN ('accepted', 'accepted_with_warnings') "
        "ORDER BY received_at DESC, submission_id DESC LIMIT 1",
        {"unit": row.unit_code, "year": row.year, "return_code": row.return_code},
    ).fetchone()
    return found[0] if found else None


def _insert_submission(con: duckdb.DuckDBPyConnection, row: _Submission) -> int:
    params = dict(asdict(row), loaded_at=datetime.now())
    columns = ", ".join(params)
    placeholders = ", ".join(f"${name}" for name in params)
    inserted = con.execute(
        f"INSERT INTO submissions ({columns}) VALUES ({placeholders}) RETURNING submission_id", params
    ).fetchone()
    assert inserted is not None  # RETURNING always yields the new row
    return int(inserted[0])


def _insert_issues(con: duckdb.DuckDBPyConnection, submission_id: int, issues: Sequence[Issue]) -> None:
    if not issues:
        return
    con.executemany(
        f"INSERT INTO submission_issues ({ISSUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (submission_id, seq, i.severity, i.code, i.message, i.fix, i.sheet, i.cell, i.value, i.indicator)
            for seq, i in enumerate(issues, start=1)
        ],
    )


# An Arrow table is the cheapest way into DuckDB for a return's hundred-odd values (about 1 ms, against
# 3.5 ms for a pandas frame and 12 ms for a multi-row VALUES statement, measured on this machine).
VALUE_SCHEMA = pa.schema([
    ("submission_id", pa.int32()), ("indicator", pa.string()), ("entity_code", pa.string()),
    ("row_no", pa.int32()), ("value_num", pa.float64()), ("value_text", pa.string()),
    ("value_date", pa.date32()), ("value_bool", pa.bool_()), ("raw_text", pa.string()),
    ("remark", pa.string()), ("sheet", pa.string()), ("cell", pa.string()), ("note", pa.string()),
])  # fmt: skip


ISSUE_SCHEMA = pa.schema([
    ("submission_id", pa.int32()), ("seq", pa.int32()), ("severity", pa.string()), ("code", pa.string()),
    ("message", pa.string()), ("fix", pa.string()), ("sheet", pa.string()), ("cell", pa.string()),
    ("value", pa.string()), ("indicator", pa.string()),
])  # fmt: skip
ISSUE_COLUMNS = ", ".join(ISSUE_SCHEMA.names)
_SUBMISSION_TYPES = {
    "sha256": pa.string(), "file_name": pa.string(), "unit_code": pa.string(), "return_code": pa.string(),
    "year": pa.int32(), "submitter": pa.string(), "phone": pa.string(), "filled_on": pa.date32(),
    "received_at": pa.timestamp("us"), "raw_path": pa.string(), "status": pa.string(), "error_count": pa.int32(),
    "warning_count": pa.int32(), "is_demo": pa.bool_(),
}  # fmt: skip


def _value_table(groups: Sequence[tuple[int, Sequence[ValueRow]]]) -> pa.Table:
    """Each submission's values as one Arrow table in raw_values' column order: the rows transposed in one C-level
    zip, never paired with their id one by one."""
    ids = list(itertools.chain.from_iterable(itertools.repeat(sid, len(values)) for sid, values in groups))
    columns = list(zip(*itertools.chain.from_iterable(values for _, values in groups), strict=True))
    if not columns:
        columns = [() for _ in VALUE_COLUMNS]
    return pa.table(
        [pa.array(column, type=field.type) for column, field in zip([ids, *columns], VALUE_SCHEMA, strict=True)],
        schema=VALUE_SCHEMA,
    )


def _insert_values(con: duckdb.DuckDBPyConnection, submission_id: int, values: Sequence[ValueRow]) -> None:
    if not values:
        return
    incoming_values = _value_table([(submission_id, values)])  # noqa: F841 - read by name below
    con.execute("INSERT INTO raw_values SELECT * FROM incoming_values")


# --- messages ---------------------------------------------------------------------------------------


def _rejected_message(row: _Submission, submission_id: int) -> str:
    return (
        f"“{row.file_name}”未入库（第{submission_id}号报送）：发现{row.error_count}处错误，请按问题清单修改后重新报送。"
    )


def _accepted_message(
    row: _Submission,
    submission_id: int,
    value_count: int,
    superseded: int | None,
    current: int | None,
    catalog: Catalog,
    registry: Registry,
) -> str:
    # Read by people: it names the unit and the return as the reference data in force does (saved settings may rename
    # or add units), not by their codes (C10, R1), which stay in --json and the logs.
    from pipeline.registry import unit_name  # imported here: the rest of this module does not need it

    returns = catalog.returns
    subject = [
        unit_name(row.unit_code, registry) if row.unit_code else "",
        f"{row.year}年度" if row.year else "",
        f"《{returns[row.return_code].name}》" if row.return_code in returns else "报表",
    ]
    text = f"“{row.file_name}”已入库（第{submission_id}号报送）：{' '.join(p for p in subject[:2] if p)}{subject[2]}"
    text += f"，{value_count}项数据"
    if row.warning_count:
        text += f"，{row.warning_count}条提示"
    if superseded is not None:
        text += f"，替代此前第{superseded}号报送"
    if current is None:
        text += "；未能确定单位、年度或报表类型，本份不作为当前数据"
    elif current != submission_id:
        text += f"；同一单位同一年度已有更晚收到的第{current}号报送，本份仅存档、不作为当前数据"
    return text + "。"


# An issue as recorded; the indicator is '' in rows written before it was kept (NULL is only defensive).
_RECORDED_ISSUE_COLUMNS = "severity, code, message, fix, sheet, cell, value, coalesce(indicator, '')"


def recorded_issues(con: duckdb.DuckDBPyConnection, submission_id: int) -> tuple[str, tuple[Issue, ...]]:
    """The status and issues recorded for a submission, so a repeated bad file is told its errors again."""
    status, file_name = con.execute(
        "SELECT status, file_name FROM submissions WHERE submission_id = $id", {"id": submission_id}
    ).fetchone()
    rows = con.execute(
        f"SELECT {_RECORDED_ISSUE_COLUMNS} FROM submission_issues WHERE submission_id = $id ORDER BY seq",
        {"id": submission_id},
    ).fetchall()
    issues = tuple(
        Issue(severity, code, message, fix, file_name, sheet, cell, value, indicator)
        for severity, code, message, fix, sheet, cell, value, indicator in rows
    )
    return status, issues


def recorded_issues_of(
    con: duckdb.DuckDBPyConnection, submission_ids: Sequence[int]
) -> dict[int, tuple[str, tuple[Issue, ...]]]:
    """recorded_issues for several submissions at once (ids not recorded are left out)."""
    heads = {
        sid: (status, file_name)
        for sid, status, file_name in con.execute(
            "SELECT submission_id, status, file_name FROM submissions WHERE list_contains($ids, submission_id)",
            {"ids": list(submission_ids)},
        ).fetchall()
    }
    issues: dict[int, list[Issue]] = {sid: [] for sid in heads}
    for sid, severity, code, message, fix, sheet, cell, value, indicator in con.execute(
        f"SELECT submission_id, {_RECORDED_ISSUE_COLUMNS} FROM submission_issues "
        "WHERE list_contains($ids, submission_id) ORDER BY submission_id, seq",
        {"ids": list(submission_ids)},
    ).fetchall():
        if sid in issues:
            issues[sid].append(Issue(severity, code, message, fix, heads[sid][1], sheet, cell, value, indicator))
    return {sid: (status, tuple(issues[sid])) for sid, (status, _) in heads.items()}


# --- batches ----------------------------------------------------------------------------------------
#
# A batch is decided file by file against what the warehouse held when the batch began plus the files decided
# before it (BatchLedger), then written in one transaction, one bulk insert per table for each group of files
# (BatchWriter). Each file's rows are whole or absent, and a failure writes nothing of the batch.


@dataclass(frozen=True)
class PlannedSubmission:
    """A file's rows as they will be written: the submission (its id reserved), its issues and values."""

    submission_id: int
    row: _Submission
    issues: tuple[Issue, ...]
    values: tuple[ValueRow, ...]


@dataclass(frozen=True)
class RecordedFile:
    """What the warehouse (or this batch) already holds for some bytes."""

    submission_id: int
    status: str
    file_name: str
    unit_code: str | None


_SEQUENCE_SQL = (
    "SELECT last_value, start_value FROM duckdb_sequences() "
    "WHERE sequence_name = 'submission_id_seq' AND database_name = current_database()"
)


class BatchLedger:
    """The writer's knowledge during a batch, read once: the bytes recorded, the current submission of each
    (unit, year, return type), and the rows this batch will add. Lookups never go back to the warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection, catalog: Catalog, registry: Registry) -> None:
        self.con = con
        self._reference = (catalog, registry)  # the batch's, for its messages
        self.recorded: dict[str, RecordedFile] = {
            sha: RecordedFile(sid, status, name, unit)
            for sha, sid, status, name, unit in con.execute(
                "SELECT sha256, submission_id, status, file_name, unit_code FROM submissions"
            ).fetchall()
        }
        # The same choice as views/10_submission_history.sql: latest accepted by received_at, then id.
        self.current: dict[tuple[str, int, str], tuple[datetime, int]] = {
            (unit, year, rc): (received, sid)
            for unit, year, rc, received, sid in con.execute(
                "SELECT unit_code, year, return_code, max(received_at), arg_max(submission_id, (received_at, submission_id)) "
                "FROM submissions WHERE status IN ('accepted', 'accepted_with_warnings') AND unit_code IS NOT NULL "
                "AND year IS NOT NULL AND return_code IS NOT NULL GROUP BY ALL"
            ).fetchall()
        }
        # The same, per (year, return type): the jump check asks for a year's current submissions for every file,
        # and a scan of all of `current` per file grows with the square of the batch.
        self._current_of: dict[tuple[int, str], dict[str, int]] = {}
        for (unit, year, rc), (_, sid) in self.current.items():
            self._current_of.setdefault((year, rc), {})[unit] = sid
        self.planned: list[PlannedSubmission] = []
        self._planned_by_id: dict[int, PlannedSubmission] = {}
        self._recorded_issues: dict[int, tuple[str, tuple[Issue, ...]]] = {}  # read_recorded_issues
        # Ids are handed out here, as the sequence would, and the sequence is moved past them by BatchWriter.commit: a
        # query per file costs more than the rest of its planning (the writer alone uses the sequence).
        last, start = con.execute(_SEQUENCE_SQL).fetchone()
        self._next_id = (last + 1) if last is not None else start

    def unchanged(self, sha256: str, file_name: str | None = None) -> LoadOutcome | None:
        """already_loaded's answer, from the ledger."""
        earlier = self.recorded.get(sha256)
        if earlier is None:
            return None
        return LoadOutcome(UNCHANGED, earlier.submission_id, None, _unchanged_message(earlier, file_name))

    def recorded_issues(self, submission_id: int) -> tuple[str, tuple[Issue, ...]]:
        planned = self._planned_by_id.get(submission_id)
        if planned is not None:
            issues = tuple(replace(i, file=planned.row.file_name) for i in planned.issues)
            return planned.row.status, issues
        read = self._recorded_issues.get(submission_id)
        return read if read is not None else recorded_issues(self.con, submission_id)

    def read_recorded_issues(self, submission_ids: Iterable[int]) -> None:
        """Read the status and issues of these recorded submissions in two queries, for the files of a batch known
        before it began (a folder ingested again asks for each of them; a query per file costs ~2 ms)."""
        wanted = sorted({sid for sid in submission_ids if sid not in self._recorded_issues})
        if not wanted:
            return
        found = recorded_issues_of(self.con, wanted)
        self._recorded_issues.update(found)

    def current_id(self, unit_code: str, year: int, return_code: str) -> int | None:
        found = self.current.get((unit_code, year, return_code))
        return found[1] if found else None

    def current_ids(self, year: int, return_code: str) -> list[int]:
        """The current submission of each unit for that year and return type, in id order."""
        return sorted(self._current_of.get((year, return_code), {}).values())

    def current_ids_of_year(self, year: int) -> list[int]:
        """The current submissions of that year, of every return type, in id order."""
        return sorted(
            sid for (of_year, _), by_unit in self._current_of.items() if of_year == year for sid in by_unit.values()
        )

    def planned_values(self, submission_id: int) -> tuple[ValueRow, ...] | None:
        planned = self._planned_by_id.get(submission_id)
        return planned.values if planned is not None else None

    def plan_validated(self, validated: ValidatedReturn, *, received_at: datetime, raw_path: str) -> LoadOutcome:
        """load_validated's outcome, decided now and written by BatchWriter."""
        row = _submission_row(validated, received_at=received_at, raw_path=raw_path)
        return self._plan(row, tuple(validated.issues), tuple(validated.values))

    def plan_rejected_file(
        self, *, file_name: str, sha256: str, issues: Sequence[Issue], received_at: datetime, raw_path: str
    ) -> LoadOutcome:
        """record_rejected_file's outcome, decided now and written by BatchWriter."""
        row = _rejected_row(file_name, sha256, issues, received_at=received_at, raw_path=raw_path)
        return self._plan(row, tuple(issues), ())

    def _plan(self, row: _Submission, issues: tuple[Issue, ...], values: tuple[ValueRow, ...]) -> LoadOutcome:
        earlier = self.unchanged(row.sha256, row.file_name)
        if earlier is not None:
            return earlier
        submission_id, self._next_id = self._next_id, self._next_id + 1
        key = (row.unit_code, row.year, row.return_code)
        previous = self.current_id(*key) if None not in key else None
        if row.status != REJECTED and None not in key:
            held = self.current.get(key)
            if held is None or (row.received_at, submission_id) > held:
                self.current[key] = (row.received_at, submission_id)
                self._current_of.setdefault((row.year, row.return_code), {})[row.unit_code] = submission_id
        planned = PlannedSubmission(submission_id, row, issues, values if row.status != REJECTED else ())
        self.planned.append(planned)
        self._planned_by_id[submission_id] = planned
        self.recorded[row.sha256] = RecordedFile(submission_id, row.status, row.file_name, row.unit_code)
        if row.status == REJECTED:
            return LoadOutcome(REJECTED, submission_id, None, _rejected_message(row, submission_id))
        current = self.current_id(*key) if None not in key else None
        superseded = previous if current == submission_id else None
        message = _accepted_message(row, submission_id, len(values), superseded, current, *self._reference)
        return LoadOutcome(row.status, submission_id, superseded, message, is_current=current == submission_id)

    def keep_only(self, submission_ids: set[int | None]) -> None:
        """Drop the planned files whose ids are not given (decided, but never reported to anyone)."""
        for planned in self.planned:
            if planned.submission_id not in submission_ids:
                self._planned_by_id.pop(planned.submission_id, None)
                self.recorded.pop(planned.row.sha256, None)
        self.planned = [p for p in self.planned if p.submission_id in submission_ids]


class BatchWriter:
    """A batch's rows written into one transaction, a few files at a time, and committed once.

    Ingest inserts the files decided so far while later files are still being read, so that little is left to
    insert when the last file has been decided. Until commit() nothing of the batch is visible to anyone, and
    rollback() (or a writer whose copy is discarded) leaves none of it: a file is whole or absent, and so is the
    batch. The submission ids were handed out by the BatchLedger; commit() moves the sequence past them.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._loaded_at = datetime.now()  # one moment for the whole batch, as one statement would have had
        self._highest_id: int | None = None
        self._open = False

    def insert(self, planned: Sequence[PlannedSubmission]) -> None:
        """One bulk insert per table for these files (the first call opens the transaction)."""
        if not planned:
            return
        if not self._open:
            self.con.execute("BEGIN TRANSACTION")
            self._open = True
        incoming_submissions = pa.table(  # noqa: F841 - read by name through DuckDB's replacement scan below
            {
                "submission_id": pa.array([p.submission_id for p in planned], pa.int32()),
                **{
                    name: pa.array([getattr(p.row, name) for p in planned], type=kind)
                    for name, kind in _SUBMISSION_TYPES.items()
                },
                "loaded_at": pa.array([self._loaded_at] * len(planned), pa.timestamp("us")),
            }
        )
        issue_rows = [
            (p.submission_id, seq, i.severity, i.code, i.message, i.fix, i.sheet, i.cell, i.value, i.indicator)
            for p in planned
            for seq, i in enumerate(p.issues, start=1)
        ]
        incoming_issues = pa.table(  # noqa: F841 - read by name below
            [pa.array([r[n] for r in issue_rows], type=f.type) for n, f in enumerate(ISSUE_SCHEMA)],
            schema=ISSUE_SCHEMA,
        )
        incoming_values = _value_table([(p.submission_id, p.values) for p in planned])  # noqa: F841
        columns = ", ".join(["submission_id", *_SUBMISSION_TYPES, "loaded_at"])
        self.con.execute(f"INSERT INTO submissions ({columns}) SELECT {columns} FROM incoming_submissions")
        if issue_rows:
            self.con.execute(f"INSERT INTO submission_issues ({ISSUE_COLUMNS}) SELECT * FROM incoming_issues")
        if incoming_values.num_rows:
            self.con.execute("INSERT INTO raw_values SELECT * FROM incoming_values")
        highest = max(p.submission_id for p in planned)
        self._highest_id = highest if self._highest_id is None else max(self._highest_id, highest)

    def commit(self, before_commit: Callable[[], object] | None = None) -> None:
        """Move the sequence past the ids written, run `before_commit` (ingest waits there for the originals'
        fsyncs), and commit; on any failure, roll everything back and re-raise."""
        if not self._open:
            return
        try:
            last = self.con.execute(_SEQUENCE_SQL).fetchone()[0] or 0
            self.con.execute(
                "SELECT max(nextval('submission_id_seq')) FROM range($count)",
                {"count": max(0, (self._highest_id or 0) - last)},
            )
            if before_commit is not None:
                before_commit()
            self.con.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        self._open = False

    def rollback(self) -> None:
        """Undo every insert of the batch (nothing to do when none was made)."""
        if not self._open:
            return
        self._open = False
        # A failed ROLLBACK must not hide the error that caused it; the copy is then discarded anyway.
        with contextlib.suppress(duckdb.Error):
            self.con.execute("ROLLBACK")
