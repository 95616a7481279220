"""Locate stage: find a return's type, year, header fields and tables in a workbook by their texts.

Positions are never assumed: submitters move columns, insert blank and note rows, edit header texts, add
sheets and hide old ones. Every label, header and title comes from the catalog (names and aliases), compared
after normalisation (NFKC, so full-width brackets, colons and digits match; whitespace and line breaks
removed; a trailing unit such as "（万元）" and a leading "其中：" tolerated when the exact text does not match).
Everything returned is raw: values are as read, with the sheet and A1 address they came from.

Search order: visible sheets in workbook order; a hidden sheet is used only when no visible sheet holds the
table's rows (with a warning). The year comes from the cell after "报表年度", else a title such as
"2024年度…", else the `reporting_year` document property (then year_source has no sheet or cell). When the
year cell holds text that is not a year, year is None and year_source still points at that cell.

Table extents. A table runs from its header row to the next table title, section heading ("二、…") or header
row of another table, or to the end of the sheet: blank rows never end it, so rows after a page-break gap, after
a 合计 row or after a note are read. A header row repeated on the same sheet (a table continued after a page
break), or the table's own title repeated ("…（续）"), continues the table. Inside a table, nothing typed is
dropped silently: a row is read when it is recognisably part of the table (an indicator's label, a key such as
a county's name, or values in the table's value columns). 合计/小计 rows (totals of the rows above), notes
(备注、填表说明、注：…, and their numbered or sentence-like continuation lines) and header-block or signature
lines (填报人：…) are passed over. Any other row holding a figure gets an ERROR naming its cells
("表格内第N行有内容但无法识别…"), and a labelled row that is no indicator of the table a WARNING. Values are
returned for every indicator whose row or column was found, empty cells included, so the validator can name
the cell to fill.

Value column. Headed 本年数 or a catalog alias of it (本年度, 今年 …), or by a year ("2026年", "2026年度"); of several
year columns (last year's figures kept beside) the latest is 本年数, and one headed by another year than the
return's gets a WARNING. When a table cannot be found, the ERROR names the sheet and the closest candidate
header cell.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from openpyxl.utils import get_column_letter

from pipeline.catalog import Catalog, Indicator, Table
from pipeline.issues import ERROR, WARNING, Issue, RejectedFile
from pipeline.read import SheetData, WorkbookData

_BRACKETS = str.maketrans({"【": "(", "〔": "(", "[": "(", "】": ")", "〕": ")", "]": ")"})
# A NUL or another control character pasted into a label must not hide the label (whitespace goes separately).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_SECTION = re.compile(r"^[一二三四五六七八九十]+[、.]")
_NOTE = re.compile(r"^(备注|填表说明|填报说明|附注|注意)|^(注|说明)([:\d.、]|$)")
_LEADING_NUMBER = re.compile(r"^(\d+[.、)]|\(\d+\))")
_TRAILING_UNIT = re.compile(r"\([^()]*\)$")
_TABLE_NUMBER = re.compile(r"表号\s*[:：]?\s*(R\d+)", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"(\d{4})\s*年度")
_YEAR_TEXT = re.compile(r"(\d{4})(年度?)?")
_SUMMARY_KEYS = {"合计", "总计", "小计"}
_OTHER_LABEL = re.compile(r"^[^\d\s:]\S{0,11}:")  # "模板版本：2021.1" is another label, not a value
_YEAR_LABEL = "报表年度"
_YEAR = "__year__"
_KEY, _REMARK = "__key__", "__remark__"
_TITLE_ROWS = 20
_TITLE_MAX_CHARS = 60  # titles, 表号 and the year sit at the top of a sheet
_NAME_MAX_CHARS = 24  # the longest unit name in the registry has 16 characters; a longer key is a line of a note
_SENTENCE = re.compile(r"[,;:!?。、]")  # after NFKC: sentence punctuation no unit name contains
_CONTINUED = re.compile(r"^续表:?|\(续表?\)$|续表?$")
# A value column headed by the year instead of 本年数: 2026年, 2026年度, 2026年数 (本年度/今年 are catalog aliases)
_YEAR_HEADER = re.compile(r"(\d{4})年度?(数|数值|数据|实际数?)?")
# Text that is a figure rather than words: 12, 1,234.5, 3万, 约120, 85000元, 12.5%, 2024年5月12日
_FIGURE_TEXT = re.compile(
    r"[约近超逾]?[-+]?\d[\d,.]*(%|万|亿|人次|[万千百]?[元人个次项名家期分])?|\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?"
)


class LocatedCell(NamedTuple):  # a named tuple: a return has thousands, and a tuple is built faster than a dataclass
    raw: object  # value as read (before normalisation)
    sheet: str
    cell: str  # A1


# Builds a LocatedCell from (raw, sheet, cell) without the Python-level __new__ a named tuple class generates, which
# costs as much again as the tuple: the same object, for the cells of every row of every table.
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class LocatedRecord:
    key: LocatedCell  # county / inspected unit name as typed
    values: dict[str, LocatedCell]  # indicator code -> cell
    remark: LocatedCell | None
    row_number: int  # 1-based Excel row


@dataclass(frozen=True)
class LocatedReturn:
    file_name: str
    return_code: str
    year: int | None
    year_source: LocatedCell | None
    header: dict[str, LocatedCell]  # header fields whose label was found (raw None when left empty)
    values: dict[str, LocatedCell]  # indicator code -> value cell of indicator_list tables (empty ones too)
    remarks: dict[str, LocatedCell]  # indicator code -> non-empty 说明 cell
    records: dict[str, tuple[LocatedRecord, ...]]
    tables_found: tuple[str, ...]
    issues: tuple[Issue, ...]


# -- text matching ---------------------------------------------------------------------------------------------------


def _key(value: object) -> str:
    """Comparable form of a cell text; "" for anything that is not text."""
    if not isinstance(value, str):
        return ""
    return _text_key(value)


# The same labels recur in every return of a batch: each distinct text is keyed once.
@functools.lru_cache(maxsize=65536)
def _text_key(value: str) -> str:
    if not unicodedata.is_normalized("NFKC", value):  # a C check; most cells are already normal
        value = unicodedata.normalize("NFKC", value)
    text = "".join(_CONTROL_CHARACTERS.sub("", value).translate(_BRACKETS).split())
    return text.strip("*※").rstrip(":")


@functools.lru_cache(maxsize=65536)
def _loose(key: str) -> str:
    return _TRAILING_UNIT.sub("", _LEADING_NUMBER.sub("", key).removeprefix("其中:"))


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Names:
    """Spellings -> code. An exact spelling wins over a loose one; a spelling shared by two codes matches neither."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        exact: dict[str, set[str]] = {}
        loose: dict[str, set[str]] = {}
        for code, spellings in entries:
            for spelling in spellings:
                key = _key(spelling)
                exact.setdefault(key, set()).add(code)
                loose.setdefault(_loose(key), set()).add(code)
        self._exact = {k: next(iter(c)) for k, c in exact.items() if k and len(c) == 1}
        self._loose = {k: next(iter(c)) for k, c in loose.items() if k and len(c) == 1}
        self.codes = frozenset(self._exact.values()) | frozenset(self._loose.values())  # every code match can give
        # Header and label rows repeat from one return to the next: each distinct row is matched once.
        self.rows: dict[tuple[str, ...], dict[str, int]] = {}

    def match(self, key: str) -> str | None:
        if not key:
            return None
        return self._exact.get(key) or self._loose.get(_loose(key))


@dataclass
class _Index:
    """The catalog's texts, prepared for matching."""

    catalog: Catalog
    list_columns: _Names
    labels: dict[str, _Names]  # indicator_list table -> its indicators
    columns: dict[str, _Names]  # records table -> its indicators, key and remark
    distinct: dict[str, set[str]]  # records table -> indicators no sibling table has
    header: _Names
    header_pattern: re.Pattern[str]
    titles: set[str]
    indicators: dict[str, tuple[Indicator, ...]]  # table -> its indicators (the catalog scans all of them per ask)
    tables: dict[str, tuple[Table, ...]]  # return type -> its tables
    # cell text -> the header labels it holds (_label_parts); the same texts recur in every return of a batch
    label_parts: dict[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    # a row's texts -> its indicator-list roles (_list_roles)
    list_roles: dict[tuple[str, ...], dict[str, int]] = field(default_factory=dict)
    # a row's texts -> what header it could be and whether it starts something else (_row_facts)
    row_facts: dict[tuple[str, ...], _RowFacts] = field(default_factory=dict)
    # a row's values -> the header labels it holds (_row_labels)
    row_labels: dict[tuple[object, ...], tuple[tuple[int, str, str | None], ...]] = field(default_factory=dict)
    # a sheet's rows -> what they make of it (_SheetFacts); a template's notes and code lists recur in every return
    sheets: dict[tuple[tuple[object, ...], ...], _SheetFacts] = field(default_factory=dict)


# One index per catalog object: a Reference (and so its catalog) is built once per settings version, so a batch
# and every later batch under the same settings share the index instead of rebuilding it for each file.
_INDEXES: dict[int, tuple[weakref.ref[Catalog], _Index]] = {}


def _index(catalog: Catalog) -> _Index:
    cached = _INDEXES.get(id(catalog))
    if cached is not None and cached[0]() is catalog:
        return cached[1]
    index = _build_index(catalog)
    for key in [k for k, (ref, _) in _INDEXES.items() if ref() is None]:  # catalogs since dropped
        del _INDEXES[key]
    _INDEXES[id(catalog)] = (weakref.ref(catalog), index)
    return index


def _build_index(catalog: Catalog) -> _Index:
    list_columns = _Names((role, (spec.name, *spec.aliases)) for role, spec in catalog.indicator_list_columns.items())
    labels, columns, distinct = {}, {}, {}
    remark = catalog.records_columns["remark"]
    for table in catalog.tables.values():
        indicators = catalog.indicators_of_table(table.code)
        entries = [(i.code, (i.name, i.label_with_unit, *i.aliases)) for i in indicators]
        if table.kind == "indicator_list":
            labels[table.code] = _Names(entries)
            continue
        assert table.key is not None  # the catalog loader requires a key on every records table
        columns[table.code] = _Names(
            [*entries, (_KEY, (table.key.name, *table.key.aliases)), (_REMARK, (remark.name, *remark.aliases))]
        )
        siblings = {
            i.name
            for t in catalog.tables_of_return(table.return_code)
            if t.code != table.code
            for i in catalog.indicators_of_table(t.code)
        }
        distinct[table.code] = {i.code for i in indicators if i.name not in siblings}
    header_entries = [(f.code, (f.name, *f.aliases)) for f in catalog.header_block] + [(_YEAR, (_YEAR_LABEL,))]
    spellings = sorted({s for _, names in header_entries for s in names}, key=len, reverse=True)
    # A short bracketed qualifier may sit between label and colon: 填报单位（公章）：…
    pattern = re.compile(
        r"(?:^|(?<=\s))(" + "|".join(_tolerant(s) for s in spellings) + r")\s*"
        r"(?:[（(][^）)]{1,6}[）)])?\s*[:：]"
    )
    return _Index(
        catalog,
        list_columns,
        labels,
        columns,
        distinct,
        _Names(header_entries),
        pattern,
        {_key(t.title) for t in catalog.tables.values()},
        {code: catalog.indicators_of_table(code) for code in catalog.tables},
        {code: catalog.tables_of_return(code) for code in catalog.returns},
    )


def _tolerant(label: str) -> str:
    """A regex for a label as people type it: either bracket width, spaces anywhere."""
    classes = {"（": "[（(]", "(": "[（(]", "）": "[）)]", ")": "[）)]"}
    return r"\s*".join(classes.get(ch, re.escape(ch)) for ch in label)


# -- sheets ----------------------------------------------------------------------------------------------------------


class _SheetFacts:
    """What a sheet's cells make of it whatever table is sought: its rows' keys, the rows that may head a table and
    its boundaries, the rows holding anything, its header labels. Only the cells matter, so a sheet met again (a
    template's notes and code lists, in every return of a batch) is worked out once (see _view)."""

    __slots__ = ("keys", "heads", "_content", "_labels")

    def __init__(self, keys: list[tuple[str, ...]], index: _Index) -> None:
        self.keys = keys
        self.heads = _heads(keys, index)
        self._content: tuple[int, ...] | None = None
        self._labels: dict[int, tuple[tuple[int, str, str | None, int], ...]] = {}  # row -> labels_of(row)

    def content(self, rows: tuple[tuple[object, ...], ...]) -> tuple[int, ...]:
        """The rows (1-based, in order) holding a non-blank cell; a text with a key is not blank (whitespace has
        none), and most rows hold one."""
        if self._content is None:
            self._content = tuple(
                row
                for row, (values, keys) in enumerate(zip(rows, self.keys, strict=True), 1)
                if any(keys) or any(v is not None and (not isinstance(v, str) or v.strip()) for v in values)
            )
        return self._content

    def labels_of(
        self, row: int, values: tuple[object, ...], index: _Index
    ) -> tuple[tuple[int, str, str | None, int], ...]:
        """(column, field code, the value typed after the label in its cell, the column of the value) of each header
        label in a row (`values`); the value's column is the label's own when the value is typed in it. Asked only
        of rows outside the located tables, so a table's rows are never looked at for labels."""
        found = self._labels.get(row)
        if found is None:
            keys = self.keys[row - 1]
            labels = index.row_labels.get(values) or _row_labels(values, keys, index)
            found = self._labels[row] = tuple(
                (col, code, text, col if text is not None else _value_column(values, keys, col, index))
                for col, code, text in labels
            )
        return found


@dataclass(eq=False)  # a sheet's view is itself only (sheet names are unique in a workbook)
class _View:
    sheet: SheetData
    keys: list[tuple[str, ...]]
    occupied: set[int] = field(default_factory=set)  # rows belonging to a located table
    facts: _SheetFacts | None = None  # worked out on the first ask, unless the sheet was met before (_view)
    _filled: dict[int, list[tuple[int, object]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.sheet.name

    def ref(self, row: int, col: int) -> LocatedCell:
        return _new_tuple(LocatedCell, (self.sheet.cell(row, col), self.sheet.name, _address(row, col)))

    def key_at(self, row: int, col: int) -> str:
        keys = self.keys[row - 1]
        return keys[col - 1] if col <= len(keys) else ""

    def first_key(self, row: int) -> str:
        return next(filter(None, self.keys[row - 1]), "")

    def filled(self, row: int) -> list[tuple[int, object]]:
        """(column, value) of every non-blank cell of a row; worked out once per row (callers only read it)."""
        found = self._filled.get(row)
        if found is None:  # not _blank(v), spelt out: this runs for every cell of every table's rows
            found = [
                (col, v)
                for col, v in enumerate(self.sheet.rows[row - 1], 1)
                if v is not None and (not isinstance(v, str) or v.strip())
            ]
            self._filled[row] = found
        return found

    def heads(self, index: _Index) -> _Heads:
        """The sheet's possible header rows and boundaries, found in one pass over its rows for every table."""
        return self.sheet_facts(index).heads

    def sheet_facts(self, index: _Index) -> _SheetFacts:
        if self.facts is None:
            self.facts = _SheetFacts(self.keys, index)
        return self.facts

    def has_content(self, row: int) -> bool:
        """Whether a row has a non-blank cell: filled(row) without listing them, stopping at the first."""
        if any(self.keys[row - 1]):  # a text with a key is not blank (whitespace has none); most rows hold one
            return True
        found = self._filled.get(row)
        if found is not None:
            return bool(found)
        return any(v is not None and (not isinstance(v, str) or v.strip()) for v in self.sheet.rows[row - 1])

    def boundaries(self, index: _Index) -> set[int]:
        """Rows that start something else: a table title, a section heading, any table's header row."""
        return self.heads(index).boundaries


@functools.lru_cache(maxsize=65536)  # the same cells (a template's) are addressed in every return
def _address(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _views(workbook: WorkbookData, index: _Index) -> list[_View]:
    ordered = sorted(workbook.sheets, key=lambda s: not s.visible)  # stable: visible first, workbook order kept
    return [_view(s, index) for s in ordered]


_SHEETS_KEPT = 2_000  # distinct sheets whose facts the index keeps; a batch's templates have a few dozen
_KEPT_SHEET_ROWS = 500  # the longest sheet kept (a return's sheets have under 120 rows)


def _view(sheet: SheetData, index: _Index) -> _View:
    """A sheet's view, with the facts of an equal sheet met before. Sheets equal as tuples have the same facts even
    where their numbers differ in type (1 == 1.0): a number's key is "", it is content whatever it is, and it never
    reads as a label (see _row_labels)."""
    facts = index.sheets.get(sheet.rows)
    if facts is None:
        kept = _ROW_KEYS.get  # most rows' keys are kept (_row_keys): looked up here, without a call per row
        keys, short = [], True
        for row in sheet.rows:
            row_keys = kept(row)
            if row_keys is None:
                row_keys = _row_keys(row)
                short = short and row in _ROW_KEYS  # _row_keys keeps exactly the short rows
            keys.append(row_keys)
        facts = _SheetFacts(keys, index)
        # Only short sheets of short rows are kept, so a hostile file's long cells cannot grow the cache.
        if short and len(sheet.rows) <= _KEPT_SHEET_ROWS:
            if len(index.sheets) >= _SHEETS_KEPT:
                index.sheets.clear()
            index.sheets[sheet.rows] = facts
    return _View(sheet, facts.keys, facts=facts)


# A template's rows (titles, headers, labels, notes) recur in every return of a batch: each distinct row is keyed
# once. Rows equal as tuples have the same keys even where their numbers differ in type (1 == 1.0): a number's key
# is "" whatever it is. Only short rows are kept, so a hostile file's long cells cannot grow the cache.
_ROW_KEYS: dict[tuple[object, ...], tuple[str, ...]] = {}
_ROW_KEYS_KEPT = 20_000


def _row_keys(row: tuple[object, ...]) -> tuple[str, ...]:
    keys = _ROW_KEYS.get(row)
    if keys is None:
        # type() rather than isinstance: a cell's text arrives as a plain str, and this runs for every cell read
        keys = tuple([_text_key(v) if type(v) is str else "" for v in row])
        if _short_row(row):
            if len(_ROW_KEYS) >= _ROW_KEYS_KEPT:
                _ROW_KEYS.clear()
            _ROW_KEYS[row] = keys
    return keys


class _RowFacts(NamedTuple):
    """What a row's texts make of it, whatever table is sought: a verdict on the texts alone, kept per distinct row."""

    list_roles: dict[str, int] | None  # its indicator-list roles, when it is an indicator list's header row
    record_keys: tuple[tuple[str, dict[str, int]], ...]  # (records table, _match_row) where it holds the table's key
    boundary: bool  # it starts something else (_row_is_boundary)


_NO_FACTS = _RowFacts(None, (), False)  # most rows: a record, a figure, a note


@dataclass(frozen=True)
class _Heads:
    """A sheet's rows that may head a table, in row order, and its boundaries."""

    lists: tuple[tuple[int, dict[str, int]], ...]  # (row, roles) of every indicator-list header row
    records: dict[str, list[tuple[int, dict[str, int]]]]  # records table -> (row, columns) of each row holding its key
    boundaries: set[int]


def _heads(keys: list[tuple[str, ...]], index: _Index) -> _Heads:
    lists, records, boundaries = [], {}, set()
    kept = index.row_facts.get
    for row, row_keys in enumerate(keys, 1):
        facts = kept(row_keys) or _row_facts(row_keys, index)
        if facts is _NO_FACTS:
            continue
        if facts.list_roles is not None:
            lists.append((row, facts.list_roles))
        for table_code, columns in facts.record_keys:
            records.setdefault(table_code, []).append((row, columns))
        if facts.boundary:
            boundaries.add(row)
    return _Heads(tuple(lists), records, boundaries)


def _row_facts(keys: tuple[str, ...], index: _Index) -> _RowFacts:
    known = index.row_facts.get(keys)
    if known is not None:
        return known
    roles = _list_roles(keys, index)
    record_keys = []
    for table_code, names in index.columns.items():
        columns = _match_row(keys, names)
        if _KEY in columns:
            record_keys.append((table_code, columns))
    facts = _RowFacts(
        roles if "label" in roles and "value" in roles else None,
        tuple(record_keys),
        _row_is_boundary(keys, index),
    )
    if facts == _NO_FACTS:
        facts = _NO_FACTS  # the one object, which _heads passes over by identity
    if _keepable(keys):
        if len(index.row_facts) >= _MATCHED_ROWS_KEPT:
            index.row_facts.clear()
        index.row_facts[keys] = facts
    return facts


def _short_row(row: tuple[object, ...]) -> bool:
    """A row narrow and short enough to be kept as a key of a cache (a template's rows are)."""
    return len(row) <= _KEPT_ROW_CELLS and sum(len(v) for v in row if type(v) is str) <= _KEPT_TEXT_CHARS * 4


def _keepable(keys: tuple[str, ...]) -> bool:
    """A row short enough for the index to keep a verdict on (header and label rows are)."""
    return sum(map(len, keys)) <= _KEPT_TEXT_CHARS * 4


def _row_is_boundary(keys: tuple[str, ...], index: _Index) -> bool:
    first = next((k for k in keys if k), "")
    if _SECTION.match(first) or first in index.titles:
        return True
    roles = _list_roles(keys, index)
    if "label" in roles and "value" in roles:
        return True
    for names in index.columns.values():
        found = _match_row(keys, names)
        if _KEY in found and len(set(found) - {_KEY, _REMARK}) >= 2:
            return True
    return False


def _own_title(key: str, table: Table) -> bool:
    """The table's own title repeated, often marked （续）, where a table goes on after a page break."""
    bare = _CONTINUED.sub("", key)
    return bool(bare) and _SECTION.sub("", bare) == _SECTION.sub("", _key(table.title))


_MATCHED_ROWS_KEPT = 20_000  # per set of names; a batch of returns has a few thousand distinct rows


def _match_row(keys: tuple[str, ...], names: _Names) -> dict[str, int]:
    """code -> 1-based column of its first matching cell (a new dict: callers add to it)."""
    found = names.rows.get(keys)
    if found is None:
        found = {}
        for col, key in enumerate(keys, 1):
            code = names.match(key)
            if code is not None and code not in found:
                found[code] = col
        if _keepable(keys):
            if len(names.rows) >= _MATCHED_ROWS_KEPT:
                names.rows.clear()
            names.rows[keys] = found
    return dict(found)


def _list_roles(keys: tuple[str, ...], index: _Index) -> dict[str, int]:
    """The indicator-list roles of a header row; a value column headed by a year ("2026年度") counts as 本年数.

    When several columns are headed by years (last year's figures kept beside this year's), the latest is 本年数.
    """
    known = index.list_roles.get(keys)
    if known is not None:
        return dict(known)
    roles = _match_row(keys, index.list_columns)
    if "value" not in roles:
        years = [
            (int(m.group(1)), col) for col, key in enumerate(keys, 1) if (m := _YEAR_HEADER.fullmatch(_loose(key)))
        ]
        if years:
            roles["value"] = max(years)[1]
    if _keepable(keys):
        if len(index.list_roles) >= _MATCHED_ROWS_KEPT:
            index.list_roles.clear()
        index.list_roles[keys] = dict(roles)
    return roles


def _is_prose(key: str) -> bool:
    """A line of a note: numbered, a sentence, or longer than any unit's name; never a county or unit name."""
    return bool(_LEADING_NUMBER.match(key) or _SENTENCE.search(key) or len(key) > _NAME_MAX_CHARS)


def _is_annotation(view: _View, row: int, index: _Index) -> bool:
    """A header-block field (填报人、联系电话 …) written under or inside a table; 审核人：… and other signature
    lines hold a colon, so _is_prose takes them for a note."""
    for col, value in view.filled(row):
        if isinstance(value, str):
            key = view.key_at(row, col)
            text = unicodedata.normalize("NFKC", value).strip()
            return index.header.match(key) is not None or bool(index.header_pattern.match(text))
    return False


def _wordy(value: object) -> bool:
    """Blank, or the words of a note (备注：…, a numbered line, a sentence) rather than a figure, a flag or a name."""
    if not isinstance(value, str):
        return value is None
    return _wordy_text(value)


# The same answers and names (是、否、a county) fill the cells of every record: each distinct text is judged once.
@functools.lru_cache(maxsize=65536)
def _wordy_text(value: str) -> bool:
    key = _key(value)
    return not key or bool(_NOTE.match(key)) or _is_prose(key)


def _holds_figure(cells: list[object]) -> bool:
    """Whether any cell holds something other than blanks and a note's words (see _wordy)."""
    return any(raw is not None and (not isinstance(raw, str) or not _wordy_text(raw)) for raw in cells)


def _figure_like(value: object) -> bool:
    """What could be a figure: any number, date or flag, or a text that reads as one ("12", "3万", "2024.5.12")."""
    if not isinstance(value, str):
        return not _blank(value)
    return bool(_FIGURE_TEXT.fullmatch(_key(value)))


# -- tables ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    """One header row of a table and the data rows under it; a table continued after a page break has several."""

    header_row: int
    columns: dict[str, int]
    first_data_row: int


@dataclass
class _Hit:
    table: Table
    view: _View
    segments: list[_Segment]
    values: dict[str, LocatedCell] = field(default_factory=dict)
    remarks: dict[str, LocatedCell] = field(default_factory=dict)
    records: list[LocatedRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)
    # each code's column, the first segment's where several have it; merged once, as the segments are fixed
    columns: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = {}
        for segment in self.segments:
            for code, col in segment.columns.items():
                self.columns.setdefault(code, col)

    @property
    def header_rows(self) -> set[int]:
        return {r for s in self.segments for r in range(s.header_row, s.first_data_row)}

    @property
    def score(self) -> int:
        return len(self.values) + len(self.records) + len(set(self.columns) - {_KEY, _REMARK, "label", "value"})


def _segments(view: _View, table: Table, index: _Index) -> list[_Segment]:
    """Every header row of the table on a sheet, in row order."""
    heads = view.heads(index)
    if table.kind == "indicator_list":
        return [_Segment(row, dict(roles), row + 1) for row, roles in heads.lists]
    names, found = index.columns[table.code], []
    needed = math.ceil(len(index.indicators[table.code]) / 2)
    for row, key_columns in heads.records.get(table.code, ()):
        columns, first_data_row = dict(key_columns), row + 1
        if _count(columns) < needed and row < len(view.keys):  # a two-row header: group titles above names
            below = {**_match_row(view.keys[row], names), **columns}
            if _count(below) > _count(columns):
                columns, first_data_row = below, row + 2
        distinct = index.distinct[table.code]
        if _count(columns) >= needed and (not distinct or distinct & set(columns)):
            found.append(_Segment(row, columns, first_data_row))
    return found


def _count(columns: dict[str, int]) -> int:
    return len(set(columns) - {_KEY, _REMARK})


def _region(hit: _Hit, segment: _Segment, index: _Index) -> Iterator[int]:
    """The non-blank rows under a header, up to what starts something else or the end of the sheet.

    Blank rows never end a table: a page-break gap or a forgotten empty row leaves the rows below in it.
    """
    view, boundaries = hit.view, hit.view.boundaries(index)
    # A boundary is never blank (it holds a key), so the rows with content are the only ones to look at.
    content = view.sheet_facts(index).content(view.sheet.rows)
    for row in content[bisect_left(content, segment.first_data_row) :]:
        if row in boundaries and not _own_title(view.first_key(row), hit.table):
            return
        yield row


def _unrecognised(hit: _Hit, row: int, cells: list[int], why: str, fix: str, file_name: str) -> Issue:
    addresses = "、".join(_address(row, col) for col in cells)
    first = hit.view.ref(row, cells[0])
    return Issue(
        ERROR,
        "unrecognised_row",
        f"表格内第{row}行有内容但无法识别（“{hit.table.title}”表 {addresses}）：{why}",
        fix,
        file_name,
        hit.view.name,
        first.cell,
        _as_text(first.raw),
    )


def _read_list(hit: _Hit, index: _Index, file_name: str) -> _Hit:
    view, names = hit.view, index.labels[hit.table.code]
    sheet_name, sheet_rows = view.name, view.sheet.rows
    value_name = index.catalog.indicator_list_columns["value"].name
    label_name = index.catalog.indicator_list_columns["label"].name
    first_labels: dict[str, tuple[int, int]] = {}  # indicator -> (row, column) of its first row's label
    exact, loose = names._exact.get, names._loose.get  # names.match spelt out below
    for segment in hit.segments:
        label_col, value_col = segment.columns["label"], segment.columns["value"]
        remark_col, seq_col = segment.columns.get("remark"), segment.columns.get("seq")
        for row in _region(hit, segment, index):
            # view.key_at and view.ref spelt out: this runs for every row of every indicator list
            keys, values = view.keys[row - 1], sheet_rows[row - 1]
            label_key = keys[label_col - 1] if label_col <= len(keys) else ""
            code = (exact(label_key) or loose(_loose(label_key))) if label_key else None
            raw = values[value_col - 1] if value_col <= len(values) else None
            if code is None:
                value = _new_tuple(LocatedCell, (raw, sheet_name, _address(row, value_col)))
                label = view.ref(row, label_col)
                first = view.first_key(row)
                noted = bool(_NOTE.match(first)) or _is_annotation(view, row, index)
                if {label_key, first} & _SUMMARY_KEYS:
                    continue  # a total has no indicator of its own; totals are derived from the figures
                if not _blank(value.raw) and label_key and not noted and not _is_prose(label_key):
                    hit.issues.append(
                        Issue(
                            WARNING,
                            "unknown_row",
                            f"“{label.raw}”不是“{hit.table.title}”表的指标，该行数据未读取",
                            "请核对指标名称，使用模板中的原名称",
                            file_name,
                            view.name,
                            label.cell,
                            _as_text(value.raw),
                        )
                    )
                    continue
                stray = [
                    col
                    for col, raw in view.filled(row)
                    if col == value_col or (col > label_col and col != seq_col and _figure_like(raw))
                ]
                if stray:
                    hit.issues.append(
                        _unrecognised(
                            hit,
                            row,
                            stray,
                            f"有数值，但该行没有可识别的{label_name}",
                            f"请在“{label_name}”列填写该数值所属的指标（使用模板中的原名称），"
                            f"把数值填在该指标一行的“{value_name}”列；说明文字请写在“说明”列或表格下方",
                            file_name,
                        )
                    )
                continue  # a note, a heading or a signature line: text only, nothing to load
            if code in first_labels:
                label = view.ref(row, label_col)
                hit.issues.append(
                    Issue(
                        ERROR,
                        "duplicate_indicator",
                        f"指标“{label.raw}”出现了两行（另见 {_address(*first_labels[code])}）",
                        "请删除重复的一行，只保留一个数值",
                        file_name,
                        view.name,
                        label.cell,
                        str(label.raw),
                        index.catalog.indicators[code].name,
                    )
                )
                continue
            first_labels[code] = (row, label_col)
            hit.values[code] = _new_tuple(LocatedCell, (raw, sheet_name, _address(row, value_col)))
            hit.rows.add(row)
            if remark_col is not None and remark_col <= len(values) and not _blank(values[remark_col - 1]):
                hit.remarks[code] = LocatedCell(values[remark_col - 1], sheet_name, _address(row, remark_col))
    return hit


def _read_records(hit: _Hit, index: _Index, file_name: str) -> _Hit:
    view, table = hit.view, hit.table
    sheet_name, sheet_rows = view.name, view.sheet.rows
    assert table.key is not None  # the catalog loader requires a key on every records table
    for segment in hit.segments:
        key_col, remark_col = segment.columns[_KEY], segment.columns.get(_REMARK)
        value_cols = [(c, col) for c, col in segment.columns.items() if c not in (_KEY, _REMARK)]
        header_cols = set(segment.columns.values())
        widest = max(map(len, sheet_rows), default=0)
        other_cols = [col for col in range(1, widest + 1) if col not in header_cols]  # where an unread figure may be
        unread: dict[int, list[int]] = {}  # column without a known header -> record rows with a figure in it
        for row in _region(hit, segment, index):
            # The row's cells are indexed here rather than through view.ref: this runs for every cell of every record.
            values = sheet_rows[row - 1]
            width = len(values)
            key_raw = values[key_col - 1] if key_col <= width else None
            key = _new_tuple(LocatedCell, (key_raw, sheet_name, _address(row, key_col)))
            key_text, first = _key(key.raw), view.first_key(row)
            if key_text in _SUMMARY_KEYS or first in _SUMMARY_KEYS:
                continue  # 合计/小计 rows repeat what the rows above say; the rows after them are read on
            cells = [values[col - 1] if col <= width else None for _, col in value_cols]
            # A note may start in any column; a cell holds a figure unless it is a note's words. A row with a figure is
            # read whatever its first words, so only a row without one is asked whether it is a note.
            if not _holds_figure(cells) and (
                _NOTE.match(first) or _is_annotation(view, row, index) or _is_prose(key_text or first)
            ):
                continue  # a note, its continuation lines, a signature line: text only, nothing to load
            if not _blank(key.raw):
                remark = None
                if remark_col is not None and remark_col <= width and not _blank(values[remark_col - 1]):
                    remark = LocatedCell(values[remark_col - 1], sheet_name, _address(row, remark_col))
                hit.records.append(
                    LocatedRecord(
                        key,
                        {
                            code: _new_tuple(LocatedCell, (raw, sheet_name, _address(row, col)))
                            for (code, col), raw in zip(value_cols, cells, strict=True)
                        },
                        remark,
                        row,
                    )
                )
                hit.rows.add(row)
                for col in other_cols:  # _wordy is true of a blank: as over view.filled(row)
                    if col > width:
                        break
                    if not _wordy(values[col - 1]):
                        unread.setdefault(col, []).append(row)
            elif any(not _blank(raw) for raw in cells):
                hit.issues.append(
                    Issue(
                        ERROR,
                        "missing_key",
                        f"第{row}行填写了数据，但没有填写“{table.key.name}”",
                        f"请在该行填写{table.key.name}，或删除该行",
                        file_name,
                        view.name,
                        key.cell,
                    )
                )
            elif stray := [col for col, raw in view.filled(row) if _figure_like(raw)]:
                hit.issues.append(
                    _unrecognised(
                        hit,
                        row,
                        stray,
                        f"有数值，但既没有填写“{table.key.name}”，也不在该表的任何数据列中",
                        f"请在“{table.key.name}”列填写该行所属的单位，并把数值移到表头对应的列；不需要的请删除",
                        file_name,
                    )
                )
        hit.issues.extend(_unread_column(hit, segment, col, rows, file_name) for col, rows in sorted(unread.items()))
    return hit


def _unread_column(hit: _Hit, segment: _Segment, col: int, rows: list[int], file_name: str) -> Issue:
    header = hit.view.ref(segment.header_row, col)
    cells = "、".join(_address(row, col) for row in rows)
    heading = f"表头“{_as_text(header.raw)}”" if not _blank(header.raw) else "表头为空"
    return Issue(
        WARNING,
        "unknown_column",
        f"“{hit.table.title}”表 {get_column_letter(col)} 列（{heading}）不是该表的列，其中 {cells} 的数据未读取",
        "请把数据移到表头对应的列，或把表头改为模板中的列名；不需要的请删除",
        file_name,
        hit.view.name,
        header.cell,
        _as_text(header.raw),
    )


def _find_table(views: list[_View], table: Table, index: _Index, file_name: str) -> tuple[_Hit | None, list[Issue]]:
    """The best match: on a visible sheet unless only a hidden one holds the table's rows.

    Every header of the table on one sheet belongs to it (a table continued after a page break repeats its header);
    rows read twice that way are reported as duplicates by the validator rather than dropped.
    """
    hits = []
    for view in views:
        segments = _segments(view, table, index)
        if segments:
            hit = _Hit(table, view, segments)
            hits.append(
                _read_list(hit, index, file_name)
                if table.kind == "indicator_list"
                else _read_records(hit, index, file_name)
            )
    if not hits:
        return None, []
    # A header with data beats an empty one; then visible beats hidden; then more found, the catalog's sheet, order.
    best = max(
        hits,
        key=lambda h: (h.score > 0, h.view.sheet.visible, h.score, h.view.name == table.sheet, -views.index(h.view)),
    )
    visible = [h for h in hits if h.view.sheet.visible]
    issues = []
    others = sorted({h.view.name for h in visible if h.view is not best.view and h.score})
    if others and best.score:
        issues.append(
            Issue(
                WARNING,
                "duplicate_table",
                f"“{table.title}”表在工作表“{best.view.name}”和“{'、'.join(others)}”中都出现，已读取“{best.view.name}”",
                "请删除多余的工作表或表格，只保留要报送的一份",
                file_name,
                best.view.name,
            )
        )
    if not best.view.sheet.visible:
        issues.append(
            Issue(
                WARNING,
                "hidden_sheet",
                f"“{table.title}”表位于隐藏的工作表“{best.view.name}”中，已按该表读取",
                "请取消隐藏该工作表并核对数据是否为本次要报送的",
                file_name,
                best.view.name,
            )
        )
    return best, issues


def _missing_issues(hit: _Hit, index: _Index, file_name: str) -> list[Issue]:
    table, issues = hit.table, []
    for indicator in index.indicators[table.code]:
        severity = ERROR if indicator.required else WARNING
        if table.kind == "indicator_list" and indicator.code not in hit.values:
            value_name = index.catalog.indicator_list_columns["value"].name
            issues.append(
                Issue(
                    severity,
                    "missing_indicator",
                    f"“{table.title}”表中找不到指标“{indicator.name}”这一行",
                    f"请在该表中恢复指标名称为“{indicator.name}”的一行，并在“{value_name}”列填写",
                    file_name,
                    hit.view.name,
                    indicator=indicator.name,
                )
            )
        elif table.kind == "records" and indicator.code not in hit.columns:
            issues.append(
                Issue(
                    severity,
                    "missing_column",
                    f"“{table.title}”表缺少“{indicator.label_with_unit}”列",
                    f"请在表头行恢复“{indicator.label_with_unit}”列，并逐行填写",
                    file_name,
                    hit.view.name,
                    indicator=indicator.name,
                )
            )
    return issues


def _value_header_year(hit: _Hit, year: int | None, index: _Index, file_name: str) -> list[Issue]:
    """A value column headed by another year than the return's: read as 本年数, and the submitter is asked to check."""
    issues = []
    value_name = index.catalog.indicator_list_columns["value"].name
    for segment in hit.segments if hit.table.kind == "indicator_list" else ():
        header = hit.view.ref(segment.header_row, segment.columns["value"])
        match = _YEAR_HEADER.fullmatch(_loose(_key(header.raw)))
        if year is not None and match and int(match.group(1)) != year:
            issues.append(
                Issue(
                    WARNING,
                    "value_header_year",
                    f"“{hit.table.title}”表的数值列表头是“{header.raw}”，与报表年度{year}年不一致，已按{value_name}读取",
                    f"请核对该列是否为{year}年的数据，并把表头改为“{value_name}”",
                    file_name,
                    header.sheet,
                    header.cell,
                    _as_text(header.raw),
                )
            )
    return issues


def _expected_header(table: Table, index: _Index) -> str:
    if table.kind == "records" and table.key is not None:
        return f"{table.key.name} …"
    return "、".join(spec.name for spec in index.catalog.indicator_list_columns.values())


def _closest_header(table: Table, index: _Index, views: list[_View]) -> tuple[_View, int, int, str] | None:
    """The row most like the table's header on a visible sheet, and the cell where the unrecognised heading sits.

    Returns (sheet, row, column, the heading expected there). The table's own sheet wins a tie.
    """
    best: tuple[tuple[int, bool, int], tuple[_View, int, int, str]] | None = None
    for order, view in enumerate(v for v in views if v.sheet.visible):
        for row, keys in enumerate(view.keys, 1):
            if table.kind == "indicator_list":
                roles = _list_roles(keys, index)
                missing = [role for role in ("label", "value") if role not in roles]
                if not missing or not {"label", "value"} & set(roles):
                    continue
                expected = index.catalog.indicator_list_columns[missing[0]].name
                if missing[0] == "label":
                    before = roles["value"]
                    col = _pick(view, row, roles, range(1, before), roles.get("seq", before - 3) + 1)
                else:
                    after = max(roles["label"], roles.get("unit", 0)) + 1
                    col = _pick(view, row, roles, range(after, max(len(keys), after) + 1), after)
            else:
                assert table.key is not None
                roles = _match_row(keys, index.columns[table.code])
                if _KEY not in roles and _count(roles) < 2:
                    continue  # one indicator's name in a row is a mention (填表说明), not a header
                absent = [i for i in index.indicators[table.code] if i.code not in roles]
                if _KEY not in roles:
                    expected = table.key.name
                    col = _pick(view, row, roles, range(1, len(keys) + 1), 1)
                elif absent:
                    expected = absent[0].label_with_unit
                    col = _pick(view, row, roles, range(roles[_KEY] + 1, len(keys) + 2), roles[_KEY] + 1)
                else:
                    continue
            rank = (len(roles), view.name == table.sheet, -order)
            if best is None or rank > best[0]:
                best = rank, (view, row, col, expected)
    return best[1] if best else None


def _pick(view: _View, row: int, roles: dict[str, int], columns: range, fallback: int) -> int:
    """The first unrecognised heading among `columns`; else the blank cell where it belongs."""
    taken = set(roles.values())
    for col in columns:
        if col not in taken and not _blank(view.sheet.cell(row, col)):
            return col
    return max(fallback, 1)


def _missing_table(table: Table, index: _Index, views: list[_View], file_name: str) -> Issue:
    header = _expected_header(table, index)
    closest = _closest_header(table, index, views)
    if closest is None:
        sheet = table.sheet if any(v.name == table.sheet for v in views) else ""
        return Issue(
            ERROR,
            "missing_table",
            f"未找到“{table.title}”表",
            f"请使用本年度模板，保留表头行“{header}”",
            file_name,
            sheet,
        )
    view, row, col, expected = closest
    found = view.ref(row, col)
    if _blank(found.raw):
        message = f"未找到“{table.title}”表：工作表“{view.name}”第{row}行最接近该表的表头，但缺少“{expected}”"
        fix = f"请在 {found.cell} 填写“{expected}”（表头行应为“{header}”）"
    else:
        message = (
            f"未找到“{table.title}”表：工作表“{view.name}”中 {found.cell} 的“{_as_text(found.raw)}”最接近该表的表头，"
            f"但无法识别为“{expected}”"
        )
        fix = f"请把 {found.cell} 改为“{expected}”（表头行应为“{header}”）"
    return Issue(ERROR, "missing_table", message, fix, file_name, view.name, found.cell, _as_text(found.raw))


# -- return type, header block, year -------------------------------------------------------------------------------


def _top_texts(views: list[_View]) -> Iterator[tuple[_View, int, int, str]]:
    for view in views:
        for row, values in enumerate(view.sheet.rows[:_TITLE_ROWS], 1):
            for col, value in enumerate(values, 1):
                if isinstance(value, str) and value.strip():
                    yield view, row, col, value


def _identify(
    workbook: WorkbookData,
    views: list[_View],
    index: _Index,
    found: dict[str, dict[str, tuple[_Hit | None, list[Issue]]]],
) -> str | None:
    """Property return_code, else a 表号 cell, else a return's name in a title, else whose tables are present."""
    returns = index.catalog.returns
    code = workbook.properties.get("return_code", "").strip().upper()
    if code in returns:
        return code
    for _, _, _, text in _top_texts(views):
        match = _TABLE_NUMBER.search(unicodedata.normalize("NFKC", text))
        if match and match.group(1).upper() in returns:
            return match.group(1).upper()
    names = sorted(returns.values(), key=lambda r: len(r.name), reverse=True)
    for _, _, _, text in _top_texts(views):
        for return_type in names:
            if _key(return_type.name) in _key(text):
                return return_type.code
    scores = {}
    for return_code in returns:
        found[return_code] = {
            t.code: _find_table(views, t, index, workbook.file_name) for t in index.tables[return_code]
        }
        scores[return_code] = sum(hit.score for hit, _ in found[return_code].values() if hit is not None)
    best = max(scores.values(), default=0)
    winners = [c for c, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _labels(view: _View, index: _Index) -> Iterator[tuple[str, LocatedCell]]:
    """(field code, value cell) for every header label on a sheet, outside the located tables."""
    occupied, name, facts = view.occupied, view.name, view.sheet_facts(index)
    for row, values in enumerate(view.sheet.rows, 1):
        if row in occupied:
            continue
        for col, code, text, value_col in facts.labels_of(row, values, index):
            if text is None:
                raw = values[value_col - 1] if value_col <= len(values) else None
                yield code, _new_tuple(LocatedCell, (raw, name, _address(row, value_col)))
            else:
                yield code, _new_tuple(LocatedCell, (text, name, _address(row, col)))


def _row_labels(
    values: tuple[object, ...], keys: tuple[str, ...], index: _Index
) -> tuple[tuple[int, str, str | None], ...]:
    """(column, field code, the value typed after the label in its cell) of each header label in a row, as
    _label_parts finds them; worked out once per distinct row (a template's notes and labels recur in every
    return). Only the row's texts matter, so rows equal as tuples (1 == 1.0 …) share their answer rightly."""
    known = index.row_labels.get(values)
    if known is not None:
        return known
    found = tuple(
        (col, code, text)
        for col, (value, key) in enumerate(zip(values, keys, strict=True), 1)
        if key  # not text, or a text of only spaces and marks: no label in it
        for code, text in _label_parts(value, key, index)
    )
    if _short_row(values):
        if len(index.row_labels) >= _MATCHED_ROWS_KEPT:
            index.row_labels.clear()
        index.row_labels[values] = found
    return found


_LABEL_TEXTS_KEPT = 20_000
_KEPT_ROW_CELLS = 64  # the widest row whose keys and labels are kept (a return's sheets have about 12 columns)
_KEPT_TEXT_CHARS = 200  # the longest text (or row of texts) whose verdict the index keeps


def _label_parts(value: str, key: str, index: _Index) -> tuple[tuple[str, str | None], ...]:
    """(field code, the value typed after its label in the same cell) for each header label a cell's text holds;
    None for the value when it sits in a cell to the right. Worked out once per distinct text (``key`` is its
    _key) and kept on the index."""
    known = index.label_parts.get(value)
    if known is not None:
        return known
    code = index.header.match(key)
    parts: list[tuple[str, str | None]] = []
    if code is not None:
        parts.append((code, None))
    else:
        matches = list(index.header_pattern.finditer(value))
        for position, match in enumerate(matches):
            code = index.header.match(_key(match.group(1)))
            if code is None:
                continue
            end = matches[position + 1].start() if position + 1 < len(matches) else len(value)
            text = value[match.end() : end].strip()
            if text:
                parts.append((code, text))
            elif position + 1 == len(matches):
                parts.append((code, None))
    found = tuple(parts)
    if len(value) <= _KEPT_TEXT_CHARS:  # labels are short; a long text (a note, a hostile cell) is not kept
        if len(index.label_parts) >= _LABEL_TEXTS_KEPT:
            index.label_parts.clear()
        index.label_parts[value] = found
    return found


def _value_column(values: tuple[object, ...], keys: tuple[str, ...], col: int, index: _Index) -> int:
    """The column of a label's value: the next non-empty cell to the right, unless it is another label (then the
    field is empty, and its cell the one right of the label)."""
    for right in range(col + 1, len(values) + 1):
        if _blank(values[right - 1]):
            continue
        text = unicodedata.normalize("NFKC", str(values[right - 1])).strip()
        if index.header.match(keys[right - 1]) is not None or _OTHER_LABEL.match(text):
            break
        return right
    return col + 1


def _header_fields(views: list[_View], index: _Index) -> dict[str, LocatedCell]:
    """Each label from the first sheet (in search order) that has it: its first filled occurrence there."""
    fields: dict[str, LocatedCell] = {}
    for view in views:
        if len(fields) == len(index.header.codes):
            break  # every label found: a later sheet could only repeat them
        here: dict[str, LocatedCell] = {}
        for code, cell in _labels(view, index):
            if code not in here or (_blank(here[code].raw) and not _blank(cell.raw)):
                here[code] = cell
        for code, cell in here.items():
            fields.setdefault(code, cell)
    return fields


def _parse_year(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()):
        return int(raw) if 1000 <= raw <= 9999 else None
    if isinstance(raw, str):
        text = "".join(unicodedata.normalize("NFKC", raw).translate(_NUMERALS).split())
        match = _YEAR_TEXT.fullmatch(text)
        return int(match.group(1)) if match else None
    return None


def _is_title(key: str) -> bool:
    """A return's title names a 表 and is one short line, not a numbered paragraph or a note."""
    return "表" in key and len(key) <= _TITLE_MAX_CHARS and not _SECTION.match(key) and not _NOTE.match(key)


def _year(
    workbook: WorkbookData, views: list[_View], year_cell: LocatedCell | None
) -> tuple[int | None, LocatedCell | None]:
    if year_cell is not None and (year := _parse_year(year_cell.raw)) is not None:
        return year, year_cell
    for view, row, col, text in _top_texts(views):
        match = _TITLE_YEAR.search(unicodedata.normalize("NFKC", text).translate(_NUMERALS))
        if match and _is_title(_key(text)):
            return int(match.group(1)), view.ref(row, col)
    stamped = workbook.properties.get("reporting_year", "")
    if (year := _parse_year(stamped)) is not None:
        return year, LocatedCell(stamped, "", "")
    return None, year_cell


# -- the stage -------------------------------------------------------------------------------------------------------


def locate_return(workbook: WorkbookData, catalog: Catalog) -> LocatedReturn:
    """Find the return's tables, header fields and year; raises RejectedFile when the return type is unknowable."""
    index, file_name = _index(catalog), workbook.file_name
    views = _views(workbook, index)
    found: dict[str, dict[str, tuple[_Hit | None, list[Issue]]]] = {}
    return_code = _identify(workbook, views, index, found)
    if return_code is None:
        codes = "、".join(catalog.returns)
        raise RejectedFile(
            [
                Issue(
                    ERROR,
                    "unknown_return_type",
                    "无法识别报表类型：文件中没有表号和报表名称，也找不到任何报表的表头",
                    f"请使用省总工会下发的本年度报表模板（表号 {codes}）填报后重新上传",
                    file_name,
                )
            ]
        )
    tables = found.get(return_code) or {
        t.code: _find_table(views, t, index, file_name) for t in index.tables[return_code]
    }
    issues: list[Issue] = []
    values, remarks, records, tables_found, hits = {}, {}, {}, [], []
    for table in index.tables[return_code]:
        hit, table_issues = tables[table.code]
        issues.extend(table_issues)
        if hit is None:
            if table.required:
                issues.append(_missing_table(table, index, views, file_name))
            continue
        tables_found.append(table.code)
        hits.append(hit)
        hit.view.occupied.update(hit.header_rows | hit.rows)
        issues.extend(hit.issues + _missing_issues(hit, index, file_name))
        values.update(hit.values)
        remarks.update(hit.remarks)
        if table.kind == "records":
            records[table.code] = tuple(hit.records)
    if not tables_found and not any(i.code == "missing_table" for i in issues):
        issues.append(
            Issue(
                ERROR,
                "no_tables",
                f"文件中没有找到《{catalog.returns[return_code].name}》的任何表格",
                "请使用本年度模板填报，保留各表的标题和表头行",
                file_name,
            )
        )
    order = _search_order(views, catalog, return_code)
    header = _header_fields(order, index)
    year, year_source = _year(workbook, order, header.pop(_YEAR, None))
    for hit in hits:
        issues.extend(_value_header_year(hit, year, index, file_name))
    return LocatedReturn(
        file_name, return_code, year, year_source, header, values, remarks, records, tuple(tables_found), tuple(issues)
    )


def _search_order(views: list[_View], catalog: Catalog, return_code: str) -> list[_View]:
    """Sheets holding the return's tables first, then the other visible ones; other hidden sheets never."""
    holding = [v for v in views if v.occupied]
    header_sheets = {s.name for s in catalog.returns[return_code].sheets if s.header_block}
    holding.sort(key=lambda v: v.name not in header_sheets)
    return holding + [v for v in views if v.sheet.visible and v not in holding]
