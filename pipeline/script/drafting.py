"""The draft generator: an essay (a ``Document`` from any reader, or plain text) → a Script to edit.

What it does, in order: takes the essay's structure from its reader (``sources``: title, headings,
paragraphs, lists, epigraphs, scene breaks, what was dropped), groups the blocks into sections (by
heading when the essay has headings, else a paragraph or a gathered run of short paragraphs each),
splits speech into sentence segments with explicit default pauses, gives character lines to cast
voices (attribution.py) and spells out numbers and symbols for speech (speech.py).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pipeline.errors import EssaycastError
from pipeline.script import attribution, sentences, speech
from pipeline.script.attribution import Characters, Piece
from pipeline.script.model import NARRATOR, SPEAKER_RE, Cast, Pause, Script, Section, Segment
from pipeline.script.names import speaker_id
from pipeline.script.sources.document import Document, Kind
from pipeline.script.sources.plain import read_text

CLAUSE_PAUSE_MS = 200
"""After part of a sentence too long to say in one go."""
TURN_PAUSE_MS = 250
"""Where the speaker changes inside a sentence (``"…," Samantha says``)."""
SENTENCE_PAUSE_MS = 350
"""After a sentence."""
PARAGRAPH_PAUSE_MS = 900
"""After a paragraph inside a section."""
ITEM_PAUSE_MS = 600
"""After a list item that another follows (the list's last item gets a paragraph's pause)."""
SECTION_PAUSE_MS = 1500
"""After the last words of a section."""

MAX_SEGMENT_CHARS = 300
"""Longer sentences are cut at clause marks: engines degrade on long inputs (Kokoro: 510 phonemes)."""
SET_APART_WORDS = 20
"""A one-sentence paragraph this short is a set-apart line: it joins the section before it."""
QUESTION_TITLE_WORDS = 15
"""A paragraph that opens with a question this short is titled with the question."""
SECTION_WORDS = 150
"""Short paragraphs gather into a section until it has this many words."""
MAX_SECTION_WORDS = 400
"""A gathered section stops before a paragraph that would take it past this many words."""
LONG_SECTION_WORDS = 600
"""A section under a heading is cut (at a paragraph, after MAX_SECTION_WORDS) only if longer than this."""
GATHER_FROM_WORDS = 300
"""Essays shorter than this keep a section per paragraph: there is too little to gather."""

_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\Z")
_CLAUSE_CUT = re.compile(r"[,;:](?=\s)|\s*[—–(]")


@dataclass
class _Part:
    """A section being assembled: an optional heading and its paragraphs."""

    heading: str
    """Its heading ('' until one is made from its first paragraph)."""
    paragraphs: list[str] = field(default_factory=list)
    """Its paragraphs (and list items) as cleaned prose."""
    marks: dict[int, str] = field(default_factory=dict)
    """Paragraph index → a note for its first segment (``epigraph``)."""
    items: set[int] = field(default_factory=set)
    """The indexes of the paragraphs that are list items."""

    def words(self) -> int:
        """How many words the section has so far."""
        return sum(_words(text) for text in self.paragraphs)

    def lead(self) -> str:
        """The paragraph that names the section (and the episode description): the first not set apart."""
        return next((text for index, text in enumerate(self.paragraphs) if index not in self.marks),
                    self.paragraphs[0])


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


def _one_sentence_line(text: str) -> bool:
    return _words(text) <= SET_APART_WORDS and len(sentences.split(text)) == 1


def _starts_section(part: _Part, kind: Kind, text: str, headed: bool, per_paragraph: bool) -> bool:
    """Whether a paragraph opens a new section after ``part`` (one under a heading, or not)."""
    if (not part.paragraphs or kind in (Kind.ITEM, Kind.EPIGRAPH) or _one_sentence_line(text)
            or len(part.marks) == len(part.paragraphs)):
        return False  # list items stay with their section; a set-apart line closes the one before it
    if headed:  # the essay's own headings make its sections: only a very long one is cut
        return part.words() >= MAX_SECTION_WORDS and part.words() + _words(text) > LONG_SECTION_WORDS
    if per_paragraph:  # a lone one-line opener ("Dear reader,") joins the paragraph after it
        return not (len(part.paragraphs) == 1 and _one_sentence_line(part.paragraphs[0]))
    return part.words() >= SECTION_WORDS or part.words() + _words(text) > MAX_SECTION_WORDS


def _parts(document: Document) -> list[_Part]:
    """The document's blocks grouped into sections.

    By its headings if it has them (a very long one cut at a paragraph break). Else a section per
    paragraph when the paragraphs are long (or the essay is short), and short paragraphs gathered
    into sections of about SECTION_WORDS words when they are not. A scene break always ends a
    section; list items and epigraphs never start one.
    """
    headed = any(block.kind is Kind.HEADING for block in document.blocks)
    sizes = [_words(block.text) for block in document.blocks if block.kind is Kind.PARAGRAPH]
    per_paragraph = not sizes or sum(sizes) < GATHER_FROM_WORDS or statistics.median(sizes) >= SECTION_WORDS
    parts: list[_Part] = []
    for block in document.blocks:
        if block.kind is Kind.HEADING:
            parts.append(_Part(block.text))
            continue
        if block.kind is Kind.BREAK:
            parts.append(_Part(""))
            continue
        text = sentences.clean(block.text)
        if not any(char.isalnum() for char in text):
            continue
        if not parts or _starts_section(parts[-1], block.kind, text, headed, per_paragraph):
            parts.append(_Part(""))
        if block.kind is Kind.EPIGRAPH:
            parts[-1].marks[len(parts[-1].paragraphs)] = "epigraph, set apart before the essay"
        if block.kind is Kind.ITEM:
            parts[-1].items.add(len(parts[-1].paragraphs))
        parts[-1].paragraphs.append(text)
    return [part for part in parts if part.paragraphs]


def _pieces(paragraph: str, pieces: list[Piece], characters: Characters) -> list[Piece]:
    """A paragraph's pieces; a set-apart line nobody is quoted in may go to the only character."""
    if len(pieces) == 1 and pieces[0].speaker == NARRATOR and _one_sentence_line(paragraph):
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
    for index, paragraph in enumerate(part.paragraphs):
        pieces = _pieces(paragraph, next(said), characters)
        segments = [segment for piece in pieces for segment in _spoken(piece)]
        if segments:
            segments[0].note = _note("; ".join(filter(None, (part.marks.get(index, ""), segments[0].note))))
            listed = {index, index + 1} <= part.items  # one list item with another after it
            segments[-1].pause_ms = ITEM_PAUSE_MS if listed else PARAGRAPH_PAUSE_MS
            spoken += segments
    if not spoken:
        return None
    spoken[-1].pause_ms = SECTION_PAUSE_MS
    segments = tuple(Segment(s.speaker, s.text, Pause(s.pause_ms), s.note) for s in spoken)
    return Section(part.heading or section_title(part.lead()), segments)


def _description(paragraph: str, limit: int = 250) -> str:
    """The opening sentences of the essay, up to ``limit`` characters, for the episode description."""
    text = ""
    for start, end in sentences.split(paragraph):
        candidate = f"{text} {paragraph[start:end]}".strip()
        if text and len(candidate) > limit:
            break
        text = candidate
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _essay(essay: str | Document) -> tuple[Document, list[_Part]]:
    """The essay as a Document (plain text is read as such) and its parts."""
    document = read_text(essay) if isinstance(essay, str) else essay
    return document, _parts(document)


def essay_paragraphs(essay: str | Document) -> list[str]:
    """The cleaned paragraphs the draft speaks, in reading order (what attribution reads)."""
    return [paragraph for part in _essay(essay)[1] for paragraph in part.paragraphs]


def draft(
    essay: str | Document,
    cast: Mapping[str, str] | Iterable[str] = (),
    title: str | None = None,
    *,
    fallback_title: str = "",
) -> Script:
    """Draft a script from an essay: a Document from ``sources``, or plain text.

    ``cast`` names the character voices (speaker → profile, or just speaker names whose profile is
    the same name). The title is ``title`` if given, else the essay's own title, else
    ``fallback_title`` (e.g. from the file name), else the first section's title.
    """
    script_cast = _cast(cast)
    characters = Characters(script_cast.voices)
    document, parts = _essay(essay)
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
        *document.notes,
        *(f"no line was given to {speaker}: mark its lines with '@{speaker}:'"
          for speaker in characters.speakers if speaker not in voiced),
    ]
    given, fallback = " ".join((title or "").split()), " ".join(fallback_title.split())
    chosen = given or " ".join(document.title.split()) or fallback or sections[0].title
    if document.date:
        notes.insert(1, f"published {document.date}")
    return Script(chosen, tuple(sections), script_cast, author=" ".join(document.author.split()),
                  description=" ".join(document.description.split()) or _description(parts[0].lead()),
                  notes=tuple(_note(note) for note in notes))
