"""Load and validate catalog/measures.yaml, the one source of truth for the Eighteen Measures.

Everything else (template writer, reader, validator, status engine, chart labels) asks this module for
measures, indicators, rules and table layouts. The loader refuses a catalog that is internally
inconsistent, with a Chinese message naming the offending entry, so a bad edit fails at start-up rather
than as a wrong status on a leader's screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (the wheels are): several times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG_PATH = REPO_ROOT / "catalog" / "measures.yaml"

INDICATOR_TYPES = {"count", "amount", "rate", "score", "date", "bool", "text"}
NUMERIC_TYPES = {"count", "amount", "rate", "score"}
TABLE_KINDS = {"indicator_list", "records"}
TABLE_LEVELS = {"unit", "county", "inspected_unit"}
UNIT_TYPES = {"province", "city", "county", "industry"}
SEVERITIES = {"error", "warning"}

# Rule parameters whose values name indicators; the loader checks every one of them exists.
INDICATOR_PARAMS = {
    "indicator",
    "indicators",
    "held",
    "reported",
    "unit_held",
    "county_held",
    "numerator",
    "denominator",
    "amounts",
    "included_when_positive",
    "value",
    "part",
    "whole",
    "all_true",
    "at_least_one",
    "county_value",
    "scores",
    "found",
    "rectified",
    "unit_numerator",
    "unit_denominator",
    "reference_numerator",
    "reference_denominator",
}


@dataclass(frozen=True)
class RuleSpec:
    """What a rule kind needs: parameters that must be present and thresholds that must be set."""

    params: tuple[str, ...]
    thresholds: tuple[str, ...] = ()


RULE_SPECS: dict[str, RuleSpec] = {
    "window_held": RuleSpec(("indicator", "window_years")),
    "held_all_reported": RuleSpec(("held", "reported", "expected_units")),
    "coverage": RuleSpec(("unit_held", "county_held"), ("green", "amber")),
    "ratio": RuleSpec(("numerator", "denominator"), ("green",)),
    "not_lower_than_last_year": RuleSpec(("amounts", "included_when_positive")),
    "none_falling": RuleSpec(("conditions",)),
    "share_rising": RuleSpec(("county_value",)),
    "inspection_window": RuleSpec(
        ("window_years", "scores", "found", "rectified", "expected_units"),
        ("mean_score", "rectification"),
    ),
    "min_each": RuleSpec(("indicators",), ("minimum",)),
    "every_unit": RuleSpec(("condition", "expected_units"), ("amber",)),
    "share_not_below_last_year": RuleSpec(("shares",)),
    "parity": RuleSpec(
        ("unit_numerator", "unit_denominator", "reference_numerator", "reference_denominator"),
        ("green", "amber"),
    ),
}

STATUS_LABELS = ("达标", "预警", "未达标", "未到期", "无数据")

# How a unit that did not report counts, one policy per rule kind (rule_kinds.<kind>.missing_units in the catalog):
# as not meeting the condition, left out of a figure computed over the units that reported (and listed beside it),
# or — for the province's own return — making the measure unjudgeable.
COUNT_AS_UNMET, COUNT_REPORTED_ONLY, CANNOT_JUDGE = "按未满足计", "按已报送单位计算", "记为无数据"
MISSING_POLICIES = (COUNT_AS_UNMET, COUNT_REPORTED_ONLY, CANNOT_JUDGE)
# What the engine did before the catalog stated a policy: only a catalog frozen for an earlier meeting (rule_kinds
# as plain texts) falls back to these, so that its statuses read as they did at the freeze.
LEGACY_MISSING_POLICIES = {
    "every_unit": COUNT_AS_UNMET,
    "inspection_window": COUNT_AS_UNMET,
    "window_held": CANNOT_JUDGE,
    "held_all_reported": CANNOT_JUDGE,
}


class CatalogError(ValueError):
    """The catalog file is inconsistent; the message (Chinese) names the entry to fix."""


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    type: str
    table: str
    required: bool
    measure: int
    aliases: tuple[str, ...] = ()
    help: str = ""
    # Filled from the table after loading, so callers need not look the table up.
    return_code: str = ""
    level: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def label_with_unit(self) -> str:
        """Column header as the template prints it, e.g. 发现问题数（个）."""
        return self.name if self.unit in ("文字", "日期", "是/否") else f"{self.name}（{self.unit}）"


@dataclass(frozen=True)
class Check:
    """An arithmetic relation inside one return: lhs <= rhs."""

    lhs: str
    rhs: str
    severity: str
    message: str
    measure: int


@dataclass(frozen=True)
class Rule:
    kind: str
    params: dict[str, Any]
    thresholds: dict[str, float]
    reading: str

    @property
    def metric_name(self) -> str:
        return str(self.params["metric_name"])


@dataclass(frozen=True)
class Measure:
    number: int
    chapter: str
    short_name: str
    text: str
    judged_per: str
    chart_family: str
    indicators: tuple[Indicator, ...]
    checks: tuple[Check, ...]
    rule: Rule
    key_figure: str


@dataclass(frozen=True)
class Chapter:
    number: str
    heading: str


@dataclass(frozen=True)
class KeyColumn:
    """The first column of a records table: the county or inspected unit a row is about."""

    name: str
    resolves: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    code: str
    title: str
    kind: str
    level: str
    required: bool
    return_code: str
    sheet: str
    key: KeyColumn | None = None


@dataclass(frozen=True)
class SheetLayout:
    name: str
    header_block: bool
    tables: tuple[str, ...]


@dataclass(frozen=True)
class ReturnType:
    code: str
    name: str
    submitted_by: str
    sheets: tuple[SheetLayout, ...]


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class HeaderField:
    code: str
    name: str
    aliases: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class ChartFamily:
    code: str
    name: str
    measures: tuple[int, ...]


@dataclass(frozen=True)
class Reporting:
    baseline_year: int
    first_year: int
    deadline_month_day: str
    contact: str
    demo_label: str


@dataclass(frozen=True)
class Catalog:
    reporting: Reporting
    chapters: tuple[Chapter, ...]
    measures: tuple[Measure, ...]
    returns: dict[str, ReturnType]
    tables: dict[str, Table]
    chart_families: dict[str, ChartFamily]
    rule_kinds: dict[str, str]  # kind -> its reading in words
    indicator_list_columns: dict[str, ColumnSpec]
    records_columns: dict[str, ColumnSpec]
    header_block: tuple[HeaderField, ...]
    indicators: dict[str, Indicator] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    missing_policies: dict[str, str] = field(default_factory=dict)  # kind -> one of MISSING_POLICIES

    def missing_policy(self, kind: str) -> str:
        """How a unit that did not report counts for a rule kind (see MISSING_POLICIES)."""
        return self.missing_policies.get(kind) or LEGACY_MISSING_POLICIES.get(kind, COUNT_REPORTED_ONLY)

    def measure(self, number: int) -> Measure:
        for measure in self.measures:
            if measure.number == number:
                return measure
        raise KeyError(f"没有第{number}条措施")

    def indicator(self, code: str) -> Indicator:
        return self.indicators[code]

    def indicators_of_table(self, table_code: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators.values() if i.table == table_code)

    def tables_of_return(self, return_code: str) -> tuple[Table, ...]:
        return tuple(t for t in self.tables.values() if t.return_code == return_code)

    def checks_of_return(self, return_code: str) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if self.indicators[c.lhs].return_code == return_code)

    def measures_of_chapter(self, chapter_number: str) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.chapter == chapter_number)

    def measures_of_return(self, return_code: str) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if any(i.return_code == return_code for i in m.indicators))


def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _require(entry: dict, key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise CatalogError(f"指标目录 {where}：缺少必填项“{key}”")
    return entry[key]


def _indicator_refs(params: Any) -> list[str]:
    """Every indicator code named anywhere inside a rule's parameters."""
    refs: list[str] = []
    if isinstance(params, dict):
        for key, value in params.items():
            if key in INDICATOR_PARAMS:
                refs.extend(str(v) for v in _tuple(value))
            elif isinstance(value, (dict, list)):
                refs.extend(_indicator_refs(value))
    elif isinstance(params, list):
        for item in params:
            refs.extend(_indicator_refs(item))
    return refs


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise CatalogError(f"指标目录 {where}：缺少状态规则（rule）")
    kind = _require(raw, "kind", where)
    spec = RULE_SPECS.get(kind)
    if spec is None:
        known = "、".join(RULE_SPECS)
        raise CatalogError(f"指标目录 {where}：未知的规则类型“{kind}”（可用：{known}）")
    for param in (*spec.params, "metric_name"):
        _require(raw, param, f"{where} 规则 {kind}")
    thresholds = dict(raw.get("thresholds") or {})
    for name in spec.thresholds:
        if thresholds.get(name) is None:
            raise CatalogError(f"指标目录 {where}：规则 {kind} 缺少阈值“{name}”")
    for name, value in thresholds.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise CatalogError(f"指标目录 {where}：阈值“{name}”应为数字，现为“{value}”")
    comparable = "green" in thresholds and "amber" in thresholds and kind != "every_unit"
    if comparable and thresholds["amber"] > thresholds["green"]:
        raise CatalogError(f"指标目录 {where}：黄色阈值 {thresholds['amber']} 高于绿色阈值 {thresholds['green']}")
    params = {k: v for k, v in raw.items() if k not in ("kind", "thresholds", "reading")}
    return Rule(kind=kind, params=params, thresholds=thresholds, reading=str(raw.get("reading", "")))


def _parse_tables(raw_returns: dict, raw_tables: dict) -> tuple[dict[str, ReturnType], dict[str, Table]]:
    placement: dict[str, tuple[str, str]] = {}
    returns: dict[str, ReturnType] = {}
    for code, entry in raw_returns.items():
        where = f"报表 {code}"
        submitted_by = _require(entry, "submitted_by", where)
        if submitted_by not in UNIT_TYPES:
            raise CatalogError(f"指标目录 {where}：未知的填报单位类型“{submitted_by}”")
        sheets = []
        for sheet in _require(entry, "sheets", where):
            tables = _tuple(sheet.get("tables"))
            for table_code in tables:
                if table_code in placement:
                    raise CatalogError(f"指标目录 {where}：表 {table_code} 被放在了两处")
                placement[table_code] = (code, sheet["name"])
            sheets.append(SheetLayout(sheet["name"], bool(sheet.get("header_block")), tables))
        returns[code] = ReturnType(code, _require(entry, "name", where), submitted_by, tuple(sheets))

    tables: dict[str, Table] = {}
    for code, entry in raw_tables.items():
        where = f"表 {code}"
        if code not in placement:
            raise CatalogError(f"指标目录 {where}：没有放进任何报表的工作表")
        kind = _require(entry, "kind", where)
        if kind not in TABLE_KINDS:
            raise CatalogError(f"指标目录 {where}：未知的表格类型“{kind}”")
        level = _require(entry, "level", where)
        if level not in TABLE_LEVELS:
            raise CatalogError(f"指标目录 {where}：未知的层级“{level}”")
        key = None
        if kind == "records":
            raw_key = _require(entry, "key", where)
            key = KeyColumn(raw_key["name"], _tuple(raw_key.get("resolves")), _tuple(raw_key.get("aliases")))
        return_code, sheet = placement[code]
        tables[code] = Table(
            code,
            _require(entry, "title", where),
            kind,
            level,
            bool(entry.get("required", True)),
            return_code,
            sheet,
            key,
        )
    missing = set(placement) - set(tables)
    if missing:
        raise CatalogError(f"指标目录：报表引用了未定义的表 {'、'.join(sorted(missing))}")
    return returns, tables


def _parse_indicator(entry: dict, measure: int, tables: dict[str, Table]) -> Indicator:
    code = _require(entry, "code", f"第{measure}条措施的指标")
    where = f"第{measure}条措施 指标 {code}"
    kind = _require(entry, "type", where)
    if kind not in INDICATOR_TYPES:
        raise CatalogError(f"指标目录 {where}：未知的数值类型“{kind}”")
    table_code = _require(entry, "table", where)
    table = tables.get(table_code)
    if table is None:
        raise CatalogError(f"指标目录 {where}：所在表“{table_code}”不存在")
    return Indicator(
        code=code,
        name=_require(entry, "name", where),
        unit=_require(entry, "unit", where),
        type=kind,
        table=table_code,
        required=bool(entry.get("required", True)),
        measure=measure,
        aliases=_tuple(entry.get("aliases")),
        help=str(entry.get("help", "")),
        return_code=table.return_code,
        level=table.level,
    )


def _parse_measure(
    entry: dict, tables: dict[str, Table], chapters: set[str], families: set[str], seen_codes: dict[str, int]
) -> Measure:
    number = _require(entry, "number", "措施")
    where = f"第{number}条措施"
    chapter = _require(entry, "chapter", where)
    if chapter not in chapters:
        raise CatalogError(f"指标目录 {where}：未知的章节“{chapter}”")
    family = _require(entry, "chart_family", where)
    if family not in families:
        raise CatalogError(f"指标目录 {where}：未知的图表类别“{family}”")
    raw_indicators = entry.get("indicators") or []
    if not raw_indicators:
        raise CatalogError(f"指标目录 {where}：没有任何指标")
    indicators = []
    for raw in raw_indicators:
        indicator = _parse_indicator(raw, number, tables)
        if indicator.code in seen_codes:
            raise CatalogError(
                f"指标目录 {where}：指标代码 {indicator.code} 重复（第{seen_codes[indicator.code]}条措施已使用）"
            )
        seen_codes[indicator.code] = number
        indicators.append(indicator)
    checks = []
    for raw in entry.get("checks") or []:
        severity = _require(raw, "severity", f"{where} 校验")
        if severity not in SEVERITIES:
            raise CatalogError(f"指标目录 {where}：校验级别应为 error 或 warning，现为“{severity}”")
        checks.append(Check(raw["lhs"], raw["rhs"], severity, _require(raw, "message", f"{where} 校验"), number))
    return Measure(
        number=number,
        chapter=chapter,
        short_name=_require(entry, "short_name", where),
        text=_require(entry, "text", where),
        judged_per=_require(entry, "judged_per", where),
        chart_family=family,
        indicators=tuple(indicators),
        checks=tuple(checks),
        rule=_parse_rule(entry.get("rule"), where),
        key_figure=str(entry.get("key_figure", "")),
    )


def _check_references(measures: list[Measure], indicators: dict[str, Indicator]) -> None:
    for measure in measures:
        where = f"第{measure.number}条措施"
        for ref in _indicator_refs(measure.rule.params):
            if ref not in indicators:
                raise CatalogError(f"指标目录 {where}：规则引用了未知指标“{ref}”")
        for check in measure.checks:
            for ref in (check.lhs, check.rhs):
                if ref not in indicators:
                    raise CatalogError(f"指标目录 {where}：校验引用了未知指标“{ref}”")
            if indicators[check.lhs].return_code != indicators[check.rhs].return_code:
                raise CatalogError(f"指标目录 {where}：校验 {check.lhs} ≤ {check.rhs} 跨越了两张报表")
    numbers = sorted(m.number for m in measures)
    if len(set(numbers)) != len(numbers):
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        raise CatalogError(f"指标目录：措施编号重复：{duplicates}")


def parse_catalog(raw: dict) -> Catalog:
    """Build a validated Catalog from the parsed YAML mapping."""
    if not isinstance(raw, dict):
        raise CatalogError("指标目录：文件内容不是一个映射（mapping）")
    reporting_raw = _require(raw, "reporting", "根")
    reporting = Reporting(
        baseline_year=int(_require(reporting_raw, "baseline_year", "reporting")),
        first_year=int(_require(reporting_raw, "first_year", "reporting")),
        deadline_month_day=str(_require(reporting_raw, "deadline_month_day", "reporting")),
        contact=str(reporting_raw.get("contact", "")),
        demo_label=str(reporting_raw.get("demo_label", "演示数据")),
    )
    chapters = tuple(Chapter(c["number"], c["heading"]) for c in _require(raw, "chapters", "根"))
    families = {
        code: ChartFamily(code, f["name"], tuple(f["measures"]))
        for code, f in _require(raw, "chart_families", "根").items()
    }
    returns, tables = _parse_tables(_require(raw, "returns", "根"), _require(raw, "tables", "根"))
    seen_codes: dict[str, int] = {}
    measures = [
        _parse_measure(entry, tables, {c.number for c in chapters}, set(families), seen_codes)
        for entry in _require(raw, "measures", "根")
    ]
    indicators = {i.code: i for m in measures for i in m.indicators}
    _check_references(measures, indicators)
    for table in tables.values():
        if not any(i.table == table.code for i in indicators.values()):
            raise CatalogError(f"指标目录 表 {table.code}：没有任何指标")
    columns = _require(raw, "columns", "根")
    rule_kinds, missing_policies = _parse_rule_kinds(raw.get("rule_kinds") or {})
    return Catalog(
        reporting=reporting,
        chapters=chapters,
        measures=tuple(sorted(measures, key=lambda m: m.number)),
        returns=returns,
        tables=tables,
        chart_families=families,
        rule_kinds=rule_kinds,
        indicator_list_columns={
            k: ColumnSpec(v["name"], _tuple(v.get("aliases"))) for k, v in columns["indicator_list"].items()
        },
        records_columns={k: ColumnSpec(v["name"], _tuple(v.get("aliases"))) for k, v in columns["records"].items()},
        header_block=tuple(
            HeaderField(h["code"], h["name"], _tuple(h.get("aliases")), bool(h.get("required", True)))
            for h in _require(raw, "header_block", "根")
        ),
        indicators=indicators,
        checks=tuple(c for m in measures for c in m.checks),
        missing_policies=missing_policies,
    )


def _parse_rule_kinds(raw: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Each kind's reading, and its missing-unit policy. An entry is {reading, missing_units}; a plain text (a catalog
    frozen before policies were stated) has no policy and falls back to LEGACY_MISSING_POLICIES."""
    readings, policies = {}, {}
    for kind, entry in raw.items():
        if isinstance(entry, str):
            readings[kind] = entry
            continue
        readings[kind] = str(_require(entry, "reading", f"rule_kinds {kind}"))
        policy = _require(entry, "missing_units", f"rule_kinds {kind}")
        if policy not in MISSING_POLICIES:
            allowed = "、".join(MISSING_POLICIES)
            raise CatalogError(f"指标目录 rule_kinds {kind}：missing_units 应为 {allowed} 之一，现为“{policy}”")
        policies[kind] = policy
    return readings, policies


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file; the default one is cached for the life of the process."""
    if path is None:
        return _load_default()
    return _load(Path(path))


def _load(path: Path) -> Catalog:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogError(f"指标目录 {path.name}：YAML 格式错误：{exc}") from exc
    return parse_catalog(raw)


@lru_cache(maxsize=1)
def _load_default() -> Catalog:
    return _load(DEFAULT_CATALOG_PATH)
