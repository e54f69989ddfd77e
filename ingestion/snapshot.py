"""Snapshots: frames exactly as akshare returned them, one file and one manifest entry per call.

Layout (see docs/snapshots.md):

    <snapshot>/snapshot.json                 run window and description
    <snapshot>/<dataset>/<key>.csv.gz        the frame, gzip CSV, akshare's own column names
    <snapshot>/<dataset>/<key>.json          its manifest entry
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

from ingestion.specs import KINDS, SPECS, Call, RunWindow

FORMAT = "sectorpulse-snapshot/1"
NULL = "\\N"  # keeps "" distinct from a missing value
SHANGHAI = ZoneInfo("Asia/Shanghai")
Provenance = Literal["real", "derived", "synthetic"]


@dataclass(frozen=True)
class Fetched:
    """One call's frame as a source returned it (live, replay or record), with its provenance:
    what a fetcher serves (ingestion.fetcher) and the raw load writes (ingestion.warehouse)."""

    call: Call
    frame: pd.DataFrame
    provenance: Provenance


class SnapshotError(Exception):
    """A snapshot is missing, malformed or does not match its manifest."""


class MissingEntryError(SnapshotError):
    """Replay asked for a call the snapshot does not hold. Never falls back to the network."""


class BadInput(SnapshotError):
    """A file of the snapshot that cannot be used as it is; `rule` names the problem for the
    raw check (ingestion.errors.InputRejected), `path` the file."""

    rule = "unreadable_file"

    def __init__(self, path: Path, problem: str, rule: str | None = None):
        self.path = path
        self.problem = problem
        if rule:
            self.rule = rule
        super().__init__(f"{path}: {problem}")


class UnreadableFile(BadInput):
    """Truncated gzip, text that is not UTF-8, CSV or JSON that does not parse."""

    def __init__(self, path: Path, problem: str):
        problem = " ".join(problem.split())  # one line, whatever the parser said
        super().__init__(path, f"{problem}; restore the file or record the call again")


class ManifestMismatch(BadInput):
    """A manifest entry that does not describe the call it is stored for, or a path that
    leads outside the snapshot. Rules: manifest_key, manifest_dataset, manifest_function."""


class ChecksumMismatch(BadInput):
    rule = "checksum"


def call_key(call: Call) -> str:
    canonical = json.dumps(
        {"function": call.function, "kwargs": dict(sorted(call.kwargs.items()))},
        ensure_ascii=False,
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:10]
    readable = "_".join(
        str(v) for _, v in sorted(call.kwargs.items()) if re.fullmatch(r"[\w.-]+", str(v), re.A)
    )
    return f"{call.function}{'__' + readable if readable else ''}__{digest}"


def _entry_kind(dataset: str, column: pd.Series) -> str:
    """A column's kind in the manifest. A column without a value cannot contradict the kind its
    spec declares, so it takes that one: an extended call (pandas turns an all-missing int column
    into float on concat) then loads like every other call."""
    spec = SPECS.get(dataset)
    if spec is not None and column.isna().all() and column.name in spec.columns:
        return spec.columns[column.name]
    return kind_of(column)


def kind_of(series: pd.Series) -> str:
    """The semantic kind of a column as akshare returns it."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    values = series.dropna()
    if len(values) and all(type(v).__name__ == "date" for v in values.head(50)):
        return "date"
    return "str"


@dataclass(frozen=True)
class Entry:
    key: str
    dataset: str
    function: str
    kwargs: dict[str, str]
    status: Literal["ok", "empty"]
    rows: int
    columns: list[dict[str, str]]  # [{"name": ..., "kind": ...}] in frame order
    checksum: str  # sha256 of the uncompressed CSV text
    provenance: Provenance
    akshare_version: str
    pandas_version: str
    fetched_at: str
    note: str = ""

    @property
    def call(self) -> Call:
        return Call(self.function, self.kwargs)


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, na_rep=NULL, lineterminator="\n")


def _akshare_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("akshare")
    except PackageNotFoundError:
        return "unknown"


class Snapshot:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- snapshot-level metadata -------------------------------------------------
    @property
    def meta_path(self) -> Path:
        return self.root / "snapshot.json"

    def exists(self) -> bool:
        return self.meta_path.is_file()

    def read_meta(self) -> dict:
        if not self.exists():
            raise SnapshotError(f"{self.root} is not a snapshot: {self.meta_path.name} is missing")
        meta = _read_json(self.meta_path)
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        if found != FORMAT:
            raise SnapshotError(f"{self.meta_path}: format {found!r} != {FORMAT!r}")
        return meta  # type: ignore[return-value]

    @property
    def window(self) -> RunWindow:
        try:
            return RunWindow.from_params(self.read_meta()["window"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UnreadableFile(
                self.meta_path, f"invalid window ({type(exc).__name__}: {exc})"
            ) from exc

    def write_meta(self, window: RunWindow, description: str, **extra: object) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "window": window.to_params(), "description": description, **extra}
        self.meta_path.write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    # -- entries ---------------------------------------------------------------------
    def paths(self, dataset: str, call: Call) -> tuple[Path, Path]:
        """(frame, manifest entry) files of a call. Built from the key computed from the call,
        never from a manifest's `key`, and refused when they would lead outside the snapshot."""
        key = call_key(call)
        folder = self.root / dataset
        data_path, meta_path = folder / f"{key}.csv.gz", folder / f"{key}.json"
        for path in (data_path, meta_path):
            self.inside(path)
        return data_path, meta_path

    def inside(self, path: Path) -> Path:
        """`path`, once it is known to resolve (symlinks too) inside the snapshot's root."""
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ManifestMismatch(
                path,
                f"leads outside the snapshot {self.root}; a snapshot reads only its own files",
                rule="manifest_key",
            )
        return path

    def has(self, dataset: str, call: Call) -> bool:
        return self.paths(dataset, call)[1].is_file()

    def entry(self, dataset: str, call: Call) -> Entry:
        """The manifest entry of `call`, checked to describe exactly that call of `dataset`."""
        _, meta_path = self.paths(dataset, call)
        if not meta_path.is_file():
            raise MissingEntryError(
                f"snapshot {self.root} has no entry for dataset {dataset!r}: {call.describe()} "
                f"(expected {meta_path.relative_to(self.root)}); record it or use --source live"
            )
        entry = _load_entry(meta_path, dataset)
        if call_key(entry.call) != call_key(call):
            raise ManifestMismatch(
                meta_path,
                f"describes {entry.call.describe()}, not the planned {call.describe()}; "
                "restore the entry or record the call again",
                rule="manifest_key",
            )
        return entry

    def entries(self, dataset: str | None = None) -> list[Entry]:
        """Every manifest entry (of `dataset`), each checked against the folder it is in."""
        pattern = f"{dataset}/*.json" if dataset else "*/*.json"
        return [_load_entry(self.inside(p), p.parent.name) for p in sorted(self.root.glob(pattern))]

    def write(
        self,
        dataset: str,
        call: Call,
        frame: pd.DataFrame,
        provenance: Provenance,
        note: str = "",
        fetched_at: datetime | None = None,
    ) -> Entry:
        """Write one call's frame exactly as returned, with its manifest entry."""
        key = call_key(call)
        data_path, meta_path = self.paths(dataset, call)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        text = _csv_text(frame) if frame.shape[1] else ""
        entry = Entry(
            key=key,
            dataset=dataset,
            function=call.function,
            kwargs=dict(call.kwargs),
            status="ok" if len(frame) else "empty",
            rows=len(frame),
            columns=[
                {"name": str(c), "kind": _entry_kind(dataset, frame[c])} for c in frame.columns
            ],
            checksum=hashlib.sha256(text.encode()).hexdigest(),
            provenance=provenance,
            akshare_version=_akshare_version(),
            pandas_version=pd.__version__,
            fetched_at=(fetched_at or datetime.now(SHANGHAI)).isoformat(timespec="seconds"),
            note=note,
        )
        # mtime=0 makes the gzip bytes depend only on the content, so rebuilds diff cleanly.
        with (
            open(data_path, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
        ):
            gz.write(text.encode())
        meta_path.write_text(
            json.dumps(asdict(entry), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        return entry

    def read(self, dataset: str, call: Call) -> tuple[pd.DataFrame, Entry]:
        """The frame of one call, with akshare's column kinds restored, and its entry."""
        entry = self.entry(dataset, call)
        data_path, _ = self.paths(dataset, call)
        return read_frame(data_path, entry), entry


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableFile(path, f"invalid JSON ({exc})") from exc


def _load_entry(meta_path: Path, dataset: str) -> Entry:
    """A manifest entry, checked against where it is stored: its dataset must be the folder's,
    its key the one computed from its function and kwargs (and the file's name), and its
    function the dataset spec's own or one of its fallbacks' (whose frames live beside it)."""
    data = _read_json(meta_path)
    try:
        entry = Entry(**data)  # type: ignore[arg-type]
        computed = call_key(entry.call)
    except (TypeError, AttributeError) as exc:
        raise UnreadableFile(meta_path, f"not a manifest entry ({exc})") from exc
    example = f"function {entry.function!r}, kwargs {dict(entry.kwargs)}"
    if entry.dataset != dataset:
        raise ManifestMismatch(
            meta_path,
            f"manifest dataset {entry.dataset!r} is not the folder's {dataset!r} ({example}); "
            "an entry belongs to the dataset folder it is in: restore it or record the call again",
            rule="manifest_dataset",
        )
    if entry.key != computed or meta_path.name != f"{computed}.json":
        raise ManifestMismatch(
            meta_path,
            f"manifest key {entry.key!r} is not {computed!r}, the key of its call ({example}); "
            "keys are computed from the call: restore the entry or record the call again",
            rule="manifest_key",
        )
    spec = SPECS.get(dataset)
    functions = (spec.function, *(f.function for f in spec.fallbacks)) if spec else ()
    if spec is not None and entry.function not in functions:
        raise ManifestMismatch(
            meta_path,
            f"function {entry.function!r} is not one that {dataset} is fetched with "
            f"({', '.join(functions)}); restore the entry or record the call again",
            rule="manifest_function",
        )
    return entry


def _decompressed(data_path: Path) -> str:
    try:
        with gzip.open(data_path, "rb") as gz:
            return gz.read().decode()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise UnreadableFile(data_path, f"not a complete gzip file ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFile(data_path, f"not UTF-8 text ({exc})") from exc


def verified_text(data_path: Path, entry: Entry) -> str:
    """A frame file's CSV text, checked against the sha256 of its manifest entry."""
    text = _decompressed(data_path)
    checksum = hashlib.sha256(text.encode()).hexdigest()
    if checksum != entry.checksum:
        raise ChecksumMismatch(
            data_path,
            f"checksum {checksum[:12]} does not match manifest {entry.checksum[:12]}; the file "
            "changed after it was recorded: restore it or record the call again",
        )
    return text


def read_frame(data_path: Path, entry: Entry) -> pd.DataFrame:
    text = verified_text(data_path, entry)
    if not entry.columns:
        return pd.DataFrame()
    kinds = {c["name"]: c["kind"] for c in entry.columns}
    unknown = {k for k in kinds.values() if k not in (*KINDS, "bool", "datetime")}
    if unknown:
        raise SnapshotError(f"{data_path}: unknown column kinds {sorted(unknown)}")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=dict.fromkeys(kinds, str),
            keep_default_na=False,
            na_values=[NULL],
        )
    except (ValueError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise UnreadableFile(data_path, f"not a valid CSV ({exc})") from exc
    if list(frame.columns) != list(kinds):
        raise UnreadableFile(data_path, f"columns {list(frame.columns)} != manifest {list(kinds)}")
    for name, kind in kinds.items():
        try:
            frame[name] = _restore(frame[name], kind)
        except (ValueError, TypeError) as exc:
            raise UnreadableFile(
                data_path,
                f"column {name!r} does not hold {kind} values as its manifest says ({exc})",
            ) from exc
    return frame


def _restore(column: pd.Series, kind: str) -> pd.Series:
    if kind == "date":
        return pd.to_datetime(column).dt.date.astype(object).where(column.notna(), None)
    if kind == "datetime":
        return pd.to_datetime(column)
    if kind == "float":
        return column.astype("float64")
    if kind == "int":
        return column.astype("int64") if column.notna().all() else column.astype("Int64")
    if kind == "bool":
        return column.map({"True": True, "False": False})
    return column
