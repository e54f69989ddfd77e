"""Extend a snapshot by new trading days from a user's own CSVs: `sectorpulse snapshot extend`.

The source snapshot is never modified: its files are hard-linked (copied across devices) into a
temporary folder beside --out, every changed call is written there, and the folder is renamed to
--out only when all of it was written. Every CSV is read and checked against its dataset's spec
(exact columns, `Snapshot`'s kinds, dates among the new trading days) before anything is written,
so a bad CSV leaves nothing behind. See docs/snapshots.md ("Extending a snapshot").

What each dataset gets (EXTENDS):
- csv: the user's rows, required (sw_index_daily, csi_index_daily, stock_daily);
- csv or derived: the user's rows when given, else derived from the new bars
  (sw_index_valuation from SW L1 closes, stock_valuation from qfq closes);
- derived: sw_index_spot, the quote of the last bar of each index;
- carried: the rest (calendar, classification, names, name changes when present, MIIT), as
  they are.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.recorder import extend_valuation
from ingestion.snapshot import (
    NULL,
    Entry,
    Provenance,
    Snapshot,
    SnapshotError,
    kind_of,
)
from ingestion.specs import SPECS, Call, RunWindow, fetch_order

PROVENANCES: tuple[Provenance, ...] = ("real", "derived", "synthetic")
CSV_REQUIRED = ("sw_index_daily", "csi_index_daily", "stock_daily")
CSV_OR_DERIVED = ("sw_index_valuation", "stock_valuation")
DERIVED = ("sw_index_spot",)
# the frame column that holds a call's `symbol` ("symbol": an extra CSV column, dropped)
SYMBOL_COLUMN = {
    "sw_index_daily": "代码",
    "csi_index_daily": "指数代码",
    "stock_daily": "股票代码",
    "stock_valuation": "symbol",
}
COMMAND = "sectorpulse snapshot extend"


class ExtendError(Exception):
    """Bad input to `snapshot extend`; str() is the one line a user reads (exit code 2)."""


@dataclass
class ExtendReport:
    out: Path
    window: RunWindow
    days: list[date]
    written: dict[str, int] = field(default_factory=dict)  # dataset -> calls written
    unchanged: dict[str, int] = field(default_factory=dict)  # planned calls without new rows
    removed: int = 0  # superseded entries dropped from --out

    def summary(self) -> str:
        parts = [f"{name} {n}" for name, n in self.written.items()]
        quiet = [f"{name} {n}" for name, n in self.unchanged.items() if n]
        days = ", ".join(d.isoformat() for d in self.days)
        return (
            f"extended snapshot {self.out} to {self.window.as_of} (new trading days: {days}); "
            f"calls written: {', '.join(parts) or 'none'}"
            + (f"; planned calls without new rows: {', '.join(quiet)}" if quiet else "")
        )


def _worst(*labels: Provenance) -> Provenance:
    return max(labels, key=PROVENANCES.index)


# -- reading and checking a CSV -----------------------------------------------------------------


def _problem(dataset: str, csv: Path, text: str) -> ExtendError:
    return ExtendError(f"--add {dataset}={csv}: {text}")


def _convert(values: pd.Series, kind: str) -> tuple[pd.Series, object]:
    """The column restored to `kind` (as Snapshot.read restores it), and the first value that
    does not hold that kind (None: all do). Empty cells and \\N are missing values."""
    missing = values.isna()
    if kind == "str":
        return values.astype("str").where(~missing, None).astype("str"), None
    if kind == "date":
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = values[parsed.isna() & ~missing]
        out = parsed.dt.date.astype(object).where(~missing, None)
        return out, (bad.iloc[0] if len(bad) else None)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values[numbers.isna() & ~missing]
    if len(bad):
        return values, bad.iloc[0]
    if kind == "float":
        return numbers.astype("float64"), None
    whole = numbers.dropna()
    fractional = whole[whole != np.floor(whole)]
    if len(fractional):
        return values, values[fractional.index[0]]
    return (numbers.astype("int64") if not missing.any() else numbers.astype("Int64")), None


def read_user_csv(dataset: str, csv: Path, days: list[date]) -> pd.DataFrame:
    """The CSV's rows in the spec's columns and kinds, refused unless every column is there,
    holds its kind and every row is dated on one of the new trading days."""
    spec = SPECS[dataset]
    expected = dict(spec.columns)
    symbol = SYMBOL_COLUMN.get(dataset)
    if symbol and symbol not in expected:
        expected[symbol] = "str"  # the call's symbol, not a column akshare returns
    try:
        text = csv.read_text(encoding="utf-8-sig")
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=["", NULL]
        )
    except FileNotFoundError:
        raise _problem(dataset, csv, "no such file; give the path of the CSV") from None
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        detail = " ".join(str(exc).split())
        raise _problem(
            dataset, csv, f"not a readable UTF-8 CSV ({detail}); save it as UTF-8 CSV"
        ) from None
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        what = "; ".join(
            filter(
                None,
                [
                    f"missing column(s) {', '.join(missing)}" if missing else "",
                    f"unexpected column(s) {', '.join(map(str, extra))}" if extra else "",
                ],
            )
        )
        raise _problem(
            dataset,
            csv,
            f"{what}; the header must be exactly {', '.join(expected)} "
            "(akshare's own names, any order; leave a value empty when it is missing)",
        )
    if frame.empty:
        raise _problem(dataset, csv, "no rows; give the new days' rows or leave out --add")
    out = {}
    for name, kind in expected.items():
        converted, bad = _convert(frame[name], kind)
        if bad is not None:
            row = int(frame.index[frame[name] == bad][0]) + 2  # header is line 1
            raise _problem(
                dataset,
                csv,
                f"column {name} must hold {kind} values but line {row} has {bad!r}; "
                + (
                    "write dates as YYYY-MM-DD"
                    if kind == "date"
                    else "write plain numbers (no units or thousands separators), or leave it empty"
                ),
            )
        out[name] = converted
    rows = pd.DataFrame(out)
    if symbol:
        empty = rows[symbol].isna()
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 2
            raise _problem(dataset, csv, f"column {symbol} is empty on line {row}; fill it in")
    column = spec.date_column
    if column:
        if rows[column].isna().any():
            row = int(np.flatnonzero(rows[column].isna().to_numpy())[0]) + 2
            raise _problem(dataset, csv, f"column {column} is empty on line {row}; fill it in")
        outside = sorted(set(rows[column]) - set(days))
        if outside:
            span = f"{days[0]}..{days[-1]}" if days else "none"
            raise _problem(
                dataset,
                csv,
                f"column {column} has {outside[0]}, which is not one of the new trading days "
                f"({span}, from the snapshot's trade_calendar); give only rows after the "
                "source's as_of and up to --as-of",
            )
    keys = list(dict.fromkeys([*([symbol] if symbol else []), *spec.grain]))
    dupes = rows[rows.duplicated(keys, keep=False)]
    if len(dupes):
        first = ", ".join(f"{k}={dupes.iloc[0][k]}" for k in keys)
        raise _problem(dataset, csv, f"duplicate rows for {first}; keep one row per {keys}")
    return rows


# -- building the new frames ----------------------------------------------------------------------


def _series_key(call: Call) -> tuple:
    return call.function, tuple(sorted((k, v) for k, v in call.kwargs.items() if k != "end_date"))


@dataclass
class _Built:
    call: Call
    frame: pd.DataFrame
    provenance: Provenance
    note: str
    supersedes: Entry | None = None  # an entry of the same series that the new call replaces


class _Extender:
    def __init__(
        self,
        source: Snapshot,
        window: RunWindow,
        days: list[date],
        provenance: Provenance,
        csvs: Mapping[str, Path],
    ):
        self.source = source
        self.old = source.window
        self.window = window
        self.days = days
        self.provenance = provenance
        self.csvs = csvs
        self.frames: dict[str, pd.DataFrame] = {}  # dataset -> every planned frame, concatenated
        self.built: dict[str, list[_Built]] = {}
        self.unchanged: dict[str, int] = {}
        self._series: dict[str, dict[tuple, list[Entry]]] = {}

    def earlier(self, dataset: str, call: Call) -> tuple[pd.DataFrame | None, Entry | None]:
        """The source's frame of `call`, or of its series' latest call ending before it."""
        if self.source.has(dataset, call):
            frame, entry = self.source.read(dataset, call)
            return frame, entry
        if dataset not in self._series:
            index: dict[tuple, list[Entry]] = {}
            for entry in self.source.entries(dataset):
                index.setdefault(_series_key(entry.call), []).append(entry)
            self._series[dataset] = index
        end = call.kwargs.get("end_date", "")
        candidates = [
            e
            for e in self._series[dataset].get(_series_key(call), [])
            if e.kwargs.get("end_date", "") < end
        ]
        entry = max(candidates, key=lambda e: e.kwargs["end_date"], default=None)
        if entry is None:
            return None, None
        return self.source.read(dataset, entry.call)[0], entry

    def run(self) -> None:
        for dataset in CSV_REQUIRED:
            if dataset not in self.csvs:
                columns = ", ".join(SPECS[dataset].columns)
                raise ExtendError(
                    f"--add {dataset}=CSV is required: the new days' rows of {dataset} with "
                    f"columns {columns}; see docs/snapshots.md"
                )
        # every CSV checked before a single frame of the snapshot is read
        self.rows = {
            name: read_user_csv(name, self.csvs[name], self.days)
            for name in fetch_order()
            if name in self.csvs
        }
        upstream: dict[str, pd.DataFrame] = {}
        for dataset in fetch_order():
            spec = SPECS[dataset]
            calls = spec.plan(self.window, upstream)
            if dataset in self.csvs:
                self.from_rows(dataset, calls, self.rows[dataset], self.csvs[dataset])
            elif dataset == "sw_index_valuation":
                self.derive_sw_valuation(calls)
            elif dataset == "stock_valuation":
                self.derive_stock_valuation(calls)
            else:  # carried over; sw_index_spot is derived once sw_index_daily is built
                self.carry(dataset, calls)
            upstream[dataset] = self.frames[dataset]
        self.derive_spot()

    # each dataset's frames -----------------------------------------------------------------
    def _record(self, dataset: str, built: list[_Built], frames: list[pd.DataFrame]) -> None:
        self.built[dataset] = built
        self.frames[dataset] = (
            pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[])
        )

    def carry(self, dataset: str, calls: list[Call]) -> None:
        frames = []
        for call in calls:
            frame, entry = self.earlier(dataset, call)
            if entry is None and SPECS[dataset].optional:
                continue  # a dataset the source lacks stays absent
            if entry is None or entry.call != call:
                raise ExtendError(
                    f"dataset {dataset}: the source snapshot has no entry for "
                    f"{call.describe()}, and {COMMAND} carries {dataset} over as it is; "
                    "record it first (sectorpulse record) or extend a complete snapshot"
                )
            frames.append(frame)
        self._record(dataset, [], frames)

    def _note(self, what: str, entry: Entry | None) -> str:
        old = f"rows to {self.old.as_of} from the source snapshot; " if entry is not None else ""
        extended = f"{old}rows of {', '.join(map(str, self.days))} {what} ({COMMAND})"
        return "; ".join(filter(None, [extended, entry.note if entry else ""]))

    def _extended(
        self, dataset: str, call: Call, new: pd.DataFrame, what: str, provenance: Provenance
    ) -> tuple[pd.DataFrame, _Built | None]:
        old, entry = self.earlier(dataset, call)
        if new.empty:
            if entry is not None and entry.call == call:
                return old, None  # nothing new for this call: the entry stays as it is
            if old is None:
                old = _empty(dataset)
        base = old if old is not None else _empty(dataset)
        if not new.empty:
            new = new[list(base.columns)] if len(base.columns) else new
            frame = pd.concat([base, _align(new, base)], ignore_index=True) if len(base) else new
        else:
            frame = base
        label = _worst(entry.provenance, provenance) if entry is not None else provenance
        supersedes = entry if entry is not None and entry.call != call else None
        return frame, _Built(call, frame, label, self._note(what, entry), supersedes)

    def from_rows(self, dataset: str, calls: list[Call], rows: pd.DataFrame, csv: Path) -> None:
        spec = SPECS[dataset]
        symbol = SYMBOL_COLUMN.get(dataset)
        claimed = pd.Series(False, index=rows.index)
        built, frames, quiet = [], [], 0
        for call in calls:
            mine = pd.Series(True, index=rows.index)
            if symbol:
                mine &= rows[symbol] == call.kwargs.get("symbol")
            if spec.date_column and "start_date" in call.kwargs:
                dates = rows[spec.date_column]
                lo = pd.Timestamp(call.kwargs["start_date"]).date()
                hi = pd.Timestamp(call.kwargs["end_date"]).date()
                mine &= dates.map(lambda d, lo=lo, hi=hi: lo <= d <= hi).astype(bool)
            claimed |= mine
            new = rows[mine].drop(columns=[c for c in [symbol] if c and c not in spec.columns])
            new = new[list(spec.columns)].reset_index(drop=True)
            frame, item = self._extended(dataset, call, new, f"from {csv.name}", self.provenance)
            frames.append(frame)
            if item is None:
                quiet += 1
            else:
                built.append(item)
        stray = rows[~claimed]
        if len(stray):
            example = stray.iloc[0][symbol] if symbol else stray.iloc[0].to_dict()
            raise _problem(
                dataset,
                csv,
                f"column {symbol or spec.date_column} has {example!r}, which no call of the new "
                f"window covers ({len(stray)} such rows); "
                + (
                    "give only symbols the snapshot's plan has (its classification / index list)"
                    if symbol
                    else "give only rows of the new days"
                ),
            )
        for item in built:
            _check_kinds(dataset, item.frame, csv)
        self.unchanged[dataset] = quiet
        self._record(dataset, built, frames)

    def derive_stock_valuation(self, calls: list[Call]) -> None:
        """Each stock's valuation extended from its new qfq closes (ingestion.recorder)."""
        bars = self.frames["stock_daily"]
        by_symbol = {s: g for s, g in bars.groupby("股票代码", sort=False)} if len(bars) else {}
        built, frames, quiet = [], [], 0
        for call in calls:
            old, _ = self.earlier("stock_valuation", call)
            symbol_bars = by_symbol.get(call.kwargs["symbol"])
            rows = (
                extend_valuation(old, symbol_bars)
                if old is not None and symbol_bars is not None
                else pd.DataFrame()
            )
            what = (
                "derived from stock_daily qfq closes: 当日收盘价, 总市值, 流通市值, PE(TTM), PE(静), "
                "市净率, PEG值, 市现率 and 市销率 × close / last close, 当日涨跌幅 from the bars, "
                "总股本 and 流通股本 carried over"
            )
            label = _worst(self.provenance, "derived")
            frame, item = self._extended("stock_valuation", call, rows, what, label)
            frames.append(frame)
            if item is None:
                quiet += 1
            else:
                built.append(item)
        self.unchanged["stock_valuation"] = quiet
        self._record("stock_valuation", built, frames)

    def derive_sw_valuation(self, calls: list[Call]) -> None:
        """SW L1 analysis rows for the new days from the L1 bars the CSV of sw_index_daily gives:
        收盘指数, 成交量 and 涨跌幅 from the bars, 市盈率/市净率/流通市值/平均流通市值 × close / last
        收盘指数, 股息率 ÷ it, 换手率, 均价 and 成交额占比 left empty. Needs sw_index_daily's CSV,
        which is required."""
        dataset = "sw_index_valuation"
        history = pd.concat(
            [self.source.read(dataset, e.call)[0] for e in self.source.entries(dataset)],
            ignore_index=True,
        )
        l1 = set(history["指数代码"].astype(str))
        bars = self.rows["sw_index_daily"]
        new_rows = []
        if len(bars):
            bars = bars[bars["代码"].isin(l1)].sort_values(["代码", "日期"])
            last = history.sort_values("发布日期").groupby("指数代码").tail(1).set_index("指数代码")
            for code, group in bars.groupby("代码"):
                if code not in last.index:
                    continue
                prev = last.loc[code]
                prev_close = prev["收盘指数"]
                for bar in group.itertuples(index=False):
                    row = prev.copy()
                    ratio = bar.收盘 / prev["收盘指数"]
                    row["发布日期"] = bar.日期
                    row["收盘指数"] = bar.收盘
                    row["成交量"] = bar.成交量
                    row["涨跌幅"] = round((bar.收盘 / prev_close - 1) * 100, 2)
                    for column in ("市盈率", "市净率", "流通市值", "平均流通市值"):
                        row[column] = prev[column] * ratio
                    row["股息率"] = prev["股息率"] / ratio
                    for column in ("换手率", "均价", "成交额占比"):
                        row[column] = float("nan")
                    row["指数代码"] = code
                    new_rows.append(row)
                    prev, prev_close = row, bar.收盘
        new = (
            pd.DataFrame(new_rows, columns=list(SPECS[dataset].columns))
            if new_rows
            else _empty(dataset)
        )
        if len(new):
            new = new.sort_values(["发布日期", "指数代码"]).reset_index(drop=True)
            new = _align(new, history)
        what = (
            "derived from the sw_index_daily CSV's L1 closes: 收盘指数, 成交量, 涨跌幅 from the "
            "bars, 市盈率, 市净率, 流通市值 and 平均流通市值 × close / last 收盘指数, 股息率 ÷ it, "
            "换手率, 均价 and 成交额占比 empty"
        )
        label = _worst(self.provenance, "derived")
        built, frames, quiet = [], [], 0
        for call in calls:
            lo = pd.Timestamp(call.kwargs["start_date"]).date()
            hi = pd.Timestamp(call.kwargs["end_date"]).date()
            mine = new[new["发布日期"].map(lambda d, lo=lo, hi=hi: lo <= d <= hi).astype(bool)]
            frame, item = self._extended(dataset, call, mine.reset_index(drop=True), what, label)
            frames.append(frame)
            if item is None:
                quiet += 1
            else:
                built.append(item)
        self.unchanged[dataset] = quiet
        self._record(dataset, built, frames)

    def derive_spot(self) -> None:
        """index_realtime_sw: each index's quote from its last bar (as scripts/build_sample.py
        makes it): 最新价/今开盘/最高价/最低价/成交量/成交额 from the last bar, 昨收盘 the close
        before it."""
        dataset = "sw_index_spot"
        bars = self.frames["sw_index_daily"].sort_values(["代码", "日期"])
        tail = bars.groupby("代码").tail(2)
        built = []
        for call in SPECS[dataset].plan(self.window, {}):
            spot, entry = self.source.read(dataset, call)
            spot = spot.copy()
            changed = False
            for i, code in enumerate(spot["指数代码"].astype(str)):
                two = tail[tail["代码"] == code]
                if two.empty or two["日期"].iloc[-1] <= self.old.as_of:
                    continue
                last = two.iloc[-1]
                spot.loc[i, "最新价"] = last["收盘"]
                spot.loc[i, "今开盘"] = last["开盘"]
                spot.loc[i, "最高价"] = last["最高"]
                spot.loc[i, "最低价"] = last["最低"]
                spot.loc[i, "成交量"] = last["成交量"]
                spot.loc[i, "成交额"] = last["成交额"]
                spot.loc[i, "昨收盘"] = two["收盘"].iloc[0] if len(two) == 2 else float("nan")
                changed = True
            if changed:
                note = (
                    f"quotes of {self.window.as_of}'s last bars of sw_index_daily ({COMMAND}): "
                    "最新价/今开盘/最高价/最低价/成交量/成交额 from the last bar, 昨收盘 from the one "
                    "before"
                )
                label = _worst(entry.provenance, self.provenance, "derived")
                built.append(_Built(call, spot, label, note))
        self.built[dataset] = built


def _empty(dataset: str) -> pd.DataFrame:
    dtypes = {"str": "str", "date": object, "float": "float64", "int": "int64"}
    return pd.DataFrame(
        {c: pd.Series([], dtype=dtypes[k]) for c, k in SPECS[dataset].columns.items()}
    )


def _align(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """`new` with the old frame's nullable ints where it has gaps, so concat keeps the kind."""
    out = new.copy()
    for column in old.columns:
        if str(old[column].dtype) == "Int64" or (
            pd.api.types.is_integer_dtype(old[column]) and out[column].isna().any()
        ):
            out[column] = out[column].astype("Int64")
    return out


def _check_kinds(dataset: str, frame: pd.DataFrame, csv: Path) -> None:
    """The frame as Snapshot.write will describe it must have the spec's columns and kinds."""
    spec = SPECS[dataset]
    if list(frame.columns) != list(spec.columns):
        raise _problem(dataset, csv, f"columns {list(frame.columns)} != {list(spec.columns)}")
    for name, kind in spec.columns.items():
        column = frame[name]
        found = kind if column.isna().all() else kind_of(column)
        if found != kind:
            raise _problem(
                dataset,
                csv,
                f"column {name} would be written as {found}, not {kind} as the spec says "
                "(the source snapshot's rows and the CSV's disagree); fix the CSV's values",
            )


# -- the command ---------------------------------------------------------------------------------


def _trading_days(source: Snapshot, after: date, upto: date) -> list[date]:
    call = SPECS["trade_calendar"].plan(source.window, {})[0]
    calendar, _ = source.read("trade_calendar", call)
    days = sorted(d for d in calendar["trade_date"] if d is not None)
    if not days or days[-1] < upto:
        last = days[-1] if days else "nothing"
        raise ExtendError(
            f"--as-of {upto}: the source's trade_calendar ends on {last}; extend only to days "
            "the calendar covers (record trade_calendar again for later years)"
        )
    return [d for d in days if after < d <= upto]


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link (copy across devices) every file of `src` into `dst`; symlinks are followed, so
    `dst` holds none. snapshot.json is copied: it is rewritten."""
    for folder, _, files in os.walk(src, followlinks=False):
        target = dst / Path(folder).relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            source_file = Path(folder) / name
            if name == "snapshot.json" and Path(folder) == src:
                shutil.copyfile(source_file, target / name)
                continue
            try:
                os.link(source_file.resolve(), target / name)
            except OSError:
                shutil.copyfile(source_file, target / name)


def _unlink(snapshot: Snapshot, dataset: str, call: Call) -> None:
    """Remove a call's files from the new snapshot: unlinking a hard link leaves the source's
    file as it is (writing through it would change the source)."""
    for path in snapshot.paths(dataset, call):
        path.unlink(missing_ok=True)


def extend_snapshot(
    source_dir: Path,
    out_dir: Path,
    as_of: date,
    csvs: Mapping[str, Path],
    provenance: Provenance = "derived",
    description: str | None = None,
) -> ExtendReport:
    """Write `out_dir`: the snapshot at `source_dir` extended to `as_of` with the CSVs' rows."""
    source = Snapshot(source_dir)
    if provenance not in PROVENANCES:
        raise ExtendError(f"--provenance {provenance!r}: use one of {', '.join(PROVENANCES)}")
    try:
        old = source.window
    except SnapshotError as exc:
        raise ExtendError(f"--from {source_dir}: {exc}") from None
    unknown = sorted(set(csvs) - set(SPECS))
    if unknown:
        raise ExtendError(f"--add {unknown[0]}=...: not a dataset; use one of {', '.join(SPECS)}")
    refused = sorted(set(csvs) - set(CSV_REQUIRED) - set(CSV_OR_DERIVED))
    if refused:
        raise ExtendError(
            f"--add {refused[0]}=...: {refused[0]} is not extended from a CSV ("
            + (
                "derived from sw_index_daily's new bars"
                if refused[0] in DERIVED
                else "carried over"
            )
            + f"); give CSVs for {', '.join(CSV_REQUIRED + CSV_OR_DERIVED)} only"
        )
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExtendError(f"--out {out_dir} exists and is not empty; give a new folder")
    if out_dir.resolve().is_relative_to(source_dir.resolve()):
        raise ExtendError(f"--out {out_dir} is inside --from {source_dir}; give another folder")
    if as_of <= old.as_of:
        raise ExtendError(
            f"--as-of {as_of} is not after the source's as_of {old.as_of}; give a later day"
        )
    days = _trading_days(source, old.as_of, as_of)
    if not days:
        raise ExtendError(
            f"--as-of {as_of}: no trading day after {old.as_of} up to it in the source's "
            "trade_calendar; give a later day"
        )
    window = replace(old, as_of=as_of)
    extender = _Extender(source, window, days, provenance, csvs)
    extender.run()  # every CSV read and checked, every frame built: nothing written yet

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    report = ExtendReport(out_dir, window, days, unchanged=extender.unchanged)
    try:
        _link_tree(source.root, work)
        snapshot = Snapshot(work)
        for dataset, items in extender.built.items():
            for item in items:
                _unlink(snapshot, dataset, item.call)
                snapshot.write(dataset, item.call, item.frame, item.provenance, item.note)
                if item.supersedes is not None:
                    _unlink(snapshot, dataset, item.supersedes.call)
                    report.removed += 1
            if items:
                report.written[dataset] = len(items)
        meta = source.read_meta()
        extra = {k: v for k, v in meta.items() if k not in ("format", "window", "description")}
        described = (
            description
            or (
                f"{meta.get('description', '')} Extended to {as_of} by `{COMMAND}` with "
                + ", ".join(f"{name}={Path(csv).name}" for name, csv in csvs.items())
                + "."
            ).strip()
        )
        snapshot.meta_path.unlink(missing_ok=True)
        snapshot.write_meta(window, described, **extra)
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def parse_adds(items: list[str]) -> dict[str, Path]:
    """`dataset=path` items of --add, one per dataset."""
    csvs: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        name = name.strip()
        if not sep or not name or not path.strip():
            raise ExtendError(f"--add {item!r}: expected DATASET=CSV, e.g. stock_daily=bars.csv")
        if name in csvs:
            raise ExtendError(f"--add {name}=... given twice; put all its rows in one CSV")
        csvs[name] = Path(path.strip())
    return csvs
