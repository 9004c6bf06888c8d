"""The draft generator: plain essay text → a Script a producer can accept as is or edit.

What it does, in order: drops web boilerplate lines (and says so in a note), finds the essay title and
paragraphs, makes one section per paragraph (or per subheading, when the essay has them), splits speech
into sentence segments with explicit default pauses, gives character lines to cast voices
(attribution.py) and spells out numbers and symbols for speech (speech.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pipeline.errors import EssaycastError
from pipeline.script import attribution, sentences, speech
from pipeline.script.attribution import Characters, Piece
from pipeline.script.model import NARRATOR, SPEAKER_RE, Cast, Pause, Script, Section, Segment
from pipeline.script.names import speaker_id

CLAUSE_PAUSE_MS = 200
"""After part of a sentence too long to say in one go."""
TURN_PAUSE_MS = 250
"""Where the speaker changes inside a sentence (``"…," Samantha says``)."""
SENTENCE_PAUSE_MS = 350
"""After a sentence."""
PARAGRAPH_PAUSE_MS = 900
"""After a paragraph inside a section."""
SECTION_PAUSE_MS = 1500
"""After the last words of a section."""

MAX_SEGMENT_CHARS = 300
"""Longer sentences are cut at clause marks: engines degrade on long inputs (Kokoro: 510 phonemes)."""
WRAP_WIDTH = 120
"""A block whose lines are all at most this long is hard-wrapped prose; otherwise each line is a paragraph."""
SET_APART_WORDS = 20
"""A one-sentence paragraph this short is a set-apart line: it joins the section before it."""
HEADING_WORDS = 12
"""A title or subheading line has at most this many words and no closing punctuation."""
QUESTION_TITLE_WORDS = 15
"""A paragraph that opens with a question this short is titled with the question."""

BOILERPLATE = tuple(re.compile(pattern, re.I) for pattern in (
    r"view (?:more|all)(?: about)?(?: .{1,60})? (?:reviews?|comments?|posts?|articles?|photos?|stories)",
    r"(?:read|see|show|load) (?:more|all|the full (?:story|article|review))"
    r"(?: (?:about|from|of|on) .{1,60})?\W*",
    r"(?:share|tweet|pin|email|print)(?: (?:this|it))?(?: (?:on \w+|article|story|post|review|page))?",
    r"advertisement|sponsored(?: content)?|(?:related|recommended|popular)(?: articles| posts| stories)?:?.*",
    r"(?:click|tap) here\b.*|continue reading\b.*|(?:back|return) to (?:top|home)\b.*",
    r"(?:subscribe|sign up|log ?in|sign in)(?: (?:now|today|for|to) .{0,60})?",
    r"(?:posted|published|updated) (?:on|by|at|in) .{1,60}",
    r"(?:copyright|©).{0,80}|all rights reserved\.?",
    r"(?:\d+ )?(?:comments?|likes?|shares?|replies|views)|(?:leave|add|post) a (?:comment|reply|review)",
    r"(?:tags?|categories|filed under):.*",
    r"(?:follow|like) us(?: on .{1,40})?",
    r"home|menu|search|navigation|skip to (?:main )?content|sign out|log ?out",
    r"\d+ (?:of \d+ )?(?:people )?found this (?:review )?helpful.*|was this (?:review )?helpful\??.*",
    r"(?:report|flag)(?: this)?(?: review| comment| post| abuse)?",
))
"""Whole lines that are website furniture, not essay (matched case-insensitively, lines ≤ 100 chars)."""

_CLOSING_MARK = re.compile(r"[.!?…,;:][\"”’')\]]*\Z")
_DIALOGUE_START = re.compile(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}\s*:\s")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\Z")
_CLAUSE_CUT = re.compile(r"[,;:](?=\s)|\s*[—–(]")


@dataclass(frozen=True)
class _Paragraph:
    """One paragraph of the essay as found in the text."""

    text: str
    """Its words, lines joined with single spaces (not yet cleaned)."""
    standalone: bool
    """True if it is a line of its own (a title or subheading can only be one)."""


@dataclass
class _Part:
    """A section being assembled: an optional heading and its paragraphs."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class _Spoken:
    """A segment being assembled (its pause is settled once the paragraph and section end are known)."""

    speaker: str
    text: str
    pause_ms: int
    note: str = ""


def _note(text: str) -> str:
    """Any text as a valid note: one line, no ``--`` (it would end the HTML comment)."""
    return " ".join(re.sub(r"-{2,}", "—", text).split()).rstrip("-").rstrip()


def _words(text: str) -> int:
    return len(text.split())


def parse_cast_options(values: Iterable[str]) -> dict[str, str]:
    """``--cast`` values (``NAME`` or ``NAME=PROFILE``) as speaker → profile; EssaycastError if malformed.

    A name is written as people write it (``O'Dell``, ``anne-marie``, ``Zoë``, ``mr-howard``) and becomes a
    safe speaker id (``odell``, ``anne-marie``, ``zoe``, ``howard``); words are joined with hyphens, not
    spaces. The profile is a voice profile name (default: the speaker id).
    """
    cast: dict[str, str] = {}
    for value in values:
        name, equals, profile = value.partition("=")
        speaker = speaker_id(name) if name.strip() and not re.search(r"\s", name.strip()) else ""
        profile = (profile if equals else speaker).strip().lower()
        if not speaker or not SPEAKER_RE.match(profile):
            raise EssaycastError(f"bad --cast value {value!r}",
                                 hint="write NAME or NAME=PROFILE, words joined by hyphens, e.g. o'dell=slt")
        if speaker in cast:
            raise EssaycastError(f"--cast {speaker} is given twice")
        cast[speaker] = profile
    return cast


def _cast(cast: Mapping[str, str] | Iterable[str]) -> Cast:
    voices = dict(cast) if isinstance(cast, Mapping) else {name: name for name in cast}
    try:
        return Cast({NARRATOR: NARRATOR, **voices})
    except ValueError as exc:
        raise EssaycastError(f"bad cast: {exc}") from None


def _is_boilerplate(line: str) -> bool:
    return len(line) <= 100 and any(pattern.fullmatch(line) for pattern in BOILERPLATE)


def _heading_like(text: str) -> bool:
    """A short line without closing punctuation (or a Markdown heading): a title or subheading."""
    if _MARKDOWN_HEADING.match(text):
        return True
    return (0 < _words(text) <= HEADING_WORDS and len(text) <= 100 and not _CLOSING_MARK.search(text)
            and (text[0].isupper() or text[0].isdigit() or text[0] in "\"“'‘")
            and any(char.isalpha() for char in text))


def _title_line(block: list[str]) -> bool:
    """Whether a hard-wrapped block opens with a title line (much shorter than the lines under it)."""
    first = block[0]
    widest = max(len(text) for text in block[1:])
    return _heading_like(first) and (bool(_MARKDOWN_HEADING.match(first)) or len(first) <= 0.6 * widest)


def _paragraphs_of(block: list[str]) -> list[_Paragraph]:
    """A block of non-blank lines as paragraphs: one per line unless the block is hard-wrapped prose."""
    if len(block) == 1 or any(len(text) > WRAP_WIDTH for text in block[:-1]):
        return [_Paragraph(text, True) for text in block]
    paragraphs: list[_Paragraph] = []
    lines: list[str] = []
    for index, text in enumerate(block):
        # a dialogue line starts a paragraph; a short heading-like first line stands alone
        if lines and (_DIALOGUE_START.match(text) or (index == 1 and _title_line(block))):
            paragraphs.append(_Paragraph(" ".join(lines), len(lines) == 1))
            lines = []
        lines.append(text)
    paragraphs.append(_Paragraph(" ".join(lines), len(lines) == 1))
    return paragraphs


def _read(text: str) -> tuple[list[_Paragraph], list[str]]:
    """The essay's paragraphs, and notes about the boilerplate lines dropped from it."""
    paragraphs: list[_Paragraph] = []
    dropped: list[str] = []
    block: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate([*lines, ""], 1):
        line = " ".join(raw.split())
        if line and _is_boilerplate(line):
            dropped.append(f"dropped web boilerplate (line {number}): \"{line}\"")
            line = ""
        if line:
            block.append(line)
        elif block:
            paragraphs += _paragraphs_of(block)
            block = []
    if len(dropped) > 20:
        dropped[20:] = [f"… and {len(dropped) - 20} more boilerplate lines"]
    return paragraphs, dropped


def _heading_text(text: str) -> str:
    return " ".join(_MARKDOWN_HEADING.sub("", text, count=1).split()).strip("#").strip()


def section_title(paragraph: str) -> str:
    """A title from a paragraph: its short leading question, or else its first words."""
    spans = sentences.split(paragraph)
    first = paragraph[slice(*spans[0])] if spans else paragraph
    if first.endswith("?") and _words(first) <= QUESTION_TITLE_WORDS and len(first) <= 90:
        return first
    first = re.sub(r"[\"“”]", "", first)  # a quote cut in half reads badly as a title
    first = re.sub(r"[.!?…:;,’')\]]+\Z", "", first)
    clause = _CLAUSE_CUT.split(first, maxsplit=1)[0]
    if _words(clause) >= 3:
        first = clause
    words = first.split()
    return " ".join(words) if len(words) <= 8 else " ".join(words[:6]).rstrip(".,;:") + "…"


def _parts(paragraphs: list[_Paragraph]) -> list[_Part]:
    """Paragraphs grouped into sections: by subheadings if the essay has them, else one per paragraph."""
    heading_at = {
        index for index, paragraph in enumerate(paragraphs[:-1])
        if paragraph.standalone and _heading_like(paragraph.text)
        and not _heading_like(paragraphs[index + 1].text)
    }
    parts: list[_Part] = []
    for index, paragraph in enumerate(paragraphs):
        text = sentences.clean(paragraph.text)
        if index not in heading_at and not any(char.isalnum() for char in text):
            continue  # a scene break ("* * *") or stray punctuation: nothing to say
        if index in heading_at:
            parts.append(_Part(_heading_text(text)))
        elif heading_at and parts:
            parts[-1].paragraphs.append(text)
        elif parts and _words(text) <= SET_APART_WORDS and len(sentences.split(text)) == 1:
            parts[-1].paragraphs.append(text)  # a set-apart line closes the section before it
        else:
            parts.append(_Part("", [text]))
    return [part for part in parts if part.paragraphs]


def _pieces(paragraph: str, pieces: list[Piece], characters: Characters) -> list[Piece]:
    """A paragraph's pieces; a set-apart line nobody is quoted in may go to the only character."""
    if (len(pieces) == 1 and pieces[0].speaker == NARRATOR and _words(paragraph) <= SET_APART_WORDS
            and len(sentences.split(paragraph)) == 1):
        return [attribution.set_apart(paragraph, characters) or pieces[0]]
    return pieces


def _spoken(piece: Piece) -> list[_Spoken]:
    """One piece as segments: a sentence each, long sentences cut at clauses, notes placed."""
    spoken: list[_Spoken] = []
    notes, next_note = piece.notes_at, 0  # in offset order: each goes to the sentence it falls in
    for sentence in sentences.split(piece.text, piece.keep_whole):
        parts = sentences.split_long(piece.text, sentence, MAX_SEGMENT_CHARS)
        for index, (start, end) in enumerate(parts):
            said = speech.spoken(piece.text[start:end])
            if not any(char.isalnum() for char in said.text):
                continue
            here = []
            while next_note < len(notes) and notes[next_note][0] < end:
                here.append(notes[next_note][1])
                next_note += 1
            pause = CLAUSE_PAUSE_MS if index < len(parts) - 1 else SENTENCE_PAUSE_MS
            note = "; ".join(filter(None, (" ".join(here), said.note)))  # who says it, then how
            spoken.append(_Spoken(piece.speaker, said.text, pause, _note(note)))
    if spoken:
        spoken[0].note = _note("; ".join(filter(None, (piece.note, spoken[0].note))))
        if not _SENTENCE_END.search(piece.text):
            spoken[-1].pause_ms = TURN_PAUSE_MS
    return spoken


def _section(part: _Part, said: Iterator[list[Piece]], characters: Characters) -> Section | None:
    """One part as a section; ``said`` gives each of its paragraphs' pieces, in order."""
    spoken: list[_Spoken] = []
    for paragraph in part.paragraphs:
        pieces = _pieces(paragraph, next(said), characters)
        segments = [segment for piece in pieces for segment in _spoken(piece)]
        if segments:
            segments[-1].pause_ms = PARAGRAPH_PAUSE_MS
            spoken += segments
    if not spoken:
        return None
    spoken[-1].pause_ms = SECTION_PAUSE_MS
    segments = tuple(Segment(s.speaker, s.text, Pause(s.pause_ms), s.note) for s in spoken)
    return Section(part.heading or section_title(part.paragraphs[0]), segments)


def _description(paragraph: str, limit: int = 250) -> str:
    """The opening sentences of the essay, up to ``limit`` characters, for the episode description."""
    text = ""
    for start, end in sentences.split(paragraph):
        candidate = f"{text} {paragraph[start:end]}".strip()
        if text and len(candidate) > limit:
            break
        text = candidate
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _essay(text: str) -> tuple[str, list[_Part], list[str]]:
    """The essay's own title line (or ''), its parts and the notes about what reading it dropped."""
    paragraphs, notes = _read(text)
    title_line = ""
    if len(paragraphs) > 1 and paragraphs[0].standalone and _heading_like(paragraphs[0].text):
        title_line = _heading_text(paragraphs.pop(0).text)
    return title_line, _parts(paragraphs), notes


def essay_paragraphs(text: str) -> list[str]:
    """The cleaned paragraphs the draft speaks, in reading order (what attribution reads)."""
    return [paragraph for part in _essay(text)[1] for paragraph in part.paragraphs]


def draft(
    text: str,
    cast: Mapping[str, str] | Iterable[str] = (),
    title: str | None = None,
    *,
    fallback_title: str = "",
) -> Script:
    """Draft a script from plain essay text.

    ``cast`` names the character voices (speaker → profile, or just speaker names whose profile is
    the same name). The title is ``title`` if given, else the essay's own title line, else
    ``fallback_title`` (e.g. from the file name), else the first section's title.
    """
    script_cast = _cast(cast)
    characters = Characters(script_cast.voices)
    title_line, parts, notes = _essay(text)
    # attribution reads the whole essay in order: a pronoun or a turn may point into the paragraph before
    said = iter(attribution.attribute_all([text for part in parts for text in part.paragraphs], characters))
    sections = [section for section in (_section(part, said, characters) for part in parts) if section]
    if not sections:
        raise EssaycastError("nothing to draft: the text has no prose to speak")
    last = sections[-1]
    sections[-1] = Section(last.title, (*last.segments[:-1], Segment(
        last.segments[-1].speaker, last.segments[-1].text, Pause(0), last.segments[-1].note)))
    voiced = {segment.speaker for section in sections for segment in section.segments}
    notes = [
        f"draft by essaycast: pauses are {SENTENCE_PAUSE_MS} ms after a sentence, {PARAGRAPH_PAUSE_MS} ms "
        f"after a paragraph and {SECTION_PAUSE_MS} ms after a section; numbers and symbols are spelled out",
        *notes,
        *(f"no line was given to {speaker}: mark its lines with '@{speaker}:'"
          for speaker in characters.speakers if speaker not in voiced),
    ]
    given, fallback = " ".join((title or "").split()), " ".join(fallback_title.split())
    chosen = given or title_line or fallback or sections[0].title
    return Script(chosen, tuple(sections), script_cast, description=_description(parts[0].paragraphs[0]),
                  notes=tuple(_note(note) for note in notes))
