"""The set-based statuses (pipeline/status/compact.py, one SQL query per rule kind) against the rule functions.

The rule functions are the reference: every status and key figure the SQL gives for every measure, unit and year
must be theirs. They are compared on the demo warehouse and on altered copies of its figures, each made by a seeded
random generator that does what real returns do: a unit files nothing, a figure is left blank, a figure is zero,
figures rise and fall across thresholds, a figure equals another (a ratio exactly at 100%, an amount exactly last
year's), a yes turns to no, a records row goes missing.
"""

from __future__ import annotations

import math
import random

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.catalog import load_catalog
from pipeline.reference import EffectiveRegistry
from pipeline.registry import load_registry
from pipeline.status.compact import PARAMS, TEXTS, StatusMark, _load_kinds, measure_marks
from pipeline.status.context import RuleContext
from pipeline.status.engine import judge
from pipeline.status.facts import read_mart
from pipeline.status.model import NO_DATA, PROVINCE_SCOPE
from pipeline.warehouse import open_reader
from queries.board import StatusBook

SEEDS = range(40)


def _same_metric(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _metric(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def differences(ctx: RuleContext, kinds: set[str] | None = None) -> list[str]:
    """Every (measure, year, unit) where the SQL and the rule function disagree, in words: on the status, the key
    figure or the key figure as shown (metric_text)."""
    _load_kinds()
    found = []
    for measure in ctx.catalog.measures:
        if measure.rule.kind not in PARAMS or (kinds is not None and measure.rule.kind not in kinds):
            continue
        marks = measure_marks(ctx, measure)
        got = {
            (int(r.year), r.unit_code): (r.status, _metric(r.metric), r.metric_text)
            for r in marks.itertuples(index=False)
        }
        want = {}
        for year in ctx.years:
            result = judge(ctx, measure, year)
            for status in (result.overall, *result.units):
                want[(year, status.unit_code)] = (status.status, _metric(status.metric), status.metric_text)
        for key in sorted(set(got) | set(want)):
            mine, theirs = got.get(key), want.get(key)
            if (
                mine is None
                or theirs is None
                or mine[0] != theirs[0]
                or not _same_metric(mine[1], theirs[1])
                or mine[2] != theirs[2]
            ):
                found.append(f"第{measure.number}条（{measure.rule.kind}）{key}: SQL {mine}，规则函数 {theirs}")
    return found


@pytest.fixture(scope="module")
def demo_inputs(demo_warehouse) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = open_reader(demo_warehouse)
    try:
        return read_mart(con, "measure_facts"), read_mart(con, "return_coverage")
    finally:
        con.close()


def test_every_rule_kind_has_a_query():
    _load_kinds()
    kinds = {m.rule.kind for m in load_catalog().measures}
    assert kinds <= set(PARAMS), sorted(kinds - set(PARAMS))


def test_every_rule_kind_has_a_text():
    """Every kind's compact rows read as its rule function's metric_text (none falls back to judging with
    explanations for a measure's history)."""
    _load_kinds()
    kinds = {m.rule.kind for m in load_catalog().measures}
    assert kinds <= set(TEXTS), sorted(kinds - set(TEXTS))


def test_demo_warehouse_statuses_match_the_rule_functions(demo_warehouse):
    con = open_reader(demo_warehouse)
    try:
        ctx = RuleContext.from_warehouse(con, load_catalog(), load_registry())
        assert differences(ctx) == []
        # The comparison is not vacuous: every measure has rows for every year, with the province-wide row.
        marks = measure_marks(ctx, ctx.catalog.measure(5))
        assert set(marks["year"]) == set(ctx.years) == {2021, 2022, 2023, 2024, 2025}
        assert (marks["unit_code"] == PROVINCE_SCOPE).sum() == 5
        assert len(marks) == 5 * 9  # eight industry unions and the province, each year
    finally:
        con.close()


def altered(facts: pd.DataFrame, coverage: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's figures changed as real returns differ from the story (see the module docstring)."""
    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    facts, coverage = facts.copy(), coverage.copy()
    # Whole returns not filed: the filing and all its figures go.
    filings = coverage[["return_code", "year", "unit_code"]].drop_duplicates()
    dropped = filings.sample(n=min(len(filings), rng.randint(0, 25)), random_state=seed)
    keys = ["return_code", "year", "unit_code"]
    coverage = coverage.merge(dropped, on=keys, how="left", indicator=True).query("_merge == 'left_only'")
    coverage = coverage.drop(columns="_merge")
    facts = facts.merge(dropped, on=keys, how="left", indicator=True).query("_merge == 'left_only'")
    facts = facts.drop(columns="_merge").reset_index(drop=True)
    numeric = facts["value_num"].notna().to_numpy()
    n = len(facts)

    def some(share: float, where: np.ndarray | None = None) -> np.ndarray:
        chosen = gen.random(n) < share
        return chosen & where if where is not None else chosen

    rate = rng.choice([0.01, 0.03, 0.08])
    # Figures left blank, or zero.
    blank = some(rate)
    facts.loc[blank, ["value_num", "value_bool", "value_date", "value_text"]] = None
    facts.loc[some(rate, numeric & ~blank), "value_num"] = 0.0
    # Figures moved across thresholds.
    moved = some(rate * 3, numeric & ~blank)
    factors = gen.choice([0.5, 0.8, 0.9, 0.95, 0.99, 1.01, 1.05, 1.2, 2.0], size=n)
    facts.loc[moved, "value_num"] = facts.loc[moved, "value_num"] * factors[moved]
    # A figure equal to another of the same entity and year (num == den), or to its own last year's.
    equal = np.flatnonzero(some(rate * 2, numeric & ~blank))
    by_entity = facts[facts["value_num"].notna()].groupby(["year", "entity_code"]).indices
    last_year = facts.set_index(["indicator", "entity_code", "year"])["value_num"]
    last_year = last_year[~last_year.index.duplicated()]
    for position in equal:
        row = facts.iloc[position]
        if rng.random() < 0.5:
            peers = by_entity.get((row["year"], row["entity_code"]))
            if peers is not None and len(peers):
                facts.iat[position, facts.columns.get_loc("value_num")] = facts.iloc[rng.choice(list(peers))][
                    "value_num"
                ]
        else:
            before = last_year.get((row["indicator"], row["entity_code"], row["year"] - 1))
            if before is not None and not pd.isna(before):
                facts.iat[position, facts.columns.get_loc("value_num")] = before
    # Yes turned to no and no to yes.
    flags = facts["value_bool"].notna().to_numpy()
    flipped = some(rate * 3, flags)
    facts.loc[flipped, "value_bool"] = ~facts.loc[flipped, "value_bool"].astype(bool)
    # Rows missing inside a filed return (a county or an inspection row not there, a figure not in the table).
    facts = facts[~some(rate)].reset_index(drop=True)
    return facts, coverage


@pytest.mark.parametrize("seed", SEEDS)
def test_altered_returns_statuses_match_the_rule_functions(demo_inputs, seed):
    facts, coverage = altered(*demo_inputs, seed)
    ctx = RuleContext(load_catalog(), load_registry(), facts, coverage)
    assert differences(ctx) == []


def harder(facts: pd.DataFrame, coverage: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An altered copy (see altered) pushed further where the demo's story never goes: figures equal to last year's
    (nothing rose, nothing fell) or scaled with them by a fraction, values a hair either side of a whole number, and
    records rows (inspections, counties) moved to another year, repeated in a later row of the same year or of the
    year before, or written about a unit the registry does not know."""
    rng = random.Random(10_000 + seed)
    facts, coverage = altered(facts, coverage, seed)
    facts = facts.copy()
    numeric = facts["value_num"].notna()
    last_year = facts[numeric].drop_duplicates(["indicator", "entity_code", "year"])
    last_year = last_year.set_index(["indicator", "entity_code", "year"])["value_num"]
    indicators = sorted(facts.loc[numeric, "indicator"].unique())
    for indicator in rng.sample(indicators, k=len(indicators) // 3):
        rows = facts.index[(facts["indicator"] == indicator) & numeric]
        share, scale = rng.choice([0.3, 1.0]), rng.choice([None, 1.1, 0.37])
        for i in rows:
            before = last_year.get((indicator, facts.at[i, "entity_code"], facts.at[i, "year"] - 1))
            if rng.random() < share and before is not None and not pd.isna(before):
                facts.at[i, "value_num"] = before
        if scale:
            facts.loc[rows, "value_num"] = facts.loc[rows, "value_num"] * scale
    for i in facts.index[numeric]:
        if rng.random() < 0.01:
            facts.at[i, "value_num"] = rng.choice([1.0, 1 - 1e-10, 1 - 1e-8, 1 + 1e-10, 0.0, 2.0])
    records = facts["entity_code"] != facts["unit_code"]
    extra = []
    for (_, year), part in facts[records].groupby(["entity_code", "year"]):
        roll = rng.random()
        if roll < 0.15:
            step = rng.choice([-1, 1])
            facts.loc[part.index, "year"] = int(year) + step
            facts.loc[part.index, "row_no"] = part["row_no"] + 8 + step  # rows of one entity stay distinct
        elif roll < 0.3:
            again = part.assign(row_no=part["row_no"] + 1, value_num=part["value_num"] * rng.choice([0.8, 1.0, 1.1]))
            extra.append(again.sample(frac=0.5, random_state=seed) if rng.random() < 0.5 else again)
        elif roll < 0.4:
            extra.append(part.assign(year=int(year) - 1, row_no=part["row_no"] + rng.choice([0, 3])))
        elif roll < 0.45:
            extra.append(part.assign(entity_code="X99"))
    facts = pd.concat([facts, *extra], ignore_index=True)
    facts = facts.sort_values(["year", "measure", "indicator", "unit_code", "entity_code", "row_no"], kind="stable")
    return facts.reset_index(drop=True), coverage


@pytest.mark.parametrize("seed", range(25))
def test_harder_alterations_statuses_match_the_rule_functions(demo_inputs, seed):
    facts, coverage = harder(*demo_inputs, seed)
    ctx = RuleContext(load_catalog(), load_registry(), facts, coverage)
    assert differences(ctx) == []


@pytest.mark.parametrize("seed", range(5))
def test_statuses_match_with_retired_units(demo_inputs, seed):
    """A saved registry that retires a city (and so its counties) and an industry union: neither is expected any
    more, by either judgement."""
    base = load_registry()
    registry = EffectiveRegistry(base.units, retired={"C07": "2023-06-30", "I08": "2024-01-01"})
    assert "C07" not in {u.code for u in registry.cities()}
    facts, coverage = altered(*demo_inputs, seed) if seed else demo_inputs
    assert differences(RuleContext(load_catalog(), registry, facts, coverage)) == []


def test_alterations_reach_every_kind_of_status(demo_inputs):
    """The altered copies are not the demo again: across the seeds every status word turns up for every rule
    kind that can give it, and the statuses differ from the demo's."""
    catalog, registry = load_catalog(), load_registry()
    seen: dict[str, set[str]] = {}
    changed = 0
    base = RuleContext(catalog, registry, *demo_inputs)
    base_marks = {m.number: measure_marks(base, m) for m in catalog.measures}
    for seed in SEEDS[:10]:
        ctx = RuleContext(catalog, registry, *altered(*demo_inputs, seed))
        for measure in catalog.measures:
            marks = measure_marks(ctx, measure)
            seen.setdefault(measure.rule.kind, set()).update(marks["status"])
            changed += int(not marks[["year", "unit_code", "status"]].equals(
                base_marks[measure.number][["year", "unit_code", "status"]]
            ))  # fmt: skip
    assert changed > 50
    assert all(NO_DATA in statuses for statuses in seen.values())
    assert all(len(statuses) >= 3 for statuses in seen.values()), seen


def test_alterations_reach_every_shape_of_text(demo_inputs):
    """The metric_text compared above is not only figures: across the seeds every kind's texts include the words a
    rule function writes where there is no figure (未报送 for a unit that filed nothing where the kind cites the return,
    尚未召开, 尚未督查 ...) and an every_unit unit's failed checks with their figures."""
    catalog, registry = load_catalog(), load_registry()
    texts: dict[str, set[str]] = {}
    for seed in SEEDS[:10]:
        ctx = RuleContext(catalog, registry, *altered(*demo_inputs, seed))
        for measure in catalog.measures:
            texts.setdefault(measure.rule.kind, set()).update(measure_marks(ctx, measure)["metric_text"])
    words = {
        "window_held": {"尚未召开", "未召开", "未报送"},
        "held_all_reported": {"—", "未报送"},
        "coverage": {"未报送"},
        "none_falling": {"—", "未报送"},
        "share_rising": {"未报送"},
        "inspection_window": {"—", "尚未督查", "未接受专项督查"},
        "min_each": {"未报送"},
        "every_unit": {"满足", "未报送"},
        "ratio": {"—"},
        "not_lower_than_last_year": {"—"},
        "share_not_below_last_year": {"—"},
        "parity": {"—"},
    }
    assert all(words[kind] <= found for kind, found in texts.items()), texts
    failed = [t for t in texts["every_unit"] if "：" in t]
    assert any("；" in t for t in failed) and any(t.endswith("未填报") for t in failed)
    assert any(t.endswith("：否") for t in failed) and any(t.endswith("0次") for t in failed)


def test_marks_of_an_empty_warehouse_are_empty(tmp_path):
    con = duckdb.connect()
    ctx = RuleContext(load_catalog(), load_registry(), read_empty_facts(), pd.DataFrame(
        columns=["unit_code", "year", "return_code", "submission_id", "file_name", "received_at", "filled_on"]
    ))  # fmt: skip
    con.close()
    marks = measure_marks(ctx, ctx.catalog.measure(5))
    assert marks.empty
    assert StatusMark(5, 2024, "I01", "达标", 0.97).metric == 0.97


def read_empty_facts() -> pd.DataFrame:
    from status_fixtures import FACT_COLUMNS

    return pd.DataFrame(columns=FACT_COLUMNS)


def test_a_books_marks_answer_as_its_explained_results(demo_warehouse):
    """What the pages ask the compact statuses (a chart's colours, a unit's history) is what the explained results
    say, for a per-unit measure, a province-wide one and a city."""
    con = open_reader(demo_warehouse)
    try:
        book = StatusBook.from_warehouse(con)
        for number in (3, 4, 5, 9):
            for year in book.years:
                result = book.result(number, year)
                assert book.marks.overall(number, year) == result.overall.status
                assert book.marks.units(number, year) == {s.unit_code: s.status for s in result.units}
        assert book.marks.overall(5, 2019) is None and book.marks.units(5, 2019) == {}
        history = book.marks.of_unit("C07")  # 汉中: judged per city on 第3、6、8条 and inspected on 第9条
        assert sorted(history) == [3, 6, 8, 9]
        assert [m.year for m in history[3]] == book.years
        assert [m.status for m in history[3]] == [
            s.status for y in book.years for s in book.result(3, y).units if s.unit_code == "C07"
        ]
        assert book.marks.of_unit(PROVINCE_SCOPE) == {}
    finally:
        con.close()


def test_a_query_refuses_an_indicator_of_another_type():
    """A catalog edit that makes a yes/no indicator a count would have the query read nulls from value_bool: the
    parameters refuse it, naming the indicator, rather than judge every unit on nothing."""
    import copy

    import yaml

    from pipeline.catalog import DEFAULT_CATALOG_PATH, parse_catalog
    from pipeline.status.compact import PARAMS

    raw = copy.deepcopy(yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")))
    m13 = next(m for m in raw["measures"] if m["number"] == 13)
    next(i for i in m13["indicators"] if i["code"] == "m13_has_joint_meeting_system")["type"] = "count"
    catalog = parse_catalog(raw)
    _load_kinds()
    with pytest.raises(ValueError, match="m13_has_joint_meeting_system.*value_bool"):
        PARAMS["every_unit"](catalog, catalog.measure(13))


def test_the_queries_table_goes_once_every_measure_is_marked(demo_warehouse):
    """A cached book keeps its compact statuses, not the table they were judged from (about 40 MB at 100× the demo,
    once per cached version); a later question makes it again."""
    con = open_reader(demo_warehouse)
    try:
        book = StatusBook.from_warehouse(con)
        store = book.context.store
        book.marks.of(5)
        assert store.sql("SELECT count(*) AS n FROM status_figures")["n"].iloc[0] > 1000
        for measure in book.catalog.measures:
            book.marks.of(measure.number)
        with pytest.raises(duckdb.CatalogException):
            store.sql("SELECT count(*) FROM status_figures")
        again = measure_marks(book.context, book.catalog.measure(5))
        pd.testing.assert_frame_equal(again, book.marks.of(5))
    finally:
        con.close()
