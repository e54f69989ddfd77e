"""The weekly briefs of a sample run: one per L1 industry, and no number differing from its mart.

They read the session's shared sample run (conftest `sample_run`, with the analyst figures in
tests/fixtures/reconciliation).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from publishing import formats
from publishing.brief import reconciled
from publishing.publish import PUBLISHED_DB

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[1]
WEEK_END = "2025-01-24"
# Every formatted number a brief writes: percentages, multiples and levels with 2 decimals, ranks.
NUMBER = re.compile(r"[+-]?\d[\d,]*\.\d+%?x?|\b\d+/\d+\b")


def brief_folder(root: Path) -> Path:
    return root / "briefs" / WEEK_END


@pytest.fixture(scope="module")
def run_root(sample_run) -> Path:
    return sample_run.root


@pytest.fixture(scope="module")
def marts(run_root) -> dict[str, pd.DataFrame]:
    """The week's rows, read straight from the marts (BI's published copy; reconciliation from
    the warehouse), independently of the brief code."""
    week = {"week": WEEK_END}
    with duckdb.connect(str(run_root / "published" / PUBLISHED_DB), read_only=True) as con:
        frames = {
            "brief": con.execute(
                "SELECT * FROM rpt_industry_weekly_brief WHERE week_end_date = $week", week
            ).df(),
            "movers": con.execute(
                "SELECT * FROM mart_industry_movers WHERE week_end_date = $week AND side <> 'unranked'",
                week,
            ).df(),
            "software": con.execute("SELECT * FROM fct_software_industry_stats").df(),
        }
    with duckdb.connect(str(run_root / "warehouse.duckdb"), read_only=True) as con:
        frames["reconciliation"] = con.execute(
            "SELECT * FROM marts.rpt_reconciliation WHERE week_end_date = $week", week
        ).df()
    return frames


def expected_numbers(code: str, marts: dict[str, pd.DataFrame]) -> set[str]:
    """Every number the industry's brief may show, formatted from its mart rows."""
    row = marts["brief"].set_index("index_code").loc[code]
    signed = ("weekly_return", "benchmark_return", "excess_return", "software_revenue_yoy")
    signed += ("software_profit_yoy", "software_export_yoy")
    shown = {formats.pct(row[c]) for c in signed}
    shown |= {
        formats.pct(row[c], signed=False) for c in ("pe_ttm_percentile_5y", "sw_pe_percentile_5y")
    }
    shown |= {formats.multiple(row[c]) for c in ("pe_ttm_ex_negative", "sw_pe")}
    shown |= {
        formats.num(row[c])
        for c in ("close", "software_revenue", "software_profit", "software_export")
    }
    shown.add(formats.rank(row["rank_in_level"], row["n_in_level"]))
    for horizon in ("4w", "ytd", "52w"):
        shown |= {
            formats.pct(row[f"return_{horizon}"]),
            formats.pct(row[f"benchmark_return_{horizon}"]),
        }
        shown.add(formats.rank(row[f"rank_{horizon}_in_level"], row[f"n_{horizon}_in_level"]))
    for sub in json.loads(row["sub_industries"]):
        shown.add(formats.pct(sub["weekly_return"]))
        shown.add(formats.rank(sub["rank_in_l1"], sub["n_in_l1"]))
        shown.add(formats.rank(sub["rank_in_level"], sub["n_in_level"]))
    for company in json.loads(row["key_companies"]):
        shown |= {formats.pct(company["weekly_return"]), formats.multiple(company["pe_ttm"])}
        shown.add(formats.rank(company["rank_in_industry"], company["n_in_industry"]))
        shown.add(formats.yi(company["market_cap_yi"]))
    movers = marts["movers"][marts["movers"]["index_code"] == code]
    shown |= {formats.pct(v) for v in movers["weekly_return"]}
    if row["stats_source"] == "miit_software":
        stats = marts["software"]
        period = stats[
            (stats["period_end"] == row["stats_period_end"])
            & (stats["period_label"] == row["stats_period_label"])
            & (stats["metric"] == "revenue")
        ]
        shown |= {formats.num(v) for v in period["value"]}
        shown |= {formats.pct(v) for v in period["yoy"]}
        shown |= {formats.pct(v, signed=False) for v in period["share"]}
    figures = marts["reconciliation"][marts["reconciliation"]["index_code"] == code]
    for fig in figures.to_dict("records"):
        shown.add(fig["published_text"])
        shown.add(reconciled(fig["computed_value"], fig["unit"]).split(" ")[0])
        shown.add(reconciled(fig["difference"], fig["unit"]).split(" ")[0])
    return shown


def numbers_in(text: str) -> set[str]:
    return set(NUMBER.findall(text))


class _Text(HTMLParser):
    """The text a reader sees: no style sheet."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        self.in_style |= tag == "style"

    def handle_endtag(self, tag) -> None:
        self.in_style &= tag != "style"

    def handle_data(self, data: str) -> None:
        if not self.in_style:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def test_every_l1_industry_has_a_brief_and_the_week_an_index(run_root, marts):
    folder = brief_folder(run_root)
    codes = set(marts["brief"]["index_code"])
    assert len(codes) == 31
    assert {p.stem for p in folder.glob("*.md")} == codes | {"index"}
    assert {p.stem for p in folder.glob("*.html")} == codes | {"index"}
    index = (folder / "index.md").read_text()
    for code in codes:
        assert f"({code}.html)" in index
    gx = re.search(r"\[Great Expectations Data Docs\]\(([^)]+)\)", index)
    assert gx and (folder / gx.group(1)).resolve().is_file()
    assert f"{WEEK_END}/index.html" in (run_root / "briefs" / "index.md").read_text()


def test_no_number_in_a_brief_differs_from_its_mart(run_root, marts):
    folder = brief_folder(run_root)
    for code in marts["brief"]["index_code"]:
        markdown = (folder / f"{code}.md").read_text()
        expected = expected_numbers(code, marts)
        assert numbers_in(markdown) - expected == set(), code
        # The HTML shows exactly the Markdown's numbers.
        assert numbers_in(html_text(folder / f"{code}.html")) == numbers_in(markdown), code
        row = marts["brief"].set_index("index_code").loc[code]
        for key in (
            formats.pct(row["weekly_return"]),
            formats.pct(row["excess_return"]),
            formats.rank(row["rank_in_level"], row["n_in_level"]),
            formats.multiple(row["sw_pe"]),
        ):
            assert key in markdown, (code, key)


def test_index_numbers_match_the_marts(run_root, marts):
    index = (brief_folder(run_root) / "index.md").read_text()
    expected = set().union(*(expected_numbers(c, marts) for c in marts["brief"]["index_code"]))
    assert numbers_in(index) - expected == set()
    for row in marts["brief"].to_dict("records"):
        rank = formats.rank(row["rank_in_level"], row["n_in_level"])
        assert f"| {rank} | [{row['index_name']} ({row['index_code']})]" in index


def test_movers_are_the_marts_movers_in_order(run_root, marts):
    markdown = (brief_folder(run_root) / "801750.md").read_text()
    movers = marts["movers"][marts["movers"]["index_code"] == "801750"]
    table = [line for line in markdown.splitlines() if re.match(r"\| \d \|", line)]
    for side, column in (("top", 2), ("bottom", 4)):
        names = movers[movers["side"] == side].sort_values("position")["symbol"].tolist()
        assert [
            re.search(r"\((\d{6})\)", line.split("|")[column]).group(1) for line in table
        ] == names


def test_sample_data_is_marked(run_root, marts):
    folder = brief_folder(run_root)
    for row in marts["brief"].to_dict("records"):
        markdown = (folder / f"{row['index_code']}.md").read_text()
        assert ("**Sample data:** built from synthetic inputs" in markdown) == row[
            "uses_synthetic_data"
        ]
    computer = (folder / "801750.md").read_text()
    valuation = computer.split("## Valuation")[1].split("## ")[0]
    assert "**Sample data:** this section rests on synthetic inputs" in valuation


def test_sections_follow_the_data(run_root):
    folder = brief_folder(run_root)
    computer = (folder / "801750.md").read_text()
    for part in (
        "img/801750-fig1.png",
        "img/801750-l1.png",
        "img/801750-l2.png",
        "## Sub-industries (SW L2)",
        "## Key companies (重点公司)",
        "img/801750-fig2.png",
        "Table 1",
        "img/801750-fig3.png",
        "img/801750-fig4.png",
        "Revenue by segment",
        "## Reconciliation with published figures",
    ):
        assert part in computer, part
    # PE(TTM)'s 5-year percentile needs 5 years of stock valuations; the sample has about one.
    assert "n/a: history too short (259 daily values in 5 years)" in computer
    bank = (folder / "801780.md").read_text()
    assert "Table 1" in bank and "MIIT" not in bank
    farming = (folder / "801010.md").read_text()
    assert "Table 1" not in farming and "MIIT" not in farming and "Reconciliation" not in farming


def test_html_briefs_are_self_contained(run_root):
    folder = brief_folder(run_root)
    page = (folder / "801750.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == 6
    assert 'src="img/' not in page and "http://" not in page and "https://" not in page
    assert all(
        (folder / "img" / name).is_file()
        for name in re.findall(r"img/([\w-]+\.png)", (folder / "801750.md").read_text())
    )


def test_the_cli_text_brief_is_the_same_text(run_root):
    """`sectorpulse brief` (text only) agrees with the written brief on every number it shows."""
    from publishing.brief import load_brief_row, render_markdown

    text = render_markdown(load_brief_row(run_root / "published" / PUBLISHED_DB, "801750"))
    written = (brief_folder(run_root) / "801750.md").read_text()
    assert numbers_in(text) <= numbers_in(written)
    assert json.dumps(text, ensure_ascii=False)  # plain text, printable
