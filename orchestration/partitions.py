"""Weekly partitions: Monday–Sunday calendar weeks in Asia/Shanghai, keyed by the Monday
(orchestration.weeks, which the CLI uses without importing Dagster)."""

from __future__ import annotations

import warnings

import dagster as dg

from orchestration.weeks import FIRST_WEEK, TIMEZONE, week_bounds, week_key

__all__ = ["TIMEZONE", "week_bounds", "week_key", "weekly_backfill", "weekly_partitions"]

# end_offset=1 makes the current, still open week available to Friday's run.
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_WEEK.isoformat(), timezone=TIMEZONE, day_offset=1, end_offset=1
)

# `backfill_policy` is a beta parameter of every partitioned asset here: its warning, repeated per
# asset, tells a user nothing they can act on. This filter covers that warning only.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` .* is currently in beta")

# A backfill of a range of weeks is one run: raw is loaded as of its last week, dbt rebuilds
# from its first (orchestration.scope), and every week of it is materialized.
weekly_backfill = dg.BackfillPolicy.single_run()
