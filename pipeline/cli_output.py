"""What the CLI prints: a progress bar, each file's outcome and issues, a closing summary, tables."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from pipeline.catalog import Catalog, load_catalog
from pipeline.ingest import STATUS_WORDS, FileResult
from pipeline.registry import Registry
from pipeline.report import format_terminal


class Progress:
    """A progress bar on stderr, so stdout stays clean for the results."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar = tqdm(
            total=total,
            unit="个文件",
            file=sys.stderr,
            disable=not enabled,
            leave=False,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}]",
        )

    def advance(self, result: FileResult) -> None:
        self._bar.set_description(result.file_name[:30])
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def print_results(results: Sequence[FileResult]) -> None:
    color = sys.stdout.isatty()
    for result in results:
        print(format_terminal(result.file_name, result.status, result.issues, color=color))
        print()


def summary_line(results: Sequence[FileResult], *, checked_only: bool = False) -> str:
    counts = Counter(r.status for r in results)
    verb = "校验" if checked_only else "处理"
    parts = [f"{STATUS_WORDS[status]} {counts[status]} 个" for status in STATUS_WORDS if counts[status]]
    return f"共{verb} {len(results)} 个文件：" + "，".join(parts) + "。"


def left_out_line(left_out: Sequence[Path]) -> str | None:
    """The files of the folders given that are not spreadsheets, by name (at most five), or None when there are none."""
    if not left_out:
        return None
    names = "、".join(path.name for path in left_out[:5]) + ("等" if len(left_out) > 5 else "")
    return f"文件夹中另有 {len(left_out)} 个文件不是表格文件，未处理：{names}。若其中有报表，请另存为 .xlsx 后再处理。"


SUBMISSION_COLUMNS = [
    ("submission_id", "编号"),
    ("year", "年度"),
    ("return_code", "报表"),
    ("unit", "填报单位"),
    ("status", "结果"),
    ("is_current", "当前版本"),
    ("received_at", "接收时间"),
    ("file_name", "文件"),
]


def submissions_table(rows: Sequence[dict], registry: Registry, catalog: Catalog | None = None) -> str:
    """Tab-separated, for people: unit names and return names, never their codes (those are in --json)."""
    if not rows:
        return "没有符合条件的报送记录。"
    returns = (catalog or load_catalog()).returns
    status_words = {**STATUS_WORDS, "rejected": "被退回"}
    lines = ["\t".join(title for _, title in SUBMISSION_COLUMNS)]
    for row in rows:
        unit = registry.get(row["unit_code"]).name if row.get("unit_code") in registry else "（无法识别）"
        current = "是" if row.get("is_current") else ("被替代" if row.get("superseded_by") else "否")
        code = row.get("return_code")
        cells = {
            **row,
            "return_code": f"{code} {returns[code].name}" if code in returns else "（无法识别）",
            "unit": unit,
            "status": status_words.get(row["status"], row["status"]),
            "is_current": current,
            "received_at": f"{row['received_at']:%Y-%m-%d %H:%M}" if row.get("received_at") else "",
        }
        lines.append("\t".join("" if cells.get(key) is None else str(cells[key]) for key, _ in SUBMISSION_COLUMNS))
    return "\n".join(lines)


def interrupted_line(done: Sequence[FileResult], remaining: Sequence[str]) -> str:
    """What Ctrl-C left behind: the finished files are kept, the rest were not processed."""
    kept = sum(1 for r in done if r.status in ("accepted", "accepted_with_warnings"))
    text = f"已中断：中断前处理完的 {len(done)} 个文件已保存（其中装入 {kept} 个）"
    if remaining:
        shown = "、".join(remaining[:5]) + (f" 等 {len(remaining)} 个" if len(remaining) > 5 else "")
        text += f"；未处理：{shown}，请重新运行该命令（已装入的文件会显示为“未变化”）"
    return text + "。"
