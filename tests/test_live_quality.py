# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""Frames that live mode builds (a weekly spot bar, a CSI fallback) still pass the raw GX suites
the pipeline runs before loading."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.fetcher import ReplayFetcher, fetch_dataset
from ingestion.recorder import record, record_window
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, fetch_order
from ingestion.warehouse import combine
from quality import validate_raw
from tests.fixtures.live.harness import WINDOW, make_recorder, seed_calendar, upstream, world

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
NEXT = date(2025, 1, 27)


def test_weekly_bars_and_fallback_frames_pass_the_raw_suites(upstream, world, tmp_path):
    store = Snapshot(tmp_path / "store")
    seed_calendar(store)
    assert record(make_recorder(upstream, store), WINDOW).complete
    world.add_days([NEXT])
    upstream.fail("csindex", "403")  # CSI 300's new rows come from Eastmoney
    weekly = make_recorder(upstream, store, day=NEXT, weekly=True)
    report = record(weekly, record_window(store, week=NEXT, today=NEXT))
    assert report.complete, report.error

    fetcher = ReplayFetcher(store)
    window, frames = fetcher.window(), {}
    provenance = {}
    for name in fetch_order():
        fetched = list(fetch_dataset(SPECS[name], fetcher, window, frames))
        frames[name] = combine(SPECS[name], fetched)
        provenance[name] = {f.provenance for f in fetched}
    assert provenance["sw_index_daily"] == {"derived"}
    assert provenance["csi_index_daily"] == {"derived"}
    for name in ("sw_index_daily", "csi_index_daily", "sw_index_valuation", "stock_daily"):
        result = validate_raw(name, frames[name])
        assert result.success, result.summary()
