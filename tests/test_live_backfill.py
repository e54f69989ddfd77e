# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""Record mode and incremental, resumable backfills against the fake upstream on 127.0.0.1."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ingestion import live
from ingestion.fetcher import (
    LiveFetcher,
    RecordFetcher,
    ReplayFetcher,
    fetch_dataset,
    make_fetcher,
    request_metadata,
)
from ingestion.recorder import StaleQuote, Universe, record, record_window
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, RunWindow, fetch_order
from tests.fixtures.live.harness import (
    AS_OF,
    WINDOW,
    after_close,
    make_net,
    make_recorder,
    seed_calendar,
    upstream,
    world,
)

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
NEXT = date(2025, 1, 27)  # the Chinese New Year week: only Monday traded


@pytest.fixture
def store(tmp_path) -> Snapshot:
    snapshot = Snapshot(tmp_path / "store")
    seed_calendar(snapshot)
    return snapshot


def replay_everything(snapshot: Snapshot) -> dict[str, list]:
    """Every call the specs plan for the snapshot's window, served by the offline ReplayFetcher."""
    fetcher = ReplayFetcher(snapshot)
    window, upstream_frames, fetched = fetcher.window(), {}, {}
    for name in fetch_order():
        fetched[name] = list(fetch_dataset(SPECS[name], fetcher, window, upstream_frames))
        frames = [f.frame for f in fetched[name] if len(f.frame)]
        # no headline for any stock (the fake world has none) is no frame at all
        upstream_frames[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return fetched


def test_record_writes_what_live_returned_and_replays_offline(upstream, store, world):
    report = record(make_recorder(upstream, store), WINDOW)
    assert report.complete, report.error
    assert store.window == WINDOW
    assert store.read_meta()["requests"] == report.requests  # counted in the snapshot's metadata
    fetched = replay_everything(store)
    assert {f.provenance for calls in fetched.values() for f in calls} == {"real"}
    assert len(fetched["sw_index_daily"]) == len(world.sw_bars)
    assert len(fetched["stock_daily"]) == len(world.stock_bars)
    # exactly what akshare returned: the recorded frame is the one the live call produced
    stock = fetched["stock_daily"][0]
    bars = world.stock_bars[stock.call.kwargs["symbol"]]
    assert stock.frame["收盘"].tolist() == bars[bars["日期"] >= date(2024, 12, 2)]["收盘"].tolist()
    entry = store.entry("stock_daily", stock.call)
    assert entry.akshare_version == "1.19.5" and entry.fetched_at.endswith("+08:00")
    assert report.requests["sw"] == upstream.count("sw_spot") + upstream.count(
        "sw_hist"
    ) + upstream.count("sw_analysis") + upstream.count("sw_clf")


def test_an_interrupted_backfill_fetches_only_what_is_missing(upstream, store, world, monkeypatch):
    stocks = len(world.stock_bars)
    calls = {"n": 0}
    real_call = live.Caller.call

    def killed_half_way(self, spec, planned):
        if spec.name == "stock_daily":
            calls["n"] += 1
            if calls["n"] > stocks // 2:
                raise KeyboardInterrupt  # the process is killed
        return real_call(self, spec, planned)

    monkeypatch.setattr(live.Caller, "call", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        record(make_recorder(upstream, store), WINDOW)
    assert len(store.entries("stock_daily")) == stocks // 2  # progress saved as it went
    assert not store.exists()  # not replayable until complete
    first = dict(
        upstream.requests and {e: upstream.count(e) for e in ("em_kline", "sw_hist", "sw_analysis")}
    )

    monkeypatch.setattr(live.Caller, "call", real_call)
    upstream.requests.clear()
    report = record(make_recorder(upstream, store), WINDOW)
    assert report.complete, report.error
    # the rerun asks only for the stocks that were missing, and nothing recorded before
    assert upstream.count("em_kline") == stocks - stocks // 2
    assert first["em_kline"] + upstream.count("em_kline") == stocks
    assert upstream.count("sw_hist") == 0 and upstream.count("sw_analysis") == 0
    assert report.tally["reused"] >= stocks // 2 + len(world.sw_bars)
    replay_everything(store)


def test_a_budget_stops_a_backfill_and_the_rerun_resumes(upstream, store, world):
    stocks = len(world.stock_bars)
    report = record(
        make_recorder(upstream, store, net=make_net(upstream, budgets={"eastmoney": 3})), WINDOW
    )
    assert not report.complete and "BudgetExceeded" in report.error and "rerun" in report.summary()
    assert upstream.count("em_kline") == 3
    report = record(make_recorder(upstream, store), WINDOW)
    assert report.complete
    assert upstream.count("em_kline") == stocks  # 3 in the first run, the rest in the second


def test_a_weekly_run_asks_only_for_new_rows(upstream, store, world):
    assert record(make_recorder(upstream, store), WINDOW).complete
    world.add_days([NEXT])
    upstream.requests.clear()
    net = make_net(upstream)
    weekly = make_recorder(upstream, store, day=NEXT, net=net, weekly=True)
    report = record(weekly, record_window(store, week=NEXT, today=NEXT))
    assert report.complete, report.error
    assert report.window.as_of == NEXT and report.window.stock_start == WINDOW.stock_start
    # stock bars: one request per stock, from the last recorded day on
    klines = [q for e, q in upstream.requests if e == "em_kline" and q["fields2"].count(",") > 7]
    assert len(klines) == len(world.stock_bars) and {q["beg"] for q in klines} == {"20250124"}
    # SW: histories are not asked again; the spot quote gives the new bar
    assert upstream.count("sw_hist") == 0
    assert net.counts()["sw"] <= 10
    # one entry per series: the earlier one is replaced by the longer one
    assert len(store.entries("stock_daily")) == len(world.stock_bars)
    fetched = replay_everything(store)
    for item in fetched["stock_daily"]:
        bars = world.stock_bars[item.call.kwargs["symbol"]]
        expected = bars[bars["日期"] >= date(2024, 12, 2)]
        assert item.frame["日期"].tolist() == expected["日期"].tolist()
        assert item.frame["收盘"].tolist() == pytest.approx(expected["收盘"].tolist())
    sw = {f.call.kwargs["symbol"]: f for f in fetched["sw_index_daily"]}["801750"]
    assert sw.provenance == "derived" and sw.frame["日期"].iloc[-1] == NEXT
    truth = world.sw_bars["801750"].iloc[-1]
    assert (
        sw.frame.iloc[-1][["开盘", "最高", "最低", "收盘"]].tolist()
        == truth[["开盘", "最高", "最低", "收盘"]].tolist()
    )
    assert "index_realtime_sw" in store.entry("sw_index_daily", sw.call).note


def test_a_changed_qfq_basis_fetches_the_whole_series_again(upstream, store, world):
    assert record(make_recorder(upstream, store), WINDOW).complete
    symbol = sorted(s for s in world.stock_bars if len(world.stock_bars[s]))[0]
    bars = world.stock_bars[symbol]
    for column in ("开盘", "收盘", "最高", "最低"):  # a dividend: qfq rescales all history
        bars[column] = (bars[column] * 0.95).round(2)
    world.add_days([NEXT])
    upstream.requests.clear()
    report = record(
        make_recorder(upstream, store, day=NEXT), record_window(store, week=NEXT, today=NEXT)
    )
    assert report.complete, report.error
    asked = [q for e, q in upstream.requests if e == "em_kline" and q["secid"].endswith(symbol)]
    assert [q["beg"] for q in asked] == ["20250124", "20241202"]  # the delta, then everything
    [entry] = [e for e in store.entries("stock_daily") if e.kwargs["symbol"] == symbol]
    call = entry.call
    frame, _ = store.read("stock_daily", call)
    bars = world.stock_bars[symbol]
    assert frame["收盘"].tolist() == pytest.approx(
        bars[bars["日期"] >= date(2024, 12, 2)]["收盘"].tolist()
    )


def test_a_stale_spot_quote_fails_the_weekly_run_with_what_to_do(upstream, store, world):
    assert record(make_recorder(upstream, store), WINDOW).complete
    world.add_days([NEXT])
    upstream.fail("sw_spot", "stale", "stale")  # the quote still shows the day before
    report = record(
        make_recorder(upstream, store, day=NEXT, weekly=True),
        record_window(store, week=NEXT, today=NEXT),
    )
    assert not report.complete
    assert "StaleQuote" in report.error and "sectorpulse record --week 2025-01-27" in report.error
    assert isinstance(StaleQuote("x"), live.UpstreamError)


def test_a_universe_keeps_only_its_industries_stocks(upstream, store, world):
    universe = Universe.parse("801750")
    assert universe.prefixes == ("71",) and Universe.parse("710000,801780").prefixes == ("48", "71")
    assert Universe.parse("all") is None
    with pytest.raises(ValueError, match="unknown SW L1 industry"):
        Universe.parse("999999")
    report = record(make_recorder(upstream, store, universe=universe), WINDOW)
    assert report.complete
    entry = store.entries("sw_classification")[0]
    assert entry.provenance == "derived" and entry.note.startswith("universe 801750:")
    computer = {
        s for s in world.classification.query("industry_code.str.startswith('71')")["symbol"]
    }
    assert {e.kwargs["symbol"] for e in store.entries("stock_daily")} == computer
    # the same store without a universe asks for the classification again
    upstream.requests.clear()
    record(make_recorder(upstream, store), WINDOW)
    assert upstream.count("sw_clf") == 1


def test_record_window_for_a_week_a_range_and_a_week_without_trading(store):
    assert record_window(store, week=date(2025, 1, 22), today=date(2025, 3, 1)).as_of == AS_OF
    assert record_window(store, week=NEXT, today=date(2025, 3, 1)).as_of == NEXT
    assert record_window(store, week=date(2025, 1, 22), today=date(2025, 1, 23)).as_of == date(
        2025, 1, 23
    )
    ranged = record_window(
        store, start=date(2020, 1, 1), end=date(2025, 1, 26), today=date(2025, 3, 1)
    )
    assert (ranged.as_of, ranged.stock_start, ranged.index_start) == (
        AS_OF,
        date(2020, 1, 1),
        date(2020, 1, 1),
    )
    with pytest.raises(ValueError, match="no trading day in the week"):
        record_window(store, week=date(2024, 2, 14), today=date(2025, 3, 1))


def test_fetchers_keep_their_public_shape(upstream, store, tmp_path, world):
    net = make_net(upstream)
    fetcher = LiveFetcher(store=store, net=net, now=lambda: after_close(AS_OF), universe=None)
    assert fetcher.source == "live" and fetcher.snapshot is None
    assert fetcher.window() == RunWindow(as_of=AS_OF)  # the store has no window yet
    symbol = sorted(world.stock_bars)[0]
    planned = SPECS["stock_daily"].plan(
        WINDOW, {"sw_classification": pd.DataFrame({"symbol": [symbol]})}
    )[0]
    fetched = fetcher.fetch(SPECS["stock_daily"], planned)
    assert fetched.call == planned and fetched.provenance == "real" and len(fetched.frame)
    assert request_metadata(fetcher)["requests_eastmoney"] == 1
    assert request_metadata(ReplayFetcher(Snapshot("data/sample"))) == {}

    target = Snapshot(tmp_path / "recorded")
    recorder = RecordFetcher(
        target, LiveFetcher(store=target, net=net, now=lambda: after_close(AS_OF))
    )
    assert recorder.fetch(SPECS["stock_daily"], planned).frame.equals(fetched.frame)
    assert target.has("stock_daily", planned)
    assert isinstance(make_fetcher("live"), LiveFetcher)
    assert isinstance(make_fetcher(f"record:{tmp_path / 'x'}"), RecordFetcher)


def test_a_missed_week_refetches_sw_histories_instead_of_leaving_a_gap(upstream, store, world):
    assert record(make_recorder(upstream, store), WINDOW).complete
    later = [date(2025, 2, 5), date(2025, 2, 6), date(2025, 2, 7)]
    world.add_days([NEXT, *later])  # no run in the week of NEXT
    upstream.requests.clear()
    weekly = make_recorder(upstream, store, day=later[-1], weekly=True)
    assert record(weekly, record_window(store, week=later[-1], today=later[-1])).complete
    # the spot quote has only 2025-02-07: appending it would hide the missed week's close
    assert upstream.count("sw_hist") == len(world.sw_bars)
    fetched = replay_everything(store)
    assert {f.provenance for f in fetched["sw_index_daily"]} == {"real"}
    dates = set(fetched["sw_index_daily"][0].frame["日期"])
    assert {NEXT, *later} <= dates


def test_a_universe_keeps_the_whole_history_of_its_stocks():
    frame = pd.DataFrame(
        {
            "symbol": ["000001", "000001", "000002"],
            "start_date": [date(2021, 7, 30), date(2023, 1, 3), date(2021, 7, 30)],
            "industry_code": ["710101", "270100", "480301"],
            "update_time": [date(2024, 1, 2)] * 3,
        }
    )
    kept, note = Universe.parse("801750").apply(frame)
    # 000001 moved out of 计算机 in 2023: that row stays, so staging sees the move
    assert kept["industry_code"].tolist() == ["710101", "270100"]
    assert note.startswith("universe 801750:") and "2 of 3 rows" in note
