"""Complete returns written on the real template and filled as a clerk fills them, and what loading them yields.

Shared by tests/test_locate.py and tests/test_locate_properties.py. Every figure is distinct (so a value read from
the wrong row or column shows) and passes the catalog's arithmetic checks (so a clean return loads without errors).
"""

from __future__ import annotations

import datetime
import io

from openpyxl import Workbook

from pipeline.catalog import load_catalog
from pipeline.locate import LocatedReturn, locate_return
from pipeline.read import read_workbook
from pipeline.registry import load_registry
from pipeline.template_layout import TemplateLayout
from pipeline.templates import build_template, fill_return
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn

CATALOG = load_catalog()
REGISTRY = load_registry()
YEAR = 2024
FILE_NAME = "宝鸡市总工会2024年报表.xlsx"
SUBMITTERS = {
    "R1": ("C03", "宝鸡市总工会"),
    "R2": ("I01", "陕西省教科文卫体工会"),
    "R3": (None, "陕西省总工会"),
    "R4": (None, "陕西省总工会"),
}
INSPECTED = {
    "R4_SPECIAL": ("西安市总工会", "宝鸡市总工会", "陕西省金融工会"),
    "R4_RANDOM": ("渭南市总工会", "渭南市总工会"),
}
CHECKS = [check for measure in CATALOG.measures for check in measure.checks]


def figures(codes: list[str], row: int = 0) -> dict[str, object]:
    """A distinct figure of each indicator's type; a check's left side is lowered until it holds."""
    out: dict[str, object] = {}
    for position, code in enumerate(codes, 1):
        kind = CATALOG.indicators[code].type
        number = 40 + 11 * position + 3 * row
        if kind == "date":
            out[code] = datetime.date(YEAR, 1 + position % 12, 1 + row % 28)
        elif kind == "bool":
            out[code] = "是"
        elif kind == "text":
            out[code] = f"督查事项{row + 1}"
        elif kind in ("score", "rate"):
            out[code] = 60 + position + row % 30
        elif kind == "amount":
            out[code] = number + 0.5
        else:
            out[code] = number
    for _ in CHECKS:  # chains (a <= b <= c) settle within as many passes as there are checks
        for check in CHECKS:
            if check.lhs in out and check.rhs in out and out[check.lhs] > out[check.rhs]:
                out[check.lhs] = out[check.rhs] - 1
    return out


def clean_return(code: str) -> tuple[Workbook, TemplateLayout]:
    """Every field, figure and row of a return of type `code` filled; R1 lists each county of 宝鸡市."""
    unit_code, unit_name = SUBMITTERS[code]
    wb, layout = build_template(CATALOG, REGISTRY, code, YEAR, unit_code=unit_code)
    header = {
        "unit_name": unit_name,
        "submitter": "王丽",
        "phone": "0917-3261234",
        "filled_on": datetime.date(YEAR + 1, 1, 10),
    }
    records = {}
    for table, table_layout in layout.records.items():
        columns = list(table_layout.columns)
        if table == "R1_COUNTY":
            count = len(REGISTRY.counties_of(unit_code))
            records[table] = [figures(columns, row) for row in range(count)]
        else:
            records[table] = [{"key": key, **figures(columns, row)} for row, key in enumerate(INSPECTED[table])]
        records[table][0]["remark"] = "数据已核实"
    values = figures(list(layout.value_cells))
    remarks = {code: "含追加预算" for code in list(layout.value_cells)[:1]}
    fill_return(wb, layout, header=header, values=values, remarks=remarks, records=records)
    return wb, layout


def xlsx(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def locate(wb: Workbook) -> LocatedReturn:
    return locate_return(read_workbook(xlsx(wb), FILE_NAME), CATALOG)


def load(wb: Workbook) -> ValidatedReturn:
    """What the pipeline would load: the located return, validated against the catalog and the registry."""
    workbook = read_workbook(xlsx(wb), FILE_NAME)
    located = locate_return(workbook, CATALOG)
    return validate_return(
        workbook, located, CATALOG, REGISTRY, expected_year=YEAR, today=datetime.date(YEAR + 1, 1, 20)
    )


def loaded_figures(validated: ValidatedReturn) -> set[tuple[object, ...]]:
    """The loaded values without their cell addresses, which move when rows or columns do."""
    return {
        (v.indicator, v.entity_code, v.row_no, v.value_num, v.value_text, v.value_date, v.value_bool, v.remark)
        for v in validated.values
    }
