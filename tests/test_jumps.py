"""Year-over-year jumps at upload: two returns of the same unit for consecutive years, written on the real template
and ingested one after the other; the second is told about each implausible change, with last year's figure and
the unit's 说明, in the result, the stored issues, the terminal block and the annotated workbook."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from pipeline.catalog import load_catalog
from pipeline.ingest import ingest_bytes
from pipeline.jumps import FIX_WITH_REMARK, FIX_WITHOUT_REMARK, jumped, series_indicators
from pipeline.registry import load_registry
from pipeline.report import annotate_workbook, format_terminal
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import writer
from tests.locate_returns import figures

CATALOG, REGISTRY = load_catalog(), load_registry()
UNION = "I01"  # 陕西省教科文卫体工会
CITY = "C09"  # 安康市总工会
HEADER = {"submitter": "张敏", "phone": "029-87654321"}


def _r2(year: int, values: dict, remarks: dict | None = None) -> bytes:
    wb, layout = build_template(CATALOG, REGISTRY, "R2", year, unit_code=UNION)
    filled = figures(list(layout.value_cells)) | {"m7_rationalized_this_year": 30} | values
    header = {"unit_name": REGISTRY.get(UNION).name, "filled_on": date(year + 1, 1, 10), **HEADER}
    fill_return(wb, layout, header=header, values=filled, remarks=remarks or {})
    return _xlsx(wb)


def _r1(year: int, county_unions: dict[str, int]) -> bytes:
    wb, layout = build_template(CATALOG, REGISTRY, "R1", year, unit_code=CITY)
    columns = list(layout.records["R1_COUNTY"].columns)
    rows = []
    for row, county in enumerate(REGISTRY.counties_of(CITY)):
        rows.append(figures(columns, row) | {"m8_county_industry_unions": county_unions.get(county.name, 2)})
    header = {"unit_name": REGISTRY.get(CITY).name, "filled_on": date(year + 1, 1, 10), **HEADER}
    fill_return(wb, layout, header=header, values=figures(list(layout.value_cells)), records={"R1_COUNTY": rows})
    return _xlsx(wb)


def _xlsx(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _ingest(tmp_path, files: list[tuple[str, bytes]]):
    with writer(tmp_path / "warehouse.duckdb", catalog=CATALOG) as con:
        results = [
            ingest_bytes(con, data, name, received_at=datetime(2026, 1, 20, 9, n), raw_dir=tmp_path / "raw")
            for n, (name, data) in enumerate(files)
        ]
        stored = con.execute(
            "SELECT code, message FROM submission_issues WHERE submission_id = ? ORDER BY seq",
            [results[-1].submission_id],
        ).fetchall()
    return results, stored


def _jumps(result) -> list:
    return [i for i in result.issues if i.code == "year_over_year_jump"]


def _cell(code: str, indicator: str, year: int) -> tuple[str, str]:
    unit = UNION if code == "R2" else CITY
    ref = build_template(CATALOG, REGISTRY, code, year, unit_code=unit)[1].value_cells[indicator]
    return ref.sheet, ref.cell


def test_a_union_count_falling_from_438_to_60_is_told_at_upload_with_the_units_remark(tmp_path):
    remark = "机构改革，部分基层工会划转属地管理"
    last, this = (
        _r2(2024, {"m7_grassroots_unions": 438}),
        _r2(2025, {"m7_grassroots_unions": 60}, remarks={"m7_grassroots_unions": remark}),
    )
    (first, second), stored = _ingest(tmp_path, [("2024.xlsx", last), ("2025.xlsx", this)])
    assert _jumps(first) == []
    assert second.status == "accepted_with_warnings"
    [jump] = _jumps(second)
    message = f"“所属基层工会数”与上年（2024年）相比由 438个 降至 60个（为上年的13.7%）；单位的说明：{remark}"
    assert (jump.severity, jump.message, jump.fix) == ("warning", message, FIX_WITH_REMARK)
    assert (jump.file, (jump.sheet, jump.cell), jump.value, jump.indicator) == (
        "2025.xlsx",
        _cell("R2", "m7_grassroots_unions", 2025),
        "60",
        "所属基层工会数",
    )
    assert ("year_over_year_jump", message) in stored
    line = [line for line in format_terminal("2025.xlsx", second.status, second.issues).splitlines() if "438" in line]
    assert line == [
        f"  [提示] 文件“2025.xlsx”，工作表“{jump.sheet}”，单元格 {jump.cell}：{message}（填写的是“60”）。"
        f" 修改方法：{FIX_WITH_REMARK}"
    ]
    listing = load_workbook(io.BytesIO(annotate_workbook(this, "2025.xlsx", second.issues)))["错误清单"]
    rows = [[c.value for c in row] for row in listing.iter_rows(min_row=4)]
    assert ["提示", jump.sheet, jump.cell, "所属基层工会数", "60", message, FIX_WITH_REMARK] in [r[1:] for r in rows]


def test_a_figure_without_a_remark_is_asked_for_one_and_small_changes_pass(tmp_path):
    last = _r2(2024, {"m5_dues_due": 51.5, "m11_leadership_studies": 2})
    this = _r2(2025, {"m5_dues_due": 515.0, "m11_leadership_studies": 5})  # ×10 万元 flagged; 2 → 5 meetings not
    (_, second), _ = _ingest(tmp_path, [("2024.xlsx", last), ("2025.xlsx", this)])
    assert [(j.indicator, j.message, j.fix) for j in _jumps(second)] == [
        ("应收会费", "“应收会费”与上年（2024年）相比由 51.5万元 增至 515万元（×10.0）", FIX_WITHOUT_REMARK)
    ]


def test_a_countys_figure_names_the_county(tmp_path):
    (_, second), _ = _ingest(
        tmp_path, [("2024.xlsx", _r1(2024, {"旬阳市": 1})), ("2025.xlsx", _r1(2025, {"旬阳市": 20}))]
    )
    [jump] = _jumps(second)
    assert jump.message == "“县级产业工会数”（旬阳市）与上年（2024年）相比由 1个 增至 20个（×20.0）"
    assert jump.sheet == CATALOG.tables["R1_COUNTY"].sheet


def test_no_jump_without_last_years_return_or_across_a_gap(tmp_path):
    (first, later), _ = _ingest(
        tmp_path, [("2023.xlsx", _r2(2023, {"m7_grassroots_unions": 438})), ("2025.xlsx", _r2(2025, {}))]
    )
    assert _jumps(first) == [] and _jumps(later) == []


def test_jumped_uses_the_anomaly_scans_bounds():
    assert "m7_grassroots_unions" in series_indicators(CATALOG)
    assert "m9_score_funding" not in series_indicators(CATALOG)  # inspection records are events, not a series
    current = {("m7_grassroots_unions", UNION): 60.0, ("m11_guidance_visits", UNION): 1.0, ("m7_members", UNION): 12}
    previous = {("m7_grassroots_unions", UNION): 438.0, ("m11_guidance_visits", UNION): 5.0, ("m7_members", UNION): 0}
    assert jumped(current, previous, CATALOG) == [("m7_grassroots_unions", UNION), ("m7_members", UNION)]
