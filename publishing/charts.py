"""The brief's charts, drawn with matplotlib from mart rows and returned as PNG bytes.

Figures are built with the object API (no pyplot), so nothing global is left behind, and every
label goes through `formats` like the text does.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from publishing import formats
from publishing.fonts import chart_rc

SECTOR = "#1f4e79"
BENCHMARK = "#8c8c8c"
OTHERS = "#c9ced6"
ACCENT = "#c0392b"
DPI = 110
UP = ACCENT  # A-share convention: red up, green down
DOWN = "#2e8b57"
PERCENT_AXIS = FuncFormatter(lambda v, _: formats.pct(v, signed=False).replace(".00", ""))
THOUSANDS_AXIS = FuncFormatter(lambda v, _: f"{v:,.0f}")


@contextmanager
def _figure(width: float, height: float, sample: bool) -> Iterator[Figure]:
    with mpl.rc_context(chart_rc()):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        if sample:
            # On the image itself, so a chart copied out of the brief keeps its mark.
            fig.text(
                0.5,
                0.5,
                "SAMPLE DATA 样本数据",
                ha="center",
                va="center",
                rotation=18,
                fontsize=34,
                color=ACCENT,
                alpha=0.16,
                zorder=10,
            )
        yield fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with mpl.rc_context(chart_rc()):
        fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def performance_chart(history: pd.DataFrame, row: dict, sample: bool = False) -> bytes:
    """Figure 1: this week's return against CSI 300, and both over the past weeks.

    `history` holds the industry's weekly rows (week_end_date, weekly_return, benchmark_return),
    oldest first; cumulative lines compound those weekly returns from the first week shown.
    """
    name, bench = row["index_name"], row["benchmark_name"] or row["benchmark_code"]
    with _figure(9.6, 3.6, sample) as fig:
        week_ax, past_ax = fig.subplots(1, 2, width_ratios=[1, 2.6])
        labels = [name, bench, "超额 excess"]
        values = [row["weekly_return"], row["benchmark_return"], row["excess_return"]]
        bars = week_ax.bar(
            labels,
            [0 if formats.is_missing(v) else v for v in values],
            color=[
                SECTOR,
                BENCHMARK,
                DOWN if not formats.is_missing(values[2]) and values[2] < 0 else UP,
            ],
        )
        week_ax.bar_label(bars, labels=[formats.pct(v) for v in values], fontsize=9, padding=2)
        week_ax.axhline(0, color="black", linewidth=0.6)
        week_ax.yaxis.set_major_formatter(PERCENT_AXIS)
        week_ax.set_title(f"Week ending {formats.day(row['week_end_date'])}", fontsize=10)
        week_ax.margins(y=0.25)

        weeks = pd.to_datetime(history["week_end_date"])
        for column, label, color in (
            ("weekly_return", name, SECTOR),
            ("benchmark_return", bench, BENCHMARK),
        ):
            growth = (1 + history[column].fillna(0)).cumprod() - 1
            past_ax.plot(weeks, growth, label=label, color=color, linewidth=2)
        past_ax.axvspan(
            weeks.iloc[-1] - pd.Timedelta(days=6), weeks.iloc[-1], color=ACCENT, alpha=0.12
        )
        past_ax.axhline(0, color="black", linewidth=0.6)
        past_ax.yaxis.set_major_formatter(PERCENT_AXIS)
        past_ax.set_title(f"Cumulative return over the past {len(history)} weeks", fontsize=10)
        past_ax.legend(loc="upper left", fontsize=9, frameon=False)
        past_ax.tick_params(axis="x", labelsize=8)
        fig.suptitle(f"Figure 1: {name} vs {bench}", fontsize=12)
        return _png(fig)


def l1_returns_chart(l1_week: pd.DataFrame, row: dict, sample: bool = False) -> bytes:
    """All L1 industries' weekly returns, best on top, the industry highlighted."""
    ordered = l1_week.sort_values(["weekly_return", "index_code"], ascending=[True, False])
    colors = [SECTOR if c == row["index_code"] else OTHERS for c in ordered["index_code"]]
    with _figure(9.6, 7.4, sample) as fig:
        ax = fig.subplots()
        bars = ax.barh(ordered["index_name"], ordered["weekly_return"], color=colors)
        ax.bar_label(
            bars,
            labels=[formats.pct(v) for v in ordered["weekly_return"]],
            fontsize=7.5,
            padding=2,
        )
        if not formats.is_missing(row["benchmark_return"]):
            ax.axvline(row["benchmark_return"], color=ACCENT, linestyle="--", linewidth=1)
            ax.text(
                row["benchmark_return"],
                len(ordered) - 0.4,
                f" {row['benchmark_name']} {formats.pct(row['benchmark_return'])}",
                color=ACCENT,
                fontsize=8,
                va="bottom",
            )
        ax.axvline(0, color="black", linewidth=0.6)
        ax.xaxis.set_major_formatter(PERCENT_AXIS)
        ax.tick_params(axis="y", labelsize=9)
        for label, code in zip(ax.get_yticklabels(), ordered["index_code"], strict=True):
            if code == row["index_code"]:
                label.set_color(SECTOR)
        ax.margins(x=0.18)
        ax.set_title(
            f"SW L1 weekly returns, week ending {formats.day(row['week_end_date'])}: "
            f"{row['index_name']} ranks {formats.rank(row['rank_in_level'], row['n_in_level'])}",
            fontsize=11,
        )
        return _png(fig)


def sub_industries_chart(subs: list[dict], row: dict, sample: bool = False) -> bytes:
    """The industry's SW L2 weekly returns, best on top, against the L1 and the CSI 300.

    `subs` is the brief row's `sub_industries` (best first)."""
    ordered = list(reversed(subs))
    values = [0 if formats.is_missing(s["weekly_return"]) else s["weekly_return"] for s in ordered]
    with _figure(9.6, 1.2 + 0.42 * len(ordered), sample) as fig:
        ax = fig.subplots()
        bars = ax.barh(
            [f"{s['index_name']} {formats.rank(s['rank_in_l1'], s['n_in_l1'])}" for s in ordered],
            values,
            color=SECTOR,
        )
        ax.bar_label(
            bars, labels=[formats.pct(s["weekly_return"]) for s in ordered], fontsize=8.5, padding=2
        )
        for value, label, color in (
            (row["weekly_return"], row["index_name"], SECTOR),
            (row["benchmark_return"], row["benchmark_name"] or row["benchmark_code"], ACCENT),
        ):
            if not formats.is_missing(value):
                ax.axvline(
                    value,
                    color=color,
                    linestyle="--",
                    linewidth=1,
                    label=f"{label} {formats.pct(value)}",
                )
        ax.legend(loc="best", fontsize=8, frameon=False)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.xaxis.set_major_formatter(PERCENT_AXIS)
        ax.margins(x=0.2, y=0.12)
        ax.set_title(
            f"{row['index_name']} SW L2 weekly returns, week ending "
            f"{formats.day(row['week_end_date'])} (rank within {row['index_name']})",
            fontsize=11,
        )
        return _png(fig)


def valuation_chart(valuation: pd.DataFrame, row: dict, sample: bool = False) -> bytes:
    """Figure 2: daily PE by method over the 5 years to the valuation date."""
    methods = {  # pe_method: label, brief column of the value, prefix of its percentile
        "sw_published": ("SW-published PE 申万市盈率", "sw_pe", "sw_pe", SECTOR),
        "ttm_ex_negative": (
            "PE(TTM), negatives excluded 整体法",
            "pe_ttm_ex_negative",
            "pe_ttm",
            ACCENT,
        ),
    }
    with _figure(9.6, 3.8, sample) as fig:
        ax = fig.subplots()
        for method, (label, column, prefix, color) in methods.items():
            series = valuation[valuation["pe_method"] == method].sort_values("trade_date")
            if series.empty:
                continue
            percentile = row[f"{prefix}_percentile_5y"]
            pct_text = (
                "5y percentile n/a (history too short)"
                if formats.is_missing(percentile)
                else f"5y percentile {formats.pct(percentile, signed=False)}"
            )
            ax.plot(
                pd.to_datetime(series["trade_date"]),
                series["pe"],
                color=color,
                linewidth=1.4,
                label=f"{label}: {formats.multiple(row[column])}, {pct_text}",
            )
        ax.set_ylabel("PE (x)")
        ax.legend(loc="upper left", fontsize=8.5, frameon=False)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(
            f"Figure 2: {row['index_name']} PE history, 5 years to "
            f"{formats.day(row['valuation_date'])}",
            fontsize=12,
        )
        return _png(fig)


def growth_chart(periods: pd.DataFrame, title: str, unit: str, sample: bool = False) -> bytes:
    """Figures 3 and 4: the published YoY as a line above, the level as bars below.

    `periods` has label, value, yoy and is_ytd; year-to-date bars are hatched, because a
    cumulative part-year level is not comparable with a full year.
    """
    x = list(range(len(periods)))
    with _figure(9.6, 4.2, sample) as fig:
        yoy_ax, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.8])
        yoy_ax.plot(x, periods["yoy"], color=ACCENT, marker="o", linewidth=2)
        for xi, v in zip(x, periods["yoy"], strict=True):
            if not formats.is_missing(v):  # a missing figure shows as n/a on its bar below
                yoy_ax.annotate(
                    formats.pct(v),
                    (xi, v),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8.5,
                    color=ACCENT,
                )
        yoy_ax.yaxis.set_major_formatter(PERCENT_AXIS)
        yoy_ax.set_ylabel("YoY, published")
        yoy_ax.margins(y=0.45)
        yoy_ax.set_title(title, fontsize=12)

        bars = ax.bar(x, periods["value"].fillna(0), color=SECTOR, alpha=0.85)
        for bar, is_ytd in zip(bars, periods["is_ytd"], strict=True):
            if is_ytd:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
        ax.bar_label(bars, labels=[formats.yi(v) for v in periods["value"]], fontsize=8, padding=2)
        ax.set_xticks(x, periods["label"])
        ax.set_ylabel(unit)
        ax.yaxis.set_major_formatter(THOUSANDS_AXIS)
        ax.margins(y=0.2)
        return _png(fig)
