"""The weekly Dagster job (`run_week`) with `--source live`, against the fake upstream on 127.0.0.1.

The store is first recorded up to the week before (2025-01-17), as `sectorpulse record` writes
it. The weekly job then runs for the week of 2025-01-24 the way the Friday 18:00 schedule does:
it asks upstream only for what the store lacks (the week's rows), loads it with
`_source = 'live'`, builds the marts and publishes them. A rerun of the week is answered by the
store alone and changes nothing. In the next week, a drifted or a bad upstream frame fails the run
on a named error or check, and the published copy stays as it was.

The clock: the fake world ends in January 2025 and a weekly live run reads the wall clock (the
spot quote must show the close of the day `now` says has settled, or the run stops with
StaleQuote). The test sets `datetime.now()` to the schedule's Friday 18:00 (Asia/Shanghai) in the
two modules that read it for a live run: `ingestion.recorder` (the Recorder's default clock) and
`orchestration.assets` (`run_window`, the partition's as_of).

The briefs asset is left out of the runs (`briefs=False`): it only reads the marts, and its 31
pages with charts take longer (12-25 s on 2 cores) than the rest of a run of this small world.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.fetcher import make_fetcher
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.recorder import Universe, record
from ingestion.snapshot import SHANGHAI, Snapshot
from ingestion.specs import SPECS
from orchestration.assets import MART_MODELS, run_window
from orchestration.cli import RunReport, project_instance, run_week
from orchestration.resources import PipelineSettings
from publishing.brief import NO_NEWS, load_brief_row, render_markdown
from publishing.publish import PUBLISHED_DB
from tests.fixtures.live.fake_upstream import FakeUpstream, World, news_hit
from tests.fixtures.live.harness import WINDOW, make_recorder, seed_calendar
from tests.test_pipeline import check_metadata, read_marts, tree_digest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.allow_hosts(["127.0.0.1"])]

INDUSTRIES = "801750,801780"  # SW Computer and Banks: 2 stocks each in the small world
RECORDED_TO = date(2025, 1, 17)  # the store's history ends the Friday before
WEEK = date(2025, 1, 24)  # the week the job runs for: the fake world's last day
NEXT_WEEK = date(2025, 1, 27)  # the only trading day of the Chinese New Year week


@cache
def _world() -> World:
    # 2 stocks of each industry, the 31 L1 and 2 L2 indices from 2024-09
    return World.from_snapshot(SAMPLE_SNAPSHOT, symbols=2, indices=2, since=date(2024, 9, 2))


def freeze_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """`datetime.now()` is `at` in the modules that read the wall clock for a live run."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return at.astimezone(tz) if tz else at.astimezone().replace(tzinfo=None)

    monkeypatch.setattr("ingestion.recorder.datetime", Clock)
    monkeypatch.setattr("orchestration.assets.datetime", Clock)


def schedule_time(day: date) -> datetime:
    """When `weekly_friday_1800` runs the week of `day`: its Friday, 18:00 Asia/Shanghai."""
    friday = day + timedelta(days=4 - day.weekday())
    return datetime(friday.year, friday.month, friday.day, 18, tzinfo=SHANGHAI)


def settings_for(root: Path) -> PipelineSettings:
    return PipelineSettings.in_folder(root, "live")


@dataclass
class Run:
    report: RunReport
    requests: Counter[str]  # endpoint -> requests the fake upstream answered during the run
    net: dict[str, int]  # the run's Net: requests per host group


def live_week(monkeypatch: pytest.MonkeyPatch, server: FakeUpstream, root: Path, day: date) -> Run:
    """One weekly run as the schedule starts it: at Friday 18:00, with a new Net (run_week starts
    one, with the environment's settings and the default weekly budgets)."""
    freeze_clock(monkeypatch, schedule_time(day))
    before = len(server.requests)
    report = run_week(settings_for(root), week=day, briefs=False)
    return Run(report, Counter(e for e, _ in server.requests[before:]), net_counts(report.run_id))


def net_counts(run_id: str) -> dict[str, int]:
    """Requests per host group of a run's Net, as its raw assets report them: the Net lives one
    run (PipelineSettings' fetcher), so the last count any asset reports is the run's."""
    with project_instance() as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    counts: dict[str, int] = {}
    for event in records:
        meta = event.event_log_entry.asset_materialization.metadata
        found = {
            k.removeprefix("requests_"): v.value
            for k, v in meta.items()
            if k.startswith("requests_")
        }
        if found.get("total", -1) >= counts.get("total", -1):
            counts = found
    return counts


def computer_member(world: World) -> str:
    codes = world.classification
    return sorted(codes.loc[codes["industry_code"].str.startswith("71"), "symbol"])[0]


def add_news(world: World) -> None:
    """Headlines of a key company (海康威视) and of a 计算机 member (a mover either way, with 2
    members): one each in the week, and the member's of the week before, which the history's
    recording fetches and the week's brief must not list."""
    world.news = {
        "002415": [news_hit("202501223300000001", "2025-01-22 10:00:00", "海康威视发布新品")],
        computer_member(world): [
            news_hit("202501233300000002", "2025-01-23 14:00:00", "本周消息"),
            news_hit("202501163300000003", "2025-01-16 09:00:00", "上周消息"),
        ],
    }


@dataclass
class Timeline:
    root: Path
    store: Path
    server: FakeUpstream
    runs: dict[str, Run] = field(default_factory=dict)
    published: dict[str, pd.DataFrame] = field(default_factory=dict)  # marts after the first run

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("live_job")
    world = copy.deepcopy(_world())
    add_news(world)
    with pytest.MonkeyPatch.context() as mp, FakeUpstream(world) as server:
        state = Timeline(root, root / "store", server)
        mp.setenv("SECTORPULSE_UPSTREAM_REDIRECT", server.url)
        mp.setenv("SECTORPULSE_THROTTLE_SCALE", "0")
        mp.setenv("SECTORPULSE_RETRY_BACKOFF", "0,1,0")  # a retry must not sleep in a test
        mp.setenv("SECTORPULSE_STORE", str(state.store))
        mp.setenv("SECTORPULSE_INDUSTRIES", INDUSTRIES)
        for name in ("SECTORPULSE_BUDGET", "SECTORPULSE_THROTTLE", "SECTORPULSE_RETRY_ATTEMPTS"):
            mp.delenv(name, raising=False)
        mp.setenv("SECTORPULSE_DUCKDB", str(state.warehouse))  # the dbt step sets it: restore

        # The history to the Friday before, as `sectorpulse record` writes it.
        world.today = RECORDED_TO
        store = Snapshot(state.store)
        seed_calendar(store)  # Sina's calendar is V8-encoded: the fake does not serve it
        recorder = make_recorder(server, store, RECORDED_TO, universe=Universe.parse(INDUSTRIES))
        recorded = record(recorder, replace(WINDOW, as_of=RECORDED_TO))
        assert recorded.complete, recorded.summary()
        world.today = WEEK  # the upstream now shows the week of 2025-01-24

        state.runs["first"] = live_week(mp, server, root, WEEK)
        assert state.runs["first"].report.success, "the weekly live run failed"
        state.published = read_marts(root / "published" / PUBLISHED_DB)
        state.runs["rerun"] = live_week(mp, server, root, WEEK)
        yield state


def test_the_weekly_run_fetches_only_the_week_within_budget(timeline):
    first = timeline.runs["first"]
    assert first.report.success and first.report.partition_key == "2025-01-20"
    # What a weekly run asks for (docs/live-mode.md), within the default weekly budgets (sw 10,
    # eastmoney 400): the SW bars of the week come from the spot quotes (no index_hist_sw), the
    # SW analysis and CSI rows from the last stored day on, one kline and one valuation per member
    # (4; 400 - 4 - 10 leaves room to refresh every valuation), and the headlines of the 6 key
    # companies and the 4 movers (news budget 25).
    assert first.requests["sw_hist"] == 0
    assert first.requests["em_kline"] == first.requests["em_value"] == 4
    assert first.net == {
        "csindex": 2,
        "datacenter": 4,
        "eastmoney": 4,
        "exchanges": 6,  # the stock lists (5) and SZSE's name changes
        "news": 10,
        "sw": 7,
        "total": 33,
    }
    assert first.requests.total() == 33 and first.requests["em_news"] == 10
    raw = check_metadata(first.report, "gx_raw_")
    assert len(raw) == len(SPECS) and all(m["rows_validated"] > 0 for m in raw.values())


def test_raw_rows_are_labelled_live_and_point_at_the_store(timeline):
    with duckdb.connect(str(timeline.warehouse), read_only=True) as con:
        for name in SPECS:
            labels = con.execute(
                f"SELECT _source, _snapshot, count(*) FROM raw.{name} GROUP BY ALL"
            ).fetchall()
            assert [(s, p) for s, p, _ in labels] == [("live", str(timeline.store))], name
            assert labels[0][2] > 0, name
        # the week's SW bars came from the spot quote, appended to the recorded histories
        derived = con.execute(
            "SELECT count(DISTINCT 代码) FROM raw.sw_index_daily "
            "WHERE 日期 = DATE '2025-01-24' AND _provenance = 'derived'"
        ).fetchone()[0]
        assert derived == 33  # 31 L1 and 2 L2 indices


def test_the_marts_are_built_and_published(timeline):
    published = timeline.root / "published" / PUBLISHED_DB
    assert published.is_file() and not published.stat().st_mode & 0o222
    empty = {t for t in MART_MODELS if timeline.published[t].empty}
    assert empty == {"rpt_reconciliation"}  # no analyst figures in this test
    stocks = timeline.published["fct_stock_weekly_returns"]
    assert len(stocks[stocks["week_end_date"] == pd.Timestamp(WEEK)]) == len(members(timeline))
    # L1 weekly returns from the live closes: the week's bar is the spot quote's 最新价
    world = timeline.server.world
    returns = timeline.published["fct_industry_weekly_returns"]
    week = returns[(returns["week_end_date"] == pd.Timestamp(WEEK)) & (returns["sw_level"] == 1)]
    assert len(week) == 31
    for row in week.itertuples():
        close = world.sw_bars[row.index_code].set_index("日期")["收盘"]
        expected = close[WEEK] / close[RECORDED_TO] - 1
        assert row.weekly_return == pytest.approx(expected, rel=1e-9), row.index_code


def test_a_rerun_of_the_week_asks_upstream_nothing_and_changes_no_mart(timeline):
    rerun = timeline.runs["rerun"]
    assert rerun.report.success
    assert rerun.requests.total() == 0 and rerun.net["total"] == 0
    after = read_marts(timeline.root / "published" / PUBLISHED_DB)
    for table in MART_MODELS:
        pd.testing.assert_frame_equal(timeline.published[table], after[table], obj=table)
    raw = check_metadata(rerun.report, "gx_raw_")
    assert len(raw) == len(SPECS)
    assert {name: m["rows_validated"] for name, m in raw.items()} == dict.fromkeys(raw, 0)


def test_the_brief_lists_the_weeks_company_news(timeline):
    published = timeline.root / "published" / PUBLISHED_DB
    computer = load_brief_row(published, "801750")
    assert computer["week_end_date"] == WEEK and computer["n_news_companies"] == 2
    member = computer_member(timeline.server.world)
    listed = [(i["symbol"], i["title"]) for i in json.loads(computer["company_news"])]
    assert listed == [(member, "本周消息"), ("002415", "海康威视发布新品")]  # newest first
    brief = render_markdown(computer)
    assert "| [本周消息](<http://finance.eastmoney.com/a/202501233300000002.html>) |" in brief
    assert "| 2025-01-22 10:00 | 海康威视 (002415) | 证券时报 |" in brief
    assert "上周消息" not in brief  # recorded with the history: the week before
    assert NO_NEWS in render_markdown(load_brief_row(published, "801780"))  # banks: none


# -- the next week: bad upstream frames --------------------------------------------------------


@pytest.fixture(scope="module")
def next_week(timeline) -> Timeline:
    """The upstream shows 2025-01-27 (the week's only trading day): the run has new rows to ask."""
    timeline.server.world.add_days([NEXT_WEEK], seed=NEXT_WEEK.toordinal())
    return timeline


def members(timeline: Timeline) -> list[str]:
    with duckdb.connect(str(timeline.warehouse), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT symbol FROM raw.sw_classification").fetchall()
        return [r[0] for r in rows]


def failed_steps(run: Run) -> list[str]:
    return [s.step for s in run.report.steps if not s.ok]


def test_a_drifted_kline_frame_stops_the_run_and_leaves_published_unchanged(
    next_week, monkeypatch, capfd
):
    published = next_week.root / "published"
    before = tree_digest(published)
    next_week.server.fail("em_kline", "reorder")  # 最高 and 最低 swapped: akshare names by position
    run = live_week(monkeypatch, next_week.server, next_week.root, NEXT_WEEK)
    assert not run.report.success
    assert failed_steps(run) == ["raw__stock_daily"]
    err = capfd.readouterr().err
    assert "SchemaDrift" in err and "schema drift in stock_daily" in err
    assert run.requests["em_kline"] == 1  # drift is not retried
    assert tree_digest(published) == before


def test_a_negative_close_fails_the_raw_check_and_leaves_published_unchanged(
    next_week, monkeypatch, capfd
):
    published = next_week.root / "published"
    before = tree_digest(published)
    symbol = sorted(members(next_week))[0]
    bars = next_week.server.world.stock_bars[symbol]
    # below zero, the bar is left out of the drift check's OHLC test: only the raw suite sees it
    bars.loc[bars["日期"] == NEXT_WEEK, "收盘"] *= -1
    run = live_week(monkeypatch, next_week.server, next_week.root, NEXT_WEEK)
    assert not run.report.success
    assert failed_steps(run) == ["raw__stock_daily"]
    [check] = [c for c in run.report.checks if c.asset_check_key.name == "gx_raw_stock_daily"]
    assert not check.passed
    assert "1 check failed: gx_raw_stock_daily" in capfd.readouterr().err
    assert tree_digest(published) == before
    with duckdb.connect(str(next_week.warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM raw.stock_daily WHERE 日期 = ?", [NEXT_WEEK]
        ).fetchone() == (0,)


def test_a_record_run_asks_for_its_partition_not_today(tmp_path):
    window = run_window(make_fetcher(f"record:{tmp_path / 'snap'}"), "2024-10-07")
    assert window.as_of == date(2024, 10, 13)  # the week's Sunday, not the machine's date
