"""Schema drift and value sanity of a live frame against its spec, with an expected-vs-got diff.

Several akshare functions assign column names by position, so an upstream change can mislabel
values without any error. The names and kinds catch renamed, added and dropped columns; the value
rules (low <= open, close <= high, volumes >= 0, 31 L1 industries) catch what names cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from ingestion.errors import column_difference
from ingestion.snapshot import kind_of
from ingestion.specs import Call

# Column sets that must satisfy low <= open, close <= high where all four are present and > 0.
OHLC_SETS = (
    ("开盘", "最高", "最低", "收盘"),
    ("今开盘", "最高价", "最低价", "最新价"),
    ("open", "high", "low", "close"),
)
NON_NEGATIVE = ("成交量", "成交额", "成交金额", "振幅", "换手率", "volume", "amount")
TOLERATED_SHARE = 0.05  # old SW history has a few odd bars; a mislabelled column breaks most rows
N_SW_L1 = 31
# Some of today's 31 L1 indices start with the SW 2021 classification; before it, fewer exist.
ALL_L1_FROM = date(2021, 12, 14)


class SchemaDrift(Exception):
    """A live frame does not match its spec (or its values make no sense): never retried."""


class IncompleteFrame(Exception):
    """A live frame has fewer rows than the call must return (a partial page): retried."""


def _family(kind: str) -> str:
    return "number" if kind in ("int", "float") else kind  # as the GX raw suites see kinds


def schema_problems(expected: Mapping[str, str], frame: pd.DataFrame) -> list[str]:
    got = [str(c) for c in frame.columns]
    want = list(expected)
    diff = column_difference(want, got) or {"missing": [], "extra": [], "order": []}
    missing, extra = diff["missing"], diff["extra"]
    problems = []
    for i, name in enumerate(want):
        if name in missing and i < len(got) and got[i] in extra:
            problems.append(f"renamed? {name} -> {got[i]} (column {i + 1})")
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected: {', '.join(extra)}")
    for name in want:
        if name in got and len(frame):
            kind = kind_of(frame[name])
            if _family(kind) != _family(expected[name]):
                problems.append(f"kind changed: {name} {expected[name]} -> {kind}")
    if diff["order"]:
        problems.append("column order changed")
    return problems


def _violations(mask: pd.Series) -> bool:
    return int(mask.sum()) > TOLERATED_SHARE * len(mask)


def value_problems(dataset: str, frame: pd.DataFrame, call: Call) -> list[str]:
    problems = []
    for open_, high, low, close in OHLC_SETS:
        if not {open_, high, low, close} <= set(frame.columns):
            continue
        bars = frame[[open_, high, low, close]].apply(pd.to_numeric, errors="coerce")
        bars = bars[(bars > 0).all(axis=1)]
        if bars.empty:
            continue
        tol = bars[high].abs() * 1e-6
        bad = (bars[low] > bars[[open_, close]].min(axis=1) + tol) | (
            bars[high] < bars[[open_, close]].max(axis=1) - tol
        )
        if _violations(bad):
            first = bars[bad].iloc[0].to_dict()
            problems.append(
                f"{low} <= {open_}, {close} <= {high} fails in {int(bad.sum())} of {len(bars)} "
                f"rows (first: {first}): columns mislabelled?"
            )
    for name in NON_NEGATIVE:
        if name in frame.columns:
            values = pd.to_numeric(frame[name], errors="coerce")
            if (values < 0).any():
                problems.append(f"{name} is negative in {int((values < 0).sum())} rows")
    symbol = call.kwargs.get("symbol")
    code_column = {"stock_daily": "股票代码", "csi_index_daily": "指数代码"}.get(dataset)
    if code_column in frame.columns and symbol:
        other = frame[frame[code_column].astype(str) != symbol]
        if len(other):
            problems.append(f"{code_column} is {other[code_column].iloc[0]!r}, not {symbol!r}")
    if dataset == "stock_valuation" and {"总市值", "流通市值"} <= set(frame.columns):
        caps = frame[["总市值", "流通市值"]].apply(pd.to_numeric, errors="coerce").dropna()
        if len(caps) and _violations(caps["流通市值"] > caps["总市值"] * 1.005):
            problems.append("流通市值 exceeds 总市值: columns mislabelled?")
    return problems


def incomplete(dataset: str, frame: pd.DataFrame, call: Call) -> str | None:
    """Why a frame is short of rows it must have, if it is."""
    level = call.kwargs.get("symbol")
    if dataset == "sw_index_spot" and level == "一级行业" and len(frame) != N_SW_L1:
        return f"{len(frame)} rows for the {N_SW_L1} SW L1 industries"
    if dataset == "sw_index_valuation" and level == "一级行业" and "发布日期" in frame.columns:
        per_day = frame[frame["发布日期"] >= ALL_L1_FROM].groupby("发布日期")["指数代码"].nunique()
        short = per_day[per_day != N_SW_L1]
        if len(short):
            return f"{short.iloc[0]} L1 industries on {short.index[0]}, not {N_SW_L1}"
    return None


def check_frame(dataset: str, expected: Mapping[str, str], frame: pd.DataFrame, call: Call) -> None:
    """Raise SchemaDrift (with the diff) or IncompleteFrame; return quietly when the frame is fine."""
    problems = schema_problems(expected, frame)
    if not problems:
        problems = value_problems(dataset, frame, call)
    if problems:
        want = ", ".join(f"{c} {k}" for c, k in expected.items())
        got = ", ".join(f"{c} {kind_of(frame[c])}" for c in frame.columns)
        raise SchemaDrift(
            f"schema drift in {dataset}: {call.describe()}\n"
            f"  expected: {want}\n  got:      {got}\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\n  akshare or the upstream changed: fix the spec (or pin akshare) before loading."
        )
    short = incomplete(dataset, frame, call)
    if short:
        raise IncompleteFrame(f"{dataset}: {call.describe()} returned a partial result: {short}")
