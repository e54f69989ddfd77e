"""The bad-input suite (issue 9): every kind of bad input is rejected by a named check, and
nothing of it reaches raw.* (or, end to end, the published marts).

Each case copies the bundled sample into tmp_path (hard links for the datasets it leaves alone,
real copies for the one it damages), rewrites one entry with Snapshot.write (so checksums
match and only the content is bad) or damages a file or manifest directly, and runs the one
raw step that dataset has (orchestration.assets.ingest_dataset, exactly what the Dagster raw
asset runs) on a copy of a warehouse that already holds the whole sample. The kinds are
documented in docs/data-quality.md ("Bad inputs the pipeline rejects").
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.fetcher import ReplayFetcher
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Entry, MissingEntryError, Snapshot, UnreadableFile
from ingestion.specs import SPECS
from orchestration.assets import Ingested, ingest_dataset

OHLC = ["开盘", "收盘", "最高", "最低"]
STOCK = "000001"  # 平安银行, main board (±10%)


# -- building a damaged copy of the sample ------------------------------------------------------


def copy_sample(target: Path, mutated: str | None) -> Snapshot:
    """The sample under `target`: the `mutated` dataset folder and snapshot.json copied (they
    are rewritten in place), every other file hard-linked (cheap, and a link resolves inside
    the snapshot, which a symlink would not)."""
    target.mkdir(parents=True)
    shutil.copy2(SAMPLE_SNAPSHOT / "snapshot.json", target / "snapshot.json")
    for folder in sorted(p for p in SAMPLE_SNAPSHOT.iterdir() if p.is_dir()):
        copy = shutil.copy2 if folder.name == mutated else os.link
        shutil.copytree(folder, target / folder.name, copy_function=copy)
    return Snapshot(target)


def find_entry(snap: Snapshot, dataset: str, **kwargs: str) -> Entry:
    for entry in snap.entries(dataset):
        if all(entry.kwargs.get(k) == v for k, v in kwargs.items()):
            return entry
    raise AssertionError(f"no {dataset} entry with {kwargs}")


def rewrite(
    snap: Snapshot, dataset: str, change: Callable[[pd.DataFrame], pd.DataFrame], **kwargs: str
) -> None:
    """Rewrite one call's frame with Snapshot.write: a consistent entry, bad content."""
    entry = find_entry(snap, dataset, **kwargs)
    frame, _ = snap.read(dataset, entry.call)
    snap.write(dataset, entry.call, change(frame.copy()), entry.provenance, note="bad input")


def entry_files(snap: Snapshot, dataset: str, **kwargs: str) -> tuple[Path, Path]:
    return snap.paths(dataset, find_entry(snap, dataset, **kwargs).call)


def edit_manifest(snap: Snapshot, folder: str, **changes: object) -> Callable[[], None]:
    def mutate() -> None:
        _, meta = entry_files(snap, folder)
        data = json.loads(meta.read_text(encoding="utf-8"))
        meta.write_text(json.dumps({**data, **changes}, ensure_ascii=False), encoding="utf-8")

    return mutate


def on_day(frame: pd.DataFrame, column: str, day: str) -> pd.Series:
    return pd.to_datetime(frame[column]).dt.date == date.fromisoformat(day)


def scale(columns: list[str], column: str, day: str, factor: float):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        rows = on_day(frame, column, day)
        assert rows.sum() == 1, f"no bar on {day}"
        frame.loc[rows, columns] = frame.loc[rows, columns] * factor
        return frame

    return change


def set_value(column: str, value: object, row: int = -1):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        if isinstance(value, str):  # text in a column of another kind
            frame[column] = frame[column].astype(object)
        frame.iloc[row, frame.columns.get_loc(column)] = value
        return frame

    return change


def redate(column: str, day: str, new_day: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        rows = on_day(frame, column, day)
        assert rows.sum() == 1
        frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = date.fromisoformat(new_day)
        return frame

    return change


def drop_latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:-1]


def miit_contradicting_yoy(frame: pd.DataFrame) -> pd.DataFrame:
    # 2024 annual revenue total: MIIT published +10.7% over 2023; make it +55%.
    rows = (
        (frame["period_type"] == "annual")
        & (frame["period_end"] == "2024-12")
        & (frame["metric"] == "revenue")
        & (frame["segment"] == "total")
    )
    assert rows.sum() == 1
    frame.loc[rows, "yoy_pct"] = 55.0
    return frame


# -- the kinds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    dataset: str
    mutate: Callable[[Snapshot], None]
    expect: str  # InputRejected rule, or a failing GX part or expectation
    raises: type[Exception] | None = None  # raised instead of a failed check
    names: str = ""  # what the message (or exception) must name besides the dataset


def r(dataset: str, change, expect: str, names: str = "", **kwargs: str) -> Case:
    return Case(dataset, lambda s: rewrite(s, dataset, change, **kwargs), expect, names=names)


def damage(dataset: str, mutate, expect: str, names: str = "", raises=None) -> Case:
    return Case(dataset, mutate, expect, raises=raises, names=names)


def truncate_gzip(snap: Snapshot) -> None:
    data, _ = entry_files(snap, "stock_daily", symbol=STOCK)
    data.write_bytes(data.read_bytes()[:200])


def invalid_json(snap: Snapshot) -> None:
    _, meta = entry_files(snap, "stock_daily", symbol=STOCK)
    meta.write_text('{"key": "stock_zh_a_hist', encoding="utf-8")


def changed_file(snap: Snapshot) -> None:
    """The frame changed after it was recorded, its manifest did not."""
    data, _ = entry_files(snap, "stock_daily", symbol=STOCK)
    text = gzip.decompress(data.read_bytes()).decode().replace(",7.99,", ",79.9,", 1)
    data.write_bytes(gzip.compress(text.encode()))


def remove_entry(snap: Snapshot) -> None:
    for path in entry_files(snap, "stock_daily", symbol=STOCK):
        path.unlink()


def unreadable_meta(snap: Snapshot) -> None:
    snap.meta_path.write_text('{"format": "sectorpulse-snapshot/1", "window": ', encoding="utf-8")


def extra_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(备注="x")


def reordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(reversed(frame.columns))]


def duplicate_last(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.tail(1)], ignore_index=True)


def high_below_low(frame: pd.DataFrame) -> pd.DataFrame:
    frame.iloc[-1, frame.columns.get_loc("最高")] = frame["最低"].iloc[-1] - 1
    return frame


def csi_300_missing(snap: Snapshot) -> None:
    # The 000300 call answers with the other benchmark's rows (a wrong index, not no data).
    other, _ = snap.read(
        "csi_index_daily", find_entry(snap, "csi_index_daily", symbol="930651").call
    )
    rewrite(snap, "csi_index_daily", lambda _: other, symbol="000300")


def cell(column: str, value: object, row: int = -1):
    return set_value(column, value, row)


CASES: dict[str, Case] = {
    # required calls with no data
    "empty-call-rows": r(
        "sw_index_daily", lambda f: f.iloc[:0], "empty_call", "801101", symbol="801101"
    ),
    "empty-call-columns": r(
        "sw_index_daily", lambda f: pd.DataFrame(), "empty_call", "801101", symbol="801101"
    ),
    # units and moves
    "stock-x100-last-week": r(
        "stock_daily", scale(OHLC, "日期", "2025-01-22", 100), "moves", STOCK, symbol=STOCK
    ),
    "stock-x100-dormant": r(
        "stock_daily", scale(OHLC, "日期", "2024-06-04", 100), "moves", STOCK, symbol=STOCK
    ),
    "sw-index-x100-one-day": r(
        "sw_index_daily", scale(OHLC, "日期", "2025-01-22", 100), "moves", "801101", symbol="801101"
    ),
    # classification and MIIT
    "classification-999999": r(
        "sw_classification", set_value("industry_code", "999999", 0), "l1_industry", "999999"
    ),
    "miit-yoy-vs-prior": r("miit_software_stats", miit_contradicting_yoy, "yoy_vs_prior", "55"),
    "miit-share-over-100": r(
        "miit_software_stats",
        set_value("share_pct", 130.0, -1),
        "expect_column_values_to_be_between",
        "share_pct",
    ),
    "miit-unknown-metric": r(
        "miit_software_stats",
        set_value("metric", "revenue_usd", -1),
        "expect_column_values_to_be_in_set",
        "metric",
    ),
    # columns
    "extra-column": r("stock_daily", extra_column, "columns", "备注", symbol=STOCK),
    "missing-column": r(
        "stock_daily", lambda f: f.drop(columns="换手率"), "columns", "换手率", symbol=STOCK
    ),
    "reordered-columns": r("stock_daily", reordered, "columns", "", symbol=STOCK),
    # dates
    "stock-bar-on-sunday": r(
        "stock_daily",
        redate("日期", "2025-01-17", "2025-01-19"),
        "dates",
        "2025-01-19",
        symbol=STOCK,
    ),
    "stock-bar-after-as-of": r(
        "stock_daily",
        redate("日期", "2025-01-24", "2025-01-27"),
        "dates",
        "2025-01-27",
        symbol=STOCK,
    ),
    # values
    "stock-nan-close": r(
        "stock_daily",
        cell("收盘", float("nan")),
        "expect_column_values_to_not_be_null",
        "收盘",
        symbol=STOCK,
    ),
    "stock-negative-close": r(
        "stock_daily",
        cell("收盘", -5.0),
        "expect_column_values_to_be_between",
        "收盘",
        symbol=STOCK,
    ),
    "stock-high-below-low": r(
        "stock_daily",
        high_below_low,
        "expect_column_pair_values_a_to_be_greater_than_b",
        "最高",
        symbol=STOCK,
    ),
    "stock-duplicate-bar": r(
        "stock_daily",
        duplicate_last,
        "expect_compound_columns_to_be_unique",
        "2025-01-24",
        symbol=STOCK,
    ),
    "stock-text-in-numeric": r(
        "stock_daily",
        cell("收盘", "n/a"),
        "expect_column_values_to_be_in_type_list",
        "收盘",
        symbol=STOCK,
    ),
    "stock-5-digit-code": r(
        "stock_daily",
        lambda f: f.assign(股票代码="00001"),
        "expect_column_values_to_match_regex",
        "00001",
        symbol=STOCK,
    ),
    "sw-29-of-31-l1-latest": Case(
        "sw_index_daily",
        lambda s: (
            rewrite(s, "sw_index_daily", drop_latest, symbol="801010"),
            rewrite(s, "sw_index_daily", drop_latest, symbol="801030"),
        ),
        "l1_latest",
    ),
    "sw-spot-30-industries": r("sw_index_spot", drop_latest, "l1", "", symbol="一级行业"),
    "csi-300-missing": damage(
        "csi_index_daily", csi_300_missing, "expect_column_distinct_values_to_contain_set", "000300"
    ),
    # Rows are compared as a set, so a calendar in another order is no change; a day before
    # the SSE's first trading day is.
    "calendar-before-first-trading-day": r(
        "trade_calendar",
        set_value("trade_date", date(1989, 1, 2), 0),
        "expect_column_values_to_be_between",
        "trade_date",
    ),
    "valuation-negative-market-cap": r(
        "stock_valuation",
        cell("总市值", -1.0),
        "expect_column_values_to_be_between",
        "总市值",
        symbol=STOCK,
    ),
    "valuation-duplicate-date": r(
        "stock_valuation", duplicate_last, "per_call_keys", "数据日期", symbol=STOCK
    ),
    # files and manifests
    "manifest-key-outside": damage(
        "stock_daily",
        lambda s: edit_manifest(s, "stock_daily", key="../../../outside/stolen")(),
        "manifest_key",
        "stolen",
    ),
    "manifest-dataset-mismatch": damage(
        "stock_daily",
        lambda s: edit_manifest(s, "stock_daily", dataset="stock_valuation")(),
        "manifest_dataset",
        "stock_valuation",
    ),
    "manifest-function-mismatch": damage(
        "stock_daily",
        lambda s: edit_manifest(s, "stock_daily", function="stock_zh_a_spot_em")(),
        "manifest_key",  # the function is part of the key computed from the call
        "stock_zh_a_spot_em",
    ),
    "truncated-gzip": damage("stock_daily", truncate_gzip, "unreadable_file", ".csv.gz"),
    "invalid-entry-json": damage("stock_daily", invalid_json, "unreadable_file", ".json"),
    "file-changed-after-recording": damage("stock_daily", changed_file, "checksum", ".csv.gz"),
    "missing-entry": damage("stock_daily", remove_entry, "", STOCK, raises=MissingEntryError),
    "unreadable-snapshot-json": damage(
        "stock_daily", unreadable_meta, "", "snapshot.json", raises=UnreadableFile
    ),
}


# -- running one raw step ------------------------------------------------------------------------


def raw_digest(warehouse: Path) -> dict[str, str]:
    """sha256 of every raw.* table: its columns and its rows in a fixed order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "order by table_name"
            ).fetchall()
        ]
        digest = {}
        for table in tables:
            columns = con.execute(f'describe raw."{table}"').fetchall()
            (rows,) = con.execute(
                f"select coalesce(string_agg(cast(t as varchar), chr(10) order by cast(t as varchar)), '') "
                f'from raw."{table}" t'
            ).fetchone()
            digest[table] = hashlib.sha256(f"{columns}\n{rows}".encode()).hexdigest()
    return digest


def ingest(snapshot: Snapshot, dataset: str, warehouse: Path) -> Ingested:
    fetcher = ReplayFetcher(snapshot)
    return ingest_dataset(SPECS[dataset], fetcher, fetcher.window(), warehouse)


@pytest.fixture(scope="module")
def base_warehouse(sample_run) -> tuple[Path, dict[str, str]]:
    """The whole sample loaded (the session's shared sample run); every check passed."""
    return sample_run.warehouse, raw_digest(sample_run.warehouse)


def failure_tokens(ingested: Ingested) -> set[str]:
    """The rule, parts and expectations a failed raw check reports."""
    meta = ingested.metadata
    tokens = {str(meta.get("rule", ""))}
    for detail in meta.get("failure_details", []):
        tokens |= {str(detail.get("part", "")), str(detail.get("expectation", ""))}
    return tokens - {""}


# One case per kind of defence runs in `make test`; every case runs in `make test-slow` (CI).
FAST_CASES = {
    "stock-x100-dormant",
    "classification-999999",
    "miit-yoy-vs-prior",
    "manifest-key-outside",
}


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=[] if k in FAST_CASES else [pytest.mark.slow]) for k in CASES]
)
def test_bad_input_is_rejected(kind: str, base_warehouse, tmp_path: Path) -> None:
    case = CASES[kind]
    base, before = base_warehouse
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(base, warehouse)
    snapshot = copy_sample(tmp_path / "snapshot", case.dataset)
    case.mutate(snapshot)

    if case.raises:
        with pytest.raises(case.raises) as raised:
            ingest(snapshot, case.dataset, warehouse)
        message = str(raised.value)
        print(f"{kind}: {type(raised.value).__name__}: {message}")
        assert case.names in message
        assert "\n" not in message
    else:
        ingested = ingest(snapshot, case.dataset, warehouse)
        print(f"{kind}: {ingested.message}")
        assert ingested.passed is False
        assert ingested.loaded is None
        assert ingested.check_name == f"gx_raw_{case.dataset}"
        assert case.expect in failure_tokens(ingested), failure_tokens(ingested)
        assert ingested.message.startswith(ingested.check_name)
        if "rule" not in ingested.metadata:  # a GX failure: its first line is the one that matters
            assert case.expect in ingested.message, ingested.message
        assert case.dataset in ingested.message
        assert case.names in ingested.message + json.dumps(
            ingested.metadata, ensure_ascii=False, default=str
        )
    assert raw_digest(warehouse) == before, "raw.* changed after a rejected input"
