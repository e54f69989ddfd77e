"""Snapshot format: round trip of akshare's kinds, the manifest, replay and a missing entry."""

from __future__ import annotations

import gzip
from datetime import date

import pandas as pd
import pytest

from ingestion.fetcher import ReplayFetcher, fetch_dataset
from ingestion.snapshot import MissingEntryError, Snapshot, SnapshotError, call_key
from ingestion.specs import SPECS, Call, RunWindow


def akshare_like_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "日期": [date(2024, 10, 8), date(2024, 10, 9)],
            "股票代码": pd.Series(["002230", "002230"], dtype="str"),
            "收盘": [45.12, float("nan")],
            "成交量": [120_000, 98_000],
            "备注": pd.Series(["", None], dtype="str"),
        }
    )


@pytest.fixture
def snapshot(tmp_path) -> Snapshot:
    snap = Snapshot(tmp_path / "snap")
    snap.write_meta(RunWindow(as_of=date(2025, 1, 24)), description="test")
    return snap


def test_round_trip_keeps_values_kinds_and_leading_zeros(snapshot):
    call = Call("stock_zh_a_hist", {"symbol": "002230", "period": "daily"})
    frame = akshare_like_frame()
    entry = snapshot.write("stock_daily", call, frame, provenance="real")
    back, read_entry = snapshot.read("stock_daily", call)

    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["股票代码"].tolist() == ["002230", "002230"]
    assert back["备注"].iloc[0] == "" and pd.isna(back["备注"].iloc[1])
    assert isinstance(back["日期"].iloc[0], date)
    assert back["成交量"].dtype == "int64"
    assert [c["kind"] for c in entry.columns] == ["date", "str", "float", "int", "str"]
    assert read_entry == entry


def test_a_column_without_values_takes_the_kind_its_spec_declares(snapshot):
    # pandas makes an all-missing int column float on concat (an extended live call): the entry
    # still says int, so the call loads like the others instead of through per-call frames
    call = Call("stock_zh_index_hist_csindex", {"symbol": "000300"})
    frame = pd.DataFrame(
        {name: [None] * 2 for name in SPECS["csi_index_daily"].columns}, dtype="float64"
    ).assign(样本数量=[float("nan"), 300.0])
    kinds = {
        c["name"]: c["kind"] for c in snapshot.write("csi_index_daily", call, frame, "real").columns
    }
    assert kinds["样本数量"] == "float"  # a value: its own kind, which the load then checks
    assert kinds["收盘"] == "float" and kinds["指数代码"] == "str" and kinds["日期"] == "date"
    empty = frame.assign(样本数量=float("nan"))
    entry = snapshot.write("csi_index_daily", call, empty, "real")
    assert {c["name"]: c["kind"] for c in entry.columns}["样本数量"] == "int"
    back, _ = snapshot.read("csi_index_daily", call)
    assert str(back["样本数量"].dtype) == "Int64" and back["样本数量"].isna().all()


def test_manifest_entry_records_the_call(snapshot):
    call = Call("index_hist_sw", {"symbol": "801750", "period": "day"})
    entry = snapshot.write("sw_index_daily", call, akshare_like_frame(), provenance="derived")
    assert entry.function == "index_hist_sw"
    assert entry.kwargs == {"symbol": "801750", "period": "day"}
    assert entry.rows == 2
    assert entry.provenance == "derived"
    assert entry.akshare_version == "1.19.5"
    assert entry.pandas_version == pd.__version__
    assert entry.fetched_at.endswith("+08:00")
    assert entry.key == call_key(call) and "801750" in entry.key
    assert len(entry.checksum) == 64
    assert snapshot.entries("sw_index_daily") == [entry]


def test_zero_column_empty_frame_round_trips(snapshot):
    call = Call("stock_zh_a_hist", {"symbol": "600000"})
    entry = snapshot.write("stock_daily", call, pd.DataFrame(), provenance="real")
    back, _ = snapshot.read("stock_daily", call)
    assert entry.status == "empty" and back.shape == (0, 0)


def test_missing_entry_is_an_error_naming_the_call(snapshot):
    with pytest.raises(MissingEntryError, match=r"stock_daily.*symbol='000001'"):
        snapshot.read("stock_daily", Call("stock_zh_a_hist", {"symbol": "000001"}))


def test_replay_of_a_planned_call_missing_from_the_snapshot_fails(snapshot):
    spec = SPECS["stock_daily"]
    classification = pd.DataFrame({"symbol": ["000001"]})
    with pytest.raises(MissingEntryError, match="000001"):
        list(
            fetch_dataset(
                spec,
                ReplayFetcher(snapshot),
                snapshot.window,
                {"sw_classification": classification},
            )
        )


def test_tampered_frame_fails_its_checksum(snapshot):
    call = Call("index_hist_sw", {"symbol": "801750"})
    entry = snapshot.write("sw_index_daily", call, akshare_like_frame(), provenance="real")
    path = snapshot.root / "sw_index_daily" / f"{entry.key}.csv.gz"
    text = gzip.decompress(path.read_bytes()).decode().replace("45.12", "-45.12")
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(SnapshotError, match="checksum"):
        snapshot.read("sw_index_daily", call)


def test_a_directory_without_snapshot_json_is_rejected(tmp_path):
    with pytest.raises(SnapshotError, match=r"snapshot\.json"):
        ReplayFetcher(Snapshot(tmp_path))
