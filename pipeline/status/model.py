"""What the status engine produces: a status per (measure, year) and per (measure, year, unit), each with an
explanation a leader can read — which figures, which rule, which threshold, from which submitted cells.

The same objects feed the screen, the deck, the briefing and the CLI, so a status is computed once and
explained the same way everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "达标", "预警", "未达标", "无数据"
# A multi-year window (第1条, 第9条) still open and not yet met: neither a failure nor missing data.
NOT_DUE = "未到期"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NOT_DUE, NO_DATA)
# Worst first: used to combine statuses and to sort laggards. 未到期 sits between 无数据 (something is missing) and
# 达标: nothing is wrong yet, but nothing is done yet either.
SEVERITY = {OFF_TRACK: 0, AT_RISK: 1, NO_DATA: 2, NOT_DUE: 3, ON_TRACK: 4}

PROVINCE_SCOPE = "P00"  # the unit_code of a province-wide status row


@dataclass(frozen=True)
class SourceRef:
    """One submitted figure an explanation relies on."""

    unit_code: str  # the submitting unit
    entity_code: str  # the unit, county or inspected unit the figure is about
    indicator: str
    indicator_name: str
    value_text: str  # as shown (formatted), e.g. "88.2万元"
    submission_id: int
    file_name: str
    sheet: str
    cell: str

    def location(self) -> str:
        return f"{self.file_name}／{self.sheet}!{self.cell}"


@dataclass(frozen=True)
class Laggard:
    """A unit that pulls a measure down, with its figure."""

    unit_code: str
    unit_name: str
    status: str
    value_text: str  # e.g. "88.2%"; "未报送" when the unit did not report


@dataclass(frozen=True)
class Remark:
    """A submitter's 说明 beside a figure (shown next to anomaly flags and in explanations)."""

    unit_code: str
    indicator: str
    text: str


@dataclass(frozen=True)
class Explanation:
    metric_name: str  # e.g. 会费收缴率
    value_text: str  # e.g. "93.5%", "" when there is no value
    formula: str  # with the actual figures: "实收 1,234.5万元 ÷ 应收 1,320.0万元 = 93.5%"
    threshold: str  # in words: "≥95% 达标，≥85% 预警，否则未达标"
    rule: str  # the catalog's reading of the measure
    summary: str  # one Chinese sentence fit for a slide
    laggards: tuple[Laggard, ...] = ()
    missing_units: tuple[str, ...] = ()  # names of units expected to report but absent
    note: str = ""  # e.g. "窗口期2024–2026，尚未届满"
    sources: tuple[SourceRef, ...] = ()
    remarks: tuple[Remark, ...] = ()


# The Chinese label of each part of an explanation, keyed by its Explanation field ("关键数据" is the metric with its
# value). The measure-detail page, the CLI and the documents say these words and no others, so a staffer reads the
# same heading for the same thing on screen, in a terminal and in a 情况通报.
EXPLANATION_LABELS: dict[str, str] = {
    "value_text": "关键数据",
    "formula": "计算过程",
    "threshold": "判定标准",
    "rule": "判定规则",
    "summary": "结论",
    "laggards": "落后单位",
    "missing_units": "未报送单位",
    "note": "说明",
    "sources": "数据来源",
    "remarks": "填报单位说明",
}


@dataclass(frozen=True)
class MeasureStatus:
    measure: int
    year: int
    unit_code: str  # PROVINCE_SCOPE for the province-wide row
    status: str
    metric: float | None  # the key figure (a ratio as 0–1, a score, a count …)
    metric_text: str  # the key figure as shown
    explanation: Explanation
    inputs: dict[str, float | str | None] = field(default_factory=dict)  # named inputs used

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MeasureResult:
    """One measure in one year: the province-wide status and, where judged per unit, each unit's."""

    overall: MeasureStatus
    units: tuple[MeasureStatus, ...] = ()


def worst(statuses: list[str] | tuple[str, ...]) -> str:
    """The worst of several statuses, ignoring 无数据 unless nothing else is known."""
    known = [s for s in statuses if s != NO_DATA]
    if not known:
        return NO_DATA
    return min(known, key=SEVERITY.__getitem__)
