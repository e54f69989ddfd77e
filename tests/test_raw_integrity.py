"""Inputs the raw load refuses before writing anything (ingestion.errors.InputRejected), files that
cannot be read, a read-only warehouse, the previous close handed to the raw suites, and live
mode without a network."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion import warehouse
from ingestion.bulk import BAR_DATASETS, InputRejected, load_calls, load_snapshot
from ingestion.errors import BulkValidationError
from ingestion.fetcher import Fetched
from ingestion.http import Net, NetConfig, NoNetwork, dns_failure
from ingestion.live import Caller
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import (
    ManifestMismatch,
    Snapshot,
    UnreadableFile,
    call_key,
)
from ingestion.specs import SPECS, Call, RunWindow
from ingestion.warehouse import WarehouseError, combine, connect, transaction

SW = SPECS["sw_index_daily"]
STOCK = SPECS["stock_daily"]
FIRST_DAY = date(2025, 1, 13)  # a Monday


def sw_call(code: str) -> Call:
    return Call("index_hist_sw", {"symbol": code, "period": "day"})


def stock_call(symbol: str) -> Call:
    return Call("stock_zh_a_hist", {"symbol": symbol, "period": "daily", "adjust": "qfq"})


def sw_bars(code: str, closes: list[float]) -> pd.DataFrame:
    days = [FIRST_DAY + timedelta(days=i) for i in range(len(closes))]
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


def stock_bars(symbol: str, closes: list[float]) -> pd.DataFrame:
    n = len(closes)
    return pd.DataFrame(
        {
            "日期": [FIRST_DAY + timedelta(days=i) for i in range(n)],
            "股票代码": pd.Series([symbol] * n, dtype="str"),
            "开盘": closes,
            "收盘": closes,
            "最高": closes,
            "最低": closes,
            "成交量": [100] * n,
            "成交额": [1000.0] * n,
            "振幅": [0.0] * n,
            "涨跌幅": [0.0] * n,
            "涨跌额": [0.0] * n,
            "换手率": [0.1] * n,
        }
    )


@pytest.fixture
def snap(tmp_path) -> Snapshot:
    snapshot = Snapshot(tmp_path / "snap")
    snapshot.write_meta(RunWindow(as_of=date(2025, 1, 24)), description="test")
    return snapshot


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "w.duckdb"


def raw_rows(db: Path, dataset: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT * EXCLUDE (_load_id, _loaded_at) FROM raw.{dataset} ORDER BY ALL"
        ).fetchall()


def sw_loaded(snap: Snapshot, db: Path) -> list[Call]:
    """Two SW calls written and loaded: the state a bad input must leave alone."""
    calls = [sw_call("801101"), sw_call("801750")]
    for i, call in enumerate(calls):
        snap.write(
            "sw_index_daily", call, sw_bars(call.kwargs["symbol"], [100.0 + i, 101.0]), "real"
        )
    load_calls(db, snap, SW, calls)
    return calls


def rewrite_entry(snap: Snapshot, folder: str, call: Call, **changes) -> Path:
    path = snap.root / folder / f"{call_key(call)}.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**entry, **changes}, ensure_ascii=False), encoding="utf-8")
    return path


def rewrite_frame(snap: Snapshot, folder: str, call: Call, text: str) -> Path:
    """Replace a frame file's CSV text, with the checksum updated so only the content is bad."""
    path = snap.root / folder / f"{call_key(call)}.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    rewrite_entry(snap, folder, call, checksum=hashlib.sha256(text.encode()).hexdigest())
    return path


# -- a required call with no data ---------------------------------------------------------------


@pytest.mark.parametrize(
    "empty", [pd.DataFrame(), sw_bars("801101", [])], ids=["zero_columns", "zero_rows"]
)
def test_a_required_call_with_no_data_is_rejected_and_raw_keeps_its_rows(snap, db, empty):
    calls = sw_loaded(snap, db)
    before = raw_rows(db, "sw_index_daily")
    snap.write("sw_index_daily", calls[0], empty, "real")

    with pytest.raises(InputRejected) as caught:
        load_calls(db, snap, SW, calls, validate=lambda dataset, batch: True)

    rejected = caught.value
    assert (rejected.dataset, rejected.rule) == ("sw_index_daily", "empty_call")
    assert rejected.examples == [
        {"call": calls[0].describe(), "file": str(snap.paths("sw_index_daily", calls[0])[0])}
    ]
    message = str(rejected)
    assert "\n" not in message
    assert "'sw_index_daily'" in message and "symbol='801101'" in message
    assert f"{call_key(calls[0])}.csv.gz" in message and "sectorpulse record" in message
    assert raw_rows(db, "sw_index_daily") == before  # 801101's rows are not deleted


def test_combine_applies_the_same_rule_to_live_frames():
    fetched = [Fetched(sw_call("801101"), pd.DataFrame(), "real")]
    with pytest.raises(InputRejected, match="801101") as caught:
        combine(SW, fetched)
    assert caught.value.rule == "empty_call"


def test_an_empty_call_is_fine_where_the_spec_allows_it(snap, db):
    assert STOCK.empty_ok  # a suspended stock has no bars
    calls = [stock_call("000001"), stock_call("600000")]
    snap.write("stock_daily", calls[0], stock_bars("000001", [10.0, 10.5]), "real")
    snap.write("stock_daily", calls[1], pd.DataFrame(), "real")
    load = load_calls(db, snap, STOCK, calls)
    assert (load.calls, load.inserted) == (2, 2)


def test_the_bundled_sample_loads(tmp_path):
    loads = load_snapshot(tmp_path / "w.duckdb", Snapshot(SAMPLE_SNAPSHOT))
    assert {load.dataset for load in loads} == set(SPECS)
    # the optional datasets the sample leaves out (DatasetSpec.optional) load no call
    held = [load for load in loads if not SPECS[load.dataset].optional]
    assert all(load.reader == "csv" and load.inserted > 0 for load in held)
    assert all(load.calls == 0 for load in loads if SPECS[load.dataset].optional)


# -- manifests ----------------------------------------------------------------------------------


def test_a_manifest_key_leading_outside_the_snapshot_is_refused(snap, db, tmp_path):
    calls = sw_loaded(snap, db)
    before = raw_rows(db, "sw_index_daily")
    # The leak: a key that names a frame outside the snapshot, with rows of another index.
    outside = tmp_path / "outside"
    outside.mkdir()
    stolen = Snapshot(tmp_path / "other")
    entry = stolen.write("sw_index_daily", calls[0], sw_bars("801101", [1.0, 2.0, 3.0]), "real")
    shutil.copy(stolen.paths("sw_index_daily", calls[0])[0], outside / "stolen.csv.gz")
    rewrite_entry(
        snap, "sw_index_daily", calls[0], key="../../../outside/stolen", checksum=entry.checksum
    )

    with pytest.raises(InputRejected) as caught:
        load_calls(db, snap, SW, calls)

    assert caught.value.rule == "manifest_key"
    assert "'../../../outside/stolen'" in str(caught.value)
    assert call_key(calls[0]) in str(caught.value)  # the key it must have
    assert raw_rows(db, "sw_index_daily") == before


def test_a_manifest_of_another_dataset_is_refused(snap, db):
    calls = sw_loaded(snap, db)
    rewrite_entry(snap, "sw_index_daily", calls[1], dataset="csi_index_daily")
    with pytest.raises(InputRejected, match="manifest dataset 'csi_index_daily'") as caught:
        load_calls(db, snap, SW, calls)
    assert caught.value.rule == "manifest_dataset"
    assert caught.value.examples[0]["file"].endswith(f"{call_key(calls[1])}.json")


def test_a_manifest_that_describes_another_call_is_refused(snap, db):
    calls = sw_loaded(snap, db)
    other = sw_call("801010")
    rewrite_entry(snap, "sw_index_daily", calls[0], kwargs=dict(other.kwargs), key=call_key(other))
    with pytest.raises(InputRejected, match="801010") as caught:
        load_calls(db, snap, SW, calls)
    assert caught.value.rule == "manifest_key"


def test_entries_check_the_function_against_the_spec_and_its_fallbacks(snap):
    csi = SPECS["csi_index_daily"]
    fallback = Call(csi.fallbacks[0].function, {"symbol": "sh000300"})
    snap.write("csi_index_daily", fallback, pd.DataFrame({"date": ["2025-01-24"]}), "real")
    assert [e.function for e in snap.entries("csi_index_daily")] == [fallback.function]

    foreign = Call("stock_zh_a_hist", {"symbol": "000001"})
    snap.write("sw_index_daily", foreign, stock_bars("000001", [1.0]), "real")
    with pytest.raises(ManifestMismatch, match="'stock_zh_a_hist' is not one") as caught:
        snap.entries("sw_index_daily")
    assert caught.value.rule == "manifest_function"


def test_nothing_is_read_outside_the_snapshot(snap, tmp_path):
    call = sw_call("801750")
    with pytest.raises(ManifestMismatch, match="outside the snapshot"):
        snap.read("../elsewhere", call)
    # a symlinked entry that resolves outside the root
    elsewhere = Snapshot(tmp_path / "elsewhere")
    elsewhere.write("sw_index_daily", call, sw_bars("801750", [1.0]), "real")
    (snap.root / "sw_index_daily").mkdir()
    for path in elsewhere.paths("sw_index_daily", call):
        (snap.root / "sw_index_daily" / path.name).symlink_to(path)
    with pytest.raises(ManifestMismatch, match="outside the snapshot"):
        snap.read("sw_index_daily", call)
    with pytest.raises(ManifestMismatch, match="outside the snapshot"):
        snap.entries()


# -- columns ------------------------------------------------------------------------------------


def _reordered(frame: pd.DataFrame) -> pd.DataFrame:
    names = list(frame.columns)
    names[2], names[3] = names[3], names[2]
    return frame[names]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda f: f.assign(备注="x"), "extra 备注"),
        (lambda f: f.drop(columns=["最低"]), "missing 最低"),
        (_reordered, "another order"),
    ],
    ids=["extra", "missing", "reordered"],
)
@pytest.mark.parametrize("dataset", ["stock_daily", "sw_index_daily"])
def test_other_columns_are_refused_alike_in_every_dataset(snap, db, dataset, change, named):
    spec = SPECS[dataset]
    make, call = (
        (stock_bars, stock_call("000001"))
        if dataset == "stock_daily"
        else (sw_bars, sw_call("801750"))
    )
    good = Call(
        call.function, {**call.kwargs, "symbol": "000002" if dataset == "stock_daily" else "801010"}
    )
    snap.write(dataset, good, make(good.kwargs["symbol"], [10.0]), "real")
    snap.write(dataset, call, change(make(call.kwargs["symbol"], [10.0, 11.0])), "real")

    with pytest.raises(InputRejected) as caught:
        load_calls(db, snap, spec, [good, call], validate=lambda d, b: True)

    rejected = caught.value
    assert (rejected.dataset, rejected.rule) == (dataset, "columns")
    assert named in str(rejected) and call.describe() in str(rejected)
    assert f"{call_key(call)}.csv.gz" in str(rejected)
    assert len(rejected.examples) == 1
    with connect(db) as con:  # nothing was written, not even the good call
        assert not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()[0][0]


def test_combine_refuses_an_extra_column_instead_of_dropping_it():
    frames = [
        Fetched(stock_call("000001"), stock_bars("000001", [10.0]), "real"),
        Fetched(stock_call("000002"), stock_bars("000002", [10.0]).assign(备注="x"), "real"),
    ]
    with pytest.raises(InputRejected, match="extra 备注") as caught:
        combine(STOCK, frames)
    assert caught.value.rule == "columns"


# -- files that cannot be read ------------------------------------------------------------------


def test_a_truncated_gzip_is_named(snap, db):
    calls = sw_loaded(snap, db)
    path = snap.paths("sw_index_daily", calls[0])[0]
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(UnreadableFile, match=rf"{path.name}: not a complete gzip file"):
        snap.read("sw_index_daily", calls[0])
    with pytest.raises(InputRejected) as caught:
        load_calls(db, snap, SW, calls)
    assert caught.value.rule == "unreadable_file" and str(path) in str(caught.value)


@pytest.mark.parametrize("which", ["entry", "snapshot.json"])
def test_invalid_manifest_json_is_named(snap, db, which):
    calls = sw_loaded(snap, db)
    path = snap.meta_path if which == "snapshot.json" else snap.paths("sw_index_daily", calls[0])[1]
    path.write_text('{"key": "truncated', encoding="utf-8")
    with pytest.raises(UnreadableFile, match=rf"{path.name}: invalid JSON"):
        snap.read_meta() if which == "snapshot.json" else snap.entries()
    if which == "entry":
        with pytest.raises(InputRejected, match=path.name) as caught:
            load_calls(db, snap, SW, calls)
        assert caught.value.rule == "unreadable_file"


@pytest.mark.parametrize("reader", ["csv", "frames"])
def test_a_corrupt_csv_is_named(snap, db, reader):
    calls = sw_loaded(snap, db)
    before = raw_rows(db, "sw_index_daily")
    header = ",".join(SW.columns)
    row = "801101,2025-01-13,1,1,1,1,1,1"
    path = rewrite_frame(snap, "sw_index_daily", calls[0], f"{header}\n{row}\n{row},1,1\n")
    if reader == "frames":  # another kind than the spec's sends the load through pandas
        rewrite_entry(
            snap,
            "sw_index_daily",
            calls[0],
            columns=[{"name": c, "kind": "str"} for c in SW.columns],
        )
    with pytest.raises(InputRejected) as caught:
        load_calls(db, snap, SW, calls)
    assert caught.value.rule == "unreadable_file"
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert raw_rows(db, "sw_index_daily") == before


def test_a_tampered_frame_is_refused_by_its_checksum(snap, db):
    calls = sw_loaded(snap, db)
    path = snap.paths("sw_index_daily", calls[1])[0]
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()).replace(b"101.0", b"909.0")))
    with pytest.raises(InputRejected, match="checksum") as caught:
        load_calls(db, snap, SW, calls)
    assert caught.value.rule == "checksum" and str(path) in str(caught.value)


def test_input_rejected_is_a_validation_failure_with_its_attributes():
    rejected = InputRejected("stock_daily", "columns", "x", [{"a": i} for i in range(5)])
    assert isinstance(rejected, BulkValidationError)
    assert rejected.examples == [{"a": 0}, {"a": 1}, {"a": 2}]
    assert str(rejected) == "dataset 'stock_daily': x"


# -- a read-only warehouse ----------------------------------------------------------------------


def test_a_read_only_warehouse_folder_is_named_before_anything_runs(db, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(
        warehouse.os, "access", lambda p, mode: Path(p) != db.parent and real_access(p, mode)
    )
    refused = pytest.raises(
        WarehouseError, match=r"cannot write .*w\.duckdb: its folder .* read-only"
    )
    with refused, connect(db):
        pass


class FailingCommit:
    """A connection whose COMMIT fails as DuckDB's does in a read-only folder: the transaction
    is over, so a ROLLBACK after it fails with "no transaction is active"."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, *args):
        if sql == "COMMIT":
            self.con.execute("ROLLBACK")
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Cannot open file "w.duckdb.wal": '
                "Permission denied"
            )
        return self.con.execute(sql, *args)


def test_a_failed_commit_is_not_masked_by_its_rollback(db):
    with connect(db) as con:
        con.execute("CREATE TABLE t (a INT)")
        refused = pytest.raises(
            WarehouseError, match=r"cannot write .*w\.duckdb: permission denied"
        )
        with refused, transaction(FailingCommit(con), db):
            con.execute("INSERT INTO t VALUES (1)")
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions apply, also to root (who ignores them)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions would not apply")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


@pytest.mark.parametrize("read_only", ["folder", "file"])
def test_loading_into_a_read_only_warehouse_names_the_cause(snap, db, read_only):
    calls = sw_loaded(snap, db)
    snap.write("sw_index_daily", calls[0], sw_bars("801101", [1.0, 2.0, 3.0]), "real")
    target, mode = (db.parent, 0o555) if read_only == "folder" else (db, 0o444)
    code = (
        "from ingestion.bulk import load_calls; from ingestion.snapshot import Snapshot; "
        "from ingestion.specs import SPECS, Call; "
        f"load_calls({str(db)!r}, Snapshot({str(snap.root)!r}), SPECS['sw_index_daily'], "
        f"[Call('index_hist_sw', {{'symbol': s, 'period': 'day'}}) for s in ('801101', '801750')])"
    )
    target.chmod(mode)
    try:
        done = subprocess.run(
            [*without_root_powers(), sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[1],
            timeout=120,
        )
    finally:
        target.chmod(0o755 if read_only == "folder" else 0o644)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode != 0
    assert last.startswith(f"ingestion.warehouse.WarehouseError: cannot write {db}")
    assert "read-only (permission denied" in last and "no transaction" not in done.stderr


# -- the previous close for the price-limit checks ---------------------------------------------


class Batches(list):
    """A validator that keeps the batches it is given (and passes them)."""

    def __call__(self, dataset: str, batch: pd.DataFrame) -> bool:
        self.append(batch)
        return True

    def __bool__(self) -> bool:  # a validator, even before its first batch
        return True


def bar_columns(batch: pd.DataFrame) -> list[tuple]:
    rows = batch.sort_values(["_call_key", "日期"])
    return [
        (
            r["_call_key"][-10:],
            r["日期"],
            None if pd.isna(r["_prev_close"]) else r["_prev_close"],
            r["_bar_number"],
        )
        for _, r in rows.iterrows()
    ]


def test_a_new_days_batch_carries_the_previous_close_of_its_call(snap, db):
    calls = [stock_call("000001"), stock_call("000002")]
    snap.write("stock_daily", calls[0], stock_bars("000001", [10.0, 11.0]), "real")
    snap.write("stock_daily", calls[1], stock_bars("000002", [20.0]), "real")
    first = Batches()
    load_calls(db, snap, STOCK, calls, first)
    k0, k1 = call_key(calls[0])[-10:], call_key(calls[1])[-10:]
    d = [FIRST_DAY + timedelta(days=i) for i in range(3)]
    assert bar_columns(first[0]) == [(k0, d[0], None, 1), (k0, d[1], 10.0, 2), (k1, d[0], None, 1)]
    assert first[0]["_prev_close"].dtype == "float64"
    assert first[0]["_bar_number"].dtype == "int64"

    snap.write("stock_daily", calls[0], stock_bars("000001", [10.0, 11.0, 12.1]), "real")
    again = Batches()
    load = load_calls(db, snap, STOCK, calls, again)
    # only the new bar is the batch, with the close of the bar before it
    assert load.inserted == 1
    assert bar_columns(again[0]) == [(k0, d[2], 11.0, 3)]
    assert "_prev_close" not in [
        r[0] for r in duckdb.connect(str(db)).execute("DESCRIBE raw.stock_daily").fetchall()
    ]


def test_a_repeated_new_day_keeps_both_rows_in_the_batch(snap, db):
    call = stock_call("000001")
    snap.write("stock_daily", call, stock_bars("000001", [10.0, 11.0]), "real")
    load_calls(db, snap, STOCK, [call])
    bars = stock_bars("000001", [10.0, 11.0, 12.0])
    snap.write("stock_daily", call, pd.concat([bars, bars.tail(1)], ignore_index=True), "real")
    batches = Batches()
    load_calls(db, snap, STOCK, [call], batches)
    day = FIRST_DAY + timedelta(days=2)
    key = call_key(call)[-10:]
    assert bar_columns(batches[0]) == [(key, day, 11.0, 3), (key, day, 11.0, 3)]


def test_the_index_batches_carry_it_too_and_other_datasets_do_not(snap, db):
    assert set(BAR_DATASETS) == {"stock_daily", "sw_index_daily", "csi_index_daily"}
    batches = Batches()
    calls = [sw_call("801750")]
    snap.write("sw_index_daily", calls[0], sw_bars("801750", [100.0, 99.0]), "real")
    load_calls(db, snap, SW, calls, batches)
    assert [(p, n) for *_, p, n in bar_columns(batches[0])] == [(None, 1), (100.0, 2)]

    names = SPECS["stock_names"]
    [call] = names.plan(RunWindow(as_of=date(2025, 1, 24)), {})
    snap.write("stock_names", call, pd.DataFrame({c: ["1"] for c in names.columns}), "real")
    load_calls(db, snap, names, [call], batches)
    assert "_prev_close" not in batches[-1].columns


def test_the_frames_reader_computes_the_same_bar_columns(snap, db, tmp_path):
    calls = [stock_call("000001"), stock_call("000002")]
    snap.write("stock_daily", calls[0], stock_bars("000001", [10.0, 11.0, 12.0]), "real")
    snap.write("stock_daily", calls[1], stock_bars("000002", [20.0, 21.0]), "real")
    by_csv = Batches()
    load_calls(tmp_path / "csv.duckdb", snap, STOCK, calls, by_csv)
    # 成交量 recorded as float (a NaN) is another kind than the spec's int: the frames reader
    volumes = stock_bars("000002", [20.0, 21.0]).assign(成交量=[100.0, float("nan")])
    snap.write("stock_daily", calls[1], volumes, "real")
    by_frames = Batches()
    load = load_calls(tmp_path / "frames.duckdb", snap, STOCK, calls, by_frames)
    assert load.reader == "frames"
    assert bar_columns(by_frames[0]) == bar_columns(by_csv[0])


# -- live without a network ---------------------------------------------------------------------


@pytest.fixture
def no_dns(monkeypatch):
    """Names do not resolve: what urllib3 meets when there is no network. Patched where urllib3
    connects, not socket.getaddrinfo, which pytest-socket patches and restores itself."""
    import urllib3.util.connection

    def fail(address, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known [fake]")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", fail)


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def offline_net() -> Net:
    return Net(NetConfig(throttle_scale=0.0, budgets={}, sleep=Waits(), seed=1))


def test_a_name_that_does_not_resolve_is_no_network_not_a_ban(no_dns):
    net = offline_net()
    with pytest.raises(NoNetwork) as caught:
        Caller(net).call(SW, sw_call("801750"))
    message = str(caught.value)
    assert message.startswith("no network: cannot resolve www.swsresearch.com")
    assert "--source sample" in message and "ban" not in message and "[fake]" in message
    assert net.requests["www.swsresearch.com"] == 2  # two tries, no minutes of backoff
    assert sum(net.config.sleep) <= 2  # type: ignore[arg-type]
    # and the next call to it fails at once
    with pytest.raises(NoNetwork):
        Caller(net).call(SW, sw_call("801010"))
    assert net.requests["www.swsresearch.com"] == 2


def test_with_no_network_the_fallbacks_fail_fast_with_the_same_message(no_dns):
    net = offline_net()
    csi = Call(
        "stock_zh_index_hist_csindex",
        {"symbol": "000300", "start_date": "20250102", "end_date": "20250124"},
    )
    with pytest.raises(NoNetwork, match=r"no network: cannot resolve .*\[fake\]"):
        Caller(net).call(SPECS["csi_index_daily"], csi)
    # csindex, then Eastmoney and Sina: two tries each, none of them through a real resolver
    assert set(net.requests.values()) == {2} and len(net.unresolved) == 3
    assert all("[fake]" in why for why in net.unresolved.values())


def test_dns_failure_is_told_apart_from_other_connection_errors(no_dns):
    import requests

    with pytest.raises(requests.ConnectionError) as caught:
        requests.get("https://www.swsresearch.com/", timeout=1)
    assert "Name or service not known" in (dns_failure(caught.value) or "")
    assert dns_failure(requests.ConnectionError("Connection reset by peer")) is None
    assert dns_failure(ConnectionError("curl: (6) Could not resolve host: x.cn")) is not None
