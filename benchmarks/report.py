"""One benchmark report: the figures every section returned, the issue's keys at the top level, a readable table.

Each section's run() returns a dict. Keys named in TOP_KEYS (and any ``…peak_rss_mb…`` key) are lifted to the top of
artifacts/bench.json; a key no section gave is written as null and listed under ``absent`` with the reason, never
estimated. A value is a number, ``{median, min, max}`` (a list of samples is summarised so), or for page_ratio and
first_chart_ratio an object of page -> such a value. The sections' own dicts are kept whole under ``sections``.

Running some sections (``python -m benchmarks pages``) keeps the others' figures from the previous report, each
section with the time it was measured (``measured_at``; ``carried_over`` names those not run this time), and the
table says which figures are such earlier measurements. ``absent`` is left for keys that no run ever produced.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from datetime import datetime
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
ABSENT_REASON = "没有哪一次运行给出过这一项（该部分从未运行、失败或尚未实现）"
UNKNOWN_TIME = "时间未记录"


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


def build_report(
    sections: Mapping[str, Mapping[str, object] | None],
    errors: Mapping[str, str] | None = None,
    *,
    previous: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> dict:
    """The report of the sections given (name -> the dict its run() returned, or None when it did not run or failed).
    A section that gave nothing this time keeps its figures from ``previous`` (the last report), with the time they
    were measured there."""
    stamp = (now or datetime.now()).isoformat(timespec="seconds")
    earlier = dict((previous or {}).get("sections") or {})
    earlier_times = dict((previous or {}).get("measured_at") or {})
    earlier_default = (previous or {}).get("generated_at") or UNKNOWN_TIME
    kept: dict[str, Mapping[str, object]] = {}
    measured_at: dict[str, str] = {}
    for name, figures in sections.items():
        if figures is not None:
            kept[name], measured_at[name] = figures, stamp
        elif isinstance(earlier.get(name), Mapping):
            kept[name], measured_at[name] = earlier[name], str(earlier_times.get(name) or earlier_default)
    report: dict[str, object] = {key: None for key in TOP_KEYS}
    source: dict[str, str] = {}
    for name, figures in kept.items():
        for key in lifted_keys(figures):
            report[key] = summarise(figures[key])
            source[key] = name
    absent = {key: ABSENT_REASON for key in report if report[key] is None}
    for name, message in (errors or {}).items():
        absent[f"section:{name}"] = message
    report["absent"] = absent
    report["source"] = source
    report["generated_at"] = stamp
    report["measured_at"] = measured_at
    report["carried_over"] = [name for name in kept if sections.get(name) is None]
    report["sections"] = kept
    return report


def read_previous(path: Path) -> dict:
    """The last report written at ``path`` ({} when there is none or it cannot be read). A report from before
    ``measured_at`` existed has its sections dated by the file's modification time."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(previous, dict):
        return {}
    written = datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
    times = dict(previous.get("measured_at") or {})
    for name in previous.get("sections") or {}:
        times.setdefault(name, previous.get("generated_at") or written)
    previous["measured_at"] = times
    return previous


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


def _time_text(stamp: str) -> str:
    """2026-12-01T01:20:05 -> 2026-12-01 01:20 (other text as it is)."""
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def earlier_note(report: Mapping[str, object], key: str) -> str:
    """（测于 2026-11-30 09:15，本次未运行） for a figure kept from an earlier run, "" for one measured this time."""
    section = (report.get("source") or {}).get(key)
    if section not in (report.get("carried_over") or []):
        return ""
    return f"（测于 {_time_text(str((report.get('measured_at') or {}).get(section, UNKNOWN_TIME)))}，本次未运行）"


def table(report: Mapping[str, object]) -> str:
    """The readable table: one line per figure (a line per page for the page ratios), median (min–max); a figure
    kept from an earlier run says when it was measured."""
    lines = ["性能基准（中位数，括号内为最小–最大；目标见右）", ""]
    rows: list[tuple[str, str, str, str]] = []
    keys = list(TOP_KEYS) + sorted(k for k in report if RSS_MARK in k and k not in TOP_KEYS)
    for key in keys:
        value = report.get(key)
        label, target = TOP_KEYS.get(key, (f"内存峰值（MB）：{key}", None))
        note = earlier_note(report, key)
        if value is None:
            rows.append((label, "缺（未测得）", target or "", ""))
        elif key in ("page_ratio", "first_chart_ratio") and isinstance(value, Mapping):
            rows.append((label, "", target or "", note))
            for page, ratio in value.items():
                rows.append((f"　　{page}", _value_text(ratio), "", _met(key, ratio)))
        else:
            rows.append((label, _value_text(value), target or "", " ".join(filter(None, (_met(key, value), note)))))
    width = max(_display_width(r[0]) for r in rows) + 2
    for label, value, target, met in rows:
        pad = " " * (width - _display_width(label))
        value_pad = " " * max(1, 26 - _display_width(value))
        target_pad = " " * max(1, 8 - _display_width(target))
        lines.append(f"{label}{pad}{value}{value_pad}{target}{target_pad}{met}".rstrip())
    for key in report.get("absent", {}):
        if key.startswith("section:"):
            lines.append(f"未完成的部分 {key.removeprefix('section:')}：{report['absent'][key]}")
    times = report.get("measured_at") or {}
    carried = [
        f"{name}（测于 {_time_text(str(times.get(name, UNKNOWN_TIME)))}）" for name in report.get("carried_over") or []
    ]
    if carried:
        lines.append(f"本次未运行、沿用先前结果的部分：{'、'.join(carried)}")
    return "\n".join(lines)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
