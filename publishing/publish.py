"""Publish marts for BI without ever exposing a half-written state.

Each publish writes a complete new version directory, then swaps the `published` symlink to it with
one atomic rename. BI reads the published copy, never the working DuckDB file, and a failed publish
leaves the previous version in place. What a killed publish leaves behind (a `<version>.partial`
directory, a temporary link) is removed by the next publish.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from publishing.dictionary import TableDoc, mart_descriptions

KEEP_VERSIONS = 3  # older versions are removed; a reader with an open file keeps it on POSIX
PUBLISHED_DB = "marts.duckdb"


@dataclass(frozen=True)
class Published:
    path: Path
    version: str
    rows: dict[str, int]


def published_tables(published: Path) -> set[str]:
    """The tables of the current published version (empty before the first publish)."""
    manifest = published / "manifest.json"
    return set(json.loads(manifest.read_text())["tables"]) if manifest.exists() else set()


def versions_dir(published: Path) -> Path:
    return published.parent / f".{published.name}-versions"


def publish_marts(
    warehouse: Path,
    published: Path,
    tables: Sequence[str],
    schema: str = "marts",
    descriptions: Mapping[str, TableDoc] | None = None,
) -> Published:
    """Publish `tables` of the warehouse's `schema`; each table and column carries its dbt
    description as a DuckDB comment (`descriptions`, default: the marts' dbt YAML), so BI tools
    show the data dictionary beside the data."""
    clean_leftovers(published)
    if descriptions is None:
        descriptions = mart_descriptions()
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    target = versions_dir(published) / version
    staging = target.with_name(target.name + ".partial")
    staging.mkdir(parents=True)
    try:
        rows = _write_version(warehouse, staging, tables, schema, descriptions)
        (staging / "manifest.json").write_text(
            json.dumps({"version": version, "tables": rows, "source": str(warehouse)}, indent=2)
            + "\n"
        )
        for path in staging.iterdir():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_link(published, target)
    _prune(published)
    return Published(published, version, rows)


def published_weeks(published: Path, since: date | None = None) -> list[date]:
    """The weeks (their Mondays) the published marts hold rows for, from the week of `since` on
    (None: every week): each table's `week_end_date`, or `trade_date`, by calendar week."""
    weeks: set[date] = set()
    with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE column_name IN ('week_end_date', 'trade_date') ORDER BY ALL"
        ).fetchall():
            rows = con.execute(
                f"SELECT DISTINCT date_trunc('week', {column})::DATE FROM {table} "
                f"WHERE {column} >= date_trunc('week', ?::DATE)",
                [since or date.min],
            ).fetchall()
            weeks.update(week for (week,) in rows)
    return sorted(weeks)


def clean_leftovers(published: Path) -> list[Path]:
    """Remove what a publish killed midway left: `<version>.partial` directories and temporary
    links. Publishes never overlap (one writer per warehouse: the `duckdb` pool and the run
    lock), so any that exist now belong to a publish that died. Returns what was removed."""
    leftovers = [*versions_dir(published).glob("*.partial")]
    leftovers += [p for p in published.parent.glob(f".{published.name}.*.link") if p.is_symlink()]
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return leftovers


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment(con: duckdb.DuckDBPyConnection, table: str, doc: TableDoc | None) -> None:
    """COMMENT ON the table and each of its columns that has a description."""
    if doc is None:
        return
    if doc.description:
        con.execute(f"COMMENT ON TABLE {table} IS {_sql_text(doc.description)}")
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    for column in columns:
        if doc.columns.get(column):
            con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_sql_text(doc.columns[column])}')


def _write_version(
    warehouse: Path,
    out: Path,
    tables: Sequence[str],
    schema: str,
    descriptions: Mapping[str, TableDoc],
) -> dict[str, int]:
    rows: dict[str, int] = {}
    con = duckdb.connect(str(out / PUBLISHED_DB))
    try:
        con.execute(f"ATTACH '{warehouse}' AS working (READ_ONLY)")
        for table in tables:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM working.{schema}.{table}")
            _comment(con, table, descriptions.get(table))
            con.execute(f"COPY {table} TO '{out / table}.parquet' (FORMAT parquet)")
            rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute("DETACH working")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return rows


def _swap_link(published: Path, target: Path) -> None:
    if published.exists() and not published.is_symlink():
        raise FileExistsError(
            f"{published} is a real directory; move it away so it can become the published link"
        )
    tmp_link = published.with_name(f".{published.name}.{uuid.uuid4().hex[:6]}.link")
    tmp_link.symlink_to(os.path.relpath(target, published.parent))
    os.replace(tmp_link, published)  # atomic on POSIX


def _prune(published: Path) -> None:
    current = published.resolve().name
    versions = sorted(p for p in versions_dir(published).iterdir() if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
