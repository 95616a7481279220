"""What a parse worker remembers between files answers as reading each file afresh would.

Returns made from one template share their styles, theme, workbook and relationship parts byte for byte, so a
worker keeps a small part's inflated bytes (by its deflated bytes) and what it read from a part's tree (by the
tree). Each test here reads a file after another that filled those caches with the same bytes, and compares the
outcome with the same file read with every cache empty: a cache that skipped a check or answered for the wrong
file would differ. The text and trim shortcuts of the sheet are compared with their reference too.
"""

import io
import zipfile

import pytest

import pipeline.read as read
from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import RejectedFile
from tests.test_read import NAME, SHEET1, part, patch_central_directory, rewrite, simple_xlsx
from tests.test_read_speed_shortcuts import inline, row, sheet
from tests.test_sheet_bytes import reference, searched

STYLES = "xl/styles.xml"


def outcome(data: bytes) -> object:
    try:
        book = read.read_workbook(data, NAME)
    except RejectedFile as rejected:
        return [(issue.code, issue.message) for issue in rejected.issues]
    return book


def fresh(data: bytes) -> object:
    read._PARSED_PARTS.clear()
    read._DERIVED_ANSWERS.clear()
    read._INFLATED_PARTS.clear()
    return outcome(data)


def after(data: bytes, *earlier: bytes) -> object:
    """The outcome of data read after the earlier files, whose parts are then remembered."""
    fresh(b"")
    for other in earlier:
        outcome(other)
    return outcome(data)


def without(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


# -- inflated parts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, code",
    [(24, 10, "zip_bomb"), (24, 10**6 - 1, "corrupt_file"), (16, 12345, "corrupt_file")],
    ids=["smaller-size", "larger-size", "other-crc"],
)
def test_a_remembered_part_is_checked_against_each_directory(field, value, code):
    good = simple_xlsx()
    lying = patch_central_directory(good, STYLES, field, value)  # the same deflated bytes under another directory
    expected = fresh(lying)
    assert expected[0][0] == code
    assert after(lying, good) == expected
    assert read._INFLATED_PARTS  # the good file's parts were remembered, so the lying one met them


def test_a_dtd_remembered_under_an_unscanned_name_is_refused_under_an_xml_name():
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    binary = rewrite(simple_xlsx(), {}, {"xl/media/blob.bin": dtd})
    assert isinstance(fresh(binary), read.WorkbookData)  # only XML parts are searched for a DTD
    as_xml = rewrite(simple_xlsx(), {}, {"xl/media/blob.xml": dtd})
    expected = fresh(as_xml)
    assert expected[0][0] == "xml_bomb"
    assert after(as_xml, binary) == expected


# -- answers read from remembered trees -------------------------------------------------------------------------------


def test_a_sheet_missing_from_one_file_is_left_out_of_it_alone():
    good = simple_xlsx()
    missing = without(good, SHEET1)
    assert part(missing, "xl/workbook.xml") == part(good, "xl/workbook.xml")
    expected = fresh(missing)
    assert after(missing, good) == expected
    assert after(good, missing) == fresh(good)


def test_a_macro_project_makes_only_its_own_file_xlsm():
    good = simple_xlsx()
    macro = rewrite(good, {}, {"xl/vbaProject.bin": b"\x00" * 64})
    assert (after(macro, good).format, after(good, macro).format) == ("xlsm", "xlsx")


def test_properties_of_one_read_are_not_shared_with_the_next():
    data = simple_xlsx()
    first = after(data)
    first.properties["title"] = "changed by a caller"
    assert outcome(data).properties == fresh(data).properties
    assert outcome(data).properties.get("title") != "changed by a caller"


# -- the sheet's text and rows ----------------------------------------------------------------------------------------


def test_text_kept_with_its_tags_counts_only_the_characters():
    # Tags (with attributes that hold references) are taken out before counting: counted with them, this is 40+.
    cells = (
        b'<c r="A1" t="inlineStr"><is><t xml:space="preserve" a="&amp;&#x4E2D;">a&amp;b</t></is></c>'
        b'<c r="B1" t="str"><v>x\r\ny</v></c><c r="C1" t="inlineStr"><is><t/></is></c>'
    )
    xml = sheet(row(1, cells), row(2, inline("A2", "年".encode())))
    found = searched(xml)
    assert found is not None and found.uncounted_text
    assert found.text_chars_bound >= found.text_chars == reference(xml).text_chars == 7


def test_trim_keeps_rows_without_empty_strings_and_pads_short_ones():
    error = ExcelErrorValue("#N/A")
    rows = [[1, 2.5, "a"], ["", 5, ""], [6, 7, 8, error], ["", "", "", ""]]
    assert read._trim(rows) == ((1, 2.5, "a", None), (None, 5, None, None), (6, 7, 8, error))
