"""报送情况 and 数据上传 under AppTest, and the upload page's batch logic (AppTest cannot drive file_uploader, so the
function the page calls is tested directly)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import issue_codes
from pipeline.catalog import load_catalog
from pipeline.warehouse import WAREHOUSE_ENV
from queries import uploads
from tests.accounts import signed_in
from tests.test_tracker_queries import count_cell, r1_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(monkeypatch, warehouse: Path, page: str, **state) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    app = signed_in(APP, default_timeout=90)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [e.value for e in app.error if "暂时无法显示" in e.value]  # no visual fell into ui.guarded
    return app


def _markdown(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown]


def _submissions(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from submissions").fetchone()[0]


# --- 报送情况 -----------------------------------------------------------------------------------------------------


def test_tracker_shows_the_2025_r1_summary_naming_shangluo(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, "app_pages/tracker.py")
    assert "**2025年度 R1：应报12个，已报送11个（逾期0个），未报送1个：商洛市总工会**" in _markdown(app)
    assert [(m.label, m.value) for m in app.metric] == [
        ("应报", "12"), ("已报送", "11"), ("其中逾期", "0"), ("未报送", "1"), ("仅有被退回的文件", "0"),
    ]  # fmt: skip
    table = app.dataframe[0].value
    assert dict(zip(table["unit_name"], table["status_word"], strict=True))["商洛市总工会"] == "未报送"
    files = app.dataframe[1].value  # 文件明细: the same rows, the other files' columns
    assert dict(zip(files["unit_name"], files["superseded_text"], strict=True))["咸阳市总工会"] == (
        "1份已被替代：演示_2025_R1_咸阳市总工会.xls"
    )
    chase = app.dataframe[2].value
    assert list(chase["单位"]) == ["商洛市总工会", "陕西省海员建设工会"]
    assert [b.label for b in app.download_button] == ["下载催报名单（Excel）", "下载催报函（Word，每单位一封）"]
    assert [s.value for s in app.subheader] == [
        "2025年度催报名单（全部报表）",
        "被退回的文件",
        "无法识别单位或报表类型的文件",
    ]
    assert "**演示\\_2025\\_R2\\_陕西省农林水利气象工会(1).xlsx**　未能识别单位和报表类型" in _markdown(app)


def test_tracker_switches_return_type_and_year(monkeypatch, demo_warehouse):
    app = open_page(monkeypatch, demo_warehouse, "app_pages/tracker.py")
    app.radio(key="tracker_return").set_value("R2").run()
    assert "**2025年度 R2：应报8个，已报送7个（逾期0个），未报送1个：陕西省海员建设工会**" in _markdown(app)
    # AppTest loses sidebar widgets on a rerun under st.navigation, so the shared year is chosen through its state.
    year_2024 = {"year": 2024, "type": None, "unit": None, "m": None, "present": False}
    app = open_page(monkeypatch, demo_warehouse, "app_pages/tracker.py", filters=year_2024)
    assert "**2024年度 R1：应报12个，已报送12个（逾期1个），未报送0个**" in _markdown(app)
    table = app.dataframe[0].value
    assert dict(zip(table["unit_name"], table["status_word"], strict=True))["铜川市总工会"] == "已报送（逾期）"
    assert [s.value for s in app.success] == ["2024年度各类报表均已报送，无需催报。"]
    # 咸阳's 2024 draft, refused for the year written in it (2023), is listed under 咸阳, not as unidentified.
    assert "**演示\\_2024\\_R1\\_咸阳市总工会\\_初稿.xlsx**　咸阳市总工会 · R1 · 文件中的报表年度为2023" in _markdown(
        app
    )
    assert "演示\\_2024\\_R1\\_北京市总工会.xlsx" in "\n".join(_markdown(app))  # unknown unit: the last section
    assert dict(zip(table["unit_name"], table["rejected_text"], strict=True))["咸阳市总工会"] == (
        "1份被退回：演示_2024_R1_咸阳市总工会_初稿.xlsx"
    )
    app.radio(key="tracker_return").set_value("R2").run()
    assert "**2024年度 R2：应报8个，已报送8个（逾期0个），未报送0个**" in _markdown(app)


def test_tracker_on_an_empty_warehouse_says_what_to_do(monkeypatch, tmp_path):
    app = open_page(monkeypatch, tmp_path / "empty.duckdb", "app_pages/tracker.py")
    assert any("还没有任何年度的报表，无法统计报送情况" in i.value for i in app.info)
    assert not app.dataframe


def test_tracker_sees_an_upload_without_a_restart(monkeypatch, demo_warehouse_copy):
    app = open_page(monkeypatch, demo_warehouse_copy, "app_pages/tracker.py")
    assert "**2025年度 R1：应报12个，已报送11个（逾期0个），未报送1个：商洛市总工会**" in _markdown(app)
    results = uploads.upload_batch([("商洛_2025_R1.xlsx", r1_bytes("C10"))], None, demo_warehouse_copy)
    assert [r["status"] for r in results] == ["accepted"]
    app.run()
    assert "**2025年度 R1：应报12个，已报送12个（逾期1个），未报送0个**" in _markdown(app)
    table = app.dataframe[0].value
    row = table[table["unit_code"] == "C10"].iloc[0]
    assert (row["status_word"], row["file_name"], row["submitter"]) == ("已报送（逾期）", "商洛_2025_R1.xlsx", "王芳")


# --- 数据上传: the page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["empty", "demo"])
def test_upload_page_runs_on_an_empty_and_a_demo_warehouse(monkeypatch, tmp_path, demo_warehouse_copy, which):
    warehouse = tmp_path / "empty.duckdb" if which == "empty" else demo_warehouse_copy
    app = open_page(monkeypatch, warehouse, "app_pages/upload.py")
    assert [s.value for s in app.subheader] == ["下载空白模板"]
    assert [b.label for b in app.main.button] == ["校验并装入"]
    assert app.button[0].disabled  # nothing chosen yet
    assert app.selectbox(key="upload_expected_year").value == uploads.ANY_YEAR
    assert app.selectbox(key="upload_expected_year").options[:2] == [
        "不限",
        f"{uploads.year_choices(load_catalog())[1]}年度",
    ]
    assert [b.label for b in app.download_button] == [
        f"下载 {uploads.collecting_year(load_catalog())}年度 R1 市（区）总工会年度报表 模板"
    ]
    assert "每年1月31日前报送上一年度的报表" in "\n".join(_markdown(app))


def test_upload_page_offers_each_return_and_a_units_own_template(monkeypatch, tmp_path):
    app = open_page(monkeypatch, tmp_path / "empty.duckdb", "app_pages/upload.py")
    app.selectbox(key="template_year").set_value(2024).run()
    app.selectbox(key="template_return").set_value("R1").run()
    app.selectbox(key="template_unit_R1").set_value("C10").run()
    assert [b.label for b in app.download_button] == ["下载 2024年度 R1 市（区）总工会年度报表 模板"]
    app.selectbox(key="template_return").set_value("R4").run()
    assert app.selectbox(key="template_unit_R4").options == ["通用模板（不预填单位）", "陕西省总工会"]
    assert [b.label for b in app.download_button] == ["下载 2024年度 R4 督查结果表 模板"]


def test_upload_results_survive_a_rerun_with_issues_and_the_annotated_download(monkeypatch, demo_warehouse_copy):
    files = [
        ("坏.xlsx", r1_bytes("C10", m3_city_meetings="若干")),
        ("提示.xlsx", r1_bytes("C10", m8_city_industry_unions="约5")),
        ("好.xlsx", r1_bytes("C03")),
    ]
    results = uploads.upload_batch(files, None, demo_warehouse_copy)
    state = {"upload_results": {"expected_year": None, "results": results}}
    app = open_page(monkeypatch, demo_warehouse_copy, "app_pages/upload.py", **state)
    # 好.xlsx is valid, but its budget figures fell sharply against 宝鸡's 2024 return: told as hints (jumps).
    summary = "**本批共3个文件：被退回1个，已接收（有提示）2个**（本批报表年度：不限）"
    text = "\n".join(_markdown(app))
    assert summary in text
    assert ":red-badge[被退回] **坏.xlsx**　商洛市总工会 · R1 · 2025年度" in text
    assert ":orange-badge[已接收（有提示）] **提示.xlsx**　商洛市总工会 · R1 · 2025年度" in text
    assert ":orange-badge[已接收（有提示）] **好.xlsx**　宝鸡市总工会 · R1 · 2025年度" in text
    assert any("与上年（2024年）相比由 139.1万元 降至 35.5万元" in w.value for w in app.warning)
    sheet, cell = count_cell()
    assert [e.value for e in app.error] == [f"- {uploads.markdown_safe(results[0]['issues'][0]['line'])}"]
    assert (
        f"工作表“{sheet}”，单元格 {cell}，指标“市总工会召开研究产业工会工作专题会议次数”：“若干”不是数字"
        in app.error[0].value
    )
    assert [w.value for w in app.warning if "约5" in w.value] == [
        f"- {uploads.markdown_safe(results[1]['issues'][0]['line'])}"
    ]
    labels = [b.label for b in app.download_button]
    assert labels[:3] == ["下载标注了问题的工作簿"] * 3  # each file with an issue
    assert [p.label for p in app.get("page_link")] == ["到“报送情况”页查看各单位报送进度"]
    app.run()  # a download click reruns the page: the results are still there
    assert summary in "\n".join(_markdown(app))
    app.button[-1].click().run()  # 清除处理结果
    assert "本批处理结果" not in [s.value for s in app.subheader]


# --- 数据上传: the batch function the page calls -------------------------------------------------------------------


def test_upload_batch_rejects_a_broken_file_with_the_cell_and_an_annotated_copy(demo_warehouse_copy):
    sheet, cell = count_cell()
    before = _submissions(demo_warehouse_copy)
    [result] = uploads.upload_batch(
        [("商洛_坏.xlsx", r1_bytes("C10", m3_city_meetings="若干"))], None, demo_warehouse_copy
    )
    assert (result["status"], result["status_word"], result["errors"], result["warnings"]) == (
        "rejected",
        "被退回",
        1,
        0,
    )
    assert [(i["code"], i["sheet"], i["cell"]) for i in result["issues"]] == [("not_a_number", sheet, cell)]
    assert result["issues"][0]["line"].startswith(
        f"[错误] 文件“商洛_坏.xlsx”，工作表“{sheet}”，单元格 {cell}，指标“市总工会召开研究产业工会工作专题会议次数”："
        "“若干”不是数字，请填写阿拉伯数字（如 12）"
    )
    assert result["annotated_name"] == "商洛_坏_审核意见.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(result["annotated"]))
    assert wb.sheetnames[0] == "错误清单"
    assert wb[sheet][cell].comment is not None
    assert _submissions(demo_warehouse_copy) == before + 1  # recorded as rejected, no values


def test_upload_batch_archives_next_to_the_warehouse_and_reports_resends(demo_warehouse_copy):
    data = r1_bytes("C10")
    [first] = uploads.upload_batch([("商洛.xlsx", data)], 2025, demo_warehouse_copy)
    assert (first["status"], first["status_word"], first["issues"], first["annotated"]) == (
        "accepted",
        "已接收",
        [],
        None,
    )
    archived = list((demo_warehouse_copy.parent / "raw").rglob("*.xlsx"))
    assert len(archived) == 1 and archived[0].read_bytes() == data
    [again] = uploads.upload_batch([("商洛.xlsx", data)], 2025, demo_warehouse_copy)
    assert (again["status"], again["status_word"]) == ("unchanged", "未变化")


def test_upload_batch_holds_the_batch_to_its_year(demo_warehouse_copy):
    [result] = uploads.upload_batch([("商洛.xlsx", r1_bytes("C10"))], 2024, demo_warehouse_copy)
    assert result["status"] == "rejected"
    assert [i["code"] for i in result["issues"]] == ["wrong_year"]


def test_upload_batch_refuses_oversized_files_without_archiving_them(demo_warehouse_copy):
    before = _submissions(demo_warehouse_copy)
    big, small = b"PK\x03\x04" + b"\0" * (21 * 1024 * 1024), r1_bytes("C10")
    results = uploads.upload_batch([("大.xlsx", big), ("商洛.xlsx", small)], None, demo_warehouse_copy)
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    assert [i["code"] for i in results[0]["issues"]] == ["file_too_large"]
    assert "文件大小为21.0 MB，超过20.0 MB的上限" in results[0]["issues"][0]["line"]
    assert _submissions(demo_warehouse_copy) == before + 1  # only the small file
    assert [p.read_bytes() for p in (demo_warehouse_copy.parent / "raw").rglob("*.*")] == [small]


def test_upload_batch_refuses_more_than_sixty_files(demo_warehouse_copy):
    files = [(f"{i}.xlsx", b"x") for i in range(61)]
    with pytest.raises(ValueError, match="一次最多上传60个文件，本次选择了61个"):
        uploads.upload_batch(files, None, demo_warehouse_copy)
    assert uploads.batch_refusal([1] * 60) is None
    assert not (demo_warehouse_copy.parent / "raw").exists()


def test_batch_summary_and_markdown_safety():
    results = [{"status": s} for s in ("accepted", "rejected", "rejected", "unchanged")]
    assert uploads.batch_summary(results) == "本批共4个文件：被退回2个，已接收1个，未变化1个"
    assert uploads.markdown_safe("a_b*c[$1]") == "a\\_b\\*c\\[\\$1\\]"


def test_tracker_names_problems_by_their_chinese_title_not_their_code(monkeypatch, demo_warehouse):
    year_2022 = {"year": 2022, "type": None, "unit": None, "m": None, "present": False}
    app = open_page(monkeypatch, demo_warehouse, "app_pages/tracker.py", filters=year_2022)
    app.radio(key="tracker_return").set_value("R2").run()
    markdown = _markdown(app)
    located = "（本级情况!D24，指标“推动解决重要问题数”）"
    lines = [line for text in markdown for line in text.splitlines() if line.endswith(located)]
    assert len(lines) == 1 and lines[0].startswith("- 【不是数字】“若干”不是数字")
    texts = markdown + [c.value for c in app.caption]
    words = {w for text in texts for w in re.findall(r"[a-z]+(?:_[a-z0-9]+)+", text)}
    assert words & set(issue_codes.BY_CODE) == set()
