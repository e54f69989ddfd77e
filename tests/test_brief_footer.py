"""The brief complete and true (issue 12): the footer (data version, source snapshot, generation
time, links to the neighbouring weeks), the reconciliation in the terminal brief, the synthetic
note on a mismatch, and whole 亿元 figures without ".00".

Reuses the sample run test_brief.py makes (shared per session); one more week is written, into a
site of its own, for the links between weeks.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from test_brief import WEEK_END, brief_folder, html_text
from typer.testing import CliRunner

from orchestration.cli import app
from publishing import formats
from publishing.brief import (
    METRIC_INPUTS,
    load_brief_row,
    load_reconciliation,
    render_markdown,
    text_brief,
)
from publishing.industry_stats import SECTIONS
from publishing.publish import PUBLISHED_DB

pytestmark = pytest.mark.e2e

CODE = "801750"  # 计算机: reconciliation figures and MIIT statistics in the sample
PREVIOUS_WEEK = "2025-01-17"
SAMPLE_AS_OF = "2025-01-24"  # data/sample/snapshot.json


@pytest.fixture(scope="module")
def run_root(sample_run) -> Path:
    return sample_run.root


@pytest.fixture(scope="module")
def published_version(run_root) -> str:
    return json.loads((run_root / "published" / "manifest.json").read_text())["version"]


def footer_of(markdown: str) -> str:
    return markdown.rsplit("\n---\n", 1)[1]


def section(markdown: str, title: str) -> str:
    """A `## title` section of a brief, up to the next section or the footer."""
    text = markdown.split(f"## {title}", 1)[1]
    return re.split(r"\n## |\n---\n", text, maxsplit=1)[0].strip()


def test_footer_names_version_source_and_time(run_root, published_version):
    folder = brief_folder(run_root)
    for code in (CODE, "801010"):
        markdown = (folder / f"{code}.md").read_text()
        foot = footer_of(markdown)
        assert f"Data version `{published_version}`" in foot, code
        assert f"Source: snapshot `{Path('data/sample').resolve()}`, as of {SAMPLE_AS_OF}" in foot
        generated = re.search(r"Generated (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z", foot)
        assert generated, foot
        when = datetime.fromisoformat(generated.group(1)).replace(tzinfo=UTC)
        assert timedelta(0) <= datetime.now(UTC) - when < timedelta(days=1)
        assert "[Week index](index.md)" in foot
        page = html_text(folder / f"{code}.html")
        assert published_version in page and "Week index" in page
        html = (folder / f"{code}.html").read_text()
        assert "<footer>" in html and 'href="index.html"' in html


def test_footer_links_point_at_existing_briefs(run_root, tmp_path, published_version):
    """The week before, written into a site that holds the sample week: its brief links to the
    next week's (which exists) and says the week before it was not rendered."""
    from publishing.brief import load_week
    from publishing.site import write_week

    site = tmp_path / "briefs"
    shutil.copytree(brief_folder(run_root), site / WEEK_END)
    week = load_week(
        run_root / "warehouse.duckdb", date.fromisoformat(PREVIOUS_WEEK) - timedelta(4)
    )
    assert formats.day(week.week_end_date) == PREVIOUS_WEEK
    week = replace(week, briefs=week.briefs[week.briefs["index_code"] == CODE])  # 1 brief, not 31
    written = write_week(week, site, run_root / "gx" / "none", run_root / "published")
    folder = written.folder
    for ext in ("md", "html"):
        foot = footer_of((folder / f"{CODE}.md").read_text()) if ext == "md" else None
        if ext == "html":
            page = (folder / f"{CODE}.html").read_text()
            links = re.findall(r'href="([^"]+)"', page.split("<footer>", 1)[1])
        else:
            assert f"Data version `{published_version}`" in foot
            assert re.search(r"Previous week \(2025-01-10\): not rendered", foot), foot
            links = re.findall(r"\]\(([^)]+)\)", foot)
        assert f"../{WEEK_END}/{CODE}.{ext}" in links, links
        assert f"index.{ext}" in links
        for link in links:
            assert (folder / link).resolve().is_file(), link
    # The sample week itself: the latest week, and the week before was not rendered in its run.
    foot = footer_of((brief_folder(run_root) / f"{CODE}.md").read_text())
    assert f"Previous week ({PREVIOUS_WEEK}): not rendered" in foot
    assert "Next week: none" in foot


def test_terminal_brief_has_the_reconciliation_of_the_written_brief(run_root, monkeypatch):
    written = (brief_folder(run_root) / f"{CODE}.md").read_text()
    text = text_brief(run_root / "published" / PUBLISHED_DB, CODE)
    title = "Reconciliation with published figures"
    assert section(text, title) == section(written, title)
    assert "| excess_return | 3.24% |" in text  # the sample's one mismatch
    # ... and what `sectorpulse brief` prints.
    monkeypatch.setenv("SECTORPULSE_PUBLISHED_DIR", str(run_root / "published"))
    result = CliRunner().invoke(app, ["brief", "--industry", CODE])
    assert result.exit_code == 0, result.output
    assert section(result.output, title) == section(written, title)


def test_a_mismatch_on_synthetic_inputs_says_so(run_root):
    db = run_root / "published" / PUBLISHED_DB
    row = load_brief_row(db, CODE)
    assert {"stock_valuation", "sw_index_valuation"} <= set(row["synthetic_inputs"].split(","))
    figures = load_reconciliation(db, CODE, row["week_end_date"])
    text = render_markdown(row, figures)
    # The sample's mismatch (excess_return) rests on real index bars: no note.
    line = next(x for x in text.splitlines() if x.startswith("| excess_return |"))
    assert line.endswith("| **MISMATCH** |")
    # Were SW's PE (synthetic in the sample) off, the brief would say what it rests on.
    off = figures.assign(
        status=lambda f: f["status"].where(f["metric"] != "sw_pe", "mismatch"),
        is_flagged=lambda f: f["is_flagged"] | (f["metric"] == "sw_pe"),
    )
    line = next(x for x in render_markdown(row, off).splitlines() if x.startswith("| sw_pe |"))
    assert line.endswith(
        "| **MISMATCH**; this figure rests on synthetic sample inputs (sw_index_valuation) |"
    )
    assert set(figures["metric"]) <= set(METRIC_INPUTS)  # every metric knows its inputs


def yi_column(markdown: str, header: str) -> list[str]:
    """The cells of the table column headed `header`."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and header in line:
            column = [c.strip() for c in line.split("|")].index(header)
            rows = []
            for body in lines[i + 2 :]:
                if not body.startswith("|"):
                    break
                rows.append(body.split("|")[column].strip())
            return rows
    return []


def test_no_yi_figure_ends_in_00(run_root):
    folder = brief_folder(run_root)
    cells = []
    for path in folder.glob("*.md"):
        markdown = path.read_text()
        assert not re.search(r"\.00 亿", markdown), path.name
        for header in ("Revenue (亿元)", "Market cap (亿元)"):
            cells += yi_column(markdown, header)
    assert cells
    assert [c for c in cells if c.endswith(".00")] == []
    software = (folder / f"{CODE}.md").read_text()
    assert "| software_revenue | 122,903 | 122,903 亿元 | 0 亿元 | match |" in software


def test_the_segment_table_writes_whole_yi_without_decimals():
    """MIIT's segment table, rendered from a small frame: whole 亿元 as whole numbers."""
    row = {
        "index_code": CODE,
        "stats_period_end": date(2024, 12, 31),
        "stats_period_label": "全年",
        "software_revenue": 137276.0,
        "software_revenue_yoy": 0.1,
        "software_profit": 16953.5,
        "software_profit_yoy": 0.08,
        "software_export": 545.0,
        "software_export_yoy": 0.03,
    }
    stats = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2024-12-31", "2024-12-31"]),
            "period_label": ["全年", "全年"],
            "period_type": ["annual", "annual"],
            "segment": ["total", "it_services"],
            "metric": ["revenue", "revenue"],
            "value": [137276.0, 92190.25],
            "yoy": [0.1, 0.11],
            "share": [1.0, 0.6716],
            "share_base": ["total", "total"],
        }
    )
    lines = SECTIONS["miit_software"].render(row, stats, lambda name, caption, png: "", False)
    assert "| Software revenue 软件业务收入 | 137,276 亿元 |" in "\n".join(lines)
    assert "| Software exports 软件业务出口 | 545 亿美元 |" in "\n".join(lines)
    assert "| Total 合计 | 137,276 |" in "\n".join(lines)
    assert "| IT services 信息技术服务 | 92,190.25 |" in "\n".join(lines)
