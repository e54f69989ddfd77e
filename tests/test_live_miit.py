# ruff: noqa: F401, F811 - pytest fixtures imported from the harness are used as arguments
"""MIIT releases fetched live (list and pages through the choke point), parsed and merged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ingestion import miit
from ingestion.http import HostBlocked
from ingestion.miit_live import Release, fetch_updates, parse_list
from tests.fixtures.live.harness import make_net, upstream, world

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
FIXTURES = Path(__file__).parent / "fixtures" / "miit"
ART = "/gxsj/tjfx/rjy/art/2031"


def release_text(name: str) -> str:
    """An invented release (tests/fixtures/miit) without its '#' header."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#"))


@pytest.fixture
def releases(world):
    world.miit_pages = {
        f"{ART}/art_3.html": (
            "2031年一季度软件业经济运行情况",
            "2031-05-02",
            release_text("ytd_2031_q1_revised.txt"),
        ),
        f"{ART}/art_2.html": (
            "2031年一季度软件业经济运行情况",
            "2031-04-25",
            release_text("ytd_2031_q1.txt"),
        ),
        f"{ART}/art_1.html": (
            "2031年1—2月软件业经济运行情况",
            "2031-03-25",
            release_text("ytd_2031_jan_feb.txt"),
        ),
        f"{ART}/art_0.html": (
            "2031年软件业经济运行情况",
            "2031-02-01",
            "指标名称 单位 本期累计 同比增减%",
        ),
        f"{ART}/art_9.html": ("2031年工业通信业标准化工作要点", "2031-03-01", "unrelated"),
    }
    return world.miit_pages


def test_releases_are_fetched_parsed_and_merged_without_overwriting(upstream, releases):
    curated = miit.load_curated_stats()
    net = make_net(upstream)
    update = fetch_updates(net, curated)
    # the list, then the four software releases (the standards notice is not one)
    assert net.counts() == {"miit": 5, "total": 5}
    assert [u.rsplit("/", 1)[1] for u in update.read] == ["art_1.html", "art_2.html", "art_3.html"]
    assert len(update.unreadable) == 1 and "art_0.html" in update.unreadable[0]
    # everything stored is kept, row for row; new figures are added
    pd.testing.assert_frame_equal(update.merged.iloc[: len(curated)], curated)
    assert update.added == len(update.merged) - len(curated) > 0
    new = update.merged.iloc[len(curated) :]
    assert set(new["period_end"]) == {"2031-02", "2031-03"}
    assert new["source_url"].str.startswith("https://www.miit.gov.cn/gxsj/tjfx/rjy/art/2031/").all()
    # oldest first: the 一季度 figures first published stay, the revision is flagged, not applied
    flagged = {
        (r.segment, r.field): (r.stored, r.parsed, r.kind) for r in update.restatements.itertuples()
    }
    assert flagged[("total", "yoy_pct")] == (11.2, 11.3, "restated")
    total = new[
        (new["segment"] == "total")
        & (new["metric"] == "revenue")
        & (new["period_end"] == "2031-03")
    ]
    assert total["published_date"].tolist() == ["2031-04-25"]


def test_only_releases_newer_than_the_curated_file_are_read(upstream, releases):
    curated = miit.load_curated_stats()
    curated.loc[len(curated) - 1, "published_date"] = (
        "2031-04-30"  # pretend the file is that recent
    )
    net = make_net(upstream)
    update = fetch_updates(net, curated)
    assert update.read == [f"https://www.miit.gov.cn{ART}/art_3.html"]
    assert net.counts()["miit"] == 2


def test_a_blocked_site_names_the_host(upstream, releases):
    upstream.fail("miit", "403")
    with pytest.raises(HostBlocked, match=r"www\.miit\.gov\.cn"):
        fetch_updates(make_net(upstream), miit.load_curated_stats())


def test_transient_failures_of_a_page_are_retried(upstream, releases):
    upstream.fail("miit", "502")
    net = make_net(upstream)
    update = fetch_updates(net, miit.load_curated_stats())
    assert len(update.read) == 3 and net.config.sleep == [5.0]


def test_list_parsing_keeps_software_releases_with_their_dates():
    html = """<ul>
      <li><a href="art/2025/art_a.html" title="2025年1—2月软件业运行情况">2025年1—2月软件业运行情况</a>
          <span>2025-03-27</span></li>
      <li><a href="art/2025/art_b.html">2024年软件和信息技术服务业统计公报</a> 2025年1月26日</li>
      <li><a href="art/2025/art_c.html">2025年1—2月通信业经济运行情况</a> 2025-03-20</li>
    </ul>"""
    assert parse_list(html, "https://www.miit.gov.cn/gxsj/tjfx/rjy/index.html") == [
        Release(
            "https://www.miit.gov.cn/gxsj/tjfx/rjy/art/2025/art_a.html",
            "2025年1—2月软件业运行情况",
            "2025-03-27",
        ),
        Release(
            "https://www.miit.gov.cn/gxsj/tjfx/rjy/art/2025/art_b.html",
            "2024年软件和信息技术服务业统计公报",
            "2025-01-26",
        ),
    ]
