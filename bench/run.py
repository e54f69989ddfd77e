"""`make bench`: the pipeline at two sizes against a pandas baseline and a SQL floor.

    python -m bench.run [--sizes sample,full] [--seed 7] [--work data/bench] [--results FILE]

For each size it draws a synthetic market (bench/synth.py) ending on the week after the
sample's last week (2025-01-27, the one-day Chinese New Year week) and measures, each in its
own process (wall time and peak RSS from wait4):

1. the full build: the snapshot as of 2025-01-24 through the pipeline (bench/pipeline.py);
2. an incremental one-week update on top: the delta snapshot of the week of 2025-01-27;
3. the pandas baseline and the SQL floor on the raw Parquet as of 2025-01-24;
4. whether the three give the same marts, and whether the incremental update gives what a
   full recomputation as of 2025-01-27 (the SQL floor) gives.

Snapshots are reused when they are complete and of the same market (generation is not timed).
Writes the figures to --results (default bench/results.md) and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.compare import MARTS, compare, is_equal
from bench.measure import run_watched
from bench.synth import MarketSpec, generate, is_generated, snapshot_window
from ingestion.paths import DATA_DIR, REPO_ROOT

FULL_AS_OF = date(2025, 1, 24)  # the sample's last week
NEXT_WEEK_END = date(2025, 1, 27)  # Chinese New Year 2025: the week's only trading day
NEXT_WEEK = NEXT_WEEK_END - timedelta(days=NEXT_WEEK_END.weekday())


@dataclass(frozen=True)
class Size:
    stocks: int
    years: int


SIZES = {
    "smoke": Size(40, 4),  # tests/test_bench_equivalence.py
    "sample": Size(528, 1),  # the bundled sample: 528 stocks, one year of stock bars
    "full": Size(5000, 10),
}
TARGETS = {"full_seconds": 60, "full_rss_mb": 4096, "incremental_seconds": 15}
TARGET_RATIOS = {"pandas": 5.0, "floor": 3.0}  # pipeline >= 5x faster; within 3x of the floor


@dataclass(frozen=True)
class Paths:
    work: Path

    @property
    def base(self) -> Path:  # the snapshot as of FULL_AS_OF, whole window
        return self.work / "snapshot-full"

    @property
    def delta(self) -> Path:  # the week of NEXT_WEEK only
        return self.work / "snapshot-next-week"

    @property
    def raw_full(self) -> Path:  # raw Parquet as of FULL_AS_OF: the base snapshot's sidecar
        return self.base / "_bulk"

    @property
    def raw_next(self) -> Path:  # raw Parquet of the whole window as of NEXT_WEEK_END
        return self.work / "raw-next-week"

    @property
    def pipeline(self) -> Path:
        return self.work / "pipeline"


def prepare(size: Size, seed: int, paths: Paths, workers: int) -> None:
    spec = MarketSpec(size.stocks, size.years, seed, end=NEXT_WEEK_END)
    if not is_generated(paths.base, spec, snapshot_window(spec, FULL_AS_OF)):
        generate(spec, paths.base, as_of=FULL_AS_OF, workers=workers)
    if not is_generated(paths.delta, spec, snapshot_window(spec, NEXT_WEEK_END, NEXT_WEEK)):
        generate(spec, paths.delta, since=NEXT_WEEK, parquet_dir=paths.raw_next, workers=workers)


def measure(module: str, *args: str | Path) -> dict:
    """Run `python -m module args`; its JSON output plus wall seconds and peak RSS (MB)."""
    started = time.perf_counter()
    output, peak = run_watched([sys.executable, "-m", module, *map(str, args)], capture=True)
    return {
        "wall_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak),
        **json.loads(output.strip().splitlines()[-1]),  # the pipeline reports its own peak
    }


def bench_size(name: str, size: Size, seed: int, work: Path, workers: int = 1) -> dict:
    paths = Paths(work / f"{name}-{size.stocks}x{size.years}-seed{seed}")
    started = time.perf_counter()
    prepare(size, seed, paths, workers)
    generated = time.perf_counter() - started
    shutil.rmtree(paths.pipeline, ignore_errors=True)

    full = measure(
        "bench.pipeline", "--snapshot", paths.base, "--work", paths.pipeline,
        "--week", FULL_AS_OF.isoformat(), "--full-refresh",
    )  # fmt: skip
    pandas = measure("bench.baseline", "--raw", paths.raw_full, "--out", paths.work / "pandas")
    floor = measure("bench.floor", "--raw", paths.raw_full, "--out", paths.work / "floor")
    published = paths.pipeline / "published"
    same = compare(published, {"pandas": paths.work / "pandas", "floor": paths.work / "floor"})

    incremental = measure(
        "bench.pipeline", "--snapshot", paths.delta, "--work", paths.pipeline,
        "--week", NEXT_WEEK_END.isoformat(),
    )  # fmt: skip
    floor_next = measure("bench.floor", "--raw", paths.raw_next, "--out", paths.work / "floor-next")
    same_next = compare(published, {"floor": paths.work / "floor-next"})

    rows = {d["dataset"]: d["rows"] for d in full["loads"]}
    return {
        "size": name,
        "stocks": size.stocks,
        "years": size.years,
        "seed": seed,
        "stock_day_rows": rows.get("stock_daily", 0),
        "generate_seconds": round(generated, 1),
        "snapshot_mb": round(_size(paths.base) / 1e6),
        "full": full,
        "incremental": incremental,
        "pandas": pandas,
        "floor": floor,
        "floor_next_week": floor_next,
        "same_numbers": same,
        "incremental_equals_recompute": same_next,
    }


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- the report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def first(path: str, key: str) -> str:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
        return "unknown"

    import dbt.version
    import duckdb
    import great_expectations
    import pandas

    mem_kb = int(first("/proc/meminfo", "MemTotal").split()[0])
    return {
        "cpu": first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "load average at start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "versions": f"duckdb {duckdb.__version__}, dbt-core {dbt.version.__version__}, "
        f"pandas {pandas.__version__}, great-expectations {great_expectations.__version__}",
    }


def summary(result: dict) -> dict[str, float]:
    full, incremental = result["full"], result["incremental"]
    pandas, floor = result["pandas"]["wall_seconds"], result["floor"]["wall_seconds"]
    return {
        "full_seconds": full["wall_seconds"],
        "full_rss_mb": full["peak_rss_mb"],
        "incremental_seconds": incremental["wall_seconds"],
        "pandas_seconds": pandas,
        "floor_seconds": floor,
        # how many times faster than pandas; how many times the floor's time
        "pandas_ratio_full": pandas / full["wall_seconds"],
        "pandas_ratio_weekly": pandas / incremental["wall_seconds"],
        "floor_ratio_full": full["wall_seconds"] / floor,
        "floor_ratio_weekly": incremental["wall_seconds"] / floor,
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _other_seconds(run: dict) -> float:
    """Wall time outside the four stages: interpreter, imports, `dbt parse`, Dagster's own work."""
    return run["wall_seconds"] - sum(run["seconds"].values())


def report(results: list[dict], info: dict[str, str]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`); bench/README.md says what is measured.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
    ]
    for result in results:
        s = summary(result)
        full, incremental = result["full"], result["incremental"]
        lines += [
            f"## {result['size']}: {result['stocks']:,} stocks × {result['years']} "
            f"year{'s' if result['years'] > 1 else ''} (seed {result['seed']})",
            "",
            f"{result['stock_day_rows']:,} stock-day rows per stock dataset; snapshot "
            f"{result['snapshot_mb']:,} MB; "
            + (
                f"generated in {result['generate_seconds']} s"
                if result["generate_seconds"] >= 1
                else "snapshots reused from an earlier run"
            )
            + " (generation is not timed).",
            "",
            "The pipeline is `weekly_sector_job` run in-process by Dagster, without its briefs step. "
            "Stages are summed from the run's step times; *other* is the rest of the wall time "
            "(interpreter, imports, `dbt parse`, Dagster's own work between steps). Peak RSS is "
            "the pipeline's processes together (Dagster's and dbt's).",
            "",
            "| run | wall s | peak RSS MB | load | GX | dbt | publish | other |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, run in (("full build", full), ("incremental week", incremental)):
            sec = run["seconds"]
            lines.append(
                f"| {label} | {run['wall_seconds']} | {run['peak_rss_mb']:,} | {sec['load']} | "
                f"{sec['gx']} | {sec['dbt']} | {sec['publish']} | {_other_seconds(run):.2f} |"
            )
        lines += [
            "",
            "dbt's own time by node type (s, summed over its 2 threads): full build "
            + ", ".join(f"{k} {v}" for k, v in full["dbt_nodes"].items())
            + "; incremental "
            + ", ".join(f"{k} {v}" for k, v in incremental["dbt_nodes"].items())
            + ".",
            "",
            "Rows validated by GX in the raw batches: full build "
            + f"{sum(x['batch'] for x in full['loads']):,}, incremental "
            + f"{sum(x['batch'] for x in incremental['loads']):,}.",
            "",
            "| implementation | wall s | peak RSS MB | full build ÷ this | weekly update ÷ this |",
            "|---|---:|---:|---:|---:|",
            f"| pipeline, full build | {s['full_seconds']} | {s['full_rss_mb']:,} | 1 | |",
            f"| pipeline, weekly update | {s['incremental_seconds']} | "
            f"{incremental['peak_rss_mb']:,} | | 1 |",
            f"| pandas baseline | {s['pandas_seconds']} | {result['pandas']['peak_rss_mb']:,} | "
            f"{1 / s['pandas_ratio_full']:.2f} | {1 / s['pandas_ratio_weekly']:.2f} |",
            f"| SQL floor | {s['floor_seconds']} | {result['floor']['peak_rss_mb']:,} | "
            f"{s['floor_ratio_full']:.2f} | {s['floor_ratio_weekly']:.2f} |",
            "",
            "Same numbers (pipeline vs each, marts compared row by row on their keys): "
            + _equality(result["same_numbers"]),
            "",
            "Incremental week vs a full recomputation as of 2025-01-27 (SQL floor): "
            + _equality(result["incremental_equals_recompute"]),
            "",
        ]
        lines += where_the_time_goes(result)
        if result["size"] == "full":
            lines += targets(s)
    return "\n".join(lines)


def targets(s: dict[str, float]) -> list[str]:
    """The issue's targets. pandas and the floor recompute everything, every week, so their
    time is compared with both the pipeline's full build and its weekly update."""
    pandas, floor = TARGET_RATIOS["pandas"], TARGET_RATIOS["floor"]
    return [
        "| target | measured | |",
        "|---|---:|---|",
        f"| full build ≤ {TARGETS['full_seconds']} s | {s['full_seconds']} s | "
        f"{_verdict(s['full_seconds'] <= TARGETS['full_seconds'])} |",
        f"| full build ≤ 4 GB peak RSS | {s['full_rss_mb']:,} MB | "
        f"{_verdict(s['full_rss_mb'] <= TARGETS['full_rss_mb'])} |",
        f"| incremental week ≤ {TARGETS['incremental_seconds']} s | "
        f"{s['incremental_seconds']} s | "
        f"{_verdict(s['incremental_seconds'] <= TARGETS['incremental_seconds'])} |",
        f"| full build ≥ {pandas:g}× faster than pandas | {s['pandas_ratio_full']:.2f}× | "
        f"{_verdict(s['pandas_ratio_full'] >= pandas)} |",
        f"| weekly update ≥ {pandas:g}× faster than pandas | {s['pandas_ratio_weekly']:.2f}× | "
        f"{_verdict(s['pandas_ratio_weekly'] >= pandas)} |",
        f"| full build within {floor:g}× of the SQL floor | {s['floor_ratio_full']:.2f}× | "
        f"{_verdict(s['floor_ratio_full'] <= floor)} |",
        f"| weekly update within {floor:g}× of the SQL floor | {s['floor_ratio_weekly']:.2f}× | "
        f"{_verdict(s['floor_ratio_weekly'] <= floor)} |",
        "",
    ]


def where_the_time_goes(result: dict) -> list[str]:
    """The measured figures behind the targets, in words."""
    full, incremental = result["full"], result["incremental"]
    sec, nodes = full["seconds"], full["dbt_nodes"]
    validated = sum(x["batch"] for x in full["loads"])
    inc, inc_nodes = incremental["seconds"], incremental["dbt_nodes"]
    valuation = next(x for x in incremental["loads"] if x["dataset"] == "stock_valuation")
    return [
        "Where the time goes:",
        "",
        f"- Full build: GX {sec['gx']} s validates every row loaded ({validated:,} raw rows) "
        f"and then every row of the models; dbt {sec['dbt']} s runs {nodes.get('model', 0)} s "
        f"of models and {nodes.get('test', 0)} s of data tests (summed over 2 threads); the "
        f"load {sec['load']} s reads the snapshot and writes every row with its load metadata; "
        f"other {_other_seconds(full):.1f} s.",
        f"- Incremental week: dbt {inc['dbt']} s ({inc_nodes.get('model', 0)} s of models, "
        f"{inc_nodes.get('test', 0)} s of data tests, summed); GX {inc['gx']} s for "
        f"{sum(x['batch'] for x in incremental['loads']):,} raw rows and the rebuilt weeks; the "
        f"load {inc['load']} s compares {valuation['rows']:,} stock_value_em rows (each call "
        f"returns a whole history) to find {valuation['batch']:,} new ones; other "
        f"{_other_seconds(incremental):.1f} s.",
        f"- The pandas baseline ({result['pandas']['wall_seconds']} s) and the SQL floor "
        f"({result['floor']['wall_seconds']} s) compute the four marts and nothing else: no "
        "validation, no tests, no staging dedup, no provenance, no publish.",
        "",
    ]


def _equality(by_implementation: dict[str, dict[str, dict[str, int]]]) -> str:
    parts = []
    for name, marts in by_implementation.items():
        bad = {m: {k: v for k, v in c.items() if v and not k.startswith("rows_")}
               for m, c in marts.items() if not is_equal(c)}  # fmt: skip
        rows = sum(c["rows_left"] for c in marts.values())
        parts.append(f"{name}: {'same' if not bad else f'DIFFERENT {bad}'} ({rows:,} rows in "
                     f"{len(MARTS)} marts)")  # fmt: skip
    return "; ".join(parts) + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="sample,full", help=f"of {', '.join(SIZES)}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=DATA_DIR / "warehouse" / "bench")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "bench" / "results.md")
    parser.add_argument("--workers", type=int, default=2, help="processes generating snapshots")
    parser.add_argument(
        "--rerender", action="store_true", help="rewrite --results from the last run's results.json"
    )
    args = parser.parse_args()
    saved = args.work / "results.json"
    if args.rerender:
        run = json.loads(saved.read_text())
    else:
        info = machine()
        results = [
            bench_size(name, SIZES[name], args.seed, args.work, args.workers)
            for name in args.sizes.split(",")
        ]
        run = {"machine": info, "results": results}
        saved.write_text(json.dumps(run, indent=1))
    text = report(run["results"], run["machine"])
    args.results.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
