"""The bench at tiny size: the pipeline, the pandas baseline and the SQL floor give the same marts,
and an incremental week on top of a full build gives what a full recomputation gives.

This is the bench's smoke test (`make bench-smoke`): the functions `make bench` runs, in-process:
the weekly Dagster job (without its briefs), the pandas baseline and the SQL floor.
"""

from __future__ import annotations

import pytest

from bench import baseline, floor, pipeline
from bench.compare import MARTS, compare, is_equal
from bench.run import FULL_AS_OF, NEXT_WEEK_END, SIZES, Paths, prepare

pytestmark = pytest.mark.slow

SEED = 7


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("bench"))
    prepare(SIZES["smoke"], SEED, paths, workers=1)
    result = pipeline.run(paths.base, paths.pipeline, FULL_AS_OF, full_refresh=True)
    assert not result["gx_failures"], result["gx_failures"]
    return paths


def assert_same(counts: dict[str, dict[str, dict[str, int]]]) -> None:
    for implementation, marts in counts.items():
        assert set(marts) == {m.name for m in MARTS}
        for mart, c in marts.items():
            assert c["rows_left"] > 0, (implementation, mart)
            assert is_equal(c), (implementation, mart, c)


def test_pipeline_pandas_and_sql_floor_give_the_same_marts(built):
    baseline.run(built.raw_full, built.work / "pandas")
    floor.run(built.raw_full, built.work / "floor")
    counts = compare(
        built.pipeline / "published",
        {"pandas": built.work / "pandas", "floor": built.work / "floor"},
    )
    assert_same(counts)
    # The 3-year percentiles are covered (4 years of history), not all null.
    import duckdb

    (covered,) = duckdb.sql(
        f"SELECT count(percentile_3y) FROM '{built.pipeline / 'published'}/fct_industry_valuation.parquet'"
    ).fetchall()[0]
    assert covered > 1000


def test_an_incremental_week_equals_a_full_recomputation(built):
    result = pipeline.run(built.delta, built.pipeline, NEXT_WEEK_END, full_refresh=False)
    assert not result["gx_failures"], result["gx_failures"]
    batch = {x["dataset"]: x["batch"] for x in result["loads"]}
    assert 0 < batch["stock_valuation"] < SIZES["smoke"].stocks * 5  # the new week only
    floor.run(built.raw_next, built.work / "floor-next")
    assert_same(compare(built.pipeline / "published", {"floor": built.work / "floor-next"}))
