"""Properties of the table locator: the edits clerks make to a valid return never change what it loads.

Each example writes a complete return on the real template (tests/locate_returns.py), edits it the way people do
(blank rows, notes, a 填表说明 paragraph, a signature line, moved columns), and loads it through the locate and
validate stages: the loaded figures must equal those of the unedited return, with no error and no new warning.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from locate_returns import clean_return, load, loaded_figures
from openpyxl.worksheet.worksheet import Worksheet

BASELINE = {code: load(clean_return(code)[0]) for code in ("R1", "R2", "R3", "R4")}
NOTES = (
    None,  # a blank row
    "备注：本表经费数据以财务决算为准，人数为年末数。",
    "注：单位为万元",
    "填表说明：1. 金额单位为万元；2. 请于次年1月31日前报送。",
    "1. 以上数据经各县（区）总工会核实。",
    "以上数据经单位负责人审核，如有出入以决算为准。",
    "审核人：李四",
)
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

insertions = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1),  # where, between the sheet's second row and one past its last
        st.integers(min_value=1, max_value=4),  # how many rows
        st.sampled_from(NOTES),
        st.integers(min_value=1, max_value=3),  # the column the note is typed in
    ),
    min_size=1,
    max_size=4,
)


def table_sheets(wb, layout) -> list[Worksheet]:
    names = {ref.sheet for ref in layout.value_cells.values()} | {r.sheet for r in layout.records.values()}
    return [wb[name] for name in sorted(names)]


def insert_rows(ws: Worksheet, edits) -> None:
    for where, count, note, column in edits:
        at = 2 + round(where * (ws.max_row - 1))
        ws.insert_rows(at, count)
        if note is not None:
            ws.cell(at + count - 1, column).value = note


def table_top(ws: Worksheet) -> int:
    """The row of the sheet's table title: everything from it down belongs to the table."""
    return next(row for row in range(1, ws.max_row + 1) if str(ws.cell(row, 1).value or "")[:2] in ("一、", "二、"))


def move_columns(ws: Worksheet, order: list[int]) -> None:
    """Rearrange the table's columns (below its title) into `order`, a permutation of 1..len(order).

    Cells move with their number format, as when a column is cut and inserted in Excel or WPS.
    """
    for row in range(table_top(ws) + 1, ws.max_row + 1):
        cells = [(ws.cell(row, col).value, ws.cell(row, col).number_format) for col in order]
        for col, (value, number_format) in enumerate(cells, 1):
            ws.cell(row, col).value, ws.cell(row, col).number_format = value, number_format


def assert_loads_as_before(code: str, wb) -> None:
    before, after = BASELINE[code], load(wb)
    assert [i.format_line() for i in after.issues] == [i.format_line() for i in before.issues] == []
    assert loaded_figures(after) == loaded_figures(before)
    assert (after.unit_code, after.year) == (before.unit_code, before.year)


@EXAMPLES
@given(code=st.sampled_from(["R1", "R2", "R3", "R4"]), data=st.data())
def test_blank_and_note_rows_anywhere_never_change_the_loaded_figures(code, data):
    wb, layout = clean_return(code)
    for ws in table_sheets(wb, layout):
        insert_rows(ws, data.draw(insertions, label=ws.title))
    assert_loads_as_before(code, wb)


@EXAMPLES
@given(code=st.sampled_from(["R1", "R2", "R3", "R4"]), data=st.data())
def test_moved_columns_never_change_the_loaded_figures(code, data):
    wb, layout = clean_return(code)
    for ws in table_sheets(wb, layout):
        width = max(c.column for row in ws.iter_rows(min_row=table_top(ws)) for c in row if c.value is not None)
        move_columns(ws, data.draw(st.permutations(range(1, width + 1)), label=ws.title))
    assert_loads_as_before(code, wb)


@EXAMPLES
@given(data=st.data())
def test_county_rows_split_by_gaps_and_notes_all_load(data):
    """Defect 1 in general: any number of blank or note rows between any two counties, columns in any order."""
    wb, layout = clean_return("R1")
    counties = wb[layout.records["R1_COUNTY"].sheet]
    width = counties.max_column
    move_columns(counties, data.draw(st.permutations(range(1, width + 1)), label="order"))
    first = layout.records["R1_COUNTY"].first_data_row
    gaps = data.draw(
        st.lists(
            st.tuples(st.integers(1, 12), st.integers(1, 6), st.sampled_from(NOTES), st.integers(1, width)),
            min_size=1,
            max_size=5,
        ),
        label="gaps",
    )
    # Inserted from the bottom up, so each gap lands after the county it names.
    for after, count, note, column in sorted(gaps, key=lambda gap: gap[0], reverse=True):
        counties.insert_rows(first + after, count)
        if note is not None:
            counties.cell(first + after, column).value = note
    assert_loads_as_before("R1", wb)
