"""Weekly partitions: Monday–Sunday calendar weeks in Asia/Shanghai, keyed by the Monday."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

TIMEZONE = "Asia/Shanghai"

# end_offset=1 makes the current, still open week available to Friday's run.
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date="2015-01-05", timezone=TIMEZONE, day_offset=1, end_offset=1
)


def week_key(day: date) -> str:
    """The partition key (the Monday) of the calendar week holding `day`."""
    return (day - timedelta(days=day.weekday())).isoformat()


def week_bounds(key: str) -> tuple[date, date]:
    monday = date.fromisoformat(key)
    return monday, monday + timedelta(days=6)


# Every weekly asset backfills one week per run: each run loads and rebuilds as of its week.
weekly_backfill = dg.BackfillPolicy.multi_run(1)
