"""`sectorpulse`: run the Dagster assets in-process, without a Dagster UI."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import dagster as dg
import typer

from ingestion.paths import duckdb_path, published_dir
from orchestration.partitions import week_key
from orchestration.resources import PipelineSettings
from publishing.brief import load_brief_row, render_markdown
from publishing.publish import PUBLISHED_DB

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

Source = Annotated[
    str,
    typer.Option(help="sample (bundled snapshot), live (akshare), or a snapshot directory"),
]
Week = Annotated[
    str | None, typer.Option(help="any date in the week, YYYY-MM-DD (default: latest week)")
]
Industry = Annotated[str, typer.Option(envvar="INDUSTRY", help="SW L1 index code for the brief")]


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME set (as `make` does), CLI runs show up in the Dagster UI.
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


@dataclass(frozen=True)
class StepTime:
    step: str
    seconds: float
    ok: bool


@dataclass(frozen=True)
class RunReport:
    success: bool
    partition_key: str
    steps: list[StepTime]
    checks: list[dg.AssetCheckEvaluation]  # every check's outcome and metadata, in order


def run_week(
    settings: PipelineSettings, week: date | None, full_refresh: bool = False, briefs: bool = True
) -> RunReport:
    """Materialise every asset for one weekly partition (briefs=False: all but the briefs)."""
    from ingestion.http import reset_run_net
    from orchestration.assets import FULL_REFRESH_TAG, prepare_dbt_manifest
    from orchestration.briefs import weekly_briefs
    from orchestration.definitions import build_definitions

    reset_run_net()  # live request budgets and counts are per run, as in a run's own process
    prepare_dbt_manifest()
    day = week or settings.fetcher().window().as_of
    key = week_key(day)
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def("weekly_sector_job")
    selection = None
    if not briefs:
        selection = [k for k in definitions.resolve_all_asset_keys() if k != weekly_briefs.key]
    with _instance() as instance:
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            asset_selection=selection,
            tags={FULL_REFRESH_TAG: "true"} if full_refresh else None,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        steps = step_times(instance, result.run_id)
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    report = RunReport(result.success, key, steps, checks)
    print_steps(report)
    if not result.success:
        failed = [
            c.asset_check_key.name
            for c in checks
            if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
        ]
        typer.secho(
            f"run failed for week {key}; failed checks: {', '.join(failed) or 'none'}",
            fg="red",
            err=True,
        )
    return report


def step_times(instance: dg.DagsterInstance, run_id: str) -> list[StepTime]:
    """Seconds per step from the run's event log, slowest first."""
    started: dict[str, float] = {}
    steps = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = entry.timestamp - started.get(event.step_key, entry.timestamp)
            steps.append(
                StepTime(event.step_key, seconds, event.event_type_value == "STEP_SUCCESS")
            )
    return sorted(steps, key=lambda s: s.seconds, reverse=True)


def print_steps(report: RunReport) -> None:
    """Seconds per step, slowest first, so a slow stage is visible without the UI."""
    for step in report.steps:
        typer.secho(
            f"{step.seconds:7.1f}s  {'ok' if step.ok else 'FAILED':6}  {step.step}",
            err=True,
            fg=None if step.ok else "red",
        )


@app.command()
def run(
    source: Source = "sample",
    week: Week = None,
    industry: Industry = "801750",
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild and validate every row, not only the recent weeks")
    ] = False,
) -> None:
    """Ingest, validate, transform and publish one week, then print one industry's brief."""
    settings = PipelineSettings(source=source)
    week_day = date.fromisoformat(week) if week else None
    typer.secho(f"sectorpulse: source={source} warehouse={duckdb_path()}", fg="cyan", err=True)
    report = run_week(settings, week_day, full_refresh)
    if not report.success:
        raise typer.Exit(1)
    brief(week=report.partition_key, industry=industry)


@app.command()
def brief(week: Week = None, industry: Industry = "801750") -> None:
    """Print an industry's brief from the published marts."""
    db = Path(published_dir()) / PUBLISHED_DB
    row = load_brief_row(
        db, industry, date.fromisoformat(week_key(date.fromisoformat(week))) if week else None
    )
    sys.stdout.write(render_markdown(row))


@app.command()
def publish(week: Week = None) -> None:
    """After `run`: dbt docs, the data dictionary and the week's briefs, for BI and readers."""
    from publishing.brief import load_week
    from publishing.dictionary import generate_dbt_docs, write_dictionary
    from publishing.publish import published_tables
    from publishing.site import gx_docs_index, site_dir, write_week

    settings = PipelineSettings()
    warehouse, published = settings.warehouse(), settings.published()
    if not warehouse.exists():
        typer.secho(f"no warehouse at {warehouse}: run `sectorpulse run` first", fg="red", err=True)
        raise typer.Exit(1)
    site = site_dir(published)
    docs = generate_dbt_docs(warehouse, site)
    dictionary = write_dictionary(docs, site, published_tables(published))
    week_start = date.fromisoformat(week_key(date.fromisoformat(week))) if week else None
    written = write_week(load_week(warehouse, week_start), site, gx_docs_index(settings.gx()))
    for label, path in (
        ("published marts", published / PUBLISHED_DB),
        ("dbt docs", docs.static_html),
        ("data dictionary", dictionary),
        ("GX Data Docs", gx_docs_index(settings.gx())),
        (
            f"briefs ({written.briefs}, {written.flagged_figures} flagged figures)",
            written.folder / "index.html",
        ),
    ):
        typer.echo(f"{label}: {path}")


@app.command()
def record(
    week: Week = None,
    start: Annotated[
        str | None, typer.Option(help="backfill a range from this day, YYYY-MM-DD")
    ] = None,
    end: Annotated[str | None, typer.Option(help="last day of the range (default: today)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="snapshot to record into (default: $SECTORPULSE_STORE)")
    ] = None,
    industries: Annotated[
        str,
        typer.Option(
            envvar="SECTORPULSE_INDUSTRIES", help="SW L1 codes whose stocks to follow, or all"
        ),
    ] = "all",
    dataset: Annotated[
        list[str] | None, typer.Option(help="only this dataset and what it reads (repeatable)")
    ] = None,
    budget: Annotated[
        list[str] | None, typer.Option(help="requests per run for a host group, e.g. sw=50")
    ] = None,
) -> None:
    """Record live akshare calls into a snapshot; a rerun fetches only what is missing."""
    from ingestion.backfill import record_live

    report = record_live(
        out=out,
        week=date.fromisoformat(week) if week else None,
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
        industries=industries,
        datasets=dataset,
        budgets={k: int(v) for k, v in (b.split("=", 1) for b in budget or [])},
    )
    typer.echo(report.summary())
    if not report.complete:
        raise typer.Exit(1)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="snapshot directory to (re)write")],
    stocks: Annotated[int, typer.Option(help="number of stocks")] = 200,
    years: Annotated[int, typer.Option(help="years of history, ending on --end")] = 2,
    seed: Annotated[
        int, typer.Option(help="random seed; the output depends only on the options")
    ] = 7,
    end: Annotated[str, typer.Option(help="last day of the market, YYYY-MM-DD")] = "2025-01-24",
    as_of: Annotated[
        str | None, typer.Option(help="snapshot as of this day (default: --end)")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="first day of the window, e.g. a week's Monday for a delta")
    ] = None,
    parquet: Annotated[
        Path | None, typer.Option(help="also write the whole window as raw Parquet here")
    ] = None,
    workers: Annotated[int, typer.Option(help="processes writing stock entries")] = 1,
) -> None:
    """Write a deterministic synthetic snapshot (docs/scale.md); replay it with `run --source`."""
    from ingestion.synth import MarketSpec, generate

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    spec = MarketSpec(stocks, years, seed, date.fromisoformat(end))
    window = generate(spec, out, day(as_of), day(since), parquet, workers)
    typer.echo(f"wrote {out}: synthetic, {stocks} stocks, {window.stock_start}..{window.as_of}")


if __name__ == "__main__":
    app()
