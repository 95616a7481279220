"""Saved settings: the administrator's overrides of thresholds, rule parameters, the deadline and the unit registry.

Every change is a small object (MeasureChange, DeadlineChange, UnitAdd …) that validates itself against the
reference in force and yields the whole override set after it. ``preview`` judges every measure × year with the
current and the changed reference and lists what would change; ``save`` appends a version (who, when, why, what,
the whole override set) to the warehouse's ``settings_versions`` table through a writer, so the save swaps the
warehouse and every reader's caches follow; ``restore`` saves a new version repeating an earlier one's overrides.
Rows are never updated or deleted. Thresholds stay data: they travel as bound parameters, never into SQL text.

Messages are Chinese and name the field to correct (SettingsError.field). This module never imports streamlit.
"""

from __future__ import annotations

import calendar
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from pipeline.catalog import INDICATOR_PARAMS, CatalogError, Measure
from pipeline.reference import Reference, build_reference, retired_units, unit_changes, unit_entry
from pipeline.registry import _FIRST_CHANGE_YEAR, _LAST_CHANGE_YEAR, FormerName, RegistryError, Unit, normalise_name
from pipeline.status.compact import Marks
from pipeline.status.context import RuleContext
from pipeline.status.facts import facts_of, read_mart
from pipeline.warehouse import sync_catalog, writer

KINDS = {
    "measure": "指标阈值与参数",
    "deadline": "报送截止日期",
    "unit_add": "新增单位",
    "unit_rename": "单位更名",
    "unit_alias": "新增别名",
    "unit_former_name": "新增曾用名",
    "unit_move": "调整所属市",
    "unit_retire": "单位不再报送",
    "restore": "恢复早前版本",
}
# Thresholds as the catalog stores them (shares as fractions) with the label and range a person sees.
THRESHOLDS: dict[str, tuple[str, str]] = {
    "green": ("达标线", "share"),
    "amber": ("预警线", "share"),
    "rectification": ("整改率达标线", "share"),
    "mean_score": ("平均得分达标线", "score"),
    "minimum": ("每项最少次数", "count"),
}
PARAMS: dict[str, tuple[str, int, int]] = {"window_years": ("窗口期年数", 1, 10)}
UNIT_TYPE_WORDS = {"city": "市级总工会", "county": "县（区）总工会", "industry": "省级产业工会"}
MAX_TEXT, MAX_READING, MAX_REASON = 40, 300, 500


class SettingsError(ValueError):
    """A change that cannot be saved; ``field`` is the Chinese name of the field to correct."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}：{message}")
        self.field = field_name
        self.detail = message


# --- reading what is saved ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsVersion:
    id: int
    saved_at: datetime
    author: str
    reason: str
    kind: str
    summary: str
    payload: dict[str, Any]
    restored_from: int | None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


_COLUMNS = "id, saved_at, author, reason, kind, summary, payload, restored_from"


def _version(row: tuple) -> SettingsVersion:
    id_, saved_at, author, reason, kind, summary, payload, restored_from = row
    return SettingsVersion(id_, saved_at, author, reason, kind, summary, json.loads(payload), restored_from)


def versions(con: duckdb.DuckDBPyConnection) -> list[SettingsVersion]:
    """Every saved version, newest first (empty for a warehouse from before settings existed)."""
    try:
        rows = con.execute(f"SELECT {_COLUMNS} FROM settings_versions ORDER BY id DESC").fetchall()
    except duckdb.CatalogException:
        return []
    return [_version(row) for row in rows]


def version(con: duckdb.DuckDBPyConnection, version_id: int) -> SettingsVersion:
    try:
        row = con.execute(f"SELECT {_COLUMNS} FROM settings_versions WHERE id = $id", {"id": version_id}).fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        raise SettingsError("版本号", f"没有第{version_id}版设置；可用 python -m pipeline settings list 查看")
    return _version(row)


def in_force(con: duckdb.DuckDBPyConnection) -> tuple[int | None, dict[str, Any]]:
    """(id, overrides) of the newest saved version; (None, {}) when nothing was ever saved."""
    try:
        row = con.execute("SELECT id, payload FROM settings_versions ORDER BY id DESC LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None, {}
    return (None, {}) if row is None else (int(row[0]), json.loads(row[1]))


def defaults() -> Reference:
    """The reference of the files in catalog/ alone, for showing each setting's default beside it."""
    return build_reference({}, None)


def overrides_of(reference: Reference) -> dict[str, Any]:
    """The override set a reference carries, rebuilt from it against the defaults (the page's starting point)."""
    base = defaults()
    measures: dict[str, Any] = {}
    for measure in reference.catalog.measures:
        default = base.catalog.measure(measure.number).rule
        rule, entry = measure.rule, {}
        if rule.thresholds != default.thresholds:
            entry["thresholds"] = dict(rule.thresholds)
        params = {k: v for k, v in rule.params.items() if k in PARAMS and v != default.params.get(k)}
        if params:
            entry["params"] = params
        if rule.reading != default.reading:
            entry["reading"] = rule.reading
        if entry:
            measures[str(measure.number)] = entry
    deadline = reference.catalog.reporting.deadline_month_day
    reporting = {"deadline_month_day": deadline} if deadline != base.catalog.reporting.deadline_month_day else {}
    default_units = {u.code: u for u in base.registry.units}
    units = {u.code: unit_entry(u) for u in reference.registry.units if default_units.get(u.code) != u}
    return {"measures": measures, "reporting": reporting, "units": units, "retired": retired_units(reference.registry)}


# --- what a change looks like -----------------------------------------------------------------------------------


def threshold_text(name: str, value: float) -> str:
    """A threshold as a person reads it: 90%, 80分, 1次."""
    kind = THRESHOLDS.get(name, ("", "share"))[1]
    if kind == "share":
        return f"{value * 100:g}%"
    return f"{value:g}分" if kind == "score" else f"{value:g}次"


def _text(field_name: str, value: Any, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(field_name, "不能为空")
    value = value.strip()
    if len(value) > limit:
        raise SettingsError(field_name, f"不能超过{limit}个字（现为{len(value)}个字）")
    if any(ord(ch) < 32 for ch in value):
        raise SettingsError(field_name, "不能包含换行或控制字符")
    return value


def _year(field_name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not _FIRST_CHANGE_YEAR <= value <= _LAST_CHANGE_YEAR:
        raise SettingsError(field_name, f"应为{_FIRST_CHANGE_YEAR}–{_LAST_CHANGE_YEAR}之间的年份（现为“{value}”）")
    return value


def _unit(reference: Reference, code: Any, field_name: str = "单位") -> Unit:
    if not isinstance(code, str) or code not in reference.registry:
        raise SettingsError(field_name, f"单位名录中没有代码为“{code}”的单位")
    return reference.registry.get(code)


def _with_unit(overrides: dict[str, Any], unit: Unit) -> dict[str, Any]:
    return {**overrides, "units": {**overrides.get("units", {}), unit.code: unit_entry(unit)}}


class Change(ABC):
    """One kind of change; ``apply`` validates it and returns (the override set after it, what it changes)."""

    kind: ClassVar[str]

    @abstractmethod
    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]: ...

    def target(self) -> str:
        """What the audit row names: 第5条, 报送截止日期, a unit code."""
        return KINDS[self.kind]


@dataclass(frozen=True)
class MeasureChange(Change):
    """New thresholds and rule parameters (only those the measure's rule has) and optionally its reading."""

    measure: int
    thresholds: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, int] = field(default_factory=dict)
    reading: str | None = None
    kind: ClassVar[str] = "measure"

    def target(self) -> str:
        return f"第{self.measure}条"

    def _measure(self, reference: Reference) -> Measure:
        try:
            return reference.catalog.measure(int(self.measure))
        except (KeyError, TypeError, ValueError):
            raise SettingsError("措施", f"没有第{self.measure}条措施") from None

    def _thresholds(self, measure: Measure) -> dict[str, float]:
        rule, where = measure.rule, f"第{measure.number}条"
        result = dict(rule.thresholds)
        for name, value in self.thresholds.items():
            if name not in rule.thresholds:
                allowed = "、".join(THRESHOLDS.get(n, (n,))[0] for n in rule.thresholds) or "无"
                raise SettingsError(name, f"{where}的判定规则没有这个阈值（可设置的阈值：{allowed}）")
            label, kind = THRESHOLDS.get(name, (name, "share"))
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise SettingsError(label, f"{where}的{label}应为数字（现为“{value}”）")
            if kind == "share" and not 0 < value <= 1:
                raise SettingsError(label, f"{where}的{label}应大于0%且不超过100%（现为{threshold_text(name, value)}）")
            if kind == "score" and not 0 < value <= 100:
                raise SettingsError(label, f"{where}的{label}应大于0分且不超过100分（现为{value:g}分）")
            if kind == "count" and (value != int(value) or not 1 <= value <= 100):
                raise SettingsError(label, f"{where}的{label}应为1–100之间的整数（现为{value:g}）")
            result[name] = int(value) if kind == "count" else float(value)
        if rule.kind != "every_unit" and "green" in result and "amber" in result and result["amber"] > result["green"]:
            raise SettingsError(
                "预警线",
                f"{where}的预警线（{threshold_text('amber', result['amber'])}）不能高于达标线"
                f"（{threshold_text('green', result['green'])}）",
            )
        return result

    def _params(self, measure: Measure) -> dict[str, int]:
        where, result = f"第{measure.number}条", {}
        editable = {k for k in measure.rule.params if k in PARAMS and k not in INDICATOR_PARAMS}
        for name, value in self.params.items():
            if name not in editable:
                allowed = "、".join(PARAMS[k][0] for k in sorted(editable)) or "无"
                raise SettingsError(name, f"{where}的判定规则没有可修改的参数“{name}”（可修改的参数：{allowed}）")
            label, low, high = PARAMS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(label, f"{where}的{label}应为{low}–{high}之间的整数（现为“{value}”）")
            result[name] = value
        return result

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        measure = self._measure(reference)
        rule, default = measure.rule, defaults().catalog.measure(measure.number).rule
        thresholds, params = self._thresholds(measure), self._params(measure)
        reading = _text("判定说明", self.reading, MAX_READING) if self.reading is not None else rule.reading
        parts = [
            f"{THRESHOLDS.get(n, (n,))[0]} {threshold_text(n, rule.thresholds[n])} → {threshold_text(n, v)}"
            for n, v in thresholds.items()
            if v != rule.thresholds[n]
        ]
        parts += [f"{PARAMS[n][0]} {rule.params[n]} → {v}" for n, v in params.items() if v != rule.params[n]]
        if reading != rule.reading:
            parts.append("判定说明已修改")
        if not parts:
            raise SettingsError("阈值", f"第{measure.number}条的设置与现行设置相同，没有需要保存的修改")
        entry: dict[str, Any] = {}
        if thresholds != default.thresholds:
            entry["thresholds"] = thresholds
        merged = {**{k: rule.params[k] for k in PARAMS if k in rule.params}, **params}
        changed = {k: v for k, v in merged.items() if v != default.params.get(k)}
        if changed:
            entry["params"] = changed
        if reading != default.reading:
            entry["reading"] = reading
        measures = {k: v for k, v in overrides.get("measures", {}).items() if k != str(measure.number)}
        if entry:
            measures[str(measure.number)] = entry
        summary = f"第{measure.number}条 {rule.metric_name}：" + "；".join(parts)
        return {**overrides, "measures": measures}, summary


def deadline_text(month_day: str) -> str:
    month, day = (int(part) for part in month_day.split("-"))
    return f"次年{month}月{day}日"


@dataclass(frozen=True)
class DeadlineChange(Change):
    """The reporting deadline: returns for year Y are due by this month and day of Y+1 (catalog reporting)."""

    month: int
    day: int
    kind: ClassVar[str] = "deadline"

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        for name, value, high in (("月", self.month, 12), ("日", self.day, 31)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise SettingsError(f"截止日期（{name}）", f"应为1–{high}之间的整数（现为“{value}”）")
        if self.month == 2 and self.day == 29:
            raise SettingsError("截止日期（日）", "2月29日并非每年都有，请选2月28日或3月1日")
        if self.day > calendar.monthrange(2001, self.month)[1]:
            raise SettingsError("截止日期（日）", f"{self.month}月没有{self.day}日")
        month_day = f"{self.month:02d}-{self.day:02d}"
        current = reference.catalog.reporting.deadline_month_day
        if month_day == current:
            raise SettingsError("截止日期", f"与现行截止日期（{deadline_text(current)}）相同，没有需要保存的修改")
        default = defaults().catalog.reporting.deadline_month_day
        reporting = {} if month_day == default else {"deadline_month_day": month_day}
        summary = f"报送截止日期：{deadline_text(current)} → {deadline_text(month_day)}"
        return {**overrides, "reporting": reporting}, summary


@dataclass(frozen=True)
class UnitAdd(Change):
    code: str
    name: str
    short_name: str
    type: str
    parent: str
    aliases: tuple[str, ...] = ()
    kind: ClassVar[str] = "unit_add"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        code = _text("单位代码", self.code, 20)
        if any(ch.isspace() for ch in code):
            raise SettingsError("单位代码", "不能包含空格")
        if code in reference.registry:
            raise SettingsError("单位代码", f"代码“{code}”已被{reference.registry.get(code).name}使用")
        if self.type not in UNIT_TYPE_WORDS:
            raise SettingsError("单位类型", f"应为{'、'.join(UNIT_TYPE_WORDS.values())}之一")
        parent = _unit(reference, self.parent, "上级单位")
        expected = "city" if self.type == "county" else "province"
        if parent.type != expected or parent.code in retired_units(reference.registry):
            word = "在册的市级总工会" if expected == "city" else "省总工会"
            raise SettingsError("上级单位", f"{UNIT_TYPE_WORDS[self.type]}的上级单位应为{word}（现为{parent.name}）")
        aliases = tuple(_text("别名", alias) for alias in self.aliases if str(alias).strip())
        unit = Unit(code, _text("单位名称", self.name), _text("简称", self.short_name), self.type, parent.code, aliases)
        summary = f"新增{UNIT_TYPE_WORDS[self.type]}：{unit.name}（{code}，上级单位{parent.name}）"
        return _with_unit(overrides, unit), summary


@dataclass(frozen=True)
class UnitRename(Change):
    """A new name; the old one becomes a former name with the year of the change, so old returns still resolve."""

    code: str
    new_name: str
    year: int
    new_short_name: str | None = None
    kind: ClassVar[str] = "unit_rename"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        unit = _unit(reference, self.code)
        name, year = _text("新名称", self.new_name), _year("更名年份", self.year)
        if name == unit.name:
            raise SettingsError("新名称", f"与现名“{unit.name}”相同")
        if self.new_short_name is not None and self.new_short_name.strip():
            short_name = _text("新简称", self.new_short_name)
        else:
            short_name = name if unit.short_name == unit.name else unit.short_name.replace(unit.name, name)
        old = unit.name
        # Aliases spelled with the old name (旬阳县总工会) are now former spellings: the former name covers them.
        aliases = tuple(dict.fromkeys(a.replace(old, name) for a in unit.aliases if a.replace(old, name) != name))
        renamed = Unit(
            unit.code, name, short_name, unit.type, unit.parent, aliases, (*unit.former_names, FormerName(old, year))
        )
        summary = f"单位更名：{old} → {name}（{year}年起；原名称作为曾用名，使用原名称的报表仍能识别）"
        return _with_unit(overrides, renamed), summary


@dataclass(frozen=True)
class UnitAlias(Change):
    code: str
    alias: str
    kind: ClassVar[str] = "unit_alias"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        unit = _unit(reference, self.code)
        alias = _text("别名", self.alias)
        if not normalise_name(alias):
            raise SettingsError("别名", "去掉空格、括号和盖章字样后为空，无法用于识别单位")
        if alias in (unit.name, unit.short_name, *unit.aliases):
            raise SettingsError("别名", f"“{alias}”已是{unit.name}的名称或别名")
        updated = Unit(unit.code, unit.name, unit.short_name, unit.type, unit.parent, (*unit.aliases, alias),
                       unit.former_names)  # fmt: skip
        return _with_unit(overrides, updated), f"新增别名：{unit.name} 又称“{alias}”"


@dataclass(frozen=True)
class UnitFormerName(Change):
    """A name the unit carried until a year (旬阳县 → 旬阳市 in 2021)."""

    code: str
    name: str
    until: int
    kind: ClassVar[str] = "unit_former_name"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        unit = _unit(reference, self.code)
        name, until = _text("曾用名", self.name), _year("更名年份", self.until)
        if any(f.name == name for f in unit.former_names):
            raise SettingsError("曾用名", f"“{name}”已是{unit.name}的曾用名")
        updated = Unit(unit.code, unit.name, unit.short_name, unit.type, unit.parent, unit.aliases,
                       (*unit.former_names, FormerName(name, until)))  # fmt: skip
        return _with_unit(overrides, updated), f"新增曾用名：{name}于{until}年更名为{unit.name}"


@dataclass(frozen=True)
class UnitMove(Change):
    """A county (区、县) moved to another city."""

    code: str
    new_parent: str
    kind: ClassVar[str] = "unit_move"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        unit = _unit(reference, self.code)
        if unit.type != "county":
            raise SettingsError("单位", f"只有县（区）总工会可以调整所属市，{unit.name}不是县级单位")
        parent = _unit(reference, self.new_parent, "新的所属市")
        if parent.type != "city" or parent.code in retired_units(reference.registry):
            raise SettingsError("新的所属市", f"应为在册的市级总工会（现为{parent.name}）")
        if parent.code == unit.parent:
            raise SettingsError("新的所属市", f"{unit.name}已属于{parent.name}")
        old = reference.registry.get(unit.parent).name if unit.parent else ""
        moved = Unit(unit.code, unit.name, unit.short_name, unit.type, parent.code, unit.aliases, unit.former_names)
        return _with_unit(overrides, moved), f"调整所属市：{unit.name} 由{old}划归{parent.name}"


@dataclass(frozen=True)
class UnitRetire(Change):
    """No longer expected to report; kept for history (its returns, name and aliases stay)."""

    code: str
    on: date | None = None
    kind: ClassVar[str] = "unit_retire"

    def target(self) -> str:
        return self.code

    def apply(self, reference: Reference, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
        unit = _unit(reference, self.code)
        if unit.type == "province":
            raise SettingsError("单位", "省总工会不能设为不再报送")
        retired = retired_units(reference.registry)
        if unit.code in retired:
            raise SettingsError("单位", f"{unit.name}已于{retired[unit.code]}设为不再报送")
        on = (self.on or date.today()).isoformat()
        with_counties = unit.type == "city" and reference.registry.counties_of(unit.code)
        who = f"{unit.name}及所辖县（区）总工会" if with_counties else unit.name
        summary = f"单位不再报送：{who}（{on}起不再要求报送、不再参与判定；已报送的数据保留）"
        return {**overrides, "retired": {**overrides.get("retired", {}), unit.code: on}}, summary


# --- proposing, previewing, saving --------------------------------------------------------------------------------


def _normalised(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return {key: dict(overrides.get(key) or {}) for key in ("measures", "reporting", "units", "retired")}


def propose(reference: Reference, change: Change) -> tuple[Reference, dict[str, Any], str]:
    """Validate a change against the reference in force: (the reference after it, its override set, what it does)."""
    overrides, summary = change.apply(reference, _normalised(overrides_of(reference)))
    try:
        proposed = build_reference(overrides, reference.settings_version)
    except RegistryError as exc:
        raise SettingsError("单位名录", str(exc).split("：", 1)[-1]) from exc
    except CatalogError as exc:
        raise SettingsError("指标目录", str(exc)) from exc
    return proposed, overrides, summary


@dataclass(frozen=True)
class StatusChange:
    """One measure × year whose overall status would change, or (measure None) a unit added to or dropped from
    judgement."""

    measure: int | None
    year: int | None
    before: str
    after: str
    unit: str = ""

    @property
    def text(self) -> str:
        if self.measure is None:
            return f"{self.unit}：{self.before} → {self.after}"
        return f"第{self.measure}条 {self.year}年度 {self.before} → {self.after}"


def measures_affected(before: Reference, after: Reference) -> tuple[int, ...]:
    """The measures whose statuses a change can move. A measure is judged from its own catalog entry, the rest of the
    catalog (the reporting years, returns, indicators, rule readings) and the registry: when only some measures'
    entries differ (a threshold or a rule parameter), only those can change; anything else may move every measure."""
    a, b = before.catalog, after.catalog
    shared = [f.name for f in fields(a) if f.name != "measures"]
    same_registry = before.registry.units == after.registry.units and retired_units(before.registry) == retired_units(
        after.registry
    )
    if not same_registry or any(getattr(a, n) != getattr(b, n) for n in shared):
        return tuple(m.number for m in b.measures)
    old = {m.number: m for m in a.measures}
    return tuple(m.number for m in b.measures if old.get(m.number) != m)


def compare(con: duckdb.DuckDBPyConnection, before: Reference, after: Reference) -> list[StatusChange]:
    """Every measure × year whose overall status differs between two references, then the units whose judgement
    starts or stops; in measure and year order. Only the measures the change can move are judged, both times from
    one reading of the warehouse's figures, and only their statuses: the set-based judgement (compact.py) of every
    year at once, not each year's explanations (at 100× the demo, every measure of fifty years twice took half a
    minute)."""
    facts, coverage = facts_of(con), read_mart(con, "return_coverage")
    numbers = set(measures_affected(before, after))
    old = _overall_statuses(RuleContext(before.catalog, before.registry, facts, coverage), numbers)
    new = _overall_statuses(RuleContext(after.catalog, after.registry, facts, coverage), numbers)
    changes = [
        StatusChange(number, year, old[key], new[key])
        for key in sorted(set(old) & set(new))
        for number, year in [key]
        if old[key] != new[key]
    ]
    added, dropped = unit_changes(before.registry, after.registry)
    changes += [StatusChange(None, None, "不参与判定", "参与判定", after.registry.display_name(u)) for u in added]
    changes += [StatusChange(None, None, "参与判定", "不再参与判定", before.registry.display_name(u)) for u in dropped]
    return changes


def _overall_statuses(ctx: RuleContext, numbers: set[int]) -> dict[tuple[int, int], str]:
    """(measure, year) -> the province-wide status, for these measures in every judged year."""
    marks = Marks(ctx)
    return {
        (m.number, y): marks.overall(m.number, y)
        for m in ctx.catalog.measures
        if m.number in numbers
        for y in ctx.years
    }


def preview(con: duckdb.DuckDBPyConnection, reference: Reference, change: Change) -> list[StatusChange]:
    """What saving ``change`` would change on the warehouse ``con`` reads (validates it first)."""
    proposed, _, _ = propose(reference, change)
    return compare(con, reference, proposed)


def preview_restore(con: duckdb.DuckDBPyConnection, reference: Reference, version_id: int) -> list[StatusChange]:
    """What restoring version ``version_id`` (0: the defaults) would change."""
    overrides = {} if version_id == 0 else version(con, version_id).payload
    return compare(con, reference, build_reference(overrides, version_id or None))


def _reason(reason: str) -> str:
    return _text("修改原因", reason, MAX_REASON)


def _insert(
    con: duckdb.DuckDBPyConnection, *, author: str, reason: str, kind: str, summary: str, overrides: dict[str, Any],
    restored_from: int | None, now: datetime | None,
) -> SettingsVersion:  # fmt: skip
    params = {
        "saved_at": (now or datetime.now()).replace(microsecond=0),
        "author": _text("保存人", author, 100),
        "reason": _reason(reason),
        "kind": kind,
        "summary": summary,
        "payload": json.dumps(_normalised(overrides), ensure_ascii=False, sort_keys=True),
        "restored_from": restored_from,
    }
    row = con.execute(
        "INSERT INTO settings_versions (saved_at, author, reason, kind, summary, payload, restored_from) "
        "VALUES ($saved_at, $author, $reason, $kind, $summary, $payload, $restored_from) RETURNING id",
        params,
    ).fetchone()
    saved = version(con, int(row[0]))
    sync_catalog(con, build_reference(saved.payload, saved.id).catalog)
    return saved


def save(
    change: Change, *, author: str, reason: str, warehouse: Path | str | None = None, now: datetime | None = None
) -> SettingsVersion:
    """Validate ``change`` against the settings in force in the warehouse and save it as a new version."""
    from pipeline.reference import load_reference

    _reason(reason)
    with writer(warehouse) as con:
        _, overrides, summary = propose(load_reference(con), change)
        return _insert(con, author=author, reason=reason, kind=change.kind, summary=summary, overrides=overrides,
                       restored_from=None, now=now)  # fmt: skip


def restore(
    version_id: int, *, author: str, reason: str, warehouse: Path | str | None = None, now: datetime | None = None
) -> SettingsVersion:
    """Save a new version whose overrides equal version ``version_id``'s (0: back to the files in catalog/)."""
    _reason(reason)
    with writer(warehouse) as con:
        if version_id == 0:
            overrides, summary = {}, "恢复为默认设置（catalog/ 中的文件）"
        else:
            earlier = version(con, version_id)
            overrides = earlier.payload
            summary = (
                f"恢复为第{earlier.id}版（{earlier.saved_at:%Y-%m-%d %H:%M} {earlier.author}保存：{earlier.summary}）"
            )
        try:
            build_reference(overrides, version_id or None)
        except (CatalogError, RegistryError) as exc:
            raise SettingsError("版本号", f"第{version_id}版与现在的默认文件不再相容，无法恢复：{exc}") from exc
        return _insert(con, author=author, reason=reason, kind="restore", summary=summary, overrides=overrides,
                       restored_from=version_id, now=now)  # fmt: skip


# --- tables for the settings page and the CLI (plain rows, Chinese headings) ----------------------------------------


def status_rows(changes: list[StatusChange]) -> list[dict[str, str]]:
    """措施, 年度, 原状态, 新状态 for every measure × year whose status would change."""
    return [
        {"措施": f"第{c.measure}条", "年度": f"{c.year}年度", "原状态": c.before, "新状态": c.after}
        for c in changes
        if c.measure is not None
    ]


def judged_unit_rows(changes: list[StatusChange]) -> list[dict[str, str]]:
    """单位, 原来, 修改后 for every unit added to or dropped from judgement."""
    return [{"单位": c.unit, "原来": c.before, "修改后": c.after} for c in changes if c.measure is None]


def version_rows(saved: list[SettingsVersion]) -> list[dict[str, str]]:
    """版本记录: who, when, why, what; the newest (first) is the one in force."""
    return [
        {
            "版本": f"第{v.id}版" + ("（现行）" if i == 0 else ""),
            "保存时间": f"{v.saved_at:%Y-%m-%d %H:%M}",
            "保存人": v.author,
            "类别": v.kind_label,
            "修改内容": v.summary,
            "修改原因": v.reason,
        }
        for i, v in enumerate(saved)
    ]


def threshold_rows(reference: Reference, number: int) -> list[dict[str, str]]:
    """项目, 现行, 默认 for a measure's thresholds and editable parameters."""
    rule, default = reference.catalog.measure(number).rule, defaults().catalog.measure(number).rule
    rows = [
        {
            "项目": THRESHOLDS.get(n, (n,))[0],
            "现行": threshold_text(n, v),
            "默认": threshold_text(n, default.thresholds[n]),
        }
        for n, v in rule.thresholds.items()
    ]
    rows += [
        {"项目": PARAMS[n][0], "现行": str(rule.params[n]), "默认": str(default.params[n])}
        for n in PARAMS
        if n in rule.params
    ]
    return rows


def unit_rows(reference: Reference, code: str) -> list[dict[str, str]]:
    """项目, 现行, 默认 for one unit: names, aliases, former names, its city and whether it still reports."""
    base = defaults().registry

    def fields(registry, unit: Unit | None) -> list[str]:
        if unit is None:
            return ["（默认名录中没有）"] + [""] * 5
        parent = registry.get(unit.parent).name if unit.parent and unit.parent in registry else "—"
        retired = retired_units(registry).get(unit.code)
        return [
            unit.name,
            unit.short_name,
            "、".join(unit.aliases) or "—",
            "、".join(f"{f.name}（{f.until}年更名）" for f in unit.former_names) or "—",
            parent,
            f"{retired}起不再报送" if retired else "在册",
        ]

    current = fields(reference.registry, reference.registry.get(code))
    default = fields(base, base.get(code) if code in base else None)
    labels = ["名称", "简称", "别名", "曾用名", "上级单位", "状态"]
    return [{"项目": label, "现行": c, "默认": d} for label, c, d in zip(labels, current, default, strict=True)]


def describe_overrides(overrides: Mapping[str, Any]) -> list[str]:
    """A saved override set in Chinese, one line per setting that differs from the defaults (for `settings show`)."""
    base = defaults()
    reference = build_reference(overrides, None)
    lines = []
    for number in sorted(int(n) for n in overrides.get("measures") or {}):
        rows = [r for r in threshold_rows(reference, number) if r["现行"] != r["默认"]]
        parts = [f"{r['项目']} {r['现行']}（默认 {r['默认']}）" for r in rows]
        if reference.catalog.measure(number).rule.reading != base.catalog.measure(number).rule.reading:
            parts.append(f"判定说明：{reference.catalog.measure(number).rule.reading}")
        lines.append(f"第{number}条 {reference.catalog.measure(number).rule.metric_name}：" + "；".join(parts))
    deadline = reference.catalog.reporting.deadline_month_day
    if deadline != base.catalog.reporting.deadline_month_day:
        default = base.catalog.reporting.deadline_month_day
        lines.append(f"报送截止日期：{deadline_text(deadline)}（默认 {deadline_text(default)}）")
    for code in overrides.get("units") or {}:
        rows = [r for r in unit_rows(reference, code) if r["现行"] != r["默认"] and r["项目"] != "状态"]
        shown = "；".join(f"{r['项目']} {r['现行']}（默认 {r['默认'] or '—'}）" for r in rows)
        lines.append(f"单位 {reference.registry.get(code).name}（{code}）：{shown}")
    for code, since in (overrides.get("retired") or {}).items():
        lines.append(f"不再报送：{reference.registry.get(code).name}（{code}，{since}起）")
    return lines or ["各项均为默认值（catalog/ 中的文件）"]
