# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""Company news live: akshare's own stock_news_em (curl_cffi, JSONP) against the fake upstream on
127.0.0.1, through the choke point: fetched within the `news` budget, recorded into the store,
reused by a rerun, and replayed into raw.stock_news. The whole weekly job with news, down to the
brief, is in tests/test_live_job.py."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ingestion.bulk import load_snapshot
from ingestion.http import WEEKLY_BUDGETS
from ingestion.recorder import Universe, record
from ingestion.snapshot import Snapshot
from ingestion.specs import NEWS_CALLS_PER_RUN, SPECS
from quality import validate_raw
from tests.fixtures.live.fake_upstream import news_hit
from tests.fixtures.live.harness import (
    WINDOW,
    make_net,
    make_recorder,
    seed_calendar,
    upstream,
    world,
)

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
DATASETS = ["stock_news"]  # and what its plan reads: sw_classification, stock_daily
COMPUTER = Universe.parse("801750")  # 2 stocks in the small world, and the 6 key companies


@pytest.fixture
def store(tmp_path) -> Snapshot:
    snapshot = Snapshot(tmp_path / "store")
    seed_calendar(snapshot)
    snapshot.write_meta(WINDOW, description="the news tests' store")
    return snapshot


def recorded_news(store: Snapshot) -> dict[str, pd.DataFrame]:
    return {
        e.kwargs["symbol"]: store.read("stock_news", e.call)[0] for e in store.entries("stock_news")
    }


def test_news_is_fetched_within_budget_recorded_reused_and_replayed(
    world, upstream, store, tmp_path
):
    world.news["002415"] = [  # newest first; the fake shows only what is published by `today`
        news_hit("202502033300000009", "2025-02-03 08:00:00", "下周的新闻"),
        news_hit("202501243300000002", "2025-01-24 15:30:00", "海康威视年报"),
        news_hit("202501233300000001", "2025-01-23 09:30:00", "海康威视发布新品"),
    ]
    net = make_net(upstream, budgets=dict(WEEKLY_BUDGETS))
    report = record(make_recorder(upstream, store, net=net, universe=COMPUTER), WINDOW, DATASETS)
    assert report.complete, report.summary()

    news = recorded_news(store)
    # the 6 key companies of 计算机 and its 2 stocks in the small world (movers both ways)
    assert len(news) == 8 <= NEWS_CALLS_PER_RUN
    assert net.counts()["news"] == upstream.count("em_news") == 8
    assert net.budget_requests("news") <= WEEKLY_BUDGETS["news"]
    assert "budget_news" in net.metadata() and net.metadata()["budget_news"] == "8 of 25"
    assert list(news["002415"]["新闻标题"]) == ["海康威视年报", "海康威视发布新品"]
    assert list(news["002415"].columns) == list(SPECS["stock_news"].columns)
    assert sum(len(f) for f in news.values()) == 2  # the others have no headline: empty entries

    # a rerun the same evening asks upstream nothing: every news call is final
    rerun = make_net(upstream, budgets=dict(WEEKLY_BUDGETS))
    assert record(
        make_recorder(upstream, store, net=rerun, universe=COMPUTER), WINDOW, DATASETS
    ).complete
    assert rerun.counts()["total"] == 0

    # replayed offline from the store, validated by the raw suite, into raw.stock_news
    db = tmp_path / "warehouse.duckdb"

    def validate(dataset: str, batch: pd.DataFrame) -> bool:
        return dataset != "stock_news" or validate_raw(dataset, batch).success

    loads = load_snapshot(db, store, validate, ["sw_classification", "stock_daily", "stock_news"])
    assert (loads[-1].calls, loads[-1].inserted) == (8, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            'SELECT "关键词", "发布时间", _provenance, _snapshot FROM raw.stock_news ORDER BY 2'
        ).fetchall()
    assert rows == [
        ("002415", "2025-01-23 09:30:00", "real", str(store.root)),
        ("002415", "2025-01-24 15:30:00", "real", str(store.root)),
    ]


def test_the_news_budget_stops_a_run_and_a_rerun_continues(world, upstream, store):
    net = make_net(upstream, budgets={"news": 3})
    stopped = record(make_recorder(upstream, store, net=net, universe=COMPUTER), WINDOW, DATASETS)
    assert not stopped.complete
    assert "BudgetExceeded" in stopped.error and "'news' (3 per run)" in stopped.error
    assert len(recorded_news(store)) == 3  # what was fetched is kept

    rest = make_net(upstream, budgets=dict(WEEKLY_BUDGETS))
    assert record(
        make_recorder(upstream, store, net=rest, universe=COMPUTER), WINDOW, DATASETS
    ).complete
    assert rest.counts()["news"] == 5 and len(recorded_news(store)) == 8


def test_a_headline_without_a_title_fails_the_raw_suite_naming_the_field(world, upstream, store):
    world.news["002415"] = [news_hit("202501233300000001", "2025-01-23 09:30:00", "")]
    net = make_net(upstream)
    assert record(
        make_recorder(upstream, store, net=net, universe=COMPUTER), WINDOW, DATASETS
    ).complete
    frame = recorded_news(store)["002415"]
    result = validate_raw("stock_news", frame)
    assert not result.success
    assert [f for f in result.failures if "新闻标题" in f]
