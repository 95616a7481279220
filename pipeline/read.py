"""Read stage: the bytes of a submitted workbook -> WorkbookData (cell values only; nothing is executed).

Formats: .xlsx, .xlsm (macros are never run: only cell values are read), .xls and WPS-saved .xlsx. The format
is told from the bytes (zip or OLE2 signature), not from the file name, so an .xls named .xlsx still reads.
python-calamine reads the values (cached formula results included); the package parts of an .xlsx are
inspected here first, because calamine trusts its input.

Limits. A real return is 20–80 KB: four sheets of about 60 rows × 12 columns. Each limit sits two or more
orders of magnitude above that, so only broken or hostile files reach one:
- MAX_FILE_BYTES = 20 MiB: the largest upload accepted.
- MAX_ZIP_MEMBERS = 500: an .xlsx of a return has about 15 parts.
- MAX_UNCOMPRESSED_BYTES = 200 MiB: the inflated size of all parts together (a return inflates to < 1 MB).
- MAX_COMPRESSION_RATIO = 200, for parts inflating to more than RATIO_CHECK_MIN_BYTES = 1 MiB: spreadsheet
  XML deflates 5–30×; a zip bomb deflates about 1000×. Small parts are exempt: they cannot hurt.
  Every part is inflated here with its real size and CRC checked against the directory, so a directory
  that lies about sizes is caught too: a part that goes on inflating more than 1 MiB past its declared size is
  refused as a bomb, one that ends sooner (a damaged file) as damaged.
- No DTD in any XML part: Excel and WPS never write <!DOCTYPE or <!ENTITY, and a DTD is how entity
  expansion ("billion laughs") works.
- MAX_CELLS = 2,000,000 cells in the used ranges (rows × columns from A1, summed over sheets), checked
  before calamine builds its dense grid: one value typed at XFD1048576 would make it allocate 512 GB and
  abort the whole process. For .xlsx the sheet XML is scanned; for .xls xlrd reports the sheet sizes.
- MAX_TEXT_CHARS = 10,000,000 characters of text in cells, shared strings counted once per cell that uses
  them: one long shared string referenced by thousands of cells is a 100 KB file that expands to gigabytes.

This module trusts nothing, but it runs inside pipeline/sandbox.py's bounded worker process, never in the
server: a parser that panics, loops or allocates without bound takes only the worker down.

Repairs. Office opens a few packages that python-calamine refuses outright; so that no reader vetoes another,
they are repaired in memory before calamine reads them (the archived original is untouched): zip entries named
with backslashes (xl\\workbook.xml, written by some Chinese exporting systems) are renamed, and <sheet> entries
that are not worksheets (Excel 4.0 macro sheets, dialog sheets) or whose relationship is empty or dangling are
left out of workbook.xml. An .xls that xlrd cannot size is read by calamine alone (the worker's memory limit
stands in for the size check). Excel error values (#DIV/0! …), which calamine reports as empty strings, are
put back as ExcelErrorValue from the sheet XML (.xlsx) or xlrd's cell types (.xls).
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import itertools
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml.ElementTree as SafeET
import xlrd
import xlrd.compdoc
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import ERROR, Issue, RejectedFile
from pipeline.sheet_bytes import SearchedSheet, SheetSummary, search_sheet, shared_string_lengths

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_CELLS = 2_000_000
MAX_TEXT_CHARS = 10_000_000

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_CHUNK = 1024 * 1024
# A package whose parts inflate to at most this is handed to calamine stored (see _stored_package): a return
# inflates to under 1 MB; a larger package is read as it came, so a worker never holds a second copy of a big one.
_KEPT_PARTS_BYTES = 32 * 1024 * 1024
# The codes with which this stage (and the worker around it) refuses a file: such bytes are never parsed again,
# for an annotated copy or anything else.
READ_REFUSAL_CODES = frozenset(
    {"empty_file", "file_too_large", "not_excel", "old_excel_format", "password_protected", "corrupt_file",
     "zip_bomb", "xml_bomb", "unsafe_file"}
)  # fmt: skip
# Excel parts are UTF-8, but expat also accepts UTF-16: look for both spellings of both markers.
_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_DTD_OVERLAP = max(len(m) for m in _DTD_MARKERS)
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_CORRUPT_FIX = "请在 Excel/WPS 中打开确认后重新保存并上传"
_REL_OFFICE_DOCUMENT = "/officeDocument"
_NOT_EXCEL_FIX = "请上传用本年度模板填写的 .xlsx 或 .xls 文件"
_SAVE_AS_FIX = "请在 Excel/WPS 中打开后另存为 .xlsx 再上传"
_REL_WORKSHEET = "/worksheet"
_OTHER_OLE2_STREAMS = ("worddocument", "powerpoint document", "visiodocument")  # lower case
_REL_SHARED_STRINGS = "/sharedStrings"
# BOF records of Excel 2.x–4.0 files, which are bare BIFF streams without the OLE2 container of later versions.
_OLD_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
_SHEET_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*?/>", re.S)
_NAME_ATTRIBUTE = re.compile(rb'\sname\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
# Parts that tell what a zip that is not a workbook really is, for a message the submitter understands.
_OTHER_ZIP_KINDS = {
    "word/document.xml": ("文件不是 Excel 工作簿（是 Word 文档）", _NOT_EXCEL_FIX),
    "ppt/presentation.xml": ("文件不是 Excel 工作簿（是 PowerPoint 演示文稿）", _NOT_EXCEL_FIX),
    "xl/workbook.bin": ("文件是 Excel 二进制工作簿（.xlsb），本系统只接受 .xlsx、.xlsm 和 .xls", _SAVE_AS_FIX),
    "content.xml": ("文件是开放文档格式（.ods），不是 Excel 工作簿", _SAVE_AS_FIX),
}


@dataclass(frozen=True)
class SheetData:
    name: str
    visible: bool  # False for hidden and very hidden sheets
    rows: tuple[tuple[object, ...], ...]  # row-major from A1; empty cells are None; trailing empties trimmed
    merged: tuple[str, ...] = ()  # merged ranges such as "A1:F1"

    def cell(self, row: int, col: int) -> object:
        """1-based; None outside the grid."""
        if row < 1 or col < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[col - 1] if col <= len(values) else None


@dataclass(frozen=True)
class WorkbookData:
    file_name: str
    sha256: str
    size_bytes: int
    format: str  # "xlsx" | "xlsm" | "xls"
    sheets: tuple[SheetData, ...]
    properties: dict[str, str]  # custom document properties, plus title/keywords/application when known
    formulas_without_value: tuple[tuple[str, str], ...]  # (sheet, A1) of formula cells with no cached value
    ignored_sheets: tuple[tuple[str, str], ...] = ()  # (sheet, why) for sheets left out: macro sheets, dangling


@dataclass
class _Package:
    format: str
    properties: dict[str, str]
    scans: dict[str, SheetSummary]  # sheet name -> what its XML says
    ignored_sheets: list[tuple[str, str]]
    repaired: bytes | None  # the package calamine should read instead, when it needed repairs
    stored: bytes | None = None  # the same parts (repairs included) stored uncompressed, for calamine (see below)


# -- public API ------------------------------------------------------------------------------------------------------


def read_workbook(data: bytes, file_name: str) -> WorkbookData:
    """Read every sheet's cell values; raises RejectedFile (one Chinese issue) for a file that cannot be read."""
    _check_size(data, file_name)
    ignored: list[tuple[str, str]] = []
    errors: dict[str, dict[tuple[int, int], str]] = {}
    if data.startswith(ZIP_MAGIC):
        package = _inspect_package(data, file_name)
        sizes: dict[str, tuple[int, int]] | None = {
            name: (scan.max_row, scan.max_col) for name, scan in package.scans.items()
        }
        _check_text(package, file_name)
        fmt, properties, ignored = package.format, package.properties, package.ignored_sheets
        formulas = tuple((sheet, ref) for sheet, scan in package.scans.items() for ref in scan.formulas_without_value)
        errors = {sheet: scan.error_cells for sheet, scan in package.scans.items() if scan.error_cells}
        readable = package.stored or package.repaired or data
    elif data.startswith(OLE2_MAGIC):
        _check_ole2(data, file_name)
        sizes, errors = _xls_sizes_and_errors(data, file_name)
        fmt, properties, formulas, readable = "xls", {}, (), data
    else:
        raise _reject(file_name, *_sniff_kind(data))
    if sizes is not None:
        _check_cells(sizes, file_name)
    sheets = _read_sheets(readable, file_name, sizes, errors)
    return WorkbookData(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        format=fmt,
        sheets=sheets,
        properties=properties,
        formulas_without_value=formulas,
        ignored_sheets=tuple(ignored),
    )


def readable_package(data: bytes, file_name: str) -> bytes:
    """The bytes other readers (openpyxl for the annotated copy) should open: the repaired package when the
    file needed repairs (see the module docstring), else the file itself. Run only on bytes read_workbook took."""
    if data.startswith(ZIP_MAGIC):
        return _inspect_package(data, file_name).repaired or data
    return data


# -- whole-file checks -----------------------------------------------------------------------------------------------


def _reject(file_name: str, code: str, message: str, fix: str) -> RejectedFile:
    return RejectedFile([Issue(ERROR, code, message, fix, file=file_name)])


def _corrupt(file_name: str, detail: str) -> RejectedFile:
    return _reject(file_name, "corrupt_file", f"文件已损坏或不完整（{detail}）", _CORRUPT_FIX)


def _check_size(data: bytes, file_name: str) -> None:
    if not data:
        raise _reject(file_name, "empty_file", "文件是空的（0 字节）", "请在 Excel/WPS 中重新保存报表后再上传")
    if len(data) > MAX_FILE_BYTES:
        raise _reject(
            file_name,
            "file_too_large",
            f"文件大小 {len(data) / 1024 / 1024:.1f} MB，超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限",
            "真实报表通常小于 1 MB，请删除无关的工作表、图片后重新保存",
        )


def _sniff_kind(data: bytes) -> tuple[str, str, str]:
    """Code, message and fix for bytes that are neither zip nor OLE2: say what the file really is."""
    if _is_old_biff(data):
        return (
            "old_excel_format",
            "文件是 Excel 4.0 或更早版本（1994 年以前的 Excel 2.x–4.0）的格式，本系统无法读取",
            _SAVE_AS_FIX,
        )
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "not_excel", "文件不是 Excel 工作簿（是 PDF 文件）", _NOT_EXCEL_FIX
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "not_excel", "文件是 Excel 2003 XML 表格，不是本系统接受的格式", _SAVE_AS_FIX
    if b"<html" in head or head.startswith((b"<table", b"mime-version")):
        return "not_excel", "文件实际是网页（HTML）格式，只是扩展名像 Excel", _SAVE_AS_FIX
    try:
        data[:2048].decode("utf-8")
    except UnicodeDecodeError:
        return "not_excel", "文件不是 Excel 工作簿（无法识别的文件内容）", _NOT_EXCEL_FIX
    return "not_excel", "文件不是 Excel 工作簿（是纯文本文件）", _NOT_EXCEL_FIX


def _is_old_biff(data: bytes) -> bool:
    """A BIFF2–4 stream starts with a BOF record of 4 to 16 bytes whose type is a worksheet, chart, macro or
    workbook (BIFF4W) sheet."""
    if len(data) < 8 or data[:2] not in _OLD_BIFF_BOF:
        return False
    length = struct.unpack_from("<H", data, 2)[0]
    if not 4 <= length <= 16:
        return False
    if data[:2] == b"\x09\x00":  # BIFF2: version, then the sheet type
        return struct.unpack_from("<H", data, 6)[0] in (0x0010, 0x0020, 0x0040)
    return struct.unpack_from("<H", data, 6)[0] in (0x0010, 0x0020, 0x0040, 0x0100)


def _password_protected(file_name: str) -> RejectedFile:
    return _reject(
        file_name, "password_protected", "工作簿设置了打开密码，无法读取", "请取消打开密码后另存为 .xlsx 再上传"
    )


def _check_ole2(data: bytes, file_name: str) -> None:
    """An OLE2 container is an .xls, an encrypted .xlsx (EncryptionInfo + EncryptedPackage), or another Office file.

    Stream names are compared without case: some exporters write WORKBOOK or BOOK, and Office opens those.
    When the directory itself cannot be read, the readers get their turn and say whether the file is damaged.
    """
    if any(name.encode("utf-16-le") in data for name in ("EncryptionInfo", "EncryptedPackage")):
        raise _password_protected(file_name)
    names = _ole2_stream_names(data)
    if names is None:  # an unreadable directory: only a stream name of another program is a verdict here
        lowered = data.lower()
        names = {name for name in _OTHER_OLE2_STREAMS if name.encode("utf-16-le") in lowered} or None
    if names is not None and not names & {"workbook", "book"}:
        raise _reject(file_name, "not_excel", "文件不是 Excel 工作簿（像是 Word 或其他 Office 文件）", _NOT_EXCEL_FIX)


def _ole2_stream_names(data: bytes) -> set[str] | None:
    """Lower-cased names in the OLE2 directory, or None when the directory cannot be read."""
    try:
        return {entry.name.lower() for entry in xlrd.compdoc.CompDoc(data, logfile=io.StringIO()).dirlist}
    except Exception:  # noqa: BLE001 - a damaged directory is for the readers to judge, not a verdict here
        return None


def _xls_sizes_and_errors(data: bytes, file_name: str) -> tuple[dict[str, tuple[int, int]] | None, dict[str, dict]]:
    """Used range of each .xls sheet and its error cells, from xlrd; (None, {}) when xlrd cannot read the file,
    so calamine still gets its turn (one reader must not veto another)."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, ragged_rows=True, logfile=io.StringIO())
        sizes, errors = {}, {}
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            sizes[name] = (sheet.nrows, max((sheet.row_len(r) for r in range(sheet.nrows)), default=0))
            errors[name] = {
                (row, col): xlrd.error_text_from_code.get(sheet.cell_value(row, col), "#VALUE!")
                for row in range(sheet.nrows)
                for col, kind in enumerate(sheet.row_types(row))
                if kind == xlrd.XL_CELL_ERROR
            }
            book.unload_sheet(index)
        return sizes, {name: cells for name, cells in errors.items() if cells}
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise _password_protected(file_name) from exc
        return None, {}
    except Exception:  # noqa: BLE001 - any failure of this reader leaves the verdict to the next one
        return None, {}


def _check_cells(sizes: dict[str, tuple[int, int]], file_name: str) -> None:
    total = sum(rows * cols for rows, cols in sizes.values())
    if total <= MAX_CELLS:
        return
    name, (rows, cols) = max(sizes.items(), key=lambda item: item[1][0] * item[1][1])
    raise _reject(
        file_name,
        "file_too_large",
        f"工作表“{name}”的数据区域达到 A1:{get_column_letter(cols)}{rows}，全部工作表共约 {total / 10000:.0f} 万个单元格，"
        f"超过 {MAX_CELLS // 10000} 万个单元格的上限",
        "请删除表格以外误填的内容（按 Ctrl+End 可找到最后一个有内容的单元格）和无关的工作表后重新保存",
    )


# -- the .xlsx package ------------------------------------------------------------------------------------------------


def _inspect_package(data: bytes, file_name: str) -> _Package:
    """Check the zip directory, inflate every part once (sizes, CRC, DTD), scan sheets, read properties."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as exc:  # zipfile raises several types for a damaged directory
        raise _corrupt(file_name, "压缩包结构无法读取") from exc
    _check_directory(infos, file_name)
    # Some exporters name entries xl\\workbook.xml; Office reads them as xl/workbook.xml, and so do we.
    named = {info.filename.replace("\\", "/"): info for info in infos}
    if len(named) != len(infos):
        raise _corrupt(file_name, "压缩包中有重名的部件")
    parts = _Parts(data, file_name, named)
    workbook_part = _workbook_part(parts)
    sheets, ignored = _sheet_parts(parts, workbook_part)
    package = _Package(_package_format(parts), _properties(parts), {}, ignored, None)
    shared_lengths = _shared_string_lengths(parts, workbook_part)
    for name, part in sheets.items():
        if part in parts.infos:
            package.scans[name] = _scan_sheet(parts.stream(part, shared=False), file_name, name, shared_lengths)
    for name in parts.infos:  # the rest is only inflated: sizes, CRC and DTD checked before calamine parses it
        if name not in parts.seen:
            for _ in parts.stream(name):
                pass
    renamed = any("\\" in info.filename for info in infos)
    if renamed or ignored:
        package.repaired = _repaired_package(parts, workbook_part, {name for name, _ in ignored})
    package.stored = _stored_package(parts, workbook_part, {name for name, _ in ignored})
    return package


def _stored_package(parts: _Parts, workbook_part: str, dropped_sheets: set[str]) -> bytes | None:
    """The package again with every part stored uncompressed, from the bytes just inflated and checked (the CRCs
    are the ones checked against them; entries renamed and sheets dropped as in _repaired_package): calamine then
    reads the parts without inflating them a second time, about a quarter of its read (121 demo returns: 42 ms
    instead of 55). None when the parts were too large to keep (see _Parts)."""
    if parts.inflated is None or parts.inflated.keys() != parts.infos.keys():
        return None
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for name, info in parts.infos.items():
        content, crc = parts.inflated[name], info.CRC
        if name == workbook_part and dropped_sheets:
            content = _without_sheets(content, dropped_sheets)
            crc = zlib.crc32(content)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8
        size, name_length = len(content), len(encoded)
        header = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, flags, 0, 0, 0, crc, size, size, name_length, 0)
        directory.append(
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                flags,
                0,
                0,
                0,
                crc,
                size,
                size,
                name_length,
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
        pieces += (header, encoded, content)
        offset += len(header) + name_length + size
    listing = b"".join(directory)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(directory), len(directory), len(listing), offset, 0)
    return b"".join([*pieces, listing, end])


def _repaired_package(parts: _Parts, workbook_part: str, dropped_sheets: set[str]) -> bytes:
    """The package with entries renamed to forward slashes and dropped <sheet> entries left out of workbook.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as repaired:
        for name in parts.infos:
            content = b"".join(parts.stream(name))
            if name == workbook_part and dropped_sheets:
                content = _without_sheets(content, dropped_sheets)
            repaired.writestr(name, content)
    return out.getvalue()


def _without_sheets(workbook_xml: bytes, dropped: set[str]) -> bytes:
    def keep(match: re.Match[bytes]) -> bytes:
        found = _NAME_ATTRIBUTE.search(match.group(0))
        raw = (found.group(1) if found.group(1) is not None else found.group(2)) if found else b""
        name = html.unescape(raw.decode("utf-8", "replace"))
        return b"" if name in dropped else match.group(0)

    return _SHEET_ELEMENT.sub(keep, workbook_xml)


_Answer = TypeVar("_Answer")


class _Parts:
    """The package's parts, each inflated and checked as it is read; small ones kept for parsing, and every one kept
    whole (`inflated`) when all of them together are at most _KEPT_PARTS_BYTES, for _stored_package."""

    def __init__(self, data: bytes, file_name: str, infos: dict[str, zipfile.ZipInfo]) -> None:
        self.data, self.file_name, self.infos = data, file_name, infos
        self.seen: set[str] = set()
        self._cache: dict[str, bytes] = {}
        declared = sum(info.file_size for info in infos.values())
        self.inflated: dict[str, bytes] | None = {} if declared <= _KEPT_PARTS_BYTES else None

    def stream(self, name: str, *, shared: bool = True) -> Iterator[bytes]:
        """The part's bytes, inflated and checked (see _inflate_small_part); shared=False for a part that differs in
        every return (a sheet, the shared strings), not worth remembering."""
        self.seen.add(name)
        info = self.infos[name]
        if info.file_size < _CHUNK:  # a real return's part: inflated at once (callers read it at once anyway)
            whole = _inflate_small_part(self.data, info, self.file_name, shared)
            if self.inflated is not None:
                self.inflated[name] = whole
            return iter((whole,))
        chunks = _inflate_in_chunks(self.data, info, self.file_name)
        return chunks if self.inflated is None else self._kept(name, chunks)

    def _kept(self, name: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        pieces = []
        for chunk in chunks:
            pieces.append(chunk)
            yield chunk
        assert self.inflated is not None
        self.inflated[name] = pieces[0] if len(pieces) == 1 else b"".join(pieces)  # reached only when inflated whole

    def xml(self, name: str) -> Element | None:
        if name not in self.infos:
            return None
        if name not in self._cache:
            self._cache[name] = b"".join(self.stream(name))
        content = self._cache[name]
        parsed = _PARSED_PARTS.get(content)
        if parsed is not None:
            return parsed
        try:
            parsed = SafeET.fromstring(content)
        except (ParseError, DefusedXmlException) as exc:
            raise _corrupt(self.file_name, f"部件“{name}”格式错误") from exc
        if len(content) <= _PARSED_PART_MAX_BYTES:
            if len(_PARSED_PARTS) >= _PARSED_PARTS_KEPT:
                _PARSED_PARTS.clear()
                _DERIVED_ANSWERS.clear()
            _PARSED_PARTS[content] = parsed
        return parsed

    def derived(self, name: str, answer: Callable[..., _Answer], *args: object) -> _Answer:
        """answer(the part's tree or None, *args), where answer only reads the tree: for a tree kept in
        _PARSED_PARTS the answer is kept beside it, so a part shared by every return of a template is read once."""
        tree = self.xml(name)
        if tree is None or _PARSED_PARTS.get(self._cache[name]) is not tree:
            return answer(tree, *args)
        key = (answer, tree, args)
        if key not in _DERIVED_ANSWERS:
            _DERIVED_ANSWERS[key] = answer(tree, *args)
        return _DERIVED_ANSWERS[key]


# The small parts (relationships, content types, workbook.xml, properties) are byte for byte the same in most
# returns made from one template: each distinct content is parsed once per worker. Keyed by the bytes themselves,
# so a hit is exactly what parsing them would give; the trees are only read, never changed.
_PARSED_PARTS: dict[bytes, Element] = {}
# What is read from a kept tree (relationships, sheet entries, properties), keyed by the tree itself: emptied with
# _PARSED_PARTS, so it holds no tree that is not kept there. The answers are only read, never changed.
_DERIVED_ANSWERS: dict[tuple[Callable[..., object], Element, tuple[object, ...]], object] = {}
_PARSED_PARTS_KEPT = 512
_PARSED_PART_MAX_BYTES = 64 * 1024


def _check_directory(infos: list[zipfile.ZipInfo], file_name: str) -> None:
    if len({info.filename for info in infos}) != len(infos):  # which copy would calamine read? refuse to guess
        raise _corrupt(file_name, "压缩包中有重名的部件")
    fix = "请在 Excel/WPS 中打开确认后重新保存；若确为正常报表，请删除无关的工作表、图片后重新保存"
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _reject(
            file_name, "zip_bomb", f"文件内部包含 {len(infos)} 个部件，超过 {MAX_ZIP_MEMBERS} 个的上限，已拒绝读取", fix
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _reject(
            file_name,
            "zip_bomb",
            f"文件解压后达 {total / 1024 / 1024:.0f} MB，超过 {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB 上限，疑似压缩炸弹，已拒绝读取",
            fix,
        )
    for info in infos:
        if info.file_size >= RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise _reject(
                file_name,
                "zip_bomb",
                f"文件内部部件“{info.filename}”压缩比超过 {MAX_COMPRESSION_RATIO} 倍，疑似压缩炸弹，已拒绝读取",
                fix,
            )


def _inflate_in_chunks(data: bytes, info: zipfile.ZipInfo, file_name: str) -> Iterator[bytes]:
    """Yield the bytes of a part of _CHUNK or more, inflated here in chunks of bounded output, so a bomb never fills
    memory, and its real size, CRC and absence of a DTD are checked, not trusted (a smaller part: see
    _inflate_small_part)."""
    raw = _raw_member(data, info, file_name)
    scan_dtd = _may_be_xml(info)
    produced, crc, tail = 0, 0, b""
    for chunk in _decompress(raw, info, file_name):
        produced += len(chunk)
        if produced > info.file_size:
            raise _larger_than_declared(raw, info, file_name)
        crc = zlib.crc32(chunk, crc)
        if scan_dtd:
            window = tail + chunk
            _refuse_dtd(window, info, file_name)
            tail = window[-_DTD_OVERLAP:]
        yield chunk
    _check_complete(produced, crc, info, file_name)


def _may_be_xml(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith((".xml", ".rels"))


def _inflate_small_part(data: bytes, info: zipfile.ZipInfo, file_name: str, remember: bool) -> bytes:
    """The bytes of a part under _CHUNK (every part of a real return), inflated by one zlib call bounded by its
    declared size, and checked as _inflate_in_chunks checks them. With remember, a deflated part's inflated bytes are
    kept by its deflated bytes (see _INFLATED_PARTS)."""
    raw = _raw_member(data, info, file_name)
    deflated = bytes(raw) if remember and info.compress_type == zipfile.ZIP_DEFLATED else None
    remembered = _INFLATED_PARTS.get(deflated) if deflated is not None else None
    if remembered is None:
        whole, crc = _inflate_small(raw, info, file_name)
    elif len(remembered[0]) > info.file_size:  # as the bounded zlib call would find under this declared size
        raise _larger_than_declared(raw, info, file_name)
    else:
        whole, crc = remembered
    if _may_be_xml(info):
        _refuse_dtd(whole, info, file_name)
    _check_complete(len(whole), crc, info, file_name)
    if deflated is not None:
        _remember_inflated(deflated, whole, crc)
    return whole


# Inflated bytes and CRC of small deflated parts, by their deflated bytes: inflating is a function of those bytes
# alone, and the styles, theme, workbook and relationships of every return made from one template deflate alike, so
# each is inflated once per worker. Every check (size, CRC, DTD) is still made on each part; only parts that passed
# them are kept, and at most _INFLATED_PARTS_KEPT_BYTES of them.
_INFLATED_PARTS: dict[bytes, tuple[bytes, int]] = {}
_INFLATED_PARTS_KEPT_BYTES = 8 * 1024 * 1024
_INFLATED_PART_MAX_BYTES = 256 * 1024
_inflated_parts_bytes = 0


def _remember_inflated(deflated: bytes, whole: bytes, crc: int) -> None:
    global _inflated_parts_bytes
    if deflated in _INFLATED_PARTS or len(whole) > _INFLATED_PART_MAX_BYTES:
        return
    if _inflated_parts_bytes + len(whole) + len(deflated) > _INFLATED_PARTS_KEPT_BYTES:
        _INFLATED_PARTS.clear()
        _inflated_parts_bytes = 0
    _INFLATED_PARTS[deflated] = (whole, crc)
    _inflated_parts_bytes += len(whole) + len(deflated)


def _inflate_small(raw: memoryview, info: zipfile.ZipInfo, file_name: str) -> tuple[bytes, int]:
    """The part's bytes and their CRC."""
    whole = _inflated_whole(raw, info, file_name)
    return whole, zlib.crc32(whole)


def _inflated_whole(raw: memoryview, info: zipfile.ZipInfo, file_name: str) -> bytes:
    if info.compress_type == zipfile.ZIP_STORED:
        return bytes(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:  # Excel and WPS only ever store or deflate
        raise _corrupt(file_name, f"部件“{info.filename}”使用了不支持的压缩方式")
    try:
        whole = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, info.file_size + 1)
    except zlib.error as exc:
        raise _corrupt(file_name, f"部件“{info.filename}”解压失败") from exc
    if len(whole) > info.file_size:
        raise _larger_than_declared(raw, info, file_name)
    return whole


def _refuse_dtd(window: bytes, info: zipfile.ZipInfo, file_name: str) -> None:
    if _may_hold_dtd(window) and any(marker in window for marker in _DTD_MARKERS):
        raise _reject(
            file_name,
            "xml_bomb",
            f"文件内部的“{info.filename}”含有文档类型定义（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这种内容，疑似恶意文件，已拒绝读取",
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
        )


def _may_hold_dtd(window: bytes) -> bool:
    """False only when no DTD marker can be in the window: each has a "!" after "<" (UTF-8) or before NUL (UTF-16).
    A "!" is rare in a workbook's XML (a formula's Sheet1!A1), so its occurrences are looked at one by one (memchr
    speed), where the six marker searches read the whole window each."""
    position = window.find(b"!")
    for _ in range(_DTD_LOOKS):
        if position < 0:
            return False
        if window[position - 1 : position] == b"<" or window[position + 1 : position + 2] == b"\x00":
            return True
        position = window.find(b"!", position + 1)
    return position >= 0  # a part full of "!": the marker searches decide


_DTD_LOOKS = 64


def _larger_than_declared(raw: memoryview, info: zipfile.ZipInfo, file_name: str) -> RejectedFile:
    """A part that inflates past the size its directory declares: a damaged file when its stream ends soon after (a
    real one, from calamine's tests, is 2 bytes over), a suspected bomb when it goes on. Found by inflating it again,
    in bounded chunks, at most _OVERRUN_TOLERATED past the declared size."""
    if _ends_within(raw, info, file_name, info.file_size + _OVERRUN_TOLERATED):
        return _corrupt(file_name, f"部件“{info.filename}”解压后的大小与文件目录中记录的不符")
    return _reject(
        file_name,
        "zip_bomb",
        f"文件内部部件“{info.filename}”的实际大小远超声明的大小，疑似压缩炸弹，已拒绝读取",
        _CORRUPT_FIX,
    )


_OVERRUN_TOLERATED = 1024 * 1024


def _ends_within(raw: memoryview, info: zipfile.ZipInfo, file_name: str, limit: int) -> bool:
    """Whether the part's stream ends (or breaks off) before producing more than `limit` bytes."""
    produced = 0
    try:
        for chunk in _decompress(raw, info, file_name):
            produced += len(chunk)
            if produced > limit:
                return False
    except RejectedFile:  # a stream that breaks off is damaged all the same
        pass
    return True


def _check_complete(produced: int, crc: int, info: zipfile.ZipInfo, file_name: str) -> None:
    """A stream that ended early (truncated) or inflated to other bytes than the directory says is damaged."""
    if produced != info.file_size or crc != info.CRC:
        raise _corrupt(file_name, f"部件“{info.filename}”校验失败")


def _raw_member(data: bytes, info: zipfile.ZipInfo, file_name: str) -> memoryview:
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != ZIP_MAGIC or info.flag_bits & 0x1:
        raise _corrupt(file_name, f"部件“{info.filename}”无法读取")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise _corrupt(file_name, f"部件“{info.filename}”不完整")
    return raw


def _decompress(raw: memoryview, info: zipfile.ZipInfo, file_name: str) -> Iterator[bytes]:
    if info.compress_type == zipfile.ZIP_STORED:
        for start in range(0, len(raw), _CHUNK):
            yield bytes(raw[start : start + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:  # Excel and WPS only ever store or deflate
        raise _corrupt(file_name, f"部件“{info.filename}”使用了不支持的压缩方式")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position, pending = 0, b""
    try:
        while not inflater.eof:
            if not pending and position < len(raw):
                pending = bytes(raw[position : position + _CHUNK])
                position += _CHUNK
            out = inflater.decompress(pending, _CHUNK)  # bounded output: a bomb never fills memory
            pending = inflater.unconsumed_tail
            if out:
                yield out
            elif not pending and position >= len(raw):
                break  # input exhausted before the end of the stream: truncated
    except zlib.error as exc:
        raise _corrupt(file_name, f"部件“{info.filename}”解压失败") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rel_targets(rels: Element | None, source_part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) with targets resolved against the source part's folder."""
    if rels is None:
        return {}
    base = posixpath.dirname(source_part)
    out = {}
    for rel in rels.iter():
        if _local(rel.tag) != "Relationship":
            continue
        target = rel.get("Target", "")
        # WPS writes absolute targets ("/xl/worksheets/sheet1.xml"); Excel writes relative ones.
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), part)
    return out


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _workbook_part(parts: _Parts) -> str:
    for rel_type, part in parts.derived("_rels/.rels", _rel_targets, "").values():
        if rel_type.endswith(_REL_OFFICE_DOCUMENT) and part in parts.infos and part.endswith(".xml"):
            return part
    if "xl/workbook.xml" in parts.infos:
        return "xl/workbook.xml"
    default = ("文件不是 Excel 工作簿（压缩包中没有工作簿）", _NOT_EXCEL_FIX)
    message, fix = next((kind for marker, kind in _OTHER_ZIP_KINDS.items() if marker in parts.infos), default)
    raise _reject(parts.file_name, "not_excel", message, fix)


def _sheet_parts(parts: _Parts, workbook_part: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Worksheet name -> part name, through workbook.xml and its relationships; and the <sheet> entries that are
    not worksheets (macro or dialog sheets) or point nowhere, with what they are."""
    entries = parts.derived(workbook_part, _sheet_entries)
    targets = parts.derived(_rels_part(workbook_part), _rel_targets, workbook_part)
    sheet_parts, ignored = {}, []
    for name, rel_id in entries:
        rel_type, part = targets.get(rel_id, ("", ""))
        if rel_type.endswith(_REL_WORKSHEET):
            sheet_parts[name] = part
        elif rel_type.lower().endswith("macrosheet"):
            ignored.append((name, "Excel 4.0 宏表（宏不会被执行，宏表内容不读取）"))
        elif rel_type.lower().endswith("dialogsheet"):
            ignored.append((name, "对话框工作表（不含数据）"))
        elif not rel_type or part not in parts.infos:
            ignored.append((name, "工作簿目录中登记了该工作表，但文件中没有它的内容"))
    return sheet_parts, ignored


def _sheet_entries(workbook: Element | None) -> tuple[tuple[str, str], ...]:
    """(name, relationship id) of each <sheet> entry of workbook.xml, in order."""
    entries = []
    for element in workbook.iter() if workbook is not None else ():
        if _local(element.tag) == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            entries.append((element.get("name", ""), rel_id))
    return tuple(entries)


def _shared_string_lengths(parts: _Parts, workbook_part: str) -> list[int]:
    """The length in characters of each shared string, streamed (no tree), for the text-volume check."""
    targets = parts.derived(_rels_part(workbook_part), _rel_targets, workbook_part)
    part = next((p for t, p in targets.values() if t.endswith(_REL_SHARED_STRINGS) and p in parts.infos), None)
    if part is None:
        return []
    whole, chunks = _in_one_piece(parts.stream(part, shared=False))
    lengths = shared_string_lengths(whole) if whole is not None and _well_formed(whole) else None
    return lengths if lengths is not None else _parse_shared_string_lengths(chunks, parts.file_name, part)


def _parse_shared_string_lengths(chunks: Iterator[bytes], file_name: str, part: str) -> list[int]:
    lengths: list[int] = []
    depth_in_text = [0]

    def start(name: str, _attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            lengths.append(0)
        elif local == "t":
            depth_in_text[0] += 1

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "t":
            depth_in_text[0] -= 1

    def text(data: str) -> None:
        if depth_in_text[0] and lengths:
            lengths[-1] += len(data)

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError) as exc:
        raise _corrupt(file_name, f"部件“{part}”格式错误") from exc
    return lengths


def _check_text(package: _Package, file_name: str) -> None:
    # The byte bound settles nearly every workbook; the characters are counted only when it does not.
    if sum(scan.text_chars_bound for scan in package.scans.values()) <= MAX_TEXT_CHARS:
        return
    total = sum(scan.text_chars for scan in package.scans.values())
    if total <= MAX_TEXT_CHARS:
        return
    name = max(package.scans, key=lambda sheet: package.scans[sheet].text_chars)
    raise _reject(
        file_name,
        "file_too_large",
        f"文件中单元格文字共约 {total / 10000:.0f} 万字（工作表“{name}”最多），超过 {MAX_TEXT_CHARS // 10000} 万字的上限，"
        "疑似同一段长文字被大量单元格重复引用",
        "一份报表的文字通常不到 10 万字。请删除误粘贴的长文字后重新保存",
    )


def _package_format(parts: _Parts) -> str:
    if parts.derived("[Content_Types].xml", _declares_macros) or "xl/vbaProject.bin" in parts.infos:
        return "xlsm"
    return "xlsx"


def _declares_macros(content_types: Element | None) -> bool:
    types = [el.get("ContentType", "") for el in content_types.iter()] if content_types is not None else []
    return any("macroEnabled" in t for t in types)


def _properties(parts: _Parts) -> dict[str, str]:
    """docProps core/app fields we use, then custom properties (ours win on a name clash)."""
    properties: dict[str, str] = {}
    for part in ("docProps/core.xml", "docProps/app.xml"):
        properties.update(parts.derived(part, _document_fields))
    properties.update(parts.derived("docProps/custom.xml", _custom_properties))
    return properties


_DOCUMENT_FIELDS = {"title": "title", "keywords": "keywords", "Application": "application"}


def _document_fields(root: Element | None) -> tuple[tuple[str, str], ...]:
    """(our key, text) of the core or app fields we use, in document order (a later one wins)."""
    fields = []
    for element in root.iter() if root is not None else ():
        key = _DOCUMENT_FIELDS.get(_local(element.tag))
        if key and element.text and element.text.strip():
            fields.append((key, element.text.strip()))
    return tuple(fields)


def _custom_properties(custom: Element | None) -> tuple[tuple[str, str], ...]:
    fields = []
    for element in custom.iter() if custom is not None else ():
        if _local(element.tag) == "property" and element.get("name"):
            value = next(iter(element), None)
            fields.append((element.get("name"), (value.text or "").strip() if value is not None else ""))
    return tuple(fields)


def _scan_sheet(chunks: Iterator[bytes], file_name: str, sheet: str, shared_lengths: list[int]) -> SheetSummary:
    """What the sheet's XML says (see pipeline/sheet_bytes.py): found by searching its bytes when they are in the
    plain shape every spreadsheet program writes, else by parsing them with expat (which also refuses a sheet that
    is not XML)."""
    whole, chunks = _in_one_piece(chunks)
    searched = _searched_sheet(whole) if whole is not None else None
    if searched is not None:
        return searched.summary(shared_lengths)
    return _parse_sheet(chunks, file_name, sheet, shared_lengths)


def _searched_sheet(xml: bytes) -> SearchedSheet | None:
    """search_sheet of well-formed bytes (None: not well-formed, or not in the plain shape), kept by the bytes
    themselves for bytes met again (see _SEARCHED_SHEETS)."""
    keepable = len(xml) <= _SEARCHED_SHEET_MAX_BYTES  # a larger sheet is neither kept nor looked up (nor hashed)
    if keepable:
        with _SEARCHED_SHEETS_LOCK:
            kept = _SEARCHED_SHEETS.pop(xml, None)
            if kept is not None:
                _SEARCHED_SHEETS[xml] = kept  # the most recently met go last: the first are let go first
                return kept
    searched = search_sheet(xml) if _well_formed(xml) else None
    if searched is not None and keepable:
        with _SEARCHED_SHEETS_LOCK:
            _keep_searched(xml, searched)
    return searched


# What the search found in a sheet's bytes, by those bytes: a template's own sheets (its 填表说明, a list it ships
# filled) are byte for byte the same in every return filled from it, and are searched (and checked by expat) once
# per worker. A hit is exactly what checking and searching them again would give: both are functions of the bytes
# alone (the shared strings' characters are added per workbook, see SearchedSheet). At most _SEARCHED_SHEETS_BYTES
# are kept, the least recently met let go first: 121 demo returns search 5.3 MB of sheets, a third of them met before
# in the first batch, nearly half in each later batch of new returns from the same templates.
_SEARCHED_SHEETS: dict[bytes, SearchedSheet] = {}
_SEARCHED_SHEETS_BYTES = 16 * 1024 * 1024
_SEARCHED_SHEET_MAX_BYTES = 256 * 1024
_searched_sheets_bytes = 0
_SEARCHED_SHEETS_LOCK = threading.Lock()  # a parse worker reads on one thread; another caller may use several


def _keep_searched(xml: bytes, searched: SearchedSheet) -> None:
    global _searched_sheets_bytes
    if xml in _SEARCHED_SHEETS:  # kept meanwhile by another thread
        return
    _SEARCHED_SHEETS[xml] = searched
    _searched_sheets_bytes += len(xml) + searched.kept_bytes
    while _searched_sheets_bytes > _SEARCHED_SHEETS_BYTES:
        oldest = next(iter(_SEARCHED_SHEETS))
        _searched_sheets_bytes -= len(oldest) + _SEARCHED_SHEETS.pop(oldest).kept_bytes


def _in_one_piece(chunks: Iterator[bytes]) -> tuple[bytes | None, Iterator[bytes]]:
    """A part's bytes when it inflated in one piece (at most _CHUNK: small enough to search), and the chunks again
    for the streaming parse either way."""
    head, rest = next(chunks, b""), next(chunks, None)
    if rest is None:
        return head, iter([head])
    return None, itertools.chain([head, rest], chunks)


def _well_formed(xml: bytes) -> bool:
    """Whether expat reads the XML without an error: all in C, no callback per element."""
    try:
        expat.ParserCreate().Parse(xml, True)
    except (expat.ExpatError, ValueError):
        return False
    return True


def _parse_sheet(chunks: Iterator[bytes], file_name: str, sheet: str, shared_lengths: list[int]) -> SheetSummary:
    """Stream one sheet's XML through expat callbacks: no tree is built, so a long sheet stays cheap."""
    scanner = _SheetScanner(shared_lengths)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = scanner.start, scanner.end
    parser.CharacterDataHandler = scanner.text

    def refuse_dtd(*_: object) -> None:  # unreachable after the byte scan of every part; kept as a second lock
        raise _reject(
            file_name,
            "xml_bomb",
            f"工作表“{sheet}”含有文档类型定义（DOCTYPE），已拒绝读取",
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
        )

    parser.StartDoctypeDeclHandler = refuse_dtd
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError) as exc:
        raise _corrupt(file_name, f"工作表“{sheet}”的内容格式错误") from exc
    return SheetSummary(
        scanner.max_row, scanner.max_col, scanner.text_chars, scanner.formulas_without_value, scanner.error_cells
    )


class _SheetScanner:
    """What a sheet's XML says before calamine sees it: the extent of cells holding a value (what calamine
    will allocate), the characters of text its cells expand to, the formulas saved without a result, and the
    cells holding an error value (which calamine reports as empty)."""

    _KEPT_TEXT = 64  # enough for a shared-string index or an error value; longer text is only counted

    def __init__(self, shared_lengths: list[int]) -> None:
        self.max_row = self.max_col = 0
        self.text_chars = 0
        self.formulas_without_value: list[str] = []
        self.error_cells: dict[tuple[int, int], str] = {}  # (row, col), 0-based -> "#DIV/0!"
        self._shared_lengths = shared_lengths
        self._row = self._col = self._cell_row = 0
        self._extent = (0, 0)
        self._in_cell = self._in_value = self._in_inline = False
        self._type: str | None = None
        self._formula = self._value = self._filled = False
        self._text: list[str] = []
        self._text_len = 0

    # The handlers run once per element of every sheet (most of a read's time): they test the common case first
    # and keep the cell's work to what its type needs.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:  # some writers prefix the main namespace (x:c)
            name = name.rpartition(":")[2]
        if name == "c":
            running = self._col + 1
            ref = attrs.get("r")
            position = _ref_position(ref) if ref else None
            cell_row, col = position if position is not None else (self._row, running)
            self._cell_row, self._col = cell_row, col
            # The extent errs large: whichever of the row's r, the cell's r and the running position is further.
            row = self._row
            self._extent = (cell_row if cell_row > row else row, col if col > running else running)
            self._in_cell, self._type = True, attrs.get("t")
            self._formula = self._value = self._filled = False
            self._text, self._text_len = [], 0
        elif self._in_cell:
            if name == "v":
                self._value = self._in_value = True
            elif name == "f":
                self._formula = True
            elif name == "is":
                self._value = self._filled = self._in_inline = True
        elif name == "row":
            self._row = int(attrs["r"]) if "r" in attrs else self._row + 1
            self._col = 0

    def end(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "v":
            self._in_value = False
        elif name == "c":
            self._in_cell = False
            if self._value or self._formula:
                extent_row, extent_col = self._extent
                if extent_row > self.max_row:
                    self.max_row = extent_row
                if extent_col > self.max_col:
                    self.max_col = extent_col
            if self._formula and not (self._value and (self._filled or self._type == "str")):
                self.formulas_without_value.append(f"{get_column_letter(self._col)}{self._cell_row}")
            kind = self._type
            if kind == "inlineStr" or kind == "str":  # most text cells: only their length counts
                self.text_chars += self._text_len
            elif kind == "s" or kind == "e":
                self._count_cell()
        elif name == "is":
            self._in_inline = False

    def text(self, data: str) -> None:
        if (self._in_value or self._in_inline) and data:
            self._filled = True
            self._text_len += len(data)
            if self._text_len <= self._KEPT_TEXT:
                self._text.append(data)

    def _count_cell(self) -> None:
        kept = "".join(self._text).strip()
        if self._type == "s":
            index = int(kept) if kept.isdigit() else -1
            self.text_chars += self._shared_lengths[index] if 0 <= index < len(self._shared_lengths) else 0
        elif self._type in ("str", "inlineStr"):
            self.text_chars += self._text_len
        elif self._type == "e" and kept:
            self.error_cells[(self._cell_row - 1, self._col - 1)] = kept[:16]


def _cell_position(ref: str | None, row: int, col: int) -> tuple[int, int]:
    """(row, column) from an A1 reference; the running position when the writer left r out."""
    position = _ref_position(ref) if ref else None
    return position if position is not None else (row, col)


def _ref_position(ref: str) -> tuple[int, int] | None:
    """(row, column) of an A1 reference, None for anything else. The same references recur in every return, so
    the short ones (XFD1048576 has 10 characters) are remembered; a hostile file's long ones are not."""
    return _short_ref_position(ref) if len(ref) <= 12 else _parse_ref(ref)


@functools.lru_cache(maxsize=65536)
def _short_ref_position(ref: str) -> tuple[int, int] | None:
    return _parse_ref(ref)


def _parse_ref(ref: str) -> tuple[int, int] | None:
    match = _CELL_REF.match(ref)
    if not match:
        return None
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - 64
    return int(match.group(2)), number


# -- cell values through calamine ------------------------------------------------------------------------------------


def _read_sheets(
    data: bytes,
    file_name: str,
    sizes: dict[str, tuple[int, int]] | None,
    errors: dict[str, dict[tuple[int, int], str]],
) -> tuple[SheetData, ...]:
    """Cell values of every worksheet. With sizes None (an .xls xlrd could not size) calamine sizes the sheets
    itself, and the cell limit is checked on its range before any Python value is made."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no cell values
            if sizes is not None and meta.name not in sizes:  # never let calamine size a sheet we have not measured
                raise _corrupt(file_name, f"工作表“{meta.name}”无法定位")
            sheet = workbook.get_sheet_by_name(meta.name)
            if sizes is None:
                _check_cells({meta.name: (sheet.height, sheet.width)}, file_name)
            merged = tuple(_range_ref(start, end) for start, end in (sheet.merged_cell_ranges or ()))
            rows = sheet.to_python(skip_empty_area=False)
            _put_errors(rows, errors.get(meta.name, {}))
            sheets.append(SheetData(meta.name, meta.visible == SheetVisibleEnum.Visible, _trim(rows), merged))
        return tuple(sheets)
    except RejectedFile:
        raise
    except PasswordError as exc:
        raise _password_protected(file_name) from exc
    except Exception as exc:  # any failure of the parser on an untrusted file means the file is damaged
        raise _corrupt(file_name, "无法读取工作表内容") from exc


def _put_errors(rows: list[list[object]], errors: dict[tuple[int, int], str]) -> None:
    """Error values where calamine left an empty string (rows are padded so an error past the end still shows)."""
    for (row, col), text in errors.items():
        while len(rows) <= row:
            rows.append([])
        if len(rows[row]) <= col:
            rows[row].extend([""] * (col + 1 - len(rows[row])))
        if rows[row][col] in ("", None):
            rows[row][col] = ExcelErrorValue(text)


@functools.lru_cache(maxsize=4096)  # the merged ranges of one template recur in every return made from it
def _range_ref(start: tuple[int, int], end: tuple[int, int]) -> str:
    return f"{get_column_letter(start[1] + 1)}{start[0] + 1}:{get_column_letter(end[1] + 1)}{end[0] + 1}"


def _trim(rows: list[list[object]]) -> tuple[tuple[object, ...], ...]:
    """calamine's '' becomes None; trailing empty rows and columns go."""
    # Only a row holding '' is rebuilt (`in` scans in C; a row of values is kept as it is), and calamine's rows are
    # as wide as its range, which ends at a filled column: most rows are copied to a tuple whole.
    cleaned = [[None if v == "" and isinstance(v, str) else v for v in row] if "" in row else row for row in rows]
    while cleaned and all(v is None for v in cleaned[-1]):
        cleaned.pop()
    width = 0
    for row in cleaned:  # the last filled column of any row, each row scanned from its end
        filled = len(row)
        while filled > width and row[filled - 1] is None:
            filled -= 1
        if filled > width:
            width = filled
    return tuple(
        tuple(row) if len(row) == width else tuple(row[:width]) + (None,) * (width - len(row)) for row in cleaned
    )
