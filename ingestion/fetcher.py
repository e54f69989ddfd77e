"""Serve a dataset's calls from one source: live akshare, a recorded snapshot, or live while recording.

A live call never happens by surprise: replay reads only the snapshot, and a missing entry raises
`MissingEntryError` naming the call.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd

from ingestion.snapshot import SHANGHAI, Provenance, Snapshot
from ingestion.specs import LOCAL_FUNCTIONS, SPECS, Call, DatasetSpec, RunWindow, Upstream


class NoDataError(Exception):
    """An upstream call returned no data where its spec requires some."""


@dataclass(frozen=True)
class Fetched:
    call: Call
    frame: pd.DataFrame
    provenance: Provenance


class Fetcher(Protocol):
    source: str  # "live", "record", or the snapshot path replayed
    snapshot: Snapshot | None

    def window(self, as_of: datetime | None = None) -> RunWindow: ...

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched: ...


def resolve_function(name: str):
    """The callable behind a spec's function name, looked up at call time so tests can patch it."""
    if name in LOCAL_FUNCTIONS:
        module, attr = LOCAL_FUNCTIONS[name].split(":")
        return getattr(importlib.import_module(module), attr)
    os.environ.setdefault("TQDM_DISABLE", "1")
    import akshare

    return getattr(akshare, name)


def is_no_data(frame: pd.DataFrame) -> bool:
    """akshare's empty shapes after the call returned: a zero-column or a zero-row frame."""
    return frame.shape[1] == 0 or len(frame) == 0


class LiveFetcher:
    source = "live"
    snapshot = None

    def __init__(self, as_of: datetime | None = None):
        self._as_of = as_of

    def window(self, as_of: datetime | None = None) -> RunWindow:
        day = (as_of or self._as_of or datetime.now(SHANGHAI)).date()
        return RunWindow(as_of=day)

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched:
        function = resolve_function(call.function)
        try:
            frame = function(**call.kwargs)
        except KeyError as exc:  # several akshare functions signal "no rows" this way
            frame = pd.DataFrame()
            if not spec.empty_ok:
                raise NoDataError(
                    f"dataset {spec.name!r}: {call.describe()} returned no data (KeyError {exc})"
                ) from exc
        if is_no_data(frame) and not spec.empty_ok:
            raise NoDataError(f"dataset {spec.name!r}: {call.describe()} returned no data")
        return Fetched(call, frame, "real")


class ReplayFetcher:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.source = str(snapshot.root)
        snapshot.read_meta()  # fail early on a path that is not a snapshot

    def window(self, as_of: datetime | None = None) -> RunWindow:
        return self.snapshot.window

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched:
        frame, entry = self.snapshot.read(spec.name, call)
        return Fetched(call, frame, entry.provenance)


class RecordFetcher:
    """Calls live and writes exactly what came back into a snapshot."""

    source = "record"

    def __init__(self, snapshot: Snapshot, live: LiveFetcher | None = None):
        self.snapshot = snapshot
        self.live = live or LiveFetcher()

    def window(self, as_of: datetime | None = None) -> RunWindow:
        window = self.live.window(as_of)
        if not self.snapshot.exists():
            self.snapshot.write_meta(window, description="recorded by `sectorpulse record`")
        return window

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched:
        fetched = self.live.fetch(spec, call)
        self.snapshot.write(spec.name, call, fetched.frame, provenance="real")
        return fetched


def fetch_dataset(
    spec: DatasetSpec, fetcher: Fetcher, window: RunWindow, upstream: Upstream
) -> Iterator[Fetched]:
    """Every call the spec plans for this window, in order."""
    for call in spec.plan(window, upstream):
        yield fetcher.fetch(spec, call)


def make_fetcher(source: str) -> Fetcher:
    """`live`, `record:<dir>`, `sample` (the bundled snapshot) or a snapshot directory."""
    if source == "live":
        return LiveFetcher()
    if source.startswith("record:"):
        return RecordFetcher(Snapshot(source.removeprefix("record:")))
    if source == "sample":
        from ingestion.paths import SAMPLE_SNAPSHOT

        return ReplayFetcher(Snapshot(SAMPLE_SNAPSHOT))
    return ReplayFetcher(Snapshot(source))


__all__ = ["SPECS", "Fetched", "Fetcher", "NoDataError", "fetch_dataset", "make_fetcher"]
