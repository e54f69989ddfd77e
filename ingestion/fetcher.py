"""Serve a dataset's calls from one source: live akshare, a recorded snapshot, or live while recording.

A live call never happens by surprise: replay reads only the snapshot, and a missing entry raises
`MissingEntryError` naming the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from ingestion.http import Net, NetConfig
from ingestion.live import Caller, NoDataError, is_no_data, resolve_function
from ingestion.recorder import Recorder, Universe, default_store, universe_from_env
from ingestion.snapshot import Fetched, Snapshot
from ingestion.specs import SPECS, Call, DatasetSpec, RunWindow, Upstream


class Fetcher(Protocol):
    source: str  # "live", "record", or the snapshot path replayed
    snapshot: Snapshot | None

    def window(self, as_of: datetime | None = None) -> RunWindow: ...

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched: ...

    def recorded(self, spec: DatasetSpec, calls: Sequence[Call]) -> Snapshot:
        """The snapshot that holds every one of `calls`; live fetches what it lacks first."""
        ...


WEEKLY_INDUSTRIES = "801750"  # live runs follow SW Computer unless SECTORPULSE_INDUSTRIES says


class LiveFetcher:
    """Live akshare through the choke point (ingestion.http), recorded into a store snapshot
    (SECTORPULSE_STORE, default data/live) that also answers what it already holds, so a weekly
    run asks upstream only for what is new (ingestion.recorder, docs/live-mode.md)."""

    source = "live"
    snapshot = None

    def __init__(
        self,
        as_of: datetime | None = None,
        *,
        store: Snapshot | None = None,
        net: Net | None = None,
        weekly: bool = True,
        universe: Universe | str | None = "env",
        now: Callable[[], datetime] | None = None,
    ):
        self._as_of = as_of
        self.store = store or Snapshot(default_store())
        self.net = net or Net(NetConfig.from_env())
        if universe == "env":
            universe = universe_from_env(WEEKLY_INDUSTRIES if weekly else "all")
        self.recorder = Recorder(
            self.store, Caller(self.net), weekly=weekly, universe=universe, now=now
        )

    def window(self, as_of: datetime | None = None) -> RunWindow:
        day = (as_of or self._as_of or self.recorder.now()).date()
        # Keep the store's start dates, so recorded series are extended, not fetched again.
        base = self.store.window if self.store.exists() else RunWindow(as_of=day)
        return replace(base, as_of=day)

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched:
        served = self.recorder.serve(spec, call)
        return Fetched(call, served.frame, served.provenance)

    def recorded(self, spec: DatasetSpec, calls: Sequence[Call]) -> Snapshot:
        for call in calls:
            self.recorder.serve(spec, call)
        return self.store

    def request_metadata(self) -> dict[str, int | float | str]:
        return self.net.metadata()


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

    def recorded(self, spec: DatasetSpec, calls: Sequence[Call]) -> Snapshot:
        return self.snapshot  # the loader raises MissingEntryError for a call it lacks


class RecordFetcher:
    """Calls live and writes exactly what came back into a snapshot (it is the live store)."""

    source = "record"

    def __init__(self, snapshot: Snapshot, live: LiveFetcher | None = None):
        self.snapshot = snapshot
        self.live = live or LiveFetcher(store=snapshot, weekly=False)

    def window(self, as_of: datetime | None = None) -> RunWindow:
        window = self.live.window(as_of)
        if not self.snapshot.exists():
            self.snapshot.write_meta(window, description="recorded by `sectorpulse record`")
        return window

    def fetch(self, spec: DatasetSpec, call: Call) -> Fetched:
        return self.live.fetch(spec, call)

    def recorded(self, spec: DatasetSpec, calls: Sequence[Call]) -> Snapshot:
        return self.live.recorded(spec, calls)

    def request_metadata(self) -> dict[str, int | float | str]:
        return self.live.request_metadata()


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


def request_metadata(fetcher: Fetcher) -> dict[str, int | float | str]:
    """This run's live request counts (per upstream group, failures, throttle wait), for an
    asset's MaterializeResult metadata; empty for replay."""
    counts = getattr(fetcher, "request_metadata", None)
    return counts() if counts else {}


__all__ = [
    "SPECS",
    "Fetched",
    "Fetcher",
    "NoDataError",
    "fetch_dataset",
    "is_no_data",
    "make_fetcher",
    "request_metadata",
    "resolve_function",
]
