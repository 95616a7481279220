"""Error reports a submitter can act on, in Chinese: a terminal block, a JSON list and an annotated workbook.

The annotated workbook is the submitter's own file with every offending cell highlighted and commented, plus a
错误清单 sheet in front listing every issue with a link to its cell, so it can be fixed and sent back as is.
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from pipeline.issues import Issue

__all__ = [
    "ERROR_FILL_RGB",
    "ISSUE_LIST_SHEET",
    "LIST_HEADER_ROW",
    "STATUS_TEXT",
    "WARNING_FILL_RGB",
    "annotate_workbook",
    "annotated_filename",
    "format_terminal",
    "issues_to_json",
    "sort_issues",
]

STATUS_TEXT = {
    "accepted": "已接收",
    "accepted_with_warnings": "已接收（有提示）",
    "rejected": "被退回",
    "unchanged": "未变化（与已接收的文件完全相同）",
}

ISSUE_LIST_SHEET = "错误清单"
COMMENT_AUTHOR = "十八条落实看板"
# Excel's own "bad" (light red) and "neutral" (amber) fills: clearly marked, text still readable.
ERROR_FILL_RGB = "FFFFC7CE"
WARNING_FILL_RGB = "FFFFEB9C"
LIST_HEADER_ROW = 3  # title in row 1, a how-to line in row 2, the table header in row 3
LIST_COLUMNS = (
    ("序号", 6),
    ("级别", 8),
    ("工作表", 18),
    ("单元格", 10),
    ("指标", 24),
    ("填写的内容", 24),
    ("问题", 50),
    ("修改方法", 50),
)
# A rejected file may be a zip bomb; do not let openpyxl inflate more than this just to annotate it.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)")
_ANSI = {"error": "\033[31m", "warning": "\033[33m", "bold": "\033[1m", "reset": "\033[0m"}


# -- ordering -------------------------------------------------------------------------------------------------------


def _cell_position(cell: str) -> tuple[int, int] | None:
    """(row, column) of an A1 reference (the first cell of a range), or None when it is not one."""
    match = _CELL_RE.match(cell.strip())
    if not match:
        return None
    letters, row = match.group(1).upper(), int(match.group(2))
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - ord("A") + 1
    return (row, column) if row > 0 else None


def _sort_key(issue: Issue) -> tuple[int, str, int, int]:
    # Row-major, not string order: A2 < B2 < A10. Whole-sheet issues (no cell) come first within their sheet.
    row, column = _cell_position(issue.cell) or (0, 0)
    return (0 if issue.is_error else 1, issue.sheet, row, column)


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Errors before warnings, then by sheet, then by cell in reading order."""
    return sorted(issues, key=_sort_key)


def _counts(issues: Sequence[Issue]) -> tuple[int, int]:
    errors = sum(1 for i in issues if i.is_error)
    return errors, len(issues) - errors


# -- terminal and JSON ----------------------------------------------------------------------------------------------


def format_terminal(file_name: str, status: str, issues: Sequence[Issue], *, color: bool = False) -> str:
    """A block for the console: the file and its outcome, then one line per issue."""

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_ANSI['reset']}" if color else text

    errors, warnings_ = _counts(issues)
    outcome = STATUS_TEXT.get(status, status)
    if status == "rejected":
        outcome = paint(outcome, "error")
    elif status == "accepted_with_warnings":
        outcome = paint(outcome, "warning")
    tally = f"（{errors} 个错误，{warnings_} 个提示）" if issues else ""
    lines = [f"{paint(f'文件“{file_name}”', 'bold')}：{outcome}{tally}"]
    for issue in sort_issues(issues):
        lines.append("  " + paint(issue.format_line(), "error" if issue.is_error else "warning"))
    return "\n".join(lines)


def issues_to_json(results: Sequence[dict]) -> str:
    """A JSON list for programs, one object per file; issues as Issue.as_dict(), in the report's order."""
    out = []
    for result in results:
        issues = [i if isinstance(i, Issue) else Issue(**i) for i in result.get("issues", ())]
        out.append(
            {
                "file": result.get("file"),
                "status": result.get("status"),
                "unit_code": result.get("unit_code"),
                "year": result.get("year"),
                "return_code": result.get("return_code"),
                "issues": [i.as_dict() for i in sort_issues(issues)],
            }
        )
    return json.dumps(out, ensure_ascii=False, indent=2)


# -- the annotated workbook -----------------------------------------------------------------------------------------


def annotated_filename(file_name: str) -> str:
    stem = PurePath(file_name.replace("\\", "/")).stem
    return f"{stem}_审核意见.xlsx" if stem else "审核意见.xlsx"


def annotate_workbook(data: bytes, file_name: str, issues: Sequence[Issue]) -> bytes:
    """The submitter's workbook (as .xlsx) with offending cells marked and a 错误清单 sheet in front."""
    wb = _open_with_openpyxl(data) or _copy_with_calamine(data) or _empty_workbook()
    _prepare(wb)
    ordered = sort_issues(issues)
    _mark_cells(wb, ordered)
    _write_issue_list(wb, file_name, ordered)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open_with_openpyxl(data: bytes) -> Workbook | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; irrelevant to the copy
            return load_workbook(io.BytesIO(data), keep_vba=False)
    except Exception:  # any failure means "not a workbook openpyxl can edit"; the next reader gets its turn
        return None


def _copy_with_calamine(data: bytes) -> Workbook | None:
    """Values only (.xls, or an .xlsx openpyxl rejects): enough for the submitter to see where each problem is."""
    try:
        source = CalamineWorkbook.from_filelike(io.BytesIO(data))
        wb = _empty_workbook()
        for name in source.sheet_names:
            ws = wb.create_sheet(name)
            rows = source.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value != "":  # calamine reports empty cells as ""
                        _put(ws.cell(row=r, column=c), value)
        return wb
    except Exception:  # unreadable by calamine too: fall back to the list alone
        return None


def _put(cell: Cell, value: object) -> Cell:
    """Write a value; text that starts with "=" stays text (openpyxl would otherwise store it as a formula)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _empty_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _prepare(wb: Workbook) -> None:
    """Unprotect everything so cells can be fixed, and undo an earlier annotation of a resubmitted copy."""
    if ISSUE_LIST_SHEET in wb.sheetnames:
        wb.remove(wb[ISSUE_LIST_SHEET])
    wb.security = None
    for ws in wb.worksheets:
        ws.protection.sheet = False
        ws.sheet_view.tabSelected = False
        # The stored cells only: iter_rows would materialise every cell of the used range.
        for cell in list(ws._cells.values()):
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                if cell.fill.fgColor.rgb in (ERROR_FILL_RGB, WARNING_FILL_RGB):
                    cell.fill = PatternFill()


def _target_cell(wb: Workbook, issue: Issue) -> Cell | None:
    """The cell an issue points at (the top-left cell when it lies in a merged range), if it exists."""
    position = _cell_position(issue.cell)
    if not issue.sheet or issue.sheet not in wb.sheetnames or position is None:
        return None
    ws = wb[issue.sheet]
    cell = ws.cell(row=position[0], column=position[1])
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if cell.coordinate in merged:
                return ws.cell(row=merged.min_row, column=merged.min_col)
    return cell


def _comment_text(issue: Issue) -> str:
    found = f"（填写的是“{issue.value}”）" if issue.value else ""
    label = "错误" if issue.is_error else "提示"
    named = f"指标“{issue.indicator}”：" if issue.indicator_unnamed else ""
    return f"【{label}】{named}{issue.message}{found}\n修改方法：{issue.fix}"


def _mark_cells(wb: Workbook, issues: Sequence[Issue]) -> None:
    # Several issues may share a cell: one comment with all of them; red wins over amber (errors come first).
    notes: dict[Cell, list[Issue]] = {}
    for issue in issues:
        cell = _target_cell(wb, issue)
        if cell is not None:
            notes.setdefault(cell, []).append(issue)
    for cell, cell_issues in notes.items():
        rgb = ERROR_FILL_RGB if cell_issues[0].is_error else WARNING_FILL_RGB
        cell.fill = PatternFill("solid", fgColor=rgb)
        text = "\n\n".join(_comment_text(i) for i in cell_issues)
        cell.comment = Comment(text, COMMENT_AUTHOR, width=320, height=min(80 + 60 * len(cell_issues), 400))
        cell.parent.sheet_state = "visible"  # a problem on a hidden sheet must be seen


def _write_issue_list(wb: Workbook, file_name: str, issues: Sequence[Issue]) -> None:
    ws = wb.create_sheet(ISSUE_LIST_SHEET, 0)
    errors, warnings_ = _counts(issues)
    last = get_column_letter(len(LIST_COLUMNS))
    _put(ws["A1"], f"{file_name} 审核结果：{errors} 个错误，{warnings_} 个提示")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "红色为错误（必须修改后重新提交），黄色为提示（请核对）。点击“单元格”一栏可跳到对应位置。"
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    for col, (title, width) in enumerate(LIST_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
        header = ws.cell(row=LIST_HEADER_ROW, column=col, value=title)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = PatternFill("solid", fgColor="FF1F4E79")
        header.alignment = Alignment(horizontal="center", vertical="center")
    for n, issue in enumerate(issues, start=1):
        _write_issue_row(wb, ws, LIST_HEADER_ROW + n, n, issue)
    ws.freeze_panes = ws.cell(row=LIST_HEADER_ROW + 1, column=1)
    ws.sheet_view.tabSelected = True
    wb.active = 0


def _write_issue_row(wb: Workbook, ws: Worksheet, row: int, number: int, issue: Issue) -> None:
    values = (
        number,
        "错误" if issue.is_error else "提示",
        issue.sheet,
        issue.cell,
        issue.indicator,
        issue.value,
        issue.message,
        issue.fix,
    )
    for col, value in enumerate(values, start=1):
        cell = _put(ws.cell(row=row, column=col), value if value != "" else None)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.cell(row=row, column=2).fill = PatternFill(
        "solid", fgColor=ERROR_FILL_RGB if issue.is_error else WARNING_FILL_RGB
    )
    target = _target_cell(wb, issue)
    if target is not None:
        link = ws.cell(row=row, column=4)
        sheet = target.parent.title.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{target.coordinate}")
        link.font = Font(color="FF0563C1", underline="single")
