"""Shared fixtures. Sockets are blocked for every test (pytest-socket, see pyproject.toml)."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# The CLI runs in the project's Dagster instance (data/dagster_home by default): tests get their
# own, so they never write into the one `make dev` shows.
os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="sectorpulse-test-dagster-")
atexit.register(shutil.rmtree, os.environ["DAGSTER_HOME"], ignore_errors=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a test's local server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present")
    return SHARED_DATA


FIGURES = (
    Path(__file__).parent / "fixtures" / "reconciliation"
)  # the analyst's figures to reconcile


@dataclass(frozen=True)
class SampleRun:
    """One run of the whole job on the bundled sample, in a folder of its own."""

    root: Path
    report: Any  # orchestration.cli.RunReport

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published_db(self) -> Path:
        return self.root / "published" / "marts.duckdb"

    def clone(self, dest: Path) -> Path:
        """Its warehouse and published marts (not its Data Docs or briefs) copied to `dest`,
        for a test that runs again on top of a clean run without paying for one."""
        ignore = shutil.ignore_patterns("gx", "briefs", "*.lock")
        shutil.copytree(self.root, dest, symlinks=True, ignore=ignore, dirs_exist_ok=True)
        return dest


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """The one sample run that every test only reading a run's output shares (marts, briefs,
    Data Docs, checks). A test that changes a run works on `sample_run.clone(tmp_path)`."""
    from orchestration.cli import run_week
    from orchestration.resources import PipelineSettings

    root = tmp_path_factory.mktemp("sample_run")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SECTORPULSE_PUBLISHED_FIGURES", str(FIGURES))
        report = run_week(PipelineSettings.in_folder(root, "sample"), week=None)
    assert report.success, "the shared sample run failed"
    return SampleRun(root, report)
