"""Data Docs (quality/data_docs.py): pages for real GX results that load nothing from a network.

GX's own Data Docs pulled 16 CDN files per page and drew their index with JavaScript, so offline
they showed an unstyled, empty index. tests/test_browser.py opens the pages of a sample run in
Chromium with the network off; these tests read the HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_quality import fct_industry_valuation, sw_index_spot

from orchestration.cli import data_docs_page
from quality import (
    MODEL_SUITES,
    RAW_SUITES,
    build_data_docs,
    publish_suite_docs,
    validate_model,
    validate_raw,
)
from quality.batches import combine_results

CATALOG = [f"raw.{d}" for d in RAW_SUITES] + [f"model.{m}" for m in MODEL_SUITES]
REFERENCE = re.compile(r"""(?:src|href|action)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def results():
    passing = validate_raw("sw_index_spot", sw_index_spot())
    frame = fct_industry_valuation()
    frame.loc[0, "percentile_5y"] = 1.2
    failing = validate_model("fct_industry_valuation", frame)
    broken = validate_raw("stock_names", "not a frame")  # raises inside: an error, no GX result
    assert passing.success and not failing.success and broken.error
    return passing, failing, broken


def index_rows(index: Path) -> dict[str, str]:
    """suite -> its row in the index, as text."""
    rows = re.findall(r"<tr><td><code>(.*?)</tr>", index.read_text(encoding="utf-8"))
    return {re.sub(r"<[^>]+>", "", row.split("</code>")[0]): row for row in rows}


def test_the_pages_reference_nothing_outside_the_docs_folder(tmp_path, results):
    index = build_data_docs(results, tmp_path / "data_docs")

    files = sorted(p for p in index.parent.rglob("*") if p.is_file())
    assert {p.name for p in files} == {"index.html", "status.json"}
    for page in files:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z]", text, re.IGNORECASE), page
        if page.suffix == ".html":
            assert "<script" not in text and "<link" not in text, page
            for target in REFERENCE.findall(text):
                assert (page.parent / target).resolve().is_file(), (page, target)


def test_the_index_lists_every_suite_with_its_latest_result(tmp_path, results):
    passing, failing, broken = results
    index = build_data_docs(results, tmp_path / "data_docs")

    rows = index_rows(index)
    assert list(rows) == CATALOG  # every suite of the catalog, in its order
    linked = {name for name, row in rows.items() if "<a href=" in row}
    assert linked == {passing.suite, failing.suite, broken.suite}
    assert ">passed<" in rows[passing.suite] and "passed 24 expectations" in rows[passing.suite]
    assert (
        ">FAILED<" in rows[failing.suite]
        and f"1 of {failing.n_expectations} expectations failed" in rows[failing.suite]
    )
    assert ">ERROR<" in rows[broken.suite]
    assert all(">not validated yet<" in rows[n] for n in set(CATALOG) - linked)
    tally = f"{len(CATALOG)} Great Expectations suites: 1 passed, 1 FAILED, 1 ERROR, "
    assert f"{tally}{len(CATALOG) - 3} not validated yet." in index.read_text(encoding="utf-8")


def test_a_suite_page_shows_every_expectation_and_the_failures(tmp_path, results):
    passing, failing, broken = results
    root = build_data_docs(results, tmp_path / "data_docs").parent

    page = (root / failing.suite / "index.html").read_text(encoding="utf-8")
    assert page.count("<tr><td><span class=") == failing.n_expectations  # one row each
    assert page.count(">FAILED</span></td>") == 2  # the result, and the expectation's row
    assert "Failures (1)" in page
    assert "trade_date: 2025-01-24, percentile_5y: 1.2}" in page  # the example row, with its keys
    assert "1 of 62 rows unexpected" in page

    page = (root / passing.suite / "index.html").read_text(encoding="utf-8")
    assert "the frame as given: 21 of 21 passed" in page
    assert "part <code>l1</code>: 3 of 3 passed" in page  # a derived frame has its own section

    page = (root / broken.suite / "index.html").read_text(encoding="utf-8")
    assert "TypeError: expected a pandas DataFrame, got str" in page
    assert "No expectation ran" in page


def test_each_step_adds_its_suite_and_replaces_the_old_gx_site(tmp_path, results):
    passing, failing, _ = results
    root = tmp_path / "gx" / "data_docs"
    old_site = root / passing.suite
    (old_site / "static" / "styles").mkdir(parents=True)
    (old_site / "static" / "styles" / "data_docs_custom_styles.css").write_text("p {}")
    (old_site / "index.html").write_text('<link href="https://maxcdn.bootstrapcdn.com/x.css">')
    (old_site / "status.json").write_text(  # the earlier version's status
        json.dumps({"suite": passing.suite, "success": True, "summary": "s", "validated_at": "t"})
    )
    assert ">passed<" in index_rows(build_data_docs([], root))[passing.suite]

    publish_suite_docs(passing, root)
    assert sorted(p.name for p in old_site.iterdir()) == ["index.html", "status.json"]
    assert "https:" not in (old_site / "index.html").read_text(encoding="utf-8")

    chunked = combine_results([failing, failing])  # a big model validated in two chunks
    index = publish_suite_docs(chunked, root)  # another step, later
    rows = index_rows(index)
    assert ">passed<" in rows[passing.suite] and ">FAILED<" in rows[failing.suite]
    page = (root / failing.suite / "index.html").read_text(encoding="utf-8")
    n = failing.n_expectations
    assert f"the frame as given (batch 2 of 2): {n - 1} of {n} passed" in page

    # The page the CLI prints for a failed check (orchestration/cli.py).
    meta = failing.as_metadata()
    assert data_docs_page(meta, tmp_path / "gx") == root / failing.suite / "index.html"
    assert data_docs_page({"suite": "raw.stock_daily"}, tmp_path / "gx") == index
