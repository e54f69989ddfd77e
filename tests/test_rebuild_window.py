"""Raw and marts never disagree silently: a corrected bar far outside the incremental lookback
makes the next weekly run rebuild from that bar's week (var rebuild_since), not only the tail."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Snapshot
from ingestion.specs import Call
from orchestration.cli import run_week
from orchestration.resources import PipelineSettings

pytestmark = pytest.mark.e2e

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


def test_a_corrected_old_bar_rebuilds_its_weeks_in_the_next_weekly_run(tmp_path):
    settings = PipelineSettings.in_folder(tmp_path)
    assert run_week(settings, week=None, briefs=False).success
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
