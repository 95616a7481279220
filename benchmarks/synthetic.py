"""A synthetic warehouse N× the demo one: the demo's current figures copied to `unit_copies` replicas of
every city (with its counties) and industry union, and to `year_copies` successive 5-year spans.

With 10 unit copies × 10 year spans the warehouse holds 100× the demo's values (the province's own
return is not replicated across units: there is one federation). The matching synthetic registry lists
the replicated units, so the status rules expect reports from all of them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.catalog import load_catalog
from pipeline.registry import Registry, Unit, load_registry
from pipeline.warehouse import ensure_schema, sync_catalog

SPAN_YEARS = 5  # the demo covers 2021–2025


def copy_code(code: str, replica: int) -> str:
    """C01 -> C01, C01r1, …; counties C01-03 -> C01-03r1. The province P00 is never replicated."""
    return code if replica == 0 or code == "P00" else f"{code}r{replica}"


def synthetic_registry(unit_copies: int) -> Registry:
    base = load_registry()
    units: list[Unit] = [base.province()]
    for replica in range(unit_copies):
        suffix = "" if replica == 0 else f"（副本{replica}）"
        for unit in base.units:
            if unit.type == "province":
                continue
            units.append(
                Unit(
                    code=copy_code(unit.code, replica),
                    name=unit.name + suffix,
                    short_name=unit.short_name + suffix,
                    type=unit.type,
                    parent=copy_code(unit.parent, replica) if unit.parent else None,
                    aliases=tuple(a + suffix for a in unit.aliases) if replica else unit.aliases,
                )
            )
    return Registry(units, source="synthetic")


REPLICATE_SQL = """
INSERT INTO submissions
SELECT
    s.submission_id * 1000 + r.replica * 10 + y.span AS submission_id,
    s.sha256 || '-' || r.replica || '-' || y.span,
    s.file_name, CASE WHEN s.unit_code = 'P00' OR r.replica = 0 THEN s.unit_code ELSE s.unit_code || 'r' || r.replica END,
    s.return_code, s.year + y.span * $span, s.submitter, s.phone, s.filled_on, s.received_at, s.raw_path, s.status,
    s.error_count, s.warning_count, s.is_demo, s.loaded_at
FROM demo.current_submissions AS s, range($unit_copies) AS r(replica), range($year_copies) AS y(span)
WHERE s.unit_code <> 'P00' OR r.replica = 0;

INSERT INTO raw_values
SELECT
    s.submission_id * 1000 + (CASE WHEN s.unit_code = 'P00' THEN 0 ELSE r.replica END) * 10 + y.span,
    v.indicator,
    CASE WHEN v.entity_code = 'P00' OR r.replica = 0 THEN v.entity_code ELSE v.entity_code || 'r' || r.replica END,
    v.row_no + CASE WHEN s.unit_code = 'P00' THEN r.replica * 1000 ELSE 0 END,
    v.value_num, v.value_text, v.value_date, v.value_bool, v.raw_text, v.remark, v.sheet, v.cell, v.note
FROM demo.raw_values AS v
JOIN demo.current_submissions AS s USING (submission_id), range($unit_copies) AS r(replica), range($year_copies) AS y(span)
-- The province's own return (R3) is one per year, while its R4 inspection rows are replicated per unit copy.
WHERE s.return_code <> 'R3' OR r.replica = 0;
"""


def build_synthetic_warehouse(demo_warehouse: Path, target: Path, *, unit_copies: int, year_copies: int) -> int:
    """Write the synthetic warehouse; returns its number of values."""
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        ensure_schema(con)
        sync_catalog(con, load_catalog())
        con.execute("ATTACH $path AS demo (READ_ONLY)", {"path": str(demo_warehouse)})
        params = {"unit_copies": unit_copies, "year_copies": year_copies, "span": SPAN_YEARS}
        for statement in filter(str.strip, REPLICATE_SQL.split(";")):
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
        con.execute("DETACH demo")
        con.execute("CHECKPOINT")
        return con.execute("SELECT count(*) FROM raw_values").fetchone()[0]
    finally:
        con.close()
