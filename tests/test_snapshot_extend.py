"""`sectorpulse snapshot extend`: the bundled sample extended by the week of 2025-01-27 (its only
trading day before the Chinese New Year holiday) from small hand-made CSVs, then the pipeline on it.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from ingestion.extend import ExtendError, extend_snapshot
from ingestion.paths import SAMPLE_SNAPSHOT
from ingestion.snapshot import Snapshot
from ingestion.specs import SPECS, Call, fetch_order
from orchestration.cli import EXIT_USAGE, app

NEW_DAY = date(2025, 1, 27)
OLD_DAY = date(2025, 1, 24)


def _last_rows(dataset: str) -> pd.DataFrame:
    snap = Snapshot(SAMPLE_SNAPSHOT)
    frames = []
    for entry in snap.entries(dataset):
        frame, _ = snap.read(dataset, entry.call)
        if len(frame):
            frames.append(frame[frame[SPECS[dataset].date_column] == OLD_DAY])
    return pd.concat(frames, ignore_index=True)


def _moved(rows: pd.DataFrame, factor) -> pd.DataFrame:
    """The last day's rows, one trading day later, every price × factor."""
    out = rows.copy()
    out["日期"] = NEW_DAY
    prices = [c for c in ("开盘", "收盘", "最高", "最低") if c in out]
    out[prices] = out[prices].mul(factor, axis=0).round(2)
    return out


@pytest.fixture(scope="module")
def csvs(tmp_path_factory) -> dict[str, Path]:
    """Hand-made rows of 2025-01-27 from the sample's 2025-01-24 rows (synthetic)."""
    folder = tmp_path_factory.mktemp("csvs")
    sw_rows = _last_rows("sw_index_daily")
    # a distinct move per index: equal returns would tie ranks, which a mart check refuses
    sw = _moved(sw_rows, 1 + (sw_rows["代码"].astype(int) % 97 - 48) / 1000)
    csi = _moved(_last_rows("csi_index_daily"), 0.995)
    csi["涨跌"] = (csi["收盘"] - csi["收盘"] / 0.995).round(2)
    csi["涨跌幅"] = -0.5
    bars = _last_rows("stock_daily")
    stock = _moved(bars, 1.02)
    stock["涨跌额"] = (stock["收盘"] - bars["收盘"]).round(2)
    stock["涨跌幅"] = ((stock["收盘"] / bars["收盘"] - 1) * 100).round(2)
    stock["振幅"] = ((stock["最高"] - stock["最低"]) / bars["收盘"] * 100).round(2)
    paths = {}
    for name, frame in (("sw_index_daily", sw), ("csi_index_daily", csi), ("stock_daily", stock)):
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def extended(tmp_path_factory, csvs) -> Path:
    out = tmp_path_factory.mktemp("extended") / "snap"
    before = _tree_digest(SAMPLE_SNAPSHOT)
    report = extend_snapshot(SAMPLE_SNAPSHOT, out, NEW_DAY, csvs, provenance="synthetic")
    assert _tree_digest(SAMPLE_SNAPSHOT) == before, "the source snapshot changed"
    assert report.days == [NEW_DAY]
    return out


@pytest.mark.slow
def test_extended_snapshot_holds_every_planned_call_with_the_new_day(extended):
    snap = Snapshot(extended)
    window = snap.window
    assert window.as_of == NEW_DAY
    assert not [p for p in extended.rglob("*") if p.is_symlink()]
    upstream: dict[str, pd.DataFrame] = {}
    planned = set()
    for name in fetch_order():
        if SPECS[name].optional:  # the sample leaves them out, and so does the extension
            continue
        frames = []
        for call in SPECS[name].plan(window, upstream):
            frame, entry = snap.read(name, call)  # checksum and manifest key checked
            planned.add((name, entry.key))
            frames.append(frame)
            date_column = SPECS[name].date_column
            if name in ("sw_index_daily", "csi_index_daily") and len(frame):
                assert max(frame[date_column]) == NEW_DAY, (name, call)
                assert entry.provenance == "synthetic"
                assert f"{name}.csv" in entry.note
        upstream[name] = pd.concat(frames, ignore_index=True)
    # superseded calls (end_date 20250124) are gone: only planned entries are left
    assert {(e.dataset, e.key) for e in snap.entries()} == planned
    # a stock without a bar on 2025-01-24 (suspended) has no row in the CSV, so none on 01-27
    bars = upstream["stock_daily"]
    assert (bars["日期"] == NEW_DAY).sum() == (bars["日期"] == OLD_DAY).sum()
    valuation = upstream["stock_valuation"]
    assert NEW_DAY in set(valuation["数据日期"])
    sw_val = upstream["sw_index_valuation"]
    assert (sw_val["发布日期"] == NEW_DAY).sum() == 31
    spot, _ = snap.read("sw_index_spot", Call("index_realtime_sw", {"symbol": "一级行业"}))
    bars, _ = snap.read(
        "sw_index_daily", Call("index_hist_sw", {"symbol": "801750", "period": "day"})
    )
    row = spot.set_index("指数代码").loc["801750"]
    assert row["最新价"] == bars["收盘"].iloc[-1]
    assert row["昨收盘"] == bars["收盘"].iloc[-2]


def _bad(tmp_path: Path, csvs: dict[str, Path], dataset: str, edit) -> dict[str, Path]:
    frame = pd.read_csv(csvs[dataset], dtype=str, keep_default_na=False)
    path = tmp_path / f"bad_{dataset}.csv"
    edit(frame).to_csv(path, index=False)
    return {**csvs, dataset: path}


@pytest.mark.parametrize(
    ("dataset", "edit", "words"),
    [
        ("stock_daily", lambda f: f.drop(columns=["成交量"]), ["stock_daily", "成交量", "missing"]),
        (
            "stock_daily",
            lambda f: f.assign(收盘=["n/a", *list(f["收盘"][1:])]),
            ["stock_daily", "收盘", "float", "'n/a'", "line 2"],
        ),
        (
            "csi_index_daily",
            lambda f: f.assign(日期=["2025-02-05", *list(f["日期"][1:])]),
            ["csi_index_daily", "日期", "2025-02-05", "not one of the new trading days"],
        ),
        (
            "sw_index_daily",
            lambda f: f.assign(代码=["999999", *list(f["代码"][1:])]),
            ["sw_index_daily", "代码", "999999"],
        ),
    ],
)
def test_a_bad_csv_is_refused_in_one_line_and_nothing_is_written(
    tmp_path, csvs, dataset, edit, words
):
    out = tmp_path / "out"
    bad = _bad(tmp_path, csvs, dataset, edit)
    args = ["snapshot", "extend", "--from", str(SAMPLE_SNAPSHOT), "--out", str(out)]
    args += ["--as-of", "2025-01-27"]
    for name, path in bad.items():
        args += ["--add", f"{name}={path}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_USAGE, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, message
    assert str(bad[dataset]) in message
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_refusals_before_reading_anything(tmp_path, csvs):
    out = tmp_path / "out"
    with pytest.raises(ExtendError, match="--add csi_index_daily=CSV is required"):
        extend_snapshot(SAMPLE_SNAPSHOT, out, NEW_DAY, {"sw_index_daily": csvs["sw_index_daily"]})
    with pytest.raises(ExtendError, match="not after the source's as_of"):
        extend_snapshot(SAMPLE_SNAPSHOT, out, OLD_DAY, csvs)
    with pytest.raises(ExtendError, match="stock_names is not extended from a CSV"):
        extend_snapshot(SAMPLE_SNAPSHOT, out, NEW_DAY, {**csvs, "stock_names": csvs["stock_daily"]})
    (out / "x").mkdir(parents=True)
    with pytest.raises(ExtendError, match="exists and is not empty"):
        extend_snapshot(SAMPLE_SNAPSHOT, out, NEW_DAY, csvs)


@pytest.mark.slow
def test_the_frame_files_are_gzip_csv_with_the_spec_columns(extended):
    path = next((extended / "stock_daily").glob("*20250127*.csv.gz"))
    header = gzip.decompress(path.read_bytes()).decode().splitlines()[0]
    assert header.split(",") == list(SPECS["stock_daily"].columns)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_pipeline_runs_on_the_extended_snapshot(tmp_path, extended):
    from orchestration.cli import run_week
    from orchestration.resources import PipelineSettings

    report = run_week(PipelineSettings.in_folder(tmp_path, str(extended)), week=None, briefs=False)
    from publishing.publish import PUBLISHED_DB  # after the run has imported publishing

    assert report.success, [e.error for e in report.errors] + [
        c.asset_check_key.name for c in report.failed_checks
    ]
    assert report.partition_key == "2025-01-27"
    with duckdb.connect(str(tmp_path / "published" / PUBLISHED_DB), read_only=True) as con:
        l1 = con.execute(
            "SELECT index_code, weekly_return FROM fct_industry_weekly_returns "
            "WHERE week_end_date = ? AND sw_level = 1",
            [NEW_DAY],
        ).df()
        stocks = con.execute(
            "SELECT count(*) FROM fct_stock_weekly_returns WHERE week_end_date = ?", [NEW_DAY]
        ).fetchone()[0]
    assert len(l1) == 31
    snap = Snapshot(extended)
    for code, got in zip(l1["index_code"], l1["weekly_return"], strict=True):
        bars, _ = snap.read(
            "sw_index_daily", Call("index_hist_sw", {"symbol": code, "period": "day"})
        )
        closes = bars.set_index("日期")["收盘"]
        assert got == pytest.approx(closes[NEW_DAY] / closes[OLD_DAY] - 1, rel=1e-9), code
    assert stocks > 0
