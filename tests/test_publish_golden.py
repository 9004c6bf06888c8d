"""The feed format pinned down: fixture items + settings → tests/fixtures/publish/feed.xml, and back.

`render_feed` must reproduce the checked-in feed (all but its build date), and `read_feed` must read
it back into exactly the fixture items, so the feed stays a lossless record of the episodes.
After an intended format change: ``ESSAYCAST_REGENERATE=1 pytest tests/test_publish_golden.py``.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from pipeline.publish.feed import FeedChapter, FeedItem, read_feed, render_feed
from pipeline.publish.settings import PodcastSettings

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
BUILD_DATE = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>")


def fixture_items() -> list[FeedItem]:
    return [
        FeedItem(**{
            **raw,
            "pub_date": datetime.fromisoformat(raw["pub_date"]),
            "chapters": tuple(FeedChapter(start, title) for start, title in raw["chapters"]),
            "transcripts": tuple(tuple(pair) for pair in raw["transcripts"]),
        })
        for raw in json.loads((FIXTURES / "items.json").read_text())
    ]


def test_rendering_the_fixture_items_gives_the_checked_in_feed() -> None:
    settings = PodcastSettings.load(FIXTURES)
    rendered = render_feed(settings, settings.cover, reversed(fixture_items()))
    golden = FIXTURES / "feed.xml"
    if os.environ.get("ESSAYCAST_REGENERATE"):
        golden.write_bytes(rendered)
    assert BUILD_DATE.sub(b"", rendered) == BUILD_DATE.sub(b"", golden.read_bytes())


def test_reading_the_checked_in_feed_gives_the_fixture_items() -> None:
    assert read_feed(FIXTURES / "feed.xml") == fixture_items()
