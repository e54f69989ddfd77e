"""Reference values the suites check against: the SW L1 universe, MIIT vocabularies, tolerances."""

from __future__ import annotations

# Shenwan (SW 2021) level-1 industries: index code -> name. The universe of the weekly brief.
SW_L1_INDUSTRIES: dict[str, str] = {
    "801010": "农林牧渔",
    "801030": "基础化工",
    "801040": "钢铁",
    "801050": "有色金属",
    "801080": "电子",
    "801110": "家用电器",
    "801120": "食品饮料",
    "801130": "纺织服饰",
    "801140": "轻工制造",
    "801150": "医药生物",
    "801160": "公用事业",
    "801170": "交通运输",
    "801180": "房地产",
    "801200": "商贸零售",
    "801210": "社会服务",
    "801230": "综合",
    "801710": "建筑材料",
    "801720": "建筑装饰",
    "801730": "电力设备",
    "801740": "国防军工",
    "801750": "计算机",
    "801760": "传媒",
    "801770": "通信",
    "801780": "银行",
    "801790": "非银金融",
    "801880": "汽车",
    "801890": "机械设备",
    "801950": "煤炭",
    "801960": "石油石化",
    "801970": "环保",
    "801980": "美容护理",
}
SW_L1_CODES: tuple[str, ...] = tuple(sorted(SW_L1_INDUSTRIES))
N_SW_L1 = len(SW_L1_CODES)  # 31

SW_L1_CALL_SYMBOL = "一级行业"  # index_realtime_sw(symbol=...) for the L1 universe
CSI_300 = "000300"  # the benchmark of the weekly brief

# MIIT software and IT services statistics (long format), as curated in ingestion.
MIIT_PERIOD_TYPES: tuple[str, ...] = ("annual", "ytd")
MIIT_METRICS: tuple[str, ...] = ("revenue", "profit_total", "export")
MIIT_SEGMENTS: tuple[str, ...] = (
    "total",
    "software_products",
    "it_services",
    "info_security",
    "embedded_software",
    "cloud_big_data",
    "ecommerce_platform",
    "ic_design",
    "industrial_software",
    "basic_software",
)
MIIT_UNITS: tuple[str, ...] = ("亿元", "亿美元")

# Share of rows a check over long history may fail before the suite fails ("mostly" in GX).
# Only for upstream facts that are real and known:
# - SW publishes 21 level-2 bars (2014-08-29, 2018-11-06) whose close lies outside [low, high];
# - new listings trade without a price limit for their first five days (-64% day-on-day in the
#   sample), beyond the daily pct_change range;
# - SW indices with gaps in their history (801950 煤炭 and 801952 焦炭 before 2021-12-13, 801193
#   证券 in 2017) show weekly returns of 50% and more across the gap.
# Values outside still appear in the result as warnings, and the latest date or week of the L1
# universe (what the brief shows) is always checked strictly.
HISTORY_TOLERANCE = 0.9999

SIX_DIGITS = r"^\d{6}$"
