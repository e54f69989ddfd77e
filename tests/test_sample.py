"""The bundled sample snapshot (data/sample/, built by scripts/build_sample.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ingestion.snapshot import Entry, Snapshot
from ingestion.specs import SPECS, Call, RunWindow, fetch_order

REPO = Path(__file__).parents[1]
SAMPLE = REPO / "data" / "sample"
SHARED = Path(__file__).parents[1].parent / "shared" / "data"
MAX_BYTES = 25_000_000

PROVENANCE = {
    "trade_calendar": "real",
    "sw_index_spot": "derived",
    "sw_index_daily": "real",
    "csi_index_daily": "derived",
    "sw_classification": "derived",
    "stock_names": "derived",
    "stock_daily": "derived",
    "stock_valuation": "synthetic",
    "sw_index_valuation": "synthetic",
    "miit_software_stats": "real",
}

SW_L1 = {
    "801010", "801030", "801040", "801050", "801080", "801110", "801120", "801130",
    "801140", "801150", "801160", "801170", "801180", "801200", "801210", "801230",
    "801710", "801720", "801730", "801740", "801750", "801760", "801770", "801780",
    "801790", "801880", "801890", "801950", "801960", "801970", "801980",
}  # fmt: skip


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    snap = Snapshot(SAMPLE)
    if not snap.exists():
        pytest.fail(f"{SAMPLE} is missing: run python scripts/build_sample.py")
    return snap


@pytest.fixture(scope="module")
def entries(snapshot: Snapshot) -> list[Entry]:
    return snapshot.entries()


@pytest.fixture(scope="module")
def frames(snapshot: Snapshot, entries: list[Entry]) -> dict[str, pd.DataFrame]:
    """Every entry read back (the read verifies the checksum), keyed by entry key."""
    return {e.key: snapshot.read(e.dataset, e.call)[0] for e in entries}


def test_window(snapshot: Snapshot) -> None:
    assert snapshot.window == RunWindow(
        as_of=date(2025, 1, 24),
        stock_start=date(2024, 1, 2),
        index_start=date(2015, 1, 1),
        benchmarks=("000300", "930651"),
    )
    assert "docs/sample.md" in snapshot.read_meta()["description"]


def test_every_entry_round_trips_with_its_checksum(
    entries: list[Entry], frames: dict[str, pd.DataFrame]
) -> None:
    # every dataset but the optional ones (DatasetSpec.optional), which the sample leaves out
    assert {e.dataset for e in entries} == {n for n, s in SPECS.items() if not s.optional}
    for entry in entries:
        frame = frames[entry.key]
        assert entry.status == "ok", entry.key
        assert len(frame) == entry.rows > 0, entry.key
        spec_columns = list(SPECS[entry.dataset].columns.items())
        assert [(c["name"], c["kind"]) for c in entry.columns] == spec_columns, entry.key
        assert list(frame.columns) == [name for name, _ in spec_columns], entry.key


def test_the_sample_holds_every_planned_call(
    snapshot: Snapshot, frames: dict[str, pd.DataFrame]
) -> None:
    """Replay finds an entry for each call the specs plan for the sample's window, but for the
    optional datasets (DatasetSpec.optional), which the sample leaves out."""
    window = snapshot.window
    upstream: dict[str, pd.DataFrame] = {}
    held = [name for name in fetch_order() if not SPECS[name].optional]
    for name in held:
        calls = SPECS[name].plan(window, upstream)
        assert calls, name
        for call in calls:
            assert snapshot.has(name, call), f"{name}: no entry for {call.describe()}"
        upstream[name] = pd.concat(
            [frames[snapshot.entry(name, call).key] for call in calls], ignore_index=True
        )
    assert len(snapshot.entries()) == sum(len(SPECS[name].plan(window, upstream)) for name in held)


def test_provenance_labels(entries: list[Entry]) -> None:
    for entry in entries:
        assert entry.provenance == PROVENANCE[entry.dataset], entry.key
        assert entry.note, entry.key


def test_sample_is_at_most_25_mb() -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size <= MAX_BYTES, f"data/sample is {size / 1e6:.1f} MB"


def test_all_sw_level1_indices_are_present(snapshot: Snapshot) -> None:
    spot, _ = snapshot.read("sw_index_spot", Call("index_realtime_sw", {"symbol": "一级行业"}))
    assert set(spot["指数代码"]) == SW_L1
    for code in SW_L1:
        daily, _ = snapshot.read(
            "sw_index_daily", Call("index_hist_sw", {"symbol": code, "period": "day"})
        )
        assert daily["日期"].max() == date(2025, 1, 24), code


def test_classification_covers_three_l1_industries(snapshot: Snapshot) -> None:
    clf, _ = snapshot.read("sw_classification", Call("stock_industry_clf_hist_sw"))
    names, _ = snapshot.read("stock_names", Call("stock_info_a_code_name"))
    assert set(clf["industry_code"]) == {"710000", "480000", "340000"}
    assert clf["symbol"].is_unique
    assert set(names["code"]) == set(clf["symbol"])


def test_computer_close_matches_the_shared_file(snapshot: Snapshot) -> None:
    files = sorted((SHARED / "sw_index_daily" / "level1").glob("801750_*.csv"))
    if not files:
        pytest.skip(f"shared data not present at {SHARED}")
    shared = pd.read_csv(files[0], dtype={"date": str}).set_index("date")["close"]
    daily, _ = snapshot.read(
        "sw_index_daily", Call("index_hist_sw", {"symbol": "801750", "period": "day"})
    )
    sample = daily.set_index("日期")["收盘"]
    assert sample.loc[date(2025, 1, 24)] == shared.loc["2025-01-24"]
