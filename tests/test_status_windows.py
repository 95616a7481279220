"""未到期 and the missing-unit policies (issue 12): a multi-year window still open and not yet met is neither a
failure nor missing data, for both rule kinds with windows; and each rule kind states in the catalog how a unit that
did not report counts."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from pipeline.catalog import (
    DEFAULT_CATALOG_PATH,
    LEGACY_MISSING_POLICIES,
    MISSING_POLICIES,
    RULE_SPECS,
    CatalogError,
    parse_catalog,
)
from pipeline.status.model import NO_DATA, NOT_DUE, SEVERITY, STATUSES, worst
from tests.status_fixtures import context
from tests.test_rules_meetings import judge, r3
from tests.test_rules_organisation import everyone, inspection, r4_filed

RAW_CATALOG = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))
WINDOW_KINDS = {"window_held": 1, "inspection_window": 9}


def test_not_due_is_a_status_of_its_own_between_no_data_and_on_track():
    assert STATUSES == ("达标", "预警", "未达标", "未到期", "无数据")
    assert SEVERITY["无数据"] < SEVERITY[NOT_DUE] < SEVERITY["达标"]
    assert worst([NOT_DUE, "达标"]) == NOT_DUE
    assert worst([NOT_DUE, "预警"]) == "预警"


@pytest.mark.parametrize(
    ("year", "status", "note"),
    [
        (2024, "未到期", "窗口期2024–2026，2026年底届满，本窗口期内尚未召开"),
        (2025, "未到期", "窗口期2024–2026，2026年底届满，本窗口期内尚未召开"),
        (2026, "未达标", ""),  # the window closed with every return in and no conference
    ],
)
def test_window_held_is_not_due_until_the_window_closes(year, status, note):
    ctx = context([f for y in range(2024, year + 1) for f in r3(y)])
    overall = judge(ctx, 1, year).overall
    assert (overall.status, overall.explanation.note) == (status, note)


def test_window_held_met_early_is_on_track_and_says_the_window_is_met():
    ctx = context([*r3(2024, date(2024, 3, 8)), *r3(2025)])
    overall = judge(ctx, 1, 2025).overall
    assert (overall.status, overall.metric_text) == ("达标", "2024年3月8日")
    assert overall.explanation.note == "窗口期2024–2026，2026年底届满，本窗口期内已召开"


def test_window_held_without_any_return_in_the_window_is_no_data_not_not_due():
    overall = judge(context([*r3(2023)]), 1, 2024).overall
    assert overall.status == NO_DATA


def test_inspection_window_is_not_due_in_its_first_year_and_judged_when_it_closes():
    open_year = judge(context([], reporters=r4_filed(2023)), 9, 2023).overall
    assert (open_year.status, open_year.explanation.note) == (
        "未到期",
        "窗口期2023–2024，2024年底届满，本窗口期内尚未开展专项督查",
    )
    closed = judge(context(everyone(2024, skip=("C12",)), reporters=r4_filed(2023, 2024)), 9, 2024).overall
    assert closed.status == "未达标"


def test_inspection_window_names_each_unit_still_to_inspect_and_when_the_window_closes():
    facts = inspection(2023, "C01", [88] * 7, 4, 4)
    result = judge(context(facts, reporters=r4_filed(2023)), 9, 2023)
    waiting = [u for u in result.units if u.metric_text == "尚未督查"]
    assert len(waiting) == 19
    assert {(u.status, u.explanation.note) for u in waiting} == {(NOT_DUE, "窗口期2023–2024，2024年底届满")}
    assert result.overall.status == NOT_DUE
    assert result.overall.explanation.laggards == ()  # nobody lags while the window is open


@pytest.mark.parametrize("kind", sorted(WINDOW_KINDS))
def test_the_catalogs_reading_of_each_window_kind_says_not_due(kind):
    catalog = parse_catalog(RAW_CATALOG)
    assert "未到期" in catalog.rule_kinds[kind] and "届满" in catalog.rule_kinds[kind]
    measure = catalog.measure(WINDOW_KINDS[kind])
    assert measure.rule.kind == kind


# --- one missing-unit policy per rule kind ---------------------------------------------------------------


def test_every_rule_kind_states_one_missing_unit_policy():
    catalog = parse_catalog(RAW_CATALOG)
    assert set(catalog.missing_policies) == set(RULE_SPECS)
    assert set(catalog.missing_policies.values()) <= set(MISSING_POLICIES)
    # The kinds that judge every unit count a missing one as unmet, so "7/8" reads the same for 第11、13、15、18条.
    assert catalog.missing_policy("min_each") == catalog.missing_policy("every_unit") == "按未满足计"
    assert catalog.missing_policy("ratio") == "按已报送单位计算"


def test_an_unknown_policy_is_refused_with_a_chinese_message():
    raw = copy.deepcopy(RAW_CATALOG)
    raw["rule_kinds"]["min_each"]["missing_units"] = "忽略"
    with pytest.raises(
        CatalogError, match="rule_kinds min_each：missing_units 应为 按未满足计、按已报送单位计算、记为无数据"
    ):
        parse_catalog(raw)


def test_a_catalog_frozen_before_policies_reads_as_it_did_then():
    raw = copy.deepcopy(RAW_CATALOG)
    raw["rule_kinds"] = {kind: entry["reading"] for kind, entry in raw["rule_kinds"].items()}
    catalog = parse_catalog(raw)
    assert catalog.missing_policies == {}
    assert catalog.missing_policy("every_unit") == LEGACY_MISSING_POLICIES["every_unit"] == "按未满足计"
    assert catalog.missing_policy("min_each") == "按已报送单位计算"
    assert catalog.rule_kinds["min_each"] == RAW_CATALOG["rule_kinds"]["min_each"]["reading"]
