"""The Word 情况通报 for a year (province-wide) and the 单位情况通报 for one city federation or industry union.

Every figure and status comes from the status engine (queries.board) and the submission tracker
(queries.submissions); the layout is exports.docx_layout's 公文; 四、下一步工作建议 comes from
exports.recommendations' stated rules. Optionally, 五、 says what has changed since a meeting version, in the
deck's words (exports/deck_changes.py). Nothing here grades anything again.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import duckdb

from exports import deck_changes
from exports.docx_layout import (
    DATE_LINE,
    DEMO_MARK,
    SIGNATURE,
    STATUS_FILLS,
    TITLE,
    BriefLayout,
    add_paragraph,
    add_table,
    new_document,
    to_bytes,
)
from exports.recommendations import NOT_SUBMITTED, Finding, recommendations, stated_rules
from pipeline.status.format import day
from pipeline.status.model import AT_RISK, NO_DATA, NOT_DUE, OFF_TRACK, STATUSES, MeasureStatus
from pipeline.status.model import EXPLANATION_LABELS as LABELS
from queries.board import StatusBook, Tile, measure_board, measure_detail, unit_profile
from queries.briefing import SubmissionState, estimated_figures, submission_state
from queries.warehouse import warehouse_summary

HEADINGS = ("一、总体情况", "二、各项措施落实情况", "三、存在的问题", "四、下一步工作建议")
SINCE_TABLE_WIDTHS_MM = (52, 18, 18, 18, 25, 25)
DATA_NOTE = "数据说明"
ISSUER = "陕西省总工会产业工会工作部"
NOTICE = "《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）"
TABLE_HEADER = ("条", "措施", "状态", "关键数据", "较上年")
TABLE_WIDTHS_MM = (12, 66, 20, 36, 22)
CHINESE_NUMBERS = "一二三四五六七八九十"
DEFAULT_LAYOUT = BriefLayout()  # GB/T 9704-2012


def demo_label(book: StatusBook) -> str:
    return f"【{book.catalog.reporting.demo_label}】"


def _second_level(n: int) -> str:
    """（一）…（十）, then （11）: 公文 second-level numbering."""
    return f"（{CHINESE_NUMBERS[n - 1]}）" if n <= len(CHINESE_NUMBERS) else f"（{n}）"


def _counts_text(counts: dict[str, int]) -> str:
    return "、".join(f"{status}{counts.get(status, 0)}项" for status in STATUSES)


def _trend_word(trend: str) -> str:
    return trend.removeprefix("较上年").removeprefix("与上年") or "—"


def since_heading(meeting) -> str:
    return f"五、与会议版“{meeting.name}”相比的变化"


def _since_section(doc, book: StatusBook, since: deck_changes.Since, now_version_text: str) -> None:
    """五、: the deck's 会议以来变化 slide as sentences, with the province-wide status moves as a small table."""
    meeting, changes = since
    add_paragraph(doc, since_heading(meeting), "Heading 1")
    add_paragraph(doc, deck_changes.comparison_text(meeting, now_version_text))
    if changes.nothing:
        add_paragraph(doc, deck_changes.nothing_text(changes))
        return
    add_paragraph(doc, deck_changes.measures_sentence(changes, book.catalog))
    rows = deck_changes.measure_rows(changes, book.catalog)
    if rows:
        fills = [{1: STATUS_FILLS[row[1]], 2: STATUS_FILLS[row[2]]} for row in rows]
        add_table(doc, deck_changes.MOVE_HEADER, rows, SINCE_TABLE_WIDTHS_MM, fills=fills,
                  centred=frozenset({1, 2, 3, 4, 5}))  # fmt: skip
    for label, text in deck_changes.fact_lines(changes):
        add_paragraph(doc, f"{label}：{text}。")


def _data_note(doc, con, book: StatusBook, year: int, state: SubmissionState, units=None, *, demo: bool,
               since: deck_changes.Since | None = None) -> None:  # fmt: skip
    summary = warehouse_summary(con)
    latest = day(summary.latest_accepted_at.date()) if summary.latest_accepted_at else "—"
    missing = "；".join(f"{label}：{'、'.join(n)}" for label, n in state.missing.items()) or "无"
    late = "；".join(f"{label}：{'、'.join(n)}" for label, n in state.late.items()) or "无"
    guesses = [figure.text for figure in estimated_figures(book, year, units)]
    lines = [
        f"数据截至{latest}（最近一次接收报表的时间）；{summary.version_text}。",
        f"{year}年度未报送的单位：{missing}。逾期报送的单位：{late}。",
        "填写估计数、按估计数计算的：" + ("；".join(guesses) if guesses else "无") + "。",
        "各项状态由看板的状态规则按措施目录中的阈值判定；工作建议按以下规则生成：" + stated_rules() + "。",
    ]
    if since is not None:
        meeting = since[0]
        then = deck_changes.version_words(meeting.version_text)
        lines.append(f"第五部分与{meeting.label}相比，会议版的数据{then}。")
    if demo:
        lines.append(f"{demo_label(book)}本通报由演示数据生成，不反映任何单位的真实情况。")
    add_paragraph(doc, f"{DATA_NOTE}：", "Heading 2")
    for line in lines:
        add_paragraph(doc, line)


def _opening(doc, title: str, issued_on: date, book: StatusBook, *, demo: bool) -> None:
    if demo:
        add_paragraph(doc, f"{demo_label(book)}本通报由演示数据生成，不反映真实情况", DEMO_MARK, indent=False)
    add_paragraph(doc, title, TITLE, indent=False)
    add_paragraph(doc, f"（{day(issued_on)}）", DATE_LINE, indent=False)


def add_closing(doc, issued_on: date) -> None:
    """落款: the issuer and date, right-aligned four characters in; kept on one page with the last paragraph
    before them, so the signature never stands alone on a page (GB/T 9704 7.3.5)."""
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    add_paragraph(doc, "", indent=False).paragraph_format.keep_with_next = True
    for line in (ISSUER, day(issued_on)):
        signature = add_paragraph(doc, line, SIGNATURE, indent=False)
        signature.paragraph_format.right_indent = doc.styles["Normal"].font.size * 4
        signature.paragraph_format.keep_with_next = line == ISSUER


def _status_table(doc, rows: list[tuple[int, str, str, str, str]]) -> None:
    fills = [{2: STATUS_FILLS[status]} for _, _, status, _, _ in rows]
    add_table(doc, TABLE_HEADER, [(str(n), *rest) for n, *rest in rows], TABLE_WIDTHS_MM, fills=fills,
              centred=frozenset({0, 2, 4}))  # fmt: skip


def _problem(doc, n: int, measure_label: str, status: MeasureStatus, *, named: str = "") -> None:
    e = status.explanation
    add_paragraph(doc, f"{_second_level(n)}{measure_label}：{status.status}", "Heading 2")
    add_paragraph(doc, e.summary)
    add_paragraph(doc, f"{LABELS['formula']}：{e.formula or '—'}。{LABELS['threshold']}：{e.threshold or '—'}。")
    if named:
        add_paragraph(doc, named)


def _laggard_text(status: MeasureStatus) -> str:
    e = status.explanation
    parts = [f"{lag.unit_name}（{lag.value_text}，{lag.status}）" for lag in e.laggards]
    text = f"{LABELS['laggards']}：{'、'.join(parts)}。" if parts else ""
    return text + (f"{LABELS['missing_units']}：{'、'.join(e.missing_units)}。" if e.missing_units else "")


def _finding(tile: Tile, status: MeasureStatus | None, units: tuple[str, ...]) -> Finding:
    e = status.explanation if status else None
    return Finding(tile.measure.number, tile.measure.short_name, tile.status, units,
                   e.threshold if e else "", tile.note)  # fmt: skip


def build_brief(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    year: int,
    *,
    demo: bool,
    layout: BriefLayout = DEFAULT_LAYOUT,
    issued_on: date | None = None,
    since: deck_changes.Since | None = None,
) -> bytes:
    """The province-wide 情况通报 for a year as .docx bytes. ``since``: exports.changes.since_meeting(...)'s
    (meeting, changes), for a section 五、 on what has changed since that meeting version."""
    issued_on = issued_on or date.today()
    board = measure_board(book, year)
    title = f"关于{year}年度产业工会工作十八条措施落实情况的通报"
    doc = new_document(layout, title=title, demo_label=demo_label(book) if demo else None)
    _opening(doc, title, issued_on, book, demo=demo)
    state = submission_state(con, book, year)
    add_paragraph(doc, f"根据各市（区）总工会、各省级产业工会报送的{year}年度报表和督查结果，现将{NOTICE}"
                       f"{year}年度落实情况通报如下。")  # fmt: skip

    add_paragraph(doc, HEADINGS[0], "Heading 1")
    overview = f"{year}年度，十八条措施中{_counts_text(board.counts)}。"
    if year - 1 in book.years:
        overview += f"{year - 1}年度为{_counts_text(measure_board(book, year - 1).counts)}。"
        for word in ("好转", "下滑"):
            moved = [f"第{t.measure.number}条" for t in board.tiles if t.trend == f"较上年{word}"]
            overview += f"较上年{word}的有{'、'.join(moved)}。" if moved else f"没有较上年{word}的措施。"
    add_paragraph(doc, overview)
    waiting = [f"第{t.measure.number}条（{t.note or t.summary}）" for t in board.tiles if t.status == NO_DATA]
    if waiting:
        add_paragraph(doc, f"暂无可评价数据的措施：{'；'.join(waiting)}。")
    not_due = [f"第{t.measure.number}条（{t.note or t.summary}）" for t in board.tiles if t.status == NOT_DUE]
    if not_due:
        add_paragraph(doc, f"窗口期尚未届满、尚未到期的措施：{'；'.join(not_due)}。")
    late_count = sum(len(n) for n in state.late.values())
    add_paragraph(doc, f"应报送报表{state.expected}份，已报送{state.submitted}份（其中逾期{late_count}份）"
                       + (f"，未报送{len(state.missing_names)}个单位：{'、'.join(state.missing_names)}。"
                          if state.missing_names else "，无未报送单位。"))  # fmt: skip

    add_paragraph(doc, HEADINGS[1], "Heading 1")
    add_paragraph(doc, "各项措施的落实状态、关键数据和较上年变化见下表。")
    _status_table(doc, [(t.measure.number, t.measure.short_name, t.status, t.metric_text, _trend_word(t.trend))
                        for t in board.tiles])  # fmt: skip

    add_paragraph(doc, HEADINGS[2], "Heading 1")
    details = {t.measure.number: measure_detail(book, t.measure.number, year) for t in board.tiles}
    lagging = sorted((t for t in board.tiles if t.status in (OFF_TRACK, AT_RISK)), key=lambda t: t.status != OFF_TRACK)
    for n, tile in enumerate(lagging, 1):
        overall = details[tile.measure.number].overall
        _problem(doc, n, f"第{tile.measure.number}条　{tile.measure.short_name}", overall, named=_laggard_text(overall))
    flagged = [
        f"第{t.measure.number}条{'、'.join(f'{unit_name(book, s.unit_code)}（{s.metric_text}，{s.status}）' for s in bad)}"
        for t in board.tiles
        if t.status not in (OFF_TRACK, AT_RISK)
        and (bad := [s for s in details[t.measure.number].units if s.status in (OFF_TRACK, AT_RISK)])
    ]
    if flagged:
        add_paragraph(doc, f"{_second_level(len(lagging) + 1)}其他需关注的单位", "Heading 2")
        add_paragraph(doc, f"以下措施全省总体达标，但个别单位为预警或未达标：{'；'.join(flagged)}。")
    if not lagging and not flagged:
        add_paragraph(doc, "本年度各项措施均为达标、未到期或暂无数据，未发现需要通报的问题。")

    add_paragraph(doc, HEADINGS[3], "Heading 1")
    findings = []
    for t in board.tiles:
        overall = details[t.measure.number].overall
        e = overall.explanation if overall else None
        units = tuple(lag.unit_name for lag in e.laggards) if e and t.status != NO_DATA else ()
        findings.append(_finding(t, overall, units or (tuple(e.missing_units) if e else ())))
    findings.append(Finding(0, "", NOT_SUBMITTED, state.missing_names))
    for n, sentence in enumerate(recommendations(findings), 1):
        add_paragraph(doc, f"{n}．{sentence}")

    if since is not None:
        _since_section(doc, book, since, warehouse_summary(con).version_text)
    _data_note(doc, con, book, year, state, demo=demo, since=since)
    add_closing(doc, issued_on)
    return to_bytes(doc)


def unit_name(book: StatusBook, code: str) -> str:
    return book.registry.get(code).short_name if code in book.registry else code


def build_unit_brief(
    con: duckdb.DuckDBPyConnection,
    book: StatusBook,
    unit_code: str,
    year: int,
    *,
    demo: bool,
    layout: BriefLayout = DEFAULT_LAYOUT,
    issued_on: date | None = None,
) -> bytes:
    """A 单位情况通报: one city federation or industry union across the measures judged per unit."""
    profile = unit_profile(book, unit_code, year)
    if profile is None or not profile.statuses:
        raise ValueError(f"{unit_code} 在{year}年度没有按单位评价的措施，不能生成单位情况通报")
    issued_on = issued_on or date.today()
    unit, short = profile.unit, profile.unit.short_name
    title = f"关于{unit.name}{year}年度产业工会工作十八条措施落实情况的通报"
    doc = new_document(layout, title=title, demo_label=demo_label(book) if demo else None)
    _opening(doc, title, issued_on, book, demo=demo)
    codes = frozenset({unit_code})
    state = submission_state(con, book, year, codes)
    previous = {m: s.status for m, history in profile.history.items() for s in history if s.year == year - 1}

    add_paragraph(doc, HEADINGS[0], "Heading 1")
    counts = Counter(s.status for s in profile.statuses)
    text = f"{year}年度，{unit.name}参与按单位评价的措施{len(profile.statuses)}项，其中{_counts_text(counts)}。"
    if previous:
        last = Counter(previous[s.measure] for s in profile.statuses if s.measure in previous)
        text += f"{year - 1}年度为{_counts_text(last)}。"
    if profile.counties:
        text += f"所辖县（区）{len(profile.counties)}个。"
    add_paragraph(doc, text)
    add_paragraph(doc, "本单位" + ("已按时报送全部应报报表。" if not state.missing and not state.late else
                                   f"未报送：{'、'.join(state.missing) or '无'}；逾期报送：{'、'.join(state.late) or '无'}。"))  # fmt: skip

    add_paragraph(doc, HEADINGS[1], "Heading 1")
    add_paragraph(doc, f"{short}各项措施的落实状态、本单位数据和较上年变化见下表。")
    rows = []
    for s in profile.statuses:
        trend = _trend_word(_unit_trend(s.status, previous.get(s.measure)))
        rows.append((s.measure, book.catalog.measure(s.measure).short_name, s.status, s.metric_text, trend))
    _status_table(doc, rows)

    add_paragraph(doc, HEADINGS[2], "Heading 1")
    lagging = sorted(
        (s for s in profile.statuses if s.status in (OFF_TRACK, AT_RISK)), key=lambda s: s.status != OFF_TRACK
    )
    for n, s in enumerate(lagging, 1):
        _problem(doc, n, f"第{s.measure}条　{book.catalog.measure(s.measure).short_name}", s)
    for a in profile.anomalies:
        add_paragraph(
            doc, f"数据变化较大：{a.indicator_name}{a.change_text}；单位说明：{a.remark or '（未填写说明）'}。"
        )
    if not lagging and not profile.anomalies:
        add_paragraph(doc, f"{year}年度{short}参与评价的措施均为达标、未到期或暂无数据，未发现需要通报的问题。")

    add_paragraph(doc, HEADINGS[3], "Heading 1")
    findings = [Finding(s.measure, book.catalog.measure(s.measure).short_name, s.status, (short,),
                        s.explanation.threshold, s.explanation.note) for s in profile.statuses]  # fmt: skip
    findings.append(Finding(0, "", NOT_SUBMITTED, state.missing_names))
    for n, sentence in enumerate(recommendations(findings), 1):
        add_paragraph(doc, f"{n}．{sentence}")

    _data_note(doc, con, book, year, state, codes, demo=demo)
    add_closing(doc, issued_on)
    return to_bytes(doc)


def _unit_trend(current: str, previous: str | None) -> str:
    order = {OFF_TRACK: 0, AT_RISK: 1, "达标": 2}
    if previous is None or current not in order or previous not in order:
        return ""
    return (
        "较上年好转"
        if order[current] > order[previous]
        else "较上年下滑"
        if order[current] < order[previous]
        else "与上年持平"
    )
