"""The static site: `index.html` (the show and its episodes) and one page per episode.

An episode page has an HTML5 audio player, a chapter list whose entries seek the player, and the
transcript. Pages are self-contained (inline CSS and a few lines of JS, no external assets) and use
relative links only, so the folder can be hosted under any URL. All user text goes through
`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from itertools import groupby
from urllib.parse import quote

from pipeline.mix.episode import Cue
from pipeline.mix.sidecars import speaker_label
from pipeline.publish.feed import EPISODES_DIR, FeedChapter, FeedItem, clean_text, newest_first
from pipeline.publish.settings import PodcastSettings

_LINK_NAMES = {"vtt": "WebVTT transcript", "srt": "SRT subtitles"}


def render_index(settings: PodcastSettings, cover: str, items: Iterable[FeedItem]) -> str:
    """The site's front page: the show, how to subscribe, and every episode, newest first."""
    entries = "\n".join(
        f"""<li class="episode">
  <a href="{_href(item.page)}"><span class="number">{item.number}</span> {escape(item.title)}</a>
  <p class="meta">{_meta(item)}</p>
  <p>{escape(item.description)}</p>
</li>"""
        for item in newest_first(items)
    ) or '<li class="empty">No episodes yet.</li>'
    body = f"""<header class="show">
  <img class="cover" src="{_href(cover)}" alt="" width="180" height="180">
  <div>
    <h1>{escape(settings.title)}</h1>
    <p class="byline">{escape(settings.author)}</p>
    <p>{escape(settings.description)}</p>
    <p class="subscribe"><a class="button" href="feed.xml">Podcast feed</a>
      <input readonly value="{escape(settings.feed_url)}" aria-label="Feed URL" onfocus="this.select()"></p>
  </div>
</header>
<main>
<h2>Episodes</h2>
<ol class="episodes">
{entries}
</ol>
</main>"""
    return _page(settings.language, settings.title, body, script="")


def render_episode_page(settings: PodcastSettings, cover: str, item: FeedItem, cues: Sequence[Cue]) -> str:
    """An episode's page (lives in ``episodes/``): player, chapters that seek it, transcript, downloads."""
    up = "../"
    chapter_list = "\n".join(
        f'<li><button type="button" data-start="{chapter.start_ms / 1000:.3f}">'
        f'<span class="time">{_clock(chapter.start_ms)}</span> {escape(chapter.title)}</button></li>'
        for chapter in item.chapters
    )
    # One chapter spanning the whole episode is no table of contents: show the list from two on.
    chapters = f'<section class="chapters">\n<h2>Chapters</h2>\n<ol>\n{chapter_list}\n</ol>\n</section>' \
        if len(item.chapters) > 1 else ""
    captions = next((path for kind, path in item.transcripts if kind == "vtt"), None)
    track = (f'<track kind="captions" src="{_sibling(captions)}" srclang="{escape(settings.language)}" '
             'label="Transcript">') if captions else ""
    downloads = [("MP3", item.audio)] + [(_LINK_NAMES[kind], path) for kind, path in item.transcripts]
    if item.chapters_json:
        downloads.append(("Chapters (JSON)", item.chapters_json))
    links = " · ".join(f'<a href="{_sibling(path)}">{escape(name)}</a>' for name, path in downloads)
    art = _sibling(item.image) if item.image else _href(up + cover)
    body = f"""<nav class="crumbs"><a href="{up}index.html">← {escape(settings.title)}</a></nav>
<main>
<header class="episode-head">
  <img class="cover" src="{art}" alt="" width="120" height="120">
  <div>
    <p class="meta">Episode {item.number} · {_meta(item)}</p>
    <h1>{escape(item.title)}</h1>
  </div>
</header>
<p class="description">{escape(item.description)}</p>
<audio id="player" controls preload="metadata" src="{_sibling(item.audio)}">{track}</audio>
{chapters}
{_transcript(item, cues)}
<footer><p>Download: {links}</p><p><a href="{up}feed.xml">Subscribe with the podcast feed</a></p></footer>
</main>"""
    return _page(settings.language, f"{item.title} · {settings.title}", body, script=_SEEK_SCRIPT)


def _transcript(item: FeedItem, cues: Sequence[Cue]) -> str:
    """The transcript under its chapters' headings, one paragraph per turn, each cue seeking the player."""
    if not cues:
        return ""
    named = len({cue.speaker for cue in cues}) > 1
    parts = ['<section class="transcript">', "<h2>Transcript</h2>"]
    for chapter, chapter_cues in groupby(cues, key=lambda cue: _chapter_at(item.chapters, cue.start_ms)):
        if chapter is not None and len(item.chapters) > 1:
            parts.append(f"<h3>{escape(chapter.title)}</h3>")
        for speaker, turn in groupby(chapter_cues, key=lambda cue: cue.speaker):
            turn = list(turn)
            label = f'<span class="speaker">{escape(speaker_label(speaker))}</span> ' if named else ""
            spoken = " ".join(map(_cue_span, turn))
            parts.append(f'<p><span class="time">{_clock(turn[0].start_ms)}</span> {label}{spoken}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _cue_span(cue: Cue) -> str:
    """One transcript cue, seeking the player to its start when clicked."""
    return f'<span class="cue" data-start="{cue.start_ms / 1000:.3f}">{escape(clean_text(cue.text))}</span>'


def _chapter_at(chapters: Sequence[FeedChapter], ms: int) -> FeedChapter | None:
    current = None
    for chapter in chapters:
        if chapter.start_ms <= ms:
            current = chapter
    return current


def _meta(item: FeedItem) -> str:
    date = item.pub_date
    return f"{date.day} {date:%B %Y} · {_duration(item.duration_s)}"


def _duration(seconds: int) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def _clock(ms: int) -> str:
    seconds = ms // 1000
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _href(path: str) -> str:
    return escape(quote(path))


def _sibling(path: str) -> str:
    """Link from an episode page to another file in ``episodes/``."""
    return _href(path.removeprefix(f"{EPISODES_DIR}/"))


def _page(language: str, title: str, body: str, script: str) -> str:
    script_tag = f"<script>\n{script}</script>\n" if script else ""
    return f"""<!doctype html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
{_CSS}</style>
</head>
<body>
{body}
{script_tag}</body>
</html>
"""


# Chapter buttons and transcript cues carry their start in seconds; a click seeks the player there.
_SEEK_SCRIPT = """(() => {
  const player = document.getElementById("player");
  const marks = [...document.querySelectorAll(".chapters [data-start]")];
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-start]");
    if (!target) return;
    player.currentTime = Number(target.dataset.start);
    player.play().catch(() => {});
  });
  player.addEventListener("timeupdate", () => {
    const now = player.currentTime + 0.05;
    const current = marks.filter((mark) => Number(mark.dataset.start) <= now).pop();
    marks.forEach((mark) => mark.classList.toggle("current", mark === current));
  });
})();
"""

_CSS = """:root { --ink: #1d1d1f; --muted: #6b6b70; --paper: #fbfaf7; --card: #fff; --line: #e6e2da;
  --accent: #a4502a; --accent-soft: #f6e6dc; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --ink: #ecebe8; --muted: #a3a29f; --paper: #161615;
  --card: #1f1f1d; --line: #34332f; --accent: #e79a6c; --accent-soft: #3a2a20; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main, .show, .crumbs { max-width: 46rem; margin: 0 auto; padding: 0 1.25rem; }
a { color: var(--accent); }
h1 { font-size: 2rem; line-height: 1.2; margin: .2rem 0 .4rem; letter-spacing: -.01em; }
h2 { font-size: 1.15rem; margin: 2.2rem 0 .8rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); }
h3 { font-size: 1.1rem; margin: 1.8rem 0 .5rem; }
.cover { border-radius: 10px; box-shadow: 0 4px 18px rgba(0, 0, 0, .18); object-fit: cover; flex: none; }
.show { display: flex; gap: 1.75rem; align-items: flex-start; padding-top: 2.5rem; padding-bottom: 1rem; }
.show > div { flex: 1; min-width: 0; }
.byline, .meta { color: var(--muted); margin: 0; font-size: .95rem; }
.subscribe { display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; }
.subscribe input { flex: 1; min-width: 14rem; font: .85rem ui-monospace, monospace; padding: .45rem .6rem;
  border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--ink); }
.button { background: var(--accent); color: #fff; padding: .45rem .9rem; border-radius: 6px;
  text-decoration: none; font-weight: 600; font-size: .95rem; }
.episodes { list-style: none; padding: 0; margin: 0; }
.episode { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.2rem;
  margin-bottom: .9rem; }
.episode > a { font-size: 1.2rem; font-weight: 650; text-decoration: none; }
.episode p { margin: .3rem 0 0; }
.number { display: inline-block; min-width: 1.8rem; padding: 0 .4rem; margin-right: .3rem; border-radius: 5px;
  background: var(--accent-soft); color: var(--accent); text-align: center; font-size: .9rem; }
.crumbs { padding-top: 1.2rem; font-size: .95rem; }
.crumbs a { text-decoration: none; }
.episode-head { display: flex; gap: 1.25rem; align-items: center; margin-top: 1.5rem; }
.description { font-size: 1.05rem; }
audio { width: 100%; margin: .8rem 0 0; }
.chapters ol { list-style: none; padding: 0; margin: 0; border: 1px solid var(--line); border-radius: 10px;
  background: var(--card); overflow: hidden; }
.chapters li + li { border-top: 1px solid var(--line); }
.chapters button { display: flex; gap: 1rem; width: 100%; padding: .7rem 1rem; border: 0; background: none;
  color: inherit; font: inherit; text-align: left; cursor: pointer; }
.chapters button:hover, .chapters button:focus-visible { background: var(--accent-soft); }
.chapters button.current { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.time { color: var(--muted); font: .85rem/1.9 ui-monospace, monospace; min-width: 3.2rem;
  display: inline-block; }
.transcript p { margin: 0 0 1rem; }
.speaker { font-weight: 650; }
.cue { cursor: pointer; border-radius: 3px; }
.cue:hover { background: var(--accent-soft); }
footer { margin: 2.5rem 0 3rem; padding-top: 1rem; border-top: 1px solid var(--line); color: var(--muted);
  font-size: .95rem; }
@media (max-width: 600px) { .show { flex-direction: column; } h1 { font-size: 1.6rem; } }
"""
