"""The outcome of one suite, in words a data engineer reads in the Dagster UI."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

MAX_EXAMPLES = 5
MAX_DETAIL_EXAMPLES = 3  # example rows per failure in the machine-readable details
MAX_TEXT = 160  # characters of one value in a failure text
MAX_LINES = 50  # failure/warning lines kept in Dagster metadata
FAILURE_DETAILS_KEY = "failure_details"  # Dagster metadata: one dict per failed expectation


class Failure(str):
    """One failure line, which also carries what a program needs: the expectation, its columns,
    the suite part and up to MAX_DETAIL_EXAMPLES example rows (key columns and checked values).

    A str, so it compares, joins and prints as the line; lists of failures (of chunks, of
    several results) keep their details when concatenated.
    """

    expectation: str | None
    columns: tuple[str, ...]
    part: str
    examples: tuple[dict[str, Any], ...]

    def __new__(
        cls,
        text: str,
        *,
        expectation: str | None = None,
        columns: Sequence[str] = (),
        part: str = "",
        examples: Sequence[Mapping[str, Any]] = (),
    ) -> Failure:
        line = super().__new__(cls, text)
        line.expectation = expectation
        line.columns = tuple(str(c) for c in columns)
        line.part = part
        line.examples = tuple(
            {str(k): json_value(v) for k, v in row.items()}
            for row in list(examples)[:MAX_DETAIL_EXAMPLES]
        )
        return line

    def detail(self, suite: str) -> dict[str, Any]:
        return {
            "suite": suite,
            "part": self.part,
            "expectation": self.expectation,
            "columns": list(self.columns),
            "summary": str(self),
            "examples": [dict(row) for row in self.examples],
        }


def failure_detail(line: str, suite: str) -> dict[str, Any]:
    """The machine-readable form of a failure line (a plain str has no examples)."""
    if isinstance(line, Failure):
        return line.detail(suite)
    return {
        "suite": suite,
        "part": "",
        "expectation": None,
        "columns": [],
        "summary": str(line),
        "examples": [],
    }


def json_value(value: Any) -> Any:
    """A value as JSON has it: numbers, text, booleans or None; dates as ISO text."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):  # numpy scalar -> Python value
            value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    with contextlib.suppress(TypeError, ValueError):
        if value != value:  # pd.NA, NaT
            return None
    return str(value)


@dataclass
class SuiteResult:
    suite: str  # GX suite name, e.g. "raw.sw_index_daily"
    target: str  # dataset or model name
    layer: str  # "raw" or "model"
    success: bool
    n_expectations: int
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # tolerated by `mostly`, still worth seeing
    error: str | None = None  # an exception while validating: never a pass
    rows: int = 0
    seconds: float = 0.0
    # (ExpectationSuite, ExpectationSuiteValidationResult) per part, for Data Docs.
    gx_results: list[tuple[Any, Any]] = field(default_factory=list, repr=False, compare=False)

    @property
    def n_failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        if self.error:
            return f"{self.suite}: ERROR {self.error}"
        if self.success:
            return f"{self.suite}: passed {self.n_expectations} expectations on {self.rows} rows"
        return f"{self.suite}: {self.n_failed} of {self.n_expectations} expectations failed"

    @property
    def failure_details(self) -> list[dict[str, Any]]:
        """One dict per failure: suite, part, expectation, columns, summary (the line) and up to
        MAX_DETAIL_EXAMPLES example rows as {column: value} (JSON values)."""
        return [failure_detail(line, self.suite) for line in self.failures]

    def as_metadata(self) -> dict[str, Any]:
        """Dagster metadata: text, numbers and booleans, plus `failure_details` (a JSON list,
        present when something failed)."""
        meta: dict[str, Any] = {
            "suite": self.suite,
            "target": self.target,
            "success": self.success,
            "expectations": self.n_expectations,
            "failed_expectations": self.n_failed,
            "rows_validated": self.rows,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
        }
        if self.failures:
            meta["failures"] = _lines(self.failures)
            meta[FAILURE_DETAILS_KEY] = self.failure_details[:MAX_LINES]
        if self.warnings:
            meta["warnings"] = _lines(self.warnings)
        if self.error:
            meta["error"] = self.error
        return meta


def _lines(items: Sequence[str]) -> str:
    shown = [f"- {item}" for item in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        shown.append(f"- ... and {len(items) - MAX_LINES} more")
    return "\n".join(shown)


# -- describing one GX expectation result ----------------------------------------------------------


def fmt_value(value: Any) -> str:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):  # numpy scalar -> Python value
            value = value.item()
    if isinstance(value, datetime):  # DuckDB DATE columns arrive as midnight timestamps
        text = value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = "NaN" if math.isnan(value) else f"{value:.6g}"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, (list, tuple, set)):
        items = list(value)
        text = "[" + ", ".join(fmt_value(v) for v in items[:10])
        text += ", ...]" if len(items) > 10 else "]"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


_SKIP_KWARGS = {"batch_id", "result_format", "include_config", "catch_exceptions", "meta", "notes"}


def describe_expectation(type_: str, kwargs: Mapping[str, Any]) -> str:
    args = []
    for key, value in kwargs.items():
        if key in _SKIP_KWARGS or value is None:
            continue
        if key == "row_condition" and isinstance(value, Mapping):
            value = value.get("pass_through_filter", value)
        if key in ("column", "column_A", "column_B") or key == "column_list":
            args.append(fmt_value(value) if key == "column_list" else str(value))
        else:
            args.append(f"{key}={fmt_value(value)}")
    return f"{type_}({', '.join(args)})"


def describe_outcome(result: Mapping[str, Any], examples: Sequence[Any] = ()) -> str:
    """What the data looked like: counts and example rows (or values), or the observed value."""
    if "unexpected_count" in result and result.get("element_count") is not None:
        n_bad = result.get("unexpected_count") or 0
        total = result.get("element_count") or 0
        pct = result.get("unexpected_percent")
        text = f"{n_bad} of {total} rows unexpected"
        if pct is not None:
            text += f" ({pct:.3g}%)"
        examples = examples or result.get("partial_unexpected_list") or []
        if examples:
            text += ", e.g. " + "; ".join(fmt_value(e) for e in examples[:MAX_EXAMPLES])
        return text
    details = result.get("details") or {}
    mismatched = details.get("mismatched") if isinstance(details, Mapping) else None
    if isinstance(mismatched, Mapping):
        parts = []
        if mismatched.get("missing"):
            parts.append("missing column(s) " + ", ".join(map(str, mismatched["missing"])))
        if mismatched.get("unexpected"):
            parts.append("unexpected column(s) " + ", ".join(map(str, mismatched["unexpected"])))
        if parts:
            return "; ".join(parts)
    if "observed_value" in result:
        return f"observed {fmt_value(result['observed_value'])}"
    return "failed"
