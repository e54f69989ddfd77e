"""Friday 18:00 Asia/Shanghai for the weekly run; the 25th of each month for MIIT's release."""

from __future__ import annotations

import dagster as dg

from ingestion.paths import duckdb_path
from orchestration.partitions import TIMEZONE, week_key
from orchestration.run_lock import warehouse_tag

weekly_job = dg.define_asset_job(
    "weekly_sector_job",
    selection=dg.AssetSelection.all(),
    description="Ingest, validate, transform and publish one week.",
    # One run at a time per warehouse (the run queue's limit in dagster.yaml).
    tags=warehouse_tag(duckdb_path()),
)

miit_job = dg.define_asset_job(
    "monthly_miit_job",
    selection=dg.AssetSelection.assets(dg.AssetKey(["raw", "miit_software_stats"])).downstream(),
    description="Reload MIIT software statistics and rebuild what depends on them.",
    tags=warehouse_tag(duckdb_path()),
)


def _run_for_week(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.date()
    return dg.RunRequest(partition_key=week_key(day))


weekly_schedule = dg.ScheduleDefinition(
    name="weekly_friday_1800",
    job=weekly_job,
    cron_schedule="0 18 * * 5",
    execution_timezone=TIMEZONE,
    execution_fn=_run_for_week,
)

monthly_miit_schedule = dg.ScheduleDefinition(
    name="monthly_miit_25th_0900",
    job=miit_job,
    cron_schedule="0 9 25 * *",
    execution_timezone=TIMEZONE,
    execution_fn=_run_for_week,
)
