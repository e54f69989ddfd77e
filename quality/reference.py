"""Reference values the suites check against: the SW L1 universe, MIIT vocabularies, limits,
tolerances, known upstream exceptions, and the run reference (as_of, trading days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The one copy of the SW L1 industries is dbt's seed; the suites, the CLI and publishing read it
# through ingestion.industries.
from ingestion.industries import (  # noqa: F401 (re-exported)
    N_SW_L1,
    SW_L1_CODES,
    SW_L1_INDEX_BY_INDUSTRY,
    SW_L1_INDUSTRIES,
    SW_L1_INDUSTRY_CODES,
)


def l1_industry_code(industry_code: str) -> str:
    """The L1 industry of an SW 2021 industry code, as stg_akshare__sw_classifications maps it:
    the first two digits, then 0000 (710102 -> 710000)."""
    return str(industry_code).strip()[:2] + "0000"


SW_L1_CALL_SYMBOL = "一级行业"  # index_realtime_sw(symbol=...) for the L1 universe
CSI_300 = "000300"  # the benchmark of the weekly brief

# MIIT software and IT services statistics (long format), as curated in ingestion.
MIIT_PERIOD_TYPES: tuple[str, ...] = ("annual", "ytd")
MIIT_METRICS: tuple[str, ...] = ("revenue", "profit_total", "export")
MIIT_SEGMENTS: tuple[str, ...] = (
    "total",
    "software_products",
    "it_services",
    "info_security",
    "embedded_software",
    "cloud_big_data",
    "ecommerce_platform",
    "ic_design",
    "industrial_software",
    "basic_software",
)
MIIT_UNITS: tuple[str, ...] = ("亿元", "亿美元")

# Share of rows a check over long history may fail before the suite fails ("mostly" in GX).
# Only for upstream facts that are real and known:
# - SW publishes 21 level-2 bars (2014-08-29, 2018-11-06) whose close lies outside [low, high];
# - new listings trade without a price limit for their first five days (-64% day-on-day in the
#   sample), beyond the daily pct_change range;
# - SW indices with gaps in their history (801950 煤炭 and 801952 焦炭 before 2021-12-13, 801193
#   证券 in 2017) show weekly returns of 50% and more across the gap.
# Values outside still appear in the result as warnings, and the latest date or week of the L1
# universe (what the brief shows) is always checked strictly.
HISTORY_TOLERANCE = 0.9999

SIX_DIGITS = r"^\d{6}$"


# -- the run reference ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawReference:
    """What a run's raw rows are checked against: the snapshot's as_of, and the trading days of
    raw.trade_calendar (None for the calendar itself, or when it is not known)."""

    as_of: date
    trading_days: frozenset[date] | None = None


# -- price limits -----------------------------------------------------------------------------------

# Daily price limits of A-shares (涨跌幅限制) by board, from the code's prefix. ST names (±5%) use
# their board's limit: raw.stock_names holds today's names, not the names on each bar's day, so
# an ST flag cannot be placed in time; the wider limit never fails a real ST bar.
MAIN_BOARD_LIMIT = 0.10
GROWTH_BOARD_LIMIT = 0.20  # ChiNext (300/301/302) since 2020-08-24, STAR (688/689)
BEIJING_LIMIT = 0.30  # Beijing Stock Exchange (4xx, 8xx, 92x)
GROWTH_BOARD_PREFIXES: tuple[str, ...] = ("30", "688", "689")
BEIJING_PREFIXES: tuple[str, ...] = ("4", "8", "92")
WIDEST_DAILY_LIMIT = BEIJING_LIMIT
# qfq prices are rounded to 0.01, and so is the exchange's limit price: close and previous close
# are each off by up to 0.005, the limit price by 0.005 x (1 + limit), about 0.016 in all. The
# move may exceed the limit by that much over the previous close (measured on the whole market,
# 2024-01-02..2025-01-24: at most 0.016 over; 0.015 would fail one real bar).
ROUNDING_ALLOWANCE = 0.02
# Registration-system IPOs (STAR, ChiNext, main board since 2023) trade without a limit on their
# first five days; the Beijing exchange on its first day.
UNLIMITED_LISTING_BARS = 5
# An index is a weighted mean of its members' moves, so its daily move stays within the widest
# member limit. Measured on SW L1/L2 (1999-2025) and CSI 000300/930651/000985 (2015-2025): at
# most 16.6% (801081 on 2024-10-08), except across the gaps below.
INDEX_DAILY_MOVE_LIMIT = WIDEST_DAILY_LIMIT
# Known real index bars beyond that bound: the first bar after a gap of months or years in SW's
# history, returned against the last close before the gap (index code, date).
KNOWN_INDEX_GAP_BARS: frozenset[tuple[str, date]] = frozenset(
    {
        ("801193", date(2017, 4, 27)),  # 证券 II: no bars 2015-04-29..2017-04-26, -52%
        ("801193", date(2019, 7, 5)),  # 证券 II: no bars 2018-10-31..2019-07-04, +31%
        ("801950", date(2021, 12, 14)),  # 煤炭: no bars 2017-01-21..2021-12-13, +57%
        ("801951", date(2021, 12, 13)),  # 煤炭开采: no bars 2017-01-21..2021-12-12, -44%
        ("801952", date(2021, 12, 13)),  # 焦炭 II: no bars 2017-01-21..2021-12-12, +236%
    }
)
# Known real index bars on a day that is not a trading day (index code, date): CSI publishes a
# row on the Dragon Boat Festival 2018 with the previous close and no open, high or low.
KNOWN_HOLIDAY_BARS: frozenset[tuple[str, date]] = frozenset(
    {("930651", date(2018, 6, 18)), ("000985", date(2018, 6, 18))}
)
# A week has at most five trading days, each within the widest daily limit:
# 0.7**5 - 1 = -83.2% .. 1.3**5 - 1 = +271.3%. Measured: stocks -64.6% .. +257.4% (a listing's
# second week, 301551), SW/CSI indices -52.3% .. +242.5% (801952 across its gap).
WEEKLY_RETURN_BOUNDS = (
    (1 - WIDEST_DAILY_LIMIT) ** 5 - 1,
    (1 + WIDEST_DAILY_LIMIT) ** 5 - 1,
)

# MIIT states YoY growth on a comparable sample of firms, so it differs from the ratio of two
# published levels: measured over data/miit (134 rows with the prior year's value), |YoY - implied|
# is at most 10.9 percentage points for the totals (export, 2025-03) and 25.5 for the segments
# (cloud_big_data 2022), apart from the one known exception below.
MIIT_YOY_TOLERANCE_PP = {"total": 15.0, "segment": 30.0}
# (period_type, period_end, metric, segment): MIIT's 2021 cloud and big data revenue (7,768 亿元,
# +21.2%) is on a wider scope than 2020's 4,116 亿元 (implied +88.7%).
KNOWN_MIIT_YOY_EXCEPTIONS: frozenset[tuple[str, str, str, str]] = frozenset(
    {("annual", "2021-12", "revenue", "cloud_big_data")}
)
