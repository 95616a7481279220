"""报送情况 queries on the demo warehouse: who is missing, who was late, what was replaced or rejected, whom to chase."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.catalog import load_catalog
from pipeline.ingest import ingest_bytes
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import open_reader, writer
from queries import submissions as q
from queries.chase_list import chase_list_filename, chase_list_title, chase_list_xlsx

# --- returns made for the tests (also used by the page and browser tests) ------------------------------------


def r1_bytes(unit_code: str = "C10", year: int = 2025, **overrides: object) -> bytes:
    """A complete, valid R1 return of a city (every county filled), with values overridden as given."""
    catalog, registry = load_catalog(), load_registry()
    wb, layout = build_template(catalog, registry, "R1", year, unit_code=unit_code)
    values = {
        "m3_city_meetings": 2, "m6_budget_key_work": 35.5, "m6_resident_office_funds": 9.0,
        "m8_city_industry_unions": 5, "m8_city_new_form_federations": 1, **overrides,
    }  # fmt: skip
    county = {
        "m3_county_meeting_held": "是", "m6_county_budget_included": "是", "m6_county_budget_amount": 3.0,
        "m8_county_industry_unions": 1, "m8_county_new_form_federations": 0, "m8_county_township_federations": 1,
    }  # fmt: skip
    header = {"unit_name": registry.get(unit_code).name, "submitter": "王芳", "phone": "0914-2310000",
              "filled_on": date(year + 1, 2, 3)}  # fmt: skip
    fill_return(wb, layout, header=header, values=values,
                records={"R1_COUNTY": [dict(county) for _ in registry.counties_of(unit_code)]})  # fmt: skip
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def count_cell(year: int = 2025) -> tuple[str, str]:
    """(sheet, cell) of m3_city_meetings in the R1 template: where a text-in-a-count error points."""
    _, layout = build_template(load_catalog(), load_registry(), "R1", year, unit_code="C10")
    ref = layout.value_cells["m3_city_meetings"]
    return ref.sheet, ref.cell


def load_at(warehouse: Path, files: list[tuple[str, bytes, datetime]]) -> None:
    """Load files into a warehouse as if received at the given moments."""
    with writer(warehouse) as con:
        for name, data, received_at in files:
            ingest_bytes(con, data, name, received_at=received_at, raw_dir=warehouse.parent / "raw")


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = open_reader(demo_warehouse)
    yield connection
    connection.close()


def _status(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["unit_code"], table["status"], strict=True))


# --- the tracker table and summary ----------------------------------------------------------------------------


def test_2025_r1_misses_shangluo_only(con):
    table = q.tracker_table(con, 2025, "R1")
    assert list(table["unit_code"]) == [f"C{i:02d}" for i in range(1, 13)]
    assert [c for c, s in _status(table).items() if s != q.ON_TIME] == ["C10"]
    assert _status(table)["C10"] == q.MISSING
    row = table.set_index("unit_code").loc["C10"]
    assert row["status_word"] == "未报送"
    assert pd.isna(row["file_name"]) and pd.isna(row["received_at"])
    summary = q.tracker_summary(table, 2025, "R1")
    assert summary.text == "2025年度 R1：应报12个，已报送11个（逾期0个），未报送1个：商洛市总工会"


def test_2025_r2_misses_the_seafarers_union(con):
    table = q.tracker_table(con, 2025, "R2")
    assert list(table["unit_code"]) == [f"I{i:02d}" for i in range(1, 9)]
    assert [c for c, s in _status(table).items() if s == q.MISSING] == ["I07"]
    assert q.tracker_summary(table, 2025, "R2").text == (
        "2025年度 R2：应报8个，已报送7个（逾期0个），未报送1个：陕西省海员建设工会"
    )


def test_the_province_owes_r3_and_r4(con):
    for code in ("R3", "R4"):
        table = q.tracker_table(con, 2025, code)
        assert list(table["unit_code"]) == ["P00"]
        assert list(table["status"]) == [q.ON_TIME]


def test_2024_tongchuan_r1_is_late(con):
    table = q.tracker_table(con, 2024, "R1")
    row = table.set_index("unit_code").loc["C02"]
    assert row["status"] == q.LATE
    assert row["status_word"] == "已报送（逾期）"
    assert row["received_at"] == pd.Timestamp("2025-02-20 09:00")
    assert row["file_name"] == "演示_2024_R1_铜川市总工会.xlsx"
    assert [c for c, s in _status(table).items() if s != q.ON_TIME] == ["C02"]
    assert q.tracker_summary(table, 2024, "R1").text == "2024年度 R1：应报12个，已报送12个（逾期1个），未报送0个"


def test_2023_baoji_r1_shows_the_superseded_first_version(con):
    row = q.tracker_table(con, 2023, "R1").set_index("unit_code").loc["C03"]
    assert row["file_name"] == "演示_2023_R1_宝鸡市总工会_更正版.xlsx"
    assert row["received_at"] == pd.Timestamp("2024-01-19 09:00")
    assert row["first_received_at"] == pd.Timestamp("2024-01-12 09:00")
    assert row["superseded_count"] == 1
    assert row["superseded_files"] == ["演示_2023_R1_宝鸡市总工会_第1版.xlsx"]
    assert row["superseded_text"] == "1份已被替代：演示_2023_R1_宝鸡市总工会_第1版.xlsx"
    assert (row["submitter"], row["phone"]) == ("陆婷婷", "0917-4756917")
    assert row["filled_on"] == pd.Timestamp("2024-01-19")
    assert row["status"] == q.ON_TIME


def test_a_rejected_draft_is_listed_under_its_unit(con):
    row = q.tracker_table(con, 2023, "R1").set_index("unit_code").loc["C05"]
    assert row["status"] == q.ON_TIME  # the corrected file came on 16 January
    assert row["rejected_files"] == ["演示_2023_R1_渭南市总工会(1).xlsx"]
    assert row["rejected_text"] == "1份被退回：演示_2023_R1_渭南市总工会(1).xlsx"
    files = q.rejected_files(con, 2023, "R1", identified=True)
    assert list(files["file_name"]) == ["演示_2023_R1_渭南市总工会(1).xlsx"]
    assert [i["code"] for i in files.iloc[0]["issues"]] == ["missing_table"]
    assert files.iloc[0]["recognised"] == "渭南市总工会 · R1 · 2023年度"


def test_rejected_files_include_the_unknown_unit_with_its_reason(con):
    files = q.rejected_files(con, 2024).set_index("file_name")
    assert sorted(files.index) == ["演示_2024_R1_北京市总工会.xlsx", "演示_2024_R1_咸阳市总工会_初稿.xlsx"]
    beijing = files.loc["演示_2024_R1_北京市总工会.xlsx"]
    assert not beijing["identified"] and pd.isna(beijing["unit_code"])
    assert [(i["code"], i["sheet"], i["cell"]) for i in beijing["issues"]] == [("unknown_unit", "本级情况", "C3")]
    assert beijing["issue_lines"][0].startswith("【无法识别单位名称】无法识别单位名称“北京市总工会”")
    assert beijing["issue_lines"][0].endswith("（本级情况!C3）")
    assert beijing["recognised"] == "R1 · 2024年度"


def test_2022_r2_rejections_give_every_error_in_order(con):
    files = q.rejected_files(con, 2022, "R2").set_index("file_name")
    assert sorted(files.index) == [
        "演示_2022_R2_陕西省机械冶金建材工会_报送版.xlsx",
        "演示_2022_R2_陕西省金融工会_初稿.xlsx",
    ]
    lines = files.loc["演示_2022_R2_陕西省机械冶金建材工会_报送版.xlsx", "issue_lines"]
    assert lines == [
        "【不是数字】“若干”不是数字，请填写阿拉伯数字（如 12）（本级情况!D24，指标“推动解决重要问题数”）",
        "【不是数字】“待定”不是数字，请填写阿拉伯数字（如 12）（本级情况!D35，指标“成果被采纳或转化为制度的数量”）",
    ]


def test_unidentified_files_are_counted_in_the_year_before_they_arrived(con):
    by_year = {year: list(q.unidentified_files(con, year)["file_name"]) for year in range(2021, 2026)}
    assert by_year == {
        2021: ["演示_2021_R1_陕西省教科文卫体工会.xlsx"],  # the year was read; the unit may not file R1
        2022: ["演示_2022_R1_延安市总工会_扫描件.xlsx"],  # a PDF received 2023-01-04
        2023: ["演示_2023_R2_陕西省能源化学地质工会_初稿.xlsx"],
        2024: ["演示_2024_R1_北京市总工会.xlsx"],  # 咸阳's wrong-year draft is under 咸阳 (next test)
        2025: ["演示_2025_R2_陕西省农林水利气象工会(1).xlsx"],
    }


def test_a_wrong_year_file_from_a_known_unit_is_listed_under_the_unit_with_the_year_it_states(con):
    # 演示_2024_R1_咸阳市总工会_初稿.xlsx says 2023 in 报表年度 (its name and arrival say 2024): refused, no year kept.
    files = q.rejected_files(con, 2024, "R1", identified=True)
    assert list(files["file_name"]) == ["演示_2024_R1_咸阳市总工会_初稿.xlsx"]
    row = files.iloc[0]
    assert (row["unit_code"], row["file_year"], row["recognised"]) == (
        "C04",
        "2023",
        "咸阳市总工会 · R1 · 文件中的报表年度为2023",
    )
    assert [i["code"] for i in row["issues"]] == ["wrong_year"]
    assert q.rejected_files(con, 2023, "R1", identified=True)["file_name"].tolist() == [
        "演示_2023_R1_渭南市总工会(1).xlsx"
    ]  # counted in the year it was sent for (received 2025-01-11), not the year it states
    xianyang = q.tracker_table(con, 2024, "R1").set_index("unit_code").loc["C04"]
    assert xianyang["status"] == q.ON_TIME  # its corrected return was accepted
    assert xianyang["rejected_text"] == "1份被退回：演示_2024_R1_咸阳市总工会_初稿.xlsx"
    assert pd.isna(q.rejected_files(con, 2023, "R1", identified=True).iloc[0]["file_year"])


# --- the 催报名单 ---------------------------------------------------------------------------------------------


def test_chase_list_2025_after_the_deadline(con):
    chase = q.chase_list(con, 2025, today=date(2026, 3, 1))
    assert list(chase.columns) == list(q.CHASE_COLUMNS)
    assert chase.to_dict("records") == [
        {"单位": "商洛市总工会", "报表": "R1 市（区）总工会年度报表", "情况": "逾期未报送", "最近一次报送的填报人": "胡欣怡",
         "联系电话": "0914-5576079", "最近报送时间": pd.Timestamp("2025-01-17 09:00"), "备注": "已过截止日期2026年1月31日"},
        {"单位": "陕西省海员建设工会", "报表": "R2 省级产业工会年度报表", "情况": "逾期未报送", "最近一次报送的填报人": "曾婷婷",
         "联系电话": "13339087888", "最近报送时间": pd.Timestamp("2025-01-23 09:00"), "备注": "已过截止日期2026年1月31日"},
    ]  # fmt: skip


def test_chase_list_before_the_deadline_says_not_yet_submitted(con):
    chase = q.chase_list(con, 2025, today=date(2026, 1, 31))
    assert list(chase["情况"]) == ["未报送", "未报送"]
    assert list(chase["备注"]) == ["截止日期2026年1月31日", "截止日期2026年1月31日"]


def test_chase_list_is_empty_for_a_complete_year(con):
    chase = q.chase_list(con, 2024, today=date(2026, 3, 1))
    assert chase.empty and list(chase.columns) == list(q.CHASE_COLUMNS)


def test_chase_list_xlsx_has_title_columns_and_rows(con):
    chase = q.chase_list(con, 2025, today=date(2026, 3, 1))
    moment = datetime(2026, 3, 1, 10, 5)
    wb = openpyxl.load_workbook(io.BytesIO(chase_list_xlsx(chase, 2025, demo=True, generated_at=moment)))
    ws = wb.active
    assert ws.title == "催报名单"
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "【演示数据】2025年度催报名单（生成时间 2026-03-01 10:05）"
    assert rows[1] == q.CHASE_COLUMNS
    assert rows[2] == ("商洛市总工会", "R1 市（区）总工会年度报表", "逾期未报送", "胡欣怡", "0914-5576079",
                       datetime(2025, 1, 17, 9, 0), "已过截止日期2026年1月31日")  # fmt: skip
    assert rows[3][:5] == ("陕西省海员建设工会", "R2 省级产业工会年度报表", "逾期未报送", "曾婷婷", "13339087888")
    assert len(rows) == 4
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A3"


def test_chase_list_xlsx_of_real_data_and_of_an_empty_list():
    empty = pd.DataFrame(columns=list(q.CHASE_COLUMNS))
    wb = openpyxl.load_workbook(io.BytesIO(chase_list_xlsx(empty, 2024, demo=False, generated_at=datetime(2025, 2, 1))))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows == [("2024年度催报名单（生成时间 2025-02-01 00:00）", *[None] * 6), q.CHASE_COLUMNS]
    assert chase_list_title(2024, demo=False, generated_at=datetime(2025, 2, 1)).count("演示数据") == 0
    assert chase_list_filename(2024, demo=False) == "2024年度催报名单.xlsx"
    assert chase_list_filename(2024, demo=True) == "演示数据_2024年度催报名单.xlsx"


# --- scope ------------------------------------------------------------------------------------------------------


def test_unit_scope_restricts_every_answer(con):
    scope = frozenset({"C01", "C10"})
    assert list(q.tracker_table(con, 2025, "R1", unit_codes=scope)["unit_code"]) == ["C01", "C10"]
    assert q.tracker_table(con, 2025, "R2", unit_codes=scope).empty
    assert list(q.chase_list(con, 2025, unit_codes=scope, today=date(2026, 3, 1))["单位"]) == ["商洛市总工会"]
    assert q.chase_list(con, 2025, unit_codes=frozenset({"C01"})).empty
    assert q.rejected_files(con, 2024, unit_codes=scope).empty  # the unknown 北京 file belongs to no unit
    assert q.unidentified_files(con, 2024, unit_codes=frozenset({"C04"})).empty
    assert list(q.rejected_files(con, 2024, unit_codes=frozenset({"C04"}), identified=True)["file_name"]) == [
        "演示_2024_R1_咸阳市总工会_初稿.xlsx"
    ]
    assert q.tracker_table(con, 2025, "R1", unit_codes=frozenset())["unit_code"].tolist() == []


# --- timeliness and rejected-only, on a private copy ------------------------------------------------------------


def test_the_deadline_day_counts_and_a_late_correction_keeps_an_on_time_unit_on_time(demo_warehouse_copy):
    load_at(demo_warehouse_copy, [
        ("商洛_2025_R1.xlsx", r1_bytes("C10"), datetime(2026, 1, 31, 23, 30)),
        ("商洛_2025_R1_更正.xlsx", r1_bytes("C10", m3_city_meetings=3), datetime(2026, 2, 5, 9, 0)),
    ])  # fmt: skip
    with open_reader(demo_warehouse_copy) as con:
        row = q.tracker_table(con, 2025, "R1").set_index("unit_code").loc["C10"]
        assert row["status"] == q.ON_TIME
        assert row["file_name"] == "商洛_2025_R1_更正.xlsx"
        assert row["superseded_files"] == ["商洛_2025_R1.xlsx"]
        assert (row["submitter"], row["phone"]) == ("王芳", "0914-2310000")
        assert q.tracker_summary(q.tracker_table(con, 2025, "R1"), 2025, "R1").text == (
            "2025年度 R1：应报12个，已报送12个（逾期0个），未报送0个"
        )


def test_a_return_received_the_day_after_the_deadline_is_late(demo_warehouse_copy):
    load_at(demo_warehouse_copy, [("商洛_2025_R1.xlsx", r1_bytes("C10"), datetime(2026, 2, 1, 0, 5))])
    with open_reader(demo_warehouse_copy) as con:
        table = q.tracker_table(con, 2025, "R1")
        assert _status(table)["C10"] == q.LATE
        assert q.tracker_summary(table, 2025, "R1").text == "2025年度 R1：应报12个，已报送12个（逾期1个），未报送0个"


def test_a_unit_with_only_a_rejected_file_is_chased_with_the_reason(demo_warehouse_copy):
    sheet, cell = count_cell()
    load_at(demo_warehouse_copy, [("商洛_2025_R1_初稿.xlsx", r1_bytes("C10", m3_city_meetings="若干"),
                                   datetime(2026, 1, 20, 10, 0))])  # fmt: skip
    with open_reader(demo_warehouse_copy) as con:
        table = q.tracker_table(con, 2025, "R1")
        assert _status(table)["C10"] == q.REJECTED_ONLY
        assert q.tracker_summary(table, 2025, "R1").text == (
            "2025年度 R1：应报12个，已报送11个（逾期0个），未报送0个，仅有被退回的文件1个：商洛市总工会"
        )
        files = q.rejected_files(con, 2025, "R1", identified=True)
        assert files.iloc[0]["issue_lines"] == [
            f"【不是数字】“若干”不是数字，请填写阿拉伯数字（如 12）（{sheet}!{cell}，指标“市总工会召开研究产业工会工作专题会议次数”）"
        ]
        chase = q.chase_list(con, 2025, today=date(2026, 3, 1)).set_index("单位").loc["商洛市总工会"]
        assert chase["情况"] == "仅有被退回的文件（已逾期）"
        assert chase["备注"] == "被退回：商洛_2025_R1_初稿.xlsx（“若干”不是数字，请填写阿拉伯数字（如 12））"
        assert (chase["最近一次报送的填报人"], chase["联系电话"]) == ("王芳", "0914-2310000")
        assert chase["最近报送时间"] == pd.Timestamp("2026-01-20 10:00")


def test_an_empty_warehouse_expects_every_unit_and_has_no_contacts(tmp_path):
    with open_reader(tmp_path / "empty.duckdb") as con:
        assert set(q.tracker_table(con, 2025, "R1")["status"]) == {q.MISSING}
        chase = q.chase_list(con, 2025, today=date(2026, 3, 1))
        assert len(chase) == 12 + 8 + 1 + 1
        assert chase.iloc[0].to_dict() == {
            "单位": "西安市总工会", "报表": "R1 市（区）总工会年度报表", "情况": "逾期未报送", "最近一次报送的填报人": None,
            "联系电话": None, "最近报送时间": None, "备注": "已过截止日期2026年1月31日；无历史报送记录，请另行联系",
        }  # fmt: skip
        assert q.rejected_files(con, 2025).empty and q.unidentified_files(con, 2025).empty
