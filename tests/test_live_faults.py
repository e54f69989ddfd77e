# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""Live mode against a fake upstream on 127.0.0.1: akshare's own request and parsing code runs, and
each fault takes its path (retry, breaker, fallback, or a clean failure naming the host)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import requests

from ingestion.drift import SchemaDrift, schema_problems, value_problems
from ingestion.http import BudgetExceeded, HostBlocked, Net, NetConfig
from ingestion.live import Caller, NoDataError, UpstreamError
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, Call
from tests.fixtures.live.harness import make_net, make_recorder, upstream, world

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

STOCK = Call(
    "stock_zh_a_hist",
    {
        "symbol": "000034",
        "period": "daily",
        "start_date": "20250102",
        "end_date": "20250124",
        "adjust": "qfq",
    },
)
L1_SPOT = Call("index_realtime_sw", {"symbol": "一级行业"})
SW_HIST = Call("index_hist_sw", {"symbol": "801750", "period": "day"})
CSI = Call(
    "stock_zh_index_hist_csindex",
    {"symbol": "000300", "start_date": "20250102", "end_date": "20250124"},
)
VALUE = Call("stock_value_em", {"symbol": "000034"})


def call(net: Net, dataset: str, planned: Call) -> pd.DataFrame:
    return Caller(net).call(SPECS[dataset], planned).frame


@pytest.fixture
def stock(world):
    symbol = sorted(s for s in world.stock_bars if len(world.stock_bars[s]))[0]
    return Call(STOCK.function, {**STOCK.kwargs, "symbol": symbol})


# -- the choke point ----------------------------------------------------------------------------


def test_every_request_goes_through_the_choke_point_and_is_counted(upstream, stock):
    net = make_net(upstream)
    frame = call(net, "stock_daily", stock)
    assert len(frame) == 17 and list(frame.columns) == list(SPECS["stock_daily"].columns)
    assert net.counts() == {"eastmoney": 1, "total": 1}
    assert upstream.count("em_kline") == 1
    meta = net.metadata()
    assert meta["requests_eastmoney"] == 1 and meta["requests_total"] == 1
    # installed only while a live call runs
    assert requests.sessions.Session.request.__name__ == "request"
    assert "ingestion" not in requests.sessions.Session.request.__module__


def test_akshares_duplicate_first_page_is_asked_once(upstream):
    # index_realtime_sw asks page 1 for the count, then again in its page loop
    net = make_net(upstream)
    assert len(call(net, "sw_index_spot", L1_SPOT)) == 31
    assert upstream.count("sw_spot") == 1 and net.counts()["sw"] == 1


def test_throttle_spaces_requests_to_one_host_with_jitter(upstream, stock):
    net = make_net(upstream, throttle_scale=1.0)
    for _ in range(3):
        call(net, "stock_daily", stock)
    waits = net.config.sleep
    assert len(waits) == 2 and all(1.4 < w <= 1.5 * 1.3 for w in waits)  # eastmoney 1.5 s + jitter
    assert net.waited == pytest.approx(sum(waits), abs=0.01)


def test_budget_stops_the_run_with_a_message(upstream, stock):
    net = make_net(upstream, budgets={"eastmoney": 2})
    call(net, "stock_daily", stock)
    call(net, "stock_daily", stock)
    with pytest.raises(BudgetExceeded, match=r"'eastmoney' \(2 per run\).*rerun later"):
        call(net, "stock_daily", stock)
    assert upstream.count("em_kline") == 2


def test_klines_and_valuations_share_one_eastmoney_budget_but_not_a_throttle(upstream, stock):
    net = make_net(upstream, budgets={"eastmoney": 3}, throttle_scale=1.0)
    value = Call("stock_value_em", {"symbol": stock.kwargs["symbol"]})
    call(net, "stock_daily", stock)
    call(net, "stock_valuation", value)
    call(net, "stock_daily", stock)
    assert net.left("datacenter") == 0 and net.left("eastmoney") == 0 and net.left("sw") is None
    with pytest.raises(
        BudgetExceeded,
        match=r"'eastmoney' \(3 per run\) is used up \(datacenter 1 \+ eastmoney 2 requests\)",
    ):
        call(net, "stock_valuation", value)
    assert net.counts() == {"datacenter": 1, "eastmoney": 2, "total": 3}
    assert net.metadata()["budget_eastmoney"] == "3 of 3"
    # one throttle wait: the second kline; the valuation went to another host group
    assert len(net.config.sleep) == 1 and 1.4 < net.config.sleep[0] <= 1.5 * 1.3
    # a group's own budget still applies beside the pool's
    capped = make_net(upstream, budgets={"eastmoney": 10, "datacenter": 1})
    call(capped, "stock_valuation", value)
    with pytest.raises(BudgetExceeded, match=r"'datacenter' \(1 per run\)"):
        call(capped, "stock_valuation", value)
    assert capped.left("eastmoney") == 9


def test_curl_cffi_sessions_go_through_the_choke_point(upstream):
    from curl_cffi import requests as curl

    net = make_net(upstream)
    with net.installed():
        response = curl.get(
            "https://www.csindex.com.cn/csindex-home/perf/index-perf?indexCode=000300&startDate=20250120&endDate=20250124"
        )
    assert response.status_code == 200 and len(response.json()["data"]) == 5
    assert net.counts() == {"csindex": 1, "total": 1}
    net.blocked["csindex"] = "test"
    with net.installed(), pytest.raises(HostBlocked):
        curl.get("https://www.csindex.com.cn/x")
    assert upstream.count("csindex") == 1


# -- transient faults: retried with backoff -------------------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "reset", "502", "html", "partial"])
def test_transient_fault_is_retried_with_backoff(upstream, stock, fault):
    upstream.fail("em_kline", fault)
    net = make_net(upstream)
    started = time.monotonic()
    frame = call(net, "stock_daily", stock)
    assert len(frame) == 17
    assert upstream.count("em_kline") == 2
    assert net.config.sleep == [5.0]  # the first backoff wait, not slept in tests
    assert time.monotonic() - started < 5  # nothing hangs: the timeout fault stalls 2 s
    assert not net.blocked


def test_backoff_grows_and_a_failing_host_is_blocked_then_skipped(upstream, stock):
    upstream.fail("em_kline", "502", "502", "502")
    net = make_net(upstream)
    with pytest.raises(
        UpstreamError, match=r"failed 3 times \(HTTP 502 from push2his.eastmoney.com\)"
    ):
        call(net, "stock_daily", stock)
    assert net.config.sleep == [5.0, 20.0]
    assert "eastmoney" in net.blocked
    # the breaker is open: the next call does not reach the host at all
    with pytest.raises(
        HostBlocked, match=r"push2his.eastmoney.com.*3 consecutive failures.*captcha"
    ):
        call(net, "stock_daily", stock)
    assert upstream.count("em_kline") == 3


def test_403_blocks_the_host_at_once_without_retrying(upstream):
    upstream.fail("sw_hist", "403")
    net = make_net(upstream)
    with pytest.raises(HostBlocked, match=r"www.swsresearch.com.*HTTP 403.*8 hours"):
        call(net, "sw_index_daily", SW_HIST)
    assert upstream.count("sw_hist") == 1 and net.config.sleep == []
    with pytest.raises(HostBlocked):
        call(net, "sw_index_spot", L1_SPOT)
    assert upstream.count() == 1


def test_a_partial_l1_page_is_retried(upstream):
    upstream.fail("sw_spot", "short")
    net = make_net(upstream)
    assert len(call(net, "sw_index_spot", L1_SPOT)) == 31
    assert upstream.count("sw_spot") == 2


# -- no data: three shapes, one notion, the spec decides ----------------------------------------------


def test_keyerror_empty_where_data_is_required_is_retried_then_fails(upstream):
    upstream.fail("sw_hist", "empty_keyerror", "empty_keyerror", "empty_keyerror")
    net = make_net(upstream)
    with pytest.raises(NoDataError, match=r"sw_index_daily.*no data 3 times.*blocks quietly"):
        call(net, "sw_index_daily", SW_HIST)
    assert upstream.count("sw_hist") == 3


def test_zero_row_empty_where_data_is_required_is_retried(upstream):
    upstream.fail("sw_spot", "empty_rows")  # index_realtime_sw returns named columns, no rows
    net = make_net(upstream)
    assert len(call(net, "sw_index_spot", L1_SPOT)) == 31
    assert upstream.count("sw_spot") == 2


def test_zero_column_empty_is_fine_for_a_suspended_stock_and_recorded(upstream, stock, tmp_path):
    upstream.fail("em_kline", "empty_nocolumns")
    store = Snapshot(tmp_path / "store")
    recorder = make_recorder(upstream, store)
    served = recorder.serve(SPECS["stock_daily"], stock)
    assert served.frame.shape == (0, 0)
    assert store.entry("stock_daily", stock).status == "empty"
    assert upstream.count("em_kline") == 1


def test_none_result_is_no_data_for_stock_value_em(upstream):
    upstream.fail("em_value", "empty_none")  # data_json["result"] is None: a TypeError in akshare
    net = make_net(upstream)
    assert call(net, "stock_valuation", VALUE).shape == (0, 0)


def test_a_long_run_of_empty_answers_looks_like_a_soft_ban(upstream, stock):
    net = make_net(upstream, empty_ban_after=3)
    for _ in range(3):
        upstream.fail("em_kline", "empty_nocolumns")
        call(net, "stock_daily", stock)
    with pytest.raises(HostBlocked, match="3 consecutive answers with no data"):
        call(net, "stock_daily", stock)


# -- schema drift: never retried ----------------------------------------------------------------


def test_reordered_kline_fields_are_caught_by_value_sanity(upstream, stock):
    upstream.fail("em_kline", "reorder")  # akshare labels 最高/最低 by position
    net = make_net(upstream)
    with pytest.raises(SchemaDrift) as raised:
        call(net, "stock_daily", stock)
    text = str(raised.value)
    assert "schema drift in stock_daily" in text and "最低 <= 开盘, 收盘 <= 最高 fails" in text
    assert "expected: 日期 date, 股票代码 str" in text
    assert upstream.count("em_kline") == 1  # no retry


def test_reordered_spot_fields_are_caught(upstream):
    upstream.fail("sw_spot", "reorder")
    with pytest.raises(SchemaDrift, match="最低价 <= 今开盘, 最新价 <= 最高价 fails"):
        call(make_net(upstream), "sw_index_spot", L1_SPOT)


def test_a_renamed_field_is_drift_not_no_data(upstream):
    upstream.fail("sw_hist", "renamed")
    with pytest.raises(SchemaDrift, match=r"KeyError.*收盘.*not in index"):
        call(make_net(upstream), "sw_index_daily", SW_HIST)
    assert upstream.count("sw_hist") == 1


def test_an_added_field_is_a_length_mismatch_and_no_fallback_is_tried(upstream):
    upstream.fail("csindex", "extra")
    with pytest.raises(SchemaDrift, match="Length mismatch"):
        call(make_net(upstream), "csi_index_daily", CSI)
    assert upstream.count() == 1


def test_schema_diff_names_missing_extra_renamed_and_kinds():
    expected = {"日期": "date", "收盘": "float", "成交量": "int"}
    frame = pd.DataFrame({"日期": ["2025-01-24"], "close": [1.0], "成交量": [1.5], "x": [1]})
    problems = schema_problems(expected, frame)
    assert problems == [
        "renamed? 收盘 -> close (column 2)",
        "missing: 收盘",
        "unexpected: close, x",
        "kind changed: 日期 date -> str",
    ]
    swapped = pd.DataFrame(
        {"收盘": [1.0], "日期": [pd.Timestamp("2025-01-24").date()], "成交量": [1]}
    )
    assert schema_problems(expected, swapped) == ["column order changed"]


def test_value_sanity_catches_caps_swapped_and_foreign_codes():
    frame = pd.DataFrame({"总市值": [1.0, 2.0], "流通市值": [5.0, 6.0]})
    assert value_problems("stock_valuation", frame, VALUE) == [
        "流通市值 exceeds 总市值: columns mislabelled?"
    ]
    bars = pd.DataFrame({"股票代码": ["000001"], "成交量": [-1]})
    assert value_problems("stock_daily", bars, STOCK) == [
        "成交量 is negative in 1 rows",
        "股票代码 is '000001', not '000034'",
    ]


# -- fallbacks: CSI 300 from csindex, then Eastmoney, then Sina -----------------------------------


def test_blocked_csindex_falls_back_to_eastmoney_and_records_both_frames(upstream, tmp_path):
    upstream.fail("csindex", "403")
    store = Snapshot(tmp_path / "store")
    served = make_recorder(upstream, store).serve(SPECS["csi_index_daily"], CSI)
    assert served.provenance == "derived" and served.how == "fetched"
    frame = served.frame
    assert list(frame.columns) == list(SPECS["csi_index_daily"].columns)
    assert frame["指数代码"].unique().tolist() == ["000300"] and len(frame) == 17
    assert frame["滚动市盈率"].isna().all() and frame["收盘"].notna().all()
    entries = {e.function: e for e in store.entries("csi_index_daily")}
    assert entries["stock_zh_index_daily_em"].provenance == "real"  # the fallback's own frame
    assert "fallback: stock_zh_index_daily_em" in entries["stock_zh_index_hist_csindex"].note
    back, _ = store.read("csi_index_daily", CSI)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert upstream.count("em_kline") == 1


def test_fallback_chain_reaches_sina(upstream, monkeypatch):
    import akshare

    upstream.fail("csindex", "403")
    upstream.fail("em_kline", "403")
    bars = pd.DataFrame(
        {
            "date": [pd.Timestamp("2025-01-23").date(), pd.Timestamp("2025-01-24").date()],
            "open": [3800.0, 3810.0],
            "high": [3830.0, 3850.0],
            "low": [3790.0, 3800.0],
            "close": [3812.0, 3840.0],
            "volume": [1.0e10, 1.1e10],
        }
    )
    # Sina answers in a V8-encoded format the fake does not produce: stand in at the function
    monkeypatch.setattr(akshare, "stock_zh_index_daily", lambda symbol: bars)
    outcome = Caller(make_net(upstream)).call(SPECS["csi_index_daily"], CSI)
    assert (
        outcome.provenance == "derived"
        and "stock_zh_index_daily(symbol='sh000300')" in outcome.note
    )
    assert outcome.frame["收盘"].tolist() == [3812.0, 3840.0]


def test_when_every_source_fails_the_error_names_each_host(upstream, monkeypatch):
    import akshare

    upstream.fail("csindex", "403")
    upstream.fail("em_kline", "403")
    monkeypatch.setattr(
        akshare, "stock_zh_index_daily", lambda symbol: (_ for _ in ()).throw(IndexError("x"))
    )
    with pytest.raises(UpstreamError) as raised:
        Caller(make_net(upstream)).call(SPECS["csi_index_daily"], CSI)
    text = str(raised.value)
    assert "every source failed" in text
    assert "www.csindex.com.cn" in text and "push2his.eastmoney.com" in text
    assert "stock_zh_index_daily: dataset 'csi_index_daily'" in text


def test_csi_theme_index_has_no_sina_fallback(upstream):
    upstream.fail("csindex", "403")
    upstream.fail("em_kline", "403")
    theme = Call(CSI.function, {**CSI.kwargs, "symbol": "930651"})
    with pytest.raises(UpstreamError, match="stock_zh_index_daily: does not carry"):
        Caller(make_net(upstream)).call(SPECS["csi_index_daily"], theme)


def test_net_config_reads_the_environment():
    config = NetConfig.from_env(
        {
            "SECTORPULSE_THROTTLE": "sw=6, eastmoney=3",
            "SECTORPULSE_THROTTLE_SCALE": "0.5",
            "SECTORPULSE_BUDGET": "sw=4,total=100",
            "SECTORPULSE_HTTP_TIMEOUT": "3,20",
            "SECTORPULSE_RETRY_BACKOFF": "1,2,10",
            "SECTORPULSE_BREAKER_AFTER": "5",
        }
    )
    assert config.interval("sw", 4.0) == 3.0 and config.interval("legulegu", 3.0) == 1.5
    assert config.budgets == {"sw": 4, "eastmoney": 400, "news": 25, "total": 100}
    assert config.timeout == (3.0, 20.0) and config.backoff == (1.0, 2.0, 10.0)
    assert config.breaker_after == 5
