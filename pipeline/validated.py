"""The validate stage's output: typed values with provenance, plus every issue found.

Kept apart from validate.py so the load stage and its tests depend only on this shape, not on how
validation is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from pipeline.issues import Issue


# A named tuple rather than a frozen dataclass: as immutable, and built three times faster (a batch makes thousands).
class ValueRow(NamedTuple):
    """One submitted figure, typed, with where it came from."""

    indicator: str
    entity_code: str  # the unit for unit-level indicators; the county or inspected unit for records
    row_no: int  # 0 for unit-level values; the record's position for records (R4 may list a unit twice)
    value_num: float | None
    value_text: str | None
    value_date: date | None
    value_bool: bool | None
    raw_text: str  # the cell as typed, for the explanation and the error report
    remark: str | None  # the submitter's 说明 for this figure
    sheet: str
    cell: str
    note: str | None  # which normalisation was applied (e.g. 全角数字已转换)


@dataclass(frozen=True)
class ValidatedReturn:
    file_name: str
    sha256: str
    return_code: str | None
    year: int | None
    unit_code: str | None
    submitter: str | None
    phone: str | None
    filled_on: date | None
    values: tuple[ValueRow, ...]
    issues: tuple[Issue, ...]
    is_demo: bool = False

    @property
    def accepted(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def status(self) -> str:
        if not self.accepted:
            return "rejected"
        if self.issues:
            return "accepted_with_warnings"
        return "accepted"
