"""Briefing documents benchmark: a whole deck, 情况通报 and data workbook for a year of the demo warehouse, each
against the floor of building the status book they are made from (measured in the same run)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import best_of, record
from exports import images
from exports.brief import build_brief
from exports.deck import build_deck
from exports.workbook import build_data_workbook
from pipeline.demo.generate import generate
from pipeline.ingest import ingest_paths
from pipeline.warehouse import open_reader
from queries.board import StatusBook


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "returns")
        ingest_paths([root / "returns"], warehouse=root / "w.duckdb", raw_dir=root / "raw")
        con = open_reader(root / "w.duckdb")
        book_s, _ = best_of(lambda: StatusBook.from_warehouse(con))
        book = StatusBook.from_warehouse(con)
        year = book.latest_year
        images.start_browser()  # the server keeps one browser; so does this run (the deck's heat map is an image)
        try:
            deck_s, _ = best_of(lambda: build_deck(con, book, year, demo=True))
        finally:
            images.stop_browser()
        brief_s, _ = best_of(lambda: build_brief(con, book, year, demo=True))
        workbook_s, _ = best_of(lambda: build_data_workbook(con, book, year, demo=True))
    figures = {
        "year": year,
        "status_book_s": round(book_s, 3),
        "deck_s": round(deck_s, 3),
        "brief_s": round(brief_s, 3),
        "workbook_s": round(workbook_s, 3),
        "deck_ratio": round(deck_s / book_s, 1),
        "brief_ratio": round(brief_s / book_s, 1),
        "workbook_ratio": round(workbook_s / book_s, 1),
    }
    record("exports", figures)
    print(
        f"导出基准（{year}年度演示数据）：状态簿 {figures['status_book_s']} 秒；汇报稿 {figures['deck_s']} 秒"
        f"（{figures['deck_ratio']}×）；情况通报 {figures['brief_s']} 秒（{figures['brief_ratio']}×）；"
        f"数据工作簿 {figures['workbook_s']} 秒（{figures['workbook_ratio']}×）"
    )
    return figures
