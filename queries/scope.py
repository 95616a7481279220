"""Who may see what, applied where the page layer calls the query layer.

A reader is the signed-in account's view of the data: its scope (every unit, or one 填报单位 and its counties)
and the reference data it is judged against. Every page reaches the query layer through `call_in_scope` (the
dashboard's cached_query and book_query are its only callers in app_pages), so no page, download or link
parameter can ask for more than the scope allows:

- a function with a `scope` parameter enforces the scope itself (filters rows, refuses another unit's code);
- a function with a `unit_codes` parameter gets the scope's codes bound into its SQL;
- a function marked `@scope_free` only shapes reference data or rows the reader already holds;
- any other function reads across units and is refused to a scoped reader (OutOfScope), so a new query that
  forgets the scope fails closed rather than leaking.

Reference data (catalog, registry) is passed in explicitly when a function asks for it by parameter name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pipeline.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Scope:
    """The units a reader may see. None means all, the province included (the federation's own staff); a 填报单位
    sees its own unit and, for a city, its counties, and nothing of the province or any other unit."""

    unit_codes: frozenset[str] | None = None
    unit_name: str = ""  # the account's unit, for refusals ("只能查看西安市总工会的数据")

    @property
    def everything(self) -> bool:
        return self.unit_codes is None

    def allows(self, unit_code: str | None) -> bool:
        return self.unit_codes is None or unit_code in self.unit_codes

    @classmethod
    def of_unit(cls, registry: Registry, unit_code: str) -> Scope:
        unit = registry.get(unit_code)
        counties = registry.counties_of(unit_code) if unit.type == "city" else ()
        return cls(frozenset({unit_code, *(c.code for c in counties)}), unit.name)

    def refusal(self, what: str = "") -> str:
        """The sentence a scoped reader sees when asking for something outside the scope."""
        return (
            f"您的账户只能查看{self.unit_name or '本单位'}的数据，无权查看{what or '该内容'}。"
            "如需其他单位的情况，请联系省总工会分析员。"
        )


ALL_UNITS = Scope()


class OutOfScope(PermissionError):
    """A reader asked for data outside its scope. str(error) is the Chinese sentence to show."""


def scope_free(function: F) -> F:
    """Mark a query function that reads no unit's data beyond what it is handed (reference data, or rows the
    reader already holds), so a scoped reader may call it."""
    function.__scope_free__ = True  # type: ignore[attr-defined]
    return function


@cache
def _parameters(function: Callable) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


def enforcement(function: Callable) -> str:
    """How a function honours a scope: "scope", "unit_codes", "free" or "" (reads across units)."""
    names = _parameters(function)
    if "scope" in names:
        return "scope"
    if "unit_codes" in names:
        return "unit_codes"
    return "free" if getattr(function, "__scope_free__", False) else ""


REFERENCE_PARAMETERS = ("catalog", "registry")


def call_in_scope(function: Callable, source: Any, *args: Any, scope: Scope, reference: Any = None, **kwargs: Any):
    """function(source, *args, **kwargs) within the scope. The reader's catalog and registry fill the parameters of
    those names that the caller left empty. A whole-scope caller may narrow the units itself; a scoped caller may
    not name any scope of its own (it gets its own, always)."""
    mode = enforcement(function)
    if mode == "" and not scope.everything:
        raise OutOfScope(scope.refusal())
    signature = inspect.signature(function)
    named = signature.bind_partial(source, *args, **kwargs).arguments
    if ("scope" in named or "unit_codes" in named) and not scope.everything:
        raise OutOfScope(scope.refusal())
    if mode == "scope" and "scope" not in named:
        kwargs["scope"] = scope
    elif mode == "unit_codes" and "unit_codes" not in named:
        kwargs["unit_codes"] = scope.unit_codes
    if reference is not None:
        for name in REFERENCE_PARAMETERS:
            if name in signature.parameters and name not in named:
                kwargs[name] = getattr(reference, name)
    return function(source, *args, **kwargs)
