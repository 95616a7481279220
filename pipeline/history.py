"""Who submitted what: every submission with whether it is current and what superseded it."""

from __future__ import annotations

import duckdb

SUBMISSIONS_SQL = """
select
    submission_id, year, return_code, unit_code, status, is_current, superseded_by,
    received_at, filled_on, submitter, phone, file_name, sha256, error_count, warning_count, is_demo
from submission_history
where ($year is null or year = $year)
  and ($unit_code is null or unit_code = $unit_code)
  and ($return_code is null or return_code = $return_code)
  and (not $current_only or is_current)
order by year nulls last, return_code nulls last, unit_code nulls last, received_at, submission_id
"""


def list_submissions(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int | None = None,
    unit_code: str | None = None,
    return_code: str | None = None,
    current_only: bool = False,
) -> list[dict]:
    cursor = con.execute(
        SUBMISSIONS_SQL,
        {"year": year, "unit_code": unit_code, "return_code": return_code, "current_only": current_only},
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
