"""The SW (SW 2021) level-1 industries: the one list, dbt's seed `sw_l1_industries.csv`.

Plain csv, no pandas: the CLI checks `--industry` against it before importing anything heavy.
"""

from __future__ import annotations

import csv

from ingestion.paths import DBT_PROJECT_DIR

SW_L1_SEED = (
    DBT_PROJECT_DIR / "seeds" / "sw_l1_industries.csv"
)  # industry_code,index_code,index_name


def _read_seed() -> list[dict[str, str]]:
    with SW_L1_SEED.open(encoding="utf-8", newline="") as handle:
        return [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]


_SEED = _read_seed()
# index code -> name: the universe of the weekly brief.
SW_L1_INDUSTRIES: dict[str, str] = {row["index_code"]: row["index_name"] for row in _SEED}
SW_L1_CODES: tuple[str, ...] = tuple(sorted(SW_L1_INDUSTRIES))
N_SW_L1 = len(SW_L1_CODES)  # 31
# SW 2021 L1 industry code (xx0000) -> L1 index code, e.g. 710000 -> 801750.
SW_L1_INDEX_BY_INDUSTRY: dict[str, str] = {row["industry_code"]: row["index_code"] for row in _SEED}
SW_L1_INDUSTRY_CODES: tuple[str, ...] = tuple(sorted(SW_L1_INDEX_BY_INDUSTRY))
