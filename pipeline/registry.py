"""Unit registry: who reports under the Eighteen Measures, and how to recognise them.

The registry lives in ``catalog/units.yaml``. Returns name their unit in free text
(西安, 西安市总工会（盖章）, 省金融工会 …), so this module loads and validates the
registry and resolves such text to a unit. Only exact, alias or normalised
matches resolve; a near miss such as 西按市总工会 yields ranked candidates so a
person confirms it, because silently attaching a return to the wrong union would
corrupt every figure built on it.

Counties renamed since 2010 (旬阳县 → 旬阳市) keep their former names in the registry with the
year of the change: a return using the old name resolves, with a hint saying so.

Messages come in two copies: ``Resolution.message()`` is addressed to the submitting unit (it says
whom to contact, never which file to edit); ``Resolution.analyst_message()`` adds the administrator's
remedy (an alias in catalog/units.yaml).

This module must stay free of Streamlit so the pipeline and tests can use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from pipeline.catalog import load_catalog

# libyaml's safe loader when PyYAML was built with it (the wheels are): several times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY_PATH = _REPO_ROOT / "catalog" / "units.yaml"
# Where the administrator adds a missing alias; only the analyst's copy of a message names it.
_REGISTRY_HINT = "catalog/units.yaml"
# A former name's year of change must be a plausible year of the People's Republic.
_FIRST_CHANGE_YEAR, _LAST_CHANGE_YEAR = 1949, 2100

UNIT_TYPES = ("province", "city", "county", "industry")
_TYPE_LABELS = {
    "province": "省级单位",
    "city": "市级单位",
    "county": "县级单位",
    "industry": "省级产业工会",
}
# The hierarchy is fixed: counties sit under cities, cities and industry
# unions directly under the provincial federation.
_PARENT_TYPE = {
    "province": None,
    "city": "province",
    "industry": "province",
    "county": "city",
}

_REQUIRED_TEXT_FIELDS = ("code", "name", "short_name", "type")
_BRACKETS = str.maketrans({"【": "(", "〔": "(", "[": "(", "】": ")", "〕": ")", "]": ")"})
# Seal marks that filers append to their unit name; they carry no identity.
_TRAILING_MARKS = ("(盖章)", "(公章)", "(章)", "盖章", "公章")
_PROVINCE_PREFIXES = ("陕西省", "陕西")
# Every union name ends in one of these, so they are discounted when scoring
# near misses: otherwise 北京市总工会 would look 67% like 西安市总工会.
_GENERIC_SUFFIXES = ("总工会", "工会")
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")

FUZZY_CUTOFF = 60.0
MAX_CANDIDATES = 3


class RegistryError(ValueError):
    """The registry file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class FormerName:
    """A name the unit carried until the year it was changed (旬阳县 until 2021)."""

    name: str
    until: int


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    short_name: str
    type: str
    parent: str | None
    aliases: tuple[str, ...]
    former_names: tuple[FormerName, ...] = ()

    def label(self) -> str:
        """Name and code, for the administrator's messages about the registry file itself."""
        return f"{self.name}（{self.code}）"


@dataclass(frozen=True)
class Resolution:
    unit: Unit | None
    matched_by: str  # "exact" | "alias" | "normalised" | "former_name" | "none"
    candidates: tuple[tuple[Unit, float], ...]
    query: str
    former_name: FormerName | None = None  # set when the text named the unit by a former name
    year: int | None = None  # the reporting year the text was read for, when known
    candidate_names: tuple[str, ...] = ()  # how each candidate is shown to a person (no codes)

    @property
    def resolved(self) -> bool:
        return self.unit is not None

    @property
    def hint(self) -> str:
        """旬阳县已于2021年更名为旬阳市，按旬阳市读入 — or "" when the name used was current.

        A return for a year before the change rightly uses the old name, so it gets no hint.
        """
        former = self.former_name
        if self.unit is None or former is None or (self.year is not None and self.year < former.until):
            return ""
        current = self.unit.short_name
        return f"{former.name}已于{former.until}年更名为{current}，按{current}读入"

    def message(self, contact: str | None = None) -> str:
        """The submitting unit's copy: what was not recognised and whom to contact."""
        if self.unit is not None:
            return f"“{self.query}”已识别为{self.unit.name}。"
        if not normalise_name(self.query):
            return "单位名称为空，无法识别。请填写填报单位名称。"
        contact = contact or load_catalog().reporting.contact
        advice = f"请核对单位名称并按全称填写；如名称无误（例如单位新近更名），请与{contact}联系。"
        return self._not_recognised() + advice

    def analyst_message(self) -> str:
        """The analyst's copy: the same finding, and the administrator's remedy in the registry file."""
        if self.unit is not None or not normalise_name(self.query):
            return self.message()
        advice = f"请核对单位名称；如确为该单位的另一种写法，请管理员在 {_REGISTRY_HINT} 中为该单位增加别名。"
        return self._not_recognised() + advice

    def _not_recognised(self) -> str:
        if not self.candidates:
            return f"无法识别单位名称“{self.query}”，未找到相近的单位。"
        return f"无法识别单位名称“{self.query}”。最接近的是：{'、'.join(self.candidate_names)}。"


def normalise_name(text: str) -> str:
    """Reduce a unit name to the form used for matching.

    NFKC folds full-width brackets and spaces to their ASCII forms; the remaining
    CJK brackets are mapped to parentheses so that 【盖章】 and （盖章） compare equal.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    compact = "".join(folded.split()).translate(_BRACKETS)
    return _strip_trailing_marks(compact)


def _strip_trailing_marks(text: str) -> str:
    # Loop because filers stack marks, e.g. 西安市总工会（盖章）盖章.
    stripped = True
    while stripped:
        stripped = False
        for mark in _TRAILING_MARKS:
            if text.endswith(mark):
                text = text[: -len(mark)]
                stripped = True
    return text


def _without_province_prefix(key: str) -> str | None:
    for prefix in _PROVINCE_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return None


def _core(key: str) -> str:
    for suffix in _GENERIC_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _similarity(query: str, choice: str, **_: Any) -> float:
    """Average of the whole-name ratio and the ratio of the distinctive parts.

    The whole name keeps typos in the suffix (宝鸡市总公会) close; the core keeps
    a different city that merely shares 市总工会 (北京市总工会) below the cutoff.
    """
    return (fuzz.ratio(query, choice) + fuzz.ratio(_core(query), _core(choice))) / 2


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(_REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


_RESOLUTIONS_KEPT = 4096
_RESOLVED_TEXT_CHARS = 100


def _frozen(types: set[str] | None) -> frozenset[str] | None:
    return None if types is None else frozenset(types)


class Registry:
    """Validated, indexed set of units in file order."""

    def __init__(self, units: Sequence[Unit], *, source: str = _REGISTRY_HINT) -> None:
        self.units: tuple[Unit, ...] = tuple(units)
        self.source = source
        self._by_code = self._index_codes()
        self._check_types_and_parents()
        self._check_single_province()
        self._by_key = self._index_keys()
        self._by_former_key = self._index_former_names()
        self._former_codes = {key: code for key, (code, _) in self._by_former_key.items()}
        self._by_name = {unit.name: unit.code for unit in self.units}
        self._by_alias = {alias: unit.code for unit in self.units for alias in (unit.short_name, *unit.aliases)}
        # Children and units by type, in file order, built once: the status rules ask for them per unit and year.
        self._children: dict[str, tuple[Unit, ...]] = self._group_by(lambda unit: unit.parent)
        self._of_type: dict[str, tuple[Unit, ...]] = self._group_by(lambda unit: unit.type)
        # (types, parent) -> the codes they allow: every record of every return asks resolve() for one of a few pools
        self._pools: dict[tuple[frozenset[str] | None, str | None], frozenset[str]] = {}
        # The same names recur in every batch (each city's counties, the inspected units): each is resolved once.
        self._resolved: dict[tuple, Resolution] = {}

    def _group_by(self, key: Callable[[Unit], str | None]) -> dict[str, tuple[Unit, ...]]:
        groups: dict[str, list[Unit]] = {}
        for unit in self.units:
            value = key(unit)
            if value is not None:
                groups.setdefault(value, []).append(unit)
        return {value: tuple(units) for value, units in groups.items()}

    # -- validation ------------------------------------------------------------

    def _fail(self, detail: str) -> RegistryError:
        return RegistryError(f"单位登记表 {self.source}：{detail}")

    def _index_codes(self) -> dict[str, Unit]:
        by_code: dict[str, Unit] = {}
        for unit in self.units:
            if unit.code in by_code:
                raise self._fail(f"代码 {unit.code} 重复")
            by_code[unit.code] = unit
        return by_code

    def _check_types_and_parents(self) -> None:
        for unit in self.units:
            if unit.type not in _PARENT_TYPE:
                allowed = "、".join(UNIT_TYPES)
                raise self._fail(f"单位{unit.label()}的类型 {unit.type} 无法识别，应为 {allowed} 之一")
            self._check_parent(unit)

    def _check_parent(self, unit: Unit) -> None:
        expected = _PARENT_TYPE[unit.type]
        if expected is None:
            if unit.parent is not None:
                raise self._fail(f"省级单位{unit.label()}不应有上级单位，但填写了 {unit.parent}")
            return
        if unit.parent is None:
            raise self._fail(f"单位{unit.label()}缺少上级单位（parent）")
        parent = self._by_code.get(unit.parent)
        if parent is None:
            raise self._fail(f"单位{unit.label()}的上级单位 {unit.parent} 不存在")
        if parent.type != expected:
            raise self._fail(
                f"单位{unit.label()}是{_TYPE_LABELS[unit.type]}，上级应为{_TYPE_LABELS[expected]}，"
                f"但{parent.label()}是{_TYPE_LABELS[parent.type]}"
            )

    def _check_single_province(self) -> None:
        count = sum(1 for unit in self.units if unit.type == "province")
        if count != 1:
            raise self._fail(f"必须有且只有一个省级单位（type: province），实际有 {count} 个")

    def _index_keys(self) -> dict[str, str]:
        """Map every normalised name, short name and alias to its unit code."""
        by_key: dict[str, str] = {}
        for unit in self.units:
            for spelling in (unit.name, unit.short_name, *unit.aliases):
                key = normalise_name(spelling)
                if not key:
                    raise self._fail(f"单位{unit.label()}的别名“{spelling}”规范化后为空")
                owner = by_key.setdefault(key, unit.code)
                if owner != unit.code:
                    raise self._fail(self._collision_detail(spelling, key, owner, unit))
        return by_key

    def _index_former_names(self) -> dict[str, tuple[str, FormerName]]:
        """Map each former name, alone and with 总工会, to its unit; it may not be any unit's current spelling."""
        by_key: dict[str, tuple[str, FormerName]] = {}
        for unit in self.units:
            for former in unit.former_names:
                for spelling in (former.name, f"{former.name}总工会"):
                    key = normalise_name(spelling)
                    if key in self._by_key:
                        holder = self._by_code[self._by_key[key]]
                        raise self._fail(f"单位{unit.label()}的曾用名“{former.name}”是{holder.label()}现在的名称或别名")
                    earlier = by_key.setdefault(key, (unit.code, former))
                    if earlier[0] != unit.code:
                        raise self._fail(
                            f"曾用名“{former.name}”同时属于{self._by_code[earlier[0]].label()}和{unit.label()}"
                        )
        return by_key

    def _collision_detail(self, spelling: str, key: str, owner: str, unit: Unit) -> str:
        shown = f"“{spelling}”" if spelling == key else f"“{spelling}”（规范化后为“{key}”）"
        return f"别名{shown}同时指向{self._by_code[owner].label()}和{unit.label()}"

    # -- lookups -----------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Unit:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"单位代码 {code} 不在单位登记表中") from None

    def children(self, code: str) -> tuple[Unit, ...]:
        self.get(code)
        return self._children.get(code, ())

    def of_type(self, unit_type: str) -> tuple[Unit, ...]:
        if unit_type not in _PARENT_TYPE:
            raise ValueError(f"单位类型 {unit_type} 无法识别，应为 {'、'.join(UNIT_TYPES)} 之一")
        return self._of_type.get(unit_type, ())

    def province(self) -> Unit:
        return self.of_type("province")[0]

    def cities(self) -> tuple[Unit, ...]:
        return self.of_type("city")

    def industry_unions(self) -> tuple[Unit, ...]:
        return self.of_type("industry")

    def counties_of(self, city_code: str) -> tuple[Unit, ...]:
        city = self.get(city_code)
        if city.type != "city":
            raise ValueError(f"{city.label()}不是市级单位，没有下辖县级单位")
        return self.children(city_code)

    # -- resolution ----------------------------------------------------------------

    def resolve(
        self,
        text: str,
        *,
        types: set[str] | None = None,
        parent: str | None = None,
        expected_types: set[str] | None = None,
        year: int | None = None,
    ) -> Resolution:
        """Identify the unit a return names; only certain matches resolve.

        ``types`` and ``parent`` limit what may resolve. ``expected_types`` are the kinds of unit the return
        is about (a city return: {"city"}): a unit of another kind still resolves, so the caller can say
        "this unit does not file this return", but near misses are suggested only among the expected kinds.
        ``year`` is the reporting year, which decides whether a former name still deserves a hint.
        """
        if len(text) > _RESOLVED_TEXT_CHARS:  # no unit's name is this long; a hostile cell is not kept
            return self._resolve(text, types, parent, expected_types, year)
        key = (text, _frozen(types), parent, _frozen(expected_types), year)
        resolution = self._resolved.get(key)
        if resolution is None:
            resolution = self._resolve(text, types, parent, expected_types, year)
            if len(self._resolved) >= _RESOLUTIONS_KEPT:
                self._resolved.clear()
            self._resolved[key] = resolution
        return resolution

    def _resolve(
        self,
        text: str,
        types: set[str] | None,
        parent: str | None,
        expected_types: set[str] | None,
        year: int | None,
    ) -> Resolution:
        pool = self._pool(types, parent)
        suggest = pool if expected_types is None else pool & self._pool(expected_types, parent)
        for index, matched_by in ((self._by_name, "exact"), (self._by_alias, "alias")):
            code = index.get(text)
            if code in pool:
                return Resolution(self._by_code[code], matched_by, (), text, year=year)
        keys = self._query_keys(text)
        key = self._match_normalised(keys, pool, self._by_key)
        if key is not None:
            return Resolution(self._by_code[self._by_key[key]], "normalised", (), text, year=year)
        key = self._match_normalised(keys, pool, self._former_codes)
        if key is not None:
            code, former = self._by_former_key[key]
            return Resolution(self._by_code[code], "former_name", (), text, former_name=former, year=year)
        candidates = self._candidates(keys, suggest)
        names = tuple(self.display_name(unit) for unit, _ in candidates)
        return Resolution(None, "none", candidates, text, year=year, candidate_names=names)

    def renamed_units(self) -> list[dict[str, str]]:
        """曾用名, 现名, 所属, 更名年份 for every former name, in registry order (for the 填报说明 page)."""
        return [
            {
                "曾用名": former.name,
                "现名": unit.name,
                "所属": self._by_code[unit.parent].short_name if unit.parent else "",
                "更名年份": f"{former.until}年",
            }
            for unit in self.units
            for former in unit.former_names
        ]

    def display_name(self, unit: Unit) -> str:
        """How a unit is named to a person: a county with its city (杨陵区（杨凌示范区）), never with a code."""
        if unit.type == "county" and unit.parent is not None:
            return f"{unit.name}（{self._by_code[unit.parent].short_name}）"
        return unit.name

    def _pool(self, types: set[str] | None, parent: str | None) -> frozenset[str]:
        key = (_frozen(types), parent)
        pool = self._pools.get(key)
        if pool is not None:  # a pool is kept only once its types and parent were found valid
            return pool
        if types is not None:
            for unit_type in types:
                self.of_type(unit_type)  # rejects unknown types
        if parent is not None:
            self.get(parent)  # rejects unknown codes
        pool = frozenset(
            unit.code
            for unit in self.units
            if (types is None or unit.type in types) and (parent is None or unit.parent == parent)
        )
        self._pools[key] = pool
        return pool

    @staticmethod
    def _query_keys(text: str) -> tuple[str, ...]:
        key = normalise_name(text)
        if not key:
            return ()
        unprefixed = _without_province_prefix(key)
        return (key,) if unprefixed is None else (key, unprefixed)

    def _match_normalised(self, keys: Iterable[str], pool: frozenset[str], index: Mapping[str, str]) -> str | None:
        """The key of ``index`` the text matches, alone or after its city's name; None when none is in the pool."""
        for key in keys:
            if index.get(key) in pool:
                return key
            county_key = self._city_prefixed_county(key, pool, index)
            if county_key is not None:
                return county_key
        return None

    def _city_prefixed_county(self, key: str, pool: frozenset[str], index: Mapping[str, str]) -> str | None:
        """Resolve 西安市新城区总工会: a city spelling followed by one of its counties.

        The county must belong to that very city; 西安市长武县 stays unresolved.
        """
        for prefix, city_code in self._by_key.items():
            if self._by_code[city_code].type != "city" or not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            code = index.get(rest)
            if code in pool and self._by_code[code].parent == city_code:
                return rest
        return None

    def _candidates(self, keys: Sequence[str], pool: frozenset[str]) -> tuple[tuple[Unit, float], ...]:
        choices = [(key, code) for key, code in self._by_key.items() if code in pool]
        best: dict[str, float] = {}
        for query in keys:
            matches = process.extract(
                query,
                [key for key, _ in choices],
                scorer=_similarity,
                score_cutoff=FUZZY_CUTOFF,
                limit=None,
            )
            for _, score, position in matches:
                code = choices[position][1]
                best[code] = max(best.get(code, 0.0), round(score, 1))
        order = {unit.code: position for position, unit in enumerate(self.units)}
        ranked = sorted(best.items(), key=lambda item: (-item[1], order[item[0]]))
        return tuple((self._by_code[code], score) for code, score in ranked[:MAX_CANDIDATES])


# -- loading -------------------------------------------------------------------------


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate the registry; every problem raises RegistryError in Chinese."""
    path = DEFAULT_REGISTRY_PATH if path is None else Path(path)
    source = _display_path(path)
    entries = _read_entries(path, source)
    units = [_parse_unit(entry, position, source) for position, entry in enumerate(entries, 1)]
    return Registry(units, source=source)


def _read_entries(path: Path, source: str) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"找不到单位登记表 {source}") from None
    except UnicodeDecodeError:
        raise RegistryError(f"单位登记表 {source} 不是 UTF-8 编码的文本") from None
    try:
        document = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行附近" if mark is not None else ""
        raise RegistryError(f"单位登记表 {source} 不是有效的 YAML：{where}格式错误") from exc
    units = document.get("units") if isinstance(document, Mapping) else None
    if not isinstance(units, list):
        raise RegistryError(f"单位登记表 {source}：顶层应为包含 units 列表的映射")
    return units


def _parse_unit(entry: Any, position: int, source: str) -> Unit:
    if not isinstance(entry, Mapping):
        raise RegistryError(f"单位登记表 {source}：第 {position} 个条目不是映射（code、name 等字段）")
    code = entry.get("code")
    who = f"单位 {code}" if isinstance(code, str) and code.strip() else f"第 {position} 个条目"
    fields = {name: _text_field(entry, name, who, source) for name in _REQUIRED_TEXT_FIELDS}
    parent = entry.get("parent")
    if parent is not None and not _is_text(parent):
        raise RegistryError(f"单位登记表 {source}：{who} 的字段 parent 应为单位代码或 null")
    return Unit(
        code=fields["code"],
        name=fields["name"],
        short_name=fields["short_name"],
        type=fields["type"],
        parent=parent.strip() if parent is not None else None,
        aliases=_aliases(entry, who, source),
        former_names=_former_names(entry, who, source),
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text_field(entry: Mapping[str, Any], name: str, who: str, source: str) -> str:
    value = entry.get(name)
    if not _is_text(value):
        raise RegistryError(f"单位登记表 {source}：{who} 缺少字段 {name}，或该字段不是非空文本")
    return value.strip()


def _aliases(entry: Mapping[str, Any], who: str, source: str) -> tuple[str, ...]:
    raw = entry.get("aliases")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(_is_text(alias) for alias in raw):
        raise RegistryError(f"单位登记表 {source}：{who} 的字段 aliases 应为非空文本的列表")
    return tuple(alias.strip() for alias in raw)


def _former_names(entry: Mapping[str, Any], who: str, source: str) -> tuple[FormerName, ...]:
    raw = entry.get("former_names")
    if raw is None:
        return ()
    shape = f"单位登记表 {source}：{who} 的字段 former_names 应为列表，每项形如 {{name: 旬阳县, until: 2021}}"
    if not isinstance(raw, list):
        raise RegistryError(shape)
    names = []
    for item in raw:
        if not isinstance(item, Mapping) or set(item) != {"name", "until"} or not _is_text(item["name"]):
            raise RegistryError(shape)
        until = item["until"]
        if (
            isinstance(until, bool)
            or not isinstance(until, int)
            or not _FIRST_CHANGE_YEAR <= until <= _LAST_CHANGE_YEAR
        ):
            raise RegistryError(
                f"单位登记表 {source}：{who} 的曾用名“{item['name']}”的 until 应为更名的年份"
                f"（{_FIRST_CHANGE_YEAR}–{_LAST_CHANGE_YEAR} 之间的整数），实际为 {until!r}"
            )
        names.append(FormerName(item["name"].strip(), until))
    return tuple(names)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The shipped registry, loaded once per process, for messages that turn a unit code into its name."""
    return load_registry()


def unit_name(code: str | None, registry: Registry | None = None) -> str:
    """The unit's full name for a person to read (未能识别的单位 when there is none).

    A code the registry no longer lists (a unit removed after its returns were loaded) is shown as it is:
    it is the only trace left of which unit that was.
    """
    if code is None:
        return "未能识别的单位"
    registry = registry or default_registry()
    return registry.get(code).name if code in registry else code
