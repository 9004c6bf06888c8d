"""Podcast settings: the one file (`podcast.toml` in the site folder) that says what the show is.

Owns the show-level facts every feed needs (title, author, category, owner, base URL, cover) and
their validation, so a bad value is caught as one clear error before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from pipeline.errors import EssaycastError
from pipeline.files import read_text, write_text

SETTINGS_NAME = "podcast.toml"
"""The settings file's name inside the site folder."""

FEED_NAME = "feed.xml"
"""The feed's name inside the site folder."""

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The Podcasting 2.0 namespace UUID that channel podcast:guid values are derived under (UUIDv5)."""

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
        "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
        "Tech News"),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
        "Nature", "Physics", "Social Sciences"),
    "Society & Culture": (
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
        "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}
"""Apple Podcasts' category → subcategory table (the values `itunes:category` accepts)."""

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class PodcastSettings:
    """The show: everything the feed's channel and the site's header say about it."""

    title: str = "Essays, read aloud"
    """Show title."""
    author: str = "essaycast"
    """Who makes the show (itunes:author)."""
    description: str = "Essays turned into audio episodes."
    """What the show is about, a sentence or two."""
    language: str = "en"
    """BCP 47 language tag of the show."""
    category: str = "Arts"
    """Apple Podcasts category."""
    subcategory: str = "Books"
    """Apple Podcasts subcategory of `category` (empty for none)."""
    explicit: bool = False
    """Whether the show contains explicit content."""
    owner_name: str = ""
    """Contact name for podcast directories (itunes:owner); empty: the author."""
    owner_email: str = ""
    """Contact e-mail for podcast directories (itunes:owner); Apple requires one to list the show."""
    base_url: str = "http://127.0.0.1:8000/"
    """Public URL the site folder is served from; every feed link is absolute under it."""
    cover: str = ""
    """Cover image inside the site folder (1400–3000 px square JPEG/PNG); empty: generate cover.png."""
    guid: str = ""
    """Channel podcast:guid; set once from the feed URL and kept even if the show moves."""

    def __post_init__(self) -> None:
        checks = {
            "title": bool(self.title.strip()),
            "author": bool(self.author.strip()),
            "language": bool(_LANGUAGE.fullmatch(self.language)),
            "category": self.category in APPLE_CATEGORIES,
            "subcategory": self.subcategory in ("", *APPLE_CATEGORIES.get(self.category, ())),
            "owner_email": not self.owner_email or bool(_EMAIL.fullmatch(self.owner_email)),
            "base_url": _is_site_url(self.base_url),
            "cover": not Path(self.cover).is_absolute() and ".." not in Path(self.cover).parts,
        }
        for key, ok in checks.items():
            if not ok:
                raise EssaycastError(f"{SETTINGS_NAME}: bad {key} {getattr(self, key)!r}", hint=_HINTS[key])

    @property
    def site_url(self) -> str:
        """`base_url`, ending in exactly one slash."""
        return self.base_url.rstrip("/") + "/"

    @property
    def feed_url(self) -> str:
        """Where podcast apps subscribe."""
        return self.url(FEED_NAME)

    @property
    def channel_guid(self) -> str:
        """The show's podcast:guid: the stored one, else derived from the feed URL."""
        return self.guid or podcast_guid(self.feed_url)

    def url(self, relative: str) -> str:
        """Absolute URL of a file given by its path inside the site folder."""
        return self.site_url + quote(relative)

    @classmethod
    def load(cls, site: Path) -> PodcastSettings:
        """Read `podcast.toml` from the site folder."""
        path = Path(site) / SETTINGS_NAME
        try:
            data = tomllib.loads(read_text(path, "podcast settings"))
        except tomllib.TOMLDecodeError as exc:
            raise EssaycastError(f"{path} is not valid TOML: {exc}", hint="fix the line it names") from None
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise EssaycastError(f"{path}: unknown setting {unknown[0]!r}",
                                 hint=f"known settings: {', '.join(fields)}")
        for key, value in data.items():
            expected = bool if fields[key].type == "bool" else str
            if type(value) is not expected:
                raise EssaycastError(f"{path}: {key} must be a {expected.__name__}, got {value!r}")
        return cls(**data)

    @classmethod
    def init(cls, site: Path) -> PodcastSettings:
        """Write default settings into a site folder that has none, with the channel guid pinned."""
        path = Path(site) / SETTINGS_NAME
        if path.exists():
            raise EssaycastError(f"{path} already exists", hint="edit it, or delete it to start over")
        settings = cls()
        settings = dataclasses.replace(settings, guid=settings.channel_guid)
        settings.save(site)
        return settings

    def save(self, site: Path) -> None:
        """Write the settings (atomically), each key with a comment saying what it is."""
        lines = ["# essaycast podcast settings: edit freely, then run `essaycast publish` again.", ""]
        for f in dataclasses.fields(self):
            lines.append(f"# {_COMMENTS[f.name]}")
            lines.append(f"{f.name} = {_toml_value(getattr(self, f.name))}")
            lines.append("")
        write_text(Path(site) / SETTINGS_NAME, "\n".join(lines))


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 channel GUID of a feed URL: UUIDv5 of the URL minus scheme and trailing slashes."""
    parts = urlsplit(feed_url.strip())
    bare = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare.rstrip("/")))


def _is_site_url(url: str) -> bool:
    parts = urlsplit(url)
    plain = parts.hostname and not (parts.query or parts.fragment or any(ch.isspace() for ch in url))
    return parts.scheme in ("http", "https") and bool(plain)


def _toml_value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # TOML basic string: escape the quote, the backslash and every control character.
    escaped = "".join(
        f"\\u{ord(ch):04X}" if ord(ch) < 0x20 or ord(ch) == 0x7F else "\\" + ch if ch in '"\\' else ch
        for ch in value
    )
    return f'"{escaped}"'


_COMMENTS = {
    "title": "Show title.",
    "author": "Who makes the show.",
    "description": "What the show is about, a sentence or two.",
    "language": "Language of the show (BCP 47, e.g. en, en-GB, de).",
    "category": "Apple Podcasts category, e.g. Arts, Education, Society & Culture.",
    "subcategory": "Apple Podcasts subcategory of the category (empty for none), e.g. Books, Philosophy.",
    "explicit": "Whether the show contains explicit content.",
    "owner_name": "Contact name for podcast directories (empty: the author).",
    "owner_email": "Contact e-mail for podcast directories (Apple requires one to list the show).",
    "base_url": "Public URL this folder is served from (http://127.0.0.1:8000/ is `essaycast serve`).",
    "cover": "Cover image in this folder, 1400-3000 px square JPEG/PNG (empty: generate cover.png).",
    "guid": "The show's permanent podcast:guid; keep it when the show moves to another URL.",
}

_HINTS = {
    "title": "give the show a title",
    "author": "name the author",
    "language": "use a language tag such as en, en-US or de",
    "category": f"pick one of: {', '.join(APPLE_CATEGORIES)}",
    "subcategory": "pick a subcategory of the category (see Apple Podcasts categories), or leave it empty",
    "owner_email": "use an address like name@example.com, or leave it empty",
    "base_url": 'use an absolute http(s) URL such as base_url = "https://example.com/podcast/"',
    "cover": "give the image's path inside the site folder, e.g. cover = \"art.jpg\"",
}
