"""`essaycast serve` as a person runs it: prints the feed URL, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from test_publish_support import make_episode

from pipeline.publish import publish


def test_serve_prints_the_feed_url_serves_it_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish(make_episode(tmp_path / "src"), site)
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", str(site), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] not in ("Press Ctrl-C to stop.\n", ""):  # "": it exited
            lines.append(server.stdout.readline())
        match = re.fullmatch(r"Podcast feed: (http://127\.0\.0\.1:\d+/feed\.xml)\n", lines[1])
        assert match, lines
        # The feed's links point at the default base URL, not at this port: serve says so.
        assert "base_url in podcast.toml" in lines[2]
        with urllib.request.urlopen(match[1], timeout=10) as reply:
            assert reply.headers["Content-Type"] == "application/rss+xml"
            assert reply.read() == (site / "feed.xml").read_bytes()
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0
    assert "Traceback" not in err
    assert "Stopped." in out
