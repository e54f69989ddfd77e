"""Raw loads are idempotent and transactional."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from ingestion.fetcher import Fetched
from ingestion.specs import SPECS, Call
from ingestion.warehouse import Build, last_build, load_raw, record_build

SPEC = SPECS["sw_index_daily"]


def bars(code: str, closes: list[float]) -> pd.DataFrame:
    days = [date(2025, 1, 20 + i) for i in range(len(closes))]
    return pd.DataFrame(
        {
            "代码": pd.Series([code] * len(closes), dtype="str"),
            "日期": days,
            "收盘": closes,
            "开盘": closes,
            "最高": closes,
            "最低": closes,
            "成交量": [1.0] * len(closes),
            "成交额": [1.0] * len(closes),
        }
    )


def fetched(code: str, closes: list[float]) -> Fetched:
    return Fetched(
        Call("index_hist_sw", {"symbol": code, "period": "day"}), bars(code, closes), "real"
    )


def rows(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            'SELECT "代码", "日期", "收盘", _provenance FROM raw.sw_index_daily ORDER BY 1, 2'
        ).fetchall()


def test_reloading_the_same_calls_adds_no_duplicates(tmp_path):
    db = tmp_path / "w.duckdb"
    batch = [fetched("801750", [100.0, 101.0]), fetched("801010", [50.0])]
    first = load_raw(db, SPEC, batch, source="test")
    second = load_raw(db, SPEC, batch, source="test")
    assert rows(db) == [
        ("801010", date(2025, 1, 20), 50.0, "real"),
        ("801750", date(2025, 1, 20), 100.0, "real"),
        ("801750", date(2025, 1, 21), 101.0, "real"),
    ]
    assert (first.rows, second.rows) == (3, 3)
    assert first.load_id != second.load_id


def test_a_reload_replaces_only_the_calls_it_loads(tmp_path):
    db = tmp_path / "w.duckdb"
    load_raw(db, SPEC, [fetched("801750", [100.0]), fetched("801010", [50.0])], source="test")
    load_raw(db, SPEC, [fetched("801750", [200.0])], source="test")
    assert [(r[0], r[2]) for r in rows(db)] == [("801010", 50.0), ("801750", 200.0)]


def test_a_failed_load_leaves_the_previous_state(tmp_path):
    db = tmp_path / "w.duckdb"
    load_raw(db, SPEC, [fetched("801750", [100.0])], source="test")
    before = rows(db)
    broken = bars("801750", [300.0])
    broken["收盘"] = ["not a number"]  # the CAST to DOUBLE fails after the DELETE ran
    with pytest.raises(duckdb.ConversionException):
        load_raw(
            db,
            SPEC,
            [Fetched(Call("index_hist_sw", {"symbol": "801750", "period": "day"}), broken, "real")],
            source="test",
        )
    assert rows(db) == before


def test_a_load_of_no_calls_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    load_raw(db, SPEC, [fetched("801750", [100.0])], source="test")
    result = load_raw(db, SPEC, [], source="test")
    assert (result.calls, result.rows) == (0, 0)
    assert len(rows(db)) == 1


def test_a_build_records_its_code_digest_and_older_records_read_as_unknown(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:  # _builds as warehouses built before the digest hold it
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw._builds (run_id VARCHAR, started_at TIMESTAMP, last_week DATE)"
        )
        con.execute("INSERT INTO raw._builds VALUES ('old', '2025-01-24 10:00', '2025-01-20')")
    assert last_build(db) == Build(datetime(2025, 1, 24, 10), date(2025, 1, 20), None)
    record_build(db, "new", Build(datetime(2025, 1, 31, 10), date(2025, 1, 27), "abc"))
    assert last_build(db) == Build(datetime(2025, 1, 31, 10), date(2025, 1, 27), "abc")
