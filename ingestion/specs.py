"""Every raw dataset, declared once: the akshare function, how to call it, and what it returns.

Column names and kinds are exactly those akshare 1.19.5 returns (under pandas 3). Kinds are
semantic ("str", "date", "float", "int") because pandas 2 and 3 spell string dtypes differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from ingestion.industries import SW_L1_INDEX_BY_INDUSTRY
from ingestion.paths import DBT_PROJECT_DIR

KINDS = ("str", "date", "float", "int")


@dataclass(frozen=True)
class Call:
    """One akshare call: a function name and its keyword arguments (all strings)."""

    function: str
    kwargs: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
        return f"{self.function}({args})"


@dataclass(frozen=True)
class RunWindow:
    """What a run asks upstream for: history from the start dates up to `as_of`."""

    as_of: date
    stock_start: date = date(2024, 1, 2)
    index_start: date = date(2015, 1, 1)
    benchmarks: tuple[str, ...] = ("000300", "930651")

    def to_params(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "stock_start": self.stock_start.isoformat(),
            "index_start": self.index_start.isoformat(),
            "benchmarks": list(self.benchmarks),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> RunWindow:
        return cls(
            as_of=date.fromisoformat(str(params["as_of"])),
            stock_start=date.fromisoformat(str(params["stock_start"])),
            index_start=date.fromisoformat(str(params["index_start"])),
            benchmarks=tuple(params["benchmarks"]),  # type: ignore[arg-type]
        )


# Frames a plan may read: dataset name -> frame already fetched in this run.
Upstream = Mapping[str, pd.DataFrame]
Planner = Callable[[RunWindow, Upstream], list[Call]]


@dataclass(frozen=True)
class Fallback:
    """Another akshare function that can stand in for a spec's function in live mode.

    Its frame has other columns, so `to_spec` maps it onto the spec's columns (documented in
    docs/live-mode.md); the result is labelled `derived`, and the fallback's own frame is recorded
    beside it as `real`.
    """

    function: str
    columns: Mapping[str, str]  # what the fallback returns: column -> kind (order not checked)
    kwargs: Callable[[Call], dict[str, str] | None]  # its call for a planned call; None: n/a
    to_spec: Callable[[pd.DataFrame, Call], pd.DataFrame]  # its frame -> the spec's columns
    loses: str  # what the mapping cannot carry over, for the manifest note


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # also the raw table name: raw.<name>
    function: str  # akshare function, resolved at call time
    columns: Mapping[str, str]  # akshare column -> kind, in akshare's order
    plan: Planner  # the calls that make up the dataset for a run
    host: str  # upstream host, for throttling and circuit breaking
    grain: tuple[str, ...]  # columns (plus call args) unique per row
    empty_ok: bool = False  # is "no data" acceptable for a single call?
    depends_on: tuple[str, ...] = ()  # datasets whose frames the plan reads
    fetched_after: tuple[str, ...] = ()  # fetched first, though the plan does not read them
    call_args_in_frame: tuple[str, ...] = ()  # kwargs staging must read from _call_args
    description: str = ""
    fallbacks: tuple[Fallback, ...] = ()  # tried in order when live `function` fails or is blocked
    max_age_days: int = 0  # live: reuse a recorded call without dates this long (0: one day)
    date_column: str | None = None  # the column that dates a row: bars on trading days, rebuilds
    # A snapshot may lack the dataset (the bundled sample has no name changes): replay then
    # loads none of its calls, and the models fall back as docs/metrics.md says. Live fetches it.
    optional: bool = False

    @property
    def runs_after(self) -> tuple[str, ...]:
        """Datasets loaded before this one: those its plan reads, those it is fetched after, and
        the trading calendar for a dated dataset (its raw suite checks dates against it)."""
        calendar = ("trade_calendar",) if self.date_column and self.name != "trade_calendar" else ()
        return tuple(dict.fromkeys((*self.depends_on, *self.fetched_after, *calendar)))


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def _single(function: str, **kwargs: str) -> Planner:
    return lambda window, upstream: [Call(function, kwargs)]


def _sw_index_codes(upstream: Upstream) -> list[str]:
    spot = upstream["sw_index_spot"]
    return sorted(spot["指数代码"].astype(str).unique())


def _plan_sw_index_daily(window: RunWindow, upstream: Upstream) -> list[Call]:
    return [
        Call("index_hist_sw", {"symbol": code, "period": "day"})
        for code in _sw_index_codes(upstream)
    ]


def _plan_sw_spot(window: RunWindow, upstream: Upstream) -> list[Call]:
    return [Call("index_realtime_sw", {"symbol": level}) for level in ("一级行业", "二级行业")]


def _plan_csi(window: RunWindow, upstream: Upstream) -> list[Call]:
    return [
        Call(
            "stock_zh_index_hist_csindex",
            {
                "symbol": code,
                "start_date": _ymd(window.index_start),
                "end_date": _ymd(window.as_of),
            },
        )
        for code in window.benchmarks
    ]


def _em_index_symbol(code: str) -> str:
    return ("sh" if code.startswith("000") else "sz" if code.startswith("399") else "csi") + code


CSI_COLUMNS: dict[str, str] = {
    "日期": "date",
    "指数代码": "str",
    "指数中文全称": "str",
    "指数中文简称": "str",
    "指数英文全称": "str",
    "指数英文简称": "str",
    "开盘": "float",
    "最高": "float",
    "最低": "float",
    "收盘": "float",
    "涨跌": "float",
    "涨跌幅": "float",
    "成交量": "float",
    "成交金额": "float",
    "样本数量": "int",
    "滚动市盈率": "float",
}
_OHLC = {"开盘": "open", "最高": "high", "最低": "low", "收盘": "close"}


def _csi_from_bars(frame: pd.DataFrame, call: Call) -> pd.DataFrame:
    """An OHLC frame (date, open, high, low, close) onto csi_index_daily's columns, in the window.

    Names, 涨跌/涨跌幅, 样本数量 and 滚动市盈率 are not in the fallbacks' frames and stay empty;
    成交量/成交金额 stay empty too, because each source counts volume in its own unit.
    """
    dates = pd.to_datetime(frame["date"]).dt.date
    start = pd.Timestamp(call.kwargs["start_date"]).date()
    end = pd.Timestamp(call.kwargs["end_date"]).date()
    keep = ((dates >= start) & (dates <= end)).to_numpy()
    rows = frame[keep].reset_index(drop=True)
    n = len(rows)
    empty = {
        "str": pd.Series([pd.NA] * n, dtype="str"),
        "int": pd.Series([pd.NA] * n, dtype="Int64"),
    }
    out = {}
    for name, kind in CSI_COLUMNS.items():
        if name in _OHLC:
            out[name] = pd.to_numeric(rows[_OHLC[name]], errors="coerce").astype("float64")
        else:
            out[name] = empty.get(kind, pd.Series([float("nan")] * n, dtype="float64"))
    out["日期"] = pd.Series(list(dates[keep]), dtype=object)
    out["指数代码"] = pd.Series([call.kwargs["symbol"]] * n, dtype="str")
    return pd.DataFrame(out)


_CSI_LOSES = "names, 涨跌, 涨跌幅, 成交量, 成交金额, 样本数量 and 滚动市盈率 left empty"
CSI_FALLBACKS = (
    # Eastmoney first: one request for the window. Sina last: full history, V8 decoding, bans bulk use.
    Fallback(
        function="stock_zh_index_daily_em",
        columns={
            "date": "str",
            "open": "float",
            "close": "float",
            "high": "float",
            "low": "float",
            "volume": "float",
            "amount": "float",
        },
        kwargs=lambda call: {
            "symbol": _em_index_symbol(call.kwargs["symbol"]),
            "start_date": call.kwargs["start_date"],
            "end_date": call.kwargs["end_date"],
        },
        to_spec=_csi_from_bars,
        loses=_CSI_LOSES,
    ),
    Fallback(
        function="stock_zh_index_daily",
        columns={
            "date": "date",
            "open": "float",
            "high": "float",
            "low": "float",
            "close": "float",
            "volume": "float",
        },
        # Sina carries exchange indices (000xxx, 399xxx) only, not CSI's own 93xxxx.
        kwargs=lambda call: (
            {"symbol": _em_index_symbol(call.kwargs["symbol"])}
            if call.kwargs["symbol"][:3] in ("000", "399")
            else None
        ),
        to_spec=_csi_from_bars,
        loses=_CSI_LOSES + "; rows outside the window dropped",
    ),
)


def _year_chunks(start: date, end: date) -> list[tuple[date, date]]:
    return [
        (max(start, date(year, 1, 1)), min(end, date(year, 12, 31)))
        for year in range(start.year, end.year + 1)
    ]


def _plan_sw_valuation(window: RunWindow, upstream: Upstream) -> list[Call]:
    # One call per calendar year keeps each call's page count small and lets a
    # backfill resume year by year.
    return [
        Call(
            "index_analysis_daily_sw",
            {"symbol": "一级行业", "start_date": _ymd(lo), "end_date": _ymd(hi)},
        )
        for lo, hi in _year_chunks(window.index_start, window.as_of)
    ]


def _classified_symbols(upstream: Upstream) -> list[str]:
    return sorted(upstream["sw_classification"]["symbol"].astype(str).unique())


def _plan_stock_daily(window: RunWindow, upstream: Upstream) -> list[Call]:
    return [
        Call(
            "stock_zh_a_hist",
            {
                "symbol": symbol,
                "period": "daily",
                "start_date": _ymd(window.stock_start),
                "end_date": _ymd(window.as_of),
                "adjust": "qfq",
            },
        )
        for symbol in _classified_symbols(upstream)
    ]


def _plan_stock_valuation(window: RunWindow, upstream: Upstream) -> list[Call]:
    return [Call("stock_value_em", {"symbol": symbol}) for symbol in _classified_symbols(upstream)]


# -- company news: the week's movers and the analyst's key companies ----------------------------

# Calls a run plans at most, one request each: the key companies first, then the movers, best and
# worst alternately. The `news` budget (ingestion.http) leaves room for retries on top.
NEWS_CALLS_PER_RUN = 20
NEWS_MOVERS = 5  # per side and industry, as dbt's var movers_n


def _key_companies() -> pd.DataFrame:
    return pd.read_csv(DBT_PROJECT_DIR / "seeds" / "key_companies.csv", dtype=str)


def weekly_moves(bars: pd.DataFrame, as_of: date) -> pd.Series:
    """Symbol -> the week's return from stock_zh_a_hist's qfq closes: the last close of the
    calendar week of `as_of` (up to it) over the last close before its Monday. Only for picking
    whose news to fetch: the marts rank the movers themselves (mart_industry_movers)."""
    if bars.empty:
        return pd.Series(dtype="float64")
    day = pd.to_datetime(bars["日期"]).dt.date
    monday = as_of - timedelta(days=as_of.weekday())
    closes = bars.assign(_day=day).sort_values(["股票代码", "_day"])
    last = closes[(closes["_day"] >= monday) & (closes["_day"] <= as_of)]
    base = closes[closes["_day"] < monday]
    moves = last.groupby("股票代码")["收盘"].last() / base.groupby("股票代码")["收盘"].last() - 1
    return moves.dropna()


def _plan_stock_news(window: RunWindow, upstream: Upstream) -> list[Call]:
    """stock_news_em for the key companies of the followed industries (seed key_companies), then
    the NEWS_MOVERS best and worst weekly movers of each industry in the raw bars already loaded,
    at most NEWS_CALLS_PER_RUN symbols (docs/live-mode.md)."""
    classification = upstream["sw_classification"]
    started = pd.to_datetime(classification["start_date"]).dt.date <= window.as_of
    industry = (  # SW L1 (first two digits of the industry code) as of the week's end
        classification[started.to_numpy()]
        .sort_values(["symbol", "start_date"])
        .groupby("symbol")["industry_code"]
        .last()
        .astype(str)
        .str[:2]
    )
    prefix_of = {index: industry[:2] for industry, index in SW_L1_INDEX_BY_INDUSTRY.items()}
    followed = set(industry)
    keys = _key_companies()
    key_symbols = [
        symbol
        for symbol, index_code in zip(keys["symbol"], keys["index_code"], strict=True)
        if prefix_of.get(index_code) in followed
    ]
    moves = weekly_moves(upstream["stock_daily"], window.as_of)
    ranked = pd.DataFrame({"move": moves, "industry": industry.reindex(moves.index)}).dropna()
    ranked = ranked.rename_axis("symbol").reset_index().sort_values("symbol")
    by_industry = ranked.groupby("industry")["move"]
    ranked["top"] = by_industry.rank(method="first", ascending=False)
    ranked["bottom"] = by_industry.rank(method="first", ascending=True)
    movers = [  # (position, side, industry, symbol): every industry's first positions first
        (getattr(row, side), side, row.industry, row.symbol)
        for side in ("top", "bottom")
        for row in ranked[ranked[side] <= NEWS_MOVERS].itertuples()
    ]
    symbols = [*key_symbols, *(symbol for *_, symbol in sorted(movers))]
    return [
        Call("stock_news_em", {"symbol": symbol})
        for symbol in list(dict.fromkeys(symbols))[:NEWS_CALLS_PER_RUN]
    ]


SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            name="trade_calendar",
            date_column="trade_date",
            function="tool_trade_date_hist_sina",
            columns={"trade_date": "date"},
            plan=_single("tool_trade_date_hist_sina"),
            host="finance.sina.com.cn",
            grain=("trade_date",),
            description="SSE trading days (holidays excluded).",
            max_age_days=30,  # changes once a year, when the exchange publishes its holidays
        ),
        DatasetSpec(
            name="sw_index_spot",
            function="index_realtime_sw",
            columns={
                "指数代码": "str",
                "指数名称": "str",
                "昨收盘": "float",
                "今开盘": "float",
                "最新价": "float",
                "成交额": "float",
                "成交量": "float",
                "最高价": "float",
                "最低价": "float",
            },
            plan=_plan_sw_spot,
            host="www.swsresearch.com",
            grain=("指数代码",),
            call_args_in_frame=("symbol",),
            description="The SW index universe per level (一级行业 = L1, 二级行业 = L2).",
        ),
        DatasetSpec(
            name="sw_index_daily",
            date_column="日期",
            function="index_hist_sw",
            columns={
                "代码": "str",
                "日期": "date",
                "收盘": "float",
                "开盘": "float",
                "最高": "float",
                "最低": "float",
                "成交量": "float",
                "成交额": "float",
            },
            plan=_plan_sw_index_daily,
            host="www.swsresearch.com",
            grain=("代码", "日期"),
            # sw_index_valuation: a weekly live run checks its spot bars against SW's L1 closes
            depends_on=("sw_index_spot", "sw_index_valuation"),
            description="Daily OHLC history of each SW index (full history per call).",
        ),
        DatasetSpec(
            name="csi_index_daily",
            date_column="日期",
            function="stock_zh_index_hist_csindex",
            columns=CSI_COLUMNS,
            plan=_plan_csi,
            host="www.csindex.com.cn",
            grain=("指数代码", "日期"),
            description="CSI benchmark indices (CSI 300, CSI Computer Theme) with rolling PE.",
            # csindex is primary because only it carries 滚动市盈率 and the names.
            fallbacks=CSI_FALLBACKS,
        ),
        DatasetSpec(
            name="sw_index_valuation",
            date_column="发布日期",
            function="index_analysis_daily_sw",
            columns={
                "指数代码": "str",
                "指数名称": "str",
                "发布日期": "date",
                "收盘指数": "float",
                "成交量": "float",
                "涨跌幅": "float",
                "换手率": "float",
                "市盈率": "float",
                "市净率": "float",
                "均价": "float",
                "成交额占比": "float",
                "流通市值": "float",
                "平均流通市值": "float",
                "股息率": "float",
            },
            plan=_plan_sw_valuation,
            host="www.swsresearch.com",
            grain=("指数代码", "发布日期"),
            description="SW-published daily analysis of L1 indices (市盈率, 市净率).",
        ),
        DatasetSpec(
            name="sw_classification",
            date_column="start_date",
            function="stock_industry_clf_hist_sw",
            columns={
                "symbol": "str",
                "start_date": "date",
                "industry_code": "str",
                "update_time": "date",
            },
            plan=_single("stock_industry_clf_hist_sw"),
            host="www.swsresearch.com",
            grain=("symbol", "start_date"),
            description="Point-in-time SW 2021 classification history of every stock.",
        ),
        DatasetSpec(
            name="stock_names",
            function="stock_info_a_code_name",
            columns={"code": "str", "name": "str"},
            plan=_single("stock_info_a_code_name"),
            host="www.szse.cn",
            grain=("code",),
            description="Current A-share names (ST status is read from the name).",
        ),
        DatasetSpec(
            name="stock_name_changes",
            date_column="变更日期",
            function="stock_info_sz_change_name",
            columns={
                "变更日期": "date",
                "证券代码": "str",
                "证券简称": "str",
                "变更前简称": "str",
                "变更后简称": "str",
            },
            # SZSE's dated 简称 changes (ST and *ST marks included). akshare has no dated history
            # for Shanghai or Beijing: stock_info_change_name (Sina) lists past names undated.
            plan=_single("stock_info_sz_change_name", symbol="简称变更"),
            host="www.szse.cn",
            grain=("证券代码", "变更日期", "变更前简称", "变更后简称"),
            optional=True,
            description="Shenzhen's dated short-name changes: names, and so ST status, as of a day.",
        ),
        DatasetSpec(
            name="stock_daily",
            date_column="日期",
            function="stock_zh_a_hist",
            columns={
                "日期": "date",
                "股票代码": "str",
                "开盘": "float",
                "收盘": "float",
                "最高": "float",
                "最低": "float",
                "成交量": "int",
                "成交额": "float",
                "振幅": "float",
                "涨跌幅": "float",
                "涨跌额": "float",
                "换手率": "float",
            },
            plan=_plan_stock_daily,
            host="push2his.eastmoney.com",
            grain=("股票代码", "日期"),
            empty_ok=True,  # a stock suspended for the whole window has no bars
            depends_on=("sw_classification",),
            description="Forward-adjusted (qfq) daily bars of each classified stock.",
        ),
        DatasetSpec(
            name="stock_valuation",
            date_column="数据日期",
            function="stock_value_em",
            columns={
                "数据日期": "date",
                "当日收盘价": "float",
                "当日涨跌幅": "float",
                "总市值": "float",
                "流通市值": "float",
                "总股本": "float",
                "流通股本": "float",
                "PE(TTM)": "float",
                "PE(静)": "float",
                "市净率": "float",
                "PEG值": "float",
                "市现率": "float",
                "市销率": "float",
            },
            plan=_plan_stock_valuation,
            host="datacenter-web.eastmoney.com",
            grain=("数据日期",),  # per call; the symbol is a call argument
            empty_ok=True,
            depends_on=("sw_classification",),
            # A weekly live run extends the valuations it does not refresh from the week's bars.
            fetched_after=("stock_daily",),
            call_args_in_frame=("symbol",),
            description="Daily total market cap and PE(TTM) of each classified stock.",
        ),
        DatasetSpec(
            name="stock_news",
            function="stock_news_em",
            columns={
                "关键词": "str",
                "新闻标题": "str",
                "新闻内容": "str",
                "发布时间": "str",
                "文章来源": "str",
                "新闻链接": "str",
            },
            plan=_plan_stock_news,
            host="search-api-web.eastmoney.com",
            grain=("关键词", "新闻链接"),
            empty_ok=True,  # a quiet stock has no headlines
            depends_on=("sw_classification", "stock_daily"),
            # The bundled sample holds no news: replay loads none, and the brief says so.
            optional=True,
            description="The latest headlines (up to 10 per call, Eastmoney search) of the "
            "week's top and bottom movers and the key companies.",
        ),
        DatasetSpec(
            name="miit_software_stats",
            function="miit_software_stats",  # not akshare: see ingestion.miit
            columns={
                "period_type": "str",
                "period_end": "str",
                "metric": "str",
                "segment": "str",
                "value": "float",
                "unit": "str",
                "yoy_pct": "float",
                "share_pct": "float",
                "published_date": "str",
                "source_url": "str",
                "note": "str",
            },
            plan=_single("miit_software_stats"),
            host="www.miit.gov.cn",
            grain=("period_type", "period_end", "metric", "segment"),
            description="MIIT software and IT services statistics (curated, long format).",
        ),
    ]
}

# Functions that sectorpulse implements itself instead of akshare.
LOCAL_FUNCTIONS = {"miit_software_stats": "ingestion.miit:load_curated_stats"}


def fetch_order() -> list[str]:
    """Dataset names with every dataset after the ones its plan reads or it is fetched after."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for dep in SPECS[name].runs_after:
            visit(dep)
        ordered.append(name)

    for name in SPECS:
        visit(name)
    return ordered
