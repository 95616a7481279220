"""How figures read in Chinese on screen, slides and briefings: one place, so they read the same everywhere."""

from __future__ import annotations

from datetime import date


def pct(ratio: float | None, digits: int = 1) -> str:
    """0.882 -> "88.2%"."""
    return "—" if ratio is None else f"{ratio * 100:.{digits}f}%"


def number(value: float | None, unit: str = "", digits: int | None = None) -> str:
    """1234.5, "万元" -> "1,234.5万元"; whole numbers without decimals, also a sum that floating point left a hair
    off whole (1242.9999999999998 reads "1,243万元", as its parts do, not "1,243.0万元")."""
    if value is None:
        return "—"
    if digits is None:
        digits = 0 if round(float(value), 1).is_integer() else 1
    return f"{value:,.{digits}f}{unit}"


def ratio_text(value: float | None, digits: int = 2) -> str:
    """A parity index such as 0.85 -> "0.85"."""
    return "—" if value is None else f"{value:.{digits}f}"


def day(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


def names(items: list[str] | tuple[str, ...], limit: int = 6) -> str:
    """A Chinese list 甲、乙、丙 等N个 that stays short enough for a slide."""
    items = list(items)
    if len(items) <= limit:
        return "、".join(items)
    return "、".join(items[:limit]) + f"等{len(items)}个"
