"""The Episode: a mastered audio file with its chapters, transcript cues and measured loudness.

This is what the mixing stage hands to publishing. ``Episode.load`` rebuilds it from an MP3 and
its sidecar files, so an episode can be published long after it was rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    """A section of the episode, as heard."""

    title: str
    """Section title."""
    start_ms: int
    """Where the section's audio begins."""
    end_ms: int
    """Where it ends (the next chapter's start, or the end of the episode)."""


@dataclass(frozen=True)
class Cue:
    """One transcript cue: one segment's words and when they are heard."""

    start_ms: int
    """When the speech starts."""
    end_ms: int
    """When the speech ends (before the pause after it)."""
    speaker: str
    """Who speaks (script speaker name)."""
    text: str
    """What is said."""


@dataclass(frozen=True)
class Episode:
    """A finished episode and the files that belong to it."""

    audio: Path
    """The MP3 (the file podcast apps download)."""
    title: str
    """Episode title."""
    duration_ms: int
    """Length of the audio."""
    chapters: tuple[Chapter, ...]
    """One per section, in order."""
    cues: tuple[Cue, ...]
    """One per segment, in order."""
    author: str = ""
    """Author / artist."""
    description: str = ""
    """Summary for the feed."""
    language: str = "en"
    """BCP 47 language tag."""
    loudness_lufs: float | None = None
    """Measured integrated loudness of the audio file."""
    true_peak_dbtp: float | None = None
    """Measured true peak of the audio file."""
    cover: Path | None = None
    """Cover image embedded/next to the episode, if any."""
    chapters_json: Path | None = None
    """Podcasting 2.0 chapters sidecar."""
    vtt: Path | None = None
    """WebVTT transcript sidecar."""
    srt: Path | None = None
    """SRT transcript sidecar."""
    master: Path | None = None
    """Lossless master (WAV/FLAC) when one was asked for."""
