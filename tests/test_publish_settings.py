"""Podcast settings (podcast.toml): defaults, round trip, validation, the channel podcast:guid."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import EssaycastError
from pipeline.publish.settings import APPLE_CATEGORIES, PodcastSettings, podcast_guid


def test_podcast_guid_matches_the_podcasting_20_spec_example() -> None:
    # The example in the podcast namespace spec: https://mp3s.nashownotes.com/pc20rss.xml
    expected = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == expected
    assert podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == expected


def test_init_writes_defaults_with_the_guid_pinned_and_refuses_to_overwrite(tmp_path: Path) -> None:
    settings = PodcastSettings.init(tmp_path)
    assert settings.guid == podcast_guid("http://127.0.0.1:8000/feed.xml")
    assert PodcastSettings.load(tmp_path) == settings
    text = (tmp_path / "podcast.toml").read_text()
    assert text.count("\n# ") >= len(dataclasses.fields(settings))  # every key explained
    with pytest.raises(EssaycastError, match="already exists"):
        PodcastSettings.init(tmp_path)
    assert (tmp_path / "podcast.toml").read_text() == text


def test_the_guid_stays_when_the_show_moves(tmp_path: Path) -> None:
    settings = PodcastSettings.init(tmp_path)
    moved = dataclasses.replace(settings, base_url="https://example.org/show")
    assert moved.channel_guid == settings.guid
    assert moved.feed_url == "https://example.org/show/feed.xml"
    assert dataclasses.replace(moved, guid="").channel_guid == podcast_guid("https://example.org/show/feed.xml")


printable = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(title=printable.filter(str.strip), description=printable, author=printable.filter(str.strip),
       explicit=st.booleans())
def test_any_text_round_trips_through_the_toml_file(tmp_path_factory, title: str, description: str,
                                                    author: str, explicit: bool) -> None:
    folder = tmp_path_factory.mktemp("settings")
    settings = PodcastSettings(title=title, description=description, author=author, explicit=explicit)
    settings.save(folder)
    assert PodcastSettings.load(folder) == settings


@pytest.mark.parametrize(("line", "message"), [
    ('base_url = "example.com/podcast"', "bad base_url"),
    ('base_url = "ftp://example.com/"', "bad base_url"),
    ('base_url = "https:///nohost"', "bad base_url"),
    ('base_url = "https://example.com/?x=1"', "bad base_url"),
    ('base_url = "https://example.com/my podcast/"', "bad base_url"),
    ('category = "Cooking"', "bad category"),
    ('subcategory = "Philosophy"', "bad subcategory"),
    ('language = "english please"', "bad language"),
    ('owner_email = "not an address"', "bad owner_email"),
    ('title = "  "', "bad title"),
    ('cover = "../outside.png"', "bad cover"),
    ('explicit = "no"', "explicit must be a bool"),
    ('colour = "blue"', "unknown setting 'colour'"),
    ('title = "unterminated', "not valid TOML"),
])
def test_bad_settings_are_one_line_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "podcast.toml").write_text(line + "\n")
    with pytest.raises(EssaycastError, match=message) as caught:
        PodcastSettings.load(tmp_path)
    assert "\n" not in str(caught.value)


def test_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EssaycastError, match="podcast settings not found"):
        PodcastSettings.load(tmp_path)


def test_urls_are_absolute_under_the_base_url_and_quoted() -> None:
    settings = PodcastSettings(base_url="https://example.com/podcast")
    assert settings.site_url == "https://example.com/podcast/"
    assert settings.url("episodes/a b&c.mp3") == "https://example.com/podcast/episodes/a%20b%26c.mp3"


def test_every_category_pair_in_the_table_is_accepted() -> None:
    for category, subcategories in APPLE_CATEGORIES.items():
        for subcategory in ("", *subcategories):
            assert PodcastSettings(category=category, subcategory=subcategory).category == category
