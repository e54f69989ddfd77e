"""Where things live in a checkout. Environment variables override the defaults (see .env.example)."""

from __future__ import annotations

import os
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
