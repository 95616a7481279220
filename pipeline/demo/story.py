"""The demo story: deterministic figures for every unit and reporting year 2021–2025.

Pure: `build_story(catalog, registry, seed)` returns the same Story for the same seed, without touching files.
The numbers obey the catalog's checks (of-which ≤ total and so on); only the deliberately broken files of
generate.py violate them. What the figures tell, and what later tests of the status engine may assert:

Cities (R1; measures 3, 6, 8)
- 西安、宝鸡、榆林 are strong and improving: every county holds its special meeting (coverage 100%), the city's
  budget lines grow 8–15% a year, and the share of counties with an industry union rises to 100%.
  西安's 2024 重点工作经费 jumps about 40%, explained in 说明: “2024年新增省级示范项目专项经费”.
- 铜川、商洛 lag early and improve: 铜川 coverage 60% (2021) → 80% (2022) → 100% from 2023; 商洛 62.5% → 75% →
  87.5% → 100% in 2024 (商洛's 2025 R1 is missing). Their county industry-union shares start low and rise.
- 汉中 lags on measure 3: 3–4 of its 11 counties hold no special meeting every year (coverage 67–75%, below
  80%: 未达标), each such county row explains why in 说明.
- 安康's funding falls: 重点工作经费 + 驻会经费 rises in 2022, then is lower each year from 2023 (预警), with 说明.
- 渭南 (2021) and 延安 (2022) miss one county each (coverage 91%/93%: 预警). Every other city budget total
  rises every year; every city's share of counties with at least one industry union rises each year until 100%
  (杨凌's single county has one from 2021; 韩城 has no counties).

Provincial industry unions (R2; measures 5, 7, 11–13, 15–18)
- 陕西省国防邮电工会 (I04) is short of staff: 实有/核定 = 9/15 or 10/15 (60–67%, 未达标) every year; its dues
  collection is 88.2% in 2024 (预警). 陕西省金融工会 (I08) collects 91.0% in 2024 (预警). Every other union and
  year collects 95.5–99%.
- Member coverage (会员÷职工) and 基层工会数 never fall, except 机械冶金建材 (I03) coverage dips in 2023 (预警).
- 海员建设 (I07) sets up its 联席会议制度 only in 2022 (2021: 7 of 8 units meet measure 13 → 预警).
- 农林水利气象 (I06) trains only about two thirds of its cadres in 2021 (预警); everyone else at least 80%.
- Promotion (measure 17): each union's promotion rate ÷ the provincial organ's is 0.82–0.96 in 2021–2022
  (预警) and 1.0–1.2 from 2023 (达标).

The provincial federation (R3; measures 1, 2, 4, 14, 17)
- 全省产业工会工作会议 held on 2022-11-17 (window 2021–2023 达标); not yet in 2024–2025 (window 2024–2026 open).
- 省级产业工会工作会议 held every year; all 8 unions report except 2022 (7 of 8 → 预警).
- 临时性重大活动经费: disbursed ÷ approved 92–99%, except 2023 (about 82% → 未达标, explained).
- 资源倾斜 shares rise every year, except the training-places share dips in 2023 (预警).
- 机关 promotions: eligible/promoted 64/13, 66/13, 65/12, 68/14, 70/15.

Inspections (R4; measures 9, 10)
- Special rounds in 2022 (12 cities + 8 industry unions) and 2024 (韩城 not inspected: window 2023–2024
  incomplete). Mean scores 81–94, except 汉中 and 国防邮电 (72–78), whose rectification is also below 90%.
- Random inspections: 1–3 a year; all problems rectified except in 2023 (rectification below 90%).

Filing (headers, missing and late returns) is described in generate.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.catalog import Catalog
from pipeline.demo.filing import MISSING, RESUBMITTED, add_headers, first_version
from pipeline.demo.model import ReturnStory
from pipeline.demo.story_cities import city_returns
from pipeline.demo.story_province import inspection_returns, organ_rates, province_returns
from pipeline.demo.story_unions import union_returns
from pipeline.demo.summary import summarise, verify_story
from pipeline.registry import Registry


@dataclass
class Story:
    seed: int
    returns: dict[tuple[str, str, int], ReturnStory]  # (return_code, unit_code, year)
    first_version: ReturnStory  # the superseded 2023 宝鸡 R1
    missing: tuple[tuple[str, str, int], ...]
    summary: dict[str, Any]

    def filed(self) -> list[ReturnStory]:
        """Every return that reaches the federation, in a stable order (missing ones excluded)."""
        missing = {(r, u, y) for u, r, y in self.missing}
        return [s for key, s in sorted(self.returns.items()) if key not in missing]


def build_story(catalog: Catalog, registry: Registry, seed: int) -> Story:
    """Every return's content for every unit and year (the missing ones included, flagged in `missing`)."""
    stories = [
        *city_returns(seed, registry),
        *union_returns(seed, registry, organ_rates()),
        *province_returns(seed, registry),
        *inspection_returns(seed, registry),
    ]
    add_headers(seed, stories)
    returns = {s.key: s for s in stories}
    first = first_version(returns[("R1", RESUBMITTED[0], RESUBMITTED[2])])
    story = Story(seed, returns, first, MISSING, {})
    verify_story(catalog, story)
    story.summary = summarise(story, registry)
    return story
