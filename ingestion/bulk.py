"""Loading a snapshot's calls into raw.*, with DuckDB instead of one pandas frame per call.

Every raw asset loads this way, whatever the source (live and record runs first fetch what the
store snapshot lacks). The whole market is 5,000 stock calls per stock dataset and 12.5 M rows
each. The contract: exactly the planned calls (a missing entry raises MissingEntryError), every
entry checked against its call and its checksum, columns typed by the spec's kinds, and a failed
load leaves raw.* as it was. Entries the rules of ingestion.errors refuse (a manifest that does
not match its call, a required call with no data, columns other than the spec's, a file that
cannot be read) raise InputRejected before anything is written. Two things are done for scale:

- **Reading.** Rows come from the snapshot's Parquet sidecar (`_bulk/<dataset>/*.parquet`, see
  `SidecarSink`) when it holds exactly the planned entries, matched by their checksums; otherwise
  from the gz CSVs, read by DuckDB after their checksums are verified. A dataset whose entries
  record a column of another kind than the spec's (text in a number column) is read through
  pandas frames (`combine`), so the raw suite names the value before any cast fails.
- **Writing by difference.** A call's rows are replaced as in `load_raw`, but rows already loaded
  identically are kept (with their load metadata): changed and new rows are inserted, rows gone
  from the call are deleted. The end state is `load_raw`'s. The inserted rows are the
  *batch*: what GX validates before anything is written (docs/scale.md). stock_value_em returns a
  stock's whole history on every call, so a weekly run's batch is still only the new week.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.errors import (
    BulkValidationError,
    InputRejected,
    no_data,
    refuse_empty,
    refuse_other_columns,
)
from ingestion.snapshot import (
    NULL,
    BadInput,
    Entry,
    Fetched,
    MissingEntryError,
    Snapshot,
    SnapshotError,
    call_key,
    verified_text,
)
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
    transaction,
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
        extra["_call_key"] = call_key(call)  # rows are keyed by their call, never by a manifest
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


def _entries_frame(planned: Sequence[Planned]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": [str(p.path) for p in planned],
            "_call_key": [p.key for p in planned],
            "_call_args": [
                json.dumps(dict(sorted(p.call.kwargs.items())), ensure_ascii=False) for p in planned
            ],
            "_provenance": [p.entry.provenance for p in planned],
            "_checksum": [p.entry.checksum for p in planned],
        }
    )


@dataclass(frozen=True)
class Planned:
    """A planned call with its checked manifest entry and frame file (paths and keys are
    computed from the call, never taken from the manifest)."""

    call: Call
    entry: Entry
    path: Path

    @property
    def key(self) -> str:
        return call_key(self.call)

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in self.entry.columns]


class FileRejected(InputRejected, SnapshotError):
    """A snapshot file refused by a raw load: the dataset's InputRejected, and a SnapshotError
    like the same file read outside a load."""


@contextmanager
def refusing(spec: DatasetSpec) -> Iterator[None]:
    """A snapshot file that cannot be used becomes the dataset's InputRejected, naming the file."""
    try:
        yield
    except BadInput as exc:
        raise FileRejected(
            spec.name, exc.rule, str(exc), [{"file": str(exc.path), "problem": exc.problem}]
        ) from exc


def planned_entries(snapshot: Snapshot, spec: DatasetSpec, calls: Sequence[Call]) -> list[Planned]:
    """The planned calls' entries, refused (InputRejected, before anything is written) when an
    entry does not describe its call, a required call has no data, or its columns are not
    the spec's. A call the snapshot lacks raises MissingEntryError."""
    with refusing(spec):
        planned = [
            Planned(call, snapshot.entry(spec.name, call), snapshot.paths(spec.name, call)[0])
            for call in calls
        ]
    empty = [p for p in planned if no_data(p.entry.rows, len(p.entry.columns))]
    refuse_empty(spec, [(p.call, str(p.path)) for p in empty], len(planned))
    with_rows = [p for p in planned if p not in empty]
    refuse_other_columns(spec, [(p.call, str(p.path), p.columns) for p in with_rows])
    return planned


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
    whose calls were recorded into the store snapshot first). Inputs the rules of
    ingestion.errors refuse raise InputRejected before anything is written.
    """
    started = time.perf_counter()
    if spec.optional:  # a snapshot without the dataset loads none of it
        calls = [call for call in calls if snapshot.has(spec.name, call)]
    planned = planned_entries(snapshot, spec, calls)
    with_rows = [p for p in planned if not no_data(p.entry.rows, len(p.entry.columns))]
    paths = [str(p.path) for p in with_rows]
    load = BulkLoad(
        spec.name,
        uuid.uuid4().hex[:12],
        calls=len(planned),
        rows_in_calls=sum(p.entry.rows for p in with_rows),
        inserted=0,
        deleted=0,
        reader="",
        provenance=sorted({p.entry.provenance for p in planned}),
    )
    columns = [(c, SQL_TYPES[k]) for c, k in spec.columns.items()]
    select = ", ".join(f"CAST(r.{quote(c)} AS {t}) AS {quote(c)}" for c, t in columns)
    meta = "e._call_key, e._call_args, e._provenance"

    with connect(db_path) as con, refusing(spec):
        ensure_raw_table(con, spec)
        con.register("entries", _entries_frame(with_rows))
        # Typed: an empty list would register as a non-text column and break `IN`.
        keys = pd.Series([p.key for p in planned], dtype="str")
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
        elif all(_has_spec_kinds(spec, p.entry) for p in with_rows):
            _verify_checksums(with_rows)
            csv_columns = {c: t for c, t in columns}
            try:
                con.execute(
                    f"CREATE TEMP TABLE incoming AS SELECT {select}, {meta} FROM read_csv($paths, "
                    "header=true, auto_detect=false, columns=$columns, delim=',', quote='\"', "
                    "escape='\"', nullstr=$null, filename=true) AS r JOIN entries AS e "
                    "ON r.filename = e.path",
                    {"paths": paths, "columns": csv_columns, "null": NULL},
                )
            except duckdb.Error as exc:  # checksums matched: the recorded text itself is bad
                raise _unreadable_csv(spec, paths, exc) from exc
            load.reader = "csv"
        else:
            # A value of another kind than the spec's (text in a number column): the per-call
            # frames, validated whole before any cast, so the suite names the column and row.
            frame = with_bar_columns(
                spec, combine(spec, [_fetched(snapshot, spec, p) for p in with_rows])
            )
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
            con, spec, load, batch_validate, source or str(snapshot.root), snapshot, db_path
        )
    return load


def _unreadable_csv(spec: DatasetSpec, paths: Sequence[str], exc: duckdb.Error) -> FileRejected:
    text = str(exc)
    named = next((p for p in paths if p in text), None)
    first = text.splitlines()[0]
    where = named or f"one of the {len(paths)} files"
    return FileRejected(
        spec.name,
        "unreadable_file",
        f"{where}: not a valid CSV of the spec's columns ({first}); restore the file or record "
        "the call again",
        [{"file": named or "", "problem": first}],
    )


def _has_spec_kinds(spec: DatasetSpec, entry: Entry) -> bool:
    return {c["name"]: c["kind"] for c in entry.columns} == dict(spec.columns)


def _fetched(snapshot: Snapshot, spec: DatasetSpec, planned: Planned) -> Fetched:
    frame, _ = snapshot.read(spec.name, planned.call)
    return Fetched(planned.call, frame, planned.entry.provenance)


def _sidecar_matches(
    con: duckdb.DuckDBPyConnection,
    snapshot: Snapshot,
    spec: DatasetSpec,
    planned: Sequence[Planned],
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
    return held == {(p.key, p.entry.checksum) for p in planned}


def _verify_checksums(planned: Sequence[Planned]) -> None:
    """sha256 of each uncompressed file against its entry, as replay does (threads: zlib and
    hashlib release the GIL)."""

    def verify(p: Planned) -> None:
        verified_text(p.path, p.entry)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(verify, planned))


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


# Daily bars: the batch GX validates also carries, per row, the close of the call's previous bar
# by date (_prev_close, NULL on its first) and its 1-based position (_bar_number), computed over
# every row the call now holds, so a batch of one new day still has its previous close.
BAR_DATASETS = ("stock_daily", "sw_index_daily", "csi_index_daily")
BAR_DATE, BAR_CLOSE = "日期", "收盘"


def _batch_query(
    spec: DatasetSpec, batch: str, bounds: tuple[object, object] | None
) -> tuple[str, dict[str, object]]:
    """SQL (and parameters) of the rows of `batch` to validate, those of the calls within
    `bounds` when given; for daily bars with the previous close and bar number."""
    where, params = "", {}
    if bounds is not None:
        where = "WHERE _call_key BETWEEN $first AND $last"
        params = {"first": bounds[0], "last": bounds[1]}
    if spec.name not in BAR_DATASETS:
        return f"SELECT * FROM {batch} {where}", params
    window = f"WINDOW bars AS (PARTITION BY _call_key ORDER BY {quote(BAR_DATE)})"
    lag = f"CAST(lag({quote(BAR_CLOSE)}) OVER bars AS DOUBLE) AS _prev_close"
    number = "CAST(row_number() OVER bars AS BIGINT) AS _bar_number"
    if batch == "incoming":  # all rows of the calls: the window over them, whole
        return f"SELECT *, {lag}, {number} FROM incoming {where} {window}", params
    # New rows of a weekly run: the window over the calls' (call, date, close) only, since
    # sorting 12.5 M whole rows costs three times as much, joined to the batch by call and day
    # (one bar per day if a call repeats a day, so the batch keeps its rows, duplicates too).
    day = quote(BAR_DATE)
    return (
        f"WITH batch AS (SELECT * FROM {batch} {where}), "
        f"bars AS (SELECT _call_key, {day}, {lag}, {number} FROM incoming "
        f"WHERE _call_key IN (SELECT _call_key FROM batch) {window}), "
        f"days AS (SELECT _call_key, {day}, arg_min(_prev_close, _bar_number) AS _prev_close, "
        f"min(_bar_number) AS _bar_number FROM bars SEMI JOIN batch USING (_call_key, {day}) "
        "GROUP BY ALL) "
        "SELECT batch.*, days._prev_close, days._bar_number FROM batch LEFT JOIN days "
        f"ON days._call_key = batch._call_key AND days.{day} = batch.{day}",
        params,
    )


def with_bar_columns(spec: DatasetSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """`_batch_query`'s _prev_close and _bar_number for a whole frame (the frames reader)."""
    if spec.name not in BAR_DATASETS:
        return frame
    ordered = frame.sort_values(["_call_key", BAR_DATE], kind="stable")
    by_call = ordered.groupby("_call_key", sort=False)
    close = pd.to_numeric(ordered[BAR_CLOSE], errors="coerce")
    return frame.assign(
        _prev_close=close.groupby(ordered["_call_key"], sort=False).shift().astype("float64"),
        _bar_number=(by_call.cumcount() + 1).astype("int64"),
    )


def _write_by_difference(
    con: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    load: BulkLoad,
    validate: Validator | None,
    source: str,
    snapshot: Snapshot,
    db_path: str | Path,
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
        ranges = key_ranges(con, batch, "_call_key", VALIDATE_CHUNK_ROWS) if chunked else [None]
        for bounds in ranges:
            query, params = _batch_query(spec, batch, bounds)
            piece = con.sql(query, params=params)
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
    with transaction(con, db_path):
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
    load.seconds["write"] = time.perf_counter() - started


__all__ = [
    "BAR_DATASETS",
    "BulkLoad",
    "BulkValidationError",
    "InputRejected",
    "MissingEntryError",
    "SidecarSink",
    "load_calls",
    "load_snapshot",
    "sidecar_dir",
    "write_sidecar",
]
