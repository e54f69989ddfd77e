"""The raw layer in DuckDB: one table per dataset, frames as fetched plus load metadata.

Loads are idempotent (the rows of each loaded call replace that call's previous rows) and
transactional (a failed load rolls back and leaves the previous state). Connections are opened per
operation, never at import time, because DuckDB allows one writer per file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.fetcher import Fetched
from ingestion.snapshot import call_key
from ingestion.specs import DatasetSpec

RAW_SCHEMA = "raw"
SQL_TYPES = {"str": "VARCHAR", "date": "DATE", "float": "DOUBLE", "int": "BIGINT"}
METADATA_COLUMNS = {
    "_load_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "_source": "VARCHAR",
    "_snapshot": "VARCHAR",
    "_call_key": "VARCHAR",
    "_call_args": "VARCHAR",
    "_provenance": "VARCHAR",
}


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET enable_progress_bar = false")  # it would print into the run's logs
    try:
        yield con
    finally:
        con.close()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_table(spec: DatasetSpec) -> str:
    return f"{RAW_SCHEMA}.{quote(spec.name)}"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> None:
    columns = {**{c: SQL_TYPES[k] for c, k in spec.columns.items()}, **METADATA_COLUMNS}
    ddl = ", ".join(f"{quote(c)} {t}" for c, t in columns.items())
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(spec)} ({ddl})")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._loads (load_id VARCHAR, dataset VARCHAR, "
        "loaded_at TIMESTAMP, source VARCHAR, snapshot VARCHAR, calls BIGINT, rows BIGINT)"
    )


@dataclass(frozen=True)
class LoadResult:
    load_id: str
    dataset: str
    calls: int
    rows: int
    loaded_at: datetime


def combine(spec: DatasetSpec, fetched: Sequence[Fetched]) -> pd.DataFrame:
    """All calls' frames with per-call metadata columns, ready for validation and loading.

    Columns are joined "inner": a column missing from any call's frame is missing from the
    result, so the raw suite sees it and fails rather than loading nulls.
    """
    parts = []
    for item in fetched:
        if item.frame.shape[1] == 0 or item.frame.empty:
            continue
        part = item.frame.copy()
        part["_call_key"] = call_key(item.call)
        part["_call_args"] = json.dumps(dict(sorted(item.call.kwargs.items())), ensure_ascii=False)
        part["_provenance"] = item.provenance
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*spec.columns, "_call_key", "_call_args", "_provenance"])
    return pd.concat(parts, ignore_index=True, join="inner")


def load_raw(
    db_path: str | Path,
    spec: DatasetSpec,
    fetched: Sequence[Fetched],
    source: str,
    snapshot: str = "",
) -> LoadResult:
    """Replace the rows of every loaded call, in one transaction."""
    frame = combine(spec, fetched)
    load_id = uuid.uuid4().hex[:12]
    loaded_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    keys = pd.DataFrame(
        {"_call_key": pd.Series(sorted({call_key(f.call) for f in fetched}), dtype="str")}
    )
    select = ", ".join(
        [f"CAST({quote(c)} AS {SQL_TYPES[k]}) AS {quote(c)}" for c, k in spec.columns.items()]
        + [
            "CAST($load_id AS VARCHAR)",
            "CAST($loaded_at AS TIMESTAMP)",
            "CAST($source AS VARCHAR)",
            "CAST($snapshot AS VARCHAR)",
            "_call_key",
            "_call_args",
            "_provenance",
        ]
    )
    with connect(db_path) as con:
        ensure_raw_table(con, spec)
        con.register("incoming_frame", frame)
        con.register("incoming_keys", keys)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"DELETE FROM {raw_table(spec)} WHERE _call_key IN (SELECT _call_key FROM incoming_keys)"
            )
            con.execute(
                f"INSERT INTO {raw_table(spec)} SELECT {select} FROM incoming_frame",
                {
                    "load_id": load_id,
                    "loaded_at": loaded_at,
                    "source": source,
                    "snapshot": snapshot,
                },
            )
            con.execute(
                f"INSERT INTO {RAW_SCHEMA}._loads VALUES (?, ?, ?, ?, ?, ?, ?)",
                [load_id, spec.name, loaded_at, source, snapshot, len(keys), len(frame)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return LoadResult(load_id, spec.name, len(keys), len(frame), loaded_at)


def read_raw_frame(db_path: str | Path, spec: DatasetSpec) -> pd.DataFrame:
    """A dataset's raw rows under akshare's column names, for planning the calls that depend on it."""
    columns = ", ".join(quote(c) for c in spec.columns)
    with connect(db_path, read_only=True) as con:
        return con.execute(f"SELECT {columns} FROM {raw_table(spec)}").df()


def has_relation(db_path: str | Path, schema: str, name: str) -> bool:
    """Whether the warehouse holds this table or view (False when there is no warehouse yet)."""
    if not Path(db_path).exists():
        return False
    with connect(db_path, read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
    return found[0][0] > 0
