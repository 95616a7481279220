"""The inputs every rule reads: the current figures (from the measure_facts mart), who reported, and the
catalog and registry. Rules ask this object questions instead of querying the warehouse themselves."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.catalog import Catalog
from pipeline.registry import Registry, Unit
from pipeline.status import format as fmt
from pipeline.status.model import SourceRef

# DuckDB warns that Arrow from execute() copies the rows once more (see _arrow).
_COPY_WARNING = {"message": "Arrow output on a DB-API result", "module": __name__.replace(".", r"\.")}
VALUE_COLUMN = {"bool": "value_bool", "date": "value_date", "text": "value_text"}
MARTS_DIR = Path(__file__).resolve().parent.parent / "sql" / "marts"


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None) -> pa.Table:
    """The rows as an Arrow table. sql() hands them over without a copy (at 100× the demo, 100 MB less at the peak),
    but refuses a connection that still holds a caller's unfinished result; execute() discards that result and
    copies the rows once more, which is still cheap beside .df()'s conversion of every text cell."""
    try:
        return (con.sql(sql, params=params) if params else con.sql(sql)).to_arrow_table()
    except duckdb.ResourceInUseException:
        # Set on each call (it replaces itself): a test runner restores the filters it found after every test.
        warnings.filterwarnings("ignore", **_COPY_WARNING)
        return (con.execute(sql, params) if params else con.execute(sql)).to_arrow_table()


def read_mart(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """A mart as a DataFrame with the dtypes DuckDB's own .df() gives (nullable booleans, dates as datetime64[us]),
    taken through Arrow: several times faster for half a million rows of text, which .df() converts one by one."""
    sql = (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    # One chunk per column: pandas filters a chunked Arrow column chunk by chunk, about ten times slower.
    table = _arrow(con, sql, params).combine_chunks()
    frame = table.to_pandas(date_as_object=False, types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    dates = {field.name: "datetime64[us]" for field in table.schema if pa.types.is_date(field.type)}
    return frame.astype(dates) if dates else frame


class FirstRows:
    """The first current row of each (indicator, year, entity), looked up by those three and returned as a dict.

    A year is indexed the first time a rule asks about it: its rows' columns are held as small integer codes into
    their distinct values (file names, sheets, indicators repeat thousands of times), and a row's dict is made only
    when a rule asks for it. At 100× the demo there are about half a million figures, far too many to keep as one
    Python dict each, and the board of one year needs two years of them."""

    def __init__(self, facts: pd.DataFrame) -> None:
        self._facts = facts
        # Later rows of the same (indicator, year, entity) are never looked up: the first one answers.
        first = ~facts.duplicated(["indicator", "year", "entity_code"], keep="first").to_numpy()
        self._years = np.where(first, facts["year"].to_numpy(dtype=np.int64), -1)
        self._by_year: dict[int, tuple[dict[tuple[str, str], int], list[tuple[str, np.ndarray, list]]]] = {}

    def _year(self, year: int) -> tuple[dict[tuple[str, str], int], list[tuple[str, np.ndarray, list]]]:
        indexed = self._by_year.get(year)
        if indexed is None:
            rows = self._facts.iloc[np.flatnonzero(self._years == year)]
            columns = []
            for name in rows.columns:
                codes, uniques = pd.factorize(rows[name], use_na_sentinel=True)
                columns.append((name, codes, [*pd.Index(uniques).tolist(), None]))  # code -1 (a null) reads None
            by_name = {name: (codes, values) for name, codes, values in columns}
            (indicator_codes, indicators), (entity_codes, entities) = by_name["indicator"], by_name["entity_code"]
            index = {
                (indicators[i], entities[e]): position
                for position, (i, e) in enumerate(zip(indicator_codes.tolist(), entity_codes.tolist(), strict=True))
            }
            indexed = (index, columns)
            self._by_year[year] = indexed  # made twice at worst when two sessions ask at once: the same index
        return indexed

    def get(self, indicator: str, year: int, entity_code: str) -> dict | None:
        index, columns = self._year(year)
        position = index.get((indicator, entity_code))
        if position is None:
            return None
        return {name: values[codes[position]] for name, codes, values in columns}


@dataclass
class RuleContext:
    catalog: Catalog
    registry: Registry
    facts: pd.DataFrame  # measure_facts mart
    coverage: pd.DataFrame  # return_coverage mart
    _by_indicator: dict = field(default_factory=dict, repr=False)
    _by_year: dict = field(default_factory=dict, repr=False)
    _remarks_by_year: dict = field(default_factory=dict, repr=False)

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

    # Rules ask the same small questions thousands of times (one indicator, one year, one unit); these
    # indexes are built once so each answer is a dictionary lookup rather than a scan of every figure.
    def _groups(self, year: int) -> dict[str, pd.DataFrame]:
        """A year's figures by indicator, split the first time a rule asks about the year."""
        groups = self._by_year.get(year)
        if groups is None:
            rows = self.facts[self.facts["year"] == year]
            groups = {str(ind): part for ind, part in rows.groupby("indicator", sort=False)}
            self._by_year[year] = groups
        return groups

    @cached_property
    def _first_rows(self) -> FirstRows:
        return FirstRows(self.facts)

    @cached_property
    def _reporters(self) -> dict[tuple[str, int], set[str]]:
        index: dict[tuple[str, int], set[str]] = {}
        columns = (self.coverage[name].tolist() for name in ("return_code", "year", "unit_code"))
        for return_code, year, unit_code in zip(*columns, strict=True):
            index.setdefault((return_code, int(year)), set()).add(unit_code)
        return index

    def figures(self, indicator: str, year: int | None = None) -> pd.DataFrame:
        """Current rows of one indicator (optionally one year)."""
        if year is not None:
            return self._groups(int(year)).get(indicator, self.facts.iloc[0:0])
        if indicator not in self._by_indicator:
            self._by_indicator[indicator] = self.facts[self.facts["indicator"] == indicator]
        return self._by_indicator[indicator]

    def first_row(self, indicator: str, year: int, entity_code: str) -> dict | None:
        """The current figure's whole row (value columns, provenance) for a unit or county, or None."""
        return self._first_rows.get(indicator, int(year), entity_code)

    def value(self, indicator: str, year: int, entity_code: str) -> object | None:
        """The single current value of an indicator for a unit (or county) in a year, or None."""
        row = self.first_row(indicator, year, entity_code)
        if row is None:
            return None
        # Read the column of the indicator's type: the others are null, and pandas' nullable types make
        # "is this null" checks across columns unreliable.
        cell = row[VALUE_COLUMN.get(self.catalog.indicator(indicator).type, "value_num")]
        if pd.isna(cell):
            return None
        if isinstance(cell, pd.Timestamp):
            return cell.date()
        return cell.item() if hasattr(cell, "item") else cell  # numpy scalars -> plain Python

    def source(self, indicator: str, year: int, entity_code: str, value_text: str | None = None) -> SourceRef | None:
        row = self.first_row(indicator, year, entity_code)
        if row is None:
            return None
        name = self.catalog.indicator(indicator).name
        return SourceRef(
            unit_code=row["unit_code"],
            entity_code=entity_code,
            indicator=indicator,
            indicator_name=name,
            value_text=value_text if value_text is not None else str(row["raw_text"]),
            submission_id=int(row["submission_id"]),
            file_name=row["file_name"],
            sheet=row["sheet"],
            cell=row["cell"],
        )

    def expected_units(self, return_code: str) -> tuple[Unit, ...]:
        """Who must file a return type: every unit of the type the catalog names."""
        return self.registry.of_type(self.catalog.returns[return_code].submitted_by)

    def reporters(self, return_code: str, year: int) -> set[str]:
        return self._reporters.get((return_code, int(year)), set())

    def missing(self, return_code: str, year: int) -> tuple[Unit, ...]:
        reported = self.reporters(return_code, year)
        return tuple(u for u in self.expected_units(return_code) if u.code not in reported)

    def unit_name(self, code: str) -> str:
        return self.registry.get(code).short_name

    @cached_property
    def _remarked(self) -> pd.DataFrame:
        return self.facts.loc[self.facts["remark"].notna(), ["indicator", "year", "entity_code", "remark"]]

    def _remarks(self, year: int) -> dict[tuple[str, str], str]:
        """(indicator, entity) -> the first 说明 given for it in a year, gathered the first time a rule asks."""
        remarks = self._remarks_by_year.get(year)
        if remarks is None:
            rows = self._remarked[self._remarked["year"] == year].drop_duplicates(["indicator", "entity_code"])
            remarks = {
                (indicator, entity): str(text)
                for indicator, entity, text in zip(rows["indicator"], rows["entity_code"], rows["remark"], strict=True)
            }
            self._remarks_by_year[year] = remarks
        return remarks

    def remark(self, indicator: str, year: int, entity_code: str) -> str | None:
        return self._remarks(int(year)).get((indicator, entity_code))

    def fmt_indicator(self, indicator: str, value: float | None) -> str:
        return fmt.number(value, self.catalog.indicator(indicator).unit)
