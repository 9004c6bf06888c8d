"""The static site: pages escape user text, link only relatively, and carry player, chapters, transcript."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_publish_support import CHAPTER_TITLES, make_episode, prepared_site

from pipeline.publish import publish
from pipeline.publish.cover import draw_cover


class PageScan(HTMLParser):
    """Every link and element of a page, for looking at it like a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.links += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def scan(path: Path) -> PageScan:
    page = PageScan()
    page.feed(path.read_text())
    return page


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cover") / "cover.png"
    draw_cover(path, "Test show")
    return path


HOSTILE = '<script>alert("x")</script> & </title>'


def test_pages_escape_user_text_and_link_only_to_files_in_the_site(tmp_path: Path, cover: Path) -> None:
    site = prepared_site(tmp_path / "site", cover, title=HOSTILE, author=HOSTILE, description=HOSTILE)
    publish(make_episode(tmp_path / "src", name="a <b>", title=HOSTILE, description=HOSTILE), site)
    for page_path in (site / "index.html", site / "episodes/a-b.html"):
        html = page_path.read_text()
        assert "<script>alert" not in html
        page = scan(page_path)
        assert [tag for tag, _ in page.tags].count("script") <= 1  # only the page's own seek script
        assert HOSTILE in "".join(page.text)
        for link in page.links:
            assert "://" not in link and not link.startswith("/"), link
            assert (page_path.parent / link).resolve().is_file(), link


def test_episode_page_has_player_chapters_that_seek_and_the_transcript(tmp_path: Path, cover: Path) -> None:
    site = prepared_site(tmp_path / "site", cover)
    episode = make_episode(tmp_path / "src")
    publish(episode, site)
    page = scan(site / "episodes/her-review.html")
    [audio] = [attrs for tag, attrs in page.tags if tag == "audio"]
    assert audio["src"] == "her-review.mp3" and audio["preload"] == "metadata"
    assert [attrs["src"] for tag, attrs in page.tags if tag == "track"] == ["her-review.vtt"]
    buttons = [attrs for tag, attrs in page.tags if tag == "button"]
    assert [float(b["data-start"]) for b in buttons] == [c.start_ms / 1000 for c in episode.chapters]
    text = " ".join(page.text)
    for chapter_title in CHAPTER_TITLES:
        assert chapter_title in text
    for cue in episode.cues:
        assert cue.text in text
    assert "Samantha" in text and "Theodore" in text  # two voices: each turn is labelled
    cue_starts = [float(attrs["data-start"]) for tag, attrs in page.tags
                  if tag == "span" and attrs.get("class") == "cue"]
    assert cue_starts == [cue.start_ms / 1000 for cue in episode.cues]


def test_index_lists_every_episode_with_a_link_to_its_page_and_the_feed(tmp_path: Path, cover: Path) -> None:
    site = prepared_site(tmp_path / "site", cover)
    for name in ("first", "second"):
        publish(make_episode(tmp_path / "src", name=name, title=f"The {name} one"), site)
    page = scan(site / "index.html")
    assert {"episodes/first.html", "episodes/second.html", "feed.xml", "cover.png"} <= set(page.links)
    assert [attrs["value"] for tag, attrs in page.tags if tag == "input"] == ["https://example.com/pod/feed.xml"]
