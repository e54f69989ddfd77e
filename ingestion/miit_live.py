"""Fetch MIIT's software-industry releases live and merge them into the curated file.

The release list and each release page go through the same choke point as akshare (timeout,
throttle, retries, breaker; `ingestion.http`). Each page's text is read by
`ingestion.miit.parse_release` and merged with `ingestion.miit.merge_release`: new figures are
added, a figure already stored is never overwritten, and a different one is reported as a
restatement to review.

    python -m ingestion.miit_live            # what the releases newer than the curated file add
    python -m ingestion.miit_live --all      # every release on the list page
    python -m ingestion.miit_live --write    # and save the merged curated file

[unverified] The list URL and the page layout were not checked against the live site (no network
when this was written): the list is read as links whose title names a software-industry release,
and a page's text is its main content block. Override the list with SECTORPULSE_MIIT_LIST_URL.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

import pandas as pd
from bs4 import BeautifulSoup

from ingestion import miit
from ingestion.http import Net, NetConfig
from ingestion.live import Caller
from ingestion.settings import settings

# Titles of the releases the parser reads: monthly 软件业(经济)运行情况 and the annual 统计公报.
RELEASE_TITLE = re.compile(r"软件业(经济)?运行情况|软件和信息技术服务业统计公报")
DATE = re.compile(r"(20\d{2})[-年/.](\d{1,2})[-月/.](\d{1,2})")
CONTENT_SELECTORS = ("#con_con", ".ccontent", "#content", ".article", "article")


@dataclass(frozen=True)
class Release:
    url: str
    title: str
    published_date: str | None  # YYYY-MM-DD, from the list (or the page)


@dataclass
class MiitUpdate:
    merged: pd.DataFrame  # the curated rows plus the new ones
    restatements: pd.DataFrame  # stored figures a release states differently: not applied
    added: int = 0
    read: list[str] = field(default_factory=list)  # release URLs parsed
    unreadable: list[str] = field(default_factory=list)  # "url: why" (a table-only page, ...)


def _iso(text: str) -> str | None:
    m = DATE.search(text)
    return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None


def parse_list(html: str, base_url: str) -> list[Release]:
    """Software-industry releases linked from a list page, newest first as listed."""
    soup = BeautifulSoup(html, "html.parser")
    releases = []
    for link in soup.find_all("a", href=True):
        title = (link.get("title") or link.get_text()).strip()
        if not RELEASE_TITLE.search(title):
            continue
        around = link.parent.get_text(" ") if link.parent else ""
        releases.append(Release(urljoin(base_url, link["href"]), title, _iso(around)))
    return list(dict.fromkeys(releases))


def parse_page(html: str) -> tuple[str, str | None]:
    """(the release's text, its 发布时间) from a release page."""
    soup = BeautifulSoup(html, "html.parser")
    published = _iso(next((t for t in soup.stripped_strings if "发布时间" in t), ""))
    block = next((soup.select_one(s) for s in CONTENT_SELECTORS if soup.select_one(s)), soup.body)
    return (block or soup).get_text("\n", strip=True), published


def fetch_updates(
    net: Net, curated: pd.DataFrame, every: bool = False, list_url: str | None = None
) -> MiitUpdate:
    """Read the releases (only those published after the newest curated figure unless `every`)
    and merge them into `curated`."""
    caller = Caller(net)
    list_url = list_url or settings().miit_list_url
    latest = curated["published_date"].dropna().max() if len(curated) else None
    update = MiitUpdate(merged=curated, restatements=pd.DataFrame(columns=miit.RESTATEMENT_COLUMNS))
    flagged = []
    # oldest first: the figure first published is kept, a later one differing is a restatement
    listed = parse_list(caller.page(list_url), list_url)
    for release in sorted(listed, key=lambda r: r.published_date or "9999"):
        if not every and latest and release.published_date and release.published_date <= latest:
            continue
        text, published = parse_page(caller.page(release.url))
        try:
            parsed = miit.parse_release(
                text, published_date=published or release.published_date, source_url=release.url
            )
        except ValueError as exc:  # not prose the parser reads (e.g. a table): say so, go on
            update.unreadable.append(f"{release.url}: {exc}")
            continue
        before = len(update.merged)
        update.merged, restated = miit.merge_release(update.merged, parsed)
        update.added += len(update.merged) - before
        update.read.append(release.url)
        if len(restated):
            flagged.append(restated)
    if flagged:
        update.restatements = pd.concat(flagged, ignore_index=True)
    return update


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.miit_live", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--all", action="store_true", help="read every listed release")
    parser.add_argument("--write", action="store_true", help="save the merged curated file")
    args = parser.parse_args(argv)
    curated = miit.load_curated_stats()
    net = Net(NetConfig.from_env())
    update = fetch_updates(net, curated, every=args.all)
    print(
        f"{len(update.read)} release(s) read, {update.added} new row(s); requests: {net.counts()}"
    )
    for line in update.unreadable:
        print(" - not read:", line)
    if len(update.restatements):
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print("\nNOT APPLIED - restatements to review against the source:")
            print(update.restatements.to_string(index=False))
    for problem in miit.check_segment_consistency(update.merged):
        print(" - consistency:", problem)
    if args.write and update.added:
        print("wrote", miit.save_curated_stats(update.merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
