"""Great Expectations suites on staging and marts, one blocking Dagster asset check per suite.

A check validates exactly what the run's dbt step rebuilt (quality.batches): the rows from the
scope's `rebuild_since` on, read from the run tags the dbt step recorded (orchestration.scope),
or every row after a full build or when the check runs on its own, outside such a run. The
checks are not partitioned themselves (Dagster's partitioned checks are a preview feature).
"""

import dagster as dg

from ingestion.warehouse import connect
from orchestration.assets import (
    DUCKDB_POOL,
    GX_CHECK_PREFIX,
    recorded_scope,
    write_data_docs,
)
from orchestration.resources import PipelineSettings
from quality import MODEL_SUITES
from quality.batches import validate_model_batch


def model_key(model: str) -> dg.AssetKey:
    return dg.AssetKey(["staging" if model.startswith("stg_") else "marts", model])


def build_model_check(model: str) -> dg.AssetChecksDefinition:
    key = model_key(model)

    @dg.asset_check(
        asset=key,
        name=f"{GX_CHECK_PREFIX}{model}",
        blocking=True,
        pool=DUCKDB_POOL,
        description=f"Great Expectations suite for {key.to_user_string()}, on the rows the "
        "run rebuilt.",
    )
    def model_check(
        context: dg.AssetCheckExecutionContext, settings: PipelineSettings
    ) -> dg.AssetCheckResult:
        scope = recorded_scope(context)
        since = scope.rebuild_since if scope else None
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
