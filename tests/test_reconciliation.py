"""Reconciliation: an analyst's published figures beside the computed ones, wrong ones flagged.

The fixture tests/fixtures/reconciliation/2025-01-24.csv is right except for one figure: it
publishes 计算机's excess return as 3.24% where the marts compute 3.42% (transposed digits).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import FIGURES
from test_brief import brief_folder

from publishing.reconciliation import read_figures


@pytest.fixture(scope="module")
def run_root(sample_run) -> Path:
    return sample_run.root


@pytest.mark.e2e
def test_the_one_wrong_figure_is_flagged_in_the_mart_and_the_brief(run_root):
    with duckdb.connect(str(run_root / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT index_code, metric, published_text, computed_value, status, is_flagged "
            "FROM marts.rpt_reconciliation ORDER BY index_code, metric"
        ).df()
    published = (FIGURES / "2025-01-24.csv").read_text().strip().splitlines()[1:]
    assert len(rows) == len(published)  # every figure is reported, none dropped
    flagged = rows[rows["is_flagged"]]
    assert flagged[["index_code", "metric", "published_text", "status"]].values.tolist() == [
        ["801750", "excess_return", "3.24%", "mismatch"]
    ]
    assert flagged["computed_value"].iloc[0] == pytest.approx(0.0342, abs=5e-5)
    assert set(rows.loc[~rows["is_flagged"], "status"]) == {"match"}

    brief = (brief_folder(run_root) / "801750.md").read_text()
    assert "| excess_return | 3.24% | 3.42% | -0.18% | **MISMATCH** |" in brief
    assert "| weekly_return | 3.95% | 3.95% | 0.00% | match |" in brief
    assert (
        "| 2/31 | [计算机 (801750)](801750.html) |"
        in (brief_folder(run_root) / "index.md").read_text()
    )
    assert "1 of 8 flagged" in (brief_folder(run_root) / "index.md").read_text()


def test_a_figures_file_needs_its_columns_and_a_week_in_its_name(tmp_path):
    missing = tmp_path / "2025-01-24.csv"
    missing.write_text("industry,value\n801750,3.95%\n")
    with pytest.raises(ValueError, match="missing column"):
        read_figures(missing)
    unnamed = tmp_path / "figures.csv"
    unnamed.write_text("industry,metric,value\n801750,weekly_return,3.95%\n")
    with pytest.raises(ValueError, match="name the file by a date"):
        read_figures(unnamed)


def test_figures_are_loaded_as_written(tmp_path):
    path = tmp_path / "2025-01-24.csv"
    path.write_text('Industry, Metric, Value\n计算机, software_revenue, "122,903"\n')
    fetched = read_figures(path)
    assert fetched.frame.to_dict("records") == [
        {
            "week_date": "2025-01-24",
            "industry": "计算机",
            "metric": "software_revenue",
            "value": "122,903",
        }
    ]
    assert fetched.call.kwargs == {"file": "2025-01-24.csv"}
