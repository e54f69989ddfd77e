"""Operating the pipeline with Dagster: schedules, the failure alert, freshness, PostgreSQL storage.

Everything Dagster records goes to ephemeral instances or under tmp_path; the only network is
servers the tests start on 127.0.0.1 (a webhook, a throwaway PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from conftest import free_port
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.definitions.freshness_evaluator import CronFreshnessPolicyEvaluator
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

from orchestration.definitions import build_definitions
from orchestration.sensors import WEBHOOK_ENV, WEBSERVER_ENV, alert_on_run_failure

REPO_ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISHED = dg.AssetKey(["published", "marts"])


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions()  # settings from SECTORPULSE_* at tick time, as in production


def tick(definitions: dg.Definitions, schedule: str, when: datetime) -> dg.ScheduleExecutionData:
    context = dg.build_schedule_context(
        scheduled_execution_time=when,
        repository_def=definitions.get_repository_def(),
        resources={"settings": definitions.resources["settings"]},  # as dagster-daemon gives them
    )
    return definitions.resolve_schedule_def(schedule).evaluate_tick(context)


# -- schedules -------------------------------------------------------------------------------------


def test_schedules_start_stopped_and_say_what_they_do(definitions):
    for name in ("weekly_friday_1800", "monthly_miit_25th_0900"):
        schedule = definitions.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED, name
        assert "Stopped by default" in (schedule.description or ""), name


def test_a_week_the_sample_does_not_hold_is_skipped_with_the_reason(definitions, monkeypatch):
    monkeypatch.setenv("SECTORPULSE_SOURCE", "sample")
    friday = datetime(2026, 12, 4, 18, tzinfo=SHANGHAI)
    result = tick(definitions, "weekly_friday_1800", friday)
    assert not result.run_requests
    assert result.skip_message == (
        "source 'sample' is a fixed snapshot ending 2025-01-24; the week of 2026-12-04 is not "
        "in it: set SECTORPULSE_SOURCE=live (or a newer snapshot directory)"
    )
    monthly = tick(
        definitions, "monthly_miit_25th_0900", datetime(2026, 12, 25, 9, tzinfo=SHANGHAI)
    )
    assert "the week of 2026-12-25 is not in it" in monthly.skip_message

    # The sample's last week runs, keyed by its Monday.
    covered = tick(definitions, "weekly_friday_1800", datetime(2025, 1, 24, 18, tzinfo=SHANGHAI))
    assert [r.partition_key for r in covered.run_requests] == ["2025-01-20"]


def test_a_source_that_is_not_a_snapshot_is_skipped_with_the_cli_message(
    definitions, monkeypatch, tmp_path
):
    monkeypatch.setenv("SECTORPULSE_SOURCE", str(tmp_path / "nowhere"))
    result = tick(definitions, "weekly_friday_1800", datetime(2025, 1, 24, 18, tzinfo=SHANGHAI))
    assert not result.run_requests
    assert f"no snapshot at {tmp_path / 'nowhere'}" in result.skip_message


# -- the failure alert -----------------------------------------------------------------------------


@dg.op
def load_raw_stock_daily() -> None:
    raise ValueError("snapshot data/snap ends on 2025-01-24\nsecond line of the error")


@dg.job
def failing_job() -> None:
    load_raw_stock_daily()


class Webhook(BaseHTTPRequestHandler):
    """Answers its first POST 503 (a blip the sender retries), the others 200."""

    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(503 if len(self.received) == 1 else 200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/sectorpulse", Webhook.received
    server.shutdown()
    server.server_close()


def sensor_tick_after_a_failed_run(instance: dg.DagsterInstance) -> dg.SensorExecutionData:
    """The sensor's first tick sets its cursor; a run fails; the next tick sees the failure, as
    dagster-daemon evaluates it."""
    with dg.build_sensor_context(instance=instance) as context:
        cursor = alert_on_run_failure.evaluate_tick(context).cursor
    failing_job.execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/partition": "2025-01-20"}
    )
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        return alert_on_run_failure.evaluate_tick(context)


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_a_failed_run_posts_one_alert_to_the_webhook(webhook, monkeypatch):
    url, received = webhook
    monkeypatch.setenv(WEBHOOK_ENV, url)
    monkeypatch.setenv(WEBSERVER_ENV, "http://dagster.internal:3000/")
    with dg.DagsterInstance.ephemeral() as instance:
        sensor_tick_after_a_failed_run(instance)
        [run] = instance.get_runs()

    assert len(received) == 2, "the 503 is retried once, then delivered"
    assert received[0] == received[1]
    link = f"http://dagster.internal:3000/runs/{run.run_id}"
    assert received[1] == {
        "text": (
            "sectorpulse: failing_job failed for week 2025-01-20 at step load_raw_stock_daily: "
            f"ValueError: snapshot data/snap ends on 2025-01-24 {link}"
        ),
        "job": "failing_job",
        "run_id": run.run_id,
        "partition": "2025-01-20",
        "step": "load_raw_stock_daily",
        "error": "ValueError: snapshot data/snap ends on 2025-01-24",
        "url": link,
    }


def test_without_a_webhook_the_sensor_sends_nothing(monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.DagsterInstance.ephemeral() as instance:
        result = sensor_tick_after_a_failed_run(instance)
    # Sockets are blocked here: an attempt to POST would have failed the tick.
    assert result.skip_message == f"{WEBHOOK_ENV} is not set: no alert sent"
    assert "does nothing" in alert_on_run_failure.description


# -- freshness -------------------------------------------------------------------------------------


def freshness(node, instance: dg.DagsterInstance, now: datetime) -> FreshnessState:
    """The state dagster-daemon's freshness daemon would record at `now`."""
    with freeze_time(now):
        context = LoadingContextForTest(instance)
        return asyncio.run(CronFreshnessPolicyEvaluator().evaluate_freshness(context, node))


def test_published_marts_are_late_when_friday_has_no_materialization(definitions):
    node = definitions.resolve_asset_graph().get(PUBLISHED)
    assert node.freshness_policy is not None
    friday_run = datetime(2025, 1, 24, 18, 40, tzinfo=SHANGHAI)
    with dg.DagsterInstance.ephemeral() as instance:
        with freeze_time(friday_run):
            instance.report_runless_asset_event(
                dg.AssetMaterialization(PUBLISHED, partition="2025-01-20")
            )
        # Past Friday's 21:00 deadline, the 18:40 publish is fresh ...
        assert freshness(node, instance, datetime(2025, 1, 24, 21, 5, tzinfo=SHANGHAI)) == (
            FreshnessState.PASS
        )
        # ... until the next Friday's deadline passes without a newer one: the data is late.
        assert freshness(node, instance, datetime(2025, 1, 31, 20, 55, tzinfo=SHANGHAI)) == (
            FreshnessState.PASS
        )
        assert freshness(node, instance, datetime(2025, 1, 31, 21, 5, tzinfo=SHANGHAI)) == (
            FreshnessState.FAIL
        )
        # A publish before Friday's close does not hold Friday's data.
        with freeze_time(datetime(2025, 2, 7, 14, tzinfo=SHANGHAI)):
            instance.report_runless_asset_event(dg.AssetMaterialization(PUBLISHED))
        assert freshness(node, instance, datetime(2025, 2, 7, 21, 5, tzinfo=SHANGHAI)) == (
            FreshnessState.FAIL
        )


# -- run, event and schedule storage on PostgreSQL (docs/deploy.md) --------------------------------


def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def storage_block_of_the_deploy_doc() -> str:
    """The dagster.yaml `storage: postgres:` block docs/deploy.md gives, so the test checks the
    block a team copies."""
    doc = (REPO_ROOT / "docs" / "deploy.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL)
    return next(block for block in blocks if block.startswith("storage:\n  postgres:"))


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture
def postgres(tmp_path) -> Iterator[int]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields its port."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    # initdb refuses to run as root: as root, the cluster belongs to the postgres user, in a
    # directory that user can enter (pytest's tmp_path root is private to root).
    as_root = os.geteuid() == 0
    if as_root and (shutil.which("runuser") is None or not user_exists("postgres")):
        pytest.skip("running as root without runuser and a postgres user to start PostgreSQL")
    cluster = Path(tempfile.mkdtemp(prefix="sectorpulse-pg-")) if as_root else tmp_path / "pg"
    cluster.mkdir(exist_ok=True)
    if as_root:
        shutil.chown(cluster, "postgres", "postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    data, port = cluster / "data", free_port()

    def pg(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    try:
        pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "dagster", "--auth=trust")
        pg(
            str(bin_dir / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(cluster / "log"),
            "-o", f"-h 127.0.0.1 -p {port} -k {cluster}",
        )  # fmt: skip
        yield port
    finally:
        if (data / "postmaster.pid").exists():
            pg(str(bin_dir / "pg_ctl"), "stop", "-w", "-m", "immediate", "-D", str(data))
        shutil.rmtree(cluster, ignore_errors=True)


@dg.op
def say_hello() -> str:
    return "hello"


@dg.job
def hello_job() -> None:
    say_hello()


@pytest.mark.e2e
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_an_instance_on_postgres_records_and_reads_a_run(postgres, tmp_path, monkeypatch):
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    for name, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres),
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
        "DAGSTER_PG_DB": "postgres",
    }.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(storage_block_of_the_deploy_doc())

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        run_id = hello_job.execute_in_process(instance=instance).run_id

    # A second instance (another process, in production) reads what the first wrote.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        assert [r.event_log_entry.step_key for r in records.records] == ["say_hello"]
