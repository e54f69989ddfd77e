"""The weekly brief of one industry, rendered from one row of `rpt_industry_weekly_brief`."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

BRIEF_TABLE = "rpt_industry_weekly_brief"


def load_brief_row(db: Path, index_code: str, week_start: date | None = None) -> dict[str, Any]:
    """The brief row of an industry for the week starting `week_start` (default: latest week)."""
    query = f"SELECT * FROM {BRIEF_TABLE} WHERE index_code = $code"
    if week_start is not None:
        query += " AND week_end_date BETWEEN $monday AND $monday + INTERVAL 6 DAY"
    query += " ORDER BY week_end_date DESC LIMIT 1"
    params = {"code": index_code} | ({"monday": week_start} if week_start else {})
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(query, params)
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    finally:
        con.close()
    if row is None:
        raise LookupError(
            f"{BRIEF_TABLE} has no row for industry {index_code}, week {week_start or 'latest'}"
        )
    return dict(zip(names, row, strict=True))


def pct(value: float | None, signed: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:+.2f}%" if signed else f"{value * 100:.2f}%"


def num(value: float | None, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.2f}{suffix}"


def _movers(raw: str | None) -> list[str]:
    items = json.loads(raw or "[]")
    return [
        f"{i}. {m['name']} ({m['symbol']}) {pct(m['weekly_return'])}"
        + (" [ST]" if m.get("is_st") else "")
        for i, m in enumerate(items, 1)
    ]


def _percentile(row: dict[str, Any], prefix: str) -> str:
    value = row[f"{prefix}_percentile_5y"]
    if value is None:
        return (
            f"5y percentile n/a (history too short: {row[f'{prefix}_n_obs_5y'] or 0} daily values)"
        )
    return (
        f"5y percentile {pct(value, signed=False)} "
        f"(window from {row[f'{prefix}_window_start_5y']}, {row[f'{prefix}_n_obs_5y']} daily values)"
    )


def render_markdown(row: dict[str, Any]) -> str:
    lines = [
        f"# {row['index_name']} ({row['index_code']}) weekly brief, week ending {row['week_end_date']}",
        "",
    ]
    if row["uses_synthetic_data"]:
        lines += [
            f"> **Sample data**: built from synthetic inputs ({row['synthetic_inputs']}); "
            "numbers that depend on them are illustrative, not market facts.",
            "",
        ]
    lines += [
        "## Performance",
        f"- Week {row['week_start_date']}..{row['week_end_date']} "
        f"({row['trading_days_in_week']} trading days)",
        f"- Return {pct(row['weekly_return'])}, {row['benchmark_name']} {pct(row['benchmark_return'])}, "
        f"excess {pct(row['excess_return'])}",
        f"- Rank {row['rank_in_level']}/{row['n_in_level']} among SW level-1 industries",
        "",
        f"## Top 5 stocks ({row['n_stocks_ranked']} ranked)",
        *(_movers(row["top_movers"]) or ["(no stock data for this industry)"]),
        "",
        "## Bottom 5 stocks",
        *(_movers(row["bottom_movers"]) or ["(no stock data for this industry)"]),
        "",
        f"Not ranked: {row['n_new_listings']} new listings, {row['n_suspended']} suspended; "
        f"{row['n_st']} ST names among members.",
        "",
        f"## Valuation (as of {row['valuation_date']})",
        f"- PE(TTM), negatives excluded: {num(row['pe_ttm_ex_negative'], 'x')}; "
        + _percentile(row, "pe_ttm"),
        f"- SW-published PE: {num(row['sw_pe'], 'x')}; " + _percentile(row, "sw_pe"),
    ]
    if row.get("stats_source") == "miit_software":
        lines += [
            "",
            f"## Software industry, MIIT ({row['stats_period_label']} {str(row['stats_period_end'])[:4]})",
            f"- Revenue {num(row['software_revenue'], ' 亿元')}, YoY {pct(row['software_revenue_yoy'])}",
            f"- Profit {num(row['software_profit'], ' 亿元')}, YoY {pct(row['software_profit_yoy'])}",
            f"- Exports {num(row['software_export'], ' 亿美元')}, YoY {pct(row['software_export_yoy'])}",
            "- YoY as published by MIIT (comparable sample of firms).",
        ]
    return "\n".join(lines) + "\n"
