"""`make bench`: the pipeline at two sizes against a pandas baseline and a SQL floor, scored
against issue 11's targets.

    python -m bench.run [--sizes sample,full] [--seed 7] [--work data/warehouse/bench]
                        [--results FILE] [--rerender]

For each size it draws a synthetic market (bench/synth.py) ending on the week after the
sample's last week (2025-01-27, the one-day Chinese New Year week) and measures, each in its
own process (wall time and peak RSS from /proc, bench/measure.py):

1. the full build: the snapshot as of 2025-01-24 through the pipeline (bench/pipeline.py);
2. an incremental one-week update on top: the delta snapshot of the week of 2025-01-27;
3. after each of the two, dbt's time per node and the Dagster steps of the run, from the
   run_results.json that run's dbt build wrote;
4. the pandas baseline and the SQL floor on the raw Parquet as of 2025-01-24, and the SQL floor
   again as of 2025-01-27 (the full recompute the weekly update is compared with);
5. whether the three give the same marts, and whether the incremental update gives what a
   full recomputation as of 2025-01-27 (the SQL floor) gives;
6. the 31 briefs of the pipeline's last week, rendered again on their own (bench/briefs.py).

Once per run: `sectorpulse --help` and an argument error, best of 3. Snapshots are reused when
they are complete and of the same market (generation is not timed). Writes the figures and the
targets table to --results (default bench/results.md), the raw figures to <work>/results.json,
and prints the report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
# Issue 11's targets, measured by `make bench` on the 2-core machine in one run.
TARGETS = {
    "weekly_seconds": 12.0,  # full size, incremental week
    "weekly_floor_ratio": 2.5,  # ... ÷ the SQL floor's full recompute as of the new week
    "full_seconds": 40.0,
    "full_floor_ratio": 8.0,  # full build ÷ the SQL floor as of the same day
    "full_rss_mb": 4096,
    "sample_warm_seconds": 12.0,  # sample size, incremental week (warm, without briefs)
    "briefs_seconds": 6.0,  # the 31 briefs of the sample's last week
    "cli_seconds": 1.0,  # `sectorpulse --help`, and an argument error
    "test_minutes": 4,  # `make test` on an idle machine: not measured by the bench
}
BRIEFS = 31  # one per SW L1 industry
# Timed as subprocesses, best of 3: the help, and a bad --week (exit code 2).
CLI_COMMANDS = {"--help": ["--help"], "argument error": ["run", "--week", "2025-13-01"]}
CLI_REPEATS = 3


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


def measure_pipeline(paths: Paths, label: str, *args: str | Path) -> dict:
    """bench.pipeline in its own process; then, before anything else runs dbt, what its dbt
    build did (run_results.json, copied beside the results as <label>.run_results.json)."""
    from bench.pipeline import dbt_results_path, dbt_run

    started = datetime.now(UTC)
    run = measure("bench.pipeline", "--work", paths.pipeline, *args)
    results = dbt_results_path()
    run["dbt"] = dbt_run(results, paths.pipeline / "warehouse.duckdb", started)
    if run["dbt"] is not None:
        shutil.copyfile(results, paths.work / f"{label}.run_results.json")
    return run


def bench_size(name: str, size: Size, seed: int, work: Path, workers: int = 1) -> dict:
    paths = Paths(work / f"{name}-{size.stocks}x{size.years}-seed{seed}")
    started = time.perf_counter()
    prepare(size, seed, paths, workers)
    generated = time.perf_counter() - started
    shutil.rmtree(paths.pipeline, ignore_errors=True)

    full = measure_pipeline(
        paths, "full-build", "--snapshot", paths.base, "--week", FULL_AS_OF.isoformat(),
        "--full-refresh",
    )  # fmt: skip
    pandas = measure("bench.baseline", "--raw", paths.raw_full, "--out", paths.work / "pandas")
    floor = measure("bench.floor", "--raw", paths.raw_full, "--out", paths.work / "floor")
    published = paths.pipeline / "published"
    same = compare(published, {"pandas": paths.work / "pandas", "floor": paths.work / "floor"})

    incremental = measure_pipeline(
        paths, "incremental-week", "--snapshot", paths.delta, "--week", NEXT_WEEK_END.isoformat()
    )
    floor_next = measure("bench.floor", "--raw", paths.raw_next, "--out", paths.work / "floor-next")
    same_next = compare(published, {"floor": paths.work / "floor-next"})
    briefs = measure("bench.briefs", "--work", paths.pipeline, "--week", NEXT_WEEK_END.isoformat())

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
        "briefs": briefs,
        "same_numbers": same,
        "incremental_equals_recompute": same_next,
    }


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _best_of(command: list[str], repeats: int) -> tuple[float, subprocess.CompletedProcess]:
    times, done = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
        times.append(time.perf_counter() - started)
    return min(times), done


# The interpreter's own start-up imports them (timed as `python -c pass`), or Python's stdlib.
IGNORED_IMPORTS = sys.stdlib_module_names | {"_frozen_importlib_external"}


def import_profile(args: list[str], top: int = 5) -> dict:
    """`python -X importtime` of the CLI's entry point with these arguments: the seconds of every
    top-level import together, and the slowest `top` of them (cumulative), each with its own
    slowest import (`via`), so a slow one names what it pulls in."""
    code = (
        "import sys\nsys.argv = ['sectorpulse', *sys.argv[1:]]\n"
        "from orchestration.cli import app\napp()"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True, text=True, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    # Children are listed before their parent, two spaces deeper.
    pending: dict[int, list[tuple[float, str]]] = {}
    modules = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:]  # one space, then two more per level of nesting
        depth = (len(name) - len(name.lstrip())) // 2
        node = (int(parts[1]) / 1e6, name.strip())
        children = pending.pop(depth + 1, [])
        pending.setdefault(depth, []).append(node)
        if depth == 0 and node[0] >= 0.001 and node[1].split(".")[0] not in IGNORED_IMPORTS:
            via = max(children, default=(0.0, ""))
            modules.append((*node, *via))
    modules.sort(reverse=True)
    return {
        "seconds": round(sum(m[0] for m in modules), 3),
        "slowest": [
            {"module": m, "seconds": round(sec, 3), "via": via, "via_seconds": round(via_sec, 3)}
            for sec, m, via_sec, via in modules[:top]
        ],
    }


def bench_cli(repeats: int = CLI_REPEATS) -> dict:
    """`sectorpulse --help` and an argument error as subprocesses, best of `repeats` (wall s);
    the interpreter's own start (`python -c pass`) and an import profile of each, to say where a
    slow answer spends its time."""
    executable = str(Path(sys.executable).parent / "sectorpulse")
    interpreter, _ = _best_of([sys.executable, "-c", "pass"], repeats)
    commands = {}
    for label, args in CLI_COMMANDS.items():
        best, done = _best_of([executable, *args], repeats)
        message = (done.stderr.strip().splitlines() or [""])[-1]
        commands[label] = {
            "command": " ".join(["sectorpulse", *args]),
            "seconds": round(best, 3),
            "exit_code": done.returncode,
            "stderr": message[:200],
            "imports": import_profile(args),
        }
    return {"repeats": repeats, "interpreter_seconds": round(interpreter, 3), "commands": commands}


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
    floor_next = result["floor_next_week"]["wall_seconds"]
    return {
        "full_seconds": full["wall_seconds"],
        "full_rss_mb": full["peak_rss_mb"],
        "incremental_seconds": incremental["wall_seconds"],
        "pandas_seconds": pandas,
        "floor_seconds": floor,
        "floor_next_seconds": floor_next,
        # how many times faster than pandas; how many times the floor's time
        "pandas_ratio_full": pandas / full["wall_seconds"],
        "pandas_ratio_weekly": pandas / incremental["wall_seconds"],
        "floor_ratio_full": full["wall_seconds"] / floor,
        # the weekly update against the floor's full recompute as of the same week
        "floor_ratio_weekly": incremental["wall_seconds"] / floor_next,
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _other_seconds(run: dict) -> float:
    """Wall time outside the four stages: interpreter, imports, `dbt parse`, Dagster's own work."""
    return run["wall_seconds"] - sum(run["seconds"].values())


def stages(run: dict) -> dict[str, float]:
    """A pipeline run's wall time by stage, *other* included."""
    return {**run["seconds"], "other": round(_other_seconds(run), 2)}


def _title(result: dict) -> str:
    years = f"{result['years']} year{'s' if result['years'] > 1 else ''}"
    return f"{result['stocks']:,} stocks × {years}"


def report(results: list[dict], info: dict[str, str], cli: dict | None = None) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`); bench/README.md says what is measured. "
        "The targets are issue 11's, in the last section.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
    ]
    for result in results:
        lines += size_section(result)
    if cli is not None:
        lines += cli_section(cli)
    lines += targets(results, cli)
    return "\n".join(lines)


def size_section(result: dict) -> list[str]:
    s = summary(result)
    full, incremental = result["full"], result["incremental"]
    lines = [
        f"## {result['size']}: {_title(result)} (seed {result['seed']})",
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
        "The pipeline is `weekly_sector_job` run in-process by Dagster, without its briefs step "
        "(timed on its own below). The incremental week is a warm run: the week's delta snapshot "
        "on the full build's warehouse. Stages are summed from the run's step times; *other* is "
        "the rest of the wall time (interpreter, imports, `dbt parse`, Dagster's own work between "
        "steps). Peak RSS is the pipeline's processes together (Dagster's and dbt's). Steps: the "
        "Dagster steps the run executed.",
        "",
        "| run | wall s | peak RSS MB | steps | load | GX | dbt | publish | other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run in (("full build", full), ("incremental week", incremental)):
        sec = stages(run)
        lines.append(
            f"| {label} | {run['wall_seconds']} | {run['peak_rss_mb']:,} | {len(run['steps'])} | "
            f"{sec['load']} | {sec['gx']} | {sec['dbt']} | {sec['publish']} | {sec['other']:.2f} |"
        )
    lines += [""]
    lines += dbt_section(full, incremental)
    lines += [
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
        f"| SQL floor, as of 2025-01-24 | {s['floor_seconds']} | "
        f"{result['floor']['peak_rss_mb']:,} | {s['floor_ratio_full']:.2f} | |",
        f"| SQL floor, full recompute as of 2025-01-27 | {s['floor_next_seconds']} | "
        f"{result['floor_next_week']['peak_rss_mb']:,} | | {s['floor_ratio_weekly']:.2f} |",
        "",
        "Same numbers (pipeline vs each, marts compared row by row on their keys): "
        + _equality(result["same_numbers"]),
        "",
        "Incremental week vs a full recomputation as of 2025-01-27 (SQL floor): "
        + _equality(result["incremental_equals_recompute"]),
        "",
    ]
    lines += briefs_section(result["briefs"])
    lines += where_the_time_goes(result)
    return lines


def dbt_section(full: dict, incremental: dict) -> list[str]:
    """dbt per node: counts and summed seconds by type, and the slowest nodes of each run."""
    runs = (("full build", full.get("dbt")), ("incremental week", incremental.get("dbt")))
    missing = [label for label, d in runs if not d]
    lines = []
    if missing:
        lines += [
            f"dbt per node: no run_results.json of this run's build for the {' and '.join(missing)} "
            "(another dbt invocation wrote dbt_project/target/run in between).",
            "",
        ]
    runs = tuple((label, d) for label, d in runs if d)
    if not runs:
        return lines
    kinds = sorted({k for _, d in runs for k in d["nodes"]})
    lines += [
        "dbt per node (from the run_results.json each build wrote): nodes and seconds by type "
        "(execution time summed over dbt's threads), and dbt's own elapsed time (the dbt step "
        "also holds dbt's start-up and dagster-dbt's handling of every node's events).",
        "",
        "| run | dbt step s | dbt elapsed s | " + " | ".join(kinds) + " |",
        "|---|---:|---:|" + "---:|" * len(kinds),
    ]
    step = {"full build": full["seconds"]["dbt"], "incremental week": incremental["seconds"]["dbt"]}
    for label, d in runs:
        cells = [
            f"{d['nodes'][k]} in {d['seconds'][k]} s" if k in d["nodes"] else "" for k in kinds
        ]
        lines.append(
            f"| {label} | {step[label]} | {d['elapsed_seconds']} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "Slowest dbt nodes (s):",
        "",
        "| # | " + " | ".join(f"{label} | s" for label, _ in runs) + " |",
        "|---:|" + "---|---:|" * len(runs),
    ]
    for i in range(max(len(d["slowest"]) for _, d in runs)):
        cells = []
        for _, d in runs:
            node = d["slowest"][i] if i < len(d["slowest"]) else None
            cells += (
                [f"{node['type']} `{node['node']}`", str(node["seconds"])] if node else ["", ""]
            )
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def briefs_section(briefs: dict) -> list[str]:
    sec = briefs["seconds"]
    return [
        f"Briefs: the {briefs['briefs']} briefs of the week ending {briefs['week_end_date']} "
        f"(the pipeline's last week), rendered again by `bench/briefs.py` in a process of its own "
        f"as the `weekly_briefs` asset renders them: {briefs['wall_seconds']} s wall, peak RSS "
        f"{briefs['peak_rss_mb']:,} MB; imports {sec['imports']} s, reading the week "
        f"{sec['load']} s, building the briefs (charts, in {briefs['workers']} spawned "
        f"processes) {sec['charts']} s, writing the pages {sec['write']} s, other "
        f"{_briefs_other(briefs):.2f} s (interpreter start and exit).",
        "",
    ]


def _briefs_other(briefs: dict) -> float:
    return briefs["wall_seconds"] - sum(briefs["seconds"].values())


def cli_section(cli: dict) -> list[str]:
    lines = [
        "## The CLI",
        "",
        f"`.venv/bin/sectorpulse` as a subprocess, best of {cli['repeats']} (wall s). The "
        f"interpreter alone (`python -c pass`) starts in {cli['interpreter_seconds']} s; imports "
        "are the top-level imports of the command (`python -X importtime`), slowest first, each "
        "with the slowest import it makes.",
        "",
        "| command | wall s | exit code | imports s | slowest imports |",
        "|---|---:|---:|---:|---|",
    ]
    for command in cli["commands"].values():
        imports = command["imports"]
        slowest = "; ".join(_import(m) for m in imports["slowest"][:3])
        lines.append(
            f"| `{command['command']}` | {command['seconds']} | {command['exit_code']} | "
            f"{imports['seconds']} | {slowest} |"
        )
    return [*lines, ""]


# -- the targets (issue 11) ---------------------------------------------------------------------


def _slowest(d: dict, kind: str) -> str:
    nodes = d.get("slowest_by_type", {}).get(kind) or [n for n in d["slowest"] if n["type"] == kind]
    return ", ".join(f"`{n['node']}` {n['seconds']} s" for n in nodes[:2]) or "not recorded"


def _dbt_cost(run: dict, full: bool) -> tuple[str, str]:
    sec, d = run["seconds"]["dbt"], run.get("dbt")
    if not d:
        return f"dbt {sec} s (its run_results.json was overwritten)", "rerun to see its nodes"
    tests, models = d["seconds"].get("test", 0.0), d["seconds"].get("model", 0.0)
    overhead = max(sec - d["elapsed_seconds"], 0.0)
    nodes = sum(d["nodes"].values())
    head = (
        f"dbt {sec} s ({tests} s data tests, {models} s models, summed over its threads; "
        f"{overhead:.1f} s of the step outside dbt's own {d['elapsed_seconds']} s)"
    )
    if overhead >= d["elapsed_seconds"]:
        lever = (
            f"fewer dbt nodes ({nodes}): dbt's start-up and dagster-dbt's events per node cost "
            "more than the SQL"
        )
    elif tests >= models and not full:
        lever = f"scope the data tests to the rebuilt rows (slowest: {_slowest(d, 'test')})"
    elif tests >= models:
        lever = (
            "check each row once: fold the big models' per-column tests into their GX suites "
            f"(slowest: {_slowest(d, 'test')})"
        )
    else:
        lever = f"cheaper writes in the slowest models ({_slowest(d, 'model')})"
    return head, lever


def _gx_cost(run: dict, full: bool) -> tuple[str, str]:
    sec, rows = run["seconds"]["gx"], sum(x["batch"] for x in run["loads"])
    checks = run.get("gx_checks")
    head = f"GX {sec} s ({f'{checks} checks, ' if checks else ''}{rows:,} raw rows validated)"
    if rows >= 1_000_000:
        return head, "check each row once: the stock tables' per-row rules in GX or dbt, not both"
    return head, "GX's fixed cost (its import, each check's own overhead): fewer, merged checks"


def _load_cost(run: dict, full: bool) -> tuple[str, str]:
    sec = run["seconds"]["load"]
    batch, held = sum(x["batch"] for x in run["loads"]), sum(x["rows"] for x in run["loads"])
    head = f"load {sec} s ({batch:,} rows inserted; raw holds {held:,})"
    if full:
        return head, (
            "write a first load by `CREATE TABLE AS` from the Parquet sidecar, the load "
            "metadata as constants"
        )
    widest = max(run["loads"], key=lambda x: x["rows"] - x["batch"])
    return head, (
        f"compare only rows dated after what raw holds ({widest['dataset']}: "
        f"{widest['rows']:,} rows compared to insert {widest['batch']:,})"
    )


def _publish_cost(run: dict, full: bool) -> tuple[str, str]:
    return f"publish {run['seconds']['publish']} s", "republish only the marts the run rebuilt"


def _other_cost(run: dict, full: bool) -> tuple[str, str]:
    return (
        f"other {_other_seconds(run):.1f} s (interpreter, imports, `dbt parse`, Dagster between "
        f"{len(run['steps'])} steps)",
        "fewer Dagster steps, lazier imports",
    )


STAGE_COSTS = {
    "load": _load_cost,
    "gx": _gx_cost,
    "dbt": _dbt_cost,
    "publish": _publish_cost,
    "other": _other_cost,
}


def costliest(run: dict, full: bool) -> tuple[str, str]:
    """The run's costliest stage and what it costs; the lever that would shrink it."""
    sec = stages(run)
    return STAGE_COSTS[max(sec, key=sec.get)](run, full)


def pipeline_cost(run: dict, full: bool) -> str:
    head, lever = costliest(run, full)
    return f"{head}: {lever}"


def briefs_cost(briefs: dict) -> str:
    sec = {**briefs["seconds"], "other": _briefs_other(briefs)}
    top = max(sec, key=sec.get)
    seconds = f"{sec[top]:.2f} s"
    return {
        "imports": f"imports {seconds}: import matplotlib and pandas only where a brief is drawn",
        "load": f"reading the week {seconds}: fewer queries in `load_week` (one pass per mart)",
        "charts": f"building the briefs {seconds} in {briefs['workers']} spawned processes: "
        "each re-imports matplotlib; keep the workers warm or draw fewer charts per brief",
        "write": f"writing the pages {seconds}: write the PNGs once, not also embedded in HTML",
        "other": f"interpreter start and exit {seconds}: nothing in sectorpulse",
    }[top]


def _import(module: dict) -> str:
    shown = module.get("via") and module["via_seconds"] >= 0.001
    via = f", `{module['via']}` {module['via_seconds']} s of it" if shown else ""
    return f"`{module['module']}` {module['seconds']} s{via}"


def cli_cost(cli: dict, command: dict) -> str:
    imports, interpreter = command["imports"], cli["interpreter_seconds"]
    if interpreter >= imports["seconds"] or not imports["slowest"]:
        return f"the interpreter's own start {interpreter} s: nothing in sectorpulse"
    return (
        f"imports {imports['seconds']} s (slowest {_import(imports['slowest'][0])}): "
        "import it inside the command that needs it"
    )


def _row(target: str, measured: str, ok: bool | None, cost: str) -> str:
    verdict = "not measured" if ok is None else _verdict(ok)
    return f"| {target} | {measured} | {verdict} | {'' if ok or ok is None else cost} |"


def targets(results: list[dict], cli: dict | None) -> list[str]:
    """Issue 11's targets, one row each: met, or for a miss the costliest stage and its lever."""
    by_size = {r["size"]: r for r in results}
    measured = ", ".join(by_size) or "none"
    t = TARGETS
    lines = [
        "## Targets (issue 11)",
        "",
        "Measured in this run, on this machine. *Weekly update* is the incremental week at 5,000 "
        "× 10; the SQL floor's full recompute is the floor as of 2025-01-27 (the week it "
        "updates to), and the full build is compared with the floor as of 2025-01-24. *Sample "
        "run, warm, without briefs* is the sample size's incremental week: a warm run on the "
        "existing warehouse, the briefs step left out. *31 briefs* are those of the sample "
        "pipeline's last week, rendered in a process of their own. For a miss, the last column "
        "names the stage that costs the most, what it costs, and the lever that would close it.",
        "",
        "| target | measured | | for a miss: costliest stage, and the lever |",
        "|---|---:|---|---|",
    ]
    absent = f"not measured (sizes run: {measured})"

    full = by_size.get("full")
    if full:
        s, run, inc = summary(full), full["full"], full["incremental"]
        lines += [
            _row(f"weekly update, 5,000 × 10 ≤ {t['weekly_seconds']:g} s",
                 f"{s['incremental_seconds']} s", s["incremental_seconds"] <= t["weekly_seconds"],
                 pipeline_cost(inc, full=False)),
            _row(f"weekly update ≤ {t['weekly_floor_ratio']:g}× the SQL floor's full recompute "
                 f"({s['floor_next_seconds']} s)", f"{s['floor_ratio_weekly']:.2f}×",
                 s["floor_ratio_weekly"] <= t["weekly_floor_ratio"],
                 pipeline_cost(inc, full=False)),
            _row(f"full build, 5,000 × 10 ≤ {t['full_seconds']:g} s", f"{s['full_seconds']} s",
                 s["full_seconds"] <= t["full_seconds"], pipeline_cost(run, full=True)),
            _row(f"full build ≤ {t['full_floor_ratio']:g}× the SQL floor ({s['floor_seconds']} s)",
                 f"{s['floor_ratio_full']:.2f}×", s["floor_ratio_full"] <= t["full_floor_ratio"],
                 pipeline_cost(run, full=True)),
            _row(f"full build ≤ {t['full_rss_mb'] / 1024:g} GB peak RSS",
                 f"{s['full_rss_mb']:,} MB", s["full_rss_mb"] <= t["full_rss_mb"],
                 f"Dagster's and dbt's processes together (costliest stage: "
                 f"{costliest(run, full=True)[0]}): cap DuckDB's `memory_limit` "
                 "and threads in the loader and the dbt profile"),
        ]  # fmt: skip
    else:
        lines += [
            _row(f"weekly update, 5,000 × 10 ≤ {t['weekly_seconds']:g} s", absent, None, ""),
            _row(f"weekly update ≤ {t['weekly_floor_ratio']:g}× the SQL floor's full recompute",
                 absent, None, ""),
            _row(f"full build, 5,000 × 10 ≤ {t['full_seconds']:g} s", absent, None, ""),
            _row(f"full build ≤ {t['full_floor_ratio']:g}× the SQL floor", absent, None, ""),
            _row(f"full build ≤ {t['full_rss_mb'] / 1024:g} GB peak RSS", absent, None, ""),
        ]  # fmt: skip

    sample = by_size.get("sample")
    warm = f"sample run, warm, without briefs ≤ {t['sample_warm_seconds']:g} s"
    briefs_target = f"{BRIEFS} briefs ≤ {t['briefs_seconds']:g} s"
    if sample:
        inc, briefs = sample["incremental"], sample["briefs"]
        count = "" if briefs["briefs"] == BRIEFS else f" ({briefs['briefs']} briefs)"
        lines += [
            _row(warm, f"{inc['wall_seconds']} s", inc["wall_seconds"] <= t["sample_warm_seconds"],
                 pipeline_cost(inc, full=False)),
            _row(briefs_target, f"{briefs['wall_seconds']} s{count}",
                 briefs["wall_seconds"] <= t["briefs_seconds"] and briefs["briefs"] == BRIEFS,
                 briefs_cost(briefs)),
        ]  # fmt: skip
    else:
        lines += [_row(warm, absent, None, ""), _row(briefs_target, absent, None, "")]

    for label in CLI_COMMANDS:
        target = f"`sectorpulse {label}` ≤ {t['cli_seconds']:g} s"
        if label != "--help":
            target = f"an argument error (`{' '.join(['sectorpulse', *CLI_COMMANDS[label]])}`) "
            target += f"≤ {t['cli_seconds']:g} s"
        command = (cli or {}).get("commands", {}).get(label)
        if command is None:
            lines.append(_row(target, "not measured", None, ""))
            continue
        expected = command["exit_code"] == 0 if label == "--help" else command["exit_code"] != 0
        note = "" if expected else f", exit code {command['exit_code']}"
        lines.append(
            _row(target, f"{command['seconds']} s{note}",
                 command["seconds"] <= t["cli_seconds"] and expected, cli_cost(cli, command))
        )  # fmt: skip
    lines += [
        f"| `make test`, idle machine ≤ {t['test_minutes']} min | not measured by the bench: see "
        "the CI log of `make test` (.ci/run) and pytest's durations table (the 25 slowest tests, "
        "`--durations=25` in pyproject.toml) | — | |",
        "",
    ]
    return lines


def where_the_time_goes(result: dict) -> list[str]:
    """The measured figures behind the targets, in words."""
    full, incremental = result["full"], result["incremental"]
    sec, inc = full["seconds"], incremental["seconds"]
    nodes = (full.get("dbt") or {}).get("seconds", {})
    inc_nodes = (incremental.get("dbt") or {}).get("seconds", {})
    validated = sum(x["batch"] for x in full["loads"])
    valuation = next(x for x in incremental["loads"] if x["dataset"] == "stock_valuation")
    return [
        "Where the time goes:",
        "",
        f"- Full build: GX {sec['gx']} s validates every row loaded ({validated:,} raw rows) "
        f"and then every row of the models; dbt {sec['dbt']} s runs {nodes.get('model', 0)} s "
        f"of models and {nodes.get('test', 0)} s of data tests (summed over its threads); the "
        f"load {sec['load']} s reads the snapshot and writes every row with its load metadata; "
        f"other {_other_seconds(full):.1f} s over {len(full['steps'])} Dagster steps.",
        f"- Incremental week: dbt {inc['dbt']} s ({inc_nodes.get('model', 0)} s of models, "
        f"{inc_nodes.get('test', 0)} s of data tests, summed); GX {inc['gx']} s for "
        f"{sum(x['batch'] for x in incremental['loads']):,} raw rows and the rebuilt weeks; the "
        f"load {inc['load']} s compares {valuation['rows']:,} stock_value_em rows (each call "
        f"returns a whole history) to find {valuation['batch']:,} new ones; other "
        f"{_other_seconds(incremental):.1f} s over {len(incremental['steps'])} Dagster steps.",
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
        unknown = set(args.sizes.split(",")) - set(SIZES)
        if unknown:
            parser.error(f"unknown sizes {sorted(unknown)}; of {', '.join(SIZES)}")
        info = machine()
        results = [
            bench_size(name, SIZES[name], args.seed, args.work, args.workers)
            for name in args.sizes.split(",")
        ]
        run = {"machine": info, "results": results, "cli": bench_cli()}
        args.work.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(run, indent=1))
    text = report(run["results"], run["machine"], run.get("cli"))
    args.results.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
