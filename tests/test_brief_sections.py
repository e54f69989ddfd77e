"""The brief's sub-industries, horizons, key companies and return base, and the published
copy's comments.

The returns and ranks of fct_industry_weekly_returns are checked against an independent pandas
computation from ../shared/data's SW and CSI daily files (skipped when that folder is absent);
the key companies against the stock marts; the rendered brief against the brief row. The sample
run is the one test_brief.py makes (shared per session).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_brief import REPO_ROOT, brief_folder

from publishing import formats
from publishing.brief import NO_NEWS, load_brief_row, render_markdown
from publishing.dictionary import TableDoc, mart_descriptions
from publishing.publish import PUBLISHED_DB, publish_marts

# The sample's last week and holiday weeks: National Day 2024 (a one-day week, and the week
# after it), the year-end week, the week after Chinese New Year 2024, Dragon Boat 2024.
WEEKS = ["2025-01-24", "2024-09-30", "2024-10-11", "2025-01-03", "2024-02-23", "2024-06-14"]
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def run_root(sample_run) -> Path:
    return sample_run.root


@pytest.fixture(scope="module")
def published(run_root) -> Path:
    return run_root / "published" / PUBLISHED_DB


def read(db: Path, query: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params or {}).df()


# -- an independent computation from ../shared/data ----------------------------------------------


def closes(path: Path) -> pd.Series:
    frame = pd.read_csv(path, usecols=["date", "close"], parse_dates=["date"])
    return frame.set_index("date")["close"].sort_index()


def close_on_or_before(series: pd.Series, day: pd.Timestamp) -> tuple[pd.Timestamp, float] | None:
    earlier = series[series.index <= day]
    return None if earlier.empty else (earlier.index[-1], float(earlier.iloc[-1]))


def horizons(series: pd.Series, week_end: pd.Timestamp) -> dict[str, object] | None:
    """Week, 4-week, YTD and 52-week returns as docs/metrics.md defines them, from the calendar
    alone: a week runs Monday to Sunday; each base is the last close on or before its day."""
    monday = week_end - timedelta(days=week_end.weekday())
    this_week = series[(series.index >= monday) & (series.index <= week_end)]
    if this_week.empty:
        return None
    close = float(this_week.iloc[-1])
    bases = {
        "1w": monday - timedelta(days=1),
        "4w": monday - timedelta(days=22),
        "ytd": pd.Timestamp(week_end.year - 1, 12, 31),
        "52w": monday - timedelta(days=358),
    }
    out: dict[str, object] = {}
    for horizon, day in bases.items():
        base = close_on_or_before(series, day)
        out[f"base_{horizon}"] = None if base is None else base[0]
        out[f"return_{horizon}"] = None if base is None else close / base[1] - 1
    return out


@pytest.fixture(scope="module")
def expected(shared_data) -> pd.DataFrame:
    """One row per SW index (L1 and L2) and week of WEEKS, with returns, bases and ranks."""
    l1 = pd.read_csv(SEEDS / "sw_l1_industries.csv", dtype=str)
    l2 = pd.read_csv(SEEDS / "sw_l2_industries.csv", dtype=str)
    parent = dict(zip(l2["index_code"], l2["l1_index_code"], strict=True))
    rows = []
    for level, folder in ((1, "level1"), (2, "level2")):
        for path in sorted((shared_data / "sw_index_daily" / folder).glob("*.csv")):
            code = path.name[:6]
            series = closes(path)
            for week in WEEKS:
                values = horizons(series, pd.Timestamp(week))
                if values and values["return_1w"] is not None:
                    rows.append(
                        {
                            "week_end_date": pd.Timestamp(week),
                            "index_code": code,
                            "sw_level": level,
                            "l1_index_code": code if level == 1 else parent[code],
                            **values,
                        }
                    )
    frame = pd.DataFrame(rows)
    assert set(frame.loc[frame["sw_level"] == 1, "index_code"]) == set(l1["index_code"])
    by_level = frame.groupby(["week_end_date", "sw_level"])
    for horizon in ("1w", "4w", "ytd", "52w"):
        frame[f"rank_{horizon}"] = by_level[f"return_{horizon}"].rank(method="min", ascending=False)
        frame[f"n_{horizon}"] = by_level[f"return_{horizon}"].transform("count")
    l2_rows = frame["sw_level"] == 2
    frame.loc[l2_rows, "rank_in_l1"] = (
        frame[l2_rows]
        .groupby(["week_end_date", "l1_index_code"])["return_1w"]
        .rank(method="min", ascending=False)
    )
    frame.loc[l2_rows, "n_in_l1"] = (
        frame[l2_rows].groupby(["week_end_date", "l1_index_code"])["return_1w"].transform("count")
    )
    benchmark = closes(shared_data / "csindex" / "000300.csv")
    for week in WEEKS:
        for key, value in horizons(benchmark, pd.Timestamp(week)).items():
            if key.startswith("return_"):
                frame.loc[frame["week_end_date"] == pd.Timestamp(week), f"benchmark_{key}"] = value
    return frame.set_index(["week_end_date", "index_code"]).sort_index()


def test_returns_ranks_and_horizons_match_an_independent_computation(published, expected):
    marts = read(
        published,
        "SELECT * FROM fct_industry_weekly_returns WHERE week_end_date IN "
        f"({', '.join(repr(w) for w in WEEKS)})",
    )
    marts["week_end_date"] = pd.to_datetime(marts["week_end_date"])
    marts = marts.set_index(["week_end_date", "index_code"]).sort_index()
    assert list(marts.index) == list(expected.index)
    assert (marts["l1_index_code"] == expected["l1_index_code"]).all()

    def same(mart: pd.Series, mine: pd.Series) -> None:
        mine = pd.to_numeric(mine)
        assert (mart.isna() == mine.isna()).all(), mart.name
        assert ((mart - mine).abs()[mine.notna()] < TOLERANCE).all(), mart.name

    same(marts["weekly_return"], expected["return_1w"])
    same(marts["rank_in_level"], expected["rank_1w"])
    same(marts["n_in_level"], expected["n_1w"])
    same(marts["rank_in_l1"], expected["rank_in_l1"])
    same(marts["n_in_l1"], expected["n_in_l1"])
    same(marts["benchmark_return"], expected["benchmark_return_1w"])
    for horizon in ("4w", "ytd", "52w"):
        same(marts[f"return_{horizon}"], expected[f"return_{horizon}"])
        same(marts[f"rank_{horizon}_in_level"], expected[f"rank_{horizon}"])
        same(marts[f"n_{horizon}_in_level"], expected[f"n_{horizon}"])
        same(marts[f"benchmark_return_{horizon}"], expected[f"benchmark_return_{horizon}"])
        assert (
            pd.to_datetime(marts[f"base_date_{horizon}"]).fillna(pd.Timestamp(0))
            == pd.to_datetime(expected[f"base_{horizon}"]).fillna(pd.Timestamp(0))
        ).all(), horizon
    assert (pd.to_datetime(marts["return_base_date"]) == pd.to_datetime(expected["base_1w"])).all()
    # Every L1 has its L2s in the sample, and the latest week ranks all 31 L1 on every horizon.
    latest = marts.loc[pd.Timestamp(WEEKS[0])]
    assert set(latest.loc[latest["sw_level"] == 2, "l1_index_code"]) == set(
        latest.loc[latest["sw_level"] == 1].index
    )
    l1 = latest[latest["sw_level"] == 1]
    assert {*l1["n_4w_in_level"], *l1["n_ytd_in_level"], *l1["n_52w_in_level"]} == {31}


def test_the_holiday_weeks_state_their_base(published):
    brief = read(
        published,
        "SELECT week_end_date::VARCHAR AS week, closed_weekdays_before_week, return_base_note "
        "FROM rpt_industry_weekly_brief WHERE index_code = '801750'",
    ).set_index("week")
    note = brief["return_base_note"]
    assert note["2024-10-11"] == (
        "from the close of 2024-09-30, the last trading day before the holiday"
    )
    assert brief.loc["2024-10-11", "closed_weekdays_before_week"] == 5
    assert note["2024-09-30"] == (
        "from the close of 2024-09-27, the previous week's last trading day"
    )
    assert note["2025-01-03"] == (
        "from the close of 2024-12-27, the previous week's last trading day"
    )
    assert note["2024-02-23"] == (
        "from the close of 2024-02-08, the last trading day before the holiday"
    )
    assert pd.isna(note["2025-01-24"])

    row = load_brief_row(published, "801750", date(2024, 10, 7))
    text = render_markdown(row)
    assert (
        "(4 trading days; from the close of 2024-09-30, the last trading day before the holiday)"
        in text
    )


def test_key_companies_are_the_seed_with_their_week(published, run_root):
    seed = pd.read_csv(SEEDS / "key_companies.csv", dtype=str)
    assert set(seed["index_code"]) == {"801750"} and len(seed) >= 5
    row = load_brief_row(published, "801750")
    companies = json.loads(row["key_companies"])
    assert {c["symbol"] for c in companies} == set(seed["symbol"])
    caps = [c["market_cap_yi"] for c in companies]
    assert caps == sorted(caps, reverse=True)

    week = {"week": row["week_end_date"]}
    stocks = read(
        published,
        "SELECT * FROM fct_stock_weekly_returns WHERE week_end_date = $week "
        "AND l1_index_code = '801750'",
        week,
    ).set_index("symbol")
    traded = stocks[stocks["status"] == "traded"]
    with duckdb.connect(str(run_root / "warehouse.duckdb"), read_only=True) as con:
        valuations = con.execute(
            "SELECT symbol, pe_ttm, total_market_cap FROM staging.stg_akshare__stock_valuations "
            "WHERE trade_date = $week",
            week,
        ).df()
    valuations = valuations.set_index("symbol")
    for company in companies:
        mine = stocks.loc[company["symbol"]]
        assert company["status"] == "traded"
        assert company["weekly_return"] == pytest.approx(mine["weekly_return"], abs=TOLERANCE)
        # Rank among the industry's traded stocks, 1 = best, ties share it.
        better = (traded["weekly_return"] > mine["weekly_return"]).sum()
        assert company["rank_in_industry"] == better + 1
        assert company["n_in_industry"] == len(traded) == row["n_stocks_ranked"]
        assert company["valuation_date"] == str(row["week_end_date"])
        value = valuations.loc[company["symbol"]]
        assert company["pe_ttm"] == pytest.approx(value["pe_ttm"])
        assert company["market_cap_yi"] == pytest.approx(value["total_market_cap"] / 1e8)
    # Empty elsewhere: no section.
    assert load_brief_row(published, "801780")["key_companies"] == "[]"


def test_the_new_sections_show_the_row(run_root, published):
    folder = brief_folder(run_root)
    computer = (folder / "801750.md").read_text()
    row = load_brief_row(published, "801750")
    performance = computer.split("## Performance")[1].split("## ")[0]
    assert "| | Week | 4 weeks | Year to date | 52 weeks |" in performance
    ranks = [
        formats.rank(row[f"rank_{h}_in_level"], row[f"n_{h}_in_level"])
        for h in ("4w", "ytd", "52w")
    ]
    assert (
        f"| Rank among SW L1 | {formats.rank(row['rank_in_level'], row['n_in_level'])} | "
        + " | ".join(ranks)
        + " |"
    ) in performance
    for h in ("4w", "ytd", "52w"):
        assert formats.pct(row[f"return_{h}"]) in performance
        assert formats.pct(row[f"benchmark_return_{h}"]) in performance
        assert formats.day(row[f"base_date_{h}"]) in performance

    subs = computer.split("## Sub-industries (SW L2)")[1].split("## ")[0]
    listed = json.loads(row["sub_industries"])
    assert [s["rank_in_l1"] for s in listed] == sorted(s["rank_in_l1"] for s in listed)
    lines = [line for line in subs.splitlines() if line.startswith("| ") and "/" in line]
    assert len(lines) == len(listed)
    for line, sub in zip(lines, listed, strict=True):
        assert line.startswith(f"| {formats.rank(sub['rank_in_l1'], sub['n_in_l1'])} ")
        assert f"({sub['index_code']})" in line and formats.pct(sub["weekly_return"]) in line
    assert "img/801750-l2.png" in subs

    key = computer.split("## Key companies (重点公司)")[1].split("## ")[0]
    assert "**Sample data:** this section rests on synthetic inputs (stock_valuation)" in key
    for company in json.loads(row["key_companies"]):
        assert f"| {company['name']} ({company['symbol']}) |" in key
        assert formats.multiple(company["pe_ttm"]) in key
        assert formats.yi(company["market_cap_yi"]) in key
    bank = (folder / "801780.md").read_text()
    assert "## Sub-industries (SW L2)" in bank and "重点公司" not in bank


def test_the_sample_brief_says_it_has_no_company_news(run_root, published):
    """The bundled sample holds no stock_news: one line says so, and nothing is invented."""
    computer = (brief_folder(run_root) / "801750.md").read_text()
    news = computer.split("## Company news (公司动态)")[1].split("## ")[0]
    assert [line for line in news.splitlines() if line] == [NO_NEWS]
    row = load_brief_row(published, "801750")
    assert (row["company_news"], row["n_news_companies"]) == ("[]", 0)
    assert NO_NEWS in render_markdown(row)  # the terminal brief (`sectorpulse brief`) too


# -- comments in the published DuckDB -------------------------------------------------------------


def test_every_published_mart_column_carries_its_description(published):
    columns = read(
        published,
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal",
    )
    tables = read(published, "SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal")
    assert {"rpt_industry_weekly_brief", "rpt_reconciliation"} <= set(tables["table_name"])
    assert len(columns) > 100
    assert not tables[tables["comment"].fillna("").str.strip() == ""]["table_name"].tolist()
    missing = columns[columns["comment"].fillna("").str.strip() == ""]
    assert missing.empty, missing[["table_name", "column_name"]].values.tolist()
    docs = mart_descriptions()
    comment = columns.set_index(["table_name", "column_name"])["comment"]
    assert (
        comment[("rpt_industry_weekly_brief", "return_4w")]
        == (docs["rpt_industry_weekly_brief"].columns["return_4w"])
    )


def test_comments_are_quoted_and_only_for_described_columns(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute('CREATE TABLE marts.t AS SELECT 1 AS a, 2 AS "b c", 3 AS d')
    docs = {"t": TableDoc("It's a table.", {"a": "The 'a' column.", "b c": "B; C.", "x": "gone"})}
    publish_marts(warehouse, tmp_path / "published", ["t"], descriptions=docs)
    db = tmp_path / "published" / PUBLISHED_DB
    assert read(db, "SELECT comment FROM duckdb_tables()")["comment"].tolist() == ["It's a table."]
    got = read(
        db,
        "SELECT column_name, comment FROM duckdb_columns() WHERE NOT internal ORDER BY column_index",
    )
    assert got.fillna("").values.tolist() == [["a", "The 'a' column."], ["b c", "B; C."], ["d", ""]]


def test_yi_drops_the_decimals_of_whole_amounts():
    assert formats.yi(122903) == "122,903"
    assert formats.yi(1115.269) == "1,115.27"
    assert formats.yi(69.9, " 亿元") == "69.90 亿元"
    assert formats.yi(0.004) == "0"
    assert formats.yi(None) == formats.MISSING
