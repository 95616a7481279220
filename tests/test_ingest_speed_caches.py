"""The shortcuts that cut an ingest's own CPU give exactly the answers of the long way round.

Each shortcut keeps an answer per distinct input: a cell's reading per (indicator, value, year), a unit name's
resolution, a row's keys and header labels, last year's figures grouped as the batch goes on, and the jump check
without a database. Each test feeds it the inputs a
dictionary would confuse (1, 1.0 and True are equal keys; 0.0 == -0.0; NaN equals nothing) or the orders that
would expose a stale answer, and compares with the uncached computation.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import duckdb
import pytest

from pipeline.catalog import load_catalog
from pipeline.cell_values import ExcelErrorValue
from pipeline.ingest import _LastYearFigures
from pipeline.jumps import jump_issues, year_over_year_jumps
from pipeline.load import BatchLedger
from pipeline.locate import _ROW_KEYS, LocatedCell, _index, _row_keys, _row_labels, _text_key
from pipeline.normalise import _parse_text, parse_text
from pipeline.registry import load_registry
from pipeline.validate import _read_cell, _read_cells, _reading
from pipeline.validated import ValidatedReturn
from pipeline.warehouse import ensure_schema, sync_catalog
from tests.fake_ledgers import PlannedOnlyLedger, figure_row
from tests.test_validate_messages import _ankang_with_county_key

CATALOG, REGISTRY = load_catalog(), load_registry()

# One indicator of each way a cell is read: a required count, an optional and a required amount, a score, a
# yes/no with its own verb, an optional date, a text.
READ_AS = [
    "m2_unions_reported",
    "m6_county_budget_amount",
    "m4_funds_requested",
    "m9_score_leadership",
    "m13_has_joint_meeting_system",
    "m1_conference_date",
    "m10_matter",
]
RAW_VALUES = [
    None, "", "  ", 0, 0.0, -0.0, 1, 1.0, True, False, "1", "1.0", "１２", "是", "否", "无", "—", "约120", "3万",
    "85000元", "12人", "2024-05-12", "6月18日", "2023年5月", float("nan"), float("inf"), -3, -3.0, 101.0, 7.5,
    "#DIV/0!", ExcelErrorValue("#N/A"), date(2024, 5, 12), datetime(2024, 5, 12, 8, 30), 2024.1, 45000.0,
    "有（3个）", "x" * 300,
]  # fmt: skip


@pytest.mark.parametrize("code", READ_AS)
def test_a_kept_reading_is_the_reading_of_that_very_value(code):
    indicator = CATALOG.indicator(code)
    readings: dict = {}
    # Forward, then backward on the same cache: whichever of 1 / 1.0 / True (or 0.0 / -0.0) came first, each value
    # gets its own reading; repr tells -0.0 from 0.0 and 1 from 1.0 and True.
    for raw in [*RAW_VALUES, *reversed(RAW_VALUES)]:
        for year in (2024, None):
            assert repr(_reading(readings, indicator, raw, year)) == repr(_read_cell(indicator, raw, year)), raw


def test_a_negative_zero_is_loaded_as_typed_after_a_zero_was_kept():
    indicator = CATALOG.indicator("m6_county_budget_amount")
    readings: dict = {}
    _reading(readings, indicator, 0.0, 2024)
    figure = _reading(readings, indicator, -0.0, 2024).figure
    assert figure is not None and math.copysign(1.0, figure.value_num) == -1.0


def test_readings_of_one_value_differ_by_indicator_and_year():
    readings: dict = {}
    count, answer = CATALOG.indicator("m2_unions_reported"), CATALOG.indicator("m13_has_joint_meeting_system")
    assert _reading(readings, count, 1, 2024).figure.value_num == 1.0
    assert _reading(readings, answer, 1, 2024).figure.value_bool is True
    when = CATALOG.indicator("m1_conference_date")
    assert _reading(readings, when, "6月18日", 2024).figure.value_date == date(2024, 6, 18)
    assert _reading(readings, when, "6月18日", 2025).figure.value_date == date(2025, 6, 18)
    assert _reading(readings, when, "6月18日", None).figure is None  # no year to read it in: an error


CITY = REGISTRY.cities()[0]
NAMES = [
    CITY.name, CITY.short_name, "西安市 总工会", "北京市总工会", "宝鸡市总公会", "", "高陵县", "高陵区", "户县总工会",
    "陕西省教科文卫体工会", "教科文卫工会", "新城区", "西安市新城区总工会", "新城", "不存在的单位",
]  # fmt: skip
LIMITS = [
    {},
    {"types": {"county"}, "parent": CITY.code},
    {"types": {"county"}},
    {"types": {"city", "industry"}},
    {"expected_types": {"city"}},
    {"types": {"county", "city"}, "expected_types": {"county"}},
]


def _limits_id(limits: dict) -> str:
    """The same id in every process (a set's order follows string hashing, which differs per process)."""
    return (
        ",".join(f"{key}={sorted(value) if isinstance(value, set) else value}" for key, value in limits.items())
        or "none"
    )


@pytest.mark.parametrize("limits", LIMITS, ids=_limits_id)
def test_a_kept_resolution_is_the_resolution_of_that_very_question(limits):
    for year in (2020, 2025, None):
        for text in [*NAMES, *reversed(NAMES)]:
            asked = REGISTRY.resolve(text, year=year, **limits)
            fresh = REGISTRY._resolve(
                text, limits.get("types"), limits.get("parent"), limits.get("expected_types"), year
            )
            assert asked == fresh
            assert asked.hint == fresh.hint and asked.message() == fresh.message()


def test_unknown_types_and_parents_are_refused_after_valid_ones_were_kept():
    REGISTRY.resolve(CITY.name, types={"county"}, parent=CITY.code)
    with pytest.raises(ValueError):
        REGISTRY.resolve(CITY.name, types={"village"})
    with pytest.raises(KeyError):
        REGISTRY.resolve(CITY.name, types={"county"}, parent="NO-SUCH-UNIT")


def test_rows_equal_as_tuples_share_keys_and_labels_rightly():
    index = _index(CATALOG)
    rows = [("填报人：张三", 1, None), ("填报人：张三", 1.0, None), ("填报人：张三", True, None)]
    for row in rows:
        assert _row_keys(row) == tuple(_text_key(v) if isinstance(v, str) else "" for v in row)
    answers = [_row_labels(row, _row_keys(row), index) for row in rows]
    assert answers[0] == answers[1] == answers[2] == ((1, "submitter", "张三"),)
    # The same key, another text: the value after the label is the row's own, not the first row's.
    spaced = ("填报人：张 三", 1, None)
    assert _row_keys(spaced) == _row_keys(rows[0])
    assert _row_labels(spaced, _row_keys(spaced), index) == ((1, "submitter", "张 三"),)


def test_a_wide_or_long_row_is_keyed_but_not_kept():
    wide = tuple(f"列{n}" for n in range(200))
    long = ("备注：" + "很长的说明" * 400, 3.0)
    index = _index(CATALOG)
    for row in (wide, long):
        assert _row_keys(row) == tuple(_text_key(v) if isinstance(v, str) else "" for v in row)
        _row_labels(row, _row_keys(row), index)
        assert row not in _ROW_KEYS and row not in index.row_labels


def _grouped_the_long_way(ledger: PlannedOnlyLedger, year: int, return_code: str) -> dict[str, dict]:
    ids = sorted(sid for (_, y, rc), (_, sid) in ledger.current.items() if y == year and rc == return_code)
    rows = [
        (v.row_no, v.indicator, float(v.value_num), v.entity_code)
        for sid in ids
        for v in ledger.values[sid]
        if v.value_num is not None
    ]
    grouped: dict[str, dict] = {}
    for row_no, indicator, value, entity in sorted(rows, key=lambda r: r[0]):
        grouped.setdefault(entity, {}).setdefault(indicator, (row_no, value))  # the first in row order
    return grouped


def test_last_years_figures_kept_up_to_date_equal_grouping_them_anew():
    rng = random.Random(7)
    ledger = PlannedOnlyLedger()
    kept = _LastYearFigures(None, ledger)  # type: ignore[arg-type]  # planned values only: no warehouse query
    units, entities = ["U1", "U2", "U3", "U4"], ["E1", "E2", "E3"]
    for sid in range(1, 40):
        unit, return_code = rng.choice(units), rng.choice(["R1", "R4"])
        # R4-like positions repeat across returns (ties within a row), R1-like figures sit at row 0
        ledger.values[sid] = tuple(
            figure_row(rng.choice(["a", "b"]), rng.choice(entities), rng.choice([1.0, 2.0, None]), rng.randint(0, 2))
            for _ in range(rng.randint(0, 6))
        )
        ledger.current[(unit, 2024, return_code)] = (datetime(2026, 1, 1), sid)  # a later one supersedes
        for return_code in ("R1", "R4"):
            expected = _grouped_the_long_way(ledger, 2024, return_code)
            assert kept.by_entity(2024, return_code) == expected
            assert _LastYearFigures(None, ledger).by_entity(2024, return_code) == expected  # type: ignore[arg-type]


def test_the_jump_check_in_memory_equals_the_database_query():
    year, unit = 2025, "I01"
    previous_rows = [
        ("m7_grassroots_unions", unit, 438.0, 0), ("m7_members", unit, 20.0, 0),
        ("m7_grassroots_unions", "OTHER", 5.0, 0), ("m7_rationalized_this_year", unit, 1.0, 0),
    ]  # fmt: skip
    values = (
        figure_row("m7_grassroots_unions", unit, 60.0, 0),
        figure_row("m7_members", unit, 21.0, 0),
        figure_row("m7_rationalized_this_year", unit, 90.0, 0),
    )
    validated = ValidatedReturn("f.xlsx", "0" * 64, "R2", year, unit, None, None, None, values, ())
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TABLE current_values (year INTEGER, return_code VARCHAR, indicator VARCHAR, entity_code VARCHAR, "
        "value_num DOUBLE, row_no INTEGER)"
    )
    con.executemany(
        "INSERT INTO current_values VALUES (?, ?, ?, ?, ?, ?)", [(year - 1, "R2", *r) for r in previous_rows]
    )
    previous = {(indicator, entity): value for indicator, entity, value, _ in previous_rows if entity == unit}
    from_database = year_over_year_jumps(con, validated, CATALOG, REGISTRY)
    assert from_database and jump_issues(validated, previous, CATALOG, REGISTRY) == from_database


def test_the_ledgers_current_submissions_of_a_year_are_those_its_current_map_holds():
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    sync_catalog(con, CATALOG)
    ledger = BatchLedger(con, CATALOG, REGISTRY)
    rng = random.Random(13)
    units = [unit.code for unit in REGISTRY.cities()[:4]]
    for number in range(60):
        year, return_code = rng.choice([2023, 2024]), rng.choice(["R2", "R3"])
        validated = ValidatedReturn(
            f"f{number}.xlsx", f"{number:064x}", return_code, year, rng.choice(units), None, None, None, (), ()
        )
        # Receipts out of order: a later submission is not always the current one.
        received = datetime(2026, 1, 1) + timedelta(hours=rng.randint(0, 100))
        ledger.plan_validated(validated, received_at=received, raw_path="")
        for year, return_code in [(y, rc) for y in (2023, 2024, 2025) for rc in ("R2", "R3")]:
            scanned = sorted(sid for (_, y, rc), (_, sid) in ledger.current.items() if (y, rc) == (year, return_code))
            assert ledger.current_ids(year, return_code) == scanned
        for year in (2023, 2024, 2025):
            scanned = sorted(sid for (_, y, _), (_, sid) in ledger.current.items() if y == year)
            assert ledger.current_ids_of_year(year) == scanned


class CountingConnection:
    """A connection that counts the queries read raw_values."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.raw_value_queries = con, 0

    def execute(self, sql: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        self.raw_value_queries += "raw_values" in sql
        return self.con.execute(sql, parameters)


def test_last_years_stored_figures_are_read_once_per_year_and_grouped_as_anew():
    # Stored submissions of two years and three return types, some superseded by the batch's own planned returns.
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    sync_catalog(con, CATALOG)
    rng = random.Random(29)
    units, entities = [unit.code for unit in REGISTRY.cities()[:3]], ["E1", "E2"]
    stored: dict[int, tuple] = {}
    for number in range(30):
        year, return_code, unit = rng.choice([2023, 2024]), rng.choice(["R1", "R2", "R4"]), rng.choice(units)
        (sid,) = con.execute(  # the id from the sequence, as a load gives it (the ledger hands out the next ones)
            "INSERT INTO submissions (sha256, file_name, unit_code, return_code, year, received_at, raw_path, status, "
            "error_count, warning_count, is_demo, loaded_at) VALUES "
            "(?, 'f.xlsx', ?, ?, ?, ?, '', 'accepted', 0, 0, false, now()) RETURNING submission_id",
            [f"{number:064x}", unit, return_code, year, datetime(2025, 1, 1) + timedelta(hours=number)],
        ).fetchone()
        rows = {
            (rng.choice(["a", "b"]), rng.choice(entities), rng.randint(0, 2)): rng.choice([1.0, 2.0, None])
            for _ in range(rng.randint(0, 5))
        }
        stored[sid] = tuple(figure_row(ind, ent, value, row_no) for (ind, ent, row_no), value in rows.items())
        for (ind, ent, row_no), value in rows.items():
            con.execute(
                "INSERT INTO raw_values (submission_id, indicator, entity_code, row_no, value_num, raw_text, sheet, "
                "cell) VALUES (?, ?, ?, ?, ?, '', '表', 'A1')",
                [sid, ind, ent, row_no, value],
            )
    ledger = BatchLedger(con, CATALOG, REGISTRY)
    counting = CountingConnection(con)
    kept = _LastYearFigures(counting, ledger)  # type: ignore[arg-type]
    for number in range(12):  # the batch plans newer returns; each is compared with what is current meanwhile
        year, return_code, unit = rng.choice([2023, 2024]), rng.choice(["R1", "R2", "R4"]), rng.choice(units)
        values = tuple(figure_row(rng.choice(["a", "b"]), rng.choice(entities), 3.0, 0) for _ in range(2))
        validated = ValidatedReturn(f"n{number}.xlsx", f"{100 + number:064x}", return_code, year, unit, None, None,
                                    None, values, ())  # fmt: skip
        outcome = ledger.plan_validated(validated, received_at=datetime(2026, 1, 1), raw_path="")
        stored[outcome.submission_id] = values
        for of_year in (2023, 2024):
            for of_return in ("R1", "R2", "R4"):
                long_way = PlannedOnlyLedger()
                long_way.values = stored
                long_way.current = ledger.current
                assert kept.by_entity(of_year, of_return) == _grouped_the_long_way(long_way, of_year, of_return)
    assert counting.raw_value_queries == 2  # one per year, not one per year and return type


@pytest.mark.parametrize("code", READ_AS)
def test_a_figure_read_by_its_value_alone_is_read_as_the_cell_would_be(code):
    indicator = CATALOG.indicator(code)
    values = [v for v in RAW_VALUES if isinstance(v, float)] + [12.0, 12.5, 1e300, -1e-300, 3.0, 3.0]
    cells = [(code, LocatedCell(raw, "表", f"A{n}")) for n, raw in enumerate([*values, *reversed(values)], 1)]
    for year in (2024, None):
        figures: dict = {}
        read = _read_cells(cells, CATALOG.indicators, {}, figures, year)
        assert [(i.code, c) for i, c, _ in read] == cells
        assert [repr(reading) for _, _, reading in read] == [repr(_read_cell(indicator, c.raw, year)) for _, c in cells]
        assert all(not (r != r or r == 0) for r in figures.get(code, {}))  # NaN and zeros go the long way


def test_a_text_read_again_is_read_as_the_first_time():
    texts = ["张三", " 张 三 ", "张\x00三", "\u3000", "", "0", "#N/A", "＃DIV/0!", "x" * 300, "13800000000", "a\nb"]
    for text in [*texts, *texts]:
        assert repr(parse_text(text)) == repr(_parse_text(text))


def test_a_county_met_again_is_resolved_as_the_first_time_and_a_former_name_keeps_its_hint():
    def outcome(key: str, year: int) -> tuple:
        validated = _ankang_with_county_key(key, year)
        return [(v.indicator, v.entity_code, v.cell) for v in validated.values], validated.issues

    # Each key first (nothing kept), then again after every other: the current name is kept, the former one (a
    # hint to give each time) and an unknown one (an error) are never taken from what was kept.
    for order in (["旬阳市", "旬阳县", "不存在县"], ["旬阳县", "不存在县", "旬阳市"]):
        for year in (2025, 2023):
            first = {key: outcome(key, year) for key in order}
            again = {key: outcome(key, year) for key in order}
            assert again == first
            assert any(i.code == "former_unit_name" for i in first["旬阳县"][1])
            assert any(i.code == "unknown_county" for i in first["不存在县"][1])
