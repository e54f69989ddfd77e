"""Run safety: one run at a time per warehouse, a validated state before anything is published,
dbt ended with a killed run, a killed publish cleaned up; then kill -9 at each stage of a real run
and an immediate rerun (e2e)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import FIGURES

from orchestration.build_state import (
    UnvalidatedWarehouse,
    mark_building,
    mark_validated,
    read_state,
    require_validated,
    state_path,
)
from orchestration.run_lock import WarehouseLocked, hold, is_held_here, lock_path
from publishing.publish import publish_marts, versions_dir

REPO = Path(__file__).resolve().parents[1]
SECTORPULSE = Path(sys.executable).parent / "sectorpulse"


# -- the validated state ------------------------------------------------------------------------


def test_a_build_is_validated_only_by_its_own_run(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"")
    assert read_state(warehouse) is None
    mark_building(warehouse, "run-1", weeks=["2025-01-20"])
    assert read_state(warehouse).status == "building"
    with pytest.raises(UnvalidatedWarehouse, match="run run-1 started rebuilding"):
        require_validated(warehouse)
    with pytest.raises(UnvalidatedWarehouse, match="run run-1"):
        mark_validated(warehouse, "run-2")  # a publish alone never validates another's build
    state = mark_validated(warehouse, "run-1")
    assert state.validated and state.weeks == ["2025-01-20"]
    assert require_validated(warehouse) == read_state(warehouse)
    assert mark_validated(warehouse, "run-3") == state  # nothing rebuilt since: still valid
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb", state_path(warehouse).name]


def test_an_unreadable_state_is_never_taken_for_validated(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"")
    state_path(warehouse).write_text('{"status": "validated"')
    with pytest.raises(UnvalidatedWarehouse, match=r"w.duckdb.state.json is unreadable"):
        require_validated(warehouse)
    legacy = tmp_path / "legacy.duckdb"  # built before states were recorded
    legacy.write_bytes(b"")
    with pytest.raises(UnvalidatedWarehouse, match="no recorded build state"):
        mark_validated(legacy, "run-1")


# -- the run lock -------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.run_lock import hold
    with hold(Path(sys.argv[1]), wait=0, command="sectorpulse run"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
    """
)


def start_holder(warehouse: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_refuses_at_once_naming_the_holder(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = start_holder(warehouse, 30)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as refused, hold(warehouse, wait=0):
            pass
        assert time.monotonic() - started < 1
        message = str(refused.value)
        assert f"sectorpulse run (pid {holder.pid}, started " in message
        assert str(lock_path(warehouse)) in message and "--wait" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_second_run_waits_then_proceeds(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = start_holder(warehouse, 1)
    said = []
    with hold(warehouse, wait=20, on_wait=said.append):
        # The holder had released it: we run after it, not beside it.
        assert holder.stdout.readline().strip() == "released"
        assert json.loads(lock_path(warehouse).read_text())["pid"] == os.getpid()
    holder.wait()
    assert len(said) == 1 and f"(pid {holder.pid}" in said[0] and "holding" in said[0]


def test_a_killed_holder_releases_the_lock(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = start_holder(warehouse, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with hold(warehouse, wait=0):  # the kernel dropped the dead process's flock
        pass


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with hold(warehouse, wait=0):
        with hold(warehouse, wait=0):  # a step of a CLI run that already holds it
            assert is_held_here(warehouse)
        assert is_held_here(warehouse)
    assert not is_held_here(warehouse)


def test_publish_waits_for_the_lock_then_checks_the_state(tmp_path):
    """The CLI end to end: the message while it waits, and exit 4 when it gives up."""
    env = os.environ | {
        "SECTORPULSE_DUCKDB": str(tmp_path / "w.duckdb"),
        "SECTORPULSE_PUBLISHED_DIR": str(tmp_path / "published"),
        "SECTORPULSE_GX_DIR": str(tmp_path / "gx"),
    }
    holder = start_holder(tmp_path / "w.duckdb", 5)  # longer than the CLI takes to start (<1 s)
    waited = subprocess.run(
        [SECTORPULSE, "publish", "--wait", "30"], env=env, capture_output=True, text=True
    )
    assert f"waiting up to 30s for sectorpulse run (pid {holder.pid}" in waited.stderr
    assert waited.returncode == 5 and "no warehouse at" in waited.stderr  # then it went on
    holder.wait()
    holder = start_holder(tmp_path / "w.duckdb", 30)
    try:
        refused = subprocess.run(
            [SECTORPULSE, "publish", "--wait", "0.5"], env=env, capture_output=True, text=True
        )
    finally:
        holder.kill()
        holder.wait()
    assert refused.returncode == 4, refused.stderr
    assert "gave up after" in refused.stderr and "Traceback" not in refused.stderr


# -- dbt ends with its run; a killed publish is cleaned up ------------------------------------

PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    from orchestration.dbt_child import executable
    child = subprocess.Popen([executable(sys.argv[1], Path(sys.argv[2])), "60"])
    print(child.pid, flush=True)
    time.sleep(60)
    """
)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return status != "Z"


def test_dbt_dies_with_the_process_that_started_it(tmp_path):
    fake_dbt = tmp_path / "dbt"
    fake_dbt.write_text('#!/bin/sh\nexec sleep "$1"\n')
    fake_dbt.chmod(0o755)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(fake_dbt), str(tmp_path / "wrapper")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 5
    while b"sleep" not in Path(f"/proc/{child}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the wrapper did not exec dbt"
        time.sleep(0.01)
    parent.send_signal(signal.SIGKILL)  # the parent alone, not its process group
    parent.wait()
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "dbt outlived the run that started it"


def make_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 1 AS x")
    return path


def test_a_killed_publish_leaves_nothing_behind_after_the_next(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "published"
    publish_marts(warehouse, published, ["t"])
    partial = versions_dir(published) / "20250101T000000-abcdef.partial"
    partial.mkdir()
    (partial / "marts.duckdb").write_bytes(b"half")
    (partial / "marts.duckdb").chmod(0o444)
    link = tmp_path / ".published.123abc.link"
    link.symlink_to("nowhere")
    publish_marts(warehouse, published, ["t"])
    assert not partial.exists() and not link.is_symlink()
    assert not list(versions_dir(published).glob("*.partial"))
    assert (published / "t.parquet").exists()


# -- kill -9 at each stage of a real run, then rerun at once (e2e) ---------------------------


def _canonical(value: object) -> tuple:
    """Sortable and stable: floats to 12 significant digits, since DuckDB's parallel sums differ
    in the last bits from run to run (two clean runs do too)."""
    if value is None or value != value:  # NULL, NaN
        return (0, "")
    if isinstance(value, float):
        return (1, f"{value:.12g}")
    return (1, repr(value))


def mart_digests(db: Path) -> dict[str, str]:
    """A hash per mart table, of its rows in order of every column."""
    from orchestration.assets import MART_MODELS

    digests = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in MART_MODELS:
            rows = con.execute(f"SELECT * FROM {table}").fetchall()
            canonical = sorted(tuple(_canonical(v) for v in row) for row in rows)
            digests[table] = hashlib.sha256(repr(canonical).encode()).hexdigest()
    return digests


def data_env(root: Path) -> dict[str, str]:
    return os.environ | {
        "SECTORPULSE_DUCKDB": str(root / "warehouse" / "sectorpulse.duckdb"),
        "SECTORPULSE_PUBLISHED_DIR": str(root / "published"),
        "SECTORPULSE_GX_DIR": str(root / "gx"),
        "SECTORPULSE_PUBLISHED_FIGURES": str(FIGURES),  # as the shared sample run's
        # The data directory's own Dagster instance: the killed runs' records stay in it (the
        # next run marks them failed).
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def start_run(root: Path, log: str, started: list[subprocess.Popen]) -> subprocess.Popen:
    """`sectorpulse run` on the sample, in its own process group (so the group can be killed)."""
    started.append(
        run := subprocess.Popen(
            [SECTORPULSE, "run", "--wait", "60"],
            env=data_env(root),
            cwd=REPO,
            stdout=(root / f"{log}.out").open("w"),
            stderr=(root / f"{log}.err").open("w"),
            start_new_session=True,
        )
    )
    return run


def group_pids(pgid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def dbt_building(pgid: int) -> bool:
    """Whether `dbt build` runs in the process group."""
    for pid in group_pids(pgid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if any(part.endswith(b"dbt") for part in cmdline[:2]) and b"build" in cmdline:
            return True
    return False


def wait_for(run: subprocess.Popen, reached, what: str, timeout: float = 480) -> None:
    deadline = time.monotonic() + timeout
    while not reached():
        assert run.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def kill_group(run: subprocess.Popen) -> None:
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 5
    while group_pids(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_pids(run.pid), "processes of the killed run outlived it"


def holds_lock(run: subprocess.Popen, warehouse: Path):
    lock = lock_path(warehouse)
    return lambda: lock.exists() and f'"pid": {run.pid},' in lock.read_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_kill_at_each_stage_then_rerun_at_once(sample_run, tmp_path):
    """One warehouse, killed during the raw loads, during dbt (the run's pid alone: dbt must end
    with it) and during the publish (the process group); each rerun
    starts at once (waiting on the lock, never failing on DuckDB's), and the last one's marts
    equal a clean run's (the session's shared sample run)."""
    killed = tmp_path / "killed"
    killed.mkdir()
    warehouse = killed / "warehouse" / "sectorpulse.duckdb"
    versions = versions_dir(killed / "published")
    started: list[subprocess.Popen] = []
    try:
        first = start_run(killed, "raw", started)
        wait_for(first, holds_lock(first, warehouse), "the lock")
        # Started while the first holds the lock: it waits, and proceeds once the first is killed.
        second = start_run(killed, "dbt", started)
        wait_for(first, lambda: warehouse.exists() and warehouse.stat().st_size > 0, "raw loads")
        kill_group(first)
        wait_for(second, lambda: dbt_building(second.pid), "dbt")
        time.sleep(4)  # into the build: models are being written
        assert dbt_building(second.pid), "dbt ended too soon to be killed midway"
        # The run's pid alone: dbt, in its process group, must end with it (parent-death signal).
        second.send_signal(signal.SIGKILL)
        second.wait()
        deadline = time.monotonic() + 5
        while dbt_building(second.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not dbt_building(second.pid), "dbt outlived the killed run"
        kill_group(second)
        assert "waiting up to 60s for sectorpulse run (pid" in (killed / "dbt.err").read_text()
        assert not read_state(warehouse).validated

        third = start_run(killed, "publish", started)
        wait_for(third, lambda: versions.is_dir() and any(versions.glob("*.partial")), "publish")
        kill_group(third)
        assert any(versions.glob("*.partial"))
        assert read_state(warehouse).validated  # its checks had passed before the publish

        final = start_run(killed, "final", started)
        assert final.wait(timeout=600) == 0, (killed / "final.err").read_text()[-3000:]
        assert not any(versions.glob("*.partial"))
        assert mart_digests(killed / "published" / "marts.duckdb") == mart_digests(
            sample_run.published_db
        )
        # The instance tells the truth: each killed run was marked failed by the next one.
        with dg.DagsterInstance.from_config(str(killed / "dagster_home")) as instance:
            statuses = [r.status for r in instance.get_runs()]  # newest first
        assert statuses == [dg.DagsterRunStatus.SUCCESS] + [dg.DagsterRunStatus.FAILURE] * 3
    finally:  # a failed assertion leaves no run behind, eating the cores of the next tests
        for run in started:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
