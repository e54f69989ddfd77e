"""The one door every live request goes through: timeout, throttle, budgets, breaker and counts.

`Net.installed()` patches `requests.Session.request` (which `requests.get/post` also use) and
curl_cffi's `Session.request` for the duration of a live call only, so replay and tests never see
it. One `Net` holds the state of one run: requests per host, the throttle clock, the budgets left
and the per-host circuit breaker. See docs/live-mode.md.
"""

from __future__ import annotations

import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from ingestion.settings import settings

# Upstream host suffix -> (group, minimum seconds between two requests to one host). Budgets and
# the breaker work per group; the first matching suffix wins.
HOST_GROUPS: tuple[tuple[str, str, float], ...] = (
    ("swsresearch.com", "sw", 4.0),
    ("datacenter-web.eastmoney.com", "datacenter", 1.0),
    ("search-api-web.eastmoney.com", "news", 1.5),  # stock_news_em: its own budget
    ("eastmoney.com", "eastmoney", 1.5),  # push2his (klines) and push2 (quotes)
    ("legulegu.com", "legulegu", 3.0),
    ("sina.com.cn", "sina", 2.0),
    ("sinajs.cn", "sina", 2.0),
    ("csindex.com.cn", "csindex", 1.0),
    ("miit.gov.cn", "miit", 2.0),
    ("sse.com.cn", "exchanges", 1.0),  # the stock lists of stock_info_a_code_name
    ("szse.cn", "exchanges", 1.0),
    ("bse.cn", "exchanges", 1.0),
)
OTHER_INTERVAL = 1.0

# Groups whose requests also count against another group's budget. Klines (push2his) and
# valuations (datacenter-web) are both Eastmoney, which blocks an IP for its traffic as a whole:
# budget `eastmoney` counts both, while the throttle, the breaker and the counts stay per group.
BUDGET_POOLS: Mapping[str, str] = {"datacenter": "eastmoney"}

# Per-run request budgets, by group, pool or `total`. A weekly run must stay small (SW bans for
# 8 h or more, Eastmoney after bursts); a backfill spans several runs and resumes where the
# budget stopped it (SW Computer's 334 klines and 334 valuations fit one backfill run).
# `news` (Eastmoney's search, stock_news_em): at most NEWS_CALLS_PER_RUN (20) calls are planned,
# plus 5 for retries; it stays outside the `eastmoney` pool so news never takes a valuation refresh.
WEEKLY_BUDGETS: Mapping[str, int] = {"sw": 10, "eastmoney": 400, "news": 25}
BACKFILL_BUDGETS: Mapping[str, int] = {"sw": 200, "eastmoney": 1000, "news": 25}

# What to do when a group is blocked, for the error message.
ADVICE: Mapping[str, str] = {
    "sw": "SW bans an IP for 8 hours or more: stop, wait until tomorrow and rerun "
    "(recorded calls are kept, a rerun fetches only what is missing)",
    "eastmoney": "Eastmoney blocks bursts: wait an hour (or open quote.eastmoney.com in a browser "
    "and solve the captcha), raise the throttle (SECTORPULSE_THROTTLE=eastmoney=3) and rerun",
    "datacenter": "Eastmoney's datacenter blocks bursts: wait an hour, raise the throttle "
    "(SECTORPULSE_THROTTLE=datacenter=2) and rerun",
    "news": "Eastmoney's search blocks bursts: wait an hour and rerun",
    "legulegu": "legulegu answers 403 when it blocks an IP: wait a few hours and rerun",
    "sina": "Sina blocks bulk use: wait an hour and rerun",
    "csindex": "csindex.com.cn is unreachable: rerun later",
    "miit": "www.miit.gov.cn is unreachable: rerun later",
}
BLOCKING_STATUSES = (401, 403, 451)


class LiveError(Exception):
    """Raised by the choke point. Not a RequestException, so akshare's own retry loops let it
    through instead of sleeping and retrying."""


class HostBlocked(LiveError):
    def __init__(self, host: str, group: str, reason: str):
        self.host, self.group, self.reason = host, group, reason
        super().__init__(
            f"upstream {host} (group {group!r}) is blocked for the rest of this run: {reason}. "
            f"{ADVICE.get(group, 'Rerun later')}."
        )


class BudgetExceeded(LiveError):
    def __init__(self, group: str, budget: int, sent: Mapping[str, int] | None = None):
        self.group, self.budget = group, budget
        spent = f" ({' + '.join(f'{g} {n}' for g, n in sent.items())} requests)" if sent else ""
        super().__init__(
            f"request budget for {group!r} ({budget} per run) is used up{spent}. Calls recorded "
            f"so far are kept: rerun later to continue, or raise it (SECTORPULSE_BUDGET={group}=N). "
            "A first live run needs history: backfill it with `sectorpulse record`."
        )


class NoNetwork(LiveError):
    """A host's name does not resolve: no network (or no DNS). Not a ban, and not worth
    minutes of retries."""

    def __init__(self, host: str, reason: str):
        self.host, self.reason = host, reason
        super().__init__(
            f"no network: cannot resolve {host} ({reason}); check your connection or use "
            "--source sample"
        )


# What resolvers say when a name does not resolve (glibc, macOS, Windows, curl).
DNS_FAILURES = (
    "failed to resolve",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "could not resolve host",
    "no address associated with hostname",
)
DNS_TRIES = 2  # a name that does not resolve twice, a second apart, will not in the next minutes
DNS_PAUSE = 1.0


def dns_failure(exc: BaseException) -> str | None:
    """Why `exc` is a name-resolution failure (requests' ConnectionError from urllib3's
    NameResolutionError or a socket.gaierror, curl's "Could not resolve host"), or None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    said = None  # the innermost message that names the failure
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, socket.gaierror):
            return str(item)
        if any(marker in str(item).lower() for marker in DNS_FAILURES):
            said = str(item).splitlines()[0]
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        todo += [a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]
    return said


def group_of(host: str) -> tuple[str, float]:
    """(group, default interval) of a host; an unknown host is its own group."""
    for suffix, group, interval in HOST_GROUPS:
        if host == suffix or host.endswith("." + suffix):
            return group, interval
    return host, OTHER_INTERVAL


def budget_keys(group: str) -> tuple[str, ...]:
    """The budgets a request of `group` counts against: its group, its pool, and the total."""
    return tuple(dict.fromkeys((group, BUDGET_POOLS.get(group, group), "total")))


@dataclass(frozen=True)
class NetConfig:
    timeout: tuple[float, float] = (5.0, 30.0)  # (connect, read) seconds when the caller sets none
    intervals: Mapping[str, float] = field(default_factory=dict)  # group -> seconds, overrides
    throttle_scale: float = 1.0  # multiplies every interval; 0 turns the throttle off
    jitter: float = 0.3  # each wait is interval × (1 + up to 30%)
    budgets: Mapping[str, int] = field(default_factory=lambda: dict(WEEKLY_BUDGETS))
    breaker_after: int = 3  # consecutive failed calls that block a group
    empty_ban_after: int = 20  # consecutive "no data" answers that look like a soft ban
    attempts: int = 3  # tries per call on a transient error
    backoff: tuple[float, float, float] = (5.0, 4.0, 60.0)  # first wait, factor, cap: 5, 20, 60 s
    redirect: str | None = None  # tests and simulations: send every request to this base URL
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    seed: int | None = None

    def interval(self, group: str, default: float) -> float:
        return self.intervals.get(group, default) * self.throttle_scale

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, budgets: Mapping[str, int] | None = None, **kw
    ) -> NetConfig:
        """Defaults, then the SECTORPULSE_* settings (ingestion/settings.py, docs/live-mode.md) read
        from the environment, or from `env` alone when given, then keyword overrides."""
        given = settings(env)
        values = {
            "timeout": given.http_timeout,
            "intervals": dict(given.throttle),
            "throttle_scale": given.throttle_scale,
            # SECTORPULSE_BUDGET overrides the groups it names, over the run's budgets
            "budgets": {**(budgets or WEEKLY_BUDGETS), **given.budget},
            "breaker_after": given.breaker_after,
            "attempts": given.retry_attempts,
            "backoff": given.retry_backoff,
            "redirect": given.upstream_redirect,
        }
        return replace(cls(**values), **kw)  # type: ignore[arg-type]


class Net:
    """The state of one run's live traffic. Thread-unsafe on purpose: fetches run one at a time."""

    def __init__(self, config: NetConfig | None = None):
        self.config = config or NetConfig.from_env()
        self.requests: Counter[str] = Counter()  # host -> requests sent
        self.failures: Counter[str] = Counter()  # host -> requests that failed or answered >= 400
        self.waited = 0.0  # seconds spent in the throttle
        self.blocked: dict[str, str] = {}  # group -> why the breaker opened
        self._last: dict[str, float] = {}  # host -> clock when its last request ended
        self._streak: Counter[str] = Counter()  # group -> consecutive failed calls
        self._empty_streak: Counter[str] = Counter()  # group -> consecutive "no data" calls
        self._attempt: list[tuple[str, int | str]] = []  # (host, status or error) this attempt
        self._seen: dict[str, object] = {}  # identical GETs within one attempt -> response
        self._rng = random.Random(self.config.seed)
        self._depth = 0
        self.unresolved: dict[str, str] = {}  # host -> why its name did not resolve

    # -- the patch ---------------------------------------------------------------------------
    @contextmanager
    def installed(self) -> Iterator[Net]:
        """Route every requests / curl_cffi request through this Net while the block runs."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        import requests

        patches = [(requests.sessions.Session, requests.sessions.Session.request)]
        try:
            from curl_cffi.requests import Session as CurlSession

            patches.append((CurlSession, CurlSession.request))
        except ImportError:  # curl_cffi is an akshare dependency, but do not require it
            pass
        for owner, original in patches:
            owner.request = self._wrap(original)
        self._depth = 1
        try:
            yield self
        finally:
            self._depth = 0
            for owner, original in patches:
                owner.request = original

    def _wrap(self, original: Callable) -> Callable:
        net = self

        def request(session, method, url, *args, **kwargs):
            return net._send(
                lambda u, **kw: original(session, method, u, *args, **kw), method, url, kwargs
            )

        return request

    def _send(self, send: Callable, method: str, url: str, kwargs: dict):
        host = urlsplit(url).hostname or ""
        group, default_interval = group_of(host)
        if host in self.unresolved:  # fail fast: every later call to it would wait to fail too
            raise NoNetwork(host, self.unresolved[host])
        if group in self.blocked:
            raise HostBlocked(host, group, self.blocked[group])
        for name in budget_keys(group):
            budget = self.config.budgets.get(name)
            if budget is not None and self.budget_requests(name) >= budget:
                raise BudgetExceeded(name, budget, self._sent_under(name))
        key = _get_key(method, url, kwargs) if method.upper() == "GET" else None
        if key in self._seen:  # akshare fetches page 1 twice (count, then loop): ask once
            return self._seen[key]
        if kwargs.get("timeout") in (None, _curl_not_set()):
            kwargs["timeout"] = self.config.timeout
        self._throttle(host, self.config.interval(group, default_interval))
        target = url
        if self.config.redirect:  # keep path and query, tell the local server which host it was
            parts = urlsplit(url)
            target = (
                self.config.redirect.rstrip("/")
                + parts.path
                + ("?" + parts.query if parts.query else "")
            )
            kwargs["headers"] = {**dict(kwargs.get("headers") or {}), "X-Upstream-Host": host}
        for tries in range(1, DNS_TRIES + 1):
            self.requests[host] += 1
            try:
                response = send(target, **kwargs)
            except Exception as exc:
                self.failures[host] += 1
                self._attempt.append((host, type(exc).__name__))
                reason = dns_failure(exc)
                if reason is None:
                    raise
                if tries == DNS_TRIES:
                    self.unresolved[host] = reason
                    raise NoNetwork(host, reason) from exc
                self.config.sleep(DNS_PAUSE)
            else:
                break
            finally:
                self._last[host] = self.config.clock()
        status = int(getattr(response, "status_code", 0) or 0)
        self._attempt.append((host, status))
        if status >= 400:
            self.failures[host] += 1
        elif key is not None:
            self._seen[key] = response
        return response

    def _throttle(self, host: str, interval: float) -> None:
        if interval <= 0 or host not in self._last:
            return
        due = self._last[host] + interval * (1 + self.config.jitter * self._rng.random())
        wait = due - self.config.clock()
        if wait > 0:
            self.config.sleep(wait)
            self.waited += wait

    # -- call-level bookkeeping (used by ingestion.live) -------------------------------------
    def start_attempt(self) -> None:
        self._attempt = []
        self._seen.clear()

    def attempt_log(self) -> list[tuple[str, int | str]]:
        return list(self._attempt)

    def _attempt_groups(self, fallback_host: str) -> set[str]:
        hosts = {host for host, _ in self._attempt} or {fallback_host}
        return {group_of(h)[0] for h in hosts}

    def call_failed(self, host: str, reason: str, block: bool = False) -> None:
        """One failed attempt against the hosts it talked to (or `host`); K in a row blocks."""
        for group in self._attempt_groups(host):
            self._streak[group] += 1
            if block or self._streak[group] >= self.config.breaker_after:
                self.blocked.setdefault(
                    group,
                    reason
                    if block
                    else f"{self._streak[group]} consecutive failures, last: {reason}",
                )

    def call_succeeded(self, host: str, empty: bool) -> None:
        for group in self._attempt_groups(host):
            self._streak[group] = 0
            self._empty_streak[group] = self._empty_streak[group] + 1 if empty else 0
            if self._empty_streak[group] >= self.config.empty_ban_after:
                self.blocked.setdefault(
                    group,
                    f"{self._empty_streak[group]} consecutive answers with no data look like a soft ban",
                )

    def is_blocked(self, host: str) -> bool:
        return group_of(host)[0] in self.blocked

    # -- reporting ---------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def _sent_under(self, name: str) -> dict[str, int]:
        """Requests per group that count against budget `name` (a group, a pool or total)."""
        return {
            group: n
            for group, n in self.counts().items()
            if group != "total" and name in budget_keys(group)
        }

    def budget_requests(self, name: str) -> int:
        return sum(self._sent_under(name).values())

    def left(self, group: str) -> int | None:
        """Requests of `group` its budgets still allow in this run; None when none applies."""
        budgets = self.config.budgets
        room = [budgets[n] - self.budget_requests(n) for n in budget_keys(group) if n in budgets]
        return min(room, default=None)

    def counts(self) -> dict[str, int]:
        """Requests per upstream group and in total, e.g. {"sw": 9, "eastmoney": 334, "total": 350}."""
        groups: Counter[str] = Counter()
        for host, n in self.requests.items():
            groups[group_of(host)[0]] += n
        return {**dict(sorted(groups.items())), "total": self.total}

    def metadata(self) -> dict[str, int | float | str]:
        """Flat values for Dagster's MaterializeResult metadata (see docs/live-mode.md)."""
        meta: dict[str, int | float | str] = {
            f"requests_{group}": n for group, n in self.counts().items()
        }
        for name, budget in sorted(self.config.budgets.items()):
            meta[f"budget_{name}"] = f"{self.budget_requests(name)} of {budget}"
        meta["request_failures"] = sum(self.failures.values())
        meta["throttle_wait_s"] = round(self.waited, 1)
        if self.blocked:
            meta["blocked"] = "; ".join(f"{g}: {why}" for g, why in sorted(self.blocked.items()))
        return meta


def _get_key(method: str, url: str, kwargs: Mapping) -> str:
    import requests

    prepared = requests.Request(method.upper(), url, params=kwargs.get("params")).prepare()
    return str(prepared.url)


def _curl_not_set() -> object:
    try:
        from curl_cffi.requests.session import NOT_SET

        return NOT_SET
    except ImportError:
        return None
