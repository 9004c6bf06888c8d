"""Publishing one episode into a site folder: its files, the feed entry and the pages, in one locked step.

An episode's identity is its slug (from the MP3's file name): publishing the same MP3 name again
updates that episode in place, keeping its GUID, number and date. Everything happens under the
site's lock file, so concurrent publishes into one site queue up and all land. The site is checked
before anything is written into it (`check_site`, which `make` also runs before synthesis), the MP3
must decode whole, and files the feed links are never rewritten in place (`pipeline.publish.media`):
new media go in under names of their own, then the page, then the feed (one atomic rename), then
the index; the files it no longer links are removed last.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import atomic_paths, check_writable, write_bytes, write_text
from pipeline.mix.episode import Episode
from pipeline.publish.cover import COVER_FORMATS, check_cover, draw_cover
from pipeline.publish.feed import (
    EPISODES_DIR,
    FeedChapter,
    FeedItem,
    clean_text,
    read_feed,
    render_feed,
)
from pipeline.publish.media import choose_version, media_name, needs_copy, orphans, verify_mp3
from pipeline.publish.settings import FEED_NAME, SETTINGS_NAME, PodcastSettings
from pipeline.publish.site import render_episode_page, render_index

LOCK_NAME = ".essaycast.lock"
"""The lock file inside the site folder that serialises publishes."""

LOCK_TIMEOUT_S = 300.0
"""How long a publish waits for another one into the same site to finish."""

ART_SUFFIXES = tuple(COVER_FORMATS.values())
"""Suffixes of an episode's own art in the site."""

INDEX_NAME = "index.html"
"""The site's front page."""

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

    check_episode(episode)
    site = Path(site)
    slug = episode_slug(episode.audio)
    check_site(site, slug)
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
        sources, warnings = _media_sources(episode, slug)
        folder = site / EPISODES_DIR
        version = choose_version(sources, folder, slug, earlier.version if earlier else None)
        installed = _install_media(sources, folder, slug, version)
        item = FeedItem(
            slug=slug,
            # Minted once, then read back from the feed, so it survives any change of settings.
            guid=earlier.guid if earlier else _item_guid(settings, slug),
            number=earlier.number if earlier else max((other.number for other in items), default=0) + 1,
            title=clean_text(title or episode.title or slug),
            description=clean_text(description or episode.description or _opening(episode)),
            pub_date=_pub_date(pub_date, earlier),
            duration_s=round(episode.duration_ms / 1000),
            length=(folder / media_name(slug, version, ".mp3")).stat().st_size,
            chapters=tuple(FeedChapter(chapter.start_ms, clean_text(chapter.title))
                           for chapter in episode.chapters),
            chapters_json=installed.get(".chapters.json"),
            transcripts=tuple((kind, path) for kind in ("vtt", "srt") if (path := installed.get(f".{kind}"))),
            image=next((path for suffix, path in installed.items() if suffix in ART_SUFFIXES), None),
            version=version,
        )
        items = [other for other in items if other.slug != slug] + [item]
        # The page before the feed that links it, like the media: a publish stopped between the two
        # (kill -9, a full disk) never leaves the feed pointing at a page that is not there.
        write_text(site / item.page, render_episode_page(settings, cover, item, episode.cues))
        write_bytes(site / FEED_NAME, render_feed(settings, cover, items))
        write_text(site / INDEX_NAME, render_index(settings, cover, items))
        for orphan in orphans(folder, slug, _linked(items)):  # replaced, or left by a killed publish
            with contextlib.suppress(OSError):
                orphan.unlink()
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


def check_episode(episode: Episode) -> None:
    """Refuse an episode whose MP3 does not decode whole, or whose chapters run past its audio."""
    found = verify_mp3(episode.audio)
    if episode.chapters and episode.chapters[-1].start_ms > found.seconds * 1000:
        raise EssaycastError(
            f"{episode.audio} is cut short: its chapter {episode.chapters[-1].title!r} starts at "
            f"{episode.chapters[-1].start_ms / 1000:.1f} s but its audio ends at {found.seconds:.1f} s",
            hint="render the episode again")


def check_site(site: Path, slug: str = "") -> None:
    """Refuse now, with the reason, a site a publish could not complete in: a feed.xml or podcast.toml
    that does not read, or a file the publish writes (feed, index, cover, the episode's page) that a
    folder stands in place of or that cannot be written. Writes nothing; `make` runs it before
    synthesis so a broken site costs no render."""
    site = Path(site)
    read_feed(site / FEED_NAME)
    if (site / SETTINGS_NAME).exists():
        settings = PodcastSettings.load(site)
        if settings.cover:
            check_cover(site / settings.cover)
    page = [site / EPISODES_DIR / f"{slug}.html"] if slug else []
    check_writable(site / FEED_NAME, site / INDEX_NAME, site / GENERATED_COVER, site / LOCK_NAME, *page)


def _media_sources(episode: Episode, slug: str) -> tuple[dict[str, Path], tuple[str, ...]]:
    """The episode's files to publish by name suffix (MP3, sidecars, art), and warnings about art."""
    sources = {".mp3": Path(episode.audio)}
    for suffix, source in ((".chapters.json", episode.chapters_json), (".vtt", episode.vtt),
                           (".srt", episode.srt)):
        if source is not None:
            if not Path(source).is_file():
                raise EssaycastError(f"episode file not found: {source}", hint="render the episode again")
            sources[suffix] = Path(source)
    if episode.cover is None:
        return sources, ()
    try:
        sources[check_cover(episode.cover)] = Path(episode.cover)
    except EssaycastError as exc:
        return sources, (f"{exc.message}; the episode shows the podcast's cover instead",)
    return sources, ()


def _install_media(sources: dict[str, Path], folder: Path, slug: str, version: str) -> dict[str, str]:
    """Copy the episode's files into ``episodes/`` under ``version``'s names, all or none (skipping
    identical copies); their site paths by suffix."""
    dests = {suffix: folder / media_name(slug, version, suffix) for suffix in sources}
    changed = {suffix: dest for suffix, dest in dests.items() if needs_copy(sources[suffix], dest)}
    with atomic_paths(changed) as tmp:
        for suffix, path in tmp.items():
            shutil.copyfile(sources[suffix], path)
    return {suffix: f"{EPISODES_DIR}/{dest.name}" for suffix, dest in dests.items()}


def _linked(items: list[FeedItem]) -> list[str]:
    """Every site path the published episodes link."""
    return [path for item in items for path in (item.audio, item.page, item.chapters_json, item.image,
                                                  *(path for _, path in item.transcripts)) if path]


def _pub_date(asked: datetime | None, earlier: FeedItem | None) -> datetime:
    """The date asked for (naive means local time), else the first publication's, else now."""
    if asked is not None:
        return asked if asked.tzinfo else asked.astimezone()
    return earlier.pub_date if earlier else datetime.now(UTC).replace(microsecond=0)


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
