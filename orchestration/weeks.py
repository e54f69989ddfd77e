"""Calendar weeks of the weekly partitions, without Dagster (the CLI checks --week before importing it).

A week runs Monday–Sunday in Asia/Shanghai and is keyed by its Monday.
"""

from __future__ import annotations

from datetime import date, timedelta

from ingestion.settings import BadSetting, env_name, settings

TIMEZONE = "Asia/Shanghai"
FIRST_WEEK_ENV = env_name("first_week")  # SECTORPULSE_FIRST_WEEK


def first_week() -> date:
    """The Monday of the first weekly partition: the marts hold no earlier week (dbt var
    `first_week`). Set by SECTORPULSE_FIRST_WEEK, any day of that week; read once, at import.
    A bad setting (this one or another) stops the process with its one-line message."""
    try:
        day = settings().first_week
    except BadSetting as error:
        raise SystemExit(str(error)) from None
    return day - timedelta(days=day.weekday())


FIRST_WEEK = first_week()  # the first weekly partition (orchestration.partitions)


def week_key(day: date) -> str:
    """The partition key (the Monday) of the calendar week holding `day`."""
    return (day - timedelta(days=day.weekday())).isoformat()


def week_bounds(key: str) -> tuple[date, date]:
    monday = date.fromisoformat(key)
    return monday, monday + timedelta(days=6)
