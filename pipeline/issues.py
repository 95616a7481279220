"""The one shape every pipeline stage uses to report a problem with a submitted file.

An Issue always says where (file, sheet, cell), what was found, what is wrong and how to fix it, in
Chinese, because the same object ends up in the terminal, in the JSON list, in the annotated copy of the
submitter's workbook and on the upload page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    severity: str  # ERROR blocks the file; WARNING is loaded and shown
    code: str  # stable machine code, e.g. "not_a_number", "wrong_year"
    message: str  # what is wrong
    fix: str  # how to fix it
    file: str = ""
    sheet: str = ""
    cell: str = ""  # A1 reference; "" when the issue concerns the whole file or sheet
    value: str = ""  # the value found, as text
    # The Chinese name of the indicator a value issue is about ("" for the rest): shown beside the location,
    # in the 错误清单 column and in the JSON list, so a submitter finds the row without reading the message.
    indicator: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件“{self.file}”")
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.cell:
            parts.append(f"单元格 {self.cell}")
        if self.indicator_unnamed:
            parts.append(f"指标“{self.indicator}”")
        return "，".join(parts)

    @property
    def indicator_unnamed(self) -> bool:
        """True when the issue is about an indicator its message does not name (the reader's "不是数字")."""
        return indicator_unnamed(self.message, self.indicator)

    def format_line(self) -> str:
        """One line a submitter can act on: where, what was found, what is wrong, how to fix it."""
        label = "错误" if self.is_error else "提示"
        where = self.location()
        found = f"（填写的是“{self.value}”）" if self.value else ""
        head = f"[{label}] {where}：" if where else f"[{label}] "
        fix = f" 修改方法：{self.fix}" if self.fix else ""
        return f"{head}{self.message}{found}。{fix}".replace("。。", "。")


def indicator_unnamed(message: str, indicator: str) -> bool:
    """Whether an issue about `indicator` ("" for none) needs it named beside its message: the message does not."""
    return bool(indicator) and f"“{indicator}”" not in message


class RejectedFile(Exception):
    """A whole-file problem (unreadable, unidentifiable); carries the issues explaining it."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = list(issues)


def has_errors(issues: list[Issue] | tuple[Issue, ...]) -> bool:
    return any(i.is_error for i in issues)
