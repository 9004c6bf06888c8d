"""The feed as real podcast clients read it: gPodder's podcastparser and feedparser.

Also the feed as the site's record: republishing updates in place, nothing is ever dropped,
concurrent publishes all land, and a feed that does not parse is refused and left byte-identical.
"""

from __future__ import annotations

import email.utils
import html
import io
import multiprocessing
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import podcastparser
import pytest
from test_publish_support import CHAPTER_TITLES, make_episode, prepared_site

from pipeline.errors import EssaycastError
from pipeline.publish import publish
from pipeline.publish.cover import draw_cover
from pipeline.publish.feed import read_feed

BASE = "https://example.com/pod/"


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cover") / "cover.png"
    draw_cover(path, "Test show", "Test Author")
    return path


@pytest.fixture
def site(tmp_path: Path, cover: Path) -> Path:
    return prepared_site(tmp_path / "site", cover)


def parse_both(site: Path) -> tuple[dict, feedparser.FeedParserDict]:
    data = (site / "feed.xml").read_bytes()
    return podcastparser.parse(BASE + "feed.xml", io.BytesIO(data)), feedparser.parse(data)


def test_both_parsers_read_the_episode_with_its_enclosure_duration_guid_and_chapters(
        tmp_path: Path, site: Path) -> None:
    episode = make_episode(tmp_path / "src", description="A film review, read aloud.")
    done = publish(episode, site)
    gpodder, feed = parse_both(site)
    url = BASE + "episodes/her-review.mp3"
    size = (site / "episodes/her-review.mp3").stat().st_size
    assert size == episode.audio.stat().st_size

    [ep] = gpodder["episodes"]
    assert ep["title"] == "Her, reviewed"
    assert ep["enclosures"] == [{"url": url, "file_size": size, "mime_type": "audio/mpeg"}]
    assert ep["total_time"] == round(episode.duration_ms / 1000)
    assert ep["guid"] == done.item.guid
    assert ep["number"] == 1
    assert [(c["start"], c["title"]) for c in ep["chapters"]] == [
        (c.start_ms // 1000, c.title) for c in episode.chapters]
    assert gpodder["title"] == "Essays, read aloud"
    assert gpodder["cover_url"] == BASE + "cover.png"

    [entry] = feed.entries
    assert entry.title == "Her, reviewed"
    assert [(e.href, int(e.length), e.type) for e in entry.enclosures] == [(url, size, "audio/mpeg")]
    assert entry.itunes_duration == str(round(episode.duration_ms / 1000))
    assert entry.id == done.item.guid and entry.guidislink is False
    assert [(c.start_parsed, c.title) for c in entry.psc_chapters.chapters] == [
        (timedelta(milliseconds=c.start_ms), c.title) for c in episode.chapters]
    assert entry.podcast_chapters == {"url": BASE + "episodes/her-review.chapters.json",
                                      "type": "application/json+chapters"}
    # feedparser keeps only the last of repeated tags: the SRT, written after the VTT.
    assert entry.podcast_transcript == {"url": BASE + "episodes/her-review.srt",
                                        "type": "application/x-subrip", "language": "en"}
    assert feed.feed.podcast_guid == done.settings.channel_guid
    assert feed.namespaces["podcast"] == "https://podcastindex.org/namespace/1.0"
    assert feed.bozo is False


def test_item_links_every_sidecar_and_the_copies_match_the_originals(tmp_path: Path, site: Path) -> None:
    episode = make_episode(tmp_path / "src")
    publish(episode, site)
    xml = (site / "feed.xml").read_text()
    for source, mime in ((episode.vtt, "text/vtt"), (episode.srt, "application/x-subrip")):
        assert f'url="{BASE}episodes/{source.name}" type="{mime}"' in xml
        assert (site / "episodes" / source.name).read_bytes() == source.read_bytes()
    assert (site / "episodes/her-review.chapters.json").read_bytes() == episode.chapters_json.read_bytes()
    assert '<guid isPermaLink="false">' in xml


def test_pubdate_is_rfc2822_and_channel_has_the_itunes_tags(tmp_path: Path, site: Path) -> None:
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    publish(make_episode(tmp_path / "src"), site, pub_date=when)
    gpodder, feed = parse_both(site)
    pub_date = re.search(r"<pubDate>(.*)</pubDate>", (site / "feed.xml").read_text())[1]
    assert email.utils.parsedate_to_datetime(pub_date) == when
    assert gpodder["episodes"][0]["published"] == int(when.timestamp())
    assert gpodder["explicit"] is False  # Apple's current true/false; feedparser 6 knows only yes/clean
    assert feed.feed.tags[0].term == "Arts"
    assert feed.feed.author_detail.name == "essaycast"
    assert feed.feed.publisher_detail.name == "essaycast"
    assert feed.feed.image.href == BASE + "cover.png"
    assert feed.feed.language == "en"


def test_republishing_updates_in_place_keeping_guid_number_and_date(tmp_path: Path, site: Path) -> None:
    first = publish(make_episode(tmp_path / "src"), site, pub_date=datetime(2024, 1, 1, tzinfo=UTC))
    again = publish(make_episode(tmp_path / "src", seconds=3.0), site, title="Her, reviewed again")
    assert not again.added and first.added
    gpodder, feed = parse_both(site)
    [ep] = gpodder["episodes"]
    assert len(feed.entries) == 1
    assert ep["title"] == "Her, reviewed again"
    assert ep["guid"] == first.item.guid
    assert ep["number"] == 1
    assert ep["total_time"] == 3
    assert ep["published"] == int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    assert ep["enclosures"][0]["file_size"] == (tmp_path / "src/her-review.mp3").stat().st_size


def test_publishing_never_drops_episodes_and_lists_newest_first(tmp_path: Path, site: Path) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day, name in enumerate(("one", "two", "three")):
        publish(make_episode(tmp_path / "src", name=name, title=f"Episode {name}"), site,
                pub_date=start + timedelta(days=day))
    publish(make_episode(tmp_path / "src", name="two", title="Episode two, fixed"), site)
    gpodder, feed = parse_both(site)
    assert [e["title"] for e in gpodder["episodes"]] == ["Episode three", "Episode two, fixed", "Episode one"]
    assert [e["number"] for e in gpodder["episodes"]] == [3, 2, 1]
    assert len({e.id for e in feed.entries}) == 3
    index = (site / "index.html").read_text()
    assert index.index("Episode three") < index.index("Episode two, fixed") < index.index("Episode one")


def test_xml_special_characters_survive_both_parsers(tmp_path: Path, site: Path) -> None:
    title = "Fish & Chips < Sauce > \"quoted\" 'apos' ]]> é 日本"
    description = "Tags like <b>bold</b> & <![CDATA[x]]> stay text.\n\nSecond <p> paragraph."
    publish(make_episode(tmp_path / "src", title=title, description=description), site)
    gpodder, feed = parse_both(site)
    ep, entry = gpodder["episodes"][0], feed.entries[0]
    assert ep["title"] == title
    assert entry.title == title
    paragraphs = description.split("\n\n")
    assert ep["description_html"] == "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    # feedparser hands back the (sanitised) HTML; the text a client shows is exactly what was written.
    shown = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", entry.summary)]
    assert shown == paragraphs
    [chapter] = [c for c in ep["chapters"] if c["title"] == CHAPTER_TITLES[1]]
    assert read_feed(site / "feed.xml")[0].title == title
    assert read_feed(site / "feed.xml")[0].description == description
    assert chapter


def _publish_in_child(folder: str, site: str, name: str) -> None:
    publish(make_episode(Path(folder), name=name, title=f"Concurrent {name}"), Path(site))


def test_two_concurrent_publishes_both_land(tmp_path: Path, site: Path) -> None:
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_publish_in_child, args=(str(tmp_path / name), str(site), name))
                for name in ("left", "right")]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0]
    gpodder, feed = parse_both(site)
    assert sorted(e["title"] for e in gpodder["episodes"]) == ["Concurrent left", "Concurrent right"]
    assert sorted(e["number"] for e in gpodder["episodes"]) == [1, 2]
    assert len(feed.entries) == 2


@pytest.mark.parametrize("corrupt", [
    b"<rss><channel><item><title>half a feed",
    b"not xml at all",
    b"<html><body>a web page</body></html>",
    b'<rss version="2.0"><channel><item><title>no enclosure</title><guid>x</guid></item></channel></rss>',
])
def test_a_feed_that_does_not_parse_is_refused_and_kept_byte_identical(
        tmp_path: Path, site: Path, corrupt: bytes) -> None:
    (site / "feed.xml").write_bytes(corrupt)
    before = _listing(site)
    with pytest.raises(EssaycastError, match=r"cannot be read as a feed.*left untouched"):
        publish(make_episode(tmp_path / "src"), site)
    assert (site / "feed.xml").read_bytes() == corrupt
    assert _listing(site) == before


def test_bad_audio_is_refused_before_anything_is_written(tmp_path: Path, site: Path) -> None:
    episode = make_episode(tmp_path / "src")
    before = _listing(site)
    fake = tmp_path / "fake.mp3"
    fake.write_text("this is not audio")
    for audio, message in ((tmp_path / "missing.mp3", "not found"), (fake, "not an MP3")):
        with pytest.raises(EssaycastError, match=message):
            publish(type(episode)(**{**episode.__dict__, "audio": audio}), site)
    assert _listing(site) == before


def test_a_fresh_site_gets_settings_and_a_generated_cover(tmp_path: Path) -> None:
    site = tmp_path / "new-site"
    done = publish(make_episode(tmp_path / "src"), site)
    assert done.settings_created
    assert (site / "podcast.toml").is_file()
    from PIL import Image

    with Image.open(site / "cover.png") as image:
        assert (image.format, image.size) == ("PNG", (3000, 3000))
    assert done.feed_url == "http://127.0.0.1:8000/feed.xml"


def test_episode_art_is_used_when_valid_and_replaced_by_the_show_cover_when_not(
        tmp_path: Path, site: Path, cover: Path) -> None:
    done = publish(make_episode(tmp_path / "a", name="with-art", cover=cover), site)
    assert done.item.image == "episodes/with-art.png" and not done.warnings
    from PIL import Image

    small = tmp_path / "small.png"
    Image.new("RGB", (500, 500)).save(small)
    done = publish(make_episode(tmp_path / "b", name="small-art", cover=small), site)
    assert done.item.image is None
    assert "500×500" in done.warnings[0]
    gpodder, _ = parse_both(site)
    assert [e["episode_art_url"] for e in gpodder["episodes"]] == [BASE + "cover.png",
                                                                  BASE + "episodes/with-art.png"]
    assert read_feed(site / "feed.xml")[1].image == "episodes/with-art.png"


def test_moving_the_site_rewrites_every_link_and_keeps_guids(tmp_path: Path, site: Path, cover: Path) -> None:
    first = publish(make_episode(tmp_path / "src", name="one"), site)
    prepared_site(site, cover, base_url="https://elsewhere.example/show", guid=first.settings.channel_guid)
    publish(make_episode(tmp_path / "src", name="two"), site)
    xml = (site / "feed.xml").read_text()
    assert BASE not in xml
    assert xml.count("https://elsewhere.example/show/episodes/one.mp3") == 1
    _, feed = parse_both(site)
    assert first.item.guid in {entry.id for entry in feed.entries}
    assert feed.feed.podcast_guid == first.settings.channel_guid


def _listing(site: Path) -> list[str]:
    """The site's files, minus the lock file (which stays once a publish has started)."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.name != ".essaycast.lock")
