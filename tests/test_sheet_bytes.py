"""The byte search of a sheet (pipeline/sheet_bytes.py) gives what the expat parse gives, or gives up.

The expat scanner in pipeline/read.py is the reference. Sheets and shared strings from several writers, the demo
returns, hand-made shapes and two thousand seeded mutations of real sheets are fed to both: where the search
answers, its extent, text volume, formulas and errors are the reference's (its extent may only be smaller where
the reference errs large on a running position), and calamine never places a cell outside it.
"""

import io
import random
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from pipeline.issues import RejectedFile
from pipeline.read import MAX_CELLS, _parse_shared_string_lengths, _parse_sheet, _well_formed, read_workbook
from pipeline.sheet_bytes import SheetSummary, search_sheet, shared_string_lengths
from tests.test_read import rewrite

HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><sheetData>'
TAIL = b"</sheetData></worksheet>"
SHARED = [3, 40, 0, 7] + [5] * 200


def reference(xml: bytes, shared: list[int] = SHARED) -> SheetSummary:
    return _parse_sheet(iter([xml]), "f.xlsx", "表1", shared)


def searched(xml: bytes, shared: list[int] = SHARED) -> SheetSummary | None:
    assert _well_formed(xml)
    found = search_sheet(xml)
    return None if found is None else found.summary(shared)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sheets_of(data: bytes) -> list[bytes]:
    return [xml for name, xml in sorted(parts(data).items()) if name.startswith("xl/worksheets/sheet")]


def openpyxl_book() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "本级情况"
    ws["A1"] = "2024年度市总工会报表"
    ws["B3"], ws["C3"], ws["D3"] = 12, 3.5, True
    ws["E3"] = "=SUM(B3:C3)"  # openpyxl saves a formula without a result
    ws["F9"] = "备注：含 & 与 <尖括号>"
    ws["G2"] = CellRichText(TextBlock(InlineFont(b=True), "加粗"), "普通")
    ws.cell(row=40, column=2).style = "Good"  # a styled blank far away: not part of the extent
    other = wb.create_sheet("区县明细")
    for row in range(2, 30):
        other.cell(row=row, column=1, value=f"第{row}县")
        other.cell(row=row, column=3, value=row * 1.5)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsxwriter_book() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("本级情况")
    bold = book.add_format({"bold": True})
    sheet.write_string("A1", "填报单位")
    sheet.write_number("B2", 42)
    sheet.write_formula("C2", "=B2*2", None, 84)
    sheet.write_formula("D2", '="a"&"b"', None, "ab")  # a text result: t="str"
    sheet.write_formula("E2", "=1/0", None, "#DIV/0!")  # an error result: t="e"
    sheet.write_formula("F2", "=B2+1")  # saved with 0 as its value
    sheet.write_boolean("G2", True)
    sheet.write_rich_string("H3", bold, "加粗", "与普通")
    sheet.write_blank("Z50", None, bold)
    sheet.write_string("J7", "  前后有空格  ")
    book.close()
    return out.getvalue()


WRITERS = {"openpyxl": openpyxl_book, "xlsxwriter": xlsxwriter_book}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_sheets_of_each_writer_are_searched_to_the_same_answer(writer):
    for xml in sheets_of(WRITERS[writer]()):
        found = searched(xml)
        assert found is not None, "a writer's plain sheet must not need expat"
        assert found == reference(xml)


def test_the_answers_are_the_values_a_clerk_would_count():
    sheet, counties = sheets_of(openpyxl_book())
    found = searched(sheet, [])  # openpyxl writes text as inline strings
    assert (found.max_row, found.max_col) == (9, 7)  # F9 and G2; the styled blank at B40 is not counted
    assert found.formulas_without_value == ["E3"]
    assert found.text_chars == len("2024年度市总工会报表") + len("备注：含 & 与 <尖括号>") + len("加粗普通")
    assert (searched(counties).max_row, searched(counties).max_col) == (29, 3)
    book = sheets_of(xlsxwriter_book())[0]
    found = searched(book, [len("填报单位"), len("加粗与普通"), len("  前后有空格  ")])
    assert found.error_cells == {(1, 4): "#DIV/0!"}
    assert found.formulas_without_value == []  # every formula carries a value, F2's being 0
    assert found.text_chars == len("填报单位") + len("加粗与普通") + len("  前后有空格  ") + len("ab")
    assert (found.max_row, found.max_col) == (7, 10)


def test_every_demo_return_is_searched_to_the_same_answer(demo_returns: Path):
    searched_sheets = 0
    for path in sorted(demo_returns.rglob("*.xlsx")):
        data = path.read_bytes()
        if not zipfile.is_zipfile(io.BytesIO(data)):
            continue  # the demo's deliberately broken files
        for xml in sheets_of(data):
            found = searched(xml)
            assert found is not None and found == reference(xml), path.name
            searched_sheets += 1
    assert searched_sheets > 300


SHAPES = {
    "value, formula and type in every order": (
        b'<row r="2"><c r="B2" t="s" s="1"><v>1</v></c><c r="C2" s="2" cm="1" t="e"><f>1/0</f><v>#N/A</v></c>'
        b'<c r="D2"><f>A1</f><v></v></c><c r="E2" t="str"><f>"x"</f><v></v></c><c r="F2" t="b"><v>1</v></c></row>'
    ),
    "inline strings, plain, preserved and rich with a phonetic run": (
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>\xe6\xa0\x87\xe9\xa2\x98</t></is></c>'
        b'<c r="B3" t="inlineStr"><is><t xml:space="preserve"> a&amp;b </t></is></c>'
        b'<c r="C3" t="inlineStr"><is><r><rPr><b/><vertAlign val="superscript"/></rPr><t>x</t></r><r><t>&#x4E2D;</t></r>'
        b'<rPh sb="0" eb="1"><t>\xe3\x82\xab</t></rPh></is></c><c r="D3" t="inlineStr"><is><t/></is></c></row>'
    ),
    "spaces between a cell's parts, as a pretty-printing writer leaves them": (
        b'<row r="4">\n  <c r="A4" t="s">\n    <v>0</v>\n  </c>\n  <c r="B4">\n    <f>A4</f>\n    <v>3</v>\n  </c>\n</row>'
    ),
    "a shared-string index out of range, spaced, or too long to be one": (
        b'<row r="5"><c r="A5" t="s"><v>999</v></c><c r="B5" t="s"><v> 1 </v></c>'
        b'<c r="C5" t="s"><v>' + b"1" * 70 + b"</v></c></row>"
    ),
    "an error text with a reference and line ends": (
        b'<row r="6"><c r="A6" t="e"><v>#VALUE!</v></c><c r="B6" t="str"><v>a\r\nb&#13;c</v></c></row>'
    ),
    "empty and styled cells only": b'<row r="1"><c r="A1" s="3"/><c r="B1" s="3"></c></row><row r="99"/>',
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_awkward_but_plain_shapes_are_searched_to_the_same_answer(shape):
    xml = HEAD + SHAPES[shape] + TAIL
    found = searched(xml)
    assert found is not None
    assert found == reference(xml)


GIVES_UP = {
    "a prefixed cell": b'<row r="1"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',
    "a cell without a reference": b'<row r="1"><c><v>1</v></c></row>',
    "a reference after another attribute": b'<row r="1"><c s="1" r="A1"><v>1</v></c></row>',
    "a reference in single quotes": b"<row r='1'><c r='A1'><v>1</v></c></row>",
    "a reference with spaces around =": b'<row r="1"><c r = "A1"><v>1</v></c></row>',
    "a lower-case reference": b'<row r="1"><c r="a1"><v>1</v></c></row>',
    "a value in CDATA": b'<row r="1"><c r="A1"><v><![CDATA[1]]></v></c></row>',
    "a comment": b'<row r="1"><!-- <c r="XFD9"> --><c r="A1"><v>1</v></c></row>',
    "a processing instruction": b'<row r="1"><?pi <c r="A9"><v>1</v></c>?><c r="A1"><v>1</v></c></row>',
    "a prefixed value": b'<row r="1"><c r="A1" xmlns:y="urn:y"><y:v>1</y:v></c></row>',
    "two values in a cell": b'<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>',
    "a type spelt across a line": b'<row r="1"><c r="A1" t=\n"s"><v>1</v></c></row>',
    "a second reference under a prefix": b'<row r="1"><c r="A1" xmlns:y="urn:y" y:r="XFD9"><v>1</v></c></row>',
}


@pytest.mark.parametrize("shape", sorted(GIVES_UP))
def test_shapes_the_search_does_not_read_go_to_expat(shape):
    xml = HEAD + GIVES_UP[shape] + TAIL
    assert _well_formed(xml)
    assert search_sheet(xml) is None


def test_utf16_and_oversized_parts_go_to_expat():
    xml = HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row>' + TAIL
    assert search_sheet(xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")) is None
    padding = b'<row r="2"><c r="B2" s="1"/></row>' * 40_000  # > 1 MiB of styled blanks
    assert search_sheet(HEAD + padding + TAIL) is None


def test_a_far_cell_is_refused_on_either_path():
    """The extent check sees a cell at XFD1048576 whether the sheet is searched or (prefixed) parsed."""
    plain = (
        HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + TAIL
    )
    prefixed = plain.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>").replace(b"<v>", b"<x:v>")
    prefixed = prefixed.replace(b"</v>", b"</x:v>").replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" ')
    assert searched(plain).max_col == 16384 and search_sheet(prefixed) is None
    for xml in (plain, prefixed):
        data = rewrite(openpyxl_book(), {"xl/worksheets/sheet1.xml": xml})
        with pytest.raises(RejectedFile) as refused:
            read_workbook(data, "远处.xlsx")
        assert refused.value.issues[0].code == "file_too_large", xml[:80]
        assert f"{MAX_CELLS // 10000}" in refused.value.issues[0].message


def test_malformed_sheets_are_still_refused_as_damaged():
    data = rewrite(openpyxl_book(), {"xl/worksheets/sheet1.xml": HEAD + b'<row r="1"><c r="A1"><v>1</v></row>' + TAIL})
    with pytest.raises(RejectedFile) as refused:
        read_workbook(data, "坏.xlsx")
    assert refused.value.issues[0].message == "文件已损坏或不完整（工作表“本级情况”的内容格式错误）"


SHARED_STRINGS = {
    "plain": b"<si><t>\xe5\xa1\xab\xe6\x8a\xa5</t></si><si><t>a&amp;b</t></si><si><t/></si>",
    "rich with phonetics": (
        b'<si><r><rPr><b/><family val="2"/></rPr><t>\xe5\x8a\xa0\xe7\xb2\x97</t></r><r><t xml:space="preserve"> x </t></r>'
        b'<rPh sb="0" eb="1"><t>\xe3\x82\xab</t></rPh><phoneticPr fontId="1"/></si><si><t>&#x4E2D;</t></si>'
    ),
    "spaced": b"<si>\n  <t>ab</t>\n</si>\n<si>\n  <r>\n    <t>c</t>\n  </r>\n</si>",
}


@pytest.mark.parametrize("shape", sorted(SHARED_STRINGS))
def test_shared_string_lengths_match_expat(shape):
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + SHARED_STRINGS[shape]
        + b"</sst>"
    )
    assert _well_formed(xml)
    lengths = shared_string_lengths(xml)
    assert lengths is not None and lengths == _parse_shared_string_lengths(iter([xml]), "f.xlsx", "sst")


def test_shared_strings_of_a_writer_match_expat():
    xml = parts(xlsxwriter_book())["xl/sharedStrings.xml"]
    lengths = shared_string_lengths(xml)
    assert lengths == _parse_shared_string_lengths(iter([xml]), "f.xlsx", "sst") == [4, 5, 9]
    prefixed = b'<x:sst xmlns:x="urn:x"><x:si><x:t>ab</x:t></x:si></x:sst>'
    assert shared_string_lengths(prefixed) is None


def test_seeded_mutations_never_hide_a_cell_from_the_extent(demo_returns: Path):
    """Insert and delete bytes of real demo sheets, two thousand times. Wherever the search answers, the
    reference agrees (extent at most its own) and calamine places no cell outside the searched extent."""
    sources = [p.read_bytes() for p in sorted(demo_returns.rglob("*.xlsx"))[:8]]
    sources = [data for data in sources if zipfile.is_zipfile(io.BytesIO(data))]
    tokens = [b'<c r="XFD1048576"><v>1</v></c>', b'<c r="AB900"><v>1</v></c>', b"x:", b"</c>", b"</row>", b"<",
              b">", b'"', b' r="B2"', b"<v>", b"</v>", b"<f>A1</f>", b'<c r="C3">', b"<is><t>x</t></is>", b' t="e"',
              b' t="s"', b"<c>", b"<v/>", b"&amp;", b"\n"]  # fmt: skip
    rng = random.Random(20261202)
    answered = checked_by_calamine = 0
    for _ in range(2000):
        data = rng.choice(sources)
        names = [n for n in parts(data) if n.startswith("xl/worksheets/sheet")]
        name = rng.choice(names)
        xml = bytearray(parts(data)[name])
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(xml))
            if rng.random() < 0.6:
                xml[at:at] = rng.choice(tokens)
            else:
                del xml[at : at + rng.randint(1, 12)]
        xml = bytes(xml)
        if not _well_formed(xml):
            continue
        found = searched(xml)
        if found is None:
            continue
        answered += 1
        expected = reference(xml)
        assert (found.text_chars, found.formulas_without_value, found.error_cells) == (
            expected.text_chars,
            expected.formulas_without_value,
            expected.error_cells,
        )
        assert found.max_row <= expected.max_row and found.max_col <= expected.max_col
        index = sorted(names).index(name)
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(rewrite(data, {name: xml}))).get_sheet_by_index(index)
        except Exception:  # noqa: BLE001 - calamine refusing the mutated sheet is fine; placing a cell outside is not
            continue
        checked_by_calamine += 1
        if sheet.end is not None:
            assert sheet.end[0] + 1 <= found.max_row and sheet.end[1] + 1 <= found.max_col
    assert answered >= 100 and checked_by_calamine >= 100  # the mutations did reach both checks (151 and 146)
