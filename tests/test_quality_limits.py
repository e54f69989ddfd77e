"""Raw and model checks against limits and references (issue 9): bars on trading days and not after
as_of, daily moves within price limits, weekly returns within what limits allow, classifications
pointing at an existing L1 industry, required numbers present, MIIT YoY consistent with the prior
year, and failures that carry example rows for programs.

Small frames are built here; the bundled sample and (when present) the shared whole-market data
must pass.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.bulk import with_bar_columns
from ingestion.fetcher import Fetched
from ingestion.industries import SW_L1_SEED
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS
from ingestion.warehouse import combine
from quality import FAILURE_DETAILS_KEY, RawReference, SuiteResult, validate_model, validate_raw
from quality.batches import combine_results
from quality.reference import (
    SW_L1_CODES,
    SW_L1_INDEX_BY_INDUSTRY,
    SW_L1_INDUSTRIES,
    WEEKLY_RETURN_BOUNDS,
)
from tests.test_quality import (
    csi_index_daily,
    fct_industry_weekly_returns,
    fct_stock_weekly_returns,
    mart_industry_movers,
    miit_software_stats,
    sw_classification,
    sw_index_daily,
    with_calls,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
SHARED = REPO.parent / "shared" / "data"
AS_OF = date(2025, 1, 24)


def failed(result: SuiteResult, *needles: str) -> list[str]:
    return [f for f in result.failures if all(n in f for n in needles)]


def trading_days(start: date, end: date) -> frozenset[date]:
    return frozenset(pd.bdate_range(start, end).date)


REFERENCE = RawReference(as_of=AS_OF, trading_days=trading_days(date(2023, 1, 2), AS_OF))


def stock_call(
    symbol: str, closes: list[float], start: date, *, start_date: str = "20240102"
) -> pd.DataFrame:
    """One stock_zh_a_hist call: bars on business days from `start`, with the call's kwargs."""
    days = list(pd.bdate_range(start, periods=len(closes)).date)
    close = np.array(closes, dtype=float)
    frame = pd.DataFrame(
        {
            "日期": days,
            "股票代码": symbol,
            "开盘": close,
            "收盘": close,
            "最高": close,
            "最低": close,
            "成交量": np.full(len(days), 1000, dtype="int64"),
            "成交额": 1.0e7,
            "振幅": 1.0,
            "涨跌幅": 0.5,
            "涨跌额": 0.05,
            "换手率": 0.8,
        }
    )
    kwargs = {
        "adjust": "qfq",
        "end_date": "20250124",
        "period": "daily",
        "start_date": start_date,
        "symbol": symbol,
    }
    return with_calls(frame, "stock_zh_a_hist", kwargs)


def walk(n: int, start: float = 10.0, step: float = 0.01) -> list[float]:
    return [round(start * (1 + step) ** i, 2) for i in range(n)]


# -- the sample and the shared real data pass ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_frames() -> dict[str, pd.DataFrame]:
    """Each dataset of the bundled sample, all calls combined as the raw asset does."""
    snapshot = Snapshot(SAMPLE)
    frames = {}
    for name, spec in SPECS.items():
        fetched = []
        for entry in snapshot.entries(name):
            frame, read = snapshot.read(name, entry.call)
            fetched.append(Fetched(entry.call, frame, read.provenance))
        frames[name] = combine(spec, fetched)
    return frames


@pytest.fixture(scope="module")
def sample_reference(sample_frames: dict[str, pd.DataFrame]) -> RawReference:
    calendar = pd.to_datetime(sample_frames["trade_calendar"]["trade_date"]).dt.date
    return RawReference(as_of=AS_OF, trading_days=frozenset(calendar))


# The optional datasets the sample leaves out (DatasetSpec.optional) have no frame to check.
@pytest.mark.parametrize("dataset", [d for d in SPECS if not SPECS[d].optional])
def test_every_sample_dataset_passes_with_the_run_reference(
    dataset, sample_frames, sample_reference
):
    frame = sample_frames[dataset]
    reference = sample_reference
    if dataset == "trade_calendar":  # the calendar is not checked against itself
        reference = RawReference(as_of=AS_OF, trading_days=None)
    result = validate_raw(dataset, frame, reference=reference)
    assert result.success, (result.failures, result.error)
    assert not [w for w in result.warnings if "not evaluated" in w]
    # As the loader hands it: with each bar's previous close and bar number.
    loaded = with_bar_columns(SPECS[dataset], frame)
    assert validate_raw(dataset, loaded, reference=reference).success


def test_sample_stock_bar_times_100_fails_with_the_row(sample_frames, sample_reference):
    frame = with_bar_columns(SPECS["stock_daily"], sample_frames["stock_daily"])
    row = frame.index[(frame["股票代码"] == "300170") & (frame["日期"] == date(2024, 6, 3))][0]
    for column in ("开盘", "收盘", "最高", "最低"):
        frame.loc[row, column] *= 100
    nxt = frame.index[(frame["股票代码"] == "300170") & (frame["日期"] == date(2024, 6, 4))][0]
    frame.loc[nxt, "_prev_close"] = frame.loc[row, "收盘"]
    for bars in (frame, frame.drop(columns=["_prev_close", "_bar_number"])):  # derived alike
        result = validate_raw("stock_daily", bars, reference=sample_reference)
        assert not result.success
        [line] = failed(result, "[moves]", "move_beyond_limit")
        assert "2 of 135882 rows" in line
        assert (
            "股票代码: '300170', 日期: 2024-06-03, 收盘: 630, prev_close: 6.47, move: 96.37" in line
        )
        detail = result.as_metadata()[FAILURE_DETAILS_KEY][0]
        assert detail["examples"][0]["股票代码"] == "300170"
        assert detail["examples"][0]["日期"] == "2024-06-03"


@pytest.mark.skipif(not (SHARED / "stocks").exists(), reason="no shared real data")
def test_whole_market_daily_bars_pass_the_move_limits():
    """Calibration: every real qfq bar 2024-01-02..2025-01-24 (1.31 M rows) is within its limit;
    without the listing rule, 49 bars of new listings' first days would fail."""
    bars = pd.read_parquet(SHARED / "stocks" / "stock_daily_qfq.parquet")
    frame = pd.DataFrame(
        {
            "日期": pd.to_datetime(bars["date"]).dt.date,
            "股票代码": bars["code"].astype(object),
            "开盘": bars["open"],
            "收盘": bars["close"],
            "最高": bars["high"],
            "最低": bars["low"],
            "成交量": bars["volume"].round().astype("int64"),
        }
    )
    for column in ("成交额", "振幅", "涨跌幅", "涨跌额", "换手率"):
        frame[column] = np.nan
    frame["_call_key"] = "stock_zh_a_hist__" + frame["股票代码"]
    frame["_call_args"] = frame["股票代码"].map(
        lambda s: json.dumps({"start_date": "20240102", "symbol": s})
    )
    frame = with_bar_columns(SPECS["stock_daily"], frame)
    reference = RawReference(AS_OF, trading_days(date(2023, 12, 1), AS_OF) - {date(2024, 1, 1)})
    result = validate_raw("stock_daily", frame, reference=reference)
    assert not failed(result, "[moves]"), result.failures
    frame["_call_args"] = frame["_call_args"].str.replace("20240102", "20991231")
    result = validate_raw("stock_daily", frame, reference=reference)
    assert failed(result, "[moves]", "49 of 1309464 rows")


# -- bars on trading days, not after as_of ---------------------------------------------------------


def test_a_sunday_bar_or_one_after_as_of_fails_with_the_row():
    frame = stock_call("000001", walk(5), date(2025, 1, 20))
    assert validate_raw("stock_daily", frame, reference=REFERENCE).success
    frame.loc[4, "日期"] = date(2025, 1, 26)  # a Sunday, after as_of too
    result = validate_raw("stock_daily", frame, reference=REFERENCE)
    [sunday] = failed(result, "[dates]", "on_trading_day")
    assert "股票代码: '000001', 日期: 2025-01-26" in sunday
    [late] = failed(result, "[dates]", "days_after_as_of")
    assert "days_after_as_of: 2" in late


@pytest.mark.parametrize(
    ("dataset", "column"),
    [
        ("sw_index_daily", "日期"),
        ("csi_index_daily", "日期"),
        ("sw_index_valuation", "发布日期"),
        ("stock_valuation", "数据日期"),
    ],
)
def test_every_dated_dataset_checks_its_dates(dataset, column):
    from tests.test_quality import RAW

    frame = RAW[dataset]()
    assert validate_raw(dataset, frame, reference=REFERENCE).success
    frame[column] = frame[column].astype(object)
    frame.loc[frame.index[-1], column] = date(2025, 1, 25)  # a Saturday
    result = validate_raw(dataset, frame, reference=REFERENCE)
    assert failed(result, "[dates]", "on_trading_day", "2025-01-25"), result.failures


def test_stock_valuation_dates_name_the_call_symbol():
    from tests.test_quality import stock_valuation

    frame = stock_valuation()
    frame.loc[14, "数据日期"] = date(2025, 2, 3)  # after as_of
    result = validate_raw("stock_valuation", frame, reference=REFERENCE)
    assert failed(result, "[dates]", "days_after_as_of", "symbol: '600519', 数据日期: 2025-02-03")


def test_without_a_reference_the_date_checks_are_skipped_and_said_so():
    frame = stock_call("000001", walk(5), date(2025, 1, 20))
    frame.loc[4, "日期"] = date(2025, 1, 26)
    result = validate_raw("stock_daily", frame)
    assert result.success
    assert [w for w in result.warnings if w.startswith("[dates] not evaluated: no run reference")]


def test_without_trading_days_only_as_of_is_checked():
    frame = stock_call("000001", walk(5), date(2025, 1, 20))
    frame.loc[4, "日期"] = date(2025, 1, 26)
    result = validate_raw("stock_daily", frame, reference=RawReference(AS_OF, None))
    assert failed(result, "[dates]", "days_after_as_of")
    assert not failed(result, "on_trading_day")
    assert [w for w in result.warnings if "trading days not known" in w]


def test_the_known_csi_holiday_row_is_accepted_but_no_other():
    frame = csi_index_daily()
    holiday = frame.iloc[[0]].assign(日期=date(2018, 6, 18), 指数代码="930651")
    holiday[["开盘", "最高", "最低"]] = np.nan  # as CSI publishes it: a close only
    reference = RawReference(AS_OF, trading_days(date(2018, 1, 1), AS_OF) - {date(2018, 6, 18)})
    with_holiday = pd.concat([holiday, frame], ignore_index=True)
    assert validate_raw("csi_index_daily", with_holiday, reference=reference).success
    # The same row for another index is neither a known holiday bar nor a complete bar.
    other = pd.concat([holiday.assign(指数代码="000300"), frame], ignore_index=True)
    result = validate_raw("csi_index_daily", other, reference=reference)
    assert failed(result, "[dates]", "on_trading_day", "指数代码: '000300', 日期: 2018-06-18")
    assert failed(result, "[required_ohlc]", "not_be_null(开盘)", "000300")


# -- daily moves within limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "move", "fails"),
    [
        ("600519", 0.0999, False),  # main board, ±10%
        ("600519", 0.1050, True),
        ("000001", -0.1050, True),
        ("300750", 0.1990, False),  # ChiNext, ±20%
        ("300750", 0.2100, True),
        ("688981", -0.1990, False),  # STAR, ±20%
        ("688981", -0.2100, True),
        ("830799", 0.2990, False),  # Beijing, ±30%
        ("920099", 0.3100, True),
    ],
)
def test_stock_moves_within_the_board_limit(symbol, move, fails):
    closes = [100.0] * 10
    closes[7:] = [round(100.0 * (1 + move), 2)] * 3
    result = validate_raw("stock_daily", stock_call(symbol, closes, date(2024, 1, 2)))
    assert bool(failed(result, "[moves]")) is fails, result.failures


def test_limit_up_at_a_penny_price_passes_by_the_rounding_allowance():
    # 1.25 * 1.1 = 1.375, the limit price 1.38 (+10.4%): seen in real data (000882, 2024-09-26).
    frame = stock_call("000882", [1.25, 1.25, 1.38, 1.52], date(2024, 1, 2))
    assert validate_raw("stock_daily", frame).success
    frame.loc[3, ["开盘", "收盘", "最高", "最低"]] = 1.54  # +11.6%: beyond two cents
    assert failed(validate_raw("stock_daily", frame), "[moves]", "日期: 2024-01-05")


def test_a_new_listing_is_unlimited_for_its_first_five_bars():
    closes = [40.0, 80.0, 60.0, 90.0, 70.0, 71.0, 72.0]  # +100%, -25%, +50%, -22%: days 2-5
    listing = stock_call("301589", closes, date(2024, 2, 5))  # first bar after start_date
    assert validate_raw("stock_daily", listing, reference=REFERENCE).success
    listing.loc[5, ["开盘", "收盘", "最高", "最低"]] = 90.0  # day 6: +28.6%, limited again
    result = validate_raw("stock_daily", listing, reference=REFERENCE)
    [line] = failed(result, "[moves]")
    assert "1 of 7 rows" in line and "日期: 2024-02-12" in line
    # The same moves in a call whose first bar is its start_date: no listing, every bar limited.
    known = stock_call("301589", closes, date(2024, 2, 5), start_date="20240205")
    assert failed(validate_raw("stock_daily", known, reference=REFERENCE), "[moves]", "4 of 7")
    # A start_date on a holiday: the first trading day after it is no listing either.
    holiday = stock_call("301589", closes, date(2024, 2, 19), start_date="20240217")
    assert failed(validate_raw("stock_daily", holiday, reference=REFERENCE), "[moves]", "4 of 7")


def test_a_batch_of_new_bars_is_checked_with_the_loaders_previous_close():
    frame = with_bar_columns(SPECS["stock_daily"], stock_call("600519", walk(30), date(2024, 1, 2)))
    batch = frame.iloc[-5:].copy()  # the week a run adds: bars 26..30
    assert validate_raw("stock_daily", batch).success
    batch.loc[batch.index[-1], ["开盘", "收盘", "最高", "最低"]] *= 100
    result = validate_raw("stock_daily", batch)
    assert failed(result, "[moves]", "1 of 5 rows", "股票代码: '600519'")


def test_index_moves_within_30_percent_but_known_gap_bars():
    frame = sw_index_daily()
    assert validate_raw("sw_index_daily", frame).success
    rows = frame.index[frame["代码"] == "801012"]
    frame.loc[rows[2:], ["收盘", "开盘", "最高", "最低"]] *= 1.4
    result = validate_raw("sw_index_daily", frame)
    assert failed(result, "[moves]", "1 of", "代码: '801012', 日期: 2025-01-22")
    # The first bar after SW's known gap (801952 焦炭 on 2021-12-13) is real; the same on any
    # other day or code fails, and so does the latest date.
    gap = pd.DataFrame(
        {
            "代码": "801952",
            "日期": [date(2017, 1, 20), date(2021, 12, 13), date(2021, 12, 14)],
            "收盘": [901.47, 3029.80, 3087.54],
        }
    )
    for column in ("开盘", "最高", "最低"):
        gap[column] = gap["收盘"]
    gap["成交量"], gap["成交额"] = 1.0, 1.0
    gap = with_calls(gap, "index_hist_sw", {"period": "day", "symbol": "801952"})
    result = validate_raw("sw_index_daily", pd.concat([sw_index_daily(), gap], ignore_index=True))
    assert not failed(result, "[moves]"), result.failures
    other = gap.assign(代码="801017")
    result = validate_raw("sw_index_daily", pd.concat([sw_index_daily(), other], ignore_index=True))
    assert failed(result, "[moves]", "代码: '801017', 日期: 2021-12-13")


def test_csi_moves_within_30_percent():
    frame = csi_index_daily()
    frame.loc[4, ["开盘", "最高", "最低", "收盘"]] = frame.loc[4, "收盘"] * 100
    assert failed(validate_raw("csi_index_daily", frame), "[moves]", "指数代码: '000300'")


# -- required numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "column"),
    [
        ("stock_daily", "收盘"),
        ("stock_daily", "开盘"),
        ("sw_index_daily", "收盘"),
        ("sw_index_daily", "最低"),
        ("csi_index_daily", "收盘"),
        ("stock_valuation", "当日收盘价"),
        ("sw_index_valuation", "市盈率"),
        ("sw_index_spot", "最新价"),
    ],
)
def test_nan_in_a_required_number_fails(dataset, column):
    from tests.test_quality import RAW

    frame = RAW[dataset]()
    frame.loc[2, column] = np.nan
    result = validate_raw(dataset, frame)
    assert failed(result, f"expect_column_values_to_not_be_null({column})", "1 of"), result.failures


def test_csi_open_high_low_required_but_on_the_known_holiday():
    frame = csi_index_daily()
    frame.loc[2, "最高"] = np.nan
    assert failed(validate_raw("csi_index_daily", frame), "[required_ohlc]", "not_be_null(最高)")
    frame = csi_index_daily()
    frame.loc[:, "成交量"] = np.nan  # the csindex fallback returns no volume: by design
    assert validate_raw("csi_index_daily", frame).success


def test_miit_gaps_are_not_zeros_and_may_stay_empty():
    frame = miit_software_stats()
    frame.loc[3, ["value", "yoy_pct"]] = np.nan  # real: a share without its level
    assert validate_raw("miit_software_stats", frame).success


# -- classification -> an existing industry --------------------------------------------------------


def test_the_seed_is_the_one_industry_list():
    with SW_L1_SEED.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["industry_code"]: r["index_code"] for r in rows} == SW_L1_INDEX_BY_INDUSTRY
    assert {r["index_code"]: r["index_name"] for r in rows} == SW_L1_INDUSTRIES
    assert len(SW_L1_CODES) == 31 and SW_L1_INDUSTRIES["801750"] == "计算机"


def test_classification_to_a_non_existent_industry_fails_with_its_symbol():
    frame = sw_classification()
    frame["industry_code"] = ["480301", "710101", "710000"]  # L3 and L1 codes both map
    assert validate_raw("sw_classification", frame).success
    frame.loc[1, "industry_code"] = "999999"
    result = validate_raw("sw_classification", frame)
    [line] = failed(result, "[l1_industry]", "l1_industry_code")
    assert "symbol: '300750'" in line and "industry_code: '999999'" in line


# -- MIIT YoY against the prior year ---------------------------------------------------------------


def miit_pair(yoy_pct: float, segment: str = "total") -> pd.DataFrame:
    frame = miit_software_stats().iloc[[2, 2]].reset_index(drop=True)
    frame["period_end"] = ["2023-11", "2024-11"]
    frame["segment"] = segment
    frame["value"] = [111000.0, 122903.0]  # +10.72%
    frame["yoy_pct"] = [13.7, yoy_pct]
    return frame


def test_miit_yoy_against_the_prior_years_value():
    assert validate_raw("miit_software_stats", miit_pair(10.7)).success
    assert validate_raw("miit_software_stats", miit_pair(20.0)).success  # comparable sample
    result = validate_raw("miit_software_stats", miit_pair(55.0))
    [line] = failed(result, "[yoy_vs_prior]")
    assert "period_end: '2024-11'" in line and "yoy_pct: 55" in line
    assert "implied_yoy_pct: 10.7" in line
    # Segments are redefined more often: 30 pp, with MIIT's 2021 cloud scope change listed.
    assert validate_raw("miit_software_stats", miit_pair(35.0, "it_services")).success
    assert failed(validate_raw("miit_software_stats", miit_pair(55.0, "it_services")), "[yoy_")


def test_miit_known_scope_change_is_accepted_and_the_real_file_passes(sample_frames):
    frame = sample_frames["miit_software_stats"]
    assert validate_raw("miit_software_stats", frame).success
    row = frame.index[
        (frame["period_type"] == "ytd")
        & (frame["period_end"] == "2024-11")
        & (frame["metric"] == "revenue")
        & (frame["segment"] == "total")
    ]
    bad = frame.copy()
    bad.loc[row, "yoy_pct"] = 55.0  # published: 10.7
    assert failed(validate_raw("miit_software_stats", bad), "[yoy_vs_prior]", "2024-11")


# -- weekly returns within any limit ---------------------------------------------------------------


@pytest.mark.parametrize("weekly_return", [160.1065, -0.99])
def test_stock_week_beyond_any_limit_fails_with_the_row(weekly_return):
    frame = fct_stock_weekly_returns()
    frame.loc[4, "weekly_return"] = weekly_return
    result = validate_model("fct_stock_weekly_returns", frame)
    [line] = failed(result, "weekly_return", f"max_value={WEEKLY_RETURN_BOUNDS[1]:.6g}")
    assert "symbol: '300750'" in line and "week_end_date: 2025-01-24" in line
    movers = mart_industry_movers()
    movers.loc[0, "weekly_return"] = weekly_return
    assert failed(validate_model("mart_industry_movers", movers), "weekly_return", "300001")


def test_stock_weeks_up_to_five_limit_days_pass():
    frame = fct_stock_weekly_returns()
    frame.loc[0, "weekly_return"] = 2.574  # a real listing's second week (301551)
    frame.loc[1, "weekly_return"] = -0.646  # a real listing's second week (001279)
    assert validate_model("fct_stock_weekly_returns", frame).success


def test_industry_week_beyond_any_limit_fails_even_in_long_history():
    frame = pd.concat([fct_industry_weekly_returns()] * 40000, ignore_index=True)
    frame = frame[frame["week_end_date"] == frame["week_end_date"].min()].copy()
    frame.loc[frame.index[3], ["weekly_return", "excess_return"]] = [100.0, 99.99]
    result = validate_model("fct_industry_weekly_returns", frame)
    assert failed(result, "weekly_return", f"max_value={WEEKLY_RETURN_BOUNDS[1]:.6g}", "100")


# -- failure details for programs ------------------------------------------------------------------


def test_failure_details_give_the_check_columns_and_up_to_3_examples():
    frame = stock_call("000001", walk(10), date(2024, 1, 2))
    frame["收盘"] = frame["收盘"].astype(float)
    frame.loc[[2, 4, 6, 8], "收盘"] = -1.0
    result = validate_raw("stock_daily", frame)
    meta = result.as_metadata()
    details = meta[FAILURE_DETAILS_KEY]
    assert len(details) == result.n_failed and json.loads(json.dumps(details)) == details
    positive = next(d for d in details if d["summary"].startswith("expect_column_values_to_be_b"))
    assert positive["suite"] == "raw.stock_daily" and positive["part"] == ""
    assert positive["expectation"] == "expect_column_values_to_be_between"
    assert positive["columns"] == ["收盘"]
    assert positive["examples"] == [
        {"股票代码": "000001", "日期": d, "收盘": -1.0}
        for d in ("2024-01-04", "2024-01-08", "2024-01-10")
    ]
    # Combining chunks keeps each chunk's details.
    combined = combine_results([result, validate_raw("stock_daily", frame.iloc[:3])])
    assert len(combined.as_metadata()[FAILURE_DETAILS_KEY]) == combined.n_failed
    assert all(d["examples"] for d in combined.as_metadata()[FAILURE_DETAILS_KEY])


def test_missing_columns_appear_in_the_details_too():
    frame = stock_call("000001", walk(5), date(2024, 1, 2)).drop(columns=["收盘"])
    details = validate_raw("stock_daily", frame).as_metadata()[FAILURE_DETAILS_KEY]
    assert any(d["part"] == "moves" and d["columns"] == ["收盘"] for d in details)
    assert all(set(d) == {"suite", "part", "expectation", "columns", "summary", "examples"}
               for d in details)  # fmt: skip
