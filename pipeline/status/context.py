"""The inputs every rule reads: the current figures (from the measure_facts mart), who reported, and the
catalog and registry. Rules ask this object questions instead of querying the warehouse themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.catalog import Catalog
from pipeline.registry import Registry, Unit
from pipeline.status import format as fmt
from pipeline.status.model import SourceRef

VALUE_COLUMN = {"bool": "value_bool", "date": "value_date", "text": "value_text"}
MARTS_DIR = Path(__file__).resolve().parent.parent / "sql" / "marts"


def read_mart(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    sql = (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return con.execute(sql, params or {}).df() if params else con.execute(sql).df()


@dataclass
class RuleContext:
    catalog: Catalog
    registry: Registry
    facts: pd.DataFrame  # measure_facts mart
    coverage: pd.DataFrame  # return_coverage mart
    _by_indicator: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection, catalog: Catalog, registry: Registry) -> RuleContext:
        facts = read_mart(con, "measure_facts", {"first_year": None})
        coverage = read_mart(con, "return_coverage")
        return cls(catalog, registry, facts, coverage)

    @cached_property
    def years(self) -> list[int]:
        """Reporting years with any current return, plus every year from the baseline to the latest."""
        known = set(int(y) for y in self.coverage["year"].dropna().unique())
        if not known:
            return []
        return list(range(self.catalog.reporting.first_year, max(known) + 1))

    def figures(self, indicator: str, year: int | None = None) -> pd.DataFrame:
        """Current rows of one indicator (optionally one year)."""
        if indicator not in self._by_indicator:
            self._by_indicator[indicator] = self.facts[self.facts["indicator"] == indicator]
        rows = self._by_indicator[indicator]
        return rows if year is None else rows[rows["year"] == year]

    def value(self, indicator: str, year: int, entity_code: str) -> object | None:
        """The single current value of an indicator for a unit (or county) in a year, or None."""
        rows = self.figures(indicator, year)
        rows = rows[rows["entity_code"] == entity_code]
        if rows.empty:
            return None
        # Read the column of the indicator's type: the others are null, and pandas' nullable types make
        # "is this null" checks across columns unreliable.
        cell = rows.iloc[0][VALUE_COLUMN.get(self.catalog.indicator(indicator).type, "value_num")]
        if pd.isna(cell):
            return None
        if isinstance(cell, pd.Timestamp):
            return cell.date()
        return cell.item() if hasattr(cell, "item") else cell  # numpy scalars -> plain Python

    def source(self, indicator: str, year: int, entity_code: str, value_text: str | None = None) -> SourceRef | None:
        rows = self.figures(indicator, year)
        rows = rows[rows["entity_code"] == entity_code]
        if rows.empty:
            return None
        row = rows.iloc[0]
        name = self.catalog.indicator(indicator).name
        return SourceRef(
            unit_code=row["unit_code"], entity_code=entity_code, indicator=indicator, indicator_name=name,
            value_text=value_text if value_text is not None else str(row["raw_text"]),
            submission_id=int(row["submission_id"]), file_name=row["file_name"], sheet=row["sheet"], cell=row["cell"],
        )

    def expected_units(self, return_code: str) -> tuple[Unit, ...]:
        """Who must file a return type: every unit of the type the catalog names."""
        return self.registry.of_type(self.catalog.returns[return_code].submitted_by)

    def reporters(self, return_code: str, year: int) -> set[str]:
        rows = self.coverage[(self.coverage["return_code"] == return_code) & (self.coverage["year"] == year)]
        return set(rows["unit_code"])

    def missing(self, return_code: str, year: int) -> tuple[Unit, ...]:
        reported = self.reporters(return_code, year)
        return tuple(u for u in self.expected_units(return_code) if u.code not in reported)

    def unit_name(self, code: str) -> str:
        return self.registry.get(code).short_name

    def remark(self, indicator: str, year: int, entity_code: str) -> str | None:
        rows = self.figures(indicator, year)
        rows = rows[(rows["entity_code"] == entity_code) & rows["remark"].notna()]
        return None if rows.empty else str(rows.iloc[0]["remark"])

    def fmt_indicator(self, indicator: str, value: float | None) -> str:
        return fmt.number(value, self.catalog.indicator(indicator).unit)
