"""A stand-in for load.BatchLedger with only what ingest._LastYearFigures reads of it, every submission planned
(so no warehouse is asked), and a value row with only what the year-on-year comparison reads."""

from __future__ import annotations

from datetime import datetime

from pipeline.validated import ValueRow


class PlannedOnlyLedger:
    def __init__(self) -> None:
        self.current: dict[tuple[str, int, str], tuple[datetime, int]] = {}  # (unit, year, return) -> (received, id)
        self.values: dict[int, tuple[ValueRow, ...]] = {}

    def current_ids(self, year: int, return_code: str) -> list[int]:
        return sorted(sid for (_, y, rc), (_, sid) in self.current.items() if y == year and rc == return_code)

    def current_ids_of_year(self, year: int) -> list[int]:
        return sorted(sid for (_, y, _), (_, sid) in self.current.items() if y == year)

    def planned_values(self, submission_id: int) -> tuple[ValueRow, ...] | None:
        return self.values.get(submission_id)


def figure_row(indicator: str, entity: str, value: float | None, row_no: int) -> ValueRow:
    return ValueRow(indicator, entity, row_no, value, None, None, None, "", None, "表", "A1", None)
