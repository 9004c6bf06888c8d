"""Publishing one episode into a site folder: its files, the feed entry and the pages, in one locked step.

An episode's identity is its slug (from the MP3's file name): publishing the same MP3 name again
updates that episode in place, keeping its GUID, number and date. Everything happens under the
site's lock file, so concurrent publishes into one site queue up and all land; each file is written
atomically, and media go in before the feed that links them.
"""

from __future__ import annotations

import filecmp
import hashlib
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import atomic_path, write_bytes, write_text
from pipeline.mix.episode import Episode
from pipeline.publish.cover import check_cover, draw_cover
from pipeline.publish.feed import EPISODES_DIR, FeedChapter, FeedItem, Transcripts, read_feed, render_feed
from pipeline.publish.settings import FEED_NAME, SETTINGS_NAME, PodcastSettings
from pipeline.publish.site import render_episode_page, render_index

LOCK_NAME = ".essaycast.lock"
"""The lock file inside the site folder that serialises publishes."""

LOCK_TIMEOUT_S = 300.0
"""How long a publish waits for another one into the same site to finish."""

GENERATED_COVER = "cover.png"
"""Where the show's cover is drawn when podcast.toml names none."""

DESCRIPTION_CHARS = 300
"""Length of the transcript opening used as a description when the episode has none."""


@dataclass(frozen=True)
class Publication:
    """What one publish did."""

    item: FeedItem
    """The episode as the feed now lists it."""
    added: bool
    """True for a new episode, False when an earlier one with the same slug was updated."""
    site: Path
    """The site folder."""
    settings: PodcastSettings
    """The show's settings used."""
    settings_created: bool
    """True when podcast.toml did not exist and was written with defaults."""
    warnings: tuple[str, ...] = ()
    """Things published differently than asked, one line each (e.g. episode art podcast apps reject)."""

    @property
    def feed(self) -> Path:
        """The feed file."""
        return self.site / FEED_NAME

    @property
    def page(self) -> Path:
        """The episode's web page."""
        return self.site / self.item.page

    @property
    def feed_url(self) -> str:
        """Where podcast apps subscribe."""
        return self.settings.feed_url


def publish(
    episode: Episode,
    site: Path,
    *,
    title: str | None = None,
    description: str | None = None,
    pub_date: datetime | None = None,
) -> Publication:
    """Add ``episode`` to the site folder (or update it in place) and rewrite the feed and pages.

    ``title``/``description`` override the episode's own; ``pub_date`` (default: now for a new
    episode, unchanged for an update) sets its publication date. Creates the site folder and a
    default podcast.toml when missing. Refuses (EssaycastError) a missing or non-MP3 audio file and
    a feed.xml that does not parse, without touching anything.
    """
    from filelock import FileLock, Timeout

    check_mp3(episode.audio)
    site = Path(site)
    slug = episode_slug(episode.audio)
    try:
        site.mkdir(parents=True, exist_ok=True)
        lock = FileLock(site / LOCK_NAME, timeout=LOCK_TIMEOUT_S)
        lock.acquire()
    except Timeout:
        raise EssaycastError(f"{site} is locked by another publish that has not finished",
                             hint=f"wait for it, or delete {site / LOCK_NAME} if none is running") from None
    except OSError as exc:
        raise EssaycastError(f"cannot use {site} as the site folder: {exc.strerror or exc}") from None
    try:
        items = read_feed(site / FEED_NAME)  # first: a feed that does not parse stops everything
        settings_created = not (site / SETTINGS_NAME).exists()
        settings = PodcastSettings.init(site) if settings_created else PodcastSettings.load(site)
        cover = _show_cover(site, settings)
        earlier = next((item for item in items if item.slug == slug), None)
        length, chapters_json, transcripts = _install_media(episode, site, slug)
        image, warnings = _episode_art(episode, site, slug)
        item = FeedItem(
            slug=slug,
            # Minted once, then read back from the feed, so it survives any change of settings.
            guid=earlier.guid if earlier else _item_guid(settings, slug),
            number=earlier.number if earlier else max((other.number for other in items), default=0) + 1,
            title=title or episode.title or slug,
            description=description or episode.description or _opening(episode),
            pub_date=_pub_date(pub_date, earlier),
            duration_s=round(episode.duration_ms / 1000),
            length=length,
            chapters=tuple(FeedChapter(chapter.start_ms, chapter.title) for chapter in episode.chapters),
            chapters_json=chapters_json,
            transcripts=transcripts,
            image=image,
        )
        items = [other for other in items if other.slug != slug] + [item]
        # The page before the feed that links it, like the media: a publish stopped between the two
        # (kill -9, a full disk) never leaves the feed pointing at a page that is not there.
        write_text(site / item.page, render_episode_page(settings, cover, item, episode.cues))
        write_bytes(site / FEED_NAME, render_feed(settings, cover, items))
        write_text(site / "index.html", render_index(settings, cover, items))
    finally:
        lock.release()
    return Publication(item=item, added=earlier is None, site=site, settings=settings,
                       settings_created=settings_created, warnings=warnings)


def init_site(site: Path) -> PodcastSettings:
    """Create a site folder's podcast.toml with defaults (and its cover); refuses to overwrite one."""
    settings = PodcastSettings.init(site)
    _show_cover(Path(site), settings)
    return settings


def episode_slug(audio: Path) -> str:
    """The URL-safe name an episode's files get in the site, from its MP3's file name."""
    stem = Path(audio).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    # Names with no Latin letters at all (e.g. Japanese) still need a stable, distinct slug.
    return slug or f"episode-{hashlib.sha256(stem.encode()).hexdigest()[:10]}"


def check_mp3(path: Path) -> None:
    """Refuse a missing file or one that does not start like an MP3 (ID3 tag or MPEG audio frame)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(3)
    except FileNotFoundError:
        raise EssaycastError(f"episode audio not found: {path}", hint="check the MP3 path") from None
    except IsADirectoryError:
        raise EssaycastError(f"{path} is a directory, not an MP3") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read {path}: {exc.strerror or exc}") from None
    is_frame = len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    if not (head == b"ID3" or is_frame):
        raise EssaycastError(f"{path} is not an MP3 file", hint="podcast feeds need MP3 audio")


def _install_media(episode: Episode, site: Path, slug: str) -> tuple[int, str | None, Transcripts]:
    """Copy the MP3 and its sidecars into ``episodes/``: the MP3's size, chapters file, transcripts."""
    folder = site / EPISODES_DIR
    audio = _install(episode.audio, folder / f"{slug}.mp3")
    chapters_json = _install(episode.chapters_json, folder / f"{slug}.chapters.json")
    transcripts = tuple(
        (kind, path) for kind, source in (("vtt", episode.vtt), ("srt", episode.srt))
        if (path := _install(source, folder / f"{slug}.{kind}"))
    )
    return (site / audio).stat().st_size, chapters_json, transcripts


def _pub_date(asked: datetime | None, earlier: FeedItem | None) -> datetime:
    """The date asked for (naive means local time), else the first publication's, else now."""
    if asked is not None:
        return asked if asked.tzinfo else asked.astimezone()
    return earlier.pub_date if earlier else datetime.now(UTC).replace(microsecond=0)


def _episode_art(episode: Episode, site: Path, slug: str) -> tuple[str | None, tuple[str, ...]]:
    """Install the episode's own cover when podcast apps accept it; else the show's cover stands in."""
    if episode.cover is None:
        return None, ()
    try:
        suffix = check_cover(episode.cover)
    except EssaycastError as exc:
        return None, (f"{exc.message}; the episode shows the podcast's cover instead",)
    return _install(episode.cover, site / EPISODES_DIR / f"{slug}{suffix}"), ()


def _install(source: Path | None, dest: Path) -> str | None:
    """Copy a file into the site (atomically; skipped when an identical copy is there); its site path."""
    if source is None:
        return None
    source = Path(source)
    if not source.is_file():
        raise EssaycastError(f"episode file not found: {source}", hint="render the episode again")
    if not (dest.exists() and (dest.samefile(source) or filecmp.cmp(source, dest, shallow=False))):
        with atomic_path(dest) as tmp:
            shutil.copyfile(source, tmp)
    return f"{EPISODES_DIR}/{dest.name}"


def _show_cover(site: Path, settings: PodcastSettings) -> str:
    """The show's cover inside the site, checked; drawn from the title when podcast.toml names none."""
    if settings.cover:
        check_cover(site / settings.cover)
        return settings.cover
    if not (site / GENERATED_COVER).exists():
        draw_cover(site / GENERATED_COVER, settings.title, settings.author)
    return GENERATED_COVER


def _item_guid(settings: PodcastSettings, slug: str) -> str:
    """A new episode's GUID: UUIDv5 of its slug under the channel GUID, so it is unique across shows."""
    try:
        namespace = uuid.UUID(settings.channel_guid)
    except ValueError:  # a hand-set channel guid that is not a UUID still gives a stable namespace
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, settings.channel_guid)
    return str(uuid.uuid5(namespace, slug))


def _opening(episode: Episode) -> str:
    """The first words of the transcript, as a stand-in description."""
    text = " ".join(cue.text for cue in episode.cues).strip()
    if len(text) <= DESCRIPTION_CHARS:
        return text or episode.title
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
