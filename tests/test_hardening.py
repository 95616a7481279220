"""Hardening (issue 11): hostile text from returns, file names and the unit registry stays inert on the upload
page, in charts and in every export; upload batches are capped; file names are labels, never paths; a 填报单位
account uploads for its own unit only; uploads, supersedes and exports are audited."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import duckdb
import openpyxl
import pytest
from docx import Document
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from dashboard import charts
from exports.brief import build_brief
from exports.deck import build_deck
from exports.letters import build_chase_letters
from exports.workbook import build_data_workbook
from pipeline import settings
from pipeline.access import ROLE_ANALYST, ROLE_UNIT, AccessStore
from pipeline.catalog import load_catalog
from pipeline.reference import load_reference
from pipeline.registry import load_registry
from pipeline.templates import build_template, fill_return
from pipeline.warehouse import WAREHOUSE_ENV, open_reader
from queries import uploads
from queries.board import StatusBook
from queries.warehouse import warehouse_summary
from tests.test_tracker_queries import r1_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://x","y")'
HOSTILE_NAME = f'=HYPERLINK("x"){SCRIPT}'  # a unit renamed in 设置 to this (40 characters, the most allowed)
UNESCAPED_TAG = re.compile(r"(?<!\\)<")  # markdown_safe puts a backslash before every < it shows
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hostile_r1(unit_code: str = "C03", **values: object) -> bytes:
    """A valid R1 whose contact and a 说明 carry hostile text (values override indicators)."""
    catalog, registry = load_catalog(), load_registry()
    wb, layout = build_template(catalog, registry, "R1", 2025, unit_code=unit_code)
    county = {
        "m3_county_meeting_held": "是", "m6_county_budget_included": "是", "m6_county_budget_amount": 3.0,
        "m8_county_industry_unions": 1, "m8_county_new_form_federations": 0, "m8_county_township_federations": 1,
    }  # fmt: skip
    fill_return(
        wb, layout,
        header={"unit_name": registry.get(unit_code).name, "submitter": FORMULA, "phone": "0917-3210000"},
        values={"m3_city_meetings": 2, "m6_budget_key_work": 35.5, "m6_resident_office_funds": 9.0,
                "m8_city_industry_unions": 5, "m8_city_new_form_federations": 1, **values},
        remarks={"m6_budget_key_work": IMG},
        records={"R1_COUNTY": [dict(county) for _ in registry.counties_of(unit_code)]},
    )  # fmt: skip
    ref = layout.header_cells["submitter"]
    wb[ref.sheet][ref.cell].data_type = "s"  # typed as text, as Excel keeps '=… (openpyxl took it for a formula)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def audit_rows(path: Path, action: str) -> list[dict[str, str]]:
    """The trail's rows of one action, read straight from the SQLite table."""
    with closing(sqlite3.connect(path)) as con:
        con.row_factory = sqlite3.Row
        rows = con.execute("select * from audit_log where action = ? order by id", (action,)).fetchall()
    return [dict(row) for row in rows]


def _texts(app: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "subheader", "header")
    return [str(element.value) for kind in kinds for element in app.get(kind)]


# --- signing in: real accounts and sessions in a private account store -----------------------------------------


@pytest.fixture
def access_db(monkeypatch, tmp_path) -> Path:
    path = tmp_path / "access.sqlite"
    monkeypatch.setenv("SHIBATIAO_ACCESS_DB", str(path))
    return path


def signed_in_upload_page(monkeypatch, warehouse: Path, access: Path, role: str, unit: str | None = None) -> AppTest:
    """The upload page, signed in through a real session of a fresh account of the role."""
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    store = AccessStore(access)
    username = "t_unit" if role == ROLE_UNIT else "t_analyst"
    store.add_account(username, f"测试{role}", role, unit, actor="测试", registry=load_registry(),
                      password="test-pass-2025!", must_change_password=False)  # fmt: skip
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["auth_token"] = store.open_session(username, address="127.0.0.1")
    app.session_state["auth_account"] = store.account(username)
    app.run()
    app.switch_page("app_pages/upload.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def upload(app: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    app.file_uploader[0].set_value([(name, data, XLSX) for name, data in files]).run()
    [button] = [b for b in app.button if b.label == "校验并装入"]
    button.click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


# --- the upload page --------------------------------------------------------------------------------------------


def test_hostile_names_and_cells_show_literally_on_the_upload_page_and_are_audited(
    monkeypatch, demo_warehouse_copy, access_db
):
    app = signed_in_upload_page(monkeypatch, demo_warehouse_copy, access_db, ROLE_ANALYST)
    files = [
        (f"{SCRIPT}.xlsx", hostile_r1("C03")),
        (f"{IMG}.xlsx", hostile_r1("C04", m3_city_meetings=IMG)),  # rejected: the error line quotes the value
        (f"{FORMULA}.xlsx", r1_bytes("C10")),
    ]
    upload(app, files)
    texts = _texts(app)
    assert "**本批共3个文件：被退回1个，已接收（有提示）1个，已接收1个**（本批报表年度：不限）" in texts
    for name, _ in files:
        assert any(f"**{uploads.markdown_safe(name)}**" in t for t in texts), name
    assert any(uploads.markdown_safe(f"（填写的是“{IMG}”）") in t for t in texts)
    assert [t for t in texts if UNESCAPED_TAG.search(t)] == []  # no tag reaches markdown unescaped
    rows = audit_rows(access_db, "upload")
    assert sorted(r["target"] for r in rows) == sorted(name for name, _ in files)
    assert {r["actor"] for r in rows} == {"t_analyst"}
    outcomes = {r["target"]: r["outcome"] for r in rows}
    assert outcomes == {
        f"{SCRIPT}.xlsx": "接收（有提示），已替代旧版本",
        f"{IMG}.xlsx": "退回",
        f"{FORMULA}.xlsx": "接收",
    }
    [supersede] = audit_rows(access_db, "supersede")
    assert supersede["target"] == f"{SCRIPT}.xlsx" and "被替代的版本：报送编号" in supersede["detail"]
    assert "单位：宝鸡市总工会（C03）；年度：2025；报表：R1" in supersede["detail"]


def test_a_unit_account_uploads_for_its_own_unit_only(monkeypatch, demo_warehouse_copy, access_db):
    app = signed_in_upload_page(monkeypatch, demo_warehouse_copy, access_db, ROLE_UNIT, unit="C01")
    assert any("本账户为**西安市总工会**上传报表" in i.value for i in app.info)
    assert app.selectbox(key="template_return").options == ["R1 市（区）总工会年度报表"]
    assert app.selectbox(key="template_unit_R1").options == ["西安市总工会"]
    before = _submission_count(demo_warehouse_copy)
    upload(app, [("商洛.xlsx", r1_bytes("C10"))])
    [result] = app.session_state["upload_results"]["results"]
    assert (result["status"], [i["code"] for i in result["issues"]]) == ("rejected", ["unit_not_permitted"])
    assert "西安市总工会" in result["issues"][0]["line"] and "商洛市总工会" in result["issues"][0]["line"]
    assert _submission_count(demo_warehouse_copy) in (before, before + 1)  # at most a rejection record
    with duckdb.connect(str(demo_warehouse_copy), read_only=True) as con:
        accepted = con.execute(
            "select count(*) from submissions where unit_code = 'C10' and year = 2025 and status <> 'rejected'"
        ).fetchone()[0]
    assert accepted == 0
    [row] = audit_rows(access_db, "upload")
    assert (row["actor"], row["target"], row["outcome"]) == ("t_unit", "商洛.xlsx", "退回")
    assert not app.get("page_link")  # nothing was accepted: no link to the submission history
    upload(app, [("西安.xlsx", r1_bytes("C01"))])
    [own] = app.session_state["upload_results"]["results"]
    assert (own["status"] in ("accepted", "accepted_with_warnings"), own["unit_code"]) == (True, "C01")
    assert [link.label for link in app.get("page_link")] == ["到“本单位报送”页查看本单位的报送记录"]
    assert [r["target"] for r in audit_rows(access_db, "upload")] == ["商洛.xlsx", "西安.xlsx"]


def _submission_count(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from submissions").fetchone()[0]


# --- caps and names ---------------------------------------------------------------------------------------------


def test_a_batch_over_either_cap_is_refused_whole_before_reading(monkeypatch, tmp_path):
    monkeypatch.setenv("UPLOAD_MAX_FILES", "3")
    monkeypatch.setenv("UPLOAD_MAX_TOTAL_MB", "1")
    assert uploads.batch_refusal([10, 10, 10]) is None
    assert uploads.batch_refusal([10] * 4) == (
        "一次最多上传3个文件，本次选择了4个，本批文件均未处理。请分批上传（每批不超过3个）。"
    )
    assert uploads.batch_refusal([600_000, 600_000]) == (
        "一批文件合计不能超过1 MB，本次选择的2个文件合计1.1 MB，本批文件均未处理。"
        "请分成几批上传，或先删除报表中多余的工作表和图片后再上传。"
    )
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="合计不能超过1 MB"):
        uploads.upload_batch([("a.xlsx", b"x" * 600_000), ("b.xlsx", b"x" * 600_000)], None, warehouse)
    assert list(tmp_path.iterdir()) == []  # nothing archived, no warehouse created
    monkeypatch.setenv("UPLOAD_MAX_FILES", "many")
    monkeypatch.delenv("UPLOAD_MAX_TOTAL_MB")
    assert (uploads.max_files(), uploads.max_total_bytes()) == (60, 200 * 1024 * 1024)


def test_uploaded_file_names_are_labels_never_paths(demo_warehouse_copy, monkeypatch, tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a name used as a relative path would land here
    names = ["../../etc/passwd.xlsx", "a/b.xlsx", "CON.xlsx", "长" * 296 + ".xlsx", "报表\x00\n.xlsx"]
    contents = [r1_bytes("C10", m3_city_meetings="若干"), r1_bytes("C10"), r1_bytes("C05"), r1_bytes("C06"),
                r1_bytes("C07")]  # fmt: skip
    results = uploads.upload_batch(list(zip(names, contents, strict=True)), None, demo_warehouse_copy)
    assert [r["status"] for r in results] == ["rejected", "accepted", "accepted_with_warnings", "rejected", "rejected"]
    assert [r["file"] for r in results[:3]] == names[:3]  # shown and recorded as typed
    assert results[0]["annotated_name"] == "passwd_审核意见.xlsx"  # the download name is the last component
    assert [[i["code"] for i in r["issues"]] for r in results[3:]] == [["bad_file_name"], ["bad_file_name"]]
    assert results[4]["file"] == "报表??.xlsx"
    assert list(cwd.iterdir()) == []
    root = demo_warehouse_copy.parent
    assert sorted(p.name for p in root.iterdir()) == ["cwd", "raw", "warehouse.duckdb", "warehouse.lock"]
    archived = sorted(p.relative_to(root).as_posix() for p in (root / "raw").rglob("*") if p.is_file())
    assert len(archived) == 3 and all(re.fullmatch(r"raw/[0-9a-f]{2}/[0-9a-f]{64}\.xlsx", p) for p in archived)
    assert not (root / "etc").exists() and not (root.parent / "etc").exists() and not (root / "a").exists()
    with duckdb.connect(str(demo_warehouse_copy), read_only=True) as con:
        recorded = {r[0] for r in con.execute("select file_name from submissions").fetchall()}
    assert set(names[:3]) <= recorded


# --- charts and exports -----------------------------------------------------------------------------------------


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [str(v) for v in getattr(value, "tolist", list)()] if hasattr(value, "tolist") else []


def test_chart_labels_escape_plotly_markup():
    import pandas as pd

    frame = pd.DataFrame({
        "unit_code": ["C01"], "unit_name": [HOSTILE_NAME], "year": [2025], "rate": [0.9], "covered": [9],
        "total": [10], "status": ["达标"], "missing_label": [None],
    })  # fmt: skip
    fig = charts.m3_coverage_chart(frame, title=f"标题{IMG}")
    shown = "\n".join(_strings(fig.to_dict()))
    assert "<script>" not in shown and "<img" not in shown and "<br>" in shown  # the builder's own markup stays
    assert "=HYPERLINK(&quot;" not in shown  # quotes need no escaping in plotly text
    assert '=HYPERLINK("x")&lt;script&gt;alert(1)&lt;/script&gt;（2025年）<br>' in shown
    assert fig.layout.title.text.endswith("标题&lt;img src=x onerror=alert(1)&gt;")
    assert charts._wrap("&lt;&lt;&lt;&lt;&lt;&lt;&lt;") == "&lt;&lt;&lt;&lt;<br>&lt;&lt;&lt;"


@pytest.fixture
def hostile_warehouse(demo_warehouse_copy) -> Path:
    """The demo warehouse with 商洛市总工会 (which has not sent its 2025 R1) renamed to HOSTILE_NAME in the settings
    and 宝鸡's 2025 R1 resent with a hostile file name, contact and 说明."""
    settings.save(settings.UnitRename("C10", HOSTILE_NAME, 2025), author="测试", reason="测试：名称中的特殊字符",
                  warehouse=demo_warehouse_copy)  # fmt: skip
    [result] = uploads.upload_batch([(f"{IMG}.xlsx", hostile_r1("C03"))], None, demo_warehouse_copy)
    assert result["status"] in ("accepted", "accepted_with_warnings")
    return demo_warehouse_copy


def _book(con) -> StatusBook:
    reference = load_reference(con)
    return StatusBook.from_warehouse(con, catalog=reference.catalog, registry=reference.registry)


def test_the_data_workbook_neutralises_every_hostile_cell(hostile_warehouse):
    con = open_reader(hostile_warehouse)
    try:
        data = build_data_workbook(con, _book(con), 2025, demo=True)
    finally:
        con.close()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [cell for ws in wb for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert [t for t in texts if t.startswith(("=", "+", "@"))] == []
    assert f"'{HOSTILE_NAME}" in texts  # the unit's name, as a leading-apostrophe text cell
    assert f"'{FORMULA}" in texts  # the contact's name
    assert f"{IMG}.xlsx" in texts  # the file name: text in a cell, inert


def _docx_text_and_xml(data: bytes) -> tuple[str, str]:
    doc = Document(io.BytesIO(data))
    body = "\n".join(p.text for p in doc.paragraphs)
    body += "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    return body, xml


def test_brief_letters_and_deck_carry_hostile_names_as_plain_text(hostile_warehouse):
    con = open_reader(hostile_warehouse)
    try:
        book = _book(con)
        brief = build_brief(con, book, 2025, demo=True)
        letters = build_chase_letters(con, book, 2025, "R1", demo=True)
        deck = build_deck(con, book, 2025, demo=True)
    finally:
        con.close()
    for data in (brief, letters):
        text, xml = _docx_text_and_xml(data)
        assert HOSTILE_NAME in text  # shown as typed …
        assert "<script>" not in xml and "&lt;script&gt;" in xml  # … as escaped XML text
        assert "w:hyperlink" not in xml and "HYPERLINK" not in re.sub(r"<w:t[ >][^<]*</w:t>", "", xml)
    slides = Presentation(io.BytesIO(deck)).slides
    shown = []
    for slide in slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                shown.append(shape.text_frame.text)
            if shape.has_table:
                shown.extend(cell.text for row in shape.table.rows for cell in row.cells)
        assert not [r for r in slide.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert HOSTILE_NAME in shown  # a table cell of the submission slide, exactly as typed
    assert any(f"未报送1个：{HOSTILE_NAME}。" in text for text in shown)


# --- the export page ----------------------------------------------------------------------------------------------


def test_each_export_built_is_audited_with_its_document_and_data_version(monkeypatch, demo_warehouse, access_db):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    store = AccessStore(access_db)
    store.add_account(
        "t_leader", "测试领导", "领导", actor="测试", password="test-pass-2025!", must_change_password=False
    )
    app = AppTest.from_file(APP, default_timeout=180)
    app.session_state["auth_token"] = store.open_session("t_leader", address="127.0.0.1")
    app.session_state["auth_account"] = store.account("t_leader")
    app.run()
    app.switch_page("app_pages/export.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.button(key="build_data").click().run()
    assert not app.exception, [e.value for e in app.exception]
    [row] = audit_rows(access_db, "export")
    with closing(open_reader(demo_warehouse)) as con:
        version = warehouse_summary(con).version_text
    assert (row["actor"], row["target"], row["outcome"]) == (
        "t_leader",
        "演示数据_2025年度十八条落实数据.xlsx",
        "已生成",
    )
    assert row["detail"] == f"文件：数据工作簿（Excel）；数据版本：实时数据，{version}"
