"""GX at scale: the batch of a model that a run rebuilt, rather than its whole history.

A run's dbt step rebuilds the incremental models from its scope's `rebuild_since` on (a Monday,
orchestration.scope), and the model suites validate the rows from that same day on: whole weeks,
so the per-week parts (rank groups, the latest week's 31 L1 industries, mover counts) see complete
groups. After a full build `since` is None and the batch is the whole model. Raw frames are
batched by the loader instead (ingestion.bulk: the rows a load inserts). See docs/scale.md.

    result = validate_model_batch(con, "fct_industry_weekly_returns", scope.rebuild_since)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb

from ingestion.bulk import VALIDATE_CHUNK_ROWS, in_ranges
from quality import SuiteResult, validate_model

# Models whose batch can be millions of rows (after a full build), validated in chunks of whole
# values of this column: their suites check rows and keys within one value only.
CHUNK_COLUMN = {"stg_akshare__stock_bars": "symbol", "fct_stock_weekly_returns": "symbol"}

# The date column that places a model's rows in weeks; None: small, validated whole.
BATCH_COLUMN: dict[str, str | None] = {
    "stg_akshare__sw_index_bars": "trade_date",
    "stg_akshare__stock_bars": "trade_date",
    "stg_miit__software_stats": None,
    "fct_industry_weekly_returns": "week_end_date",
    "fct_stock_weekly_returns": "week_end_date",
    "fct_industry_valuation": "trade_date",
    "mart_industry_movers": "week_end_date",
    "fct_software_industry_stats": None,
    "rpt_industry_weekly_brief": "week_end_date",
}


def relation(model: str) -> str:
    return f"{'staging' if model.startswith('stg_') else 'marts'}.{model}"


def batch_query(model: str, since: date | None) -> str:
    """SQL for the model's rows from `since` on; all of them when since is None."""
    column = BATCH_COLUMN[model]
    if since is None or column is None:
        return f"SELECT * FROM {relation(model)}"
    return f"SELECT * FROM {relation(model)} WHERE {column} >= DATE '{since.isoformat()}'"


def validate_model_batch(
    con: duckdb.DuckDBPyConnection, model: str, since: date | None
) -> SuiteResult:
    """The model's suite on its rows from `since` on, in chunks when the batch is big.

    A chunked batch gives one result: passed when every chunk passed, with every chunk's
    failures; tolerances (`mostly`) apply per chunk.
    """
    con.execute(f"CREATE OR REPLACE TEMP VIEW model_batch AS {batch_query(model, since)}")
    results = [
        # Through Arrow: a few times faster than .df(), and the suites give the same results.
        validate_model(model, piece.to_arrow_table().to_pandas(date_as_object=False))
        for piece in in_ranges(con, "model_batch", CHUNK_COLUMN.get(model), VALIDATE_CHUNK_ROWS)
    ]
    return combine_results(results)


def combine_results(results: list[SuiteResult]) -> SuiteResult:
    """One result for a suite run on several chunks of a batch."""
    first = results[0]
    errors = [r.error for r in results if r.error]
    return replace(
        first,
        success=all(r.success for r in results),
        failures=[f for r in results for f in r.failures],
        warnings=[w for r in results for w in r.warnings],
        error="\n".join(errors) if errors else None,
        rows=sum(r.rows for r in results),
        seconds=sum(r.seconds for r in results),
        gx_results=[g for r in results for g in r.gx_results],
    )
