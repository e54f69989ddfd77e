"""Every setting the project reads from the environment, in one typed object.

`settings()` reads the environment afresh on each call: nothing is read at import time, so a run
sees the environment it starts in and a test's `monkeypatch.setenv` takes effect. The variables
are SECTORPULSE_<FIELD> (`.env.example`, docs/live-mode.md), and DAGSTER_HOME. A bad value
stops with one line that names the variable and the fix (`BadSetting`).

This is the only module that reads `os.environ` (tests/test_settings.py checks). dbt reads
SECTORPULSE_DUCKDB and SECTORPULSE_DUCKDB_MEMORY itself, in dbt_project/profiles.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
PREFIX = "SECTORPULSE_"


class BadSetting(ValueError):
    """A variable holds a value the project cannot use: the message names it and the fix."""


def _pairs(text: str) -> dict[str, str]:
    """`a=1,b=2` -> {"a": "1", "b": "2"}."""
    return dict(item.split("=", 1) for item in text.replace(" ", "").split(",") if item)


def _numbers(text: str, count: int) -> tuple[float, ...]:
    """`3,20` -> (3.0, 20.0), exactly `count` of them."""
    parts = text.split(",")
    if len(parts) != count:
        raise ValueError(text)
    return tuple(float(part) for part in parts)


class Settings(BaseSettings):
    """The settings, each from SECTORPULSE_<FIELD NAME> (DAGSTER_HOME for `dagster_home`)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, populate_by_name=True)

    # -- where data comes from and goes to --------------------------------------------------------
    source: str = Field("sample", description="sample | live | record:<dir> | <snapshot dir>")
    duckdb: Path = Field(
        DATA_DIR / "warehouse" / "sectorpulse.duckdb", description="the working DuckDB file"
    )
    published_dir: Path = Field(DATA_DIR / "published", description="published marts for BI")
    gx_dir: Path = Field(DATA_DIR / "gx", description="Great Expectations Data Docs and results")
    published_figures: Path = Field(
        DATA_DIR / "reconciliation", description="the analyst's published figures, a CSV a week"
    )
    first_week: date = Field(
        date(2015, 1, 5), description="any day of the first weekly partition (YYYY-MM-DD)"
    )
    cjk_font: Path | None = Field(
        None, description="a CJK font file for chart labels; unset: Debian's, publishing/fonts.py"
    )
    dagster_home: Path = Field(
        DATA_DIR / "dagster_home",
        validation_alias="DAGSTER_HOME",
        description="the Dagster instance's folder (DAGSTER_HOME, no prefix)",
    )

    # -- the failure alert ------------------------------------------------------------------------
    alert_webhook: str = Field("", description="failed runs are POSTed here; empty: no alert")
    webserver_url: str = Field(
        "http://127.0.0.1:3000", description="the Dagster UI's base URL, for the alert's run link"
    )

    # -- live mode (docs/live-mode.md) --------------------------------------------------------------
    store: Path = Field(DATA_DIR / "live", description="the live store snapshot")
    industries: str | None = Field(
        None, description="SW L1 codes whose stocks are fetched; unset: live 801750, record all"
    )
    miit_list_url: str = Field(
        # 工信数据 > 统计分析 > 软件业
        "https://www.miit.gov.cn/gxsj/tjfx/rjy/index.html",
        description="MIIT's software-industry release list",
    )
    http_timeout: Annotated[tuple[float, float], NoDecode] = Field(
        (5.0, 30.0), description="connect,read seconds for requests that set none"
    )
    throttle: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict, description="group=seconds between two requests to one host"
    )
    throttle_scale: float = Field(1.0, description="multiplies every interval; 0: no throttle")
    budget: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict, description="group=requests per run, over the run's budgets"
    )
    breaker_after: int = Field(3, description="consecutive failed calls that block a group")
    retry_attempts: int = Field(3, description="tries per call on a transient error")
    retry_backoff: Annotated[tuple[float, float, float], NoDecode] = Field(
        (5.0, 4.0, 60.0), description="first,factor,cap seconds between tries"
    )
    upstream_redirect: str | None = Field(
        None, description="tests and simulations: send every request to this base URL"
    )

    # Each validator sees the variable's text (other values pass through to the type check) and
    # parses it as the code that read os.environ did; its ValueError says what the value should be.

    @field_validator("first_week", mode="before")
    @classmethod
    def _first_week(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return cls.model_fields["first_week"].default
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a date; use YYYY-MM-DD") from None

    @field_validator("cjk_font", "upstream_redirect", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("dagster_home", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return cls.model_fields["dagster_home"].default if value == "" else value

    @field_validator("alert_webhook", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("http_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        return _parse(value, lambda t: _numbers(t, 2), "use CONNECT,READ seconds, e.g. 5,30")

    @field_validator("retry_backoff", mode="before")
    @classmethod
    def _backoff(cls, value: Any) -> Any:
        return _parse(value, lambda t: _numbers(t, 3), "use FIRST,FACTOR,CAP seconds, e.g. 5,4,60")

    @field_validator("throttle", mode="before")
    @classmethod
    def _throttle(cls, value: Any) -> Any:
        return _parse(
            value,
            lambda t: {k: float(v) for k, v in _pairs(t).items()},
            "use GROUP=SECONDS pairs, e.g. sw=6,eastmoney=3",
        )

    @field_validator("budget", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Any:
        return _parse(
            value,
            lambda t: {k: int(v) for k, v in _pairs(t).items()},
            "use GROUP=REQUESTS pairs, e.g. sw=10,eastmoney=400",
        )

    @field_validator("throttle_scale", mode="before")
    @classmethod
    def _float(cls, value: Any) -> Any:
        return _parse(value, float, "use a number, e.g. 0.5")

    @field_validator("breaker_after", "retry_attempts", mode="before")
    @classmethod
    def _int(cls, value: Any) -> Any:
        return _parse(value, int, "use a whole number, e.g. 3")


def _parse(value: Any, parse: Any, fix: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return parse(value)
    except ValueError:
        raise ValueError(f"is not valid: {fix}") from None


def env_name(field: str) -> str:
    """The variable a field is read from: SECTORPULSE_DUCKDB for `duckdb`."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else PREFIX + field.upper()


def default(field: str) -> Any:
    """A field's value when its variable is unset."""
    return Settings.model_fields[field].get_default(call_default_factory=True)


class _MappingSource(EnvSettingsSource):
    """The environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]):
        self._given = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._given.items()}


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings, read now from the environment, or from `env` alone when given.

    Raises `BadSetting`, one line per bad variable: `SECTORPULSE_HTTP_TIMEOUT='abc' is not
    valid: use CONNECT,READ seconds, e.g. 5,30`.
    """
    try:
        if env is None:
            return Settings()
        return Settings(_build_sources=((_MappingSource(Settings, env),), {}))
    except ValidationError as error:
        raise BadSetting("; ".join(_describe(e) for e in error.errors())) from None


def _describe(error: Any) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    name = env_name(field) if field in Settings.model_fields else field
    if error["type"] == "value_error":
        reason = str(error["ctx"]["error"])
    else:
        reason = f"is not valid: {error['msg']}"
    return f"{name}={error['input']!r} {reason}"
