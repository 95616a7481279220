"""What changed since a meeting (会议以来变化): a frozen meeting version's statuses and figures against today's.

Both sides are StatusBooks judged by the one status engine (the meeting's from its frozen warehouse, catalog and
registry), so a change listed here is a change the board itself shows: a measure's or a unit's status that moved
(and which way), a key figure that moved, a threshold that was changed in the catalog, and the returns received
after the freeze. Nothing is graded again here. This module does not import streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from exports.meetings import MeetingVersion, meeting_book
from pipeline.catalog import Catalog
from pipeline.history import list_submissions
from pipeline.registry import Registry
from pipeline.status.model import (
    AT_RISK,
    NO_DATA,
    NOT_DUE,
    OFF_TRACK,
    ON_TRACK,
    PROVINCE_SCOPE,
    Explanation,
    MeasureStatus,
)
from queries.board import StatusBook

BETTER, WORSE, NOW_KNOWN, NOW_UNKNOWN = "好转", "下滑", "新有数据", "变为无数据"
# 未到期 (a window still open) ranks between 预警 and 达标: met later it is 好转, closed unmet it is 下滑.
_RANK = {OFF_TRACK: 0, AT_RISK: 1, NOT_DUE: 1.5, ON_TRACK: 2}
WHOLE_PROVINCE = "全省"
ACCEPTED_WORDS = {"accepted": "已接收", "rejected": "被退回"}


def direction(before: str, after: str) -> str:
    """Which way a status moved: 好转 / 下滑, or 新有数据 / 变为无数据 when one side had no data."""
    if before == NO_DATA:
        return NOW_KNOWN
    if after == NO_DATA:
        return NOW_UNKNOWN
    return BETTER if _RANK.get(after, 0) > _RANK.get(before, 0) else WORSE


@dataclass(frozen=True)
class StatusMove:
    measure: int
    unit_code: str  # PROVINCE_SCOPE for the measure as a whole
    unit_name: str  # 全省 for the measure as a whole
    before: str
    after: str
    direction: str
    metric_before: str  # the key figure as shown then and now: "97.1%" → "90.2%"
    metric_after: str

    @property
    def text(self) -> str:
        """第5条（省金融工会）：达标 → 未达标（下滑；97.1% → 80.0%）"""
        who = "" if self.unit_code == PROVINCE_SCOPE else f"（{self.unit_name}）"
        figures = f"；{self.metric_before} → {self.metric_after}" if self.metric_before != self.metric_after else ""
        return f"第{self.measure}条{who}：{self.before} → {self.after}（{self.direction}{figures}）"


@dataclass(frozen=True)
class FigureMove:
    measure: int
    unit_code: str
    unit_name: str
    metric_name: str
    before: float | None
    after: float | None
    before_text: str
    after_text: str


@dataclass(frozen=True)
class ThresholdMove:
    measure: int
    before: str  # the threshold in words, then and now
    after: str


@dataclass(frozen=True)
class UnitMoves:
    unit_code: str
    unit_name: str
    measures: tuple[int, ...]  # the measures on which the unit moved this way


@dataclass(frozen=True)
class ReceivedReturn:
    submission_id: int
    year: int | None
    return_code: str | None
    unit_name: str
    file_name: str
    received_at: datetime | None
    state: str  # 已接收 / 被退回


@dataclass(frozen=True)
class Changes:
    year: int
    measures: tuple[StatusMove, ...]  # the measure as a whole
    units: tuple[StatusMove, ...]  # each unit judged on a measure
    figures: tuple[FigureMove, ...]  # key figures that moved, the measure's and each unit's
    thresholds: tuple[ThresholdMove, ...]  # thresholds changed in the catalog since
    caught_up: tuple[UnitMoves, ...]
    fell_behind: tuple[UnitMoves, ...]
    received: tuple[ReceivedReturn, ...]

    @property
    def nothing(self) -> bool:
        return not (self.measures or self.units or self.figures or self.thresholds or self.received)


def _name(registry: Registry, code: str) -> str:
    if code == PROVINCE_SCOPE:
        return WHOLE_PROVINCE
    return registry.get(code).short_name if code in registry else code


def _statuses(book: StatusBook, year: int) -> dict[tuple[int, str], MeasureStatus]:
    found = {}
    for measure in book.catalog.measures:
        result = book.result(measure.number, year)
        if result is None:
            continue
        found[(measure.number, PROVINCE_SCOPE)] = result.overall
        found.update({(measure.number, s.unit_code): s for s in result.units})
    return found


def _figure_moved(old: MeasureStatus | None, new: MeasureStatus | None) -> bool:
    a, b = (s.metric if s else None for s in (old, new))
    if a is None or b is None:
        return (a is None) != (b is None)
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _missing(measure: int, code: str) -> MeasureStatus:
    """A unit judged on one side only (e.g. added to the registry since) counts as having had no data."""
    return MeasureStatus(measure, 0, code, NO_DATA, None, "—", Explanation("", "", "", "", "", ""))


def _moves(old: dict, new: dict, registry: Registry) -> tuple[list[StatusMove], list[FigureMove]]:
    status_moves, figure_moves = [], []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1] != PROVINCE_SCOPE, k[1])):
        before, after = old.get(key) or _missing(*key), new.get(key) or _missing(*key)
        measure, code = key
        if before.status != after.status:
            status_moves.append(StatusMove(
                measure, code, _name(registry, code), before.status, after.status,
                direction(before.status, after.status), before.metric_text, after.metric_text,
            ))  # fmt: skip
        if _figure_moved(old.get(key), new.get(key)):
            figure_moves.append(FigureMove(
                measure, code, _name(registry, code), after.explanation.metric_name or before.explanation.metric_name,
                before.metric, after.metric, before.metric_text, after.metric_text,
            ))  # fmt: skip
    return status_moves, figure_moves


def _thresholds(old: dict, new: dict, catalog: Catalog) -> list[ThresholdMove]:
    moves = []
    for measure in catalog.measures:
        a, b = old.get((measure.number, PROVINCE_SCOPE)), new.get((measure.number, PROVINCE_SCOPE))
        if a and b and a.explanation.threshold != b.explanation.threshold:
            moves.append(ThresholdMove(measure.number, a.explanation.threshold, b.explanation.threshold))
    return moves


def _by_unit(moves: Iterable[StatusMove], directions: tuple[str, ...]) -> tuple[UnitMoves, ...]:
    grouped: dict[tuple[str, str], list[int]] = {}
    for move in moves:
        if move.direction in directions:
            grouped.setdefault((move.unit_code, move.unit_name), []).append(move.measure)
    return tuple(UnitMoves(code, name, tuple(sorted(ms))) for (code, name), ms in sorted(grouped.items()))


def changes_since(
    old_book: StatusBook, new_book: StatusBook, year: int, *, received: Iterable[ReceivedReturn] = ()
) -> Changes:
    """What moved in ``year`` between the meeting's book and today's; ``received`` from returns_received_since."""
    old, new = _statuses(old_book, year), _statuses(new_book, year)
    status_moves, figure_moves = _moves(old, new, new_book.registry)
    units = [m for m in status_moves if m.unit_code != PROVINCE_SCOPE]
    return Changes(
        year=year,
        measures=tuple(m for m in status_moves if m.unit_code == PROVINCE_SCOPE),
        units=tuple(units),
        figures=tuple(figure_moves),
        thresholds=tuple(_thresholds(old, new, new_book.catalog)),
        caught_up=_by_unit(units, (BETTER, NOW_KNOWN)),
        fell_behind=_by_unit(units, (WORSE, NOW_UNKNOWN)),
        received=tuple(received),
    )


def returns_received_since(
    con: duckdb.DuckDBPyConnection, last_submission_id: int, registry: Registry
) -> tuple[ReceivedReturn, ...]:
    """Every file recorded after the freeze (submission id above the frozen version's last), accepted or not."""
    rows = [r for r in list_submissions(con) if r["submission_id"] > last_submission_id]
    return tuple(
        ReceivedReturn(
            submission_id=int(r["submission_id"]),
            year=r["year"],
            return_code=r["return_code"],
            unit_name=registry.get(r["unit_code"]).name if r["unit_code"] in registry else "（未能识别单位）",
            file_name=r["file_name"],
            received_at=r["received_at"],
            state=ACCEPTED_WORDS.get(r["status"], r["status"]),
        )
        for r in sorted(rows, key=lambda r: r["submission_id"])
    )


def since_meeting(
    name: str, con: duckdb.DuckDBPyConnection, book: StatusBook, year: int, *, meetings_dir=None
) -> tuple[MeetingVersion, Changes]:
    """The meeting version called ``name`` and what has changed in ``year`` between it and ``book`` (today's)."""
    meeting, old_book = meeting_book(name, meetings_dir)
    received = returns_received_since(con, meeting.last_submission_id, book.registry)
    return meeting, changes_since(old_book, book, year, received=received)


# --- as tables, for the page and the documents ----------------------------------------------------------------

MOVE_COLUMNS = ["措施", "单位", "会议时", "现在", "变化", "会议时数值", "现在数值"]


def _move_rows(moves: Iterable[StatusMove], catalog: Catalog) -> pd.DataFrame:
    rows = [
        [f"第{m.measure}条　{catalog.measure(m.measure).short_name}", m.unit_name, m.before, m.after, m.direction,
         m.metric_before, m.metric_after]
        for m in moves
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)


def changes_tables(changes: Changes, catalog: Catalog) -> dict[str, pd.DataFrame]:
    """The changes as tables with Chinese headings, in the order a reader wants them."""
    figures = [[f"第{f.measure}条", f.unit_name, f.metric_name, f.before_text, f.after_text] for f in changes.figures]
    received = [
        [r.submission_id, r.unit_name, f"{r.year}年度" if r.year else "—", r.return_code or "—", r.file_name,
         r.received_at, r.state]
        for r in changes.received
    ]  # fmt: skip
    thresholds = [[f"第{t.measure}条", t.before, t.after] for t in changes.thresholds]

    def units(groups: tuple[UnitMoves, ...]) -> pd.DataFrame:
        rows = [[g.unit_name, "、".join(f"第{n}条" for n in g.measures)] for g in groups]
        return pd.DataFrame(rows, columns=["单位", "涉及措施"])

    return {
        "措施状态变化": _move_rows(changes.measures, catalog),
        "赶上来的单位": units(changes.caught_up),
        "落下来的单位": units(changes.fell_behind),
        "各单位状态变化": _move_rows(changes.units, catalog),
        "关键数值变化": pd.DataFrame(figures, columns=["措施", "单位", "指标", "会议时", "现在"]),
        "判定标准变化": pd.DataFrame(thresholds, columns=["措施", "会议时", "现在"]),
        "会议以来收到的报表": pd.DataFrame(
            received, columns=["报送编号", "单位", "年度", "报表", "文件名", "接收时间", "处理结果"]
        ),
    }
