"""The Episode: a mastered audio file with its chapters, transcript cues and measured loudness.

This is what the mixing stage hands to publishing. ``Episode.load`` rebuilds it from an MP3 and
its sidecar files, so an episode can be published long after it was rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MASTER_SUFFIXES: tuple[str, ...] = (".flac", ".wav")
"""Lossless master formats, looked for beside the MP3 in this order."""
COVER_SUFFIXES: tuple[str, ...] = (".jpg", ".png")
"""Cover image copies, looked for beside the MP3 in this order."""


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
    album: str = ""
    """Podcast (or essay) title the episode belongs to."""
    date: str = ""
    """Recording date, ISO 8601."""

    @classmethod
    def load(cls, mp3: Path) -> Episode:
        """Rebuild an Episode from an MP3 written by the mixing stage and the sidecars beside it.

        Title, author, album, date, description, language, chapters and measured loudness come
        from the ID3 tag, the duration from the MPEG stream, cues from ``NAME.vtt``; sidecars and
        the lossless master / cover copy are set when the files exist. A missing file or one that
        is not an MP3 raises EssaycastError.
        """
        from mutagen.mp3 import MP3

        from pipeline.mix import sidecars
        from pipeline.mix.tags import read_tags
        from pipeline.script.model import NARRATOR

        mp3 = Path(mp3)
        tags = read_tags(mp3)
        present = {field: path for field in sidecars.SIDECAR_SUFFIXES
                   if (path := sidecars.sidecar_path(mp3, field)).is_file()}
        cues = sidecars.read_vtt(present["vtt"], NARRATOR) if "vtt" in present else ()

        def beside(suffixes: tuple[str, ...]) -> Path | None:
            return next((p for s in suffixes if (p := mp3.with_suffix(s)).is_file()), None)

        return cls(
            audio=mp3,
            title=tags.title,
            duration_ms=round(MP3(mp3).info.length * 1000),
            chapters=tags.chapters,
            cues=cues,
            author=tags.artist,
            description=tags.description,
            language=tags.language,
            loudness_lufs=tags.loudness_lufs,
            true_peak_dbtp=tags.true_peak_dbtp,
            cover=beside(COVER_SUFFIXES),
            master=beside(MASTER_SUFFIXES),
            album=tags.album,
            date=tags.date,
            **present,
        )
