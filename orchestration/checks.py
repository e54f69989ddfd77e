"""Great Expectations suites on staging and marts, one blocking Dagster asset check per suite."""

import dagster as dg

from ingestion.warehouse import connect
from orchestration.assets import DUCKDB_POOL, write_data_docs
from orchestration.resources import PipelineSettings
from quality import MODEL_SUITES, validate_model


def model_key(model: str) -> dg.AssetKey:
    return dg.AssetKey(["staging" if model.startswith("stg_") else "marts", model])


def build_model_check(model: str) -> dg.AssetChecksDefinition:
    key = model_key(model)

    @dg.asset_check(
        asset=key,
        name=f"gx_{model}",
        blocking=True,
        pool=DUCKDB_POOL,
        description=f"Great Expectations suite for {key.to_user_string()}.",
    )
    def model_check(
        context: dg.AssetCheckExecutionContext, settings: PipelineSettings
    ) -> dg.AssetCheckResult:
        with connect(settings.warehouse(), read_only=True) as con:
            frame = con.execute(f"SELECT * FROM {key.path[0]}.{model}").df()
        result = validate_model(model, frame)
        write_data_docs(context, result, settings)
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=result.as_metadata(),
        )

    return model_check


model_checks = [build_model_check(model) for model in MODEL_SUITES]
