"""系统设置 with AppTest: refused to every role but 管理员; a threshold change is previewed as the exact statuses it
changes, saved only on the second click with a reason, versioned and audited; restoring previews and undoes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import audit, settings
from pipeline.access import ROLE_ADMIN, ROLE_ANALYST, Account
from pipeline.reference import load_reference
from pipeline.warehouse import open_reader, writer

PAGE = str(Path(__file__).resolve().parent.parent / "app_pages" / "settings.py")


def _account(role: str) -> Account:
    return Account("t_settings", f"测试{role}", role, None, False, False, False, None)


def _page(role: str = ROLE_ADMIN) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["auth_account"] = _account(role)
    return at.run()


@pytest.fixture
def live(demo_warehouse_copy, monkeypatch):
    monkeypatch.setenv("SHIBATIAO_WAREHOUSE", str(demo_warehouse_copy))
    return demo_warehouse_copy


def _versions(path) -> list[settings.SettingsVersion]:
    con = open_reader(path)
    try:
        return settings.versions(con)
    finally:
        con.close()


def test_only_the_administrator_may_use_the_page(live):
    at = _page(ROLE_ANALYST)
    assert not at.exception and not at.tabs and not at.button
    assert "无权使用“系统设置”页面" in at.error[0].value


def test_a_threshold_is_previewed_saved_on_confirm_audited_and_restored(live):
    at = _page()
    assert not at.exception and [t.label for t in at.tabs] == ["指标阈值与参数", "报送截止日期", "单位名录"]
    assert at.info[-1].value == "尚未保存过任何设置，各项均为默认值（catalog/ 中的文件）。"
    at.selectbox(key="settings_measure").set_value(12).run()
    assert at.dataframe[0].value.to_dict("records") == [
        {"项目": "达标线", "现行": "90%", "默认": "90%"},
        {"项目": "预警线", "现行": "75%", "默认": "75%"},
    ]
    at.number_input(key="settings_m12_amber").set_value(95.0).run()
    at.button(key="measure_preview").click().run()
    assert at.error[0].value == "预警线：第12条的预警线（95%）不能高于达标线（90%）"

    at.number_input(key="settings_m12_amber").set_value(75.0)
    at.number_input(key="settings_m12_green").set_value(89.0).run()
    at.button(key="measure_preview").click().run()
    assert at.text[0].value == "第12条 人员配备率：达标线 90% → 89%"
    preview = at.dataframe[1].value.to_dict("records")
    assert preview == [
        {"措施": "第12条", "年度": "2024年度", "原状态": "预警", "新状态": "达标"},
        {"措施": "第12条", "年度": "2025年度", "原状态": "预警", "新状态": "达标"},
    ]
    assert _versions(live) == []  # a preview saves nothing

    at.button(key="measure_save").click().run()  # no reason yet
    assert at.error[0].value == "修改原因：不能为空" and _versions(live) == []
    at.text_input(key="measure_reason").input("省总工会2026年第3次党组会决定").run()
    at.button(key="measure_save").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已保存为第1版：第12条 人员配备率：达标线 90% → 89%")
    saved = _versions(live)
    assert [(v.id, v.author, v.reason, v.kind) for v in saved] == [
        (1, "t_settings", "省总工会2026年第3次党组会决定", "measure")
    ]
    assert saved[0].payload["measures"] == {"12": {"thresholds": {"green": 0.89, "amber": 0.75}}}
    assert at.dataframe[0].value.to_dict("records")[0] == {"项目": "达标线", "现行": "89%", "默认": "90%"}
    row = audit.entries(actor="t_settings", action="settings_saved").iloc[0]
    assert (row["操作"], row["对象"], row["结果"]) == ("保存设置", "第12条", "成功")
    assert row["说明"] == "第1版：第12条 人员配备率：达标线 90% → 89%；原因：省总工会2026年第3次党组会决定"

    versions_table = at.dataframe[-1].value.to_dict("records")
    assert (
        versions_table[0]["版本"] == "第1版（现行）"
        and versions_table[0]["修改内容"] == "第12条 人员配备率：达标线 90% → 89%"
    )
    at.selectbox(key="settings_restore_to").set_value(0).run()
    at.button(key="restore_preview").click().run()
    assert at.dataframe[-1].value.to_dict("records") == [
        {"措施": "第12条", "年度": "2024年度", "原状态": "达标", "新状态": "预警"},
        {"措施": "第12条", "年度": "2025年度", "原状态": "达标", "新状态": "预警"},
    ]
    at.text_input(key="restore_reason").input("恢复默认口径").run()
    at.button(key="restore_save").click().run()
    assert at.success[0].value.startswith("已保存为第2版：恢复为默认设置")
    latest = _versions(live)[0]
    assert (latest.id, latest.kind, latest.restored_from, latest.payload["measures"]) == (2, "restore", 0, {})
    assert len(audit.entries(actor="t_settings", action="settings_restored")) == 1


def test_a_unit_alias_and_the_deadline_through_the_page(live):
    at = _page()
    at.number_input(key="settings_deadline_month").set_value(2)
    at.number_input(key="settings_deadline_day").set_value(30).run()
    at.button(key="deadline_preview").click().run()
    assert at.error[0].value == "截止日期（日）：2月没有30日"

    at.radio(key="settings_unit_action").set_value("新增别名").run()
    at.selectbox(key="settings_unit_code").set_value("C01").run()
    assert {"项目": "别名", "现行": "西安、西安市、西安市总、西安市总工会（盖章）、西安市总工会(盖章)",
            "默认": "西安、西安市、西安市总、西安市总工会（盖章）、西安市总工会(盖章)"} in at.dataframe[1].value.to_dict("records")  # fmt: skip
    at.text_input(key="settings_alias").input("西安市总工会机关").run()
    at.button(key="units_preview").click().run()
    assert "不改变任何状态。" in [info.value for info in at.info]
    at.text_input(key="units_reason").input("来函使用该名称").run()
    at.button(key="units_save").click().run()
    assert at.success[0].value.startswith("已保存为第1版：新增别名：西安市总工会 又称“西安市总工会机关”")
    con = open_reader(live)
    try:
        assert load_reference(con).registry.resolve("西安市总工会机关").unit.code == "C01"
    finally:
        con.close()


def test_settings_that_no_longer_fit_the_files_can_be_restored_on_the_page(live):
    with writer(live) as con:
        con.execute(
            "INSERT INTO settings_versions (saved_at, author, reason, kind, summary, payload) "
            "VALUES (now(), 'admin', '旧版本', 'measure', '第5条', $payload)",
            {"payload": '{"measures": {"5": {"thresholds": {"amber": 0.99}}}}'},
        )
    at = _page()
    assert not at.exception and not at.tabs
    assert at.error[0].value.startswith(
        "已保存的设置与 catalog/ 中的默认文件不再相容：指标目录 第5条措施：黄色阈值 0.99 高于绿色阈值 0.95"
    )
    at.selectbox(key="settings_restore_to").set_value(0).run()
    at.button(key="restore_preview").click().run()
    at.text_input(key="restore_reason").input("默认文件已更新").run()
    at.button(key="restore_save").click().run()
    assert at.success[0].value.startswith("已保存为第2版：恢复为默认设置") and len(at.tabs) == 3


def test_adding_a_county_and_renaming_one_through_the_page(live):
    at = _page()
    at.radio(key="settings_unit_action").set_value("新增单位").run()
    at.selectbox(key="settings_add_type").set_value("county").run()
    at.text_input(key="settings_add_code").input("C01-99")
    at.selectbox(key="settings_add_parent").set_value("C01")
    at.text_input(key="settings_add_name").input("西咸新区")
    at.text_input(key="settings_add_short").input("西咸新区")
    at.text_input(key="settings_add_aliases").input("西咸、西咸新区总工会").run()
    at.button(key="units_preview").click().run()
    assert at.text[0].value == "新增县（区）总工会：西咸新区（C01-99，上级单位西安市总工会）"
    assert at.dataframe[-1].value.to_dict("records") == [
        {"单位": "西咸新区（西安市）", "原来": "不参与判定", "修改后": "参与判定"}
    ]
    at.text_input(key="units_reason").input("新设立").run()
    at.button(key="units_save").click().run()
    assert at.success[0].value.startswith("已保存为第1版：新增县（区）总工会：西咸新区")

    at.radio(key="settings_unit_action").set_value("单位更名").run()
    at.selectbox(key="settings_unit_code").set_value("C09-10").run()
    at.text_input(key="settings_rename_name").input("旬阳新区")
    at.number_input(key="settings_rename_year").set_value(2026).run()
    at.button(key="units_preview").click().run()
    assert at.text[0].value == "单位更名：旬阳市 → 旬阳新区（2026年起；原名称作为曾用名，使用原名称的报表仍能识别）"
    at.text_input(key="units_reason").input("国务院批复").run()
    at.button(key="units_save").click().run()
    assert at.success[0].value.startswith("已保存为第2版：单位更名")
    con = open_reader(live)
    try:
        registry = load_reference(con).registry
    finally:
        con.close()
    assert registry.resolve("西咸").unit.code == "C01-99" and registry.resolve("旬阳市").unit.name == "旬阳新区"
