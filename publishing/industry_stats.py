"""Industry statistics: a pluggable brief section per `stats_source` (seed industry_stat_sources).

A section says how to load its rows for a week and how to render them. An industry whose
`stats_source` has no section, or is null, gets no statistics section at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from publishing import charts, formats

# (file name, caption, png) -> the Markdown that shows the image
AddImage = Callable[[str, str, bytes], str]


@dataclass(frozen=True)
class StatsSection:
    title: str
    load: Callable[[duckdb.DuckDBPyConnection, str, date], pd.DataFrame]
    render: Callable[[dict[str, Any], pd.DataFrame | None, AddImage, bool], list[str]]


# -- MIIT software and IT services (软件和信息技术服务业) ------------------------------------------

SEGMENTS = {
    "total": "Total 合计",
    "software_products": "Software products 软件产品",
    "industrial_software": "· Industrial software 工业软件",
    "basic_software": "· Basic software 基础软件",
    "it_services": "IT services 信息技术服务",
    "cloud_big_data": "· Cloud and big data 云计算、大数据服务",
    "ic_design": "· IC design 集成电路设计",
    "ecommerce_platform": "· E-commerce platforms 电子商务平台技术服务",
    "info_security": "Information security 信息安全",
    "embedded_software": "Embedded software 嵌入式系统软件",
}
GROWTH_YEARS = 5


def _load_miit(con: duckdb.DuckDBPyConnection, schema: str, week_end: date) -> pd.DataFrame:
    # Every period up to the week; the brief row says which period was already published.
    return con.execute(
        f"SELECT * FROM {schema}fct_software_industry_stats WHERE period_end <= $week_end",
        {"week_end": week_end},
    ).df()


def growth_periods(stats: pd.DataFrame, row: dict[str, Any], metric: str) -> pd.DataFrame:
    """Five years of a total: full years, then the brief's own period when it is a part year.

    Nothing after the brief's period (`stats_period_end`), which rpt_industry_weekly_brief chose
    as the latest already published by the week's end. The brief's period keeps its slot, with
    no value, when this metric was not published for it.
    """
    brief_end = pd.Timestamp(row["stats_period_end"])
    totals = stats[(stats["segment"] == "total") & (stats["metric"] == metric)].assign(
        period_end=lambda f: pd.to_datetime(f["period_end"])
    )
    annual = totals[(totals["period_type"] == "annual") & (totals["period_end"] <= brief_end)]
    periods = annual.sort_values("period_end").to_dict("records")
    if row["stats_period_label"] != "全年":
        latest = totals[(totals["period_end"] == brief_end) & (totals["period_type"] == "ytd")]
        periods.append(
            latest.iloc[0].to_dict()
            if len(latest)
            else {
                "period_end": brief_end,
                "period_label": row["stats_period_label"],
                "period_type": "ytd",
            }
        )
    periods = periods[-GROWTH_YEARS:]
    return pd.DataFrame(
        {
            "label": [f"{p['period_end'].year} {p['period_label']}" for p in periods],
            "value": [p.get("value") for p in periods],
            "yoy": [p.get("yoy") for p in periods],
            "is_ytd": [p["period_type"] == "ytd" for p in periods],
        },
        dtype=object,
    ).astype({"value": float, "yoy": float, "is_ytd": bool})


def segment_rows(stats: pd.DataFrame, row: dict[str, Any]) -> pd.DataFrame:
    """The brief period's revenue by segment, in SEGMENTS order."""
    period = stats[
        (pd.to_datetime(stats["period_end"]) == pd.Timestamp(row["stats_period_end"]))
        & (stats["period_label"] == row["stats_period_label"])
        & (stats["metric"] == "revenue")
    ]
    return period.set_index("segment").reindex([s for s in SEGMENTS if s in set(period["segment"])])


def _render_miit(
    row: dict[str, Any], stats: pd.DataFrame | None, add_image: AddImage, sample: bool
) -> list[str]:
    if formats.is_missing(row.get("stats_period_end")):
        return ["No MIIT release was out by the end of this week."]
    period = f"{row['stats_period_label']} {formats.day(row['stats_period_end'])[:4]}"
    lines = [
        f"MIIT's latest release by the week's end covers **{period}** (cumulative, year to "
        "date unless 全年). YoY is as published by MIIT, on its comparable sample of firms.",
        "",
        "| Metric | Value | YoY |",
        "|---|---:|---:|",
        f"| Software revenue 软件业务收入 | {formats.yi(row['software_revenue'], ' 亿元')} "
        f"| {formats.pct(row['software_revenue_yoy'])} |",
        f"| Total profit 利润总额 | {formats.yi(row['software_profit'], ' 亿元')} "
        f"| {formats.pct(row['software_profit_yoy'])} |",
        f"| Software exports 软件业务出口 | {formats.yi(row['software_export'], ' 亿美元')} "
        f"| {formats.pct(row['software_export_yoy'])} |",
        "",
    ]
    if stats is None:  # the text-only brief: no history to chart
        return lines
    for number, metric, name in (
        (3, "revenue", "revenue 软件业务收入"),
        (4, "profit_total", "profit 利润总额"),
    ):
        periods = growth_periods(stats, row, metric)
        if periods.empty:
            continue
        caption = (
            f"Figure {number}: software industry {name}, 亿元, and its published YoY, "
            f"{periods['label'].iloc[0]} to {periods['label'].iloc[-1]}"
        )
        png = charts.growth_chart(periods, caption, "亿元", sample)
        lines += [add_image(f"{row['index_code']}-fig{number}.png", caption, png), ""]
    lines.append(
        "Full years are MIIT's annual figures; a hatched bar is a cumulative part year from the "
        "monthly release, whose sample of firms differs from the annual bulletin's."
    )
    segments = segment_rows(stats, row)
    if not segments.empty:
        lines += [
            "",
            f"**Revenue by segment, {period}**",
            "",
            "| Segment | Revenue (亿元) | YoY | Share |",
            "|---|---:|---:|---:|",
        ]
        for segment, seg in segments.iterrows():
            share = formats.pct(seg["share"], signed=False)
            if not formats.is_missing(seg["share"]) and seg["share_base"] != "total":
                share += " of IT services"
            lines.append(
                f"| {SEGMENTS[segment]} | {formats.yi(seg['value'])} | {formats.pct(seg['yoy'])} "
                f"| {share} |"
            )
    return lines


SECTIONS: dict[str, StatsSection] = {
    "miit_software": StatsSection(
        title="Industry statistics: software and IT services (MIIT)",
        load=_load_miit,
        render=_render_miit,
    ),
}
