"""The query layer: plain functions that take a DuckDB connection (or cursor) and return plain data.

Pages, exports and the CLI call these; nothing here imports streamlit, so everything is testable
without a browser and reusable by the briefing exports. Parameters are always bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.catalog import Catalog, Chapter, Measure


@dataclass(frozen=True)
class WarehouseSummary:
    submissions: int  # every submission recorded, rejected ones included
    accepted: int  # current accepted submissions
    is_demo: bool  # any current submission comes from demo data
    latest_accepted_at: datetime | None  # "数据截至": the newest accepted submission's received time
    last_submission_id: int = 0  # the newest submission recorded: the data version exports name

    @property
    def version_text(self) -> str:
        """数据版本：截至第128号报送（最近接收 2026-01-29 09:00）: what an export says it was built from."""
        if not self.last_submission_id:
            return "数据版本：尚无报送"
        latest = f"（最近接收 {self.latest_accepted_at:%Y-%m-%d %H:%M}）" if self.latest_accepted_at else ""
        return f"数据版本：截至第{self.last_submission_id}号报送{latest}"


def warehouse_summary(con: duckdb.DuckDBPyConnection) -> WarehouseSummary:
    total, last_id = con.execute("select count(*), coalesce(max(submission_id), 0) from submissions").fetchone()
    accepted, is_demo, latest = con.execute(
        """
        select count(*), coalesce(bool_or(is_demo), false), max(received_at)
        from current_submissions
        """
    ).fetchone()
    return WarehouseSummary(int(total), int(accepted), bool(is_demo), latest, int(last_id))


def measures_by_chapter(catalog: Catalog) -> list[tuple[Chapter, tuple[Measure, ...]]]:
    """The notice's six chapters with their measures, in the notice's order."""
    return [(chapter, catalog.measures_of_chapter(chapter.number)) for chapter in catalog.chapters]
