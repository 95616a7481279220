"""数据上传: what the upload page does with a batch of files, as plain functions the tests call directly.

The page stays thin: it hands (name, bytes) pairs to ``upload_batch`` and draws the plain dicts it gets back
(kept in session_state, so they must be plain data). Limits are checked here, before anything is archived or
parsed, each refusal in Chinese: at most ``max_files()`` files and ``max_total_bytes()`` a batch (environment
UPLOAD_MAX_FILES, default 60, and UPLOAD_MAX_TOTAL_MB, default 200; a batch over either is refused whole),
MAX_FILE_BYTES (pipeline/read.py's limit) per file, Excel file types only, and file names without control
characters. The page's uploader accepts any type and up to UPLOADER_LIMIT_MB per file precisely so that these
refusals, not Streamlit's English ones, reach the user.

A file name is only ever a label: the original is archived under its SHA-256 (pipeline/load.archive_original, which
keeps at most a known Excel extension of the name), parse workers receive the bytes, and the annotated copy's
download name is the name's last component. So "../../etc/passwd.xlsx" is shown and recorded as typed and never
opened or written as a path.

A 填报单位 account uploads with ``permitted_units`` = its own unit: ingest refuses a return of any other unit.
``audit_entries`` turns a batch's outcome into the rows the page records in the audit trail.

An annotated copy is made only of a file that passed the reader's safety checks, and only in a parse worker
(pipeline/sandbox.py): refused bytes are never handed to a parser again.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.catalog import Catalog
from pipeline.ingest import EXCEL_SUFFIXES, STATUS_WORDS, FileResult, ingest_uploads
from pipeline.issues import ERROR, Issue
from pipeline.read import MAX_FILE_BYTES
from pipeline.reference import load_reference
from pipeline.registry import Registry
from pipeline.report import annotated_filename, sort_issues
from pipeline.sandbox import default_workers
from pipeline.warehouse import open_reader, warehouse_path
from queries.submissions import deadline

log = logging.getLogger(__name__)

DEFAULT_MAX_FILES = 60
DEFAULT_MAX_TOTAL_MB = 200
_MIB = 1024 * 1024
# What the uploader itself lets through (also server.maxUploadSize): above MAX_FILE_BYTES, so a file between the
# two gets this module's Chinese refusal; only a file over this is stopped by Streamlit's own English message.
UPLOADER_LIMIT_MB = 100
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ANY_YEAR = 0  # the 本批报表年度 choice “不限” (a selectbox option of None would show a clear button)
STATUS_ORDER = ("rejected", "accepted_with_warnings", "accepted", "unchanged")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]{}<>#|$~])")


def markdown_safe(text: str) -> str:
    """Text typed by submitters (file names, cell values) shown literally in st.markdown: no bold, links or $math$."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _positive_env(name: str, default: int) -> int:
    """A positive whole number from the environment; the default when unset or not one (and logged)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        log.warning("环境变量 %s 的值 %r 不是正整数，使用默认值 %s", name, text, default)
        return default
    return value


def max_files() -> int:
    """How many files one batch may hold (UPLOAD_MAX_FILES, default 60)."""
    return _positive_env("UPLOAD_MAX_FILES", DEFAULT_MAX_FILES)


def max_total_bytes() -> int:
    """How many bytes one batch may hold in total (UPLOAD_MAX_TOTAL_MB, default 200)."""
    return _positive_env("UPLOAD_MAX_TOTAL_MB", DEFAULT_MAX_TOTAL_MB) * _MIB


def batch_refusal(sizes: Sequence[int]) -> str | None:
    """The Chinese refusal of a whole batch over the file-count or total-size cap (sizes in bytes), else None."""
    count, total, most_files, most_bytes = len(sizes), sum(sizes), max_files(), max_total_bytes()
    if count > most_files:
        return (
            f"一次最多上传{most_files}个文件，本次选择了{count}个，本批文件均未处理。"
            f"请分批上传（每批不超过{most_files}个）。"
        )
    if total > most_bytes:
        return (
            f"一批文件合计不能超过{most_bytes // _MIB} MB，本次选择的{count}个文件合计{_megabytes(total)}，"
            "本批文件均未处理。请分成几批上传，或先删除报表中多余的工作表和图片后再上传。"
        )
    return None


def default_raw_dir(warehouse: Path) -> Path:
    """Originals are archived next to the warehouse they were loaded into (data/raw for data/warehouse.duckdb)."""
    return Path(warehouse).parent / "raw"


def _issue_dict(issue: Issue) -> dict[str, str]:
    return {"severity": issue.severity, "code": issue.code, "sheet": issue.sheet, "cell": issue.cell,
            "line": issue.format_line()}  # fmt: skip


def _annotated(data: bytes, name: str, issues: Sequence[Issue]) -> bytes | None:
    try:
        return default_workers().annotate(data, name, issues)
    except Exception:  # noqa: BLE001 - a report that cannot be drawn must not hide the outcome itself
        log.exception("无法为文件 %s 生成标注了问题的工作簿", name)
        return None


def file_name_problem(name: str) -> Issue | None:
    """A name the page will not handle: control characters (a NUL, a newline) or an absurd length."""
    if _CONTROL_CHARACTERS.search(name) or len(name) > 255:
        shown = _CONTROL_CHARACTERS.sub("?", name)[:80]
        return Issue(
            ERROR, "bad_file_name", "文件名含有不可见的控制字符或过长，未处理",
            "请把文件改为普通的名称（如“西安市总工会2025年度报表.xlsx”）后重新上传", file=shown,
        )  # fmt: skip
    return None


def file_type_problem(name: str) -> Issue | None:
    suffix = Path(name).suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return None
    shown = f"“{suffix}”" if suffix else "（无扩展名）"
    return Issue(
        ERROR, "not_excel", f"文件类型{shown}不是 Excel 报表，未处理",
        "请上传用本年度模板填写的 .xlsx 或 .xls 文件", file=name,
    )  # fmt: skip


def _unit_name(code: str | None, registry: Registry) -> str:
    return registry.get(code).name if code and code in registry else ""


def _subject(result: FileResult, registry: Registry) -> str:
    """商洛市总工会 · R1 · 2025年度: what the file was recognised as (empty when nothing was)."""
    parts = []
    if result.unit_code and result.unit_code in registry:
        parts.append(registry.get(result.unit_code).name)
    if result.return_code:
        parts.append(result.return_code)
    if result.year:
        parts.append(f"{result.year}年度")
    return " · ".join(parts)


def result_dict(result: FileResult, data: bytes, registry: Registry) -> dict[str, Any]:
    """One file's outcome as plain data: status, Chinese words, issues (errors first) and the annotated copy."""
    issues = sort_issues(result.issues)
    annotated = _annotated(data, result.file_name, issues) if issues and result.readable else None
    return {
        "file": result.file_name,
        "status": result.status,
        "status_word": STATUS_WORDS[result.status],
        "message": result.message,
        "subject": _subject(result, registry),
        "unit_code": result.unit_code,
        "return_code": result.return_code,
        "year": result.year,
        "unit_name": _unit_name(result.unit_code, registry),
        "submission_id": result.submission_id,
        "superseded_id": result.superseded_id,
        "superseded": None,  # filled by upload_batch: the replaced version's file name and time
        "errors": sum(1 for i in issues if i.is_error),
        "warnings": sum(1 for i in issues if not i.is_error),
        "issues": [_issue_dict(i) for i in issues],
        "annotated": annotated,
        "annotated_name": annotated_filename(result.file_name) if annotated else None,
    }


def refused_result(issue: Issue) -> dict[str, Any]:
    """A file refused before it is archived or read: too large, not an Excel file, or a bad name."""
    messages = {"file_too_large": "文件过大，未处理", "bad_file_name": "文件名无效，未处理"}
    return {
        "file": issue.file, "status": "rejected", "status_word": STATUS_WORDS["rejected"],
        "message": messages.get(issue.code, "不是 Excel 报表，未处理"), "subject": "", "unit_code": None,
        "return_code": None, "year": None, "unit_name": "", "submission_id": None, "superseded_id": None,
        "superseded": None, "errors": 1, "warnings": 0, "issues": [_issue_dict(issue)],
        "annotated": None, "annotated_name": None,
    }  # fmt: skip


def oversized_issue(name: str, size: int) -> Issue:
    return Issue(
        ERROR, "file_too_large", f"文件大小为{_megabytes(size)}，超过{_megabytes(MAX_FILE_BYTES)}的上限，未处理",
        "一份报表通常不到1 MB。请删除多余的工作表、图片和格式后另存为 .xlsx 再上传", file=name,
    )  # fmt: skip


def refusal(name: str, size: int) -> Issue | None:
    """Why a file is not even looked at, or None."""
    if problem := file_name_problem(name):
        return problem
    if problem := file_type_problem(name):
        return problem
    return oversized_issue(name, size) if size > MAX_FILE_BYTES else None


def _superseded(con, ids: Sequence[int]) -> dict[int, str]:
    """submission id -> “文件名（收到时间）” of the versions a batch replaced."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT submission_id, file_name, received_at FROM submissions WHERE list_contains($ids, submission_id)",
        {"ids": list(ids)},
    ).fetchall()
    return {sid: f"{name}（{received:%Y-%m-%d %H:%M}收到）" for sid, name, received in rows}


def upload_batch(
    files: Sequence[tuple[str, bytes]],
    expected_year: int | None,
    warehouse: Path | None = None,
    raw_dir: Path | None = None,
    *,
    permitted_units: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """Check and load a batch in one writer cycle (each file in its own transaction), results in input order.

    Raises ValueError (Chinese) when the batch is over the file-count or total-size cap, before any file is
    archived or read; files with a bad name, of another type or over the size limit come back as rejected
    without being archived, parsed or loaded. With permitted_units (a 填报单位 account's own unit) a return of any
    other unit is refused by ingest and nothing of it is loaded.
    """
    refusal_text = batch_refusal([len(data) for _, data in files])
    if refusal_text:
        raise ValueError(refusal_text)
    warehouse = Path(warehouse) if warehouse is not None else warehouse_path()
    raw_dir = Path(raw_dir) if raw_dir is not None else default_raw_dir(warehouse)
    refused = [refusal(name, len(data)) for name, data in files]
    accepted = [pair for pair, problem in zip(files, refused, strict=True) if problem is None]
    scope = frozenset(permitted_units) if permitted_units is not None else None
    results = iter(
        ingest_uploads(
            accepted, warehouse=warehouse, raw_dir=raw_dir, expected_year=expected_year, permitted_units=scope
        )
    )
    con = open_reader(warehouse)  # the version just written: its registry (with saved settings) names the units
    try:
        registry = load_reference(con).registry
        outcome = [
            result_dict(next(results), data, registry) if problem is None else refused_result(problem)
            for (name, data), problem in zip(files, refused, strict=True)
        ]
        replaced = _superseded(con, [r["superseded_id"] for r in outcome if r["superseded_id"] is not None])
    finally:
        con.close()
    for result in outcome:
        if result["superseded_id"] is not None:
            result["superseded"] = replaced.get(result["superseded_id"], f"报送编号{result['superseded_id']}")
    return outcome


def audit_outcome(result: dict[str, Any]) -> str:
    """接收 / 接收（有提示） / 退回 / 未变化, with “，已替代旧版本” when the file replaced an earlier one."""
    words = {"accepted": "接收", "accepted_with_warnings": "接收（有提示）", "rejected": "退回", "unchanged": "未变化"}
    return words[result["status"]] + ("，已替代旧版本" if result.get("superseded_id") is not None else "")


def audit_detail(result: dict[str, Any]) -> str:
    """单位：商洛市总工会（C10）；年度：2025；报表：R1；报送编号：57 — what the file was, as far as it was read."""
    parts = []
    if result.get("unit_code"):
        parts.append(f"单位：{result.get('unit_name') or result['unit_code']}（{result['unit_code']}）")
    if result.get("year"):
        parts.append(f"年度：{result['year']}")
    if result.get("return_code"):
        parts.append(f"报表：{result['return_code']}")
    if result.get("submission_id") is not None:
        parts.append(f"报送编号：{result['submission_id']}")
    if result["status"] == "rejected" and result.get("issues"):
        parts.append(f"问题：{result['errors']}个错误、{result['warnings']}个提示")
    return "；".join(parts) or "未能识别单位和年度"


def audit_entries(results: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, str]]]:
    """(action, fields) for each file of a batch: an "upload" row each, and a "supersede" row naming the version
    replaced. The fields are audit.record's keyword arguments but actor and address, which the page adds."""
    entries = []
    for result in results:
        entries.append(("upload", {"target": result["file"], "outcome": audit_outcome(result),
                                   "detail": audit_detail(result)}))  # fmt: skip
        if result.get("superseded_id") is not None:
            replaced = result.get("superseded") or f"报送编号{result['superseded_id']}"
            detail = f"{audit_detail(result)}；被替代的版本：报送编号{result['superseded_id']}，{replaced}"
            entries.append(("supersede", {"target": result["file"], "outcome": "已替代旧版本", "detail": detail}))
    return entries


def batch_summary(results: Sequence[dict[str, Any]]) -> str:
    """本批共3个文件：被退回1个，已接收2个"""
    counts = Counter(r["status"] for r in results)
    parts = [f"{STATUS_WORDS[s]}{counts[s]}个" for s in STATUS_ORDER if counts[s]]
    return f"本批共{len(results)}个文件：" + "，".join(parts)


def reporting_years(catalog: Catalog, today: date | None = None) -> list[int]:
    """The reporting years a file or template may be for, newest first."""
    today = today or date.today()
    return list(range(today.year, catalog.reporting.first_year - 1, -1))


def year_choices(catalog: Catalog, today: date | None = None) -> list[int]:
    """本批报表年度 options: ANY_YEAR (不限) first, then the reporting years from the newest."""
    return [ANY_YEAR, *reporting_years(catalog, today)]


def expected_year(choice: int) -> int | None:
    """The year a batch is held to: None for 不限."""
    return None if choice == ANY_YEAR else choice


def collecting_year(catalog: Catalog, today: date | None = None) -> int:
    """The year whose returns are being collected now: last year's until its deadline has passed, then this year's."""
    today = today or date.today()
    return today.year - 1 if today <= deadline(catalog, today.year - 1) else today.year


def template_returns(catalog: Catalog, registry: Registry, unit_code: str | None = None) -> list[str]:
    """The return types whose templates are offered: all of them, or only those a unit itself submits."""
    if unit_code is None:
        return list(catalog.returns)
    kind = registry.get(unit_code).type
    return [code for code, spec in catalog.returns.items() if spec.submitted_by == kind]


def template_units(
    catalog: Catalog, registry: Registry, return_code: str, unit_code: str | None = None
) -> list[str | None]:
    """Whom a template may be pre-filled for: None (the generic template) and every unit submitting the return,
    or a 填报单位 account's own unit alone."""
    if unit_code is not None:
        return [unit_code]
    return [None, *(u.code for u in registry.of_type(catalog.returns[return_code].submitted_by))]


def filling_help(catalog: Catalog) -> str:
    """How returns should be filled, in short (the template's 填表说明 sheet has the full rules)."""
    month, day = (int(part) for part in catalog.reporting.deadline_month_day.split("-"))
    return "\n".join([
        "1. 使用本页下载的**当年度空白模板**填写，不要使用往年模板或自制表格；模板第一页“填表说明”列出了每项指标的口径。",
        "2. 表头填写填报单位（从下拉列表选择）、填报人、联系电话和填报日期。",
        "3. 数字一律用阿拉伯数字，不带单位；金额以万元为单位；本年没有发生的事项填 0，不要留空；是/否从下拉列表选择。",
        "4. 与上年相比变化较大或统计口径不一致的，请在“说明”栏写明原因。",
        "5. 不要修改表头、工作表名称，不要插入或删除行列；含公式的表格请在 Excel 中保存一次，确保保存了计算结果。",
        f"6. 报送时限：每年{month}月{day}日前报送上一年度的报表，以本系统接收日期为准。",
        "7. 发现错误可修改后重新上传，新版本自动替代旧版本；被退回的文件请下载“审核意见”工作簿，按“错误清单”逐项修改后重新上传。",
    ])  # fmt: skip
