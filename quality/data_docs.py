"""GX Data Docs (static HTML) for a set of validation results."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Iterable
from datetime import UTC, datetime
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


def publish_suite_docs(result: SuiteResult, docs_root: str | Path) -> Path:
    """Data Docs for one suite's latest run under docs_root/<suite>/, and the landing page.

    Suites run in different Dagster steps (and processes), so each keeps its own site and
    `status.json`; `docs_root/index.html` lists every suite's latest outcome with a link.
    """
    root = Path(docs_root)
    site = root / result.suite
    if result.gx_results:
        build_data_docs([result], site)
    site.mkdir(parents=True, exist_ok=True)
    status = {
        "suite": result.suite,
        "success": result.success,
        "summary": result.summary(),
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "has_pages": bool(result.gx_results),
    }
    (site / "status.json").write_text(json.dumps(status, ensure_ascii=False, indent=1))
    return write_landing_page(root)


def write_landing_page(root: Path) -> Path:
    rows = []
    for path in sorted(root.glob("*/status.json")):
        status = json.loads(path.read_text())
        link = f"{path.parent.name}/index.html" if status["has_pages"] else None
        name = html.escape(status["suite"])
        rows.append(
            f"<tr class={'pass' if status['success'] else 'fail'}>"
            f"<td>{f'<a href={link!r}>{name}</a>' if link else name}</td>"
            f"<td>{'passed' if status['success'] else 'FAILED'}</td>"
            f"<td>{html.escape(status['summary'])}</td><td>{status['validated_at']}</td></tr>"
        )
    page = root / "index.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><title>sectorpulse: Great Expectations</title>"
        "<style>body{font-family:sans-serif}td{padding:2px 8px}.fail{color:#b00}</style>"
        "<h1>sectorpulse data quality: latest run of each suite</h1>"
        "<table><tr><th>suite</th><th>result</th><th>summary</th><th>validated (UTC)</th></tr>"
        + "".join(rows)
        + "</table>\n",
        encoding="utf-8",
    )
    return page
