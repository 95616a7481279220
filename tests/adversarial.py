"""A corpus of hostile and awkward files, built in code, each of a kind seen in public test suites or crafted by
an attacker. Every builder is deterministic; each returns (file name, bytes).

The .xls builders start from a small workbook written by xlwt and patch the OLE2 container (see _Ole2) so the
damage is exactly the one named: a looping directory chain, a truncated record, an upper-case stream name.
"""

from __future__ import annotations

import io
import struct
import zipfile

import xlwt
from openpyxl import Workbook

# -- building blocks ------------------------------------------------------------------------------------------------


def small_xls() -> bytes:
    """An .xls of one sheet "S1" with "hello" in A1 and 12.5 in A2 (xlwt output is byte-for-byte repeatable)."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("S1")
    sheet.write(0, 0, "hello")
    sheet.write(1, 0, 12.5)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def small_xlsx(**cells: object) -> bytes:
    wb = Workbook()
    wb.active.title = "本级情况"
    wb.active["A1"] = "市总工会年度报表"
    for ref, value in cells.items():
        wb.active[ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite_zip(data: bytes, changes: dict[str, bytes] | None = None, *, rename=None) -> bytes:
    """The same package with some parts replaced (name -> bytes; None removes) and names mapped by rename."""
    changes = changes or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = changes.get(info.filename, src.read(info.filename))
            if content is not None:
                dst.writestr(rename(info.filename) if rename else info.filename, content)
        for name, content in changes.items():
            if name not in src.namelist() and content is not None:
                dst.writestr(name, content)
    return out.getvalue()


def with_sheet_rows(data: bytes, rows_xml: str, *, replace: bool = False) -> bytes:
    """The package with <row> elements appended to (or, with replace, put instead of) the first sheet's rows."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    body = rows_xml if replace else sheet[start:end] + rows_xml
    return rewrite_zip(data, {"xl/worksheets/sheet1.xml": (sheet[:start] + body + sheet[end:]).encode()})


class _Ole2:
    """Just enough of the OLE2 compound-file layout to damage a file on purpose."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.sector_size = 1 << struct.unpack_from("<H", data, 30)[0]
        fat_sector_count = struct.unpack_from("<I", data, 44)[0]
        self.fat_sectors = struct.unpack_from("<109I", data, 76)[:fat_sector_count]

    def _fat_offset(self, index: int) -> int:
        per_sector = self.sector_size // 4
        return 512 + self.fat_sectors[index // per_sector] * self.sector_size + (index % per_sector) * 4

    def set_next_sector(self, sector: int, following: int) -> None:
        struct.pack_into("<I", self.data, self._fat_offset(sector), following)

    @property
    def directory_start(self) -> int:
        return struct.unpack_from("<I", self.data, 48)[0]

    def directory_entry_offset(self, index: int) -> int:
        return 512 + self.directory_start * self.sector_size + index * 128


# -- the corpus -----------------------------------------------------------------------------------------------------


def looping_ole_chain() -> tuple[str, bytes]:
    """The directory's sector chain points back at itself: python-calamine follows it and allocates without bound."""
    ole = _Ole2(small_xls())
    ole.set_next_sector(ole.directory_start, ole.directory_start)
    return "循环扇区链.xls", bytes(ole.data)


def panicking_xls() -> tuple[str, bytes]:
    """One byte of a record length changed: python-calamine panics (PanicException, a BaseException)."""
    data = bytearray(small_xls())
    data[1424] = 0x80
    return "记录损坏.xls", bytes(data)


def truncated_xls() -> tuple[str, bytes]:
    return "被截断.xls", small_xls()[:3000]


def xlrd_refuses_calamine_reads() -> tuple[str, bytes]:
    """An unused directory entry with an odd name length: xlrd cannot decode it, Excel and calamine do not care."""
    ole = _Ole2(small_xls())
    struct.pack_into("<H", ole.data, ole.directory_entry_offset(2) + 64, 33)
    return "目录项异常.xls", bytes(ole.data)


def upper_case_stream_names() -> tuple[str, bytes]:
    """The workbook stream named WORKBOOK, as some exporters write it (Office opens it)."""
    data = small_xls().replace("Workbook".encode("utf-16-le"), "WORKBOOK".encode("utf-16-le"))
    return "大写流名.xls", data


def biff4_worksheet() -> tuple[str, bytes]:
    """An Excel 4.0 worksheet: bare BIFF4 records, no OLE2 container (BOF 0x0409, a NUMBER, EOF)."""
    bof = struct.pack("<HHHHH", 0x0409, 6, 0x0000, 0x0010, 0x0000)
    number = struct.pack("<HHHHH", 0x0203, 14, 0, 0, 0) + struct.pack("<d", 12.5)
    eof = struct.pack("<HH", 0x000A, 0)
    return "Excel4.xls", bof + number + eof


def backslash_zip_entries() -> tuple[str, bytes]:
    """Every zip entry named with backslashes (xl\\workbook.xml), as some Chinese exporting systems write them."""
    data = small_xlsx(B2=12)
    return "反斜杠路径.xlsx", rewrite_zip(data, rename=lambda name: name.replace("/", "\\"))


_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MACRO_SHEET_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData>'
    b'<row r="1"><c r="A1"><f>HALT()</f><v>1</v></c></row></sheetData></xm:macrosheet>'
)


def macro_sheet_xlsm() -> tuple[str, bytes]:
    """An .xlsm whose second sheet is an Excel 4.0 macro sheet (xl/macrosheets/sheet1.xml)."""
    data = small_xlsx(B2=12)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    rel_type = "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdMacro" Type="{rel_type}" Target="macrosheets/sheet1.xml"/></Relationships>',
    )
    workbook = workbook.replace(
        "</sheets>", f'<sheet xmlns:r="{_R_NS}" name="宏表" sheetId="9" r:id="rIdMacro"/></sheets>'
    )
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",  # an .xlsm's workbook content type
    ).replace(
        "</Types>",
        '<Override PartName="/xl/macrosheets/sheet1.xml" '
        'ContentType="application/vnd.ms-excel.macrosheet+xml"/></Types>',
    )
    changed = rewrite_zip(
        data,
        {
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "[Content_Types].xml": types.encode(),
            "xl/macrosheets/sheet1.xml": _MACRO_SHEET_XML,
        },
    )
    return "宏表.xlsm", changed


def empty_relationship_id() -> tuple[str, bytes]:
    """A second <sheet> whose r:id is empty: a dangling entry some tools leave behind; Excel skips it."""
    data = small_xlsx(B2=12)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    workbook = workbook.replace("</sheets>", f'<sheet xmlns:r="{_R_NS}" name="空引用" sheetId="7" r:id=""/></sheets>')
    return "空关系编号.xlsx", rewrite_zip(data, {"xl/workbook.xml": workbook.encode()})


def excel_error_values_xlsx() -> tuple[str, bytes]:
    """Cells holding #DIV/0! (B3) and #N/A (C4) as formula results, the way Excel saves them."""
    rows = (
        '<row r="3"><c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        '<row r="4"><c r="C4" t="e"><f>NA()</f><v>#N/A</v></c></row>'
    )
    return "错误值.xlsx", with_sheet_rows(small_xlsx(B2=12), rows)


def excel_error_values_xls() -> tuple[str, bytes]:
    """An .xls with the error value #DIV/0! in B3 (a BOOLERR record, as Excel saves an error constant)."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("本级情况")
    sheet.write(0, 0, "市总工会年度报表")
    sheet.write(1, 1, 12)
    sheet.row(2).set_cell_error(1, "#DIV/0!")
    out = io.BytesIO()
    book.save(out)
    return "错误值.xls", out.getvalue()


def shared_string_bomb(repeats: int = 6000, length: int = 100_000) -> tuple[str, bytes]:
    """One 100 000-character shared string referenced by thousands of cells: 110 KB in, gigabytes out."""
    data = small_xlsx(B2=12)
    text = "工" * length
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    ).encode()
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, repeats + 1))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    sheet = sheet[:start] + cells + sheet[end:]
    changes = {"xl/worksheets/sheet1.xml": sheet.encode(), "xl/sharedStrings.xml": sst}
    if "sharedStrings" not in rels:
        changes["xl/_rels/workbook.xml.rels"] = rels.replace(
            "</Relationships>",
            '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ).encode()
        changes["[Content_Types].xml"] = types.replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ).encode()
    return "共享字符串炸弹.xlsx", rewrite_zip(data, changes)


def compression_bomb(inflated_mib: int = 150) -> tuple[str, bytes]:
    """A sheet part that inflates about a thousand times (zeros), inside an otherwise valid package."""
    data = small_xlsx(B2=12)
    padding = b" " * (inflated_mib * 1024 * 1024)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
    return "压缩炸弹.xlsx", rewrite_zip(data, {"xl/worksheets/sheet1.xml": sheet})


def control_characters_xlsx() -> tuple[str, bytes]:
    """Text cells with a NUL (B2) and a bell character (B4), written the way Excel escapes them (_x0000_), and a
    formula-looking text (B3)."""
    rows = (
        '<row r="2"><c r="B2" t="inlineStr"><is><t>张_x0000_三</t></is></c></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><t>=HYPERLINK("http://example.invalid","点击")</t></is></c></row>'
        '<row r="4"><c r="B4" t="inlineStr"><is><t>李_x0007_四</t></is></c></row>'
    )
    return "控制字符.xlsx", with_sheet_rows(small_xlsx(), rows)


def control_characters_xls() -> tuple[str, bytes]:
    book = xlwt.Workbook()
    sheet = book.add_sheet("本级情况")
    sheet.write(0, 0, "市总工会年度报表")
    sheet.write(1, 1, "张\x00三")
    out = io.BytesIO()
    book.save(out)
    return "控制字符.xls", out.getvalue()
