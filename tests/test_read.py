import datetime
import hashlib
import io
import random
import re
import struct
import zipfile

import pytest
import xlwt
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.packaging.custom import StringProperty

from pipeline.issues import Issue, RejectedFile
from pipeline.read import MAX_CELLS, MAX_FILE_BYTES, SheetData, read_workbook

NAME = "西安市总工会_2024.xlsx"
CORRUPT_FIX = "请在 Excel/WPS 中打开确认后重新保存并上传"
BOMB_FIX = "请在 Excel/WPS 中打开确认后重新保存；若确为正常报表，请删除无关的工作表、图片后重新保存"
NOT_EXCEL_FIX = "请上传用本年度模板填写的 .xlsx 或 .xls 文件"
SHEET1 = "xl/worksheets/sheet1.xml"


# -- fixtures built in code -------------------------------------------------------------------------------------------


def xlsx(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def simple_xlsx() -> bytes:
    wb = Workbook()
    wb.active.title = "本级情况"
    wb.active["A1"] = "市总工会年度报表"
    wb.active["B2"] = 12
    return xlsx(wb)


def rewrite(data: bytes, changes: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """The same package with some parts replaced and others added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, changes.get(info.filename, src.read(info.filename)))
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def patch_central_directory(data: bytes, name: str, offset: int, value: int) -> bytes:
    """Overwrite one 4-byte field of a member's central directory entry (16 = CRC, 24 = size)."""
    position = 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        name_len = struct.unpack("<H", data[position + 28 : position + 30])[0]
        if data[position + 46 : position + 46 + name_len] == name.encode():
            at = position + offset
            return data[:at] + struct.pack("<I", value) + data[at + 4 :]
        position += 4


def rejection(data: bytes, file_name: str = NAME) -> Issue:
    with pytest.raises(RejectedFile) as caught:
        read_workbook(data, file_name)
    assert len(caught.value.issues) == 1
    return caught.value.issues[0]


def error(code: str, message: str, fix: str) -> Issue:
    return Issue("error", code, message, fix, NAME)


# -- reading values -------------------------------------------------------------------------------------------------------


def test_reads_typed_values_from_a1_trimming_trailing_empties():
    wb = Workbook()
    ws = wb.active
    ws.title = "本级情况"
    ws["B2"] = 12
    ws["C2"] = 2.5
    ws["B3"] = "西安市总工会"
    ws["C3"] = True
    ws["B4"] = datetime.date(2024, 5, 12)
    ws["C4"] = datetime.datetime(2024, 5, 12, 9, 30)
    ws["D4"] = datetime.time(14, 0)
    ws["G9"].value = None  # touched but empty: not part of the used range
    data = xlsx(wb)
    workbook = read_workbook(data, NAME)
    sheet = workbook.sheets[0]
    assert sheet.rows == (
        (None, None, None, None),
        (None, 12.0, 2.5, None),
        (None, "西安市总工会", True, None),
        (None, datetime.date(2024, 5, 12), datetime.datetime(2024, 5, 12, 9, 30), datetime.time(14, 0)),
    )
    assert (sheet.cell(2, 2), sheet.cell(4, 4), sheet.cell(5, 1), sheet.cell(1, 9), sheet.cell(0, 1)) == (
        12.0,
        datetime.time(14, 0),
        None,
        None,
        None,
    )
    assert (workbook.format, workbook.size_bytes, workbook.file_name) == ("xlsx", len(data), NAME)
    assert workbook.formulas_without_value == ()


def test_sheet_visibility_and_merged_ranges():
    wb = Workbook()
    wb.active.title = "本级情况"
    wb.active["A1"] = "标题"
    wb.active.merge_cells("A1:E1")
    hidden = wb.create_sheet("本级情况 (2)")
    hidden["A1"] = 1
    hidden.sheet_state = "hidden"
    very = wb.create_sheet("代码表")
    very.sheet_state = "veryHidden"
    wb.create_sheet("空表")
    sheets = read_workbook(xlsx(wb), NAME).sheets
    assert [(s.name, s.visible, s.merged) for s in sheets] == [
        ("本级情况", True, ("A1:E1",)),
        ("本级情况 (2)", False, ()),
        ("代码表", False, ()),
        ("空表", True, ()),
    ]
    assert sheets[1].rows == ((1.0,),)
    assert sheets[3].rows == ()


def test_properties_custom_core_and_app():
    wb = Workbook()
    wb.properties.title = "2024年度市（区）总工会年度报表"
    wb.properties.keywords = "十八条落实看板,R1"
    wb.custom_doc_props.append(StringProperty(name="return_code", value="R1"))
    wb.custom_doc_props.append(StringProperty(name="reporting_year", value="2024"))
    data = xlsx(wb)
    app = part(data, "docProps/app.xml")
    start, end = app.index(b"<Application>"), app.index(b"</Application>")
    data = rewrite(data, {"docProps/app.xml": app[:start] + "<Application>WPS 表格".encode() + app[end:]})
    assert read_workbook(data, NAME).properties == {
        "title": "2024年度市（区）总工会年度报表",
        "keywords": "十八条落实看板,R1",
        "application": "WPS 表格",
        "return_code": "R1",
        "reporting_year": "2024",
    }


def test_formulas_with_and_without_cached_values():
    wb = Workbook()
    ws = wb.active
    ws.title = "本级情况"
    ws["A1"] = 2
    ws["B1"] = "=1+1"
    ws["B2"] = "=A1*2"
    ws["B3"] = '=""'
    data = xlsx(wb)
    sheet_xml = part(data, SHEET1)
    assert b'<c r="B2"><f>A1*2</f><v></v></c>' in sheet_xml
    patched = sheet_xml.replace(b'<c r="B2"><f>A1*2</f><v></v></c>', b'<c r="B2"><f>A1*2</f><v>4</v></c>')
    patched = patched.replace(b'<c r="B3"><f>""</f><v></v></c>', b'<c r="B3" t="str"><f>""</f><v></v></c>')
    workbook = read_workbook(rewrite(data, {SHEET1: patched}), NAME)
    assert workbook.formulas_without_value == (("本级情况", "B1"),)
    assert workbook.sheets[0].rows == ((2.0, None), (None, 4.0))


def test_cells_without_references_and_relative_sheet_targets():
    """Some writers leave out r=; Excel writes sheet targets relative to xl/ (openpyxl writes absolute ones)."""
    data = simple_xlsx()
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row><c><v>1</v></c><c><f>A1+1</f></c></row><row r="3"><c r="C3"><f>A1</f><v/></c></row>'
        b"</sheetData></worksheet>"
    )
    rels = part(data, "xl/_rels/workbook.xml.rels").replace(b'Target="/xl/worksheets/', b'Target="worksheets/')
    workbook = read_workbook(rewrite(data, {SHEET1: sheet, "xl/_rels/workbook.xml.rels": rels}), NAME)
    assert workbook.formulas_without_value == (("本级情况", "B1"), ("本级情况", "C3"))
    assert workbook.sheets[0].rows == ((1.0,),)


def test_xlsm_is_read_for_values_only():
    data = simple_xlsx()
    types = part(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    workbook = read_workbook(rewrite(data, {"[Content_Types].xml": types}), "报表.xlsm")
    assert workbook.format == "xlsm"
    assert workbook.sheets[0].rows == (("市总工会年度报表", None), (None, 12.0))


def xls_bytes(build) -> bytes:
    wb = xlwt.Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xls_named_xlsx_is_read_by_content():
    def build(wb):
        ws = wb.add_sheet("本级情况")
        ws.write_merge(0, 0, 0, 3, "2024年度市（区）总工会年度报表")
        ws.write(2, 1, "本年数")
        ws.write(3, 1, 12)
        ws.write(3, 2, 2.5)
        ws.write(4, 1, datetime.date(2024, 5, 12), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
        hidden = wb.add_sheet("旧表")
        hidden.write(0, 0, "x")
        hidden.visibility = 1

    workbook = read_workbook(xls_bytes(build), NAME)
    assert workbook.format == "xls"
    assert [(s.name, s.visible, s.merged) for s in workbook.sheets] == [
        ("本级情况", True, ("A1:D1",)),
        ("旧表", False, ()),
    ]
    assert workbook.sheets[0].rows == (
        ("2024年度市（区）总工会年度报表", None, None),
        (None, None, None),
        (None, "本年数", None),
        (None, 12, 2.5),
        (None, datetime.date(2024, 5, 12), None),
    )
    assert (workbook.properties, workbook.formulas_without_value) == ({}, ())


def test_sha256_of_the_bytes():
    data = simple_xlsx()
    assert read_workbook(data, NAME).sha256 == hashlib.sha256(data).hexdigest()


# -- rejections -------------------------------------------------------------------------------------------------------


def test_empty_file():
    assert rejection(b"") == error("empty_file", "文件是空的（0 字节）", "请在 Excel/WPS 中重新保存报表后再上传")


def test_file_over_the_size_limit():
    assert rejection(b"PK\x03\x04" + bytes(MAX_FILE_BYTES)) == error(
        "file_too_large",
        "文件大小 20.0 MB，超过 20 MB 上限",
        "真实报表通常小于 1 MB，请删除无关的工作表、图片后重新保存",
    )


SAVE_AS_FIX = "请在 Excel/WPS 中打开后另存为 .xlsx 再上传"


@pytest.mark.parametrize(
    ("data", "message", "fix"),
    [
        (random.Random(7).randbytes(4096), "文件不是 Excel 工作簿（无法识别的文件内容）", NOT_EXCEL_FIX),
        ("县（区）名称,是否召开专题会议\n新城区,是\n".encode(), "文件不是 Excel 工作簿（是纯文本文件）", NOT_EXCEL_FIX),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "文件不是 Excel 工作簿（是 PDF 文件）", NOT_EXCEL_FIX),
        (
            b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            "文件实际是网页（HTML）格式，只是扩展名像 Excel",
            SAVE_AS_FIX,
        ),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
            "文件是 Excel 2003 XML 表格，不是本系统接受的格式",
            SAVE_AS_FIX,
        ),
    ],
)
def test_not_excel_content(data, message, fix):
    assert rejection(data) == error("not_excel", message, fix)


def test_docx_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert rejection(out.getvalue()) == error("not_excel", "文件不是 Excel 工作簿（是 Word 文档）", NOT_EXCEL_FIX)


def ole2(*stream_names: str) -> bytes:
    """Enough of a compound document for the checks: the signature and directory entry names."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
    names = b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in ("Root Entry", *stream_names))
    return header + names


def test_password_protected_workbook():
    assert rejection(ole2("EncryptionInfo", "EncryptedPackage")) == error(
        "password_protected", "工作簿设置了打开密码，无法读取", "请取消打开密码后另存为 .xlsx 再上传"
    )


def test_ole2_that_is_not_a_workbook():
    assert rejection(ole2("WordDocument", "1Table")) == error(
        "not_excel", "文件不是 Excel 工作簿（像是 Word 或其他 Office 文件）", NOT_EXCEL_FIX
    )


def test_zip_bomb_by_total_size(tmp_path):
    path = tmp_path / "bomb.xlsx"
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(SHEET1, "w", force_zip64=True) as member,
    ):
        for _ in range(300):
            member.write(zeros)
    data = path.read_bytes()
    assert len(data) < 1024 * 1024
    assert rejection(data) == error(
        "zip_bomb", "文件解压后达 300 MB，超过 200 MB 上限，疑似压缩炸弹，已拒绝读取", BOMB_FIX
    )


def test_zip_bomb_by_compression_ratio():
    data = rewrite(simple_xlsx(), {}, extra={"xl/media/image1.png": bytes(2 * 1024 * 1024)})
    assert rejection(data) == error(
        "zip_bomb", "文件内部部件“xl/media/image1.png”压缩比超过 200 倍，疑似压缩炸弹，已拒绝读取", BOMB_FIX
    )


def test_zip_bomb_by_member_count():
    data = rewrite(simple_xlsx(), {}, extra={f"xl/media/image{i}.png": b"x" for i in range(500)})
    count = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert rejection(data) == error("zip_bomb", f"文件内部包含 {count} 个部件，超过 500 个的上限，已拒绝读取", BOMB_FIX)


def test_part_a_little_larger_than_its_directory_says_is_damaged():
    data = patch_central_directory(simple_xlsx(), SHEET1, 24, 10)
    assert rejection(data) == error(
        "corrupt_file", f"文件已损坏或不完整（部件“{SHEET1}”解压后的大小与文件目录中记录的不符）", CORRUPT_FIX
    )


# Inflated at once (declared under 1 MB) or in chunks (over it: the part starts with 1.2 MB that do not compress, so
# that the ratio check, which reads the declared sizes, lets it through); 3 MB more than declared either way.
@pytest.mark.parametrize("declared", [10, 600 * 1024, 1_100_000])
def test_part_far_larger_than_its_directory_says_is_a_bomb(declared):
    content = random.Random(0).randbytes(1_200_000) + bytes(3 * 1024 * 1024)
    data = rewrite(simple_xlsx(), {}, extra={"xl/media/image1.png": content})
    data = patch_central_directory(data, "xl/media/image1.png", 24, declared)
    assert rejection(data) == error(
        "zip_bomb", "文件内部部件“xl/media/image1.png”的实际大小远超声明的大小，疑似压缩炸弹，已拒绝读取", CORRUPT_FIX
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
    + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    + "<si><t>&lol9;</t></si></sst>"
).encode()


SST_HEAD = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'


def with_shared_strings(sst: bytes) -> bytes:
    """simple_xlsx with A1 stored as shared string 0 (this openpyxl writes inline strings)."""
    data = simple_xlsx()
    rels = part(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        (
            b'<Relationship Id="rId99" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
        ),
    )
    types = part(data, "[Content_Types].xml").replace(
        b"</Types>",
        (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sharedStrings+xml"/></Types>'
        ),
    )
    sheet = re.sub(rb'<c r="A1" t="inlineStr">.*?</c>', b'<c r="A1" t="s"><v>0</v></c>', part(data, SHEET1))
    return rewrite(
        data,
        {"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types, SHEET1: sheet},
        extra={"xl/sharedStrings.xml": sst},
    )


def test_shared_strings_fixture_reads_without_a_dtd():
    data = with_shared_strings((SST_HEAD + "<si><t>共享字符串</t></si></sst>").encode())
    assert read_workbook(data, NAME).sheets[0].rows == (("共享字符串", None), (None, 12.0))


def test_xml_bomb_in_shared_strings():
    assert rejection(with_shared_strings(BILLION_LAUGHS)) == error(
        "xml_bomb",
        "文件内部的“xl/sharedStrings.xml”含有文档类型定义（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这种内容，疑似恶意文件，已拒绝读取",
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
    )


def test_xml_bomb_in_a_utf16_sheet():
    sheet = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'.encode("utf-16")
    assert rejection(rewrite(simple_xlsx(), {SHEET1: sheet})) == error(
        "xml_bomb",
        f"文件内部的“{SHEET1}”含有文档类型定义（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这种内容，疑似恶意文件，已拒绝读取",
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
    )


def test_duplicate_part_names():
    data = simple_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
            archive.writestr(name, part(data, name))
        archive.writestr(SHEET1, part(data, SHEET1))
    assert rejection(out.getvalue()) == error("corrupt_file", "文件已损坏或不完整（压缩包中有重名的部件）", CORRUPT_FIX)


def test_svg_image_with_a_doctype_is_not_an_xml_bomb():
    svg = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>'
    workbook = read_workbook(rewrite(simple_xlsx(), {}, extra={"xl/media/image1.svg": svg}), NAME)
    assert workbook.sheets[0].rows == (("市总工会年度报表", None), (None, 12.0))


def test_truncated_file():
    data = simple_xlsx()
    assert rejection(data[: len(data) // 2]) == error(
        "corrupt_file", "文件已损坏或不完整（压缩包结构无法读取）", CORRUPT_FIX
    )


def test_part_with_a_wrong_checksum():
    data = simple_xlsx()
    crc = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET1).CRC
    assert rejection(patch_central_directory(data, SHEET1, 16, crc ^ 1)) == error(
        "corrupt_file", f"文件已损坏或不完整（部件“{SHEET1}”校验失败）", CORRUPT_FIX
    )


def test_broken_workbook_xml():
    data = rewrite(simple_xlsx(), {"xl/workbook.xml": b"<workbook><sheets><sheet name="})
    assert rejection(data) == error("corrupt_file", "文件已损坏或不完整（部件“xl/workbook.xml”格式错误）", CORRUPT_FIX)


def test_sheet_part_missing():
    data = simple_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != SHEET1:
                dst.writestr(info, src.read(info))
    assert rejection(out.getvalue()) == error(
        "corrupt_file", "文件已损坏或不完整（工作表“本级情况”无法定位）", CORRUPT_FIX
    )


@pytest.mark.parametrize("far_away", ["y", "=1+1"])
def test_one_value_far_away_is_refused_before_calamine_allocates_the_grid(far_away):
    wb = Workbook()
    wb.active["A1"] = "x"
    wb.active["XFD1048576"] = far_away
    assert rejection(xlsx(wb)) == error(
        "file_too_large",
        "工作表“Sheet”的数据区域达到 A1:XFD1048576，全部工作表共约 1717987 万个单元格，超过 200 万个单元格的上限",
        "请删除表格以外误填的内容（按 Ctrl+End 可找到最后一个有内容的单元格）和无关的工作表后重新保存",
    )


def sparse_sheets(count: int, last: str) -> bytes:
    wb = Workbook()
    for index in range(count):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws["A1"] = 1
        ws[last] = 2
    return xlsx(wb)


def test_cell_limit_is_inclusive():
    assert MAX_CELLS == 2 * 1000 * 1000
    workbook = read_workbook(sparse_sheets(2, "ALL1000"), NAME)  # ALL is column 1000: exactly the limit
    assert [(len(s.rows), len(s.rows[0])) for s in workbook.sheets] == [(1000, 1000), (1000, 1000)]
    issue = rejection(sparse_sheets(2, "ALM1000"))
    assert (issue.code, issue.message) == (
        "file_too_large",
        "工作表“Sheet”的数据区域达到 A1:ALM1000，全部工作表共约 200 万个单元格，超过 200 万个单元格的上限",
    )


def test_xls_with_one_value_far_away():
    def build(wb):
        ws = wb.add_sheet("本级情况")
        ws.write(0, 0, 1)
        ws.write(65535, 255, "x")

    issue = rejection(xls_bytes(build))
    assert (issue.code, issue.message) == (
        "file_too_large",
        "工作表“本级情况”的数据区域达到 A1:IV65536，全部工作表共约 1678 万个单元格，超过 200 万个单元格的上限",
    )


def test_sheet_data_cell_outside_ragged_rows():
    sheet = SheetData("s", True, ((1, 2), (3,)))
    assert (sheet.cell(2, 1), sheet.cell(2, 2), sheet.cell(3, 1)) == (3, None, None)


def test_chart_sheets_are_left_out():
    wb = Workbook()
    wb.active.title = "本级情况"
    wb.active["A1"], wb.active["A2"] = 1, 2
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=1, min_row=1, max_row=2))
    wb.create_chartsheet("图表").add_chart(chart)
    assert [(s.name, s.rows) for s in read_workbook(xlsx(wb), NAME).sheets] == [("本级情况", ((1.0,), (2.0,)))]
