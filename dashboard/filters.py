"""The shared filters: reporting year, unit type, unit, measure, and projector mode.

The selection lives in st.session_state under keys this module owns, so it survives page changes, and is
mirrored into the URL query string so a copied link opens the same view. Query parameters are read
through a whitelist and parsed as plain values; nothing from the URL is ever unpickled or evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pipeline.registry import Registry
from queries.uploads import markdown_safe

UNIT_TYPES = {"city": "市级总工会", "industry": "省级产业工会"}
STATE = "filters"  # session_state key holding the persistent selection (a plain dict)
PARAMS = ("year", "type", "unit", "m", "mode", "meeting")  # the only query parameters ever read
MEETING_STATE = "data_version"  # session_state key: the meeting version shown, None for the live data
LIVE = "实时数据"
PARSED = "_from_url"  # key in the selection: the URL has been read into it


@dataclass(frozen=True)
class Filters:
    year: int | None
    unit_type: str | None
    unit_code: str | None
    measure: int | None
    present: bool  # projector mode: no sidebar, large type


def _int(text: str | None, allowed: set[int]) -> int | None:
    text = (text or "").strip().removeprefix("第").removesuffix("年度").removesuffix("年").removesuffix("条")
    if not text.isdigit():
        return None
    value = int(text)
    return value if value in allowed else None


def _unit(text: str, registry: Registry) -> tuple[str | None, str | None]:
    """(unit code, warning): a code, a full name, a short name or a former name (汉中, 汉中市, 汉中市总工会) all
    resolve through the registry, as a return's unit name does; anything else is named in the warning."""
    code = text if text in registry else None
    if code is None:
        resolution = registry.resolve(text)
        code = resolution.unit.code if resolution.unit is not None else None
    if code is None:
        return None, f"链接中的单位“{text}”不在单位登记表中，已忽略，请在侧栏选择单位。"
    if registry.get(code).type not in UNIT_TYPES:
        return None, f"链接中的“{registry.get(code).name}”不是市级总工会或省级产业工会，已忽略，请在侧栏选择单位。"
    return code, None


def _from_query(years: list[int], registry: Registry) -> tuple[dict, list[str]]:
    """Whitelisted, validated values from the URL, and a Chinese warning for each value that names nothing."""
    params = {key: st.query_params.get(key) for key in PARAMS}
    warnings: list[str] = []
    unit = None
    if params["unit"]:
        unit, problem = _unit(params["unit"], registry)
        warnings += [problem] if problem else []
    unit_type = params["type"] if params["type"] in UNIT_TYPES else None
    if params["type"] and unit_type is None:
        warnings.append(f"链接中的单位类型“{params['type']}”不存在（可用 city 或 industry），已忽略。")
    if unit is not None:
        unit_type = registry.get(unit).type
    year = _int(params["year"], set(years))
    if params["year"] and year is None and years:
        warnings.append(
            f"链接中的年度“{params['year']}”没有数据（现有{years[0]}–{years[-1]}年度），已显示{years[-1]}年度。"
        )
    measure = _int(params["m"], set(range(1, 19)))
    if params["m"] and measure is None:
        warnings.append(f"链接中的措施“{params['m']}”不存在（十八条措施为第1–18条），已忽略。")
    values = {"year": year, "type": unit_type, "unit": unit, "m": measure, "present": params["mode"] == "present"}
    return values, warnings


def _state(years: list[int], registry: Registry) -> dict:
    # The URL is read once per session; a flag set before that (projector mode from app.py) is kept over it.
    state = st.session_state.get(STATE)
    if state is None or not state.get(PARSED):
        values, warnings = _from_query(years, registry)
        st.session_state[STATE] = state = {**values, **(state or {}), PARSED: True}
        for warning in warnings:  # they quote the link's own text: shown literally, never as markdown
            st.warning(markdown_safe(warning), icon=":material/link_off:")
    if state.get("year") not in years:
        state["year"] = years[-1] if years else None
    return state


def _sync_url(state: dict) -> None:
    wanted = {
        "year": str(state["year"]) if state.get("year") else None,
        "type": state.get("type"),
        "unit": state.get("unit"),
        "m": str(state["m"]) if state.get("m") else None,
        "mode": "present" if state.get("present") else None,
    }
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


def _remember(key: str, widget_key: str) -> None:
    st.session_state[STATE][key] = st.session_state[widget_key]


def current(years: list[int], registry: Registry) -> Filters:
    state = _state(years, registry)
    _sync_url(state)
    return Filters(state.get("year"), state.get("type"), state.get("unit"), state.get("m"), bool(state.get("present")))


def year_selector(years: list[int], registry: Registry) -> Filters:
    """The reporting year, in the sidebar on every page (not drawn in projector mode)."""
    state = _state(years, registry)
    if years and not state.get("present"):
        st.session_state["_w_year"] = state["year"]
        st.sidebar.selectbox(
            "报表年度",
            years,
            key="_w_year",
            format_func=lambda y: f"{y}年度",
            on_change=_remember,
            args=("year", "_w_year"),
        )
    return current(years, registry)


def unit_selector(years: list[int], registry: Registry, *, types: tuple[str, ...] = ("city", "industry")) -> Filters:
    """Unit type and unit, for the pages that show one unit."""
    state = _state(years, registry)
    if state.get("type") not in types:
        state["type"] = types[0]
    st.session_state["_w_type"] = state["type"]
    st.sidebar.radio(
        "单位类型",
        types,
        key="_w_type",
        format_func=UNIT_TYPES.__getitem__,
        horizontal=True,
        on_change=_remember,
        args=("type", "_w_type"),
    )
    units = registry.of_type(st.session_state["_w_type"])
    codes = [u.code for u in units]
    if state.get("unit") not in codes:
        state["unit"] = codes[0]
    st.session_state["_w_unit"] = state["unit"]
    names = {u.code: u.name for u in units}
    st.sidebar.selectbox(
        "单位", codes, key="_w_unit", format_func=names.__getitem__, on_change=_remember, args=("unit", "_w_unit")
    )
    return current(years, registry)


def measure_selector(years: list[int], registry: Registry, labels: dict[int, str]) -> Filters:
    """Which measure a detail page shows (?m=9)."""
    state = _state(years, registry)
    if state.get("m") not in labels:
        state["m"] = 1
    st.session_state["_w_m"] = state["m"]
    st.sidebar.selectbox(
        "措施", list(labels), key="_w_m", format_func=labels.__getitem__, on_change=_remember, args=("m", "_w_m")
    )
    return current(years, registry)


def set_measure(number: int) -> None:
    """Used by the overview's tiles to open a measure's detail."""
    st.session_state.setdefault(STATE, {})["m"] = number


def chosen_meeting() -> str | None:
    """The meeting version chosen (its name), None for the live data."""
    return st.session_state.get(MEETING_STATE)


def _remember_meeting() -> None:
    st.session_state[MEETING_STATE] = st.session_state["_w_meeting"]


def version_selector(choices: dict[str, str]) -> str | None:
    """数据版本: the live data or a meeting version (name -> label). Kept in the session and in ?meeting=, which is
    accepted only when it names an existing meeting version."""
    if MEETING_STATE not in st.session_state:
        wanted = st.query_params.get("meeting")
        st.session_state[MEETING_STATE] = wanted if wanted in choices else None
    if st.session_state[MEETING_STATE] not in choices:
        st.session_state[MEETING_STATE] = None
    if choices and not present_requested():
        st.session_state["_w_meeting"] = st.session_state[MEETING_STATE]
        st.sidebar.selectbox(
            "数据版本",
            [None, *choices],
            key="_w_meeting",
            format_func=lambda name: LIVE if name is None else choices[name],
            on_change=_remember_meeting,
        )
    chosen = st.session_state[MEETING_STATE]
    if chosen is None and "meeting" in st.query_params:
        del st.query_params["meeting"]
    elif chosen is not None and st.query_params.get("meeting") != chosen:
        st.query_params["meeting"] = chosen
    return chosen


def present_requested() -> bool:
    """Projector mode, decided before the page list is drawn (from the kept selection, else the URL)."""
    state = st.session_state.get(STATE)
    if state is not None and "present" in state:
        return bool(state["present"])
    return st.query_params.get("mode") == "present"


def set_present(on: bool) -> None:
    st.session_state.setdefault(STATE, {})["present"] = on
