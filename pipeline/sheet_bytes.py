"""What a worksheet's XML (and the shared strings it uses) says before calamine reads it, found by searching bytes.

pipeline/read.py must know four things about every sheet before calamine sees it: the extent of the cells that hold
a value or formula (calamine allocates a dense grid of that size), the characters of text its cells expand to (a
shared string counted once per cell using it), the formula cells saved without a result, and the cells holding an
Excel error value (which calamine reports as empty). An expat parse with a Python callback per element gives them,
but costs more than the whole calamine read. Excel, WPS, LibreOffice, openpyxl and XlsxWriter all spell a cell the
same way, `<c r="B5" s="3" t="s"><v>12</v></c>`, so C-level regular-expression searches over the bytes find every
cell and Python looks only at each cell's few bytes.

How it stays safe:
- read.py first has expat check that the part is well-formed XML, in C with no callback per element (a tenth of
  the callback parse), so the bytes searched here are XML and malformed parts are refused as before.
- Counting, not trusting the shape: every unprefixed element start named `c` is counted; only if every one was
  matched in the plain shape (its reference first, closed by its own `</c>`) is the answer used. Anything else
  (a prefix on any element cells are made of, cells without a reference, a reference spelt otherwise, CDATA,
  comments, processing instructions, UTF-16, a part larger than one inflated piece) returns None, and read.py
  parses the part with expat. A crafted sheet can make the search give up, never make it miss a cell.
- The extent is that of each cell's own reference, which is what calamine places a cell by. (The expat path also
  takes the running position within a row, so on an odd sheet it may err larger; never smaller.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Larger sheets go to the streaming expat parse, whose memory does not grow with the sheet: a real return's sheet
# is under 200 KB, and the search below holds every cell of the sheet at once (read.py searches a sheet only when
# it inflates in one piece, which is at most this size).
MAX_SEARCHED_BYTES = 1024 * 1024
KEPT_TEXT = 64  # as the expat scanner: a value longer than this is only counted (no index or error text kept)
# Uncounted text is kept (see SheetSummary) up to this per sheet, 32 MB for a workbook at the member limit; a
# real return's sheet holds a few kilobytes of text.
_UNCOUNTED_TEXT_KEPT = 64 * 1024

# Every unprefixed element start named c (prefixed ones send the sheet to expat): what calamine could read as a cell.
_CELL_START = re.compile(rb"<c[\s/>]")
# Every such start, in the plain cell's shape where it has it: reference first, other attributes, then self-closed
# or a body up to its own end tag. Groups: column letters, row digits, the type (when it comes first or after the
# style, as every writer puts it), the other attributes, then the body in one of three shapes: a plain value
# (<v>12</v>, tags kept so an empty value still shows), a plain inline string (tags kept likewise), anything else.
# A start not in that shape matches the last alternative with every group empty (no letters): one pass both finds
# the cells and counts the starts.
_CELL = re.compile(
    rb'<c(?: r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]*")?(?: t="([A-Za-z]*)")?([^<>]*?)'
    rb"(?:/>|>(?:(<v>[^<]*</v>)|(<is><t(?:\s[^<>]*)?>[^<]*</t></is>)|(.*?))</c>)|[\s/>])",
    re.S,
)
# Markup the search does not read: CDATA, comments and DTDs (<!), processing instructions (<?: the declaration is
# skipped first), a prefix on any element a cell or a shared string is made of (the plain search would not see it).
# Each is looked for from its rare byte (!, ?, :) with bytes.find, which runs at memchr speed, where a pattern tried
# at every < reads each byte in the regular-expression engine. The prefix test asks only that a listed name follow
# the colon, whatever precedes it: a colon elsewhere (x:r = "A1", text such as "注:t ") may send a sheet to expat for
# nothing, but no prefixed element, whatever characters its prefix is made of, is missed.
_PREFIXED_LOCAL_NAME = re.compile(rb"(?:c|v|f|is|t|row|r|rPh|si)[\s/>]")
_PREFIXED_ELEMENT = re.compile(rb":(?:c|v|f|is|t|row|r|rPh|si)[\s/>]")
_OPENED_MARKUP = re.compile(rb"<[!?]")
# A part with more of one rare byte than this (an Excel sheet has a colon per row: x14ac:dyDescent) is searched by
# the pattern instead, from where the byte-by-byte look stopped: one engine pass bounds the cost of any part.
_RARE_BYTE_LOOKS = 256
_NOT_PLAIN_CELL = (b"",) * 7  # what _CELL finds for a start not in the plain shape
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^<>]*\?>")
_TYPE = re.compile(rb'\st="([^"]*)"')
_PLAIN_ATTRIBUTES = re.compile(rb'(?:\s+[A-Za-z_][\w.\-:]*="[^"<>]*")*\s*')
_REFERENCE_ATTRIBUTE = re.compile(rb'\s(?:[\w.\-]+:)?r="')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>([^<]*)</v>)")
_VALUE_START = re.compile(rb"<v[\s/>]")
_FORMULA = re.compile(rb"<f[\s/>]")
_INLINE = re.compile(rb"<is(?:\s[^>]*)?(?:/>|>(.*?)</is>)", re.S)
_TAG = re.compile(rb"<[^>]*>")
_REFERENCE = re.compile(rb"&#?\w+;")


@dataclass(eq=False)
class SheetSummary:
    max_row: int = 0  # 1-based extent of the cells holding a value or a formula; 0 for none
    max_col: int = 0
    counted_chars: int = 0  # characters of text counted so far; see text_chars
    formulas_without_value: list[str] = field(default_factory=list)  # A1 references, in sheet order
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 0-based -> "#DIV/0!"
    # The str and inlineStr cells' character data as the XML spells it, NUL between cells, not counted yet: only
    # the text limit reads it, and its bytes bound its characters from above (a character is one or more bytes, a
    # reference such as &#24180; several), so a workbook whose bound is within the limit never pays for the count.
    # A plain cell's is kept with its tags (<is><t>…</t></is>, <v>…</v>: no < in the text), taken out when counted.
    uncounted_text: bytes = b""

    @property
    def text_chars(self) -> int:
        """Characters of text in cells, a shared string counted once per cell using it (counted on first use)."""
        self.count_text()
        return self.counted_chars

    def count_text(self) -> None:
        """Count the uncounted text now, and let its bytes go."""
        if self.uncounted_text:
            text, self.uncounted_text = self.uncounted_text, b""
            self.counted_chars += _counted(text)

    @property
    def text_chars_bound(self) -> int:
        """At least text_chars, without counting."""
        return self.counted_chars + len(self.uncounted_text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SheetSummary):
            return NotImplemented
        return _compared(self) == _compared(other)


def _compared(summary: SheetSummary) -> tuple:
    return (
        summary.max_row,
        summary.max_col,
        summary.text_chars,
        summary.formulas_without_value,
        summary.error_cells,
    )


@dataclass(frozen=True, eq=False)
class SearchedSheet:
    """What the search found in a sheet's bytes alone: its summary but for the shared strings' characters, which
    depend on the workbook's shared strings part (the indices its cells use are kept instead). One sheet's bytes
    give one SearchedSheet, whichever workbook they are in, so read.py keeps it for bytes met again (a template's
    own sheet, such as its 填表说明, is byte for byte the same in every return filled from that template)."""

    max_row: int
    max_col: int
    counted_chars: int  # characters of text counted, shared strings left out
    formulas_without_value: tuple[str, ...]
    error_cells: tuple[tuple[tuple[int, int], str], ...]
    uncounted_text: bytes
    shared_indices: tuple[int, ...]  # the shared-string index of each cell of type s, in sheet order (-1: none)

    def summary(self, shared_lengths: list[int]) -> SheetSummary:
        """A summary of its own (SheetSummary is changed as its text is counted) with these shared strings."""
        return SheetSummary(
            self.max_row,
            self.max_col,
            self.counted_chars + _shared_chars(self.shared_indices, shared_lengths),
            list(self.formulas_without_value),
            dict(self.error_cells),
            self.uncounted_text,
        )

    @property
    def kept_bytes(self) -> int:
        """About what keeping it costs in memory, beyond the sheet's bytes (an index: a pointer and an int object; an
        error cell: its key, its text and a dict slot)."""
        return len(self.uncounted_text) + 36 * len(self.shared_indices) + 160 * len(self.error_cells) + 512


def _shared_chars(indices: tuple[int, ...], lengths: list[int]) -> int:
    """The characters of the shared strings at these indices (one that is not there counts none, as expat's)."""
    if not indices:
        return 0
    if min(indices) >= 0 and max(indices) < len(lengths):
        return sum(map(lengths.__getitem__, indices))
    return sum(lengths[index] for index in indices if 0 <= index < len(lengths))


def search_sheet(xml: bytes) -> SearchedSheet | None:
    """What the sheet's bytes say (see SearchedSheet), or None when they are not in the plain shape (then parse it
    with expat). The XML is taken to be well-formed: read.py has expat check that first (in C, with no callback per
    element)."""
    if not _searchable(xml):
        return None
    cells = _CELL.findall(xml)
    if _NOT_PLAIN_CELL in cells:
        return None
    found = _Found()
    rows: set[bytes] = set()
    columns: set[bytes] = set()
    texts: list[bytes] = []  # of str and inlineStr cells, kept uncounted together (see SheetSummary)
    # One pass over every cell, kept to tests on bytes: most cells are a plain value or a plain inline string, and
    # a text cell's body is kept whole (its tags are taken out only if it is ever counted).
    for letters, digits, kind, attributes, value, inline, other in cells:
        if attributes:  # attributes past the style and type, or in another order: rare, so looked at closely
            if not _PLAIN_ATTRIBUTES.fullmatch(attributes) or _REFERENCE_ATTRIBUTE.search(attributes):
                return None  # an odd spelling, or a second reference (x:r): which one would calamine take?
            kind = _kind(attributes) or kind
        if value or inline:
            rows.add(digits)
            columns.add(letters)
            if kind == b"inlineStr" or kind == b"str":
                texts.append(value or inline)
            elif kind and kind != b"n":
                text = value[3:-4] if value else inline[inline.index(b">", 4) + 1 : -9]
                _count_typed(found, kind, digits, letters, text, texts)
        elif other:
            shape = _other_cell(other)
            if shape is None:
                return None
            text, formula, has_value, filled = shape
            if not (has_value or formula):
                continue  # a body of other elements only: nothing calamine shows
            rows.add(digits)
            columns.add(letters)
            if formula and not (has_value and (filled or kind == b"str")):
                found.formulas_without_value.append(f"{letters.decode()}{int(digits)}")
            _count_typed(found, kind, digits, letters, text, texts)
    if rows:
        found.max_row = max(map(int, rows))
        found.max_col = max(map(_column_number, columns))
    uncounted = b"\x00".join(texts)  # no NUL within: _searchable sent such parts to expat
    if len(uncounted) > _UNCOUNTED_TEXT_KEPT:  # a sheet of much text is counted now: its bytes are not kept
        found.counted_chars += _counted(uncounted)
        uncounted = b""
    return SearchedSheet(
        found.max_row,
        found.max_col,
        found.counted_chars,
        tuple(found.formulas_without_value),
        tuple(found.error_cells.items()),
        uncounted,
        tuple(found.shared_indices),
    )


@dataclass(eq=False)
class _Found:
    """What search_sheet gathers as it goes."""

    max_row: int = 0
    max_col: int = 0
    counted_chars: int = 0
    formulas_without_value: list[str] = field(default_factory=list)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    shared_indices: list[int] = field(default_factory=list)


def _counted(text: bytes) -> int:
    """The characters of uncounted text (see SheetSummary.uncounted_text)."""
    if b"<" in text:
        text = _TAG.sub(b"", text)
    return _characters(text) - text.count(b"\x00")


def _searchable(xml: bytes) -> bool:
    """Whether the part is free of the markup the search does not read (NUL: UTF-16 text)."""
    if len(xml) > MAX_SEARCHED_BYTES:
        return False
    if b"\x00" in xml:
        return False
    declaration = _DECLARATION.match(xml)
    start = declaration.end() if declaration else 0
    return not (
        _markup_at(xml, start, b"!", _after_open_bracket, _OPENED_MARKUP)
        or _markup_at(xml, start, b"?", _after_open_bracket, _OPENED_MARKUP)
        or _markup_at(xml, start, b":", _before_listed_name, _PREFIXED_ELEMENT)
    )


def _markup_at(
    xml: bytes, start: int, rare: bytes, is_markup: Callable[[bytes, int], bool], pattern: re.Pattern
) -> bool:
    """Whether some occurrence of the rare byte from start on is the markup is_markup tells (pattern: the same
    markup as a search, for a part with many occurrences)."""
    position = xml.find(rare, start)
    for _ in range(_RARE_BYTE_LOOKS):
        if position < 0:
            return False
        if is_markup(xml, position):
            return True
        position = xml.find(rare, position + 1)
    return position >= 0 and pattern.search(xml, position - 1) is not None


def _after_open_bracket(xml: bytes, position: int) -> bool:
    return xml[position - 1 : position] == b"<"


def _before_listed_name(xml: bytes, position: int) -> bool:
    return _PREFIXED_LOCAL_NAME.match(xml, position + 1) is not None


def _kind(attributes: bytes) -> bytes:
    found = _TYPE.search(attributes)
    return found.group(1) if found else b""


def _other_cell(body: bytes) -> tuple[bytes, bool, bool, bool] | None:
    """(text of its value and inline string, has a formula, has a value, value filled) of a cell body in another
    shape (a formula, rich text, spaces between elements); None for a shape this search does not read."""
    if _CELL_START.search(body):
        return None  # a cell start within: _CELL's one pass would not have counted it
    values = _VALUE.findall(body)
    inlines = _INLINE.findall(body)
    if len(values) > 1 or len(inlines) > 1 or len(_VALUE_START.findall(body)) != len(values):
        return None
    value = values[0] if values else None
    inline_text = _TAG.sub(b"", inlines[0]) if inlines else b""
    # As the expat scanner: an inline string counts as filled even when empty, an empty <v/> does not.
    filled = bool(value) or bool(inlines)
    return (value or b"") + inline_text, _FORMULA.search(body) is not None, value is not None or bool(inlines), filled


def _count_typed(found: _Found, kind: bytes, digits: bytes, letters: bytes, text: bytes, texts: list[bytes]) -> None:
    """What a cell's type makes of its text: characters (str, inlineStr), a shared string's index, an error value."""
    if kind == b"inlineStr" or kind == b"str":
        texts.append(text)
    elif kind == b"s":
        kept = _kept_text(text)
        found.shared_indices.append(int(kept) if kept.isdigit() else -1)
    elif kind == b"e":
        kept = _kept_text(text)
        if kept:
            found.error_cells[(int(digits) - 1, _column_number(letters) - 1)] = kept[:16]


def _text(raw: bytes) -> str:
    """Character data as an XML parser delivers it: UTF-8 decoded, entities resolved, line ends normalised."""
    text = raw.decode("utf-8", "replace")
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _characters(raw: bytes) -> int:
    """len(_text(raw)) without resolving anything: every reference (&amp;, &#x4E2D;) stands for one character."""
    if b"&" in raw:
        raw = _REFERENCE.sub(b"&", raw)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    return len(raw) if raw.isascii() else len(raw.decode("utf-8", "replace"))


def _kept_text(raw: bytes) -> str:
    """The cell's text as the expat scanner keeps it: whole when short, nothing when longer than KEPT_TEXT."""
    if raw.isdigit() and len(raw) <= KEPT_TEXT:  # a shared-string index, nearly always
        return raw.decode()
    text = _text(raw)
    return text.strip() if len(text) <= KEPT_TEXT else ""


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# Shared strings: <si><t>text</t></si>, or rich text whose runs and phonetic hints each hold a <t>.
_SHARED_STRING = re.compile(rb"<si(?:\s[^<>]*)?(?:/>|>(?:<t>([^<]*)</t>|(.*?))</si>)", re.S)
_SHARED_STRING_START = re.compile(rb"<si[\s/>]")
_TEXT = re.compile(rb"<t(?:\s[^<>]*)?(?:/>|>([^<]*)</t>)")
_TEXT_START = re.compile(rb"<t[\s/>]")


def shared_string_lengths(xml: bytes) -> list[int] | None:
    """The length in characters of each shared string (the text of every <t> in it), or None when the part is not
    in the plain shape (then parse it with expat). Well-formed XML assumed, as for search_sheet."""
    if not _searchable(xml):
        return None
    strings = _SHARED_STRING.findall(xml)
    if len(strings) != len(_SHARED_STRING_START.findall(xml)):
        return None
    lengths = []
    for plain, rich in strings:
        if rich:
            texts = _TEXT.findall(rich)
            if len(texts) != len(_TEXT_START.findall(rich)):
                return None
            lengths.append(sum(map(_characters, texts)))
        else:
            lengths.append(_characters(plain))
    return lengths
