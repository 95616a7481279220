"""The read stage's shortcuts decide as the long way round would, and its cells cross the worker's pipe as they were.

The byte search looks for markup it does not read from that markup's rare byte (!, ?, :) rather than at every <;
the DTD check looks at each "!" rather than searching six markers; the text limit is first compared with the text's
bytes and the characters are counted only when the bytes are over it. Each test here feeds a case where a shortcut
that cut a corner would answer otherwise than the reference (the expat parse, the full count).
"""

import datetime
import json

import pytest

import pipeline.read as read
import pipeline.sheet_bytes as sheet_bytes
from pipeline.cell_values import ExcelErrorValue
from pipeline.read import SheetData, WorkbookData
from pipeline.sandbox_worker import decode_workbook, encode_workbook
from pipeline.sheet_bytes import search_sheet
from tests.test_read import NAME, SHEET1, error, part, rejection, rewrite, simple_xlsx
from tests.test_sheet_bytes import HEAD, TAIL, reference, searched

FAR_CELL = b'<c r="XFD1048576"><v>1</v></c>'


def sheet(*rows: bytes) -> bytes:
    return HEAD + b"".join(rows) + TAIL


def row(number: int, *cells: bytes) -> bytes:
    return b'<row r="%d">' % number + b"".join(cells) + b"</row>"


def inline(ref: str, text: bytes) -> bytes:
    return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref.encode(), text)


# -- markup the search does not read ----------------------------------------------------------------------------------


def test_a_prefix_of_any_characters_sends_the_sheet_to_expat():
    # A prefix may be any XML name, a Chinese one too, and calamine reads such a cell where its reference says.
    xml = sheet(
        b'<row r="1" xmlns:\xe5\x89\x8d="urn:x"><\xe5\x89\x8d:c r="XFD1"><\xe5\x89\x8d:v>1</\xe5\x89\x8d:v></\xe5\x89\x8d:c></row>'
    )
    assert reference(xml).max_col == 16384
    assert search_sheet(xml) is None


@pytest.mark.parametrize(
    "row_attributes, text, hidden",
    [
        (b' x14ac:dyDescent="0.25"', b"1", b'<x:c r="XFD9" xmlns:x="urn:x"><x:v>1</x:v></x:c>'),  # Excel's colon a row
        (b"", b"see Sheet1!A1", b'<!-- <c r="XFD9"><v>1</v></c> -->'),
        (b"", b"why?", b'<?pi <c r="XFD9"><v>1</v></c>?>'),
    ],
    ids=["colon", "exclamation", "question"],
)
def test_markup_after_many_harmless_rare_bytes_is_still_found(row_attributes, text, hidden):
    # Past a few hundred occurrences of its rare byte a part is searched by pattern: the markup at the end is found.
    rows = [b'<row r="%d"%s>' % (n, row_attributes) + inline(f"A{n}", text) + b"</row>" for n in range(1, 400)]
    assert searched(sheet(*rows)) == reference(sheet(*rows))  # the noise alone is searched, to the same answer
    assert searched(sheet(*rows, row(400, hidden))) is None


def test_a_far_cell_under_a_chinese_prefix_is_refused_before_calamine_allocates():
    cell = '<前:c r="ZZ3000"><前:v>7</前:v></前:c>'
    xml = sheet(f'<row r="3000" xmlns:前="urn:x">{cell}</row>'.encode())
    refused = rejection(rewrite(simple_xlsx(), {SHEET1: xml}))
    assert (refused.code, refused.message.startswith("工作表“本级情况”的数据区域达到 A1:ZZ3000")) == (
        "file_too_large",
        True,
    )


def test_a_cell_within_a_cell_sends_the_sheet_to_expat():
    xml = sheet(row(1, b'<c r="A1"><f>1</f>' + FAR_CELL + b"</c>"))
    assert reference(xml).max_col == 16384
    assert search_sheet(xml) is None


def test_a_dtd_after_many_exclamation_marks_is_refused():
    # Past a few dozen "!" the six marker searches decide: a DOCTYPE after them is found, in UTF-8 and UTF-16.
    body = sheet(row(1, inline("A1", b"1"))).decode().split("?>", 1)[1]
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        xml = ("<?note " + "!" * 500 + "?><!DOCTYPE worksheet>" + body).encode(encoding)
        assert rejection(rewrite(simple_xlsx(), {SHEET1: xml})) == error(
            "xml_bomb",
            f"文件内部的“{SHEET1}”含有文档类型定义（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这种内容，疑似恶意文件，已拒绝读取",
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
        )


def test_exclamation_marks_alone_are_no_dtd():
    data = rewrite(simple_xlsx(), {SHEET1: sheet(row(1, inline("A1", b"!" * 500)))})
    assert read.read_workbook(data, NAME).sheets[0].rows == (("!" * 500,),)


# -- the text limit ---------------------------------------------------------------------------------------------------


def text_book(text: bytes) -> bytes:
    return rewrite(simple_xlsx(), {SHEET1: sheet(row(1, inline("A1", text), inline("B1", text)))})


@pytest.mark.parametrize(
    "text, characters",
    [
        (b"&#24180;" * 30, 60),  # openpyxl: 8 bytes a character
        ("年".encode() * 30, 60),  # Excel and WPS: 3 bytes a character
        (b"a\r\nb&amp;" * 10, 80),  # a line end and an entity: one character each
    ],
    ids=["references", "utf-8", "line-ends"],
)
def test_the_text_limit_is_decided_on_characters_not_bytes(monkeypatch, text, characters):
    data = text_book(text)
    assert len(text) * 2 > characters  # the byte bound alone would refuse at the limit
    monkeypatch.setattr(read, "MAX_TEXT_CHARS", characters)
    assert read.read_workbook(data, NAME).sheets[0].rows[0][0] is not None
    monkeypatch.setattr(read, "MAX_TEXT_CHARS", characters - 1)
    assert rejection(data).code == "file_too_large"


def test_the_refusal_names_the_characters(monkeypatch):
    text = b"&#24180;" * 20_000  # 160 KB of bytes for 20,000 characters, twice
    monkeypatch.setattr(read, "MAX_TEXT_CHARS", 30_000)
    assert rejection(text_book(text)).message.startswith("文件中单元格文字共约 4 万字（工作表“本级情况”最多）")


def test_a_sheet_of_much_text_is_counted_at_once():
    text = b"&#24180;" * (sheet_bytes._UNCOUNTED_TEXT_KEPT // 8 + 1)
    xml = sheet(row(1, inline("A1", text)))
    found = searched(xml)
    assert found.uncounted_text == b""
    assert found.counted_chars == len(text) // 8 == reference(xml).text_chars


def test_uncounted_text_is_bounded_by_its_bytes_and_counted_as_expat_counts():
    xml = sheet(row(1, inline("A1", b"&#24180;\r\n&lt;"), inline("B1", b"\r"), inline("C1", "年".encode())))
    found = searched(xml)
    assert found.uncounted_text  # kept, not counted
    assert found.text_chars_bound >= found.text_chars == reference(xml).text_chars == 5
    assert found.uncounted_text == b""  # counted once, then let go


def test_openpyxl_writes_text_as_references():
    # The fixtures above stand for openpyxl's returns only while it spells Chinese as character references.
    assert b"&#24066;" in part(simple_xlsx(), SHEET1)


# -- the codec --------------------------------------------------------------------------------------------------------


def typed(rows: tuple[tuple[object, ...], ...]) -> list[list[tuple[type, object]]]:
    return [[(type(v), v) for v in row] for row in rows]  # 0, False and 0.0 are equal; their types are not


def test_empty_strings_trim_to_none_and_nothing_else_does():
    rows = read._trim([["", 0, False, 0.0, datetime.date(2024, 5, 1), "", ""], ["", "", "", "", "", "", ""]])
    assert typed(rows) == typed(((None, 0, False, 0.0, datetime.date(2024, 5, 1)),))


def test_sheets_cross_the_pipe_with_every_cell_typed_as_it_was():
    plain = ((None, 0, False, 0.0, "", "文字"), (1, True, 2.5, None, None, None))
    dated = ((None, 0, False, datetime.date(2024, 5, 1)), (ExcelErrorValue("#N/A"), 0.0, "", None))
    workbook = WorkbookData(
        "a.xlsx", "0" * 64, 10, "xlsx", (SheetData("甲", True, plain), SheetData("乙", True, dated)), {}, ()
    )
    decoded = decode_workbook(json.loads(json.dumps(encode_workbook(workbook), ensure_ascii=False)))
    assert decoded == workbook
    assert [typed(sheet.rows) for sheet in decoded.sheets] == [typed(plain), typed(dated)]


def test_a_malformed_reply_still_fails_loudly():
    reply = encode_workbook(WorkbookData("a.xlsx", "0" * 64, 10, "xlsx", (SheetData("甲", True, ((1, "x"),)),), {}, ()))
    reply = json.loads(json.dumps(reply))
    reply["sheets"][0]["rows"][0][1] = {"not": "a cell"}
    with pytest.raises((ValueError, TypeError, KeyError)):
        decode_workbook(reply)
