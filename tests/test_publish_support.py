"""Shared builders for the publish-stage tests: tiny real MP3 episodes with their sidecar files.

No tests here; the test modules import these helpers (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.mix.episode import Chapter, Cue, Episode

CHAPTER_TITLES = ("Opening", "The middle part", "Closing")
"""Chapters of every test episode, evenly spaced over its length."""


def write_mp3(path: Path, seconds: float, rate: int = 44100) -> Path:
    """A real MP3 of a quiet tone (libsndfile's LAME encoder), ``seconds`` long."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, 0.1 * np.sin(2 * np.pi * 220 * t), rate, format="MP3")
    return path


def make_episode(folder: Path, name: str = "her-review", title: str = "Her, reviewed", seconds: float = 6.0,
                 description: str = "", cover: Path | None = None, sidecars: bool = True) -> Episode:
    """An Episode like the mix stage hands over: MP3, three chapters, cues, and (optionally) sidecars."""
    audio = write_mp3(folder / f"{name}.mp3", seconds)
    duration_ms = int(seconds * 1000)
    step = duration_ms // len(CHAPTER_TITLES)
    chapters = tuple(
        Chapter(chapter_title, i * step, duration_ms if i == len(CHAPTER_TITLES) - 1 else (i + 1) * step)
        for i, chapter_title in enumerate(CHAPTER_TITLES)
    )
    cues = tuple(
        Cue(chapter.start_ms + 100, chapter.start_ms + 900, speaker, f"{speaker} says line {i} of {title}.")
        for i, (chapter, speaker) in enumerate(zip(chapters, ("Samantha", "Theodore", "Samantha"), strict=True))
    )
    files: dict[str, Path] = {}
    if sidecars:
        files["chapters_json"] = folder / f"{name}.chapters.json"
        files["chapters_json"].write_text(json.dumps({"version": "1.2.0", "chapters": [
            {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title} for c in chapters]}))
        files["vtt"] = folder / f"{name}.vtt"
        files["vtt"].write_text("WEBVTT\n\n" + "".join(
            f"{_vtt(c.start_ms)} --> {_vtt(c.end_ms)}\n<v {c.speaker}>{c.text}\n\n" for c in cues))
        files["srt"] = folder / f"{name}.srt"
        files["srt"].write_text("".join(
            f"{i}\n{_vtt(c.start_ms).replace('.', ',')} --> {_vtt(c.end_ms).replace('.', ',')}\n{c.text}\n\n"
            for i, c in enumerate(cues, start=1)))
    return Episode(audio=audio, title=title, duration_ms=duration_ms, chapters=chapters, cues=cues,
                   author="Test Author", description=description, language="en", cover=cover, **files)


def _vtt(ms: int) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
