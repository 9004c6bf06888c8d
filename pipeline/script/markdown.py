"""The Markdown script format: parse a script file into a Script and write one back.

The grammar is specified in docs/script-format.md; in short: TOML front matter between ``+++`` lines,
``## Title {speaker=profile}`` section headings, paragraphs of speech (``@name:`` gives one to a
character), ``[pause 800ms]`` markup, ``<!-- comments -->`` and backslash escapes. ``write`` emits the
canonical form, and ``parse(write(s)) == s`` for every valid Script.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal

from pipeline.script.error import ScriptError
from pipeline.script.model import (
    MAX_PAUSE_MS,
    NARRATOR,
    SPEAKER_RE,
    Audio,
    Cast,
    Pause,
    Pronunciation,
    Script,
    Section,
    Segment,
    lexicon_entry,
)

FENCE = "+++"
"""Opens and closes the TOML front matter (the Hugo convention)."""

_ESCAPABLE = frozenset(string.punctuation)
"""A backslash before any ASCII punctuation character makes it literal text (as in CommonMark)."""

_SPECIAL = re.compile(r"[\\\[]|<!--")
_HEADING = re.compile(r"##(?=\s|\Z)")
_OTHER_HEADING = re.compile(r"(?:#|###|####|#####|######)(?=\s|\Z)")
_SPEAKER_LINE = re.compile(r"@([^\s:]*):")
_BRACKET = re.compile(r"\[([^\]]*)\]")
_PAUSE = re.compile(r"\s*pause(?=\s|\Z)\s*(.*?)\s*\Z", re.S)
_DURATION = re.compile(r"(-?)(\d+(?:\.\d+)?)\s*(ms|s)\Z")
_CAST_BLOCK = re.compile(r"\{([^{}]*)\}\s*\Z")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*\Z")
_UNIT_MS = {"ms": 1, "s": 1000}
_LIMIT_MINUTES = MAX_PAUSE_MS // 60000

_AUDIO_TYPES: dict[str, type] = {f.name: type(f.default) for f in fields(Audio)}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- writing ---------------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: JSON escaping plus DEL, which TOML also forbids raw."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: object) -> str:
    return toml_string(value) if isinstance(value, str) else repr(value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def _toml_entry(entry: Pronunciation) -> str:
    return toml_string(entry.respelling) if entry.respelling else f"{{ ipa = {toml_string(entry.ipa)} }}"


def format_pause(pause: Pause) -> str:
    """Pause markup in canonical form: whole seconds as ``[pause 2s]``, anything else in ms."""
    length = f"{pause.ms // 1000}s" if pause.ms and pause.ms % 1000 == 0 else f"{pause.ms}ms"
    return f"[pause {length}]"


def escape_text(text: str) -> str:
    """Segment text as markup: backslash, ``[`` and ``<!--`` escaped anywhere, ``@``/``#`` at the start."""
    text = text.replace("\\", "\\\\").replace("[", "\\[").replace("<!--", "\\<!--")
    return "\\" + text if text[0] in "@#" else text


def escape_title(title: str) -> str:
    """A section title as heading text: backslash and ``{`` (which would open a cast block) escaped."""
    return title.replace("\\", "\\\\").replace("{", "\\{")


def _front_matter(script: Script) -> list[str]:
    lines = [FENCE, f"title = {toml_string(script.title)}"]
    lines += [f"{key} = {toml_string(value)}" for key, value in
              (("author", script.author), ("description", script.description)) if value]
    lines.append(f"language = {toml_string(script.language)}")
    if script.cover:
        lines.append(f"cover = {toml_string(script.cover)}")
    lines += ["", "[cast]"]
    lines += [f"{name} = {toml_string(profile)}" for name, profile in script.cast.voices.items()]
    if script.lexicon:
        lines += ["", "[lexicon]"]
        lines += [f"{_toml_key(word)} = {_toml_entry(entry)}" for word, entry in script.lexicon.items()]
    if script.audio != Audio():
        lines += ["", "[audio]"]
        lines += [f"{f.name} = {_toml_value(getattr(script.audio, f.name))}" for f in fields(Audio)
                  if getattr(script.audio, f.name) != f.default]
    lines.append(FENCE)
    return lines


def _heading(section: Section) -> str:
    cast = " ".join(f"{name}={profile}" for name, profile in section.cast.voices.items())
    parts = ["##", escape_title(section.title) if section.title else "", f"{{{cast}}}" if cast else ""]
    return " ".join(part for part in parts if part)


def _paragraphs(section: Section) -> list[str]:
    """The section's speech: one segment per line; a paragraph holds one speaker's run of paused lines."""
    paragraphs: list[list[str]] = []
    previous: Segment | None = None
    for segment in section.segments:
        line = escape_text(segment.text)
        if previous is None or not previous.pause_after or previous.speaker != segment.speaker:
            paragraphs.append([])
            if segment.speaker != NARRATOR:
                line = f"@{segment.speaker}: {line}"
        if segment.pause_after:
            line += " " + format_pause(segment.pause_after)
        if segment.note:
            line += f" <!-- {segment.note} -->"
        paragraphs[-1].append(line)
        previous = segment
    return ["\n".join(lines) for lines in paragraphs]


def write(script: Script) -> str:
    """The script as Markdown in canonical form (the inverse of ``parse``)."""
    blocks = ["\n".join(_front_matter(script))]
    blocks += [f"<!-- {note} -->" for note in script.notes]
    for index, section in enumerate(script.sections):
        if index or section.title or section.cast:
            blocks.append(_heading(section))
        blocks += _paragraphs(section)
    return "\n\n".join(blocks) + "\n"


# --- parsing ---------------------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """``800ms``, ``1.5s`` or ``2 s`` → whole milliseconds; ValueError with a one-line reason otherwise."""
    if not text:
        raise ValueError("a pause needs a length")
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"bad pause length {_shorten(text)!r}")
    if match[1] and Decimal(match[2]):
        raise ValueError(f"a pause cannot be negative ({_shorten(text)})")
    ms = Decimal(match[2]) * _UNIT_MS[match[3]]
    if ms > MAX_PAUSE_MS:
        raise ValueError(f"a pause of {_shorten(text)} is longer than the {_LIMIT_MINUTES}-minute limit")
    if ms != ms.to_integral_value():
        raise ValueError(f"a pause must be whole milliseconds ({_shorten(text)})")
    return int(ms)


@dataclass
class _SegmentDraft:
    """A segment being read: mutable until its section is complete."""

    speaker: str
    text: str
    line: int
    column: int
    pause_ms: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _SectionDraft:
    """A section being read."""

    title: str
    cast: dict[str, str]
    line: int
    column: int
    segments: list[_SegmentDraft] = field(default_factory=list)


@dataclass
class _OpenComment:
    """A comment that has not reached its ``-->`` yet."""

    line: int
    column: int
    parts: list[str]


class _Parser:
    """One pass over the lines of a script; keeps the paragraph and section being read."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.meta: dict[str, object] = {"title": ""}
        self.cast = Cast({NARRATOR: NARRATOR})
        self.notes: list[str] = []
        self.sections: list[_SectionDraft] = []
        self.comment: _OpenComment | None = None
        self.speaker = NARRATOR
        self.speaker_at: tuple[int, int] | None = None  # where an explicit @name: line started
        self.paragraph: list[_SegmentDraft] = []
        self.buffer: list[str] = []
        self.buffer_at: tuple[int, int] = (0, 0)
        self.pending_notes: list[str] = []

    def error(self, line: int, column: int, reason: str, hint: str = "") -> ScriptError:
        return ScriptError(self.path, line, column, reason, hint=hint)

    # front matter

    def front_matter(self) -> int:
        """Read the front matter if there is one; return the index of the first body line."""
        if self.lines[0].rstrip() != FENCE:
            return 0
        end = next((i for i in range(1, len(self.lines)) if self.lines[i].rstrip() == FENCE), None)
        if end is None:
            raise self.error(1, 1, f"front matter opened with '{FENCE}' is never closed",
                             f"end it with a line of '{FENCE}'")
        body = "\n".join(self.lines[1:end])
        try:
            data = tomllib.loads(body)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            position = _TOML_POSITION.search(message)
            # tomllib counts from the first TOML line; "at end of document" means after the last one
            if position:
                line, column = int(position[1]) + 1, int(position[2])
            else:
                line, column = end, len(self.lines[end - 1]) + 1
            reason = _TOML_POSITION.sub("", message).removesuffix(" (at end of document)")
            raise self.error(line, column, f"bad front matter: {reason}") from None
        for key, value in data.items():
            handler = _FRONT_MATTER_KEYS.get(key)
            if handler is None:
                raise self.error(self.key_line(key, end), 1, f"unknown front matter key {key!r}",
                                 f"known keys: {', '.join(_FRONT_MATTER_KEYS)}")
            handler(self, key, value, end)
        return end + 1

    def key_line(self, key: str, end: int, table: str | None = None) -> int:
        """The line where ``key`` (inside ``[table]``, if given) is set; the fence line if not found."""
        pattern = re.compile(rf"\s*(?:\[\s*)?[\"']?{re.escape(key)}[\"']?\s*[=\].]")
        in_table = table is None
        for index in range(1, end):
            line = self.lines[index].strip()
            if table is not None and line.startswith("["):
                in_table = re.fullmatch(rf"\[\s*{re.escape(table)}\s*\]", line) is not None
            if in_table and pattern.match(line):
                return index + 1
        return 1

    def _text_key(self, key: str, value: object, end: int) -> None:
        if not isinstance(value, str):
            raise self.error(self.key_line(key, end), 1, f"{key} must be a string")
        if key in _ONE_LINE_KEYS and value != _collapse(value):
            raise self.error(self.key_line(key, end), 1, f"{key} must be one line without surrounding or "
                             "repeated spaces")
        self.meta[key] = value

    def _cast_key(self, key: str, value: object, end: int) -> None:
        if not isinstance(value, dict):
            raise self.error(self.key_line(key, end), 1, "cast must be a table of speaker = \"profile\"")
        for speaker, profile in value.items():
            if not isinstance(profile, str):
                raise self.error(self.key_line(speaker, end, "cast"), 1,
                                 f"the voice profile of {speaker!r} must be a string")
            try:
                Cast({speaker: profile})
            except ValueError as exc:
                raise self.error(self.key_line(speaker, end, "cast"), 1, str(exc)) from None
        self.cast = Cast({NARRATOR: NARRATOR, **value})

    def _lexicon_key(self, key: str, value: object, end: int) -> None:
        if not isinstance(value, dict):
            raise self.error(self.key_line(key, end), 1, 'lexicon must be a table of word = "respelling"')
        lexicon = {}
        for word, entry in value.items():
            try:
                lexicon[word] = lexicon_entry(word, entry)
            except ValueError as exc:
                raise self.error(self.key_line(word, end, "lexicon"), 1, str(exc)) from None
        self.meta["lexicon"] = lexicon

    def _audio_key(self, key: str, value: object, end: int) -> None:
        if not isinstance(value, dict):
            raise self.error(self.key_line(key, end), 1, "audio must be a table")
        settings: dict[str, object] = {}
        for name, setting in value.items():
            line = self.key_line(name, end, "audio")
            kind = _AUDIO_TYPES.get(name)
            if kind is None:
                raise self.error(line, 1, f"unknown audio setting {name!r}",
                                 f"known settings: {', '.join(_AUDIO_TYPES)}")
            accepted = (int, float) if kind is float else (kind,)
            if not isinstance(setting, accepted) or isinstance(setting, bool):
                raise self.error(line, 1, f"audio {name} must be {_TYPE_NAMES[kind]}")
            settings[name] = float(setting) if kind is float else setting
        try:
            self.meta["audio"] = Audio(**settings)
        except ValueError as exc:
            raise self.error(self.key_line(key, end), 1, str(exc)) from None

    # body

    def body(self, start: int) -> None:
        for index in range(start, len(self.lines)):
            raw, lineno = self.lines[index], index + 1
            if self.comment is not None:
                close = raw.find("-->")
                if close < 0:
                    self.comment.parts.append(raw)
                    continue
                self.comment.parts.append(raw[:close])
                comment, self.comment = self.comment, None
                self.on_comment(" ".join(comment.parts), comment.line, comment.column)
                self.inline(raw, close + 3, lineno)
                continue
            stripped = raw.lstrip()
            indent = len(raw) - len(stripped)
            if not stripped.strip():
                self.end_paragraph()
            elif _HEADING.match(stripped):
                self.end_paragraph()
                self.heading(stripped[2:], lineno, indent + 3)
            elif _OTHER_HEADING.match(stripped):
                raise self.error(lineno, indent + 1, "only '## ' headings make sections",
                                 "use '## Title', or write '\\#' for a literal '#'")
            else:
                position = indent
                speaker = _SPEAKER_LINE.match(stripped)
                if speaker:
                    self.end_paragraph()
                    self.speaker_line(speaker[1], lineno, indent + 2)
                    position += speaker.end()
                self.inline(raw, position, lineno)
        if self.comment is not None:
            raise self.error(self.comment.line, self.comment.column, "comment '<!--' is never closed",
                             "end it with '-->'")
        self.end_paragraph()
        self.check_section_has_speech()

    def speaker_line(self, name: str, line: int, column: int) -> None:
        if not SPEAKER_RE.match(name):
            raise self.error(line, column, f"bad speaker name {name!r}",
                             "use lowercase letters, digits, - or _; write '\\@' for a literal '@'")
        if name not in self.cast:
            raise self.error(line, column, f"unknown speaker {name!r} (cast: {', '.join(self.cast)})",
                             "add the speaker to [cast] in the front matter")
        self.speaker, self.speaker_at = name, (line, column - 1)

    def heading(self, rest: str, line: int, column: int) -> None:
        title: list[str] = []
        cast: dict[str, str] = {}
        index = 0
        while index < len(rest):
            char = rest[index]
            if char == "\\" and index + 1 < len(rest) and rest[index + 1] in _ESCAPABLE:
                title.append(rest[index + 1])
                index += 2
                continue
            if char == "{":
                cast = self.cast_block(rest[index:], line, column + index)
                break
            title.append(char)
            index += 1
        text = _collapse("".join(title))
        self.check_section_has_speech()
        if not text and self.sections:
            raise self.error(line, 1, "a heading needs a title (only the first section may be untitled)")
        self.sections.append(_SectionDraft(text, cast, line, 1))

    def cast_block(self, block: str, line: int, column: int) -> dict[str, str]:
        match = _CAST_BLOCK.match(block)
        if not match:
            raise self.error(line, column, "a heading's cast block looks like {narrator=amy samantha=kim} "
                             "and ends the line", "write '\\{' for a literal brace in a title")
        cast: dict[str, str] = {}
        for pair in re.finditer(r"\S+", match[1]):
            at = column + 1 + pair.start()
            speaker, equals, profile = pair[0].partition("=")
            if not equals or not SPEAKER_RE.match(speaker) or not SPEAKER_RE.match(profile):
                raise self.error(line, at, f"bad cast entry {_shorten(pair[0])!r} (write speaker=profile, "
                                 "lowercase names)")
            if speaker not in self.cast:
                raise self.error(line, at, f"unknown speaker {speaker!r} (cast: {', '.join(self.cast)})",
                                 "add the speaker to [cast] in the front matter")
            if speaker in cast:
                raise self.error(line, at, f"speaker {speaker!r} is cast twice in this heading")
            cast[speaker] = profile
        return cast

    def check_section_has_speech(self) -> None:
        if self.sections and not self.sections[-1].segments:
            section = self.sections[-1]
            what = f"section {section.title!r}" if section.title else "the untitled first section"
            raise self.error(section.line, section.column, f"{what} has nothing to say",
                             "add speech under the heading or remove it")

    def inline(self, raw: str, position: int, line: int) -> None:
        """Read the rest of a line of speech: text, escapes, pauses and comments."""
        while True:
            special = _SPECIAL.search(raw, position)
            end = special.start() if special else len(raw)
            self.add_text(raw[position:end], line, position + 1)
            if special is None:
                break
            position = end
            if raw.startswith("<!--", position):
                close = raw.find("-->", position + 4)
                if close < 0:
                    self.comment = _OpenComment(line, position + 1, [raw[position + 4:]])
                    return
                self.on_comment(raw[position + 4:close], line, position + 1)
                position = close + 3
            elif raw[position] == "[":
                position = self.pause(raw, position, line)
            elif position + 1 < len(raw) and raw[position + 1] in _ESCAPABLE:
                self.add_text(raw[position + 1], line, position + 1)
                position += 2
            else:
                self.add_text("\\", line, position + 1)
                position += 1
        self.buffer.append(" ")

    def add_text(self, text: str, line: int, column: int) -> None:
        if not text:
            return
        if not any(part.strip() for part in self.buffer):
            stripped = text.lstrip()
            if not stripped:
                return
            self.buffer_at = (line, column + len(text) - len(stripped))
        self.buffer.append(text)

    def pause(self, raw: str, position: int, line: int) -> int:
        """Read ``[pause …]`` at ``position``; return the position after it."""
        bracket = _BRACKET.match(raw, position)
        if bracket is None:
            raise self.error(line, position + 1, "unclosed '['", "write '\\[' for a literal bracket")
        markup = _PAUSE.match(bracket[1])
        if markup is None:
            raise self.error(line, position + 1, f"unknown markup {_shorten(bracket[0])!r}",
                             "the only bracket markup is [pause 800ms]; write '\\[' for a literal bracket")
        self.apply_pause(self.duration(markup[1], line, position + 1), line, position + 1)
        return bracket.end()

    def duration(self, text: str, line: int, column: int) -> int:
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise self.error(line, column, str(exc), "write e.g. [pause 800ms] or [pause 1.5s]") from None

    def apply_pause(self, ms: int, line: int, column: int) -> None:
        if self.has_text():
            self.finish_segment(ms)
            return
        # A pause with no new speech before it lengthens the pause after the segment before.
        previous = self.sections[-1].segments[-1] if self.sections and self.sections[-1].segments else None
        if previous is None:
            raise self.error(line, column, "a pause needs speech before it in its section")
        if previous.pause_ms + ms > MAX_PAUSE_MS:
            raise self.error(line, column, f"pauses add up to more than the {_LIMIT_MINUTES}-minute limit")
        previous.pause_ms += ms

    def on_comment(self, content: str, line: int, column: int) -> None:
        note = _collapse(content)
        target: list[str] | None
        if self.has_text():
            target = self.pending_notes
        elif self.paragraph:
            target = self.paragraph[-1].notes
        elif not self.sections:
            target = self.notes
        else:
            return  # a comment between paragraphs is for whoever edits the file, not the model
        if "--" in note or note.endswith("-"):
            raise self.error(line, column, "a comment cannot contain '--' or end with '-'")
        if note or target is self.notes:
            target.append(note)

    def has_text(self) -> bool:
        return any(part.strip() for part in self.buffer)

    def finish_segment(self, pause_ms: int) -> None:
        line, column = self.buffer_at
        if not self.sections:
            self.sections.append(_SectionDraft("", {}, line, column))
        segment = _SegmentDraft(self.speaker, _collapse("".join(self.buffer)), line, column, pause_ms,
                                self.pending_notes)
        self.sections[-1].segments.append(segment)
        self.paragraph.append(segment)
        self.buffer, self.pending_notes = [], []

    def end_paragraph(self) -> None:
        if self.has_text():
            self.finish_segment(0)
        if self.speaker_at and not self.paragraph:
            raise self.error(*self.speaker_at, f"'@{self.speaker}:' has nothing to say")
        self.speaker, self.speaker_at, self.paragraph, self.buffer = NARRATOR, None, [], []

    # model

    def script(self) -> Script:
        if not self.sections:
            raise self.error(1, 1, "the script has nothing to say",
                             "write a paragraph of speech or a '## Section' with speech under it")
        sections = [self.section(draft) for draft in self.sections]
        try:
            return Script(sections=tuple(sections), cast=self.cast, notes=tuple(self.notes), **self.meta)
        except ValueError as exc:
            raise self.error(1, 1, str(exc)) from None

    def section(self, draft: _SectionDraft) -> Section:
        segments = []
        for seg in draft.segments:
            try:
                segments.append(Segment(seg.speaker, seg.text, Pause(seg.pause_ms), " ".join(seg.notes)))
            except ValueError as exc:
                raise self.error(seg.line, seg.column, str(exc)) from None
        return Section(draft.title, tuple(segments), Cast(draft.cast))


_ONE_LINE_KEYS = frozenset({"title", "author", "description"})
_TYPE_NAMES: dict[type, str] = {str: "a string", float: "a number", int: "a whole number"}

_FRONT_MATTER_KEYS: dict[str, Callable[[_Parser, str, object, int], None]] = {
    "title": _Parser._text_key,
    "author": _Parser._text_key,
    "description": _Parser._text_key,
    "language": _Parser._text_key,
    "cover": _Parser._text_key,
    "cast": _Parser._cast_key,
    "lexicon": _Parser._lexicon_key,
    "audio": _Parser._audio_key,
}
"""Front matter key → its reader; any other key is an error (it is almost always a typo)."""

SCRIPT_KEYS = frozenset(_FRONT_MATTER_KEYS)
"""The front matter keys a script may have: ``+++`` front matter with any other key is not a script's."""


def parse(text: str, path: str = "<script>") -> Script:
    """Read a Markdown script; raise ScriptError pointing at the first mistake."""
    parser = _Parser(text, path)
    parser.body(parser.front_matter())
    return parser.script()
