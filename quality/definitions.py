"""Suites as plain data: which expectations run on which frame.

Nothing here imports Great Expectations (importing it takes seconds); the runner turns each
`Expect` into a GX expectation when a suite is first used. A suite has one or more parts. The main
part runs on the frame as given; other parts run on a frame derived from it (a subset such as "the
L1 industries on the latest date", or per-group figures such as "max rank - count"), because a GX
batch is one frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from quality.reference import HISTORY_TOLERANCE
from quality.result import describe_expectation

Layer = Literal["raw", "model"]
Frame = pd.DataFrame

NUMERIC_TYPES: tuple[str, ...] = (
    "int",
    "float",
    "int8",
    "int16",
    "int32",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "Int8Dtype",
    "Int16Dtype",
    "Int32Dtype",
    "Int64Dtype",
    "UInt8Dtype",
    "UInt16Dtype",
    "UInt32Dtype",
    "UInt64Dtype",
    "Float32Dtype",
    "Float64Dtype",
)


@dataclass(frozen=True)
class Expect:
    """One GX expectation by its snake_case type, e.g. expect_column_values_to_not_be_null."""

    type: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return "".join(word[:1].upper() + word[1:] for word in self.type.split("_"))

    def describe(self) -> str:
        return describe_expectation(self.type, self.kwargs)


def expect(expectation_type: str, /, **kwargs: Any) -> Expect:
    return Expect(expectation_type, kwargs)


@dataclass(frozen=True)
class Part:
    """Expectations over one frame: the suite's input (name "") or a frame derived from it."""

    name: str
    description: str
    expectations: tuple[Expect, ...]
    # input frame -> batch; (input frame, run reference) -> batch when `needs_reference`
    prepare: Callable[..., Frame] | None = None
    requires: tuple[str, ...] = ()  # input columns `prepare` reads; missing -> part not run
    index_columns: tuple[str, ...] = ()  # batch columns that identify a row in failure texts
    # Checks against the run (as_of, trading days): without a reference the part is skipped, and
    # the result says so in a warning.
    needs_reference: bool = False
    # prepare also reads the reference when there is one (None otherwise); the part always runs.
    uses_reference: bool = False
    # A caveat for a given reference (e.g. "trading days unknown"), shown as a warning.
    caveat: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class SuiteDef:
    layer: Layer
    target: str  # dataset (raw) or dbt model name
    description: str
    parts: tuple[Part, ...]

    @property
    def name(self) -> str:
        return f"{self.layer}.{self.target}"

    def part_name(self, part: Part) -> str:
        return self.name if not part.name else f"{self.name}.{part.name}"

    @property
    def n_expectations(self) -> int:
        return sum(len(p.expectations) for p in self.parts)


# -- expectation helpers shared by the raw and model suites ---------------------------------------


def not_null(columns: Iterable[str]) -> list[Expect]:
    return [expect("expect_column_values_to_not_be_null", column=c) for c in columns]


def unique_key(columns: Sequence[str]) -> list[Expect]:
    if len(columns) == 1:
        return [expect("expect_column_values_to_be_unique", column=columns[0])]
    return [expect("expect_compound_columns_to_be_unique", column_list=list(columns))]


def positive(columns: Iterable[str], **kwargs: Any) -> list[Expect]:
    return [
        expect(
            "expect_column_values_to_be_between", column=c, min_value=0, strict_min=True, **kwargs
        )
        for c in columns
    ]


def non_negative(columns: Iterable[str]) -> list[Expect]:
    return [expect("expect_column_values_to_be_between", column=c, min_value=0) for c in columns]


def between(column: str, lo: Any = None, hi: Any = None, **kwargs: Any) -> Expect:
    bounds = {k: v for k, v in (("min_value", lo), ("max_value", hi)) if v is not None}
    return expect("expect_column_values_to_be_between", column=column, **bounds, **kwargs)


def at_least(column_a: str, column_b: str, **kwargs: Any) -> Expect:
    """column_a >= column_b on every row where both are present."""
    return expect(
        "expect_column_pair_values_a_to_be_greater_than_b",
        column_A=column_a,
        column_B=column_b,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        **kwargs,
    )


def ohlc_order(
    open_: str, high: str, low: str, close: str, *, tolerant: bool = False
) -> list[Expect]:
    """low <= open, close <= high (and low <= high)."""
    kwargs = {"mostly": HISTORY_TOLERANCE} if tolerant else {}
    return [
        at_least(high, low, **kwargs),
        at_least(high, open_, **kwargs),
        at_least(high, close, **kwargs),
        at_least(open_, low, **kwargs),
        at_least(close, low, **kwargs),
    ]


def matches(column: str, regex: str) -> Expect:
    return expect("expect_column_values_to_match_regex", column=column, regex=regex)


def in_set(column: str, values: Iterable[Any], **kwargs: Any) -> Expect:
    return expect(
        "expect_column_values_to_be_in_set", column=column, value_set=list(values), **kwargs
    )


def row_count(n: int) -> Expect:
    return expect("expect_table_row_count_to_equal", value=n)


def distinct_count(column: str, n: int) -> Expect:
    return expect(
        "expect_column_unique_value_count_to_be_between", column=column, min_value=n, max_value=n
    )


def columns_exist(columns: Iterable[str]) -> list[Expect]:
    return [expect("expect_column_to_exist", column=c) for c in columns]


def kind_check(column: str, kind: str) -> Expect:
    """A column kind of ingestion.specs: str, date (datetime.date values) or float/int (numeric)."""
    if kind in ("float", "int"):
        return expect(
            "expect_column_values_to_be_in_type_list", column=column, type_list=list(NUMERIC_TYPES)
        )
    if kind == "date":
        # GX 1.24 finds "date" in pandas.core.dtypes.dtypes (it is datetime.date there) and checks
        # each value of an object column; the kind tests in tests/test_quality.py guard this.
        return expect("expect_column_values_to_be_of_type", column=column, type_="date")
    if kind == "str":
        return expect("expect_column_values_to_be_of_type", column=column, type_="str")
    raise ValueError(f"unknown column kind {kind!r} for column {column!r}")


# -- frame helpers for derived parts ---------------------------------------------------------------


def latest_rows(frame: Frame, date_column: str) -> Frame:
    """Rows on the latest value of date_column (none when the frame is empty)."""
    dates = frame[date_column].dropna()
    if dates.empty:
        return frame.iloc[0:0]
    return frame[frame[date_column] == dates.max()]
