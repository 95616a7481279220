"""The shortcuts that cut locate's, validate's and the jump check's CPU give exactly the answers of the long way round.

A sheet's header rows and boundaries are found in one pass for every table instead of one scan per table; a row's
emptiness is told from its keys when it can be; the header labels stop being sought once all are found; a text
without "#" is no Excel error value; the jump check looks each followed indicator's floor up once; last year's
figures of an entity are taken first-per-indicator in one step. Each test compares a shortcut with the long way
(the code it replaced, spelt out here) on the real templates' sheets, shuffled and mixed, and on awkward values.
"""

from __future__ import annotations

import math
import random
import re
from datetime import datetime

import pytest

from pipeline.cell_values import EXCEL_ERROR_MEANINGS, ExcelErrorValue
from pipeline.ingest import _LastYearFigures
from pipeline.jumps import jumped, series_indicators
from pipeline.locate import (
    _KEY,
    _count,
    _header_fields,
    _index,
    _labels,
    _list_roles,
    _match_row,
    _row_is_boundary,
    _row_keys,
    _segments,
    _View,
    _view,
    _views,
)
from pipeline.normalise import excel_error, remove_control_characters, to_halfwidth
from pipeline.read import SheetData, WorkbookData, read_workbook
from pipeline.status.anomalies import bounds, is_anomalous
from pipeline.validated import ValidatedReturn, ValueRow
from tests.fake_ledgers import PlannedOnlyLedger, figure_row
from tests.locate_returns import CATALOG, FILE_NAME, clean_return, xlsx

INDEX = _index(CATALOG)
RETURNS = ["R1", "R2", "R3", "R4"]


def _workbook(code: str) -> WorkbookData:
    wb, _ = clean_return(code)
    return read_workbook(xlsx(wb), FILE_NAME)


WORKBOOKS = {code: _workbook(code) for code in RETURNS}


def _segments_the_long_way(view: _View, table) -> list[tuple[int, dict[str, int], int]]:
    """Every header row of the table, by scanning each row of the sheet for it (as before the one-pass heads)."""
    if table.kind == "indicator_list":
        found = []
        for row, keys in enumerate(view.keys, 1):
            roles = _list_roles(keys, INDEX)
            if "label" in roles and "value" in roles:
                found.append((row, roles, row + 1))
        return found
    names, found = INDEX.columns[table.code], []
    needed = math.ceil(len(INDEX.indicators[table.code]) / 2)
    for row, keys in enumerate(view.keys, 1):
        columns, first_data_row = _match_row(keys, names), row + 1
        if _KEY not in columns:
            continue
        if _count(columns) < needed and row < len(view.keys):
            below = {**_match_row(view.keys[row], names), **columns}
            if _count(below) > _count(columns):
                columns, first_data_row = below, row + 2
        distinct = INDEX.distinct[table.code]
        if _count(columns) >= needed and (not distinct or distinct & set(columns)):
            found.append((row, columns, first_data_row))
    return found


def _split(row: tuple[object, ...], rng: random.Random) -> list[tuple[object, ...]]:
    """A row as a two-row header would hold it: each cell above or below, the first column above."""
    above = [rng.random() < 0.5 or col == 0 for col in range(len(row))]
    return [
        tuple(v if up else None for v, up in zip(row, above, strict=True)),
        tuple(None if up else v for v, up in zip(row, above, strict=True)),
    ]


def _mixed_sheets(seed: int) -> list[SheetData]:
    """Sheets of rows drawn from every template's sheets: a run of one sheet's rows in order, with rows of any sheet
    put in anywhere, and some rows split in two (a two-row header: group titles above the names)."""
    rng = random.Random(seed)
    rows = [row for wb in WORKBOOKS.values() for sheet in wb.sheets for row in sheet.rows]
    sheets = []
    for number in range(4):
        start = rng.randrange(len(rows))
        picked = list(rows[start : start + rng.randint(5, 40)])
        for row in rng.sample(rows, rng.randint(0, 20)):
            picked.insert(rng.randint(0, len(picked)), row)
        picked = [part for row in picked for part in (_split(row, rng) if rng.random() < 0.3 else [row])]
        sheets.append(SheetData(f"表{number}", rng.random() > 0.2, tuple(picked)))
    return sheets


def _all_views() -> list[_View]:
    views = [view for wb in WORKBOOKS.values() for view in _views(wb, INDEX)]
    for seed in range(30):
        views += [_View(sheet, [_row_keys(row) for row in sheet.rows]) for sheet in _mixed_sheets(seed)]
    return views


@pytest.mark.parametrize("table_code", sorted(CATALOG.tables))
def test_one_pass_finds_the_header_rows_a_scan_per_table_finds(table_code):
    table = CATALOG.tables[table_code]
    for view in _all_views():
        found = [(s.header_row, s.columns, s.first_data_row) for s in _segments(view, table, INDEX)]
        assert found == _segments_the_long_way(view, table), (view.name, [r[:3] for r in view.sheet.rows[:3]])


def test_one_pass_finds_the_boundaries_a_row_by_row_check_finds():
    views = _all_views()
    assert any(view.boundaries(INDEX) for view in views)
    for view in views:
        expected = {row for row, keys in enumerate(view.keys, 1) if _row_is_boundary(keys, INDEX)}
        assert view.boundaries(INDEX) == expected


AWKWARD_CELLS = [
    None, "", " ", "  \n", "\u3000", "\xa0", "\t", "\x00", "\x1f", "*", "※", "：", ":", "（）", "0", 0, 0.0, False,
    True, "合计", " 西安 ", "\u200b", "－", "—", "#N/A", ExcelErrorValue("#REF!"), datetime(2024, 5, 1), "ａ",
]  # fmt: skip


def test_a_row_has_content_exactly_when_it_has_a_filled_cell():
    rng = random.Random(3)
    rows = [()] + [tuple(rng.choice(AWKWARD_CELLS) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    view = _View(SheetData("表", True, tuple(rows)), [_row_keys(row) for row in rows])
    shortcut = [view.has_content(row) for row in range(1, len(rows) + 1)]
    assert any(shortcut) and not all(shortcut)
    assert shortcut == [bool(view.filled(row)) for row in range(1, len(rows) + 1)]


def _header_fields_the_long_way(views: list[_View]) -> dict:
    """Every sheet's labels scanned, however many were found before (as before the stop once all are found)."""
    fields: dict = {}
    for view in views:
        here: dict = {}
        for code, cell in _labels(view, INDEX):
            if code not in here or (here[code].raw in (None, "") and cell.raw not in (None, "")):
                here[code] = cell
        for code, cell in here.items():
            fields.setdefault(code, cell)
    return fields


@pytest.mark.parametrize("code", RETURNS)
def test_header_fields_stop_at_the_sheet_that_completes_them_with_the_same_answer(code):
    sheets = WORKBOOKS[code].sheets
    # The header block again on a later sheet, emptied, and on an earlier one: the first filled one wins either way.
    emptied = SheetData("副本", True, tuple(tuple(None if v == "王丽" else v for v in row) for row in sheets[0].rows))
    for order in (list(sheets) + [emptied], [emptied, *sheets]):
        views = [_View(s, [_row_keys(row) for row in s.rows]) for s in order]
        again = [_View(s, [_row_keys(row) for row in s.rows]) for s in order]
        assert _header_fields(views, INDEX) == _header_fields_the_long_way(again)
    assert "submitter" in _header_fields([_View(s, [_row_keys(r) for r in s.rows]) for s in sheets], INDEX)


_FORMULA_ERROR = re.compile("|".join(map(re.escape, EXCEL_ERROR_MEANINGS)), re.IGNORECASE)


def _excel_error_the_long_way(raw: object) -> ExcelErrorValue | None:
    if isinstance(raw, ExcelErrorValue):
        return raw
    if isinstance(raw, str) and len(raw) <= 20:
        text = to_halfwidth(remove_control_characters(raw)).strip()
        if _FORMULA_ERROR.fullmatch(text):
            return ExcelErrorValue(text.upper())
    return None


def test_a_text_without_a_hash_sign_is_never_an_excel_error_and_one_with_it_is_read_as_before():
    rng = random.Random(11)
    alphabet = "#＃DIVdiv/0!NAna?REFULM_ \u3000\x00\x07ＤＩＶ／０！西"
    texts = [*EXCEL_ERROR_MEANINGS, " ＃ＤＩＶ／０！ ", "#n/a", "\x00#REF!", "＃N/A", "DIV/0!", "#DIV/0!" + " " * 14]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 22))) for _ in range(20000)]
    found = [excel_error(text) for text in texts]
    assert sum(error is not None for error in found) > len(EXCEL_ERROR_MEANINGS)
    assert found == [_excel_error_the_long_way(text) for text in texts]


def _jumped_the_long_way(current: dict, previous: dict) -> list:
    ratio, floors = bounds(CATALOG)
    followed = series_indicators(CATALOG)
    return [
        key
        for key, now in current.items()
        if key[0] in followed
        and key in previous
        and is_anomalous(previous[key], now, ratio, floors[CATALOG.indicator(key[0]).type])
    ]


def test_the_jump_check_flags_the_figures_and_in_the_order_the_long_way_does():
    rng = random.Random(5)
    codes = list(CATALOG.indicators)
    values = [0.0, -1.0, 1.0, 3.0, 9.0, 10.0, 30.0, 100.0, 438.0, 60.0, 1e6]
    flagged = 0
    for _ in range(300):
        keys = [(rng.choice(codes), rng.choice(["C03", "C0301", "I01"])) for _ in range(rng.randint(0, 30))]
        current = {key: rng.choice(values) for key in keys}
        previous = {key: rng.choice(values) for key in keys if rng.random() < 0.7}
        found = jumped(current, previous, CATALOG)
        assert found == _jumped_the_long_way(current, previous)
        flagged += len(found)
    assert flagged


def _row_no(value: ValueRow) -> int:
    return value.row_no


def test_last_years_figure_of_each_indicator_is_the_first_in_row_order():
    rng = random.Random(9)
    ledger = PlannedOnlyLedger()
    figures = _LastYearFigures(None, ledger)  # type: ignore[arg-type]  # planned values only: no warehouse query
    entities = ["E1", "E2", "E3"]
    for sid in range(1, 30):
        ledger.values[sid] = tuple(
            figure_row(
                rng.choice(["a", "b", "c"]), rng.choice(entities), rng.choice([1.0, 2.0, 3.0, None]), rng.randint(0, 2)
            )
            for _ in range(rng.randint(0, 8))
        )
        ledger.current[(rng.choice(["U1", "U2", "U3"]), 2024, "R4")] = (datetime(2026, 1, 1), sid)
        asked = tuple(figure_row("a", entity, 1.0, 0) for entity in rng.sample(entities, rng.randint(1, 3)))
        validated = ValidatedReturn("f.xlsx", "0" * 64, "R4", 2025, "U1", None, None, None, asked, ())
        ids = sorted(sid for (_, y, rc), (_, sid) in ledger.current.items() if (y, rc) == (2024, "R4"))
        in_row_order = sorted((v for sid in ids for v in ledger.values[sid] if v.value_num is not None), key=_row_no)
        asked_entities = {row.entity_code for row in asked}
        expected: dict = {}
        for v in in_row_order:
            if v.entity_code in asked_entities:
                expected.setdefault((v.indicator, v.entity_code), v.value_num)
        assert figures.previous(validated) == expected


def _fresh(sheet: SheetData) -> _View:
    return _View(sheet, [_row_keys(row) for row in sheet.rows])


def _retyped(sheet: SheetData) -> SheetData:
    """The same sheet with each whole number of another type (1.0 -> 1, 1 -> True …): equal as tuples."""
    swap = {1.0: True, 0.0: False}

    def cell(v: object) -> object:
        if isinstance(v, float) and v.is_integer():
            return swap.get(v, int(v))
        return v

    return SheetData(sheet.name, sheet.visible, tuple(tuple(cell(v) for v in row) for row in sheet.rows))


def test_a_sheet_met_again_gets_the_facts_a_fresh_look_finds():
    sheets = [s for wb in WORKBOOKS.values() for s in wb.sheets]
    sheets += [s for seed in range(30) for s in _mixed_sheets(seed)]
    for sheet in [*sheets, *sheets, *map(_retyped, sheets)]:  # the second round and the retyped ones from the cache
        kept, fresh = _view(sheet, INDEX), _fresh(sheet)
        assert kept.keys == fresh.keys
        assert kept.boundaries(INDEX) == fresh.boundaries(INDEX)
        for table in CATALOG.tables.values():
            assert _segments(kept, table, INDEX) == _segments(fresh, table, INDEX)
        rows = range(1, len(sheet.rows) + 1)
        assert kept.sheet_facts(INDEX).content(sheet.rows) == tuple(r for r in rows if fresh.has_content(r))
        kept.occupied.update(rows[::3])
        fresh.occupied.update(rows[::3])
        assert list(_labels(kept, INDEX)) == list(_labels(fresh, INDEX))
