"""One run at a time on a warehouse: an exclusive `flock` on `<warehouse>.lock`.

DuckDB lets one process write a file, and a second `sectorpulse run` would otherwise fail halfway
on DuckDB's own lock. The lock is taken before anything is opened, so a second run waits (up to a
timeout) or refuses at once, never midway. The kernel releases a flock when its process dies, even
on kill -9, so a killed run never leaves a stale lock behind. The holder writes its pid, command
and start time into the file, for the message a waiting run prints.

The lock is re-entrant within a process: a step that takes it inside a CLI run that holds it
goes on, while a run launched from the Dagster UI waits for the CLI's run to end.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

# Every run carries it, valued with the warehouse's resolved path: the run queue
# (orchestration/dagster.yaml) starts one run per value at a time, and a CLI run waits for an
# in-progress run with its value.
WAREHOUSE_TAG = "sectorpulse/warehouse"
DEFAULT_WAIT = 300.0  # seconds a second run waits for the first (`--wait`)
POLL = 0.2  # seconds between attempts while waiting


class WarehouseLocked(Exception):
    """Another process held the warehouse's lock for longer than we were willing to wait."""


def warehouse_tag(warehouse: Path) -> dict[str, str]:
    return {WAREHOUSE_TAG: str(warehouse.resolve())}


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str
    started_at: str

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        return f"{self.command or 'a run'} (pid {self.pid}, started {self.started_at})"


def read_holder(path: Path) -> Holder:
    """Who holds the lock, as it wrote itself into the file (best effort: it may be mid-write)."""
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    pid = info.get("pid")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(info.get("command", "")),
        str(info.get("started_at", "?")),
    )


_held: dict[Path, tuple[IO[str], int]] = {}  # lock path -> (open file, depth), this process
_registry = threading.Lock()


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def hold(
    warehouse: Path,
    wait: float = DEFAULT_WAIT,
    on_wait: Callable[[str], None] | None = None,
    command: str | None = None,
) -> Iterator[Path]:
    """Hold the warehouse's lock for the block; yields the lock file's path.

    If another process holds it, calls `on_wait` once with a line naming the holder, then waits
    up to `wait` seconds (0: refuse at once) and raises WarehouseLocked if it is still held.
    """
    path = lock_path(warehouse).absolute()
    with _registry:
        if path in _held:
            handle, depth = _held[path]
            _held[path] = (handle, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            _release(path)
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")  # "a+": never truncate a holder's details
    try:
        if not _try_lock(handle):
            holder = read_holder(path)
            if on_wait and wait > 0:
                on_wait(f"waiting up to {wait:.0f}s for {holder.describe()} holding {path}")
            deadline = time.monotonic() + wait
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"warehouse {warehouse} is in use by {read_holder(path).describe()} "
                        f"holding {path}"
                        + (f"; gave up after {wait:.0f}s" if wait > 0 else "")
                        + ": let it finish and rerun, or pass a longer --wait"
                    )
                time.sleep(POLL)
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "command": command or " ".join(Path(a).name for a in sys.argv[:2]),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
    except BaseException:
        handle.close()
        raise
    with _registry:
        _held[path] = (handle, 1)
    try:
        yield path
    finally:
        _release(path)


def _release(path: Path) -> None:
    with _registry:
        handle, depth = _held[path]
        if depth > 1:
            _held[path] = (handle, depth - 1)
            return
        del _held[path]
    # The details go first: a waiting run must not name a holder that has finished.
    handle.seek(0)
    handle.truncate()
    handle.flush()
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


def is_held_here(warehouse: Path) -> bool:
    """Whether this process holds the warehouse's lock."""
    return lock_path(warehouse).absolute() in _held
