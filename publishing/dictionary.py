"""The data dictionary for BI, generated from dbt's docs (manifest.json + catalog.json).

`generate_dbt_docs` runs `dbt docs generate --static` against the warehouse; `write_dictionary`
turns the mart models' descriptions, column types, tests and the exposures into one page
(Markdown and HTML) and a CSV a BI tool can import.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingestion import paths
from publishing.site import DBT_DOCS_HTML, DICTIONARY_HTML, write_page

MART_SCHEMA = "marts"


@dataclass(frozen=True)
class DbtDocs:
    manifest: dict[str, Any]
    catalog: dict[str, Any]
    static_html: Path


def generate_dbt_docs(warehouse: Path, site: Path) -> DbtDocs:
    """`dbt docs generate --static` into a scratch target, copied to the site's docs folder.

    The catalog is read from the warehouse, so this needs the warehouse's lock: run it when no
    pipeline run is writing.
    """
    # A subprocess, so dbt's DuckDB connection (read-write) is closed when it returns. The
    # warehouse goes in as the `warehouse` var profiles.yml reads, as a pipeline run passes it.
    warehouse_var = json.dumps({"warehouse": str(warehouse.resolve())})
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "docs",
                "generate",
                "--static",
                "--project-dir",
                str(paths.DBT_PROJECT_DIR),
                "--profiles-dir",
                str(paths.DBT_PROJECT_DIR),
                "--target-path",
                tmp,
                "--log-path",
                str(Path(tmp) / "logs"),
                "--vars",
                warehouse_var,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt docs generate failed:\n{result.stdout[-3000:]}")
        docs = site / DBT_DOCS_HTML
        docs.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "static_index.html", docs)
        for name in ("manifest.json", "catalog.json"):
            shutil.copyfile(Path(tmp) / name, docs.parent / name)
        manifest = json.loads((Path(tmp) / "manifest.json").read_text())
        catalog = json.loads((Path(tmp) / "catalog.json").read_text())
    return DbtDocs(manifest, catalog, docs)


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, str]  # column name -> description


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def mart_descriptions(models_dir: Path | None = None) -> dict[str, TableDoc]:
    """Each mart's and its columns' descriptions, read from the dbt YAML (models/marts/*.yml).

    The same text dbt puts in its manifest (the data dictionary's source), without running dbt:
    publishing writes it into the published DuckDB as COMMENT ON TABLE / COLUMN.
    """
    folder = models_dir or paths.DBT_PROJECT_DIR / "models" / MART_SCHEMA
    docs: dict[str, TableDoc] = {}
    for path in sorted(folder.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            docs[model["name"]] = TableDoc(
                _one_line(model.get("description")),
                {c["name"]: _one_line(c.get("description")) for c in model.get("columns", [])},
            )
    return docs


def _column_tests(manifest: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    tests: dict[tuple[str, str], list[str]] = defaultdict(list)
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata")
        if node["resource_type"] == "test" and meta and node.get("column_name"):
            model = node.get("attached_node") or ""
            tests[(model, node["column_name"])].append(meta["name"])
    return tests


def mart_models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        (
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["schema"] == MART_SCHEMA
        ),
        key=lambda n: n["name"],
    )


def dictionary_rows(docs: DbtDocs) -> list[dict[str, str]]:
    """One row per mart column: model, column, data type, description, checks (constraints and
    tests)."""
    tests = _column_tests(docs.manifest)
    rows = []
    for model in mart_models(docs.manifest):
        catalog_columns = (
            docs.catalog.get("nodes", {}).get(model["unique_id"], {}).get("columns", {})
        )
        declared = model["columns"]
        names = list(declared) + [c for c in catalog_columns if c not in declared]
        for name in names:
            column = declared.get(name, {})
            data_type = column.get("data_type") or catalog_columns.get(name, {}).get("type", "")
            rows.append(
                {
                    "model": model["name"],
                    "column": name,
                    "data_type": str(data_type).lower(),
                    "description": " ".join((column.get("description") or "").split()),
                    "tests": ", ".join(
                        [f"{c['type']} (constraint)" for c in column.get("constraints", [])]
                        + sorted(set(tests.get((model["unique_id"], name), [])))
                    ),
                }
            )
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def write_dictionary(docs: DbtDocs, site: Path, published_tables: set[str]) -> Path:
    """data_dictionary.{md,html,csv} in the site's docs folder; returns the HTML page."""
    folder = (site / DICTIONARY_HTML).parent
    folder.mkdir(parents=True, exist_ok=True)
    rows = dictionary_rows(docs)
    with (folder / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["model"])
        writer.writeheader()
        writer.writerows(rows)

    lines = [
        "# Data dictionary: sectorpulse marts",
        "",
        "Generated from the dbt project's docs (manifest and catalog). Percentages are fractions "
        "(0.0123 = 1.23%); PE values are multiples; dates are DATE. The published copy for BI "
        "is `marts.duckdb` (open it read-only) plus one Parquet file per table, in the published "
        "folder. Also: [dbt docs](dbt_docs.html), [CSV of this page](data_dictionary.csv).",
        "",
    ]
    by_model: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_model[row["model"]].append(row)
    for model in mart_models(docs.manifest):
        where = "published for BI" if model["name"] in published_tables else "warehouse only"
        lines += [
            f"## {model['name']}",
            "",
            f"*{model['config'].get('materialized', '')}, {where}*",
            "",
            " ".join(model["description"].split()),
            "",
            "| Column | Type | Description | Tests |",
            "|---|---|---|---|",
            *(
                f"| `{r['column']}` | {r['data_type']} | {_cell(r['description'])} | {r['tests']} |"
                for r in by_model[model["name"]]
            ),
            "",
        ]
    exposures = sorted(docs.manifest.get("exposures", {}).values(), key=lambda e: e["name"])
    if exposures:
        lines += ["## Exposures (who reads the marts)", ""]
        for exposure in exposures:
            uses = ", ".join(n.split(".")[-1] for n in exposure["depends_on"]["nodes"])
            lines.append(
                f"- **{exposure.get('label') or exposure['name']}** ({exposure['type']}): "
                f"{' '.join(exposure['description'].split())} Uses: {uses}."
            )
        lines.append("")
    write_page(folder, "data_dictionary", "\n".join(lines), "sectorpulse data dictionary")
    return folder / "data_dictionary.html"
