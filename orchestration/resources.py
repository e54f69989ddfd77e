"""Run settings, from the settings (ingestion/settings.py), resolved when a run starts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from ingestion import paths
from ingestion.fetcher import Fetcher, make_fetcher
from ingestion.settings import settings


class PipelineSettings(dg.ConfigurableResource):
    """Where data comes from and goes to. Empty fields fall back to SECTORPULSE_* variables.

    It also holds the run's fetcher: one per run, shared by every raw asset, so live request
    budgets, counts, the breaker and the recorder last exactly one run (docs/live-mode.md).
    """

    source: str = ""  # sample | live | record:<dir> | <snapshot dir>
    duckdb_path: str = ""
    published_dir: str = ""
    gx_dir: str = ""
    _fetcher: Fetcher | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._fetcher = None  # a run starts with none; its first raw asset makes it

    @classmethod
    def in_folder(cls, root: Path, source: str = "sample") -> PipelineSettings:
        """A warehouse, published marts and GX docs of their own under `root` (tests, the bench)."""
        return cls(
            source=source,
            duckdb_path=str(root / "warehouse.duckdb"),
            published_dir=str(root / "published"),
            gx_dir=str(root / "gx"),
        )

    def resolved_source(self) -> str:
        return self.source or settings().source

    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = make_fetcher(self.resolved_source())
        return self._fetcher

    def warehouse(self) -> Path:
        return Path(self.duckdb_path) if self.duckdb_path else paths.duckdb_path()

    def published(self) -> Path:
        return Path(self.published_dir) if self.published_dir else paths.published_dir()

    def gx(self) -> Path:
        return Path(self.gx_dir) if self.gx_dir else paths.gx_dir()
