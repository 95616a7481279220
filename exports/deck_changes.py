"""会议以来变化 as an optional part of the deck (one slide) and of the 情况通报 (section 五): what has changed since a
frozen meeting version, worded once here so that both documents say exactly the same thing.

The comparison itself is exports/changes.py's (both sides judged by the one status engine); this module only
words it and lays it out: the measures whose province-wide status moved (a table: 措施, 会议时, 现在, 变化, 会议时数值,
现在数值), the units that fell behind or caught up, thresholds changed in the catalog, key figures that moved while
the status stayed, and the returns received since the freeze. Long lists name the first few and count the rest.
"""

from __future__ import annotations

from collections import Counter

from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from exports.changes import Changes, StatusMove, UnitMoves, changes_tables
from exports.meetings import MeetingVersion
from exports.pptx_text import MUTED_COLOUR, Cell, Style, add_table, add_text_box, label_line, status_cell
from pipeline.catalog import Catalog
from pipeline.status.model import PROVINCE_SCOPE

Since = tuple[MeetingVersion, Changes]  # since_meeting(...)'s value, as build_deck and build_brief take it

MOVE_HEADER = ["措施", "会议时", "现在", "变化", "会议时数值", "现在数值"]
UNITS_NAMED = 8  # units named in a line of the 情况通报 before "等N个单位"
SLIDE_UNITS_NAMED = 4  # fewer on the slide: five lines of facts must fit under a table of moves
FIGURES_NAMED = 4
FELL_BEHIND, CAUGHT_UP, THRESHOLDS, FIGURES, RECEIVED = (
    "落下来的单位", "赶上来的单位", "判定标准变化", "关键数值变化（状态未变）", "会议以来收到的报表",
)  # fmt: skip
NONE_WORD = "无"


# --- the words, shared by the slide and the 情况通报 -----------------------------------------------------------


def slide_title(meeting: MeetingVersion) -> str:
    return f"会议以来变化（与会议版“{meeting.name}”相比）"


VERSION_PREFIX = "数据版本："


def version_words(version_text: str) -> str:
    """截至第121号报送（最近接收 …）: a data version without its label, inside a sentence."""
    return version_text.removeprefix(VERSION_PREFIX)


def comparison_text(meeting: MeetingVersion, now_version_text: str) -> str:
    """Which two data versions are compared: the meeting's frozen one and today's."""
    then, now = version_words(meeting.version_text), version_words(now_version_text)
    return f"会议时：{meeting.label}，数据{then}；现在：数据{now}。"


def nothing_text(changes: Changes) -> str:
    return f"会议以来，{changes.year}年度各项措施的落实状态、关键数值和判定标准都没有变化，也没有收到新的报表。"


def measure_rows(changes: Changes, catalog: Catalog) -> list[list[str]]:
    """The province-wide status moves as MOVE_HEADER rows (exports.changes' table without its 全省 column)."""
    table = changes_tables(changes, catalog)["措施状态变化"].drop(columns=["单位"])
    assert list(table.columns) == MOVE_HEADER, table.columns
    return [[str(v) for v in row] for row in table.values.tolist()]


def _move_clause(move: StatusMove, catalog: Catalog) -> str:
    # Words between the figures, not an arrow: a 公文 line may break there, and justified text stays even.
    figures = f"，数值从{move.metric_before}变为{move.metric_after}" if move.metric_before != move.metric_after else ""
    name = catalog.measure(move.measure).short_name
    return f"第{move.measure}条（{name}）由{move.before}变为{move.after}（{move.direction}{figures}）"


def measures_sentence(changes: Changes, catalog: Catalog) -> str:
    if not changes.measures:
        return "会议以来，各项措施的全省状态没有变化。"
    clauses = "；".join(_move_clause(m, catalog) for m in changes.measures)
    return f"会议以来，{len(changes.measures)}条措施的全省状态发生变化：{clauses}。"


def _named(names: list[str], limit: int, unit_word: str = "个单位") -> str:
    if len(names) <= limit:
        return "、".join(names)
    return f"{'、'.join(names[:limit])}等{len(names)}{unit_word}"


def units_text(groups: tuple[UnitMoves, ...], limit: int = UNITS_NAMED) -> str:
    """省金融工会（第5条）、汉中市（第3、9条）… or 无."""
    parts = [f"{g.unit_name}（第{'、'.join(str(n) for n in g.measures)}条）" for g in groups]
    return _named(parts, limit) if parts else NONE_WORD


def thresholds_text(changes: Changes) -> str:
    parts = [f"第{t.measure}条由“{t.before}”改为“{t.after}”" for t in changes.thresholds]
    return "；".join(parts) if parts else NONE_WORD


def figures_text(changes: Changes) -> str:
    """Key figures that moved while the status stayed: the province-wide ones named, the units' counted (their
    status moves are in the fell-behind and caught-up lines already)."""
    moved = {(m.measure, m.unit_code) for m in (*changes.measures, *changes.units)}
    quiet = [f for f in changes.figures if (f.measure, f.unit_code) not in moved]
    province = [f"第{f.measure}条{f.metric_name}{f.before_text}→{f.after_text}" for f in quiet
                if f.unit_code == PROVINCE_SCOPE]  # fmt: skip
    units = [f for f in quiet if f.unit_code != PROVINCE_SCOPE]
    parts = [_named(province, FIGURES_NAMED, "项")] if province else []
    if units:
        parts.append(f"{len({f.unit_code for f in units})}个单位的数值有变化")
    return "；".join(parts) if parts else NONE_WORD


def received_text(changes: Changes, limit: int = UNITS_NAMED) -> str:
    """1份（已接收1份）：陕西省金融工会 — the files recorded after the freeze, accepted or not."""
    if not changes.received:
        return NONE_WORD
    states = Counter(r.state for r in changes.received)
    names = list(dict.fromkeys(r.unit_name for r in changes.received))
    counts = "、".join(f"{state}{count}份" for state, count in states.items())
    return f"{len(changes.received)}份（{counts}），来自{_named(names, limit)}"


def fact_lines(changes: Changes, named: int = UNITS_NAMED) -> list[tuple[str, str]]:
    """(label, text) in the order a reader wants them, after the measures' own moves; ``named``: how many units a
    list names before counting the rest."""
    return [
        (FELL_BEHIND, units_text(changes.fell_behind, named)),
        (CAUGHT_UP, units_text(changes.caught_up, named)),
        (THRESHOLDS, thresholds_text(changes)),
        (FIGURES, figures_text(changes)),
        (RECEIVED, received_text(changes, named)),
    ]


# --- the slide ------------------------------------------------------------------------------------------------

TABLE_ROWS = 5  # measure moves shown on the slide; the rest are counted under the table
ROW_HEIGHT = Inches(0.36)
MOVE_WIDTHS = [4.4, 1.1, 1.1, 1.3, 1.6, 1.6]


def fill_slide(slide, left, top, width, height, since: Since, catalog: Catalog, now_version_text: str) -> None:
    """The body of the 会议以来变化 slide inside the box given (the deck draws the title, footer and demo label)."""
    meeting, changes = since
    bottom = top + height
    add_text_box(slide, left, top, width, Inches(0.4), [comparison_text(meeting, now_version_text)],
                 Style(12, colour=MUTED_COLOUR))  # fmt: skip
    top += Inches(0.5)
    if changes.nothing:
        add_text_box(slide, left, top + Inches(0.4), width, Inches(1.0), [nothing_text(changes)], Style(22, bold=True))
        return
    rows = measure_rows(changes, catalog)
    if rows:
        shown = [
            [Cell(measure), status_cell(before), status_cell(after), Cell(word, bold=True, align=PP_ALIGN.CENTER),
             Cell(then, align=PP_ALIGN.CENTER), Cell(now, align=PP_ALIGN.CENTER)]
            for measure, before, after, word, then, now in rows[:TABLE_ROWS]
        ]  # fmt: skip
        add_table(slide, left, top, width, MOVE_HEADER, shown, MOVE_WIDTHS, size=13, row_height=ROW_HEIGHT)
        top += ROW_HEIGHT * (len(shown) + 1) + Inches(0.1)
        if len(rows) > len(shown):
            more = f"另有{len(rows) - len(shown)}条措施的状态有变化，见看板“会议以来变化”页面。"
            add_text_box(slide, left, top, width, Inches(0.35), [more], Style(12, colour=MUTED_COLOUR))
            top += Inches(0.35)
    else:
        add_text_box(slide, left, top, width, Inches(0.45), [measures_sentence(changes, catalog)], Style(16, True))
        top += Inches(0.5)
    body = Style(14)
    lines = [label_line(label, text, body) for label, text in fact_lines(changes, SLIDE_UNITS_NAMED)]
    add_text_box(slide, left, top + Inches(0.1), width, bottom - top - Inches(0.1), lines, body, space_after=6)
