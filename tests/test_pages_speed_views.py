"""What keeps 单位画像 and 报送情况 quick: each builds what it shows once per data version and shares it (a rerun or a
second session asks no query again; an upload that changes the data does), from views that hold exactly what the
page draws. And the page benchmark's own pieces: it covers every page an administrator can open, its synthetic
registry reads back whole, and each of its uploads is a new version of the data."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import duckdb
import pytest

from benchmarks import pages as page_bench
from benchmarks.synthetic import synthetic_registry
from dashboard.navigation import allowed_files
from pipeline.access import ROLE_ADMIN
from pipeline.registry import load_registry
from pipeline.warehouse import content_token
from queries import board
from queries import submissions as q
from tests.test_pages_charts import open_page

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def con(demo_warehouse):
    connection = duckdb.connect(str(demo_warehouse), read_only=True)
    yield connection
    connection.close()


# --- the views ------------------------------------------------------------------------------------------------


def test_the_tracker_view_holds_the_table_summary_and_rejected_files_the_page_shows(con):
    view = q.tracker_view(con, 2024, "R1")
    assert view.summary.text == "2024年度 R1：应报12个，已报送12个（逾期1个），未报送0个"
    assert list(view.table.columns) == list(q.DISPLAY_COLUMNS)  # no list columns, no counts: nothing unshown
    rows = view.table.set_index("unit_code")
    assert (rows.loc["C02", "unit_name"], rows.loc["C02", "status_word"]) == ("铜川市总工会", "已报送（逾期）")
    assert rows.loc["C04", "rejected_text"] == "1份被退回：演示_2024_R1_咸阳市总工会_初稿.xlsx"
    files = q.rejected_files(con, 2024, "R1", identified=True)
    assert [f.file_name for f in view.rejected] == list(files["file_name"])
    draft = next(f for f in view.rejected if f.file_name == "演示_2024_R1_咸阳市总工会_初稿.xlsx")
    assert draft.recognised == "咸阳市总工会 · R1 · 文件中的报表年度为2023"
    assert draft.issue_lines == tuple(files.set_index("file_name").loc[draft.file_name, "issue_lines"])
    assert draft.issue_lines and all(line.startswith("【") for line in draft.issue_lines)


def test_the_tracker_view_keeps_to_the_readers_units(con):
    view = q.tracker_view(con, 2024, "R1", unit_codes=frozenset({"C04"}))
    assert list(view.table["unit_code"]) == ["C04"]
    assert [f.file_name for f in view.rejected] == ["演示_2024_R1_咸阳市总工会_初稿.xlsx"]
    assert view.summary.text == "2024年度 R1：应报1个，已报送1个（逾期0个），未报送0个"
    assert q.unidentified_entries(con, 2024, unit_codes=frozenset({"C04"})) == ()
    unknown = q.unidentified_entries(con, 2024)
    assert "演示_2024_R1_北京市总工会.xlsx" in [f.file_name for f in unknown]


# --- built once per data version --------------------------------------------------------------------------------


def _counting(monkeypatch, module, name: str) -> list[int]:
    """Replace module.name with a wrapper that counts its calls (same name, module and signature for the caches)."""
    calls: list[int] = []
    original = getattr(module, name)

    @functools.wraps(original)
    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_the_tracker_asks_its_queries_once_per_data_version(monkeypatch, demo_warehouse, tmp_path):
    warehouse = tmp_path / "own.duckdb"  # a path of its own: no cache of an earlier test holds its version
    shutil.copy(demo_warehouse, warehouse)
    views = _counting(monkeypatch, q, "tracker_view")
    chases = _counting(monkeypatch, q, "chase_list")
    app = open_page(monkeypatch, warehouse, "app_pages/tracker.py")
    assert (len(views), len(chases)) == (1, 1)
    app.run()
    open_page(monkeypatch, warehouse, "app_pages/tracker.py")  # another session on the same data
    assert (len(views), len(chases)) == (1, 1)
    app.radio(key="tracker_return").set_value("R2").run()  # another return type is another view
    assert (len(views), len(chases)) == (2, 1)
    page_bench.land_return(warehouse, tmp_path, 1)  # the data changes: everything is asked again
    app.run()
    assert (len(views), len(chases)) == (3, 2)
    assert "**2025年度 R2：应报8个，已报送7个（逾期0个），未报送1个：陕西省海员建设工会**" in [
        m.value for m in app.markdown
    ]


def test_the_unit_profile_judges_its_unit_once_per_data_version(monkeypatch, demo_warehouse, tmp_path):
    warehouse = tmp_path / "own.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    judged = _counting(monkeypatch, board, "unit_profile")
    app = open_page(monkeypatch, warehouse, "app_pages/unit_profile.py", unit="C10", year="2024")
    assert len(judged) == 1
    app.run()
    open_page(monkeypatch, warehouse, "app_pages/unit_profile.py", unit="C10", year="2024")
    assert len(judged) == 1
    page_bench.land_return(warehouse, tmp_path, 1)
    app.run()
    assert len(judged) == 2
    submissions = next(d.value for d in app.dataframe if "file_name" in d.value.columns)
    assert "商洛_2025_R1_第1次.xlsx" in list(submissions["file_name"])


# --- the page benchmark's own pieces ----------------------------------------------------------------------------


def test_the_page_benchmark_covers_every_page_an_administrator_can_open():
    assert sorted(file for file, _, _ in page_bench.PAGES.values()) == sorted(allowed_files(ROLE_ADMIN))


def test_the_synthetic_registry_file_reads_back_as_the_synthetic_registry(tmp_path):
    path = page_bench.synthetic_registry_file(2, tmp_path / "units.yaml")
    read, built = load_registry(path), synthetic_registry(2)
    assert [(u.code, u.name, u.type, u.parent) for u in read.units] == [
        (u.code, u.name, u.type, u.parent) for u in built.units
    ]
    assert len(read.units) == 1 + 2 * (len(load_registry().units) - 1)
    assert read.get("C07-03r1").parent == "C07r1" and read.get("C07r1").name == "汉中市总工会（副本1）"


def test_each_benchmark_upload_is_a_new_version_of_the_data(demo_warehouse_copy, tmp_path):
    tokens = [content_token(demo_warehouse_copy)]
    for round_no in (1, 2):
        page_bench.land_return(demo_warehouse_copy, tmp_path, round_no)
        tokens.append(content_token(demo_warehouse_copy))
    assert len(set(tokens)) == 3
    with duckdb.connect(str(demo_warehouse_copy), read_only=True) as connection:
        current = connection.execute(
            "select file_name from current_submissions where unit_code = 'C10' and year = 2025 and return_code = 'R1'"
        ).fetchall()
    assert current == [("商洛_2025_R1_第2次.xlsx",)]
