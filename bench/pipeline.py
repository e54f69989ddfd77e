"""The weekly Dagster job at scale, timed by stage: load, GX, dbt, publish.

    python -m bench.pipeline --snapshot DIR --work DIR --week YYYY-MM-DD [--full-refresh]

Runs `weekly_sector_job` in-process for the week, exactly as `sectorpulse run --source DIR` does
(orchestration.cli.run_week), with the warehouse, published files and GX Data Docs under --work.
The briefs step is left out: it draws 31 briefs whatever the market's size, and the pandas
baseline and SQL floor draw none (bench/briefs.py renders and times them on their own). Prints
one JSON object: seconds by stage and by Dagster step, from the run's event log, and what was
loaded. dbt's time per node is read by the caller from the run_results.json the build left
(`dbt_run`), after this process ends.
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


SLOWEST_NODES = 10
NAME_CHARS = 80  # a generic test's name spells out its arguments


def node_name(kind: str, name: str) -> str:
    """A node's name for the report: a data test's without its hash suffix, long ones cut."""
    if kind == "test":
        name = name.rsplit(".", 1)[0]
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def dbt_run(results: Path, warehouse: Path, since: datetime) -> dict | None:
    """What one `dbt build` of a bench pipeline did, from the run_results.json it wrote: nodes
    and execution seconds by type (summed over dbt's threads), dbt's own elapsed time, and the
    slowest nodes. None when the file is another build's (another warehouse, or older than
    `since`, UTC): the dbt target folder is shared by every run of the project."""
    if not results.exists():
        return None
    run = json.loads(results.read_text(encoding="utf-8"))
    dbt_vars = run.get("args", {}).get("vars", {})
    if isinstance(dbt_vars, str):
        dbt_vars = json.loads(dbt_vars or "{}")
    generated = datetime.fromisoformat(run["metadata"]["generated_at"].replace("Z", "+00:00"))
    if dbt_vars.get("warehouse") != str(warehouse.resolve()) or generated < since:
        return None
    nodes: dict[str, int] = {}
    seconds: dict[str, float] = {}
    timed = []
    for result in run["results"]:
        kind, _, name = result["unique_id"].split(".", 2)  # type.project.name
        nodes[kind] = nodes.get(kind, 0) + 1
        seconds[kind] = seconds.get(kind, 0.0) + result["execution_time"]
        timed.append((result["execution_time"], kind, node_name(kind, name)))
    timed.sort(reverse=True)

    def of_kind(kind: str) -> list[tuple[float, str]]:
        return [(sec, name) for sec, k, name in timed if k == kind]

    return {
        "invocation_id": run["metadata"].get("invocation_id", ""),
        "elapsed_seconds": round(run.get("elapsed_time", 0.0), 2),
        "threads": run.get("args", {}).get("threads"),
        "nodes": dict(sorted(nodes.items())),
        "seconds": {k: round(v, 2) for k, v in sorted(seconds.items())},
        "slowest": [
            {"type": kind, "node": name, "seconds": round(sec, 2)}
            for sec, kind, name in timed[:SLOWEST_NODES]
        ],
        "slowest_by_type": {  # the three slowest of each type, for the lever of a miss
            kind: [{"node": n, "seconds": round(sec, 2)} for sec, n in of_kind(kind)[:3]]
            for kind in sorted(nodes)
        },
    }


def dbt_results_path() -> Path:
    """Where the pipeline's dbt step writes run_results.json (orchestration.assets)."""
    return DBT_PROJECT_DIR / DBT_RUN_TARGET / "run_results.json"


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
        "gx_checks": sum(c.asset_check_key.name.startswith("gx_") for c in report.checks),
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
