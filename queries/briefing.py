"""What every briefing says beside the statuses: the year's submissions (who has not reported, who was late) and the
figures typed as estimates. One answer, used by the deck, the 情况通报 and the data workbook alike, so two documents
built from the same data never disagree. No streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.normalise import ESTIMATE, parse_number
from pipeline.status import format as fmt
from queries.board import StatusBook
from queries.submissions import (
    LATE,
    MISSING,
    REJECTED_ONLY,
    TrackerSummary,
    deadline,
    return_label,
    tracker_summary,
    tracker_table,
)


@dataclass(frozen=True)
class SubmissionState:
    """The year's returns by return type: who has not submitted (no accepted return, or rejected files only) and
    who submitted late, with a line per unit that was not on time."""

    summaries: tuple[TrackerSummary, ...]  # one per return type
    expected: int
    submitted: int
    missing: dict[str, tuple[str, ...]]  # return label -> unit names
    late: dict[str, tuple[str, ...]]
    rows: tuple[tuple[str, str, str, str], ...]  # 单位, 报表, 情况, 说明

    @property
    def missing_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for names in self.missing.values() for name in names))

    @property
    def late_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for names in self.late.values() for name in names))


def submission_state(
    con: duckdb.DuckDBPyConnection, book: StatusBook, year: int, unit_codes: frozenset[str] | None = None
) -> SubmissionState:
    summaries, rows = [], []
    expected = submitted = 0
    missing: dict[str, tuple[str, ...]] = {}
    late: dict[str, tuple[str, ...]] = {}
    due = fmt.day(deadline(book.catalog, year))
    for code in book.catalog.returns:
        table = tracker_table(con, year, code, book.registry, book.catalog, unit_codes=unit_codes)
        label = return_label(book.catalog, code)
        summaries.append(tracker_summary(table, year, code))
        not_in = table["status"].isin([MISSING, REJECTED_ONLY])
        expected += len(table)
        submitted += int((~not_in).sum())
        if names := tuple(table.loc[not_in, "unit_name"]):
            missing[label] = names
        if names := tuple(table.loc[table["status"] == LATE, "unit_name"]):
            late[label] = names
        for row in table.itertuples():
            if row.status == LATE:
                note = f"{row.received_at:%Y-%m-%d %H:%M}收到，截止日期{due}"
            elif row.status in (MISSING, REJECTED_ONLY):
                note = row.rejected_text or f"截止日期{due}"
            else:
                continue
            rows.append((row.unit_name, label, row.status_word, note))
    return SubmissionState(tuple(summaries), expected, submitted, missing, late, tuple(rows))


@dataclass(frozen=True)
class EstimatedFigure:
    unit_code: str
    unit_name: str
    indicator_name: str
    raw_text: str  # as typed: 约10
    file_name: str
    sheet: str
    cell: str

    @property
    def text(self) -> str:
        return f"{self.unit_name}“{self.indicator_name}”填写“{self.raw_text}”（{self.file_name}／{self.sheet}!{self.cell}）"


def estimated_figures(book: StatusBook, year: int, unit_codes: frozenset[str] | None = None) -> list[EstimatedFigure]:
    """The year's current figures typed as estimates (约10, 120左右), read again with the validator's own parser."""
    facts = book.context.year_facts(year)
    rows = facts[facts["raw_text"].notna()].drop_duplicates(["submission_id", "cell"])
    found = []
    for row in rows.itertuples(index=False):
        indicator = book.catalog.indicators.get(row.indicator)
        if indicator is None or not indicator.is_numeric or (unit_codes and row.unit_code not in unit_codes):
            continue
        if parse_number(str(row.raw_text), unit=indicator.unit).warning_code == ESTIMATE:
            unit = book.registry.get(row.unit_code).short_name if row.unit_code in book.registry else row.unit_code
            found.append(
                EstimatedFigure(
                    row.unit_code, unit, indicator.name, str(row.raw_text), row.file_name, row.sheet, row.cell
                )
            )
    return found
