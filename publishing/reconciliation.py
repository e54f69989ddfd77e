"""The analyst's published figures: CSV files in, raw table `raw.analyst_published_figures` out.

An analyst drops one CSV per week into the figures folder (SECTORPULSE_PUBLISHED_FIGURES, default
data/reconciliation/), named by any date of the week (`2025-01-24.csv`), with the columns
industry, metric, value, written as in the published report ("3.95%", "57.6", "2/31"). Each
file is one call of the raw loader, so editing a file replaces its rows. Parsing, units and the
comparison happen in dbt (stg_analyst__published_figures, rpt_reconciliation).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ingestion.settings import settings
from ingestion.snapshot import Fetched
from ingestion.specs import Call, DatasetSpec
from ingestion.warehouse import LoadResult, load_raw

REQUIRED = ("industry", "metric", "value")


def _no_calls(window, upstream) -> list[Call]:
    return []  # not an akshare dataset: the files are the calls


SPEC = DatasetSpec(
    name="analyst_published_figures",
    function="read_published_figures_csv",
    columns={"week_date": "str", "industry": "str", "metric": "str", "value": "str"},
    plan=_no_calls,
    host="local",
    grain=("week_date", "industry", "metric"),
    empty_ok=True,
    description="Figures an analyst published for a week, one CSV per week, for reconciliation.",
)


def figures_dir() -> Path:
    return settings().published_figures


def read_figures(path: Path) -> Fetched:
    """One week's CSV as a raw frame; every cell stays text, exactly as the analyst wrote it."""
    try:
        date.fromisoformat(path.stem)
    except ValueError:
        raise ValueError(
            f"{path}: name the file by a date of its week, e.g. 2025-01-24.csv"
        ) from None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [c.strip().lower() for c in frame.columns]
    if missing := [c for c in REQUIRED if c not in frame.columns]:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}"
        )
    frame = frame[list(REQUIRED)].apply(lambda column: column.str.strip())
    frame.insert(0, "week_date", path.stem)
    return Fetched(Call(SPEC.function, {"file": path.name}), frame, "real")


def load_figures(warehouse: Path, folder: Path | None = None) -> LoadResult:
    """Load every CSV of the folder. The raw table exists afterwards even when there is none."""
    folder = folder or figures_dir()
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    fetched = [read_figures(path) for path in files]
    return load_raw(warehouse, SPEC, fetched, source=str(folder))
