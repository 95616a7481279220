"""The archive of submitted originals (data/raw/): a quota for rejected files, and pruning them.

Every file is archived by its SHA-256 before it is read (load.archive_original), once per content: the same bytes
sent again are the same archive file and the same submission row. Accepted files are kept for ever. Rejected
files are kept too, so an analyst can open what a unit really sent, but a unit (or an attacker) resending broken
files must not fill the disk: rejected originals are kept while they take at most REJECTED_QUOTA_BYTES
(default 500 MB, environment REJECTED_ARCHIVE_QUOTA_MB); past that a rejected file is still recorded with its
errors, but its bytes are not kept, and its outcome says so. `python -m pipeline prune-rejected --older-than
DAYS` deletes the originals of rejected files received more than DAYS days ago (their records stay).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from pipeline.issues import WARNING, Issue

_MIB = 1024 * 1024
DEFAULT_REJECTED_QUOTA_MB = 500


def rejected_quota_bytes() -> int:
    text = os.environ.get("REJECTED_ARCHIVE_QUOTA_MB", "").strip()
    try:
        return int(float(text) * _MIB) if text else DEFAULT_REJECTED_QUOTA_MB * _MIB
    except ValueError:
        return DEFAULT_REJECTED_QUOTA_MB * _MIB


def _rejected_paths(con: duckdb.DuckDBPyConnection, received_before: datetime | None = None) -> Iterator[Path]:
    rows = con.execute(
        "SELECT raw_path FROM submissions WHERE status = 'rejected' AND raw_path <> '' "
        "AND ($before IS NULL OR received_at < $before)",
        {"before": received_before},
    ).fetchall()
    for (raw_path,) in rows:
        yield Path(raw_path)


def rejected_archive_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes on disk held by the originals of rejected submissions."""
    return sum(path.stat().st_size for path in _rejected_paths(con) if path.is_file())


def over_quota_issue(file_name: str, quota_bytes: int) -> Issue:
    return Issue(
        WARNING,
        "archive_quota",
        f"被退回文件的原件存档已达 {quota_bytes // _MIB} MB 上限，本文件的原件未存档（退回记录和问题清单照常保存）",
        "请系统管理员按 README 中“清理被退回文件的存档”一节清理后，再请填报单位重新报送",
        file=file_name,
    )


def keep_rejected_original(con: duckdb.DuckDBPyConnection, raw_path: Path | None, *, newly_archived: bool) -> bool:
    """Whether a just-rejected file's archived original stays: False (and the file is removed) when it would
    take the rejected originals over the quota. An original that was already on disk before stays."""
    if raw_path is None or not newly_archived or not raw_path.is_file():
        return raw_path is not None
    quota = rejected_quota_bytes()
    if rejected_archive_bytes(con) + raw_path.stat().st_size <= quota:
        return True
    raw_path.unlink(missing_ok=True)
    return False


@dataclass(frozen=True)
class PruneResult:
    removed: tuple[Path, ...]
    freed_bytes: int


def prune_rejected(con: duckdb.DuckDBPyConnection, older_than_days: int, *, dry_run: bool = False) -> PruneResult:
    """Delete the archived originals of rejected submissions received more than older_than_days days ago.

    Only originals that no accepted submission shares are removed (the same bytes are one row, so a rejected
    row's file is its own). The submission rows and their issues stay: the history says what was refused.
    """
    cutoff = datetime.now() - timedelta(days=older_than_days)
    removed, freed = [], 0
    for path in _rejected_paths(con, cutoff):
        if not path.is_file():
            continue
        size = path.stat().st_size
        if not dry_run:
            path.unlink()
        removed.append(path)
        freed += size
    return PruneResult(tuple(removed), freed)
