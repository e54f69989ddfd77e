"""End to end: one Dagster materialisation of the bundled sample, its numbers, reruns and bad input."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.dbt_vars import lookback_weeks
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, Call
from orchestration.assets import MART_MODELS
from orchestration.cli import RunReport, project_instance, run_week
from orchestration.resources import PipelineSettings
from orchestration.scope import SINCE_TAG
from orchestration.weeks import FIRST_WEEK
from publishing.publish import PUBLISHED_DB, published_weeks
from quality import MODEL_SUITES

pytestmark = pytest.mark.e2e

PUBLISHED_KEY = dg.AssetKey(["published", "marts"])


def settings_for(root: Path, source: str | Path = "sample") -> PipelineSettings:
    return PipelineSettings.in_folder(root, str(source))


def read_marts(db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"SELECT * FROM {t}")
            .df()
            .sort_values(list(con.execute(f"SELECT * FROM {t} LIMIT 0").df().columns))
            .reset_index(drop=True)
            for t in MART_MODELS
        }


@pytest.fixture(scope="module")
def first_run(sample_run) -> tuple[Path, RunReport]:
    """The session's shared sample run (conftest): read it, never run on top of it."""
    assert sample_run.report.partition_key == "2025-01-20"
    return sample_run.root, sample_run.report


@pytest.fixture(scope="module")
def run_root(first_run) -> Path:
    return first_run[0]


def check_metadata(report: RunReport, prefix: str) -> dict[str, object]:
    """Each check whose name starts with prefix: its metadata values."""
    return {
        c.asset_check_key.name: {k: v.value for k, v in c.metadata.items()}
        for c in report.checks
        if c.asset_check_key.name.startswith(prefix)
    }


def published_partitions(run_id: str) -> set[str]:
    """The partitions of the published marts that a run materialized."""
    with project_instance() as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    events = [r.event_log_entry.dagster_event for r in records]
    return {e.partition for e in events if e.asset_key == PUBLISHED_KEY}


@pytest.fixture(scope="module")
def published_db(run_root) -> Path:
    return run_root / "published" / PUBLISHED_DB


def sample_l1_closes() -> dict[str, pd.DataFrame]:
    """SW L1 daily closes straight from the snapshot's raw frames (real provenance)."""
    snap = Snapshot(SAMPLE_SNAPSHOT)
    spot, _ = snap.read("sw_index_spot", Call("index_realtime_sw", {"symbol": "一级行业"}))
    closes = {}
    for code in spot["指数代码"]:
        frame, entry = snap.read(
            "sw_index_daily", Call("index_hist_sw", {"symbol": code, "period": "day"})
        )
        assert entry.provenance == "real"
        closes[code] = frame.set_index("日期")["收盘"]
    return closes


def weekly(db: Path, week_end: date, level: int = 1) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return (
            con.execute(
                "SELECT * FROM fct_industry_weekly_returns WHERE week_end_date = ? AND sw_level = ?",
                [week_end, level],
            )
            .df()
            .set_index("index_code")
        )


def test_l1_returns_and_ranks_for_week_ending_2025_01_24(published_db):
    closes = sample_l1_closes()
    expected = pd.Series(
        {code: s[date(2025, 1, 24)] / s[date(2025, 1, 17)] - 1 for code, s in closes.items()}
    )
    got = weekly(published_db, date(2025, 1, 24))
    assert len(got) == 31
    assert (got["n_in_level"] == 31).all()
    pd.testing.assert_series_equal(
        got["weekly_return"].sort_index(), expected.sort_index(), check_names=False, rtol=1e-12
    )
    expected_rank = expected.rank(ascending=False, method="min").astype(int)
    assert got["rank_in_level"].sort_index().tolist() == expected_rank.sort_index().tolist()
    assert sorted(got["rank_in_level"]) == list(range(1, 32))


def test_l1_returns_match_the_shared_source_files(published_db, shared_data):
    got = weekly(published_db, date(2025, 1, 24))["weekly_return"]
    for path in sorted((shared_data / "sw_index_daily" / "level1").glob("*.csv")):
        code = path.name.split("_")[0]
        close = pd.read_csv(path, index_col="date")["close"]
        assert got[code] == pytest.approx(close["2025-01-24"] / close["2025-01-17"] - 1, rel=1e-12)


@pytest.mark.parametrize(
    ("week_end", "prev_week_end", "trading_days"),
    [
        (
            date(2024, 10, 11),
            date(2024, 9, 30),
            4,
        ),  # National Day: only 09-30 traded the week before
        (date(2024, 9, 30), date(2024, 9, 27), 1),
        (date(2025, 1, 3), date(2024, 12, 27), 4),  # year-end week 12-30..01-03
        (date(2025, 1, 24), date(2025, 1, 17), 5),
    ],
)
def test_holiday_weeks_return_against_the_previous_trading_week(
    published_db, week_end, prev_week_end, trading_days
):
    closes = sample_l1_closes()["801750"]
    row = weekly(published_db, week_end).loc["801750"]
    assert row["prev_week_end_date"].date() == prev_week_end
    assert row["trading_days_in_week"] == trading_days
    assert row["weekly_return"] == pytest.approx(
        closes[week_end] / closes[prev_week_end] - 1, rel=1e-12
    )


def test_the_marts_hold_the_partitions_weeks_and_no_earlier_one(published_db):
    # The sample's SW bars start in 1999; the partitions, and so the marts, at FIRST_WEEK.
    with duckdb.connect(str(published_db), read_only=True) as con:
        firsts = {
            table: con.execute(f"SELECT min({column}) FROM {table}").fetchone()[0]
            for table, column in [
                ("fct_industry_weekly_returns", "week_start_date"),
                ("fct_stock_weekly_returns", "week_end_date"),
                ("fct_industry_valuation", "trade_date"),
                ("rpt_industry_weekly_brief", "week_start_date"),
            ]
        }
    assert firsts["fct_industry_weekly_returns"] == FIRST_WEEK, firsts
    assert all(first >= FIRST_WEEK for first in firsts.values()), firsts
    # The first served week still returns from the last close before it (2014-12-31).
    closes = sample_l1_closes()["801750"]
    row = weekly(published_db, date(2015, 1, 9)).loc["801750"]
    assert row["prev_week_end_date"].date() == date(2014, 12, 31)
    assert row["weekly_return"] == pytest.approx(
        closes[date(2015, 1, 9)] / closes[date(2014, 12, 31)] - 1, rel=1e-12
    )


def test_after_a_full_build_the_instance_shows_every_published_week(first_run):
    """The UI's partition status of the published marts is what BI can read: every week the
    marts hold, materialized by the full build's run (its own partition and the weeks before)."""
    root, report = first_run
    weeks = {w.isoformat() for w in published_weeks(root / "published")}
    assert len(weeks) == 513 and min(weeks) == FIRST_WEEK.isoformat()  # 2015-01-05..2025-01-20
    with project_instance() as instance:
        assert weeks <= instance.get_materialized_partitions(PUBLISHED_KEY)
    assert published_partitions(report.run_id) == weeks


def test_excess_return_is_against_csi_300_for_the_same_week(published_db):
    snap = Snapshot(SAMPLE_SNAPSHOT)
    window = snap.window
    csi, _ = snap.read(
        "csi_index_daily",
        Call(
            "stock_zh_index_hist_csindex",
            {
                "symbol": "000300",
                "start_date": "20150101",
                "end_date": window.as_of.strftime("%Y%m%d"),
            },
        ),
    )
    close = csi.set_index("日期")["收盘"]
    bench = close[date(2025, 1, 24)] / close[date(2025, 1, 17)] - 1
    got = weekly(published_db, date(2025, 1, 24))
    assert got["benchmark_return"].unique().tolist() == pytest.approx([bench], rel=1e-12)
    assert (got["excess_return"] - (got["weekly_return"] - bench)).abs().max() < 1e-15


def test_brief_covers_every_l1_industry_and_labels_synthetic_inputs(published_db):
    with duckdb.connect(str(published_db), read_only=True) as con:
        brief = con.execute(
            "SELECT * FROM rpt_industry_weekly_brief WHERE week_end_date = DATE '2025-01-24'"
        ).df()
    assert len(brief) == 31
    computer = brief.set_index("index_code").loc["801750"]
    assert computer["uses_synthetic_data"]
    assert "stock_valuation" in computer["synthetic_inputs"]
    assert computer["n_stocks_ranked"] > 300
    assert computer["software_revenue"] > 0


def test_marts_refuse_nulls_in_required_columns(run_root, tmp_path):
    """Contracted marts carry NOT NULL constraints (dbt `constraints`), enforced on every write."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(run_root / "warehouse.duckdb", copy)
    with duckdb.connect(str(copy)) as con:
        required = dict(
            con.execute(
                "SELECT table_name, count(*) FROM duckdb_constraints() "
                "WHERE schema_name = 'marts' AND constraint_type = 'NOT NULL' GROUP BY 1"
            ).fetchall()
        )
        assert set(required) == set(MART_MODELS)
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed"):
            con.execute("INSERT INTO marts.fct_stock_weekly_returns (stock_name) VALUES ('x')")


def test_published_copy_is_read_only(published_db):
    assert not published_db.stat().st_mode & 0o222
    with duckdb.connect(str(published_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fct_industry_weekly_returns").fetchone()[0] > 0


def test_the_first_build_validates_every_row(first_run):
    raw, models = check_metadata(first_run[1], "gx_raw_"), check_metadata(first_run[1], "gx_")
    # the sample has no calls of the optional datasets (DatasetSpec.optional): nothing to validate
    validated = {name.removeprefix("gx_raw_"): m["rows_validated"] for name, m in raw.items()}
    assert len(raw) == len(SPECS)
    assert {d for d, n in validated.items() if n == 0} == {d for d in SPECS if SPECS[d].optional}
    models = {k: m for k, m in models.items() if k not in raw}
    assert len(models) == len(MODEL_SUITES) and {m["rows_since"] for m in models.values()} == {
        "all"
    }


@pytest.mark.slow
def test_rerunning_the_same_week_gives_identical_marts(sample_run, tmp_path):
    run_root = sample_run.clone(tmp_path / "run")
    before = read_marts(sample_run.published_db)
    rerun = run_week(settings_for(run_root), week=date(2025, 1, 24), briefs=False)
    assert rerun.success
    after = read_marts(run_root / "published" / PUBLISHED_DB)
    for table in MART_MODELS:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)
    # GX validates what a run changed: no raw rows, and the weeks the incremental build rebuilt
    # (the run's scope: its week minus the lookback), the same day dbt got as var rebuild_since.
    raw = check_metadata(rerun, "gx_raw_")
    assert {m["rows_validated"] for m in raw.values()} == {0}
    since = (date(2025, 1, 20) - timedelta(weeks=lookback_weeks())).isoformat()
    assert rerun.tags[SINCE_TAG] == since
    models = {k: m for k, m in check_metadata(rerun, "gx_").items() if k not in raw}
    assert {m["rows_since"] for m in models.values()} == {since}
    # ... and the UI shows those weeks of the published marts materialized by this run.
    assert published_partitions(rerun.run_id) == {
        w.isoformat() for w in published_weeks(run_root / "published", date.fromisoformat(since))
    }


@pytest.mark.slow
def test_a_build_by_other_dbt_code_makes_the_next_build_full(sample_run, tmp_path):
    """A model changed since the last build (here: its recorded digest differs) leaves no old
    row consistent with the new code: the next run rebuilds and validates every row."""
    run_root = sample_run.clone(tmp_path / "run")
    with duckdb.connect(str(run_root / "warehouse.duckdb")) as con:
        con.execute("UPDATE raw._builds SET models = 'built-by-other-code'")
    rerun = run_week(settings_for(run_root), week=date(2025, 1, 24), briefs=False)
    assert rerun.success and rerun.tags[SINCE_TAG] == "all"
    models = {k: m for k, m in check_metadata(rerun, "gx_").items() if not k.startswith("gx_raw_")}
    assert {m["rows_since"] for m in models.values()} == {"all"}


# -- bad input -----------------------------------------------------------------------------------


def corrupt_snapshot(tmp: Path, dataset: str, call: Call, edit) -> Path:
    """A copy of the sample whose one entry is edited (and re-recorded, so checksums match)."""
    root = tmp / "corrupt"
    shutil.copytree(SAMPLE_SNAPSHOT, root, symlinks=True)
    snap = Snapshot(root)
    frame, _ = snap.read(dataset, call)
    snap.write(
        dataset, call, edit(frame.copy()), provenance="synthetic", note="corrupted for a test"
    )
    return root


def negative_close(frame):
    frame.loc[frame.index[-1], "收盘"] = -frame["收盘"].iloc[-1]
    return frame


def duplicated_date(frame):
    return pd.concat([frame, frame.tail(1)], ignore_index=True)


def missing_column(frame):
    return frame.drop(columns=["最低"])


def only_29_industries(frame):
    return frame.iloc[:29]


def prices_times_100_in_june(frame):
    # a units error on a day long outside the incremental lookback (it would lie dormant)
    day = frame["日期"] == date(2024, 6, 14)
    frame.loc[day, ["开盘", "收盘", "最高", "最低"]] *= 100
    return frame


COMPUTER_DAILY = Call("index_hist_sw", {"symbol": "801750", "period": "day"})
HAND_STOCK_DAILY = Call(
    "stock_zh_a_hist",
    {
        "symbol": "300170",
        "period": "daily",
        "start_date": "20240102",
        "end_date": "20250124",
        "adjust": "qfq",
    },
)
L1_SPOT = Call("index_realtime_sw", {"symbol": "一级行业"})


def tree_digest(path: Path) -> dict[str, str]:
    resolved = path.resolve()
    return {
        str(p.relative_to(resolved)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(resolved.rglob("*"))
        if p.is_file()
    } | {"->": str(resolved)}


@pytest.mark.parametrize(
    ("dataset", "call", "edit", "check"),
    [
        ("sw_index_daily", COMPUTER_DAILY, negative_close, "gx_raw_sw_index_daily"),
        ("sw_index_daily", COMPUTER_DAILY, duplicated_date, "gx_raw_sw_index_daily"),
        ("sw_index_daily", COMPUTER_DAILY, missing_column, "gx_raw_sw_index_daily"),
        ("sw_index_spot", L1_SPOT, only_29_industries, "gx_raw_sw_index_spot"),
        ("stock_daily", HAND_STOCK_DAILY, prices_times_100_in_june, "gx_raw_stock_daily"),
    ],
    ids=["negative-close", "duplicated-date", "missing-column", "29-l1-industries", "stock-x100"],
)
@pytest.mark.slow
def test_bad_input_fails_on_a_named_check_and_leaves_published_unchanged(
    sample_run, tmp_path, dataset, call, edit, check, capsys
):
    run_root = sample_run.clone(tmp_path / "run")
    published = run_root / "published"
    before = tree_digest(published)
    source = corrupt_snapshot(tmp_path, dataset, call, edit)
    assert not run_week(settings_for(run_root, source), week=date(2025, 1, 24)).success
    assert check in capsys.readouterr().err
    assert tree_digest(published) == before
