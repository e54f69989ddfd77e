"""Raw and marts never disagree silently: a corrected bar far outside the incremental lookback
makes the next weekly run rebuild from that bar's week (var rebuild_since), not only the tail."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.dbt_vars import lookback_weeks
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Snapshot
from ingestion.specs import Call
from orchestration.cli import project_instance, run_week
from orchestration.resources import PipelineSettings
from orchestration.scope import ENTRY_TAG, SINCE_TAG, SOURCE_TAG, WEEKS_TAG

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CORRECTED_DAY = date(2024, 6, 14)  # a Friday, 31 weeks before the sample's last week
INDEX = "801750"


def corrected_snapshot(root: Path) -> Path:
    """The sample with 801750's close on CORRECTED_DAY 2% higher (within every limit)."""
    sample = Path(SAMPLE_SNAPSHOT)
    out = root / "snapshot"
    shutil.copytree(sample, out)  # a snapshot reads only its own files: no symlinks
    call = Call("index_hist_sw", {"symbol": INDEX, "period": "day"})
    frame, entry = Snapshot(sample).read("sw_index_daily", call)
    day = frame["日期"] == CORRECTED_DAY
    frame.loc[day, "收盘"] = (frame.loc[day, "收盘"] * 1.02).round(2)
    frame.loc[day, "最高"] = frame.loc[day, ["最高", "收盘"]].max(axis=1)
    Snapshot(out).write("sw_index_daily", call, frame, entry.provenance, note="test correction")
    return out


def weekly_returns(root: Path) -> pd.Series:
    with duckdb.connect(str(root / "published" / "marts.duckdb"), read_only=True) as con:
        frame = con.execute(
            "SELECT index_code, week_end_date, weekly_return FROM fct_industry_weekly_returns"
        ).df()
    return frame.set_index(["index_code", "week_end_date"])["weekly_return"].sort_index()


def test_a_corrected_old_bar_rebuilds_its_weeks_in_the_next_weekly_run(sample_run, tmp_path):
    sample_run.clone(tmp_path)  # a clean run's warehouse and marts
    before = weekly_returns(tmp_path)

    corrected = corrected_snapshot(tmp_path)
    report = run_week(PipelineSettings.in_folder(tmp_path, str(corrected)), week=None, briefs=False)
    assert report.success
    after = weekly_returns(tmp_path)

    changed = before.index[(before - after).abs() > 1e-12]
    # The corrected week, and the next week whose return starts from that close.
    assert [(code, str(day)[:10]) for code, day in changed] == [
        (INDEX, "2024-06-14"),
        (INDEX, "2024-06-21"),
    ]
    assert (
        after[(INDEX, pd.Timestamp(CORRECTED_DAY))] > before[(INDEX, pd.Timestamp(CORRECTED_DAY))]
    )
    # The GX checks validated the same window dbt rebuilt.
    windows = {
        c.metadata["rows_since"].value
        for c in report.checks
        if c.asset_check_key.name == "gx_fct_industry_weekly_returns"
    }
    assert windows == {"2024-06-10"}


def test_a_backfill_recomputes_its_weeks_in_one_run_and_the_instance_shows_them(
    sample_run, tmp_path
):
    """The June correction backed out by a backfill of that week: the marts equal a clean run's,
    dbt got the scope's vars, the GX checks validated the same window, and the instance shows
    the backfilled weeks as materialized by one run tagged with its source, entry and weeks."""
    settings = PipelineSettings.in_folder(tmp_path)
    sample_run.clone(tmp_path)  # a clean run's warehouse and marts
    clean = weekly_returns(tmp_path)
    corrected = corrected_snapshot(tmp_path)
    assert run_week(
        PipelineSettings.in_folder(tmp_path, str(corrected)), None, briefs=False
    ).success

    june, next_week = date(2024, 6, 10), date(2024, 6, 17)
    report = run_week(settings, week=next_week, briefs=False, first_week=june)
    assert report.success
    assert (weekly_returns(tmp_path) - clean).abs().max() == 0  # every row as the clean run's

    # one rule: dbt rebuilt from the first week minus the lookback, and GX validated from there
    since = (june - timedelta(weeks=lookback_weeks())).isoformat()
    assert report.tags[SINCE_TAG] == since
    assert report.tags[WEEKS_TAG] == f"{june}..{next_week}"
    assert report.tags[ENTRY_TAG] == "cli" and report.tags[SOURCE_TAG] == "sample"
    windows = {c.metadata["rows_since"].value for c in report.checks if "rows_since" in c.metadata}
    assert windows == {since}

    with project_instance() as instance:
        for key in (
            dg.AssetKey(["published", "marts"]),
            dg.AssetKey(["marts", "fct_industry_weekly_returns"]),
        ):
            runs = {
                partition: instance.get_latest_materialization_event(key).run_id
                for partition in (str(june), str(next_week))
            }
            assert set(runs.values()) == {report.run_id}
            materialized = instance.get_materialized_partitions(key)
            assert {str(june), str(next_week)} <= materialized
