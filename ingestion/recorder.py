"""Record live calls into a snapshot that is also the cache and the progress log.

Every call is written to the store the moment it returns, so an interrupted backfill resumes where
it stopped, and a call is asked upstream only when the store cannot answer it:

1. **reused**: the store holds the call and it is final (fetched after the close of the last
   trading day it covers) or young enough (`DatasetSpec.max_age_days`);
2. **extended**: the store holds the same series up to an earlier end date: only the new rows are
   fetched (from the last stored day, which must match, so a changed qfq basis is noticed) and
   appended; in a weekly run, SW index histories get the week's bar from the spot quote, and the
   valuations the Eastmoney budget cannot refresh this week get the week's rows from the closes;
3. **fetched**: everything else.

See docs/live-mode.md for budgets and the weekly trade-offs.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.dbt_vars import lookback_weeks as dbt_lookback_weeks
from ingestion.drift import SchemaDrift
from ingestion.http import BACKFILL_BUDGETS, BUDGET_POOLS, LiveError, Net, NetConfig, group_of
from ingestion.industries import SW_L1_INDEX_BY_INDUSTRY
from ingestion.live import (
    Caller,
    NoDataError,
    Outcome,
    UpstreamError,
    is_no_data,
    resolve_function,
)
from ingestion.settings import settings
from ingestion.snapshot import SHANGHAI, Entry, Provenance, Snapshot
from ingestion.specs import LOCAL_FUNCTIONS, SPECS, Call, DatasetSpec, RunWindow, fetch_order

SETTLE = clock_time(16, 0)  # a trading day's data is final upstream by then (close is 15:00)
# Datasets whose calls carry start_date/end_date and can be extended: (date column, value that
# must agree on the overlapping day).
EXTENDABLE = {
    "stock_daily": ("日期", "收盘"),
    "csi_index_daily": ("日期", "收盘"),
    "sw_index_valuation": ("发布日期", "收盘指数"),
}
UNIVERSE_DATASET = "sw_classification"
PROVENANCE_ORDER: tuple[Provenance, ...] = ("real", "derived", "synthetic")

log = logging.getLogger("sectorpulse.live")

# Eastmoney requests a weekly run keeps back from the valuation refresh, for retries. The worst
# case before the breaker blocks the group is 3 failed tries of one call, each of which is up to
# 3 requests (stock_value_em retries inside akshare): 9.
VALUATION_RESERVE = 10
# stock_value_em columns that move with the price between two reports: TTM earnings, book value,
# cash flow, sales, growth and share counts stay as last reported, so each is value × close ratio.
# 当日收盘价 too: the ratio of qfq closes is the ratio of real closes unless there was an ex-date.
SCALED_WITH_CLOSE = (
    "当日收盘价",
    "总市值",
    "流通市值",
    "PE(TTM)",
    "PE(静)",
    "市净率",
    "PEG值",
    "市现率",
    "市销率",
)
EXTENDED_FROM_CLOSES = "extended from closes:"  # the note of a derived valuation starts with it


def default_store() -> Path:
    return settings().store


# -- the trading calendar (akshare's bundled copy: no network) ---------------------------------


@cache
def trading_days() -> tuple[date, ...]:
    from akshare.futures.cons import get_calendar

    return tuple(date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in get_calendar())


@cache
def _trading_days_array() -> np.ndarray:
    return np.array(trading_days(), dtype="datetime64[D]")


def last_trading_day(day: date) -> date:
    index = int(np.searchsorted(_trading_days_array(), np.datetime64(day), "right"))
    if index == 0:
        raise ValueError(f"no trading day on or before {day}")
    return trading_days()[index - 1]


def settle(day: date) -> datetime:
    return datetime.combine(day, SETTLE, SHANGHAI)


def settled_day(now: datetime) -> date:
    """The latest trading day whose data is final at `now`."""
    day = last_trading_day(now.astimezone(SHANGHAI).date())
    return day if settle(day) <= now else last_trading_day(day - timedelta(days=1))


def _ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _worst(*labels: Provenance) -> Provenance:
    return max(labels, key=PROVENANCE_ORDER.index)


# -- the universe: which industries' stocks a run follows --------------------------------------


@dataclass(frozen=True)
class Universe:
    """SW L1 industries whose stocks are fetched; stocks elsewhere are dropped from the
    classification frame (so the plans never ask for them), and that frame is labelled derived."""

    label: str  # as configured, e.g. "801750,801780"
    prefixes: tuple[str, ...]  # first two digits of SW 2021 industry codes, e.g. ("71", "48")

    @classmethod
    def parse(cls, text: str | None) -> Universe | None:
        """L1 index codes (801750) or SW 2021 industry codes (710000), comma-separated; "all"."""
        text = (text or "all").replace(" ", "")
        if text.lower() == "all":
            return None
        by_index = {index: industry for industry, index in SW_L1_INDEX_BY_INDUSTRY.items()}
        prefixes = []
        for code in text.split(","):
            industry = by_index.get(code, code)
            if industry not in SW_L1_INDEX_BY_INDUSTRY:
                raise ValueError(f"unknown SW L1 industry {code!r}: use e.g. 801750 or 710000")
            prefixes.append(industry[:2])
        return cls(text, tuple(sorted(set(prefixes))))

    @property
    def tag(self) -> str:
        return f"universe {self.label}:"

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        inside = frame["industry_code"].astype(str).str[:2].isin(self.prefixes)
        # every row of those stocks, so a move out of the industry stays visible to staging
        kept = frame[frame["symbol"].isin(set(frame.loc[inside, "symbol"]))]
        note = (
            f"{self.tag} only stocks ever classified in industry codes "
            f"{', '.join(p + 'xxxx' for p in self.prefixes)}; {len(kept)} of {len(frame)} rows "
            "of stock_industry_clf_hist_sw()"
        )
        return kept.reset_index(drop=True), note


def universe_from_env(default: str) -> Universe | None:
    """SECTORPULSE_INDUSTRIES, else `default` (the weekly industries, or `all` for record)."""
    industries = settings().industries
    return Universe.parse(default if industries is None else industries)


# -- serving calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    frame: pd.DataFrame
    provenance: Provenance
    how: str  # "reused", "extended" or "fetched"


class StaleQuote(UpstreamError):
    """The spot quote does not show the close of the day a weekly run needs."""


class BudgetTooSmall(LiveError):
    """The configured budget cannot keep every member's valuation fresh enough."""


def valuation_refreshes(members: int, budget: int, pool: str, lookback: int) -> int:
    """Valuations a weekly run refreshes: what budget `pool` leaves after one kline request per
    member and VALUATION_RESERVE. Each member is then refreshed every ceil(members / that) weeks,
    which must not exceed `lookback` (dbt rebuilds those weeks, and with them the derived rows a
    refresh replaces); otherwise BudgetTooSmall says what to configure."""
    per_week = budget - members - VALUATION_RESERVE
    weeks = math.ceil(members / per_week) if per_week > 0 else 0
    if 0 < weeks <= lookback:
        return per_week
    enough = members + VALUATION_RESERVE + math.ceil(members / lookback)
    spent = (
        f"the request budget {pool!r} of {budget} per run, minus {members} kline requests (one per "
        f"member) and {VALUATION_RESERVE} kept for retries,"
    )
    if weeks:
        problem = (
            f"{spent} leaves {per_week} valuation refreshes a week: each of the {members} members "
            f"every {weeks} weeks, but dbt rebuilds only the last {lookback} weeks "
            "(var incremental_lookback_weeks): older derived rows a refresh replaces would stay "
            "in the marts"
        )
        options = f"raise incremental_lookback_weeks in dbt_project/dbt_project.yml to {weeks}, "
    else:
        problem = f"{spent} leaves no valuation refresh ({per_week})"
        options = ""
    raise BudgetTooSmall(
        f"dataset 'stock_valuation': {problem}. Raise the budget (SECTORPULSE_BUDGET={pool}="
        f"{enough} refreshes every member within {lookback} weeks), {options}or follow fewer "
        "industries (SECTORPULSE_INDUSTRIES)."
    )


def _extended_note(last_real: date, fetched_at: str, due: date, note: str) -> str:
    extended = (
        f"{EXTENDED_FROM_CLOSES} rows after {last_real} are derived from stock_zh_a_hist qfq "
        "closes: 当日收盘价, 总市值, 流通市值, PE(TTM), PE(静), 市净率, PEG值, 市现率 and 市销率 × "
        f"close / close of {last_real}, 当日涨跌幅 from the bars, 总股本 and 流通股本 carried "
        f"over. stock_value_em fetched {fetched_at}; its real refresh is due by the weekly run "
        f"of the week of {due}"
    )
    return "; ".join(filter(None, [extended, note]))


@dataclass(frozen=True)
class ValuationPlan:
    """Which members' valuations a weekly run fetches; the others are extended from closes."""

    members: frozenset[str]
    refresh: frozenset[str]
    every_weeks: int  # each member is fetched for real at least this often


def extend_valuation(valuation: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    """stock_value_em rows for the trading days after the last valuation row, from qfq bars.

    Between two reports a stock's TTM earnings, book value and share counts do not change, so its
    market caps and multiples move with the close: value_t = value_t0 × close_t / close_t0, t0
    the last valuation day (the bar on or before it), with the sign kept (a loss-making firm's PE
    stays negative). 当日涨跌幅 is the bar's own; 总股本 and 流通股本 are carried over. No bars
    after t0 (a suspension) give no rows.
    """
    if valuation.empty or bars.empty:
        return valuation.iloc[0:0]
    last = valuation.loc[valuation["数据日期"].idxmax()]
    bars = bars.sort_values("日期")
    anchor = bars.loc[bars["日期"] <= last["数据日期"], "收盘"]
    new = bars[bars["日期"] > last["数据日期"]]
    if anchor.empty or new.empty:
        return valuation.iloc[0:0]
    ratio = (new["收盘"] / anchor.iloc[-1]).to_numpy()
    rows = pd.DataFrame([last] * len(new)).reset_index(drop=True)
    rows["数据日期"] = new["日期"].to_numpy()
    for column in SCALED_WITH_CLOSE:
        rows[column] = last[column] * ratio
    rows["当日涨跌幅"] = new["涨跌幅"].to_numpy()
    return rows.astype(valuation.dtypes)[np.isfinite(ratio)]


def _series_key(call: Call) -> tuple:
    return call.function, tuple(sorted((k, v) for k, v in call.kwargs.items() if k != "end_date"))


class Recorder:
    """Answers planned calls from a store snapshot, asking upstream only for what is missing."""

    def __init__(
        self,
        store: Snapshot,
        caller: Caller,
        *,
        weekly: bool = False,
        universe: Universe | None = None,
        now: Callable[[], datetime] | None = None,
        lookback_weeks: int | None = None,
    ):
        self.store = store
        self.caller = caller
        # SW index histories extended from the spot quote (≤ 10 SW requests), valuations staggered
        # (within the Eastmoney budget)
        self.weekly = weekly
        self.universe = universe
        self.now = now or (lambda: datetime.now(SHANGHAI))
        # weeks dbt rebuilds (var incremental_lookback_weeks when None): the longest a valuation
        # may go without a real refresh
        self.lookback_weeks = lookback_weeks
        self.tally: Counter[str] = Counter()
        self._series: dict[str, dict[tuple, list[Entry]]] = {}
        self._spot: tuple[date, dict[str, dict]] | None = None
        self._valuations: tuple[date, ValuationPlan] | None = None
        self._rotation_checked = False
        self._warned_stale_bars = False

    @property
    def net(self) -> Net:
        return self.caller.net

    def serve(self, spec: DatasetSpec, call: Call) -> Served:
        served = self._serve(spec, call)
        self.tally[served.how] += 1
        return served

    def _serve(self, spec: DatasetSpec, call: Call) -> Served:
        if self.weekly and spec.name == "stock_daily" and not self._rotation_checked:
            # a budget too small for the valuations stops the run before its first kline
            self._valuation_rotation(SPECS["stock_valuation"])
            self._rotation_checked = True
        if call.function in LOCAL_FUNCTIONS:  # a file of our own: cheap, and may have changed
            frame = resolve_function(call.function)(**call.kwargs)
            return self._write(spec, call, Outcome(frame), "fetched")
        entry = self.store.entry(spec.name, call) if self.store.has(spec.name, call) else None
        if entry is not None and self._fresh(spec, call, entry):
            frame, _ = self.store.read(spec.name, call)
            return Served(frame, entry.provenance, "reused")
        earlier = None
        if spec.name in EXTENDABLE and "end_date" in call.kwargs:
            earlier = self._earlier(spec, call)
            if earlier is not None:
                served = self._extend(spec, call, earlier)
                if served is not None:
                    return served
        if spec.name == "sw_index_daily" and self.weekly and entry is not None:
            served = self._extend_from_spot(spec, call, entry)
            if served is not None:
                return served
        if spec.name == "stock_valuation" and self.weekly:
            served = self._extend_valuation(spec, call, entry)
            if served is not None:
                return served
        served = self._write(spec, call, self.caller.call(spec, call), "fetched")
        if earlier is not None:
            self._delete(spec, earlier)  # the series was fetched again in full
        return served

    # -- freshness ---------------------------------------------------------------------------
    def _fresh(self, spec: DatasetSpec, call: Call, entry: Entry) -> bool:
        if spec.name == UNIVERSE_DATASET and not self._same_universe(entry):
            return False
        fetched = datetime.fromisoformat(entry.fetched_at)
        now = self.now()
        if "end_date" in call.kwargs:
            end = min(_day(call.kwargs["end_date"]), now.astimezone(SHANGHAI).date())
            return fetched >= settle(last_trading_day(end))
        if spec.max_age_days:
            return now - fetched <= timedelta(days=spec.max_age_days)
        return fetched >= settle(settled_day(now))

    def _same_universe(self, entry: Entry) -> bool:
        if self.universe:
            return entry.note.startswith(self.universe.tag)
        return not entry.note.startswith("universe ")

    # -- extension of dated series -----------------------------------------------------------
    def _index(self, dataset: str) -> dict[tuple, list[Entry]]:
        if dataset not in self._series:
            index: dict[tuple, list[Entry]] = defaultdict(list)
            for entry in self.store.entries(dataset):
                index[_series_key(entry.call)].append(entry)
            self._series[dataset] = index
        return self._series[dataset]

    def _earlier(self, spec: DatasetSpec, call: Call) -> Entry | None:
        """The stored call of the same series with the latest end date before this call's."""
        end = call.kwargs["end_date"]
        candidates = [
            e
            for e in self._index(spec.name).get(_series_key(call), [])
            if e.kwargs.get("end_date", "") < end and e.rows > 0
        ]
        return max(candidates, key=lambda e: e.kwargs["end_date"], default=None)

    def _extend(self, spec: DatasetSpec, call: Call, earlier: Entry) -> Served | None:
        date_column, value_column = EXTENDABLE[spec.name]
        stored, _ = self.store.read(spec.name, earlier.call)
        last = max(stored[date_column])
        delta_call = Call(call.function, {**call.kwargs, "start_date": _ymd(last)})
        outcome = self.caller.call(spec, delta_call)
        delta = outcome.frame
        if is_no_data(delta):
            frame = stored  # nothing new (a suspension, a holiday week)
        elif _agree_on(stored, delta, last, spec.grain, date_column, value_column):
            frame = pd.concat([stored[stored[date_column] < last], delta], ignore_index=True)
        else:
            return None  # the stored rows changed upstream (a new qfq basis): fetch it all again
        note = (
            f"extended: rows before {last} from {earlier.call.describe()} fetched "
            f"{earlier.fetched_at}, rows from {last} on from {delta_call.describe()}"
        )
        extended = Outcome(
            frame,
            _worst(earlier.provenance, outcome.provenance),
            "; ".join(n for n in (note, earlier.note, outcome.note) if n),
            outcome.sources,
        )
        served = self._write(spec, call, extended, "extended")
        self._delete(spec, earlier)  # every row of it is in the new entry
        return served

    # -- the weekly bar of SW index histories --------------------------------------------------
    def _extend_from_spot(self, spec: DatasetSpec, call: Call, entry: Entry) -> Served | None:
        """index_hist_sw has no date arguments: one request per index returns its whole history,
        155 SW requests a week. A weekly run instead appends the week's last bar, read from the
        spot quote that sw_index_spot fetched anyway (0 extra requests)."""
        day, quotes = self._spot_quotes()
        quote = quotes.get(call.kwargs.get("symbol", ""))
        if quote is None:
            return None
        stored, _ = self.store.read(spec.name, call)
        if stored.empty:
            return None
        last = max(stored["日期"])
        if day <= last:  # nothing new since it was recorded
            return self._write(spec, call, Outcome(stored, entry.provenance, entry.note), "reused")
        week_before = last_trading_day(day - timedelta(days=day.weekday() + 1))
        if last < week_before:
            return None  # a missed week: its close would be missing, so fetch the history
        bar = {
            "代码": quote["指数代码"],
            "日期": day,
            "收盘": quote["最新价"],
            "开盘": quote["今开盘"],
            "最高": quote["最高价"],
            "最低": quote["最低价"],
            "成交量": float("nan"),  # the spot quote's units are not verified to match
            "成交额": float("nan"),
        }
        frame = pd.concat([stored, pd.DataFrame([bar]).astype(stored.dtypes)], ignore_index=True)
        note = (
            f"rows to {last} from index_hist_sw (fetched {entry.fetched_at}); the bar of {day} "
            f"from index_realtime_sw(symbol={quote['_level']!r}) after the close: "
            "今开盘/最高价/最低价/最新价 -> 开盘/最高/最低/收盘, 成交量/成交额 left empty; the L1 "
            "closes were checked against SW's published 收盘指数 of that day"
        )
        derived = Outcome(frame, _worst(entry.provenance, "derived"), note)
        return self._write(spec, call, derived, "extended")

    def _spot_quotes(self) -> tuple[date, dict[str, dict]]:
        """The settled day and every SW index's spot quote, checked to show that day's close."""
        day = settled_day(self.now())
        if self._spot is None or self._spot[0] != day:
            spot = SPECS["sw_index_spot"]
            quotes = {}
            for level_call in spot.plan(RunWindow(as_of=day), {}):
                for row in self.serve(spot, level_call).frame.to_dict("records"):
                    quotes[str(row["指数代码"])] = {**row, "_level": level_call.kwargs["symbol"]}
            self._check_quotes(day, quotes)
            self._spot = (day, quotes)
        return self._spot

    def _check_quotes(self, day: date, quotes: dict[str, dict]) -> None:
        published = self._published_l1_closes(day)
        for code, close in published.items():
            quote = quotes.get(code)
            if quote is None or not np.isclose(quote["最新价"], close, rtol=1e-5, atol=0.006):
                shown = None if quote is None else quote["最新价"]
                raise StaleQuote(
                    f"index_realtime_sw does not show the close of {day}: {code} 最新价 {shown} "
                    f"vs SW's published 收盘指数 {close}. The spot quote is the day's close only "
                    "between the close and the next open: run the weekly job after 16:00 on the "
                    "week's last trading day, or record the week with `sectorpulse record "
                    f"--week {day}` (index_hist_sw for every index: about 155 SW requests)."
                )

    def _published_l1_closes(self, day: date) -> dict[str, float]:
        """SW's own L1 closes of `day`, from a recorded analysis call that covers it if there is
        one (sw_index_valuation's weekly call), else from a one-day call (1 SW request)."""
        spec = SPECS["sw_index_valuation"]
        covering = [
            e
            for e in self.store.entries(spec.name)
            if e.kwargs.get("symbol") == "一级行业"
            and e.kwargs.get("start_date", "") <= _ymd(day) <= e.kwargs.get("end_date", "")
            and datetime.fromisoformat(e.fetched_at) >= settle(day)
        ]
        try:
            if covering:
                frame, _ = self.store.read(spec.name, covering[0].call)
            else:
                one_day = {"symbol": "一级行业", "start_date": _ymd(day), "end_date": _ymd(day)}
                frame = self.serve(spec, Call(spec.function, one_day)).frame
        except NoDataError:
            frame = pd.DataFrame(columns=["指数代码", "发布日期", "收盘指数"])
        rows = frame[frame["发布日期"] == day]
        if rows.empty:
            raise StaleQuote(
                f"SW has not published its L1 analysis of {day} yet, so the week's spot quote "
                "cannot be checked: rerun later"
            )
        return dict(zip(rows["指数代码"].astype(str), rows["收盘指数"], strict=True))

    # -- the weekly valuation stagger -----------------------------------------------------------
    def _extend_valuation(
        self, spec: DatasetSpec, call: Call, entry: Entry | None
    ) -> Served | None:
        """stock_value_em has no dates: one request per stock returns its whole history, which
        with the klines is twice the Eastmoney budget of a week. A weekly run fetches only the
        stalest valuations the budget allows (ValuationPlan) and extends the others from the
        week's closes (None: fetch this one)."""
        plan = self._valuation_plan(spec)  # before any valuation request, new listings too
        symbol = call.kwargs.get("symbol", "")
        if entry is None or not entry.rows or symbol in plan.refresh or symbol not in plan.members:
            return None
        stored, _ = self.store.read(spec.name, call)
        bars = self._latest_bars(symbol)
        rows = extend_valuation(stored, bars)
        if rows.empty:  # suspended all week, or already extended
            return Served(stored, entry.provenance, "reused")
        fetched = datetime.fromisoformat(entry.fetched_at)
        note = entry.note
        if not note.startswith(EXTENDED_FROM_CLOSES):  # the first extension since the real fetch
            fetch_week = fetched.date() - timedelta(days=fetched.weekday())
            due = fetch_week + timedelta(weeks=plan.every_weeks)
            note = _extended_note(max(stored["数据日期"]), entry.fetched_at, due, entry.note)
        frame = pd.concat([stored, rows], ignore_index=True)
        provenance = _worst(entry.provenance, "derived")
        # fetched_at stays that of the real call: it orders the stalest first
        self.store.write(spec.name, call, frame, provenance, note, fetched)
        return Served(frame, provenance, "extended")

    def _latest_bars(self, symbol: str) -> pd.DataFrame:
        """The symbol's stored qfq daily bars (stock_daily runs first and fetched the week's)."""
        entries = [
            e
            for series in self._index("stock_daily").values()
            for e in series
            if e.kwargs.get("symbol") == symbol and e.kwargs.get("adjust") == "qfq" and e.rows
        ]
        latest = max(entries, key=lambda e: e.kwargs["end_date"], default=None)
        if latest is None:
            return pd.DataFrame(columns=["日期", "收盘", "涨跌幅"])
        day = settled_day(self.now())
        if datetime.fromisoformat(latest.fetched_at) < settle(day) and not self._warned_stale_bars:
            self._warned_stale_bars = True
            log.warning(
                "stock_valuation: the stored bars of %s were fetched before the close of %s "
                "(stock_daily not fetched yet in this run?): valuations not refreshed this week "
                "are extended to the last stored bar only; fetch stock_daily before "
                "stock_valuation",
                symbol,
                day,
            )
        return self.store.read("stock_daily", latest.call)[0]

    def _valuation_plan(self, spec: DatasetSpec) -> ValuationPlan:
        day = settled_day(self.now())
        if self._valuations is None or self._valuations[0] != day:
            self._valuations = (day, self._plan_valuations(spec))
        return self._valuations[1]

    def _valuation_rotation(self, spec: DatasetSpec) -> tuple[set[str], int | None]:
        """The members (from the stored classification, as the plan reads it) and how many of
        their valuations a week may fetch (None: no budget applies, all of them). Raises
        BudgetTooSmall when that cannot fetch each within the dbt lookback."""
        window = RunWindow(as_of=settled_day(self.now()))  # neither plan reads dates
        classification_spec = SPECS[UNIVERSE_DATASET]
        [classification_call] = classification_spec.plan(window, {})
        classification = pd.DataFrame({"symbol": pd.Series([], dtype="str")})
        if self.store.has(classification_spec.name, classification_call):
            frame, _ = self.store.read(classification_spec.name, classification_call)
            classification = frame if "symbol" in frame.columns else classification
        members = {
            c.kwargs["symbol"] for c in spec.plan(window, {UNIVERSE_DATASET: classification})
        }
        group = group_of(spec.host)[0]
        pool = BUDGET_POOLS.get(group, group)
        budget = self.net.config.budgets.get(pool)
        if budget is None or not members:
            return members, None
        lookback = self.lookback_weeks or dbt_lookback_weeks()
        return members, valuation_refreshes(len(members), budget, pool, lookback)

    def _plan_valuations(self, spec: DatasetSpec) -> ValuationPlan:
        """Members whose valuations this run fetches: those with none stored, then the stalest
        (oldest real fetch, then symbol), as many as the Eastmoney budget leaves after every
        member's kline request and the reserve."""
        members, per_week = self._valuation_rotation(spec)
        if per_week is None:
            return ValuationPlan(frozenset(members), frozenset(members), 1)
        stored = {
            e.kwargs["symbol"]: e
            for e in self.store.entries(spec.name)
            if e.kwargs.get("symbol") in members and e.rows
        }
        new = sorted(members - set(stored))
        stalest = sorted(
            (s for s, e in stored.items() if not self._fresh(spec, e.call, e)),
            key=lambda s: (datetime.fromisoformat(stored[s].fetched_at), s),
        )
        left = self.net.left(group_of(spec.host)[0])
        quota = per_week if left is None else min(per_week, left - VALUATION_RESERVE)
        refresh = new + stalest[: max(0, quota - len(new))]
        every_weeks = math.ceil(len(members) / per_week)
        log.info(
            "stock_valuation: fetching %d of %d members (%d new, the rest the stalest); the "
            "others are extended from their closes. Each is fetched at least every %d weeks",
            len(refresh),
            len(members),
            len(new),
            every_weeks,
        )
        if quota < per_week:
            log.warning(
                "stock_valuation: the Eastmoney budget has room for %d valuation refreshes this "
                "run, not %d: other requests took more of it than one kline per member (retries, "
                "qfq refetches after a dividend, the CSI fallback)",
                max(0, quota),
                per_week,
            )
        return ValuationPlan(frozenset(members), frozenset(refresh), every_weeks)

    # -- writing -------------------------------------------------------------------------------
    def _write(self, spec: DatasetSpec, call: Call, outcome: Outcome, how: str) -> Served:
        frame, provenance, note = outcome.frame, outcome.provenance, outcome.note
        if spec.name == UNIVERSE_DATASET and self.universe and not is_no_data(frame):
            frame, universe_note = self.universe.apply(frame)
            provenance, note = (
                _worst(provenance, "derived"),
                "; ".join(filter(None, [universe_note, note])),
            )
        now = self.now()
        for source, raw in outcome.sources:  # a fallback's own frame, exactly as returned
            self.store.write(
                spec.name, source, raw, "real", f"fallback source for {call.describe()}", now
            )
        entry = self.store.write(spec.name, call, frame, provenance, note, now)
        if spec.name in EXTENDABLE:
            self._index(spec.name)[_series_key(call)].append(entry)
        return Served(frame, provenance, how)

    def _delete(self, spec: DatasetSpec, entry: Entry) -> None:
        for suffix in (".csv.gz", ".json"):
            (self.store.root / spec.name / f"{entry.key}{suffix}").unlink(missing_ok=True)
        self._index(spec.name)[_series_key(entry.call)].remove(entry)


def _agree_on(
    stored: pd.DataFrame,
    delta: pd.DataFrame,
    day: date,
    grain: Iterable[str],
    date_column: str,
    value_column: str,
) -> bool:
    """Do the stored and the new rows of `day` match on their keys and values?"""
    keys = [c for c in grain if c in stored.columns and c in delta.columns]
    old = stored.loc[stored[date_column] == day, [*keys, value_column]]
    new = delta.loc[delta[date_column] == day, [*keys, value_column]]
    if new.empty or len(old) != len(new):
        return False
    both = old.merge(new, on=keys, suffixes=("_old", "_new"))
    return len(both) == len(old) and bool(
        np.allclose(
            both[f"{value_column}_old"], both[f"{value_column}_new"], rtol=1e-6, equal_nan=True
        )
    )


# -- recording a window ----------------------------------------------------------------------


@dataclass
class RecordReport:
    window: RunWindow
    calls: int = 0
    tally: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    @property
    def complete(self) -> bool:
        return not self.error

    def summary(self) -> str:
        done = ", ".join(f"{n} {how}" for how, n in sorted(self.tally.items())) or "nothing"
        asked = ", ".join(f"{g} {n}" for g, n in self.requests.items())
        status = "complete" if self.complete else "STOPPED (rerun to resume)"
        lines = [
            f"record {self.window.as_of}: {status}; {self.calls} calls: {done}",
            f"requests: {asked}; {self.seconds:.1f} s",
        ]
        if self.error:
            lines.append(self.error)
        return "\n".join(lines)


def _needed(datasets: Iterable[str] | None) -> set[str]:
    if not datasets:
        return set(SPECS)
    needed: set[str] = set()
    todo = list(datasets)
    while todo:
        name = todo.pop()
        if name not in SPECS:
            raise ValueError(f"unknown dataset {name!r}: one of {', '.join(SPECS)}")
        if name not in needed:
            needed.add(name)
            todo.extend(SPECS[name].depends_on)
    return needed


def record(
    recorder: Recorder, window: RunWindow, datasets: Iterable[str] | None = None
) -> RecordReport:
    """Serve every call the specs plan for `window` (or for `datasets` and what they read).

    Stops at the first failure (a budget, a blocked host, drift): what was recorded stays, and a
    rerun continues from there. A complete run of all datasets makes the store's snapshot.json
    point at `window`, so it replays offline.
    """
    started = time.monotonic()
    report = RecordReport(window)
    names = _needed(datasets)
    upstream: dict[str, pd.DataFrame] = {}
    try:
        for name in fetch_order():
            if name not in names:
                continue
            spec = SPECS[name]
            frames = []
            for call in spec.plan(window, upstream):
                frames.append(recorder.serve(spec, call).frame)
                report.calls += 1
            parts = [f for f in frames if not is_no_data(f)]
            upstream[name] = (
                pd.concat(parts, ignore_index=True)
                if parts
                else pd.DataFrame(columns=list(spec.columns))
            )
    except (LiveError, UpstreamError, NoDataError, SchemaDrift) as exc:  # the CLI exits 1
        report.error = f"{type(exc).__name__}: {exc}"
    else:
        if names == set(SPECS):
            universe = recorder.universe.label if recorder.universe else "all"
            recorder.store.write_meta(
                window,
                description=f"recorded live by `sectorpulse record` (industries: {universe})",
                requests=recorder.net.counts(),  # of the run that completed it
            )
    report.tally = dict(recorder.tally)
    report.requests = recorder.net.counts()
    report.seconds = time.monotonic() - started
    return report


def record_window(
    store: Snapshot,
    week: date | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> RunWindow:
    """The window to record: one week (ending on its last trading day), or a date range.

    A store that already holds a window keeps its start dates, so recorded series are extended
    rather than fetched again under new keys.
    """
    today = today or datetime.now(SHANGHAI).date()
    if week is not None:
        sunday = week + timedelta(days=6 - week.weekday())
        as_of = last_trading_day(min(sunday, today))
        if as_of < sunday - timedelta(days=6):
            raise ValueError(f"no trading day in the week of {week}")
    elif end is not None:
        as_of = last_trading_day(min(end, today))
    else:
        raise ValueError("give a week, or an end date")
    base = store.window if store.exists() else RunWindow(as_of=as_of)
    window = replace(base, as_of=as_of)
    if start is not None:
        window = replace(window, stock_start=start, index_start=start)
    return window


def record_live(
    out: str | Path | None = None,
    week: date | None = None,
    start: date | None = None,
    end: date | None = None,
    industries: str | None = None,
    datasets: Iterable[str] | None = None,
    budgets: dict[str, int] | None = None,
) -> RecordReport:
    """`sectorpulse record`: one week (default: the current one) or a range, into a snapshot.

    Backfill budgets apply (ingestion.http.BACKFILL_BUDGETS, then SECTORPULSE_BUDGET, then
    `budgets`); SW index histories are fetched in full, so the snapshot holds only real frames.
    """
    store = Snapshot(out or default_store())
    today = datetime.now(SHANGHAI).date()
    if start is not None:
        window = record_window(store, start=start, end=end or today)
    else:
        window = record_window(store, week=week or today)
    config = NetConfig.from_env(budgets=BACKFILL_BUDGETS)
    if budgets:
        config = replace(config, budgets={**config.budgets, **budgets})
    recorder = Recorder(store, Caller(Net(config)), universe=Universe.parse(industries))
    return record(recorder, window, datasets)
