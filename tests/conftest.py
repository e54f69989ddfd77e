"""Shared fixtures. Sockets are blocked for every test (pytest-socket, see pyproject.toml)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("TQDM_DISABLE", "1")
# The CLI runs in the project's Dagster instance (data/dagster_home by default): tests get their
# own, so they never write into the one `make dev` shows.
os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="sectorpulse-test-dagster-")
atexit.register(shutil.rmtree, os.environ["DAGSTER_HOME"], ignore_errors=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present")
    return SHARED_DATA
