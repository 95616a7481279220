"""Reference data as one versioned object: the catalog and the unit registry in force, with the saved settings.

The files in catalog/ are the defaults; the administrator's saved overrides (pipeline/settings.py) live in the
warehouse. ``load_reference(con)`` reads both and returns one frozen ``Reference``: the catalog and registry with
the overrides applied *before* parsing, so every validation of the catalog and the registry applies to them too.
``Reference.version`` is a short hash of the default files' bytes plus the id of the settings version in force: it
changes when either changes, so it belongs in every cache key that depends on reference data.

Parsing is cached by (files' hash, overrides), so loading a Reference on every page run or upload costs two small
file reads and a hash. A frozen meeting version passes its own copies of the files and its frozen warehouse, and
so keeps the overrides that were in force when it was frozen.

Retired units (单位不再报送) stay in the registry, so their old returns still resolve and show their names, but
are no longer expected to report: ``EffectiveRegistry.of_type`` and ``children`` leave them out, and every rule and
chase list asks those two. This module never imports streamlit.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipeline.catalog import DEFAULT_CATALOG_PATH, YAML_LOADER, Catalog, CatalogError, load_catalog, parse_catalog
from pipeline.registry import DEFAULT_REGISTRY_PATH, FormerName, Registry, Unit, load_registry

# How a registry built with saved settings names itself in its error messages (never a file to edit).
SETTINGS_SOURCE = "单位名录（含已保存的设置）"


@dataclass(frozen=True)
class Reference:
    catalog: Catalog
    registry: Registry
    version: str  # files' hash + settings version: a cache key
    settings_version: int | None  # the saved settings version in force, None for the defaults


class EffectiveRegistry(Registry):
    """A registry with retired units: they resolve and keep their names, but no rule or chase list expects them."""

    def __init__(self, units: Sequence[Unit], *, retired: Mapping[str, str], source: str = SETTINGS_SOURCE) -> None:
        super().__init__(units, source=source)
        for code in retired:
            if code not in self:
                raise self._fail(f"不再报送的单位 {code} 不存在")
            if self.get(code).type == "province":
                raise self._fail("省总工会不能设为不再报送")
        self.retired: dict[str, str] = dict(retired)  # code -> the date it was retired (YYYY-MM-DD)

    def reports(self, unit: Unit) -> bool:
        """False for a retired unit and for a county of a retired city."""
        return unit.code not in self.retired and unit.parent not in self.retired

    def of_type(self, unit_type: str) -> tuple[Unit, ...]:
        return tuple(unit for unit in super().of_type(unit_type) if self.reports(unit))

    def children(self, code: str) -> tuple[Unit, ...]:
        return tuple(unit for unit in super().children(code) if self.reports(unit))


def retired_units(registry: Registry) -> dict[str, str]:
    """code -> retirement date, empty for a registry without saved retirements."""
    return dict(getattr(registry, "retired", {}))


# --- overrides applied to the defaults ---------------------------------------------------------------------


def apply_catalog_overrides(raw: dict, overrides: Mapping[str, Any]) -> dict:
    """The catalog YAML mapping with saved thresholds, rule parameters, readings and the deadline written in."""
    raw = copy.deepcopy(raw)
    by_number = {int(entry["number"]): entry for entry in raw.get("measures", [])}
    for number, change in (overrides.get("measures") or {}).items():
        entry = by_number.get(int(number))
        if entry is None:
            raise CatalogError(f"已保存的设置：第{number}条措施不在指标目录中")
        rule = entry["rule"]
        if change.get("thresholds"):
            rule["thresholds"] = {**(rule.get("thresholds") or {}), **change["thresholds"]}
        for name, value in (change.get("params") or {}).items():
            rule[name] = value
        if change.get("reading"):
            rule["reading"] = change["reading"]
    reporting = overrides.get("reporting") or {}
    if reporting.get("deadline_month_day"):
        raw["reporting"]["deadline_month_day"] = reporting["deadline_month_day"]
    return raw


def unit_from_entry(entry: Mapping[str, Any]) -> Unit:
    """A Unit from a saved unit entry (the same fields as catalog/units.yaml)."""
    return Unit(
        code=entry["code"],
        name=entry["name"],
        short_name=entry["short_name"],
        type=entry["type"],
        parent=entry.get("parent"),
        aliases=tuple(entry.get("aliases") or ()),
        former_names=tuple(FormerName(f["name"], int(f["until"])) for f in entry.get("former_names") or ()),
    )


def unit_entry(unit: Unit) -> dict[str, Any]:
    """The saved form of a unit: plain JSON, the fields of catalog/units.yaml."""
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "type": unit.type,
        "parent": unit.parent,
        "aliases": list(unit.aliases),
        "former_names": [{"name": f.name, "until": f.until} for f in unit.former_names],
    }


def apply_unit_overrides(defaults: Sequence[Unit], overrides: Mapping[str, Any]) -> list[Unit]:
    """The default units with saved entries replacing theirs; a new unit, or one moved to another parent, is placed
    after its new siblings of the same kind (or its parent), so lists keep counties under their city."""
    saved = {code: unit_from_entry(entry) for code, entry in (overrides.get("units") or {}).items()}
    units = [saved.get(unit.code, unit) for unit in defaults]
    units = [unit for unit, default in zip(units, defaults, strict=True) if unit.parent == default.parent]
    placed = {unit.code for unit in units}
    for code, unit in saved.items():
        if code in placed:
            continue
        siblings = [i for i, u in enumerate(units) if (u.parent, u.type) == (unit.parent, unit.type)]
        parents = [i for i, u in enumerate(units) if u.code == unit.parent]
        anchor = max(siblings or parents or [len(units) - 1])
        units.insert(anchor + 1, unit)
        placed.add(code)
    return units


# --- loading, cached by content ------------------------------------------------------------------------------


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _raw_catalog(path: str, digest: str) -> dict:
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogError(f"指标目录 {Path(path).name}：YAML 格式错误：{exc}") from exc


@lru_cache(maxsize=16)
def _catalog(path: str, digest: str, overrides_json: str) -> Catalog:
    overrides = json.loads(overrides_json)
    if not overrides.get("measures") and not overrides.get("reporting"):
        return load_catalog(None if Path(path) == DEFAULT_CATALOG_PATH else Path(path))
    return parse_catalog(apply_catalog_overrides(_raw_catalog(path, digest), overrides))


@lru_cache(maxsize=8)
def _default_registry(path: str, digest: str) -> Registry:
    return load_registry(Path(path))


@lru_cache(maxsize=16)
def _registry(path: str, digest: str, overrides_json: str) -> Registry:
    overrides = json.loads(overrides_json)
    defaults = _default_registry(path, digest)
    if not overrides.get("units") and not overrides.get("retired"):
        return defaults
    units = apply_unit_overrides(defaults.units, overrides)
    return EffectiveRegistry(units, retired=overrides.get("retired") or {})


def _overrides_part(overrides: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps({key: overrides.get(key) for key in keys}, ensure_ascii=False, sort_keys=True)


def build_reference(
    overrides: Mapping[str, Any] | None,
    settings_version: int | None,
    *,
    catalog_path: Path | str | None = None,
    registry_path: Path | str | None = None,
) -> Reference:
    """The Reference for the default files (or the given copies) with these overrides; raises CatalogError or
    RegistryError (Chinese) when the result is inconsistent."""
    catalog_file = Path(catalog_path) if catalog_path is not None else DEFAULT_CATALOG_PATH
    registry_file = Path(registry_path) if registry_path is not None else DEFAULT_REGISTRY_PATH
    catalog_bytes, registry_bytes = catalog_file.read_bytes(), registry_file.read_bytes()
    catalog_digest, registry_digest = _digest(catalog_bytes), _digest(registry_bytes)
    overrides = overrides or {}
    catalog = _catalog(str(catalog_file), catalog_digest, _overrides_part(overrides, ("measures", "reporting")))
    registry = _registry(str(registry_file), registry_digest, _overrides_part(overrides, ("units", "retired")))
    files = _digest(catalog_bytes, registry_bytes)[:10]
    return Reference(catalog, registry, f"{files}-s{settings_version or 0}", settings_version)


def load_reference(
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    catalog_path: Path | str | None = None,
    registry_path: Path | str | None = None,
) -> Reference:
    """The catalog and registry in force: the files in catalog/ (or the given copies) plus the settings saved in
    the warehouse ``con`` reads (none without a connection, or in a warehouse from before settings existed)."""
    from pipeline.settings import in_force  # settings builds on this module

    settings_version, overrides = in_force(con) if con is not None else (None, {})
    return build_reference(overrides, settings_version, catalog_path=catalog_path, registry_path=registry_path)


def unit_changes(before: Registry, after: Registry) -> tuple[tuple[Unit, ...], tuple[Unit, ...]]:
    """(units newly judged, units no longer judged): the units of each kind that rules and chase lists expect."""

    def judged(registry: Registry) -> dict[str, Unit]:
        return {u.code: u for kind in ("city", "county", "industry") for u in registry.of_type(kind)}

    old, new = judged(before), judged(after)
    return (
        tuple(unit for code, unit in new.items() if code not in old),
        tuple(unit for code, unit in old.items() if code not in new),
    )
