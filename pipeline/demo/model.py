"""Plain data shapes shared by the story and the writer: one return's content, before any file exists."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Reporting years the demo covers; the notice took effect in October 2021.
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)


@dataclass
class ReturnStory:
    """What one unit reports for one year: header, indicator values, 说明 remarks and records rows.

    Values hold clean Python types (int, float, date, bool, str); an indicator left blank is absent.
    Records rows are dicts {"key": name, <indicator>: value, "remark": text}, the shape fill_return takes.
    """

    unit_code: str
    unit_name: str
    return_code: str
    year: int
    values: dict[str, Any] = field(default_factory=dict)
    remarks: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    submitter: str = ""
    phone: str = ""
    filled_on: date = date(2000, 1, 1)

    def header(self) -> dict[str, Any]:
        return {
            "unit_name": self.unit_name,
            "submitter": self.submitter,
            "phone": self.phone,
            "filled_on": self.filled_on,
        }

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.return_code, self.unit_code, self.year)


def sub_rng(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible stream per unit and topic, so editing one part leaves the rest unchanged."""
    return random.Random("-".join(str(p) for p in (seed, *parts)))


def grow(rng: random.Random, value: float, low: float, high: float, digits: int = 1) -> float:
    """value multiplied by a random factor in [1+low, 1+high], rounded (amounts in 万元)."""
    return round(value * (1 + rng.uniform(low, high)), digits)
