"""What a parse worker remembers between files answers as reading each file afresh would.

Returns made from one template share their styles, theme, workbook and relationship parts byte for byte, so a
worker keeps a small part's inflated bytes (by its deflated bytes) and what it read from a part's tree (by the
tree); they share their template's own sheets (its 填表说明) too, so it keeps what checking and searching a sheet's
bytes found (by those bytes). Each test here reads a file after another that filled those caches with the same
bytes, and compares the outcome with the same file read with every cache empty: a cache that skipped a check or
answered for the wrong file would differ. The text and trim shortcuts of the sheet are compared with their
reference too.
"""

import io
import zipfile

import pytest
import xlsxwriter

import pipeline.read as read
from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import RejectedFile
from tests.test_read import NAME, SHEET1, part, patch_central_directory, rewrite, simple_xlsx
from tests.test_read_speed_shortcuts import inline, row, sheet
from tests.test_sheet_bytes import SHARED, reference, searched

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
    forget_searched_sheets()
    return outcome(data)


def forget_searched_sheets() -> None:
    read._SEARCHED_SHEETS.clear()
    read._searched_sheets_bytes = 0


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
    [(24, 10, "corrupt_file"), (24, 10**6 - 1, "corrupt_file"), (16, 12345, "corrupt_file")],  # (a few KB over: damaged)
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


# -- searched sheets --------------------------------------------------------------------------------------------------


def shared_strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    ).encode()


def xlsxwriter_book() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    book.add_worksheet("本级情况").write("A1", "市总工会年度报表")
    book.close()
    return out.getvalue()


def scanned(xml: bytes, shared: list[int]) -> read.SheetSummary:
    return read._scan_sheet(iter([xml]), NAME, "表1", shared)


def test_a_sheet_met_again_counts_the_shared_strings_of_its_own_workbook(monkeypatch):
    # The same sheet bytes in two workbooks: what its cells' text comes to is each workbook's own.
    monkeypatch.setattr(read, "MAX_TEXT_CHARS", 30)
    short = xlsxwriter_book()  # its sheet's A1 is shared string 0
    long = rewrite(short, {"xl/sharedStrings.xml": shared_strings("长" * 40)})
    assert b't="s"' in part(short, SHEET1)
    assert part(long, SHEET1) == part(short, SHEET1)
    expected = fresh(long)
    assert expected == [("file_too_large", expected[0][1])] and "约 0 万字" in expected[0][1]
    assert isinstance(fresh(short), read.WorkbookData)
    assert part(short, SHEET1) in read._SEARCHED_SHEETS  # kept: the long one meets it
    assert after(long, short) == expected
    assert isinstance(after(short, long), read.WorkbookData)


def test_a_kept_search_gives_each_workbook_a_summary_of_its_own():
    forget_searched_sheets()
    cells = row(1, inline("A1", b"abc"), b'<c r="B1" t="s"><v>1</v></c>', b'<c r="C1" t="s"><v>999</v></c>')
    xml = sheet(cells, row(2, b'<c r="A2" t="e"><v>#DIV/0!</v></c>', b'<c r="B2"><f>A1</f></c>'))
    first = scanned(xml, SHARED)
    first.count_text()
    first.formulas_without_value.append("Z9")
    first.error_cells.clear()
    again = scanned(xml, [1, 2])
    assert xml in read._SEARCHED_SHEETS
    assert (again.text_chars, again.formulas_without_value, again.error_cells) == (3 + 2, ["B2"], {(1, 0): "#DIV/0!"})
    assert again == reference(xml, [1, 2])
    assert scanned(xml, SHARED) == reference(xml, SHARED) and reference(xml, SHARED).text_chars == 3 + 40


def test_a_kept_sheet_is_neither_checked_nor_searched_again(monkeypatch):
    forget_searched_sheets()
    calls = []
    for name in ("_well_formed", "search_sheet"):
        original = getattr(read, name)
        monkeypatch.setattr(read, name, lambda xml, original=original, name=name: calls.append(name) or original(xml))
    xml = sheet(row(1, inline("A1", b"x")))
    scanned(xml, [])
    assert calls == ["_well_formed", "search_sheet"]
    assert scanned(bytes(bytearray(xml)), []) == reference(xml, [])  # equal bytes, another object
    assert calls == ["_well_formed", "search_sheet"]


def test_bytes_that_are_not_well_formed_are_refused_each_time_and_never_kept():
    forget_searched_sheets()
    broken = sheet(row(1, inline("A1", b"x"))).replace(b"</sheetData>", b"")
    for _ in range(2):
        with pytest.raises(RejectedFile) as caught:
            scanned(broken, [])
        assert caught.value.issues[0].code == "corrupt_file"
    odd = sheet(row(1, b'<c r="A1"><!-- a comment --><v>1</v></c>'))  # well-formed, not in the plain shape
    assert scanned(odd, []) == reference(odd, [])
    assert read._SEARCHED_SHEETS == {} and read._searched_sheets_bytes == 0


def test_kept_searches_stay_within_their_budget_and_the_least_recently_met_go_first(monkeypatch):
    forget_searched_sheets()
    sheets = [sheet(row(1, inline("A1", b"%d" % n * 500))) for n in range(5)]
    cost = len(sheets[0]) + read.search_sheet(sheets[0]).kept_bytes
    monkeypatch.setattr(read, "_SEARCHED_SHEETS_BYTES", 3 * cost)
    for xml in sheets[:3]:
        scanned(xml, [])
    scanned(sheets[0], [])  # met again: now the most recent
    scanned(sheets[3], [])
    assert list(read._SEARCHED_SHEETS) == [sheets[2], sheets[0], sheets[3]]
    assert read._searched_sheets_bytes == sum(
        len(x) + read._SEARCHED_SHEETS[x].kept_bytes for x in read._SEARCHED_SHEETS
    )
    assert read._searched_sheets_bytes <= 3 * cost
    monkeypatch.setattr(read, "_SEARCHED_SHEET_MAX_BYTES", len(sheets[4]) - 1)
    assert scanned(sheets[4], []) == reference(sheets[4], [])  # too large to keep: searched, not kept
    assert sheets[4] not in read._SEARCHED_SHEETS
