"""Friday 18:00 Asia/Shanghai for the weekly run; the 25th of each month for MIIT's release.

Both schedules start STOPPED: the default source is the bundled sample, a fixed snapshot, so a
running schedule would only skip. A team turns them on once SECTORPULSE_SOURCE=live (docs/deploy.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dagster as dg

from ingestion.paths import duckdb_path
from orchestration.partitions import TIMEZONE, week_key
from orchestration.resources import PipelineSettings
from orchestration.run_lock import warehouse_tag
from orchestration.sources import UsageProblem, check_week, source_range

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


def uncovered_week(source: str, day: date) -> str | None:
    """Why `source` cannot serve the week holding `day`, or None when it can. The same range
    rules as `sectorpulse run --week` (orchestration/cli.py)."""
    try:
        available = source_range(source)
    except UsageProblem as exc:  # no snapshot there, or an unreadable snapshot.json
        return f"source {source!r}: {exc}"
    try:
        check_week(day.isoformat(), available)
    except UsageProblem as exc:
        if not available.snapshot:
            return f"source {source!r}: {exc}"
        return (
            f"source {source!r} is a fixed snapshot ending {available.last}; the week of {day} "
            "is not in it: set SECTORPULSE_SOURCE=live (or a newer snapshot directory)"
        )
    return None


def run_for_week(
    context: dg.ScheduleEvaluationContext, settings: PipelineSettings
) -> dg.RunRequest | dg.SkipReason:
    """A run for the week of the tick, or the reason the source cannot cover it: a skipped tick
    says why in the UI, where a launched run would only fail."""
    day = context.scheduled_execution_time.date()
    reason = uncovered_week(settings.resolved_source(), day)
    if reason:
        return dg.SkipReason(reason)
    return dg.RunRequest(partition_key=week_key(day))


def tick_schedule(name: str, job: Any, cron: str, description: str) -> dg.ScheduleDefinition:
    """A schedule that runs `job` for the week of its tick, or skips it saying why; STOPPED by
    default (the module's docstring says why)."""

    @dg.schedule(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=description,
    )
    def tick(
        context: dg.ScheduleEvaluationContext, settings: PipelineSettings
    ) -> dg.RunRequest | dg.SkipReason:
        return run_for_week(context, settings)

    return tick


weekly_schedule = tick_schedule(
    "weekly_friday_1800",
    weekly_job,
    "0 18 * * 5",
    "Every Friday 18:00 Asia/Shanghai (after the 15:00 close): ingest, validate, transform "
    "and publish that week. Skips, saying why, when SECTORPULSE_SOURCE cannot cover the week "
    "(the default sample is a fixed snapshot). Stopped by default: turn it on once "
    "SECTORPULSE_SOURCE=live.",
)

monthly_miit_schedule = tick_schedule(
    "monthly_miit_25th_0900",
    miit_job,
    "0 9 25 * *",
    "The 25th of every month, 09:00 Asia/Shanghai (MIIT publishes about 24-33 days after the "
    "period end): reload MIIT software statistics and rebuild what depends on them, for the "
    "week of the 25th. Skips like the weekly schedule. Stopped by default.",
)
