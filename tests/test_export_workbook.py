"""The data workbook, opened again with openpyxl: the board equals the status engine's, each figure's sheet equals its
query, cells are typed and formatted, and text a submitter typed never becomes a formula (nor in the CSV)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime

import openpyxl
import pytest

from dashboard.figures import BY_KEY, FIGURES
from exports.workbook import ABOUT_SHEET, BOARD_SHEET, HEADER_ROW, TRACKER_SHEET, build_data_workbook, sheet_name
from pipeline.warehouse import open_reader
from queries.board import StatusBook, measure_board
from queries.profile import chart_csv
from tests.test_meetings import resubmit_dues

HYPERLINK = '=HYPERLINK("http://example.invalid","点击")'


@pytest.fixture(scope="module")
def exported(demo_warehouse, demo_returns, tmp_path_factory):
    """The 2025 workbook of a warehouse in which 省金融工会's latest return names "=HYPERLINK(…)" as its contact."""
    root = tmp_path_factory.mktemp("workbook")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    resubmit_dues(demo_returns, warehouse, root / "new", collected=1397.46, submitter=HYPERLINK)
    con = open_reader(warehouse)
    book = StatusBook.from_warehouse(con)
    data = build_data_workbook(con, book, 2025, demo=True)
    return con, book, openpyxl.load_workbook(io.BytesIO(data))


def rows(ws, first: int = HEADER_ROW + 1) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first)]


def headings(ws) -> list[str]:
    return [c.value for c in ws[HEADER_ROW]]


def test_sheets_and_the_data_version_they_were_built_from(exported):
    _, _, wb = exported
    assert wb.sheetnames == [ABOUT_SHEET, BOARD_SHEET, *(sheet_name(f) for f in FIGURES), TRACKER_SHEET]
    about = {row[0]: row[1] for row in rows(wb[ABOUT_SHEET], first=3)}
    assert wb[ABOUT_SHEET]["A1"].value == "【演示数据】2025年度十八条落实看板数据"
    assert about["数据版本"] == "数据版本：截至第122号报送（最近接收 2026-02-10 09:00）"
    for ws in wb.worksheets[1:]:
        assert ws["A1"].value.startswith("【演示数据】2025年度"), ws.title
        assert ws["A2"].value == about["数据版本"], ws.title


def test_the_board_equals_the_status_engine(exported):
    _, book, wb = exported
    ws = wb[BOARD_SHEET]
    table = [dict(zip(headings(ws), row, strict=True)) for row in rows(ws)]
    tiles = measure_board(book, 2025).tiles
    assert [(r["措施"], r["状态"]) for r in table] == [(t.measure.number, t.status) for t in tiles]
    assert [r["状态"] for r in table if r["措施"] in (1, 9)] == ["未到期", "未到期"]  # open windows, not 无数据
    for row, tile in zip(table, tiles, strict=True):
        overall = book.result(tile.measure.number, 2025).overall
        assert (row["指标"], row["关键数据（文字）"]) == (overall.explanation.metric_name, overall.metric_text)
        assert (row["判定标准"], row["判定规则"]) == (overall.explanation.threshold, overall.explanation.rule)
    formats = {r[0].value: (r[4].value, r[4].number_format) for r in ws.iter_rows(min_row=HEADER_ROW + 1)}
    assert formats[3] == (pytest.approx(book.result(3, 2025).overall.metric), "0.0%")  # 97.3%
    assert formats[6] == (1310, '#,##0.0"万元"')
    assert formats[2] == (8, '0"/8"')
    assert formats[17][1] == "0.00" and formats[1][0] is None  # 尚未召开: no number to show
    m3 = next(r for r in table if r["措施"] == 3)
    assert m3["落后单位"] == "、".join(
        f"{g.unit_name}（{g.value_text}）" for g in book.result(3, 2025).overall.explanation.laggards
    )
    assert "汉中市（75.0%）" in m3["落后单位"] and m3["未报送单位"] == "商洛市"


def test_a_province_wide_figure_takes_the_measures_overall_status(exported):
    con, book, wb = exported
    ws = wb[sheet_name(BY_KEY["m4_special_funds_by_year"])]
    assert [(row[0], row[-1]) for row in rows(ws)] == [(y, book.result(4, y).overall.status) for y in book.years]


def test_each_figure_sheet_equals_its_query_with_the_csv_headings_and_typed_cells(exported):
    con, book, wb = exported
    figure = BY_KEY["m5_dues_by_union"]
    ws = wb[sheet_name(figure)]
    frame = figure.series(con, years=[2025])
    csv_text = chart_csv(figure.with_statuses(book, frame), figure).decode("utf-8-sig")
    assert headings(ws) == next(csv.reader(io.StringIO(csv_text)))  # the CSV download's own headings
    assert headings(ws)[-1] == "状态"
    statuses = {s.unit_code: s.status for s in book.result(5, 2025).units}
    submitted = {r.unit_code: r for r in frame.itertuples()}
    judged = [s.unit_code for s in book.result(5, 2025).units]
    missing = [code for code in judged if code not in submitted]
    assert missing == ["I07"]  # 省海员建设工会 did not report its 2025 R2: it is judged, so the sheet lists it too
    by_code = {row[1]: row for row in rows(ws)}
    assert sorted(by_code) == sorted(judged)
    for code, r in submitted.items():
        assert by_code[code] == [2025, code, r.unit_name, pytest.approx(r.due), pytest.approx(r.collected),
                                 pytest.approx(r.rate), statuses[code]]  # fmt: skip
    assert by_code["I07"][3:] == ["未报送", "未报送", "未报送", statuses["I07"]]
    first = ws[HEADER_ROW + 1]
    assert [c.number_format for c in first] == ["0", "@", "@", "#,##0.00", "#,##0.00", "0.0%", "@"]
    assert isinstance(first[5].value, float) and 0 < first[5].value <= 1  # a rate, shown as a percentage


def test_special_inspections_show_the_latest_round(exported):
    con, _, wb = exported
    figure = BY_KEY["m9_rectification_by_unit"]
    ws = wb[sheet_name(figure)]
    assert ws["A1"].value.endswith("（2025年度未开展专项督查，以下为最近一轮：2024年）")
    round_2024 = figure.series(con, years=[2024])
    assert len(round_2024) >= 19  # the demo's 2024 round
    inspected = [[2024, code] for code in round_2024["unit_code"]]
    listed = [row[:2] for row in rows(ws)]
    # Every inspected unit, then the judged unit the round did not inspect (韩城市), its cells reading 未督查.
    assert [row for row in listed if row in inspected] == inspected
    [extra] = [row for row in rows(ws) if row[:2] not in inspected]
    assert extra[:2] == [2024, "C12"] and "未督查" in extra


def test_the_tracker_types_times_and_neutralises_what_submitters_typed(exported):
    _, _, wb = exported
    ws = wb[TRACKER_SHEET]
    table = [dict(zip(headings(ws), row, strict=True)) for row in rows(ws)]
    [finance] = [r for r in table if r["单位"] == "陕西省金融工会"]
    assert finance["填报人"] == "'" + HYPERLINK
    assert finance["接收时间"] == datetime(2026, 2, 10, 9, 0)
    assert finance["已被替代的版本"] == "1份已被替代：演示_2025_R2_陕西省金融工会.xlsx"
    cells = {
        h: c
        for h, c in zip(
            headings(ws), next(r for r in ws.iter_rows(min_row=4) if r[1].value == "陕西省金融工会"), strict=True
        )
    }
    assert (cells["填报人"].data_type, cells["接收时间"].number_format, cells["填报日期"].number_format) == (
        "s", "yyyy-mm-dd hh:mm", "yyyy-mm-dd",
    )  # fmt: skip
    assert cells["联系电话"].value == "029-80682322" and cells["联系电话"].data_type == "s"
    formulas = [c.coordinate for sheet in wb.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert {r["情况"] for r in table if r["单位"] == "陕西省海员建设工会"} == {"未报送"}


def test_live_data_are_not_labelled_demo(exported):
    con, book, _ = exported
    wb = openpyxl.load_workbook(io.BytesIO(build_data_workbook(con, book, 2025, demo=False, source_label="会议版“甲”")))
    assert wb[BOARD_SHEET]["A1"].value == "2025年度十八条措施落实状态"
    assert wb[BOARD_SHEET]["A2"].value.startswith("会议版“甲”；数据版本：截至第122号报送")


def test_chart_csv_neutralises_text_a_spreadsheet_would_run(exported):
    con, _, _ = exported
    frame = BY_KEY["m5_dues_by_union"].series(con, years=[2025])
    frame.loc[0, "unit_name"], frame.loc[1, "unit_name"] = HYPERLINK, "-1+1"
    rows_out = list(csv.reader(io.StringIO(chart_csv(frame, "m5_dues_by_union").decode("utf-8-sig"))))
    assert (rows_out[1][2], rows_out[2][2]) == ("'" + HYPERLINK, "'-1+1")
    assert rows_out[3][2] == frame.loc[2, "unit_name"]  # other names unchanged
