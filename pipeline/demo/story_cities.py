"""The R1 story: city federations and their counties (measures 3, 6 and 8)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from pipeline.demo.model import YEARS, ReturnStory, grow, sub_rng
from pipeline.registry import Registry, Unit


@dataclass(frozen=True)
class CityProfile:
    kind: str  # strong | lagging | normal | coverage_lagging | funding_falling
    key_work: float  # 2021 重点工作经费, 万元
    office: float  # 2021 驻会产业工会经费, 万元
    union_share: float  # 2021 share of counties with at least one industry union
    misses: dict[int, int] = field(default_factory=dict)  # year -> counties holding no special meeting


PROFILES: dict[str, CityProfile] = {
    "C01": CityProfile("strong", 180.0, 48.0, 0.62),
    "C02": CityProfile("lagging", 22.0, 6.0, 0.25, {2021: 2, 2022: 1}),
    "C03": CityProfile("strong", 95.0, 26.0, 0.58),
    "C04": CityProfile("normal", 70.0, 18.0, 0.46),
    "C05": CityProfile("normal", 60.0, 15.0, 0.40, {2021: 1}),
    "C06": CityProfile("normal", 55.0, 14.0, 0.38, {2022: 1}),
    "C07": CityProfile("coverage_lagging", 45.0, 12.0, 0.36, {2021: 4, 2022: 4, 2023: 3, 2024: 3, 2025: 3}),
    "C08": CityProfile("strong", 110.0, 30.0, 0.58),
    "C09": CityProfile("funding_falling", 42.0, 11.0, 0.40),
    "C10": CityProfile("lagging", 18.0, 5.0, 0.15, {2021: 3, 2022: 2, 2023: 1}),
    "C11": CityProfile("normal", 12.0, 4.0, 1.0),
    "C12": CityProfile("normal", 20.0, 6.0, 0.0),
}

# Yearly growth of the city's own budget lines, by profile: (low, high) fraction.
GROWTH = {"strong": (0.08, 0.15), "lagging": (0.10, 0.20), "normal": (0.03, 0.08), "coverage_lagging": (0.03, 0.07)}
ANKANG_CHANGE = {2022: (0.04, 0.07), 2023: (-0.10, -0.06), 2024: (-0.08, -0.05), 2025: (-0.06, -0.03)}
XIAN_JUMP_YEAR = 2024
XIAN_JUMP_REMARK = "2024年新增省级示范项目专项经费"
ANKANG_REMARK = "受财政收支压力影响，本级预算有所压减"
NOT_HELD_REMARKS = (
    "受防汛救灾影响，年内未召开专题会议",
    "年内未召开专题会议，已列入下年工作计划",
    "机构调整期间未召开专题会议",
)


def budget_lines(seed: int, code: str, profile: CityProfile) -> dict[int, tuple[float, float]]:
    """(重点工作经费, 驻会经费) per year; totals never fall, except 安康 from 2023."""
    rng = sub_rng(seed, "budget", code)
    key, office = profile.key_work, profile.office
    lines = {YEARS[0]: (key, office)}
    for year in YEARS[1:]:
        low, high = ANKANG_CHANGE[year] if profile.kind == "funding_falling" else GROWTH[profile.kind]
        if code == "C01" and year == XIAN_JUMP_YEAR:
            low, high = 0.38, 0.42
        new_key, new_office = grow(rng, key, low, high), grow(rng, office, low / 2, high / 2)
        rising = low >= 0
        if rising and new_key + new_office <= key + office:
            new_key = round(key + 0.5, 1)
        if not rising and new_key + new_office >= key + office:
            new_key = round(key - 0.5, 1)
        key, office = new_key, new_office
        lines[year] = (key, office)
    return lines


def union_counts(seed: int, code: str, counties: tuple[Unit, ...], profile: CityProfile) -> dict[int, list[int]]:
    """County industry unions per year; the share of counties with at least one rises until all have one."""
    rng = sub_rng(seed, "unions", code)
    n = len(counties)
    order = list(range(n))
    rng.shuffle(order)
    having = round(profile.union_share * n)
    counts = [0] * n
    result: dict[int, list[int]] = {}
    for year in YEARS:
        if year > YEARS[0] and having < n:
            having = min(n, having + max(1, round(n * rng.uniform(0.08, 0.18))))
        for position, county in enumerate(order):
            if position < having and counts[county] == 0:
                counts[county] = rng.randint(1, 2)
            elif counts[county] and counts[county] < 6 and rng.random() < 0.3:
                counts[county] += 1
        result[year] = list(counts)
    return result


def _not_held(rng: random.Random, counties: tuple[Unit, ...], misses: int) -> set[str]:
    return {u.code for u in rng.sample(list(counties), min(misses, len(counties)))}


def county_rows(
    seed: int, city: Unit, counties: tuple[Unit, ...], profile: CityProfile, unions: dict[int, list[int]], year: int
) -> list[dict[str, Any]]:
    rng = sub_rng(seed, "county", city.code, year)
    not_held = _not_held(rng, counties, profile.misses.get(year, 0))
    budget_share = {"strong": 1.0, "lagging": 0.5 + 0.12 * (year - YEARS[0])}.get(
        profile.kind, 0.85 + 0.04 * (year - YEARS[0])
    )
    rows = []
    for position, county in enumerate(counties):
        county_rng = sub_rng(seed, "county-amount", county.code)
        included = county.code not in not_held and rng.random() < budget_share
        row: dict[str, Any] = {
            "key": county.name,
            "m3_county_meeting_held": county.code not in not_held,
            "m6_county_budget_included": included,
            "m8_county_industry_unions": unions[year][position],
            "m8_county_new_form_federations": min(2, rng.randint(0, 1) + (year - YEARS[0]) // 3),
            "m8_county_township_federations": min(5, county_rng.randint(0, 2) + (year - YEARS[0]) // 2),
        }
        if included:
            row["m6_county_budget_amount"] = round(county_rng.uniform(3.0, 12.0) * (1.05 ** (year - YEARS[0])), 1)
        if county.code in not_held:
            row["remark"] = rng.choice(NOT_HELD_REMARKS)
        rows.append(row)
    return rows


def city_meetings(rng: random.Random, kind: str, year: int) -> int:
    if kind == "strong":
        return rng.randint(3, 6)
    if kind == "lagging":
        return 1 if year <= 2022 else rng.randint(2, 3)
    if kind == "coverage_lagging":
        return rng.randint(1, 2)
    return rng.randint(2, 4)


def city_returns(seed: int, registry: Registry) -> list[ReturnStory]:
    stories = []
    for city in registry.cities():
        profile = PROFILES[city.code]
        counties = registry.counties_of(city.code)
        budgets = budget_lines(seed, city.code, profile)
        unions = union_counts(seed, city.code, counties, profile)
        rng = sub_rng(seed, "city", city.code)
        own_unions = {"strong": 6, "lagging": 1}.get(profile.kind, 3)
        for year in YEARS:
            own_unions += rng.randint(0, 2 if profile.kind == "strong" else 1)
            key, office = budgets[year]
            story = ReturnStory(
                city.code,
                city.name,
                "R1",
                year,
                values={
                    "m3_city_meetings": city_meetings(rng, profile.kind, year),
                    "m6_budget_key_work": key,
                    "m6_resident_office_funds": office,
                    "m8_city_industry_unions": own_unions,
                    "m8_city_new_form_federations": min(
                        4, (0 if profile.kind == "lagging" else 1) + (year - YEARS[0]) // 2
                    ),
                },
            )
            story.records["R1_COUNTY"] = county_rows(seed, city, counties, profile, unions, year)
            if city.code == "C01" and year == XIAN_JUMP_YEAR:
                story.remarks["m6_budget_key_work"] = XIAN_JUMP_REMARK
            if profile.kind == "funding_falling" and year >= 2023:
                story.remarks["m6_budget_key_work"] = ANKANG_REMARK
            stories.append(story)
    return stories
