"""Calling akshare live: retries on transient errors, one notion of "no data", drift checks and
fallbacks, every request through the choke point (`ingestion.http`).

Error paths (docs/live-mode.md lists what each looks like):
- transient (connection reset, RemoteDisconnected, timeout, 5xx/429, HTML where JSON was expected,
  a partial page, "no data" where the spec needs data): retried with exponential backoff;
- blocking (401/403/451): the host's breaker opens at once, no retry;
- schema (length mismatch, missing or renamed columns, values that make no sense): `SchemaDrift`,
  never retried;
- a blocked or failed primary switches to the spec's fallbacks, if it has any.
"""

from __future__ import annotations

import http.client
import importlib
import json
import logging
import sys
import warnings
from dataclasses import dataclass
from functools import cache, partialmethod
from urllib.parse import urlsplit

import pandas as pd
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingestion.drift import IncompleteFrame, SchemaDrift, check_frame
from ingestion.errors import no_data
from ingestion.http import (
    ADVICE,
    BLOCKING_STATUSES,
    HostBlocked,
    LiveError,
    Net,
    NoNetwork,
    group_of,
)
from ingestion.snapshot import Provenance
from ingestion.specs import LOCAL_FUNCTIONS, Call, DatasetSpec

log = logging.getLogger("sectorpulse.live")


class NoDataError(Exception):
    """An upstream call returned no data where its spec requires some."""


class UpstreamError(Exception):
    """A live call failed for good: every try, and every fallback, failed."""


class _Transient(Exception):
    """One attempt failed in a way that is worth retrying."""


@dataclass(frozen=True)
class Outcome:
    frame: pd.DataFrame
    provenance: Provenance = "real"
    note: str = ""
    # Frames of fallback calls, recorded as their own entries beside the mapped frame.
    sources: tuple[tuple[Call, pd.DataFrame], ...] = ()


@cache
def _quiet_progress_bars() -> None:
    """Start every tqdm bar disabled, once per process: akshare draws one while it pages through
    some answers (index_realtime_sw, index_analysis_daily_sw), which is noise in a run's log. The
    same default TQDM_DISABLE=1 gives (tqdm's own `envwrap` is a partialmethod of `__init__` too),
    without touching the environment this process and its children see. Code that passes
    `disable=` itself still decides; akshare passes none."""
    from tqdm import std

    std.tqdm.__init__ = partialmethod(std.tqdm.__init__, disable=True)


def resolve_function(name: str):
    """The callable behind a spec's function name, looked up at call time so tests can patch it."""
    if name in LOCAL_FUNCTIONS:
        module, attr = LOCAL_FUNCTIONS[name].split(":")
        return getattr(importlib.import_module(module), attr)
    _quiet_progress_bars()
    import akshare

    return getattr(akshare, name)


def is_no_data(frame: pd.DataFrame) -> bool:
    """akshare's empty shapes after the call returned: a zero-column or a zero-row frame (the
    rule replay applies to recorded entries too, ingestion.errors.no_data)."""
    return no_data(*frame.shape)


def classify(exc: BaseException, answers: list[tuple[str, int | str]]) -> tuple[str, str]:
    """(kind, reason) of a failed akshare call, given the HTTP answers of the attempt.

    kind is "blocked", "transient", "drift", "no_data" or "error".
    """
    for host, status in reversed(answers):
        if status in BLOCKING_STATUSES:
            return "blocked", f"HTTP {status} from {host}"
    for host, status in reversed(answers):
        if isinstance(status, int) and (status >= 500 or status == 429):
            return "transient", f"HTTP {status} from {host}"
    for host, status in reversed(answers):
        if isinstance(status, int) and status >= 400:
            return "error", f"HTTP {status} from {host}"
    text = str(exc)
    if isinstance(exc, ValueError) and "Length mismatch" in text:
        return "drift", f"ValueError: {text} (akshare assigns these columns by position)"
    if isinstance(exc, KeyError):
        # akshare's own "no rows" is a KeyError on the JSON or on an empty frame's columns;
        # a column that is missing while others are present is a renamed field.
        return ("drift" if "not in index" in text else "no_data"), f"KeyError: {text}"
    if isinstance(exc, TypeError) and "NoneType" in text and "subscriptable" in text:
        return "no_data", f"TypeError: {text}"
    if isinstance(exc, json.JSONDecodeError):  # requests' JSONDecodeError is one too
        return "transient", "HTML or other non-JSON where JSON was expected"
    if isinstance(
        exc, requests.RequestException | ConnectionError | TimeoutError | http.client.HTTPException
    ):
        return "transient", f"{type(exc).__name__}: {text[:300]}"
    if type(exc).__module__.startswith("akshare") or isinstance(exc, IndexError | AttributeError):
        # akshare's NetworkError/APIError/DataParsingError, and error pages that break a parser
        # (Sina's V8 decode, legulegu's HTML tables)
        return "transient", f"{type(exc).__name__}: {text[:300]} (an error or block page?)"
    return "error", f"{type(exc).__name__}: {text}"


def _clear_akshare_caches(function) -> None:
    """Several akshare functions memoise their frame for the life of the process (lru_cache,
    e.g. the exchanges' stock lists): a live call must not be answered from last week's memory."""
    module = sys.modules.get(getattr(function, "__module__", ""))
    for value in vars(module).values() if module else ():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


class Caller:
    """Calls akshare functions live through one run's Net."""

    def __init__(self, net: Net):
        self.net = net

    def call(self, spec: DatasetSpec, call: Call) -> Outcome:
        """The frame of a planned call, from the spec's function or, failing that, a fallback."""
        try:
            return Outcome(self._with_retries(spec, call, spec.columns, ordered=True))
        except (HostBlocked, UpstreamError, NoDataError, NoNetwork) as exc:
            if not spec.fallbacks:
                raise
            return self._fallback(spec, call, exc)

    def _fallback(self, spec: DatasetSpec, call: Call, failure: Exception) -> Outcome:
        errors = [f"{call.function}: {failure}"]
        failures = [failure]  # of the sources tried
        for fallback in spec.fallbacks:
            kwargs = fallback.kwargs(call)
            if kwargs is None:
                errors.append(f"{fallback.function}: does not carry {call.describe()}")
                continue
            source = Call(fallback.function, kwargs)
            try:
                raw = self._with_retries(spec, source, fallback.columns, ordered=False)
            except (HostBlocked, UpstreamError, NoDataError, NoNetwork) as exc:
                errors.append(f"{fallback.function}: {exc}")
                failures.append(exc)
                continue
            frame = fallback.to_spec(raw, call)
            if is_no_data(frame) and not spec.empty_ok:
                errors.append(f"{fallback.function}: no rows in the window")
                failures.append(NoDataError(errors[-1]))
                continue
            check_frame(spec.name, spec.columns, frame, call)
            log.warning(
                "%s: %s failed (%s); used %s", spec.name, call.function, failure, source.describe()
            )
            note = (
                f"fallback: {source.describe()} mapped onto {call.function}'s columns "
                f"({fallback.loses}); its own frame is recorded beside this one. "
                f"{call.function} failed: {failure}"
            )
            return Outcome(frame, "derived", note, sources=((source, raw),))
        if all(isinstance(f, NoNetwork) for f in failures):
            raise failure  # no source resolves: the network is down, not the upstream
        raise UpstreamError(
            f"{spec.name}: every source failed for {call.describe()}:\n  - " + "\n  - ".join(errors)
        )

    def page(self, url: str) -> str:
        """A web page's text (MIIT's releases) through the same choke point, retries and breaker."""
        host = urlsplit(url).hostname or ""

        def once() -> str:
            response = self._attempt(host, url, lambda: _get(url))
            self.net.call_succeeded(host, empty=False)
            return response.text

        return self._retry(once, url, host)

    def _with_retries(self, spec: DatasetSpec, call: Call, columns, ordered: bool) -> pd.DataFrame:
        what = f"dataset {spec.name!r}: {call.describe()}"
        return self._retry(lambda: self._once(spec, call, columns, ordered), what, spec.host)

    def _retry(self, attempt, what: str, host: str):
        """Run `attempt` until it succeeds or fails for good; only _Transient is retried."""
        first, factor, cap = self.net.config.backoff
        retrying = Retrying(
            stop=stop_after_attempt(self.net.config.attempts),
            wait=wait_exponential(multiplier=first, exp_base=factor, max=cap),
            retry=retry_if_exception_type(_Transient),
            sleep=self.net.config.sleep,
            before_sleep=lambda state: log.warning(
                "%s: %s; try %d of %d in %.0f s",
                what,
                state.outcome.exception(),
                state.attempt_number + 1,
                self.net.config.attempts,
                state.next_action.sleep,
            ),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as exc:
            tries = self.net.config.attempts
            if str(exc).startswith("no data"):
                raise NoDataError(
                    f"{what} returned no data {tries} times; the spec needs data here, and an "
                    "upstream that blocks quietly looks like this"
                ) from exc
            advice = ADVICE.get(group_of(host)[0], "Rerun later")
            raise UpstreamError(f"{what} failed {tries} times ({exc}). {advice}.") from exc

    def _attempt(self, host: str, what: str, request):
        """One try of `request` inside the choke point; a failure raises what it means, and
        akshare's "no data" exceptions return None."""
        self.net.start_attempt()
        try:
            with self.net.installed(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SW is called with verify=False on purpose
                return request()
        except LiveError:
            raise
        except Exception as exc:
            kind, reason = classify(exc, self.net.attempt_log())
            if kind == "blocked":
                self.net.call_failed(host, reason, block=True)
                log = self.net.attempt_log()
                blocked = next((h for h, s in log if s in BLOCKING_STATUSES), host)
                raise HostBlocked(blocked, group_of(blocked)[0], reason) from exc
            if kind == "transient":
                self.net.call_failed(host, reason)
                raise _Transient(reason) from exc
            if kind == "drift":
                raise SchemaDrift(f"schema drift in {what}: {reason}") from exc
            if kind == "error":
                raise UpstreamError(f"{what} failed: {reason}") from exc
            return None  # no data

    def _once(self, spec: DatasetSpec, call: Call, columns, ordered: bool) -> pd.DataFrame:
        function = resolve_function(call.function)
        _clear_akshare_caches(function)
        what = f"dataset {spec.name!r}: {call.describe()}"
        frame = self._attempt(spec.host, what, lambda: function(**call.kwargs))
        if frame is None:
            frame = pd.DataFrame()  # KeyError, a zero-column frame, zero rows: one notion
        if is_no_data(frame):
            if spec.empty_ok:
                self.net.call_succeeded(spec.host, empty=True)
                return frame
            self.net.call_failed(spec.host, "no data")
            raise _Transient("no data")
        if not ordered:  # a fallback's frame: its column set and kinds, in its own order
            columns = {**{c: columns[c] for c in frame.columns if c in columns}, **columns}
        try:
            check_frame(spec.name, columns, frame, call)
        except IncompleteFrame as exc:
            self.net.call_failed(spec.host, str(exc))
            raise _Transient(str(exc)) from exc
        self.net.call_succeeded(spec.host, empty=False)
        return frame


def _get(url: str) -> requests.Response:
    response = requests.get(url)
    response.raise_for_status()  # statuses are classified from the attempt's log
    if response.encoding is None or response.encoding.lower() == "iso-8859-1":
        response.encoding = "utf-8"  # Chinese government pages often omit the charset
    return response
