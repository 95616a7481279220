"""Reference data as one versioned object: the files in catalog/ plus the settings saved in the warehouse."""

from __future__ import annotations

import shutil
from datetime import datetime

import duckdb
import pytest

from exports import meetings
from pipeline import settings
from pipeline.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog
from pipeline.reference import EffectiveRegistry, build_reference, load_reference
from pipeline.registry import DEFAULT_REGISTRY_PATH, load_registry
from pipeline.status.engine import evaluate_warehouse
from pipeline.warehouse import open_reader

NOW = datetime(2026, 3, 2, 9, 30)


def _reader_reference(path):
    con = open_reader(path)
    try:
        return load_reference(con)
    finally:
        con.close()


def test_without_a_warehouse_the_reference_is_the_files_in_catalog():
    reference = load_reference()
    assert reference.catalog is load_catalog()  # the process-wide parse, not a second copy
    assert reference.registry.units == load_registry().units
    assert reference.settings_version is None and reference.version.endswith("-s0")
    assert load_reference().version == reference.version and load_reference().catalog is reference.catalog


def test_a_warehouse_from_before_settings_existed_reads_as_the_defaults():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE submissions (submission_id INTEGER)")
    reference = load_reference(con)
    assert reference.settings_version is None and reference.catalog is load_catalog()


def test_the_version_changes_with_the_files_bytes(tmp_path):
    catalog_copy, registry_copy = tmp_path / "measures.yaml", tmp_path / "units.yaml"
    shutil.copy(DEFAULT_CATALOG_PATH, catalog_copy)
    shutil.copy(DEFAULT_REGISTRY_PATH, registry_copy)
    same = build_reference({}, None, catalog_path=catalog_copy, registry_path=registry_copy)
    assert same.version == load_reference().version
    registry_copy.write_text(
        registry_copy.read_text(encoding="utf-8").replace("aliases: [西安, ", "aliases: [西安大市, 西安, "),
        encoding="utf-8",
    )
    edited = build_reference({}, None, catalog_path=catalog_copy, registry_path=registry_copy)
    assert edited.version != same.version and edited.version.endswith("-s0")
    assert edited.registry.resolve("西安大市").unit.code == "C01"
    assert load_reference().registry.resolve("西安大市").unit is None


def test_saved_settings_apply_and_the_version_carries_their_id(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    settings.save(settings.MeasureChange(5, {"green": 0.9}), author="admin", reason="年度调整", warehouse=warehouse,
                  now=NOW)  # fmt: skip
    reference = _reader_reference(warehouse)
    assert reference.settings_version == 1 and reference.version.endswith("-s1")
    assert reference.catalog.measure(5).rule.thresholds == {"green": 0.9, "amber": 0.85}
    assert reference.catalog.measure(12).rule.thresholds == {"green": 0.9, "amber": 0.75}  # untouched
    assert load_catalog().measure(5).rule.thresholds == {"green": 0.95, "amber": 0.85}  # the default is not mutated
    assert reference.version.split("-")[0] == load_reference().version.split("-")[0]
    again = _reader_reference(warehouse)
    assert again.catalog is reference.catalog  # parsed once per (files, settings)


def test_overrides_are_parsed_with_every_catalog_validation():
    with pytest.raises(CatalogError, match="黄色阈值 0.99 高于绿色阈值 0.95"):
        build_reference({"measures": {"5": {"thresholds": {"amber": 0.99}}}}, 3)


def test_a_retired_unit_resolves_and_keeps_its_name_but_is_not_expected():
    reference = build_reference({"retired": {"C10": "2026-03-02"}}, 4)
    registry = reference.registry
    assert isinstance(registry, EffectiveRegistry) and registry.retired == {"C10": "2026-03-02"}
    assert "C10" not in {u.code for u in registry.cities()} and len(registry.cities()) == 11
    assert registry.resolve("商洛市总工会").unit.code == "C10" and registry.get("C10").name == "商洛市总工会"
    assert "C10" in {u.code for u in registry.units}  # kept for history: names, old returns, lists of the past
    assert registry.children("P00") == tuple(u for u in load_registry().children("P00") if u.code != "C10")
    counties = {u.code for u in registry.of_type("county")}
    assert not any(code.startswith("C10-") for code in counties) and "C09-10" in counties  # 商洛's counties go with it
    assert registry.counties_of("C09") == load_registry().counties_of("C09")


def test_evaluate_warehouse_defaults_to_the_settings_in_force(demo_warehouse_copy):
    settings.save(settings.MeasureChange(12, {"green": 0.89}), author="admin", reason="试行",
                  warehouse=demo_warehouse_copy, now=NOW)  # fmt: skip
    con = open_reader(demo_warehouse_copy)
    try:
        in_force = evaluate_warehouse(con)
        defaults = evaluate_warehouse(con, catalog=load_catalog(), registry=load_registry())
    finally:
        con.close()
    assert defaults[(12, 2024)].overall.status == "预警" and in_force[(12, 2024)].overall.status == "达标"


def test_a_meeting_version_keeps_the_overrides_in_force_when_frozen(demo_warehouse_copy, tmp_path):
    settings.save(settings.MeasureChange(12, {"green": 0.89}), author="admin", reason="会前调整",
                  warehouse=demo_warehouse_copy, now=NOW)  # fmt: skip
    meetings.freeze("推进会", warehouse=demo_warehouse_copy, meetings_dir=tmp_path / "m", year=2024, now=NOW)
    settings.restore(0, author="admin", reason="会后恢复默认", warehouse=demo_warehouse_copy, now=NOW)
    live = _reader_reference(demo_warehouse_copy)
    assert live.settings_version == 2 and live.catalog.measure(12).rule.thresholds["green"] == 0.9
    meeting = meetings.find_meeting("推进会", tmp_path / "m")
    frozen = meetings.meeting_reference(meeting)
    assert frozen.settings_version == 1 and frozen.catalog.measure(12).rule.thresholds == {"green": 0.89, "amber": 0.75}
    _, book = meetings.meeting_book("推进会", tmp_path / "m")
    assert book.result(12, 2024).overall.status == "达标" and book.result(12, 2025).overall.status == "达标"
    assert meetings.open_meeting("推进会", tmp_path / "m")[1].measure(12).rule.thresholds["green"] == 0.89
    assert meetings.meeting_registry(meeting).units == load_registry().units
