"""Assets: one per raw dataset, the dbt project, and the BI publish."""

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingestion import paths
from ingestion.bulk import BulkLoad, BulkValidationError, InputRejected, load_calls
from ingestion.dbt_vars import lookback_weeks
from ingestion.fetcher import Fetcher, ReplayFetcher, request_metadata
from ingestion.snapshot import SHANGHAI
from ingestion.specs import SPECS, DatasetSpec, RunWindow
from ingestion.warehouse import (
    Build,
    changed_since,
    has_relation,
    last_build,
    read_raw_frame,
    record_build,
)
from orchestration import dbt_child
from orchestration.build_state import mark_building, mark_validated
from orchestration.partitions import week_bounds, weekly_backfill, weekly_partitions
from orchestration.resources import PipelineSettings
from orchestration.scope import RunScope, entry_of, launch_tags, run_scope
from orchestration.weeks import FIRST_WEEK
from publishing.publish import publish_marts, published_weeks
from quality import RawReference, SuiteResult, publish_suite_docs, validate_raw
from quality.batches import combine_results

# An incremental model the first build creates: while it is missing, dbt builds everything.
FIRST_BUILT_MODEL = "stg_akshare__stock_bars"
DUCKDB_POOL = "duckdb"  # DuckDB allows one writer per file: every writer runs in this pool


def raw_key(dataset: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", dataset])


GX_CHECK_PREFIX = "gx_"  # every Great Expectations check; the others are dbt tests


def raw_check_name(dataset: str) -> str:
    return f"{GX_CHECK_PREFIX}raw_{dataset}"


def run_window(fetcher: Fetcher, partition_key: str) -> RunWindow:
    """The window a weekly partition asks for; a replayed snapshot must cover the week it serves.
    Live and record runs fetch up to the week's end (or today)."""
    week_start, week_end = week_bounds(partition_key)
    if not isinstance(fetcher, ReplayFetcher):
        today = datetime.now(SHANGHAI).date()
        return fetcher.window(datetime.combine(min(week_end, today), time(), SHANGHAI))
    window = fetcher.window()
    if week_start > window.as_of:
        raise dg.Failure(
            f"snapshot {fetcher.source} ends on {window.as_of}; it does not cover the week "
            f"{week_start}..{week_end}. Pick an earlier --week or record a newer snapshot."
        )
    return window


def write_data_docs(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
    result: SuiteResult,
    settings: PipelineSettings,
) -> None:
    """GX Data Docs under data/gx; a rendering problem is logged, never mistaken for a check."""
    try:
        publish_suite_docs(result, settings.gx() / "data_docs")
    except Exception as exc:
        context.log.warning(f"GX Data Docs for {result.suite} not written: {exc}")


@dataclass(frozen=True)
class Ingested:
    """One raw dataset's load: whether its named check passed, what it says, what was loaded."""

    check_name: str
    passed: bool
    metadata: dict[str, object]
    message: str  # one line for people: the check, the dataset, what failed; "" when it passed
    loaded: BulkLoad | None
    result: SuiteResult | None  # the GX result, when GX ran


def raw_reference(warehouse: Path, spec: DatasetSpec, window: RunWindow) -> RawReference:
    """What the raw suite checks a dated dataset's rows against: the run's as_of and the
    trading days of raw.trade_calendar (loaded before every dated dataset)."""
    if spec.name == "trade_calendar" or not spec.date_column:
        return RawReference(as_of=window.as_of, trading_days=None)
    calendar = read_raw_frame(warehouse, SPECS["trade_calendar"])
    days = frozenset(pd.to_datetime(calendar["trade_date"]).dt.date) if len(calendar) else None
    return RawReference(as_of=window.as_of, trading_days=days)


def ingest_dataset(
    spec: DatasetSpec, fetcher: Fetcher, window: RunWindow, warehouse: Path
) -> Ingested:
    """Plan the dataset's calls, make sure the snapshot holds them, validate the rows a load
    would write, and load them. Nothing is written unless its check passes."""
    upstream = {d: read_raw_frame(warehouse, SPECS[d]) for d in spec.depends_on}
    calls = spec.plan(window, upstream)
    reference = raw_reference(warehouse, spec, window)
    check = raw_check_name(spec.name)
    results: list[SuiteResult] = []

    def validate(dataset: str, batch: pd.DataFrame) -> bool:
        results.append(validate_raw(dataset, batch, reference=reference))
        return results[-1].success

    try:
        snapshot = fetcher.recorded(spec, calls)
        loaded = load_calls(warehouse, snapshot, spec, calls, validate, source=fetcher.source)
    except InputRejected as rejected:  # refused before GX: empty call, manifest, columns
        metadata = {"rule": rejected.rule, "failures": str(rejected)}
        if rejected.examples:
            metadata["examples"] = rejected.examples
        return Ingested(check, False, metadata, f"{check}: {rejected}", None, None)
    except BulkValidationError:
        loaded = None  # GX failed: nothing was written
    if not results:
        metadata = {"rows_validated": 0, "note": "no new or changed rows to validate"}
        return Ingested(check, loaded is not None, metadata, "", loaded, None)
    result = combine_results(results)
    first = result.failures[0] if result.failures else result.error or result.summary()
    message = "" if loaded else f"{check} failed for dataset {spec.name!r}: {first}"
    return Ingested(check, loaded is not None, result.as_metadata(), message, loaded, result)


def build_raw_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(spec.name),
        deps=[raw_key(d) for d in spec.runs_after],
        group_name="raw",
        kinds={"python", "duckdb"},
        description=f"{spec.description} akshare `{spec.function}`, loaded as returned.",
        partitions_def=weekly_partitions,
        backfill_policy=weekly_backfill,
        pool=DUCKDB_POOL,
        check_specs=[
            dg.AssetCheckSpec(
                raw_check_name(spec.name),
                asset=raw_key(spec.name),
                blocking=True,
                description=f"Great Expectations suite for raw {spec.name}, run before loading; "
                "also refuses empty required calls, manifest mismatches and column drift.",
            )
        ],
    )
    def raw_asset(
        context: dg.AssetExecutionContext, settings: PipelineSettings
    ) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
        fetcher = settings.fetcher()
        window = run_window(fetcher, context.partition_key_range.end)
        ingested = ingest_dataset(spec, fetcher, window, settings.warehouse())
        if ingested.result is not None:
            write_data_docs(context, ingested.result, settings)
        yield dg.AssetCheckResult(
            check_name=ingested.check_name,
            passed=ingested.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=ingested.metadata,
        )
        if not ingested.passed:
            # Nothing was loaded: raw, marts and published files are unchanged.
            raise dg.Failure(ingested.message, metadata=ingested.metadata)
        loaded = ingested.loaded
        yield dg.MaterializeResult(
            metadata={
                "calls": loaded.calls,
                "rows": loaded.rows_in_calls,
                "rows_inserted": loaded.inserted,
                "rows_deleted": loaded.deleted,
                "reader": loaded.reader,
                "load_id": loaded.load_id,
                "source": fetcher.source,
                "as_of": window.as_of.isoformat(),
                "provenance": ", ".join(loaded.provenance),
                **request_metadata(fetcher),
            }
        )

    return raw_asset


raw_assets = [build_raw_asset(spec) for spec in SPECS.values()]


def dbt_executable() -> str:
    """The venv's dbt, whether or not the venv is on PATH, ended with its parent (kill -9)."""
    return dbt_child.executable(
        Path(sys.executable).parent / "dbt", paths.DBT_PROJECT_DIR / "target"
    )


DBT_OUTPUT_FOLDERS = {"target", "logs", "dbt_packages"}  # written by dbt, not parsed


def manifest_is_current() -> bool:
    """The manifest is newer than every file dbt parses (models, tests, macros, seeds, configs)."""
    manifest = paths.DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        return False
    parsed_at = manifest.stat().st_mtime
    sources = (p for p in paths.DBT_PROJECT_DIR.iterdir() if p.name not in DBT_OUTPUT_FOLDERS)
    # dbt's own output folders hold thousands of files: they are never walked.
    files = (f for p in sources for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    return all(f.stat().st_mtime <= parsed_at for f in files)


def prepare_dbt_manifest() -> None:
    """`dbt parse` unless the manifest is current, so dagster-dbt reads the models on disk."""
    if manifest_is_current():
        return
    project_dir = str(paths.DBT_PROJECT_DIR)
    dbt = DbtCliResource(
        project_dir=project_dir, profiles_dir=project_dir, dbt_executable=dbt_executable()
    )
    dbt.cli(["parse", "--quiet"], target_path=Path("target")).wait()


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
    prepare_dbt_manifest()
    return project


class SectorpulseTranslator(DagsterDbtTranslator):
    """dbt sources map onto the raw assets; models are keyed by their schema (layer)."""

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            key = raw_key(props["name"])
        else:
            key = dg.AssetKey([props["schema"], props["name"]])
        return spec.replace_attributes(key=key, group_name=props["schema"])


# One target folder for every run (dagster-dbt would make a new one per run, about 12 MB each);
# runs never overlap, as dbt is in the one-slot duckdb pool. run_results.json there is the last run's.
DBT_RUN_TARGET = Path("target/run")
FULL_REFRESH_TAG = "sectorpulse/full_refresh"  # "true": rebuild and validate every row


def is_full_refresh(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> bool:
    # From the instance, not context.run: the dbt step may have added the tag during this run.
    run = context.instance.get_run_by_id(context.run.run_id)
    return run is not None and run.tags.get(FULL_REFRESH_TAG) == "true"


def models_digest(manifest_path: Path) -> str:
    """A digest of the dbt code a build runs: every model's and seed's SQL, config and contract,
    the project's macros, and dbt_project.yml (its vars)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    project = manifest["metadata"]["project_name"]
    parts = [
        json.dumps([uid, node["checksum"], node["config"], node.get("contract")], sort_keys=True)
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    ]
    parts += [
        json.dumps([uid, macro["macro_sql"]])
        for uid, macro in manifest["macros"].items()
        if macro["package_name"] == project
    ]
    parts.append((paths.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]


def full_build_reason(
    context: dg.AssetExecutionContext, warehouse: Path, models: str, previous: Build | None
) -> str:
    """Why this run's dbt build rebuilds every row ("" when it need not): asked for with the run
    tag, the warehouse never built, or built by other dbt code (a changed model keeps no old
    row consistent with it). Recorded as the run tag, so the GX checks downstream validate
    every row too, not only the weeks an incremental build rebuilt."""
    if is_full_refresh(context):
        return "asked for"
    if not has_relation(warehouse, "staging", FIRST_BUILT_MODEL):
        reason = "the warehouse's first build"
    elif previous is not None and previous.models != models:
        reason = "the dbt models changed since the last build"
    else:
        return ""
    context.instance.add_run_tags(context.run_id, {FULL_REFRESH_TAG: "true"})
    return reason


def decide_scope(
    context: dg.AssetExecutionContext, warehouse: Path, source: str, models: str
) -> RunScope:
    """The run's scope (orchestration.scope), decided once by the dbt step and recorded as run
    tags for the checks downstream."""
    weeks = context.partition_key_range
    previous = last_build(warehouse)
    reason = full_build_reason(context, warehouse, models, previous)
    full = bool(reason)
    if full:
        previous = None  # a full build rebuilds every row, whatever was built before
    changed = changed_since(warehouse, list(SPECS.values()), previous) if previous else None
    scope = run_scope(
        date.fromisoformat(weeks.start),
        date.fromisoformat(weeks.end),
        lookback_weeks=lookback_weeks(),
        full=full,
        last_built_week=previous.last_week if previous else None,
        raw_changed_from=changed,
    )
    context.instance.add_run_tags(
        context.run_id, {**scope.tags(), **launch_tags(source, entry_of(context.run.tags))}
    )
    if changed is not None:
        context.log.info(f"raw rows dated from {changed} changed since the last build")
    context.log.info(
        f"full build ({reason}): every row" if full else f"rebuilding from {scope.rebuild_since}"
    )
    return scope


def recorded_scope(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> RunScope | None:
    """The scope this run's dbt step decided; None when the check runs outside such a run."""
    run = context.instance.get_run_by_id(context.run.run_id)
    return RunScope.from_tags(run.tags) if run else None


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=SectorpulseTranslator(),
        partitions_def=weekly_partitions,
        backfill_policy=weekly_backfill,
        pool=DUCKDB_POOL,
    )
    def sectorpulse_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings
    ):
        # The marts are unvalidated from here until published_marts runs after every check.
        warehouse = settings.warehouse()
        mark_building(warehouse, context.run_id, context.partition_keys)
        models = models_digest(project.manifest_path)
        scope = decide_scope(context, warehouse, settings.resolved_source(), models)
        # dbt unit tests pin the SQL, not the data: the test suite runs them (tests/test_dbt_unit.py).
        build = ["build", "--exclude-resource-type", "unit_test"]
        # The profile takes the run's warehouse from var `warehouse` (dbt_project/profiles.yml).
        dbt_vars = {
            "warehouse": str(warehouse.resolve()),
            "first_week": FIRST_WEEK.isoformat(),  # the marts hold the partitions' weeks only
            **scope.dbt_vars(),
        }
        build += [*(["--full-refresh"] if scope.full else []), "--vars", json.dumps(dbt_vars)]
        started_at = datetime.now(UTC).replace(tzinfo=None)
        yield from dbt.cli(build, context=context, target_path=DBT_RUN_TARGET).stream()
        record_build(warehouse, context.run_id, Build(started_at, scope.last_week, models))

    return sectorpulse_dbt


MART_MODELS = (
    "fct_industry_weekly_returns",
    "fct_stock_weekly_returns",
    "mart_industry_movers",
    "fct_industry_valuation",
    "fct_software_industry_stats",
    "rpt_industry_weekly_brief",
    "rpt_reconciliation",
)


@dg.asset(
    key=dg.AssetKey(["published", "marts"]),
    deps=[dg.AssetKey(["marts", m]) for m in MART_MODELS],
    group_name="published",
    kinds={"parquet", "duckdb"},
    partitions_def=weekly_partitions,
    backfill_policy=weekly_backfill,
    pool=DUCKDB_POOL,
    description="Marts for BI: Parquet files and a read-only DuckDB copy, swapped in atomically.",
)
def published_marts(
    context: dg.AssetExecutionContext, settings: PipelineSettings
) -> dg.MaterializeResult:
    # Dagster runs this only after every blocking check passed: the build is validated.
    mark_validated(settings.warehouse(), context.run_id)
    published = publish_marts(settings.warehouse(), settings.published(), MART_MODELS)
    rebuilt = rebuilt_weeks(context, published.path)
    for week in rebuilt:
        context.log_event(
            dg.AssetMaterialization(
                context.asset_key, partition=week, metadata={"version": published.version}
            )
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "version": published.version,
            "weeks_rebuilt": len(rebuilt) + len(context.partition_keys),
            **{f"rows_{t}": n for t, n in published.rows.items()},
        }
    )


def rebuilt_weeks(context: dg.AssetExecutionContext, published: Path) -> list[str]:
    """The published weeks this run rebuilt beyond its own partitions: every week after a full
    build, the lookback after an incremental one (the run's scope). Each is logged as a
    materialization of its partition, so the UI shows every week BI can read as materialized.
    Only this asset gets them: one event per week and asset costs about 10 ms in SQLite run
    storage, and 44 assets over ten years would add minutes to a full build (docs/operations.md)."""
    scope = recorded_scope(context)
    if scope is None:
        return []
    weeks = {w.isoformat() for w in published_weeks(published, scope.rebuild_since)}
    weeks &= set(weekly_partitions.get_partition_keys())
    return sorted(weeks - set(context.partition_keys))
