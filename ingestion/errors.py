"""Inputs a raw load refuses before writing anything, and the rules that refuse them.

Each rule lives here once and is applied wherever its input is met: to a snapshot entry before a
bulk load (ingestion.bulk), to a frame before `combine()` (ingestion.warehouse), and, for "no
data", to a live answer (ingestion.live). The raw asset reports an `InputRejected` as its failed
check `gx_raw_<dataset>`, with `rule` and `examples` in the metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ingestion.specs import Call, DatasetSpec

MAX_EXAMPLES = 3


class BulkValidationError(Exception):
    """The batch of a dataset failed validation; nothing of that dataset was written."""


class InputRejected(BulkValidationError):
    """An input refused before anything was written (raw.* unchanged).

    `rule` is a short snake_case name (empty_call, manifest_key, manifest_dataset,
    manifest_function, columns, unreadable_file, checksum), `examples` up to 3 offending
    calls or entries, and str() one line naming the dataset, the file or field, an example and
    the fix.
    """

    def __init__(
        self, dataset: str, rule: str, message: str, examples: Sequence[Mapping] = ()
    ) -> None:
        self.dataset = dataset
        self.rule = rule
        self.message = message
        self.examples: list[dict] = [dict(e) for e in examples][:MAX_EXAMPLES]
        super().__init__(f"dataset {dataset!r}: {message}")


def no_data(rows: int, columns: int) -> bool:
    """akshare's empty shapes: a zero-column or a zero-row frame (its KeyError empties are
    recorded as zero-column frames)."""
    return rows == 0 or columns == 0


def refuse_empty(spec: DatasetSpec, empties: Sequence[tuple[Call, str]], calls: int) -> None:
    """A required call with no data is an error, in replay as in live (`spec.empty_ok`).

    `empties` are (call, file) of the calls that hold no rows or no columns, of `calls` planned.
    """
    if spec.empty_ok or not empties:
        return
    call, where = empties[0]
    others = f" and {len(empties) - 1} more" if len(empties) > 1 else ""
    raise InputRejected(
        spec.name,
        "empty_call",
        f"required call {call.describe()} has no data (0 rows or 0 columns) in {where}{others} "
        f"of {calls} calls; loading it would delete the call's rows. Every {spec.name} call must "
        "return data: record the call again (sectorpulse record) or restore the file",
        [{"call": c.describe(), "file": w} for c, w in empties],
    )


def column_difference(expected: Sequence[str], got: Sequence[str]) -> dict[str, list[str]] | None:
    """What differs between a frame's columns and the spec's: None when they are equal, in order.

    akshare assigns most column names by position, so names in another order mean the values
    may sit under the wrong names: a reorder is refused like a missing or an extra column.
    """
    if list(got) == list(expected):
        return None
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    return {"missing": missing, "extra": extra, "order": [] if missing or extra else list(got)}


def refuse_other_columns(
    spec: DatasetSpec, frames: Sequence[tuple[Call, str, Sequence[str]]]
) -> None:
    """Every non-empty frame has exactly the spec's columns, in the spec's order.

    `frames` are (call, file, column names). Extra, missing and reordered columns are refused
    alike in every dataset, never dropped or filled in.
    """
    examples = []
    for call, where, names in frames:
        diff = column_difference(list(spec.columns), [str(n) for n in names])
        if diff is not None:
            examples.append({"call": call.describe(), "file": where, **diff})
    if not examples:
        return
    first = examples[0]
    parts = [f"{k} {', '.join(first[k])}" for k in ("extra", "missing") if first[k]]
    what = "; ".join(parts) or f"columns in another order ({', '.join(first['order'])})"
    others = f" (and {len(examples) - 1} more calls)" if len(examples) > 1 else ""
    raise InputRejected(
        spec.name,
        "columns",
        f"{first['call']} in {first['file']} does not have the spec's columns: {what}{others}. "
        "akshare or the upstream changed (columns are assigned by position): fix the spec in "
        "ingestion/specs.py or record the call again",
        examples,
    )


__all__ = [
    "BulkValidationError",
    "InputRejected",
    "column_difference",
    "no_data",
    "refuse_empty",
    "refuse_other_columns",
]
