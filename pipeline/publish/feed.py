"""The podcast feed: RSS 2.0 with the itunes, podcast (Podcasting 2.0), Podlove chapters and atom namespaces.

The feed is also the site's record of its episodes: `read_feed` turns an existing feed.xml back into
`FeedItem`s, and `render_feed` writes all of them again, so there is one source of truth and nothing
to fall out of step with it. Every episode's files live in the site's ``episodes/`` folder, named
after the episode's slug; links are rebuilt from the current base URL on every write.
"""

from __future__ import annotations

import email.utils
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline import __version__
from pipeline.errors import EssaycastError
from pipeline.publish.settings import PodcastSettings

EPISODES_DIR = "episodes"
"""Folder inside the site that holds every episode's audio, sidecars, art and page."""

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
}
"""Prefix → namespace URI of every namespace the feed uses."""

for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

TRANSCRIPT_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}
"""Transcript kind → the MIME type its podcast:transcript tag declares (WebVTT first: apps prefer it)."""

CHAPTERS_TYPE = "application/json+chapters"
"""MIME type of the Podcasting 2.0 chapters file."""

AUDIO_TYPE = "audio/mpeg"
"""MIME type of the enclosure."""

BIDI_CONTROLS = dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
"""Unicode bidirectional marks, embeddings, overrides and isolates (LRM … RLO, LRI … PDI), to drop."""

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_PSC_START = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?")

Transcripts = tuple[tuple[str, str], ...]
"""(kind, path) of each transcript file of an episode, kind being a key of `TRANSCRIPT_TYPES`."""


@dataclass(frozen=True)
class FeedChapter:
    """A chapter mark as the feed carries it (Podlove Simple Chapters)."""

    start_ms: int
    """Where the chapter starts."""
    title: str
    """Chapter title."""


@dataclass(frozen=True)
class FeedItem:
    """One published episode, as the feed records it; paths are relative to the site folder."""

    slug: str
    """The episode's identity: the name its files share in ``episodes/``."""
    guid: str
    """Permanent item GUID (never changes once published)."""
    number: int
    """Episode number (itunes:episode), in publishing order."""
    title: str
    """Episode title."""
    description: str
    """Episode summary (plain text)."""
    pub_date: datetime
    """When the episode was first published (timezone-aware)."""
    duration_s: int
    """Length in whole seconds (itunes:duration)."""
    length: int
    """Size of the MP3 in bytes (enclosure length)."""
    chapters: tuple[FeedChapter, ...] = ()
    """Chapter marks, in order."""
    chapters_json: str | None = None
    """Podcasting 2.0 chapters file."""
    transcripts: Transcripts = ()
    """Transcript files, WebVTT first."""
    image: str | None = None
    """Episode art, when the episode has its own."""
    version: str = ""
    """Tag in the names of an updated episode's files (``SLUG.VERSION.mp3``); empty: ``SLUG.mp3``."""

    @property
    def audio(self) -> str:
        """The MP3."""
        return f"{EPISODES_DIR}/{self.slug}.{self.version}.mp3" if self.version else \
            f"{EPISODES_DIR}/{self.slug}.mp3"

    @property
    def page(self) -> str:
        """The episode's web page."""
        return f"{EPISODES_DIR}/{self.slug}.html"


def read_feed(path: Path) -> list[FeedItem]:
    """The episodes of an existing feed (none if there is none yet); a feed that does not parse is refused."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise EssaycastError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _refuse(path, f"it is not well-formed XML ({exc})") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise _refuse(path, "it is not an RSS feed")
    items = []
    for index, element in enumerate(channel.iterfind("item"), start=1):
        try:
            items.append(_read_item(element))
        except ValueError as exc:
            raise _refuse(path, f"item {index} {exc}") from None
    return items


def render_feed(settings: PodcastSettings, cover: str, items: Iterable[FeedItem]) -> bytes:
    """The whole feed document for ``items`` (written newest first), as UTF-8 XML."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", settings.title)
    _text(channel, "link", settings.site_url)
    _text(channel, "description", description_html(settings.description or settings.title))
    _text(channel, "language", settings.language)
    _text(channel, "generator", f"essaycast {__version__}")
    _text(channel, "lastBuildDate", email.utils.format_datetime(datetime.now(UTC), usegmt=True))
    ET.SubElement(channel, _ns("atom", "link"),
                  {"href": settings.feed_url, "rel": "self", "type": "application/rss+xml"})
    image = ET.SubElement(channel, "image")
    _text(image, "url", settings.url(cover))
    _text(image, "title", settings.title)
    _text(image, "link", settings.site_url)
    _text(channel, _ns("itunes", "author"), settings.author)
    ET.SubElement(channel, _ns("itunes", "image"), {"href": settings.url(cover)})
    category = ET.SubElement(channel, _ns("itunes", "category"), {"text": settings.category})
    if settings.subcategory:
        ET.SubElement(category, _ns("itunes", "category"), {"text": settings.subcategory})
    _text(channel, _ns("itunes", "explicit"), "true" if settings.explicit else "false")
    _text(channel, _ns("itunes", "type"), "episodic")
    owner = ET.SubElement(channel, _ns("itunes", "owner"))
    _text(owner, _ns("itunes", "name"), settings.owner_name or settings.author)
    if settings.owner_email:
        _text(owner, _ns("itunes", "email"), settings.owner_email)
    _text(channel, _ns("podcast", "guid"), settings.channel_guid)
    for item in newest_first(items):
        channel.append(_item_element(settings, cover, item))
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def clean_text(text: str) -> str:
    """User text without bidirectional controls, which can make a title read backwards ("evil" shown as
    "live") in pages and podcast apps; right-to-left scripts need none of them to show correctly."""
    return text.translate(BIDI_CONTROLS)


def newest_first(items: Iterable[FeedItem]) -> list[FeedItem]:
    """Items in feed order: latest publication date first (the higher number first on a tie)."""
    return sorted(items, key=lambda item: (item.pub_date, item.number), reverse=True)


def description_html(text: str) -> str:
    """Plain text as the HTML podcast apps expect in <description>: escaped, one <p> per paragraph.

    Apps render descriptions as HTML, and parsers guess "HTML or not" from the text itself (a title
    such as "Why <br> matters" would lose its tag); marked-up paragraphs with escaped text come
    through every parser as exactly the text written.
    """
    paragraphs = [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
    return "".join(f"<p>{html.escape(part, quote=False)}</p>" for part in paragraphs)


def description_text(markup: str) -> str:
    """The plain text back from `description_html` output."""
    paragraphs = _PARAGRAPH.findall(markup) or [markup]
    return "\n\n".join(html.unescape(part) for part in paragraphs)


def psc_time(ms: int) -> str:
    """A Podlove chapter start: HH:MM:SS.mmm."""
    seconds, millis = divmod(max(0, ms), 1000)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}"


def _item_element(settings: PodcastSettings, cover: str, item: FeedItem) -> ET.Element:
    element = ET.Element("item")
    _text(element, "title", item.title)
    _text(element, "description", description_html(item.description))
    _text(element, "link", settings.url(item.page))
    ET.SubElement(element, "guid", {"isPermaLink": "false"}).text = item.guid
    _text(element, "pubDate", email.utils.format_datetime(item.pub_date.astimezone(UTC), usegmt=True))
    ET.SubElement(element, "enclosure",
                  {"url": settings.url(item.audio), "length": str(item.length), "type": AUDIO_TYPE})
    _text(element, _ns("itunes", "title"), item.title)
    _text(element, _ns("itunes", "duration"), str(item.duration_s))
    _text(element, _ns("itunes", "episode"), str(item.number))
    _text(element, _ns("itunes", "episodeType"), "full")
    ET.SubElement(element, _ns("itunes", "image"), {"href": settings.url(item.image or cover)})
    if item.chapters_json:
        ET.SubElement(element, _ns("podcast", "chapters"),
                      {"url": settings.url(item.chapters_json), "type": CHAPTERS_TYPE})
    for kind, path in item.transcripts:
        ET.SubElement(element, _ns("podcast", "transcript"), {
            "url": settings.url(path), "type": TRANSCRIPT_TYPES[kind], "language": settings.language})
    if item.chapters:
        chapters = ET.SubElement(element, _ns("psc", "chapters"), {"version": "1.2"})
        for chapter in item.chapters:
            ET.SubElement(chapters, _ns("psc", "chapter"), {"start": psc_time(chapter.start_ms),
                                                          "title": chapter.title})
    return element


def _read_item(element: ET.Element) -> FeedItem:
    """Rebuild a FeedItem from an ``<item>``; ValueError says what is missing or malformed."""
    guid = (element.findtext("guid") or "").strip()
    enclosure = element.find("enclosure")
    if not guid or enclosure is None or not enclosure.get("url"):
        raise ValueError("has no guid or no enclosure")
    image = element.find(_ns("itunes", "image"))
    chapters_json = element.find(_ns("podcast", "chapters"))
    kinds = {mime: kind for kind, mime in TRANSCRIPT_TYPES.items()}
    # Slugs have no dots (`episode_slug`): SLUG.mp3, or SLUG.VERSION.mp3 for an updated episode.
    slug, _, version = PurePosixPath(_site_path(enclosure.get("url", ""))).stem.partition(".")
    return FeedItem(
        slug=slug,
        version=version,
        guid=guid,
        number=int(element.findtext(_ns("itunes", "episode")) or 0),
        title=clean_text(element.findtext("title") or ""),
        description=clean_text(description_text(element.findtext("description") or "")),
        pub_date=_parse_date(element.findtext("pubDate") or ""),
        duration_s=int(element.findtext(_ns("itunes", "duration")) or 0),
        length=int(enclosure.get("length") or 0),
        chapters=tuple(
            FeedChapter(_parse_psc_time(chapter.get("start", "")), clean_text(chapter.get("title", "")))
            for chapter in element.iterfind(f"{_ns('psc', 'chapters')}/{_ns('psc', 'chapter')}")
        ),
        chapters_json=_site_path(chapters_json.get("url", "")) if chapters_json is not None else None,
        transcripts=tuple(
            (kinds[tag.get("type", "")], _site_path(tag.get("url", "")))
            for tag in element.iterfind(_ns("podcast", "transcript")) if tag.get("type") in kinds
        ),
        image=_episode_art(image.get("href", "")) if image is not None else None,
    )


def _site_path(url: str) -> str:
    """Where a linked episode file lives in the site: ``episodes/`` + the URL's file name."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    if not name or name.startswith("."):
        raise ValueError(f"links to {url!r}, which is not an episode file")
    return f"{EPISODES_DIR}/{name}"


def _episode_art(url: str) -> str | None:
    """The episode's own art, or None when the item shows the show's cover (which lives outside episodes/)."""
    path = PurePosixPath(unquote(urlsplit(url).path))
    return f"{EPISODES_DIR}/{path.name}" if path.parent.name == EPISODES_DIR else None


def _parse_date(text: str) -> datetime:
    try:
        date = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):  # Python 3.11 raises TypeError for some unparseable dates
        raise ValueError(f"has a pubDate {text!r} that is not an RFC 2822 date") from None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def _parse_psc_time(text: str) -> int:
    match = _PSC_START.fullmatch(text.strip())
    if not match:
        raise ValueError(f"has a chapter start {text!r} that is not HH:MM:SS.mmm")
    hours, minutes, seconds, millis = match.groups()
    seconds_total = (int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)
    return seconds_total * 1000 + int((millis or "0").ljust(3, "0"))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _ns(prefix: str, tag: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{tag}"


def _refuse(path: Path, why: str) -> EssaycastError:
    return EssaycastError(f"{path} cannot be read as a feed: {why}; it was left untouched",
                          hint="fix it or move it away, then publish again")
