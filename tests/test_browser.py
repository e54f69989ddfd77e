"""The HTML briefs in a real browser: Debian's headless Chromium, driven over the DevTools protocol.

`make test` installs /usr/bin/chromium (apt-get). The DevTools websocket is on 127.0.0.1, so these
tests allow loopback connections through pytest-socket; the pages are file:// URLs, Chromium
starts with the flags that keep it off the network, and every tab is offline (DevTools network
emulation), so a page that needs a CDN shows it here as failed loads and missing styles.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_brief import REPO_ROOT, brief_folder

from publishing import formats
from publishing.publish import PUBLISHED_DB
from publishing.site import gx_docs_index
from quality import MODEL_SUITES, RAW_SUITES

pytestmark = [pytest.mark.e2e, pytest.mark.allow_hosts(["127.0.0.1"])]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
]
SCREENSHOTS = REPO_ROOT / "data" / "briefs" / "screenshots"  # gitignored, for people to look at
SUITES = [f"raw.{d}" for d in RAW_SUITES] + [f"model.{m}" for m in MODEL_SUITES]
PAGE_CHECK = """(() => {
  const images = [...document.images].map(i => ({
    alt: i.alt, loaded: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0,
    width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height,
  }));
  return {images, text: document.body.innerText, title: document.title};
})()"""


class DevTools:
    """A minimal DevTools protocol client: commands by id, events kept for later assertions."""

    def __init__(self, url: str):
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=None, open_timeout=10)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(
                json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            )

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text", "exception"))
            elif (
                event.get("method") == "Runtime.consoleAPICalled" and params.get("type") == "error"
            ):
                found.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif event.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")
        return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[DevTools]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            assert process.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        devtools = DevTools(f"ws://127.0.0.1:{port}{path}")
        yield devtools
        devtools.ws.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def open_page(browser: DevTools, path: Path, width: int = 1100) -> tuple[str, dict[str, Any]]:
    """Open a file in a new tab; returns the tab's session and what the page shows."""
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session)
    browser.send(
        "Network.emulateNetworkConditions",
        session,
        offline=True,
        latency=0,
        downloadThroughput=-1,
        uploadThroughput=-1,
    )
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.events.clear()
    browser.send("Page.navigate", session, url=path.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    return session, evaluate(browser, session, PAGE_CHECK)


def evaluate(browser: DevTools, session: str, expression: str) -> Any:
    return browser.send(
        "Runtime.evaluate", session, expression=expression, returnByValue=True, awaitPromise=True
    )["result"]["value"]


def network_requests(browser: DevTools) -> list[str]:
    """URLs the open tabs asked for since the last page was opened, but for files and data URIs."""
    urls = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return [u for u in urls if not u.startswith(("file:", "data:"))]


def screenshot(browser: DevTools, session: str, out: Path) -> Path:
    size = browser.send("Page.getLayoutMetrics", session)["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    png = browser.send(
        "Page.captureScreenshot", session, format="png", captureBeyondViewport=True, clip=clip
    )["data"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(png))
    return out


@pytest.fixture(scope="module")
def run_root(sample_run) -> Path:
    return sample_run.root


def test_the_computer_brief_in_chromium(browser, run_root):
    folder = brief_folder(run_root)
    with duckdb.connect(str(run_root / "published" / PUBLISHED_DB), read_only=True) as con:
        rank, of, weekly_return = con.execute(
            "SELECT rank_in_level, n_in_level, weekly_return FROM rpt_industry_weekly_brief "
            "WHERE index_code = '801750' AND week_end_date = ?",
            [folder.name],
        ).fetchone()
    session, shown = open_page(browser, folder / "801750.html")

    assert browser.errors() == []
    assert len(shown["images"]) == 6  # Figures 1-4, the L1 and the L2 charts
    for image in shown["images"]:
        assert image["loaded"] and image["width"] > 0 and image["height"] > 0, image["alt"]
    assert f"ranks {formats.rank(rank, of)}" in shown["text"]
    assert f"计算机 returned {formats.pct(weekly_return)}" in shown["text"]
    assert "Sample data" in shown["text"]
    assert "MISMATCH" in shown["text"]  # the fixture's wrong excess return

    shot = screenshot(browser, session, SCREENSHOTS / "brief_801750.png")
    assert shot.stat().st_size > 50_000


def test_every_brief_and_the_index_load_cleanly(browser, run_root):
    folder = brief_folder(run_root)
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == 32  # 31 briefs and the index
    for page in pages:
        _, shown = open_page(browser, page)
        assert browser.errors() == [], page.name
        assert all(i["loaded"] and i["width"] > 0 for i in shown["images"]), page.name
    session, shown = open_page(browser, folder / "index.html")
    assert "Great Expectations Data Docs" in shown["text"]
    screenshot(browser, session, SCREENSHOTS / "index.png")


STYLE_CHECK = """(() => {
  const style = s => getComputedStyle(document.querySelector(s));
  return {font: style('body').fontFamily, rule: style('h1').borderBottomStyle,
          badge: style('.status').backgroundColor, cell: style('td').borderTopStyle};
})()"""


def test_gx_data_docs_offline(browser, run_root):
    """The sample run's Data Docs, from file:// with the network off: styled, every suite listed."""
    docs = gx_docs_index(run_root / "gx")
    pages = sorted(docs.parent.glob("*/index.html"))  # one per suite the run validated
    assert pages and {p.parent.name for p in pages} <= set(SUITES)
    for page in [docs, *pages]:
        assert not re.search(r"https?:", page.read_text(encoding="utf-8")), page

    session, shown = open_page(browser, docs)
    assert browser.errors() == [] and network_requests(browser) == []
    style = evaluate(browser, session, STYLE_CHECK)
    assert "WenQuanYi Micro Hei" in style["font"], style  # the page's CSS, not the default font
    assert style["rule"] == "solid" and style["cell"] == "solid", style
    assert style["badge"] == "rgb(227, 244, 232)", style  # the green "passed" badge
    lines = shown["text"].splitlines()
    for suite in SUITES:  # every suite is listed
        assert any(line.startswith(f"{suite}\t") for line in lines), suite
    assert sum("\tpassed\t" in line for line in lines) == len(pages)  # what the run validated
    screenshot(browser, session, SCREENSHOTS / "gx_data_docs_index.png")

    page = docs.parent / "model.rpt_industry_weekly_brief" / "index.html"
    session, shown = open_page(browser, page)
    assert browser.errors() == [] and network_requests(browser) == []
    assert "WenQuanYi Micro Hei" in evaluate(browser, session, STYLE_CHECK)["font"]
    assert "the frame as given: " in shown["text"] and "part l1_latest_week: " in shown["text"]
    assert "FAILED" not in shown["text"]
    screenshot(browser, session, SCREENSHOTS / "gx_data_docs_suite.png")
