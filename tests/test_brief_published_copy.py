"""The mart contract for BI: the published DuckDB copy opens read-only while a new run is going,
and neither blocks the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import FIGURES

from publishing.publish import PUBLISHED_DB

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COUNT = "SELECT count(*) FROM rpt_industry_weekly_brief"


def test_bi_reads_the_published_copy_while_a_new_run_publishes(sample_run, tmp_path):
    root = sample_run.clone(tmp_path / "run")
    published = root / "published"
    before = published.resolve().name
    held = duckdb.connect(str(published / PUBLISHED_DB), read_only=True)  # a BI session, kept open
    rows = held.execute(COUNT).fetchone()[0]

    env = os.environ | {
        "SECTORPULSE_DUCKDB": str(root / "warehouse.duckdb"),
        "SECTORPULSE_PUBLISHED_DIR": str(published),
        "SECTORPULSE_GX_DIR": str(root / "gx"),
        "SECTORPULSE_PUBLISHED_FIGURES": str(FIGURES),
    }
    env["DAGSTER_HOME"] = str(root / "dagster_home")  # not the project's instance
    run = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--source", "sample"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    reads, versions = 0, set()
    try:
        while run.poll() is None:
            # A new reader every time, through the `published` link, as a BI tool would connect.
            with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
                assert con.execute(COUNT).fetchone()[0] == rows
            versions.add(published.resolve().name)
            reads += 1
            time.sleep(0.5)
    finally:
        _, err = run.communicate(timeout=600)
    assert run.returncode == 0, err[-3000:]
    assert reads > 20  # the readers ran throughout the run
    after = published.resolve().name
    assert after != before  # the run published a new version despite the open readers
    assert versions <= {before, after}
    assert held.execute(COUNT).fetchone()[0] == rows  # the held session still reads its version
    held.close()
    with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
        assert con.execute(COUNT).fetchone()[0] == rows
