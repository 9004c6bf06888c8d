"""Sidecar files beside an episode MP3: Podcasting 2.0 chapters JSON, WebVTT and SRT transcripts.

``NAME.mp3`` has ``NAME.chapters.json``, ``NAME.vtt`` and ``NAME.srt`` next to it. Times come from
the assembly (where each segment really is in the audio). The VTT carries the speaker as the cue
voice (``<v Samantha>``), so ``read_vtt`` gives back the speaker of every cue.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.mix.episode import Chapter, Cue

CHAPTERS_VERSION = "1.2.0"
"""Version of the Podcasting 2.0 JSON chapters format written."""

SIDECAR_SUFFIXES: dict[str, str] = {"chapters_json": ".chapters.json", "vtt": ".vtt", "srt": ".srt"}
"""Episode field → file name suffix replacing ``.mp3``."""

_VTT_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}\s+-->\s+{_VTT_TIME}")
_VTT_VOICE = re.compile(r"<v(?:\.[^ \t>]+)*[ \t]+([^>]*)>")
_VTT_TAG = re.compile(r"</?[^>]*>")
_SRT_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|\{\\[^{}]*\}")


def sidecar_path(mp3: Path, field: str) -> Path:
    """Where the sidecar ``field`` (a key of ``SIDECAR_SUFFIXES``) of ``mp3`` lives."""
    mp3 = Path(mp3)
    return mp3.with_name(mp3.stem + SIDECAR_SUFFIXES[field])


def speaker_label(speaker: str) -> str:
    """How a script speaker is shown to listeners (``samantha`` → ``Samantha``); ``lower()`` inverts it."""
    return speaker.title()


def chapters_json(chapters: Sequence[Chapter], *, title: str, author: str, file_name: str) -> str:
    """Podcasting 2.0 JSON chapters (times in seconds)."""
    doc: dict[str, object] = {"version": CHAPTERS_VERSION, "title": title}
    if author:
        doc["author"] = author
    doc["fileName"] = file_name
    doc["chapters"] = [
        {"startTime": chapter.start_ms / 1000, "endTime": chapter.end_ms / 1000, "title": chapter.title}
        for chapter in chapters
    ]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _timing(cue: Cue, separator: str) -> str:
    return f"{_timestamp(cue.start_ms, separator)} --> {_timestamp(cue.end_ms, separator)}"


def vtt(cues: Sequence[Cue]) -> str:
    """A WebVTT transcript: one cue per segment, the speaker as the cue voice."""
    blocks = ["WEBVTT\n"]
    for number, cue in enumerate(cues, 1):
        voice = html.escape(speaker_label(cue.speaker), quote=False)
        blocks.append(
            f"{number}\n{_timing(cue, '.')}\n<v {voice}>{html.escape(cue.text, quote=False)}\n"
        )
    return "\n".join(blocks)


def srt(cues: Sequence[Cue]) -> str:
    """An SRT transcript; lines are prefixed with the speaker when more than one person speaks."""
    several = len({cue.speaker for cue in cues}) > 1
    blocks = []
    for number, cue in enumerate(cues, 1):
        text = _SRT_MARKUP.sub(_inert, cue.text)
        line = f"{speaker_label(cue.speaker)}: {text}" if several else text
        blocks.append(f"{number}\n{_timing(cue, ',')}\n{line}\n")
    return "\n".join(blocks)


def _inert(markup: re.Match[str]) -> str:
    """Tag-like text made plain for SRT, which has no escapes and whose players obey <b>, <font> and
    {\\an8}: angle brackets become look-alike quotes (the words stay), an override loses its backslash."""
    text = markup.group()
    return f"‹{text[1:-1]}›" if text.startswith("<") else text.replace("\\", "", 1)


SIDECAR_WRITERS: dict[str, Callable[..., str]] = {"vtt": vtt, "srt": srt}
"""Transcript sidecar field → renderer from cues."""


def _ms(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def read_vtt(path: Path, default_speaker: str) -> tuple[Cue, ...]:
    """The cues of a WebVTT file (speaker from the cue voice, else ``default_speaker``)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise EssaycastError(f"cannot read transcript {path}: {exc}") from None
    if not text.startswith("WEBVTT"):
        raise EssaycastError(f"{path} is not a WebVTT file", hint="render the episode again")
    cues = []
    for block in re.split(r"\r?\n\s*\r?\n", text):
        lines = block.strip().splitlines()
        for at, line in enumerate(lines):
            timing = _VTT_TIMING.search(line)
            if timing:
                payload = " ".join(lines[at + 1:])
                voice = _VTT_VOICE.search(payload)
                speaker = voice.group(1).strip().lower() if voice else default_speaker
                words = html.unescape(_VTT_TAG.sub("", payload)).strip()
                times = timing.groups()
                start, end = _ms(*times[:4]), _ms(*times[4:])
                cues.append(Cue(start_ms=start, end_ms=end, speaker=speaker, text=words))
                break
    return tuple(cues)
