"""Calendar weeks of the weekly partitions, without Dagster (the CLI checks --week before importing it).

A week runs Monday–Sunday in Asia/Shanghai and is keyed by its Monday.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

TIMEZONE = "Asia/Shanghai"
FIRST_WEEK_ENV = "SECTORPULSE_FIRST_WEEK"
DEFAULT_FIRST_WEEK = date(2015, 1, 5)


def first_week() -> date:
    """The Monday of the first weekly partition: the marts hold no earlier week (dbt var
    `first_week`). Set by SECTORPULSE_FIRST_WEEK, any day of that week; read once, at import."""
    text = os.environ.get(FIRST_WEEK_ENV, "").strip()
    try:
        day = date.fromisoformat(text) if text else DEFAULT_FIRST_WEEK
    except ValueError:
        raise SystemExit(f"{FIRST_WEEK_ENV}={text!r} is not a date; use YYYY-MM-DD") from None
    return day - timedelta(days=day.weekday())


FIRST_WEEK = first_week()  # the first weekly partition (orchestration.partitions)


def week_key(day: date) -> str:
    """The partition key (the Monday) of the calendar week holding `day`."""
    return (day - timedelta(days=day.weekday())).isoformat()


def week_bounds(key: str) -> tuple[date, date]:
    monday = date.fromisoformat(key)
    return monday, monday + timedelta(days=6)
