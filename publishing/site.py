"""The readers' site: each week's briefs as Markdown and self-contained HTML, with an index page.

```
data/briefs/                     (beside data/published: site_dir(published))
  index.html, index.md           every week, and the docs for the data team
  docs/                          data dictionary and dbt docs (`sectorpulse publish`)
  2025-01-24/                    one folder per week, named by its last trading day
    index.html, index.md         the 31 industries by rank, links to each brief and to GX Data Docs
    801750.md, 801750.html       a brief; the HTML embeds its charts, the Markdown links img/
    img/801750-fig1.png ...
```

A week's folder is written aside and swapped in whole, so a reader never sees half a week. Each
brief ends with a footer (`brief.footer`): the published version of the marts, the source
snapshot, when it was generated, and links to the week's index and the industry's brief of the
week before and after (when the site holds it).
"""

from __future__ import annotations

import base64
import html
import json
import multiprocessing
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from publishing import formats
from publishing.brief import Brief, Footer, WeekData, build_brief, footer, synthetic_inputs

DOCS = "docs"
DICTIONARY_HTML = f"{DOCS}/data_dictionary.html"
DBT_DOCS_HTML = f"{DOCS}/dbt_docs.html"

CSS = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei",
       "Helvetica Neue", Arial, sans-serif; max-width: 1080px; margin: 2rem auto; padding: 0 1.2rem;
       color: #1d2733; line-height: 1.55; }
h1 { font-size: 1.6rem; border-bottom: 3px solid #1f4e79; padding-bottom: .4rem; }
h2 { font-size: 1.2rem; color: #1f4e79; margin-top: 2rem; border-bottom: 1px solid #d5dbe3; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; background: #fff4e5; border-left: 5px solid #e67e22;
             color: #7a3e00; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #d5dbe3; padding: .3rem .65rem; }
th { background: #eef2f7; }
td strong { color: #c0392b; }
img { display: block; max-width: 100%; height: auto; margin: 1rem 0; }
footer { margin-top: 3rem; font-size: .8rem; color: #6b7785; }
"""

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def site_dir(published: Path) -> Path:
    return published.parent / "briefs"


def gx_docs_index(gx_dir: Path) -> Path:
    return gx_dir / "data_docs" / "index.html"  # written by the pipeline's GX checks


def to_html(
    markdown: str, title: str, images: dict[str, bytes] | None = None, foot: str | None = None
) -> str:
    """A standalone page: the Markdown rendered, images embedded as data URIs; `foot` (Markdown)
    rendered in a <footer>."""
    body = _markdown.render(markdown)
    for name, png in (images or {}).items():
        data = base64.b64encode(png).decode("ascii")
        body = body.replace(f'src="img/{name}"', f'src="data:image/png;base64,{data}"')
    if foot:
        body += f"<footer>\n{_markdown.render(foot)}</footer>\n"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{body}</body>\n</html>\n"
    )


def write_page(
    folder: Path,
    stem: str,
    markdown: str,
    title: str,
    images=None,
    foot: Callable[[str], str] | None = None,
) -> None:
    """`stem`.md and `stem`.html; `foot(ext)` is the footer, with links to `.ext` pages."""
    md = markdown if foot is None else f"{markdown}\n---\n\n{foot('md')}"
    (folder / f"{stem}.md").write_text(md, encoding="utf-8")
    page = to_html(markdown, title, images, foot("html") if foot else None)
    (folder / f"{stem}.html").write_text(page, encoding="utf-8")


def published_version(published: Path) -> str | None:
    """The version id of the published marts: their manifest.json (publishing/publish.py)."""
    try:
        return json.loads((published / "manifest.json").read_text())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class WrittenWeek:
    folder: Path
    briefs: int
    flagged_figures: int


def _link(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def _week_index(week: WeekData, rows: list[dict[str, Any]], folder: Path, gx_docs: Path) -> str:
    day = formats.day(week.week_end_date)
    first = rows[0]
    lines = [f"# SW L1 weekly briefs, week ending {day}", ""]
    sample = sorted(set().union(*(synthetic_inputs(r) for r in rows)))
    if sample:
        lines += [
            f"> **Sample data:** some numbers rest on synthetic inputs ({', '.join(sample)}); "
            "they are illustrative, not market facts.",
            "",
        ]
    lines += [
        f"Week {formats.day(first['week_start_date'])} to {day}: {first['benchmark_name']} "
        f"{formats.pct(first['benchmark_return'])}.",
        "",
        "| Rank | Industry | Return | Excess | SW PE | 5y percentile | Published figures | Brief |",
        "|---:|---|---:|---:|---:|---:|---|---|",
    ]
    figures = week.reconciliation
    for row in rows:
        mine = figures[figures["index_code"] == row["index_code"]]
        checked = f"{int(mine['is_flagged'].sum())} of {len(mine)} flagged" if len(mine) else ""
        code = row["index_code"]
        lines.append(
            f"| {formats.rank(row['rank_in_level'], row['n_in_level'])} "
            f"| [{row['index_name']} ({code})]({code}.html) | {formats.pct(row['weekly_return'])} "
            f"| {formats.pct(row['excess_return'])} | {formats.multiple(row['sw_pe'])} "
            f"| {formats.pct(row['sw_pe_percentile_5y'], signed=False)} | {checked} "
            f"| [HTML]({code}.html) · [Markdown]({code}.md) |"
        )
    lines += ["", "## For the data team", ""]
    if gx_docs.exists():
        lines.append(
            f"- [Great Expectations Data Docs]({_link(gx_docs, folder)}): the latest validation "
            "of every raw, staging and mart suite"
        )
    for label, path in (("Data dictionary", DICTIONARY_HTML), ("dbt docs", DBT_DOCS_HTML)):
        if (folder.parent / path).exists():
            lines.append(f"- [{label}](../{path})")
    lines += [
        "- Marts for BI: `marts.duckdb` (open it read-only) and Parquet files in the published "
        "folder; see docs/bi.md",
        "",
    ]
    return "\n".join(lines)


_worker_week: WeekData | None = None


def _init_worker(week: WeekData) -> None:
    global _worker_week
    _worker_week = week


def _build_in_worker(row: dict) -> Brief:
    return build_brief(row, _worker_week)


def build_briefs(rows: list[dict], week: WeekData) -> list[Brief]:
    """Every brief of the week; charts are CPU-bound, so one process per core draws them."""
    workers = min(len(rows), os.cpu_count() or 1)
    if workers < 2:
        return [build_brief(row, week) for row in rows]
    # spawn, not fork: the caller may hold threads (Dagster) or a DuckDB handle.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, context, initializer=_init_worker, initargs=(week,)) as pool:
        return list(pool.map(_build_in_worker, rows))


def write_week(week: WeekData, site: Path, gx_docs: Path, published: Path) -> WrittenWeek:
    """Write every brief of the week and its index page, then swap the week's folder in.

    `published`: the published marts the briefs go with (their version is in the footer)."""
    final = site / formats.day(week.week_end_date)
    staging = site / f".{final.name}.{uuid.uuid4().hex[:6]}.partial"
    (staging / "img").mkdir(parents=True)
    facts = Footer(
        version=published_version(published),
        source=week.source,
        generated_at=datetime.now(UTC),
        previous_week=week.previous_week,
        next_week=week.next_week,
    )

    def rendered(week_end, code: str) -> bool:
        return week_end is not None and (site / formats.day(week_end) / f"{code}.html").is_file()

    try:
        rows = week.rows()
        for row, brief in zip(rows, build_briefs(rows, week), strict=True):
            for name, png in brief.images.items():
                (staging / "img" / name).write_bytes(png)
            code = row["index_code"]
            mine = replace(
                facts,
                previous_rendered=rendered(week.previous_week, code),
                next_rendered=rendered(week.next_week, code),
            )
            title = f"{row['index_name']} ({code}) {formats.day(row['week_end_date'])}"
            write_page(
                staging,
                code,
                brief.markdown,
                title,
                brief.images,
                lambda ext, code=code, mine=mine: footer(mine, code, ext),
            )
        index = _week_index(week, rows, final, gx_docs)
        write_page(staging, "index", index, f"SW L1 weekly briefs {final.name}")
        _swap(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_site_index(site)
    return WrittenWeek(final, len(rows), int(week.reconciliation["is_flagged"].sum()))


def _swap(staging: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:6]}.old")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def write_site_index(site: Path) -> None:
    weeks = sorted(
        (p.name for p in site.iterdir() if p.is_dir() and p.name[:1].isdigit()), reverse=True
    )
    lines = ["# sectorpulse weekly sector briefs", "", "## Weeks", ""]
    lines += [f"- [Week ending {w}]({w}/index.html)" for w in weeks] or ["(none yet)"]
    lines += ["", "## For the data team", ""]
    for label, path in (("Data dictionary", DICTIONARY_HTML), ("dbt docs", DBT_DOCS_HTML)):
        if (site / path).exists():
            lines.append(f"- [{label}]({path})")
    lines.append("- Run `sectorpulse publish` to (re)write the data dictionary and dbt docs.")
    write_page(site, "index", "\n".join(lines) + "\n", "sectorpulse weekly sector briefs")
