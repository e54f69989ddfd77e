"""`sectorpulse`: run the Dagster assets in-process, without a Dagster UI.

Arguments are checked before anything runs. Dagster, dbt, GX, pandas and matplotlib are imported
inside the commands, so `--help` and a bad argument answer at once.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from orchestration.sources import UsageProblem, check_week, parse_day, source_range
from orchestration.weeks import week_key

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.resources import PipelineSettings

# Exit codes: distinct per kind of outcome, so a scheduler or a script can tell them apart.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a named check rejected the data; nothing unvalidated was published
EXIT_USAGE = 2  # bad arguments (as typer's own usage errors)
EXIT_FAILED = 3  # a step failed for another reason (unreadable file, network, a bug)
EXIT_LOCKED = 4  # another run held the warehouse for longer than --wait
EXIT_UNVALIDATED = 5  # publish refused: the warehouse's last build did not pass its checks

EXIT_CODES_HELP = """Exit codes:

\b
  0  ok
  1  a check failed (bad data); published data unchanged
  2  bad arguments
  3  a step failed for another reason (unreadable file, network, a bug)
  4  the warehouse is locked by another run (see --wait)
  5  refused: the warehouse's last build was not validated (publish)
"""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=__doc__.split("\n", 1)[0] + "\n\n" + EXIT_CODES_HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


Source = Annotated[
    str,
    typer.Option(help="sample (bundled snapshot), live (akshare), or a snapshot directory"),
]
Week = Annotated[
    str | None, typer.Option(help="any date in the week, YYYY-MM-DD (default: latest week)")
]
Industry = Annotated[
    str,
    typer.Option(envvar="INDUSTRY", help="SW L1 industry of the brief: code (801750) or name"),
]
Wait = Annotated[
    float,
    typer.Option(
        help="seconds to wait for another run holding the warehouse (0: refuse at once)",
        min=0,
    ),
]
DEFAULT_WAIT = 300.0


@dataclass
class _Options:
    debug: bool = False


_options = _Options()


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="SECTORPULSE_DEBUG", help="show tracebacks of errors"),
    ] = False,
) -> None:
    _options.debug = debug


def _error(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)


def _one_line(text: str, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Errors end as one line and a distinct exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from orchestration.build_state import UnvalidatedWarehouse
        from orchestration.run_lock import WarehouseLocked

        try:
            return func(*args, **kwargs)
        except UsageProblem as exc:
            _error(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        except WarehouseLocked as exc:
            _error(str(exc))
            raise typer.Exit(EXIT_LOCKED) from None
        except UnvalidatedWarehouse as exc:
            _error(f"refused: {exc}")
            raise typer.Exit(EXIT_UNVALIDATED) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _options.debug or type(exc).__module__.startswith("click"):
                raise
            _error(
                f"{type(exc).__name__}: {_one_line(str(exc))} (rerun with --debug for the traceback)"
            )
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]


# -- checking arguments, cheaply -------------------------------------------------------------------


def resolve_industry(value: str) -> str:
    """The SW L1 index code of a code or a name (`801750` or `计算机`)."""
    from ingestion.industries import SW_L1_INDUSTRIES

    text = value.strip()
    if text in SW_L1_INDUSTRIES:
        return text
    by_name = {name: code for code, name in SW_L1_INDUSTRIES.items()}
    if text in by_name:
        return by_name[text]
    valid = ", ".join(f"{code} {name}" for code, name in sorted(SW_L1_INDUSTRIES.items()))
    raise UsageProblem(f"--industry {value!r} is not an SW L1 industry; use one of: {valid}")


def _week_start(week: str | None) -> date | None:
    return date.fromisoformat(week_key(parse_day("--week", week))) if week else None


@contextmanager
def warehouse_lock(warehouse: Path, wait: float, command: str) -> Iterator[None]:
    """One run at a time on a warehouse (orchestration.run_lock): wait, or refuse with code 4."""
    from orchestration.run_lock import hold

    def waiting(message: str) -> None:
        typer.secho(message + " ...", fg="yellow", err=True)

    with hold(warehouse, wait, on_wait=waiting, command=f"sectorpulse {command}"):
        wait_for_dagster_runs(warehouse, wait, waiting)
        yield


def wait_for_dagster_runs(warehouse: Path, wait: float, waiting: Callable[[str], None]) -> None:
    """Runs launched from the UI or the daemon use the same warehouse without the file lock:
    wait until none with its tag is in progress in the project's instance (run_lock.WAREHOUSE_TAG).

    Called with the file lock held, so a CLI run still marked in progress is one whose process
    died (kill -9): it is marked failed, so the UI tells the truth, its pool slots are freed, and
    it is not waited for.
    """
    import time

    import dagster as dg

    from orchestration.run_lock import WarehouseLocked, warehouse_tag
    from orchestration.scope import ENTRY_TAG

    busy = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    deadline = time.monotonic() + wait
    said = False
    with project_instance() as instance:
        while True:
            records = instance.get_run_records(
                dg.RunsFilter(tags=warehouse_tag(warehouse), statuses=busy)
            )
            runs = [r.dagster_run for r in records]
            for dead in (r for r in runs if r.tags.get(ENTRY_TAG) == "cli"):
                instance.report_run_failed(
                    dead, "its sectorpulse process ended without finishing the run (killed?)"
                )
                # and the `duckdb` pool slot its step held, or every later run would wait for it
                instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
            runs = [r for r in runs if r.tags.get(ENTRY_TAG) != "cli"]
            if not runs:
                return
            holder = f"Dagster run {runs[0].run_id} on {warehouse}"
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{holder} is in progress; gave up after {wait:.0f}s: let it finish and "
                    "rerun, or pass a longer --wait"
                )
            if not said:
                waiting(f"waiting up to {wait:.0f}s for {holder}")
                said = True
            time.sleep(2)


# -- running the job ---------------------------------------------------------------------------------


def dagster_home() -> Path:
    """The project's Dagster instance, the one `make dev` shows: $DAGSTER_HOME, else
    data/dagster_home, set up from orchestration/dagster.yaml on first use (as `make` does)."""
    import shutil

    from ingestion.settings import settings

    home = settings().dagster_home
    config = home / "dagster.yaml"
    if not config.exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(__file__).with_name("dagster.yaml"), config)
    return home


# The run's output goes to the terminal, not into compute-log files: the CLI shows its progress.
_TERMINAL_OUTPUT = {
    "compute_logs": {
        "module": "dagster._core.storage.noop_compute_log_manager",
        "class": "NoOpComputeLogManager",
    }
}


def project_instance() -> dg.DagsterInstance:
    """Every CLI run is a run of the project's instance (its runs, events and schedules), so it
    shows in the Dagster UI."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef  # overrides are not in the public API

    ref = InstanceRef.from_dir(str(dagster_home()), overrides=_TERMINAL_OUTPUT)
    return dg.DagsterInstance.from_ref(ref)


@dataclass(frozen=True)
class StepTime:
    step: str
    seconds: float
    ok: bool


@dataclass(frozen=True)
class StepError:
    """A step that failed, and the error it raised (one line, Dagster's wrapper removed)."""

    step: str
    error: str


@dataclass(frozen=True)
class RunReport:
    success: bool
    partition_key: str
    steps: list[StepTime]
    checks: list[dg.AssetCheckEvaluation]  # every check's outcome and metadata, in order
    errors: list[StepError] = field(default_factory=list)
    run_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # the run's tags in the instance

    @property
    def failed_checks(self) -> list[dg.AssetCheckEvaluation]:
        return [c for c in self.checks if not c.passed and c.severity.value == "ERROR"]

    @property
    def exit_code(self) -> int:
        if self.success:
            return EXIT_OK
        return EXIT_CHECK_FAILED if self.failed_checks else EXIT_FAILED


def run_week(
    settings: PipelineSettings,
    week: date | None,
    full_refresh: bool = False,
    briefs: bool = True,
    gx_dir: Path | None = None,
    first_week: date | None = None,
) -> RunReport:
    """Materialise every asset for one weekly partition, or for the partition range from
    `first_week` to `week` in one run (briefs=False: all but the briefs)."""
    from orchestration.assets import FULL_REFRESH_TAG, prepare_dbt_manifest
    from orchestration.briefs import weekly_briefs
    from orchestration.definitions import build_definitions
    from orchestration.run_lock import warehouse_tag
    from orchestration.scope import launch_tags, partition_range_tags

    prepare_dbt_manifest()
    day = week or source_range(settings.resolved_source()).last
    key = week_key(day)
    first = week_key(first_week) if first_week else key
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def("weekly_sector_job")
    selection = None
    if not briefs:
        selection = [k for k in definitions.resolve_all_asset_keys() if k != weekly_briefs.key]
    with project_instance() as instance:
        result = job.execute_in_process(
            partition_key=key if first == key else None,
            instance=instance,
            raise_on_error=False,
            asset_selection=selection,
            tags={
                **warehouse_tag(settings.warehouse()),
                **({FULL_REFRESH_TAG: "true"} if full_refresh else {}),
                **({} if first == key else partition_range_tags(first, key)),
                **launch_tags(settings.resolved_source(), "cli"),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        steps = step_times(instance, result.run_id)
        tags = dict(instance.get_run_by_id(result.run_id).tags)
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    report = RunReport(
        result.success, key, steps, checks, step_errors(result.all_events), result.run_id, tags
    )
    print_steps(report)
    if not report.success:
        print_failure(report, settings.gx())
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


# -- saying what failed and where ----------------------------------------------------------------

# Dagster wraps an exception raised in a step in these; the user's error is their cause.
_WRAPPERS = {
    "DagsterExecutionStepExecutionError",
    "DagsterUserCodeExecutionError",
    "DagsterResourceFunctionError",
}
PUBLISH_STEP = "published__marts"  # the step of the published marts asset
_EXAMPLES = 3  # example rows (or failure lines) shown per failed check


def describe_error(info: Any) -> str:
    """One line from a SerializableErrorInfo: the user's exception, not Dagster's wrapper."""
    while info.cause is not None and (
        info.cls_name in _WRAPPERS or info.message.startswith("Error occurred while executing")
    ):
        info = info.cause
    message = info.message.strip()
    # SerializableErrorInfo.message is "module.Class: text"; show "Class: text".
    prefix, sep, rest = message.partition(": ")
    if sep and "." in prefix and " " not in prefix:
        message = f"{prefix.rsplit('.', 1)[1]}: {rest}"
    if info.cls_name == "Failure" and message.startswith("Failure: "):
        message = message.removeprefix("Failure: ")  # our own dg.Failure: its text says it all
    return _one_line(message)


# A run can fail outside any step too: a resource that cannot start (a bad setting), the job.
FAILURE_EVENTS = ("STEP_FAILURE", "RESOURCE_INIT_FAILURE", "RUN_FAILURE")


def step_errors(events: list[Any]) -> list[StepError]:
    errors: list[StepError] = []
    for event in events:
        if event.event_type_value not in FAILURE_EVENTS:
            continue
        info = getattr(event.event_specific_data, "error", None)
        if info is None and event.event_type_value == "RUN_FAILURE":
            continue  # "steps failed": the steps' own errors say why
        error = StepError(event.step_key or "run", describe_error(info) if info else "failed")
        if error not in errors:
            errors.append(error)
    return errors


def _values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def _fmt(value: Any) -> str:
    from quality.result import fmt_value

    return fmt_value(value)


def failure_lines(meta: Mapping[str, Any]) -> list[str]:
    """What a failed check's metadata says went wrong, at most 3 lines, most specific first.

    Reads `failure_details` (SuiteResult.as_metadata(): per failed expectation its `summary`
    line and example rows), else the `failures` text (or the one line of an InputRejected) with
    its `examples`, else `error` or `summary`; any other check (a dbt test) shows its values.
    """
    details = meta.get("failure_details")
    if isinstance(details, list) and details and all(isinstance(d, Mapping) for d in details):
        lines = []
        for detail in details[:_EXAMPLES]:
            text = str(detail.get("summary") or detail.get("expectation") or "failed")
            examples = list(detail.get("examples") or [])[:_EXAMPLES]
            if examples:  # the structured rows replace the line's own (up to 5) examples
                text = text.split(", e.g. ")[0] + ", e.g. " + "; ".join(_fmt(e) for e in examples)
            lines.append(text)
        return [_one_line(line) for line in lines]
    lines: list[str] = []
    text = meta.get("failures")
    if isinstance(text, str) and text.strip():
        lines = [ln.strip().removeprefix("- ") for ln in text.splitlines() if ln.strip()]
        lines = lines[:_EXAMPLES]
    elif meta.get("error"):
        lines = [f"error: {meta['error']}"]
    elif meta.get("summary"):
        lines = [str(meta["summary"])]
    examples = meta.get("examples")
    if isinstance(examples, list) and examples:
        lines += [f"e.g. {_fmt(e)}" for e in examples[:_EXAMPLES]]
    if not lines:
        values = (f"{k}={v}" for k, v in meta.items() if isinstance(v, (str, int, float)))
        lines = [", ".join(values)]
    return [_one_line(line) for line in lines if line]


def data_docs_page(meta: Mapping[str, Any], gx_dir: Path) -> Path | None:
    """The GX Data Docs page of the check's suite (quality.data_docs.publish_suite_docs), or the
    landing page when the suite has none of its own; None for checks that are not GX suites."""
    from publishing.site import gx_docs_index

    suite = meta.get("suite")
    if not isinstance(suite, str) or not suite:
        return None
    index = gx_docs_index(gx_dir)
    page = index.parent / suite / "index.html"
    return page if page.is_file() else index


def print_failure(report: RunReport, gx_dir: Path) -> None:
    """Per failed check: name, dataset or model, what failed with examples, and the Data Docs
    page; then each failed step no check explains, with its error."""
    from orchestration.assets import GX_CHECK_PREFIX

    failed = report.failed_checks
    for check in failed:
        key = check.asset_check_key
        meta = _values(check.metadata)
        typer.secho(f"FAILED {key.name} on {key.asset_key.to_user_string()}", fg="red", err=True)
        for line in failure_lines(meta):
            typer.secho(f"  {line}", err=True)
        page = data_docs_page(meta, gx_dir)
        if page is not None:
            typer.secho(f"  Data Docs: {page}", err=True)
        elif not key.name.startswith(GX_CHECK_PREFIX):
            typer.secho(
                "  dbt test: see dbt_project/target/run/run_results.json for the failing rows",
                err=True,
            )
    explained = {c.asset_check_key.asset_key.to_python_identifier() for c in failed}
    unexplained = [e for e in report.errors if e.step not in explained]
    for error in unexplained:
        typer.secho(f"FAILED step {error.step}: {error.error}", fg="red", err=True)
    if failed:
        names = ", ".join(c.asset_check_key.name for c in failed)
        summary = f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {names}"
    elif unexplained:
        summary = "step " + ", ".join(e.step for e in unexplained) + " failed"
    else:
        summary = "the run did not succeed (no check or step reported an error)"
    published = any(s.ok and s.step == PUBLISH_STEP for s in report.steps)
    outcome = (
        "the marts had passed their checks and were published"
        if published
        else "the published marts are unchanged"
    )
    typer.secho(
        f"run failed for week {report.partition_key}: {summary}; {outcome}", fg="red", err=True
    )


# -- commands --------------------------------------------------------------------------------------


@app.command()
@guarded
def run(
    source: Source = "sample",
    week: Week = None,
    industry: Industry = "801750",
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild and validate every row, not only the recent weeks")
    ] = False,
    wait: Wait = DEFAULT_WAIT,
) -> None:
    """Ingest, validate, transform and publish one week, then print one industry's brief."""
    from ingestion.paths import duckdb_path

    code = resolve_industry(industry)
    available = source_range(source)
    week_day = check_week(week, available) if week else None
    warehouse = duckdb_path()
    typer.secho(f"sectorpulse: source={source} warehouse={warehouse}", fg="cyan", err=True)
    with warehouse_lock(warehouse, wait, "run"):
        from orchestration.resources import PipelineSettings

        report = run_week(PipelineSettings(source=source), week_day, full_refresh)
    if not report.success:
        raise typer.Exit(report.exit_code)
    brief(week=report.partition_key, industry=code)


@app.command()
@guarded
def backfill(
    first: Annotated[str, typer.Option("--from", help="any date in the first week, YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="any date in the last week, YYYY-MM-DD")],
    source: Source = "sample",
    wait: Wait = DEFAULT_WAIT,
) -> None:
    """Recompute the weeks from --from to --to in one run (one Dagster run per range): raw as of
    the last week, dbt rebuilds from the first (minus the lookback), then publish and briefs."""
    from ingestion.paths import duckdb_path

    available = source_range(source)
    first_day, last_day = check_week(first, available), check_week(last, available)
    if week_key(first_day) > week_key(last_day):
        raise UsageProblem(f"--from {first} is after --to {last}; give the earlier week first")
    warehouse = duckdb_path()
    typer.secho(f"sectorpulse: source={source} warehouse={warehouse}", fg="cyan", err=True)
    with warehouse_lock(warehouse, wait, "backfill"):
        from orchestration.resources import PipelineSettings

        report = run_week(PipelineSettings(source=source), last_day, first_week=first_day)
    if not report.success:
        raise typer.Exit(report.exit_code)
    from orchestration.scope import WEEKS_TAG

    typer.secho(f"backfilled weeks {report.tags.get(WEEKS_TAG)}", fg="green", err=True)


@app.command()
@guarded
def brief(week: Week = None, industry: Industry = "801750") -> None:
    """Print an industry's brief from the published marts."""
    code = resolve_industry(industry)
    week_start = _week_start(week)
    from ingestion.paths import published_dir
    from publishing.brief import text_brief
    from publishing.publish import PUBLISHED_DB

    db = Path(published_dir()) / PUBLISHED_DB
    if not db.exists():
        _error(f"no published marts at {db}: run `sectorpulse run` first")
        raise typer.Exit(EXIT_FAILED)
    sys.stdout.write(text_brief(db, code, week_start))  # with the reconciliation, as on the site


@app.command()
@guarded
def publish(week: Week = None, wait: Wait = DEFAULT_WAIT) -> None:
    """After `run`: dbt docs, the data dictionary and the week's briefs, for BI and readers.

    Refused (exit 5) unless the warehouse's last build passed its blocking checks."""
    week_start = _week_start(week)
    from orchestration.build_state import require_validated
    from orchestration.resources import PipelineSettings

    settings = PipelineSettings()
    warehouse, published = settings.warehouse(), settings.published()
    with warehouse_lock(warehouse, wait, "publish"):
        require_validated(warehouse)
        from publishing.brief import load_week
        from publishing.dictionary import generate_dbt_docs, write_dictionary
        from publishing.publish import PUBLISHED_DB, published_tables
        from publishing.site import gx_docs_index, site_dir, write_week

        site = site_dir(published)
        docs = generate_dbt_docs(warehouse, site)
        dictionary = write_dictionary(docs, site, published_tables(published))
        written = write_week(
            load_week(warehouse, week_start),
            site,
            gx_docs_index(settings.gx()),
            published,
        )
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
@guarded
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
    """Record live akshare calls into a snapshot; a rerun fetches only what is missing.

    Writes only the snapshot, never the warehouse, so it runs beside a pipeline run."""
    days = {
        name: parse_day(f"--{name}", text) if text else None
        for name, text in (("week", week), ("start", start), ("end", end))
    }
    budgets = {}
    for item in budget or []:
        group, sep, count = item.partition("=")
        if not sep or not count.strip().isdigit():
            raise UsageProblem(f"--budget {item!r}: expected GROUP=REQUESTS, e.g. sw=50")
        budgets[group.strip()] = int(count)
    from ingestion.recorder import record_live

    report = record_live(
        out=out,
        week=days["week"],
        start=days["start"],
        end=days["end"],
        industries=industries,
        datasets=dataset,
        budgets=budgets,
    )
    typer.echo(report.summary())
    if not report.complete:
        raise typer.Exit(EXIT_FAILED)


snapshot_app = typer.Typer(
    no_args_is_help=True, help="Snapshots: extend one with your own data.", rich_markup_mode=None
)
app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command("extend")
@guarded
def snapshot_extend(
    source: Annotated[Path, typer.Option("--from", help="the snapshot to extend (not modified)")],
    out: Annotated[Path, typer.Option(help="the new snapshot folder (must not exist)")],
    as_of: Annotated[str, typer.Option("--as-of", help="the new last day, YYYY-MM-DD")],
    add: Annotated[
        list[str], typer.Option(help="DATASET=CSV: the new days' rows of a dataset (repeatable)")
    ],
    provenance: Annotated[
        str, typer.Option(help="label of your rows: real (as akshare returned), derived, synthetic")
    ] = "derived",
) -> None:
    """Copy a snapshot to --out and extend it to --as-of with your CSVs (docs/snapshots.md).

    Writes nothing when a CSV is refused (exit 2)."""
    from ingestion.extend import ExtendError, extend_snapshot, parse_adds

    day = parse_day("--as-of", as_of)
    try:
        report = extend_snapshot(source, out, day, parse_adds(add), provenance)  # type: ignore[arg-type]
    except ExtendError as exc:
        raise UsageProblem(str(exc)) from None
    typer.echo(report.summary())


if __name__ == "__main__":
    app()
