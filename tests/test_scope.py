"""The run scope (orchestration.scope): one rule for what a run rebuilds and validates."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.snapshot import Snapshot
from ingestion.specs import RunWindow
from orchestration.scope import RunScope, run_scope
from orchestration.sources import source_range
from orchestration.weeks import FIRST_WEEK, FIRST_WEEK_ENV, first_week

W = date(2025, 1, 20)  # the Monday of the week a run serves
LOOKBACK = 8


def scope(**kwargs) -> RunScope:
    return run_scope(W, W, lookback_weeks=LOOKBACK, full=False, **kwargs)


def test_a_weekly_run_rebuilds_its_week_and_the_lookback():
    assert scope(last_built_week=date(2025, 1, 13)).rebuild_since == date(2024, 11, 25)


def test_a_rerun_of_the_same_week_rebuilds_the_same_rows():
    assert scope(last_built_week=W) == scope(last_built_week=date(2025, 1, 13))


def test_weeks_missed_since_the_last_build_are_rebuilt_with_their_lookback():
    # the last build served 2024-12-02: the three weeks after it were never built
    assert scope(last_built_week=date(2024, 12, 2)).rebuild_since == date(2024, 10, 14)


def test_a_backfill_of_a_past_week_rebuilds_from_that_week():
    june = date(2024, 6, 10)
    backfill = run_scope(june, june, lookback_weeks=LOOKBACK, full=False, last_built_week=W)
    assert backfill.rebuild_since == date(2024, 4, 15)
    assert (backfill.first_week, backfill.last_week) == (june, june)


def test_raw_changed_before_the_window_widens_it_to_that_week():
    changed = date(2024, 6, 14)  # a Friday: the rebuild starts on its Monday
    assert scope(raw_changed_from=changed).rebuild_since == date(2024, 6, 10)
    # a change inside the window does not narrow it
    assert scope(raw_changed_from=date(2025, 1, 24)).rebuild_since == date(2024, 11, 25)


def test_a_full_build_rebuilds_every_row_and_passes_no_vars():
    full = run_scope(date(2015, 1, 5), W, lookback_weeks=LOOKBACK, full=True)
    assert full.full and full.rebuild_since is None
    assert full.dbt_vars() == {}


@pytest.mark.parametrize(
    "made",
    [
        scope(last_built_week=W),
        run_scope(date(2015, 1, 5), W, lookback_weeks=LOOKBACK, full=True),
    ],
    ids=["incremental", "full"],
)
def test_the_scope_survives_the_run_tags(made):
    assert RunScope.from_tags(made.tags()) == made
    assert RunScope.from_tags({}) is None


def test_dbt_gets_the_day_the_checks_validate_from():
    made = scope(last_built_week=W)
    assert made.dbt_vars() == {"rebuild_since": made.rebuild_since.isoformat()}


@pytest.mark.parametrize(
    ("setting", "monday"),
    [("", date(2015, 1, 5)), ("2024-01-03", date(2024, 1, 1)), ("2020-06-01", date(2020, 6, 1))],
)
def test_the_first_partition_is_the_monday_of_the_configured_week(monkeypatch, setting, monday):
    monkeypatch.setenv(FIRST_WEEK_ENV, setting)
    assert first_week() == monday


def test_a_bad_first_week_setting_stops_with_one_line_naming_it(monkeypatch):
    monkeypatch.setenv(FIRST_WEEK_ENV, "2024-13-01")
    with pytest.raises(SystemExit, match="SECTORPULSE_FIRST_WEEK='2024-13-01' is not a date"):
        first_week()


def test_a_snapshot_serves_no_week_before_the_first_partition(tmp_path):
    snap = Snapshot(tmp_path)
    snap.write_meta(
        RunWindow(
            as_of=date(2025, 1, 24), stock_start=date(2010, 1, 4), index_start=date(2010, 1, 4)
        ),
        "test window",
    )
    assert source_range(str(tmp_path)).first == FIRST_WEEK
