"""The R3 and R4 story: the provincial federation itself and its inspection team (measures 1, 2, 4, 9, 10, 14, 17)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from pipeline.demo.model import YEARS, ReturnStory, sub_rng
from pipeline.registry import Registry, Unit

CONFERENCE_DATE = date(2022, 11, 17)  # the one 全省产业工会工作会议 so far
MEETING_DATES = {
    2021: date(2021, 12, 16),
    2022: date(2022, 4, 21),
    2023: date(2023, 3, 30),
    2024: date(2024, 4, 11),
    2025: date(2025, 3, 27),
}
REPORTED_SHORT = {2022: 7}  # 2022: one union could not report
REPORTED_REMARK = "省海员建设工会因疫情防控未能到会汇报，会后书面报送"
DISBURSE_LOW_YEAR = 2023  # ~82% of approved funds paid out
DISBURSE_REMARK = "部分活动延期至次年举办，相应经费于次年初拨付"
# 四项倾斜资源 in 2021 (total, industry share) and the yearly rise of the share.
SHARES = {
    "award": ("m14_award_quota_total", "m14_award_quota_industry", 120, 0.18),
    "training": ("m14_training_places_total", "m14_training_places_industry", 1500, 0.22),
    "recuperation": ("m14_recuperation_places_total", "m14_recuperation_places_industry", 900, 0.15),
    "aid": ("m14_hardship_aid_total", "m14_hardship_aid_industry", 2600.0, 0.12),
}
SHARE_DIP = ("training", 2023)  # the one share that falls
SHARE_DIP_REMARK = "当年集中举办基层工会主席轮训，产业工会名额占比有所下降"
ORGAN = {2021: (64, 13), 2022: (66, 13), 2023: (65, 12), 2024: (68, 14), 2025: (70, 15)}  # 机关: eligible, promoted

SPECIAL_YEARS = (2022, 2024)
SPECIAL_SKIPPED = {2024: ("C12",)}  # 2024 round did not reach 韩城
LOW_SCORERS = ("C07", "I04")  # 汉中 and 国防邮电: mean below 80
RANDOM_MATTERS = (
    "安全生产月活动落实情况",
    "职工技能竞赛组织情况",
    "新就业形态劳动者入会集中行动",
    "夏季送清凉活动落实情况",
    "困难职工帮扶资金使用情况",
    "劳模工匠创新工作室建设情况",
    "产业工会经费使用管理情况",
    "产业工人队伍建设改革任务推进情况",
)
RANDOM_COUNTS = {2021: 1, 2022: 2, 2023: 3, 2024: 2, 2025: 3}
RANDOM_LOW_YEAR = 2023  # rectification of random-inspection problems below 90%


def organ_rates() -> dict[int, float]:
    return {year: promoted / eligible for year, (eligible, promoted) in ORGAN.items()}


def share_values(rng: random.Random) -> dict[int, dict[str, Any]]:
    values: dict[int, dict[str, Any]] = {year: {} for year in YEARS}
    for name, (total_code, part_code, total, share) in SHARES.items():
        previous = None
        for year in YEARS:
            is_amount = isinstance(total, float)
            total = round(total * rng.uniform(1.0, 1.06), 1) if is_amount else total + rng.randint(0, 12)
            share = share - 0.02 if (name, year) == SHARE_DIP else share + rng.uniform(0.008, 0.02)
            part = round(total * share, 1) if is_amount else round(total * share)
            step = 0.1 if is_amount else 1
            while (name, year) != SHARE_DIP and previous is not None and part / total <= previous:
                part = round(part + step, 1) if is_amount else part + 1
            previous = part / total
            values[year][total_code], values[year][part_code] = total, part
    return values


def funds(rng: random.Random, year: int) -> dict[str, Any]:
    requested = round(rng.uniform(180, 260) * (1.04 ** (year - YEARS[0])), 1)
    approved = round(requested * rng.uniform(0.86, 0.97), 1)
    rate = rng.uniform(0.81, 0.83) if year == DISBURSE_LOW_YEAR else rng.uniform(0.92, 0.99)
    return {
        "m4_activities": rng.randint(2, 5),
        "m4_funds_requested": requested,
        "m4_funds_approved": approved,
        "m4_funds_disbursed": round(approved * rate, 1),
    }


def province_returns(seed: int, registry: Registry) -> list[ReturnStory]:
    province = registry.province()
    rng = sub_rng(seed, "province")
    shares = share_values(rng)
    stories = []
    for year in YEARS:
        eligible, promoted = ORGAN[year]
        values: dict[str, Any] = {
            "m2_meeting_date": MEETING_DATES[year],
            "m2_unions_reported": REPORTED_SHORT.get(year, len(registry.industry_unions())),
            **funds(rng, year),
            **shares[year],
            "m17_organ_eligible": eligible,
            "m17_organ_promoted": promoted,
        }
        if year == CONFERENCE_DATE.year:
            values["m1_conference_date"] = CONFERENCE_DATE
        story = ReturnStory(province.code, province.name, "R3", year, values=values)
        if year in REPORTED_SHORT:
            story.remarks["m2_unions_reported"] = REPORTED_REMARK
        if year == DISBURSE_LOW_YEAR:
            story.remarks["m4_funds_disbursed"] = DISBURSE_REMARK
        if year == SHARE_DIP[1]:
            story.remarks["m14_training_places_industry"] = SHARE_DIP_REMARK
        stories.append(story)
    return stories


def scores(rng: random.Random, low_scorer: bool) -> list[int]:
    """Seven category scores whose mean is 72–78 for a low scorer and 81–94 otherwise."""
    low, high = (72.0, 78.0) if low_scorer else (81.0, 94.0)
    target = rng.uniform(low, high)
    values = [max(55, min(100, round(target + rng.uniform(-6, 6)))) for _ in range(7)]
    while sum(values) / 7 < low:
        values[values.index(min(values))] += 1
    while sum(values) / 7 > high:
        values[values.index(max(values))] -= 1
    return values


def problems(rng: random.Random, low_scorer: bool) -> tuple[int, int]:
    if low_scorer:
        found = rng.randint(8, 12)
        return found, found - rng.randint(2, 3)
    if rng.random() < 0.3:
        found = rng.randint(10, 14)
        return found, found - 1
    found = rng.randint(2, 9)
    return found, found


def special_rows(rng: random.Random, units: list[Unit], year: int) -> list[dict[str, Any]]:
    inspected = [u for u in units if u.code not in SPECIAL_SKIPPED.get(year, ())]
    day = date(year, 9, 5)
    rows = []
    for unit in inspected:
        low = unit.code in LOW_SCORERS
        score_list = scores(rng, low)
        found, rectified = problems(rng, low)
        codes = (
            "m9_score_leadership",
            "m9_score_system",
            "m9_score_staffing",
            "m9_score_responsibility",
            "m9_score_funding",
            "m9_score_tasks",
            "m9_score_role",
        )
        row: dict[str, Any] = {
            "key": unit.name,
            "m9_inspection_date": day,
            **dict(zip(codes, score_list, strict=True)),
            "m9_problems_found": found,
            "m9_problems_rectified": rectified,
        }
        if low:
            row["remark"] = "整改工作仍在推进中"
        rows.append(row)
        day += timedelta(days=rng.randint(2, 4))
    return rows


def random_rows(rng: random.Random, units: list[Unit], year: int) -> list[dict[str, Any]]:
    rows = []
    matters = rng.sample(RANDOM_MATTERS, RANDOM_COUNTS[year])
    for number, matter in enumerate(matters):
        month = 12 if year == YEARS[0] else 4 + 3 * number
        found = rng.randint(2, 4) if year == RANDOM_LOW_YEAR else rng.randint(1, 5)
        rectified = found - 2 if year == RANDOM_LOW_YEAR and number == 0 else found
        rows.append(
            {
                "key": rng.choice(units).name,
                "m10_matter": matter,
                "m10_inspection_date": date(year, month, rng.randint(3, 26)),
                "m10_problems_found": found,
                "m10_problems_rectified": rectified,
            }
        )
    return rows


def inspection_returns(seed: int, registry: Registry) -> list[ReturnStory]:
    province = registry.province()
    units = [*registry.cities(), *registry.industry_unions()]
    stories = []
    for year in YEARS:
        rng = sub_rng(seed, "inspection", year)
        story = ReturnStory(province.code, province.name, "R4", year)
        story.records["R4_SPECIAL"] = special_rows(rng, units, year) if year in SPECIAL_YEARS else []
        story.records["R4_RANDOM"] = random_rows(rng, units, year)
        stories.append(story)
    return stories
