"""Status benchmark: judge every measure for every year on the demo warehouse and on synthetic warehouses
up to 100× larger (more units and more years), to show how the cost grows."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import best_of, record
from benchmarks.synthetic import build_synthetic_warehouse, synthetic_registry
from pipeline.demo.generate import generate
from pipeline.ingest import ingest_paths
from pipeline.warehouse import open_reader
from queries.board import StatusBook

SCALES = [(1, 1), (10, 1), (1, 10), (10, 10)]  # (unit copies, year spans)


def _time_book(warehouse: Path, unit_copies: int) -> tuple[float, int, int]:
    registry = synthetic_registry(unit_copies)
    con = open_reader(warehouse)
    values = con.execute("select count(*) from raw_values").fetchone()[0]
    book_holder: list[StatusBook] = []
    seconds, _ = best_of(
        lambda: book_holder.append(StatusBook.from_warehouse(con, registry=registry)),
        repeat=3 if values < 100_000 else 1,
    )
    rows = sum(1 + len(r.units) for r in book_holder[-1].results.values())
    con.close()
    return seconds, values, rows


def run() -> dict:
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "returns")
        demo = root / "demo.duckdb"
        ingest_paths([root / "returns"], warehouse=demo, raw_dir=root / "raw")
        for unit_copies, year_copies in SCALES:
            warehouse = root / f"synthetic_{unit_copies}x{year_copies}.duckdb"
            build_synthetic_warehouse(demo, warehouse, unit_copies=unit_copies, year_copies=year_copies)
            seconds, values, rows = _time_book(warehouse, unit_copies)
            key = f"{unit_copies}x{year_copies}"
            figures[key] = {"values": values, "status_rows": rows, "seconds": round(seconds, 2)}
            print(
                f"状态基准：单位×{unit_copies}、年份×{year_copies}：{values:,} 个数值，"
                f"{rows:,} 条状态，全部评判用时 {seconds:.2f} 秒"
            )
    base = figures["1x1"]
    for item in figures.values():
        item["time_ratio_vs_demo"] = round(item["seconds"] / base["seconds"], 1)
        item["size_ratio_vs_demo"] = round(item["values"] / base["values"], 1)
    record("status", figures)
    return figures
