"""Company news (issue 12, part 3): whose headlines a run fetches, the raw check on them, an
absent dataset, and the brief's section with and without news.

The live path (fetched through the choke point within the budget, recorded, replayed) is in
tests/test_live_news.py; the whole weekly job with news in tests/test_live_job.py.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.fetcher import ReplayFetcher
from ingestion.snapshot import Fetched, Snapshot
from ingestion.specs import NEWS_CALLS_PER_RUN, SPECS, Call, RunWindow, weekly_moves
from ingestion.warehouse import load_raw
from orchestration.assets import ingest_dataset
from publishing.brief import NO_NEWS, render_markdown

NEWS = SPECS["stock_news"]
AS_OF = date(2025, 1, 24)  # a Friday
KEY_COMPANIES = pd.read_csv(
    Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "key_companies.csv", dtype=str
)


def classification(symbols: dict[str, str]) -> pd.DataFrame:
    """stock_industry_clf_hist_sw rows: symbol -> SW industry code, from 2021."""
    return pd.DataFrame(
        {
            "symbol": list(symbols),
            "start_date": [date(2021, 7, 30)] * len(symbols),
            "industry_code": list(symbols.values()),
            "update_time": [date(2024, 1, 2)] * len(symbols),
        }
    )


def bars(moves: dict[str, float]) -> pd.DataFrame:
    """Two bars per stock: 10.0 on the Friday before, then 10 × (1 + move) on AS_OF."""
    rows = []
    for symbol, move in moves.items():
        rows.append({"日期": AS_OF - timedelta(days=7), "股票代码": symbol, "收盘": 10.0})
        rows.append({"日期": AS_OF, "股票代码": symbol, "收盘": 10.0 * (1 + move)})
    return pd.DataFrame(rows)


def planned(frame_classification: pd.DataFrame, frame_bars: pd.DataFrame) -> list[str]:
    upstream = {"sw_classification": frame_classification, "stock_daily": frame_bars}
    return [c.kwargs["symbol"] for c in NEWS.plan(RunWindow(as_of=AS_OF), upstream)]


# -- whose news a run fetches -------------------------------------------------------------------


def test_weekly_moves_run_from_the_last_close_before_the_monday():
    frame = bars({"000001": 0.25, "000002": -0.5})
    frame.loc[len(frame)] = {"日期": AS_OF - timedelta(days=3), "股票代码": "000003", "收盘": 5.0}
    moves = weekly_moves(frame, AS_OF)
    # 000003 has no close before the week: no move to rank
    assert moves.to_dict() == pytest.approx({"000001": 0.25, "000002": -0.5})


def test_the_plan_asks_for_the_key_companies_then_the_movers_alternately():
    computer = {f"30000{i}": "710101" for i in range(1, 8)}  # 7 members of 计算机
    banks = {"600000": "480101", "600001": "480101"}
    moves = {s: i / 100 for i, s in enumerate(computer, start=1)} | {"600000": 0.1, "600001": -0.1}
    symbols = planned(classification(computer | banks), bars(moves))
    keys = list(KEY_COMPANIES.loc[KEY_COMPANIES["index_code"] == "801750", "symbol"])
    assert symbols[: len(keys)] == keys
    # then position 1 of each side and industry, position 2, ...: bottom before top
    assert symbols[len(keys) : len(keys) + 4] == ["600001", "300001", "600000", "300007"]
    # 7 members give 5 best and 5 worst, 3 of them on both lists: each asked once
    assert set(symbols[len(keys) :]) == set(computer) | set(banks)
    assert len(symbols) == len(set(symbols)) == len(keys) + 9


def test_the_plan_is_capped_and_skips_key_companies_of_industries_not_followed():
    # 3 industries (银行, 食品饮料, 医药生物) of 20 stocks: 30 movers
    members = {f"6{i:05d}": ("480101", "340501", "370101")[i % 3] for i in range(60)}
    symbols = planned(classification(members), bars({s: i / 1000 for i, s in enumerate(members)}))
    assert len(symbols) == NEWS_CALLS_PER_RUN
    assert not set(symbols) & set(KEY_COMPANIES["symbol"])  # 计算机 is not followed
    # the cap keeps the first positions of every industry: positions 1-3 of each side and 2 of 4
    industries = pd.Series({s: members[s] for s in symbols}).value_counts()
    assert sorted(industries) == [6, 7, 7]
    assert planned(classification({}), bars({})) == []


# -- the raw check, and a snapshot without news -------------------------------------------------


def news_frame(symbol: str, **changes: object) -> pd.DataFrame:
    row = {
        "关键词": symbol,
        "新闻标题": "海康威视发布新品",
        "新闻内容": "……",
        "发布时间": "2025-01-23 09:30:00",
        "文章来源": "证券时报",
        "新闻链接": "http://finance.eastmoney.com/a/202501233300000001.html",
    }
    return pd.DataFrame([row | changes]).astype("str")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """raw.sw_classification and raw.stock_daily, which the news plan reads: two members of
    计算机 that moved this week."""
    db = tmp_path / "warehouse.duckdb"
    clf = classification({"300001": "710101", "300002": "710101"})
    frame = bars({"300001": 0.1, "300002": -0.1}).assign(开盘=10.0, 最高=12.0, 最低=8.0, 成交量=1)
    frame = frame.reindex(columns=list(SPECS["stock_daily"].columns))
    for name, data in (("sw_classification", clf), ("stock_daily", frame)):
        call = SPECS[name].plan(RunWindow(as_of=AS_OF), {"sw_classification": clf})[0]
        load_raw(db, SPECS[name], [Fetched(call, data, "real")], source="test")
    return db


def news_snapshot(root: Path, frames: dict[str, pd.DataFrame] | None) -> Snapshot:
    """A snapshot with a stock_news_em entry for each call the plan makes on `warehouse` (the
    frames given by symbol, the others empty), or with no stock_news at all (None)."""
    snap = Snapshot(root)
    snap.write_meta(RunWindow(as_of=AS_OF), description="test")
    if frames is None:
        return snap
    for symbol in [*KEY_COMPANIES["symbol"], "300001", "300002"]:
        frame = frames.get(symbol, pd.DataFrame())
        snap.write("stock_news", Call("stock_news_em", {"symbol": symbol}), frame, "real")
    return snap


@pytest.mark.parametrize(
    ("column", "value"),
    [("新闻标题", " "), ("发布时间", None), ("发布时间", "2025/01/23"), ("新闻链接", None)],
)
def test_a_headline_without_title_time_or_link_fails_gx_raw_stock_news(
    warehouse, tmp_path, column, value
):
    bad = news_frame("300001", **{column: value})
    if value is None:
        bad[column] = pd.Series([None], dtype="str")
    snap = news_snapshot(tmp_path / "snap", {"300001": bad})
    fetcher = ReplayFetcher(snap)
    ingested = ingest_dataset(NEWS, fetcher, fetcher.window(), warehouse)
    assert not ingested.passed and ingested.check_name == "gx_raw_stock_news"
    assert "dataset 'stock_news'" in ingested.message and column in ingested.message
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.stock_news").fetchone()[0] == 0


def test_good_headlines_load_and_a_repeated_one_is_kept_for_staging(warehouse, tmp_path):
    good = pd.concat([news_frame("300001")] * 2, ignore_index=True)  # listed twice
    snap = news_snapshot(tmp_path / "snap", {"300001": good})
    fetcher = ReplayFetcher(snap)
    ingested = ingest_dataset(NEWS, fetcher, fetcher.window(), warehouse)
    assert ingested.passed, ingested.message
    assert ingested.loaded.calls == len(KEY_COMPANIES) + 2 and ingested.loaded.inserted == 2


def test_a_snapshot_without_news_loads_none_and_passes(warehouse, tmp_path):
    snap = news_snapshot(tmp_path / "snap", None)  # the bundled sample's case
    fetcher = ReplayFetcher(snap)
    ingested = ingest_dataset(NEWS, fetcher, fetcher.window(), warehouse)
    assert ingested.passed, ingested.message
    assert (ingested.loaded.calls, ingested.loaded.inserted) == (0, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the table exists, empty
        assert con.execute("SELECT count(*) FROM raw.stock_news").fetchone()[0] == 0


# -- the brief's section ------------------------------------------------------------------------


def brief_row(**news: object) -> dict:
    """A brief row with what the news section reads, and the fields every brief prints."""
    return {
        "index_code": "801750",
        "index_name": "计算机",
        "week_start_date": date(2025, 1, 20),
        "week_end_date": date(2025, 1, 24),
        "trading_days_in_week": 5,
        "weekly_return": 0.01,
        "benchmark_return": 0.0,
        "benchmark_name": "沪深300",
        "benchmark_code": "000300",
        "excess_return": 0.01,
        "rank_in_level": 1,
        "n_in_level": 31,
        "close": 1.0,
        "uses_synthetic_data": False,
        "valuation_date": None,
        "pe_ttm_ex_negative": None,
        "sw_pe": None,
        "top_movers": "[]",
        "bottom_movers": "[]",
        **news,
    }


def news_section(row: dict) -> str:
    markdown = render_markdown(row)
    assert markdown.count("## Company news (公司动态)") == 1
    return markdown.split("## Company news (公司动态)")[1].split("## ")[0]


def test_the_brief_lists_the_weeks_headlines_with_time_source_and_link():
    items = [
        {
            "symbol": "000001",
            "name": "甲",
            "published_at": "2025-01-24 09:00:00",
            "publisher": "证券时报",
            "title": "甲公司 | 年报 [摘要]",
            "url": "http://finance.eastmoney.com/a/2.html",
        },
        {
            "symbol": "002415",
            "name": "海康威视",
            "published_at": "2025-01-23 10:00:00",
            "publisher": "新华社",
            "title": "海康威视发布新品",
            "url": "http://finance.eastmoney.com/a/1.html",
        },
    ]
    section = news_section(brief_row(company_news=json.dumps(items), n_news_companies=2))
    rows = [line for line in section.splitlines() if line.startswith("| 2025-")]
    assert rows == [
        "| 2025-01-24 09:00 | 甲 (000001) | 证券时报 "
        "| [甲公司 \\| 年报 \\[摘要\\]](<http://finance.eastmoney.com/a/2.html>) |",
        "| 2025-01-23 10:00 | 海康威视 (002415) | 新华社 "
        "| [海康威视发布新品](<http://finance.eastmoney.com/a/1.html>) |",
    ]
    assert "from 2025-01-20" in section and NO_NEWS not in section


def test_without_recorded_news_the_brief_says_so_in_one_line():
    section = news_section(brief_row(company_news="[]", n_news_companies=0))
    assert [line for line in section.splitlines() if line] == [NO_NEWS]
    # a brief row from before the news columns existed reads the same
    assert news_section(brief_row()) == section


def test_recorded_news_but_none_in_the_week_is_not_called_unrecorded():
    section = news_section(brief_row(company_news="[]", n_news_companies=3))
    lines = [line for line in section.splitlines() if line]
    assert lines == [
        "No headline published in the week from 2025-01-20 for the 3 movers and key companies "
        "whose news was recorded."
    ]
