"""导出 under AppTest: each document is built on request and offered for download under a name that says the year,
the data version and 演示数据; a meeting version is frozen from the page and listed."""

from __future__ import annotations

import pytest

from exports import meetings
from pipeline.registry import load_registry
from tests.test_pages_tracker import open_page

PAGE = "app_pages/export.py"


@pytest.fixture
def meetings_dir(monkeypatch, tmp_path):
    folder = tmp_path / "meetings"
    monkeypatch.setenv("SHIBATIAO_MEETINGS", str(folder))
    return folder


def _downloads(app) -> dict[str, object]:
    return {button.label: button for button in app.get("download_button")}


def test_documents_are_built_on_request(monkeypatch, demo_warehouse, meetings_dir):
    app = open_page(monkeypatch, demo_warehouse, PAGE)
    assert [s.value for s in app.subheader][:4] == ["2025年度汇报材料", "单位情况通报", "催报函", "会议版"]
    assert "下载汇报稿（PPT）" not in _downloads(app)  # nothing is built before it is asked for
    for label in ("生成汇报稿（PPT）", "生成情况通报（Word）", "生成数据工作簿（Excel）", "生成催报函（Word）"):
        app.button(
            key={
                "生成汇报稿（PPT）": "build_deck",
                "生成情况通报（Word）": "build_brief",
                "生成数据工作簿（Excel）": "build_data",
                "生成催报函（Word）": "build_letters",
            }[label]
        ).click().run()
        assert not app.exception, [e.value for e in app.exception]
    labels = set(_downloads(app))
    assert {"下载汇报稿（PPT）", "下载情况通报（Word）", "下载数据工作簿（Excel）", "下载催报函（Word）"} <= labels
    built = app.session_state["_export_built"]
    assert built["deck"][0] == "演示数据_2025年度汇报稿.pptx" and built["deck"][1][:2] == b"PK"
    assert built["brief"][0] == "演示数据_2025年度情况通报.docx"
    assert built["data"][0] == "演示数据_2025年度十八条落实数据.xlsx"
    assert built["letters"][0] == "演示数据_2025年度催报函.docx"


def test_a_unit_brief_for_the_chosen_unit(monkeypatch, demo_warehouse, meetings_dir):
    app = open_page(monkeypatch, demo_warehouse, PAGE)
    hanzhong = load_registry().resolve("汉中市总工会").unit.code
    app.selectbox(key="export_unit").set_value(hanzhong).run()
    app.button(key="build_unit_brief").click().run()
    assert not app.exception
    assert app.session_state["_export_built"]["unit_brief"][0] == "演示数据_2025年度汉中市单位情况通报.docx"
    assert "下载汉中市单位情况通报" in _downloads(app)


def test_a_meeting_version_is_frozen_from_the_page(monkeypatch, demo_warehouse_copy, meetings_dir):
    app = open_page(monkeypatch, demo_warehouse_copy, PAGE)
    app.text_input(key="export_meeting_name").input("2025年度推进会").run()
    next(b for b in app.button if b.label == "冻结当前数据为会议版").click().run()
    assert not app.exception
    assert [s.value for s in app.success if "已冻结会议版“2025年度推进会”" in s.value]
    (frozen,) = meetings.list_meetings(meetings_dir)
    assert frozen.name == "2025年度推进会" and frozen.year == 2025
