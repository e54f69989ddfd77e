"""The data dictionary for BI, generated from the dbt docs: every mart column, typed and described."""

from __future__ import annotations

import json

from orchestration.assets import dbt_project
from publishing.dictionary import DbtDocs, dictionary_rows, write_dictionary


def test_the_dictionary_describes_every_mart_column_and_the_exposures(tmp_path):
    manifest = json.loads(dbt_project().manifest_path.read_text())
    docs = DbtDocs(manifest, {"nodes": {}}, tmp_path / "dbt_docs.html")
    rows = dictionary_rows(docs)
    models = {r["model"] for r in rows}
    assert {"rpt_industry_weekly_brief", "rpt_reconciliation", "fct_industry_valuation"} <= models
    assert all(r["data_type"] and r["description"] for r in rows)  # contracts give both
    brief = {r["column"]: r for r in rows if r["model"] == "rpt_industry_weekly_brief"}
    assert brief["weekly_return"]["data_type"] == "double"
    assert "not_null" in brief["weekly_return"]["tests"]

    page = write_dictionary(docs, tmp_path, published_tables={"rpt_industry_weekly_brief"})
    text = page.with_suffix(".md").read_text()
    assert "## rpt_reconciliation\n\n*table, warehouse only*" in text
    assert "## rpt_industry_weekly_brief\n\n*table, published for BI*" in text
    assert "Weekly sector briefs" in text and "Published marts for BI" in text
    assert (tmp_path / "docs" / "data_dictionary.csv").read_text().count("\n") == len(rows) + 1
