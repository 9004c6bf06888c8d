"""Character lines: which words of an essay a cast character says, and the rule that decided it.

Rules, in the order they are tried (each attribution names its rule in the segment's note):

- a dialogue line ``Samantha: I'm here.`` (the whole paragraph);
- a quote followed by a speech verb and the name (``"...," Samantha says`` / ``"...," says Samantha``);
- a quote after the name and a speech verb (``Samantha whispers, "..."``) or the name and a colon;
- a quote right after an attributed quote and its attribution (``"A," Samantha says. "B."``);
- a set-apart first-person line addressed to "you", when the cast has a single character.

Quotes of at most four words without punctuation inside are titles or scare quotes ("Her") and never
speech. Speech by someone outside the cast stays with the narrator, with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.script.model import NARRATOR
from pipeline.script.sentences import Span

_VERB_FORMS = {
    "say": "says said", "tell": "tells told", "write": "writes wrote", "begin": "begins began",
    "sing": "sings sang", "cry": "cries cried", "reply": "replies replied", "sob": "sobs sobbed",
    "admit": "admits admitted", "put it": "puts it",
}
_REGULAR = [
    "ask", "whisper", "answer", "add", "explain", "murmur", "shout", "laugh", "sigh", "insist", "continue",
    "call", "declare", "repeat", "wonder", "plead", "confess", "exclaim", "respond", "joke", "tease",
    "breathe", "mutter", "yell", "promise", "warn", "protest", "observe", "agree", "announce", "remark",
    "recall", "muse", "scream", "purr", "snap", "hiss", "giggle", "gasp", "croon", "coo"
]


def _forms() -> list[str]:
    forms = [form for base, more in _VERB_FORMS.items() for form in (base, *more.split())]
    for verb in _REGULAR:
        past = verb + "d" if verb.endswith("e") else verb + "ed"
        plural = verb + "es" if verb.endswith(("sh", "ss", "ch")) else verb + "s"
        forms += [verb, plural, past]
    return sorted(set(forms), key=len, reverse=True)


VERBS = "|".join(re.escape(form).replace(r"\ ", r"\s+") for form in _forms())
"""Speech verbs in every form that attributes a quote (``says``, ``whispered``, ``puts it``)."""

_NAME = r"(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}"
_ADVERB = r"(?:[a-z]+ly\s+)?"
_AFTER = re.compile(
    rf"\s*,?\s*(?:(?P<name>{_NAME})\s+{_ADVERB}(?:{VERBS})|(?:{VERBS})\s+(?P<name2>{_NAME}))\b")
_BEFORE_VERB = re.compile(rf"(?P<name>{_NAME})\s+{_ADVERB}(?:{VERBS})\b(?:\s+[\w'’]+){{0,3}}?\s*[,:]\s*\Z")
_BEFORE_COLON = re.compile(rf"(?P<name>{_NAME})\s*:\s*\Z")
_DIALOGUE = re.compile(rf"(?P<name>{_NAME})\s*:\s+(?P<line>\S.*)\Z", re.S)
_SENTENCE_END = re.compile(r".*[.!?…][\"”’)]*\s", re.S)
_QUOTE_MARK = re.compile(r"[\"“”]")
_FIRST_PERSON = re.compile(r"\b(?:I|I['’](?:m|d|ll|ve)|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)\b")
_SECOND_PERSON = re.compile(r"\byou(?:r|rs|rself|['’](?:re|ll|d|ve))?\b", re.I)
_NOT_NAMES = frozenset(
    [
        "she", "he", "they", "i", "we", "it", "you", "then", "and", "but", "so", "as", "when", "while",
        "the", "this", "that", "there", "here", "now", "later", "finally", "suddenly", "again", "still",
        "once", "soon", "yet", "also", "his", "her", "their", "our", "my"
    ]
)
_BEFORE_RULES = ((_BEFORE_VERB, "speech verb before the quote"), (_BEFORE_COLON, "name and colon"))
_WRAPPING_QUOTES = re.compile(r"\A[\"“](?P<inner>[^\"“”]*)[\"”]\Z")


@dataclass(frozen=True)
class Piece:
    """A stretch of one paragraph said by one speaker."""

    speaker: str
    """Who says it."""
    text: str
    """What is said (cleaned prose, not yet split into sentences)."""
    note: str = ""
    """Why a character says it (for the first segment made from the piece)."""
    keep_whole: tuple[Span, ...] = ()
    """Quotes left in narration: sentences are never split inside them."""
    notes_at: tuple[tuple[int, str], ...] = ()
    """Notes for the sentence that contains a given offset (unvoiced speech by someone outside the cast)."""


def _written(speaker: str) -> str:
    return r"\.?\s+".join(re.escape(part) for part in re.split(r"[-_]", speaker)) + r"\Z"


class Characters:
    """The cast's characters (everyone but the narrator) and how their names are written in prose."""

    def __init__(self, cast: Mapping[str, str]) -> None:
        self.speakers = [speaker for speaker in cast if speaker != NARRATOR]
        """Character speaker names, in cast order."""
        # "mr-smith" is written "Mr Smith" or "Mr. Smith"
        self._names = [(speaker, re.compile(_written(speaker), re.I)) for speaker in self.speakers]

    @property
    def single(self) -> str | None:
        """The only character, if the cast has exactly one."""
        return self.speakers[0] if len(self.speakers) == 1 else None

    def speaker(self, name: str) -> str | None:
        """The speaker whose name is written ``name`` in the text, if any."""
        return next((speaker for speaker, pattern in self._names if pattern.match(name)), None)

    def resolve(self, name: str) -> tuple[str | None, str]:
        """``(speaker, name)`` for a capitalised phrase before a verb (``Then Samantha`` → samantha).

        A name outside the cast comes back as ``(None, name)``; a phrase with no name as ``(None, "")``.
        """
        words = name.split()
        for index in range(len(words)):
            speaker = self.speaker(" ".join(words[index:]))
            if speaker:
                return speaker, " ".join(words[index:])
        for index, word in enumerate(words):
            if word.lower().strip(".") not in _NOT_NAMES:
                return None, " ".join(words[index:])
        return None, ""


def quotes(paragraph: str) -> list[Span]:
    """Double-quoted spans (straight or curly), quote marks included; unbalanced marks are ignored."""
    spans: list[Span] = []
    opened: int | None = None
    for mark in _QUOTE_MARK.finditer(paragraph):
        if opened is None:
            if mark[0] != "”":
                opened = mark.start()
        elif mark[0] == "“":
            opened = mark.start()
        else:
            spans.append((opened, mark.end()))
            opened = None
    return spans


def is_title(content: str) -> bool:
    """A quote of at most four words with no punctuation inside is a title or scare quote, not speech."""
    return len(content.split()) <= 4 and not re.search(r"[.,!?…;:—]\Z", content)


def _spoken(content: str) -> str:
    """A quote's words as a segment: a comma that handed over to the attribution becomes a period."""
    content = content.strip()
    if content[-1] in ",;:—–-":
        return content[:-1].rstrip() + "."
    return content if content[-1] in ".!?…" else content + "."


@dataclass
class _Attributor:
    """Walks one paragraph's quotes, deciding speaker by speaker."""

    paragraph: str
    characters: Characters

    def who(self, start: int, end: int, previous: tuple[str, int] | None) -> tuple[str | None, str, str]:
        """``(speaker, rule, name)`` for the quote at ``[start, end)``; speaker None leaves it narrated."""
        after = _AFTER.match(self.paragraph, end, min(len(self.paragraph), end + 80))
        if after:
            speaker, name = self.characters.resolve(after["name"] or after["name2"])
            if speaker or name:
                return speaker, f"speech verb after the quote ('{after[0].strip(' ,')}')", name
        window_start = max(previous[1] if previous else 0, start - 100)
        before = self.paragraph[window_start:start]
        sentence = _SENTENCE_END.match(before)
        before = before[sentence.end():] if sentence else before
        for pattern, rule in _BEFORE_RULES:
            found = pattern.search(before)
            if found:
                speaker, name = self.characters.resolve(found["name"])
                if speaker or name:
                    return speaker, f"{rule} ('{found[0].strip(' ,:')}')", name
        if previous:
            clause = _AFTER.fullmatch(re.sub(r"[\s.,;:]+\Z", "", self.paragraph[previous[1]:start]))
            if clause and self.characters.resolve(clause["name"] or clause["name2"])[0] == previous[0]:
                return previous[0], "continuation of the quote before", ""
        return None, "", ""

    def narration(self, start: int, end: int, keep: list[Span], notes: list[tuple[int, str]]) -> Piece | None:
        text = self.paragraph[start:end]
        lead = len(text) - len(text.lstrip(" ,;:")) if start else len(text) - len(text.lstrip())
        text = text[lead:].rstrip()
        if not any(char.isalnum() for char in text):
            return None
        base = start + lead
        if start and text[0].islower():
            text = text[0].upper() + text[1:]
        return Piece(NARRATOR, text,
                     keep_whole=tuple((a - base, b - base) for a, b in keep if a >= base),
                     notes_at=tuple((at - base, note) for at, note in notes if at >= base))


def attribute(paragraph: str, characters: Characters) -> list[Piece]:
    """Split one cleaned paragraph into pieces by speaker."""
    dialogue = _DIALOGUE.match(paragraph)
    speaker = characters.speaker(dialogue["name"]) if dialogue else None
    if dialogue and speaker:
        line = dialogue["line"].strip()
        wrapped = _WRAPPING_QUOTES.match(line)
        text = wrapped["inner"].strip() if wrapped else line
        return [Piece(speaker, text, note=f"{speaker} by dialogue line '{dialogue['name']}:'")]
    walker = _Attributor(paragraph, characters)
    pieces: list[Piece] = []
    cursor = 0
    keep: list[Span] = []
    notes: list[tuple[int, str]] = []
    previous: tuple[str, int] | None = None
    for start, end in quotes(paragraph):
        content = paragraph[start + 1:end - 1].strip()
        if not content or is_title(content):
            keep.append((start, end))
            continue
        speaker, rule, name = walker.who(start, end, previous)
        if speaker is None:
            keep.append((start, end))
            if name:
                notes.append((start, f"speech by {name} stays with the narrator ({name} is not in the cast)"))
            previous = None
            continue
        narration = walker.narration(cursor, start, keep, notes)
        pieces += [narration] if narration else []
        pieces.append(Piece(speaker, _spoken(content), note=f"{speaker} by {rule}"))
        cursor, keep, notes, previous = end, [], [], (speaker, end)
    narration = walker.narration(cursor, len(paragraph), keep, notes)
    return pieces + ([narration] if narration else [])


def set_apart(line: str, characters: Characters) -> Piece | None:
    """A set-apart first-person line addressed to "you" goes to the only character, if there is one."""
    speaker = characters.single
    if speaker is None or not _FIRST_PERSON.search(line) or not _SECOND_PERSON.search(line):
        return None
    wrapped = _WRAPPING_QUOTES.match(line)
    text = wrapped["inner"].strip() if wrapped else line
    return Piece(speaker, text, note=f"{speaker} by set-apart first-person line to 'you' "
                                     "(the only character voice)")
