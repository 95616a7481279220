"""四、下一步工作建议: sentences generated from the statuses by stated rules, one rule per status kind.

Nothing here is invented: each sentence names a measure, its status, the units the status engine named and the
threshold the catalog states. The rules themselves are written out (``RecommendationRule.stated``) so the
briefing's data note can say how its recommendations were made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.status.format import names
from pipeline.status.model import AT_RISK, NO_DATA, NOT_DUE, OFF_TRACK, ON_TRACK

NOT_SUBMITTED = "未报送"  # a submission kind rather than a measure status: the returns still owed


@dataclass(frozen=True)
class Finding:
    """One measure's status as the recommendations need it."""

    measure: int
    short_name: str
    status: str
    units: tuple[str, ...] = ()  # the units the engine names as lagging (laggards, or units not reporting)
    threshold: str = ""  # the catalog's 判定标准 in words
    note: str = ""  # e.g. 窗口期2024–2026，2026年底届满，本窗口期内尚未召开

    @property
    def label(self) -> str:
        return f"第{self.measure}条（{self.short_name}）"


def _off_track(findings: Sequence[Finding]) -> list[str]:
    sentences = []
    for f in findings:
        who = f"督促{names(f.units, limit=8)}" if f.units else "督促相关单位"
        sentences.append(
            f"{f.label}未达标。{who}对照判定标准（{f.threshold}）逐项查找原因、限期整改，整改情况书面报省总工会。"
        )
    return sentences


def _at_risk(findings: Sequence[Finding]) -> list[str]:
    sentences = []
    for f in findings:
        focus = f"，重点关注{names(f.units, limit=8)}" if f.units else ""
        sentences.append(f"{f.label}为预警。加强跟踪指导{focus}，防止滑入未达标。")
    return sentences


def _no_data(findings: Sequence[Finding]) -> list[str]:
    sentences = []
    for f in findings:
        why = f"（{f.note}）" if f.note else ""
        ask = f"督促{names(f.units, limit=8)}及时报送相关数据" if f.units else "按期开展相关工作并及时报送数据"
        sentences.append(f"{f.label}暂无可评价的数据{why}。{ask}。")
    return sentences


def _not_due(findings: Sequence[Finding]) -> list[str]:
    # Not a failure and not missing data: the window is still open, so the advice is to plan, not to rectify.
    sentences = []
    for f in findings:
        why = f"（{f.note}）" if f.note else ""
        sentences.append(f"{f.label}未到期{why}。在窗口期届满前统筹安排、按期完成。")
    return sentences


def _on_track(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return []
    numbers = "、".join(f"第{f.measure}条" for f in findings)
    return [f"{numbers}达标。保持现有做法，巩固落实成果。"]


def _not_submitted(findings: Sequence[Finding]) -> list[str]:
    units = tuple(dict.fromkeys(u for f in findings for u in f.units))
    if not units:
        return []
    return [f"{names(units, limit=12)}尚未报送年度报表。督促尽快补报，补报后重新评价相关措施。"]


@dataclass(frozen=True)
class RecommendationRule:
    status: str
    stated: str  # the rule in words, printed in the data note
    write: Callable[[Sequence[Finding]], list[str]]


RULES: tuple[RecommendationRule, ...] = (
    RecommendationRule(OFF_TRACK, "未达标的措施：督促引起未达标的单位对照判定标准限期整改", _off_track),
    RecommendationRule(AT_RISK, "预警的措施：加强跟踪指导，点名需重点关注的单位", _at_risk),
    RecommendationRule(NO_DATA, "无数据的措施：说明原因，督促报送或按期开展", _no_data),
    RecommendationRule(NOT_DUE, "未到期的措施（窗口期未届满）：在窗口期届满前统筹安排", _not_due),
    RecommendationRule(NOT_SUBMITTED, "未报送年度报表的单位：督促补报", _not_submitted),
    RecommendationRule(ON_TRACK, "达标的措施：保持并巩固", _on_track),
)


def recommendations(findings: Sequence[Finding]) -> list[str]:
    """The sentences, worst status first; each rule sees only the findings of its own status kind."""
    return [sentence for rule in RULES for sentence in rule.write([f for f in findings if f.status == rule.status])]


def stated_rules() -> str:
    return "；".join(rule.stated for rule in RULES)
