"""SSML import: scripts written for cloud TTS engines, converted to a Script.

The subset read: ``<speak>`` (its ``xml:lang`` becomes the language), ``<voice name>`` (a speaker),
``<p>`` and ``<s>`` (segment boundaries), ``<break time|strength>`` (pauses) and ``<sub alias>``
(the alias is said). Other elements are transparent: their text is spoken, their markup dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.script.error import ScriptError
from pipeline.script.markdown import parse_duration
from pipeline.script.model import MAX_PAUSE_MS, NARRATOR, SPEAKER_RE, Cast, Pause, Script, Section, Segment

SENTENCE_PAUSE_MS = 350
"""Pause implied by the end of an ``<s>`` when no ``<break>`` follows it."""
PARAGRAPH_PAUSE_MS = 900
"""Pause implied by the end of a ``<p>`` when no ``<break>`` follows it."""

BREAK_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 250, "medium": 400, "strong": 750, "x-strong": 1200}
"""``<break strength>`` → milliseconds (``<break/>`` alone is medium, as in the SSML spec)."""

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def speaker_name(voice: str) -> str:
    """A cloud voice name (``en-US-Wavenet-D``) as a speaker name (``en-us-wavenet-d``); '' if none fits."""
    name = re.sub(r"[^a-z0-9_-]+", "-", voice.strip().lower())
    name = re.sub(r"^[^a-z]+", "", name)[:32]
    return name if SPEAKER_RE.match(name) else ""


@dataclass
class _Spoken:
    """A segment being collected: its pause is the breaks after it, or else its strongest boundary."""

    speaker: str
    text: str
    explicit_ms: int | None = None
    implied_ms: int = 0

    @property
    def pause_ms(self) -> int:
        return self.implied_ms if self.explicit_ms is None else self.explicit_ms


@dataclass
class _Events:
    """XMLParser target that turns elements into segments as they are read, knowing the current line."""

    path: str
    line: int = 1
    lines: list[str] = field(default_factory=list)
    root: str = ""
    language: str = ""
    voices: list[str] = field(default_factory=list)
    hidden: int = 0  # inside <sub alias>: the element's own text is replaced by the alias
    buffer: list[str] = field(default_factory=list)
    spoken: list[_Spoken] = field(default_factory=list)
    cast: dict[str, str] = field(default_factory=dict)

    def error(self, reason: str, tag: str = "") -> ScriptError:
        text = self.lines[self.line - 1] if 0 < self.line <= len(self.lines) else ""
        column = text.find(f"<{tag}") + 1 if tag else 1
        return ScriptError(self.path, self.line, max(column, 1), reason)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if not self.root:
            if name != "speak":
                raise self.error(f"SSML must start with <speak>, not <{name}>", name)
            self.root, self.language = name, attrs.get(_XML_LANG, "")
            return
        handler = _STARTS.get(name)
        if handler:
            handler(self, attrs)

    def end(self, tag: str) -> None:
        handler = _ENDS.get(_local(tag))
        if handler:
            handler(self)

    def data(self, text: str) -> None:
        if not self.hidden:
            self.buffer.append(text)

    def close(self) -> None:
        self.flush(0)

    def speaker(self) -> str:
        return self.voices[-1] if self.voices else NARRATOR

    def flush(self, implied_ms: int) -> None:
        """End the text read so far as a segment; a boundary implies a pause after the last segment."""
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if text:
            self.spoken.append(_Spoken(self.speaker(), text))
        if self.spoken:
            self.spoken[-1].implied_ms = max(self.spoken[-1].implied_ms, implied_ms)

    def voice_start(self, attrs: dict[str, str]) -> None:
        self.flush(0)
        name = speaker_name(attrs.get("name", ""))
        if not name:
            raise self.error(f"<voice name={attrs.get('name', '')!r}> does not name a usable speaker "
                             "(it needs a letter first)", "voice")
        self.cast.setdefault(name, name)
        self.voices.append(name)

    def voice_end(self) -> None:
        self.flush(0)
        self.voices.pop()

    def break_start(self, attrs: dict[str, str]) -> None:
        self.flush(0)
        if "time" in attrs:
            try:
                ms = parse_duration(attrs["time"].strip())
            except ValueError as exc:
                raise self.error(f"<break time>: {exc}", "break") from None
        else:
            strength = attrs.get("strength", "medium")
            if strength not in BREAK_STRENGTH_MS:
                known = ", ".join(BREAK_STRENGTH_MS)
                raise self.error(f"<break strength={strength!r}> is not one of {known}", "break")
            ms = BREAK_STRENGTH_MS[strength]
        if self.spoken:  # silence before the first words has nowhere to go in a Script
            last = self.spoken[-1]
            last.explicit_ms = min((last.explicit_ms or 0) + ms, MAX_PAUSE_MS)

    def sub_start(self, attrs: dict[str, str]) -> None:
        if self.hidden:
            self.hidden += 1
        elif "alias" in attrs:
            self.buffer.append(attrs["alias"])
            self.hidden = 1

    def sub_end(self) -> None:
        self.hidden = max(self.hidden - 1, 0)


_STARTS: dict[str, Callable[[_Events, dict[str, str]], None]] = {
    "voice": _Events.voice_start,
    "break": _Events.break_start,
    "sub": _Events.sub_start,
    "p": lambda events, attrs: events.flush(PARAGRAPH_PAUSE_MS),
    "s": lambda events, attrs: events.flush(SENTENCE_PAUSE_MS),
}
_ENDS: dict[str, Callable[[_Events], None]] = {
    "voice": _Events.voice_end,
    "sub": _Events.sub_end,
    "p": lambda events: events.flush(PARAGRAPH_PAUSE_MS),
    "s": lambda events: events.flush(SENTENCE_PAUSE_MS),
}


def from_ssml(text: str, path: str = "<ssml>", title: str = "") -> Script:
    """Convert an SSML document to a one-section Script; raise ScriptError at the bad line."""
    events = _Events(path, lines=text.splitlines())
    parser = ET.XMLParser(target=events)
    try:
        for number, line in enumerate(text.splitlines(keepends=True), 1):
            events.line = number
            parser.feed(line)
        parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise ScriptError(path, line, column + 1, f"bad SSML: {str(exc).split(':')[0]}") from None
    if not events.spoken:
        raise ScriptError(path, 1, 1, "the SSML document has nothing to say")
    last = events.spoken[-1]
    if last.explicit_ms is None:
        last.implied_ms = 0  # no silence after the last words unless the author asked for it
    try:
        segments = tuple(Segment(s.speaker, s.text, Pause(s.pause_ms)) for s in events.spoken)
        cast = Cast({NARRATOR: NARRATOR, **events.cast})
        language = events.language or "en"
        return Script(" ".join(title.split()), (Section("", segments),), cast, language=language)
    except ValueError as exc:
        raise ScriptError(path, None, None, str(exc)) from None
