"""Data Docs: each suite's latest result as a static HTML page that needs no network.

GX's own Data Docs load Bootstrap, jQuery, Font Awesome and Vega from CDNs (16 files per page),
so offline they render unstyled, and their index, which JavaScript draws, is empty. These pages
are plain HTML with their CSS inline and no script, rendered from the GX validation results.

```
data/gx/data_docs/
  index.html          every suite of the catalog, its latest outcome, a link to its page
  raw.stock_daily/
    index.html        the latest result: failures, warnings, every expectation of every part
    status.json       what the index shows of the suite
```

Suites run in different Dagster steps (and processes): each writes its own folder and then the
index from every folder's status.json; files are replaced whole, so a reader never sees half.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.paths import replace_text
from quality.catalog import MODEL_SUITES, RAW_SUITES
from quality.result import SuiteResult, describe_expectation, describe_outcome
from quality.runner import _exception_messages

PAGE = "index.html"
STATUS = "status.json"

CSS = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei",
       "Helvetica Neue", Arial, sans-serif; max-width: 1200px; margin: 1.5rem auto;
       padding: 0 1.2rem; color: #1d2733; line-height: 1.5; background: #fff; }
h1 { font-size: 1.5rem; border-bottom: 3px solid #1f4e79; padding-bottom: .4rem; }
h2 { font-size: 1.15rem; color: #1f4e79; margin-top: 1.8rem; border-bottom: 1px solid #d5dbe3; }
a { color: #1f4e79; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; width: 100%; }
th, td { border: 1px solid #d5dbe3; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem; }
pre, li.line { white-space: pre-wrap; word-break: break-word; }
pre { background: #fbeaea; border-left: 5px solid #b3261e; padding: .6rem 1rem; }
.status { font-weight: bold; white-space: nowrap; border-radius: 3px; padding: .1rem .45rem; }
.passed { background: #e3f4e8; color: #1b6b34; }
.failed { background: #fbeaea; color: #b3261e; }
.error { background: #b3261e; color: #fff; }
.tolerated { background: #fff4e5; color: #7a3e00; }
.not-run { background: #eceff3; color: #5b6673; }
.note { color: #5b6673; font-size: .9rem; }
"""


def build_data_docs(results: Iterable[SuiteResult], docs_root: str | Path) -> Path:
    """Write each result's suite page under docs_root/<suite>/, then docs_root/index.html,
    which lists every suite with its latest outcome. Returns the path of index.html."""
    root = Path(docs_root)
    for result in results:
        write_suite_page(result, root)
    return write_index(root)


def publish_suite_docs(result: SuiteResult, docs_root: str | Path) -> Path:
    """One suite's latest run, for the Dagster step that ran it; returns the index's path."""
    return build_data_docs([result], docs_root)


def suite_page(docs_root: Path, suite: str) -> Path:
    return docs_root / suite / PAGE


def write_suite_page(result: SuiteResult, docs_root: Path) -> Path:
    folder = docs_root / result.suite
    folder.mkdir(parents=True, exist_ok=True)
    validated_at = datetime.now(UTC).isoformat(timespec="seconds")
    page = suite_page(docs_root, result.suite)
    replace_text(page, _suite_html(result, validated_at))
    status = {
        "suite": result.suite,
        "status": _status(result),
        "summary": result.summary(),
        "validated_at": validated_at,
    }
    replace_text(folder / STATUS, json.dumps(status, ensure_ascii=False, indent=1))
    # Anything else in the folder is an earlier version's GX site (4 MB of CDN-bound pages).
    for path in folder.iterdir():
        if path.name not in (PAGE, STATUS) and not path.name.startswith("."):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return page


def write_index(docs_root: Path) -> Path:
    """Every suite of the catalog, validated or not yet, then any other suite with a page."""
    statuses = {}
    for path in docs_root.glob(f"*/{STATUS}"):
        status = json.loads(path.read_text(encoding="utf-8"))
        statuses[status["suite"]] = status
    catalog = [f"raw.{d}" for d in RAW_SUITES] + [f"model.{m}" for m in MODEL_SUITES]
    names = catalog + sorted(set(statuses) - set(catalog))
    rows = []
    counts: dict[str, int] = {}
    for name in names:
        status = statuses.get(name)
        state = _known_status(status)
        counts[state] = counts.get(state, 0) + 1
        link = suite_page(docs_root, name)
        cell = _e(name)
        if status and link.is_file():
            cell = f'<a href="{_e(name)}/{PAGE}">{cell}</a>'
        summary = status["summary"].removeprefix(f"{name}: ").split("\n")[0] if status else ""
        rows.append(
            f"<tr><td><code>{cell}</code></td><td>{_badge(state)}</td>"
            f"<td>{_e(_short(summary))}</td>"
            f"<td>{_e(status['validated_at']) if status else ''}</td></tr>"
        )
    tally = ", ".join(f"{counts[s]} {_LABELS[s]}" for s in _LABELS if s in counts)
    body = (
        "<h1>sectorpulse data quality: the latest result of each suite</h1>"
        f'<p class="note">{len(names)} Great Expectations suites: {_e(tally)}. Raw suites check '
        "each dataset's frame before it is loaded; model suites check staging and marts after "
        "dbt. A run validates the rows it loaded or rebuilt.</p>"
        "<table><tr><th>suite</th><th>result</th><th>summary</th><th>validated (UTC)</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    index = docs_root / PAGE
    docs_root.mkdir(parents=True, exist_ok=True)
    replace_text(index, _document("sectorpulse data quality", body))
    return index


# -- one suite's page ------------------------------------------------------------------------------

_LABELS = {
    "passed": "passed",
    "failed": "FAILED",
    "error": "ERROR",
    "tolerated": "passed, rows tolerated",
    "not-run": "not validated yet",
}


def _status(result: SuiteResult) -> str:
    if result.error:
        return "error"
    return "passed" if result.success else "failed"


def _known_status(status: Mapping[str, Any] | None) -> str:
    if status is None:
        return "not-run"
    if status.get("status") in _LABELS:
        return status["status"]
    return "passed" if status.get("success") else "failed"  # status.json of an earlier version


def _suite_html(result: SuiteResult, validated_at: str) -> str:
    facts = [
        ("result", _badge(_status(result))),
        ("target", _e(f"{result.target} ({result.layer})")),
        ("rows validated", f"{result.rows:,}"),
        ("expectations", f"{result.n_expectations} ({result.n_failed} failed)"),
        ("validated (UTC)", _e(validated_at)),
        ("seconds", f"{result.seconds:.2f}"),
    ]
    body = [
        f'<p class="note"><a href="../{PAGE}">sectorpulse data quality</a> / '
        f"<code>{_e(result.suite)}</code></p>",
        f"<h1>{_e(result.suite)}</h1>",
        "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts) + "</table>",
    ]
    if result.error:
        body.append(f"<h2>Error</h2><pre>{_e(result.error)}</pre>")
    for title, lines in (("Failures", result.failures), ("Warnings", result.warnings)):
        if lines:
            items = "".join(f'<li class="line"><code>{_e(line)}</code></li>' for line in lines)
            body.append(f"<h2>{title} ({len(lines)})</h2><ul>{items}</ul>")
    runs: dict[str, int] = {}
    for suite, _ in result.gx_results:
        runs[suite.name] = runs.get(suite.name, 0) + 1
    seen: dict[str, int] = {}
    for suite, validation in result.gx_results:
        seen[suite.name] = seen.get(suite.name, 0) + 1
        chunk = f" (batch {seen[suite.name]} of {runs[suite.name]})" if runs[suite.name] > 1 else ""
        body.append(_part_html(result.suite, suite, validation, chunk))
    if not result.gx_results:
        body.append('<p class="note">No expectation ran: validation stopped before GX did.</p>')
    return _document(f"{result.suite}: data quality", "".join(body))


def _part_html(suite_name: str, suite: Any, validation: Any, chunk: str) -> str:
    part = suite.name.removeprefix(suite_name).lstrip(".")
    title = f"part <code>{_e(part)}</code>" if part else "the frame as given"
    order = {e.id: i for i, e in enumerate(suite.expectations)}
    outcomes = sorted(
        validation.results, key=lambda o: order.get(o.expectation_config.id, len(order))
    )
    rows = []
    for outcome in outcomes:
        config = outcome.expectation_config
        messages = _exception_messages(outcome.exception_info)
        result = outcome.result or {}
        if messages:
            state, seen = "error", "; ".join(dict.fromkeys(messages))
        elif not outcome.success:
            state, seen = "failed", describe_outcome(result)
        elif result.get("unexpected_count"):
            state, seen = "tolerated", describe_outcome(result)
        else:  # a clean pass runs pass/fail only (docs/data-quality.md, "Speed")
            state, seen = "passed", describe_outcome(result) if result else ""
        rows.append(
            f"<tr><td>{_badge(state)}</td>"
            f"<td><code>{_e(describe_expectation(config.type, dict(config.kwargs)))}</code></td>"
            f"<td>{_e(seen)}</td></tr>"
        )
    stats = validation.statistics or {}
    passed = stats.get("successful_expectations", 0)
    evaluated = stats.get("evaluated_expectations", len(rows))
    return (
        f"<h2>{title}{_e(chunk)}: {passed} of {evaluated} passed</h2>"
        f'<p class="note">{_e(suite.meta.get("description", ""))}</p>'
        "<table><tr><th>result</th><th>expectation</th><th>observed</th></tr>"
        + "".join(rows)
        + "</table>"
    )


# -- HTML ------------------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(str(text))


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _badge(state: str) -> str:
    return f'<span class="status {state}">{_LABELS[state]}</span>'


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )
