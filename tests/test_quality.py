"""Great Expectations suites (quality/): raw frames before load, staging and marts after dbt.

Frames are small and built here with akshare's exact column names and kinds. Sockets are blocked.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.specs import SPECS
from quality import (
    MODEL_SUITES,
    RAW_SUITES,
    SuiteResult,
    build_data_docs,
    runner,
    validate_model,
    validate_raw,
)
from quality.catalog import model_suite, raw_suite
from quality.reference import SW_L1_CODES

REPO_ROOT = Path(__file__).resolve().parents[1]
DAYS = [date(2025, 1, 20) + timedelta(days=i) for i in range(5)]  # Mon..Fri
L2_CODES = ["801012", "801014", "801016"]
STOCKS = ["000001", "300750", "600519"]


def with_calls(frame: pd.DataFrame, function: str, kwargs: dict[str, str]) -> pd.DataFrame:
    """Adds load metadata the way ingestion.warehouse.combine does."""
    out = frame.copy()
    out["_call_key"] = f"{function}__{'_'.join(kwargs.values())}"
    out["_call_args"] = json.dumps(dict(sorted(kwargs.items())), ensure_ascii=False)
    out["_provenance"] = "synthetic"
    return out


def ohlc(close: np.ndarray) -> dict[str, np.ndarray]:
    return {"open": close * 0.99, "high": close * 1.02, "low": close * 0.97, "close": close}


# -- raw frames, one valid frame per dataset -------------------------------------------------------


def trade_calendar() -> pd.DataFrame:
    days = pd.bdate_range("2024-12-02", "2025-01-24").date
    return pd.DataFrame({"trade_date": list(days)})


def sw_spot_rows(codes: list[str]) -> pd.DataFrame:
    n = len(codes)
    price = np.linspace(1000, 5000, n)
    return pd.DataFrame(
        {
            "指数代码": codes,
            "指数名称": [f"行业{c}" for c in codes],
            "昨收盘": price,
            "今开盘": price * 1.001,
            "最新价": price * 1.01,
            "成交额": np.full(n, 120.5),
            "成交量": np.full(n, 30.2),
            "最高价": price * 1.02,
            "最低价": price * 0.99,
        }
    )


def sw_index_spot() -> pd.DataFrame:
    return pd.concat(
        [
            with_calls(
                sw_spot_rows(list(SW_L1_CODES)), "index_realtime_sw", {"symbol": "一级行业"}
            ),
            with_calls(sw_spot_rows(L2_CODES), "index_realtime_sw", {"symbol": "二级行业"}),
        ],
        ignore_index=True,
    )


def sw_daily_rows(code: str) -> pd.DataFrame:
    bars = ohlc(np.linspace(3000, 3100, len(DAYS)) + int(code) % 97)
    return pd.DataFrame(
        {
            "代码": code,
            "日期": DAYS,
            "收盘": bars["close"],
            "开盘": bars["open"],
            "最高": bars["high"],
            "最低": bars["low"],
            "成交量": 12.5,
            "成交额": 150.25,
        }
    )


def sw_index_daily() -> pd.DataFrame:
    parts = [
        with_calls(sw_daily_rows(code), "index_hist_sw", {"period": "day", "symbol": code})
        for code in [*SW_L1_CODES, *L2_CODES]
    ]
    return pd.concat(parts, ignore_index=True)


def csi_index_daily() -> pd.DataFrame:
    parts = []
    for code, name in [("000300", "沪深300"), ("930651", "中证计算机主题")]:
        bars = ohlc(np.linspace(3800, 3900, len(DAYS)))
        frame = pd.DataFrame(
            {
                "日期": DAYS,
                "指数代码": code,
                "指数中文全称": name + "指数",
                "指数中文简称": name,
                "指数英文全称": "CSI " + code,
                "指数英文简称": "CSI" + code,
                "开盘": bars["open"],
                "最高": bars["high"],
                "最低": bars["low"],
                "收盘": bars["close"],
                "涨跌": 12.0,
                "涨跌幅": 0.31,
                "成交量": 1.2e10,
                "成交金额": 3.4e11,
                "样本数量": 300,
                "滚动市盈率": 12.8,
            }
        )
        parts.append(with_calls(frame, "stock_zh_index_hist_csindex", {"symbol": code}))
    return pd.concat(parts, ignore_index=True)


def sw_index_valuation() -> pd.DataFrame:
    rows = [
        {
            "指数代码": code,
            "指数名称": f"行业{code}",
            "发布日期": day,
            "收盘指数": 3000.0 + i,
            "成交量": 25.0,
            "涨跌幅": 0.5,
            "换手率": 1.2,
            "市盈率": 18.5,
            "市净率": 1.9,
            "均价": 12.3,
            "成交额占比": 3.2,
            "流通市值": 20000.0,
            "平均流通市值": 80.0,
            "股息率": 1.1,
        }
        for day in DAYS[-3:]
        for i, code in enumerate(SW_L1_CODES)
    ]
    return pd.DataFrame(rows)


def sw_classification() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": STOCKS,
            "start_date": [date(2021, 7, 30)] * 3,
            "industry_code": ["480301", "630701", "340501"],
            "update_time": [date(2024, 1, 2)] * 3,
        }
    )


def stock_names() -> pd.DataFrame:
    return pd.DataFrame({"code": STOCKS, "name": ["平安银行", "宁德时代", "贵州茅台"]})


def stock_name_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "变更日期": [date(2024, 5, 6), date(2024, 12, 2)],
            "证券代码": ["000005", "000005"],
            "证券简称": ["星源环境", "星源环境"],
            "变更前简称": ["星源环境", "*ST星源"],
            "变更后简称": ["*ST星源", "星源环境"],
        }
    )


def stock_daily_rows(symbol: str) -> pd.DataFrame:
    bars = ohlc(np.linspace(10, 11, len(DAYS)))
    return pd.DataFrame(
        {
            "日期": DAYS,
            "股票代码": symbol,
            "开盘": bars["open"],
            "收盘": bars["close"],
            "最高": bars["high"],
            "最低": bars["low"],
            "成交量": np.arange(1000, 1000 + len(DAYS), dtype="int64"),
            "成交额": 1.1e7,
            "振幅": 2.5,
            "涨跌幅": 1.2,
            "涨跌额": 0.12,
            "换手率": 0.8,
        }
    )


def stock_daily() -> pd.DataFrame:
    parts = [
        with_calls(stock_daily_rows(s), "stock_zh_a_hist", {"symbol": s, "period": "daily"})
        for s in STOCKS
    ]
    return pd.concat(parts, ignore_index=True)


def stock_valuation_rows() -> pd.DataFrame:
    n = len(DAYS)
    return pd.DataFrame(
        {
            "数据日期": DAYS,
            "当日收盘价": np.linspace(10, 11, n),
            "当日涨跌幅": 1.0,
            "总市值": np.linspace(2e11, 2.1e11, n),
            "流通市值": 1.9e11,
            "总股本": 1.9e10,
            "流通股本": 1.9e10,
            "PE(TTM)": 5.1,
            "PE(静)": 5.3,
            "市净率": 0.6,
            "PEG值": 0.4,
            "市现率": 3.2,
            "市销率": 1.4,
        }
    )


def stock_valuation() -> pd.DataFrame:
    parts = [with_calls(stock_valuation_rows(), "stock_value_em", {"symbol": s}) for s in STOCKS]
    return pd.concat(parts, ignore_index=True)


def stock_news() -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "关键词": ["000001", "000001"],
            "新闻标题": ["平安银行发布年报", "平安银行发布年报"],  # listed twice: staging drops one
            "新闻内容": ["……", "……"],
            "发布时间": ["2025-01-23 09:30:00", "2025-01-23 09:30:00"],
            "文章来源": ["证券时报", "证券时报"],
            "新闻链接": ["http://finance.eastmoney.com/a/202501233300000001.html"] * 2,
        }
    )
    return with_calls(rows, "stock_news_em", {"symbol": "000001"})


def miit_software_stats() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_type": ["annual", "annual", "ytd", "ytd"],
            "period_end": ["2024-12", "2024-12", "2025-06", "2025-06"],
            "metric": ["revenue", "profit_total", "revenue", "revenue"],
            "segment": ["total", "total", "total", "cloud_big_data"],
            "value": [137276.0, 16953.0, 70585.0, 8260.0],
            "unit": ["亿元", "亿元", "亿元", "亿元"],
            "yoy_pct": [10.0, 8.7, 11.9, np.nan],
            "share_pct": [np.nan, np.nan, np.nan, 23.4],
            "published_date": ["2025-01-26", "2025-01-26", "2025-07-24", "2025-07-24"],
            "source_url": ["https://www.miit.gov.cn/"] * 4,
            "note": ["", "", "", "share of IT services"],
        }
    )


RAW: dict[str, Callable[[], pd.DataFrame]] = {
    "trade_calendar": trade_calendar,
    "sw_index_spot": sw_index_spot,
    "sw_index_daily": sw_index_daily,
    "csi_index_daily": csi_index_daily,
    "sw_index_valuation": sw_index_valuation,
    "sw_classification": sw_classification,
    "stock_names": stock_names,
    "stock_name_changes": stock_name_changes,
    "stock_daily": stock_daily,
    "stock_valuation": stock_valuation,
    "stock_news": stock_news,
    "miit_software_stats": miit_software_stats,
}
OHLC_DATASETS = {  # dataset -> (open, high, low, close)
    "sw_index_daily": ("开盘", "最高", "最低", "收盘"),
    "csi_index_daily": ("开盘", "最高", "最低", "收盘"),
    "stock_daily": ("开盘", "最高", "最低", "收盘"),
}


def failed(result: SuiteResult, *needles: str) -> list[str]:
    """The failure texts that contain every needle."""
    return [f for f in result.failures if all(n in f for n in needles)]


# -- raw suites ------------------------------------------------------------------------------------


def test_every_raw_dataset_has_a_suite():
    assert set(RAW_SUITES) == set(SPECS) == set(RAW)


@pytest.mark.parametrize("dataset", list(RAW))
def test_raw_frame_as_fetched_passes(dataset):
    frame = RAW[dataset]()
    assert set(c for c in frame.columns if not c.startswith("_")) == set(SPECS[dataset].columns)
    result = validate_raw(dataset, frame)
    assert result.success, result.failures or result.error
    assert (result.failures, result.error) == ([], None)
    assert result.suite == f"raw.{dataset}" and result.target == dataset
    assert result.rows == len(frame)
    assert result.n_expectations >= 3 + len(SPECS[dataset].columns)


@pytest.mark.parametrize("dataset", list(RAW))
def test_raw_missing_column_fails_and_names_it(dataset):
    column = list(SPECS[dataset].columns)[-1]
    result = validate_raw(dataset, RAW[dataset]().drop(columns=[column]))
    assert not result.success
    assert failed(result, "expect_table_columns_to_match_set", f"missing column(s) {column}")
    assert result.error is None  # a missing column is a data failure, not a crash


def test_raw_extra_column_fails_but_metadata_columns_are_ignored():
    frame = stock_daily()
    frame["_loaded_at"] = pd.Timestamp("2025-01-24 10:00")
    assert validate_raw("stock_daily", frame).success
    frame["市盈率"] = 1.0  # upstream added a column: schema drift
    result = validate_raw("stock_daily", frame)
    assert failed(result, "unexpected column(s) 市盈率")


# stock_valuation: keys per call; stock_news: staging drops repeated articles
@pytest.mark.parametrize("dataset", [d for d in RAW if d not in ("stock_valuation", "stock_news")])
def test_raw_duplicated_key_fails(dataset):
    frame = RAW[dataset]()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    result = validate_raw(dataset, frame)
    assert not result.success
    grain = SPECS[dataset].grain
    unique = "expect_column_values_to_be_unique" if len(grain) == 1 else "compound_columns"
    assert failed(result, unique, "2 of"), result.failures


def test_stock_valuation_dates_repeat_across_calls_but_not_within_one():
    frame = stock_valuation()
    assert frame["数据日期"].duplicated().any()  # one stock per call: dates repeat across calls
    assert validate_raw("stock_valuation", frame).success
    duplicated = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    result = validate_raw("stock_valuation", duplicated)
    assert failed(result, "[per_call_keys]", "expect_compound_columns_to_be_unique")


@pytest.mark.parametrize("dataset", list(OHLC_DATASETS))
def test_raw_negative_close_fails(dataset):
    frame = RAW[dataset]()
    close = OHLC_DATASETS[dataset][3]
    frame.loc[3, close] = -1.0
    result = validate_raw(dataset, frame)
    assert not result.success
    texts = failed(result, "expect_column_values_to_be_between", close, "strict_min=True")
    assert texts and "-1" in texts[0], result.failures


@pytest.mark.parametrize("dataset", list(OHLC_DATASETS))
def test_raw_low_above_high_fails(dataset):
    _open, high, low, close = OHLC_DATASETS[dataset]
    frame = RAW[dataset]()
    frame.loc[2, low] = frame.loc[2, high] + 10
    result = validate_raw(dataset, frame)
    assert not result.success
    assert failed(result, "expect_column_pair_values_a_to_be_greater_than_b", f"{high}, {low}")
    assert failed(result, "expect_column_pair_values_a_to_be_greater_than_b", f"{close}, {low}")


def test_sw_index_spot_29_instead_of_31_l1_industries_fails():
    frame = sw_index_spot()
    frame = frame[~frame["指数代码"].isin(["801750", "801980"])]
    result = validate_raw("sw_index_spot", frame)
    assert not result.success
    assert failed(result, "[l1]", "expect_table_row_count_to_equal(value=31)", "observed 29")


def test_sw_index_spot_l1_found_by_code_without_call_metadata():
    frame = sw_index_spot()
    plain = frame[[c for c in frame.columns if not c.startswith("_")]]
    assert validate_raw("sw_index_spot", plain).success
    result = validate_raw("sw_index_spot", plain[plain["指数代码"] != "801010"].iloc[1:])
    assert failed(result, "[l1]", "observed 29")


def test_sw_index_spot_l1_call_with_a_foreign_code_fails():
    frame = sw_index_spot()
    frame.loc[0, "指数代码"] = "801001"  # not an L1 industry, returned by the 一级行业 call
    result = validate_raw("sw_index_spot", frame)
    assert failed(result, "[l1]", "expect_column_values_to_be_in_set", "801001")


def test_sw_index_daily_29_l1_industries_on_the_latest_date_fails():
    frame = sw_index_daily()
    latest = frame["日期"] == DAYS[-1]
    frame = frame[~(latest & frame["代码"].isin(["801010", "801030"]))]
    result = validate_raw("sw_index_daily", frame)
    assert not result.success
    assert failed(result, "[l1_latest]", "expect_column_unique_value_count_to_be_between", "29")


def test_sw_index_daily_old_upstream_glitch_is_a_warning_on_long_history():
    # SW publishes a few historical bars with close > high; on a long history they are tolerated
    # (and reported), on the latest date they are not.
    frame = pd.concat([sw_index_daily()] * 400, ignore_index=True)
    frame["日期"] = [date(2000, 1, 3) + timedelta(days=i) for i in range(len(frame))]
    frame["代码"] = "801012"
    frame.loc[10, "收盘"] = frame.loc[10, "最高"] + 5
    result = validate_raw("sw_index_daily", frame.drop(columns=["_call_key"]))
    warnings = [w for w in result.warnings if "最高, 收盘" in w and "tolerated" in w]
    assert warnings and "代码: '801012', 日期: 2000-01-13" in warnings[0]  # an example row
    assert failed(result, "[l1_latest]", "observed 0")  # and no L1 industry on the latest date


def test_sw_index_valuation_29_industries_on_the_latest_date_fails():
    frame = sw_index_valuation()
    frame = frame[~((frame["发布日期"] == DAYS[-1]) & frame["指数代码"].isin(["801750", "801770"]))]
    result = validate_raw("sw_index_valuation", frame)
    assert failed(result, "[latest]", "expect_table_row_count_to_equal(value=31)", "observed 29")


@pytest.mark.parametrize(
    ("dataset", "column", "value"),
    [
        ("stock_daily", "日期", "2025-01-20"),  # ISO text instead of a datetime.date
        ("stock_daily", "收盘", "10.5"),  # text instead of a number
        ("stock_names", "code", 1),  # int instead of a str code
    ],
)
def test_raw_wrong_kind_fails(dataset, column, value):
    frame = RAW[dataset]()
    frame[column] = frame[column].astype(object)
    frame.loc[0, column] = value
    result = validate_raw(dataset, frame)
    assert not result.success
    kind_checks = failed(result, "expect_column_values_to_be_", f"({column}, type")
    assert kind_checks, result.failures


def test_raw_datetime64_dates_are_not_date_objects():
    frame = stock_daily()
    frame["日期"] = pd.to_datetime(frame["日期"])
    result = validate_raw("stock_daily", frame)
    assert failed(result, "expect_column_values_to_be_of_type(日期, type_='date')")


def test_raw_null_key_fails():
    frame = stock_daily()
    frame.loc[1, "股票代码"] = None
    result = validate_raw("stock_daily", frame)
    assert failed(result, "expect_column_values_to_not_be_null(股票代码)", "1 of 15")


def test_trade_calendar_must_be_sorted():
    frame = trade_calendar()
    frame = frame.iloc[[0, 2, 1, *range(3, len(frame))]].reset_index(drop=True)
    result = validate_raw("trade_calendar", frame)
    assert failed(result, "expect_column_values_to_be_increasing(trade_date, strictly=True)")


def test_csi_needs_the_csi_300_benchmark():
    frame = csi_index_daily()
    result = validate_raw("csi_index_daily", frame[frame["指数代码"] != "000300"])
    assert failed(result, "expect_column_distinct_values_to_contain_set(指数代码")


def test_stock_valuation_market_cap_required_and_positive():
    frame = stock_valuation()
    frame.loc[1, "总市值"] = 0.0
    result = validate_raw("stock_valuation", frame)
    assert failed(result, "expect_column_values_to_be_between(总市值", "1 of 15")
    frame.loc[0, "总市值"] = np.nan  # a valuation without its market cap weighs nothing
    result = validate_raw("stock_valuation", frame)
    assert failed(result, "expect_column_values_to_not_be_null(总市值)", "1 of 15")


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("metric", "revenue_growth", "expect_column_values_to_be_in_set(metric"),
        ("segment", "games", "expect_column_values_to_be_in_set(segment"),
        ("period_type", "monthly", "expect_column_values_to_be_in_set(period_type"),
        ("share_pct", 120.0, "expect_column_values_to_be_between(share_pct"),
        ("yoy_pct", -150.0, "expect_column_values_to_be_between(yoy_pct"),
    ],
)
def test_miit_values_outside_the_accepted_sets_and_ranges_fail(column, value, expectation):
    frame = miit_software_stats()
    frame[column] = frame[column].astype(object)
    frame.loc[0, column] = value
    result = validate_raw("miit_software_stats", frame)
    assert failed(result, expectation), result.failures


def test_empty_frame_fails():
    frame = pd.DataFrame(columns=[*SPECS["stock_daily"].columns, "_call_key", "_call_args"])
    result = validate_raw("stock_daily", frame)
    assert failed(result, "expect_table_row_count_to_be_between(min_value=1)", "observed 0")


def test_unknown_dataset_or_model_is_an_error_naming_it():
    with pytest.raises(ValueError, match="no raw suite for dataset 'stock_weekly'"):
        validate_raw("stock_weekly", stock_daily())
    with pytest.raises(ValueError, match="no suite for model 'fct_nope'"):
        validate_model("fct_nope", pd.DataFrame())


# -- model suites ----------------------------------------------------------------------------------

WEEKS = [pd.Timestamp("2025-01-17"), pd.Timestamp("2025-01-24")]


def fct_industry_weekly_returns() -> pd.DataFrame:
    rows = []
    for week in WEEKS:
        for level, codes in [(1, list(SW_L1_CODES)), (2, L2_CODES)]:
            returns = np.linspace(0.06, -0.05, len(codes))
            for rank, (code, weekly) in enumerate(zip(codes, returns, strict=True), start=1):
                rows.append(
                    {
                        "week_end_date": week,
                        "sw_level": level,
                        "index_code": code,
                        "weekly_return": weekly,
                        "rank_in_level": rank,
                        "n_in_level": len(codes),
                        "benchmark_return": 0.01,
                        "excess_return": weekly - 0.01,
                    }
                )
    return pd.DataFrame(rows)


def rpt_industry_weekly_brief() -> pd.DataFrame:
    frame = fct_industry_weekly_returns()
    frame = frame[frame["sw_level"] == 1].drop(columns=["sw_level"]).reset_index(drop=True)
    frame["pe_ttm_percentile_5y"] = np.linspace(0.01, 1.0, len(frame))
    frame["sw_pe_percentile_5y"] = np.nan  # no value when the history is too short
    return frame


def stg_akshare__sw_index_bars() -> pd.DataFrame:
    frame = sw_index_daily().rename(
        columns={
            "代码": "index_code",
            "日期": "trade_date",
            "开盘": "open",
            "最高": "high",
            "最低": "low",
            "收盘": "close",
            "成交量": "volume",
            "成交额": "amount",
        }
    )
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])  # DuckDB DATE -> datetime64
    return frame[[c for c in frame.columns if not c.startswith("_")]]


def stg_akshare__stock_bars() -> pd.DataFrame:
    frame = stock_daily()
    return pd.DataFrame(
        {
            "symbol": frame["股票代码"],
            "trade_date": pd.to_datetime(frame["日期"]),
            "open": frame["开盘"],
            "close": frame["收盘"],
            "high": frame["最高"],
            "low": frame["最低"],
            "volume_lots": frame["成交量"],
            "amount": frame["成交额"],
            "pct_change": frame["涨跌幅"] / 100,
        }
    )


def stg_miit__software_stats() -> pd.DataFrame:
    raw = miit_software_stats()
    return pd.DataFrame(
        {
            "period_type": raw["period_type"],
            "period_end": pd.to_datetime(raw["period_end"] + "-01") + pd.offsets.MonthEnd(0),
            "metric": raw["metric"],
            "segment": raw["segment"],
            "value": raw["value"],
            "yoy": raw["yoy_pct"] / 100,
            "share": raw["share_pct"] / 100,
        }
    )


def fct_industry_valuation() -> pd.DataFrame:
    rows = []
    for method, pe in [("ttm_ex_negative", 25.0), ("sw_published", -8.0)]:  # SW's PE may be < 0
        for i, code in enumerate(SW_L1_CODES):
            rows.append(
                {
                    "trade_date": pd.Timestamp("2025-01-24"),
                    "index_code": code,
                    "pe_method": method,
                    "pe": pe + i,
                    "percentile_3y": 0.5,
                    "percentile_5y": 1.0,
                    "percentile_10y": np.nan,
                    "n_obs_3y": 727,
                    "n_obs_5y": 1212,
                    "n_obs_10y": 1500,
                }
            )
    return pd.DataFrame(rows)


def mart_industry_movers() -> pd.DataFrame:
    rows = [
        {
            "week_end_date": WEEKS[-1],
            "index_code": "801750",
            "side": side,
            "position": p,
            "symbol": f"30000{p}",
            "weekly_return": (0.3 - p / 100) * (1 if side == "top" else -1),
        }
        for side in ("top", "bottom")
        for p in range(1, 6)
    ]
    rows.append(
        {
            "week_end_date": WEEKS[-1],
            "index_code": "801750",
            "side": "unranked",
            "position": 1,
            "symbol": "301999",
            "weekly_return": np.nan,  # a new listing: no return
        }
    )
    return pd.DataFrame(rows)


def fct_stock_weekly_returns() -> pd.DataFrame:
    rows = []
    for week in WEEKS:
        for i, (symbol, status) in enumerate(
            [("000001", "traded"), ("300750", "traded"), ("301999", "new_listing")]
        ):
            traded = status == "traded"
            rows.append(
                {
                    "week_end_date": week,
                    "symbol": symbol,
                    "l1_index_code": "801750",
                    "close": 10.0 + i,
                    "prev_close": 9.5 + i if traded else np.nan,
                    "weekly_return": (10.0 + i) / (9.5 + i) - 1 if traded else np.nan,
                    "status": status,
                }
            )
    return pd.DataFrame(rows)


def fct_software_industry_stats() -> pd.DataFrame:
    return stg_miit__software_stats()


MODELS: dict[str, Callable[[], pd.DataFrame]] = {
    "stg_akshare__sw_index_bars": stg_akshare__sw_index_bars,
    "stg_akshare__stock_bars": stg_akshare__stock_bars,
    "stg_miit__software_stats": stg_miit__software_stats,
    "fct_industry_weekly_returns": fct_industry_weekly_returns,
    "fct_industry_valuation": fct_industry_valuation,
    "fct_stock_weekly_returns": fct_stock_weekly_returns,
    "mart_industry_movers": mart_industry_movers,
    "fct_software_industry_stats": fct_software_industry_stats,
    "rpt_industry_weekly_brief": rpt_industry_weekly_brief,
}


def test_every_model_suite_is_covered_here():
    assert set(MODEL_SUITES) == set(MODELS)


@pytest.mark.parametrize("model", list(MODELS))
def test_model_frame_passes(model):
    result = validate_model(model, MODELS[model]())
    assert result.success, result.failures or result.error
    assert result.suite == f"model.{model}" and result.layer == "model"


@pytest.mark.parametrize("model", ["fct_industry_weekly_returns", "rpt_industry_weekly_brief"])
def test_non_contiguous_ranks_fail(model):
    frame = MODELS[model]()
    rows = frame.index[(frame["week_end_date"] == WEEKS[0]) & (frame["rank_in_level"] > 10)]
    frame.loc[rows, "rank_in_level"] += 1  # 1..10, 12..32 of 31: rank 11 is missing
    result = validate_model(model, frame)
    assert not result.success
    gaps = failed(result, "[rank_groups]", "rank_gap, min_value=0, max_value=0")
    assert gaps and "week_end_date: 2025-01-17" in gaps[0] and "rank_gap: 1" in gaps[0]
    assert failed(result, "expect_column_pair_values_a_to_be_greater_than_b(n_in_level")


def test_duplicate_ranks_fail():
    frame = fct_industry_weekly_returns()
    frame.loc[1, "rank_in_level"] = 1  # 1, 1, 3, ...
    result = validate_model("fct_industry_weekly_returns", frame)
    assert failed(result, "[rank_groups]", "duplicate_ranks")


def test_latest_week_with_30_l1_industries_fails():
    frame = fct_industry_weekly_returns()
    latest_l1 = (frame["week_end_date"] == WEEKS[-1]) & (frame["sw_level"] == 1)
    frame = frame.drop(frame.index[latest_l1][-1:])
    frame.loc[(frame["week_end_date"] == WEEKS[-1]) & (frame["sw_level"] == 1), "n_in_level"] = 30
    result = validate_model("fct_industry_weekly_returns", frame)
    assert failed(result, "[l1_latest_week]", "expect_table_row_count_to_equal(value=31)")
    assert failed(result, "[l1_latest_week]", "n_in_level, min_value=31, max_value=31")


def test_weekly_return_over_50_percent_in_the_latest_week_fails():
    frame = fct_industry_weekly_returns()
    frame.loc[len(frame) - 5, "weekly_return"] = 0.6
    result = validate_model("fct_industry_weekly_returns", frame)
    assert failed(result, "weekly_return", "0.6")
    assert failed(result, "[excess_return]", "excess_return_gap")  # no longer adds up


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("fct_industry_valuation", "percentile_5y"),
        ("fct_industry_valuation", "percentile_10y"),
        ("rpt_industry_weekly_brief", "pe_ttm_percentile_5y"),
    ],
)
def test_percentile_above_one_fails(model, column):
    frame = MODELS[model]()
    frame.loc[3, column] = 1.2
    result = validate_model(model, frame)
    texts = failed(
        result, f"expect_column_values_to_be_between({column}, min_value=0, max_value=1)"
    )
    assert texts and "1.2" in texts[0], result.failures


def test_our_pe_must_be_positive_sw_pe_may_not_be():
    frame = fct_industry_valuation()
    frame.loc[0, "pe"] = -3.0  # ttm_ex_negative
    result = validate_model("fct_industry_valuation", frame)
    assert failed(result, "expect_column_values_to_be_between(pe", "ttm_ex_negative", "1 of 31")


def test_movers_more_than_five_per_side_fail():
    frame = mart_industry_movers()
    extra = frame.iloc[[0]].assign(position=6)
    result = validate_model("mart_industry_movers", pd.concat([frame, extra], ignore_index=True))
    assert failed(result, "expect_column_values_to_be_between(position", "row_condition", "6")
    assert failed(result, "[side_counts]", "n_movers")
    bad_side = frame.assign(side=frame["side"].replace("unranked", "flat"))
    assert failed(validate_model("mart_industry_movers", bad_side), "in_set(side")


def test_stock_bars_pct_change_bounds():
    frame = stg_akshare__stock_bars()
    frame.loc[0, "pct_change"] = 12.0  # percent, not a fraction: 1200%
    result = validate_model("stg_akshare__stock_bars", frame)
    assert failed(result, "expect_column_values_to_be_between(pct_change", "12")


@pytest.mark.parametrize("model", ["stg_miit__software_stats", "fct_software_industry_stats"])
def test_software_share_above_one_fails(model):
    frame = MODELS[model]()
    frame.loc[3, "share"] = 23.4  # percent left unconverted
    assert failed(validate_model(model, frame), "expect_column_values_to_be_between(share")


def test_model_missing_column_fails_and_names_it():
    frame = fct_industry_weekly_returns().drop(columns=["excess_return"])
    result = validate_model("fct_industry_weekly_returns", frame)
    assert failed(result, "expect_column_to_exist(excess_return)")
    assert failed(result, "[excess_return] not evaluated: column excess_return is missing")
    assert result.error is None


# -- errors are failures, never passes ------------------------------------------------------------


def test_gx_exception_fails_with_the_error_text(monkeypatch):
    gx = runner._import_gx()

    def boom(self, **kwargs):
        raise RuntimeError("simulated GX failure")

    monkeypatch.setattr(gx.ValidationDefinition, "run", boom)
    result = validate_raw("stock_daily", stock_daily())
    assert result.success is False
    assert result.error == "RuntimeError: simulated GX failure"
    assert result.as_metadata()["error"] == "RuntimeError: simulated GX failure"


def test_exception_inside_an_expectation_fails_with_the_error_text():
    frame = stock_daily()
    frame["收盘"] = frame["收盘"].astype(object)
    frame.loc[0, "收盘"] = "n/a"  # GX cannot compare text with 0
    result = validate_raw("stock_daily", frame)
    assert result.success is False
    assert result.error and "expect_column_values_to_be_between(收盘" in result.error


def test_not_a_frame_is_an_error():
    result = validate_raw("stock_daily", None)  # type: ignore[arg-type]
    assert result.success is False
    assert result.error == "TypeError: expected a pandas DataFrame, got NoneType"


def test_as_metadata_is_plain_values():
    frame = stock_daily()
    frame.loc[0, "收盘"] = -5.0
    meta = validate_raw("stock_daily", frame).as_metadata()
    assert meta["success"] is False
    # 收盘 > 0, 收盘 >= 最低, and the moves of that bar and the next
    assert meta["failed_expectations"] == 3
    assert "收盘: -5" in meta["failures"]
    details = meta.pop("failure_details")  # a JSON list, for programs
    assert json.loads(json.dumps(details)) == details
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())


# -- context, performance, Data Docs ---------------------------------------------------------------


def test_date_columns_reach_gx_as_arrow_dates_and_odd_values_still_fail():
    frame = stock_daily()
    converted = runner.arrow_dates(frame)
    assert str(converted["日期"].dtype) == "date32[day][pyarrow]"
    assert list(converted["日期"]) == list(frame["日期"])
    assert pd.api.types.is_object_dtype(frame["日期"])  # the caller's frame is left as it was
    # Arrow would read an int as days since 1970: such a column stays as it is, and fails.
    for odd in (20250120, "2025-01-20", pd.Timestamp("2025-01-20").to_datetime64()):
        bad = frame.copy()
        bad["日期"] = bad["日期"].astype(object)
        bad.loc[0, "日期"] = odd
        assert pd.api.types.is_object_dtype(runner.arrow_dates(bad)["日期"])
        assert failed(validate_raw("stock_daily", bad), "expect_column_values_to_be_of_type(日期")
    # A datetime is a datetime.date to GX, as before; it is not cut to its day.
    frame["日期"] = frame["日期"].astype(object)
    frame.loc[0, "日期"] = datetime(2025, 1, 20, 9, 30)
    assert pd.api.types.is_object_dtype(runner.arrow_dates(frame)["日期"])
    assert validate_raw("stock_daily", frame).success
    empty = pd.DataFrame(columns=list(SPECS["stock_daily"].columns))  # object columns, no dates
    assert runner.arrow_dates(empty) is empty
    # A caller may hand Arrow dates itself (ingestion reads through Arrow).
    assert validate_raw("stock_daily", converted).success


def test_clean_batches_take_one_pass_unexpected_rows_a_second_for_examples(monkeypatch):
    from great_expectations.datasource.fluent.interfaces import Batch

    gx = runner._import_gx()
    passes: list[tuple[str, int]] = []  # (result format, expectations run)
    run, validate = gx.ValidationDefinition.run, Batch.validate

    def spy_run(self, **kwargs):
        passes.append((kwargs["result_format"]["result_format"], len(self.suite.expectations)))
        return run(self, **kwargs)

    def spy_validate(self, expect, **kwargs):
        passes.append((kwargs["result_format"]["result_format"], len(expect.expectations)))
        return validate(self, expect, **kwargs)

    monkeypatch.setattr(gx.ValidationDefinition, "run", spy_run)
    monkeypatch.setattr(Batch, "validate", spy_validate)
    # The main part, then the moves part; the dates part needs a run reference (none here).
    n_main, n_moves, _n_dates = (len(p.expectations) for p in raw_suite("stock_daily").parts)
    result = validate_raw("stock_daily", stock_daily())
    assert result.success and passes == [("BOOLEAN_ONLY", n_main), ("BOOLEAN_ONLY", n_moves)]
    assert "pandas_data_fingerprint" not in result.gx_results[0][1].meta["batch_markers"]

    passes.clear()
    frame = stock_daily()
    frame.loc[0, "收盘"] = -1.0
    result = validate_raw("stock_daily", frame)
    assert passes == [  # 收盘 > 0, 收盘 >= 最低; the move to -1 and back
        ("BOOLEAN_ONLY", n_main),
        ("SUMMARY", 2),
        ("BOOLEAN_ONLY", n_moves),
        ("SUMMARY", 1),
    ]
    assert failed(result, "strict_min=True", "收盘: -1") and result.n_failed == 3

    passes.clear()  # a `mostly` tolerance: counts from the start, so tolerated rows show
    assert validate_model("stg_akshare__stock_bars", stg_akshare__stock_bars()).success
    assert passes == [("BASIC", model_suite("stg_akshare__stock_bars").n_expectations)]


def test_context_and_suites_are_built_once_and_survive_other_contexts():
    validate_raw("stock_names", stock_names())
    context = runner.default_context()
    built = runner._runtime(None)._validations["raw.stock_names"]
    runner._import_gx().get_context(mode="ephemeral")  # another context becomes "current"
    assert validate_raw("stock_names", stock_names()).success
    assert runner.default_context() is context
    assert runner._runtime(None)._validations["raw.stock_names"] is built
    assert not context.variables.config.analytics_enabled


def test_an_explicit_context_is_used():
    context = runner.new_context()
    assert validate_raw("stock_names", stock_names(), context=context).success
    assert "raw.stock_names" in [s.name for s in context.suites.all()]


def test_150k_stock_rows_validate_in_seconds():
    n_stocks, n_days = 3000, 50
    days = [date(2024, 1, 2) + timedelta(days=i) for i in range(n_days)]
    rng = np.random.default_rng(7)
    # Days x stocks: random walks within the daily limit.
    walks = rng.uniform(5, 50, n_stocks) * np.cumprod(
        1 + rng.uniform(-0.05, 0.05, (n_days, n_stocks)), axis=0
    )
    close = walks.ravel()
    frame = pd.DataFrame(
        {
            "日期": np.repeat(np.array(days, dtype=object), n_stocks),
            "股票代码": np.tile([f"{600000 + i:06d}" for i in range(n_stocks)], n_days),
            "开盘": close * 0.99,
            "收盘": close,
            "最高": close * 1.02,
            "最低": close * 0.98,
            "成交量": rng.integers(0, 10**6, close.size),
            "成交额": rng.uniform(0, 1e8, close.size),
            "振幅": 3.0,
            "涨跌幅": 1.0,
            "涨跌额": 0.1,
            "换手率": 0.5,
        }
    )
    validate_raw("stock_daily", stock_daily())  # GX imported, suite built
    started = time.perf_counter()
    result = validate_raw("stock_daily", frame)
    elapsed = time.perf_counter() - started
    assert result.success and result.rows == 150_000
    frame["收盘"] = -1.0  # every row fails: examples must not cost a lookup per row
    failing = validate_raw("stock_daily", frame)
    assert not failing.success
    print(f"150k rows: {elapsed:.2f}s passing, {failing.seconds:.2f}s all failing")
    assert elapsed < 5 and failing.seconds < 5


def test_data_docs_are_written(tmp_path):
    passing = validate_raw("sw_index_spot", sw_index_spot())
    frame = fct_industry_valuation()
    frame.loc[0, "percentile_5y"] = 1.2
    failing = validate_model("fct_industry_valuation", frame)
    index = build_data_docs([passing, failing], tmp_path / "gx" / "data_docs")
    assert index == tmp_path / "gx" / "data_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "raw.sw_index_spot" in html and "model.fct_industry_valuation" in html
    for suite in ("raw.sw_index_spot", "model.fct_industry_valuation"):
        assert (index.parent / suite / "index.html").is_file()


# -- docs ------------------------------------------------------------------------------------------


def test_data_quality_doc_lists_every_suite():
    doc = (REPO_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`((?:raw|model)\.\w+)`", doc))
    expected = {f"raw.{d}" for d in RAW_SUITES} | {f"model.{m}" for m in MODEL_SUITES}
    assert expected <= listed, expected - listed
