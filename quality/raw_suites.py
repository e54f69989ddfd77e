"""Raw suites: one per dataset in ingestion.specs, run on the frame as fetched, before it is loaded.

The frame may be the concatenation of all calls of a run and may carry load metadata columns (names
starting with "_"); the main part ignores them, and the derived parts use `_call_args` / `_call_key`
only to tell calls apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.bulk import with_bar_columns
from ingestion.specs import SPECS, DatasetSpec
from quality.definitions import (
    Expect,
    Frame,
    Part,
    SuiteDef,
    between,
    distinct_count,
    expect,
    in_set,
    kind_check,
    latest_rows,
    matches,
    non_negative,
    not_null,
    ohlc_order,
    positive,
    row_count,
    unique_key,
)
from quality.reference import (
    BEIJING_LIMIT,
    BEIJING_PREFIXES,
    CSI_300,
    GROWTH_BOARD_LIMIT,
    GROWTH_BOARD_PREFIXES,
    INDEX_DAILY_MOVE_LIMIT,
    KNOWN_HOLIDAY_BARS,
    KNOWN_INDEX_GAP_BARS,
    KNOWN_MIIT_YOY_EXCEPTIONS,
    MAIN_BOARD_LIMIT,
    MIIT_METRICS,
    MIIT_PERIOD_TYPES,
    MIIT_SEGMENTS,
    MIIT_UNITS,
    MIIT_YOY_TOLERANCE_PP,
    N_SW_L1,
    ROUNDING_ALLOWANCE,
    SIX_DIGITS,
    SW_L1_CALL_SYMBOL,
    SW_L1_CODES,
    SW_L1_INDUSTRY_CODES,
    UNLIMITED_LISTING_BARS,
    RawReference,
    l1_industry_code,
)

METADATA_PREFIX = "_"
FIRST_SSE_TRADING_DAY = date(1990, 12, 19)
NEWS_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"  # stock_news_em 发布时间, Beijing time


def strip_metadata(frame: Frame) -> Frame:
    """The frame as akshare returned it: load metadata columns (names starting with "_") dropped."""
    keep = [c for c in frame.columns if not str(c).startswith(METADATA_PREFIX)]
    return frame if len(keep) == len(frame.columns) else frame[keep]


def _call_args(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


def _call_arg(frame: Frame, name: str, rows: pd.Series | None = None) -> pd.Series:
    """One call argument per row (of the rows where the mask `rows` holds; None when absent);
    each distinct `_call_args` is parsed once."""
    if "_call_args" not in frame.columns:
        index = frame.index if rows is None else frame.index[rows.to_numpy()]
        return pd.Series(None, index=index, dtype=object)
    args = frame["_call_args"] if rows is None else frame["_call_args"][rows]
    parsed = {v: _call_args(v).get(name) for v in args.drop_duplicates()}
    return args.map(parsed).astype(object)


def _call_ids(frame: Frame) -> pd.Series:
    """Which call each row came from; one call when the frame carries no call metadata."""
    if "_call_key" in frame.columns:
        return frame["_call_key"].astype(str)
    if "_call_args" in frame.columns:
        return frame["_call_args"].map(lambda v: json.dumps(_call_args(v), sort_keys=True))
    return pd.Series("", index=frame.index, dtype=str)


# -- derived frames --------------------------------------------------------------------------------


def sw_spot_l1(frame: Frame) -> Frame:
    """The rows of the 一级行业 call (from `_call_args`); without call metadata, the L1 codes."""
    if "_call_args" in frame.columns:
        symbols = frame["_call_args"].map(lambda v: _call_args(v).get("symbol"))
        rows = frame[symbols == SW_L1_CALL_SYMBOL]
    else:
        rows = frame[frame["指数代码"].isin(SW_L1_CODES)]
    return rows[["指数代码"]]


def sw_daily_l1_latest(frame: Frame) -> Frame:
    """The L1 industries' bars on the latest date of the frame."""
    latest = latest_rows(frame, "日期")
    return latest.loc[
        latest["代码"].isin(SW_L1_CODES), ["代码", "日期", "收盘", "开盘", "最高", "最低"]
    ]


def sw_valuation_latest(frame: Frame) -> Frame:
    return latest_rows(frame, "发布日期")[["指数代码", "发布日期"]]


def per_call_keys(frame: Frame) -> Frame:
    """(call, 数据日期): stock_value_em returns one stock per call, so dates repeat across calls."""
    return pd.DataFrame({"call": _call_ids(frame), "数据日期": frame["数据日期"]})


# Dated datasets: (column naming the series or None, the date column). Every row's date must be a
# trading day and not after the run's as_of. The trade calendar itself is not checked against
# itself, and sw_classification's start_date is SW's effective date, any day of the week.
DATED: dict[str, tuple[str | None, str]] = {
    "stock_daily": ("股票代码", "日期"),
    "sw_index_daily": ("代码", "日期"),
    "csi_index_daily": ("指数代码", "日期"),
    "sw_index_valuation": ("指数代码", "发布日期"),
    "stock_valuation": (None, "数据日期"),  # one stock per call: the symbol is a call argument
}
# Daily bars: (code column, date column, close column); the loader adds _prev_close/_bar_number.
BARS: dict[str, tuple[str, str, str]] = {
    "stock_daily": ("股票代码", "日期", "收盘"),
    "sw_index_daily": ("代码", "日期", "收盘"),
    "csi_index_daily": ("指数代码", "日期", "收盘"),
}


def _datetimes(values: pd.Series) -> pd.Series:
    """Dates (object dates, Arrow dates, text) as datetime64; anything else as NaT.

    Fast on millions of rows: Arrow dates are cast in Arrow, other values converted once per
    distinct value (a bar frame has a few thousand dates).
    """
    if isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_date(values.dtype.pyarrow_dtype):
        cast = pc.cast(values.array._pa_array, pa.timestamp("ns"))
        return pd.Series(cast.to_numpy(), index=values.index)
    distinct = pd.unique(values.to_numpy(dtype=object))
    try:
        converted = pd.to_datetime(pd.Series(distinct, dtype=object), errors="coerce")
    except (TypeError, ValueError):  # mixed odd values: one by one
        converted = pd.Series([pd.to_datetime(v, errors="coerce") for v in distinct])
    where = pd.Index(distinct).get_indexer(values.to_numpy(dtype=object))
    return pd.Series(converted.to_numpy(dtype="datetime64[ns]")[where], index=values.index)


def _pair_mask(codes: pd.Series, days: pd.Series, pairs: frozenset[tuple[str, date]]) -> pd.Series:
    mask = pd.Series(False, index=codes.index)
    for code, day in pairs:
        mask |= (codes == code) & (days == pd.Timestamp(day))
    return mask


def _row_labels(frame: Frame, dataset: str) -> pd.Series:
    code, _ = DATED[dataset]
    if code is not None:
        return frame[code]
    symbols = _call_arg(frame, "symbol")
    return symbols.where(symbols.notna(), _call_ids(frame))


def bar_dates(dataset: str) -> Callable[[Frame, RawReference], Frame]:
    """Per row: is its date a trading day (known holiday bars count as one; None when the
    trading days are not known), and how many days after the run's as_of it lies."""
    code, column = DATED[dataset]
    label = code or "symbol"

    def prepare(frame: Frame, reference: RawReference) -> Frame:
        frame = frame if frame.index.is_unique else frame.reset_index(drop=True)
        days = _datetimes(frame[column])
        out = pd.DataFrame({label: _row_labels(frame, dataset), column: frame[column]})
        if reference.trading_days is None:
            out["on_trading_day"] = pd.Series(None, index=frame.index, dtype=object)
        else:
            calendar = pd.DatetimeIndex(sorted(reference.trading_days))
            on_day = days.isin(calendar) | _pair_mask(out[label], days, KNOWN_HOLIDAY_BARS)
            out["on_trading_day"] = on_day.astype(object).where(days.notna(), None)
        out["days_after_as_of"] = (days - pd.Timestamp(reference.as_of)).dt.days
        return out

    return prepare


def _no_calendar(reference: RawReference | None) -> str | None:
    if reference is not None and reference.trading_days is None:
        return "trading days not known (no raw.trade_calendar): only dates after as_of checked"
    return None


def daily_limit(codes: pd.Series) -> pd.Series:
    """The daily price limit of each stock code's board (ST names: see reference.py)."""
    text = codes.astype(str)
    limit = pd.Series(MAIN_BOARD_LIMIT, index=codes.index)
    limit[text.str.startswith(GROWTH_BOARD_PREFIXES)] = GROWTH_BOARD_LIMIT
    limit[text.str.startswith(BEIJING_PREFIXES)] = BEIJING_LIMIT
    return limit


def _previous_closes(frame: Frame, dataset: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(call, _prev_close, _bar_number) per row: the loader's columns, or else derived within the
    frame per call (and code) from the date order, as the loader does."""
    code = BARS[dataset][0]
    calls = _call_ids(frame) + "|" + frame[code].astype(str)
    if "_prev_close" in frame.columns and "_bar_number" in frame.columns:
        bars = frame
    else:
        # Sorted by the dates as datetimes: odd values (text, datetimes) fail the kind check,
        # and must not stop the sort.
        date_column = BARS[dataset][1]
        ordered = frame.assign(_call_key=calls, **{date_column: _datetimes(frame[date_column])})
        bars = with_bar_columns(SPECS[dataset], ordered)
    prev = pd.to_numeric(bars["_prev_close"], errors="coerce").astype("float64")
    return calls, prev, pd.to_numeric(bars["_bar_number"], errors="coerce")


def _listing_bars(
    frame: Frame,
    days: pd.Series,
    calls: pd.Series,
    bar_number: pd.Series,
    reference: RawReference | None,
) -> pd.Series:
    """The first UNLIMITED_LISTING_BARS bars of calls that start with a new listing: the call's
    first bar is later than its start_date (the first trading day on or after it, when the
    trading days are known). A call whose first bar is not in the frame (a batch of new rows) but
    whose bar number is that low started within the last few bars: its first bars are exempt too.
    Without a start_date a call's first bars are not known to be a listing and are checked."""
    early = bar_number <= UNLIMITED_LISTING_BARS
    if not early.any():
        return early
    first = bar_number == 1
    first_calls = calls[first]
    first_day = days[first].groupby(first_calls).min()
    start_text = _call_arg(frame, "start_date", first).map(_yyyymmdd)
    starts = _datetimes(start_text.groupby(first_calls).first().reindex(first_day.index))
    if reference is not None and reference.trading_days:
        calendar = np.array(sorted(reference.trading_days), dtype="datetime64[ns]")
        at = np.searchsorted(calendar, starts.to_numpy(dtype="datetime64[ns]"))
        after_calendar = at >= len(calendar)
        on_or_after = pd.Series(calendar[np.minimum(at, len(calendar) - 1)], index=starts.index)
        starts = starts.where(starts.isna() | after_calendar, on_or_after)
    listed_late = (first_day > starts).reindex(calls.unique(), fill_value=True)
    # Calls whose first bar is in the frame follow the rule; the others started a few bars ago.
    exempt = early.copy()
    exempt[early] = calls[early].map(listed_late).astype(bool)
    return exempt


def _yyyymmdd(value: object) -> str | None:
    text = str(value) if value is not None else ""
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None


def daily_moves(dataset: str) -> Callable[[Frame, RawReference | None], Frame]:
    """close / previous close - 1 of each bar, its limit, and by how much it goes beyond it
    (NaN: no previous close, or exempt)."""
    code, column, close_column = BARS[dataset]

    def prepare(frame: Frame, reference: RawReference | None) -> Frame:
        frame = frame if frame.index.is_unique else frame.reset_index(drop=True)
        calls, prev, bar_number = _previous_closes(frame, dataset)
        close = pd.to_numeric(frame[close_column], errors="coerce").astype("float64")
        move = close / prev - 1
        days = _datetimes(frame[column])
        if dataset == "stock_daily":
            limit = daily_limit(frame[code]) + ROUNDING_ALLOWANCE / prev
            exempt = _listing_bars(frame, days, calls, bar_number, reference)
        else:
            limit = pd.Series(INDEX_DAILY_MOVE_LIMIT, index=frame.index)
            exempt = _pair_mask(frame[code], days, KNOWN_INDEX_GAP_BARS)
        return pd.DataFrame(
            {
                code: frame[code],
                column: frame[column],
                close_column: close,
                "prev_close": prev,
                "move": move,
                "limit": limit,
                "move_beyond_limit": (move.abs() - limit).where(~exempt),
            }
        )

    return prepare


def csi_bars_on_trading_days(frame: Frame) -> Frame:
    """CSI bars without the known holiday rows (which have a close only)."""
    days = _datetimes(frame["日期"])
    holiday = _pair_mask(frame["指数代码"], days, KNOWN_HOLIDAY_BARS)
    return frame.loc[~holiday, ["指数代码", "日期", "开盘", "最高", "最低"]]


def classification_l1(frame: Frame) -> Frame:
    """Each classification row's L1 industry, as stg_akshare__sw_classifications derives it."""
    out = frame[["symbol", "start_date", "industry_code"]].copy()
    codes = frame["industry_code"]
    out["l1_industry_code"] = codes.map(l1_industry_code).where(codes.notna(), None)
    return out


def _prior_year(period_end: object) -> str | None:
    text = str(period_end)
    if len(text) != 7 or not text[:4].isdigit():
        return None
    return f"{int(text[:4]) - 1}{text[4:]}"


def miit_yoy(frame: Frame) -> Frame:
    """Rows whose period one year earlier has a value: the published YoY against the growth the
    two levels imply, in percentage points beyond the tolerance (NaN: nothing to compare)."""
    keys = ["period_type", "metric", "segment", "unit"]
    rows = frame[[*keys, "period_end", "value", "yoy_pct"]].copy()
    rows["prior_period_end"] = rows["period_end"].map(_prior_year)
    prior = (
        frame[[*keys, "period_end", "value"]]
        .rename(columns={"period_end": "prior_period_end", "value": "prior_value"})
        .dropna(subset=["prior_value"])
        .drop_duplicates([*keys, "prior_period_end"])
    )
    merged = rows.reset_index().merge(prior, on=[*keys, "prior_period_end"], how="left")
    merged = merged.set_index("index").rename_axis(None)
    value = pd.to_numeric(merged["value"], errors="coerce")
    prior_value = pd.to_numeric(merged["prior_value"], errors="coerce")
    implied = (value / prior_value.where(prior_value > 0) - 1) * 100
    gap = pd.to_numeric(merged["yoy_pct"], errors="coerce") - implied
    tolerance = np.where(
        merged["segment"] == "total",
        MIIT_YOY_TOLERANCE_PP["total"],
        MIIT_YOY_TOLERANCE_PP["segment"],
    )
    known = [
        (t, p, m, s) in KNOWN_MIIT_YOY_EXCEPTIONS
        for t, p, m, s in zip(
            merged["period_type"],
            merged["period_end"],
            merged["metric"],
            merged["segment"],
            strict=True,
        )
    ]
    merged["implied_yoy_pct"] = implied
    merged["yoy_gap_pp"] = gap
    merged["yoy_gap_beyond_tolerance"] = (gap.abs() - tolerance).where(~np.array(known))
    return merged[
        [
            "period_type",
            "period_end",
            "metric",
            "segment",
            "value",
            "prior_value",
            "yoy_pct",
            "implied_yoy_pct",
            "yoy_gap_pp",
            "yoy_gap_beyond_tolerance",
        ]
    ]


# -- suites ----------------------------------------------------------------------------------------

# Checks beyond columns, kinds and keys, per dataset (main part).
_EXTRA: dict[str, list[Expect]] = {
    "trade_calendar": [
        expect("expect_column_values_to_be_increasing", column="trade_date", strictly=True),
        between("trade_date", FIRST_SSE_TRADING_DAY),
    ],
    "sw_index_spot": [
        matches("指数代码", SIX_DIGITS),
        *not_null(["指数名称", "昨收盘", "最新价"]),
        *positive(["昨收盘", "最新价"]),
        *non_negative(["成交额", "成交量"]),
    ],
    "sw_index_daily": [
        matches("代码", SIX_DIGITS),
        *not_null(["收盘", "开盘", "最高", "最低"]),
        *positive(["收盘", "开盘", "最高", "最低"]),
        *ohlc_order("开盘", "最高", "最低", "收盘", tolerant=True),
        *non_negative(["成交量", "成交额"]),
    ],
    "csi_index_daily": [
        matches("指数代码", SIX_DIGITS),
        # 开盘, 最高, 最低: part required_ohlc (a known holiday row has a close only). 成交量 and
        # the names may be empty by design (the csindex fallback does not return them).
        *not_null(["收盘"]),
        *positive(["开盘", "最高", "最低", "收盘"]),
        *ohlc_order("开盘", "最高", "最低", "收盘"),
        *non_negative(["成交量", "成交金额"]),
        *positive(["样本数量"]),
        expect(
            "expect_column_distinct_values_to_contain_set", column="指数代码", value_set=[CSI_300]
        ),
    ],
    "sw_index_valuation": [
        matches("指数代码", SIX_DIGITS),
        in_set("指数代码", SW_L1_CODES),
        *not_null(["收盘指数", "市盈率"]),
        *positive(["收盘指数"]),
        *non_negative(["成交量", "换手率"]),
    ],
    "sw_classification": [
        matches("symbol", SIX_DIGITS),
        matches("industry_code", SIX_DIGITS),
        *not_null(["industry_code", "start_date"]),
    ],
    "stock_names": [matches("code", SIX_DIGITS), *not_null(["name"])],
    # Every grain column is required; a change dated before SZSE opened (1990-12-01) is not one.
    "stock_name_changes": [matches("证券代码", SIX_DIGITS), between("变更日期", date(1990, 12, 1))],
    "stock_daily": [
        matches("股票代码", SIX_DIGITS),
        *not_null(["开盘", "收盘", "最高", "最低", "成交量"]),
        *positive(["开盘", "收盘", "最高", "最低"]),
        *ohlc_order("开盘", "最高", "最低", "收盘"),
        *non_negative(["成交量", "成交额", "振幅", "换手率"]),
    ],
    # The market cap weights the industry PE; a row without it or its close is no valuation.
    "stock_valuation": [*not_null(["总市值", "当日收盘价"]), *positive(["总市值", "当日收盘价"])],
    # A headline the brief lists needs a title, a publication time and a link.
    "stock_news": [
        matches("关键词", SIX_DIGITS),
        *not_null(["新闻标题", "发布时间", "新闻链接"]),
        matches("新闻标题", r"\S"),
        matches("发布时间", NEWS_TIME),
        matches("新闻链接", r"^https?://"),
    ],
    "miit_software_stats": [
        in_set("period_type", MIIT_PERIOD_TYPES),
        in_set("metric", MIIT_METRICS),
        in_set("segment", MIIT_SEGMENTS),
        in_set("unit", MIIT_UNITS),
        matches("period_end", r"^\d{4}-(?:0[1-9]|1[0-2])$"),
        matches("published_date", r"^\d{4}-\d{2}-\d{2}$"),
        between("share_pct", 0, 100),
        between("yoy_pct", -100, 100),
        # value and yoy_pct may be missing: MIIT's releases leave gaps (not zeros), see
        # data/miit/README.md.
        *non_negative(["value"]),
    ],
}

# Datasets whose grain is unique only within one call (the call arguments complete the key).
_PER_CALL_GRAIN = {"stock_valuation"}
# Datasets whose repeated rows staging drops: Eastmoney search can list one article twice.
_DUPLICATES_DROPPED_IN_STAGING = {"stock_news"}

_PARTS: dict[str, list[Part]] = {
    "sw_index_spot": [
        Part(
            name="l1",
            description=f"The {SW_L1_CALL_SYMBOL} call returns the {N_SW_L1} SW L1 industries.",
            prepare=sw_spot_l1,
            requires=("指数代码",),
            index_columns=("指数代码",),
            expectations=(
                row_count(N_SW_L1),
                distinct_count("指数代码", N_SW_L1),
                in_set("指数代码", SW_L1_CODES),
            ),
        )
    ],
    "sw_index_daily": [
        Part(
            name="l1_latest",
            description=(
                f"On the latest date all {N_SW_L1} L1 industries have a bar, in strict OHLC order."
            ),
            prepare=sw_daily_l1_latest,
            requires=("代码", "日期", "收盘", "开盘", "最高", "最低"),
            index_columns=("代码", "日期"),
            expectations=(
                row_count(N_SW_L1),
                distinct_count("代码", N_SW_L1),
                *positive(["收盘"]),
                *ohlc_order("开盘", "最高", "最低", "收盘"),
            ),
        )
    ],
    "sw_index_valuation": [
        Part(
            name="latest",
            description=f"On the latest 发布日期 all {N_SW_L1} L1 industries are published.",
            prepare=sw_valuation_latest,
            requires=("指数代码", "发布日期"),
            index_columns=("指数代码", "发布日期"),
            expectations=(row_count(N_SW_L1), distinct_count("指数代码", N_SW_L1)),
        )
    ],
    "csi_index_daily": [
        Part(
            name="required_ohlc",
            description="开盘, 最高 and 最低 are present on every bar but the known CSI holiday "
            "rows (reference.KNOWN_HOLIDAY_BARS), which have a close only.",
            prepare=csi_bars_on_trading_days,
            requires=("指数代码", "日期", "开盘", "最高", "最低"),
            index_columns=("指数代码", "日期"),
            expectations=tuple(not_null(["开盘", "最高", "最低"])),
        )
    ],
    "sw_classification": [
        Part(
            name="l1_industry",
            description="Every industry_code belongs to an existing SW L1 industry (its first two "
            "digits + 0000, as staging maps it, in dbt's seed sw_l1_industries).",
            prepare=classification_l1,
            requires=("symbol", "start_date", "industry_code"),
            index_columns=("symbol", "start_date", "industry_code"),
            expectations=(in_set("l1_industry_code", SW_L1_INDUSTRY_CODES),),
        )
    ],
    "miit_software_stats": [
        Part(
            name="yoy_vs_prior",
            description="Where the same period a year earlier has a value, the published YoY "
            "agrees with value / prior - 1 within "
            f"{MIIT_YOY_TOLERANCE_PP['total']:g} pp (totals) or "
            f"{MIIT_YOY_TOLERANCE_PP['segment']:g} pp (segments): MIIT's YoY is on a comparable "
            "sample of firms, so it is checked, never recomputed.",
            prepare=miit_yoy,
            requires=("period_type", "period_end", "metric", "segment", "unit", "value", "yoy_pct"),
            index_columns=(
                "period_type",
                "period_end",
                "metric",
                "segment",
                "value",
                "prior_value",
                "yoy_pct",
                "implied_yoy_pct",
            ),
            expectations=(between("yoy_gap_beyond_tolerance", max_value=0),),
        )
    ],
    "stock_valuation": [
        Part(
            name="per_call_keys",
            description="数据日期 is unique within each call (one stock per call).",
            prepare=per_call_keys,
            requires=("数据日期",),
            index_columns=("call", "数据日期"),
            expectations=tuple(unique_key(["call", "数据日期"])),
        )
    ],
}


def _dates_part(dataset: str) -> Part:
    code, column = DATED[dataset]
    return Part(
        name="dates",
        description=f"Every {column} is a trading day (raw.trade_calendar) and not after the "
        "run's as_of.",
        prepare=bar_dates(dataset),
        requires=(column,) if code is None else (code, column),
        index_columns=(code or "symbol", column),
        expectations=(
            in_set("on_trading_day", [True]),
            between("days_after_as_of", max_value=0),
        ),
        needs_reference=True,
        caveat=_no_calendar,
    )


_MOVE_RULES = {
    "stock_daily": "within the board's daily limit (±10% main board, ±20% ChiNext 30x and STAR "
    "688/689, ±30% Beijing 4xx/8xx/92x; ST names too, see reference.py) plus "
    f"{ROUNDING_ALLOWANCE} / previous close for rounding; a new listing's first "
    f"{UNLIMITED_LISTING_BARS} bars (the call's first bar after its start_date) are unlimited",
    "sw_index_daily": f"within ±{INDEX_DAILY_MOVE_LIMIT:.0%} (the widest member limit), but for "
    "the known first bars after gaps in SW's history (reference.KNOWN_INDEX_GAP_BARS)",
    "csi_index_daily": f"within ±{INDEX_DAILY_MOVE_LIMIT:.0%} (the widest member limit)",
}


def _moves_part(dataset: str) -> Part:
    code, column, close = BARS[dataset]
    return Part(
        name="moves",
        description=f"close / previous close - 1 of each bar (the call's previous bar by date) "
        f"is {_MOVE_RULES[dataset]}.",
        prepare=daily_moves(dataset),
        requires=(code, column, close),
        index_columns=(code, column, close, "prev_close", "move", "limit"),
        expectations=(between("move_beyond_limit", max_value=0),),
        uses_reference=True,
    )


_WHOLE_FRAME = {
    "expect_column_distinct_values_to_contain_set",
    "expect_column_distinct_values_to_equal_set",
}


def _main_part(spec: DatasetSpec) -> Part:
    columns = list(spec.columns)
    extra = _EXTRA.get(spec.name, [])
    # Whole-frame expectations first: a missing index explains the rows that fail after it.
    whole = [e for e in extra if e.type in _WHOLE_FRAME]
    expectations: list[Expect] = [
        expect("expect_table_columns_to_match_set", column_set=columns, exact_match=True),
        expect("expect_table_row_count_to_be_between", min_value=1),
        *(kind_check(column, kind) for column, kind in spec.columns.items()),
        *whole,
        *not_null(spec.grain),
    ]
    if spec.name not in _PER_CALL_GRAIN | _DUPLICATES_DROPPED_IN_STAGING:
        expectations += unique_key(spec.grain)
    expectations += [e for e in extra if e.type not in _WHOLE_FRAME]
    return Part(
        name="",
        description=(
            "Exactly akshare's columns with the right kinds, non-null unique keys, valid values."
        ),
        prepare=strip_metadata,
        index_columns=spec.grain,
        expectations=tuple(expectations),
    )


def build_raw_suite(spec: DatasetSpec) -> SuiteDef:
    return SuiteDef(
        layer="raw",
        target=spec.name,
        description=spec.description,
        parts=(
            _main_part(spec),
            *_PARTS.get(spec.name, []),
            *([_moves_part(spec.name)] if spec.name in BARS else []),
            *([_dates_part(spec.name)] if spec.name in DATED else []),
        ),
    )


RAW_SUITE_DEFS: dict[str, SuiteDef] = {name: build_raw_suite(spec) for name, spec in SPECS.items()}
