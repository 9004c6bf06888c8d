"""Two `essaycast publish` runs into one site at the same moment: both episodes land, nothing is lost.

Publishes queue up on the site's lock file. Each round starts two processes publishing two different
episodes and waits for both; the first round races into a folder that does not exist yet (so the
settings file, the cover and the lock file are created under contention too).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from test_publish_support import make_episode
from test_reliability_support import ESSAYCAST, environment

from pipeline.publish.feed import read_feed

ROUNDS = 4
"""Rounds of two simultaneous publishes."""


def test_two_publishes_at_once_both_land(tmp_path: Path) -> None:
    import feedparser
    import podcastparser

    site, published = tmp_path / "site", set()
    for round_number in range(ROUNDS):
        names = [f"round-{round_number}-{side}" for side in "ab"]
        episodes = [make_episode(tmp_path / "episodes", name, f"Round {round_number} {name[-1]}")
                    for name in names]
        processes = [subprocess.Popen([*ESSAYCAST, "publish", str(episode.audio), "--site", str(site)],
                                      cwd=tmp_path, env=environment(tmp_path / "cache"),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for episode in episodes]
        for process in processes:
            _, errors = process.communicate(timeout=300)
            assert process.returncode == 0, errors
        published |= set(names)

        items = read_feed(site / "feed.xml")
        assert {item.slug for item in items} == published
        assert sorted(item.number for item in items) == list(range(1, len(published) + 1))
        assert len({item.guid for item in items}) == len(items)
        data = (site / "feed.xml").read_bytes()
        assert len(feedparser.parse(data).entries) == len(published)
        assert len(podcastparser.parse("http://127.0.0.1:8000/feed.xml", io.BytesIO(data))["episodes"]) \
            == len(published)
        for item in items:
            assert (site / item.audio).stat().st_size == item.length and (site / item.page).is_file()
    index = (site / "index.html").read_text("utf-8")
    assert all(f"Round {n} {side}" in index for n in range(ROUNDS) for side in "ab")
