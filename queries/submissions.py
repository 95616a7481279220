"""报送情况: who has submitted which return for a reporting year, who is late, who must be chased.

Plain functions (no streamlit) over the warehouse; each runs one file of queries/sql/tracker_*.sql read whole,
with bound parameters. The expected units come from the registry (R1 → the cities, R2 → the industry unions,
R3/R4 → the province, as the catalog's ``submitted_by`` says) and the deadline from the catalog
(``reporting.deadline_month_day`` of year + 1). ``unit_codes`` limits every answer to the units an account may
see (None = all); it is applied here, never in widgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline import issue_codes
from pipeline.catalog import Catalog, load_catalog
from pipeline.issues import indicator_unnamed
from pipeline.registry import Registry, Unit, load_registry

SQL_DIR = Path(__file__).resolve().parent / "sql"

ON_TIME, LATE, MISSING, REJECTED_ONLY = "on_time", "late", "missing", "rejected_only"
STATUS_WORDS = {
    ON_TIME: "已报送（按时）",
    LATE: "已报送（逾期）",
    MISSING: "未报送",
    REJECTED_ONLY: "仅有被退回的文件",
}
CHASED = (MISSING, REJECTED_ONLY)  # the statuses that put a unit on the 催报名单
CHASE_COLUMNS = ("单位", "报表", "情况", "最近一次报送的填报人", "联系电话", "最近报送时间", "备注")


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _scope(unit_codes: Iterable[str] | None) -> list[str] | None:
    return None if unit_codes is None else sorted(unit_codes)


def cn_date(day: date) -> str:
    """2026年1月31日"""
    return f"{day.year}年{day.month}月{day.day}日"


def deadline(catalog: Catalog, year: int) -> date:
    """The last on-time day for a year's returns: deadline_month_day of the following year."""
    month, day = (int(part) for part in catalog.reporting.deadline_month_day.split("-"))
    return date(year + 1, month, day)


def expected_units(registry: Registry, catalog: Catalog, return_code: str) -> tuple[Unit, ...]:
    """The units that owe a return of this type, in the registry's order."""
    return registry.of_type(catalog.returns[return_code].submitted_by)


def return_label(catalog: Catalog, return_code: str) -> str:
    """R1 市（区）总工会年度报表"""
    return f"{return_code} {catalog.returns[return_code].name}"


def _units_param(units: Iterable[Unit]) -> list[dict[str, Any]]:
    return [{"position": i, "code": u.code, "name": u.name} for i, u in enumerate(units)]


def _files_text(count: int, files: Iterable[str], what: str) -> str:
    return f"{count}份{what}：{'、'.join(files)}" if count else ""


# --- the tracker table ----------------------------------------------------------------------------------------


def tracker_table(
    con: duckdb.DuckDBPyConnection,
    year: int,
    return_code: str,
    registry: Registry | None = None,
    catalog: Catalog | None = None,
    *,
    unit_codes: frozenset[str] | None = None,
) -> pd.DataFrame:
    """One row per expected unit: unit_code, unit_name, status, status_word, file_name, received_at, filled_on,
    submitter, phone, first_received_at, superseded_count, superseded_files, superseded_text, rejected_count,
    rejected_files, rejected_text."""
    registry, catalog = registry or load_registry(), catalog or load_catalog()
    params = {
        "units": _units_param(expected_units(registry, catalog, return_code)),
        "year": int(year),
        "return_code": return_code,
        "deadline": deadline(catalog, year),
        "scope": _scope(unit_codes),
    }
    df = con.execute(_sql("tracker_returns"), params).df()
    df["superseded_files"] = df["superseded_files"].map(list)
    df["rejected_files"] = df["rejected_files"].map(list)
    df.insert(3, "status_word", df["status"].map(STATUS_WORDS))
    df["superseded_text"] = [
        _files_text(n, files, "已被替代")
        for n, files in zip(df["superseded_count"], df["superseded_files"], strict=True)
    ]
    df["rejected_text"] = [
        _files_text(n, files, "被退回") for n, files in zip(df["rejected_count"], df["rejected_files"], strict=True)
    ]
    return df


@dataclass(frozen=True)
class TrackerSummary:
    year: int
    return_code: str
    expected: int
    submitted: int
    late: int
    missing: tuple[str, ...]  # unit names
    rejected_only: tuple[str, ...]  # unit names

    @property
    def text(self) -> str:
        """2025年度 R1：应报12个，已报送11个（逾期0个），未报送1个：商洛市总工会"""
        text = (
            f"{self.year}年度 {self.return_code}：应报{self.expected}个，已报送{self.submitted}个"
            f"（逾期{self.late}个），未报送{len(self.missing)}个"
        )
        if self.missing:
            text += "：" + "、".join(self.missing)
        if self.rejected_only:
            text += f"，仅有被退回的文件{len(self.rejected_only)}个：" + "、".join(self.rejected_only)
        return text


def tracker_summary(table: pd.DataFrame, year: int, return_code: str) -> TrackerSummary:
    """The counts behind the summary line, from tracker_table's rows."""
    status = table["status"]
    return TrackerSummary(
        year=year,
        return_code=return_code,
        expected=len(table),
        submitted=int(status.isin([ON_TIME, LATE]).sum()),
        late=int((status == LATE).sum()),
        missing=tuple(table.loc[status == MISSING, "unit_name"]),
        rejected_only=tuple(table.loc[status == REJECTED_ONLY, "unit_name"]),
    )


# --- rejected files -------------------------------------------------------------------------------------------


def issue_line(issue: dict[str, str]) -> str:
    """【不是数字】“待定”不是数字…（本级情况!D35，指标“…”）: the code's Chinese title, never the code itself; the
    indicator when the message does not name it (recorded since the column was added; older rows have none)."""
    where = f"{issue['sheet']}!{issue['cell']}" if issue["sheet"] and issue["cell"] else issue["sheet"]
    indicator = issue.get("indicator") or ""
    named = f"指标“{indicator}”" if indicator_unnamed(issue["message"], indicator) else ""
    place = "，".join(part for part in (where, named) if part)
    return f"【{issue_codes.title(issue['code'])}】{issue['message']}" + (f"（{place}）" if place else "")


def _rejected(
    con: duckdb.DuckDBPyConnection,
    year: int,
    *,
    identified: bool | None,
    return_code: str | None,
    unit_codes: frozenset[str] | None,
    registry: Registry | None,
) -> pd.DataFrame:
    registry = registry or load_registry()
    params = {
        "units": _units_param(registry.units),
        "year": int(year),
        "identified": identified,
        "return_code": return_code,
        "scope": _scope(unit_codes),
    }
    df = con.execute(_sql("tracker_rejected"), params).df()
    df["issues"] = df["issues"].map(lambda issues: [dict(i) for i in issues])
    df["issue_lines"] = df["issues"].map(lambda issues: [issue_line(i) for i in issues])
    df["reasons"] = df["issues"].map(lambda issues: "；".join(i["message"] for i in issues if i["severity"] == "error"))
    df["recognised"] = [
        _recognised(*row) for row in zip(df["unit_name"], df["return_code"], df["year"], df["file_year"], strict=True)
    ]
    return df


def _recognised(unit_name: object, return_code: object, year: object, file_year: object = None) -> str:
    """咸阳市总工会 · R1 · 2024年度: what a rejected file was recognised as (parts unknown are left out); a year
    refused as wrong is named as the file states it (咸阳市总工会 · R1 · 文件中的报表年度为2023)."""
    parts = [
        unit_name if not pd.isna(unit_name) else None,
        return_code if not pd.isna(return_code) else None,
        f"{int(year)}年度" if not pd.isna(year) else None,
        f"文件中的报表年度为{file_year}" if pd.isna(year) and not pd.isna(file_year) else None,
    ]
    return " · ".join(p for p in parts if p)


def rejected_files(
    con: duckdb.DuckDBPyConnection,
    year: int,
    return_code: str | None = None,
    unit_codes: frozenset[str] | None = None,
    registry: Registry | None = None,
    *,
    identified: bool | None = None,
) -> pd.DataFrame:
    """The year's rejected files: submission_id, file_name, unit_code, unit_name, return_code, year, received_at,
    submitter, phone, identified (unit and type known), file_year (the year a file refused as wrong_year states), issues (dicts: severity code message fix sheet
    cell value indicator), issue_lines, reasons (the error messages joined), recognised (e.g. "咸阳市总工会 · R1"). ``identified`` None = all, True/False = only
    those files; a file without a year is counted in the year before it was received."""
    return _rejected(
        con, year, identified=identified, return_code=return_code, unit_codes=unit_codes, registry=registry
    )


def unidentified_files(
    con: duckdb.DuckDBPyConnection,
    year: int,
    unit_codes: frozenset[str] | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """Rejected files whose unit or type could not be read, every type (columns of rejected_files)."""
    return _rejected(con, year, identified=False, return_code=None, unit_codes=unit_codes, registry=registry)


# --- what the page shows, built once per data version -------------------------------------------------------

# The tracker table's columns the page shows (unit_code stays for readers of the frame, hidden on screen).
DISPLAY_COLUMNS = (
    "unit_code", "unit_name", "status_word", "received_at", "submitter", "phone", "file_name", "filled_on",
    "superseded_text", "rejected_text",
)  # fmt: skip


@dataclass(frozen=True)
class RejectedFile:
    """A rejected file as the page lists it: its name, what it was recognised as, when it came, its problems."""

    file_name: str
    recognised: str
    received_at: datetime
    issue_lines: tuple[str, ...]


@dataclass(frozen=True)
class TrackerView:
    """报送情况 for a year and return type: the table (DISPLAY_COLUMNS), its summary and the rejected files."""

    table: pd.DataFrame
    summary: TrackerSummary
    rejected: tuple[RejectedFile, ...]


def rejected_entries(files: pd.DataFrame) -> tuple[RejectedFile, ...]:
    """rejected_files' rows as the page lists them, in the same order."""
    return tuple(
        RejectedFile(name, recognised, received_at, tuple(lines))
        for name, recognised, received_at, lines in zip(
            files["file_name"], files["recognised"], files["received_at"], files["issue_lines"], strict=True
        )
    )


def tracker_view(
    con: duckdb.DuckDBPyConnection,
    year: int,
    return_code: str,
    registry: Registry | None = None,
    catalog: Catalog | None = None,
    *,
    unit_codes: frozenset[str] | None = None,
) -> TrackerView:
    """What 报送情况 shows for one return type: tracker_table's shown columns, tracker_summary, and the type's rejected
    files of identified units (rejected_files), each limited to ``unit_codes``."""
    table = tracker_table(con, year, return_code, registry, catalog, unit_codes=unit_codes)
    rejected = rejected_files(con, year, return_code, unit_codes, registry, identified=True)
    return TrackerView(
        table=table[list(DISPLAY_COLUMNS)],
        summary=tracker_summary(table, year, return_code),
        rejected=rejected_entries(rejected),
    )


def unidentified_entries(
    con: duckdb.DuckDBPyConnection,
    year: int,
    unit_codes: frozenset[str] | None = None,
    registry: Registry | None = None,
) -> tuple[RejectedFile, ...]:
    """unidentified_files as the page lists them."""
    return rejected_entries(unidentified_files(con, year, unit_codes, registry))


# --- the 催报名单 ---------------------------------------------------------------------------------------------


def contacts(con: duckdb.DuckDBPyConnection, unit_codes: Iterable[str]) -> pd.DataFrame:
    """unit_code, submitter, phone, contact_received_at, last_received_at: whom to call at each unit."""
    return con.execute(_sql("tracker_contacts"), {"codes": sorted(set(unit_codes))}).df()


def _situation(status: str, overdue: bool) -> str:
    if status == MISSING:
        return "逾期未报送" if overdue else "未报送"
    return "仅有被退回的文件（已逾期）" if overdue else "仅有被退回的文件"


def _remark(status: str, due: date, overdue: bool, rejected: pd.DataFrame, has_contact: bool) -> str:
    if status == REJECTED_ONLY:
        parts = [f"被退回：{row.file_name}（{row.reasons}）" for row in rejected.itertuples()]
    else:
        parts = [f"已过截止日期{cn_date(due)}" if overdue else f"截止日期{cn_date(due)}"]
    if not has_contact:
        parts.append("无历史报送记录，请另行联系")
    return "；".join(parts)


def _missing_entries(
    con: duckdb.DuckDBPyConnection,
    year: int,
    return_code: str,
    registry: Registry,
    catalog: Catalog,
    unit_codes: frozenset[str] | None,
) -> list[dict[str, Any]]:
    table = tracker_table(con, year, return_code, registry, catalog, unit_codes=unit_codes)
    return [
        {"unit_code": row.unit_code, "unit_name": row.unit_name, "return_code": return_code, "status": row.status}
        for row in table.itertuples()
        if row.status in CHASED
    ]


def chase_list(
    con: duckdb.DuckDBPyConnection,
    year: int,
    registry: Registry | None = None,
    catalog: Catalog | None = None,
    *,
    unit_codes: frozenset[str] | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """The units to chase for a year, every return type: not submitted, or only rejected files.

    Columns CHASE_COLUMNS; 联系电话 and the submitter come from the unit's most recent return that has them.
    """
    registry, catalog = registry or load_registry(), catalog or load_catalog()
    due = deadline(catalog, year)
    overdue = (today or date.today()) > due
    entries = [e for code in catalog.returns for e in _missing_entries(con, year, code, registry, catalog, unit_codes)]
    who = contacts(con, [e["unit_code"] for e in entries]).set_index("unit_code")
    rejected = rejected_files(con, year, unit_codes=unit_codes, registry=registry, identified=True)
    rows = []
    for e in entries:
        contact = who.loc[e["unit_code"]]
        has_contact = not pd.isna(contact["phone"])
        mine = rejected[(rejected["unit_code"] == e["unit_code"]) & (rejected["return_code"] == e["return_code"])]
        rows.append({
            "单位": e["unit_name"],
            "报表": return_label(catalog, e["return_code"]),
            "情况": _situation(e["status"], overdue),
            "最近一次报送的填报人": None if pd.isna(contact["submitter"]) else contact["submitter"],
            "联系电话": contact["phone"] if has_contact else None,
            "最近报送时间": None if pd.isna(contact["last_received_at"]) else contact["last_received_at"],
            "备注": _remark(e["status"], due, overdue, mine, has_contact),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(CHASE_COLUMNS))
