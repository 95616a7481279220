"""Checks the story against the catalog, and condenses it into the facts the manifest publishes under "story"."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pipeline.catalog import Catalog
from pipeline.demo.filing import LATE, RESUBMITTED
from pipeline.demo.model import YEARS, ReturnStory
from pipeline.registry import Registry

if TYPE_CHECKING:
    from pipeline.demo.story import Story

NARRATIVE = (
    "西安、宝鸡、榆林基础好且逐年提升；铜川、商洛起步较弱，逐年改善（商洛2025年报表未报送）。",
    "汉中每年有3至4个县（区）未召开专题会议，覆盖率低于80%。",
    "安康本级产业工会经费2023年起逐年下降。",
    "省国防邮电工会人员长期不足（实有人员为编制的六到七成），2024年会费收缴率88.2%；省金融工会2024年收缴率91.0%。",
    "全省产业工会工作会议于2022年11月召开；2024—2026年窗口期尚未召开。",
    "省级产业工会工作会议每年召开，2022年8个产业工会中7个作了汇报。",
    "临时性重大活动经费拨付率2023年约为82%，其余年份不低于90%。",
    "专项督查2022年覆盖全部12个市和8个产业工会；2024年未督查韩城市总工会。汉中、省国防邮电工会平均得分低于80分。",
    "产业工会干部提拔率2021—2022年略低于省总机关，2023年起持平或略高。",
)
TYPE_CHECKS = {
    "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "amount": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
    "score": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100,
    "rate": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100,
    "date": lambda v: isinstance(v, date),
    "bool": lambda v: isinstance(v, bool),
    "text": lambda v: isinstance(v, str) and bool(v),
}


def _rows_of(story: ReturnStory) -> list[tuple[str, dict[str, Any]]]:
    """(where, figures) for the indicator list and for every records row."""
    rows = [(f"{story.unit_name} {story.year} {story.return_code}", story.values)]
    for table, records in story.records.items():
        rows += [(f"{story.unit_name} {story.year} {table} 第{i}行", r) for i, r in enumerate(records, 1)]
    return rows


def verify_story(catalog: Catalog, story: Story) -> None:
    """Raise ValueError when a figure has the wrong type, sits in the wrong return or breaks a check."""
    for ret in [*story.returns.values(), story.first_version]:
        allowed = {
            i.code for t in catalog.tables_of_return(ret.return_code) for i in catalog.indicators_of_table(t.code)
        }
        checks = catalog.checks_of_return(ret.return_code)
        for where, figures in _rows_of(ret):
            for code, value in figures.items():
                if code in ("key", "remark"):
                    continue
                if code not in allowed:
                    raise ValueError(f"{where}：指标 {code} 不属于 {ret.return_code}")
                if not TYPE_CHECKS[catalog.indicators[code].type](value):
                    raise ValueError(f"{where}：指标 {code} 的值 {value!r} 类型不符")
            for check in checks:
                if check.lhs in figures and check.rhs in figures and figures[check.lhs] > figures[check.rhs]:
                    raise ValueError(f"{where}：{check.message}")


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _per_year(story: Story, return_code: str, unit_code: str, fn: Any) -> dict[str, Any]:
    missing = {(u, r, y) for u, r, y in story.missing}
    return {
        str(year): fn(story.returns[(return_code, unit_code, year)])
        for year in YEARS
        if (unit_code, return_code, year) not in missing
    }


def _coverage(ret: ReturnStory) -> float:
    rows = ret.records["R1_COUNTY"]
    held = (ret.values["m3_city_meetings"] >= 1) + sum(r["m3_county_meeting_held"] for r in rows)
    return round(held / (len(rows) + 1), 3)


def _union_share(ret: ReturnStory) -> float | None:
    rows = ret.records["R1_COUNTY"]
    return _ratio(sum(r["m8_county_industry_unions"] >= 1 for r in rows), len(rows))


def _city_facts(story: Story, registry: Registry) -> dict[str, Any]:
    facts: dict[str, Any] = {"coverage": {}, "budget_total": {}, "county_union_share": {}}
    for city in registry.cities():
        facts["coverage"][city.code] = _per_year(story, "R1", city.code, _coverage)
        facts["budget_total"][city.code] = _per_year(
            story,
            "R1",
            city.code,
            lambda r: round(r.values["m6_budget_key_work"] + r.values["m6_resident_office_funds"], 1),
        )
        facts["county_union_share"][city.code] = _per_year(story, "R1", city.code, _union_share)
    return facts


def _union_facts(story: Story, registry: Registry) -> dict[str, Any]:
    organ = {y: story.returns[("R3", registry.province().code, y)].values for y in YEARS}

    def parity(r: ReturnStory) -> float:
        o = organ[r.year]
        own = r.values["m17_cadres_promoted"] / r.values["m17_cadres_eligible"]
        return round(own / (o["m17_organ_promoted"] / o["m17_organ_eligible"]), 3)

    facts: dict[str, Any] = {"dues_rate": {}, "staffing_rate": {}, "promotion_parity": {}}
    for union in registry.industry_unions():
        facts["dues_rate"][union.code] = _per_year(
            story, "R2", union.code, lambda r: _ratio(r.values["m5_dues_collected"], r.values["m5_dues_due"])
        )
        facts["staffing_rate"][union.code] = _per_year(
            story,
            "R2",
            union.code,
            lambda r: _ratio(r.values["m12_staff_in_post"], r.values["m12_staff_establishment"]),
        )
        facts["promotion_parity"][union.code] = _per_year(story, "R2", union.code, parity)
    return facts


def _province_facts(story: Story, registry: Registry) -> dict[str, Any]:
    code = registry.province().code
    r3 = {y: story.returns[("R3", code, y)].values for y in YEARS}
    r4 = {y: story.returns[("R4", code, y)].records for y in YEARS}
    return {
        "conference_dates": {
            str(y): v["m1_conference_date"].isoformat() for y, v in r3.items() if "m1_conference_date" in v
        },
        "unions_reported": {str(y): v["m2_unions_reported"] for y, v in r3.items()},
        "funds_disbursed_rate": {
            str(y): _ratio(v["m4_funds_disbursed"], v["m4_funds_approved"]) for y, v in r3.items()
        },
        "special_inspection_units": {str(y): len(t["R4_SPECIAL"]) for y, t in r4.items() if t["R4_SPECIAL"]},
        "special_inspection_mean_score": {
            str(y): {
                row["key"]: round(sum(v for k, v in row.items() if k.startswith("m9_score")) / 7, 2)
                for row in t["R4_SPECIAL"]
            }
            for y, t in r4.items()
            if t["R4_SPECIAL"]
        },
        "random_inspections": {str(y): len(t["R4_RANDOM"]) for y, t in r4.items()},
        "random_rectification_rate": {
            str(y): _ratio(
                sum(r["m10_problems_rectified"] for r in t["R4_RANDOM"]),
                sum(r["m10_problems_found"] for r in t["R4_RANDOM"]),
            )
            for y, t in r4.items()
        },
    }


def summarise(story: Story, registry: Registry) -> dict[str, Any]:
    return {
        "narrative": list(NARRATIVE),
        "groups": {
            "strong_improving": ["C01", "C03", "C08"],
            "lagging_improving": ["C02", "C10"],
            "coverage_lagging": ["C07"],
            "funding_falling": ["C09"],
            "understaffed": ["I04"],
            "dues_warning_2024": ["I04", "I08"],
            "inspection_low_scorers": ["C07", "I04"],
        },
        "cities": _city_facts(story, registry),
        "industry_unions": _union_facts(story, registry),
        "province": _province_facts(story, registry),
        "missing": [{"unit_code": u, "return_code": r, "year": y} for u, r, y in story.missing],
        "late": [
            {"unit_code": u, "return_code": r, "year": y, "filled_on": d.isoformat()}
            for (u, r, y), d in sorted(LATE.items())
        ],
        "resubmitted": {
            "unit_code": RESUBMITTED[0],
            "return_code": RESUBMITTED[1],
            "year": RESUBMITTED[2],
            "corrected": "m6_budget_key_work",
        },
    }
