"""End to end: every demo return gets the outcome its manifest predicts, and loads the values it carries."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline import settings
from pipeline.catalog import load_catalog
from pipeline.ingest import ingest_bytes, ingest_paths
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import writer

RECEIVED = datetime(2026, 1, 15, 9, 0)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _results_by_file(demo_ingest) -> dict[str, object]:
    return {r.file_name: r for r in demo_ingest[1]}


def test_every_demo_file_gets_the_predicted_outcome(demo_manifest, demo_ingest):
    results = _results_by_file(demo_ingest)
    assert len(results) == len(demo_manifest["files"])
    for entry in demo_manifest["files"]:
        result = results[Path(entry["file"]).name]
        assert result.status == entry["expected_outcome"], entry["file"]
        errors = sorted({i.code for i in result.issues if i.is_error})
        warnings = sorted({i.code for i in result.issues if not i.is_error})
        assert errors == sorted(set(entry["expected_errors"])), entry["file"]
        assert warnings == sorted(set(entry["expected_warnings"])), entry["file"]


def test_every_rejection_names_where_and_how_to_fix(demo_ingest):
    rejected = [r for r in demo_ingest[1] if r.status == "rejected"]
    assert len(rejected) == 10
    for result in rejected:
        for issue in result.issues:
            assert issue.file == result.file_name
            assert issue.message and issue.fix, issue
    cell_level = {i.code: i for r in rejected for i in r.issues if i.cell}
    assert set(cell_level) >= {"not_a_number", "check_failed", "formula_without_value", "unknown_unit", "wrong_year"}


def _manifest_values(entry: dict, registry, catalog) -> dict[tuple[str, str, int], object]:
    expected: dict[tuple[str, str, int], object] = {}
    for code, value in entry["values"].items():
        expected[(code, entry["unit_code"], 0)] = value
    for table_code, rows in entry.get("records", {}).items():
        table = catalog.tables[table_code]
        for position, row in enumerate(rows, start=1):
            if table.level == "county":
                entity = registry.resolve(row["key"], types={"county"}, parent=entry["unit_code"]).unit
            else:
                entity = registry.resolve(row["key"], types=set(table.key.resolves)).unit
            row_no = position if table_code == "R4_RANDOM" else 0
            for code, value in row.items():
                if code not in ("key", "remark") and value is not None:
                    expected[(code, entity.code, row_no)] = value
    return expected


def _loaded_values(con, submission_id: int) -> dict[tuple[str, str, int], object]:
    rows = con.execute(
        "select indicator, entity_code, row_no, value_num, value_text, value_date, value_bool "
        "from raw_values where submission_id = ?",
        [submission_id],
    ).fetchall()
    loaded = {}
    for indicator, entity, row_no, num, text, day, flag in rows:
        value = next(v for v in (num, text, day, flag) if v is not None)
        loaded[(indicator, entity, row_no)] = value.isoformat() if isinstance(value, date) else value
    return loaded


def test_accepted_files_load_exactly_the_manifest_values(demo_manifest, demo_ingest):
    """Messy-but-valid files (text numbers, moved columns, .xls copies …) load the same values as clean ones."""
    catalog, registry = load_catalog(), load_registry()
    results = _results_by_file(demo_ingest)
    con = _connect(demo_ingest[0])
    checked_messy = 0
    for entry in demo_manifest["files"]:
        if entry["expected_outcome"] == "rejected":
            continue
        result = results[Path(entry["file"]).name]
        loaded = _loaded_values(con, result.submission_id)
        expected = _manifest_values(entry, registry, catalog)
        assert loaded.keys() == expected.keys(), entry["file"]
        for key, value in expected.items():
            if isinstance(value, float) or isinstance(loaded[key], float):
                assert loaded[key] == pytest.approx(value), (entry["file"], key)
            else:
                assert loaded[key] == value, (entry["file"], key)
        checked_messy += bool(entry["traits"])
    assert checked_messy >= 20


def test_remarks_travel_with_their_figures(demo_manifest, demo_ingest):
    results = _results_by_file(demo_ingest)
    con = _connect(demo_ingest[0])
    with_remarks = [e for e in demo_manifest["files"] if e["remarks"] and e["expected_outcome"] != "rejected"]
    assert with_remarks
    for entry in with_remarks:
        submission_id = results[Path(entry["file"]).name].submission_id
        for code, text in entry["remarks"].items():
            remark = con.execute(
                "select remark from raw_values where submission_id = ? and indicator = ? and row_no = 0",
                [submission_id, code],
            ).fetchone()[0]
            assert remark == text


def test_values_keep_their_source_cell(demo_ingest):
    con = _connect(demo_ingest[0])
    sheet, cell, raw = con.execute(
        """
        select v.sheet, v.cell, v.raw_text from current_values v
        where v.unit_code = 'I04' and v.year = 2024 and v.indicator = 'm5_dues_due'
        """
    ).fetchone()
    assert sheet == "本级情况"
    assert cell.startswith("D")
    assert raw


def test_resubmission_supersedes_and_history_stays(demo_ingest):
    con = _connect(demo_ingest[0])
    history = con.execute(
        """
        select file_name, is_current, superseded_by, submission_id from submission_history
        where unit_code = 'C03' and year = 2023 and return_code = 'R1' order by received_at
        """
    ).fetchall()
    assert [(name, current) for name, current, _, _ in history] == [
        ("演示_2023_R1_宝鸡市总工会_第1版.xlsx", False),
        ("演示_2023_R1_宝鸡市总工会_更正版.xlsx", True),
    ]
    assert history[0][2] == history[1][3]
    # Both versions' figures remain queryable; only the corrected one is current.
    first, corrected = (
        con.execute(
            "select value_num from raw_values where submission_id = ? and indicator = 'm6_budget_key_work'", [row[3]]
        ).fetchone()[0]
        for row in history
    )
    current = con.execute(
        "select value_num from current_values where unit_code = 'C03' and year = 2023 and indicator = 'm6_budget_key_work'"
    ).fetchone()[0]
    assert first == pytest.approx(corrected * 10, rel=0.01)
    assert current == corrected


def test_reingesting_is_a_no_op(demo_returns, demo_manifest, demo_warehouse_copy, tmp_path):
    before = _fingerprint(demo_warehouse_copy)
    results = {
        r.file_name: r for r in ingest_paths([demo_returns], warehouse=demo_warehouse_copy, raw_dir=tmp_path / "raw")
    }
    for entry in demo_manifest["files"]:
        result = results[Path(entry["file"]).name]
        # A file rejected before is told its errors again; everything else is reported unchanged.
        if entry["expected_outcome"] == "rejected":
            assert result.status == "rejected"
            assert {i.code for i in result.issues if i.is_error} == set(entry["expected_errors"])
        else:
            assert result.status == "unchanged"
    assert _fingerprint(demo_warehouse_copy) == before


def _fingerprint(path: Path) -> tuple:
    con = _connect(path)
    try:
        return (
            con.execute("select count(*) from submissions").fetchone()[0],
            con.execute(
                "select count(*), sum(hash(indicator || entity_code || coalesce(value_num, 0))) from raw_values"
            ).fetchone(),
            con.execute("select list(submission_id order by submission_id) from current_submissions").fetchone()[0],
        )
    finally:
        con.close()


# --- bad input: a clear Chinese message and an unchanged warehouse, one test each ---------------------------


def _valid_r2_bytes(year: int = 2024, **overrides) -> bytes:
    catalog, registry = load_catalog(), load_registry()
    wb, layout = build_template(catalog, registry, "R2", year, unit_code="I01")
    values = {i.code: 1 for i in catalog.indicators_of_table("R2_MAIN")}
    values["m13_has_joint_meeting_system"] = "是"
    values.update(overrides)
    fill_return(
        wb,
        layout,
        header={
            "unit_name": "陕西省教科文卫体工会",
            "submitter": "张敏",
            "phone": "029-87654321",
            "filled_on": date(year + 1, 1, 10),
        },
        values=values,
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


def _xml_bomb() -> bytes:
    """A valid return whose first worksheet carries a billion-laughs DTD (Excel never writes a DTD)."""
    source = zipfile.ZipFile(io.BytesIO(_valid_r2_bytes()))
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                text = data.decode("utf-8")
                root = text.index("<worksheet")
                data = (text[:root] + f"<!DOCTYPE worksheet [{entities}]>" + text[root:]).encode("utf-8")
            target.writestr(item, data)
    return buffer.getvalue()


def _password_protected() -> bytes:
    # An encrypted OOXML file is an OLE2 compound file holding EncryptionInfo and EncryptedPackage streams.
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    return (
        header
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 64
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 4096
    )


def _with_cell(data: bytes, sheet: str, cell: str, value) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _wrong_year() -> bytes:
    return _with_cell(_valid_r2_bytes(2024), "本级情况", "D2", 2023)


def _text_in_count() -> bytes:
    catalog, registry = load_catalog(), load_registry()
    _, layout = build_template(catalog, registry, "R2", 2024, unit_code="I01")
    ref = layout.value_cells["m7_grassroots_unions"]
    return _with_cell(_valid_r2_bytes(), ref.sheet, ref.cell, "若干")


def _unknown_unit() -> bytes:
    catalog, registry = load_catalog(), load_registry()
    _, layout = build_template(catalog, registry, "R2", 2024, unit_code="I01")
    ref = layout.header_cells["unit_name"]
    return _with_cell(_valid_r2_bytes(), ref.sheet, ref.cell, "陕西省航天工会")


def _wrong_type() -> bytes:
    catalog, registry = load_catalog(), load_registry()
    _, layout = build_template(catalog, registry, "R2", 2024, unit_code="I01")
    ref = layout.header_cells["unit_name"]
    return _with_cell(_valid_r2_bytes(), ref.sheet, ref.cell, "西安市总工会")


def _missing_table() -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(_valid_r2_bytes()))
    ws = wb["本级情况"]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value in ("指标名称", "本年数"):
                cell.value = None
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


BAD_INPUTS = {
    "corrupt_file": lambda: _valid_r2_bytes()[:3000],
    "not_excel": lambda: "这不是一个 Excel 文件，只是改了扩展名。".encode() * 20,
    "empty_file": lambda: b"",
    "password_protected": _password_protected,
    "wrong_year": _wrong_year,
    "unknown_unit": _unknown_unit,
    "wrong_return_type": _wrong_type,
    "missing_table": _missing_table,
    "not_a_number": _text_in_count,
    "file_too_large": lambda: b"PK\x03\x04" + b"\0" * (21 * 1024 * 1024),
    "zip_bomb": _zip_bomb,
    "xml_bomb": _xml_bomb,
}


@pytest.mark.parametrize("expected_code", sorted(BAD_INPUTS))
def test_bad_input_is_rejected_in_chinese_and_changes_nothing(expected_code, demo_warehouse_copy, tmp_path):
    data = BAD_INPUTS[expected_code]()
    before = _fingerprint(demo_warehouse_copy)
    with writer(demo_warehouse_copy) as con:
        result = ingest_bytes(con, data, "坏文件_2024_R2.xlsx", received_at=RECEIVED, raw_dir=tmp_path / "raw")
    assert result.status == "rejected"
    codes = {i.code for i in result.issues if i.is_error}
    assert expected_code in codes, [i.format_line() for i in result.issues]
    for issue in result.issues:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in issue.message + issue.fix)
    after = _fingerprint(demo_warehouse_copy)
    assert after[1:] == before[1:]  # no values, no change to what is current
    # The rejection is recorded in the submission log, once: the demo returns already hold an empty file.
    assert after[0] == before[0] + (0 if expected_code == "empty_file" else 1)
    # The raw bytes are archived by content hash even when rejected: nothing submitted is lost.
    if data:
        digest = hashlib.sha256(data).hexdigest()
        assert list((tmp_path / "raw").rglob(f"{digest}*"))


def test_an_accepted_files_message_names_its_unit_as_the_settings_in_force_do(tmp_path):
    target = tmp_path / "wh.duckdb"
    renamed = settings.UnitRename("I01", new_name="陕西省教科文卫体工会（更名后）", year=2026)
    settings.save(renamed, author="t_admin", reason="测试改名", warehouse=target)
    (tmp_path / "r2.xlsx").write_bytes(_valid_r2_bytes())
    [result] = ingest_paths([tmp_path / "r2.xlsx"], warehouse=target, raw_dir=tmp_path / "raw")
    assert result.status in ("accepted", "accepted_with_warnings"), result.issues
    assert "：陕西省教科文卫体工会（更名后） 2024年度《" in result.message
