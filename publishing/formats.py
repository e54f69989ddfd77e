"""How every number in a brief is written, in one place (briefs, tables, chart labels, tests).

Marts hold fractions (0.0123 = 1.23%) and multiples; readers see "+1.23%", "52.66x", "2/31".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

MISSING = "n/a"


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and pandas NA are not equal to themselves
    except TypeError:  # pandas NA refuses to be a bool
        return True


def pct(value: float | None, signed: bool = True) -> str:
    """A fraction as a percentage with 2 decimals: 0.0123 -> '+1.23%'."""
    if is_missing(value):
        return MISSING
    shown = round(value * 100, 2) + 0.0  # + 0.0 turns -0.00 into 0.00
    return f"{shown:+.2f}%" if signed else f"{shown:.2f}%"


def num(value: float | None, suffix: str = "") -> str:
    """A level with thousands separators and 2 decimals: 1234.5 -> '1,234.50'. Amounts in 亿元
    or 亿美元 (suffix ' 亿…') go through `yi`: '122,903 亿元'."""
    if is_missing(value):
        return MISSING
    if suffix.startswith(" 亿"):
        return yi(value, suffix)
    return f"{round(value, 2) + 0.0:,.2f}{suffix}"


def yi(value: float | None, suffix: str = "") -> str:
    """An amount in 亿元 (or 亿美元): 2 decimals, none when whole: 1115.269 -> '1,115.27',
    122903 -> '122,903'."""
    if is_missing(value):
        return MISSING
    shown = round(value, 2) + 0.0
    return f"{shown:,.0f}{suffix}" if shown == int(shown) else f"{shown:,.2f}{suffix}"


def multiple(value: float | None) -> str:
    """A PE multiple: 52.661 -> '52.66x'."""
    return num(value, "x")


def rank(position: int | None, of: int | None) -> str:
    """A rank among `of`: '2/31'."""
    if is_missing(position) or is_missing(of):
        return MISSING
    return f"{int(position)}/{int(of)}"


def day(value: date | datetime | str | None) -> str:
    """A date as YYYY-MM-DD."""
    if is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def count(value: int | None) -> str:
    return MISSING if is_missing(value) else f"{int(value):,}"
