"""The outcome of one suite, in words a data engineer reads in the Dagster UI."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

MAX_EXAMPLES = 5
MAX_TEXT = 160  # characters of one value in a failure text
MAX_LINES = 50  # failure/warning lines kept in Dagster metadata


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

    def as_metadata(self) -> dict[str, str | int | float | bool]:
        """Plain values for Dagster metadata (text, numbers, booleans)."""
        meta: dict[str, str | int | float | bool] = {
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
