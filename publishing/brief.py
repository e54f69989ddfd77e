"""The weekly brief of one industry: Markdown (with charts) from the rows of the marts.

`render_markdown(row, figures)` is the text alone, from one row of `rpt_industry_weekly_brief`
and its rows of `rpt_reconciliation` (the CLI's `brief`, via `text_brief`). `build_brief(row,
week)` adds the charts, the movers table, the industry statistics and the reconciliation, from a
`WeekData` read once per week with `load_week`. `footer(facts, ext)` is the brief's last lines
on the site: data version, source snapshot, generation time and links to the neighbouring weeks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ingestion.snapshot import Snapshot, SnapshotError
from publishing import charts, formats
from publishing.formats import pct
from publishing.industry_stats import SECTIONS

BRIEF_TABLE = "rpt_industry_weekly_brief"
HISTORY_WEEKS = 26  # Figure 1's "past months"
VALUATION_YEARS = 5  # Figure 2, as the percentile window

# Raw datasets behind each section: a section is marked as sample data when one is synthetic.
SECTION_INPUTS = {
    "performance": {"sw_index_daily", "csi_index_daily"},
    "sub_industries": {"sw_index_daily"},
    "key_companies": {"stock_daily", "stock_valuation", "sw_classification", "stock_names"},
    "valuation": {"stock_valuation", "sw_index_valuation", "sw_classification"},
    "movers": {"stock_daily", "sw_classification", "stock_names"},
    "stats": {"miit_software_stats"},
}
# Raw datasets behind each metric of rpt_reconciliation (its `metrics`; lineage in
# rpt_industry_weekly_brief's synthetic_input_list): a mismatch resting on one that is
# synthetic says so.
_PERFORMANCE = {"weekly_return": {"sw_index_daily"}, "benchmark_return": {"csi_index_daily"}}
METRIC_INPUTS = {
    **_PERFORMANCE,
    "excess_return": {"sw_index_daily", "csi_index_daily"},
    "rank_in_level": {"sw_index_daily"},
    "close": {"sw_index_daily"},
    "pe_ttm_ex_negative": {"stock_valuation", "sw_classification"},
    "pe_ttm_percentile_5y": {"stock_valuation", "sw_classification"},
    "sw_pe": {"sw_index_valuation"},
    "sw_pe_percentile_5y": {"sw_index_valuation"},
    **{
        f"software_{m}{yoy}": SECTION_INPUTS["stats"]
        for m in ("revenue", "profit", "export")
        for yoy in ("", "_yoy")
    },
}


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


# -- one week's rows, read once ---------------------------------------------------------------


@dataclass(frozen=True)
class WeekData:
    week_end_date: date
    briefs: pd.DataFrame  # rpt_industry_weekly_brief, one row per L1 industry
    returns: pd.DataFrame  # fct_industry_weekly_returns, L1, the past HISTORY_WEEKS weeks
    valuation: pd.DataFrame  # fct_industry_valuation, VALUATION_YEARS to the week's end
    reconciliation: pd.DataFrame  # rpt_reconciliation for the week
    stats: dict[str, pd.DataFrame] = field(default_factory=dict)  # by stats_source
    previous_week: date | None = None  # week_end_date of the brief table's week before, if any
    next_week: date | None = None  # ... and after
    source: Source | None = None  # where the warehouse's raw data came from (raw._loads)

    def rows(self) -> list[dict[str, Any]]:
        ordered = self.briefs.sort_values(["rank_in_level", "index_code"])
        return [
            {k: (None if formats.is_missing(v) else v) for k, v in r.items()}
            for r in ordered.to_dict("records")
        ]


def load_week(db: Path, week_start: date | None = None, schema: str = "marts") -> WeekData:
    """Everything the briefs of the week starting `week_start` (default: the latest) show.

    Read in one read-only connection. `schema` is "marts" in the warehouse and "" in the
    published copy (tables in main).
    """
    prefix = f"{schema}." if schema else ""
    con = duckdb.connect(str(db), read_only=True)
    try:
        week_end = con.execute(
            f"SELECT max(week_end_date) FROM {prefix}{BRIEF_TABLE} WHERE $monday IS NULL "
            "OR week_end_date BETWEEN $monday::DATE AND $monday::DATE + INTERVAL 6 DAY",
            {"monday": week_start},
        ).fetchone()[0]
        if week_end is None:
            raise LookupError(f"{BRIEF_TABLE} has no rows for the week of {week_start or 'latest'}")
        params = {"week_end": week_end}
        briefs = con.execute(
            f"SELECT * FROM {prefix}{BRIEF_TABLE} WHERE week_end_date = $week_end", params
        ).df()
        returns = con.execute(
            f"""SELECT week_end_date, index_code, index_name, weekly_return, benchmark_return
            FROM {prefix}fct_industry_weekly_returns
            WHERE sw_level = 1 AND week_end_date <= $week_end AND week_end_date > $since
            ORDER BY week_end_date""",
            params | {"since": week_end - timedelta(weeks=HISTORY_WEEKS)},
        ).df()
        valuation = con.execute(
            f"""SELECT trade_date, index_code, pe_method, pe FROM {prefix}fct_industry_valuation
            WHERE trade_date <= $week_end AND trade_date > $week_end - INTERVAL {VALUATION_YEARS} YEAR
                AND pe IS NOT NULL""",
            params,
        ).df()
        reconciliation = con.execute(
            f"SELECT * FROM {prefix}rpt_reconciliation WHERE week_end_date = $week_end "
            "ORDER BY index_code, metric",
            params,
        ).df()
        stats = {
            source: SECTIONS[source].load(con, prefix, week_end)
            for source in sorted(set(briefs["stats_source"].dropna()))
            if source in SECTIONS
        }
        previous_week, next_week = con.execute(
            f"""SELECT max(week_end_date) FILTER (WHERE week_end_date < $week_end),
                min(week_end_date) FILTER (WHERE week_end_date > $week_end)
            FROM {prefix}{BRIEF_TABLE}""",
            params,
        ).fetchone()
        source = load_source(con)
    finally:
        con.close()
    return WeekData(
        week_end,
        briefs,
        returns,
        valuation,
        reconciliation,
        stats,
        previous_week,
        next_week,
        source,
    )


# -- where the data came from ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    source: str  # the snapshot replayed (its path), or "live"
    as_of: date | None  # the snapshot's run window end (snapshot.json), when known
    loaded_at: datetime | None  # the latest raw load from it


def load_source(con: duckdb.DuckDBPyConnection) -> Source | None:
    """The source of the warehouse's latest akshare load (raw._loads; the analyst's figures,
    loaded from their own folder, are not a source snapshot). None outside a warehouse."""
    try:
        found = con.execute(
            "SELECT source, loaded_at FROM raw._loads WHERE dataset <> 'analyst_published_figures' "
            "ORDER BY loaded_at DESC LIMIT 1"
        ).fetchone()
    except duckdb.CatalogException:  # the published copy has no raw schema
        return None
    if found is None:
        return None
    return Source(found[0], snapshot_as_of(found[0]), found[1])


def snapshot_as_of(source: str) -> date | None:
    """The `as_of` of a snapshot's window (its snapshot.json), None when `source` is not one."""
    snapshot = Snapshot(source)
    try:
        return snapshot.window.as_of if snapshot.exists() else None
    except (OSError, SnapshotError):
        return None


# -- the brief -----------------------------------------------------------------------------------


@dataclass
class Brief:
    index_code: str
    markdown: str
    images: dict[str, bytes]  # file name -> PNG, referenced as img/<name> in the Markdown


def synthetic_inputs(row: dict[str, Any]) -> set[str]:
    return {s for s in (row.get("synthetic_inputs") or "").split(",") if s}


def _sample_note(row: dict[str, Any], section: str) -> list[str]:
    used = sorted(synthetic_inputs(row) & SECTION_INPUTS[section])
    if not used:
        return []
    return [f"> **Sample data:** this section rests on synthetic inputs ({', '.join(used)}).", ""]


def _is_sample(row: dict[str, Any], section: str) -> bool:
    return bool(synthetic_inputs(row) & SECTION_INPUTS[section])


def _movers(raw: str | None) -> list[dict[str, Any]]:
    return json.loads(raw or "[]")


def sub_industries(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's SW L2 industries, best first (JSON column `sub_industries`)."""
    return json.loads(row.get("sub_industries") or "[]")


def key_companies(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The analyst's key companies, largest market cap first (JSON column `key_companies`)."""
    return json.loads(row.get("key_companies") or "[]")


def _stock(mover: dict[str, Any] | None, mark_current: bool = False) -> tuple[str, str]:
    if mover is None:
        return "", ""
    flag = " [ST]" if mover.get("is_st") else ""
    current = " †" if mark_current and not mover.get("is_name_point_in_time") else ""
    return f"{mover['name']} ({mover['symbol']}){flag}{current}", pct(mover["weekly_return"])


CURRENT_NAMES = (
    "as of the names' fetch date (stock_info_a_code_name), not as of the week's end: no dated "
    "name history covers {which} (akshare has it for Shenzhen only, docs/metrics.md)"
)


def _names_basis(movers: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """Whether to mark movers whose name and ST flag are current (†), and the line saying so:
    none when every name is as of the week, one sentence when none is."""
    current = [m for m in movers if not m.get("is_name_point_in_time")]
    if not current:
        return False, []
    if len(current) == len(movers):
        return False, [
            f"Names and [ST] flags are {CURRENT_NAMES.format(which='these stocks')}.",
            "",
        ]
    return True, [f"† Name and [ST] flag {CURRENT_NAMES.format(which='this stock')}.", ""]


def _percentile(row: dict[str, Any], prefix: str) -> str:
    value = row[f"{prefix}_percentile_5y"]
    n_obs = formats.count(row[f"{prefix}_n_obs_5y"] or 0)
    if value is None:
        return f"n/a: history too short ({n_obs} daily values in 5 years)"
    return f"{pct(value, signed=False)} ({n_obs} daily values from {formats.day(row[f'{prefix}_window_start_5y'])})"


def _header(row: dict[str, Any]) -> list[str]:
    lines = [
        f"# {row['index_name']} ({row['index_code']}) weekly brief, week ending "
        f"{formats.day(row['week_end_date'])}",
        "",
    ]
    if row["uses_synthetic_data"]:
        inputs = ", ".join(sorted(synthetic_inputs(row)))
        lines += [
            f"> **Sample data:** built from synthetic inputs ({inputs}); numbers that depend on "
            "them are illustrative, not market facts.",
            "",
        ]
    base = f"; {row['return_base_note']}" if row.get("return_base_note") else ""
    lines += [
        f"**{row['index_name']} returned {pct(row['weekly_return'])}** in the week "
        f"{formats.day(row['week_start_date'])} to {formats.day(row['week_end_date'])} "
        f"({row['trading_days_in_week']} trading days{base}), against "
        f"{pct(row['benchmark_return'])} for {row['benchmark_name']}: an excess return of "
        f"{pct(row['excess_return'])}. It ranks **{formats.rank(row['rank_in_level'], row['n_in_level'])}** "
        "among SW level-1 industries.",
        "",
    ]
    return lines


HORIZONS = (("4w", "4 weeks"), ("ytd", "Year to date"), ("52w", "52 weeks"))


def _performance(row: dict[str, Any]) -> list[str]:
    def cells(week: str, **horizon: str) -> str:
        return f"| {week} | " + " | ".join(horizon[h] for h, _ in HORIZONS) + " |"

    def value(column: str, fmt=pct) -> dict[str, str]:
        return {h: fmt(row.get(column.format(h=h))) for h, _ in HORIZONS}

    ranks = {
        h: formats.rank(row.get(f"rank_{h}_in_level"), row.get(f"n_{h}_in_level"))
        for h, _ in HORIZONS
    }
    return [
        "## Performance",
        "",
        *_sample_note(row, "performance"),
        "| | Week | " + " | ".join(label for _, label in HORIZONS) + " |",
        "|---|---:|---:|---:|---:|",
        f"| {row['index_name']} ({row['index_code']}) "
        + cells(pct(row["weekly_return"]), **value("return_{h}")),
        f"| {row['benchmark_name']} ({row['benchmark_code']}) "
        + cells(pct(row["benchmark_return"]), **value("benchmark_return_{h}")),
        "| Excess return " + cells(pct(row["excess_return"]), **dict.fromkeys(ranks, "")),
        "| Rank among SW L1 "
        + cells(formats.rank(row["rank_in_level"], row["n_in_level"]), **ranks),
        "| From the close of "
        + cells(formats.day(row.get("return_base_date")), **value("base_date_{h}", formats.day)),
        "",
        f"Close: {formats.num(row['close'])} index points. Each return runs from the close of "
        "the day shown: the previous week's last trading day; the last trading day of the "
        "calendar week 4 weeks earlier; the last close of the previous year; the last trading "
        "day of the calendar week 52 weeks earlier (docs/metrics.md).",
        "",
    ]


def _sub_industries(row: dict[str, Any]) -> list[str]:
    subs = sub_industries(row)
    if not subs:
        return []
    lines = [
        "## Sub-industries (SW L2)",
        "",
        *_sample_note(row, "sub_industries"),
        f"The weekly returns of {row['index_name']}'s {len(subs)} SW level-2 industries, "
        f"ranked within {row['index_name']} and among all SW L2 industries.",
        "",
        f"| Rank in {row['index_name']} | SW L2 industry | Weekly return | Rank among SW L2 |",
        "|---:|---|---:|---:|",
    ]
    for sub in subs:
        lines.append(
            f"| {formats.rank(sub['rank_in_l1'], sub['n_in_l1'])} "
            f"| {sub['index_name']} ({sub['index_code']}) | {pct(sub['weekly_return'])} "
            f"| {formats.rank(sub['rank_in_level'], sub['n_in_level'])} |"
        )
    return [*lines, ""]


STATUS_TEXT = {
    "new_listing": "new listing",
    "suspended": "suspended",
    None: "not a member this week",
}


def _key_companies(row: dict[str, Any]) -> list[str]:
    companies = key_companies(row)
    if not companies:
        return []
    lines = [
        "## Key companies (重点公司)",
        "",
        *_sample_note(row, "key_companies"),
        "**Table 2:** the analyst's key companies (dbt_project/seeds/key_companies.csv), "
        "largest market cap first; rank among the industry's ranked member stocks, PE(TTM) "
        "and market cap on the stock's last valuation on or before the week's end (a negative "
        "PE is a loss-maker's).",
        "",
        "| Company | Note | Weekly return | Rank in industry | PE(TTM) | Market cap (亿元) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    week_end = formats.day(row["week_end_date"])
    for company in companies:
        status = company.get("status")
        if status == "traded":
            ret = pct(company["weekly_return"])
            rank = formats.rank(company["rank_in_industry"], company["n_in_industry"])
        else:
            ret, rank = STATUS_TEXT.get(status, status), formats.MISSING
        valued = formats.day(company.get("valuation_date"))
        as_of = "" if valued in (week_end, formats.MISSING) else f" (as of {valued})"
        lines.append(
            f"| {company['name']} ({company['symbol']}) | {company.get('note') or ''} | {ret} "
            f"| {rank} | {formats.multiple(company['pe_ttm'])}{as_of} "
            f"| {formats.yi(company['market_cap_yi'])} |"
        )
    return [*lines, ""]


NO_NEWS = "No company news recorded in this snapshot for this week's movers and key companies."


def company_news(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The week's headlines of the movers and key companies, newest first (JSON column
    `company_news`)."""
    return json.loads(row.get("company_news") or "[]")


def _cell(text: str | None) -> str:
    """Text in a Markdown table cell: pipes and brackets escaped, one line."""
    text = " ".join(str(text or "").split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _company_news(row: dict[str, Any]) -> list[str]:
    """Part 3 of a sell-side brief (公司动态): what was recorded, never more; without recorded
    news, one line says so."""
    lines = ["## Company news (公司动态)", ""]
    items = company_news(row)
    recorded = row.get("n_news_companies") or 0
    if not recorded:
        return [*lines, NO_NEWS, ""]
    monday = formats.day(row["week_start_date"])
    if not items:
        return [
            *lines,
            f"No headline published in the week from {monday} for the {recorded} movers and "
            "key companies whose news was recorded.",
            "",
        ]
    lines += [
        f"Headlines of the week's top and bottom movers and key companies published from "
        f"{monday} (Monday) to the end of the week, newest first: Eastmoney's search, each "
        "stock's latest 10 when it was fetched.",
        "",
        "| Time (Beijing) | Company | Source | Headline |",
        "|---|---|---|---|",
    ]
    for item in items:
        url = str(item["url"]).replace("<", "").replace(">", "")
        lines.append(
            f"| {str(item['published_at'])[:16]} | {_cell(item['name'])} ({item['symbol']}) "
            f"| {_cell(item['publisher'])} | [{_cell(item['title'])}](<{url}>) |"
        )
    return [*lines, ""]


def _valuation(row: dict[str, Any]) -> list[str]:
    lines = [
        f"## Valuation (as of {formats.day(row['valuation_date'])})",
        "",
        *_sample_note(row, "valuation"),
        "| Measure | PE | 5-year percentile |",
        "|---|---:|---|",
    ]
    if row["pe_ttm_ex_negative"] is not None:
        lines.append(
            f"| PE(TTM), negatives excluded (整体法) | {formats.multiple(row['pe_ttm_ex_negative'])} "
            f"| {_percentile(row, 'pe_ttm')} |"
        )
    if row["sw_pe"] is not None:
        lines.append(
            f"| SW-published PE (申万市盈率) | {formats.multiple(row['sw_pe'])} | {_percentile(row, 'sw_pe')} |"
        )
    if row["pe_ttm_ex_negative"] is None and row["sw_pe"] is None:
        lines.append("| (no valuation on or before the week's end) | n/a | n/a |")
    lines.append("")
    if row["pe_ttm_ex_negative"] is not None and row["sw_pe"] is not None:
        lines += [
            "The two PEs are different numbers: ours is Σ market cap ÷ Σ earnings of the members "
            "with PE(TTM) > 0; SW does not document its own.",
            "",
        ]
    lines += [
        "A 5-year percentile is the share of the window's daily values at or below the day's; "
        "it is not given when the window holds too little history.",
        "",
    ]
    return lines


def _movers_table(row: dict[str, Any]) -> list[str]:
    top, bottom = _movers(row["top_movers"]), _movers(row["bottom_movers"])
    if not top and not bottom:
        return []
    lines = [
        "## Top and bottom movers",
        "",
        *_sample_note(row, "movers"),
        f"**Table 1:** the best and worst weekly returns among {formats.count(row['n_stocks_ranked'])} "
        "ranked member stocks (membership as of the week's end).",
        "",
        "| # | Top 5 | Return | Bottom 5 | Return |",
        "|---:|---|---:|---|---:|",
    ]
    mark, basis = _names_basis(top + bottom)
    for i in range(max(len(top), len(bottom))):
        best = _stock(top[i] if i < len(top) else None, mark)
        worst = _stock(bottom[i] if i < len(bottom) else None, mark)
        lines.append(f"| {i + 1} | {best[0]} | {best[1]} | {worst[0]} | {worst[1]} |")
    lines += [
        "",
        f"Not ranked: {row['n_new_listings']} new listings, {row['n_suspended']} suspended. "
        f"{row['n_st']} members carry ST in their name (as of the week's end where dated name "
        "history exists, else their current name).",
        "",
        *basis,
    ]
    return lines


def reconciliation_status(row: dict[str, Any], fig: dict[str, Any]) -> str:
    """A figure's status as the brief writes it; a mismatch resting on synthetic inputs says so."""
    if fig["status"] == "match":
        return "match"
    if fig["status"] != "mismatch":
        return f"**not comparable**: {fig['note']}"
    used = sorted(synthetic_inputs(row) & METRIC_INPUTS.get(fig["metric"], set()))
    if not used:
        return "**MISMATCH**"
    return f"**MISMATCH**; this figure rests on synthetic sample inputs ({', '.join(used)})"


def _reconciliation(row: dict[str, Any], figures: pd.DataFrame) -> list[str]:
    mine = figures[figures["index_code"] == row["index_code"]]
    if mine.empty:
        return []
    flagged = int(mine["is_flagged"].sum())
    lines = [
        "## Reconciliation with published figures",
        "",
        f"{len(mine)} figures from the analyst's file, {flagged} flagged (beyond rounding or "
        "not comparable).",
        "",
        "| Metric | Published | Computed | Difference | Status |",
        "|---|---:|---:|---:|---|",
    ]
    for fig in mine.to_dict("records"):
        lines.append(
            f"| {fig['metric']} | {fig['published_text']} | {reconciled(fig['computed_value'], fig['unit'])} "
            f"| {reconciled(fig['difference'], fig['unit'])} | {reconciliation_status(row, fig)} |"
        )
    return [*lines, ""]


def reconciled(value: float | None, unit: str | None) -> str:
    """A value of rpt_reconciliation in its unit, written like the brief writes it."""
    if unit == "fraction":
        return pct(value, signed=False)
    if unit == "multiple":
        return formats.multiple(value)
    if unit == "rank":
        return formats.count(value)
    return formats.num(value, f" {unit}" if unit in ("亿元", "亿美元") else "")


def build_brief(
    row: dict[str, Any], week: WeekData | None = None, figures: pd.DataFrame | None = None
) -> Brief:
    """The brief of one industry; with `week`, charts and the week's tables too. The
    reconciliation comes from `week`, or from `figures` (rpt_reconciliation rows) without one."""
    images: dict[str, bytes] = {}

    def add_image(name: str, caption: str, png: bytes) -> str:
        images[name] = png
        return f"![{caption}](img/{name})"

    code = row["index_code"]
    lines = _header(row) + _performance(row)
    if week is not None:
        perf_sample = _is_sample(row, "performance")
        history = week.returns[week.returns["index_code"] == code]
        this_week = week.returns[
            week.returns["week_end_date"] == pd.Timestamp(row["week_end_date"])
        ]
        lines += [
            add_image(
                f"{code}-fig1.png",
                f"Figure 1: {row['index_name']} vs {row['benchmark_name']}, this week and the past {HISTORY_WEEKS} weeks",
                charts.performance_chart(history, row, perf_sample),
            ),
            "",
            add_image(
                f"{code}-l1.png",
                f"All {row['n_in_level']} SW L1 industries' weekly returns, {row['index_name']} highlighted",
                charts.l1_returns_chart(this_week, row, perf_sample),
            ),
            "",
        ]
    lines += _sub_industries(row)
    if week is not None and sub_industries(row):
        lines += [
            add_image(
                f"{code}-l2.png",
                f"{row['index_name']}'s SW L2 industries' weekly returns",
                charts.sub_industries_chart(
                    sub_industries(row), row, _is_sample(row, "sub_industries")
                ),
            ),
            "",
        ]
    lines += _valuation(row)
    if week is not None:
        history = week.valuation[week.valuation["index_code"] == code]
        if not history.empty:
            lines += [
                add_image(
                    f"{code}-fig2.png",
                    f"Figure 2: {row['index_name']} PE history over {VALUATION_YEARS} years",
                    charts.valuation_chart(history, row, _is_sample(row, "valuation")),
                ),
                "",
            ]
    lines += _movers_table(row)
    lines += _key_companies(row)
    lines += _company_news(row)
    section = SECTIONS.get(row.get("stats_source") or "")
    if section is not None:
        lines += [f"## {section.title}", "", *_sample_note(row, "stats")]
        stats = week.stats.get(row["stats_source"]) if week is not None else None
        lines += [*section.render(row, stats, add_image, _is_sample(row, "stats")), ""]
    if week is not None:
        figures = week.reconciliation
    if figures is not None:
        lines += _reconciliation(row, figures)
    return Brief(code, "\n".join(lines).rstrip() + "\n", images)


def render_markdown(row: dict[str, Any], figures: pd.DataFrame | None = None) -> str:
    """The brief's text alone (no charts or week tables), from one brief row and, when given,
    its rows of rpt_reconciliation."""
    return build_brief(row, figures=figures).markdown


def load_reconciliation(db: Path, index_code: str, week_end: date) -> pd.DataFrame:
    """An industry's rows of rpt_reconciliation for a week, from the published copy."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT * FROM rpt_reconciliation WHERE index_code = $code "
            "AND week_end_date = $week_end ORDER BY index_code, metric",
            {"code": index_code, "week_end": week_end},
        ).df()
    finally:
        con.close()


def text_brief(db: Path, index_code: str, week_start: date | None = None) -> str:
    """The terminal brief (`sectorpulse brief`, the end of `sectorpulse run`): the text of the
    published copy's brief row, with the reconciliation the site's brief has."""
    row = load_brief_row(db, index_code, week_start)
    return render_markdown(row, load_reconciliation(db, index_code, row["week_end_date"]))


# -- the footer of a brief on the site ----------------------------------------------------------


@dataclass(frozen=True)
class Footer:
    """What the site's brief ends with; the same for every brief of a week but the links."""

    version: str | None  # the published version of the marts (publishing/publish.py)
    source: Source | None
    generated_at: datetime  # UTC
    previous_week: date | None = None  # the week before, by the brief table's weeks
    previous_rendered: bool = False  # ... and whether the site holds its folder
    next_week: date | None = None
    next_rendered: bool = False


def footer(facts: Footer, index_code: str, ext: str) -> str:
    """The footer's Markdown; links to the week's index and the neighbouring weeks' brief of
    the same industry, as `.{ext}` files ("md" or "html")."""
    if facts.source is None:
        source = "not recorded"
    elif facts.source.source == "live":
        source = "live akshare"
    else:
        source = f"snapshot `{facts.source.source}`"
    if facts.source is not None and facts.source.as_of is not None:
        source += f", as of {formats.day(facts.source.as_of)}"
    version = f"`{facts.version}`" if facts.version else "not published"
    generated = facts.generated_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)

    def neighbour(label: str, week: date | None, rendered: bool) -> str:
        if week is None:
            return f"{label}: none"
        day = formats.day(week)
        if not rendered:
            return f"{label} ({day}): not rendered"
        return f"[{label} ({day})](../{day}/{index_code}.{ext})"

    links = [
        f"[Week index](index.{ext})",
        neighbour("Previous week", facts.previous_week, facts.previous_rendered),
        neighbour("Next week", facts.next_week, facts.next_rendered),
    ]
    return (
        f"Data version {version} · Source: {source} · "
        f"Generated {generated.isoformat()}Z\n\n" + " · ".join(links) + "\n"
    )
