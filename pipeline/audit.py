"""The audit trail: who did what, when and from where, append-only.

Rows live in the table ``audit_log`` of the access database (SQLite, beside the accounts; see pipeline/access.py
for why not the warehouse). Triggers make SQLite itself refuse UPDATE and DELETE on the table, so no code path of
the application, however wrong, can rewrite history.

``record()`` is what pages call: a failure to write is logged and swallowed, because a page that did its job
should not fail over its audit row; callers that must not go on without one pass ``strict=True``.

This module must stay free of Streamlit.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from pipeline.spreadsheet_text import neutralise_formula

log = logging.getLogger(__name__)

ACCESS_ENV = "SHIBATIAO_ACCESS_DB"
DEFAULT_ACCESS_PATH = Path(__file__).resolve().parent.parent / "data" / "access.sqlite"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
BUSY_TIMEOUT_MS = 5000

ACTIONS: dict[str, str] = {
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "sign_out": "退出登录",
    "password_changed": "修改密码",
    "upload": "上传报表",
    "supersede": "替代旧版本",
    "export": "导出",
    "settings_saved": "保存设置",
    "settings_restored": "恢复设置版本",
    "account_added": "新增账户",
    "account_disabled": "停用账户",
    "account_enabled": "启用账户",
    "password_reset": "重置密码",
    "role_changed": "变更角色或单位",
    "identity_changed": "变更统一身份认证映射",
    "access_denied": "拒绝访问",
}

COLUMNS = ("时间", "用户", "操作", "对象", "结果", "说明", "地址")
_WIDTHS = {"时间": 20, "用户": 16, "操作": 16, "对象": 28, "结果": 12, "说明": 60, "地址": 18}

_SCHEMA = """
create table if not exists audit_log (
    id integer primary key autoincrement,
    at text not null,
    actor text not null,
    action text not null,
    target text not null default '',
    outcome text not null default '',
    detail text not null default '',
    address text not null default ''
);
create index if not exists audit_log_at on audit_log (at);
create trigger if not exists audit_log_no_update before update on audit_log
begin
    select raise(abort, '操作日志只能追加，不能修改');
end;
create trigger if not exists audit_log_no_delete before delete on audit_log
begin
    select raise(abort, '操作日志只能追加，不能删除');
end;
"""


def default_path() -> Path:
    """$SHIBATIAO_ACCESS_DB when set (tests use temporary paths), else data/access.sqlite."""
    override = os.environ.get(ACCESS_ENV)
    return Path(override) if override else DEFAULT_ACCESS_PATH


def connect(path: Path | None = None) -> sqlite3.Connection:
    """A connection to the access database with the audit table in place. WAL lets page sessions read while
    another writes; the busy timeout makes concurrent writers wait instead of failing."""
    path = Path(path) if path is not None else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    con.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("pragma journal_mode = wal")
    con.executescript(_SCHEMA)
    return con


def utc_iso(moment: datetime) -> str:
    """One fixed form for stored times, so that they sort and compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def insert(
    con: sqlite3.Connection,
    action: str,
    *,
    actor: str,
    target: str = "",
    outcome: str = "",
    detail: str = "",
    address: str = "",
    at: datetime | None = None,
) -> None:
    """Append one row inside the caller's transaction (account changes and their rows commit together)."""
    con.execute(
        "insert into audit_log (at, actor, action, target, outcome, detail, address) values (?, ?, ?, ?, ?, ?, ?)",
        (utc_iso(at or datetime.now(UTC)), *(_text(v) for v in (actor, action, target, outcome, detail, address))),
    )


def _text(value: object) -> str:
    # Callers pass what a request reported (an address may be None, or not a string outside a real request).
    return value if isinstance(value, str) else ""


def record(
    action: str,
    *,
    actor: str,
    target: str = "",
    outcome: str = "",
    detail: str = "",
    address: str = "",
    path: Path | None = None,
    strict: bool = False,
    at: datetime | None = None,
) -> None:
    """Append one row to the audit trail. Never raises unless ``strict``: the failure is logged instead."""
    try:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        con = connect(path)
        try:
            with con:
                insert(con, action, actor=actor, target=target, outcome=outcome, detail=detail, address=address, at=at)
        finally:
            con.close()
    except Exception:
        log.exception("could not write audit row %s by %s on %s", action, actor, target)
        if strict:
            raise


def _as_utc_bound(moment: date | datetime, *, end_of_day: bool) -> str:
    """A date means a whole local (Beijing) day; a naive datetime is local time."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment + timedelta(days=1) if end_of_day else moment, time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return utc_iso(moment)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def action_code(action: str) -> str:
    """An action given as its code or its Chinese label, as the code."""
    for code, label in ACTIONS.items():
        if action in (code, label):
            return code
    return action


def entries(
    path: Path | None = None,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    text: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Audit rows, newest first, with Chinese column names and local times. ``until`` as a date includes that
    day; ``text`` searches the object and the note."""
    clauses, params = [], []
    if actor:
        clauses.append("actor = ? collate nocase")
        params.append(actor.strip())
    if action:
        clauses.append("action = ?")
        params.append(action_code(action))
    if since is not None:
        clauses.append("at >= ?")
        params.append(_as_utc_bound(since, end_of_day=False))
    if until is not None:
        clauses.append("at < ?" if not isinstance(until, datetime) else "at <= ?")
        params.append(_as_utc_bound(until, end_of_day=True))
    if text:
        clauses.append("(target like ? escape '\\' or detail like ? escape '\\')")
        pattern = f"%{_escape_like(text.strip())}%"
        params += [pattern, pattern]
    sql = "select at, actor, action, target, outcome, detail, address from audit_log"
    if clauses:
        sql += " where " + " and ".join(clauses)
    sql += " order by id desc"
    if limit is not None:
        sql += " limit ?"
        params.append(int(limit))
    con = connect(path)
    try:
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    return pd.DataFrame(
        [
            (_local_text(at), actor_, ACTIONS.get(code, code), target, outcome, detail, address)
            for at, actor_, code, target, outcome, detail, address in rows
        ],
        columns=list(COLUMNS),
    )


def _local_text(stored: str) -> str:
    return datetime.fromisoformat(stored).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def actors(path: Path | None = None) -> list[str]:
    """Every user name that appears in the trail, for a filter's choices."""
    con = connect(path)
    try:
        return [row[0] for row in con.execute("select distinct actor from audit_log order by actor")]
    finally:
        con.close()


def entries_xlsx(frame: pd.DataFrame, *, title: str = "操作日志", now: Callable[[], datetime] | None = None) -> bytes:
    """The rows as a workbook to hand on: Chinese headers, readable widths, a frozen header row, a filter, and
    every text cell written so that a spreadsheet shows it as text (a user name or file name may look like a
    formula)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    columns = list(frame.columns)
    sheet.append([neutralise_formula(str(name)) for name in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="center")
    for row in frame.itertuples(index=False):
        sheet.append([neutralise_formula("" if pd.isna(value) else str(value)) for value in row])
    for index, name in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = _WIDTHS.get(str(name), 18)
        for cell in sheet[letter][1:]:
            cell.alignment = Alignment(wrap_text=str(name) == "说明", vertical="top")
    sheet.freeze_panes = "A2"
    if len(frame):
        sheet.auto_filter.ref = sheet.dimensions
    made = (now or (lambda: datetime.now(LOCAL_TZ)))()
    book.properties.title = title
    book.properties.created = made.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_workbook(frame: pd.DataFrame, *, actor: str, address: str = "", path: Path | None = None,
                    file_name: str = "") -> bytes:  # fmt: skip
    """The workbook of ``frame``, with the export itself written to the trail: the 操作日志 page hands this to its
    download button, which builds the file only when it is clicked."""
    data = entries_xlsx(frame)
    record("export", actor=actor, target="操作日志", outcome="成功", detail=f"{len(frame)} 条，{file_name}".rstrip("，"),
           address=address, path=path)  # fmt: skip
    return data
