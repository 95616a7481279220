"""calamine reads each package as the reader re-stored it (every part uncompressed, from the bytes the reader has
inflated and checked): the same values as reading the file as it came, without inflating every part twice."""

from __future__ import annotations

import io
import zipfile

import pytest
from adversarial import backslash_zip_entries, macro_sheet_xlsm, small_xlsx

import pipeline.read as read_module
from pipeline.read import read_workbook


def _as_read(data: bytes, name: str) -> tuple:
    workbook = read_workbook(data, name)
    return workbook.sheets, workbook.formulas_without_value, workbook.ignored_sheets, workbook.properties


def _parts(data: bytes) -> dict[str, tuple[int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: (info.compress_type, archive.read(info)) for info in archive.infolist()}


def test_every_demo_return_reads_the_same_from_its_stored_copy(monkeypatch, demo_returns):
    files = sorted(demo_returns.rglob("*.xls*"))
    assert len(files) > 100
    stored_copies = 0
    for path in files:
        data = path.read_bytes()
        try:
            package = read_module._inspect_package(data, path.name)
        except read_module.RejectedFile:
            continue  # the demo's broken files are refused before calamine either way
        assert package.stored is not None
        stored_copies += 1
        original = {name: content for name, (_, content) in _parts(data).items()}
        restored = _parts(package.stored)
        assert {name for name, (kind, _) in restored.items() if kind == zipfile.ZIP_STORED} == original.keys()
        assert {name: content for name, (_, content) in restored.items()} == original
        with_copy = _as_read(data, path.name)
        monkeypatch.setattr(read_module, "_stored_package", lambda *args: None)
        assert _as_read(data, path.name) == with_copy
        monkeypatch.undo()
    assert stored_copies > 100


def test_the_stored_copy_carries_the_repairs_renamed_entries_and_dropped_sheets(monkeypatch):
    for name, data in (backslash_zip_entries(), macro_sheet_xlsm()):
        package = read_module._inspect_package(data, name)
        assert package.stored is not None and package.repaired is not None
        stored, repaired = _parts(package.stored), _parts(package.repaired)
        assert stored.keys() == repaired.keys() and not any("\\" in part for part in stored)
        assert {part: content for part, (_, content) in stored.items()} == {
            part: content for part, (_, content) in repaired.items()
        }
        with_copy = _as_read(data, name)
        monkeypatch.setattr(read_module, "_stored_package", lambda *args: None)
        assert _as_read(data, name) == with_copy  # the same as calamine reading the repaired package
        monkeypatch.undo()
    assert read_workbook(*reversed(backslash_zip_entries())).sheets[0].rows[1][1] == 12


@pytest.mark.parametrize("limit, stored", [(0, False), (10**9, True)])
def test_a_package_too_large_to_keep_is_read_as_it_came(monkeypatch, limit, stored):
    monkeypatch.setattr(read_module, "_KEPT_PARTS_BYTES", limit)
    data = small_xlsx(B2=12, C3="文字")
    package = read_module._inspect_package(data, "小表.xlsx")
    assert (package.stored is not None) is stored
    rows = read_workbook(data, "小表.xlsx").sheets[0].rows
    assert rows[1][1] == 12 and rows[2][2] == "文字"
