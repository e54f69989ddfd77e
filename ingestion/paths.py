"""Where things live in a checkout. Environment variables override the defaults (see .env.example)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
SAMPLE_SNAPSHOT = DATA_DIR / "sample"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def duckdb_path() -> Path:
    return Path(os.environ.get("SECTORPULSE_DUCKDB", DATA_DIR / "warehouse" / "sectorpulse.duckdb"))


def published_dir() -> Path:
    return Path(os.environ.get("SECTORPULSE_PUBLISHED_DIR", DATA_DIR / "published"))


def gx_dir() -> Path:
    return Path(os.environ.get("SECTORPULSE_GX_DIR", DATA_DIR / "gx"))


def replace_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write `path` aside, then rename it over: a reader (another step's process, a concurrent
    run) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    scratch.write_text(text, encoding="utf-8")
    if mode is not None:
        scratch.chmod(mode)
    os.replace(scratch, path)
