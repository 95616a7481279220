"""From a ReturnStory to workbook bytes, through the template writer, with every timestamp fixed."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty

from pipeline.catalog import Catalog
from pipeline.demo.model import ReturnStory
from pipeline.demo.xlsxpost import finish_xlsx
from pipeline.registry import Registry
from pipeline.template_layout import TemplateLayout
from pipeline.templates import build_template, fill_return

BOOL_TEXT = {True: "是", False: "否"}  # the template's 是/否 dropdown
FILED_AT = time(9, 0)


def cell_value(value: Any) -> Any:
    return BOOL_TEXT[value] if isinstance(value, bool) else value


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    return {k: cell_value(v) for k, v in row.items()}


def filed_at(day: date) -> datetime:
    return datetime.combine(day, FILED_AT)


def filled_workbook(
    catalog: Catalog,
    registry: Registry,
    story: ReturnStory,
    *,
    template_year: int | None = None,
    own_template: bool = True,
) -> tuple[Workbook, TemplateLayout]:
    """The template of the story's return, filled with its content and marked as demo data.

    own_template=False uses the generic template (no unit, blank county rows), as a unit that downloaded the
    wrong return type would.
    """
    year = template_year or story.year
    unit_code = story.unit_code if own_template else None
    wb, layout = build_template(catalog, registry, story.return_code, year, unit_code=unit_code)
    records = {table: [_cells(r) for r in rows] for table, rows in story.records.items()}
    fill_return(wb, layout, header=story.header(), values=_cells(story.values), remarks=story.remarks, records=records)
    mark_demo(wb, catalog, story, year)
    return wb, layout


def mark_demo(wb: Workbook, catalog: Catalog, story: ReturnStory, template_year: int) -> None:
    """The demo label in the keywords and a demo_data property; the template's release and the filing time."""
    label = catalog.reporting.demo_label
    keywords = wb.properties.keywords or ""
    wb.properties.keywords = f"{keywords},{label}" if keywords else label
    wb.custom_doc_props.append(StringProperty(name="demo_data", value="true"))
    wb.properties.created = datetime(template_year, 12, 1, 9, 0)
    wb.properties.lastModifiedBy = story.submitter or None


def xlsx_bytes(
    wb: Workbook, filled_on: date, *, wps: bool = False, cached_values: dict[tuple[str, str], str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return finish_xlsx(buffer.getvalue(), filed_at(filled_on), wps=wps, cached_values=cached_values)
