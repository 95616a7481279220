"""Real-life traits of returns that are messy but valid: each a small function with a stable code name.

A trait rewrites a filled workbook the way a person at a federation office would (numbers typed as text,
columns moved, a scratch sheet added …) without changing what the return says: the ingestion tests assert
that such a file loads to exactly the clean values. Cell-level traits live here and run first, while the
template layout still names the right cells; sheet-level traits (messy_sheets.py) run after them.

Trait codes (manifest `traits`; the specifics of each go to `trait_details`):
  numbers_as_text              a number cell holds text: thousands_sep 1,234 · fullwidth_digits １２３ ·
                               wan_suffix 3.5万元 (in a 万元 cell) or 1.2万人 (in a count of people; accepted
                               with the warning `converted_number`, since the figure read differs from the text).
                               percent_text is not produced: the catalog has no rate (%) indicator.
  dates_as_text                a date typed as text: cn 2023年5月12日 · dot 2023.5.12 · slash 2023/5/12
  unit_name_spelling           填报单位 spelled another way the registry resolves (西安, 西安市总工会（盖章）, 省金融工会)
  formulas_with_cached_values  a value cell holds =a+b with its cached result, as Excel saves it
  estimate_value               a count typed as 约120 (accepted with the warning `estimate`)
  edited_headers, merged_title, moved_columns, note_rows, extra_sheet, hidden_sheet, wps_export: messy_sheets.py
  xls_copy                     the same clean return also sent as .xls (generate.py writes it)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import Cell

from pipeline.catalog import Catalog
from pipeline.demo.model import ReturnStory
from pipeline.normalise import CONVERTED_NUMBER
from pipeline.registry import Registry
from pipeline.template_layout import TemplateLayout

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "dot": lambda d: f"{d.year}.{d.month}.{d.day}",
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
}
NUMBER_VARIANTS = ("thousands_sep", "fullwidth_digits", "wan_suffix")


@dataclass
class TraitContext:
    """One file's story, layout and the record of what each trait did."""

    catalog: Catalog
    registry: Registry
    story: ReturnStory
    layout: TemplateLayout
    rng: random.Random
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)  # trait -> requested variants
    details: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    formula_values: dict[str, str] = field(default_factory=dict)  # formula text -> cached <v> text
    touched: set[str] = field(default_factory=set)  # indicators already rewritten by a trait
    warnings: list[str] = field(default_factory=list)  # expected warning codes
    wps: bool = False

    def note(self, trait: str, **detail: str) -> None:
        self.details.setdefault(trait, []).append(detail)

    def value_cell(self, wb: Workbook, code: str) -> Cell:
        ref = self.layout.value_cells[code]
        return wb[ref.sheet][ref.cell]

    def free_numbers(self) -> list[str]:
        """Numeric indicators of the indicator list that no trait has rewritten yet, in catalog order."""
        return [
            c
            for c, v in self.story.values.items()
            if self.catalog.indicators[c].is_numeric and c not in self.touched and not isinstance(v, bool)
        ]


def plain(value: float | int) -> str:
    """The number as a person would type it: 35.6, 1102.5, 12000."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _number_text(variant: str, value: float | int, unit: str) -> str | None:
    if variant == "thousands_sep" and value >= 1000:
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    if variant == "fullwidth_digits":
        return plain(value).translate(FULLWIDTH)
    if variant == "wan_suffix" and unit == "人" and value >= 10000 and value % 100 == 0:
        return f"{(Decimal(int(value)) / 10000).normalize():f}万人"
    if variant == "wan_suffix" and unit == "万元":
        return f"{plain(value)}万元"
    return None


def numbers_as_text(wb: Workbook, ctx: TraitContext) -> None:
    for variant in ctx.options.get("numbers_as_text") or NUMBER_VARIANTS:
        choices = []
        for code in ctx.free_numbers():
            text = _number_text(variant, ctx.story.values[code], ctx.catalog.indicators[code].unit)
            if text is not None:
                choices.append((code, text))
        if not choices:
            raise ValueError(f"{ctx.story.unit_name} {ctx.story.year}：没有可写成“{variant}”的数")
        # People counts in 万人 read most naturally, so they win when present.
        people = [c for c in choices if c[1].endswith("万人")]
        code, text = people[0] if people else ctx.rng.choice(choices)
        ctx.value_cell(wb, code).value = text
        ctx.touched.add(code)
        if text.endswith("万人"):  # 1.2万人 is read as 12000: a conversion the submitter is shown
            ctx.warnings.append(CONVERTED_NUMBER)
        ctx.note("numbers_as_text", variant=variant, indicator=code, text=text)


def _date_cells(wb: Workbook, ctx: TraitContext) -> list[tuple[str, Cell, date]]:
    """(what, cell, date) for the header's 填报日期 and every date the return reports."""
    ref = ctx.layout.header_cells["filled_on"]
    cells = [("filled_on", wb[ref.sheet][ref.cell], ctx.story.filled_on)]
    for code, value in ctx.story.values.items():
        if isinstance(value, date):
            cells.append((code, ctx.value_cell(wb, code), value))
    for table, rows in ctx.story.records.items():
        layout = ctx.layout.records[table]
        for offset, row in enumerate(rows[:2]):
            for code, value in row.items():
                if isinstance(value, date):
                    cell = wb[layout.sheet][f"{layout.columns[code]}{layout.first_data_row + offset}"]
                    cells.append((f"{table}.{code}", cell, value))
    return cells


def dates_as_text(wb: Workbook, ctx: TraitContext) -> None:
    formats = ctx.options.get("dates_as_text") or ("cn",)
    for index, (what, cell, value) in enumerate(_date_cells(wb, ctx)):
        variant = formats[index % len(formats)]
        cell.value = DATE_FORMATS[variant](value)
        ctx.note("dates_as_text", variant=variant, field=what, text=cell.value)


def _spellings(ctx: TraitContext) -> list[str]:
    unit = ctx.registry.get(ctx.story.unit_code)
    if unit.type == "industry":
        return [a for a in unit.aliases if a.startswith("省")][:1] + [f"{unit.name}（盖章）"]
    return [a for a in unit.aliases if len(a) <= 3][:1] + [f"{unit.name}（盖章）", unit.short_name]


def unit_name_spelling(wb: Workbook, ctx: TraitContext) -> None:
    wanted = ctx.options.get("unit_name_spelling")
    spelling = wanted[0] if wanted else ctx.rng.choice(_spellings(ctx))
    resolved = ctx.registry.resolve(spelling).unit
    if resolved is None or resolved.code != ctx.story.unit_code:
        raise ValueError(f"“{spelling}”不能唯一识别为 {ctx.story.unit_name}")
    ref = ctx.layout.header_cells["unit_name"]
    wb[ref.sheet][ref.cell].value = spelling
    ctx.note("unit_name_spelling", text=spelling)


def _split(rng: random.Random, value: float | int) -> tuple[str, str] | None:
    """Two addends a person might type, whose floating-point sum is exactly value."""
    digits = max(0, -Decimal(plain(value)).as_tuple().exponent)
    for _ in range(50):
        if digits == 0:
            if value < 2:
                return None
            first = rng.randint(1, int(value) - 1)
            return str(first), str(int(value) - first)
        first = round(value * rng.uniform(0.55, 0.8), digits)
        second = round(value - first, digits)
        if first > 0 and second > 0 and first + second == value:
            return plain(first), plain(second)
    return None


def formulas_with_cached_values(wb: Workbook, ctx: TraitContext) -> None:
    """=a+b where a person adds two parts by hand: amounts first, then counts of at least 20."""
    count = int((ctx.options.get("formulas_with_cached_values") or ("2",))[0])
    codes = [c for c in ctx.free_numbers() if ctx.catalog.indicators[c].type == "amount"]
    codes += [c for c in ctx.free_numbers() if ctx.catalog.indicators[c].type == "count" and ctx.story.values[c] >= 20]
    for code in codes:
        parts = _split(ctx.rng, ctx.story.values[code])
        if parts is None:
            continue
        formula = f"={parts[0]}+{parts[1]}"
        ctx.value_cell(wb, code).value = formula
        ctx.formula_values[formula] = plain(ctx.story.values[code])
        ctx.touched.add(code)
        ctx.note("formulas_with_cached_values", indicator=code, formula=formula)
        count -= 1
        if count == 0:
            return
    raise ValueError(f"{ctx.story.unit_name} {ctx.story.year}：可写成公式的数不够")


def _checks_hold(catalog: Catalog, values: dict[str, object]) -> bool:
    return all(
        values[c.lhs] <= values[c.rhs]  # type: ignore[operator]
        for c in catalog.checks
        if c.lhs in values and c.rhs in values
    )


def estimate_value(wb: Workbook, ctx: TraitContext) -> None:
    """约N in the count the plan names; the clean value becomes N (what the reader will load)."""
    code = (ctx.options.get("estimate_value") or ("m7_rationalized_this_year",))[0]
    rounded = max(10, int(round(ctx.story.values[code], -1)))
    if code in ctx.touched or not _checks_hold(ctx.catalog, {**ctx.story.values, code: rounded}):
        raise ValueError(f"{ctx.story.unit_name} {ctx.story.year}：{code} 不宜写成估计数")
    ctx.story.values[code] = rounded
    ctx.value_cell(wb, code).value = f"约{rounded}"
    ctx.touched.add(code)
    ctx.warnings.append("estimate")
    ctx.note("estimate_value", indicator=code, text=f"约{rounded}")


CELL_TRAITS: dict[str, Callable[[Workbook, TraitContext], None]] = {
    "estimate_value": estimate_value,
    "formulas_with_cached_values": formulas_with_cached_values,
    "numbers_as_text": numbers_as_text,
    "dates_as_text": dates_as_text,
    "unit_name_spelling": unit_name_spelling,
}
