# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""The weekly valuation stagger: stock_value_em returns a whole history per request, so a weekly
run refreshes only the stalest valuations the Eastmoney budget allows and extends the others
from the week's closes (ingestion.recorder, docs/live-mode.md)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from ingestion.fetcher import Fetched
from ingestion.recorder import (
    EXTENDED_FROM_CLOSES,
    VALUATION_RESERVE,
    BudgetTooSmall,
    dbt_lookback_weeks,
    extend_valuation,
    record,
    record_window,
    trading_days,
    valuation_refreshes,
)
from ingestion.snapshot import Snapshot, call_key
from ingestion.specs import SPECS, Call
from ingestion.warehouse import connect, load_raw
from tests.fixtures.live.harness import (
    AS_OF,
    WINDOW,
    make_net,
    make_recorder,
    seed_calendar,
    upstream,
    world,
)

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
DATASETS = ["stock_daily", "stock_valuation"]  # and sw_classification, which they read
FRIDAYS = [date(2025, 1, 31) + timedelta(weeks=n) for n in range(5)]


def week_days(friday: date) -> list[date]:
    return [d for d in trading_days() if friday - timedelta(days=4) <= d <= friday]


@pytest.fixture
def store(tmp_path, upstream) -> Snapshot:
    """Bars and valuations of the small world's stocks, all fetched after the close of AS_OF."""
    snapshot = Snapshot(tmp_path / "store")
    seed_calendar(snapshot)
    snapshot.write_meta(WINDOW, description="the stagger tests' store")
    assert record(make_recorder(upstream, snapshot), WINDOW, DATASETS).complete
    return snapshot


def valuation(store: Snapshot, symbol: str):
    return store.read("stock_valuation", Call("stock_value_em", {"symbol": symbol}))


def weekly(upstream, store, friday: date, budget: int, lookback: int):
    """One weekly live run of the stock datasets; returns (report, net)."""
    upstream.requests.clear()
    net = make_net(upstream, budgets={"eastmoney": budget})
    recorder = make_recorder(
        upstream, store, day=friday, net=net, weekly=True, lookback_weeks=lookback
    )
    return record(recorder, record_window(store, week=friday, today=friday), DATASETS), net


def load_valuations(db, store: Snapshot) -> dict[str, set[str]]:
    """Load the store's valuations into raw, as the raw asset does; provenances per symbol."""
    entries = store.entries("stock_valuation")
    fetched = [Fetched(e.call, store.read(e.dataset, e.call)[0], e.provenance) for e in entries]
    load_raw(db, SPECS["stock_valuation"], fetched, source="live")
    with connect(db, read_only=True) as con:
        rows = con.execute("SELECT _call_key, _provenance FROM raw.stock_valuation").fetchall()
    keys = {call_key(e.call): e.kwargs["symbol"] for e in entries}
    loaded: dict[str, set[str]] = {}
    for key, provenance in rows:
        loaded.setdefault(keys[key], set()).add(provenance)
    return loaded


def list_new_stock(world, symbol: str, days: list[date]) -> None:
    """A new 计算机 listing: bars and valuations from the first of `days` on (copied numbers)."""
    model = sorted(world.stock_bars)[0]
    bars = world.stock_bars[model]
    bars = bars[bars["日期"].isin(days)].assign(股票代码=symbol)
    values = world.stock_values[model]
    world.stock_bars[symbol] = bars.reset_index(drop=True)
    world.stock_values[symbol] = values[values["数据日期"].isin(days)].reset_index(drop=True)
    row = {"symbol": symbol, "start_date": days[0], "industry_code": "710101"}
    listing = pd.DataFrame([{**row, "update_time": days[0]}])
    world.classification = pd.concat([world.classification, listing], ignore_index=True)


def test_the_stalest_valuations_are_refreshed_and_the_others_extended_from_closes(
    upstream, store, world, tmp_path
):
    budget, lookback = len(world.stock_values) + VALUATION_RESERVE + 3, 4
    refreshed = {s: AS_OF for s in world.stock_values}  # day of the last real fetch
    new_listing, suspended = "300999", sorted(world.stock_values)[0]
    for week, friday in enumerate(FRIDAYS):
        days = week_days(friday)
        world.add_days(days, seed=week)
        if week == 1:
            list_new_stock(world, new_listing, days)
        if week == 2:  # suspended all week: no bars, no valuations
            for frames, column in ((world.stock_bars, "日期"), (world.stock_values, "数据日期")):
                frames[suspended] = frames[suspended][frames[suspended][column] < days[0]]
        members = sorted(world.stock_values)
        per_week = valuation_refreshes(len(members), budget, "eastmoney", lookback)
        stored = {e.kwargs["symbol"]: e for e in store.entries("stock_valuation")}
        stalest = sorted(stored, key=lambda s: (stored[s].fetched_at, s))
        new = [s for s in members if s not in stored]
        assert new == ([new_listing] if week == 1 else [])

        report, net = weekly(upstream, store, friday, budget, lookback)
        assert report.complete, report.error

        fetched = {q["filter"].split('"')[1] for e, q in upstream.requests if e == "em_value"}
        assert fetched == {*new, *stalest[: per_week - len(new)]}  # new listings first
        assert net.counts()["eastmoney"] == len(members)  # one kline request per member
        assert net.counts()["datacenter"] == per_week
        assert net.budget_requests("eastmoney") == budget - VALUATION_RESERVE
        every_weeks = math.ceil(len(members) / per_week)
        loaded = load_valuations(tmp_path / "warehouse.duckdb", store)
        for symbol in members:
            frame, entry = valuation(store, symbol)
            if (symbol, week) == (suspended, 2):  # no new rows
                assert max(frame["数据日期"]) == week_days(FRIDAYS[1])[-1]
            else:
                assert max(frame["数据日期"]) == days[-1]
            assert loaded[symbol] == {entry.provenance}  # raw replaced the call's rows
            if symbol in fetched:
                refreshed[symbol] = friday
                real = world.stock_values[symbol]
                # the real history replaced any derived rows (the fake repeats the last values)
                assert entry.provenance == "real"
                assert frame["数据日期"].tolist() == real["数据日期"].tolist()
                assert frame["总市值"].tolist() == pytest.approx(real["总市值"].tolist())
            else:
                assert entry.provenance == "derived"
                assert entry.note.startswith(EXTENDED_FROM_CLOSES)
                assert entry.fetched_at == f"{refreshed[symbol]}T18:00:00+08:00"
            # never longer without a real refresh than promised
            assert (friday - refreshed[symbol]).days < 7 * every_weeks
    assert set(refreshed) == set(world.stock_values)


def test_a_derived_week_scales_the_stored_valuation_with_the_closes(upstream, store, world):
    symbol = sorted(world.stock_values)[-1]
    before, _ = valuation(store, symbol)
    days = week_days(FRIDAYS[1])
    world.add_days(week_days(FRIDAYS[0]) + days)  # the CNY Monday was missed: 4 days to extend
    budget = len(world.stock_values) + VALUATION_RESERVE + 1  # refreshes the first stock only
    report, _ = weekly(upstream, store, FRIDAYS[1], budget, lookback=6)
    assert report.complete, report.error
    frame, entry = valuation(store, symbol)
    assert frame.iloc[: len(before)].equals(before)
    bars = world.stock_bars[symbol].set_index("日期")
    last = before.iloc[-1]
    for row in frame.iloc[len(before) :].to_dict("records"):
        ratio = bars.loc[row["数据日期"], "收盘"] / bars.loc[last["数据日期"], "收盘"]
        for column in ("总市值", "PE(TTM)", "市净率", "当日收盘价"):
            assert row[column] == pytest.approx(last[column] * ratio)
        assert (row["总股本"], row["流通股本"]) == (last["总股本"], last["流通股本"])
        assert row["当日涨跌幅"] == bars.loc[row["数据日期"], "涨跌幅"]
    assert frame["数据日期"].tolist()[len(before) :] == [date(2025, 1, 27), *days]
    assert f"rows after {AS_OF} are derived" in entry.note
    # one refresh a week for 6 members: due 6 weeks after the week of the real fetch
    assert "its real refresh is due by the weekly run of the week of 2025-03-03" in entry.note


def valuation_frame(**values) -> pd.DataFrame:
    row = {
        "当日收盘价": 10.0,
        "当日涨跌幅": 1.0,
        "总市值": 1.0e10,
        "流通市值": 8.0e9,
        "总股本": 1.0e9,
        "流通股本": 8.0e8,
        "PE(TTM)": 25.0,
        "PE(静)": 30.0,
        "市净率": 2.0,
        "PEG值": 1.5,
        "市现率": 12.0,
        "市销率": 3.0,
        **values,
    }
    return pd.DataFrame([{"数据日期": date(2025, 1, 24), **row}])


def qfq_bars(*closes: tuple[date, float]) -> pd.DataFrame:
    frame = pd.DataFrame(closes, columns=["日期", "收盘"])
    return frame.assign(涨跌幅=(frame["收盘"].pct_change() * 100).round(2))


def test_extend_valuation_on_hand_made_numbers():
    # qfq closes are 0.9 of the real ones (a later dividend): only their ratios are used
    bars = qfq_bars(
        (date(2025, 1, 23), 8.8),
        (date(2025, 1, 24), 9.0),
        (date(2025, 1, 27), 9.9),
        (date(2025, 2, 5), 8.91),
    )
    rows = extend_valuation(valuation_frame(), bars)
    assert rows["数据日期"].tolist() == [date(2025, 1, 27), date(2025, 2, 5)]
    first = rows.iloc[0]
    assert first["当日收盘价"] == pytest.approx(11.0) and first["总市值"] == pytest.approx(1.1e10)
    assert first["流通市值"] == pytest.approx(8.8e9) and first["PE(TTM)"] == pytest.approx(27.5)
    assert [first[c] for c in ("PE(静)", "市净率", "PEG值", "市现率", "市销率")] == pytest.approx(
        [33.0, 2.2, 1.65, 13.2, 3.3]
    )
    assert (first["总股本"], first["流通股本"]) == (1.0e9, 8.0e8)
    assert rows["当日涨跌幅"].tolist() == [10.0, -10.0]  # the bars' own
    assert rows.iloc[1]["总市值"] == pytest.approx(0.99e10)
    assert rows.dtypes.equals(valuation_frame().dtypes)

    # a loss-making firm: PE(TTM), PE(静) and PEG stay negative as the price moves
    loss = extend_valuation(
        valuation_frame(**{"PE(TTM)": -25.0, "PE(静)": -30.0, "PEG值": -1.5}), bars
    )
    assert loss["PE(TTM)"].tolist() == pytest.approx([-27.5, -24.75])
    assert (loss[["PE(TTM)", "PE(静)", "PEG值"]] < 0).all().all()

    # suspended: no bar after the last valuation day, or none at all
    assert extend_valuation(valuation_frame(), bars.iloc[:2]).empty
    assert extend_valuation(valuation_frame(), bars.iloc[:0]).empty
    # no bar on or before the last valuation day to scale from
    assert extend_valuation(valuation_frame(), bars.iloc[2:]).empty
    # nothing stored yet (a new listing) is fetched in full, never derived
    assert extend_valuation(valuation_frame().iloc[:0], bars).empty


def test_a_budget_that_cannot_keep_valuations_fresh_says_what_to_configure(upstream, store, world):
    assert valuation_refreshes(334, 400, "eastmoney", 6) == 56
    assert valuation_refreshes(334, 400, "eastmoney", 8) == 56
    with pytest.raises(BudgetTooSmall) as slow:
        valuation_refreshes(334, 400, "eastmoney", 4)
    message = str(slow.value)
    for part in (
        "dataset 'stock_valuation'",
        "'eastmoney' of 400 per run, minus 334 kline requests (one per member) and 10 kept",
        "leaves 56 valuation refreshes a week: each of the 334 members every 6 weeks",
        "dbt rebuilds only the last 4 weeks (var incremental_lookback_weeks)",
        "SECTORPULSE_BUDGET=eastmoney=428 refreshes every member within 4 weeks",
        "raise incremental_lookback_weeks in dbt_project/dbt_project.yml to 6",
        "SECTORPULSE_INDUSTRIES",
    ):
        assert part in message
    with pytest.raises(BudgetTooSmall, match="minus 5000 kline requests") as none_left:
        valuation_refreshes(5000, 400, "eastmoney", 8)
    assert "leaves no valuation refresh (-4610)" in str(none_left.value)
    assert "SECTORPULSE_BUDGET=eastmoney=5635" in str(none_left.value)
    assert "incremental_lookback_weeks" not in str(none_left.value)  # it would not help
    assert dbt_lookback_weeks() >= 1  # the var, read from dbt_project.yml

    # a weekly run stops with that message before its first kline request
    world.add_days(week_days(FRIDAYS[0]))
    members = len(world.stock_values)
    report, _ = weekly(upstream, store, FRIDAYS[0], members + VALUATION_RESERVE, lookback=4)
    assert not report.complete
    assert report.error.startswith("BudgetTooSmall: dataset 'stock_valuation'")
    assert "leaves no valuation refresh (0)" in report.error
    assert upstream.count("em_kline") == 0 and upstream.count("sw_clf") == 1
    report, net = weekly(upstream, store, FRIDAYS[0], members + VALUATION_RESERVE + 2, lookback=4)
    assert report.complete
    assert net.counts() == {"datacenter": 2, "eastmoney": members, "total": members + 2}
