"""Where the status rules get their figures: the measure_facts mart, one year at a time.

The board judges one year and looks back one (or across a reporting window); a measure's page walks its history.
Reading every figure of every year up front cost most of the status engine's memory at 100× the demo (ten times
the units and the years: about half a million figures, 0.6 GB as Python objects) and a third of the board's time.
So a store answers for the years a rule asks about, and reads each year once.

Two stores answer the same questions:
- WarehouseFacts reads the warehouse through a read-only connection of its own on the file the caller had open.
  A StatusBook outlives the caller's connection (exports and the CLI close theirs), and the store's connection
  stays on the version of the file it opened: a writer replaces the file by rename, so a later batch never mixes
  into a book built before it.
- FrameFacts holds figures already in memory: a writer's connection (the settings preview judges inside it), an
  in-memory database, and the tests' hand-made figures.
Both run the set-based questions (the year-over-year anomaly pairs) as SQL over a relation named `facts`.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.warehouse import reader_beside

# DuckDB warns that Arrow from execute() copies the rows once more (see _arrow).
_COPY_WARNING = {"message": "Arrow output on a DB-API result", "module": __name__.replace(".", r"\.")}
SQL_DIR = Path(__file__).resolve().parent.parent / "sql" / "marts"
# The order rules see a year's figures in (the first row of an entity answers for it): the mart's own order.
ORDER = ["year", "measure", "indicator", "unit_code", "entity_code", "row_no"]
# Years read together when a year is first asked for: it and the two before it (a board: this year, last year, the
# year before for last year's comparison). When the years before are already in, the history of a measure is being
# walked forward: the next FORWARD years come in the same query (one query costs about what one year does).
SPAN = 3
FORWARD = 8
# The set-based status queries (compact.py) read the figures' values, not their provenance: a table of the value columns,
# made the first time one is asked (at 100× the demo a fifth of the mart's size), with is_first marking the row a rule
# reads for an (indicator, year, entity), the first in the order the rules see them. `in_order` is that order.
STATUS_FIGURES = """
CREATE OR REPLACE TEMP TABLE status_figures AS
SELECT
    year, indicator, unit_code, entity_code, row_no, value_num, value_bool, value_date,
    row_number() OVER (PARTITION BY indicator, year, entity_code ORDER BY {in_order}) = 1 AS is_first
FROM {source};
CREATE OR REPLACE TEMP MACRO first_figures(codes) AS TABLE
SELECT * EXCLUDE (is_first) FROM status_figures WHERE is_first AND list_contains(codes, indicator);
"""
# The pieces the status queries share (units of a type each year, who filed, grading): pipeline/sql/status/_shared.sql.
SHARED_STATUS_SQL = SQL_DIR.parent / "status" / "_shared.sql"
# How many answers of_submissions keeps (one per measure and year a page has shown).
KEPT_ANSWERS = 64


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


def frame_of(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame with the dtypes DuckDB's own .df() gives (nullable booleans, dates as
    datetime64[us]); several times faster for half a million rows of text, which .df() converts one by one."""
    if table.num_rows == 0:
        return _empty_frame(table)
    # One chunk per column: pandas filters a chunked Arrow column chunk by chunk, about ten times slower.
    return _converted(table.combine_chunks())


def _converted(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False, types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    dates = {field.name: "datetime64[us]" for field in table.schema if pa.types.is_date(field.type)}
    return frame.astype(dates) if dates else frame


def _empty_frame(table: pa.Table) -> pd.DataFrame:
    """No rows, the columns and dtypes of a converted table. pandas turns an empty Arrow-backed text column into one of
    no chunks at all, which it then cannot merge or concatenate; a row of nulls taken away again leaves one empty
    chunk. Numeric columns would turn to floats through that null row, so they are taken as converted directly."""
    direct = _converted(table)
    through_a_row = _converted(pa.Table.from_pylist([dict.fromkeys(table.schema.names)], schema=table.schema))
    frame = through_a_row.iloc[0:0].copy()
    for name in frame.columns:
        if frame[name].dtype != direct[name].dtype:
            frame[name] = direct[name]
    return frame


def mart_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pd.DataFrame:
    return frame_of(_arrow(con, sql, params))


def read_mart(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """A whole mart as a DataFrame."""
    return query(con, mart_sql(name), params)


class FrameFacts:
    """Figures already in memory (a DataFrame shaped like the measure_facts mart)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._years: dict[int, pd.DataFrame] = {}
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        # The frame's own order decides which of several rows of an entity answers, as FirstRows reads it.
        self._status = StatusTables("facts_in_order", "ordinal", prepare=self._name_in_order)

    def year(self, year: int) -> pd.DataFrame:
        rows = self._years.get(year)
        if rows is None:
            rows = self._frame[self._frame["year"] == year]
            self._years[year] = rows
        return rows

    def all(self) -> pd.DataFrame:
        return self._frame

    @property
    def loaded_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def of_submissions(self, submission_ids: set[int]) -> pd.DataFrame:
        return self._frame[self._frame["submission_id"].isin(submission_ids)]

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect()
            self._con.register("facts", self._frame)
        return self._con

    def sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        with self._lock:
            return query(self._connection(), sql, params)

    def _name_in_order(self, con: duckdb.DuckDBPyConnection) -> None:
        con.register("facts_in_order", self._frame.assign(ordinal=np.arange(len(self._frame))))

    def sql_over(self, relations: dict[str, pd.DataFrame], sql: str, params: dict | None = None) -> pd.DataFrame:
        """A question over the figures (status_figures, first_figures) and these frames, each named on the
        connection for this question."""
        with self._lock:
            return self._status.ask(self._connection(), relations, sql, params)

    def release_status_figures(self) -> None:
        """Drop the status queries' table (every measure's compact statuses are kept elsewhere): made again if asked."""
        with self._lock:
            if self._con is not None:
                self._status.release(self._con)


class WarehouseFacts:
    """The warehouse's figures, read a year at a time through a read-only connection of the store's own."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._con.execute(f"CREATE OR REPLACE TEMP VIEW facts AS {mart_sql('measure_facts')}")
        # The mart's order within an (indicator, year, entity) is by submitting unit, then row.
        self._status = StatusTables("facts", "unit_code, row_no")
        # The earliest year with figures: a rule asking about a year before it gets no rows without a query.
        self._first_year, self._last_year = con.execute(
            "SELECT coalesce(min(year), 0), coalesce(max(year), 0) FROM current_submissions"
        ).fetchone()
        self._years: dict[int, pd.DataFrame] = {}
        self._all: pd.DataFrame | None = None
        self._empty: pd.DataFrame | None = None
        self._by_submissions: dict[tuple[int, ...], pd.DataFrame] = {}
        self._lock = threading.RLock()  # one DuckDB connection, shared by every session of a cached book

    def read(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        with self._lock:
            return query(self._con, sql, params)

    def year(self, year: int) -> pd.DataFrame:
        rows = self._years.get(year)
        if rows is None:
            # A rule that asks for a year usually asks for the one or two before it next (last year's figure, a
            # reporting window): those not read yet come in the same query, which costs about what one year does.
            if not self._first_year <= year <= self._last_year:  # no figures that year: no query
                if self._empty is None:
                    self._empty = self.read("SELECT * FROM facts WHERE false")
                return self._empty
            wanted = [y for y in range(max(year - SPAN + 1, self._first_year), year + 1) if y not in self._years]
            if len(wanted) == 1 and year > self._first_year:
                ahead = range(year + 1, min(year + FORWARD, self._last_year) + 1)
                wanted += [y for y in ahead if y not in self._years]
            sql = f"SELECT * FROM facts WHERE year BETWEEN $first AND $last ORDER BY {', '.join(ORDER)}"
            read = self.read(sql, {"first": wanted[0], "last": wanted[-1]})
            by_year = dict(iter(read.groupby("year", sort=False)))
            for y in wanted:  # read twice at worst when two sessions ask at once: the same rows
                self._years[y] = by_year[y].reset_index(drop=True) if y in by_year else read.iloc[0:0]
            rows = self._years[year]
        return rows

    @property
    def loaded_years(self) -> tuple[int, ...]:
        """The years read so far."""
        return tuple(sorted(self._years))

    def all(self) -> pd.DataFrame:
        if self._all is None:
            self._all = self.read(f"SELECT * FROM facts ORDER BY {', '.join(ORDER)}")
        return self._all

    def of_submissions(self, submission_ids: set[int]) -> pd.DataFrame:
        """Every current figure of these submissions (a measure's cells, read again for how each was typed). The
        measure-detail page asks for the same measure's submissions on every run: the answers are kept (a bounded
        number of them)."""
        ids = tuple(sorted(int(i) for i in submission_ids))
        with self._lock:
            rows = self._by_submissions.get(ids)
            if rows is None:
                sql = f"SELECT * FROM facts WHERE list_contains($ids, submission_id) ORDER BY {', '.join(ORDER)}"
                rows = self.read(sql, {"ids": list(ids)})
                if len(self._by_submissions) >= KEPT_ANSWERS:
                    self._by_submissions.pop(next(iter(self._by_submissions)))
                self._by_submissions[ids] = rows
        return rows

    def sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        return self.read(sql, params)

    def sql_over(self, relations: dict[str, pd.DataFrame], sql: str, params: dict | None = None) -> pd.DataFrame:
        """A question over the figures (status_figures, first_figures) and these frames, each named on the
        connection for this question."""
        with self._lock:
            return self._status.ask(self._con, relations, sql, params)

    def release_status_figures(self) -> None:
        """Drop the status queries' table (every measure's compact statuses are kept elsewhere): made again if asked.
        At 100× the demo it holds about 40 MB; a cached book of every version would otherwise keep its own."""
        with self._lock:
            self._status.release(self._con)


class StatusTables:
    """What the set-based status queries read on a store's connection: the status_figures table with first_figures
    (made from `source`, first rows by `in_order`, on the first question), the shared macros, and the small frames of
    the book asking. Both stores use one; the caller holds the store's lock."""

    def __init__(
        self, source: str, in_order: str, prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    ) -> None:
        self._made_sql = STATUS_FIGURES.format(source=source, in_order=in_order)
        self._prepare = prepare  # names `source` on the connection, when the store has not
        self._made = False
        self._macros = False
        # The frames named last: a book asks one measure after another with the same frames; two books with different
        # registries may share a store (the settings preview's do), and each names its own before asking.
        self._named: dict[str, pd.DataFrame] | None = None

    def ask(
        self, con: duckdb.DuckDBPyConnection, relations: dict[str, pd.DataFrame], sql: str, params: dict | None
    ) -> pd.DataFrame:
        # Registering refuses a connection that still holds an unfinished result (see _arrow): finish it first.
        con.execute("SELECT 1").fetchall()
        if not self._made:
            if self._prepare is not None:
                self._prepare(con)
            con.execute(self._made_sql)
            self._made = True
        if self._named is not relations:
            for name, frame in relations.items():
                con.register(name, frame)
            self._named = relations
        if not self._macros:  # checked against the frames they read when made: made once those are named
            con.execute(SHARED_STATUS_SQL.read_text(encoding="utf-8"))
            self._macros = True
        return query(con, sql, params)

    def release(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._made:
            con.execute("SELECT 1").fetchall()
            con.execute("DROP TABLE IF EXISTS status_figures")
            self._made = False


Facts = FrameFacts | WarehouseFacts


def facts_of(con: duckdb.DuckDBPyConnection) -> Facts:
    """The store for a caller's connection: its own reader on the same file where it can, else every figure now."""
    own = reader_beside(con)  # None for a writer, an in-memory database, or a file replaced since con opened it
    return WarehouseFacts(own) if own is not None else FrameFacts(read_mart(con, "measure_facts"))
