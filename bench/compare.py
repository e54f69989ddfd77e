"""Do the pipeline, the pandas baseline and the SQL floor give the same numbers?

Each implementation writes the benchmarked marts as Parquet: the pipeline's published marts, and
<out>/<mart>.parquet from bench/baseline.py and bench/floor.py. Rows are matched on the mart's
key; floats agree within a relative 1e-9 (sums in another order differ in the last bits),
everything else exactly, nulls included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

REL_TOL = 1e-9
CASTS = {"date": "DATE", "str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}


@dataclass(frozen=True)
class Mart:
    name: str  # file name written by the baseline and the floor
    published: str  # the pipeline's mart
    keys: dict[str, str]  # column -> kind
    values: dict[str, str]


_PE_WINDOWS = {
    f"{column}_{y}y": kind
    for y in (3, 5, 10)
    for column, kind in (("percentile", "float"), ("n_obs", "int"), ("window_start", "date"))
}

MARTS = (
    Mart(
        "industry_weekly_returns",
        "fct_industry_weekly_returns",
        {"week_end_date": "date", "sw_level": "int", "index_code": "str"},
        {
            "weekly_return": "float",
            "rank_in_level": "int",
            "n_in_level": "int",
            "benchmark_return": "float",
            "excess_return": "float",
        },
    ),
    Mart(
        "stock_weekly_returns",
        "fct_stock_weekly_returns",
        {"week_end_date": "date", "symbol": "str"},
        {
            "l1_index_code": "str",
            "stock_name": "str",
            "close": "float",
            "prev_close": "float",
            "weekly_return": "float",
            "status": "str",
            "is_st": "bool",
        },
    ),
    Mart(
        "industry_movers",
        "mart_industry_movers",
        {"week_end_date": "date", "index_code": "str", "side": "str", "position": "int"},
        {"symbol": "str", "weekly_return": "float", "n_ranked": "int"},
    ),
    Mart(
        "industry_valuation",
        "fct_industry_valuation",
        {"trade_date": "date", "index_code": "str", "pe_method": "str"},
        {"pe": "float", "n_members": "int", "n_excluded_nonpositive": "int", **_PE_WINDOWS},
    ),
)


def _select(path: Path, mart: Mart) -> str:
    columns = {**mart.keys, **mart.values}
    casts = ", ".join(f"CAST({c} AS {CASTS[k]}) AS {c}" for c, k in columns.items())
    return f"SELECT {casts} FROM read_parquet('{path}')"


def _differs(column: str, kind: str) -> str:
    a, b = f"a.{column}", f"b.{column}"
    if kind == "float":
        return (
            f"(({a} IS NULL) <> ({b} IS NULL) OR "
            f"abs({a} - {b}) > {REL_TOL} * greatest(1, abs({a})))"
        )
    return f"{a} IS DISTINCT FROM {b}"


def compare_mart(left: Path, right: Path, mart: Mart) -> dict[str, int]:
    """Counts: rows of each side, rows only on one side, and mismatches per value column."""
    on = " AND ".join(f"a.{k} = b.{k}" for k in mart.keys)
    first_key = next(iter(mart.keys))
    mismatches = ", ".join(
        f"count(*) FILTER (WHERE a.{first_key} IS NOT NULL AND b.{first_key} IS NOT NULL "
        f"AND {_differs(c, k)}) AS {c}"
        for c, k in mart.values.items()
    )
    sql = (
        f"SELECT count(a.{first_key}) AS rows_left, count(b.{first_key}) AS rows_right, "
        f"count(*) FILTER (WHERE b.{first_key} IS NULL) AS only_left, "
        f"count(*) FILTER (WHERE a.{first_key} IS NULL) AS only_right, {mismatches} "
        f"FROM ({_select(left, mart)}) a FULL JOIN ({_select(right, mart)}) b ON {on}"
    )
    with duckdb.connect() as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def is_equal(counts: dict[str, int]) -> bool:
    return (
        all(v == 0 for k, v in counts.items() if not k.startswith("rows_"))
        and counts["rows_left"] == counts["rows_right"]
    )


def compare(published: Path, others: dict[str, Path]) -> dict[str, dict[str, dict[str, int]]]:
    """{implementation: {mart: counts}} of each other implementation against the pipeline."""
    return {
        name: {
            mart.name: compare_mart(
                published / f"{mart.published}.parquet", out / f"{mart.name}.parquet", mart
            )
            for mart in MARTS
        }
        for name, out in others.items()
    }
