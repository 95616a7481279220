"""Chart-image benchmark (exports/images.py): one chart as PNG with a new browser each time (cold) against one
kept browser session, as a ratio, and the zip of every chart of a year (PNG and SVG, one browser for the batch)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import best_of, median, record
from dashboard.figures import BY_KEY, FIGURES
from exports import images
from pipeline.demo.generate import generate
from pipeline.ingest import ingest_paths
from pipeline.warehouse import open_reader
from queries.board import StatusBook

CHART = "m3_coverage_by_city"  # a bar chart of the twelve cities, the most common kind
COLD_RUNS, KEPT_RUNS = 3, 10


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "returns")
        warehouse = root / "demo.duckdb"
        ingest_paths([root / "returns"], warehouse=warehouse, raw_dir=root / "raw")
        con = open_reader(warehouse)
        book = StatusBook.from_warehouse(con)
        year = max(book.years)
        figure = BY_KEY[CHART]

        def one_png() -> bytes:
            return images.figure_image(figure, con, book, year, demo=True)

        cold = [_timed(one_png) for _ in range(COLD_RUNS)]  # no session: each image starts its own browser
        with images.browser_session():
            first = _timed(one_png)  # the kept browser starts here
            kept = [_timed(one_png) for _ in range(KEPT_RUNS)]
        zip_seconds, _ = best_of(lambda: images.year_charts_zip(con, book, year, demo=True), repeat=2)
        con.close()

    figures = {
        "chart": CHART,
        "cold_png_seconds": round(median(cold), 2),
        "kept_first_png_seconds": round(first, 2),
        "kept_png_seconds": round(median(kept), 3),
        "cold_vs_kept_ratio": round(median(cold) / median(kept), 1),
        "year_zip_seconds": round(zip_seconds, 2),
        "year_zip_images": 2 * len(FIGURES),
    }
    print(
        f"图表图片基准（{CHART}，PNG）：每张新开浏览器 {figures['cold_png_seconds']:.2f} 秒；"
        f"保持浏览器 {figures['kept_png_seconds']:.3f} 秒（首张含启动 {figures['kept_first_png_seconds']:.2f} 秒），"
        f"相差 {figures['cold_vs_kept_ratio']} 倍"
    )
    print(
        f"图表图片基准：{year}年度全部 {len(FIGURES)} 张图表（PNG 和 SVG 共 {2 * len(FIGURES)} 个文件）打包 "
        f"{figures['year_zip_seconds']:.2f} 秒"
    )
    record("images", figures)
    return figures
