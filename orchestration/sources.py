"""What a source can serve, and the checks of a week or a day against it: without Dagster, so
the CLI answers a bad argument at once and the schedules skip a tick by the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from orchestration.weeks import FIRST_WEEK, week_bounds, week_key


class UsageProblem(Exception):
    """A bad argument, found before anything ran; str() is the one line a user reads."""


def parse_day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageProblem(f"{option} {text!r} is not a date ({exc}); use YYYY-MM-DD") from None


@dataclass(frozen=True)
class SourceRange:
    """The days a source can serve: a snapshot's window (read from snapshot.json only), or up
    to today for live and record runs."""

    label: str
    first: date
    last: date
    snapshot: bool


def source_range(source: str) -> SourceRange:
    from ingestion.paths import SAMPLE_SNAPSHOT
    from ingestion.snapshot import SHANGHAI, Snapshot, SnapshotError

    if source == "live" or source.startswith("record:"):
        return SourceRange(source, FIRST_WEEK, datetime.now(SHANGHAI).date(), snapshot=False)
    path = SAMPLE_SNAPSHOT if source == "sample" else Path(source)
    snap = Snapshot(path)
    if not snap.exists():
        raise UsageProblem(
            f"no snapshot at {path}: expected {snap.meta_path.name}; "
            "use sample, live or a snapshot directory"
        )
    try:
        window = snap.window
    except SnapshotError as exc:
        raise UsageProblem(f"--source {source}: {exc}") from None
    # The partitions (and so the marts) start at FIRST_WEEK, whatever the snapshot holds.
    first = max(window.stock_start, FIRST_WEEK)
    return SourceRange(f"snapshot {path}", first, window.as_of, snapshot=True)


def check_week(text: str, source: SourceRange) -> date:
    """The day asked for, once its week overlaps what the source holds."""
    day = parse_day("--week", text)
    monday, sunday = week_bounds(week_key(day))
    if monday > source.last or sunday < source.first:
        fix = "pick a week in that range" + (
            " or record a newer snapshot" if source.snapshot and monday > source.last else ""
        )
        raise UsageProblem(
            f"--week {text}: the week {monday}..{sunday} is outside {source.label}, which covers "
            f"{source.first}..{source.last}; {fix}"
        )
    return day
