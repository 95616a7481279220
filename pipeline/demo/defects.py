"""Genuinely broken files: each defect builds one file the pipeline must reject, with the error it expects.

Broken files come on top of the story: the unit's valid return for that year is filed as well (a few days
later), so the story the status engine sees stays whole.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pipeline.catalog import Catalog
from pipeline.demo.model import ReturnStory
from pipeline.demo.writer import filled_workbook, xlsx_bytes
from pipeline.registry import Registry

NOT_EXCEL = (
    "%PDF-1.4\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "% 扫描件：市（区）总工会年度报表（盖章版）\n%%EOF\n"
).encode()
UNKNOWN_UNIT_NAME = "北京市总工会"


@dataclass
class BrokenFile:
    """One defective file and what the manifest says about it."""

    defect: str
    story: ReturnStory  # the unit (unit_code "" when unknown), return and year the file claims, and its content
    suffix: str  # appended to the file name so it sits next to the unit's valid return
    errors: tuple[str, ...]
    data: bytes = b""
    values: dict[str, Any] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class DefectSpec:
    defect: str
    return_code: str
    unit_code: str
    year: int
    suffix: str
    errors: tuple[str, ...]


DEFECTS: tuple[DefectSpec, ...] = (
    DefectSpec("wrong_template_year", "R1", "C04", 2024, "_初稿", ("wrong_year",)),
    DefectSpec("missing_required_table", "R1", "C05", 2023, "(1)", ("missing_table",)),
    DefectSpec("non_numeric_count", "R2", "I03", 2022, "_报送版", ("not_a_number",)),
    DefectSpec("corrupt_file", "R2", "I02", 2023, "_初稿", ("corrupt_file",)),
    DefectSpec("not_excel", "R1", "C06", 2022, "_扫描件", ("not_excel",)),
    DefectSpec("empty_file", "R2", "I06", 2025, "(1)", ("empty_file",)),
    DefectSpec("unknown_unit", "R1", "C04", 2024, "", ("unknown_unit",)),
    DefectSpec("wrong_return_type", "R1", "C12", 2021, "", ("wrong_return_type",)),
    DefectSpec("formula_without_cached_value", "R2", "I05", 2025, "_初稿", ("formula_without_value",)),
    DefectSpec("of_which_exceeds_total", "R2", "I08", 2022, "_初稿", ("check_failed",)),
)


def _earlier(story: ReturnStory, days: int) -> ReturnStory:
    """A copy of the story filed `days` earlier: the broken attempt before the valid return."""
    broken = copy.deepcopy(story)
    broken.filled_on = max(date(story.year + 1, 1, 4), story.filled_on - timedelta(days=days))
    return broken


def _valid_bytes(catalog: Catalog, registry: Registry, story: ReturnStory, **options: Any) -> bytes:
    wb, _ = filled_workbook(catalog, registry, story, **options)
    return xlsx_bytes(wb, story.filled_on)


def wrong_template_year(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """Last year's template (year cell, title and properties say Y-1) filled with year Y's figures."""
    item.data = _valid_bytes(catalog, registry, item.story, template_year=item.story.year - 1)


def missing_required_table(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    wb, _ = filled_workbook(catalog, registry, item.story)
    sheet = catalog.tables["R1_COUNTY"].sheet
    del wb[sheet]
    item.records = {}
    item.data = xlsx_bytes(wb, item.story.filled_on)


def non_numeric_count(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    wb, layout = filled_workbook(catalog, registry, item.story)
    for code, text in (("m13_problems_resolved", "若干"), ("m18_outputs_adopted", "待定")):
        ref = layout.value_cells[code]
        wb[ref.sheet][ref.cell].value = text
        item.values.pop(code)
    item.data = xlsx_bytes(wb, item.story.filled_on)


def corrupt_file(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """A download cut off half way: the zip's central directory is missing."""
    whole = _valid_bytes(catalog, registry, item.story)
    item.data = whole[: len(whole) * 11 // 20]
    item.values, item.records = {}, {}


def not_excel(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    item.data = NOT_EXCEL
    item.values, item.records = {}, {}


def empty_file(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    item.data = b""
    item.values, item.records = {}, {}


def unknown_unit(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """A federation outside Shaanxi fills the generic R1 template (its county table left empty)."""
    item.story.unit_code, item.story.unit_name = "", UNKNOWN_UNIT_NAME
    item.story.records, item.records = {}, {}
    item.data = _valid_bytes(catalog, registry, item.story, own_template=False)


def wrong_return_type(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """An industry union fills the city return (the generic R1 template)."""
    union = registry.get("I01")
    item.story.unit_code, item.story.unit_name = union.code, union.name
    item.story.records, item.records = {}, {}
    item.data = _valid_bytes(catalog, registry, item.story, own_template=False)


def formula_without_cached_value(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """A value cell holds =a+b saved without its result (as a script or an online editor leaves it)."""
    wb, layout = filled_workbook(catalog, registry, item.story)
    code = "m7_grassroots_unions"
    value = item.story.values[code]
    ref = layout.value_cells[code]
    wb[ref.sheet][ref.cell].value = f"={value - 100}+100"
    item.values.pop(code)
    item.data = xlsx_bytes(wb, item.story.filled_on)


def of_which_exceeds_total(catalog: Catalog, registry: Registry, item: BrokenFile) -> None:
    """其中：参加培训的干部人数 larger than 干部人数 (an error-severity check)."""
    item.story.values["m16_cadres_trained"] = item.story.values["m16_cadres"] + 3
    item.values = dict(item.story.values)
    item.data = _valid_bytes(catalog, registry, item.story)


BUILDERS: dict[str, Callable[[Catalog, Registry, BrokenFile], None]] = {
    "wrong_template_year": wrong_template_year,
    "missing_required_table": missing_required_table,
    "non_numeric_count": non_numeric_count,
    "corrupt_file": corrupt_file,
    "not_excel": not_excel,
    "empty_file": empty_file,
    "unknown_unit": unknown_unit,
    "wrong_return_type": wrong_return_type,
    "formula_without_cached_value": formula_without_cached_value,
    "of_which_exceeds_total": of_which_exceeds_total,
}


def broken_file(
    catalog: Catalog, registry: Registry, returns: dict[tuple[str, str, int], ReturnStory], spec: DefectSpec
) -> BrokenFile:
    story = _earlier(returns[(spec.return_code, spec.unit_code, spec.year)], days=5)
    item = BrokenFile(
        spec.defect, story, spec.suffix, spec.errors, values=dict(story.values), records=copy.deepcopy(story.records)
    )
    BUILDERS[spec.defect](catalog, registry, item)
    return item
