"""The R2 story: the eight provincial industry unions (measures 5, 7, 11–13 and 15–18)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from pipeline.demo.model import YEARS, ReturnStory, sub_rng
from pipeline.registry import Registry


@dataclass(frozen=True)
class UnionBase:
    grassroots: int  # 所属基层工会数, 2021
    employees: int  # 职工人数, 2021
    coverage: float  # 会员 ÷ 职工, 2021
    dues: float  # 应收会费, 万元, 2021
    establishment: int  # 核定编制数


BASES: dict[str, UnionBase] = {
    "I01": UnionBase(1850, 412000, 0.91, 2860.0, 14),
    "I02": UnionBase(680, 265000, 0.94, 3150.0, 12),
    "I03": UnionBase(940, 198000, 0.89, 1720.0, 12),
    "I04": UnionBase(430, 126000, 0.92, 980.0, 15),
    "I05": UnionBase(1160, 236000, 0.86, 1480.0, 12),
    "I06": UnionBase(560, 148000, 0.88, 860.0, 10),
    "I07": UnionBase(390, 172000, 0.83, 1040.0, 10),
    "I08": UnionBase(270, 98000, 0.97, 1250.0, 10),
}

# Collection rates the story fixes (rounded to three places): the rest collect 95–99%.
DUES_RATES = {("I04", 2024): 0.882, ("I08", 2024): 0.910}
DUES_REMARKS = {
    ("I04", 2024): "部分邮政、通信企业改制重组，会费延迟上缴",
    ("I08", 2024): "部分会员单位机构调整，会费于次年一季度补缴",
}
STAFF_SHORT = "I04"  # 国防邮电工会: 实有人员长期只有编制的六到七成
STAFF_SHORT_IN_POST = {2021: 9, 2022: 10, 2023: 10, 2024: 9, 2025: 10}
STAFF_SHORT_REMARK = "2名工作人员退休后尚未补充，正在协调招录"
COVERAGE_DIP = ("I03", 2023)  # 会员覆盖率 falls once (none_falling → 预警)
COVERAGE_DIP_REMARK = "部分企业关停，会员人数减少"
NO_SYSTEM = ("I07", 2021)  # 海员建设工会 set up its 联席会议制度 only in 2022
TRAINING_DIP = ("I06", 2021)  # 培训覆盖 only 65% in the baseline year
PARITY_BELOW = (0.82, 0.96)  # 2021–2022: a little below the organ's promotion rate
PARITY_AT = (1.0, 1.2)  # from 2023: parity reached


def dues_pair(rng: random.Random, due: float, rate: float | None) -> tuple[float, float]:
    if rate is None:
        rate = rng.uniform(0.955, 0.99)
    collected = round(due * rate, 2)
    return due, collected


def promotions(rng: random.Random, cadres: int, organ_rate: float, year: int) -> tuple[int, int]:
    """(符合晋升条件, 提拔晋升) whose rate ÷ the organ's rate falls in the story's parity band."""
    low, high = PARITY_BELOW if year <= 2022 else PARITY_AT
    start = max(4, cadres // 2 + rng.randint(-1, 2))
    fitting = [
        (eligible, promoted)
        for eligible in range(start, start + 12)
        for promoted in range(1, eligible + 1)
        if low <= promoted / eligible / organ_rate <= high
    ]
    if not fitting:
        raise ValueError("no promotion count fits the parity band")
    return rng.choice(fitting)


class UnionYears:
    """Carries one union's slowly changing figures from year to year."""

    def __init__(self, seed: int, code: str) -> None:
        self.code = code
        self.base = BASES[code]
        self.rng = sub_rng(seed, "union", code)
        self.grassroots = self.base.grassroots
        self.employees = self.base.employees
        self.coverage = self.base.coverage
        self.dues = self.base.dues

    def advance(self, year: int) -> None:
        if year == YEARS[0]:
            return
        rng = self.rng
        self.grassroots += rng.randint(3, 30)
        self.employees = int(round(self.employees * rng.uniform(0.995, 1.03), -2))  # 职工人数 reported in hundreds
        if (self.code, year) == COVERAGE_DIP:
            self.coverage -= rng.uniform(0.012, 0.02)
        else:
            self.coverage = min(0.99, self.coverage + rng.uniform(0.002, 0.01))
        self.dues = round(self.dues * rng.uniform(1.01, 1.06), 1)

    def membership(self, previous_rate: float | None, year: int) -> tuple[int, int]:
        members = round(self.employees * self.coverage)
        rising = (self.code, year) != COVERAGE_DIP
        while rising and previous_rate is not None and members / self.employees < previous_rate:
            members += 1
        return members, self.employees

    def staffing(self, year: int) -> tuple[int, int, int]:
        establishment = self.base.establishment
        short = self.code == STAFF_SHORT
        in_post = STAFF_SHORT_IN_POST[year] if short else establishment - self.rng.randint(0, 1)
        return establishment, in_post, self.rng.randint(0, min(2, in_post))


def union_values(state: UnionYears, year: int, organ_rate: float, previous_rate: float | None) -> dict[str, Any]:
    rng, code = state.rng, state.code
    due, collected = dues_pair(rng, state.dues, DUES_RATES.get((code, year)))
    members, employees = state.membership(previous_rate, year)
    establishment, in_post, added = state.staffing(year)
    cadres = in_post + rng.randint(2, 5)
    trained_rate = 0.65 if (code, year) == TRAINING_DIP else rng.uniform(0.82, 1.0)
    eligible, promoted = promotions(rng, cadres, organ_rate, year)
    has_system = (code, year) != NO_SYSTEM
    topics = rng.randint(1, 4)
    return {
        "m5_dues_due": due,
        "m5_dues_collected": collected,
        "m7_grassroots_unions": state.grassroots,
        "m7_rationalized_this_year": rng.randint(8, 60),
        "m7_members": members,
        "m7_employees": employees,
        "m11_leadership_studies": rng.randint(2, 6),
        "m11_guidance_visits": rng.randint(3, 12),
        "m12_staff_establishment": establishment,
        "m12_staff_in_post": in_post,
        "m12_staff_added": added,
        "m13_has_joint_meeting_system": has_system,
        "m13_counterparts": rng.randint(2, 5) if has_system else 0,
        "m13_meetings_held": rng.randint(1, 4) if has_system else 0,
        "m13_problems_resolved": rng.randint(1, 6) if has_system else 0,
        "m15_party_organizations": rng.randint(1, 3),
        "m15_joint_activities": rng.randint(2, 8),
        "m16_cadres": cadres,
        "m16_cadres_trained": min(cadres, math.ceil(cadres * trained_rate)),
        "m16_training_sessions": rng.randint(1, 4),
        "m16_cadres_exchanged": rng.randint(0, 3),
        "m17_cadres_eligible": eligible,
        "m17_cadres_promoted": promoted,
        "m17_rated_excellent": max(1, round(cadres * rng.uniform(0.12, 0.2))),
        "m18_research_topics": topics,
        "m18_outputs_adopted": rng.randint(0, topics),
    }


def union_remarks(code: str, year: int) -> dict[str, str]:
    remarks = {}
    if (code, year) in DUES_REMARKS:
        remarks["m5_dues_collected"] = DUES_REMARKS[(code, year)]
    if code == STAFF_SHORT and year in (2021, 2024):
        remarks["m12_staff_in_post"] = STAFF_SHORT_REMARK
    if (code, year) == COVERAGE_DIP:
        remarks["m7_members"] = COVERAGE_DIP_REMARK
    if (code, year) == NO_SYSTEM:
        remarks["m13_has_joint_meeting_system"] = "正在与对口行业主管部门协商，计划2022年建立"
    return remarks


def union_returns(seed: int, registry: Registry, organ_rates: dict[int, float]) -> list[ReturnStory]:
    stories = []
    for union in registry.industry_unions():
        state = UnionYears(seed, union.code)
        previous_rate = None
        for year in YEARS:
            state.advance(year)
            values = union_values(state, year, organ_rates[year], previous_rate)
            previous_rate = values["m7_members"] / values["m7_employees"]
            stories.append(
                ReturnStory(union.code, union.name, "R2", year, values=values, remarks=union_remarks(union.code, year))
            )
    return stories
