"""One benchmark report: the figures every section returned, the issue's keys at the top level, a readable table.

Each section's run() returns a dict. Keys named in TOP_KEYS (and any ``…peak_rss_mb…`` key) are lifted to the top of
artifacts/bench.json; a key no section gave is written as null and listed under ``absent`` with the reason, never
estimated. A value is a number, ``{median, min, max}`` (a list of samples is summarised so), or for page_ratio and
first_chart_ratio an object of page -> such a value. The sections' own dicts are kept whole under ``sections``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from pathlib import Path

# The keys, what each means, and its target (None: no target, reported for reading).
TOP_KEYS: dict[str, tuple[str, str | None]] = {
    "ingest_overhead_ratio": ("装载开销比（完整装载 ÷ 仅 calamine 读取）", "≤ 4"),
    "status_scale_ratio_10x": ("状态评判 10 倍数据 ÷ 1 倍", None),
    "status_scale_ratio_100x": ("状态评判 100 倍数据 ÷ 1 倍", "≤ 3"),
    "status_peak_rss_mb_100x": ("状态评判 100 倍数据的内存峰值（MB）", "≤ 400"),
    "page_ratio": ("页面服务端热运行 ÷ 空白页外壳", "≤ 3"),
    "first_chart_ratio": ("Chromium 首个图表 ÷ 空白页外壳首次绘制", None),
}
LIMITS = {"ingest_overhead_ratio": 4, "status_scale_ratio_100x": 3, "status_peak_rss_mb_100x": 400, "page_ratio": 3}
RSS_MARK = "peak_rss_mb"
ABSENT_REASON = "本次没有哪一部分基准给出这一项（该部分未运行、失败或尚未实现）"


def summarise(value: object) -> object:
    """A number as is (rounded); a list of samples as {median, min, max}; a mapping value by value."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _round(float(value))
    if isinstance(value, list | tuple) and value and all(isinstance(v, int | float) for v in value):
        return {"median": _round(statistics.median(value)), "min": _round(min(value)), "max": _round(max(value))}
    if isinstance(value, Mapping):
        if set(value) == {"median", "min", "max"}:
            return {k: _round(float(value[k])) for k in ("median", "min", "max")}
        return {str(k): summarise(v) for k, v in value.items()}
    return value


def _round(number: float) -> float:
    if math.isnan(number) or number == 0:
        return number
    digits = max(2, 2 - int(math.floor(math.log10(abs(number)))))  # three significant figures, two decimals at least
    return round(number, digits)


def lifted_keys(section: Mapping[str, object]) -> list[str]:
    return [key for key in section if key in TOP_KEYS or RSS_MARK in key]


def build_report(sections: Mapping[str, Mapping[str, object] | None], errors: Mapping[str, str] | None = None) -> dict:
    """The report of the sections given (name -> the dict its run() returned, or None when it did not run)."""
    report: dict[str, object] = {key: None for key in TOP_KEYS}
    source: dict[str, str] = {}
    for name, figures in sections.items():
        for key in lifted_keys(figures or {}):
            report[key] = summarise(figures[key])
            source[key] = name
    absent = {key: ABSENT_REASON for key in report if report[key] is None}
    for name, message in (errors or {}).items():
        absent[f"section:{name}"] = message
    report["absent"] = absent
    report["source"] = source
    report["sections"] = {name: figures for name, figures in sections.items() if figures is not None}
    return report


def write_report(report: Mapping[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


def _value_text(value: object) -> str:
    if isinstance(value, Mapping) and set(value) == {"median", "min", "max"}:
        return f"{value['median']:g}（{value['min']:g}–{value['max']:g}）"
    if isinstance(value, int | float):
        return f"{value:g}"
    return "—"


def _met(key: str, value: object) -> str:
    limit = LIMITS.get(key)
    if limit is None or value is None:
        return ""
    median = value["median"] if isinstance(value, Mapping) else value
    return "达到" if isinstance(median, int | float) and median <= limit else "未达到"


def table(report: Mapping[str, object]) -> str:
    """The readable table: one line per figure (a line per page for the page ratios), median (min–max)."""
    lines = ["性能基准（中位数，括号内为最小–最大；目标见右）", ""]
    rows: list[tuple[str, str, str, str]] = []
    keys = list(TOP_KEYS) + sorted(k for k in report if RSS_MARK in k and k not in TOP_KEYS)
    for key in keys:
        value = report.get(key)
        label, target = TOP_KEYS.get(key, (f"内存峰值（MB）：{key}", None))
        if value is None:
            rows.append((label, "缺（未测得）", target or "", ""))
        elif key in ("page_ratio", "first_chart_ratio") and isinstance(value, Mapping):
            rows.append((label, "", target or "", ""))
            for page, ratio in value.items():
                rows.append((f"　　{page}", _value_text(ratio), "", _met(key, ratio)))
        else:
            rows.append((label, _value_text(value), target or "", _met(key, value)))
    width = max(_display_width(r[0]) for r in rows) + 2
    for label, value, target, met in rows:
        pad = " " * (width - _display_width(label))
        value_pad = " " * max(1, 26 - _display_width(value))
        target_pad = " " * max(1, 8 - _display_width(target))
        lines.append(f"{label}{pad}{value}{value_pad}{target}{target_pad}{met}".rstrip())
    for key in report.get("absent", {}):
        if key.startswith("section:"):
            lines.append(f"未完成的部分 {key.removeprefix('section:')}：{report['absent'][key]}")
    return "\n".join(lines)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
