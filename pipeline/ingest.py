"""Ingest one file or a batch: archive → read → locate → validate → load, one transaction per file.

This is the function the CLI and the upload page both call. It never raises for bad content: every
outcome, including an unreadable file, comes back as a FileResult carrying Chinese issues. A file is
archived under data/raw/ by its SHA-256 before anything else, so nothing submitted is ever lost.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipeline.catalog import Catalog, load_catalog
from pipeline.issues import ERROR, Issue, RejectedFile
from pipeline.load import already_loaded, archive_raw, load_validated, record_rejected_file, recorded_issues
from pipeline.locate import locate_return
from pipeline.read import read_workbook
from pipeline.registry import Registry, load_registry
from pipeline.validate import validate_return
from pipeline.warehouse import REPO_ROOT, writer

log = logging.getLogger(__name__)

DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et"}
STATUS_WORDS = {
    "accepted": "已接收",
    "accepted_with_warnings": "已接收（有提示）",
    "rejected": "被退回",
    "unchanged": "未变化",
}


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
            "issues": [i.as_dict() for i in self.issues],
        }


def ingest_bytes(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    *,
    received_at: datetime,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
    today: date | None = None,
) -> FileResult:
    """Archive, check and load one file into the open writer connection."""
    catalog = catalog or load_catalog()
    registry = registry or load_registry()
    sha256 = hashlib.sha256(data).hexdigest()
    raw_path = archive_raw(data, raw_dir, file_name) if data else None
    previous = already_loaded(con, sha256, file_name)
    if previous is not None:
        status, issues = recorded_issues(con, previous.submission_id)
        # The same bytes again change nothing; a file rejected before is still rejected, with its errors,
        # so a submitter who resends an unfixed file is not told "unchanged" and left guessing.
        status = "rejected" if status == "rejected" else "unchanged"
        return FileResult(
            file_name,
            sha256,
            status,
            previous.message,
            tuple(i.__class__(**{**i.as_dict(), "file": file_name}) for i in issues),
            submission_id=previous.submission_id,
        )
    try:
        workbook = read_workbook(data, file_name)
        located = locate_return(workbook, catalog)
    except RejectedFile as rejected:
        outcome = record_rejected_file(
            con,
            file_name=file_name,
            sha256=sha256,
            issues=rejected.issues,
            received_at=received_at,
            raw_path=str(raw_path or ""),
        )
        return FileResult(
            file_name, sha256, "rejected", outcome.message, tuple(rejected.issues), submission_id=outcome.submission_id
        )
    validated = validate_return(workbook, located, catalog, registry, expected_year=expected_year, today=today)
    outcome = load_validated(con, validated, received_at=received_at, raw_path=str(raw_path))
    return FileResult(
        file_name,
        sha256,
        outcome.status,
        outcome.message,
        validated.issues,
        validated.unit_code,
        validated.return_code,
        validated.year,
        outcome.submission_id,
        outcome.superseded_id,
    )


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


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: the given files, and Excel files found under given folders (sorted for repeatability)."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in EXCEL_SUFFIXES and not p.name.startswith(("~$", "."))
                )
            )
        else:
            found.append(path)
    return found


def received_time(path: Path) -> datetime:
    """A file collected from email or IM into a folder arrived when it was saved there: use its mtime."""
    return datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


def ingest_paths(
    paths: Iterable[Path],
    *,
    warehouse: Path | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
    today: date | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Ingest files and folders in one writer cycle; each file still loads in its own transaction."""
    files = collect_files(paths)
    catalog, registry = load_catalog(), load_registry()
    results: list[FileResult] = []
    with writer(warehouse) as con:
        for path in files:
            data = path.read_bytes()
            try:
                result = ingest_bytes(
                    con,
                    data,
                    path.name,
                    received_at=received_time(path),
                    catalog=catalog,
                    registry=registry,
                    raw_dir=raw_dir,
                    expected_year=expected_year,
                    today=today,
                )
            except Exception:  # noqa: BLE001 - one bad file must not stop the batch
                result = _unexpected_failure(path.name, data)
            results.append(result)
            if on_result:
                on_result(result)
    return results


def check_bytes(
    data: bytes,
    file_name: str,
    *,
    catalog: Catalog,
    registry: Registry,
    expected_year: int | None = None,
    today: date | None = None,
) -> FileResult:
    """Everything ingest does except archiving and loading: what would happen to this file."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        workbook = read_workbook(data, file_name)
        located = locate_return(workbook, catalog)
    except RejectedFile as rejected:
        return FileResult(file_name, sha256, "rejected", "文件无法读取或无法识别", tuple(rejected.issues))
    validated = validate_return(workbook, located, catalog, registry, expected_year=expected_year, today=today)
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
    )


def check_paths(
    paths: Iterable[Path], *, expected_year: int | None = None, today: date | None = None
) -> list[FileResult]:
    catalog, registry = load_catalog(), load_registry()
    results = []
    for path in collect_files(paths):
        data = path.read_bytes()
        try:
            results.append(
                check_bytes(
                    data, path.name, catalog=catalog, registry=registry, expected_year=expected_year, today=today
                )
            )
        except Exception:  # noqa: BLE001 - one bad file must not stop the batch
            results.append(_unexpected_failure(path.name, data))
    return results


def ingest_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    warehouse: Path | None = None,
    raw_dir: Path = DEFAULT_RAW_DIR,
    expected_year: int | None = None,
) -> list[FileResult]:
    """The upload page's entry point: (name, bytes) pairs received now."""
    catalog, registry = load_catalog(), load_registry()
    results: list[FileResult] = []
    now = datetime.now().replace(microsecond=0)
    with writer(warehouse) as con:
        for name, data in files:
            try:
                results.append(
                    ingest_bytes(
                        con,
                        data,
                        name,
                        received_at=now,
                        catalog=catalog,
                        registry=registry,
                        raw_dir=raw_dir,
                        expected_year=expected_year,
                    )
                )
            except Exception:  # noqa: BLE001 - one bad file must not stop the batch
                results.append(_unexpected_failure(name, data))
    return results
