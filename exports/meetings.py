"""Meeting versions (会议版): what was shown at a meeting, frozen under a name so that it can be shown and exported
again later exactly as it was, whatever returns arrive and whatever thresholds change afterwards.

A meeting version is a folder data/meetings/<safe name>/ holding
  warehouse.duckdb  a consistent copy of the warehouse (the figures, every submission, every cell's source);
  measures.yaml     the catalog in force (indicators, rules and thresholds), byte for byte;
  units.yaml        the unit registry in force (names and aliases);
                    the settings saved in the warehouse (thresholds, deadline, unit changes) travel inside the
                    frozen warehouse's settings_versions table, so a version keeps the overrides in force at the
                    freeze: its reference is load_reference(frozen warehouse, frozen files);
  manifest.json     name, created_at, the year shown, the data version text, the source warehouse, and the
                    SHA-256 of each file, checked when the version is opened.
Statuses are not stored: they are judged again from these three files, which gives the very statuses,
explanations and figures of the freeze (the status engine is deterministic), and keeps one code path.

The copy follows pipeline.warehouse's policy: writers never write the warehouse file in place, they swap a new
file in with os.replace. A file handle opened once therefore reads one complete version from start to end, even if
a writer swaps a new one in meanwhile. The folder is built under a temporary name and renamed into place, so a
half-frozen version is never listed. This module does not import streamlit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.catalog import DEFAULT_CATALOG_PATH, Catalog, load_catalog
from pipeline.reference import Reference, load_reference
from pipeline.registry import DEFAULT_REGISTRY_PATH, Registry, load_registry
from pipeline.warehouse import REPO_ROOT, open_reader, warehouse_path
from queries.board import StatusBook
from queries.warehouse import warehouse_summary

DEFAULT_MEETINGS_DIR = REPO_ROOT / "data" / "meetings"
MEETINGS_ENV = "SHIBATIAO_MEETINGS"  # tests and deployments point it elsewhere, like SHIBATIAO_WAREHOUSE
WAREHOUSE_FILE, CATALOG_FILE, REGISTRY_FILE, MANIFEST_FILE = (
    "warehouse.duckdb",
    "measures.yaml",
    "units.yaml",
    "manifest.json",
)
FROZEN_FILES = (WAREHOUSE_FILE, CATALOG_FILE, REGISTRY_FILE)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME = 60


class MeetingError(Exception):
    """A meeting version that cannot be made or opened; the message is Chinese, fit for the user."""


@dataclass(frozen=True)
class MeetingVersion:
    name: str  # as the user typed it: 2025年度全省产业工会工作推进会
    folder: Path
    created_at: datetime
    year: int | None  # the reporting year shown at the meeting
    version_text: str  # 数据版本：截至第121号报送（最近接收 …）
    last_submission_id: int  # submissions after this one arrived after the freeze
    is_demo: bool
    source_warehouse: str
    sha256: dict[str, str]  # file name -> SHA-256 at freeze time

    @property
    def warehouse_path(self) -> Path:
        return self.folder / WAREHOUSE_FILE

    @property
    def catalog_path(self) -> Path:
        return self.folder / CATALOG_FILE

    @property
    def registry_path(self) -> Path:
        return self.folder / REGISTRY_FILE

    @property
    def label(self) -> str:
        """会议版“…”（冻结于 2026-02-03 10:15）"""
        return f"会议版“{self.name}”（冻结于 {self.created_at:%Y-%m-%d %H:%M}）"

    def manifest(self) -> dict:
        return {
            "name": self.name,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "year": self.year,
            "version_text": self.version_text,
            "last_submission_id": self.last_submission_id,
            "is_demo": self.is_demo,
            "source_warehouse": self.source_warehouse,
            "sha256": self.sha256,
        }


def meetings_root(meetings_dir: Path | str | None = None) -> Path:
    """The folder given, else $SHIBATIAO_MEETINGS when set, else data/meetings."""
    if meetings_dir is not None:
        return Path(meetings_dir)
    override = os.environ.get(MEETINGS_ENV)
    return Path(override) if override else DEFAULT_MEETINGS_DIR


def safe_name(name: str) -> str:
    """The folder name of a meeting version: the name without path separators, control characters and
    characters Windows refuses, at most MAX_NAME characters; Chinese is kept."""
    cleaned = _UNSAFE.sub("_", name.strip()).strip(". ")
    if not any(ch.isalnum() for ch in cleaned):  # Chinese characters count as alphanumeric
        raise MeetingError("会议版名称不能为空，也不能只由标点组成。")
    return cleaned[:MAX_NAME]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_consistent(source: Path, target: Path) -> None:
    """One open handle reads one whole version: writers replace the file, never change it in place."""
    with open(source, "rb") as reading, open(target, "wb") as writing:
        shutil.copyfileobj(reading, writing, 1 << 20)
        writing.flush()
        os.fsync(writing.fileno())


def _from_manifest(folder: Path) -> MeetingVersion:
    data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    return MeetingVersion(
        name=data["name"],
        folder=folder,
        created_at=datetime.fromisoformat(data["created_at"]),
        year=data.get("year"),
        version_text=data["version_text"],
        last_submission_id=int(data["last_submission_id"]),
        is_demo=bool(data["is_demo"]),
        source_warehouse=data["source_warehouse"],
        sha256=dict(data["sha256"]),
    )


def freeze(
    name: str,
    *,
    warehouse: Path | str | None = None,
    catalog_path: Path | str = DEFAULT_CATALOG_PATH,
    registry_path: Path | str = DEFAULT_REGISTRY_PATH,
    meetings_dir: Path | str | None = None,
    year: int | None = None,
    now: datetime | None = None,
) -> MeetingVersion:
    """Freeze the warehouse, catalog and registry as they are now under ``name``; refuses a name already used."""
    root = meetings_root(meetings_dir)
    source = Path(warehouse) if warehouse is not None else warehouse_path()
    if not source.is_file():
        raise MeetingError(f"找不到数据仓库 {source}，无法冻结会议版。")
    load_catalog(Path(catalog_path)), load_registry(Path(registry_path))  # refuse to freeze what cannot be read
    folder = root / safe_name(name)
    if folder.exists():
        raise MeetingError(f"已有名为“{name}”的会议版（{folder.name}），请换一个名称。")
    root.mkdir(parents=True, exist_ok=True)
    building = root / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        _copy_consistent(source, building / WAREHOUSE_FILE)
        shutil.copyfile(catalog_path, building / CATALOG_FILE)
        shutil.copyfile(registry_path, building / REGISTRY_FILE)
        con = open_reader(building / WAREHOUSE_FILE)
        try:
            summary = warehouse_summary(con)
        finally:
            con.close()
        version = MeetingVersion(
            name=name.strip(),
            folder=folder,
            created_at=(now or datetime.now()).replace(microsecond=0),
            year=year,
            version_text=summary.version_text,
            last_submission_id=summary.last_submission_id,
            is_demo=summary.is_demo,
            source_warehouse=str(source.absolute()),
            sha256={file: _sha256(building / file) for file in FROZEN_FILES},
        )
        manifest = json.dumps(version.manifest(), ensure_ascii=False, indent=2)
        (building / MANIFEST_FILE).write_text(manifest, encoding="utf-8")
        os.rename(building, folder)  # fails if another process froze the same name meanwhile
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return version


def list_meetings(meetings_dir: Path | str | None = None) -> list[MeetingVersion]:
    """Every meeting version, newest first; folders without a readable manifest are left out."""
    root = meetings_root(meetings_dir)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if folder.name.startswith(".") or not (folder / MANIFEST_FILE).is_file():
            continue
        try:
            found.append(_from_manifest(folder))
        except (ValueError, KeyError):
            continue
    return sorted(found, key=lambda m: (m.created_at, m.name), reverse=True)


def find_meeting(name: str, meetings_dir: Path | str | None = None) -> MeetingVersion:
    """The meeting version called ``name`` (or stored in the folder of that name)."""
    for meeting in list_meetings(meetings_dir):
        if name.strip() in (meeting.name, meeting.folder.name):
            return meeting
    raise MeetingError(f"没有名为“{name}”的会议版；可用 python -m pipeline meeting list 查看已有的会议版。")


def verify(meeting: MeetingVersion) -> list[str]:
    """The frozen files that are missing or no longer match their SHA-256 (empty when all is intact)."""
    problems = []
    for file, expected in meeting.sha256.items():
        path = meeting.folder / file
        if not path.is_file():
            problems.append(f"{file} 缺失")
        elif _sha256(path) != expected:
            problems.append(f"{file} 已被改动（SHA-256 不符）")
    return problems


def open_meeting(name: str, meetings_dir: Path | str | None = None) -> tuple[Path, Catalog]:
    """The frozen warehouse file and the catalog in force at the freeze (with the settings saved then), after
    checking the frozen files are intact."""
    meeting = find_meeting(name, meetings_dir)
    problems = verify(meeting)
    if problems:
        raise MeetingError(f"会议版“{meeting.name}”的文件不完整：{'；'.join(problems)}。")
    return meeting.warehouse_path, meeting_reference(meeting).catalog


def meeting_reference(meeting: MeetingVersion) -> Reference:
    """The catalog and registry in force at the freeze: the frozen files plus the settings saved in the frozen
    warehouse (none in a version frozen before settings existed)."""
    con = open_reader(meeting.warehouse_path)
    try:
        return load_reference(con, catalog_path=meeting.catalog_path, registry_path=meeting.registry_path)
    finally:
        con.close()


def summary_line(meeting: MeetingVersion) -> str:
    """One line of `meeting list`: name, freeze time, year shown, data version."""
    year = f"{meeting.year}年度　" if meeting.year else ""
    return f"{meeting.name}　冻结于 {meeting.created_at:%Y-%m-%d %H:%M}　{year}{meeting.version_text}"


def describe(meeting: MeetingVersion) -> list[str]:
    """What `meeting show` prints: the manifest in Chinese, whether the files are intact, and the statuses."""
    problems = verify(meeting)
    lines = [
        meeting.label,
        f"会上展示的年度：{meeting.year}年度" if meeting.year else "会上展示的年度：未指定",
        meeting.version_text + ("（演示数据）" if meeting.is_demo else ""),
        f"冻结自：{meeting.source_warehouse}",
        f"存放位置：{meeting.folder}",
        "文件校验：" + ("；".join(problems) if problems else "完好（SHA-256 与冻结时一致）"),
    ]
    if problems:
        return lines
    _, book = meeting_book(meeting.name, meeting.folder.parent)
    year = meeting.year if meeting.year in book.years else book.latest_year
    if year is not None:
        lines.append(f"{year}年度各条措施的状态：")
        for measure in book.catalog.measures:
            if result := book.result(measure.number, year):
                lines.append(f"  第{measure.number}条　{result.overall.status}　{result.overall.metric_text}")
    return lines


def meeting_registry(meeting: MeetingVersion) -> Registry:
    return meeting_reference(meeting).registry


def meeting_book(name: str, meetings_dir: Path | str | None = None) -> tuple[MeetingVersion, StatusBook]:
    """The meeting version and its statuses, judged from the frozen warehouse, catalog and registry."""
    path, _ = open_meeting(name, meetings_dir)
    meeting = find_meeting(name, meetings_dir)
    reference = meeting_reference(meeting)
    con = open_reader(path)
    try:
        return meeting, StatusBook.from_warehouse(con, catalog=reference.catalog, registry=reference.registry)
    finally:
        con.close()


def issued_on(meeting: MeetingVersion | None) -> date | None:
    """The date a document made from this version carries: its freeze date, so exporting it again gives the same
    document; None (today) for the live data."""
    return meeting.created_at.date() if meeting is not None else None
