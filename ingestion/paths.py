"""Where things live in a checkout. The settings (ingestion/settings.py) override the defaults."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from ingestion.settings import DATA_DIR, REPO_ROOT, settings

SAMPLE_SNAPSHOT = DATA_DIR / "sample"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def duckdb_path() -> Path:
    return settings().duckdb


def published_dir() -> Path:
    return settings().published_dir


def gx_dir() -> Path:
    return settings().gx_dir


def replace_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write `path` aside, then rename it over: a reader (another step's process, a concurrent
    run) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    scratch.write_text(text, encoding="utf-8")
    if mode is not None:
        scratch.chmod(mode)
    os.replace(scratch, path)
