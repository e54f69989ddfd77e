"""GX Data Docs (static HTML) for a set of validation results."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path

from quality.result import SuiteResult
from quality.runner import _LOCK, _import_gx, new_context

SITE_NAME = "sectorpulse"


def build_data_docs(results: Iterable[SuiteResult], target_dir: str | Path) -> Path:
    """Render the suites and validation results in `results` as Data Docs under `target_dir`.

    A fresh ephemeral context holds exactly these results, so index.html lists this run's
    validations; pages written by earlier builds stay on disk. Returns the path of index.html.
    A result whose validation raised before GX produced anything has no page.
    """
    gx = _import_gx()
    from great_expectations.data_context import project_manager, set_context
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    target = Path(target_dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        try:
            previous = project_manager.get_current_project()
        except Exception:  # no context was current yet
            previous = None
        try:
            context = new_context()
            context.add_data_docs_site(
                SITE_NAME,
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(target),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            added: set[str] = set()
            for result in results:
                for suite, validation_result in result.gx_results:
                    if suite.name not in added:
                        context.suites.add_or_update(
                            gx.ExpectationSuite(
                                name=suite.name,
                                expectations=[copy.copy(e) for e in suite.expectations],
                                meta=dict(suite.meta),
                            )
                        )
                        added.add(suite.name)
                    batch = validation_result.meta.get("active_batch_definition") or {}
                    batch_id = "-".join(
                        str(batch.get(k, "")) for k in ("datasource_name", "data_asset_name")
                    )
                    key = ValidationResultIdentifier(
                        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                        run_id=validation_result.meta["run_id"],
                        batch_identifier=batch_id,
                    )
                    context.validation_results_store.set(key, validation_result)
            context.build_data_docs(site_names=[SITE_NAME])
        finally:
            if previous is not None:
                set_context(previous)
    index = target / "index.html"
    if not index.is_file():
        raise RuntimeError(f"GX built no Data Docs index at {index}")
    return index
