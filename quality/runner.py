"""Run suites with GX Core on pandas frames.

One ephemeral Data Context per process (or the one the caller passes), with one pandas data source,
one dataframe asset per suite and a whole-dataframe batch definition. Suites and validation
definitions are built the first time a suite runs in a context and reused after that.
Great Expectations is imported on first use: importing it takes seconds.

For millions of rows (docs/data-quality.md): a part runs first for pass/fail only (counts when a
`mostly` tolerance may hide unexpected rows), and only the expectations that met unexpected rows run
again for example rows; object columns of dates reach GX as Arrow dates, whose kind GX checks once
instead of value by value; GX's fingerprint of each batch is off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from quality.definitions import Expect, Part, SuiteDef
from quality.result import (
    MAX_EXAMPLES,
    Failure,
    SuiteResult,
    describe_expectation,
    describe_outcome,
)

if TYPE_CHECKING:
    from great_expectations.core.validation_definition import ValidationDefinition
    from great_expectations.data_context import AbstractDataContext

DATASOURCE = "sectorpulse_frames"
BATCH_DEFINITION = "whole_frame"
PARTIAL_UNEXPECTED = 10
# The first pass finds out whether anything is unexpected: pass/fail only, or the counts when a
# `mostly` tolerance may hide unexpected rows behind a success (they are reported as warnings).
PASS_FAIL = {"result_format": "BOOLEAN_ONLY"}
COUNTS = {"result_format": "BASIC", "partial_unexpected_count": PARTIAL_UNEXPECTED}
# The second pass, for those expectations only, collects the example rows of failures and warnings.
# No unexpected_index_column_names: GX would then look up every unexpected row one by one (a minute
# for 150k failing rows). The row labels it returns are enough to find examples.
DETAILS = {"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_UNEXPECTED}

_LOCK = threading.RLock()  # a Data Context is not thread-safe
_runtimes: dict[int, _Runtime] = {}
_default_context: AbstractDataContext | None = None


def _import_gx() -> Any:
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below this size (an md5 of all values, 0.2 s per million
    # rows) only to label it in the result's batch markers; no expectation reads it.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def new_context() -> AbstractDataContext:
    """An ephemeral Data Context: in-memory stores, no docs site, no analytics, no progress bars."""
    gx = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        # The context's own switch, not the GX_ANALYTICS_ENABLED variable: GX Core 1.24 has no
        # usage-statistics client at all, and this keeps one off in any version that brings it back.
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def default_context() -> AbstractDataContext:
    """The process-wide context the validate functions use when given none."""
    global _default_context
    with _LOCK:
        if _default_context is None:
            _default_context = new_context()
        return _default_context


def build_expectation(spec: Expect) -> Any:
    import great_expectations.expectations as gxe

    cls = getattr(gxe, spec.class_name, None)
    if cls is None:
        raise ValueError(f"Great Expectations has no expectation {spec.type!r}")
    return cls(**spec.kwargs)


class _Runtime:
    """The GX objects of one context, created once per suite part."""

    def __init__(self, context: AbstractDataContext):
        self.context = context
        self._validations: dict[str, ValidationDefinition] = {}

    def _batch_definition(self, asset_name: str) -> Any:
        sources = self.context.data_sources
        try:
            datasource = sources.get(DATASOURCE)
        except KeyError:
            datasource = sources.add_pandas(DATASOURCE)
        try:
            asset = datasource.get_asset(asset_name)
        except LookupError:
            asset = datasource.add_dataframe_asset(asset_name)
        try:
            return asset.get_batch_definition(BATCH_DEFINITION)
        except KeyError:
            return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    def validation(self, suite_def: SuiteDef, part: Part) -> ValidationDefinition:
        name = suite_def.part_name(part)
        if name not in self._validations:
            gx = _import_gx()
            suite = self.context.suites.add_or_update(
                gx.ExpectationSuite(
                    name=name,
                    expectations=[build_expectation(e) for e in part.expectations],
                    meta={"description": part.description or suite_def.description},
                )
            )
            definition = gx.ValidationDefinition(
                name=name, data=self._batch_definition(suite_def.name), suite=suite
            )
            self._validations[name] = self.context.validation_definitions.add_or_update(definition)
        return self._validations[name]

    def run(self, validation: ValidationDefinition, batch: pd.DataFrame, part: Part) -> Any:
        """Pass/fail (or counts) first; example rows only for the expectations that need them."""
        from great_expectations.data_context import set_context

        # GX resolves some lookups through the "current" context; make it ours for this run.
        set_context(self.context)
        parameters = {"dataframe": batch}
        tolerant = any("mostly" in e.kwargs for e in part.expectations)
        first = COUNTS if tolerant else PASS_FAIL
        result = validation.run(batch_parameters=parameters, result_format=first)
        unclean = [o for o in result.results if not o.success or _unexpected(o)]
        if unclean:
            # Those expectations again, with examples; their outcomes replace the first ones.
            suite = _import_gx().ExpectationSuite(
                name=validation.suite.name, expectations=[o.expectation_config for o in unclean]
            )
            gx_batch = validation.data.get_batch(batch_parameters=parameters)
            details = gx_batch.validate(suite, result_format=DETAILS)
            by_id = {o.expectation_config.id: o for o in details.results}
            result.results = [by_id.get(o.expectation_config.id, o) for o in result.results]
        return result


def _unexpected(outcome: Any) -> int:
    return (outcome.result or {}).get("unexpected_count") or 0


def _runtime(context: AbstractDataContext | None) -> _Runtime:
    context = context if context is not None else default_context()
    runtime = _runtimes.get(id(context))
    if runtime is None or runtime.context is not context:
        runtime = _runtimes[id(context)] = _Runtime(context)
    return runtime


# -- running a suite -------------------------------------------------------------------------------


def arrow_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns of datetime.date values (and None) as Arrow date32 columns.

    The same values, but GX checks the kind "date" of an Arrow date column once, by its dtype,
    instead of calling isinstance on every value of an object column (0.4 s per million rows).
    Columns with anything else (text, datetimes, numbers, NaN) or no date at all stay as they
    are, so GX still judges every odd value as before.
    """
    out = frame
    for i, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype) and _only_dates(frame.iloc[:, i]):
            values = pa.array(frame.iloc[:, i], type=pa.date32())
            out = out.copy(deep=False) if out is frame else out
            out.isetitem(i, pd.arrays.ArrowExtensionArray(values))
    return out


def _only_dates(column: pd.Series) -> bool:
    try:
        kinds = {type(v) for v in column.unique()}  # one type() per distinct value
    except TypeError:  # unhashable values (dicts, lists): not dates
        return False
    return date in kinds and kinds <= {date, type(None)}


def _exception_messages(info: Any) -> list[str]:
    """Messages of the exceptions GX caught for one expectation (its exception_info)."""
    if not isinstance(info, Mapping):
        return []
    if "raised_exception" in info:
        infos = [info]
    else:  # one entry per metric that failed to resolve
        infos = [v for v in info.values() if isinstance(v, Mapping)]
    return [
        str(i.get("exception_message") or "exception without message")
        for i in infos
        if i.get("raised_exception")
    ]


def _expectation_columns(kwargs: Mapping[str, Any]) -> list[str]:
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k) is not None]
    columns.extend(kwargs.get("column_list") or [])
    return [str(c) for c in columns]


def _examples(
    batch: pd.DataFrame, outcome: Mapping[str, Any], columns: Sequence[str], keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The first unexpected rows, as {key columns..., checked columns...}."""
    labels = list(outcome.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES]
    shown = [c for c in dict.fromkeys([*keys, *columns]) if c in batch.columns]
    if not labels or not shown:
        return []
    try:
        return batch.loc[labels, shown].to_dict("records")
    except (KeyError, TypeError):  # not row labels of this frame
        return []


def _collect(
    result: SuiteResult, part: Part, suite: Any, batch: pd.DataFrame, gx_result: Any
) -> list[str]:
    """Adds failure and warning texts to `result`; returns the texts of GX exceptions."""
    label = f"[{part.name}] " if part.name else ""
    errors: list[str] = []
    order = {e.id: i for i, e in enumerate(suite.expectations)}
    outcomes = sorted(
        gx_result.results, key=lambda o: order.get(o.expectation_config.id, len(order))
    )
    for outcome in outcomes:
        config = outcome.expectation_config
        kwargs = dict(config.kwargs)
        text = label + describe_expectation(config.type, kwargs)
        messages = _exception_messages(outcome.exception_info)
        if messages:
            columns = _expectation_columns(kwargs)
            missing = [c for c in columns if c not in batch.columns]
            if missing:  # the column checks already fail and name the column
                result.failures.append(
                    Failure(
                        f"{text}: column {', '.join(missing)} is missing",
                        expectation=config.type,
                        columns=columns,
                        part=part.name,
                    )
                )
            else:
                errors.append(f"{text}: {'; '.join(dict.fromkeys(messages))}")
            continue
        outcome_result = outcome.result or {}
        if outcome.success and not outcome_result.get("unexpected_count"):
            continue
        columns = _expectation_columns(kwargs)
        examples = _examples(batch, outcome_result, columns, part.index_columns)
        described = describe_outcome(outcome_result, examples)
        if not outcome.success:
            result.failures.append(
                Failure(
                    f"{text}: {described}",
                    expectation=config.type,
                    columns=columns,
                    part=part.name,
                    examples=examples,
                )
            )
        else:
            result.warnings.append(
                f"{text}: tolerated by mostly={kwargs.get('mostly')}: {described}"
            )
    return errors


def run_suite(
    suite_def: SuiteDef,
    frame: pd.DataFrame,
    context: AbstractDataContext | None = None,
    reference: Any = None,
) -> SuiteResult:
    """Validate `frame` with every part of the suite. Never raises; an exception fails the suite.

    `reference` (a quality.RawReference) feeds the parts that check rows against the run; without
    it they are skipped, with a warning that says so.
    """
    started = time.perf_counter()
    result = SuiteResult(
        suite=suite_def.name,
        target=suite_def.target,
        layer=suite_def.layer,
        success=False,
        n_expectations=suite_def.n_expectations,
        rows=len(frame) if isinstance(frame, pd.DataFrame) else 0,
    )
    errors: list[str] = []
    all_passed = True
    try:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
        frame = arrow_dates(frame)
        with _LOCK:
            runtime = _runtime(context)
            for part in suite_def.parts:
                if part.needs_reference and reference is None:
                    result.warnings.append(
                        f"[{part.name}] not evaluated: no run reference (as_of, trading days) "
                        f"was given: {part.description}"
                    )
                    continue
                missing = [c for c in part.requires if c not in frame.columns]
                if missing:
                    all_passed = False
                    result.failures.append(
                        Failure(
                            f"[{part.name}] not evaluated: column {', '.join(missing)} is missing",
                            columns=missing,
                            part=part.name,
                        )
                    )
                    continue
                if part.needs_reference or part.uses_reference:
                    caveat = part.caveat(reference) if part.caveat else None
                    if caveat:
                        result.warnings.append(f"[{part.name}] {caveat}")
                    batch = part.prepare(frame, reference)
                else:
                    batch = part.prepare(frame) if part.prepare else frame
                if not batch.index.is_unique:  # row labels must point at one row each
                    batch = batch.reset_index(drop=True)
                validation = runtime.validation(suite_def, part)
                gx_result = runtime.run(validation, batch, part)
                result.gx_results.append((validation.suite, gx_result))
                all_passed = all_passed and bool(gx_result.success)
                errors += _collect(result, part, validation.suite, batch, gx_result)
    except Exception as exc:  # any failure to validate is a failed check, never a pass
        errors.append(f"{type(exc).__name__}: {exc}")
    if errors:
        result.error = "\n".join(errors)
    result.success = all_passed and not result.failures and result.error is None
    if not result.success and not result.failures and result.error is None:
        result.failures.append("GX reported the suite as failed without a failed expectation")
    result.seconds = time.perf_counter() - started
    return result
