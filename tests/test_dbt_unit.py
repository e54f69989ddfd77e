"""dbt unit tests (`unit_tests:` in dbt_project/models/**.yml) on an empty, temporary warehouse.

dbt 1.11 builds each unit test's fixtures from the column types of the *existing* relations of
the model's inputs (dict/csv fixtures; see get_fixture_sql), so the inputs must exist, even empty.
On a fresh DuckDB file that needs three steps:

1. `dbt run-operation create_missing_sources` creates every raw source table, empty, with the
   column types declared in sources.yml (which mirror ingestion/specs.py);
2. `dbt build --empty --resource-type seed --resource-type model` creates the seeds and every
   model with zero rows (`--empty` adds `limit 0` to each ref/source), so each relation exists;
3. `dbt test --select test_type:unit` runs the unit tests only.

The same three commands run them by hand (from dbt_project/, SECTORPULSE_DUCKDB pointing at a
scratch file). On a warehouse that is already built, step 3 alone is enough, and `dbt build` runs
the unit tests before each model it builds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

dbt_main = pytest.importorskip("dbt.cli.main")

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

# The arithmetic the domain rules pin down; each must stay covered by a unit test.
REQUIRED_UNIT_TESTS = {
    "int_trading_weeks_national_day_2024",
    "int_trading_weeks_year_end_and_new_year_2025",
    "fct_industry_weekly_returns_national_day_2024",
    "fct_industry_weekly_returns_year_end_2024",
    "fct_industry_weekly_returns_ranks_with_ties",
    "fct_industry_weekly_returns_horizons_l2_ranks_and_bases",
    "fct_stock_weekly_returns_rank_in_industry",
    "rpt_industry_weekly_brief_sub_industries_key_companies_and_base",
    "int_stock_returns_weekly_statuses",
    "int_stock_names_dated_from_sz_changes",
    "int_stock_returns_weekly_st_as_of_the_week",
    "mart_industry_movers_ties_and_flags",
    "int_industry_pe_ttm_daily_excludes_nonpositive",
    "fct_industry_valuation_percentiles",
    "stg_akshare__stock_news_dedup_and_week",
    "rpt_industry_weekly_brief_company_news",
}


def dbt_options(tmp_path: Path) -> list[str]:
    return [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    ]


def parsed_dbt(tmp_path: Path):
    """A dbt runner holding the project parsed once, so the three commands below do not each
    parse it again (about 4 s apiece)."""
    parsed = dbt_main.dbtRunner().invoke(["parse", *dbt_options(tmp_path)])
    assert parsed.success, parsed.exception
    return dbt_main.dbtRunner(manifest=parsed.result)


@pytest.fixture
def empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse" / "unit.duckdb"
    path.parent.mkdir()
    monkeypatch.setenv("SECTORPULSE_DUCKDB", str(path))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DBT_VERSION_CHECK", "false")
    # No partial-parse state from other runs: target/ is per test.
    monkeypatch.setenv("DBT_PARTIAL_PARSE", "false")
    return path


def test_dbt_unit_tests_pass_on_an_empty_warehouse(empty_warehouse: Path, tmp_path: Path) -> None:
    dbt = parsed_dbt(tmp_path)

    def run_dbt(args: list[str]):
        return dbt.invoke([*args, *dbt_options(tmp_path)])

    stub = run_dbt(["run-operation", "create_missing_sources"])
    assert stub.success, stub.exception

    parents = run_dbt(["build", "--empty", "--resource-type", "seed", "--resource-type", "model"])
    assert parents.success, parents.exception or [
        (r.node.name, r.status, r.message) for r in parents.result if r.status != "success"
    ]

    unit = run_dbt(["test", "--select", "test_type:unit"])
    results = list(unit.result or [])
    failures = [(r.node.name, str(r.status), r.message) for r in results if r.status != "pass"]
    assert not failures, failures
    assert unit.success, unit.exception
    assert len(results) > 0

    names = {r.node.name for r in results}
    missing = REQUIRED_UNIT_TESTS - names
    assert not missing, f"unit tests missing: {sorted(missing)}"
