"""Shared builders for the publish-stage tests: tiny real MP3 episodes as the mix stage leaves them.

No tests here; the test modules import these helpers (pytest puts this folder on sys.path). An episode
is a short MP3 tone with the mix stage's ID3 tags (title, chapters…) and sidecars (chapters JSON, VTT,
SRT) written by the mix stage's own writers, read back with `Episode.load` like `essaycast publish` does.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.files import write_text
from pipeline.mix import sidecars
from pipeline.mix.episode import Chapter, Cue, Episode
from pipeline.mix.tags import Tags, write_tags

CHAPTER_TITLES = ("Opening", "The middle part", "Closing")
"""Chapters of every test episode, evenly spaced over its length."""

SPEAKERS = ("samantha", "theodore", "samantha")
"""Who speaks in each chapter."""


def write_mp3(path: Path, seconds: float, rate: int = 44100) -> Path:
    """A real MP3 of a quiet tone (libsndfile's LAME encoder), ``seconds`` long."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, 0.1 * np.sin(2 * np.pi * 220 * t), rate, format="MP3")
    return path


def make_episode(folder: Path, name: str = "her-review", title: str = "Her, reviewed", seconds: float = 6.0,
                 description: str = "", cover: Path | None = None, sidecar_files: bool = True) -> Episode:
    """Render a test episode into ``folder`` (``NAME.mp3`` + sidecars) and load it as publish would."""
    audio = write_mp3(folder / f"{name}.mp3", seconds)
    duration_ms = int(seconds * 1000)
    step = duration_ms // len(CHAPTER_TITLES)
    chapters = tuple(
        Chapter(chapter_title, i * step, duration_ms if i == len(CHAPTER_TITLES) - 1 else (i + 1) * step)
        for i, chapter_title in enumerate(CHAPTER_TITLES)
    )
    cues = tuple(
        Cue(chapter.start_ms + 100, chapter.start_ms + 900, speaker, f"Line {i} of {title}.")
        for i, (chapter, speaker) in enumerate(zip(chapters, SPEAKERS, strict=True))
    )
    write_tags(audio, Tags(title=title, artist="Test Author", description=description, chapters=chapters))
    if sidecar_files:
        write_text(sidecars.sidecar_path(audio, "chapters_json"),
                   sidecars.chapters_json(chapters, title=title, author="Test Author", file_name=audio.name))
        write_text(sidecars.sidecar_path(audio, "vtt"), sidecars.vtt(cues))
        write_text(sidecars.sidecar_path(audio, "srt"), sidecars.srt(cues))
    if cover is not None:  # the mix stage keeps a copy of the cover beside the MP3
        audio.with_suffix(cover.suffix).write_bytes(cover.read_bytes())
    return Episode.load(audio)


def prepared_site(folder: Path, cover: Path, **settings: str | bool) -> Path:
    """A site folder with podcast.toml (``settings`` over the defaults) and a ready cover.png.

    ``cover`` is a cover drawn once per test session, so each test does not draw its own 3000 px PNG.
    """
    import dataclasses

    from pipeline.publish import PodcastSettings

    folder.mkdir(parents=True, exist_ok=True)
    defaults = PodcastSettings(base_url="https://example.com/pod/")
    dataclasses.replace(defaults, **{"guid": defaults.channel_guid, **settings}).save(folder)
    (folder / "cover.png").write_bytes(cover.read_bytes())
    return folder
