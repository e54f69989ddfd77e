"""Raw and marts never disagree silently: a corrected bar far outside the incremental lookback
makes the next weekly run rebuild from that bar's week (var rebuild_since), not only the tail."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import requests
from conftest import FIGURES, REPO_ROOT, free_port
from typer.testing import CliRunner

from ingestion.dbt_vars import lookback_weeks
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Snapshot
from ingestion.specs import Call
from orchestration.assets import MART_MODELS
from orchestration.cli import app, project_instance, run_week
from orchestration.resources import PipelineSettings
from orchestration.scope import ENTRY_TAG, SINCE_TAG, SOURCE_TAG, WEEKS_TAG
from publishing.publish import PUBLISHED_DB

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CORRECTED_DAY = date(2024, 6, 14)  # a Friday, 31 weeks before the sample's last week
INDEX = "801750"
JUNE = date(2024, 6, 10)  # the corrected day's week
# The weeks whose rows depend on the corrected close: its own week, the next week (whose return
# starts from it) and the week 4 weeks on (whose 4-week return starts from it).
DEPENDENT_WEEKS = [JUNE, date(2024, 6, 17), date(2024, 7, 8)]


def corrected_snapshot(root: Path) -> Path:
    """The sample with 801750's close on CORRECTED_DAY 2% higher (within every limit)."""
    sample = Path(SAMPLE_SNAPSHOT)
    out = root / "snapshot"
    shutil.copytree(sample, out)  # a snapshot reads only its own files: no symlinks
    call = Call("index_hist_sw", {"symbol": INDEX, "period": "day"})
    frame, entry = Snapshot(sample).read("sw_index_daily", call)
    day = frame["日期"] == CORRECTED_DAY
    frame.loc[day, "收盘"] = (frame.loc[day, "收盘"] * 1.02).round(2)
    frame.loc[day, "最高"] = frame.loc[day, ["最高", "收盘"]].max(axis=1)
    Snapshot(out).write("sw_index_daily", call, frame, entry.provenance, note="test correction")
    return out


def weekly_returns(root: Path) -> pd.Series:
    with duckdb.connect(str(root / "published" / "marts.duckdb"), read_only=True) as con:
        frame = con.execute(
            "SELECT index_code, week_end_date, weekly_return FROM fct_industry_weekly_returns"
        ).df()
    return frame.set_index(["index_code", "week_end_date"])["weekly_return"].sort_index()


def test_a_corrected_old_bar_rebuilds_its_weeks_in_the_next_weekly_run(sample_run, tmp_path):
    sample_run.clone(tmp_path)  # a clean run's warehouse and marts
    before = weekly_returns(tmp_path)

    corrected = corrected_snapshot(tmp_path)
    report = run_week(PipelineSettings.in_folder(tmp_path, str(corrected)), week=None, briefs=False)
    assert report.success
    after = weekly_returns(tmp_path)

    changed = before.index[(before - after).abs() > 1e-12]
    # The corrected week, and the next week whose return starts from that close.
    assert [(code, str(day)[:10]) for code, day in changed] == [
        (INDEX, "2024-06-14"),
        (INDEX, "2024-06-21"),
    ]
    assert (
        after[(INDEX, pd.Timestamp(CORRECTED_DAY))] > before[(INDEX, pd.Timestamp(CORRECTED_DAY))]
    )
    # The GX checks validated the same window dbt rebuilt.
    windows = {
        c.metadata["rows_since"].value
        for c in report.checks
        if c.asset_check_key.name == "gx_fct_industry_weekly_returns"
    }
    assert windows == {"2024-06-10"}


def mart_hashes(published: Path, leave_out: list[date] = ()) -> dict[str, str]:
    """Each published mart's rows, without those of the weeks left out, as one hash."""
    hashes = {}
    with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
        for table in MART_MODELS:
            columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            day = next((c for c in ("week_end_date", "trade_date") if c in columns), None)
            where = (
                f"WHERE date_trunc('week', {day})::DATE NOT IN ({', '.join('?' * len(leave_out))})"
                if day and leave_out
                else ""
            )
            hashes[table] = con.execute(
                f"SELECT md5(string_agg(r::VARCHAR, chr(10) ORDER BY r::VARCHAR)) "
                f"FROM (SELECT {table} AS r FROM {table} {where})",
                list(leave_out) if where else [],
            ).fetchone()[0]
    return hashes


def assert_only_the_dependent_rows_changed(clean: Path, backfilled: Path) -> None:
    """Every mart row outside the dependent weeks is as the clean run's, and of the returns
    only 801750's in those weeks changed."""
    assert mart_hashes(backfilled, DEPENDENT_WEEKS) == mart_hashes(clean, DEPENDENT_WEEKS)
    assert mart_hashes(backfilled) != mart_hashes(clean)  # the correction did reach the marts
    columns = ["weekly_return", "return_4w"]
    before, after = (returns(root, columns) for root in (clean, backfilled))
    changed = (before - after).abs().max(axis=1) > 1e-12
    assert [(code, str(day)[:10]) for code, day in before.index[changed]] == [
        (INDEX, "2024-06-14"),
        (INDEX, "2024-06-21"),
        (INDEX, "2024-07-12"),
    ]


def returns(published: Path, columns: list[str]) -> pd.DataFrame:
    with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
        frame = con.execute(
            f"SELECT index_code, week_end_date, {', '.join(columns)} "
            "FROM fct_industry_weekly_returns"
        ).df()
    return frame.set_index(["index_code", "week_end_date"]).sort_index().fillna(0.0)


def assert_the_run_rebuilt_and_validated_one_window(report_tags, checks, weeks: str) -> str:
    """dbt got the scope (its first week minus the lookback) and GX validated from there."""
    since = (JUNE - timedelta(weeks=lookback_weeks())).isoformat()
    assert report_tags[SINCE_TAG] == since and report_tags[WEEKS_TAG] == weeks
    assert {c.metadata["rows_since"].value for c in checks if "rows_since" in c.metadata} == {since}
    return since


def test_a_backfill_through_the_cli_recomputes_its_weeks_in_one_run(
    sample_run, tmp_path, monkeypatch
):
    """`sectorpulse backfill` of the corrected week changes exactly the rows that depend on it;
    a backfill of the same weeks from the clean sample puts every row back."""
    root = sample_run.clone(tmp_path)
    corrected = corrected_snapshot(tmp_path)
    monkeypatch.setenv("SECTORPULSE_DUCKDB", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("SECTORPULSE_PUBLISHED_DIR", str(root / "published"))
    monkeypatch.setenv("SECTORPULSE_GX_DIR", str(root / "gx"))
    monkeypatch.setenv("SECTORPULSE_PUBLISHED_FIGURES", str(FIGURES))

    def backfill(source: str, last: date) -> tuple[dg.DagsterRun, list, str]:
        """The CLI's backfill of JUNE..last: its run, check evaluations and dbt command."""
        result = CliRunner().invoke(
            app, ["backfill", "--from", str(JUNE), "--to", str(last), "--source", source]
        )
        assert result.exit_code == 0, result.output
        with project_instance() as instance:
            run = instance.get_runs(limit=1)[0]
            return run, check_evaluations(instance, run.run_id), dbt_command(instance, run.run_id)

    run, evaluations, command = backfill(str(corrected), JUNE)
    assert_only_the_dependent_rows_changed(sample_run.root / "published", root / "published")
    since = assert_the_run_rebuilt_and_validated_one_window(
        run.tags, evaluations, f"{JUNE}..{JUNE}"
    )
    assert run.tags[ENTRY_TAG] == "cli" and run.tags[SOURCE_TAG] == str(corrected)
    assert f'"rebuild_since": "{since}"' in command

    next_week = date(2024, 6, 17)
    run, _, _ = backfill("sample", next_week)
    assert mart_hashes(root / "published") == mart_hashes(sample_run.root / "published")
    assert run.tags[WEEKS_TAG] == f"{JUNE}..{next_week}"
    with project_instance() as instance:
        for key in (
            dg.AssetKey(["published", "marts"]),
            dg.AssetKey(["marts", "fct_industry_weekly_returns"]),
        ):
            for partition in (str(JUNE), str(next_week)):
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
                ).records
                assert records and records[0].event_log_entry.run_id == run.run_id


def check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def dbt_command(instance: dg.DagsterInstance, run_id: str) -> str:
    """The dbt command line the run's dbt step logged."""
    messages = [e.user_message for e in instance.all_logs(run_id)]
    return next(m for m in messages if m.startswith("Running dbt command"))


GRAPHQL_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_a_backfill_from_the_ui_recomputes_its_week_in_one_run(sample_run, tmp_path):
    """The UI's path: the webserver's GraphQL API launches an asset backfill of the corrected
    week, dagster-daemon runs it (one run: the backfill policy), and the marts change exactly
    where they depend on that week."""
    root = sample_run.clone(tmp_path / "run")
    corrected = corrected_snapshot(tmp_path)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SECTORPULSE_SOURCE": str(corrected),
        "SECTORPULSE_DUCKDB": str(root / "warehouse.duckdb"),
        "SECTORPULSE_PUBLISHED_DIR": str(root / "published"),
        "SECTORPULSE_GX_DIR": str(root / "gx"),
        "SECTORPULSE_PUBLISHED_FIGURES": str(FIGURES),
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    code = ["-m", "orchestration.definitions"]
    with (
        service(["dagster-webserver", "-h", "127.0.0.1", "-p", str(port), *code], env, tmp_path),
        service(["dagster-daemon", "run", *code], env, tmp_path),
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok, 120)
        params = {
            "partitionNames": [str(JUNE)],
            "assetSelection": [{"path": path} for path in job_asset_paths(url)],
        }
        answer = requests.post(
            url, json={"query": GRAPHQL_BACKFILL, "variables": {"params": params}}, timeout=60
        ).json()
        result = answer["data"]["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", answer
        backfill_id = result["backfillId"]

        wait_for(lambda: backfill_done(instance, backfill_id), 600)
        assert instance.get_backfill(backfill_id).status.value == "COMPLETED_SUCCESS"
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
        run = runs[0]
        evaluations = check_evaluations(instance, run.run_id)
        command = dbt_command(instance, run.run_id)
    assert_only_the_dependent_rows_changed(sample_run.root / "published", root / "published")
    since = assert_the_run_rebuilt_and_validated_one_window(
        run.tags, evaluations, f"{JUNE}..{JUNE}"
    )
    assert run.tags[ENTRY_TAG] == "backfill" and run.tags[SOURCE_TAG] == str(corrected)
    assert f'"rebuild_since": "{since}"' in command


@contextlib.contextmanager
def service(args: list[str], env: dict[str, str], logs: Path) -> Iterator[None]:
    """A Dagster service (webserver or daemon) from the venv, logging to logs/<name>.log."""
    command = [str(Path(sys.executable).parent / args[0]), *args[1:]]
    with open(logs / f"{args[0]}.log", "w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=60)


def job_asset_paths(url: str) -> list[list[str]]:
    """Every asset the UI lists (the weekly job's), but the briefs: they are not what this
    test compares, and rendering 31 of them adds 15 s."""
    query = "{ assetNodes { assetKey { path } } }"
    nodes = requests.post(url, json={"query": query}, timeout=60).json()["data"]["assetNodes"]
    return [n["assetKey"]["path"] for n in nodes if n["assetKey"]["path"][0] != "briefs"]


def backfill_done(instance: dg.DagsterInstance, backfill_id: str) -> bool:
    backfill = instance.get_backfill(backfill_id)
    return backfill is not None and backfill.status.value not in ("REQUESTED", "CANCELING")


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise AssertionError(f"not done within {seconds} s")
