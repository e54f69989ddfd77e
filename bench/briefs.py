"""The weekly briefs of the pipeline's last week, rendered again and timed by stage.

    python -m bench.briefs --work DIR --week YYYY-MM-DD

Does what the `weekly_briefs` asset (orchestration/briefs.py) does, with the warehouse, published
marts and GX Data Docs of a bench pipeline work folder (bench/pipeline.py --work): refuses an
unvalidated warehouse, reads the week (`publishing.brief.load_week`) and writes one brief per SW L1
industry and the week's index page (`publishing.site.write_week`). Prints one JSON object: how
many briefs, and seconds by stage: imports, load (the week's rows), charts (every brief built, in
one spawned process per core) and write (the pages, the swap and the site index).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

from orchestration.weeks import week_key


def run(work: Path, week: date) -> dict:
    started = time.perf_counter()
    # Imported here, so their cost is a stage of its own (Dagster has them loaded by then).
    from orchestration.build_state import require_validated
    from orchestration.partitions import week_bounds
    from orchestration.resources import PipelineSettings
    from publishing import site
    from publishing.brief import load_week

    imported = time.perf_counter()
    settings = PipelineSettings.in_folder(work)
    require_validated(settings.warehouse())
    week_start, _ = week_bounds(week_key(week))
    data = load_week(settings.warehouse(), week_start)
    loaded = time.perf_counter()

    charts: list[float] = []
    build_briefs = site.build_briefs

    def timed(rows, week_data):  # write_week's own call, timed
        begun = time.perf_counter()
        try:
            return build_briefs(rows, week_data)
        finally:
            charts.append(time.perf_counter() - begun)

    site.build_briefs = timed
    try:
        published = settings.published()
        written = site.write_week(
            data, site.site_dir(published), site.gx_docs_index(settings.gx()), published
        )
    finally:
        site.build_briefs = build_briefs
    done = time.perf_counter()
    return {
        "week_end_date": written.folder.name,
        "briefs": written.briefs,
        "flagged_figures": written.flagged_figures,
        "workers": min(written.briefs, os.cpu_count() or 1),
        "seconds": {
            "imports": round(imported - started, 2),
            "load": round(loaded - imported, 2),
            "charts": round(sum(charts), 2),
            "write": round(done - loaded - sum(charts), 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="a bench/pipeline.py --work")
    parser.add_argument("--week", type=date.fromisoformat, required=True, help="a day in the week")
    args = parser.parse_args()
    print(json.dumps(run(args.work, args.week)))


if __name__ == "__main__":
    main()
