"""Calendar weeks of the weekly partitions, without Dagster (the CLI checks --week before importing it).

A week runs Monday–Sunday in Asia/Shanghai and is keyed by its Monday.
"""

from __future__ import annotations

from datetime import date, timedelta

TIMEZONE = "Asia/Shanghai"
FIRST_WEEK = date(2015, 1, 5)  # the first weekly partition (orchestration.partitions)


def week_key(day: date) -> str:
    """The partition key (the Monday) of the calendar week holding `day`."""
    return (day - timedelta(days=day.weekday())).isoformat()


def week_bounds(key: str) -> tuple[date, date]:
    monday = date.fromisoformat(key)
    return monday, monday + timedelta(days=6)
