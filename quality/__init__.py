"""Great Expectations (GX Core 1.x) suites for sectorpulse.

Raw suites validate each dataset's frame as fetched, before it is loaded; model suites validate
staging views and marts read back from DuckDB. Everything runs on pandas frames in an ephemeral GX
Data Context. No Dagster here: the orchestrator turns each `SuiteResult` into an asset check.

    result = validate_raw("sw_index_daily", frame, reference=RawReference(as_of, trading_days))
    result.success, result.failures, result.as_metadata()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from quality.catalog import MODEL_SUITES, RAW_SUITES, model_suite, raw_suite
from quality.reference import RawReference
from quality.result import FAILURE_DETAILS_KEY, Failure, SuiteResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    from great_expectations.data_context import AbstractDataContext

__all__ = [
    "FAILURE_DETAILS_KEY",
    "MODEL_SUITES",
    "RAW_SUITES",
    "Failure",
    "RawReference",
    "SuiteResult",
    "build_data_docs",
    "publish_suite_docs",
    "validate_model",
    "validate_raw",
]


def validate_raw(
    dataset: str,
    frame: pd.DataFrame,
    context: AbstractDataContext | None = None,
    *,
    reference: RawReference | None = None,
) -> SuiteResult:
    """Validate a raw frame (akshare's columns; `_`-prefixed load metadata is ignored).

    Pass the dataset's whole frame for the run (all calls concatenated): the count checks, such as
    "31 L1 industries on the latest date", read across calls. `reference` (the run's as_of and
    trading days) enables the checks that dated rows are on trading days and not after as_of;
    without it they are skipped and the result warns. Raises ValueError for an unknown dataset;
    any exception while validating gives success=False with the error text.
    """
    from quality.runner import run_suite

    return run_suite(raw_suite(dataset), frame, context, reference=reference)


def validate_model(
    model: str, frame: pd.DataFrame, context: AbstractDataContext | None = None
) -> SuiteResult:
    """Validate a staging or mart model read from DuckDB (for big models, the new batch only).

    Raises ValueError for an unknown model; any exception while validating gives success=False
    with the error text.
    """
    from quality.runner import run_suite

    return run_suite(model_suite(model), frame, context)


def build_data_docs(results: Iterable[SuiteResult], target_dir: str | Path) -> Path:
    """Write GX Data Docs for these results under target_dir; returns the path of index.html."""
    from quality.data_docs import build_data_docs as build

    return build(results, target_dir)


def publish_suite_docs(result: SuiteResult, docs_root: str | Path) -> Path:
    """Data Docs for one suite's latest run, plus the landing page listing every suite."""
    from quality.data_docs import publish_suite_docs as publish

    return publish(result, docs_root)
