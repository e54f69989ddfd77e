"""Vars of the dbt project (dbt_project/dbt_project.yml) that Python code must agree with.

Read here, at the bottom of the flow, so that both the live recorder (ingestion.recorder) and the
model batches GX validates (quality.batches) use the same number without importing each other.
"""

from __future__ import annotations

import yaml

from ingestion.paths import DBT_PROJECT_DIR


def lookback_weeks() -> int:
    """var incremental_lookback_weeks: the weeks before the latest one an incremental run rebuilds
    (dbt_project/macros/incremental_since.sql)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["incremental_lookback_weeks"])
