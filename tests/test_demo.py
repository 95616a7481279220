"""The seeded demo returns: determinism, manifest, coverage of units, traits and defects, and the story."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import xlrd
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline.catalog import load_catalog
from pipeline.demo.generate import MANIFEST, generate, is_current
from pipeline.demo.messy import plain
from pipeline.registry import load_registry
from pipeline.templates import build_template

SEED = 20211015
YEARS = range(2021, 2026)
TRAITS = {
    "moved_columns",
    "numbers_as_text",
    "dates_as_text",
    "unit_name_spelling",
    "edited_headers",
    "note_rows",
    "extra_sheet",
    "hidden_sheet",
    "formulas_with_cached_values",
    "xls_copy",
    "merged_title",
    "wps_export",
    "estimate_value",
}
DEFECT_ERRORS = {
    "wrong_template_year": ["wrong_year"],
    "missing_required_table": ["missing_table"],
    "non_numeric_count": ["not_a_number"],
    "corrupt_file": ["corrupt_file"],
    "not_excel": ["not_excel"],
    "empty_file": ["empty_file"],
    "unknown_unit": ["unknown_unit"],
    "wrong_return_type": ["wrong_return_type"],
    "formula_without_cached_value": ["formula_without_value"],
    "of_which_exceeds_total": ["check_failed"],
}
UNREADABLE = {"corrupt_file", "not_excel", "empty_file"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, catalog, registry):
    out = tmp_path_factory.mktemp("demo") / "returns"
    manifest = generate(out, SEED, force=True, catalog=catalog, registry=registry)
    assert manifest is not None
    return out, manifest


@pytest.fixture(scope="module")
def files(demo):
    return demo[1]["files"]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _current(files: list[dict], unit: str, return_code: str, year: int) -> dict:
    """The accepted return of a unit and year that no later version supersedes."""
    superseded = {f["supersedes"] for f in files if f["supersedes"]}
    found = [
        f
        for f in files
        if (f["unit_code"], f["return_code"], f["year"]) == (unit, return_code, year)
        and f["expected_outcome"] != "rejected"
        and f["file"] not in superseded
        and f["file"].endswith(".xlsx")
    ]
    assert len(found) == 1, found
    return found[0]


def _cell_as_manifest(value: object) -> object:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return {"是": True, "否": False}.get(value, value) if isinstance(value, str) else value


# -- determinism and the manifest ---------------------------------------------------------------------------------


def test_second_run_is_byte_identical(demo, tmp_path, catalog, registry):
    out, _ = demo
    generate(tmp_path, SEED, force=True, catalog=catalog, registry=registry)
    first, second = _hashes(out), _hashes(tmp_path)
    assert first == second
    assert MANIFEST in first


def test_manifest_and_disk_agree(demo, files):
    out, manifest = demo
    on_disk = set(_hashes(out)) - {MANIFEST}
    assert on_disk == {f["file"] for f in files}
    for f in files:
        assert hashlib.sha256((out / f["file"]).read_bytes()).hexdigest() == f["sha256"], f["file"]
    text = (out / MANIFEST).read_text(encoding="utf-8")
    assert text == json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    assert manifest["demo_data"] is True and manifest["label"] == "演示数据" and manifest["seed"] == SEED


def test_an_existing_output_is_kept_unless_forced(demo, catalog, registry):
    out, _ = demo
    assert is_current(out, SEED)
    assert not is_current(out, SEED + 1)  # another seed would regenerate
    assert generate(out, SEED, catalog=catalog, registry=registry) is None


def test_every_expected_return_is_filed_or_missing(files, registry, demo):
    missing = {(m["unit_code"], m["return_code"], m["year"]) for m in demo[1]["missing"]}
    assert missing == {("C10", "R1", 2025), ("I07", "R2", 2025)}
    filed = {(f["unit_code"], f["return_code"], f["year"]) for f in files if f["expected_outcome"] != "rejected"}
    expected = {
        **{c.code: "R1" for c in registry.cities()},
        **{u.code: "R2" for u in registry.industry_unions()},
    }
    for year in YEARS:
        for unit, return_code in expected.items():
            assert ((unit, return_code, year) in filed) != ((unit, return_code, year) in missing)
        assert ("P00", "R3", year) in filed and ("P00", "R4", year) in filed
    per_year = {y: sum(1 for key in filed if key[2] == y) for y in YEARS}
    assert per_year == {2021: 22, 2022: 22, 2023: 22, 2024: 22, 2025: 20}


def test_file_names_and_layout(files):
    for f in files:
        year, name = f["file"].split("/")
        assert year == str(f["year"]) and name.startswith(f"演示_{f['year']}_{f['return_code']}_")
    assert "2022/演示_2022_R4_督查结果表.xlsx" in {f["file"] for f in files}


def test_each_trait_and_defect_appears(files):
    traits = {t for f in files for t in f["traits"]}
    assert traits == TRAITS
    details = [d for f in files for t, ds in f["trait_details"].items() for d in ds if t == "numbers_as_text"]
    assert {d["variant"] for d in details} == {"thousands_sep", "fullwidth_digits", "wan_suffix"}
    assert any(d["text"].endswith("万人") for d in details) and any(d["text"].endswith("万元") for d in details)
    dates = [d for f in files for d in f["trait_details"].get("dates_as_text", [])]
    assert {d["variant"] for d in dates} == {"cn", "dot", "slash"}
    broken = {d: f for f in files for d in f["defects"]}
    assert set(broken) == set(DEFECT_ERRORS)
    for defect, errors in DEFECT_ERRORS.items():
        assert broken[defect]["expected_errors"] == errors
        assert broken[defect]["expected_outcome"] == "rejected"


def test_outcomes_follow_errors_and_warnings(files):
    for f in files:
        if f["expected_errors"]:
            assert f["expected_outcome"] == "rejected"
        elif f["expected_warnings"]:
            assert f["expected_outcome"] == "accepted_with_warnings"
        else:
            assert f["expected_outcome"] == "accepted"
    # The first version of the resubmitted return is loaded after its correction (name order): not current.
    assert [f["file"] for f in files if "not_current" in f["expected_warnings"]] == [
        "2023/演示_2023_R1_宝鸡市总工会_第1版.xlsx"
    ]
    warned = [f for f in files if set(f["expected_warnings"]) - {"not_current"}]
    assert [(f["traits"], f["expected_warnings"]) for f in warned] == [
        (["edited_headers", "numbers_as_text"], ["converted_number"]),
        ([], ["year_over_year_jump"]),
        ([], ["not_current", "year_over_year_jump"]),  # 宝鸡's 第1版: 重点工作经费 ten times too high
        (["dates_as_text", "estimate_value", "unit_name_spelling"], ["estimate"]),
        (["edited_headers", "formulas_with_cached_values", "numbers_as_text"], ["converted_number"]),
        (["edited_headers", "hidden_sheet", "numbers_as_text"], ["year_over_year_jump"]),
        ([], ["year_over_year_jump"]),
        ([], ["year_over_year_jump"]),
        ([], ["year_over_year_jump"]),
    ]
    # Loading compares each return with the unit's return of the year before (pipeline/jumps.py).
    assert [f["file"] for f in files if "year_over_year_jump" in f["expected_warnings"]] == [
        "2022/演示_2022_R2_陕西省农林水利气象工会.xlsx",
        "2023/演示_2023_R1_宝鸡市总工会_第1版.xlsx",
        "2024/演示_2024_R2_陕西省农林水利气象工会.xlsx",
        "2024/演示_2024_R2_陕西省国防邮电工会.xlsx",
        "2024/演示_2024_R2_陕西省教科文卫体工会.xlsx",
        "2025/演示_2025_R2_陕西省教科文卫体工会.xlsx",
    ]


def test_about_a_quarter_of_the_returns_are_messy(files):
    returns = [f for f in files if not f["defects"] and f["file"].endswith(".xlsx")]
    messy = [f for f in returns if f["traits"]]
    assert 0.2 <= len(messy) / len(returns) <= 0.3
    assert all(len(f["traits"]) >= 2 for f in messy)


# -- what the workbooks hold ---------------------------------------------------------------------------------------


def test_clean_files_hold_the_manifest_values(demo, files, catalog, registry):
    out, _ = demo
    picks = {("C07", "R1", 2022), ("I04", "R2", 2024), ("P00", "R3", 2022), ("P00", "R4", 2024)}
    checked = 0
    for f in files:
        key = (f["unit_code"], f["return_code"], f["year"])
        if key not in picks or f["traits"] or f["defects"]:
            continue
        wb = load_workbook(out / f["file"])
        _, layout = build_template(catalog, registry, f["return_code"], f["year"], unit_code=f["unit_code"])
        for code, value in f["values"].items():
            ref = layout.value_cells[code]
            assert _cell_as_manifest(wb[ref.sheet][ref.cell].value) == value, (f["file"], code)
        for code, text in f["remarks"].items():
            ref = layout.remark_cells[code]
            assert wb[ref.sheet][ref.cell].value == text
        for table, rows in f["records"].items():
            records = layout.records[table]
            ws = wb[records.sheet]
            for offset, row in enumerate(rows):
                r = records.first_data_row + offset
                assert ws[f"{records.key_column}{r}"].value == row["key"]
                for code, value in row.items():
                    if code not in ("key", "remark"):
                        assert _cell_as_manifest(ws[f"{records.columns[code]}{r}"].value) == value
        header = layout.header_cells
        assert wb[header["unit_name"].sheet][header["unit_name"].cell].value == f["unit_name"]
        assert _cell_as_manifest(wb[header["filled_on"].sheet][header["filled_on"].cell].value) == f["filled_on"]
        checked += 1
    assert checked == 4


def test_numbers_as_text_cells_hold_text_not_the_number(demo, files):
    out, _ = demo
    f = next(f for f in files if f["file"] == "2021/演示_2021_R2_陕西省教科文卫体工会.xlsx")
    texts = {}
    for ws in load_workbook(out / f["file"]).worksheets:
        for row in ws.iter_rows():
            texts.update({c.value: c for c in row if isinstance(c.value, str)})
    for detail in f["trait_details"]["numbers_as_text"]:
        clean = f["values"][detail["indicator"]]
        assert detail["text"] in texts
        assert detail["text"] != plain(clean)
    assert {d["text"] for d in f["trait_details"]["numbers_as_text"]} == {
        f"{f['values']['m7_grassroots_unions']:,}",
        f"{f['values']['m7_employees'] / 10000:g}万人",
    }


def test_formulas_carry_their_cached_values(demo, files):
    out, _ = demo
    with_formulas = [f for f in files if "formulas_with_cached_values" in f["traits"]]
    assert len(with_formulas) >= 3
    for f in with_formulas:
        formulas = load_workbook(out / f["file"])
        cached = load_workbook(out / f["file"], data_only=True)
        for detail in f["trait_details"]["formulas_with_cached_values"]:
            cells = [
                (ws.title, c.coordinate)
                for ws in formulas.worksheets
                for row in ws.iter_rows()
                for c in row
                if c.value == detail["formula"]
            ]
            assert len(cells) == 1
            sheet, ref = cells[0]
            assert cached[sheet][ref].value == f["values"][detail["indicator"]]


def test_formula_without_cached_value_has_none(demo, files):
    out, _ = demo
    f = next(f for f in files if "formula_without_cached_value" in f["defects"])
    cached = load_workbook(out / f["file"], data_only=True)
    formulas = load_workbook(out / f["file"])
    found = [
        (ws.title, c.coordinate)
        for ws in formulas.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert len(found) == 1
    assert cached[found[0][0]][found[0][1]].value is None


def test_every_workbook_is_marked_as_demo(demo, files):
    out, _ = demo
    for f in files:
        if f["file"].endswith(".xls") or UNREADABLE & set(f["defects"]):
            continue
        wb = load_workbook(out / f["file"], read_only=True)
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        assert props["demo_data"] == "true", f["file"]
        assert "演示数据" in wb.properties.keywords.split(",")
        wb.close()


def test_timestamps_follow_the_filing_date(demo, files):
    out, _ = demo
    for f in files:
        filed = datetime.combine(date.fromisoformat(f["filled_on"]), datetime.min.time()).replace(hour=9)
        assert os.stat(out / f["file"]).st_mtime == filed.timestamp()
        if f["file"].endswith(".xlsx") and not UNREADABLE & set(f["defects"]):
            with zipfile.ZipFile(out / f["file"]) as archive:
                assert {i.date_time for i in archive.infolist()} == {filed.timetuple()[:6]}
                core = archive.read("docProps/core.xml").decode()
            assert f"{filed:%Y-%m-%dT%H:%M:%S}Z</dcterms:modified>" in core


def test_wps_export_names_wps_in_app_properties(demo, files):
    out, _ = demo
    wps = [f for f in files if "wps_export" in f["traits"]]
    assert wps
    for f in wps:
        with zipfile.ZipFile(out / f["file"]) as archive:
            assert "<Application>WPS 表格</Application>" in archive.read("docProps/app.xml").decode()


def test_xls_copies_open_and_match_their_twin(demo, files, catalog, registry):
    out, _ = demo
    copies = [f for f in files if f["file"].endswith(".xls")]
    assert len(copies) == 2
    for f in copies:
        twin = next(t for t in files if t["file"] == f["clean_twin"])
        assert twin["values"] == f["values"] and twin["records"] == f["records"] and twin["traits"] == []
        book = xlrd.open_workbook(str(out / f["file"]))
        twin_wb = load_workbook(out / twin["file"], read_only=True)
        assert book.sheet_names() == twin_wb.sheetnames
        _, layout = build_template(catalog, registry, f["return_code"], f["year"], unit_code=f["unit_code"])
        calamine = CalamineWorkbook.from_path(str(out / f["file"]))
        for code, value in f["values"].items():
            ref = layout.value_cells[code]
            row, col = int(ref.cell[1:]) - 1, ord(ref.cell[0]) - ord("A")
            cell = calamine.get_sheet_by_name(ref.sheet).to_python()[row][col]
            assert _cell_as_manifest(cell) == value
            assert _cell_as_manifest(book.sheet_by_name(ref.sheet).cell_value(row, col)) == value


def test_broken_files_are_broken_as_described(demo, files):
    out, _ = demo
    broken = {d: f for f in files for d in f["defects"]}
    assert (out / broken["empty_file"]["file"]).stat().st_size == 0
    for defect in ("corrupt_file", "not_excel"):
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO((out / broken[defect]["file"]).read_bytes()))
    wrong_year = broken["wrong_template_year"]
    wb = load_workbook(out / wrong_year["file"])
    assert wb["本级情况"]["D2"].value == wrong_year["year"] - 1 == 2023
    assert "区县明细" not in load_workbook(out / broken["missing_required_table"]["file"]).sheetnames
    unknown = broken["unknown_unit"]
    assert unknown["unit_code"] is None and unknown["unit_name"] == "北京市总工会"
    assert broken["wrong_return_type"]["unit_code"] == "I01" and broken["wrong_return_type"]["return_code"] == "R1"
    exceeds = broken["of_which_exceeds_total"]["values"]
    assert exceeds["m16_cadres_trained"] == exceeds["m16_cadres"] + 3
    texts = [
        c.value for row in load_workbook(out / broken["non_numeric_count"]["file"])["本级情况"].iter_rows() for c in row
    ]
    assert "待定" in texts and "若干" in texts


# -- the story -------------------------------------------------------------------------------------------------------


def test_dues_collection_story(files, registry):
    for union in registry.industry_unions():
        for year in YEARS:
            if (union.code, year) == ("I07", 2025):
                continue
            values = _current(files, union.code, "R2", year)["values"]
            rate = round(values["m5_dues_collected"] / values["m5_dues_due"], 3)
            expected = {("I04", 2024): 0.882, ("I08", 2024): 0.91}.get((union.code, year))
            if expected is None:
                assert rate >= 0.95
            else:
                assert rate == expected


def test_staffing_and_promotion_story(files, registry):
    for year in YEARS:
        organ = _current(files, "P00", "R3", year)["values"]
        organ_rate = organ["m17_organ_promoted"] / organ["m17_organ_eligible"]
        for union in registry.industry_unions():
            if (union.code, year) == ("I07", 2025):
                continue
            values = _current(files, union.code, "R2", year)["values"]
            staffing = values["m12_staff_in_post"] / values["m12_staff_establishment"]
            assert (0.6 <= staffing <= 0.7) if union.code == "I04" else staffing >= 0.9
            parity = values["m17_cadres_promoted"] / values["m17_cadres_eligible"] / organ_rate
            assert (0.8 <= parity < 1.0) if year <= 2022 else parity >= 1.0


def test_city_story(files):
    def coverage(values: dict, rows: list) -> float:
        return ((values["m3_city_meetings"] >= 1) + sum(r["m3_county_meeting_held"] for r in rows)) / (len(rows) + 1)

    totals = {}
    for year in YEARS:
        hanzhong = _current(files, "C07", "R1", year)
        assert coverage(hanzhong["values"], hanzhong["records"]["R1_COUNTY"]) < 0.8
        for city in ("C01", "C03", "C08"):
            strong = _current(files, city, "R1", year)
            assert coverage(strong["values"], strong["records"]["R1_COUNTY"]) == 1.0
        ankang = _current(files, "C09", "R1", year)["values"]
        totals[year] = ankang["m6_budget_key_work"] + ankang["m6_resident_office_funds"]
    assert totals[2022] > totals[2021] and totals[2023] < totals[2022] and totals[2024] < totals[2023] < totals[2022]
    assert totals[2025] < totals[2024]
    tongchuan = [_current(files, "C02", "R1", y) for y in YEARS]
    assert [round(coverage(f["values"], f["records"]["R1_COUNTY"]), 2) for f in tongchuan] == [0.6, 0.8, 1.0, 1.0, 1.0]
    assert _current(files, "C01", "R1", 2024)["remarks"]["m6_budget_key_work"] == "2024年新增省级示范项目专项经费"
    assert not [f for f in files if (f["unit_code"], f["return_code"], f["year"]) == ("C10", "R1", 2025)]


def test_province_and_inspection_story(files, registry):
    r3 = {y: _current(files, "P00", "R3", y)["values"] for y in YEARS}
    assert {y: v.get("m1_conference_date") for y, v in r3.items() if v.get("m1_conference_date")} == {
        2022: "2022-11-17"
    }
    assert [r3[y]["m2_unions_reported"] for y in YEARS] == [8, 7, 8, 8, 8]
    assert all("m2_meeting_date" in r3[y] for y in YEARS)
    ratios = {y: r3[y]["m4_funds_disbursed"] / r3[y]["m4_funds_approved"] for y in YEARS}
    assert 0.8 <= ratios[2023] <= 0.84 and all(ratios[y] >= 0.9 for y in YEARS if y != 2023)
    r4 = {y: _current(files, "P00", "R4", y)["records"] for y in YEARS}
    assert {y: len(r["R4_SPECIAL"]) for y, r in r4.items()} == {2021: 0, 2022: 20, 2023: 0, 2024: 19, 2025: 0}
    assert "韩城市总工会" not in {row["key"] for row in r4[2024]["R4_SPECIAL"]}
    all_units = {u.name for u in (*registry.cities(), *registry.industry_unions())}
    assert {row["key"] for row in r4[2022]["R4_SPECIAL"]} == all_units
    for rows in (r4[2022]["R4_SPECIAL"], r4[2024]["R4_SPECIAL"]):
        for row in rows:
            mean = sum(v for k, v in row.items() if k.startswith("m9_score")) / 7
            low = row["key"] in ("汉中市总工会", "陕西省国防邮电工会")
            assert mean < 80 if low else 80 <= mean <= 95
    assert all(1 <= len(r4[y]["R4_RANDOM"]) <= 3 for y in YEARS)


def test_filing_story(files):
    late = {(f["unit_code"], f["return_code"], f["year"]) for f in files if f["late"]}
    assert late == {("C02", "R1", 2024), ("I05", "R2", 2023)}
    assert _current(files, "C02", "R1", 2024)["filled_on"] == "2025-02-20"
    versions = sorted(
        (f["version"], f["file"], f["supersedes"])
        for f in files
        if (f["unit_code"], f["return_code"], f["year"]) == ("C03", "R1", 2023)
    )
    assert versions == [
        (1, "2023/演示_2023_R1_宝鸡市总工会_第1版.xlsx", None),
        (2, "2023/演示_2023_R1_宝鸡市总工会_更正版.xlsx", "2023/演示_2023_R1_宝鸡市总工会_第1版.xlsx"),
    ]
    first, second = (next(f for f in files if f["file"] == v[1]) for v in versions)
    assert first["values"]["m6_budget_key_work"] == round(second["values"]["m6_budget_key_work"] * 10, 1)
    on_time = [f for f in files if not f["late"]]
    assert all(date.fromisoformat(f["filled_on"]) <= date(f["year"] + 1, 1, 31) for f in on_time)
    assert all(f["filled_on"].startswith(f"{f['year'] + 1}-01") for f in on_time)


def test_jobs_are_built_in_place_while_another_thread_runs():
    """Forking a process with other threads can leave a lock held forever in the child: such a process builds the
    files itself, with the same results in the same order."""
    import threading

    from pipeline.demo import jobs

    work = [lambda n=n: [n, n * n] for n in range(40)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert jobs._workers(len(work)) == 1
        assert jobs.run_jobs(work) == [v for n in range(40) for v in (n, n * n)]
    finally:
        stop.set()
        other.join()
