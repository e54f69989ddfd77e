"""Great Expectations suites on staging and marts, one blocking Dagster asset check per suite.

A check validates what the run rebuilt (quality.batches): the weeks an incremental dbt build
rebuilds for the run's partition, or every row after a full build (the run tag FULL_REFRESH_TAG)
or when the check runs on its own, outside a partitioned run. The checks are not partitioned
themselves (Dagster's partitioned checks are a preview feature): they read the run's partition.
"""

from datetime import date

import dagster as dg

from ingestion.warehouse import connect
from orchestration.assets import DUCKDB_POOL, is_full_refresh, rebuild_since, write_data_docs
from orchestration.resources import PipelineSettings
from quality import MODEL_SUITES
from quality.batches import batch_since, validate_model_batch

PARTITION_TAG = "dagster/partition"  # Dagster sets it on every run of one partition


def model_key(model: str) -> dg.AssetKey:
    return dg.AssetKey(["staging" if model.startswith("stg_") else "marts", model])


def build_model_check(model: str) -> dg.AssetChecksDefinition:
    key = model_key(model)

    @dg.asset_check(
        asset=key,
        name=f"gx_{model}",
        blocking=True,
        pool=DUCKDB_POOL,
        description=f"Great Expectations suite for {key.to_user_string()}, on the rows the "
        "run rebuilt.",
    )
    def model_check(
        context: dg.AssetCheckExecutionContext, settings: PipelineSettings
    ) -> dg.AssetCheckResult:
        partition = context.run.tags.get(PARTITION_TAG)
        since = None
        if partition and not is_full_refresh(context):
            since = batch_since(date.fromisoformat(partition))
            widened = rebuild_since(context)  # the same day dbt rebuilt from
            if widened and widened < since:
                since = widened
        with connect(settings.warehouse(), read_only=True) as con:
            result = validate_model_batch(con, model, since)
        write_data_docs(context, result, settings)
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**result.as_metadata(), "rows_since": since.isoformat() if since else "all"},
        )

    return model_check


model_checks = [build_model_check(model) for model in MODEL_SUITES]
