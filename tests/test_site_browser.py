"""The episode page in a real browser: headless Chromium, driven over the DevTools protocol.

Chromium loads the page from `make_server` (so audio comes through the server's Range support, as
in a real visit), the audio element must report the episode's duration, and a real mouse click on a
chapter must seek the player to that chapter's start. A screenshot is kept in the test's tmp folder
and in output/test-artifacts/site.png for a person to look at.

The DevTools client is a few lines of stdlib (HTTP for the target list, a minimal WebSocket for the
commands), so the test needs nothing beyond the Debian `chromium` package (`make browser`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_publish_support import make_episode, prepared_site

from pipeline.publish import make_server, publish
from pipeline.publish.cover import draw_cover

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACT = Path(__file__).resolve().parents[1] / "output" / "test-artifacts" / "site.png"
TIMEOUT_S = 60.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs headless Chromium (make browser)"),
]


class DevTools:
    """A Chrome DevTools Protocol session over one page's WebSocket (RFC 6455, client side, text only)."""

    def __init__(self, ws_url: str) -> None:
        url = urlsplit(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=TIMEOUT_S)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += self.sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 101"), reply
        self.pending = reply.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (events arriving meanwhile are skipped)."""
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            message = json.loads(self._receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real left click (press and release) at page coordinates."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        self.sock.close()

    def _send(self, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        header = bytes([0x81])  # FIN + text frame
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", size)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self) -> bytes:
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(size)  # frames from the server are never masked
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message

    def _read(self, count: int) -> bytes:
        while len(self.pending) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools connection ended")
            self.pending += chunk
        data, self.pending = self.pending[:count], self.pending[count:]
        return data


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    draw_cover(tmp_path / "cover.png", "Essays, read aloud", "essaycast")
    site = prepared_site(tmp_path / "site", tmp_path / "cover.png",
                         description="Essays turned into audio episodes, read by open local voices.")
    episode = make_episode(tmp_path / "src", seconds=9.0,
                           description="A short review of a film about a man and his operating system.")
    publish(episode, site)
    httpd = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield f"http://{host}:{port}/", episode
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[subprocess.Popen]:
    profile = tmp_path / "chromium-profile"
    process = subprocess.Popen(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio",
         "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "--window-size=1100,1500", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def devtools_port(process: subprocess.Popen) -> int:
    """The port Chromium announces on stderr (``DevTools listening on ws://127.0.0.1:PORT/...``)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
        if match:
            return int(match[1])
    raise RuntimeError("Chromium did not start its DevTools endpoint")


def wait_for(devtools: DevTools, condition: str) -> Any:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        value = devtools.evaluate(condition)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {condition}")


def test_episode_page_plays_in_chromium_and_chapters_seek_the_player(
        served_site: tuple[str, Any], browser: subprocess.Popen, tmp_path: Path) -> None:
    base, episode = served_site
    port = devtools_port(browser)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT_S) as reply:
        [page] = [target for target in json.load(reply) if target["type"] == "page"]
    devtools = DevTools(page["webSocketDebuggerUrl"])
    try:
        devtools.call("Page.enable")
        devtools.call("Page.navigate", url=base)
        wait_for(devtools, "document.readyState === 'complete' && location.href.startsWith('http')")
        # From the index to the episode page, the way a visitor goes.
        devtools.evaluate("document.querySelector('.episode a').click()")
        wait_for(devtools, "location.pathname.endsWith('/episodes/her-review.html')"
                           " && document.readyState === 'complete'")

        duration = wait_for(devtools, "document.getElementById('player').readyState >= 1"
                                      " && document.getElementById('player').duration")
        assert duration == pytest.approx(episode.duration_ms / 1000, abs=0.1)

        for chapter in episode.chapters[1:]:
            box = devtools.evaluate(
                "(() => { const b = [...document.querySelectorAll('.chapters button')]"
                f".find(b => b.textContent.includes({json.dumps(chapter.title)}));"
                " b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();"
                " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
            devtools.click(*box)
            wait_for(devtools, "!document.getElementById('player').seeking")
            position = devtools.evaluate(
                "(() => { const p = document.getElementById('player'); p.pause(); return p.currentTime; })()")
            # Clicking also starts playback, so the clock may have moved on by a few frames.
            assert position == pytest.approx(chapter.start_ms / 1000, abs=0.25), chapter.title
            # The player's clock moved to the chapter: its button, and only it, is highlighted.
            highlighted = wait_for(devtools, "(() => { const c = [...document.querySelectorAll("
                                             "'.chapters button.current')]; return c.length === 1"
                                             f" && c[0].textContent.includes({json.dumps(chapter.title)})"
                                             " && c[0].textContent; })()")
            assert chapter.title in highlighted

        devtools.evaluate("window.scrollTo(0, 0)")
        metrics = devtools.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = devtools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                             clip={"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"],
                                   "scale": 1})
    finally:
        devtools.close()
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG")
    (tmp_path / "site.png").write_bytes(png)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "site.png", ARTIFACT)
