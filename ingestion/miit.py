"""MIIT software and IT services statistics (软件和信息技术服务业): the curated file and its tools.

The `miit_software_stats` dataset is not an akshare call. Its rows live in a curated file,
`data/miit/software_industry_stats.csv`, read by `load_curated_stats` (the function the fetcher
calls, see `specs.LOCAL_FUNCTIONS`). New MIIT releases are added to that file by hand, helped by:

- `parse_release`: reads the wording of one monthly/annual release into rows of the same format;
- `merge_release`: adds the parsed rows whose key is new and flags, never applies, restatements;
- `check_segment_consistency`: the README's rule (top segments sum to the total, shares match).

Rules (data/miit/README.md): YoY is published on a comparable sample of firms, so it is stored as
published and never recomputed; the annual bulletins and the monthly releases use different samples;
an empty cell is a gap, not a zero. See docs/miit.md.

Plain Python: no Dagster import.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ingestion.specs import SPECS

DATASET = "miit_software_stats"
REPO_ROOT = Path(__file__).resolve().parents[1]
CURATED_PATH = REPO_ROOT / "data" / "miit" / "software_industry_stats.csv"

COLUMNS: dict[str, str] = dict(SPECS[DATASET].columns)  # column -> kind, in order
GRAIN: tuple[str, ...] = SPECS[DATASET].grain  # (period_type, period_end, metric, segment)
STR_COLUMNS = tuple(c for c, kind in COLUMNS.items() if kind == "str")
FLOAT_COLUMNS = tuple(c for c, kind in COLUMNS.items() if kind == "float")

PERIOD_TYPES = ("annual", "ytd")
METRICS = ("revenue", "profit_total", "export")
SEGMENTS = (
    "total",
    "software_products",
    "industrial_software",
    "basic_software",
    "it_services",
    "cloud_big_data",
    "ic_design",
    "ecommerce_platform",
    "info_security",
    "embedded_software",
)
UNITS = {"revenue": "亿元", "profit_total": "亿元", "export": "亿美元"}
# The four top segments that make up total revenue (README: they sum to the total within ±1 亿元).
TOP_SEGMENTS = ("software_products", "it_services", "info_security", "embedded_software")
# share_pct is of total revenue, except these segments, whose share is of their parent.
SHARE_PARENT = {"cloud_big_data": "it_services"}
MAX_ABS_YOY = 100.0  # a sector YoY beyond ±100% is a lost decimal point (177 for 17.7)
SUM_TOLERANCE = 1.0  # 亿元
SHARE_TOLERANCE = 0.1  # percentage points

_PERIOD_END = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class MiitDataError(ValueError):
    """Curated MIIT rows (or a frame meant to become them) break the dataset's rules."""


# ---------------------------------------------------------------------------------------------
# The curated file
# ---------------------------------------------------------------------------------------------


def load_curated_stats(path: str | Path | None = None) -> pd.DataFrame:
    """The curated MIIT figures, validated, with exactly the spec's columns and kinds.

    str columns are pandas `str` dtype with missing cells as NA (an empty cell is a gap, never
    ""); `value`, `yoy_pct` and `share_pct` are float64. Raises MiitDataError naming the dataset,
    the row (and file line) and the field on bad input.
    """
    csv_path = Path(path) if path is not None else CURATED_PATH
    if not csv_path.is_file():
        raise MiitDataError(f"{DATASET}: curated file {csv_path} not found")
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return validate_stats(raw, source=_display_path(csv_path), first_line=2)


def validate_stats(
    frame: pd.DataFrame, source: str = "frame", first_line: int | None = None
) -> pd.DataFrame:
    """Check every row of `frame` against the dataset's rules and return it typed.

    `frame` may hold strings (as read from CSV, "" meaning missing) or already-typed values.
    `first_line` is the file line of the first row, to name lines in errors.
    """
    columns = [str(c) for c in frame.columns]
    if columns != list(COLUMNS):
        missing = [c for c in COLUMNS if c not in columns]
        extra = [c for c in columns if c not in COLUMNS]
        raise MiitDataError(
            f"{DATASET}: {source}: columns must be exactly {list(COLUMNS)} in that order "
            f"(missing {missing}, unexpected {extra}, got {columns})"
        )
    frame = frame.reset_index(drop=True)

    def where(i: int) -> str:
        line = f", line {first_line + i}" if first_line is not None else ""
        return f"{DATASET}: {source} row {i + 1}{line}"

    def fail(i: int, field: str, problem: str) -> MiitDataError:
        return MiitDataError(f"{where(i)}: field {field!r} {problem}")

    out: dict[str, list] = {c: [] for c in COLUMNS}
    for i, row in enumerate(frame.itertuples(index=False, name=None)):
        for (name, kind), cell in zip(COLUMNS.items(), row, strict=True):
            if kind == "float":
                out[name].append(_to_float(cell, lambda p, i=i, n=name: fail(i, n, p)))
            else:
                out[name].append(_to_str(cell))
    typed = pd.DataFrame(
        {
            name: pd.Series(values, dtype="str" if kind == "str" else "float64")
            for (name, kind), values in zip(COLUMNS.items(), out.values(), strict=True)
        }
    )

    for i, row in enumerate(typed.itertuples(index=False)):
        for name in ("period_type", "period_end", "metric", "segment", "unit"):
            if pd.isna(getattr(row, name)):
                raise fail(i, name, "is missing")
        if row.period_type not in PERIOD_TYPES:
            raise fail(
                i, "period_type", f"has unknown value {row.period_type!r} ({_one_of(PERIOD_TYPES)})"
            )
        if not _PERIOD_END.fullmatch(row.period_end):
            raise fail(i, "period_end", f"is malformed: {row.period_end!r} (expected YYYY-MM)")
        if row.period_type == "annual" and not row.period_end.endswith("-12"):
            raise fail(i, "period_end", f"is {row.period_end!r} but an annual period ends in -12")
        if row.metric not in METRICS:
            raise fail(i, "metric", f"has unknown value {row.metric!r} ({_one_of(METRICS)})")
        if row.segment not in SEGMENTS:
            raise fail(i, "segment", f"has unknown value {row.segment!r} ({_one_of(SEGMENTS)})")
        if row.metric != "revenue" and row.segment != "total":
            raise fail(
                i, "segment", f"is {row.segment!r}, but {row.metric} is only published for total"
            )
        if row.unit != UNITS[row.metric]:
            raise fail(i, "unit", f"is {row.unit!r}, but {row.metric} is in {UNITS[row.metric]}")
        if not pd.isna(row.value) and row.value < 0:
            raise fail(i, "value", f"is negative: {row.value}")
        if not pd.isna(row.yoy_pct) and abs(row.yoy_pct) > MAX_ABS_YOY:
            raise fail(
                i, "yoy_pct", f"is {row.yoy_pct}: beyond ±{MAX_ABS_YOY:g}%, a lost decimal point?"
            )
        if not pd.isna(row.share_pct) and not 0 <= row.share_pct <= 100:
            raise fail(i, "share_pct", f"is {row.share_pct}: not a percentage in [0, 100]")
        if not pd.isna(row.published_date):
            if not _ISO_DATE.fullmatch(row.published_date):
                raise fail(
                    i, "published_date", f"is malformed: {row.published_date!r} (YYYY-MM-DD)"
                )
            try:
                date.fromisoformat(row.published_date)
            except ValueError:
                raise fail(i, "published_date", f"is not a date: {row.published_date!r}") from None

    keys = typed[list(GRAIN)]
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        rows = [i + 1 for i in duplicated[duplicated].index]
        key = tuple(keys.iloc[rows[0] - 1])
        raise MiitDataError(
            f"{DATASET}: {source}: rows {rows} repeat the key {dict(zip(GRAIN, key, strict=True))}"
        )
    return typed


def _to_str(cell: object) -> object:
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return pd.NA
    text = str(cell).strip()
    return text if text else pd.NA


def _to_float(cell: object, fail) -> float:
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return math.nan
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return math.nan
        try:
            number = float(text)
        except ValueError:
            raise fail(f"is not a number: {cell!r}") from None
    elif isinstance(cell, int | float):
        number = float(cell)
    else:
        raise fail(f"is not a number: {cell!r}")
    if not math.isfinite(number):
        raise fail(f"is not a finite number: {cell!r}")
    return number


def _one_of(values: Iterable[str]) -> str:
    return "expected one of " + ", ".join(values)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def save_curated_stats(frame: pd.DataFrame, path: str | Path | None = None) -> Path:
    """Write `frame` (validated) to the curated CSV.

    Rows already in the file keep their exact text (so "10.0" stays "10.0" and a merge shows as
    pure insertions in the diff); new rows are written with the shortest number formatting. Line
    endings follow the existing file.
    """
    csv_path = Path(path) if path is not None else CURATED_PATH
    typed = validate_stats(frame, source="frame to save")
    original: dict[tuple, dict[str, str]] = {}
    newline = "\n"
    if csv_path.is_file():
        if b"\r\n" in csv_path.read_bytes()[:4096]:
            newline = "\r\n"
        old_raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        old_typed = validate_stats(old_raw, source=_display_path(csv_path), first_line=2)
        for (_, raw_row), (_, typed_row) in zip(
            old_raw.iterrows(), old_typed.iterrows(), strict=True
        ):
            original[tuple(typed_row[list(GRAIN)])] = {
                "raw": raw_row.to_dict(),
                "typed": typed_row.to_dict(),
            }
    rows = []
    for _, row in typed.iterrows():
        kept = original.get(tuple(row[list(GRAIN)]))
        if kept is not None and all(_same(kept["typed"][c], row[c]) for c in COLUMNS):
            rows.append(kept["raw"])
        else:
            rows.append({c: _format_cell(row[c]) for c in COLUMNS})
    out = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(csv_path, index=False, lineterminator=newline, encoding="utf-8")
    return csv_path


def _format_cell(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _same(a: object, b: object) -> bool:
    a_missing = a is None or pd.isna(a)
    b_missing = b is None or pd.isna(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return a == b


# ---------------------------------------------------------------------------------------------
# Parsing the wording of a release
# ---------------------------------------------------------------------------------------------

# Traditional characters seen in reprints, for the words the parser matches on.
_TRADITIONAL = str.maketrans(
    "軟業務長產實現礎術計數據雲電設積統總潤額億萬個兩為較點區東國與佔資訊網臺發體類場應門週進經濟運況營專處銷際穩態級規幣內係",
    "软业务长产实现础术计数据云电设积统总润额亿万个两为较点区东国与占资讯网台发体类场应门周进经济运况营专处销际稳态级规币内系",
)
_NUMBER = r"\d+(?:\.\d+)?"
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_DASH = r"[-—–―~〜至]+"  # after NFKC, the full-width － and ～ are ASCII
_COMPARISON_MARKS = "较比与于"  # "增速较1—9月份提高" names another period: not the release's own

# (pattern, month or group-reading function); month 12 means the full year (annual).
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(rf"(?<!\d)1月?{_DASH}(\d{{1,2}})月(?:份)?"), lambda m: int(m[1])),
    (re.compile(r"(?:今年)?前([一二两三四五六七八九十]{1,3}|\d{1,2})个月"), lambda m: _month(m[1])),
    (re.compile(r"前三(?:个)?季度"), 9),
    (re.compile(r"(?:第)?一季度"), 3),
    (re.compile(r"上半年"), 6),
    (re.compile(r"全年"), 12),
]
_CANONICAL_PERIOD = re.compile(r"(?:(annual)|ytd-?(\d{1,2}))")

_FILLER = r"(?:共|累计|合计)?(?:实现|完成)?"
# Longest/most specific names first: a match at an earlier position wins, so 工业软件产品收入 is
# never read as 软件产品收入.
_SEGMENT_NAMES: list[tuple[str, str, str]] = [
    ("industrial_software", "revenue", rf"工业软件(?:产品)?{_FILLER}收入"),
    ("basic_software", "revenue", rf"基础软件(?:产品)?{_FILLER}收入"),
    ("embedded_software", "revenue", rf"嵌入式(?:系统)?软件(?:产品)?{_FILLER}收入"),
    ("software_products", "revenue", rf"(?<!工业)(?<!基础)软件产品{_FILLER}收入"),
    ("cloud_big_data", "revenue", rf"云(?:计算|服务)[、和与及]?大数据服务{_FILLER}收入"),
    ("ic_design", "revenue", rf"集成电路设计{_FILLER}收入"),
    ("ecommerce_platform", "revenue", rf"电子商务平台技术服务{_FILLER}收入"),
    ("info_security", "revenue", rf"信息安全(?:产品[和及与]服务)?{_FILLER}收入"),
    ("it_services", "revenue", rf"信息技术服务{_FILLER}收入"),
    ("total", "revenue", rf"软件业务{_FILLER}收入"),
    ("total", "profit_total", r"利润总额"),
    ("total", "export", r"软件业务出口(?:额)?"),
]
_SEGMENT_RE = re.compile("|".join(f"(?P<s{i}>{p})" for i, (_, _, p) in enumerate(_SEGMENT_NAMES)))
_LEVEL_RE = re.compile(
    rf"(?P<approx>超过|超|逾|近|约|达到|达|突破)?(?P<num>{_NUMBER})(?P<unit>万亿元|亿美元|亿元)"
)
_BARE_UNIT_RE = re.compile(r"(?<![\d.])(?:万亿元|亿美元|亿元)")
_YOY_RE = re.compile(
    rf"(?:同比|[比较]上年(?:同期)?)(?P<dir>增长|增加|上升|下降|减少)(?P<num>{_NUMBER})?(?P<after>%|个百分点|倍)?"
)
_GROWTH_CHANGE_PREFIXES = ("增速", "增幅", "降幅", "占比", "比重", "利润率")
_SHARE_PARENT = (
    r"(?P<parent>全行业|全国软件业务|全国软件业|全国|软件业务|软件业|行业|信息技术服务|软件产品)"
)
_SHARE_RES = [
    re.compile(
        rf"占{_SHARE_PARENT}(?:收入)?的?(?:比重|比例|份额)?(?:为|达到|达|是)?(?P<num>{_NUMBER})?%"
    ),
    re.compile(
        rf"在{_SHARE_PARENT}(?:收入)?中的?(?:所占比重|占比|比重)(?:为|达到|达|是)?(?P<num>{_NUMBER})?%"
    ),
]
_REGION_RE = re.compile(
    r"地区|区域|自治区|城市|[省州]|市(?!场)|东部|中部|西部|东北|京津冀|长三角|珠三角|粤港澳|"
    r"北京|天津|河北|山西|内蒙古|辽宁|吉林|黑龙江|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|"
    r"广东|广西|海南|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆|深圳|大连|青岛|宁波|厦门"
)
# The regional part of a release restates the same words for provinces and cities: stop there.
_REGION_SECTION_RE = re.compile(r"[一二三四五六七八九十]+[、.]分(?:地区|区域)")
_CONTINUATION_NOISE_RE = re.compile(r"^(?:其中|此外|_)*$")
_BLANK = "_"


@dataclass
class _Fact:
    metric: str
    segment: str
    sentence: str
    value: float | None = None
    unit: str | None = None
    yoy: float | None = None
    share: float | None = None
    level_note: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.metric, self.segment

    def has_data(self) -> bool:
        return any(v is not None for v in (self.value, self.yoy, self.share))


def normalise_text(text: str) -> str:
    """Full-width digits/punctuation to ASCII (NFKC), common traditional characters to simplified,
    no spaces, no thousands separators."""
    text = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)
    text = re.sub(r"[^\S\n]+", "", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _month(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN_DIGITS[token[1:]]
    return _CN_DIGITS[token]


def _period_matches(text: str) -> list[tuple[int, str, int]]:
    """(position, phrase, month) of every period phrase that is not a comparison."""
    found = []
    for pattern, month in _PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            if any(mark in text[max(0, m.start() - 3) : m.start()] for mark in _COMPARISON_MARKS):
                continue
            found.append((m.start(), m.group(0), month(m) if callable(month) else month))
    return sorted(found)


def parse_period(phrase: str) -> tuple[str, int]:
    """A period in MIIT wording ("1—5月份", "前三季度", "全年"...) or canonical form ("annual",
    "ytd-05") -> (period_type, month)."""
    norm = normalise_text(phrase).strip()
    canonical = _CANONICAL_PERIOD.fullmatch(norm.lower())
    if canonical:
        month = 12 if canonical[1] else int(canonical[2])
    else:
        matches = _period_matches(norm)
        if not matches:
            raise ValueError(f"unrecognised period {phrase!r}: use MIIT wording or annual / ytd-MM")
        month = matches[0][2]
    if not 2 <= month <= 12:
        raise ValueError(f"period {phrase!r} gives month {month}: no such MIIT release")
    return ("annual" if month == 12 else "ytd"), month


def _infer_year(text: str) -> int | None:
    for m in re.finditer(r"(?<!\d)(20\d{2})年", text):
        if not any(mark in text[max(0, m.start() - 3) : m.start()] for mark in _COMPARISON_MARKS):
            return int(m[1])
    return None


def parse_release(
    text: str,
    published_date: str | None = None,
    source_url: str | None = None,
    year: int | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Rows (the curated file's long format) read from the text of one MIIT release.

    The period comes from the text ("2024年1—5月份", "一季度", "前三季度"...) unless `period` is
    given ("全年"/"annual" for an annual text that omits it, or any MIIT phrase, or "ytd-MM");
    the year comes from `year` or the text. Phrases after 较/比/与/于 ("增速较1—9月份提高") name
    another period and are skipped. Raises ValueError, naming the sentence, on a value whose
    number or decimal point looks lost, rather than load it.
    """
    norm = normalise_text(text)
    own = _period_matches(norm)
    if period is not None:
        period_type, month = parse_period(period)
        if own and own[0][2] != month:
            raise ValueError(f"period={period!r} contradicts the text, which covers {own[0][1]!r}")
    elif own:
        month = own[0][2]
        period_type = "annual" if month == 12 else "ytd"
    else:
        raise ValueError(
            "cannot find the release's period in the text; "
            "pass period= (e.g. '全年' for an annual text)"
        )
    stated_year = _infer_year(norm)
    if year is None:
        if stated_year is None:
            raise ValueError("cannot infer the year from the text; pass year=")
        year = stated_year
    elif stated_year is not None and stated_year != year:
        raise ValueError(f"year={year} contradicts the text, which says {stated_year}年")
    period_end = f"{year:04d}-{month:02d}"

    section = _REGION_SECTION_RE.search(norm)
    facts = _read_facts(norm[: section.start()] if section else norm)

    rows = []
    for fact in facts:
        notes = ["parsed from release text (ingestion.miit.parse_release)"]
        if fact.level_note:
            notes.append(fact.level_note)
        rows.append(
            {
                "period_type": period_type,
                "period_end": period_end,
                "metric": fact.metric,
                "segment": fact.segment,
                "value": fact.value,
                "unit": fact.unit or UNITS[fact.metric],
                "yoy_pct": fact.yoy,
                "share_pct": fact.share,
                "published_date": published_date,
                "source_url": source_url,
                "note": "; ".join(notes),
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return validate_stats(frame, source="parsed release")


def _read_facts(text: str) -> list[_Fact]:
    facts: dict[tuple[str, str], _Fact] = {}
    for sentence in re.split(r"[。;!?\n]+", text):
        if sentence.strip():
            for fact in _read_sentence(sentence):
                _keep(facts, fact)
    order = {(m, s): i for i, (s, m, _) in enumerate(_SEGMENT_NAMES)}
    canonical = [("revenue", "total"), ("profit_total", "total"), ("export", "total")]
    rank = {key: i for i, key in enumerate(canonical)}
    return sorted(
        facts.values(), key=lambda f: (rank.get(f.key, 3), SEGMENTS.index(f.segment), order[f.key])
    )


def _keep(facts: dict[tuple[str, str], _Fact], fact: _Fact) -> None:
    """The same figure may be stated twice (a summary and a detail): it must agree."""
    if not fact.has_data():
        return
    seen = facts.get(fact.key)
    if seen is None:
        facts[fact.key] = fact
        return
    for name in ("value", "unit", "yoy", "share"):
        a, b = getattr(seen, name), getattr(fact, name)
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"{fact.metric}/{fact.segment} is stated twice with different {name}: "
                f"{a} in {seen.sentence!r} and {b} in {fact.sentence!r}"
            )
        if a is None and b is not None:
            setattr(seen, name, b)
    seen.level_note = seen.level_note or fact.level_note


def _read_sentence(sentence: str) -> list[_Fact]:
    """Facts of one sentence, read clause by clause (clauses are separated by commas).

    A segment name opens a fact; a level must follow it in the same clause; a YoY or share that
    opens a later clause ("，同比增长13.7%", "，占全行业收入的比重为23.6%") continues the open
    fact; any clause with a subject of its own (a region, 软件外包服务出口...) closes it.
    """
    facts: list[_Fact] = []
    current: _Fact | None = None
    for clause in re.split(r"[,:]", sentence):
        work = clause
        events: list[tuple[int, str, re.Match[str]]] = []
        for pattern in _SHARE_RES:
            for m in pattern.finditer(work):
                events.append((m.start(), "share", m))
                work = work[: m.start()] + _BLANK * (m.end() - m.start()) + work[m.end() :]
        segments = list(_SEGMENT_RE.finditer(work))
        events += [(m.start(), "segment", m) for m in segments]
        events += [(m.start(), "level", m) for m in _LEVEL_RE.finditer(work)]
        events += [(m.start(), "yoy", m) for m in _YOY_RE.finditer(work)]
        if segments:
            bare = _BARE_UNIT_RE.search(work)
            if bare and not any(
                m.start() <= bare.start() < m.end() for _, k, m in events if k == "level"
            ):
                raise ValueError(f"a level has lost its number in sentence {sentence!r}")
        opened_here = False
        for position, kind, m in sorted(events, key=lambda e: e[0]):
            if kind == "segment":
                if _REGION_RE.search(work[:position]):
                    current = None  # a province or region, not the nation
                    continue
                segment, metric, _ = _SEGMENT_NAMES[int(m.lastgroup[1:])]
                current = _Fact(metric=metric, segment=segment, sentence=sentence)
                facts.append(current)
                opened_here = True
            elif kind == "level":
                if current is None or not opened_here or current.value is not None:
                    current = None  # a level of something the parser does not know
                    continue
                current.value, current.unit, current.level_note = _level(m)
            elif kind == "yoy":
                yoy = _yoy(m, work, sentence)
                if yoy is None or current is None:
                    continue
                if not opened_here and not _is_continuation(work[:position]):
                    current = None
                    continue
                if current.yoy is not None:
                    raise ValueError(
                        f"two YoY figures for {current.metric}/{current.segment} in sentence "
                        f"{sentence!r}"
                    )
                current.yoy = yoy
            elif kind == "share":
                share = _share(m, sentence)
                if current is None:
                    continue
                if not opened_here and not _is_continuation(work[:position]):
                    current = None
                    continue
                _set_share(current, share, m["parent"], sentence)
    return facts


def _is_continuation(prefix: str) -> bool:
    """Only period phrases and 其中 before the figure: it continues the open fact."""
    for _, phrase, _ in _period_matches(prefix):
        prefix = prefix.replace(phrase, "")
    return bool(_CONTINUATION_NOISE_RE.fullmatch(prefix))


def _level(m: re.Match[str]) -> tuple[float, str, str | None]:
    number = Decimal(m["num"])
    unit = m["unit"]
    note = None
    if unit == "万亿元":
        number *= 10000
        unit = "亿元"
        note = f"published as {m.group(0)}"
    elif m["approx"] in ("超过", "超", "逾", "近", "约", "突破"):
        note = f"published as {m.group(0)}"
    return float(number), unit, note


def _yoy(m: re.Match[str], work: str, sentence: str) -> float | None:
    before = work[max(0, m.start() - 3) : m.start()]
    if any(before.endswith(p) for p in _GROWTH_CHANGE_PREFIXES):
        return None  # "增速同比下降2个百分点": a change in growth, not YoY
    if m["num"] is None:
        if m["after"] == "%":
            raise ValueError(f"YoY has lost its number ({m.group(0)!r}) in sentence {sentence!r}")
        return None  # "同比增长较快"
    if m["after"] == "个百分点":
        return None
    if m["after"] != "%":
        raise ValueError(
            f"unrecognised growth figure {m.group(0)!r} (no %) in sentence {sentence!r}"
        )
    value = float(m["num"])
    if value > MAX_ABS_YOY:
        raise ValueError(
            f"YoY {m.group(0)!r} is beyond ±{MAX_ABS_YOY:g}%: a lost decimal point? "
            f"Sentence {sentence!r}"
        )
    return -value if m["dir"] in ("下降", "减少") else value


def _share(m: re.Match[str], sentence: str) -> float:
    if m["num"] is None:
        raise ValueError(f"share has lost its number ({m.group(0)!r}) in sentence {sentence!r}")
    value = float(m["num"])
    if value > 100:
        raise ValueError(f"share {m.group(0)!r} is over 100%: a lost decimal point? {sentence!r}")
    return value


def _set_share(fact: _Fact, share: float, parent_phrase: str, sentence: str) -> None:
    parent = {"信息技术服务": "it_services", "软件产品": "software_products"}.get(
        parent_phrase, "total"
    )
    expected = SHARE_PARENT.get(fact.segment, "total")
    if parent != expected:
        raise ValueError(
            f"{fact.segment} share is printed as a share of {parent}, but the dataset stores it "
            f"as a share of {expected}: {sentence!r}"
        )
    if fact.share is not None:
        raise ValueError(f"two shares for {fact.segment} in sentence {sentence!r}")
    fact.share = share


# ---------------------------------------------------------------------------------------------
# Merging a parsed release into the curated rows
# ---------------------------------------------------------------------------------------------

RESTATEMENT_COLUMNS = [*GRAIN, "field", "stored", "parsed", "kind"]
_COMPARED = ("value", "unit", "yoy_pct", "share_pct")


def merge_release(curated: pd.DataFrame, parsed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the parsed rows whose key (period_type, period_end, metric, segment) is new.

    A figure already stored is never overwritten. Returns (merged, restatements): `merged` is the
    curated rows (unchanged, in order) plus the new rows, each placed after the last stored row of
    its period; `restatements` has one row per differing field of an existing key, with
    `kind` = "restated" (both present and different: a restatement to review, not applied) or
    "gap" (stored empty, the release has it: fill by hand after checking the source).
    """
    stored = validate_stats(curated, source="curated")
    incoming = validate_stats(parsed, source="parsed")
    stored_keys = {tuple(k): i for i, k in enumerate(stored[list(GRAIN)].itertuples(index=False))}

    new_rows = []
    changes = []
    for _, row in incoming.iterrows():
        key = tuple(row[list(GRAIN)])
        if key not in stored_keys:
            new_rows.append(row)
            continue
        old = stored.iloc[stored_keys[key]]
        for field in _COMPARED:
            a, b = old[field], row[field]
            if pd.isna(b) or _same(a, b):
                continue  # the release copy does not have it, or agrees
            kind = "gap" if pd.isna(a) else "restated"
            changes.append([*key, field, None if pd.isna(a) else a, b, kind])

    merged = stored
    if new_rows:
        merged = pd.concat([stored, pd.DataFrame(new_rows)], ignore_index=True)
        order = merged["period_type"].map({t: i for i, t in enumerate(PERIOD_TYPES)})
        merged = (
            merged.assign(_t=order)
            .sort_values(["_t", "period_end"], kind="stable")
            .drop(columns="_t")
            .reset_index(drop=True)
        )
        merged = validate_stats(merged, source="merged")
    restatements = pd.DataFrame(changes, columns=RESTATEMENT_COLUMNS, dtype=object)
    return merged, restatements


# ---------------------------------------------------------------------------------------------
# Validation rule: segments vs total, shares vs levels
# ---------------------------------------------------------------------------------------------


def check_segment_consistency(frame: pd.DataFrame) -> list[str]:
    """Problems with the README's rule, within each release (period_type, period_end):

    - where total revenue and all four top segments (software products, IT services, information
      security, embedded software) have levels, they sum to the total within ±1 亿元;
    - where a share is printed and both levels are present, it matches level ÷ parent (total,
      or IT services for cloud/big data) within 0.1 point.

    Returns one string per problem; an empty list means consistent. Published figures are
    reported, never corrected.
    """
    typed = validate_stats(frame, source="frame to check")
    revenue = typed[typed["metric"] == "revenue"]
    problems = []
    for (period_type, period_end), release in revenue.groupby(
        ["period_type", "period_end"], sort=False
    ):
        levels = {
            seg: val
            for seg, val in zip(release["segment"], release["value"], strict=True)
            if not pd.isna(val)
        }
        label = f"{period_type} {period_end}"
        if "total" in levels and all(s in levels for s in TOP_SEGMENTS):
            parts = sum(levels[s] for s in TOP_SEGMENTS)
            gap = parts - levels["total"]
            if abs(gap) > SUM_TOLERANCE + 1e-9:
                detail = " + ".join(f"{s} {levels[s]:g}" for s in TOP_SEGMENTS)
                problems.append(
                    f"{label}: top segments sum to {parts:g} 亿元 ({detail}) but total revenue "
                    f"is {levels['total']:g} 亿元 (off by {gap:+g}, tolerance ±{SUM_TOLERANCE:g})"
                )
        for row in release.itertuples(index=False):
            if pd.isna(row.share_pct) or pd.isna(row.value):
                continue
            parent = SHARE_PARENT.get(row.segment, "total")
            if parent not in levels or levels[parent] == 0:
                continue
            implied = row.value / levels[parent] * 100
            if abs(implied - row.share_pct) > SHARE_TOLERANCE + 1e-9:
                problems.append(
                    f"{label}: {row.segment} share printed {row.share_pct:g}% of {parent}, but "
                    f"{row.value:g} / {levels[parent]:g} = {implied:.2f}% "
                    f"(off by {implied - row.share_pct:+.2f} points, "
                    f"tolerance ±{SHARE_TOLERANCE:g})"
                )
    return problems


# ---------------------------------------------------------------------------------------------
# Command line: python -m ingestion.miit check | add RELEASE.txt ...
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.miit", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate the curated file and run the consistency rule")
    add = commands.add_parser("add", help="parse a release text and merge it into the curated file")
    add.add_argument("release", type=Path, help="UTF-8 text of the release")
    add.add_argument("--year", type=int)
    add.add_argument("--period", help="e.g. 全年 for an annual text that omits the period")
    add.add_argument("--published-date")
    add.add_argument("--source-url")
    add.add_argument("--write", action="store_true", help="write the merged curated file")
    args = parser.parse_args(argv)

    curated = load_curated_stats()
    if args.command == "check":
        problems = check_segment_consistency(curated)
        print(f"{len(curated)} rows; {len(problems)} consistency problem(s)")
        for problem in problems:
            print(" -", problem)
        return 0

    parsed = parse_release(
        args.release.read_text(encoding="utf-8"),
        published_date=args.published_date,
        source_url=args.source_url,
        year=args.year,
        period=args.period,
    )
    merged, restatements = merge_release(curated, parsed)
    print(f"parsed {len(parsed)} rows; {len(merged) - len(curated)} new")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(parsed.drop(columns=["note", "source_url"]).to_string(index=False))
        if len(restatements):
            print("\nNOT APPLIED - review against the source:")
            print(restatements.to_string(index=False))
    for problem in check_segment_consistency(merged):
        print(" - consistency:", problem)
    if args.write:
        print("wrote", save_curated_stats(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
