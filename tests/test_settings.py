"""Saved settings: every kind of change validated, applied, previewed on the demo warehouse, versioned and restored;
a saved alias resolves at the next ingest; permitted_units refuses another unit's return."""

from __future__ import annotations

import getpass
from datetime import date, datetime

import duckdb
import pytest

from pipeline import audit, settings
from pipeline.__main__ import main
from pipeline.ingest import ingest_bytes, ingest_uploads
from pipeline.reference import build_reference, load_reference
from pipeline.settings import (
    DeadlineChange,
    MeasureChange,
    SettingsError,
    UnitAdd,
    UnitAlias,
    UnitFormerName,
    UnitMove,
    UnitRename,
    UnitRetire,
)
from pipeline.templates import build_template
from pipeline.warehouse import open_reader, writer
from queries.board import StatusBook
from tests.test_ingest import _valid_r2_bytes, _with_cell

NOW = datetime(2026, 3, 2, 9, 30)
RECEIVED = datetime(2025, 1, 15, 9, 0)


@pytest.fixture(scope="module")
def defaults():
    return load_reference()


def _reference(path):
    con = open_reader(path)
    try:
        return load_reference(con)
    finally:
        con.close()


# --- validation: one bad value of each kind, with the field it names ------------------------------------------

BAD = [
    (MeasureChange(5, {"green": 1.2}), "达标线", "第5条的达标线应大于0%且不超过100%（现为120%）"),
    (MeasureChange(5, {"green": "九成"}), "达标线", "第5条的达标线应为数字（现为“九成”）"),
    (MeasureChange(5, {"amber": 0.99}), "预警线", "第5条的预警线（99%）不能高于达标线（95%）"),
    (MeasureChange(5, {"mean_score": 80}), "mean_score", "第5条的判定规则没有这个阈值（可设置的阈值：达标线、预警线）"),
    (
        MeasureChange(9, {"mean_score": 120}),
        "平均得分达标线",
        "第9条的平均得分达标线应大于0分且不超过100分（现为120分）",
    ),
    (MeasureChange(11, {"minimum": 1.5}), "每项最少次数", "第11条的每项最少次数应为1–100之间的整数（现为1.5）"),
    (MeasureChange(1, params={"window_years": 0}), "窗口期年数", "第1条的窗口期年数应为1–10之间的整数（现为“0”）"),
    (
        MeasureChange(5, params={"window_years": 2}),
        "window_years",
        "第5条的判定规则没有可修改的参数“window_years”（可修改的参数：无）",
    ),
    (
        MeasureChange(5, params={"numerator": "m5_dues_due"}),
        "numerator",
        "第5条的判定规则没有可修改的参数“numerator”（可修改的参数：无）",
    ),
    (MeasureChange(5, {"green": 0.95}), "阈值", "第5条的设置与现行设置相同，没有需要保存的修改"),
    (MeasureChange(5, reading=" "), "判定说明", "不能为空"),
    (MeasureChange(19, {"green": 0.9}), "措施", "没有第19条措施"),
    (DeadlineChange(2, 30), "截止日期（日）", "2月没有30日"),
    (DeadlineChange(2, 29), "截止日期（日）", "2月29日并非每年都有，请选2月28日或3月1日"),
    (DeadlineChange(13, 1), "截止日期（月）", "应为1–12之间的整数（现为“13”）"),
    (DeadlineChange(1, 31), "截止日期", "与现行截止日期（次年1月31日）相同，没有需要保存的修改"),
    (UnitAdd("C01", "新区", "新区", "county", "C01"), "单位代码", "代码“C01”已被西安市总工会使用"),
    (UnitAdd("C01 99", "新区", "新区", "county", "C01"), "单位代码", "不能包含空格"),
    (
        UnitAdd("C01-99", "新区", "新区", "county", "I01"),
        "上级单位",
        "县（区）总工会的上级单位应为在册的市级总工会（现为陕西省教科文卫体工会）",
    ),
    (UnitAdd("C01-99", "", "新区", "county", "C01"), "单位名称", "不能为空"),
    (UnitAdd("C01-99", "新区", "新区", "town", "C01"), "单位类型", "应为市级总工会、县（区）总工会、省级产业工会之一"),
    (
        UnitAdd("C01-99", "新城区", "新城", "county", "C01"),
        "单位名录",
        "别名“新城区”同时指向新城区（C01-01）和新城区（C01-99）",
    ),
    (UnitRename("C09-10", "旬阳市", 2026), "新名称", "与现名“旬阳市”相同"),
    (UnitRename("C09-10", "旬阳新区", 1800), "更名年份", "应为1949–2100之间的年份（现为“1800”）"),
    (UnitRename("X99", "某区", 2026), "单位", "单位名录中没有代码为“X99”的单位"),
    (UnitAlias("C01", "宝鸡"), "单位名录", "别名“宝鸡”同时指向西安市总工会（C01）和宝鸡市总工会（C03）"),
    (UnitAlias("C01", "西安"), "别名", "“西安”已是西安市总工会的名称或别名"),
    (UnitAlias("C01", "（盖章）"), "别名", "去掉空格、括号和盖章字样后为空，无法用于识别单位"),
    (UnitFormerName("C09-10", "旬阳县", 2021), "曾用名", "“旬阳县”已是旬阳市的曾用名"),
    (
        UnitFormerName("C09-10", "汉滨区", 2020),
        "单位名录",
        "单位旬阳市（C09-10）的曾用名“汉滨区”是汉滨区（C09-01）现在的名称或别名",
    ),
    (UnitFormerName("C09-10", "旬阳老县", "2020"), "更名年份", "应为1949–2100之间的年份（现为“2020”）"),
    (UnitMove("C01", "C02"), "单位", "只有县（区）总工会可以调整所属市，西安市总工会不是县级单位"),
    (UnitMove("C09-10", "C09"), "新的所属市", "旬阳市已属于安康市总工会"),
    (UnitMove("C09-10", "I01"), "新的所属市", "应为在册的市级总工会（现为陕西省教科文卫体工会）"),
    (UnitRetire("P00"), "单位", "省总工会不能设为不再报送"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), BAD, ids=[f"{type(c).__name__}-{i}" for i, (c, _, _) in enumerate(BAD)]
)
def test_a_bad_change_is_refused_naming_its_field(defaults, change, field, message):
    with pytest.raises(SettingsError) as raised:
        settings.propose(defaults, change)
    assert (raised.value.field, raised.value.detail) == (field, message)


def test_retiring_a_unit_twice_is_refused():
    reference = build_reference({"retired": {"C10": "2026-03-02"}}, 1)
    with pytest.raises(SettingsError, match="单位：商洛市总工会已于2026-03-02设为不再报送"):
        settings.propose(reference, UnitRetire("C10"))


# --- good changes: the proposed reference shows them -----------------------------------------------------------


def test_thresholds_parameters_and_reading_apply(defaults):
    proposed, overrides, summary = settings.propose(
        defaults, MeasureChange(9, {"mean_score": 85, "rectification": 0.95}, {"window_years": 3}, "每3年督查一次。")
    )
    rule = proposed.catalog.measure(9).rule
    assert rule.thresholds == {"mean_score": 85.0, "rectification": 0.95} and rule.params["window_years"] == 3
    assert rule.reading == "每3年督查一次。"
    assert (
        summary
        == "第9条 专项督查平均得分：平均得分达标线 80分 → 85分；整改率达标线 90% → 95%；窗口期年数 2 → 3；判定说明已修改"
    )
    assert overrides["measures"] == {
        "9": {"thresholds": {"mean_score": 85.0, "rectification": 0.95}, "params": {"window_years": 3},
              "reading": "每3年督查一次。"}
    }  # fmt: skip


def test_the_deadline_applies(defaults):
    proposed, overrides, summary = settings.propose(defaults, DeadlineChange(2, 15))
    assert proposed.catalog.reporting.deadline_month_day == "02-15" and overrides["reporting"] == {
        "deadline_month_day": "02-15"
    }
    assert summary == "报送截止日期：次年1月31日 → 次年2月15日"


def test_registry_changes_apply(defaults):
    added, _, summary = settings.propose(
        defaults, UnitAdd("C01-99", "西咸新区", "西咸新区", "county", "C01", ("西咸",))
    )
    assert [u.code for u in added.registry.counties_of("C01")][-2:] == ["C01-13", "C01-99"]
    assert added.registry.resolve("西咸").unit.code == "C01-99"
    assert summary == "新增县（区）总工会：西咸新区（C01-99，上级单位西安市总工会）"

    renamed, _, _ = settings.propose(defaults, UnitRename("C09-10", "旬阳新区", 2026))
    unit = renamed.registry.get("C09-10")
    assert unit.name == "旬阳新区" and [(f.name, f.until) for f in unit.former_names] == [
        ("旬阳县", 2021),
        ("旬阳市", 2026),
    ]
    assert "旬阳新区总工会" in unit.aliases and "旬阳市总工会" not in unit.aliases
    old_name = renamed.registry.resolve("旬阳市总工会", year=2026)
    assert old_name.unit.code == "C09-10" and old_name.hint == "旬阳市已于2026年更名为旬阳新区，按旬阳新区读入"

    aliased, _, _ = settings.propose(defaults, UnitAlias("C01", "西安市总工会驻会办"))
    assert aliased.registry.resolve("西安市总工会驻会办").unit.code == "C01"
    assert defaults.registry.resolve("西安市总工会驻会办").unit is None

    former, _, summary = settings.propose(defaults, UnitFormerName("C04-01", "咸阳老城区", 2015))
    assert former.registry.resolve("咸阳老城区", year=2024).unit.code == "C04-01"
    assert summary == f"新增曾用名：咸阳老城区于2015年更名为{defaults.registry.get('C04-01').name}"

    moved, _, summary = settings.propose(defaults, UnitMove("C09-10", "C10"))
    assert moved.registry.get("C09-10").parent == "C10" and "C09-10" in {
        u.code for u in moved.registry.counties_of("C10")
    }
    assert "C09-10" not in {u.code for u in moved.registry.counties_of("C09")}
    assert summary == "调整所属市：旬阳市 由安康市总工会划归商洛市总工会"

    retired, overrides, summary = settings.propose(defaults, UnitRetire("I08", on=date(2026, 3, 2)))
    assert "I08" not in {u.code for u in retired.registry.industry_unions()} and overrides["retired"] == {
        "I08": "2026-03-02"
    }
    assert summary == "单位不再报送：陕西省金融工会（2026-03-02起不再要求报送、不再参与判定；已报送的数据保留）"


# --- preview on the demo warehouse ---------------------------------------------------------------------------------


def test_a_threshold_preview_lists_the_exact_statuses_that_change_and_the_book_shows_them(demo_warehouse_copy):
    con = open_reader(demo_warehouse_copy)
    try:
        reference = load_reference(con)
        changes = settings.preview(con, reference, MeasureChange(12, {"green": 0.89}))
        assert [c.text for c in changes] == ["第12条 2024年度 预警 → 达标", "第12条 2025年度 预警 → 达标"]
        assert [c.text for c in settings.preview(con, reference, MeasureChange(5, {"green": 0.97}))] == [
            "第5条 2024年度 达标 → 预警"
        ]
        assert settings.preview(con, reference, DeadlineChange(2, 28)) == []  # 不改变任何状态
    finally:
        con.close()
    saved = settings.save(MeasureChange(12, {"green": 0.89}), author="admin", reason="年度考核口径调整",
                          warehouse=demo_warehouse_copy, now=NOW)  # fmt: skip
    con = open_reader(demo_warehouse_copy)
    try:
        after = load_reference(con)
        book = StatusBook.from_warehouse(con, catalog=after.catalog, registry=after.registry)
        assert after.settings_version == saved.id == 1
        assert (book.result(12, 2024).overall.status, book.result(12, 2025).overall.status) == ("达标", "达标")
        assert book.result(12, 2023).overall.status == "达标" and book.result(5, 2024).overall.status == "达标"
        back = settings.preview_restore(con, after, 0)
        assert [c.text for c in back] == ["第12条 2024年度 达标 → 预警", "第12条 2025年度 达标 → 预警"]
    finally:
        con.close()


def test_a_registry_preview_names_the_units_dropped_from_judgement(demo_warehouse_copy):
    con = open_reader(demo_warehouse_copy)
    try:
        reference = load_reference(con)
        retire = settings.preview(con, reference, UnitRetire("I08"))
        add = settings.preview(con, reference, UnitAdd("C01-99", "西咸新区", "西咸新区", "county", "C01"))
    finally:
        con.close()
    assert [c.text for c in retire] == ["第2条 2022年度 预警 → 达标", "陕西省金融工会：参与判定 → 不再参与判定"]
    assert [c.text for c in add] == ["西咸新区（西安市）：不参与判定 → 参与判定"]


@pytest.mark.parametrize(
    ("change", "affected"),
    [
        (MeasureChange(12, {"green": 0.89}), (12,)),
        (MeasureChange(9, {"mean_score": 85}, {"window_years": 3}), (9,)),
        (DeadlineChange(2, 28), tuple(range(1, 19))),  # the reporting settings are read by every measure
        (UnitRetire("I08"), tuple(range(1, 19))),  # so is the registry
    ],
)
def test_a_preview_judges_only_the_measures_a_change_can_move(defaults, change, affected):
    proposed, _, _ = settings.propose(defaults, change)
    assert settings.measures_affected(defaults, proposed) == affected


def test_a_preview_of_one_measure_finds_what_judging_everything_twice_finds(demo_warehouse_copy):
    from pipeline.status.engine import evaluate_warehouse

    con = open_reader(demo_warehouse_copy)
    try:
        reference = load_reference(con)
        change = MeasureChange(12, {"green": 0.89})
        proposed, _, _ = settings.propose(reference, change)
        old = evaluate_warehouse(con, catalog=reference.catalog, registry=reference.registry)
        new = evaluate_warehouse(con, catalog=proposed.catalog, registry=proposed.registry)
        found = settings.preview(con, reference, change)
    finally:
        con.close()
    every = [(m, y) for (m, y) in sorted(old) if old[(m, y)].overall.status != new[(m, y)].overall.status]
    assert every == [(12, 2024), (12, 2025)]
    assert [(c.measure, c.year) for c in found] == every


# --- versions and restore --------------------------------------------------------------------------------------------


def test_versions_keep_who_when_why_and_the_whole_override_set(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    first = settings.save(
        MeasureChange(5, {"green": 0.9}), author="admin", reason="第一次", warehouse=warehouse, now=NOW
    )
    second = settings.save(UnitAlias("C01", "西安总工会本部"), author="li", reason="第二次", warehouse=warehouse,
                           now=NOW.replace(hour=10))  # fmt: skip
    con = open_reader(warehouse)
    try:
        listed = settings.versions(con)
    finally:
        con.close()
    assert [(v.id, v.author, v.reason, v.kind_label) for v in listed] == [
        (2, "li", "第二次", "新增别名"), (1, "admin", "第一次", "指标阈值与参数"),
    ]  # fmt: skip
    assert listed[1].summary == "第5条 会费收缴率：达标线 95% → 90%" and first.saved_at == NOW
    assert second.payload["measures"] == {"5": {"thresholds": {"green": 0.9, "amber": 0.85}}}  # the whole set
    assert second.payload["units"]["C01"]["aliases"][-1] == "西安总工会本部"

    restored = settings.restore(1, author="admin", reason="别名有误", warehouse=warehouse, now=NOW.replace(hour=11))
    assert (restored.id, restored.kind, restored.restored_from) == (3, "restore", 1)
    assert restored.payload == listed[1].payload
    assert restored.summary == "恢复为第1版（2026-03-02 09:30 admin保存：第5条 会费收缴率：达标线 95% → 90%）"
    reference = _reference(warehouse)
    assert reference.settings_version == 3 and reference.registry.resolve("西安总工会本部").unit is None
    assert reference.catalog.measure(5).rule.thresholds["green"] == 0.9

    settings.restore(0, author="admin", reason="全部恢复默认", warehouse=warehouse, now=NOW)
    reference = _reference(warehouse)
    assert reference.catalog.measure(5).rule.thresholds["green"] == 0.95 and reference.settings_version == 4


def test_saving_needs_a_reason_and_a_known_version(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with pytest.raises(SettingsError, match="修改原因：不能为空"):
        settings.save(MeasureChange(5, {"green": 0.9}), author="admin", reason="  ", warehouse=warehouse)
    settings.save(DeadlineChange(2, 15), author="admin", reason="延期", warehouse=warehouse)
    with pytest.raises(SettingsError, match="版本号：没有第7版设置"):
        settings.restore(7, author="admin", reason="试试", warehouse=warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM settings_versions").fetchone() == (1,)
    finally:
        con.close()


# --- ingest reads the settings in force -------------------------------------------------------------------------------


def _r2_named(name: str) -> bytes:
    reference = load_reference()
    _, layout = build_template(reference.catalog, reference.registry, "R2", 2024, unit_code="I01")
    ref = layout.header_cells["unit_name"]
    return _with_cell(_valid_r2_bytes(), ref.sheet, ref.cell, name)


def test_a_saved_alias_resolves_at_the_next_ingest(demo_warehouse_copy, tmp_path):
    data = _r2_named("省教科文卫体工会驻会办")
    first = ingest_uploads([("教科文卫.xlsx", data)], warehouse=demo_warehouse_copy, raw_dir=tmp_path / "raw")[0]
    assert first.status == "rejected" and [i.code for i in first.issues if i.is_error] == ["unknown_unit"]
    settings.save(UnitAlias("I01", "省教科文卫体工会驻会办"), author="admin", reason="单位来函说明",
                  warehouse=demo_warehouse_copy)  # fmt: skip
    again = ingest_uploads([("教科文卫2.xlsx", _with_cell(data, "本级情况", "H1", "再次报送"))],
                           warehouse=demo_warehouse_copy, raw_dir=tmp_path / "raw")[0]  # fmt: skip
    assert again.status != "rejected" and again.unit_code == "I01" and again.year == 2024


def _counts(path) -> tuple:
    con = open_reader(path)
    try:
        return (
            con.execute("SELECT count(*), max(submission_id) FROM submissions").fetchone(),
            con.execute("SELECT count(*) FROM raw_values").fetchone(),
        )
    finally:
        con.close()


def test_permitted_units_refuse_another_units_return_and_leave_the_warehouse_unchanged(demo_warehouse_copy, tmp_path):
    before = _counts(demo_warehouse_copy)
    data = _valid_r2_bytes()  # 陕西省教科文卫体工会 (I01)
    result = ingest_uploads([("教科文卫.xlsx", data)], warehouse=demo_warehouse_copy, raw_dir=tmp_path / "raw",
                            permitted_units=frozenset({"C01"}))[0]  # fmt: skip
    assert result.status == "rejected" and [i.code for i in result.issues] == ["unit_not_permitted"]
    assert result.issues[0].message == (
        "本文件是陕西省教科文卫体工会的报表，您的账号属于西安市总工会，只能报送本单位的报表；本文件未装入、未保存"
    )
    assert "请省总工会分析员代为上传" in result.issues[0].fix
    assert _counts(demo_warehouse_copy) == before
    assert not any((tmp_path / "raw").rglob("*.xlsx"))  # not kept on the wrong account's behalf

    own = ingest_uploads([("教科文卫.xlsx", data)], warehouse=demo_warehouse_copy, raw_dir=tmp_path / "raw",
                         permitted_units=frozenset({"I01"}))[0]  # fmt: skip
    assert own.status != "rejected" and own.unit_code == "I01"
    # The same bytes again through another unit's account: refused, and nothing about the earlier load is told.
    with writer(demo_warehouse_copy) as con:
        repeat = ingest_bytes(con, data, "教科文卫.xlsx", received_at=RECEIVED, raw_dir=tmp_path / "raw",
                              permitted_units=frozenset({"C01"}))  # fmt: skip
    assert repeat.status == "rejected" and [i.code for i in repeat.issues] == ["unit_not_permitted"]
    assert repeat.submission_id is None and "号报送" not in repeat.message


# --- the CLI: python -m pipeline settings list|show|restore ---------------------------------------------------------


def test_the_settings_cli_lists_shows_and_restores_with_an_audit_row(tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    base = ["--warehouse", str(warehouse), "settings"]
    assert main([*base, "list"]) == 0
    assert capsys.readouterr().out == "尚未保存过任何设置：各项均为默认值（catalog/ 中的文件）。\n"
    settings.save(MeasureChange(5, {"green": 0.9}), author="admin", reason="第一次", warehouse=warehouse, now=NOW)
    settings.save(UnitRetire("C10", on=date(2026, 3, 2)), author="li", reason="机构调整", warehouse=warehouse,
                  now=NOW.replace(hour=10))  # fmt: skip
    assert main([*base, "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "第2版（现行）　2026-03-02 10:30　li　单位不再报送",
        "    单位不再报送：商洛市总工会及所辖县（区）总工会（2026-03-02起不再要求报送、不再参与判定；已报送的数据保留）",
        "    原因：机构调整",
        "第1版　2026-03-02 09:30　admin　指标阈值与参数",
        "    第5条 会费收缴率：达标线 95% → 90%",
        "    原因：第一次",
    ]
    assert main([*base, "show", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "  第5条 会费收缴率：达标线 90%（默认 95%）",
        "  不再报送：商洛市总工会（C10，2026-03-02起）",
    ]
    assert main([*base, "restore", "1", "--reason", "撤销机构调整", "--dry-run"]) == 0
    restored = capsys.readouterr().out.splitlines()
    assert restored[:2] == ["商洛市总工会：不参与判定 → 参与判定", "商州区（商洛市）：不参与判定 → 参与判定"]
    assert len(restored) == 8  # the city and its 7 counties
    assert _reference(warehouse).settings_version == 2
    assert main([*base, "restore", "1", "--reason", "撤销机构调整"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("已恢复，保存为第3版：恢复为第1版（2026-03-02 09:30 admin保存")
    )
    assert "C10" in {unit.code for unit in _reference(warehouse).registry.cities()}
    row = audit.entries(actor=f"命令行:{getpass.getuser()}", action="settings_restored").iloc[0]
    assert (row["对象"], row["结果"]) == ("第1版", "成功") and row["说明"].endswith("原因：撤销机构调整")
    assert main([*base, "show", "9"]) == 2
    assert capsys.readouterr().err == "版本号：没有第9版设置；可用 python -m pipeline settings list 查看\n"
