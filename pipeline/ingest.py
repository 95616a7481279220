"""Ingest one file or a batch: archive → read, locate, validate (in a bounded worker) every file, then load all
the accepted and rejected records of the batch in one transaction with one bulk insert per table.

A file is still all or nothing in effect (its submission, issues and values are written together or not at all),
and a failure before the commit writes nothing of the batch. Each file is decided against what the warehouse held
when the batch began plus the files decided before it (load.BatchLedger): duplicates, the current version of each
unit's return and last year's figures for the jump check are read once per batch, not once per file. A batch that
records nothing new (every file unchanged) leaves the warehouse file in place, so no reader cache is dropped.

This is the function the CLI and the upload page both call. It never raises for bad content: every outcome,
including an unreadable or hostile file, comes back as a FileResult carrying Chinese issues. A file is archived
under data/raw/ by its SHA-256 before its outcome is decided (on a thread of its own, while it is checked; rejected
files within a quota, see raw_archive), so nothing submitted is lost. The bytes are parsed only in
pipeline/sandbox.py's worker processes, which also locate and validate each return against the batch's reference
data: this process receives the validated figures and issues back as plain data, and does only what needs the
warehouse (duplicates, versions, last year's figures) and the writing. Files are checked ahead of that, and into a
warehouse that does not exist yet from the start, while it is being created.

Received time. A file uploaded on the page arrives now. A file collected into a folder arrived when it was saved
there, so the CLI takes its modification time, but only when that is plausible: a time in the future, or before
the reporting year began, is not trusted; the time of ingest is used instead and the outcome says so.
`--received` sets the time explicitly for a whole batch.

Reference data. The catalog and registry in force (the files in catalog/ plus the settings saved in the warehouse,
pipeline/reference.py) are loaded from the writer's connection, so an alias or former name saved a moment ago
resolves at the next upload.

Permitted units. An account of a 填报单位 may upload only its own returns: with ``permitted_units``, a file whose unit
is another is refused (unit_not_permitted) before anything is loaded, recorded or kept: it is another unit's return,
so it belongs in neither unit's submission history, and its bytes must not block that unit's own upload later.

Interrupts. Ctrl-C during a CLI batch lets the file in flight finish and stops before the next; the files finished
are written (as one transaction) and kept, and the CLI says which were not processed (BatchInterrupted). A second
Ctrl-C while the files are being decided stops at once, the file in flight left out; while they are being written
(a fraction of a second), it rolls the whole write back (KeyboardInterrupt: the CLI says nothing was kept).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipeline.catalog import Catalog
from pipeline.collector import paced_for_batch
from pipeline.issues import ERROR, WARNING, Issue, RejectedFile
from pipeline.jumps import jump_issues, year_over_year_jumps
from pipeline.load import (
    BatchLedger,
    BatchWriter,
    DurableOriginals,
    LoadOutcome,
    PlannedSubmission,
    archive_original,
)
from pipeline.locate import locate_return
from pipeline.raw_archive import over_quota_issue, rejected_archive_bytes, rejected_quota_bytes
from pipeline.read import MAX_FILE_BYTES, READ_REFUSAL_CODES
from pipeline.reference import Reference, load_reference
from pipeline.registry import Registry, unit_name
from pipeline.sandbox import ParseWorkers, ReadOutcome, ReturnChecks, default_workers
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn
from pipeline.warehouse import REPO_ROOT, open_reader, warehouse_exists, write_session

log = logging.getLogger(__name__)

DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et"}
# Other spreadsheet formats a unit may send its return in (binary workbooks, OpenDocument, CSV, templates): taken from
# a folder too, so that each gets its answer (the reader says what it is and how to save it as .xlsx) instead of being
# left out without a word, and the unit counted as not having reported.
OTHER_SPREADSHEET_SUFFIXES = {".xlsb", ".ods", ".csv", ".ett", ".xlt", ".xltx", ".xltm"}
STATUS_WORDS = {
    "accepted": "已接收",
    "accepted_with_warnings": "已接收（有提示）",
    "rejected": "被退回",
    "unchanged": "未变化",
}
# A file saved a few minutes "in the future" is a clock difference between two PCs, not a lie.
CLOCK_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class FileResult:
    file_name: str
    sha256: str
    status: str  # accepted | accepted_with_warnings | rejected | unchanged
    message: str
    issues: tuple[Issue, ...] = ()
    unit_code: str | None = None
    return_code: str | None = None
    year: int | None = None
    submission_id: int | None = None
    superseded_id: int | None = None
    readable: bool = False  # passed the read stage's safety checks: an annotated copy may be made from it

    @property
    def status_word(self) -> str:
        return STATUS_WORDS[self.status]

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "sha256": self.sha256,
            "status": self.status,
            "message": self.message,
            "unit_code": self.unit_code,
            "return_code": self.return_code,
            "year": self.year,
            "submission_id": self.submission_id,
            "superseded_id": self.superseded_id,
            "readable": self.readable,
            "issues": [i.as_dict() for i in self.issues],
        }


@dataclass(frozen=True)
class ReceivedTime:
    """When a file arrived, and whether that time is a claim to check (a file's modification time) or a fact."""

    moment: datetime
    from_file: bool = False


class BatchAbandoned(Exception):
    """A batch whose rows could not all be inserted: it is written not at all (the copy is discarded)."""


class BatchInterrupted(Exception):
    """Ctrl-C during a batch: the files in `results` were finished (and kept); `remaining` were not processed."""

    def __init__(self, results: list[FileResult], remaining: list[str]) -> None:
        super().__init__(f"interrupted after {len(results)} files")
        self.results, self.remaining = results, remaining


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def trusted_received_time(received: ReceivedTime, year: int | None, file_name: str) -> tuple[datetime, Issue | None]:
    """The received time to record, and a hint when a file's own time was not believed."""
    if not received.from_file:
        return received.moment, None
    now = _now()
    if received.moment > now + CLOCK_TOLERANCE:
        problem = f"文件的修改时间 {received.moment:%Y-%m-%d %H:%M} 晚于当前时间"
    elif year is not None and received.moment < datetime(year, 1, 1):
        problem = f"文件的修改时间 {received.moment:%Y-%m-%d %H:%M} 早于报表年度（{year}年）开始"
    else:
        return received.moment, None
    hint = Issue(
        WARNING,
        "untrusted_received_time",
        f"{problem}，不可信；接收时间按装载时间 {now:%Y-%m-%d %H:%M} 记录",
        "如需按实际收到的时间记录，请用 --received 指定接收时间后重新装载",
        file=file_name,
    )
    return now, hint


def _not_current_issue(file_name: str) -> Issue:
    return Issue(
        WARNING,
        "not_current",
        "本文件已接收，但同一单位同一年度同一报表已有更晚收到的版本，本文件只存档、不作为当前数据",
        "如本文件才是最新版本，请核对接收时间（命令行可用 --received 指定）后重新装载",
        file=file_name,
    )


def _rejected_by_reader(issues: Iterable[Issue]) -> bool:
    return any(issue.code in READ_REFUSAL_CODES for issue in issues)


def not_permitted_issue(file_name: str, unit_code: str, permitted: frozenset[str], registry: Registry) -> Issue:
    """The refusal of another unit's return, naming the file's unit and the account's."""
    owner = unit_name(unit_code, registry)
    own = "、".join(sorted(unit_name(code, registry) for code in permitted)) or "（未指定单位）"
    return Issue(
        ERROR,
        "unit_not_permitted",
        f"本文件是{owner}的报表，您的账号属于{own}，只能报送本单位的报表；本文件未装入、未保存",
        f"请由{owner}用本单位的账号报送该报表，或请省总工会分析员代为上传；如本文件的填报单位填错了，请改正后重新上传",
        file=file_name,
    )


def _refuse_other_unit(
    file_name: str, sha256: str, unit_code: str, permitted: frozenset[str], registry: Registry
) -> FileResult:
    issue = not_permitted_issue(file_name, unit_code, permitted, registry)
    return FileResult(file_name, sha256, "rejected", "不是本单位的报表，未装入", (issue,), readable=True)


def _resolve_reference(
    con: duckdb.DuckDBPyConnection, reference: Reference | None, catalog: Catalog | None, registry: Registry | None
) -> tuple[Catalog, Registry]:
    """The catalog and registry to check a file against: those given, else the ones in force in ``con``."""
    if catalog is not None and registry is not None:
        return catalog, registry
    reference = reference or load_reference(con)
    return catalog or reference.catalog, registry or reference.registry


def ingest_bytes(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    *,
    received_at: datetime | ReceivedTime,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
    today: date | None = None,
    workers: ParseWorkers | None = None,
    reading: ReadOutcome | None = None,
    reference: Reference | None = None,
    permitted_units: frozenset[str] | None = None,
) -> FileResult:
    """Archive, check and load one file into the open writer connection (a batch of one). `reading` is the file's
    read when the caller has already had it read; otherwise it is read here, in a worker. `reference` defaults to
    the one in force in `con`; with `permitted_units`, another unit's return is refused unloaded."""
    catalog, registry = _resolve_reference(con, reference, catalog, registry)
    batch = _Batch(
        con, catalog, registry, raw_dir=raw_dir, expected_year=expected_year, today=today,
        permitted_units=permitted_units,
    )  # fmt: skip
    received = received_at if isinstance(received_at, ReceivedTime) else ReceivedTime(received_at)
    result = batch.decide(data, file_name, received, reading or (workers or default_workers()).read(data, file_name))
    batch.write()
    return result


class _LastYearFigures:
    """The current figures of a year before, as the warehouse would hold them after the files decided so far: the
    warehouse's current submissions read once per (year, return type), the batch's own planned ones laid over
    them. A return is compared with them here, in Python (jumps.jump_issues): no database is asked per file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, ledger: BatchLedger) -> None:
        self._con, self._ledger = con, ledger
        self._stored: dict[int, list[Figure]] = {}  # warehouse submission -> its figures
        # (year, return) -> the ids of its current submissions, and their first figures by entity (see by_entity)
        self._groups: dict[tuple[int, str], tuple[list[int], dict[str, dict[str, First]]]] = {}
        # (year, return) -> entity -> its figures keyed as previous() hands them out; an entity's entry is dropped
        # when a submission joins its figures (by_entity), and made again when asked for
        self._previous: dict[tuple[int, str], dict[str, dict[tuple[str, str], float]]] = {}

    def previous(self, validated: ValidatedReturn) -> dict[tuple[str, str], float]:
        """The year before's figure of each (indicator, entity) of the return's entities: the first in row order, as
        jumps.year_over_year_jumps reads them from a warehouse."""
        assert validated.year is not None and validated.return_code is not None
        entities = {row.entity_code for row in validated.values if row.value_num is not None}
        group = (validated.year - 1, validated.return_code)
        by_entity, kept = self.by_entity(*group), self._previous[group]
        previous: dict[tuple[str, str], float] = {}
        for entity in entities:
            figures = kept.get(entity)
            if figures is None:
                firsts = by_entity.get(entity, {})
                figures = kept[entity] = {(indicator, entity): value for indicator, (_, value) in firsts.items()}
            previous.update(figures)
        return previous

    def by_entity(self, year: int, return_code: str) -> dict[str, dict[str, First]]:
        """The figures of the current submissions of that year and return type, entity -> indicator -> (row_no,
        value) of its first figure in row order, an earlier submission's first within a row (as sorting them all by
        row_no would, and then taking the first of each).

        Kept per (year, return type) and brought up to date as the batch plans returns of that year: a submission
        planned later has a higher id, so its figures come after those already there within a row."""
        ids = self._ledger.current_ids(year, return_code)
        kept = self._groups.get((year, return_code))
        if kept is not None and kept[0] == ids:
            return kept[1]
        if kept is not None and ids[: len(kept[0])] == kept[0]:
            grouped, new = kept[1], ids[len(kept[0]) :]
        else:  # a submission was superseded (or none were grouped yet): group them all
            grouped, new = {}, ids
            self._previous[(year, return_code)] = {}
        previous = self._previous[(year, return_code)]
        if new:  # the whole year's figures, read at the first need: one query where a batch asks for each return type
            # of that year in turn (a query scans raw_values, about 1 ms at 1× and 7 ms at 100×, whatever it returns)
            self._read_stored(self._ledger.current_ids_of_year(year))
        for sid in new:
            for indicator, entity, value, row_no in self._figures(sid):
                firsts = grouped.get(entity)
                if firsts is None:
                    firsts = grouped[entity] = {}
                first = firsts.get(indicator)
                if first is None or row_no < first[0]:  # on a tie, the figure met first (earlier) stays
                    firsts[indicator] = (row_no, float(value))
                    previous.pop(entity, None)
        self._groups[(year, return_code)] = (ids, grouped)
        return grouped

    def _read_stored(self, ids: list[int]) -> None:
        """Read the figures of those warehouse submissions not read yet (the batch's planned ones are in memory)."""
        unread = [sid for sid in ids if sid not in self._stored and self._ledger.planned_values(sid) is None]
        if not unread:
            return
        self._stored.update({sid: [] for sid in unread})
        for sid, *figure in self._con.execute(
            "SELECT submission_id, indicator, entity_code, value_num, row_no FROM raw_values "
            "WHERE list_contains($ids, submission_id) AND value_num IS NOT NULL",
            {"ids": unread},
        ).fetchall():
            self._stored[sid].append(tuple(figure))

    def _figures(self, sid: int) -> Iterable[Figure]:
        planned = self._ledger.planned_values(sid)
        if planned is None:
            return self._stored[sid]
        return ((v.indicator, v.entity_code, v.value_num, v.row_no) for v in planned if v.value_num is not None)


Figure = tuple[str, str, float, int]  # indicator, entity, value, row_no
First = tuple[int, float]  # row_no, value


class _Batch:
    """A batch in two steps: each file decided (archived, read, located, validated, compared with last year) against
    a BatchLedger, nothing written; then every decided file written in one transaction (write). A file is whole
    or absent, and a failure before the commit writes nothing of the batch."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog,
        registry: Registry,
        *,
        raw_dir: Path,
        expected_year: int | None,
        today: date | None,
        permitted_units: frozenset[str] | None,
    ) -> None:
        self.con, self.catalog, self.registry = con, catalog, registry
        self.raw_dir, self.expected_year, self.today, self.permitted_units = (
            raw_dir,
            expected_year,
            today,
            permitted_units,
        )
        self.ledger = BatchLedger(con, catalog, registry)
        self._last_year = _LastYearFigures(con, self.ledger)
        self._archived: list[Path] = []  # originals written by this batch, made durable before the commit
        self.known_ids: list[int] = []  # submissions of the bytes `knows` has recognised
        self._rejected_bytes: int | None = None  # the rejected originals' bytes, read when first needed
        self._writer: BatchWriter | None = None  # the batch's transaction, opened by the first insert
        self._durable = DurableOriginals()  # the new originals brought to the disk while the last rows go in
        self._inserted: set[int] = set()  # submission ids already inserted (not yet committed)
        self.abandoned = False  # an insert failed: nothing of the batch may be committed

    def knows(self, data: bytes) -> bool:
        """Whether these bytes were recorded before (or earlier in this batch): they need no reading."""
        recorded = self.ledger.recorded.get(hashlib.sha256(data).hexdigest())
        if recorded is not None:
            self.known_ids.append(recorded.submission_id)
        return recorded is not None

    def decide(self, data: bytes, file_name: str, received: ReceivedTime, reading: ReadOutcome | None) -> FileResult:
        """One file's result, its rows planned in the ledger; `reading` may be None only for bytes it knows."""
        sha256 = hashlib.sha256(data).hexdigest()
        previous = self.ledger.unchanged(sha256, file_name)
        if previous is not None:
            return self._repeat(previous, sha256, file_name)
        # The original is archived before any outcome. Written here, on this thread: the file was checked in a worker,
        # so nothing is left to overlap with the write, and handing it to a thread of its own cost ~9% of this
        # process's CPU in a batch (a hand-over and a wake-up per file).
        raw_path = self._archive(data, sha256, file_name)
        assert reading is not None  # new bytes are always read first
        try:
            validated = self._validated(reading, sha256, file_name)
        except RejectedFile as rejected:
            return self._rejection(file_name, sha256, rejected.issues, received, raw_path, reading)
        permitted = self.permitted_units
        if permitted is not None and validated.unit_code is not None and validated.unit_code not in permitted:
            path, newly = raw_path
            if path is not None and newly:  # another unit's file is not kept on this account's behalf
                path.unlink(missing_ok=True)
                self._archived.remove(path)
            return _refuse_other_unit(file_name, sha256, validated.unit_code, permitted, self.registry)
        validated = replace(validated, issues=(*validated.issues, *self._jumps(validated)))
        moment, time_hint = trusted_received_time(received, validated.year, file_name)
        if validated.status == "rejected":
            return self._rejection(
                file_name, sha256, validated.issues, ReceivedTime(moment), raw_path, reading, validated=validated
            )
        outcome = self.ledger.plan_validated(validated, received_at=moment, raw_path=str(raw_path[0]))
        extra = tuple(i for i in (time_hint, None if outcome.is_current else _not_current_issue(file_name)) if i)
        return FileResult(
            file_name,
            sha256,
            "accepted_with_warnings" if extra else outcome.status,
            outcome.message,
            (*validated.issues, *extra),
            validated.unit_code,
            validated.return_code,
            validated.year,
            outcome.submission_id,
            outcome.superseded_id,
            readable=True,
        )

    def checks(self) -> ReturnChecks:
        """What the workers check each file against: this batch's reference data and year settings."""
        return ReturnChecks(self.catalog, self.registry, self.expected_year, self.today)

    def _validated(self, reading: ReadOutcome, sha256: str, file_name: str) -> ValidatedReturn:
        return validated_reading(reading, sha256, file_name, self.checks())

    def decided(
        self, reported: set[int | None], target: Callable[[], duckdb.DuckDBPyConnection] | None, at_least: int
    ) -> None:
        """After each file's result: once `at_least` decided and reported files wait, their rows are inserted into
        the batch's transaction on `target()` (opened now if need be; None while the copy is not ready): rows go in
        while later files are still being read, so write() has only the last few left. Nothing is committed here; if
        an insert fails, the batch is abandoned."""
        if target is None or len(self.ledger.planned) - len(self._inserted) < at_least:
            return
        waiting = self._waiting(reported)
        if len(waiting) >= at_least:
            self._insert(waiting, target)

    def write(
        self,
        reported: set[int | None] | None = None,
        target: Callable[[], duckdb.DuckDBPyConnection] | None = None,
    ) -> None:
        """Insert what decided() has not, and commit, once the new originals are durable, on `target()`
        (opened only when there is something to write; by default the connection the files were decided on). With
        `reported` (the submission ids of the results handed out), a file decided but never reported (a failure or
        an interrupt after its decision) is left out."""
        if self.abandoned:
            raise BatchAbandoned
        if reported is not None:
            self.ledger.keep_only(reported)
        if not self.ledger.planned:
            return
        opener = target if target is not None else (lambda: self.con)
        # The new originals reach the disk (an I/O wait, not CPU) while the last rows are inserted; the commit waits.
        self._durable.start(self._archived)
        try:
            self._insert(self._waiting(None), opener)
            assert self._writer is not None
            self._writer.commit(before_commit=self._durable.wait)
        finally:
            self._durable.close()

    def _waiting(self, reported: set[int | None] | None) -> list[PlannedSubmission]:
        """The planned files not inserted yet (of those reported, when given), in the order they were decided."""
        return [
            planned
            for planned in self.ledger.planned
            if planned.submission_id not in self._inserted and (reported is None or planned.submission_id in reported)
        ]

    def _insert(self, planned: list[PlannedSubmission], target: Callable[[], duckdb.DuckDBPyConnection]) -> None:
        try:
            if self._writer is None:
                self._writer = BatchWriter(target())
            self._writer.insert(planned)
        except BaseException:
            self.abandoned = True
            if self._writer is not None:
                self._writer.rollback()
            self._durable.close()
            raise
        self._inserted.update(p.submission_id for p in planned)

    def _repeat(self, previous: LoadOutcome, sha256: str, file_name: str) -> FileResult:
        """Bytes recorded before (or earlier in this batch)."""
        owner, permitted = self.ledger.recorded[sha256].unit_code, self.permitted_units
        if permitted is not None and owner is not None and owner not in permitted:
            return _refuse_other_unit(file_name, sha256, owner, permitted, self.registry)
        status, issues = self.ledger.recorded_issues(previous.submission_id)
        # The same bytes again change nothing; a file rejected before is still rejected, with its errors,
        # so a submitter who resends an unfixed file is not told "unchanged" and left guessing.
        return FileResult(
            file_name,
            sha256,
            "rejected" if status == "rejected" else "unchanged",
            previous.message,
            tuple(replace(i, file=file_name) for i in issues),
            submission_id=previous.submission_id,
            readable=not _rejected_by_reader(issues),
        )

    def _jumps(self, validated: ValidatedReturn) -> list[Issue]:
        """Against last year's figures as they stand after the files before this one, before this one loads."""
        if not validated.accepted or validated.year is None or validated.return_code is None:
            return []
        previous = self._last_year.previous(validated)
        return jump_issues(validated, previous, self.catalog, self.registry) if previous else []

    def _archive(self, data: bytes, sha256: str, file_name: str) -> tuple[Path | None, bool]:
        """(archived path, whether this call created it: only such a copy may be dropped again by the quota)."""
        if not data:
            return None, False
        path, written = archive_original(data, self.raw_dir, file_name, durable=False, sha256=sha256)
        if written:
            self._archived.append(path)
        return path, written

    def _keep_rejected_original(self, path: Path | None, newly: bool) -> bool:
        """keep_rejected_original, counting the originals this batch has kept so far."""
        if path is None or not newly or not path.is_file():
            return path is not None
        if self._rejected_bytes is None:
            self._rejected_bytes = rejected_archive_bytes(self.con)
        size = path.stat().st_size
        if self._rejected_bytes + size <= rejected_quota_bytes():
            self._rejected_bytes += size
            return True
        path.unlink(missing_ok=True)
        self._archived.remove(path)
        return False

    def _rejection(
        self,
        file_name: str,
        sha256: str,
        issues: Iterable[Issue],
        received: ReceivedTime,
        raw_path: tuple[Path | None, bool],
        reading: ReadOutcome,
        validated: ValidatedReturn | None = None,
    ) -> FileResult:
        """A rejected file: recorded with its issues; its original kept while the rejected-files quota allows."""
        issues = tuple(issues)
        path, newly = raw_path
        kept = self._keep_rejected_original(path, newly)
        if path is not None and not kept:
            issues = (*issues, over_quota_issue(file_name, rejected_quota_bytes()))
        moment = received.moment if not received.from_file else trusted_received_time(received, None, file_name)[0]
        kept_path = str(path) if kept else ""
        if validated is not None:
            validated = replace(validated, issues=issues)
            outcome = self.ledger.plan_validated(validated, received_at=moment, raw_path=kept_path)
            return FileResult(
                file_name, sha256, "rejected", outcome.message, issues, validated.unit_code, validated.return_code,
                validated.year, outcome.submission_id, readable=True,
            )  # fmt: skip
        outcome = self.ledger.plan_rejected_file(
            file_name=file_name, sha256=sha256, issues=issues, received_at=moment, raw_path=kept_path
        )
        return FileResult(
            file_name, sha256, "rejected", outcome.message, issues, submission_id=outcome.submission_id,
            readable=reading.readable,
        )  # fmt: skip


def validated_reading(reading: ReadOutcome, sha256: str, file_name: str, checks: ReturnChecks) -> ValidatedReturn:
    """The file located and validated: by its worker (a check), or here from its workbook (a read). Raises
    RejectedFile for a file that could not be read or recognised, RuntimeError when the checking itself failed."""
    if reading.internal_error:
        raise RuntimeError(f"checking {file_name} failed in its worker: {reading.internal_error}")
    validated = reading.validated
    if validated is not None:
        if (validated.sha256, validated.file_name) != (sha256, file_name):  # never another file's answer
            raise RuntimeError(f"the worker's answer for {file_name} is about other bytes")
        return validated
    if reading.workbook is None:
        raise RejectedFile(list(reading.issues))
    located = locate_return(reading.workbook, checks.catalog)
    return validate_return(
        reading.workbook, located, checks.catalog, checks.registry, expected_year=checks.expected_year,
        today=checks.today,
    )  # fmt: skip


def oversized_result(file_name: str, size: int) -> FileResult:
    """A file over the size limit is refused before it is read into memory, archived or parsed."""
    issue = Issue(
        ERROR,
        "file_too_large",
        f"文件大小为 {size / 1024 / 1024:.1f} MB，超过 {MAX_FILE_BYTES // 1024 // 1024} MB 的上限，未处理、未存档",
        "一份报表通常不到 1 MB。请删除多余的工作表、图片和格式后另存为 .xlsx 再上传",
        file=file_name,
    )
    return FileResult(file_name, "", "rejected", "文件过大，未处理", (issue,))


def _unexpected_failure(file_name: str, data: bytes) -> FileResult:
    """A bug must not take a batch down or reach the user as a traceback: log it, reject the file."""
    log.exception("处理文件 %s 时发生内部错误", file_name)
    issue = Issue(
        ERROR,
        "internal_error",
        "处理该文件时发生内部错误，文件未装入数据仓库",
        "请把该文件发给系统管理员排查；其他文件不受影响",
        file=file_name,
    )
    return FileResult(file_name, hashlib.sha256(data).hexdigest(), "rejected", "内部错误，文件未装入", (issue,))


class Collected(NamedTuple):
    files: list[Path]  # to ingest: the given files, and the spreadsheets under given folders
    left_out: list[Path]  # the other files under given folders (a cover letter, a scan), for a caller to name


def collect(paths: Iterable[Path]) -> Collected:
    """The given files, and each folder's files (sorted for repeatability) sorted into spreadsheets and the rest: a
    caller names the rest, so that a return saved in some other format is not missed unseen."""
    files: list[Path] = []
    left_out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for found in _folder_files(path):
                (files if found.suffix.lower() in _COLLECTED_SUFFIXES else left_out).append(found)
        else:
            files.append(path)
    return Collected(files, left_out)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest (see collect)."""
    return collect(paths).files


_COLLECTED_SUFFIXES = EXCEL_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES


def _folder_files(folder: Path) -> list[Path]:
    """Every file under the folder, sorted, but Office's lock files (~$…) and hidden files."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(("~$", ".")))


def received_time(path: Path, explicit: datetime | None = None) -> ReceivedTime:
    """--received when given; else the file's modification time, a claim checked once its year is known."""
    if explicit is not None:
        return ReceivedTime(explicit)
    return ReceivedTime(datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0), from_file=True)


@dataclass(frozen=True)
class _Pending:
    name: str
    size: int
    received: ReceivedTime
    load: Callable[[], bytes]  # the bytes, read only when the file's turn comes (a folder is never held whole)

    @property
    def oversized(self) -> bool:
        return self.size > MAX_FILE_BYTES


class _ReadAhead:
    """Each item with its bytes and its read, in order (iterate once); files are read (with `checks`: checked) up
    to the pool's size at once from the moment this is made, and only `ahead` files are held in memory ahead of the
    consumer (the pool's default when None). Oversized files are neither loaded nor read, and files whose bytes
    `known` says were recorded before are not read either (their read is None)."""

    def __init__(
        self,
        items: list[_Pending],
        workers: ParseWorkers,
        known: Callable[[bytes], bool] | None = None,
        ahead: int | None = None,
        checks: ReturnChecks | None = None,
    ) -> None:
        self._items = items
        self._skipped = {
            n for n, item in enumerate(items) if not item.oversized and known is not None and known(item.load())
        }
        self._loaded: deque[bytes] = deque()
        self._reads = workers.read_in_order(self._feed(), ahead, checks)

    def _feed(self) -> Iterator[tuple[str, bytes]]:
        for n, item in enumerate(self._items):
            if not item.oversized and n not in self._skipped:
                self._loaded.append(item.load())
                yield item.name, self._loaded[-1]

    def __iter__(self) -> Iterator[tuple[_Pending, bytes | None, ReadOutcome | None]]:
        try:
            for n, item in enumerate(self._items):
                if item.oversized:
                    yield item, None, None
                elif n in self._skipped:
                    yield item, item.load(), None
                else:
                    reading = next(self._reads)
                    yield item, self._loaded.popleft(), reading
        finally:
            self.close()

    def close(self) -> None:
        self._reads.close()


# A new warehouse's schema takes ~0.05 s to create; with nothing recorded yet, the files are read meanwhile, this
# many per worker ahead of the checks.
_AHEAD_WHILE_CREATING = 8


# Decided files are inserted (uncommitted) while later ones are read, in inserts that halve as the batch nears its end:
# each time as many files wait as are still to come (at least _INSERT_AT_LEAST). One bulk insert per table costs about
# a millisecond whatever its size, so few inserts keep that small (121 files: 61, 30, 24, and 6 at the end), and
# little is left for the end of the batch, when nothing else runs.
_INSERT_AT_LEAST = 24


class _InterruptRequest:
    """Ctrl-C during a batch, caught as a flag: the file in flight finishes (DuckDB would otherwise turn the signal
    into a "Query interrupted" error in the middle of a file) and the batch stops before the next one. A second
    Ctrl-C stops at once. Only the main thread can install a handler (a Streamlit script thread cannot, and gets
    no SIGINT either)."""

    def __init__(self) -> None:
        self.requested = self.forced = False
        self._previous: object = None

    def _handle(self, _signum: int, _frame: object) -> None:
        if self.requested:
            self.forced = True
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _InterruptRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@paced_for_batch()  # fewer collector passes over the server's heap while the batch's rows are made (collector.py)
def _ingest_batch(
    items: Iterable[_Pending],
    *,
    warehouse: Path | None,
    raw_dir: Path,
    expected_year: int | None,
    today: date | None,
    workers: ParseWorkers | None,
    on_result: Callable[[FileResult], None] | None,
    reference: Reference | None = None,
    permitted_units: frozenset[str] | None = None,
) -> list[FileResult]:
    """One writer cycle: every file decided, then all written in one transaction. Ctrl-C while files are being
    decided keeps the ones finished (written as usual) and stops (BatchInterrupted); a second Ctrl-C while they
    are written keeps nothing of the batch (KeyboardInterrupt). A batch that changes nothing leaves the warehouse
    file as it was."""
    workers = workers or default_workers()
    pending = list(items)
    results: list[FileResult] = []
    interrupted = False
    # No warehouse yet: no bytes can be known, so the files are checked before the warehouse is created, against
    # the reference data a new warehouse starts with. (Should another writer create it first, a file checked in vain
    # is still decided as recorded: decide asks the ledger first; and files checked against reference data other
    # than the new warehouse's are checked again.)
    early_reference = None if warehouse_exists(warehouse) else reference or load_reference(None)
    early = (
        None
        if early_reference is None
        else _ReadAhead(
            pending,
            workers,
            ahead=_AHEAD_WHILE_CREATING * workers.size,
            checks=ReturnChecks(early_reference.catalog, early_reference.registry, expected_year, today),
        )  # fmt: skip
    )
    # Files are decided reading the warehouse in place; it is copied (and swapped) only when rows are written.
    with contextlib.ExitStack() as stack:
        if early is not None:
            stack.callback(early.close)
        session = stack.enter_context(write_session(warehouse))
        interrupt = stack.enter_context(_InterruptRequest())
        reference = reference or load_reference(session.reader)  # the settings in force in the warehouse written
        batch = _Batch(
            session.reader, reference.catalog, reference.registry, raw_dir=raw_dir, expected_year=expected_year,
            today=today, permitted_units=permitted_units,
        )  # fmt: skip
        try:
            known = batch.knows if batch.ledger.recorded else None  # an empty warehouse knows no bytes
            checked_alike = early_reference is not None and early_reference.version == reference.version
            if early is not None and (known is not None or not checked_alike):  # another writer came first
                early.close()
                early = None
            reads = early if early is not None else _ReadAhead(pending, workers, known, checks=batch.checks())
            batch.ledger.read_recorded_issues(batch.known_ids)  # what each known file is told again, read at once
            reported: set[int | None] = set()
            for item, data, reading in reads:
                if data is None:
                    result = oversized_result(item.name, item.size)
                else:
                    try:
                        if reading is None and not batch.knows(data):  # only recorded bytes go unread
                            reading = workers.read(data, item.name)
                        result = batch.decide(data, item.name, item.received, reading)
                    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                        if interrupt.forced:  # a second Ctrl-C inside DuckDB arrives as its own error
                            raise KeyboardInterrupt from exc
                        result = _unexpected_failure(item.name, data)
                results.append(result)
                reported.add(result.submission_id)
                if on_result:
                    on_result(result)
                if interrupt.requested:
                    raise KeyboardInterrupt
                ready = session.copy_ready() and not session.reads_copy  # never insert into what the checks read
                still_to_come = len(pending) - len(results)
                batch.decided(reported, session.connection if ready else None, max(_INSERT_AT_LEAST, still_to_come))
        except KeyboardInterrupt:
            if batch.abandoned:  # interrupted while inserting: nothing of the batch is kept
                raise
            interrupted = True  # the files finished are written; the one in flight is not
        batch.write(reported={r.submission_id for r in results}, target=session.connection)
    if interrupted:
        raise BatchInterrupted(results, [item.name for item in pending[len(results) :]])
    return results


def ingest_paths(
    paths: Iterable[Path],
    *,
    warehouse: Path | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
    today: date | None = None,
    received_at: datetime | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    workers: ParseWorkers | None = None,
    reference: Reference | None = None,
    permitted_units: frozenset[str] | None = None,
) -> list[FileResult]:
    """Ingest files and folders in one writer cycle, all their rows in one transaction. `reference`
    defaults to the one in force in the warehouse; `permitted_units` limits whose returns may load."""
    items = [
        _Pending(path.name, path.stat().st_size, received_time(path, received_at), path.read_bytes)
        for path in collect_files(paths)
    ]
    return _ingest_batch(
        items, warehouse=warehouse, raw_dir=raw_dir, expected_year=expected_year, today=today, workers=workers,
        on_result=on_result, reference=reference, permitted_units=permitted_units,
    )  # fmt: skip


def ingest_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    warehouse: Path | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
    workers: ParseWorkers | None = None,
    reference: Reference | None = None,
    permitted_units: frozenset[str] | None = None,
) -> list[FileResult]:
    """The upload page's entry point: (name, bytes) pairs received now; oversized ones are refused unread. A
    填报单位's upload passes its unit as `permitted_units`: another unit's return is refused, nothing loaded."""
    now = ReceivedTime(_now())
    items = [_Pending(name, len(data), now, lambda data=data: data) for name, data in files]
    return _ingest_batch(
        items, warehouse=warehouse, raw_dir=raw_dir, expected_year=expected_year, today=None, workers=workers,
        on_result=None, reference=reference, permitted_units=permitted_units,
    )  # fmt: skip


def check_bytes(
    data: bytes,
    file_name: str,
    *,
    catalog: Catalog,
    registry: Registry,
    expected_year: int | None = None,
    today: date | None = None,
    workers: ParseWorkers | None = None,
    reading: ReadOutcome | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> FileResult:
    """Everything ingest does except archiving and loading: what would happen to this file. With `con` (the
    warehouse, read-only) its figures are also compared with last year's, as ingest does."""
    sha256 = hashlib.sha256(data).hexdigest()
    checks = ReturnChecks(catalog, registry, expected_year, today)
    reading = reading or (workers or default_workers()).check(data, file_name, checks)
    try:
        validated = validated_reading(reading, sha256, file_name, checks)
    except RejectedFile as rejected:
        return FileResult(
            file_name, sha256, "rejected", "文件无法读取或无法识别", tuple(rejected.issues),
            readable=reading.readable,
        )  # fmt: skip
    if con is not None:
        validated = replace(
            validated, issues=(*validated.issues, *year_over_year_jumps(con, validated, catalog, registry))
        )
    status = validated.status
    messages = {"rejected": "校验未通过", "accepted_with_warnings": "校验通过（有提示）", "accepted": "校验通过"}
    return FileResult(
        file_name,
        sha256,
        status,
        messages[status],
        validated.issues,
        validated.unit_code,
        validated.return_code,
        validated.year,
        readable=True,
    )


def check_paths(
    paths: Iterable[Path],
    *,
    expected_year: int | None = None,
    today: date | None = None,
    workers: ParseWorkers | None = None,
    warehouse: Path | None = None,
) -> list[FileResult]:
    """check_bytes for files and folders; with an existing warehouse, figures are compared with last year's and
    the settings saved in it apply."""
    workers = workers or default_workers()
    con = open_reader(warehouse) if warehouse is not None and Path(warehouse).exists() else None
    reference = load_reference(con)
    catalog, registry = reference.catalog, reference.registry
    now = ReceivedTime(_now())
    pending = [_Pending(path.name, path.stat().st_size, now, path.read_bytes) for path in collect_files(paths)]
    results = []
    checks = ReturnChecks(catalog, registry, expected_year, today)
    for item, data, reading in _ReadAhead(pending, workers, checks=checks):
        if data is None:
            results.append(oversized_result(item.name, item.size))
            continue
        try:
            results.append(
                check_bytes(
                    data,
                    item.name,
                    catalog=catalog,
                    registry=registry,
                    expected_year=expected_year,
                    today=today,
                    reading=reading,
                    con=con,
                )  # fmt: skip
            )
        except Exception:  # noqa: BLE001 - one bad file must not stop the batch
            results.append(_unexpected_failure(item.name, data))
    if con is not None:
        con.close()
    return results
