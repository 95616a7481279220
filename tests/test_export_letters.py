"""催报函: one letter per unit on the 催报名单, with the catalog's deadline, what is owed and whom to call."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

from exports.letters import build_chase_letters, chase_letters_zip, letter_title
from pipeline.warehouse import open_reader
from queries.board import StatusBook
from queries.submissions import chase_list, cn_date, deadline
from tests.test_export_brief import style_font_problems

ISSUED = date(2026, 2, 10)


@pytest.fixture(scope="module")
def warehouse(demo_warehouse):
    con = open_reader(demo_warehouse)
    return con, StatusBook.from_warehouse(con)


def letters_of(doc) -> list[list[str]]:
    """The document's text split at each letter's title."""
    letters: list[list[str]] = []
    for paragraph in doc.paragraphs:
        if paragraph.style.name == "公文标题":
            letters.append([])
        if letters:
            letters[-1].append(paragraph.text)
    return letters


def addressee(letter: list[str]) -> str:
    return next(line for line in letter[1:] if line)


def test_a_letter_per_missing_unit_with_deadline_return_and_contact(warehouse):
    con, book = warehouse
    doc = Document(io.BytesIO(build_chase_letters(con, book, 2025, issued_on=ISSUED)))
    chase = chase_list(con, 2025, book.registry, book.catalog, today=ISSUED)
    letters = letters_of(doc)
    assert len(letters) == len(chase) == 2  # the story: 商洛's R1 and 海员建设's R2 for 2025 never arrive
    due = cn_date(deadline(book.catalog, 2025))
    assert due == "2026年1月31日"
    for letter, row in zip(letters, chase.itertuples(index=False), strict=True):
        text = "\n".join(letter)
        assert letter[0] == letter_title(2025)
        assert addressee(letter) == f"{row.单位}："
        assert f"2025年度报表应于{due}前报送" in text
        assert f"{row.报表}（涉及" in text and row.情况 in text
        assert f"填报人：{row.最近一次报送的填报人}，联系电话：{row.联系电话}" in text
    assert "R1 市（区）总工会年度报表（涉及第3条、第6条、第8条措施）：逾期未报送" in "\n".join(letters[0])
    assert addressee(letters[0]) == "商洛市总工会：" and addressee(letters[1]) == "陕西省海员建设工会："
    assert style_font_problems(doc) == []


def test_each_letter_is_its_own_section_numbered_from_one(warehouse):
    con, book = warehouse
    doc = Document(io.BytesIO(build_chase_letters(con, book, 2025, issued_on=ISSUED)))
    assert len(doc.sections) == 2
    restart = doc.sections[1]._sectPr.find(qn("w:pgNumType"))
    assert restart is not None and restart.get(qn("w:start")) == "1"
    assert [round(s.top_margin.mm) for s in doc.sections] == [37, 37]


def test_return_type_and_units_narrow_the_letters(warehouse):
    con, book = warehouse
    only_r1 = letters_of(Document(io.BytesIO(build_chase_letters(con, book, 2025, "R1", issued_on=ISSUED))))
    assert [addressee(letter) for letter in only_r1] == ["商洛市总工会："]
    only_unit = letters_of(Document(io.BytesIO(build_chase_letters(con, book, 2025, units=["I07"], issued_on=ISSUED))))
    assert [addressee(letter) for letter in only_unit] == ["陕西省海员建设工会："]


def test_a_year_with_nothing_to_chase_says_so(warehouse):
    con, book = warehouse
    doc = Document(io.BytesIO(build_chase_letters(con, book, 2024, issued_on=ISSUED)))
    assert "2024年度没有需要催报的单位。" in [p.text for p in doc.paragraphs]


def test_demo_letters_are_labelled(warehouse):
    con, book = warehouse
    doc = Document(io.BytesIO(build_chase_letters(con, book, 2025, issued_on=ISSUED)))  # demo read from warehouse
    assert doc.paragraphs[0].text == "【演示数据】本函由演示数据生成，不是真实催报"
    assert doc.sections[0].header.paragraphs[0].text == "【演示数据】"
    plain = Document(io.BytesIO(build_chase_letters(con, book, 2025, demo=False, issued_on=ISSUED)))
    assert not any("演示数据" in p.text for p in plain.paragraphs)


def test_zip_holds_one_document_per_unit(warehouse):
    con, book = warehouse
    archive = zipfile.ZipFile(io.BytesIO(chase_letters_zip(con, book, 2025, issued_on=ISSUED)))
    assert archive.namelist() == ["演示_2025年度催报函_商洛市.docx", "演示_2025年度催报函_省海员建设工会.docx"]
    for name, unit in zip(archive.namelist(), ["商洛市总工会：", "陕西省海员建设工会："], strict=True):
        letters = letters_of(Document(io.BytesIO(archive.read(name))))
        assert [addressee(letter) for letter in letters] == [unit]
