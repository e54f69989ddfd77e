"""Assets: the analyst's published figures (raw) and the weekly briefs of every L1 industry.

The briefs read the warehouse read-only, in the `duckdb` pool: the warehouse holds every mart
they show, rpt_reconciliation included, and the pool keeps the read off a writer's lock. They
run after the publish, so the briefs of a week match the marts BI sees from the same run.
"""

import dagster as dg

from orchestration.assets import DUCKDB_POOL, raw_key
from orchestration.build_state import require_validated
from orchestration.partitions import week_bounds, weekly_backfill, weekly_partitions
from orchestration.resources import PipelineSettings
from publishing.brief import load_week
from publishing.reconciliation import SPEC, figures_dir, load_figures
from publishing.site import gx_docs_index, site_dir, write_week


@dg.asset(
    key=raw_key(SPEC.name),
    group_name="raw",
    kinds={"python", "duckdb"},
    partitions_def=weekly_partitions,
    backfill_policy=weekly_backfill,
    pool=DUCKDB_POOL,
    description=(
        "Figures an analyst published, one CSV per week (industry, metric, value) from "
        "SECTORPULSE_PUBLISHED_FIGURES (default data/reconciliation/), loaded as written."
    ),
)
def analyst_published_figures(settings: PipelineSettings) -> dg.MaterializeResult:
    loaded = load_figures(settings.warehouse())
    return dg.MaterializeResult(
        metadata={"folder": str(figures_dir()), "files": loaded.calls, "rows": loaded.rows}
    )


@dg.asset(
    key=dg.AssetKey(["briefs", "weekly"]),
    deps=[dg.AssetKey(["published", "marts"]), dg.AssetKey(["marts", "rpt_reconciliation"])],
    group_name="published",
    kinds={"python", "html"},
    partitions_def=weekly_partitions,
    backfill_policy=weekly_backfill,
    pool=DUCKDB_POOL,
    description=(
        "One brief per SW L1 industry (Markdown + self-contained HTML with charts) and an index "
        "page for the week (the last week of a partition range), under "
        "data/briefs/<week_end_date>/."
    ),
)
def weekly_briefs(
    context: dg.AssetExecutionContext, settings: PipelineSettings
) -> dg.MaterializeResult:
    require_validated(settings.warehouse())  # briefs only from a build that passed its checks
    # A range (a full build, a backfill) gets the briefs of its last week.
    week_start, _ = week_bounds(context.partition_key_range.end)
    try:
        week = load_week(settings.warehouse(), week_start)
    except LookupError as exc:  # a week without trading (Spring Festival) has no rows
        context.log.warning(f"no briefs: {exc}")
        return dg.MaterializeResult(metadata={"briefs": 0})
    published = settings.published()
    written = write_week(week, site_dir(published), gx_docs_index(settings.gx()), published)
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(written.folder / "index.html")),
            "week_end_date": written.folder.name,
            "briefs": written.briefs,
            "flagged_figures": written.flagged_figures,
        }
    )


brief_assets = [analyst_published_figures, weekly_briefs]
