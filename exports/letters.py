"""催报函: a short formal letter (Word, 公文 layout) to each unit that has not submitted a year's return.

The units, their situation and their contact come from the 催报名单 (queries.submissions.chase_list): units with
no accepted return, or only rejected files. The deadline is the catalog's (queries.submissions.deadline). All
letters in one document (each in its own section, numbered from page 1), or one .docx per unit in a zip.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from exports.brief import DEFAULT_LAYOUT, NOTICE, add_closing, demo_label
from exports.docx_layout import (
    DEMO_MARK,
    TITLE,
    BriefLayout,
    add_paragraph,
    new_document,
    start_new_section,
    to_bytes,
)
from pipeline.registry import Unit
from pipeline.status.format import day
from queries.board import StatusBook
from queries.submissions import chase_list, deadline, return_label
from queries.warehouse import warehouse_summary


@dataclass(frozen=True)
class OwedReturn:
    label: str  # R1 市（区）总工会年度报表
    situation: str  # 逾期未报送 / 仅有被退回的文件 …
    remark: str  # the 催报名单's 备注: the deadline, or why the files were rejected
    measures: str  # the measures the return carries: 第3条、第6条、第8条


@dataclass(frozen=True)
class ChaseLetter:
    unit: Unit
    year: int
    due: date
    owed: tuple[OwedReturn, ...]
    submitter: str | None  # who filled the unit's most recent return
    phone: str | None
    last_received: date | None


def _measures_of(book: StatusBook, return_code: str) -> str:
    # "第5条、第7条" rather than "第5、7条": a line may break after each "、" only when a character follows it.
    numbers = {i.measure for i in book.catalog.indicators.values() if i.return_code == return_code}
    return "、".join(f"第{n}条" for n in sorted(numbers))


def _text(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def chase_letters(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    return_code: str | None = None,
    *,
    units: Iterable[str] | None = None,
    today: date | None = None,
) -> list[ChaseLetter]:
    """One letter per unit on the year's 催报名单 (of one return type, or all), in the registry's order."""
    today = today or date.today()
    scope = frozenset(units) if units is not None else None
    table = chase_list(con, year, book.registry, book.catalog, unit_codes=scope, today=today)
    labels = {return_label(book.catalog, code): code for code in book.catalog.returns}
    if return_code is not None:
        table = table[table["报表"] == return_label(book.catalog, return_code)]
    by_name = {u.name: u for u in book.registry.units}
    letters = []
    for name, rows in table.groupby("单位", sort=False):
        first = rows.iloc[0]
        owed = tuple(
            OwedReturn(row["报表"], row["情况"], row["备注"], _measures_of(book, labels[row["报表"]]))
            for _, row in rows.iterrows()
        )
        received = first["最近报送时间"]
        letters.append(
            ChaseLetter(
                unit=by_name[name],
                year=year,
                due=deadline(book.catalog, year),
                owed=owed,
                submitter=_text(first["最近一次报送的填报人"]),
                phone=_text(first["联系电话"]),
                last_received=None if pd.isna(received) else pd.Timestamp(received).date(),
            )
        )
    order = {u.code: i for i, u in enumerate(book.registry.units)}
    return sorted(letters, key=lambda letter: order[letter.unit.code])


def letter_title(year: int) -> str:
    return f"关于催报{year}年度产业工会工作年度报表的函"


def _write_letter(doc, book: StatusBook, letter: ChaseLetter, issued_on: date, *, demo: bool) -> None:
    if demo:
        add_paragraph(doc, f"{demo_label(book)}本函由演示数据生成，不是真实催报", DEMO_MARK, indent=False)
    add_paragraph(doc, letter_title(letter.year), TITLE, indent=False)
    add_paragraph(doc, "", indent=False)
    add_paragraph(doc, f"{letter.unit.name}：", indent=False)
    add_paragraph(
        doc,
        f"根据{NOTICE}和年度报送安排，{letter.year}年度报表应于{day(letter.due)}前报送省总工会产业工会工作部。"
        f"截至{day(issued_on)}，我部尚未收到贵单位的下列报表：",
    )
    for n, owed in enumerate(letter.owed, 1):
        add_paragraph(doc, f"{n}．{owed.label}（涉及{owed.measures}措施）：{owed.situation}；{owed.remark}。")
    add_paragraph(
        doc,
        "请按报表模板尽快填报并报送。未报送期间，贵单位在看板和情况通报的相关措施中显示为“未报送”；"
        "如已报送，请与我部核对。",
    )
    if letter.phone:
        since = f"，{day(letter.last_received)}报送" if letter.last_received else ""
        who = letter.submitter or "（未填写）"
        add_paragraph(doc, f"贵单位最近一次报送的填报人：{who}，联系电话：{letter.phone}{since}。")
    else:
        add_paragraph(doc, "贵单位无历史报送记录，请告知本年度报表的填报人和联系电话。")
    add_paragraph(doc, f"联系人：{book.catalog.reporting.contact}。")
    add_closing(doc, issued_on)


def _document(book: StatusBook, letters: list[ChaseLetter], year: int, issued_on, layout, *, demo: bool) -> bytes:
    doc = new_document(layout, title=letter_title(year), demo_label=demo_label(book) if demo else None)
    for n, letter in enumerate(letters):
        if n:
            start_new_section(doc)
        _write_letter(doc, book, letter, issued_on, demo=demo)
    if not letters:
        add_paragraph(doc, letter_title(year), TITLE, indent=False)
        add_paragraph(doc, f"{year}年度没有需要催报的单位。")
    return to_bytes(doc)


def build_chase_letters(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    return_code: str | None = None,
    *,
    units: Iterable[str] | None = None,
    demo: bool | None = None,
    layout: BriefLayout = DEFAULT_LAYOUT,
    issued_on: date | None = None,
) -> bytes:
    """Every 催报函 of the year (and return type) in one .docx; demo None = as the warehouse says."""
    issued_on, demo = _dated(con, issued_on, demo)
    letters = chase_letters(con, book, year, return_code, units=units, today=issued_on)
    return _document(book, letters, year, issued_on, layout, demo=demo)


def _dated(con: duckdb.DuckDBPyConnection, issued_on: date | None, demo: bool | None) -> tuple[date, bool]:
    """The letters' date (today unless given) and whether they are demo letters (as the warehouse says unless given)."""
    return issued_on or date.today(), warehouse_summary(con).is_demo if demo is None else demo


def letter_file_name(letter: ChaseLetter, *, demo: bool) -> str:
    name = f"{letter.year}年度催报函_{letter.unit.short_name}.docx"
    return f"演示_{name}" if demo else name


def chase_letters_zip(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    return_code: str | None = None,
    *,
    units: Iterable[str] | None = None,
    demo: bool | None = None,
    layout: BriefLayout = DEFAULT_LAYOUT,
    issued_on: date | None = None,
) -> bytes:
    """One .docx per unit in a zip (file names in Chinese, UTF-8 flagged)."""
    issued_on, demo = _dated(con, issued_on, demo)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for letter in chase_letters(con, book, year, return_code, units=units, today=issued_on):
            archive.writestr(
                letter_file_name(letter, demo=demo), _document(book, [letter], year, issued_on, layout, demo=demo)
            )
    return buffer.getvalue()
