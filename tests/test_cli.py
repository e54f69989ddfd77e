"""`sectorpulse`: arguments checked before anything runs, one-line errors, distinct exit codes,
failures reported with what failed and where, publish refused on an unvalidated warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._utils.error import SerializableErrorInfo
from typer.testing import CliRunner

from orchestration import cli
from orchestration.build_state import mark_building, mark_validated
from orchestration.cli import (
    EXIT_CHECK_FAILED,
    EXIT_FAILED,
    EXIT_UNVALIDATED,
    EXIT_USAGE,
    RunReport,
    StepError,
    app,
)
from quality import result as result_module
from quality.result import SuiteResult

REPO = Path(__file__).resolve().parents[1]
SECTORPULSE = Path(sys.executable).parent / "sectorpulse"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def error_line(result) -> str:
    """The output of a refused command: exactly one line, no traceback."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return lines[0]


# -- arguments -----------------------------------------------------------------------------------


def test_help_documents_the_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    for code in ("0  ok", "1  a check failed", "2  bad arguments", "3  a step failed"):
        assert code in result.output
    assert "4  the warehouse is locked" in result.output and "5  refused" in result.output


def test_an_unknown_industry_lists_the_valid_ones():
    result = invoke("run", "--industry", "999999")
    assert result.exit_code == EXIT_USAGE
    line = error_line(result)
    assert "'999999' is not an SW L1 industry" in line
    assert "801750 计算机" in line and "801010 农林牧渔" in line and line.count("8017") >= 9


def test_an_industry_name_is_accepted():
    assert cli.resolve_industry("计算机") == "801750"
    assert cli.resolve_industry(" 801780 ") == "801780"
    # The name passes; the week after the sample is what is refused.
    result = invoke("run", "--industry", "计算机", "--week", "2025-02-03")
    assert result.exit_code == EXIT_USAGE
    assert "--industry" not in error_line(result)


def test_a_malformed_week_is_one_line():
    result = invoke("run", "--week", "2025-13-01")
    assert result.exit_code == EXIT_USAGE
    assert "--week '2025-13-01' is not a date (month must be in 1..12)" in error_line(result)


@pytest.mark.parametrize(
    ("week", "said"),
    [
        ("2025-02-03", "the week 2025-02-03..2025-02-09 is outside snapshot"),
        ("2023-06-01", "the week 2023-05-29..2023-06-04 is outside snapshot"),
    ],
)
def test_a_week_outside_the_snapshot_names_its_range(week, said):
    result = invoke("run", "--week", week)
    assert result.exit_code == EXIT_USAGE
    line = error_line(result)
    assert said in line and "covers 2024-01-02..2025-01-24" in line


def test_the_snapshots_last_week_is_accepted_even_after_as_of():
    # as_of is Friday 2025-01-24: its week (to Sunday the 26th) is the snapshot's last.
    available = cli.source_range("sample")
    assert cli.check_week("2025-01-26", available).isoformat() == "2025-01-26"
    assert cli.check_week("2024-01-01", available).isoformat() == "2024-01-01"


def test_live_covers_weeks_up_to_today():
    available = cli.source_range("live")
    assert cli.check_week("2019-06-03", available)
    with pytest.raises(cli.UsageProblem, match="outside live"):
        cli.check_week("2100-01-04", available)


def test_a_missing_source_is_one_line():
    result = invoke("run", "--source", "/nonexistent")
    assert result.exit_code == EXIT_USAGE
    assert error_line(result) == (
        "error: no snapshot at /nonexistent: expected snapshot.json; "
        "use sample, live or a snapshot directory"
    )


def test_a_snapshot_with_a_broken_window_is_one_line(tmp_path):
    (tmp_path / "snapshot.json").write_text(
        json.dumps({"format": "sectorpulse-snapshot/1", "window": {"as_of": "soon"}})
    )
    result = invoke("run", "--source", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert "snapshot.json: invalid window" in error_line(result)


def test_record_checks_its_dates_and_budgets():
    result = invoke("record", "--start", "2025-02-30")
    assert result.exit_code == EXIT_USAGE
    assert "--start '2025-02-30' is not a date" in error_line(result)
    result = invoke("record", "--budget", "sw")
    assert result.exit_code == EXIT_USAGE
    assert "expected GROUP=REQUESTS" in error_line(result)


def test_an_unexpected_error_is_one_line_and_debug_shows_it(monkeypatch):
    def boom(source):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(cli, "source_range", boom)
    result = invoke("run")
    assert result.exit_code == EXIT_FAILED
    assert error_line(result) == (
        "error: RuntimeError: disk on fire second line (rerun with --debug for the traceback)"
    )
    debug = invoke("--debug", "run")
    assert isinstance(debug.exception, RuntimeError)


def test_help_and_a_bad_argument_answer_fast_without_dagster():
    started = time.monotonic()
    subprocess.run([SECTORPULSE, "--help"], check=True, capture_output=True, timeout=30)
    help_seconds = time.monotonic() - started
    started = time.monotonic()
    bad = subprocess.run(
        [SECTORPULSE, "run", "--industry", "999999"], capture_output=True, text=True, timeout=30
    )
    bad_seconds = time.monotonic() - started
    assert bad.returncode == EXIT_USAGE and "Traceback" not in bad.stderr
    assert help_seconds < 1.5 and bad_seconds < 3, (help_seconds, bad_seconds)
    probe = (
        "import sys; from typer.testing import CliRunner; from orchestration.cli import app; "
        "r = CliRunner().invoke(app, ['run', '--week', '2025-13-01']); "
        "print(r.exit_code, 'dagster' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["2", "False"]


# -- publish only from a validated warehouse -----------------------------------------------------


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SECTORPULSE_DUCKDB", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SECTORPULSE_PUBLISHED_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("SECTORPULSE_GX_DIR", str(tmp_path / "gx"))
    return tmp_path


def test_publish_refuses_without_a_warehouse(data_dir):
    result = invoke("publish")
    assert result.exit_code == EXIT_UNVALIDATED
    assert "no warehouse at" in error_line(result)


def test_publish_refuses_a_warehouse_built_before_states_were_recorded(data_dir):
    (data_dir / "warehouse.duckdb").write_bytes(b"")
    result = invoke("publish")
    assert result.exit_code == EXIT_UNVALIDATED
    line = error_line(result)
    assert "no recorded build state" in line and "rerun `sectorpulse run`" in line


def test_publish_refuses_a_failed_build_naming_its_run(data_dir):
    warehouse = data_dir / "warehouse.duckdb"
    warehouse.write_bytes(b"")
    mark_building(warehouse, "run-good")
    mark_validated(warehouse, "run-good")
    mark_building(warehouse, "run-bad-42")  # its checks never passed
    result = invoke("publish")
    assert result.exit_code == EXIT_UNVALIDATED
    line = error_line(result)
    assert line.startswith("error: refused: ") and "run run-bad-42" in line
    assert "rerun `sectorpulse run`" in line


# -- what a failed run says -------------------------------------------------------------------------


def check(asset: list[str], name: str, metadata: dict) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(asset),
        check_name=name,
        passed=False,
        metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR,
    )


def error_info(cls_name: str, message: str, cause=None) -> SerializableErrorInfo:
    return SerializableErrorInfo(message=message, stack=[], cls_name=cls_name, cause=cause)


def gx_failure(i: int) -> str:
    """A failure line as quality.result writes it, with its example rows when it can carry them."""
    line = (
        "expect_column_values_to_be_between(收盘, min_value=0): 5 of 50 rows unexpected, e.g. "
        + "; ".join(f"{{股票代码: '30017{j}', 日期: 2025-01-24, 收盘: -{i}}}" for j in range(5))
    )
    failure = getattr(result_module, "Failure", None)
    if failure is None:  # before failure_details existed: the text alone
        return line
    rows = [{"股票代码": f"30017{j}", "日期": "2025-01-24", "收盘": -i} for j in range(5)]
    return failure(
        line, expectation="expect_column_values_to_be_between", columns=["收盘"], examples=rows
    )


def test_a_failed_gx_check_shows_the_dataset_examples_and_data_docs(tmp_path, capsys):
    result = SuiteResult(
        suite="raw.stock_daily",
        target="stock_daily",
        layer="raw",
        success=False,
        n_expectations=9,
        failures=[gx_failure(i) for i in range(1, 6)],
        rows=50,
    )
    page = tmp_path / "data_docs" / "raw.stock_daily" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html>")
    failed = check(["raw", "stock_daily"], "gx_raw_stock_daily", result.as_metadata())
    error = StepError("raw__stock_daily", "gx_raw_stock_daily failed for dataset 'stock_daily'")
    report = RunReport(False, "2025-01-20", [], [failed], [error])
    cli.print_failure(report, tmp_path)
    err = capsys.readouterr().err
    assert "FAILED gx_raw_stock_daily on raw/stock_daily" in err
    lines = [ln for ln in err.splitlines() if ln.startswith("  expect_")]
    assert len(lines) == 3  # up to 3 failures, each with up to 3 example rows
    assert lines[0].startswith(
        "  expect_column_values_to_be_between(收盘, min_value=0): 5 of 50 rows unexpected, e.g. "
        "{股票代码: '300170', 日期: '2025-01-24', 收盘: -1}"
        if hasattr(result_module, "Failure")
        else "  expect_column_values_to_be_between(收盘, min_value=0): 5 of 50 rows unexpected"
    )
    if hasattr(result_module, "Failure"):
        assert all(line.count("{股票代码") == 3 for line in lines)
    assert f"Data Docs: {page}" in err
    assert "FAILED step" not in err  # the step failed because of its check: said once
    assert "run failed for week 2025-01-20: 1 check failed: gx_raw_stock_daily" in err
    assert report.exit_code == EXIT_CHECK_FAILED


def test_a_rejected_input_shows_its_message_and_examples(tmp_path, capsys):
    metadata = {
        "rule": "empty_call",
        "failures": "dataset 'sw_index_daily': required call index_hist_sw(symbol='801101') "
        "has no data",
        "examples": [{"symbol": "801101", "file": "sw_index_daily/x.csv.gz"}],
    }
    report = RunReport(
        False,
        "2025-01-20",
        [],
        [check(["raw", "sw_index_daily"], "gx_raw_sw_index_daily", metadata)],
    )
    cli.print_failure(report, tmp_path)
    err = capsys.readouterr().err
    assert "FAILED gx_raw_sw_index_daily on raw/sw_index_daily" in err
    assert "required call index_hist_sw(symbol='801101') has no data" in err
    assert "e.g. {symbol: '801101', file: 'sw_index_daily/x.csv.gz'}" in err


def test_a_failed_step_without_a_check_names_the_step_and_the_error(tmp_path, capsys):
    wrapped = error_info(
        "DagsterExecutionStepExecutionError",
        "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while "
        'executing op "raw__stock_daily"::\n',
        cause=error_info(
            "UnreadableFile",
            "ingestion.snapshot.UnreadableFile: /snap/stock_daily/a.csv.gz: Compressed file "
            "ended before the end-of-stream marker was reached; restore the file\n",
        ),
    )
    assert cli.describe_error(wrapped) == (
        "UnreadableFile: /snap/stock_daily/a.csv.gz: Compressed file ended before the "
        "end-of-stream marker was reached; restore the file"
    )
    report = RunReport(
        False, "2025-01-20", [], [], [StepError("raw__stock_daily", cli.describe_error(wrapped))]
    )
    cli.print_failure(report, tmp_path)
    err = capsys.readouterr().err
    assert "FAILED step raw__stock_daily: UnreadableFile: /snap/stock_daily/a.csv.gz" in err
    assert "failed checks: none" not in err
    assert "run failed for week 2025-01-20: step raw__stock_daily failed" in err
    assert report.exit_code == EXIT_FAILED
    after_publish = RunReport(
        False,
        "2025-01-20",
        [cli.StepTime("published__marts", 0.4, True), cli.StepTime("briefs__weekly", 1, False)],
        [],
        [StepError("briefs__weekly", "OSError: disk full")],
    )
    cli.print_failure(after_publish, tmp_path)
    assert "the marts had passed their checks and were published" in capsys.readouterr().err


class Broken(dg.ConfigurableResource):
    def setup_for_execution(self, context) -> None:
        raise ValueError("SECTORPULSE_X is not a path; set it to a directory")


@dg.op
def uses_broken(broken: Broken) -> None: ...


@dg.job(resource_defs={"broken": Broken()})
def broken_job() -> None:
    uses_broken()


def test_a_resource_that_cannot_start_is_named_not_an_unexplained_failure(tmp_path, capsys):
    result = broken_job.execute_in_process(raise_on_error=False)
    errors = cli.step_errors(result.all_events)
    assert len(errors) == 1, errors  # the resource error once, not again as the run failure
    assert "SECTORPULSE_X is not a path; set it to a directory" in errors[0].error
    cli.print_failure(RunReport(False, "2025-01-20", [], [], errors), tmp_path)
    err = capsys.readouterr().err
    assert "no check or step reported an error" not in err
    assert "SECTORPULSE_X is not a path" in err


def test_our_own_failure_is_shown_without_its_class():
    info = error_info(
        "DagsterExecutionStepExecutionError",
        "Error occurred while executing op:",
        cause=error_info("Failure", "dagster._core.definitions.events.Failure: snapshot ends\n"),
    )
    assert cli.describe_error(info) == "snapshot ends"


def test_a_cli_run_waits_for_a_dagster_run_on_the_same_warehouse(tmp_path, monkeypatch):
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from orchestration.run_lock import WarehouseLocked, warehouse_tag

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    warehouse = tmp_path / "w.duckdb"
    said: list[str] = []
    cli.wait_for_dagster_runs(warehouse, 0, said.append)  # none in progress: goes on
    with dg.DagsterInstance.get() as instance:
        instance.add_run(
            DagsterRun(
                job_name="weekly_sector_job",
                run_id="ui-run-1",
                tags=warehouse_tag(warehouse),
                status=DagsterRunStatus.STARTED,
            )
        )
    with pytest.raises(WarehouseLocked, match=r"Dagster run ui-run-1 on .* is in progress"):
        cli.wait_for_dagster_runs(warehouse, 0, said.append)
    cli.wait_for_dagster_runs(tmp_path / "other.duckdb", 0, said.append)
    assert said == []


def test_a_killed_cli_run_is_marked_failed_and_not_waited_for(tmp_path, monkeypatch):
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from orchestration.run_lock import warehouse_tag
    from orchestration.scope import launch_tags

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    warehouse = tmp_path / "w.duckdb"
    with dg.DagsterInstance.get() as instance:
        instance.add_run(  # a CLI run whose process was killed: left STARTED in the instance
            DagsterRun(
                job_name="weekly_sector_job",
                run_id="cli-run-1",
                tags={**warehouse_tag(warehouse), **launch_tags("sample", "cli")},
                status=DagsterRunStatus.STARTED,
            )
        )
    said: list[str] = []
    cli.wait_for_dagster_runs(warehouse, 0, said.append)  # the file lock is ours: it is dead
    assert said == []
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id("cli-run-1").status == DagsterRunStatus.FAILURE
