"""The pipeline's stages at scale, timed: ingest/load, GX, dbt, publish.

    python -m bench.pipeline --snapshot DIR --work DIR [--full-refresh] [--week-start YYYY-MM-DD]

Runs what the weekly Dagster job runs, in its order, in one process: the raw datasets (bulk
replay of the snapshot, each batch validated by its GX raw suite before it is written), `dbt build`
(a subprocess, as dagster-dbt runs it), the GX model suites on the rebuilt batch, and the publish.
Prints one JSON object: seconds and peak RSS per stage. Dagster itself is not in the loop; see
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from bench.measure import peak_rss_mb, reset_peak_rss, run_watched
from ingestion.bulk import load_snapshot
from ingestion.paths import DBT_PROJECT_DIR
from ingestion.snapshot import Snapshot
from orchestration.assets import MART_MODELS
from publishing.publish import publish_marts
from quality import MODEL_SUITES, validate_raw
from quality.batches import batch_since, validate_model_batch


class Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_mb: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        reset_peak_rss()
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        self.rss_mb[name] = max(self.rss_mb.get(name, 0.0), peak_rss_mb())

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


def dbt(args: list[str], work: Path) -> float:
    """Run dbt as dagster-dbt does, in a subprocess; returns its peak RSS (MB)."""
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--quiet",
    ]
    return run_watched(command)[1]


def dbt_node_seconds(work: Path) -> dict[str, float]:
    """dbt's own time by node type (model, test, unit_test, seed) from run_results.json."""
    results = json.loads((work / "target" / "run_results.json").read_text())
    totals: dict[str, float] = {}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        totals[kind] = totals.get(kind, 0.0) + result["execution_time"]
    return {k: round(v, 2) for k, v in sorted(totals.items())}


def run(
    snapshot: Path, work: Path, full_refresh: bool, week_start: date | None, dbt_tests: bool = True
) -> dict:
    """Every stage, as the weekly job runs them. dbt_tests=False builds seeds and models only,
    without dbt's data and unit tests (the smoke test: numbers only)."""
    warehouse = work / "warehouse.duckdb"
    os.environ["SECTORPULSE_DUCKDB"] = str(warehouse)
    stages = Stages()
    failures: list[str] = []

    def validate(dataset, frame) -> bool:
        result = validate_raw(dataset, frame)
        failures.extend(f"raw.{dataset}: {f}" for f in result.failures)
        return result.success

    with stages.stage("load"):
        loads = load_snapshot(warehouse, Snapshot(snapshot), validate=validate)
    # GX is reported on its own: validating, and turning the batch into pandas for it.
    stages.add("gx", sum(x.seconds.get("validate", 0.0) for x in loads))
    stages.seconds["load"] -= stages.seconds["gx"]
    stages.rss_mb["gx"] = stages.rss_mb["load"]

    dbt_rss = 0.0
    with stages.stage("dbt"):
        if full_refresh:  # sources no snapshot holds (e.g. analyst figures) must exist, empty
            dbt_rss = dbt(["run-operation", "create_missing_sources"], work)
        no_tests = [] if dbt_tests else ["--resource-type", "seed", "--resource-type", "model"]
        build = ["build", *no_tests, *(["--full-refresh"] if full_refresh else [])]
        dbt_rss = max(dbt_rss, dbt(build, work))

    since = None if full_refresh or week_start is None else batch_since(week_start)
    with stages.stage("gx_models"), duckdb.connect(str(warehouse), read_only=True) as con:
        for model in MODEL_SUITES:
            result = validate_model_batch(con, model, since)
            failures.extend(f"{model}: {f}" for f in result.failures)
    stages.add("gx", stages.seconds.pop("gx_models"))
    stages.rss_mb["gx"] = max(stages.rss_mb["gx"], stages.rss_mb.pop("gx_models"))

    with stages.stage("publish"):
        publish_marts(warehouse, work / "published", MART_MODELS)

    # The overall peak: the largest stage, or this process during dbt plus the dbt process.
    peak = max(max(stages.rss_mb.values()), stages.rss_mb["dbt"] + dbt_rss)
    return {
        "seconds": {k: round(v, 2) for k, v in stages.seconds.items()},
        "peak_rss_mb": round(peak),
        "rss_mb": {k: round(v) for k, v in stages.rss_mb.items()} | {"dbt_process": round(dbt_rss)},
        "dbt_nodes": dbt_node_seconds(work),
        "loads": [
            {"dataset": x.dataset, "reader": x.reader, "rows": x.rows_in_calls, "batch": x.inserted}
            for x in loads
        ],
        "gx_failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="warehouse, dbt target, published")
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--week-start", type=date.fromisoformat, help="the run's week (Monday)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    result = run(args.snapshot, args.work, args.full_refresh, args.week_start)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
