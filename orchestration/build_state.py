"""Whether the warehouse's last build passed its blocking checks, recorded beside it.

`<warehouse>.state.json` says `building` from the moment a run's dbt step starts changing the
models, and `validated` once every blocking check of that run has passed (the published marts
asset, which Dagster runs only then, records it). Anything that shows warehouse data to readers
(`sectorpulse publish`, the briefs, the published copy) calls `require_validated` first, so a
build that failed a check, or was killed midway, never reaches BI.

A warehouse without the file was built before the state was recorded: nothing says its last
build passed, so it is refused like a failed one until a run validates it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ingestion.paths import replace_text

Status = Literal["building", "validated"]
RERUN = "rerun `sectorpulse run` (or the weekly job) until its checks pass"


class UnvalidatedWarehouse(Exception):
    """The warehouse's last build did not pass its blocking checks (or was never recorded)."""


@dataclass(frozen=True)
class BuildState:
    status: Status
    run_id: str  # the Dagster run that last changed the state
    updated_at: str  # UTC, ISO 8601
    weeks: list[str] = field(default_factory=list)  # partition keys that run built

    @property
    def validated(self) -> bool:
        return self.status == "validated"


def state_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".state.json")


def read_state(warehouse: Path) -> BuildState | None:
    """The recorded state, or None when there is none. A file that cannot be read is reported,
    never taken for a validated state."""
    path = state_path(warehouse)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = BuildState(
            status=data["status"],
            run_id=str(data["run_id"]),
            updated_at=str(data["updated_at"]),
            weeks=[str(w) for w in data.get("weeks") or []],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnvalidatedWarehouse(
            f"build state {path} is unreadable ({type(exc).__name__}: {exc}); {RERUN}"
        ) from exc
    if state.status not in ("building", "validated"):
        raise UnvalidatedWarehouse(
            f"build state {path} has unknown status {state.status!r}; {RERUN}"
        )
    return state


def _write(warehouse: Path, state: BuildState) -> None:
    replace_text(state_path(warehouse), json.dumps(asdict(state), indent=1) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def mark_building(warehouse: Path, run_id: str, weeks: Sequence[str] = ()) -> None:
    """Call before a run changes the models (the dbt step): until the run's checks pass, the
    warehouse holds unvalidated data."""
    _write(warehouse, BuildState("building", run_id, _now(), list(weeks)))


def mark_validated(warehouse: Path, run_id: str) -> BuildState:
    """Call once every blocking check of `run_id` has passed (the published marts asset).

    Validates only the run's own build: if another run left the warehouse building (it failed
    or was killed), or no build was ever recorded, this raises instead, so publishing on its
    own never turns an unvalidated build into a validated one.
    """
    state = read_state(warehouse)
    if state is not None and state.validated:
        return state  # nothing was rebuilt since the last validated build
    if state is None or state.run_id != run_id:
        require_validated(warehouse)  # raises, naming the run and the fix
    validated = BuildState("validated", run_id, _now(), state.weeks if state else [])
    _write(warehouse, validated)
    return validated


def require_validated(warehouse: Path) -> BuildState:
    """The state of a warehouse whose last build passed its blocking checks; raises
    UnvalidatedWarehouse (one line: which run left it so, and the fix) otherwise."""
    if not warehouse.exists():
        raise UnvalidatedWarehouse(f"no warehouse at {warehouse}: run `sectorpulse run` first")
    state = read_state(warehouse)
    if state is None:
        raise UnvalidatedWarehouse(
            f"warehouse {warehouse} has no recorded build state ({state_path(warehouse).name}): "
            f"it was built before builds were validated, so nothing says its checks passed; "
            f"{RERUN}"
        )
    if not state.validated:
        raise UnvalidatedWarehouse(
            f"warehouse {warehouse} holds an unvalidated build: run {state.run_id} started "
            f"rebuilding it at {state.updated_at} and did not pass its blocking checks "
            f"(a check failed, or the run was stopped); {RERUN}"
        )
    return state
