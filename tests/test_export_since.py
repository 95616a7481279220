"""会议以来变化 in the deck (one slide) and the 情况通报 (section 五): a meeting version is frozen from a copy of the
demo warehouse, then 省金融工会 resubmits its dues (and, in one test, the catalog's 会费收缴率 threshold is raised);
the documents, reopened, list exactly those changes, and without ``since`` they are what they were."""

from __future__ import annotations

import io
import shutil
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from pptx import Presentation

from dashboard.figures import BY_KEY
from dashboard.theme import STATUS_COLOURS
from exports import deck_changes, meetings
from exports.brief import DATA_NOTE, HEADINGS, build_brief, since_heading
from exports.changes import since_meeting
from exports.deck import build_deck
from exports.docx_layout import STATUS_FILLS
from pipeline.catalog import DEFAULT_CATALOG_PATH
from pipeline.warehouse import open_reader
from queries.board import measure_board
from tests.test_export_brief import section_text, style_font_problems, texts
from tests.test_export_deck import _properties_without_ea, fill_hex, slide_text, slide_title
from tests.test_meetings import book_of, raise_m5_threshold, resubmit_dues

NAME, AFTER = "2025年度调度会", "会后复核"
YEAR = 2025
ISSUED = date(2026, 2, 10)
SINCE_TITLE = f"会议以来变化（与会议版“{NAME}”相比）"
M5_ROW = ["第5条　经费收支管理与会费收缴", "达标", "预警", "下滑", "97.1%", "92.3%"]


@pytest.fixture(scope="module")
def world(demo_warehouse, demo_returns, tmp_path_factory):
    """NAME frozen from the demo warehouse; 省金融工会 then resubmits (48.7% collected); AFTER frozen after that."""
    root = tmp_path_factory.mktemp("since")
    live = root / "live.duckdb"
    shutil.copy(demo_warehouse, live)
    meetings.freeze(NAME, warehouse=live, meetings_dir=root / "meetings", year=YEAR)
    resubmit_dues(demo_returns, live, root / "new")
    meetings.freeze(AFTER, warehouse=live, meetings_dir=root / "meetings", year=YEAR)
    con = open_reader(live)
    yield root, live, con, book_of(live)
    con.close()


def _since(world, name: str = NAME, book=None):
    root, _, con, live_book = world
    return since_meeting(name, con, book or live_book, YEAR, meetings_dir=root / "meetings")


def _deck(world, since=None, book=None) -> Presentation:
    _, _, con, live_book = world
    book = book or live_book
    return Presentation(io.BytesIO(build_deck(con, book, YEAR, demo=True, families=(), since=since)))


def _brief(world, since=None, book=None) -> Document:
    _, _, con, live_book = world
    book = book or live_book
    return Document(io.BytesIO(build_brief(con, book, YEAR, demo=True, issued_on=ISSUED, since=since)))


def _since_slide(prs):
    [slide] = [s for s in prs.slides if slide_title(s) == SINCE_TITLE]
    return slide


def _tables(slide) -> list:
    return [shape.table for shape in slide.shapes if shape.has_table]


def _cells(table) -> list[list[str]]:
    return [[cell.text_frame.text for cell in row.cells] for row in table.rows]


def _fact(text: str, label: str) -> str:
    """The value after ``label：`` on its own line of the slide's text."""
    [line] = [line for line in text.splitlines() if line.startswith(f"{label}：")]
    return line.removeprefix(f"{label}：")


# --- the deck ---------------------------------------------------------------------------------------------------


def test_the_slide_comes_before_the_submission_slide_and_nothing_else_moves(world):
    plain, with_since = _deck(world), _deck(world, _since(world))
    titles = [slide_title(s) for s in plain.slides]
    assert SINCE_TITLE not in titles and not any("会议版" in slide_text(s) for s in plain.slides)
    submission = titles.index(f"{YEAR}年度报表报送情况")
    assert [slide_title(s) for s in with_since.slides] == titles[:submission] + [SINCE_TITLE] + titles[submission:]
    others = [s for s in with_since.slides if slide_title(s) != SINCE_TITLE]
    assert [_unnumbered(s) for s in plain.slides] == [_unnumbered(s) for s in others]


def _unnumbered(slide) -> list[str]:
    """A slide's text lines without its page number and the closing slide's 对比的会议版 line."""
    lines = slide_text(slide).splitlines()
    return [line for line in lines if not line.isdigit() and not line.startswith("对比的会议版")]


def test_the_slide_lists_exactly_the_resubmitted_dues(world):
    since = _since(world)
    meeting, changes = since
    slide = _since_slide(_deck(world, since))
    [table] = _tables(slide)
    header, *rows = _cells(table)
    assert header == deck_changes.MOVE_HEADER == ["措施", "会议时", "现在", "变化", "会议时数值", "现在数值"]
    assert rows == [M5_ROW]
    # 会议时 and 现在 are the two status engines' words: the frozen meeting's and today's.
    _, frozen_book = meetings.meeting_book(NAME, world[0] / "meetings")
    then, now = measure_board(frozen_book, YEAR).tiles[4], measure_board(world[3], YEAR).tiles[4]
    assert (then.measure.number, then.status, now.status) == (5, rows[0][1], rows[0][2])
    assert fill_hex(table.cell(1, 1)) == STATUS_COLOURS["达标"] and fill_hex(table.cell(1, 2)) == STATUS_COLOURS["预警"]
    text = slide_text(slide)
    assert _fact(text, "落下来的单位") == "省金融工会（第5条）"
    assert _fact(text, "赶上来的单位") == "无"
    assert _fact(text, "判定标准变化") == "无"
    assert _fact(text, "关键数值变化（状态未变）") == "无"  # 第5条's figures moved with its status
    assert _fact(text, "会议以来收到的报表") == "1份（已接收1份），来自陕西省金融工会"
    assert f"会议时：{meeting.label}，数据截至第121号报送（最近接收 2026-01-29 09:00）" in text
    assert "现在：数据截至第122号报送（最近接收 2026-02-10 09:00）" in text
    assert "【演示数据】" in text
    assert _properties_without_ea(slide.element) == []


def test_the_closing_slide_names_the_meeting_version(world):
    since = _since(world)
    closing = slide_text(_deck(world, since).slides[-1])
    assert f"对比的会议版：{since[0].label}，数据截至第121号报送" in closing


def test_a_raised_threshold_is_on_the_slide_with_the_units_it_moved(world, demo_warehouse, tmp_path):
    catalog = tmp_path / "measures.yaml"
    shutil.copy(DEFAULT_CATALOG_PATH, catalog)
    raise_m5_threshold(catalog, green=0.975)
    book = book_of(world[1], catalog)
    since = _since(world, book=book)
    text = slide_text(_since_slide(_deck(world, since, book=book)))
    assert _fact(text, "判定标准变化") == (
        "第5条由“≥95% 达标，≥85% 预警，否则未达标”改为“≥97.5% 达标，≥85% 预警，否则未达标”"
    )
    rates = BY_KEY["m5_dues_by_union"].series(open_reader(demo_warehouse), years=[YEAR])
    between = set(rates.loc[(rates["rate"] >= 0.95) & (rates["rate"] < 0.975), "unit_code"]) | {"I08"}
    named = [f"{book.registry.get(code).short_name}（第5条）" for code in sorted(between)]
    # The demo has more units in that band than the slide names: the slide names the first few and counts them
    # all; the 情况通报 names every one.
    assert deck_changes.SLIDE_UNITS_NAMED < len(named) <= deck_changes.UNITS_NAMED
    shown = "、".join(named[: deck_changes.SLIDE_UNITS_NAMED])
    assert _fact(text, "落下来的单位") == f"{shown}等{len(named)}个单位"
    doc = _brief(world, since, book)
    section = section_text(doc, since_heading(since[0]), f"{DATA_NOTE}：").splitlines()
    assert f"落下来的单位：{'、'.join(named)}。" in section
    assert (
        "判定标准变化：第5条由“≥95% 达标，≥85% 预警，否则未达标”改为“≥97.5% 达标，≥85% 预警，否则未达标”。" in section
    )


def test_when_nothing_changed_the_slide_says_so_in_one_sentence(world):
    since = _since(world, AFTER)
    assert since[1].nothing
    slide = [s for s in _deck(world, since).slides if slide_title(s) == f"会议以来变化（与会议版“{AFTER}”相比）"][0]
    assert _tables(slide) == []
    text = slide_text(slide)
    assert f"会议以来，{YEAR}年度各项措施的落实状态、关键数值和判定标准都没有变化，也没有收到新的报表。" in text
    assert "落下来的单位" not in text


# --- the 情况通报 --------------------------------------------------------------------------------------------------


def test_the_brief_has_a_fifth_section_after_the_recommendations(world):
    since = _since(world)
    doc = _brief(world, since)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [*HEADINGS, "五、与会议版“2025年度调度会”相比的变化"] == [*HEADINGS, since_heading(since[0])]
    section = section_text(doc, headings[-1], f"{DATA_NOTE}：")
    assert (
        "会议以来，1条措施的全省状态发生变化：第5条（经费收支管理与会费收缴）由达标变为预警（下滑，数值从97.1%变为92.3%）。"
        in section
    )  # noqa: E501
    for line in ("落下来的单位：省金融工会（第5条）。", "赶上来的单位：无。", "判定标准变化：无。",
                 "会议以来收到的报表：1份（已接收1份），来自陕西省金融工会。"):  # fmt: skip
        assert line in section.splitlines()
    table = doc.tables[-1]
    assert len(doc.tables) == 2
    assert [[c.text for c in row.cells] for row in table.rows] == [deck_changes.MOVE_HEADER, M5_ROW]
    # the status cells are tinted like the 18-measure table's
    shading = [table.cell(1, c)._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for c in (1, 2)]
    assert shading == [STATUS_FILLS["达标"], STATUS_FILLS["预警"]]
    note = section_text(doc, f"{DATA_NOTE}：", None)
    assert f"第五部分与{since[0].label}相比，会议版的数据截至第121号报送（最近接收 2026-01-29 09:00）。" in note
    assert style_font_problems(doc) == []


def test_without_since_the_brief_is_unchanged(world):
    since = _since(world)
    plain, with_since = texts(_brief(world)), texts(_brief(world, since))
    assert not any("会议版" in line for line in plain)
    start, end = with_since.index(since_heading(since[0])), with_since.index(f"{DATA_NOTE}：")
    trimmed = with_since[:start] + [line for line in with_since[end:] if not line.startswith("第五部分与会议版")]
    assert trimmed == plain
    assert len(_brief(world).tables) == 1


def test_when_nothing_changed_the_brief_says_so(world):
    since = _since(world, AFTER)
    doc = _brief(world, since)
    section = section_text(doc, since_heading(since[0]), f"{DATA_NOTE}：").splitlines()
    assert section[1:] == [deck_changes.nothing_text(since[1])]
    assert len(doc.tables) == 1
