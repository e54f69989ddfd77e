"""Pin the Dagster definitions: assets, checks, partitions, schedules and pools.

A refactor that drops an asset or a check fails here, loudly.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from ingestion.specs import SPECS
from orchestration.assets import MART_MODELS
from orchestration.definitions import build_definitions, defs
from orchestration.partitions import week_key, weekly_partitions
from quality import MODEL_SUITES


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions()


@pytest.fixture(scope="module")
def asset_graph(definitions):
    return definitions.resolve_asset_graph()


def test_one_asset_per_raw_dataset(asset_graph):
    raw = {
        k.path[1]
        for k in asset_graph.get_all_asset_keys()
        if k.path[0] == "raw" and asset_graph.get(k).is_materializable
    }
    assert set(SPECS) <= raw


def test_dbt_models_and_marts_are_assets_downstream_of_raw(asset_graph):
    keys = {k.to_user_string() for k in asset_graph.get_all_asset_keys()}
    assert {f"marts/{m}" for m in MART_MODELS} <= keys
    assert "published/marts" in keys
    assert "staging/stg_akshare__sw_index_bars" in keys
    upstream = asset_graph.get(dg.AssetKey(["staging", "stg_akshare__sw_index_bars"])).parent_keys
    assert dg.AssetKey(["raw", "sw_index_daily"]) in upstream


def test_every_suite_and_dbt_test_is_an_asset_check(asset_graph):
    checks = {c.name for c in asset_graph.asset_check_keys}
    assert {f"gx_raw_{d}" for d in SPECS} <= checks
    assert {f"gx_{m}" for m in MODEL_SUITES} <= checks
    dbt_tests = [c for c in checks if not c.startswith("gx_")]
    assert len(dbt_tests) > 100, "dbt data tests should surface as asset checks"


def test_every_dbt_test_check_says_what_it_protects(asset_graph):
    # dagster-dbt takes a check's description from the dbt test's meta.description (config: {meta:
    # {description: ...}} in the dbt YAML); without it the UI shows "No description".
    dbt_checks = [k for k in asset_graph.asset_check_keys if not k.name.startswith("gx_")]
    undescribed = [
        k.to_user_string() for k in dbt_checks if not asset_graph.get_check_spec(k).description
    ]
    assert dbt_checks and not undescribed


def test_gx_checks_are_blocking(definitions):
    for checks_def in definitions.asset_checks or []:
        for spec in checks_def.check_specs:
            assert spec.blocking, spec.key
    for asset in definitions.assets:
        if isinstance(asset, dg.AssetsDefinition) and asset.keys_by_output_name:
            for spec in asset.check_specs:
                if spec.name.startswith("gx_raw_"):
                    assert spec.blocking, spec.key


def test_every_warehouse_step_runs_in_the_duckdb_pool(definitions):
    for asset in definitions.assets:
        assert asset.op.pool == "duckdb", asset.keys
    for checks_def in definitions.asset_checks or []:
        assert checks_def.op.pool == "duckdb"


def test_weekly_partitions_are_shanghai_calendar_weeks():
    assert weekly_partitions.timezone == "Asia/Shanghai"
    assert week_key(datetime(2024, 10, 11).date()) == "2024-10-07"
    friday_evening = datetime(2025, 1, 24, 18, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (
        weekly_partitions.get_partition_key_for_timestamp(friday_evening.timestamp())
        == "2025-01-20"
    )


def test_schedules(definitions):
    weekly = definitions.resolve_schedule_def("weekly_friday_1800")
    assert (weekly.cron_schedule, weekly.execution_timezone) == ("0 18 * * 5", "Asia/Shanghai")
    monthly = definitions.resolve_schedule_def("monthly_miit_25th_0900")
    assert monthly.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 1, 24, 18, tzinfo=ZoneInfo("Asia/Shanghai")),
        repository_def=definitions.get_repository_def(),
        resources={"settings": definitions.resources["settings"]},
    )
    request = weekly.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2025-01-20"


def test_the_failure_alert_is_registered(definitions):
    sensor = definitions.resolve_sensor_def("alert_on_run_failure")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_lazy_definitions_load():
    assert isinstance(defs(), dg.Definitions)


def test_import_opens_no_duckdb_connection():
    code = (
        "import duckdb\n"
        "def refuse(*a, **k): raise SystemExit('DuckDB connection opened at import')\n"
        "duckdb.connect = refuse\n"
        "import orchestration.definitions as d\n"
        "d.defs()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_dagster_definitions_validate():
    dagster = f"{sys.prefix}/bin/dagster"
    result = subprocess.run(
        [dagster, "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout
