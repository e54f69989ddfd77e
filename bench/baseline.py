"""The pandas baseline: the benchmarked marts the way an analyst computes them in a notebook.

    python -m bench.baseline --raw DIR --out DIR

Reads the raw Parquet with pandas and follows docs/metrics.md with merges, groupbys, ranks and
per-day loops: weekly returns and ranks of SW indices against the CSI 300, stock weekly returns
with point-in-time membership and statuses, movers, PE(TTM) excluding negatives and its 3/5/10-year
percentiles. Writes <out>/<mart>.parquet and prints seconds as JSON. One of the three
implementations whose numbers must agree (bench/compare.py).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.industries import SW_L1_SEED

MIN_OBS_PER_YEAR = 200  # dbt var percentile_min_obs_per_year
MOVERS_N = 5  # dbt var movers_n
BENCHMARK = "000300"  # dbt var benchmark_code


def read(raw: Path, dataset: str, columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(raw / dataset, columns=columns)


def trading_weeks(raw: Path, last_day: pd.Timestamp) -> pd.DataFrame:
    """One row per trading day with its week (Monday-based) and the previous week's end."""
    days = pd.to_datetime(read(raw, "trade_calendar")["trade_date"])
    days = days[days <= last_day].to_frame("trade_date")
    days["week_start"] = days["trade_date"] - pd.to_timedelta(
        days["trade_date"].dt.day_of_week, "D"
    )
    weeks = days.groupby("week_start", as_index=False)["trade_date"].max()
    weeks = weeks.rename(columns={"trade_date": "week_end"})
    weeks["prev_week_end"] = weeks["week_end"].shift()
    return days.merge(weeks, on="week_start")


def weekly_closes(bars: pd.DataFrame, weeks: pd.DataFrame, key: str) -> pd.DataFrame:
    """Last close of each key in each trading week (bars: key, date, close)."""
    bars = bars.dropna(subset=["close"]).merge(weeks, left_on="date", right_on="trade_date")
    bars = bars.sort_values([key, "date"])
    return bars.groupby([key, "week_start", "week_end"], as_index=False).agg(
        close=("close", "last"), last_bar_date=("date", "max")
    )


def industry_weekly_returns(raw: Path, weeks: pd.DataFrame) -> pd.DataFrame:
    sw = read(raw, "sw_index_daily", ["代码", "日期", "收盘"]).rename(
        columns={"代码": "code", "日期": "date", "收盘": "close"}
    )
    csi = read(raw, "csi_index_daily").rename(
        columns={"指数代码": "code", "日期": "date", "收盘": "close"}
    )
    bars = pd.concat([sw, csi[csi["code"] == BENCHMARK]])[["code", "date", "close"]]
    bars["date"] = pd.to_datetime(bars["date"])
    closes = weekly_closes(bars, weeks, "code").sort_values(["code", "week_end"])
    closes["weekly_return"] = closes["close"] / closes.groupby("code")["close"].shift() - 1
    closes = closes.dropna(subset=["weekly_return"])

    bench = closes[closes["code"] == BENCHMARK][["week_end", "weekly_return"]]
    spot = read(raw, "sw_index_spot")
    spot["sw_level"] = spot["symbol"].map({"一级行业": 1, "二级行业": 2})
    levels = spot.dropna(subset=["sw_level"]).drop_duplicates("指数代码")
    out = closes.merge(levels[["指数代码", "sw_level"]], left_on="code", right_on="指数代码")
    group = out.groupby(["week_end", "sw_level"])["weekly_return"]
    out["rank_in_level"] = group.rank(method="min", ascending=False).astype(int)
    out["n_in_level"] = group.transform("size")
    out = out.merge(bench.rename(columns={"weekly_return": "benchmark_return"}), how="left")
    out["excess_return"] = out["weekly_return"] - out["benchmark_return"]
    return out.rename(columns={"week_end": "week_end_date", "code": "index_code"})[
        ["week_end_date", "sw_level", "index_code", "weekly_return", "rank_in_level",
         "n_in_level", "benchmark_return", "excess_return"]
    ]  # fmt: skip


def l1_industries() -> pd.DataFrame:
    return pd.read_csv(SW_L1_SEED, dtype=str)


def memberships(raw: Path) -> pd.DataFrame:
    l1 = l1_industries()
    clf = read(raw, "sw_classification")
    clf["symbol"] = clf["symbol"].str.strip().str.zfill(6)
    clf["valid_from"] = pd.to_datetime(clf["start_date"])
    clf = clf.sort_values(["symbol", "valid_from"])
    clf["valid_to"] = clf.groupby("symbol")["valid_from"].shift(-1)
    clf["industry_code"] = clf["industry_code"].str.strip().str[:2] + "0000"
    clf = clf.merge(l1, on="industry_code")  # members of an L1 industry only
    return clf.rename(columns={"index_code": "l1_index_code"})[
        ["symbol", "valid_from", "valid_to", "l1_index_code", "index_name"]
    ]


def stock_weekly_returns(raw: Path, weeks: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    bars = read(raw, "stock_daily", ["股票代码", "日期", "收盘"]).rename(
        columns={"股票代码": "symbol", "日期": "date", "收盘": "close"}
    )
    bars["date"] = pd.to_datetime(bars["date"])
    closes = weekly_closes(bars[["symbol", "date", "close"]], weeks, "symbol")
    spans = closes.groupby("symbol").agg(
        first_week_end=("week_end", "min"), last_bar_date=("last_bar_date", "max")
    )
    first, last = closes["week_end"].min(), closes["week_end"].max()
    week_list = weeks.drop_duplicates("week_start")
    week_list = week_list[(week_list["week_end"] > first) & (week_list["week_end"] <= last)]

    rows = week_list[["week_start", "week_end"]].merge(members, how="cross")
    rows = rows[(rows["week_end"] >= rows["valid_from"])
                & (rows["valid_to"].isna() | (rows["week_end"] < rows["valid_to"]))]  # fmt: skip
    rows = rows.merge(closes[["symbol", "week_end", "close"]], how="left")
    # The previous close: the last weekly close strictly before the week, however far back.
    previous = closes[["symbol", "week_end", "close"]].rename(columns={"close": "prev_close"})
    rows = pd.merge_asof(
        rows.sort_values("week_end"),
        previous.sort_values("week_end"),
        on="week_end",
        by="symbol",
        allow_exact_matches=False,
    )
    rows = rows.merge(spans, left_on="symbol", right_index=True, how="left")

    names = read(raw, "stock_names")
    names = pd.DataFrame(
        {
            "symbol": names["code"].str.strip().str.zfill(6),
            "stock_name": names["name"].str.strip(),
            "is_st": names["name"].str.contains("ST", regex=False).fillna(False),
            "named": True,
        }
    )
    rows = rows.merge(names, how="left")
    named = rows["named"].fillna(False).astype(bool)
    listed = (rows["week_end"] >= rows["first_week_end"]) | (rows["first_week_end"].isna() & named)
    rows = rows[listed & ((rows["last_bar_date"] >= rows["week_start"]) | named)].copy()
    rows["is_st"] = rows["is_st"].fillna(False).astype(bool)
    traded = rows["close"].notna() & rows["prev_close"].notna()
    rows["status"] = np.where(
        traded, "traded", np.where(rows["close"].notna(), "new_listing", "suspended")
    )
    rows["weekly_return"] = (rows["close"] / rows["prev_close"] - 1).where(traded)
    return rows.rename(columns={"week_end": "week_end_date"})[
        ["week_end_date", "symbol", "stock_name", "l1_index_code", "index_name", "close",
         "prev_close", "weekly_return", "status", "is_st"]
    ]  # fmt: skip


def industry_movers(stocks: pd.DataFrame) -> pd.DataFrame:
    keys = ["week_end_date", "l1_index_code"]
    traded = stocks[stocks["status"] == "traded"]
    n_ranked = traded.groupby(keys).size().rename("n_ranked").reset_index()
    sides = []
    for side, ascending in (("top", False), ("bottom", True)):
        ranked = traded.sort_values(
            [*keys, "weekly_return", "symbol"], ascending=[True, True, ascending, True]
        )
        ranked = ranked.assign(position=ranked.groupby(keys).cumcount() + 1, side=side)
        sides.append(ranked[ranked["position"] <= MOVERS_N])
    unranked = stocks[stocks["status"] != "traded"].sort_values([*keys, "symbol"])
    sides.append(unranked.assign(position=unranked.groupby(keys).cumcount() + 1, side="unranked"))
    movers = pd.concat(sides).merge(n_ranked, how="left")
    movers["n_ranked"] = movers["n_ranked"].fillna(0).astype(int)
    return movers.rename(columns={"l1_index_code": "index_code"})[
        ["week_end_date", "index_code", "side", "position", "symbol", "weekly_return", "n_ranked"]
    ]


def daily_pe(raw: Path, weeks: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """PE(TTM) excluding negatives per L1 industry and day, beside SW's published PE."""
    values = read(raw, "stock_valuation", ["symbol", "数据日期", "总市值", "PE(TTM)"])
    values = pd.DataFrame(
        {
            "symbol": values["symbol"].str.zfill(6),
            "trade_date": pd.to_datetime(values["数据日期"]),
            "cap": values["总市值"],
            "pe": values["PE(TTM)"],
        }
    ).dropna(subset=["cap", "pe"])
    values = values[values["trade_date"].isin(weeks["trade_date"])]
    values = values.merge(members, on="symbol")
    values = values[(values["trade_date"] >= values["valid_from"])
                    & (values["valid_to"].isna() | (values["trade_date"] < values["valid_to"]))]  # fmt: skip
    positive = values["pe"] > 0
    values["cap_positive"] = values["cap"].where(positive)
    values["earnings_positive"] = (values["cap"] / values["pe"]).where(positive)
    values["nonpositive"] = ~positive
    ttm = values.groupby(["l1_index_code", "trade_date"], as_index=False).agg(
        cap=("cap_positive", "sum"),
        earnings=("earnings_positive", lambda s: s.sum(min_count=1)),
        n_members=("pe", "size"),
        n_excluded_nonpositive=("nonpositive", "sum"),
    )
    ttm["pe"] = ttm["cap"] / ttm["earnings"].replace(0, np.nan)
    ttm = ttm.rename(columns={"l1_index_code": "index_code"}).assign(pe_method="ttm_ex_negative")

    sw = read(raw, "sw_index_valuation")
    sw = pd.DataFrame(
        {
            "index_code": sw["指数代码"].str.strip().str.replace(".SI", "", regex=False),
            "trade_date": pd.to_datetime(sw["发布日期"]),
            "pe": sw["市盈率"],
            "pe_method": "sw_published",
        }
    )
    sw = sw[sw["index_code"].isin(l1_industries()["index_code"])]
    columns = ["index_code", "trade_date", "pe_method", "pe", "n_members", "n_excluded_nonpositive"]
    return pd.concat([ttm, sw], ignore_index=True)[columns]


def percentiles(daily: pd.DataFrame) -> pd.DataFrame:
    """For each day: observations in (d - Y years, d] and the share of them <= the day's value."""
    parts = []
    for _, group in daily.groupby(["index_code", "pe_method"]):
        group = group.sort_values("trade_date").reset_index(drop=True)
        dates = group["trade_date"]
        days = dates.to_numpy()
        values = group["pe"].to_numpy()
        has = ~np.isnan(values)
        for years in (3, 5, 10):
            # Window start: the day after the same date Y years earlier (29 Feb -> 28 Feb).
            bounds = (dates - pd.DateOffset(years=years) + pd.Timedelta(days=1)).to_numpy()
            starts = np.searchsorted(days, bounds)
            n_obs, first, share = [], [], []
            for i, start in enumerate(starts):
                window = values[start : i + 1][has[start : i + 1]]
                n_obs.append(len(window))
                first.append(
                    dates[start + int(np.argmax(has[start : i + 1]))] if len(window) else pd.NaT
                )
                enough = has[i] and len(window) >= MIN_OBS_PER_YEAR * years
                share.append((window <= values[i]).sum() / len(window) if enough else np.nan)
            group[f"n_obs_{years}y"] = n_obs
            group[f"window_start_{years}y"] = first
            group[f"percentile_{years}y"] = share
        parts.append(group)
    return pd.concat(parts, ignore_index=True)


def run(raw: Path, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    last_day = pd.to_datetime(read(raw, "sw_index_daily", ["日期"])["日期"]).max()
    weeks = trading_weeks(raw, last_day)
    members = memberships(raw)
    stocks = stock_weekly_returns(raw, weeks, members)
    marts = {
        "industry_weekly_returns": industry_weekly_returns(raw, weeks),
        "stock_weekly_returns": stocks,
        "industry_movers": industry_movers(stocks),
        "industry_valuation": percentiles(daily_pe(raw, weeks, members)),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in marts.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return {"seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, required=True, help="raw Parquet: <dataset>/*.parquet")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run(args.raw, args.out)))


if __name__ == "__main__":
    main()
