"""Header details of the demo returns: who filled a return, their phone, and when it was filled."""

from __future__ import annotations

import random
from datetime import date

from pipeline.demo.model import sub_rng

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林梁宋郑谢韩唐冯董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = [
    "建华",
    "晓燕",
    "志强",
    "丽娟",
    "海涛",
    "秀英",
    "俊杰",
    "雪梅",
    "文博",
    "小军",
    "亚楠",
    "宏伟",
    "静",
    "磊",
    "敏",
    "婷婷",
    "鹏",
    "娜",
    "永刚",
    "红霞",
    "立新",
    "春燕",
    "国庆",
    "玉兰",
    "卫东",
    "晓东",
    "佳琪",
    "思远",
    "秦川",
    "渭宁",
    "延平",
    "汉生",
    "瑞",
    "欣怡",
    "博文",
    "丹",
    "超",
    "晶",
    "振华",
    "艳",
]

# Office area codes; the provincial federation and the industry unions sit in Xi'an.
AREA_CODES = {
    "C01": "029",
    "C02": "0919",
    "C03": "0917",
    "C04": "029",
    "C05": "0913",
    "C06": "0911",
    "C07": "0916",
    "C08": "0912",
    "C09": "0915",
    "C10": "0914",
    "C11": "029",
    "C12": "0913",
}
MOBILE_PREFIXES = ("133", "135", "138", "139", "150", "153", "158", "177", "180", "186", "189", "199")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def office_phone(rng: random.Random, unit_code: str) -> str:
    area = AREA_CODES.get(unit_code, "029")
    if area == "029":
        return f"029-8{rng.randint(0, 9999999):07d}"
    return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"


def mobile_phone(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}"


class Contacts:
    """One submitter per unit, replaced once in a while (staff turnover), with a stable phone each."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def contact(self, unit_code: str, year: int) -> tuple[str, str]:
        rng = sub_rng(self.seed, "contact", unit_code)
        handover = rng.choice((2022, 2023, 2024, 2025, 2026, 2026, 2026))
        era = 0 if year < handover else 1
        era_rng = sub_rng(self.seed, "contact", unit_code, era)
        name = person_name(era_rng)
        phone = mobile_phone(era_rng) if era_rng.random() < 0.3 else office_phone(era_rng, unit_code)
        return name, phone


def filled_on(seed: int, unit_code: str, return_code: str, year: int) -> date:
    """An on-time filing date: a working day in January of the following year, before the deadline."""
    rng = sub_rng(seed, "filled", unit_code, return_code, year)
    day = date(year + 1, 1, rng.randint(6, 29))
    while day.weekday() >= 5:  # offices file on working days
        day = date(day.year, day.month, day.day - 1)
    return day
