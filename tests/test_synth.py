"""Synthetic snapshots (bench/synth.py) and their bulk replay (ingestion/bulk.py)."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench.synth import Market, MarketSpec, generate, is_generated, snapshot_window
from ingestion.bulk import load_snapshot, sidecar_dir
from ingestion.snapshot import MissingEntryError, Snapshot, SnapshotError
from ingestion.specs import SPECS, fetch_order
from ingestion.warehouse import quote

SPEC = MarketSpec(stocks=120, years=2, seed=11)
AS_OF = date(2025, 1, 17)  # a week before the market's end, for the weekly delta
NEXT_MONDAY = date(2025, 1, 20)


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    generate(SPEC, root / "full", as_of=AS_OF)
    generate(SPEC, root / "delta", since=NEXT_MONDAY, parquet_dir=root / "raw")
    return root


def planned_calls(snapshot: Snapshot) -> dict[str, list]:
    """Every call the specs plan for the snapshot's window, upstream read from the snapshot."""
    window, upstream, calls = snapshot.window, {}, {}
    for name in fetch_order():
        if SPECS[name].optional:  # not synthesized: a snapshot may leave it out
            continue
        calls[name] = SPECS[name].plan(window, upstream)
        upstream[name] = pd.concat([snapshot.read(name, c)[0] for c in calls[name][:200]])
    return calls


def test_every_planned_call_has_a_synthetic_entry_and_nothing_else(synth):
    snapshot = Snapshot(synth / "full")
    calls = planned_calls(snapshot)
    for name, planned in calls.items():
        assert all(snapshot.has(name, call) for call in planned), name
    entries = snapshot.entries()
    assert len(entries) == sum(map(len, calls.values()))
    assert {e.provenance for e in entries} == {"synthetic"}
    assert all("SYNTHETIC" in e.note or "MIIT" in e.note for e in entries)


def test_generation_is_deterministic_and_does_not_depend_on_workers(synth, tmp_path):
    generate(SPEC, tmp_path / "again", as_of=AS_OF, workers=2)
    first, again = Snapshot(synth / "full"), Snapshot(tmp_path / "again")
    assert [(e.key, e.checksum) for e in first.entries()] == [
        (e.key, e.checksum) for e in again.entries()
    ]
    assert is_generated(tmp_path / "again", SPEC, snapshot_window(SPEC, AS_OF))
    assert not is_generated(tmp_path / "again", SPEC, snapshot_window(SPEC))


def test_the_market_has_what_makes_real_data_awkward(synth):
    snapshot = Snapshot(synth / "full")
    window = snapshot.window
    clf, _ = snapshot.read("sw_classification", SPECS["sw_classification"].plan(window, {})[0])
    names, _ = snapshot.read("stock_names", SPECS["stock_names"].plan(window, {})[0])
    bars = pd.read_parquet(sidecar_dir(snapshot) / "stock_daily")
    values = pd.read_parquet(sidecar_dir(snapshot) / "stock_valuation")
    calendar = Market(SPEC).days

    moved = clf.groupby("symbol")["industry_code"].agg(lambda c: c.str[:2].nunique())
    assert (moved > 1).sum() > 0, "SW reclassifications"
    first_bar = bars.groupby("股票代码")["日期"].min()
    assert (first_bar > calendar[0]).sum() > 0, "new listings"
    delisted = set(clf["symbol"]) - set(names["code"])
    assert delisted and bars[bars["股票代码"].isin(delisted)]["日期"].max() < window.as_of
    days = bars.groupby("股票代码")["日期"].agg(["min", "max", "size"])
    span = days.apply(lambda r: sum(r["min"] <= d <= r["max"] for d in calendar), axis=1)
    assert (span > days["size"]).sum() > 0, "suspensions: trading days without a bar"
    assert names["name"].str.contains("ST").sum() > 0, "ST names"
    assert (values["PE(TTM)"] < 0).sum() > 0 and (values["PE(TTM)"] > 0).sum() > 0
    # The real calendar: National Day 2024 leaves 2024-09-30 alone in its week.
    assert date(2024, 9, 30) in calendar and date(2024, 10, 7) not in calendar
    # Over 5,000 stocks, some are listed but never trade in the window.
    assert Market(MarketSpec(5000, 1, SPEC.seed)).stocks["never_traded"].sum() > 0


def test_a_weekly_delta_continues_the_full_snapshot(synth):
    """The delta holds the new week; its whole-window Parquet agrees with the full snapshot."""
    delta = Snapshot(synth / "delta")
    assert delta.window.stock_start == NEXT_MONDAY
    full = pd.read_parquet(sidecar_dir(Snapshot(synth / "full")) / "stock_daily")
    whole = pd.read_parquet(synth / "raw" / "stock_daily")
    keys = ["股票代码", "日期"]
    shared = whole[whole["日期"] <= AS_OF].drop(columns="_call_key")
    pd.testing.assert_frame_equal(
        shared.sort_values(keys).reset_index(drop=True),
        full.drop(columns=["_call_key", "_checksum"]).sort_values(keys).reset_index(drop=True),
    )
    week = pd.read_parquet(sidecar_dir(delta) / "stock_daily")
    assert week["日期"].min() >= NEXT_MONDAY and week["日期"].max() == SPEC.end


def raw_rows(db: Path, dataset: str) -> pd.DataFrame:
    columns = [quote(c) for c in SPECS[dataset].columns] + [
        "_call_key",
        "_call_args",
        "_provenance",
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute(f"SELECT {', '.join(columns)} FROM raw.{quote(dataset)}").df()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_bulk_replay_reads_the_sidecar_or_the_csvs_alike_and_validates_the_batch(synth, tmp_path):
    from quality import validate_raw

    copy = tmp_path / "snapshot"
    shutil.copytree(synth / "full", copy)
    validated: dict[str, int] = {}

    def validate(dataset, frame):
        validated[dataset] = len(frame)
        result = validate_raw(dataset, frame)
        assert result.success, (dataset, result.failures, result.error)
        return True

    loads = load_snapshot(tmp_path / "a.duckdb", Snapshot(copy), validate=validate)
    loads = [x for x in loads if not SPECS[x.dataset].optional]  # not synthesized: no calls
    assert {x.reader for x in loads} == {"sidecar"}
    assert validated == {x.dataset: x.rows_in_calls for x in loads}

    rerun = load_snapshot(tmp_path / "a.duckdb", Snapshot(copy), validate=validate)
    assert [(x.inserted, x.deleted) for x in rerun] == [(0, 0)] * len(rerun)

    shutil.rmtree(sidecar_dir(Snapshot(copy)))
    csv = load_snapshot(tmp_path / "b.duckdb", Snapshot(copy))
    assert {x.reader for x in csv if not SPECS[x.dataset].optional} == {"csv"}
    for dataset in ("stock_daily", "stock_valuation", "sw_index_spot"):
        pd.testing.assert_frame_equal(
            raw_rows(tmp_path / "a.duckdb", dataset), raw_rows(tmp_path / "b.duckdb", dataset)
        )


def test_bulk_replay_of_the_delta_inserts_only_the_new_week(synth, tmp_path):
    db = tmp_path / "w.duckdb"
    load_snapshot(db, Snapshot(synth / "full"))
    loads = {x.dataset: x for x in load_snapshot(db, Snapshot(synth / "delta"))}
    stock_days = loads["stock_daily"].inserted
    # stock_value_em returns whole histories, yet only the new week's rows are new.
    assert 0 < loads["stock_valuation"].inserted <= stock_days + 10
    assert loads["stock_valuation"].rows_in_calls > 50 * loads["stock_valuation"].inserted
    assert loads["trade_calendar"].inserted == 0
    whole = pd.read_parquet(synth / "raw" / "stock_valuation")
    with duckdb.connect(str(db), read_only=True) as con:
        (rows,) = con.execute("SELECT count(*) FROM raw.stock_valuation").fetchone()
    assert rows == len(whole)


def test_bulk_replay_refuses_a_missing_entry_and_a_corrupt_file(synth, tmp_path):
    copy = tmp_path / "snapshot"
    shutil.copytree(synth / "full", copy)
    shutil.rmtree(sidecar_dir(Snapshot(copy)))
    victim = sorted((copy / "stock_daily").glob("*.csv.gz"))[3]
    text = gzip.decompress(victim.read_bytes()).replace(b",", b";", 1)
    victim.write_bytes(gzip.compress(text))  # valid gzip, but not what the manifest says
    with pytest.raises(SnapshotError):
        load_snapshot(tmp_path / "c.duckdb", Snapshot(copy), datasets=list(fetch_order()))
    victim.with_suffix("").with_suffix(".json").unlink()
    with pytest.raises(MissingEntryError):
        load_snapshot(tmp_path / "d.duckdb", Snapshot(copy))
