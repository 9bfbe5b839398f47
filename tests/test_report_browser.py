"""The rendered report in a real headless browser, with the network cut off.

Chromium is driven over its DevTools pipe: every request a page makes is
listed, and one that is not to a local file fails the test. Every chart must
have drawn an SVG with marks. A proxy that only records also stands in the
way, so nothing the browser tries can leave the machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kit.report import NOTEBOOKS

pytestmark = pytest.mark.xdist_group("report")

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHART = re.compile(r'<div[^>]*\bid="(kit-chart-[^"]+)"[^>]*>')
LOCAL = ("file:", "data:", "blob:", "about:")
DRAWN = """Array.from(document.querySelectorAll('.kit-chart')).every(
    chart => chart.querySelector('svg [class^="mark-"]') || chart.textContent)"""


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("no headless browser in CI: .ci/run installs Debian's chromium")
    pytest.skip("no chromium on this machine; apt-get install chromium to run this")


class RequestRecorder:
    """A proxy that accepts connections, records the first line, and hangs up."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.requests.append(
                        connection.recv(512).split(b"\r\n")[0].decode()
                    )
                except OSError:
                    self.requests.append("(no request line)")

    def close(self) -> None:
        self.server.close()


class DevTools:
    """Chromium driven over --remote-debugging-pipe: commands in, events out."""

    def __init__(self, browser: str, profile: Path, proxy_port: int) -> None:
        to_browser, self._commands = os.pipe()
        self._events, from_browser = os.pipe()
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{proxy_port}",
            "--proxy-bypass-list=<-loopback>",
            "--remote-debugging-pipe",
        ]
        self.process = subprocess.Popen(
            [browser, *flags, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=lambda: _as_fds_3_and_4(to_browser, from_browser),
        )
        os.close(to_browser)
        os.close(from_browser)
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.pending: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._events, "rb", buffering=0) as stream:
            while chunk := stream.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self.inbox.put(json.loads(message))

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send a command and return its result; events met meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.inbox.get(timeout=60)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return reply["result"]
            self.pending.append(reply)

    def events(self, method: str) -> list[dict]:
        """Every event of this kind received so far."""
        while not self.inbox.empty():
            self.pending.append(self.inbox.get())
        return [
            event["params"] for event in self.pending if event.get("method") == method
        ]

    def close(self) -> None:
        with contextlib.suppress(queue.Empty, OSError):
            self.call("Browser.close")
        self.process.wait(timeout=30)
        os.close(self._commands)


def _as_fds_3_and_4(reads: int, writes: int) -> None:
    """In the browser's process: its command pipe on fd 3, its replies on fd 4."""
    reads, writes = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (reads, writes))
    os.dup2(reads, 3)
    os.dup2(writes, 4)


@pytest.fixture(scope="module")
def recorder():
    proxy = RequestRecorder()
    yield proxy
    proxy.close()


def _load(browser: str, page: Path, proxy: RequestRecorder, profile: Path):
    """The page's DOM once every chart drew, and the URLs the page requested."""
    tools = DevTools(browser, profile, proxy.port)
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        tools.call("Network.enable", session)
        tools.call("Page.enable", session)
        tools.call("Page.navigate", session, url=page.as_uri())

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            drawn = tools.call(
                "Runtime.evaluate", session, expression=DRAWN, returnByValue=True
            )["result"].get("value")
            if drawn and tools.events("Page.loadEventFired"):
                break
            time.sleep(0.25)
        dom = tools.call(
            "Runtime.evaluate",
            session,
            expression="document.documentElement.outerHTML",
            returnByValue=True,
        )["result"]["value"]
        urls = [
            event["request"]["url"]
            for event in tools.events("Network.requestWillBeSent")
        ]
    finally:
        tools.close()
    return dom, urls


def _chart_bodies(dom: str) -> dict[str, str]:
    """Each chart's element id and the markup inside it, up to the next chart."""
    starts = [(match.group(1), match.end()) for match in CHART.finditer(dom)]
    bodies = {}
    for index, (element, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(dom)
        bodies[element] = dom[start:end]
    return bodies


def test_the_recorder_sees_a_page_that_fetches(recorder, tmp_path) -> None:
    """A page with a remote image is caught: the check above can fail."""
    page = tmp_path / "fetches.html"
    page.write_text('<img src="http://example.invalid/x.png">', encoding="utf-8")

    _, urls = _load(_browser(), page, recorder, tmp_path / "profile")

    assert "http://example.invalid/x.png" in urls


@pytest.mark.parametrize("page", ["index", *NOTEBOOKS])
def test_page_renders_offline(sample_report, recorder, tmp_path, page) -> None:
    """The page draws every chart as an SVG with marks and requests nothing remote."""
    browser = _browser()
    path = sample_report.index.parent / f"{page}.html"

    dom, urls = _load(browser, path, recorder, tmp_path / "profile")
    charts = _chart_bodies(dom)

    assert [url for url in urls if not url.startswith(LOCAL)] == []
    assert ">chart failed:" not in dom
    if page == "index":
        assert all(f'href="{name}.html"' in dom for name in NOTEBOOKS)
        return
    assert charts, f"{page} shows no chart"
    for element, body in charts.items():
        assert "<svg" in body, f"{page}: chart {element} drew nothing"
        assert 'class="mark-' in body, f"{page}: chart {element} has no marks"
