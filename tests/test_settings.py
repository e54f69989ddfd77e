"""The settings (ingestion/settings.py): one typed object, the only reader of the environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ingestion.http import WEEKLY_BUDGETS, NetConfig
from ingestion.settings import DATA_DIR, BadSetting, Settings, env_name, settings

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch):
    """No variable of any setting is set (conftest sets DAGSTER_HOME, a developer may set more)."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    return monkeypatch


def test_defaults(clean_env):
    current = settings()
    assert current.source == "sample"
    assert current.duckdb == DATA_DIR / "warehouse" / "sectorpulse.duckdb"
    assert current.published_dir == DATA_DIR / "published"
    assert current.gx_dir == DATA_DIR / "gx"
    assert current.published_figures == DATA_DIR / "reconciliation"
    assert current.store == DATA_DIR / "live"
    assert current.dagster_home == DATA_DIR / "dagster_home"
    assert current.first_week == date(2015, 1, 5)
    assert current.cjk_font is None and current.industries is None
    assert current.alert_webhook == "" and current.webserver_url == "http://127.0.0.1:3000"
    assert current.miit_list_url == "https://www.miit.gov.cn/gxsj/tjfx/rjy/index.html"
    assert current.upstream_redirect is None
    # The HTTP defaults are NetConfig's: a config built in code and one from the environment agree.
    assert NetConfig.from_env() == NetConfig()
    assert NetConfig.from_env({}) == NetConfig()


def test_every_field_says_what_it_is():
    for name, field in Settings.model_fields.items():
        assert field.description and "\n" not in field.description, name


CASES = [
    ("source", "live", "live"),
    ("duckdb", "/tmp/w.duckdb", Path("/tmp/w.duckdb")),
    ("published_dir", "/tmp/published", Path("/tmp/published")),
    ("gx_dir", "/tmp/gx", Path("/tmp/gx")),
    ("published_figures", "/tmp/figures", Path("/tmp/figures")),
    ("first_week", " 2024-03-06 ", date(2024, 3, 6)),
    ("first_week", "", date(2015, 1, 5)),
    ("cjk_font", "/fonts/a.ttc", Path("/fonts/a.ttc")),
    ("cjk_font", "", None),
    ("dagster_home", "/tmp/dagster", Path("/tmp/dagster")),
    ("dagster_home", "", DATA_DIR / "dagster_home"),
    ("alert_webhook", " https://hooks.example.com/x ", "https://hooks.example.com/x"),
    ("webserver_url", "http://dagster.internal:3000/", "http://dagster.internal:3000/"),
    ("store", "/tmp/store", Path("/tmp/store")),
    ("industries", "801750,801780", "801750,801780"),
    ("industries", "", ""),  # set but empty is not unset: Universe.parse decides, as before
    ("miit_list_url", "http://127.0.0.1:9/list.html", "http://127.0.0.1:9/list.html"),
    ("http_timeout", "3,20", (3.0, 20.0)),
    ("throttle", "sw=6, eastmoney=3", {"sw": 6.0, "eastmoney": 3.0}),
    ("throttle_scale", "0", 0.0),
    ("budget", "sw=4,total=100", {"sw": 4, "total": 100}),
    ("breaker_after", "5", 5),
    ("retry_attempts", "1", 1),
    ("retry_backoff", "0,1,0", (0.0, 1.0, 0.0)),
    ("upstream_redirect", "http://127.0.0.1:9", "http://127.0.0.1:9"),
    ("upstream_redirect", "", None),
]


@pytest.mark.parametrize(("field", "text", "expected"), CASES)
def test_each_variable_reaches_its_field(clean_env, field, text, expected):
    clean_env.setenv(env_name(field), text)  # after import: settings() reads on every call
    assert getattr(settings(), field) == expected
    assert getattr(settings({env_name(field): text}), field) == expected


def test_the_variable_names():
    assert env_name("duckdb") == "SECTORPULSE_DUCKDB"
    assert env_name("http_timeout") == "SECTORPULSE_HTTP_TIMEOUT"
    assert env_name("dagster_home") == "DAGSTER_HOME"  # no prefix


def test_a_given_mapping_is_read_alone(monkeypatch):
    monkeypatch.setenv("SECTORPULSE_BREAKER_AFTER", "9")
    monkeypatch.setenv("SECTORPULSE_SOURCE", "live")
    given = settings({"SECTORPULSE_BREAKER_AFTER": "5"})
    assert given.breaker_after == 5 and given.source == "sample"
    config = NetConfig.from_env({"SECTORPULSE_BUDGET": "sw=4"}, attempts=1)
    assert config.budgets == {**WEEKLY_BUDGETS, "sw": 4} and config.attempts == 1
    assert config.breaker_after == 3  # not the environment's 9


BAD = [
    ("SECTORPULSE_FIRST_WEEK", "notadate", "is not a date; use YYYY-MM-DD"),
    ("SECTORPULSE_FIRST_WEEK", "2024-13-01", "is not a date; use YYYY-MM-DD"),
    ("SECTORPULSE_HTTP_TIMEOUT", "abc", "use CONNECT,READ seconds, e.g. 5,30"),
    ("SECTORPULSE_HTTP_TIMEOUT", "3", "use CONNECT,READ seconds, e.g. 5,30"),
    ("SECTORPULSE_RETRY_BACKOFF", "1,2", "use FIRST,FACTOR,CAP seconds, e.g. 5,4,60"),
    ("SECTORPULSE_THROTTLE", "sw", "use GROUP=SECONDS pairs, e.g. sw=6,eastmoney=3"),
    ("SECTORPULSE_THROTTLE_SCALE", "half", "use a number, e.g. 0.5"),
    ("SECTORPULSE_BUDGET", "sw=many", "use GROUP=REQUESTS pairs, e.g. sw=10,eastmoney=400"),
    ("SECTORPULSE_BREAKER_AFTER", "3.5", "use a whole number, e.g. 3"),
    ("SECTORPULSE_RETRY_ATTEMPTS", "three", "use a whole number, e.g. 3"),
]


@pytest.mark.parametrize(("name", "text", "fix"), BAD)
def test_a_bad_value_is_one_line_naming_the_variable_and_the_fix(monkeypatch, name, text, fix):
    monkeypatch.setenv(name, text)
    with pytest.raises(BadSetting) as raised:
        settings()
    message = str(raised.value)
    assert message.startswith(f"{name}={text!r} ") and message.endswith(fix), message
    assert "\n" not in message
    assert isinstance(raised.value, ValueError)  # as NetConfig.from_env's float()/int() raised


def test_a_bad_first_week_stops_the_process_with_that_line(monkeypatch):
    from orchestration.weeks import first_week

    monkeypatch.setenv("SECTORPULSE_HTTP_TIMEOUT", "abc")
    with pytest.raises(SystemExit, match=r"^SECTORPULSE_HTTP_TIMEOUT='abc' is not valid"):
        first_week()


# -- the environment is read here only, and written nowhere --------------------------------------

PACKAGES = ("orchestration", "ingestion", "quality", "publishing")
READER = "ingestion/settings.py"
# Files allowed to use os.environ anyway, each with its reason. tests/, bench/ and scripts/ are
# not scanned: they set up environments for the code under test and for child processes.
EXCEPTIONS: dict[str, str] = {}
ENVIRON = re.compile(
    r"\bos\.(environ|getenv|putenv|unsetenv)\b|^\s*from\s+os\s+import\s+.*\b(environ|getenv)\b",
    re.M,
)


def test_only_the_settings_module_touches_the_environment():
    offenders = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if relative == READER or relative in EXCEPTIONS:
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [
                f"{relative}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}"
                for m in ENVIRON.finditer(text)
            ]
    assert not offenders, (
        "read settings through ingestion.settings.settings(), not the environment:\n"
        + "\n".join(offenders)
    )


def test_akshare_progress_bars_are_off_without_touching_the_environment():
    """tqdm bars default to disabled once a live call resolves an akshare function; nothing is
    written to os.environ. A child process, so neither conftest's TQDM_DISABLE nor an earlier
    patch decides."""
    script = (
        "import os\n"
        "from ingestion.live import resolve_function\n"
        "resolve_function('index_realtime_sw')\n"
        "from akshare.utils.tqdm import get_tqdm\n"
        "from tqdm import tqdm\n"
        "from tqdm.auto import tqdm as auto_tqdm\n"
        "for bar in (get_tqdm(), tqdm, auto_tqdm):\n"
        "    assert list(bar(range(3), leave=False)) == [0, 1, 2]\n"
        "assert 'TQDM_DISABLE' not in os.environ\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # a bar draws on stderr
