"""Loading a snapshot's calls into raw.*, with DuckDB instead of one pandas frame per call.

Every raw asset loads this way, whatever the source (live and record runs first fetch what the
store snapshot lacks). The whole market is 5,000 stock calls per stock dataset and 12.5 M rows
each. The contract: exactly the planned calls (a missing entry raises MissingEntryError), every
entry's checksum checked, columns typed by the spec's kinds, and a failed load leaves raw.* as
it was. Two things are done for scale:

- **Reading.** Rows come from the snapshot's Parquet sidecar (`_bulk/<dataset>/*.parquet`, see
  `SidecarSink`) when it holds exactly the planned entries, matched by their checksums; otherwise
  from the gz CSVs, read by DuckDB after their checksums are verified. A dataset whose entries do
  not have exactly the spec's columns is read through pandas frames (`combine`), so the raw
  suite names the problem.
- **Writing by difference.** A call's rows are replaced as in `load_raw`, but rows already loaded
  identically are kept (with their load metadata): changed and new rows are inserted, rows gone
  from the call are deleted. The end state is `load_raw`'s. The inserted rows are the
  *batch*: what GX validates before anything is written (docs/scale.md). stock_value_em returns a
  stock's whole history on every call, so a weekly run's batch is still only the new week.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.fetcher import Fetched
from ingestion.snapshot import NULL, Entry, MissingEntryError, Snapshot, SnapshotError, call_key
from ingestion.specs import SPECS, Call, DatasetSpec, fetch_order
from ingestion.warehouse import (
    RAW_SCHEMA,
    SQL_TYPES,
    combine,
    connect,
    ensure_raw_table,
    quote,
    raw_table,
    read_raw_frame,
)

SIDECAR = "_bulk"  # <snapshot>/_bulk/<dataset>/part-<k>.parquet; no *.json, so not an entry
ROWS_PER_GROUP = 1_000_000
VALIDATE_CHUNK_ROWS = 1_000_000  # rows per GX validation of a big batch (memory)
# One call per stock, and suites that check nothing across calls: their batches may be validated
# in chunks of whole calls.
CHUNKED_DATASETS = ("stock_daily", "stock_valuation")
ARROW_TYPES = {"str": pa.string(), "date": pa.date32(), "float": pa.float64(), "int": pa.int64()}

# validate(dataset, batch) -> passed?  The batch is the rows to insert, shaped like `combine()`'s
# frame: akshare's columns and kinds plus _call_key, _call_args and _provenance.
Validator = Callable[[str, pd.DataFrame], bool]


class BulkValidationError(Exception):
    """The batch of a dataset failed validation; nothing of that dataset was written."""


@dataclass
class BulkLoad:
    dataset: str
    load_id: str
    calls: int
    rows_in_calls: int  # rows the planned calls hold
    inserted: int  # the batch: new or changed rows
    deleted: int  # rows gone from their call, or changed
    reader: str  # sidecar | csv | frames | none
    provenance: list[str] = field(default_factory=list)  # of the calls' entries
    seconds: dict[str, float] = field(default_factory=dict)  # read, diff, validate, write


# -- the sidecar --------------------------------------------------------------------------------


class SidecarSink:
    """Writes frames as `<folder>/<dataset>/part-<part>.parquet` in row groups.

    Columns: the spec's, typed by kind, then the call arguments the frame lacks
    (`call_args_in_frame`, e.g. `symbol` for stock_value_em), `_call_key`, and with `checksums`
    the entry's `_checksum`. In a snapshot's `_bulk/` folder it mirrors the entries exactly; with
    checksums=False it is plain raw Parquet (the bench's input).
    """

    def __init__(self, folder: str | Path, part: int = 0, checksums: bool = True):
        self.folder = Path(folder)
        self.part = part
        self.checksums = checksums
        self.pending: dict[str, list[pd.DataFrame]] = {}
        self.writers: dict[str, pq.ParquetWriter] = {}

    def add(
        self, dataset: str, call: Call, frame: pd.DataFrame, entry: Entry | None = None
    ) -> None:
        if frame.shape[1] == 0 or frame.empty:
            return
        extra = {arg: call.kwargs[arg] for arg in SPECS[dataset].call_args_in_frame}
        extra["_call_key"] = entry.key if entry else call_key(call)
        if self.checksums:
            if entry is None:
                raise ValueError("a sidecar row needs its entry's checksum")
            extra["_checksum"] = entry.checksum
        self.pending.setdefault(dataset, []).append(frame.assign(**extra))
        if sum(map(len, self.pending[dataset])) >= ROWS_PER_GROUP:
            self._flush(dataset)

    def _flush(self, dataset: str) -> None:
        frames = self.pending.pop(dataset, [])
        if not frames:
            return
        spec = SPECS[dataset]
        schema = pa.schema(
            [pa.field(c, ARROW_TYPES[k]) for c, k in spec.columns.items()]
            + [pa.field(a, pa.string()) for a in spec.call_args_in_frame]
            + [pa.field(c, pa.string()) for c in ("_call_key", "_checksum")[: 1 + self.checksums]]
        )
        frame = pd.concat(frames, ignore_index=True)[schema.names]
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        if dataset not in self.writers:
            path = self.folder / dataset / f"part-{self.part}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[dataset] = pq.ParquetWriter(path, schema)
        self.writers[dataset].write_table(table)

    def close(self) -> None:
        for dataset in list(self.pending):
            self._flush(dataset)
        for writer in self.writers.values():
            writer.close()


def sidecar_dir(snapshot: Snapshot) -> Path:
    return snapshot.root / SIDECAR


def write_sidecar(snapshot: Snapshot, datasets: Iterable[str] | None = None) -> None:
    """Add a sidecar to an existing snapshot (e.g. a recorded one), from its verified entries."""
    sink = SidecarSink(sidecar_dir(snapshot))
    for dataset in datasets or SPECS:
        for entry in snapshot.entries(dataset):
            frame, _ = snapshot.read(dataset, entry.call)
            sink.add(dataset, entry.call, frame, entry)
    sink.close()


# -- loading ------------------------------------------------------------------------------------


def load_snapshot(
    db_path: str | Path,
    snapshot: Snapshot,
    validate: Validator | None = None,
    datasets: Sequence[str] | None = None,
) -> list[BulkLoad]:
    """Load every dataset the specs plan for the snapshot's window into raw.*, in fetch order.

    Each dataset is one transaction, as each raw asset is one step: when a dataset's batch fails
    `validate`, BulkValidationError is raised and the datasets before it stay loaded.
    """
    loads = []
    for name in datasets or fetch_order():
        spec = SPECS[name]
        upstream = {d: read_raw_frame(db_path, SPECS[d]) for d in spec.depends_on}
        loads.append(
            load_calls(db_path, snapshot, spec, spec.plan(snapshot.window, upstream), validate)
        )
    return loads


def _entries_frame(entries: Sequence[Entry], paths: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": list(paths),
            "_call_key": [e.key for e in entries],
            "_call_args": [
                json.dumps(dict(sorted(e.kwargs.items())), ensure_ascii=False) for e in entries
            ],
            "_provenance": [e.provenance for e in entries],
            "_checksum": [e.checksum for e in entries],
        }
    )


def load_calls(
    db_path: str | Path,
    snapshot: Snapshot,
    spec: DatasetSpec,
    calls: Sequence[Call],
    validate: Validator | None = None,
    source: str | None = None,
) -> BulkLoad:
    """Load exactly `calls` of one dataset from `snapshot` into its raw table, in one transaction.

    `source` is recorded with the rows (default: the snapshot's path; "live" for a live run,
    whose calls were recorded into the store snapshot first).
    """
    started = time.perf_counter()
    entries = [snapshot.entry(spec.name, call) for call in calls]
    with_rows = [e for e in entries if e.columns and e.rows > 0]
    paths = [str(snapshot.root / spec.name / f"{e.key}.csv.gz") for e in with_rows]
    load = BulkLoad(
        spec.name,
        uuid.uuid4().hex[:12],
        calls=len(entries),
        rows_in_calls=sum(e.rows for e in with_rows),
        inserted=0,
        deleted=0,
        reader="",
        provenance=sorted({e.provenance for e in entries}),
    )
    columns = [(c, SQL_TYPES[k]) for c, k in spec.columns.items()]
    select = ", ".join(f"CAST(r.{quote(c)} AS {t}) AS {quote(c)}" for c, t in columns)
    meta = "e._call_key, e._call_args, e._provenance"

    with connect(db_path) as con:
        ensure_raw_table(con, spec)
        con.register("entries", _entries_frame(with_rows, paths))
        # Typed: an empty list would register as a non-text column and break `IN`.
        keys = pd.Series([e.key for e in entries], dtype="str")
        con.register("planned_keys", pd.DataFrame({"_call_key": keys}))
        if not with_rows:
            con.execute(
                f"CREATE TEMP TABLE incoming AS SELECT {', '.join(quote(c) for c in spec.columns)}, "
                f"_call_key, _call_args, _provenance FROM {raw_table(spec)} LIMIT 0"
            )
            load.reader = "none"
        elif _sidecar_matches(con, snapshot, spec, with_rows):
            parquet = f"{sidecar_dir(snapshot) / spec.name}/*.parquet"
            con.execute(  # a view: Parquet is cheap to read again, 12.5 M rows are not to hold
                f"CREATE TEMP VIEW incoming AS SELECT {select}, {meta} "
                f"FROM read_parquet('{parquet}') AS r JOIN entries AS e USING (_call_key)"
            )
            load.reader = "sidecar"
        elif all(_has_spec_columns(spec, e) for e in with_rows):
            _verify_checksums(paths, with_rows)
            csv_columns = {c: t for c, t in columns}
            con.execute(
                f"CREATE TEMP TABLE incoming AS SELECT {select}, {meta} FROM read_csv($paths, "
                "header=true, auto_detect=false, columns=$columns, delim=',', quote='\"', "
                "escape='\"', nullstr=$null, filename=true) AS r JOIN entries AS e "
                "ON r.filename = e.path",
                {"paths": paths, "columns": csv_columns, "null": NULL},
            )
            load.reader = "csv"
        else:
            # Not the spec's columns: the per-call frames, validated whole, so the suite names it.
            frame = combine(spec, [_fetched(snapshot, spec, e) for e in with_rows])
            if validate and not validate(spec.name, frame):
                raise BulkValidationError(f"dataset {spec.name!r}: validation failed")
            con.register("incoming_frame", frame)
            con.execute(
                f"CREATE TEMP TABLE incoming AS SELECT {select}, r._call_key, r._call_args, "
                "r._provenance FROM incoming_frame AS r"
            )
            load.reader = "frames"
        load.seconds["read"] = time.perf_counter() - started
        batch_validate = None if load.reader == "frames" else validate  # validated above
        _write_by_difference(
            con, spec, load, batch_validate, source or str(snapshot.root), snapshot
        )
    return load


def _has_spec_columns(spec: DatasetSpec, entry: Entry) -> bool:
    return [c["name"] for c in entry.columns] == list(spec.columns)


def _fetched(snapshot: Snapshot, spec: DatasetSpec, entry: Entry) -> Fetched:
    frame, _ = snapshot.read(spec.name, entry.call)
    return Fetched(entry.call, frame, entry.provenance)


def _sidecar_matches(
    con: duckdb.DuckDBPyConnection, snapshot: Snapshot, spec: DatasetSpec, entries: Sequence[Entry]
) -> bool:
    """The sidecar holds exactly these entries (by key and checksum) with the spec's columns."""
    folder = sidecar_dir(snapshot) / spec.name
    if not any(folder.glob("*.parquet")):
        return False
    parquet = f"read_parquet('{folder}/*.parquet')"
    names = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {parquet}").fetchall()}
    if not {*spec.columns, "_call_key", "_checksum"} <= names:
        return False
    held = set(con.execute(f"SELECT DISTINCT _call_key, _checksum FROM {parquet}").fetchall())
    return held == {(e.key, e.checksum) for e in entries}


def _verify_checksums(paths: Sequence[str], entries: Sequence[Entry]) -> None:
    """sha256 of each uncompressed file against its entry, as replay does (threads: zlib and
    hashlib release the GIL)."""

    def digest(path: str) -> str:
        with gzip.open(path, "rb") as gz:
            return hashlib.sha256(gz.read()).hexdigest()

    with ThreadPoolExecutor(2) as pool:
        for path, entry, checksum in zip(paths, entries, pool.map(digest, paths), strict=True):
            if checksum != entry.checksum:
                raise SnapshotError(
                    f"{path}: checksum {checksum[:12]} does not match manifest {entry.checksum[:12]}"
                )


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    # fetchall, not fetchone: duckdb 2 keeps a partly fetched result open on the connection.
    return con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]


def key_ranges(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, max_rows: int
) -> list[tuple[object, object]]:
    """Ranges [first, last] of `column`'s sorted values, each covering about max_rows rows.

    For validating a big batch piece by piece: a 12.5 M-row pandas frame and GX's work on it
    take several GB, and ranges of whole keys (calls, symbols) keep every per-key check intact.
    """
    ranges: list[tuple[object, object]] = []
    size = 0
    counts = con.execute(f"SELECT {column}, count(*) FROM {relation} GROUP BY 1 ORDER BY 1")
    for key, n in counts.fetchall():
        if not ranges or size + n > max_rows:
            ranges.append((key, key))
            size = 0
        ranges[-1] = (ranges[-1][0], key)
        size += n
    return ranges


def in_ranges(
    con: duckdb.DuckDBPyConnection, relation: str, column: str | None, max_rows: int
) -> list[duckdb.DuckDBPyRelation]:
    """The relation's rows in pieces of whole `column` values (one piece when column is None)."""
    if column is None:
        return [con.sql(f"SELECT * FROM {relation}")]
    return [
        con.sql(
            f"SELECT * FROM {relation} WHERE {column} BETWEEN $first AND $last",
            params={"first": first, "last": last},
        )
        for first, last in key_ranges(con, relation, column, max_rows)
    ]


def _write_by_difference(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    load: BulkLoad,
    validate: Validator | None,
    source: str,
    snapshot: Snapshot,
) -> None:
    """Insert the new and changed rows of the planned calls, delete the ones gone; one transaction."""
    started = time.perf_counter()
    table = raw_table(spec)
    con.execute(  # a view: copying 12.5 M loaded rows would cost more than scanning them twice
        f"CREATE TEMP VIEW loaded AS SELECT rowid AS row_id, * FROM {table} "
        "WHERE _call_key IN (SELECT _call_key FROM planned_keys)"
    )
    n_incoming, n_loaded = _count(con, "incoming"), _count(con, "loaded")
    fresh, stale = "incoming", "(SELECT row_id FROM loaded)"  # a first load: all of it
    n_fresh, n_stale = n_incoming, n_loaded
    if n_loaded:
        compared = [quote(c) for c in spec.columns] + ["_call_key", "_provenance"]
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in compared)
        # One join finds both sides' unmatched rows (twice as fast as two anti-joins at 11 M
        # rows); incoming rows always have a _call_key, loaded ones a row_id.
        con.execute(
            "CREATE TEMP TABLE unmatched AS SELECT i.*, t.row_id FROM incoming AS i "
            f"FULL OUTER JOIN loaded AS t ON {same} "
            "WHERE t.row_id IS NULL OR i._call_key IS NULL"
        )
        con.execute(
            "CREATE TEMP VIEW fresh AS SELECT * EXCLUDE (row_id) FROM unmatched WHERE row_id IS NULL"
        )
        con.execute(
            "CREATE TEMP VIEW stale AS SELECT row_id FROM unmatched WHERE _call_key IS NULL"
        )
        n_new, n_gone = _count(con, "fresh"), _count(con, "stale")
        # Unchanged rows must pair up one to one; duplicates on either side would be hidden by
        # a row-by-row difference, so then the calls are replaced whole and GX sees every row.
        if n_incoming - n_new == n_loaded - n_gone:
            fresh, stale, n_fresh, n_stale = "fresh", "stale", n_new, n_gone
    load.inserted, load.deleted = n_fresh, n_stale
    load.seconds["diff"] = time.perf_counter() - started

    # The stock datasets' suites check rows and calls one at a time: the new rows are the batch.
    # The small datasets' suites check across calls (31 L1 rows on the latest day), so when
    # anything changed they see every row the calls now hold.
    chunked = spec.name in CHUNKED_DATASETS
    batch, n_batch = (fresh, n_fresh) if chunked else ("incoming", n_incoming)
    if validate and (n_fresh or (n_stale and not chunked)):
        started = time.perf_counter()
        key = "_call_key" if chunked else None
        for piece in in_ranges(con, batch, key, VALIDATE_CHUNK_ROWS):
            # Through Arrow: several times faster than .df() for dates as datetime.date objects.
            if not validate(spec.name, piece.to_arrow_table().to_pandas(date_as_object=True)):
                raise BulkValidationError(
                    f"dataset {spec.name!r}: the batch of {n_batch} rows failed validation; "
                    "nothing was written"
                )
        load.seconds["validate"] = time.perf_counter() - started

    started = time.perf_counter()
    loaded_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    columns = ", ".join(quote(c) for c in spec.columns)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT row_id FROM {stale})")
        con.execute(
            f"INSERT INTO {table} SELECT {columns}, $load_id, $loaded_at, $source, $snapshot, "
            f"_call_key, _call_args, _provenance FROM {fresh}",
            {
                "load_id": load.load_id,
                "loaded_at": loaded_at,
                "source": source,
                "snapshot": str(snapshot.root),
            },
        )
        con.execute(
            f"INSERT INTO {RAW_SCHEMA}._loads VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                load.load_id,
                spec.name,
                loaded_at,
                source,
                str(snapshot.root),
                load.calls,
                n_fresh,
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    load.seconds["write"] = time.perf_counter() - started


__all__ = [
    "BulkLoad",
    "BulkValidationError",
    "MissingEntryError",
    "SidecarSink",
    "load_calls",
    "load_snapshot",
    "sidecar_dir",
    "write_sidecar",
]
