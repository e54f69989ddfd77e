"""The Dagster code location: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource

from ingestion import paths
from orchestration.assets import build_dbt_assets, dbt_executable, published_marts, raw_assets
from orchestration.briefs import brief_assets
from orchestration.checks import model_checks
from orchestration.partitions import TIMEZONE
from orchestration.resources import PipelineSettings
from orchestration.schedules import miit_job, monthly_miit_schedule, weekly_job, weekly_schedule
from orchestration.sensors import alert_on_run_failure

# Friday's data is late when the published marts have not been materialized between Friday's
# 15:00 close and 21:00, three hours after the 18:00 schedule. dagster-daemon evaluates the
# policy (its freshness daemon is on by default) and the UI shows the asset as failing freshness.
FRIDAY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 21 * * 5", lower_bound_delta=timedelta(hours=6), timezone=TIMEZONE
)


def build_definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            *raw_assets,
            build_dbt_assets(),
            published_marts.map_asset_specs(
                lambda spec: dg.apply_freshness_policy(spec, FRIDAY_FRESHNESS)
            ),
            *brief_assets,
        ],
        asset_checks=model_checks,
        jobs=[weekly_job, miit_job],
        schedules=[weekly_schedule, monthly_miit_schedule],
        sensors=[alert_on_run_failure],
        # Every step is in the one-slot duckdb pool, so separate step processes would buy no
        # parallelism; one process per run also makes the live request budgets per run.
        executor=dg.in_process_executor,
        resources={
            "settings": settings or PipelineSettings(),
            "dbt": DbtCliResource(
                project_dir=str(paths.DBT_PROJECT_DIR),
                profiles_dir=str(paths.DBT_PROJECT_DIR),
                dbt_executable=dbt_executable(),
            ),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    # Loaded lazily: the dbt manifest is prepared on first load, never at import time.
    return build_definitions()
