# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""Point-in-time names and ST flags: SZSE's dated 简称 change list (stock_info_sz_change_name) is
fetched through the choke point, recorded, validated by its raw suite and loaded; a snapshot
without it (the bundled sample) loads none and the models fall back to the current names. The
SQL rules (a stock that became ST after the week, one that left ST before it) are dbt unit tests
in dbt_project/models/intermediate/_intermediate__models.yml (tests/test_dbt_unit.py)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.fetcher import ReplayFetcher
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.recorder import record
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, Call
from orchestration.assets import Ingested, ingest_dataset
from publishing.brief import _movers_table
from tests.fixtures.live.harness import (
    WINDOW,
    make_net,
    make_recorder,
    seed_calendar,
    upstream,
    world,
)

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

DATASET = "stock_name_changes"
CALL = Call("stock_info_sz_change_name", {"symbol": "简称变更"})
# As SZSE's xlsx carries them: 000010 became ST after the sample's weeks, 000011 was *ST and
# left ST before them.
CHANGES = {
    "变更日期": ["2025-03-03", "2024-05-06", "2024-12-02"],
    "证券代码": ["000010", "000011", "000011"],
    "证券简称": ["ST甲科", "乙股份", "乙股份"],
    "变更前简称": ["甲科技", "乙股份", "*ST乙"],
    "变更后简称": ["ST甲科", "*ST乙", "乙股份"],
}


def new_store(root: Path) -> Snapshot:
    store = Snapshot(root)
    seed_calendar(store)
    store.write_meta(WINDOW, description="the name-change tests' store")
    return store


def ingest(snapshot: Snapshot, dataset: str, warehouse: Path) -> Ingested:
    """The raw step of the Dagster asset: plan, validate with the raw suite, load."""
    fetcher = ReplayFetcher(snapshot)
    return ingest_dataset(SPECS[dataset], fetcher, fetcher.window(), warehouse)


def raw_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            'SELECT "证券代码", CAST("变更日期" AS VARCHAR), "变更后简称", _provenance '
            f"FROM raw.{DATASET} ORDER BY 2"
        ).fetchall()


def test_the_change_list_is_fetched_through_the_choke_point_recorded_and_loaded(
    upstream, world, tmp_path
):
    world.name_changes = pd.DataFrame(CHANGES)
    store = new_store(tmp_path / "store")
    net = make_net(upstream)
    assert record(make_recorder(upstream, store, net=net), WINDOW, [DATASET]).complete
    # one xlsx from SZSE, through the choke point (counted in its host group)
    assert net.counts() == {"exchanges": 1, "total": 1}
    [(endpoint, query)] = upstream.requests
    assert endpoint == "szse" and (query["CATALOGID"], query["TABKEY"]) == ("SSGSGMXX", "tab2")
    # recorded as returned, under the planned call
    [entry] = store.entries(DATASET)
    assert (entry.call, entry.provenance, entry.rows) == (CALL, "real", 3)
    frame, _ = store.read(DATASET, CALL)
    assert list(frame.columns) == list(SPECS[DATASET].columns)
    assert str(frame["变更日期"].iloc[0]) == "2024-05-06"  # akshare sorts by date
    # fetched once a day: the same day's run reuses it
    again = make_net(upstream)
    assert record(make_recorder(upstream, store, net=again), WINDOW, [DATASET]).complete
    assert again.counts() == {"total": 0}

    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(store, "trade_calendar", warehouse).passed
    loaded = ingest(store, DATASET, warehouse)
    assert loaded.passed, loaded.message
    assert loaded.metadata["rows_validated"] == 3
    assert raw_rows(warehouse) == [
        ("000011", "2024-05-06", "*ST乙", "real"),
        ("000011", "2024-12-02", "乙股份", "real"),
        ("000010", "2025-03-03", "ST甲科", "real"),
    ]


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("证券代码", "0000X1", "expect_column_values_to_match_regex"),
        ("变更日期", "1980-01-02", "expect_column_values_to_be_between"),
        ("变更后简称", None, "expect_column_values_to_not_be_null"),
    ],
)
def test_a_bad_change_fails_the_raw_check_naming_dataset_and_field(
    upstream, world, tmp_path, column, value, expectation
):
    bad = pd.DataFrame(CHANGES)
    bad.loc[0, column] = value
    world.name_changes = bad
    store = new_store(tmp_path / "store")
    assert record(make_recorder(upstream, store), WINDOW, [DATASET]).complete

    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(store, "trade_calendar", warehouse).passed
    rejected = ingest(store, DATASET, warehouse)
    assert not rejected.passed
    # the check, the dataset and the field, then the offending row
    assert rejected.message.startswith(
        f"gx_raw_{DATASET} failed for dataset '{DATASET}': {expectation}({column}"
    )
    assert "1 of 3 rows unexpected" in rejected.message
    assert raw_rows(warehouse) == []  # nothing of the batch was written


def test_a_snapshot_without_the_list_loads_none_of_it(tmp_path):
    sample = Snapshot(SAMPLE_SNAPSHOT)
    assert not sample.entries(DATASET)  # the bundled sample has no dated name history
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(sample, "trade_calendar", warehouse).passed
    skipped = ingest(sample, DATASET, warehouse)
    assert skipped.passed and skipped.loaded.calls == 0
    assert skipped.metadata["rows_validated"] == 0
    assert raw_rows(warehouse) == []  # the table exists, empty: staging reads it as no history


def movers_row(*point_in_time: bool) -> dict:
    movers = [
        {
            "symbol": ("000010", "600011")[i],
            "name": f"股{i}",
            "weekly_return": 0.1 - i / 100,
            "is_st": i == 0,
        }
        | {"is_name_point_in_time": pit}
        for i, pit in enumerate(point_in_time)
    ]
    return {
        "top_movers": json.dumps(movers),
        "bottom_movers": "[]",
        "n_stocks_ranked": len(movers),
        "n_new_listings": 0,
        "n_suspended": 0,
        "n_st": 1,
    }


def test_the_brief_says_which_names_are_as_of_the_fetch_date():
    as_of_week = "\n".join(_movers_table(movers_row(True, True)))
    assert "fetch date" not in as_of_week and "†" not in as_of_week
    assert "| 1 | 股0 (000010) [ST] | +10.00% |" in as_of_week

    # the sample: no dated history at all, so one sentence for the whole table
    current = "\n".join(_movers_table(movers_row(False, False)))
    assert "†" not in current
    assert "Names and [ST] flags are as of the names' fetch date" in current

    # a Shanghai stock among Shenzhen ones: only it is marked
    mixed = _movers_table(movers_row(True, False))
    assert "| 1 | 股0 (000010) [ST] | +10.00% |  |  |" in mixed
    assert "| 2 | 股1 (600011) † | +9.00% |  |  |" in mixed
    assert any(
        line.startswith("† Name and [ST] flag as of the names' fetch date") for line in mixed
    )
