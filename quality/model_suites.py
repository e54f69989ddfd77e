"""Model suites: staging views and marts, read from DuckDB as pandas frames by the caller.

Percentages are fractions here (0.0123 = 1.23%). The suites name the columns they read; a model may
carry more. A suite holds on a model's whole history (known upstream gaps are tolerated, see
HISTORY_TOLERANCE) and checks the latest week strictly; for big models the caller may pass just the
new batch.

One copy of each check (docs/data-quality.md): a model's unique key and its relationships to the
SW L1 seed are dbt data tests, and the marts' required columns are `not_null` constraints of
their dbt contracts, so the suites do not repeat them; value checks (not null on staging, ranges,
sets, regexes) are here only, on the rows the run rebuilt, with example rows.
"""

from __future__ import annotations

from typing import Any

from quality.definitions import (
    Expect,
    Frame,
    Part,
    SuiteDef,
    at_least,
    between,
    columns_exist,
    distinct_count,
    expect,
    in_set,
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
    HISTORY_TOLERANCE,
    N_SW_L1,
    SIX_DIGITS,
    SW_L1_CODES,
    WEEKLY_RETURN_BOUNDS,
)

NOT_EMPTY = expect("expect_table_row_count_to_be_between", min_value=1)
WEEKLY_RETURN_LIMIT = 0.5  # |weekly return| of an SW index; beyond it the return is surely wrong
PCT_CHANGE_RANGE = (-0.35, 3.5)  # daily stock move; new listings can jump on their first days
STOCK_STATUSES = ("traded", "new_listing", "suspended")
MOVERS_PER_SIDE = 5
MOVER_SIDES = ("top", "bottom", "unranked")
RANK_GROUP_KEYS = ("week_end_date", "sw_level")
PE_METHODS = ("ttm_ex_negative", "sw_published")
PERCENTILE_YEARS = (3, 5, 10)
BRIEF_PERCENTILES = ("pe_ttm_percentile_5y", "sw_pe_percentile_5y")


# -- derived frames --------------------------------------------------------------------------------


def rank_groups(frame: Frame) -> Frame:
    """Per (week_end_date, sw_level): how the ranks 1..n of that week and level are laid out."""
    ranked = frame[frame["rank_in_level"].notna()]
    keys = [c for c in RANK_GROUP_KEYS if c in frame.columns]  # the brief has L1 rows only
    groups = ranked.groupby(keys, dropna=False)
    out = groups.agg(
        n_rows=("rank_in_level", "size"),
        min_rank=("rank_in_level", "min"),
        max_rank=("rank_in_level", "max"),
        n_distinct_ranks=("rank_in_level", "nunique"),
        n_in_level_min=("n_in_level", "min"),
        n_in_level_max=("n_in_level", "max"),
    ).reset_index()
    out["rank_gap"] = out["max_rank"] - out["n_rows"]  # 0 when ranks are 1..n without holes
    out["duplicate_ranks"] = out["n_rows"] - out["n_distinct_ranks"]
    return out


def l1_latest_week(frame: Frame) -> Frame:
    """The L1 rows of the latest week: the week the brief is about."""
    level1 = frame if "sw_level" not in frame.columns else frame[frame["sw_level"] == 1]
    return latest_rows(level1, "week_end_date")


def excess_return_gap(frame: Frame) -> Frame:
    out = frame[["week_end_date", "index_code"]].copy()
    out["excess_return_gap"] = frame["excess_return"] - (
        frame["weekly_return"] - frame["benchmark_return"]
    )
    return out


def mover_side_counts(frame: Frame) -> Frame:
    """Rows per (week_end_date, index_code, side) for the ranked sides."""
    ranked = frame[frame["side"].isin(["top", "bottom"])]
    keys = ["week_end_date", "index_code", "side"]
    return ranked.groupby(keys, dropna=False).size().rename("n_movers").reset_index()


# -- suites ----------------------------------------------------------------------------------------


def _abs_below_limit(column: str, **kwargs: Any) -> Expect:
    """|column| < WEEKLY_RETURN_LIMIT."""
    limit = WEEKLY_RETURN_LIMIT
    return between(column, -limit, limit, strict_min=True, strict_max=True, **kwargs)


def _within_any_limit(column: str) -> Expect:
    """A weekly return no week of daily limits can reach is wrong (a units error, a bad bar):
    WEEKLY_RETURN_BOUNDS, five days at the widest limit; strict, over every week."""
    return between(column, *WEEKLY_RETURN_BOUNDS)


def _suite(
    target: str, description: str, key: tuple[str, ...], main: list[Expect], *parts: Part
) -> SuiteDef:
    main_part = Part(
        name="", description=description, expectations=(NOT_EMPTY, *main), index_columns=key
    )
    return SuiteDef(
        layer="model", target=target, description=description, parts=(main_part, *parts)
    )


_L1_LATEST_WEEK = Part(
    name="l1_latest_week",
    description=(
        f"The latest week (the one the brief shows) ranks all {N_SW_L1} L1 industries once each, "
        "with a benchmark return and |weekly_return| < 0.5 for every one."
    ),
    prepare=l1_latest_week,
    requires=("week_end_date", "index_code", "n_in_level", "weekly_return", "benchmark_return"),
    index_columns=("week_end_date", "index_code"),
    expectations=(
        row_count(N_SW_L1),
        distinct_count("index_code", N_SW_L1),
        in_set("index_code", SW_L1_CODES),
        between("n_in_level", N_SW_L1, N_SW_L1),
        *not_null(["weekly_return", "benchmark_return"]),
        _abs_below_limit("weekly_return"),
    ),
)


def _rank_groups(keys: tuple[str, ...]) -> Part:
    return Part(
        name="rank_groups",
        description=f"Per {', '.join(keys)} the ranks are exactly 1..n, n = n_in_level.",
        prepare=rank_groups,
        requires=(*keys, "rank_in_level", "n_in_level"),
        index_columns=keys,
        expectations=(
            between("min_rank", 1, 1),
            between("rank_gap", 0, 0),
            between("duplicate_ranks", 0, 0),
            expect(
                "expect_column_pair_values_to_be_equal",
                column_A="n_in_level_min",
                column_B="n_in_level_max",
            ),
            expect(
                "expect_column_pair_values_to_be_equal",
                column_A="n_in_level_max",
                column_B="n_rows",
            ),
        ),
    )


_EXCESS_RETURN = Part(
    name="excess_return",
    description="excess_return = weekly_return - benchmark_return (to 1e-9).",
    prepare=excess_return_gap,
    requires=("week_end_date", "index_code", "excess_return", "weekly_return", "benchmark_return"),
    index_columns=("week_end_date", "index_code"),
    expectations=(between("excess_return_gap", -1e-9, 1e-9),),
)

_MOVER_SIDES = Part(
    name="side_counts",
    description=f"At most {MOVERS_PER_SIDE} top and bottom movers per industry, week and side.",
    prepare=mover_side_counts,
    requires=("week_end_date", "index_code", "side"),
    index_columns=("week_end_date", "index_code", "side"),
    expectations=(between("n_movers", 1, MOVERS_PER_SIDE),),
)

# Over all weeks: gaps in SW history give a few returns beyond the limit (see HISTORY_TOLERANCE);
# the latest week is checked strictly in _L1_LATEST_WEEK.
_WEEKLY_RETURN = _abs_below_limit("weekly_return", mostly=HISTORY_TOLERANCE)

MODEL_SUITE_DEFS: dict[str, SuiteDef] = {
    suite.target: suite
    for suite in [
        _suite(
            "stg_akshare__sw_index_bars",
            "SW index daily bars: positive closes, low <= open/close <= high, one bar a day.",
            ("index_code", "trade_date"),
            [
                *columns_exist(
                    ["index_code", "trade_date", "open", "high", "low", "close", "volume", "amount"]
                ),
                *not_null(["index_code", "trade_date", "close"]),
                matches("index_code", SIX_DIGITS),
                *positive(["close"]),
                *ohlc_order("open", "high", "low", "close", tolerant=True),
                *non_negative(["volume", "amount"]),
            ],
        ),
        _suite(
            "stg_akshare__stock_bars",
            "Stock daily bars (qfq): positive closes, one bar per stock and day, plausible moves.",
            ("symbol", "trade_date"),
            [
                *columns_exist(
                    [
                        "symbol",
                        "trade_date",
                        "open",
                        "close",
                        "high",
                        "low",
                        "volume_lots",
                        "pct_change",
                    ]
                ),
                *not_null(["symbol", "trade_date", "close"]),
                matches("symbol", SIX_DIGITS),
                *positive(["close"]),
                *ohlc_order("open", "high", "low", "close"),
                *non_negative(["volume_lots"]),
                between("pct_change", *PCT_CHANGE_RANGE, mostly=HISTORY_TOLERANCE),
            ],
        ),
        _suite(
            "stg_miit__software_stats",
            "MIIT statistics as fractions: share in [0, 1], YoY in [-1, 1].",
            ("period_type", "period_end", "metric", "segment"),
            [
                *columns_exist(["period_type", "period_end", "metric", "segment", "share", "yoy"]),
                *not_null(["period_type", "period_end", "metric", "segment"]),
                between("share", 0, 1),
                between("yoy", -1, 1),
            ],
        ),
        _suite(
            "fct_industry_weekly_returns",
            "Weekly returns and ranks of the SW industries against the CSI 300.",
            ("week_end_date", "sw_level", "index_code"),
            [
                *columns_exist(
                    [
                        "week_end_date",
                        "sw_level",
                        "index_code",
                        "weekly_return",
                        "rank_in_level",
                        "n_in_level",
                        "benchmark_return",
                        "excess_return",
                    ]
                ),
                *unique_key(["week_end_date", "sw_level", "index_code"]),
                in_set("sw_level", [1, 2, 3]),
                _WEEKLY_RETURN,
                _within_any_limit("weekly_return"),
                between(
                    "benchmark_return",
                    -WEEKLY_RETURN_LIMIT,
                    WEEKLY_RETURN_LIMIT,
                    strict_min=True,
                    strict_max=True,
                ),
                between("rank_in_level", 1),
                at_least("n_in_level", "rank_in_level"),
            ],
            _rank_groups(RANK_GROUP_KEYS),
            _L1_LATEST_WEEK,
            _EXCESS_RETURN,
        ),
        _suite(
            "fct_industry_valuation",
            "Daily industry PE by method (PE TTM without negatives; SW's own 市盈率) and its "
            "3/5/10-year percentiles.",
            ("index_code", "pe_method", "trade_date"),
            [
                *columns_exist(
                    [
                        "trade_date",
                        "index_code",
                        "pe_method",
                        "pe",
                        *(f"percentile_{y}y" for y in PERCENTILE_YEARS),
                        *(f"n_obs_{y}y" for y in PERCENTILE_YEARS),
                    ]
                ),
                in_set("pe_method", PE_METHODS),
                # SW's own 市盈率 includes loss makers and may be negative; ours excludes them.
                *positive(
                    ["pe"],
                    row_condition='pe_method == "ttm_ex_negative"',
                    condition_parser="pandas",
                ),
                *(between(f"percentile_{y}y", 0, 1) for y in PERCENTILE_YEARS),
                *non_negative([f"n_obs_{y}y" for y in PERCENTILE_YEARS]),
            ],
        ),
        _suite(
            "fct_stock_weekly_returns",
            "Weekly return and status of every member stock of an SW L1 industry: one row per "
            "stock and week, returns within what daily price limits allow.",
            ("week_end_date", "symbol", "l1_index_code", "close", "prev_close"),
            [
                *columns_exist(
                    [
                        "week_end_date",
                        "symbol",
                        "l1_index_code",
                        "close",
                        "prev_close",
                        "weekly_return",
                        "status",
                    ]
                ),
                matches("symbol", SIX_DIGITS),
                in_set("status", STOCK_STATUSES),
                # A listing's first week has no return (status new_listing); every other week
                # is checked, a listing's second week included (the mart does not mark it).
                _within_any_limit("weekly_return"),
            ],
        ),
        _suite(
            "mart_industry_movers",
            "Top and bottom 5 stocks per industry and week, plus flagged unranked names.",
            ("week_end_date", "index_code", "side", "position", "symbol"),
            [
                *columns_exist(
                    ["week_end_date", "index_code", "side", "position", "weekly_return"]
                ),
                in_set("side", MOVER_SIDES),
                in_set("index_code", SW_L1_CODES),
                between("position", 1),
                between(
                    "position",
                    1,
                    MOVERS_PER_SIDE,
                    row_condition='side in ["top", "bottom"]',
                    condition_parser="pandas",
                ),
                _within_any_limit("weekly_return"),
            ],
            _MOVER_SIDES,
        ),
        _suite(
            "fct_software_industry_stats",
            "MIIT software industry figures: shares and YoY are fractions.",
            ("period_type", "period_end", "metric", "segment"),
            [*columns_exist(["share", "yoy"]), between("share", 0, 1), between("yoy", -1, 1)],
        ),
        _suite(
            "rpt_industry_weekly_brief",
            "The weekly brief per L1 industry: return and rank of 31, PE percentiles.",
            ("week_end_date", "index_code"),
            [
                *columns_exist(
                    [
                        "week_end_date",
                        "index_code",
                        "weekly_return",
                        "rank_in_level",
                        "n_in_level",
                        "benchmark_return",
                        "excess_return",
                        *BRIEF_PERCENTILES,
                    ]
                ),
                _WEEKLY_RETURN,
                _within_any_limit("weekly_return"),
                between("rank_in_level", 1),
                at_least("n_in_level", "rank_in_level"),
                *(between(c, 0, 1) for c in BRIEF_PERCENTILES),
            ],
            _rank_groups(("week_end_date",)),
            _L1_LATEST_WEEK,
            _EXCESS_RETURN,
        ),
    ]
}
