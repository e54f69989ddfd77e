"""ingestion.miit: the curated MIIT file, the release-text parser, merging and the consistency rule.

Release texts under tests/fixtures/miit/ were written for these tests, modelled on MIIT's wording;
they are not real releases (invented years 2031-2032 and invented figures).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from ingestion import miit
from ingestion.specs import LOCAL_FUNCTIONS, SPECS

FIXTURES = Path(__file__).parent / "fixtures" / "miit"
SPEC_COLUMNS = list(SPECS["miit_software_stats"].columns)


def read_exact(path: Path) -> str:
    """A file's text with its line endings untouched (read_text would turn CRLF into LF)."""
    return path.read_bytes().decode("utf-8")


def release(name: str) -> str:
    """A fixture's text without its '#' header."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#"))


def row(frame: pd.DataFrame, segment: str, metric: str = "revenue") -> pd.Series:
    hit = frame[(frame["segment"] == segment) & (frame["metric"] == metric)]
    assert len(hit) == 1, f"expected one {metric}/{segment} row, got {len(hit)}"
    return hit.iloc[0]


def keyed(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(metric, segment) -> (value, yoy_pct, share_pct), NaN as None."""

    def clean(x: float) -> float | None:
        return None if math.isnan(x) else x

    return {
        (r.metric, r.segment): (clean(r.value), clean(r.yoy_pct), clean(r.share_pct))
        for r in frame.itertuples(index=False)
    }


# ---------------------------------------------------------------------------------------------
# load_curated_stats
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def curated() -> pd.DataFrame:
    return miit.load_curated_stats()


def test_local_function_points_here():
    assert LOCAL_FUNCTIONS["miit_software_stats"] == "ingestion.miit:load_curated_stats"
    assert (
        Path(__file__).resolve().parents[1] / "data/miit/software_industry_stats.csv"
        == miit.CURATED_PATH
    )


def test_curated_rows_columns_and_kinds(curated):
    assert len(curated) == 268
    assert list(curated.columns) == SPEC_COLUMNS
    for name, kind in SPECS["miit_software_stats"].columns.items():
        if kind == "float":
            assert curated[name].dtype == "float64", name
        else:
            assert str(curated[name].dtype) == "str", name
            assert not (curated[name] == "").any(), f"{name}: empty cells must be NA, not ''"
    assert curated[list(miit.GRAIN)].duplicated().sum() == 0
    assert curated["period_type"].value_counts().to_dict() == {"ytd": 212, "annual": 56}
    # Gaps stay gaps (README: an empty cell is not a zero).
    assert curated["value"].isna().sum() == 4
    assert curated["yoy_pct"].isna().sum() == 4
    assert curated["share_pct"].isna().sum() == 200
    assert curated["published_date"].isna().sum() == 59


def test_curated_values_as_published(curated):
    def get(period_type, period_end, metric, segment):
        hit = curated[
            (curated["period_type"] == period_type)
            & (curated["period_end"] == period_end)
            & (curated["metric"] == metric)
            & (curated["segment"] == segment)
        ]
        assert len(hit) == 1
        return hit.iloc[0]

    oct23 = get("ytd", "2023-10", "revenue", "total")
    assert (oct23["value"], oct23["yoy_pct"], oct23["unit"]) == (98191.0, 13.7, "亿元")
    assert oct23["published_date"] == "2023-11-24"
    export23 = get("annual", "2023-12", "export", "total")
    assert (export23["value"], export23["yoy_pct"], export23["unit"]) == (514.2, -3.6, "亿美元")
    cloud = get("ytd", "2023-10", "revenue", "cloud_big_data")
    assert (cloud["value"], cloud["share_pct"]) == (9927.0, 15.3)
    assert get("ytd", "2024-04", "revenue", "total")["value"] == 38000.0
    gap = get("ytd", "2024-11", "revenue", "it_services")
    assert pd.isna(gap["value"]) and pd.isna(gap["yoy_pct"]) and gap["share_pct"] == 67.3
    assert pd.isna(get("ytd", "2024-02", "revenue", "total")["published_date"])


def _bad_copy(tmp_path: Path, line: int, old: str, new: str) -> Path:
    """The curated file with one substitution on one (1-based) line."""
    text = read_exact(miit.CURATED_PATH).split("\r\n")
    assert old in text[line - 1]
    text[line - 1] = text[line - 1].replace(old, new, 1)
    path = tmp_path / "bad.csv"
    path.write_bytes("\r\n".join(text).encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("line", "old", "new", "field", "detail"),
    [
        (4, "annual,2020-12", "monthly,2020-12", "period_type", "'monthly'"),
        (4, "2020-12", "2020/12", "period_end", "'2020/12'"),
        (4, "2020-12", "2020-13", "period_end", "'2020-13'"),
        (4, ",revenue,", ",income,", "metric", "'income'"),
        (4, ",total,", ",cloud,", "segment", "'cloud'"),
        (4, ",81616,", ",8161six,", "value", "'8161six'"),
        (4, ",13.3,", ",13.3%,", "yoy_pct", "'13.3%'"),
        (4, ",13.3,", ",133,", "yoy_pct", "lost decimal"),
        (6, "亿美元", "亿元", "unit", "亿美元"),
        (4, "2021-01-27", "2021-01-32", "published_date", "2021-01-32"),
    ],
)
def test_bad_file_names_dataset_row_and_field(tmp_path, line, old, new, field, detail):
    path = _bad_copy(tmp_path, line, old, new)
    with pytest.raises(miit.MiitDataError) as info:
        miit.load_curated_stats(path)
    message = str(info.value)
    assert message.startswith("miit_software_stats: ")
    assert f"row {line - 1}, line {line}" in message
    assert f"field {field!r}" in message
    assert detail in message


def test_bad_file_columns_and_duplicates(tmp_path):
    path = _bad_copy(tmp_path, 1, "share_pct", "share")
    with pytest.raises(miit.MiitDataError, match=r"miit_software_stats: .*columns must be exactly"):
        miit.load_curated_stats(path)
    lines = read_exact(miit.CURATED_PATH).split("\r\n")
    dup = tmp_path / "dup.csv"
    dup.write_bytes("\r\n".join([*lines[:5], lines[4], *lines[5:]]).encode("utf-8"))
    with pytest.raises(miit.MiitDataError, match=r"rows \[4, 5\] repeat the key"):
        miit.load_curated_stats(dup)


# ---------------------------------------------------------------------------------------------
# parse_release
# ---------------------------------------------------------------------------------------------


def test_parse_q1_release():
    frame = miit.parse_release(
        release("ytd_2031_q1.txt"),
        published_date="2031-04-25",
        source_url="https://example.test/q1",
    )
    assert list(frame.columns) == SPEC_COLUMNS
    assert set(frame["period_type"]) == {"ytd"} and set(frame["period_end"]) == {"2031-03"}
    assert keyed(frame) == {
        ("revenue", "total"): (30000.0, 11.2, None),
        ("profit_total", "total"): (3600.0, 12.5, None),
        # 同比下降3.6% is negative; 软件外包服务出口同比增长5.2% is another subject, not this YoY.
        ("export", "total"): (120.5, -3.6, None),
        ("revenue", "software_products"): (7200.0, 9.8, 24.0),
        ("revenue", "industrial_software"): (650.0, 10.3, None),
        ("revenue", "it_services"): (19800.0, 12.1, 66.0),
        # share of the parent: 占信息技术服务收入的比重为17.0%
        ("revenue", "cloud_big_data"): (3366.0, 13.4, 17.0),
        ("revenue", "ic_design"): (880.0, 15.0, None),  # integer growth: 同比增长15%
        ("revenue", "ecommerce_platform"): (2400.0, 6.2, None),
        # 增速较1—2月份提高1.2个百分点 is a change in growth, not a YoY
        ("revenue", "info_security"): (450.0, None, None),
        ("revenue", "embedded_software"): (2550.0, 10.6, None),
    }
    assert row(frame, "total", "export")["unit"] == "亿美元"
    assert set(frame["published_date"]) == {"2031-04-25"}
    assert set(frame["source_url"]) == {"https://example.test/q1"}
    # The regional section (东部地区 24300, 北京市 7400) is not read as national figures.
    assert 24300.0 not in set(frame["value"]) and 7400.0 not in set(frame["value"])
    assert miit.check_segment_consistency(frame) == []


def test_parse_jan_feb_release():
    frame = miit.parse_release(release("ytd_2031_jan_feb.txt"))
    assert set(frame["period_end"]) == {"2031-02"} and set(frame["period_type"]) == {"ytd"}
    assert keyed(frame) == {
        ("revenue", "total"): (18000.0, 10.0, None),  # 同比增长10%
        ("profit_total", "total"): (2200.0, 9.5, None),
        ("export", "total"): (80.0, 1.5, None),  # 增速与上年同期持平 adds nothing
        ("revenue", "software_products"): (4320.0, 8.0, 24.0),  # 软件产品实现收入 / 占…的24.0%
        ("revenue", "industrial_software"): (400.0, 7.0, None),
        ("revenue", "it_services"): (12000.0, 11.0, None),
        ("revenue", "cloud_big_data"): (None, 9.0, None),  # YoY published without a level
        ("revenue", "info_security"): (360.0, None, None),  # 信息安全收入…持平: no YoY
        ("revenue", "embedded_software"): (1320.0, 12.0, None),
    }
    assert row(frame, "cloud_big_data")["unit"] == "亿元"


def test_parse_annual_text_needs_explicit_period():
    text = release("annual_2031_no_period.txt")
    # Its only period phrase is a comparison (增速较1—11月份回落), which must not be taken.
    with pytest.raises(ValueError, match="pass period="):
        miit.parse_release(text)
    frame = miit.parse_release(text, period="全年")
    assert set(frame["period_type"]) == {"annual"} and set(frame["period_end"]) == {"2031-12"}
    values = keyed(frame)
    assert values[("revenue", "total")] == (150000.0, 10.5, None)
    assert values[("revenue", "software_products")] == (33000.0, 7.0, 22.0)
    # nested sub-segments: 其中，工业软件产品收入…；基础软件产品收入…
    assert values[("revenue", "industrial_software")] == (3200.0, 8.0, None)
    assert values[("revenue", "basic_software")] == (2100.0, 7.5, None)
    assert values[("revenue", "it_services")] == (100500.0, 11.8, 67.0)
    # bulletin wording 云服务、大数据服务, share 占信息技术服务收入的15.0%
    assert values[("revenue", "cloud_big_data")] == (15075.0, 10.2, 15.0)
    assert values[("revenue", "info_security")] == (2500.0, 6.0, None)
    assert values[("export", "total")] == (600.0, 4.0, None)
    assert len(frame) == 12
    assert miit.check_segment_consistency(frame) == []
    assert miit.parse_release(text, period="annual").equals(frame)


def test_parse_full_width_and_traditional_h1():
    frame = miit.parse_release(release("ytd_2032_h1_fullwidth.txt"))
    assert set(frame["period_end"]) == {"2032-06"} and set(frame["period_type"]) == {"ytd"}
    assert keyed(frame) == {
        ("revenue", "total"): (65000.0, 11.5, None),
        ("profit_total", "total"): (7800.0, 15.7, None),
        ("export", "total"): (250.0, -1.2, None),  # 軟件業務出口２５０．０億美元，同比下降１．２％
        ("revenue", "software_products"): (14950.0, 9.0, 23.0),
        ("revenue", "it_services"): (44200.0, 12.6, 68.0),
        ("revenue", "info_security"): (950.0, 8.2, None),
        ("revenue", "embedded_software"): (4900.0, 10.2, None),
    }
    # 东部地区完成软件业务收入５２０００亿元 (no section header) is not the national total.
    assert row(frame, "total")["value"] == 65000.0


def test_parse_wanyi_level():
    frame = miit.parse_release(release("ytd_2032_jan_apr_wanyi.txt"), year=2032)
    assert set(frame["period_end"]) == {"2032-04"}  # 1－4月份 (full-width hyphen)
    total = row(frame, "total")
    assert (total["value"], total["unit"], total["yoy_pct"]) == (38000.0, "亿元", 11.6)
    assert "published as 3.8万亿元" in total["note"]
    assert row(frame, "total", "export")["yoy_pct"] == -0.4
    assert row(frame, "total", "profit_total")["value"] == 4300.0


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "damaged_missing_yoy.txt",
            r"YoY has lost its number \('同比增长%'\) in sentence '1—5月份",
        ),
        ("damaged_lost_decimal.txt", r"'同比增长177%' is beyond ±100%.*嵌入式系统软件收入4000亿元"),
    ],
)
def test_damaged_values_are_rejected(fixture, message):
    with pytest.raises(ValueError, match=message):
        miit.parse_release(release(fixture))


def test_lost_share_and_level_numbers_are_rejected():
    with pytest.raises(ValueError, match="share has lost its number"):
        miit.parse_release(
            "2031年1—5月份，软件产品收入12000亿元，同比增长9.0%，占全行业收入的比重为%。"
        )
    with pytest.raises(ValueError, match="over 100%"):
        miit.parse_release(
            "2031年1—5月份，软件产品收入12000亿元，同比增长9.0%，占全行业收入的比重为224%。"
        )
    with pytest.raises(ValueError, match="a level has lost its number"):
        miit.parse_release("2031年1—5月份，我国软件业务收入亿元，同比增长9.0%。")


@pytest.mark.parametrize(
    ("phrase", "period_type", "period_end"),
    [
        ("1—5月份", "ytd", "2031-05"),
        ("1-7月", "ytd", "2031-07"),
        ("1－4月份", "ytd", "2031-04"),
        ("1~4月份", "ytd", "2031-04"),
        ("1―10月", "ytd", "2031-10"),
        ("1—2月", "ytd", "2031-02"),
        ("一季度", "ytd", "2031-03"),
        ("上半年", "ytd", "2031-06"),
        ("前三季度", "ytd", "2031-09"),
        ("前两个月", "ytd", "2031-02"),
        ("今年前7个月", "ytd", "2031-07"),
        ("前5个月", "ytd", "2031-05"),
        ("前十一个月", "ytd", "2031-11"),
        ("全年", "annual", "2031-12"),
    ],
)
def test_period_wordings(phrase, period_type, period_end):
    text = f"{phrase}，我国软件业务收入12345亿元，同比增长10.1%，增速较1—2月份提高0.3个百分点。"
    frame = miit.parse_release(text, year=2031)
    assert frame[["period_type", "period_end"]].iloc[0].tolist() == [period_type, period_end]
    assert keyed(frame) == {("revenue", "total"): (12345.0, 10.1, None)}


def test_year_inferred_or_required():
    text = (
        "2031年1—5月份，我国软件业务收入12345亿元，同比增长10.1%，增速较2030年同期提高1个百分点。"
    )
    assert miit.parse_release(text)["period_end"].tolist() == ["2031-05"]
    with pytest.raises(ValueError, match="pass year="):
        miit.parse_release("今年前7个月，我国软件业务收入12345亿元，同比增长10.1%。")
    with pytest.raises(ValueError, match="contradicts the text"):
        miit.parse_release(text, year=2030)
    with pytest.raises(ValueError, match="contradicts the text"):
        miit.parse_release(text, period="全年")


def test_changes_in_growth_and_share_are_not_values():
    text = (
        "2031年1—5月份，软件产品收入12000亿元，增速较上年同期提高2.2个百分点，"
        "占比较上年同期提高0.5个百分点。"
        "信息技术服务实现收入33000亿元，增速同比提高1.1个百分点，增速与1—4月份持平。"
    )
    assert keyed(miit.parse_release(text)) == {
        ("revenue", "software_products"): (12000.0, None, None),
        ("revenue", "it_services"): (33000.0, None, None),
    }


def test_share_of_wrong_parent_is_rejected():
    text = (
        "2031年1—5月份，云计算、大数据服务共实现收入5000亿元，同比增长11.0%，"
        "占全行业收入的比重为9.0%。"
    )
    with pytest.raises(ValueError, match="cloud_big_data share is printed as a share of total"):
        miit.parse_release(text)


# ---------------------------------------------------------------------------------------------
# merge_release
# ---------------------------------------------------------------------------------------------


def test_merge_adds_new_keys_flags_restatements_overwrites_nothing():
    stored = miit.parse_release(release("ytd_2031_q1.txt"), published_date="2031-04-25")
    later = miit.parse_release(release("ytd_2031_q1_revised.txt"), published_date="2031-05-02")
    merged, restatements = miit.merge_release(stored, later)

    # one new key (basic_software); everything stored is kept, row for row
    assert len(merged) == len(stored) + 1
    pd.testing.assert_frame_equal(merged.iloc[: len(stored)], stored)
    basic = row(merged, "basic_software")
    assert (basic["value"], basic["yoy_pct"], basic["published_date"]) == (420.0, 8.1, "2031-05-02")
    # restated figures are flagged, not applied
    assert row(merged, "total")["yoy_pct"] == 11.2
    assert row(merged, "software_products")["value"] == 7200.0
    assert pd.isna(row(merged, "info_security")["yoy_pct"])
    assert list(restatements.columns) == [*miit.GRAIN, "field", "stored", "parsed", "kind"]
    flagged = {
        (r.segment, r.field): (r.stored, r.parsed, r.kind) for r in restatements.itertuples()
    }
    assert flagged == {
        ("total", "yoy_pct"): (11.2, 11.3, "restated"),
        ("software_products", "value"): (7200.0, 7210.0, "restated"),
        ("info_security", "yoy_pct"): (None, 8.4, "gap"),
    }
    assert set(restatements["period_end"]) == {"2031-03"}


def test_merge_into_curated_file(curated):
    parsed = miit.parse_release(release("ytd_2031_jan_feb.txt"))
    merged, restatements = miit.merge_release(curated, parsed)
    assert len(merged) == 268 + len(parsed) == 277
    assert restatements.empty
    pd.testing.assert_frame_equal(merged.iloc[:268], curated)
    assert merged.iloc[268:]["period_end"].tolist() == ["2031-02"] * 9

    # a restated published figure for an existing key: flagged, curated value kept
    existing = curated[
        (curated["period_end"] == "2023-10") & (curated["segment"] == "total")
    ].copy()
    existing.loc[existing["metric"] == "revenue", "yoy_pct"] = 13.8
    merged, restatements = miit.merge_release(curated, existing)
    pd.testing.assert_frame_equal(merged, curated)
    assert restatements[
        ["period_end", "metric", "field", "stored", "parsed", "kind"]
    ].values.tolist() == [["2023-10", "revenue", "yoy_pct", 13.7, 13.8, "restated"]]


def test_merge_places_new_rows_in_period_order(curated):
    annual = miit.parse_release(release("annual_2031_no_period.txt"), period="全年")
    merged, _ = miit.merge_release(curated, annual)
    # annual rows come before the ytd rows, after the stored annual rows
    first_ytd = merged.index[merged["period_type"] == "ytd"][0]
    assert merged.loc[first_ytd - 12 : first_ytd - 1, "period_end"].tolist() == ["2031-12"] * 12
    assert merged.loc[first_ytd - 13, "period_end"] == "2024-12"


def test_save_keeps_existing_lines(tmp_path, curated):
    target = tmp_path / "stats.csv"
    target.write_bytes(miit.CURATED_PATH.read_bytes())
    merged, _ = miit.merge_release(
        curated, miit.parse_release(release("ytd_2032_jan_apr_wanyi.txt"))
    )
    miit.save_curated_stats(merged, target)
    old_lines = read_exact(miit.CURATED_PATH).split("\r\n")
    new_lines = read_exact(target).split("\r\n")
    assert new_lines[: len(old_lines) - 1] == old_lines[:-1]  # identical text, CRLF kept
    assert new_lines[len(old_lines) - 1].startswith("ytd,2032-04,revenue,total,38000,亿元,11.6,,")
    reloaded = miit.load_curated_stats(target)
    assert len(reloaded) == 271
    pd.testing.assert_frame_equal(reloaded, merged)


# ---------------------------------------------------------------------------------------------
# check_segment_consistency
# ---------------------------------------------------------------------------------------------


def test_consistency_of_curated_file(curated):
    problems = miit.check_segment_consistency(curated)
    # Only 2024 1-4月, whose total was published rounded as 3.8万亿元 (stored as 38000).
    assert len(problems) == 2
    assert problems[0].startswith("ytd 2024-04: top segments sum to 37905 亿元")
    assert "total revenue is 38000 亿元 (off by -95" in problems[0]
    assert problems[1].startswith("ytd 2024-04: it_services share printed 65.9% of total")
    assert "24983 / 38000 = 65.74%" in problems[1]


def test_consistency_flags_sum_and_share():
    frame = miit.parse_release(release("ytd_2031_q1.txt"))
    frame.loc[frame["segment"] == "embedded_software", "value"] = 2548.0
    frame.loc[frame["segment"] == "cloud_big_data", "share_pct"] = 17.2
    problems = miit.check_segment_consistency(frame)
    assert problems == [
        "ytd 2031-03: top segments sum to 29998 亿元 (software_products 7200 + it_services 19800"
        " + info_security 450 + embedded_software 2548) but total revenue is 30000 亿元"
        " (off by -2, tolerance ±1)",
        "ytd 2031-03: cloud_big_data share printed 17.2% of it_services, but 3366 / 19800 = 17.00%"
        " (off by -0.20 points, tolerance ±0.1)",
    ]
    # within tolerance: a 1 亿元 rounding gap is fine
    frame.loc[frame["segment"] == "embedded_software", "value"] = 2549.0
    frame.loc[frame["segment"] == "cloud_big_data", "share_pct"] = 17.0
    assert miit.check_segment_consistency(frame) == []
