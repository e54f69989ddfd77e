# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""`sectorpulse record` against the fake upstream on 127.0.0.1 (redirected by environment)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ingestion.snapshot import Snapshot
from orchestration.cli import EXIT_FAILED, app
from tests.fixtures.live.harness import upstream, world

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
RANGE = ["--start", "2024-12-02", "--end", "2025-01-24", "--dataset", "stock_daily"]


@pytest.fixture
def env(upstream, monkeypatch):
    monkeypatch.setenv("SECTORPULSE_UPSTREAM_REDIRECT", upstream.url)
    monkeypatch.setenv("SECTORPULSE_THROTTLE_SCALE", "0")
    monkeypatch.delenv("SECTORPULSE_BUDGET", raising=False)
    return upstream


def test_record_a_range_then_rerun_fetches_nothing(env, tmp_path, world):
    out = tmp_path / "snap"
    runner = CliRunner()
    result = runner.invoke(app, ["record", *RANGE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "record 2025-01-24: complete" in result.output
    assert f"eastmoney {len(world.stock_bars)}" in result.output
    assert len(Snapshot(out).entries("stock_daily")) == len(world.stock_bars)

    again = runner.invoke(app, ["record", *RANGE, "--out", str(out)])
    assert again.exit_code == 0 and "requests: total 0" in again.output
    assert f"{len(world.stock_bars) + 1} reused" in again.output


def test_record_stops_at_its_budget_and_says_how_to_resume(env, tmp_path):
    result = CliRunner().invoke(
        app, ["record", *RANGE, "--out", str(tmp_path / "snap"), "--budget", "eastmoney=2"]
    )
    assert result.exit_code == EXIT_FAILED  # stopped, not rejected: no check failed
    assert "STOPPED (rerun to resume)" in result.output
    assert "BudgetExceeded: request budget for 'eastmoney' (2 per run)" in result.output
    assert env.count("em_kline") == 2


def test_record_follows_only_the_given_industries(env, tmp_path, world):
    out = tmp_path / "snap"
    result = CliRunner().invoke(
        app, ["record", *RANGE, "--out", str(out), "--industries", "801780"]
    )
    assert result.exit_code == 0, result.output
    banks = set(world.classification.query("industry_code.str.startswith('48')")["symbol"])
    assert {e.kwargs["symbol"] for e in Snapshot(out).entries("stock_daily")} == banks
