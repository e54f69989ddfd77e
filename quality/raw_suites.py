"""Raw suites: one per dataset in ingestion.specs, run on the frame as fetched, before it is loaded.

The frame may be the concatenation of all calls of a run and may carry load metadata columns (names
starting with "_"); the main part ignores them, and the derived parts use `_call_args` / `_call_key`
only to tell calls apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

import pandas as pd

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
    CSI_300,
    MIIT_METRICS,
    MIIT_PERIOD_TYPES,
    MIIT_SEGMENTS,
    MIIT_UNITS,
    N_SW_L1,
    SIX_DIGITS,
    SW_L1_CALL_SYMBOL,
    SW_L1_CODES,
)

METADATA_PREFIX = "_"
FIRST_SSE_TRADING_DAY = date(1990, 12, 19)


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


# -- suites ----------------------------------------------------------------------------------------

# Checks beyond columns, kinds and keys, per dataset (main part).
_EXTRA: dict[str, list[Expect]] = {
    "trade_calendar": [
        expect("expect_column_values_to_be_increasing", column="trade_date", strictly=True),
        between("trade_date", FIRST_SSE_TRADING_DAY),
    ],
    "sw_index_spot": [
        matches("指数代码", SIX_DIGITS),
        *not_null(["指数名称"]),
        *positive(["昨收盘", "最新价"]),
        *non_negative(["成交额", "成交量"]),
    ],
    "sw_index_daily": [
        matches("代码", SIX_DIGITS),
        *positive(["收盘", "开盘", "最高", "最低"]),
        *ohlc_order("开盘", "最高", "最低", "收盘", tolerant=True),
        *non_negative(["成交量", "成交额"]),
    ],
    "csi_index_daily": [
        matches("指数代码", SIX_DIGITS),
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
        *positive(["收盘指数"]),
        *non_negative(["成交量", "换手率"]),
    ],
    "sw_classification": [
        matches("symbol", SIX_DIGITS),
        matches("industry_code", SIX_DIGITS),
        *not_null(["industry_code"]),
    ],
    "stock_names": [matches("code", SIX_DIGITS), *not_null(["name"])],
    "stock_daily": [
        matches("股票代码", SIX_DIGITS),
        *positive(["开盘", "收盘", "最高", "最低"]),
        *ohlc_order("开盘", "最高", "最低", "收盘"),
        *non_negative(["成交量", "成交额", "振幅", "换手率"]),
    ],
    "stock_valuation": [*positive(["总市值", "当日收盘价"])],
    "miit_software_stats": [
        in_set("period_type", MIIT_PERIOD_TYPES),
        in_set("metric", MIIT_METRICS),
        in_set("segment", MIIT_SEGMENTS),
        in_set("unit", MIIT_UNITS),
        matches("period_end", r"^\d{4}-(?:0[1-9]|1[0-2])$"),
        matches("published_date", r"^\d{4}-\d{2}-\d{2}$"),
        between("share_pct", 0, 100),
        between("yoy_pct", -100, 100),
        *non_negative(["value"]),
    ],
}

# Datasets whose grain is unique only within one call (the call arguments complete the key).
_PER_CALL_GRAIN = {"stock_valuation"}

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


def _main_part(spec: DatasetSpec) -> Part:
    columns = list(spec.columns)
    expectations: list[Expect] = [
        expect("expect_table_columns_to_match_set", column_set=columns, exact_match=True),
        expect("expect_table_row_count_to_be_between", min_value=1),
        *(kind_check(column, kind) for column, kind in spec.columns.items()),
        *not_null(spec.grain),
    ]
    if spec.name not in _PER_CALL_GRAIN:
        expectations += unique_key(spec.grain)
    expectations += _EXTRA.get(spec.name, [])
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
        parts=(_main_part(spec), *_PARTS.get(spec.name, [])),
    )


RAW_SUITE_DEFS: dict[str, SuiteDef] = {name: build_raw_suite(spec) for name, spec in SPECS.items()}
