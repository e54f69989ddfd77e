"""The raw layer in DuckDB: one table per dataset, frames as fetched plus load metadata.

Loads are idempotent (the rows of each loaded call replace that call's previous rows) and
transactional (a failed load rolls back and leaves the previous state). Connections are opened per
operation, never at import time, because DuckDB allows one writer per file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.errors import no_data, refuse_empty, refuse_other_columns
from ingestion.snapshot import Fetched, call_key
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


class WarehouseError(Exception):
    """The warehouse file cannot be opened or written, for a reason the user must fix."""


_FIX = "make it writable, or point SECTORPULSE_DUCKDB at a writable file"


def _cannot_write(path: Path, exc: BaseException | None = None) -> WarehouseError | None:
    """The real cause of a write that failed, when it is the file system's permissions."""
    if exc is not None and "permission denied" not in str(exc).lower():
        return None
    folder = path.parent
    if not os.access(folder, os.W_OK):
        why = (
            f"its folder {folder} is read-only (permission denied; DuckDB writes a .wal beside it)"
        )
    elif path.exists() and not os.access(path, os.W_OK):
        why = "the file is read-only (permission denied)"
    elif exc is not None:
        why = f"permission denied ({str(exc).splitlines()[0]})"
    else:
        return None
    return WarehouseError(f"cannot write {path}: {why}; {_FIX}")


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot write {path}: cannot create its folder ({exc})") from exc
        # A read-only folder lets DuckDB open the file and fails only at COMMIT (the .wal).
        if refused := _cannot_write(path):
            raise refused
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:  # a lock held by another process stays as it is
        if not read_only and (refused := _cannot_write(path, exc)):
            raise refused from exc
        raise
    con.execute("SET enable_progress_bar = false")  # it would print into the run's logs
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, path: str | Path) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on an error, which is raised as it was.

    A failed COMMIT has already ended the transaction, so its ROLLBACK fails too ("no
    transaction is active"): that second error must not hide the first.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as exc:
        with suppress(duckdb.Error):  # nothing left to roll back; the error below says why
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error) and (refused := _cannot_write(Path(path), exc)):
            raise refused from exc
        raise


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

    The rules of ingestion.errors apply first: a required call with no data, or a frame whose
    columns are not exactly the spec's, raises InputRejected (nothing is dropped or filled in).
    Calls with no data, where the spec allows it, add no rows.
    """
    empties = [f for f in fetched if no_data(*f.frame.shape)]
    refuse_empty(spec, [(f.call, "the fetched frame") for f in empties], len(fetched))
    with_rows = [f for f in fetched if not no_data(*f.frame.shape)]
    refuse_other_columns(spec, [(f.call, "the fetched frame", f.frame.columns) for f in with_rows])
    parts = []
    for item in with_rows:
        part = item.frame.copy()
        part["_call_key"] = call_key(item.call)
        part["_call_args"] = json.dumps(dict(sorted(item.call.kwargs.items())), ensure_ascii=False)
        part["_provenance"] = item.provenance
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*spec.columns, "_call_key", "_call_args", "_provenance"])
    return pd.concat(parts, ignore_index=True)


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
        with transaction(con, db_path):
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


BUILDS_TABLE = f"{RAW_SCHEMA}._builds"  # one row per dbt build that succeeded


@dataclass(frozen=True)
class Build:
    """A successful dbt build: raw rows loaded after `started_at` are not in its marts,
    `last_week` (a Monday) is the last week it served, and `models` a digest of the dbt code
    that built it (None: recorded before builds carried one)."""

    started_at: datetime
    last_week: date
    models: str | None = None


def record_build(db_path: str | Path, run_id: str, build: Build) -> None:
    with connect(db_path) as con:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} "
            "(run_id VARCHAR, started_at TIMESTAMP, last_week DATE, models VARCHAR)"
        )
        # A warehouse built before builds carried their code's digest.
        con.execute(f"ALTER TABLE {BUILDS_TABLE} ADD COLUMN IF NOT EXISTS models VARCHAR")
        con.execute(
            f"INSERT INTO {BUILDS_TABLE} (run_id, started_at, last_week, models) "
            "VALUES (?, ?, ?, ?)",
            [run_id, build.started_at, build.last_week, build.models],
        )


def last_build(db_path: str | Path) -> Build | None:
    """The latest recorded build; None before the first (a first build is full)."""
    if not has_relation(db_path, RAW_SCHEMA, "_builds"):
        return None
    with connect(db_path, read_only=True) as con:
        columns = {r[0] for r in con.execute(f"DESCRIBE {BUILDS_TABLE}").fetchall()}
        models = "models" if "models" in columns else "NULL"
        rows = con.execute(
            f"SELECT started_at, last_week, {models} FROM {BUILDS_TABLE} "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchall()
    return Build(*rows[0]) if rows else None


def changed_since(db_path: str | Path, specs: Sequence[DatasetSpec], build: Build) -> date | None:
    """The earliest date among raw rows loaded after `build` started.

    Those rows are in staging (views, or incremental on load time) but not yet in the marts built
    from them: the next build must rebuild from that date on, wherever the rebuild window is.
    None when nothing dated changed.
    """
    with connect(db_path, read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [RAW_SCHEMA],
            ).fetchall()
        }
        earliest = [
            con.execute(
                f"SELECT min(CAST({quote(s.date_column)} AS DATE)) FROM {raw_table(s)} "
                "WHERE _loaded_at > ?",
                [build.started_at],
            ).fetchall()[0][0]
            for s in specs
            if s.date_column and s.name in tables
        ]
    found = [d for d in earliest if d is not None]
    return min(found) if found else None
