"""Year-over-year anomaly flags: figures that jump or drop far more than is plausible, for a person to check.

The rule. For every numeric indicator of type count, amount or score, compare the figure an entity (a unit's own
figure, or a county's row in its city's return) reported in year Y with the one for year Y-1. Flag it when both
values are present and the change is large in both senses:
  - relative: the larger value is at least RATIO times the smaller (a rise to 3× or a drop to a third or less;
    a change from or to 0 counts as unbounded), and
  - absolute: the difference is at least the floor for the indicator's type, so that small numbers moving a
    little (1 → 3 union meetings) are not flagged.
Only consecutive years are compared, so the first year an entity reports (or the first after a gap) is never
flagged. Inspection records (R4, one row per inspection, several per unit) are events, not a yearly series, and
are left out. A flag is not an error: the submitter's 说明 on the figure is shown beside it.

The bounds are not measure thresholds; they default to the constants below and may be overridden by the
catalog (`reporting.anomaly: {ratio: 3, floors: {count: 10, amount: 10, score: 20}}`) once it carries them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.catalog import Catalog
from pipeline.status import format as fmt
from pipeline.status.context import RuleContext
from pipeline.status.facts import mart_sql
from pipeline.status.model import SourceRef

# A genuine year-on-year change in a union's budget, membership or activity rarely triples or falls to a
# third; such a change is far more often a unit slip (元 for 万元), an extra digit, or a figure for the wrong scope.
RATIO = 3.0
# Below these differences a large ratio is ordinary noise of small numbers:
#   count  — 10 items: a union's meetings, activities or topics swing from 2 to 8 between ordinary years
#            (checked on the demo returns), and 1 → 3 meetings is never a typo;
#   amount — 10万元: small allocations of a few 万元 are routinely doubled or halved;
#   score  — 20 points on a 0–100 scale: less is within the spread between two inspection rounds.
FLOORS = {"count": 10.0, "amount": 10.0, "score": 20.0}
# Levels whose rows form a yearly series per entity.
SERIES_LEVELS = ("unit", "county")


@dataclass(frozen=True)
class Anomaly:
    year: int
    unit_code: str  # the submitting unit
    entity_code: str  # the unit or county the figure is about
    indicator: str
    indicator_name: str
    previous: float
    current: float
    change_text: str  # e.g. "由 51.8万元 增至 518万元（×10.0）"
    remark: str | None  # the submitter's 说明 on this year's figure
    source: SourceRef | None  # this year's cell


def bounds(catalog: Catalog) -> tuple[float, dict[str, float]]:
    """(ratio, floors by indicator type): the catalog's reporting.anomaly where present, else the defaults."""
    configured = getattr(catalog.reporting, "anomaly", None) or {}
    floors = {**FLOORS, **{k: float(v) for k, v in (configured.get("floors") or {}).items()}}
    return float(configured.get("ratio", RATIO)), floors


def is_anomalous(previous: float, current: float, ratio: float, floor: float) -> bool:
    if abs(current - previous) < floor:
        return False
    low, high = sorted((previous, current))
    return low <= 0 or high >= ratio * low


def change_text(previous: float, current: float, unit: str) -> str:
    before, after = fmt.number(previous, unit), fmt.number(current, unit)
    if current >= previous:
        factor = f"×{current / previous:.1f}" if previous > 0 else "上年为0"
        return f"由 {before} 增至 {after}（{factor}）"
    share = f"为上年的{fmt.pct(current / previous)}" if previous > 0 else "上年为负数"
    return f"由 {before} 降至 {after}（{share}）"


def series_codes(catalog: Catalog) -> list[str]:
    """The indicators whose figures form a yearly series per entity."""
    return [code for code, ind in catalog.indicators.items() if ind.type in FLOORS and ind.level in SERIES_LEVELS]


def _flagged(ctx: RuleContext, year: int | None) -> pd.DataFrame:
    """The rows of `year` (or every year) whose figure changed implausibly since the year before, with `previous`:
    the test of is_anomalous applied to every pair at once, in SQL (pipeline/sql/marts/anomaly_pairs.sql) over the
    figures of every year, without reading them all into memory."""
    ratio, floors = bounds(ctx.catalog)
    codes = series_codes(ctx.catalog)
    params = {
        "codes": codes,
        "floors": [floors[ctx.catalog.indicator(code).type] for code in codes],
        "ratio": ratio,
        "year": None if year is None else int(year),
    }
    return ctx.store.sql(mart_sql("anomaly_pairs"), params)


def find_anomalies(ctx: RuleContext, year: int | None = None) -> list[Anomaly]:
    """Figures of `year` (or of every year) that changed implausibly since the year before."""
    order = {code: i for i, code in enumerate(ctx.catalog.indicators)}
    found = []
    for row in _flagged(ctx, year).itertuples():
        this_year = int(row.year)
        indicator = ctx.catalog.indicator(row.indicator)
        before, now = float(row.previous), float(row.value_num)
        remark = row.remark if isinstance(row.remark, str) and row.remark else None
        found.append(
            Anomaly(
                year=this_year,
                unit_code=row.unit_code,
                entity_code=row.entity_code,
                indicator=row.indicator,
                indicator_name=indicator.name,
                previous=before,
                current=now,
                change_text=change_text(before, now, indicator.unit),
                remark=remark,
                source=ctx.source(row.indicator, this_year, row.entity_code, fmt.number(now, indicator.unit)),
            )
        )
    found.sort(key=lambda a: (a.year, a.unit_code, a.entity_code, order[a.indicator]))
    return found
