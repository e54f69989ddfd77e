"""Build the bundled sample snapshot (data/sample/) from the shared real-data folder.

    python scripts/build_sample.py --shared ../shared/data --out data/sample

The output is a normal snapshot (see ingestion/snapshot.py): one gzip CSV and one manifest entry
per akshare call, for exactly the calls each spec's `plan(window, upstream)` returns, so the replay
fetcher finds every entry by key. Every entry is labelled real, derived or synthetic; docs/sample.md
says what each dataset holds and how it was made.

The build is deterministic: a fixed `fetched_at`, sorted inputs and outputs, and random numbers
seeded from the stock or index code. Rerunning it reproduces the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ingestion.snapshot import SHANGHAI, Provenance, Snapshot  # noqa: E402
from ingestion.specs import SPECS, Call, RunWindow  # noqa: E402

WINDOW = RunWindow(
    as_of=date(2025, 1, 24),
    stock_start=date(2024, 1, 2),
    index_start=date(2015, 1, 1),
    benchmarks=("000300", "930651"),
)
FETCHED_AT = datetime(2025, 1, 24, 18, 0, tzinfo=SHANGHAI)
DESCRIPTION = (
    "Bundled sample snapshot for as_of 2025-01-24: built from real data (SW and CSI index "
    "histories, qfq stock bars, akshare's bundled calendar, MIIT statistics), with some derived "
    "and synthetic datasets (see docs/sample.md)."
)
MAX_BYTES = 25_000_000  # bytes of file content; git stores the same bytes

# Tushare industry (stock_list.csv) -> SW 2021 L1 industry. An approximation: see docs/sample.md.
SW_L1_FROM_TUSHARE: dict[str, tuple[str, str]] = {
    "软件服务": ("710000", "计算机"),
    "IT设备": ("710000", "计算机"),
    "银行": ("480000", "银行"),
    "食品": ("340000", "食品饮料"),
    "白酒": ("340000", "食品饮料"),
    "乳制品": ("340000", "食品饮料"),
    "软饮料": ("340000", "食品饮料"),
    "红黄酒": ("340000", "食品饮料"),
    "啤酒": ("340000", "食品饮料"),
}

CSI_NAMES = {
    "000300": ("沪深300指数", "沪深300", "CSI 300 Index", "CSI 300"),
    "930651": ("中证计算机主题指数", "中证计算机", "CSI Computer Theme Index", "CSI Computer"),
}

# Synthetic SW L1 valuation: (median 市盈率 over 2015-2025, median ROE used for 市净率 = PE x ROE).
SW_L1_VALUATION: dict[str, tuple[float, float]] = {
    "801010": (30.0, 0.08),  # 农林牧渔
    "801030": (22.0, 0.10),  # 基础化工
    "801040": (12.0, 0.08),  # 钢铁
    "801050": (28.0, 0.08),  # 有色金属
    "801080": (40.0, 0.08),  # 电子
    "801110": (16.0, 0.17),  # 家用电器
    "801120": (30.0, 0.17),  # 食品饮料
    "801130": (22.0, 0.08),  # 纺织服饰
    "801140": (25.0, 0.09),  # 轻工制造
    "801150": (32.0, 0.10),  # 医药生物
    "801160": (18.0, 0.08),  # 公用事业
    "801170": (16.0, 0.09),  # 交通运输
    "801180": (12.0, 0.09),  # 房地产
    "801200": (25.0, 0.07),  # 商贸零售
    "801210": (40.0, 0.07),  # 社会服务
    "801230": (35.0, 0.05),  # 综合
    "801710": (14.0, 0.12),  # 建筑材料
    "801720": (11.0, 0.10),  # 建筑装饰
    "801730": (30.0, 0.10),  # 电力设备
    "801740": (60.0, 0.05),  # 国防军工
    "801750": (50.0, 0.06),  # 计算机
    "801760": (35.0, 0.07),  # 传媒
    "801770": (35.0, 0.07),  # 通信
    "801780": (5.5, 0.11),  # 银行
    "801790": (15.0, 0.09),  # 非银金融
    "801880": (20.0, 0.10),  # 汽车
    "801890": (30.0, 0.08),  # 机械设备
    "801950": (10.0, 0.13),  # 煤炭
    "801960": (12.0, 0.09),  # 石油石化
    "801970": (22.0, 0.08),  # 环保
    "801980": (35.0, 0.10),  # 美容护理
}


@dataclass(frozen=True)
class StockParams:
    """Ranges for the synthetic per-stock valuation of one SW L1 industry."""

    pe: tuple[float, float]  # starting PE(TTM), drawn log-uniform
    pb: tuple[float, float]  # starting 市净率
    ps: tuple[float, float]  # starting 市销率 of a stock that starts loss-making
    turnover: float  # median daily turnover of the float, sizes the share count
    float_min: float  # 流通股本 / 总股本 is drawn from [float_min, 1]
    margin: tuple[float, float]  # net margin
    growth: tuple[float, float]  # mean and sd of quarterly TTM revenue growth
    loss: float  # share of the stocks that are loss-making for part or all of the window


STOCK_PARAMS: dict[str, StockParams] = {
    "480000": StockParams(
        pe=(4.0, 7.0),
        pb=(0.4, 0.85),
        ps=(1.0, 3.0),
        turnover=0.0035,
        float_min=0.70,
        margin=(0.28, 0.42),
        growth=(0.0, 0.01),
        loss=0.0,
    ),
    "340000": StockParams(
        pe=(15.0, 45.0),
        pb=(1.5, 8.0),
        ps=(1.0, 6.0),
        turnover=0.012,
        float_min=0.60,
        margin=(0.06, 0.35),
        growth=(0.01, 0.03),
        loss=0.05,
    ),
    "710000": StockParams(
        pe=(30.0, 80.0),
        pb=(2.0, 8.0),
        ps=(2.0, 10.0),
        turnover=0.035,
        float_min=0.55,
        margin=(0.03, 0.15),
        growth=(0.01, 0.05),
        loss=0.15,
    ),
}

# Quarter ends of the synthetic TTM path: k = 0..8 is 2022Q3 .. 2024Q3. In the window, the TTM
# figure is that of 2023Q3 until the April report deadline, then 2024Q1, 2024Q2 and 2024Q3.
REPORT_DEADLINES = (date(2024, 4, 30), date(2024, 8, 31), date(2024, 10, 31))
TTM_K = (4, 6, 7, 8)  # TTM quarter in force before / after each deadline
ANNUAL_K = (1, 5)  # FY2022 (k=1) until the April deadline, then FY2023 (k=5)


# -- helpers -------------------------------------------------------------------------------------
def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the spec's columns, in order, with the dtypes akshare returns."""
    columns = SPECS[name].columns
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    out = pd.DataFrame(index=range(len(frame)))
    for column, kind in columns.items():
        values = frame[column].reset_index(drop=True)
        if kind == "str":
            out[column] = values.astype("str").where(values.notna())
        elif kind == "date":
            out[column] = pd.Series(
                [v if isinstance(v, date) else None for v in values], dtype=object
            )
        elif kind == "float":
            out[column] = values.astype("float64")
        elif kind == "int":
            ints = values.astype("Int64")
            out[column] = ints.astype("int64") if ints.notna().all() else ints
        else:
            raise ValueError(f"{name}.{column}: unknown kind {kind}")
    return out


def pct_change(close: pd.Series, digits: int = 2) -> pd.Series:
    return ((close / close.shift(1) - 1) * 100).round(digits)


def read_index_file(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"date": str})
    frame["date"] = [date.fromisoformat(d) for d in frame["date"]]
    frame = frame[frame["date"] <= WINDOW.as_of]
    return frame.sort_values("date").reset_index(drop=True)


def index_files(shared: Path, level: str) -> dict[str, tuple[str, Path]]:
    """code -> (name, path) for one level folder, from `<code>_<name>.csv`."""
    out = {}
    for path in sorted((shared / "sw_index_daily" / level).glob("*.csv")):
        code, name = path.stem.split("_", 1)
        out[code] = (name, path)
    return out


class Writer:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.frames: dict[tuple[str, str], pd.DataFrame] = {}  # (dataset, key) -> written frame
        self.counts: dict[str, int] = {}

    def write(
        self, dataset: str, call: Call, frame: pd.DataFrame, provenance: Provenance, note: str
    ) -> None:
        frame = conform(dataset, frame)
        entry = self.snapshot.write(
            dataset, call, frame, provenance=provenance, note=note, fetched_at=FETCHED_AT
        )
        self.frames[(dataset, entry.key)] = frame
        self.counts[dataset] = self.counts.get(dataset, 0) + 1

    def planned(self, dataset: str, upstream: Mapping[str, pd.DataFrame]) -> list[Call]:
        return SPECS[dataset].plan(WINDOW, upstream)


# -- datasets ------------------------------------------------------------------------------------
def build_trade_calendar(w: Writer) -> pd.DataFrame:
    from akshare.futures.cons import get_calendar

    days = sorted(datetime.strptime(d, "%Y%m%d").date() for d in get_calendar())
    frame = pd.DataFrame({"trade_date": pd.Series(days, dtype=object)})
    (call,) = w.planned("trade_calendar", {})
    w.write(
        "trade_calendar",
        call,
        frame,
        "real",
        "akshare bundled file_fold/calendar.json (akshare.futures.cons.get_calendar())",
    )
    return frame


def build_sw_index(w: Writer, shared: Path) -> dict[str, tuple[str, pd.DataFrame]]:
    """sw_index_spot (derived) and sw_index_daily (real). Returns L1 code -> (name, history)."""
    levels = {"一级行业": index_files(shared, "level1"), "二级行业": index_files(shared, "level2")}
    histories: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    spot_frames = {}
    for level, files in levels.items():
        rows = []
        for code, (name, path) in files.items():
            hist = read_index_file(path)
            histories[code], names[code] = hist, name
            last, prev = hist.iloc[-1], hist.iloc[-2]
            rows.append(
                {
                    "指数代码": code,
                    "指数名称": name,
                    "昨收盘": prev["close"],
                    "今开盘": last["open"],
                    "最新价": last["close"],
                    "成交额": last["amount"],
                    "成交量": last["volume"],
                    "最高价": last["high"],
                    "最低价": last["low"],
                }
            )
        spot_frames[level] = pd.DataFrame(rows).sort_values("指数代码").reset_index(drop=True)

    for call in w.planned("sw_index_spot", {}):
        level = call.kwargs["symbol"]
        w.write(
            "sw_index_spot",
            call,
            spot_frames[level],
            "derived",
            f"{level} list from the file names in sw_index_daily/; prices from each index's "
            "last daily bar up to 2025-01-24 (昨收盘 = the previous bar's close)",
        )

    spot_all = pd.concat(list(spot_frames.values()), ignore_index=True)
    level_of = {code: level for level, files in levels.items() for code in files}
    for call in w.planned("sw_index_daily", {"sw_index_spot": spot_all}):
        code = call.kwargs["symbol"]
        hist = histories[code]
        note = (
            f"shared sw_index_daily file of {code} {names[code]}, cut at 2025-01-24; "
            "column 代码 re-added from the file name"
        )
        if level_of[code] == "二级行业":
            # Keeps the sample under 25 MB: L2 history starts at the window's index_start.
            hist = hist[hist["date"] >= WINDOW.index_start].reset_index(drop=True)
            note += f"; L2: rows before {WINDOW.index_start} dropped (size)"
        frame = pd.DataFrame(
            {
                "代码": code,
                "日期": hist["date"],
                "收盘": hist["close"],
                "开盘": hist["open"],
                "最高": hist["high"],
                "最低": hist["low"],
                "成交量": hist["volume"],
                "成交额": hist["amount"],
            }
        )
        w.write(
            "sw_index_daily",
            call,
            frame,
            "real",
            note,
        )
    return {code: (names[code], histories[code]) for code in levels["一级行业"]}


def build_csi(w: Writer, shared: Path) -> None:
    for call in w.planned("csi_index_daily", {}):
        code = call.kwargs["symbol"]
        lo = datetime.strptime(call.kwargs["start_date"], "%Y%m%d").date()
        hi = datetime.strptime(call.kwargs["end_date"], "%Y%m%d").date()
        raw = pd.read_csv(shared / "csindex" / f"{code}.csv", dtype={"date": str})
        raw["date"] = [date.fromisoformat(d) for d in raw["date"]]
        raw = raw[(raw["date"] >= lo) & (raw["date"] <= hi)].sort_values("date")
        raw = raw.reset_index(drop=True)
        full, short, en_full, en_short = CSI_NAMES[code]
        frame = pd.DataFrame(
            {
                "日期": raw["date"],
                "指数代码": code,
                "指数中文全称": full,
                "指数中文简称": short,
                "指数英文全称": en_full,
                "指数英文简称": en_short,
                "开盘": raw["open"],
                "最高": raw["high"],
                "最低": raw["low"],
                "收盘": raw["close"],
                "涨跌": (raw["close"] - raw["close"].shift(1)).round(2),
                "涨跌幅": pct_change(raw["close"]),
                "成交量": np.nan,
                "成交金额": raw["amount_yi"],
                "样本数量": pd.array([pd.NA] * len(raw), dtype="Int64"),
                "滚动市盈率": raw["pe"],
            }
        )
        w.write(
            "csi_index_daily",
            call,
            frame,
            "derived",
            f"real OHLC, turnover (成交金额, 亿元) and rolling PE from shared csindex/{code}.csv; "
            "names added; 涨跌/涨跌幅 computed from closes (first row missing); "
            "成交量 and 样本数量 not archived (missing)",
        )


def load_stocks(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the sample's stocks with SW L1 code, their qfq bars), both sorted."""
    listing = pd.read_csv(shared / "stocks" / "stock_list.csv", dtype=str, keep_default_na=False)
    listing = listing[listing["industry"].isin(SW_L1_FROM_TUSHARE)].copy()
    listing["industry_code"] = listing["industry"].map(lambda i: SW_L1_FROM_TUSHARE[i][0])
    bars = pd.read_parquet(shared / "stocks" / "stock_daily_qfq.parquet")
    bars = bars[bars["code"].isin(set(listing["symbol"]))]
    bars = bars[(bars["date"] >= WINDOW.stock_start) & (bars["date"] <= WINDOW.as_of)]
    bars = bars.sort_values(["code", "date"]).reset_index(drop=True)
    listing = listing[listing["symbol"].isin(set(bars["code"]))]
    listing = listing.sort_values("symbol").reset_index(drop=True)
    return listing, bars


def build_classification(w: Writer, listing: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    first_bar = bars.groupby("code")["date"].min()
    clf = pd.DataFrame(
        {
            "symbol": listing["symbol"],
            "start_date": listing["symbol"].map(first_bar),
            "industry_code": listing["industry_code"],
            "update_time": WINDOW.as_of,
        }
    )
    clf = conform("sw_classification", clf)
    (call,) = w.planned("sw_classification", {})
    w.write(
        "sw_classification",
        call,
        clf,
        "derived",
        "approximate SW L1 membership of 计算机/银行/食品饮料 stocks, mapped from Tushare "
        "industries in stock_list.csv (docs/sample.md); industry_code is the L1 code; "
        "start_date = first bar in the window; update_time = 2025-01-24",
    )
    names = pd.DataFrame({"code": listing["symbol"], "name": listing["name"]})
    (call,) = w.planned("stock_names", {})
    w.write(
        "stock_names",
        call,
        names,
        "derived",
        "names of the sample's classified stocks from stock_list.csv (as of 2025-11: ST flags "
        "are current, not point-in-time)",
    )
    return clf


def stock_bars_frame(code: str, bars: pd.DataFrame) -> pd.DataFrame:
    high, low, close = bars["high"].round(2), bars["low"].round(2), bars["close"].round(2)
    prev = close.shift(1)
    return pd.DataFrame(
        {
            "日期": bars["date"].to_numpy(),
            "股票代码": code,
            "开盘": bars["open"].round(2).to_numpy(),
            "收盘": close.to_numpy(),
            "最高": high.to_numpy(),
            "最低": low.to_numpy(),
            "成交量": np.round(bars["volume"].to_numpy()).astype("int64"),
            "成交额": np.nan,
            "振幅": ((high - low) / prev * 100).round(2).to_numpy(),
            "涨跌幅": ((close / prev - 1) * 100).round(2).to_numpy(),
            "涨跌额": (close - prev).round(2).to_numpy(),
            "换手率": np.nan,
        }
    )


def build_stock_daily(w: Writer, clf: pd.DataFrame, bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    by_code = {code: group.reset_index(drop=True) for code, group in bars.groupby("code")}
    frames = {}
    for call in w.planned("stock_daily", {"sw_classification": clf}):
        code = call.kwargs["symbol"]
        frame = stock_bars_frame(code, by_code[code])
        frames[code] = frame
        w.write(
            "stock_daily",
            call,
            frame,
            "derived",
            "real qfq OHLC and volume (手, rounded) from stock_daily_qfq.parquet; "
            "振幅/涨跌幅/涨跌额 computed from closes (first bar missing); "
            "成交额 and 换手率 not archived (missing)",
        )
    return frames


def _in_force(day: date, values: tuple[int, ...]) -> int:
    """Index into `values` (one more than the deadlines it spans) in force on `day`."""
    passed = sum(day > deadline for deadline in REPORT_DEADLINES[: len(values) - 1])
    return values[passed]


def synthetic_valuation(
    code: str, industry_code: str, loss_maker: bool, daily: pd.DataFrame
) -> pd.DataFrame:
    """A stock_value_em frame: real qfq closes, synthetic shares and fundamentals (seeded)."""
    p = STOCK_PARAMS[industry_code]
    rng = np.random.default_rng(int(code))
    close = daily["收盘"].to_numpy()

    # Shares: size the float from the real median daily volume and a plausible turnover rate.
    turnover = p.turnover * float(np.exp(rng.normal(0.0, 0.5)))
    float_share = float(rng.uniform(p.float_min, 1.0))
    median_volume = float(np.median(daily["成交量"].to_numpy())) * 100  # 手 -> shares
    float_shares = float(round(max(median_volume, 1e4) / turnover))
    total_shares = float(round(float_shares / float_share))

    # Quarterly TTM revenue, net margin, profit, cash flow and book value, k = 0..8.
    n = 9
    growth = rng.normal(*p.growth, n)
    margin = rng.uniform(*p.margin) + rng.normal(0.0, 0.005, n)
    margin = np.maximum(margin, 0.3 * p.margin[0])
    loss_mode = "none"
    if loss_maker:
        loss_mode = str(rng.choice(["all", "turns", "recovers"]))
        switch = int(rng.choice([6, 7, 8]))
        negative = -rng.uniform(0.03, 0.25, n)
        if loss_mode == "all":
            margin = negative
        elif loss_mode == "turns":
            margin = np.where(np.arange(n) >= switch, negative, margin)
        else:
            margin = np.where(np.arange(n) < switch, negative, margin)
    pe0 = float(np.exp(rng.uniform(*np.log(p.pe))))
    ps0 = float(rng.uniform(*p.ps))
    pb0 = float(rng.uniform(*p.pb))
    cap0 = close[0] * total_shares
    revenue = np.empty(n)
    revenue[4] = cap0 / (pe0 * margin[4]) if margin[4] > 0 else cap0 / ps0
    for k in range(5, n):
        revenue[k] = revenue[k - 1] * (1 + growth[k])
    for k in range(3, -1, -1):
        revenue[k] = revenue[k + 1] / (1 + growth[k + 1])
    profit = revenue * margin
    cash_flow = profit * rng.uniform(0.6, 1.4, n) + revenue * rng.normal(0.0, 0.05, n)
    book = np.empty(n)
    book[4] = cap0 / pb0
    for k in range(5, n):
        book[k] = book[k - 1] + 0.6 * profit[k] / 4
    for k in range(3, -1, -1):
        book[k] = book[k + 1] - 0.6 * profit[k + 1] / 4
    book = np.maximum(book, 0.2 * book[4])

    days = list(daily["日期"])
    ttm_k = np.array([_in_force(d, TTM_K) for d in days])
    annual_k = np.array([_in_force(d, ANNUAL_K) for d in days])
    cap = close * total_shares
    ttm = profit[ttm_k]
    prior = profit[ttm_k - 4]
    yoy_pct = np.where(prior > 0, (ttm / np.where(prior > 0, prior, 1.0) - 1) * 100, np.nan)
    pe_ttm = cap / ttm
    peg = np.where((pe_ttm > 0) & (yoy_pct > 0), pe_ttm / np.where(yoy_pct > 0, yoy_pct, 1), np.nan)
    return pd.DataFrame(
        {
            "数据日期": days,
            "当日收盘价": close,
            "当日涨跌幅": daily["涨跌幅"].to_numpy(),
            "总市值": np.round(cap, -4),
            "流通市值": np.round(close * float_shares, -4),
            "总股本": total_shares,
            "流通股本": float_shares,
            "PE(TTM)": np.round(pe_ttm, 2),
            "PE(静)": np.round(cap / profit[annual_k], 2),
            "市净率": np.round(cap / book[ttm_k], 2),
            "PEG值": np.round(peg, 2),
            "市现率": np.round(cap / cash_flow[ttm_k], 2),
            "市销率": np.round(cap / revenue[ttm_k], 2),
        }
    )


def loss_makers(clf: pd.DataFrame) -> set[str]:
    """The loss-making stocks: per industry, the first round(loss x n) codes in sha256 order."""
    makers: set[str] = set()
    for industry_code, group in clf.groupby("industry_code"):
        codes = sorted(group["symbol"], key=lambda c: hashlib.sha256(c.encode()).hexdigest())
        makers.update(codes[: round(STOCK_PARAMS[industry_code].loss * len(codes))])
    return makers


def build_stock_valuation(
    w: Writer, clf: pd.DataFrame, daily: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    industry = dict(zip(clf["symbol"], clf["industry_code"], strict=True))
    makers = loss_makers(clf)
    losses = []
    for call in w.planned("stock_valuation", {"sw_classification": clf}):
        code = call.kwargs["symbol"]
        frame = synthetic_valuation(code, industry[code], code in makers, daily[code])
        losses.append(
            {
                "symbol": code,
                "industry_code": industry[code],
                "any_loss": bool((frame["PE(TTM)"] < 0).any()),
                "all_loss": bool((frame["PE(TTM)"] < 0).all()),
            }
        )
        w.write(
            "stock_valuation",
            call,
            frame,
            "synthetic",
            "SYNTHETIC fundamentals (shares, TTM profit, book, cash flow, revenue; seeded by "
            "code) on the real qfq close: 当日收盘价 and 当日涨跌幅 are real, 总市值 = close x "
            "synthetic 总股本, PE/PB/PEG/PCF/PS synthetic",
        )
    return pd.DataFrame(losses)


def synthetic_sw_valuation(
    code: str, name: str, hist: pd.DataFrame, trading_days: list[date]
) -> pd.DataFrame:
    """Daily SW L1 analysis rows on the index's bars since 2015: real close, synthetic PE/PB."""
    pe_mid, roe_mid = SW_L1_VALUATION[code]
    rng = np.random.default_rng(int(code))
    previous_day = dict(zip(trading_days[1:], trading_days[:-1], strict=True))
    prev_date = hist["date"].shift(1)
    consecutive = [previous_day.get(d) == p for d, p in zip(hist["date"], prev_date, strict=True)]
    change = pct_change(hist["close"]).where(consecutive)
    hist = hist.assign(change=change)
    hist = hist[hist["date"] >= WINDOW.index_start].reset_index(drop=True)

    # Smooth earnings: a blend of the log-price trend line and its 1-year centred moving average,
    # plus a slow wave; the constant puts the median PE at the industry's level.
    years = np.array([(d - WINDOW.index_start).days / 365.25 for d in hist["date"]])
    log_close = np.log(hist["close"].to_numpy())
    slope, intercept = np.polyfit(years, log_close, 1)
    trend = intercept + slope * years
    smooth = pd.Series(log_close).rolling(250, center=True, min_periods=1).mean().to_numpy()
    blend = float(rng.uniform(0.5, 0.7))
    wave = rng.uniform(0.03, 0.08) * np.sin(
        2 * np.pi * years / rng.uniform(3, 6) + rng.uniform(0, 6)
    )
    log_earnings = blend * smooth + (1 - blend) * trend + wave
    log_pe = log_close - log_earnings
    log_pe += np.log(pe_mid) - np.median(log_pe)
    pe = np.exp(log_pe)
    roe = roe_mid * (
        1 + rng.uniform(0.05, 0.15) * np.sin(2 * np.pi * years / 4 + rng.uniform(0, 6))
    )
    return pd.DataFrame(
        {
            "指数代码": code,
            "指数名称": name,
            "发布日期": hist["date"],
            "收盘指数": hist["close"],
            "成交量": hist["volume"],
            "涨跌幅": hist["change"],
            "换手率": np.nan,
            "市盈率": np.round(pe, 2),
            "市净率": np.round(pe * roe, 2),
            "均价": np.nan,
            "成交额占比": np.nan,
            "流通市值": np.nan,
            "平均流通市值": np.nan,
            "股息率": np.nan,
        }
    )


def build_sw_valuation(
    w: Writer, l1: dict[str, tuple[str, pd.DataFrame]], calendar: pd.DataFrame
) -> pd.DataFrame:
    trading_days = list(calendar["trade_date"])
    full = pd.concat(
        [synthetic_sw_valuation(code, *l1[code], trading_days) for code in sorted(l1)],
        ignore_index=True,
    )
    for call in w.planned("sw_index_valuation", {}):
        lo = datetime.strptime(call.kwargs["start_date"], "%Y%m%d").date()
        hi = datetime.strptime(call.kwargs["end_date"], "%Y%m%d").date()
        chunk = full[(full["发布日期"] >= lo) & (full["发布日期"] <= hi)]
        chunk = chunk.sort_values(["发布日期", "指数代码"]).reset_index(drop=True)
        w.write(
            "sw_index_valuation",
            call,
            chunk,
            "synthetic",
            "SYNTHETIC 市盈率 = real close / a smooth synthetic earnings path (median PE set per "
            "industry), 市净率 = PE x a synthetic ROE; 收盘指数, 成交量 and 涨跌幅 are real "
            "(涨跌幅 missing after a gap); other columns missing",
        )
    return full


def build_miit(w: Writer, shared: Path) -> None:
    columns = SPECS["miit_software_stats"].columns
    dtypes = {c: (str if kind == "str" else "float64") for c, kind in columns.items()}
    frame = pd.read_csv(shared / "miit" / "software_industry_stats.csv", dtype=dtypes)
    (call,) = w.planned("miit_software_stats", {})
    w.write(
        "miit_software_stats",
        call,
        frame,
        "real",
        "shared miit/software_industry_stats.csv as published (empty cells missing)",
    )


# -- checks --------------------------------------------------------------------------------------
def verify(out: Path, w: Writer, shared: Path) -> None:
    """Read every entry back and check the sample against the shared files."""
    snapshot = Snapshot(out)
    entries = snapshot.entries()
    assert len(entries) == len(w.frames), (len(entries), len(w.frames))
    for entry in entries:
        frame, _ = snapshot.read(entry.dataset, entry.call)
        pd.testing.assert_frame_equal(frame, w.frames[(entry.dataset, entry.key)])
        spec_columns = SPECS[entry.dataset].columns
        assert [(c["name"], c["kind"]) for c in entry.columns] == list(spec_columns.items()), (
            entry.key
        )

    l1_files = index_files(shared, "level1")
    assert len(l1_files) == 31, sorted(l1_files)
    spot = pd.concat(
        snapshot.read("sw_index_spot", c)[0] for c in SPECS["sw_index_spot"].plan(WINDOW, {})
    )
    assert set(l1_files) <= set(spot["指数代码"]), "an L1 code is missing from sw_index_spot"
    # The closes of the week ending 2025-01-24 equal the shared files', for every SW index.
    files = {**l1_files, **index_files(shared, "level2")}
    for code, (_, path) in sorted(files.items()):
        shared_close = read_index_file(path).set_index("date")["close"]
        call = Call("index_hist_sw", {"symbol": code, "period": "day"})
        sample_close = snapshot.read("sw_index_daily", call)[0].set_index("日期")["收盘"]
        week = [d for d in shared_close.index if d >= date(2025, 1, 20)]
        assert week, code
        assert sample_close.loc[week].tolist() == shared_close.loc[week].tolist(), code

    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size <= MAX_BYTES, f"sample is {size / 1e6:.1f} MB > 25 MB"


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="shared real-data folder (default: ../shared/data relative to the repo root)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "data" / "sample",
        help="snapshot folder to (re)create (default: data/sample)",
    )
    args = parser.parse_args(argv)
    shared: Path = args.shared.resolve()
    out: Path = args.out.resolve()
    if not (shared / "README.md").is_file() or not (shared / "sw_index_daily").is_dir():
        parser.error(f"{shared} does not look like the shared data folder")
    if out.exists():
        if any(out.iterdir()) and not (out / "snapshot.json").is_file():
            parser.error(f"{out} exists and is not a snapshot; refusing to delete it")
        shutil.rmtree(out)

    started = time.perf_counter()
    snapshot = Snapshot(out)
    snapshot.write_meta(WINDOW, DESCRIPTION)
    w = Writer(snapshot)

    calendar = build_trade_calendar(w)
    l1 = build_sw_index(w, shared)
    build_csi(w, shared)
    listing, bars = load_stocks(shared)
    clf = build_classification(w, listing, bars)
    daily = build_stock_daily(w, clf, bars)
    losses = build_stock_valuation(w, clf, daily)
    build_sw_valuation(w, l1, calendar)
    build_miit(w, shared)
    verify(out, w, shared)

    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s: {size / 1e6:.2f} MB")
    for dataset, n in sorted(w.counts.items()):
        print(f"  {dataset}: {n} entries")
    names = {"710000": "计算机", "480000": "银行", "340000": "食品饮料"}
    summary = losses.groupby("industry_code").agg(
        stocks=("symbol", "size"), any_loss=("any_loss", "sum"), all_loss=("all_loss", "sum")
    )
    for industry_code, row in summary.iterrows():
        print(
            f"  {names[industry_code]} {industry_code}: {row['stocks']} stocks, "
            f"{row['any_loss']} with PE(TTM) < 0 on some day, {row['all_loss']} on every day"
        )
    print(f"  sha256 of all files: {digest(out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
