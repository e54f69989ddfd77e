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
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

from ingestion.specs import KINDS, Call, RunWindow

FORMAT = "sectorpulse-snapshot/1"
NULL = "\\N"  # keeps "" distinct from a missing value
SHANGHAI = ZoneInfo("Asia/Shanghai")
Provenance = Literal["real", "derived", "synthetic"]


class SnapshotError(Exception):
    """A snapshot is missing, malformed or does not match its manifest."""


class MissingEntryError(SnapshotError):
    """Replay asked for a call the snapshot does not hold. Never falls back to the network."""


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
        meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise SnapshotError(f"{self.meta_path}: format {meta.get('format')!r} != {FORMAT!r}")
        return meta

    @property
    def window(self) -> RunWindow:
        return RunWindow.from_params(self.read_meta()["window"])

    def write_meta(self, window: RunWindow, description: str, **extra: object) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "window": window.to_params(), "description": description, **extra}
        self.meta_path.write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    # -- entries ---------------------------------------------------------------------
    def _paths(self, dataset: str, key: str) -> tuple[Path, Path]:
        folder = self.root / dataset
        return folder / f"{key}.csv.gz", folder / f"{key}.json"

    def has(self, dataset: str, call: Call) -> bool:
        return self._paths(dataset, call_key(call))[1].is_file()

    def entry(self, dataset: str, call: Call) -> Entry:
        _, meta_path = self._paths(dataset, call_key(call))
        if not meta_path.is_file():
            raise MissingEntryError(
                f"snapshot {self.root} has no entry for dataset {dataset!r}: {call.describe()} "
                f"(expected {meta_path.relative_to(self.root)}); record it or use --source live"
            )
        return Entry(**json.loads(meta_path.read_text(encoding="utf-8")))

    def entries(self, dataset: str | None = None) -> list[Entry]:
        pattern = f"{dataset}/*.json" if dataset else "*/*.json"
        return [
            Entry(**json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(self.root.glob(pattern))
        ]

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
        data_path, meta_path = self._paths(dataset, key)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        text = _csv_text(frame) if frame.shape[1] else ""
        entry = Entry(
            key=key,
            dataset=dataset,
            function=call.function,
            kwargs=dict(call.kwargs),
            status="ok" if len(frame) else "empty",
            rows=len(frame),
            columns=[{"name": str(c), "kind": kind_of(frame[c])} for c in frame.columns],
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
        data_path, _ = self._paths(dataset, entry.key)
        return read_frame(data_path, entry), entry


def read_frame(data_path: Path, entry: Entry) -> pd.DataFrame:
    with gzip.open(data_path, "rb") as gz:
        text = gz.read().decode()
    checksum = hashlib.sha256(text.encode()).hexdigest()
    if checksum != entry.checksum:
        raise SnapshotError(
            f"{data_path}: checksum {checksum[:12]} does not match manifest {entry.checksum[:12]}"
        )
    if not entry.columns:
        return pd.DataFrame()
    kinds = {c["name"]: c["kind"] for c in entry.columns}
    unknown = {k for k in kinds.values() if k not in (*KINDS, "bool", "datetime")}
    if unknown:
        raise SnapshotError(f"{data_path}: unknown column kinds {sorted(unknown)}")
    frame = pd.read_csv(
        io.StringIO(text),
        dtype=dict.fromkeys(kinds, str),
        keep_default_na=False,
        na_values=[NULL],
    )
    if list(frame.columns) != list(kinds):
        raise SnapshotError(f"{data_path}: columns {list(frame.columns)} != manifest {list(kinds)}")
    for name, kind in kinds.items():
        frame[name] = _restore(frame[name], kind)
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
