"""The inputs every rule reads: the current figures (from the measure_facts mart), who reported, and the
catalog and registry. Rules ask this object questions instead of querying the warehouse themselves."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd

from pipeline.catalog import Catalog
from pipeline.registry import Registry, Unit
from pipeline.status import format as fmt
from pipeline.status.facts import Facts, FrameFacts, facts_of, read_mart
from pipeline.status.model import SourceRef

__all__ = ["VALUE_COLUMN", "FirstRows", "RuleContext", "read_mart"]

VALUE_COLUMN = {"bool": "value_bool", "date": "value_date", "text": "value_text"}


class YearRows:
    """One year's first rows, answering "the row of this indicator and entity". Each indicator's index and each
    column's values are made the first time a rule uses them: the board touches most indicators of two years, a
    measure's history two or three indicators of every year (at 100× the demo, fifty years of ten thousand rows).
    A column is held as small integer codes into its distinct values (file names, sheets and indicators repeat
    thousands of times)."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self._rows = rows
        self._positions = rows.groupby("indicator", sort=False).indices if len(rows) else {}
        self._entities = rows["entity_code"].to_numpy(dtype=object)
        self._index: dict[str, dict[str, int]] = {}
        self._columns: dict[str, tuple[np.ndarray, list]] = {}

    @property
    def names(self) -> list[str]:
        return list(self._rows.columns)

    def position(self, indicator: str, entity_code: str) -> int | None:
        index = self._index.get(indicator)
        if index is None:
            positions = self._positions.get(indicator)
            index = (
                {}
                if positions is None
                else dict(zip(self._entities[positions].tolist(), positions.tolist(), strict=True))
            )
            self._index[indicator] = index  # made twice at worst when two sessions ask at once: the same index
        return index.get(entity_code)

    def column(self, name: str) -> tuple[np.ndarray, list]:
        column = self._columns.get(name)
        if column is None:
            codes, uniques = pd.factorize(self._rows[name], use_na_sentinel=True)
            # Codes stay a compact array (a list of Python ints costs ten times the memory once every year of a
            # 100× warehouse is indexed); code -1, a null, reads the None appended to the values.
            column = (codes.astype(np.int32), [*pd.Index(uniques).tolist(), None])
            self._columns[name] = column
        return column


class FigureRow(Mapping):
    """One mart row, read column by column as a rule asks (a rule reads a few of the row's seventeen columns)."""

    __slots__ = ("_rows", "_position")

    def __init__(self, rows: YearRows, position: int) -> None:
        self._rows, self._position = rows, position

    def __getitem__(self, name: str) -> object:
        codes, values = self._rows.column(name)
        return values[codes[self._position]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows.names)

    def __len__(self) -> int:
        return len(self._rows.names)


class FirstRows:
    """The first current row of each (indicator, year, entity), looked up by those three and returned as a mapping.
    At 100× the demo there are about half a million figures, far too many to keep as one Python dict each: a year
    is indexed (YearRows) the first time a rule asks about it, and a row is read only when a rule asks for it."""

    def __init__(self, facts: pd.DataFrame) -> None:
        self._facts = facts
        # Later rows of the same (indicator, year, entity) are never looked up: the first one answers.
        first = ~facts.duplicated(["indicator", "year", "entity_code"], keep="first").to_numpy()
        self._years = np.where(first, facts["year"].to_numpy(dtype=np.int64), -1)
        self._by_year: dict[int, YearRows] = {}

    def _year(self, year: int) -> YearRows:
        rows = self._by_year.get(year)
        if rows is None:
            rows = YearRows(self._facts.iloc[np.flatnonzero(self._years == year)])
            self._by_year[year] = rows  # made twice at worst when two sessions ask at once: the same rows
        return rows

    def get(self, indicator: str, year: int, entity_code: str) -> FigureRow | None:
        rows = self._year(year)
        position = rows.position(indicator, entity_code)
        return None if position is None else FigureRow(rows, position)


@dataclass
class RuleContext:
    catalog: Catalog
    registry: Registry
    store: Facts | pd.DataFrame  # the measure_facts mart, a year at a time (a DataFrame is held as it is)
    coverage: pd.DataFrame  # return_coverage mart
    _by_indicator: dict = field(default_factory=dict, repr=False)
    _by_year: dict = field(default_factory=dict, repr=False)
    _first_by_year: dict = field(default_factory=dict, repr=False)
    _remarks_by_year: dict = field(default_factory=dict, repr=False)
    # (indicator, year, entity) -> the Figure rules_common.figure made for it (or None): see there.
    figure_memo: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.store, pd.DataFrame):
            self.store = FrameFacts(self.store)

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection, catalog: Catalog, registry: Registry) -> RuleContext:
        return cls(catalog, registry, facts_of(con), read_mart(con, "return_coverage"))

    @property
    def facts(self) -> pd.DataFrame:
        """Every current figure of every year (read in full the first time something asks; rules ask by year)."""
        return self.store.all()

    def year_facts(self, year: int) -> pd.DataFrame:
        """The current figures of one year, in the mart's order."""
        return self.store.year(int(year))

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
            rows = self.year_facts(year)
            groups = {str(ind): part for ind, part in rows.groupby("indicator", sort=False)}
            groups[""] = rows.iloc[0:0]  # what an indicator without figures that year answers
            self._by_year[year] = groups
        return groups

    def _first_rows(self, year: int) -> FirstRows:
        index = self._first_by_year.get(year)
        if index is None:
            index = FirstRows(self.year_facts(year))
            self._first_by_year[year] = index
        return index

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
            groups = self._groups(int(year))
            return groups.get(indicator, groups[""])
        if indicator not in self._by_indicator:
            self._by_indicator[indicator] = self.facts[self.facts["indicator"] == indicator]
        return self._by_indicator[indicator]

    def first_row(self, indicator: str, year: int, entity_code: str) -> FigureRow | None:
        """The current figure's whole row (value columns, provenance) for a unit or county, or None."""
        return self._first_rows(int(year)).get(indicator, int(year), entity_code)

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

    @cached_property
    def set_inputs(self) -> dict[str, pd.DataFrame]:
        """The small frames a set-based status query reads beside the figures (pipeline/status/compact.py): the judged
        years, the registry in its order, and who filed which return in which year."""
        # The units rules expect: of_type leaves out retired units (and the counties of a retired city).
        judged = {u.code for kind in {u.type for u in self.registry.units} for u in self.registry.of_type(kind)}
        units = pd.DataFrame(
            [(u.code, u.type, u.parent, n) for n, u in enumerate(self.registry.units) if u.code in judged],
            columns=["code", "type", "parent", "position"],
        )
        coverage = self.coverage[["return_code", "year", "unit_code"]].drop_duplicates().astype({"year": "int64"})
        years = pd.DataFrame({"year": pd.Series(self.years, dtype="int64")})
        return {"status_units": units, "status_coverage": coverage, "status_years": years}

    def unit_name(self, code: str) -> str:
        return self.registry.get(code).short_name

    def _remarks(self, year: int) -> dict[tuple[str, str], str]:
        """(indicator, entity) -> the first 说明 given for it in a year, gathered the first time a rule asks."""
        remarks = self._remarks_by_year.get(year)
        if remarks is None:
            rows = self.year_facts(year)
            rows = rows.loc[rows["remark"].notna(), ["indicator", "entity_code", "remark"]]
            rows = rows.drop_duplicates(["indicator", "entity_code"])
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
