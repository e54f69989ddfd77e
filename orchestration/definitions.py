"""The Dagster code location: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from ingestion import paths
from orchestration.assets import build_dbt_assets, dbt_executable, published_marts, raw_assets
from orchestration.briefs import brief_assets
from orchestration.checks import model_checks
from orchestration.resources import PipelineSettings
from orchestration.schedules import miit_job, monthly_miit_schedule, weekly_job, weekly_schedule


def build_definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*raw_assets, build_dbt_assets(), published_marts, *brief_assets],
        asset_checks=model_checks,
        jobs=[weekly_job, miit_job],
        schedules=[weekly_schedule, monthly_miit_schedule],
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
