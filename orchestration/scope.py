"""A run's scope: the weeks it serves and the first day it rebuilds, decided once per run.

Pure and Dagster-free. The dbt step builds the scope from the run's partition (or partition
range), passes it to dbt as vars (`RunScope.dbt_vars`: the incremental models rebuild from
`rebuild_since` on) and records it as run tags (`RunScope.tags`) that the GX model checks read,
so they validate exactly the rows dbt rebuilt. See docs/scale.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from orchestration.weeks import week_key

SINCE_TAG = "sectorpulse/rebuild_since"  # first day rebuilt and validated; "all": a full build
WEEKS_TAG = "sectorpulse/weeks"  # the weeks served: "<first Monday>..<last Monday>"
SOURCE_TAG = "sectorpulse/source"  # sample, live, record or a snapshot path
ENTRY_TAG = "sectorpulse/entry"  # who started the run: cli, ui, schedule or backfill
FULL = "all"
# Dagster's own tags of a run over a range of partitions (one run per range).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(first_key: str, last_key: str) -> dict[str, str]:
    return {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key}


def launch_tags(source: str, entry: str) -> dict[str, str]:
    return {SOURCE_TAG: source, ENTRY_TAG: entry}


def entry_of(tags: Mapping[str, str]) -> str:
    """Who started a run that carries no entry tag: Dagster's own tags tell a schedule's tick
    and a backfill from a launch in the UI."""
    if ENTRY_TAG in tags:
        return tags[ENTRY_TAG]
    if "dagster/schedule_name" in tags:
        return "schedule"
    return "backfill" if "dagster/backfill" in tags else "ui"


@dataclass(frozen=True)
class RunScope:
    first_week: date  # Monday of the first week the run serves
    last_week: date  # Monday of the last week the run serves
    rebuild_since: date | None  # first day dbt rebuilds and GX validates; None: every row

    @property
    def full(self) -> bool:
        return self.rebuild_since is None

    def dbt_vars(self) -> dict[str, str]:
        """`dbt build --vars`: none for a full build (`--full-refresh` rebuilds every row)."""
        return {} if self.full else {"rebuild_since": self.rebuild_since.isoformat()}

    def tags(self) -> dict[str, str]:
        since = FULL if self.full else self.rebuild_since.isoformat()
        weeks = f"{self.first_week.isoformat()}..{self.last_week.isoformat()}"
        return {SINCE_TAG: since, WEEKS_TAG: weeks}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> RunScope | None:
        """The scope a run's dbt step recorded; None before it did (or outside a run)."""
        since, weeks = tags.get(SINCE_TAG), tags.get(WEEKS_TAG)
        if not since or not weeks:
            return None
        first, _, last = weeks.partition("..")
        return cls(
            date.fromisoformat(first),
            date.fromisoformat(last),
            None if since == FULL else date.fromisoformat(since),
        )


def run_scope(
    first_week: date,
    last_week: date,
    *,
    lookback_weeks: int,
    full: bool,
    last_built_week: date | None = None,
    raw_changed_from: date | None = None,
) -> RunScope:
    """The scope of a run serving the weeks `first_week`..`last_week` (their Mondays).

    An incremental run rebuilds its weeks, the weeks missed since the last build
    (`last_built_week`, the last week that build served) and `lookback_weeks` before them, for
    late corrections; raw rows changed since the last build (`raw_changed_from`, the earliest
    day they are dated) widen it to their week.
    """
    if full:
        return RunScope(first_week, last_week, None)
    start = first_week
    if last_built_week is not None:
        start = min(start, last_built_week + timedelta(weeks=1))
    since = start - timedelta(weeks=lookback_weeks)
    if raw_changed_from is not None:
        since = min(since, date.fromisoformat(week_key(raw_changed_from)))
    return RunScope(first_week, last_week, since)
