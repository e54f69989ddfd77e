"""The weekly Dagster job at scale, timed by stage: load, GX, dbt, publish.

    python -m bench.pipeline --snapshot DIR --work DIR --week YYYY-MM-DD [--full-refresh]

Runs `weekly_sector_job` in-process for the week, exactly as `sectorpulse run --source DIR` does
(orchestration.cli.run_week), with the warehouse, published files and GX Data Docs under --work.
The briefs step is left out: it draws 31 briefs whatever the market's size, and the pandas
baseline and SQL floor draw none. Prints one JSON object: seconds by stage, from the run's event
log, and what was loaded.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingestion.paths import DBT_PROJECT_DIR
from orchestration.assets import DBT_RUN_TARGET
from orchestration.cli import RunReport, run_week
from orchestration.resources import PipelineSettings


def stage_of(step: str) -> str:
    """The bench's stage of a job step (its key in the event log)."""
    if "_gx_" in step:  # staging__stg_x_gx_stg_x: a GX model check
        return "gx"
    if step.startswith("raw__"):
        return "load"  # its GX raw check runs inside the step; moved to "gx" below
    if step.startswith("published__"):
        return "publish"
    return "dbt"


def stage_seconds(report: RunReport) -> dict[str, float]:
    seconds = {"load": 0.0, "gx": 0.0, "dbt": 0.0, "publish": 0.0}
    for step in report.steps:
        seconds[stage_of(step.step)] += step.seconds
    raw_gx = sum(
        float(c.metadata["seconds"].value)
        for c in report.checks
        if c.asset_check_key.name.startswith("gx_raw_") and "seconds" in c.metadata
    )
    seconds["load"] -= raw_gx
    seconds["gx"] += raw_gx
    return {k: round(v, 2) for k, v in seconds.items()}


def dbt_node_seconds() -> dict[str, float]:
    """dbt's own time by node type (model, test, seed), summed over its threads."""
    results = json.loads((DBT_PROJECT_DIR / DBT_RUN_TARGET / "run_results.json").read_text())
    totals: dict[str, float] = {}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        totals[kind] = totals.get(kind, 0.0) + result["execution_time"]
    return {k: round(v, 2) for k, v in sorted(totals.items())}


def loads(warehouse: Path, since: datetime) -> list[dict]:
    """Per dataset loaded since `since`: rows its raw table holds, and the batch inserted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT dataset, calls, rows FROM raw._loads WHERE loaded_at >= ? ORDER BY loaded_at",
            [since],
        ).fetchall()
        return [
            {
                "dataset": dataset,
                "calls": calls,
                "batch": batch,
                "rows": con.execute(f"SELECT count(*) FROM raw.{dataset}").fetchall()[0][0],
            }
            for dataset, calls, batch in rows
        ]


def run(snapshot: Path, work: Path, week: date, full_refresh: bool) -> dict:
    settings = PipelineSettings.in_folder(work, str(snapshot))
    started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # as raw._loads has it
    report = run_week(settings, week, full_refresh=full_refresh, briefs=False)
    if not report.success:
        raise SystemExit(f"the weekly job failed for {week}")
    return {
        "seconds": stage_seconds(report),
        "steps": {s.step: round(s.seconds, 2) for s in report.steps},
        "dbt_nodes": dbt_node_seconds(),
        "loads": loads(settings.warehouse(), started),
        "gx_failures": [c.asset_check_key.name for c in report.failed_checks],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="warehouse, published, GX docs")
    parser.add_argument("--week", type=date.fromisoformat, required=True, help="a day in the week")
    parser.add_argument("--full-refresh", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(args.snapshot, args.work, args.week, args.full_refresh)))


if __name__ == "__main__":
    main()
