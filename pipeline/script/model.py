"""The Script model: what is said, by whom, with which pauses — the contract every later stage reads.

All classes are frozen dataclasses that validate themselves, so a Script that exists is one the
writer can write and the parser read back unchanged (``parse(write(s)) == s``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

NARRATOR = "narrator"
"""The default speaker: every paragraph without a speaker line is the narrator's."""

MAX_PAUSE_MS = 10 * 60 * 1000
"""Longest pause accepted; anything longer is a typo (``[pause 800s]`` for ``800ms``)."""

SPEAKER_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")
"""Speaker and voice-profile names: lowercase identifiers, so they read the same in every file."""


def _check_text(value: str, what: str) -> None:
    if value != " ".join(value.split()):
        raise ValueError(f"{what} must be a single line without surrounding or repeated spaces")


@dataclass(frozen=True)
class Pause:
    """A stretch of silence."""

    ms: int
    """Length in milliseconds (0 … MAX_PAUSE_MS)."""

    def __post_init__(self) -> None:
        if not isinstance(self.ms, int) or isinstance(self.ms, bool):
            raise ValueError("pause length must be whole milliseconds")
        if self.ms < 0:
            raise ValueError(f"pause cannot be negative ({self.ms} ms)")
        if self.ms > MAX_PAUSE_MS:
            raise ValueError(f"pause of {self.ms} ms is longer than {MAX_PAUSE_MS // 60000} minutes")

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return self.ms / 1000

    def __bool__(self) -> bool:
        return self.ms > 0


@dataclass(frozen=True)
class Cast:
    """Who speaks with which voice: speaker name → voice profile name (from ``voices/``)."""

    voices: Mapping[str, str] = field(default_factory=dict)
    """Speaker → profile, in the order they were declared."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "voices", dict(self.voices))
        for speaker, profile in self.voices.items():
            if not SPEAKER_RE.match(speaker):
                raise ValueError(f"bad speaker name {speaker!r} (use lowercase letters, digits, - or _)")
            if not SPEAKER_RE.match(profile):
                raise ValueError(f"bad voice profile name {profile!r} for speaker {speaker!r}")

    def __contains__(self, speaker: object) -> bool:
        return speaker in self.voices

    def __iter__(self) -> Iterator[str]:
        return iter(self.voices)

    def __len__(self) -> int:
        return len(self.voices)

    def profile(self, speaker: str) -> str:
        """The voice profile cast for ``speaker``."""
        return self.voices[speaker]

    def merged(self, overrides: Cast | Mapping[str, str]) -> Cast:
        """This cast with ``overrides`` applied on top (a section's or the command line's)."""
        extra = overrides.voices if isinstance(overrides, Cast) else overrides
        return Cast({**self.voices, **extra})


@dataclass(frozen=True)
class Segment:
    """One stretch of speech by one speaker, synthesized in one go, then an optional pause."""

    speaker: str
    """Who says it; a name in the script's cast."""
    text: str
    """What is said: plain text on one line, no markup."""
    pause_after: Pause = Pause(0)
    """Silence after the speech."""
    note: str = ""
    """A comment for the producer (e.g. why a line was given to a character); never spoken."""

    def __post_init__(self) -> None:
        if not SPEAKER_RE.match(self.speaker):
            raise ValueError(f"bad speaker name {self.speaker!r}")
        if not self.text.strip():
            raise ValueError("a segment must say something")
        _check_text(self.text, "segment text")
        _check_text(self.note, "a note")
        if "--" in self.note or self.note.endswith("-"):
            raise ValueError("a note cannot contain '--' (it would end the comment)")


@dataclass(frozen=True)
class Section:
    """A titled part of the script; becomes a chapter of the episode."""

    title: str
    """Heading text (empty only for speech before the first heading)."""
    segments: tuple[Segment, ...]
    """What is said in this section, in order."""
    cast: Cast = Cast()
    """Voice overrides for this section only (how a user swaps voices per section)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        if not self.segments:
            raise ValueError(f"section {self.title!r} has nothing to say")
        _check_text(self.title, "a section title")


@dataclass(frozen=True)
class Audio:
    """Optional production audio around and under the voice; paths are relative to the script."""

    intro: str = ""
    """Played before the first section."""
    outro: str = ""
    """Played after the last section."""
    bed: str = ""
    """Music looped under the whole episode and ducked while anyone speaks."""
    bed_db: float = -20.0
    """Level of the bed when nobody speaks, relative to its file."""
    duck_db: float = 12.0
    """How far the bed drops while someone speaks."""
    attack_ms: int = 200
    """Ramp time for the bed to drop when speech starts."""
    release_ms: int = 600
    """Ramp time for the bed to come back after speech ends."""

    def __post_init__(self) -> None:
        if self.duck_db < 0:
            raise ValueError("duck_db is how far the bed drops and cannot be negative")
        if self.attack_ms < 0 or self.release_ms < 0:
            raise ValueError("attack_ms and release_ms cannot be negative")


LEXICON_WORD_RE = re.compile(r"[^\W_](?:[\w'’.-]*\w)?\Z")
"""A lexicon entry's word: letters and digits, with apostrophes, dots or hyphens inside (``O'Neill``)."""


@dataclass(frozen=True)
class Pronunciation:
    """How to say one word of the lexicon: a respelling, or IPA phonemes for engines that take them."""

    respelling: str = ""
    """Ordinary spelling that every engine reads the intended way (``Jones`` for ``Jonze``)."""
    ipa: str = ""
    """IPA phonemes (``wɑːˈkiːn``), spoken as given by engines that take phonemes."""

    def __post_init__(self) -> None:
        if bool(self.respelling) == bool(self.ipa):
            raise ValueError("a lexicon entry is either a respelling or { ipa = \"...\" }, exactly one")
        _check_text(self.respelling or self.ipa, "a pronunciation")
        if "[" in self.ipa or "]" in self.ipa:
            raise ValueError("IPA phonemes cannot contain brackets")

    @classmethod
    def from_value(cls, value: object) -> Pronunciation:
        """An entry as written in front matter or JSON: ``"Jones"`` or ``{ ipa = "..." }``."""
        if isinstance(value, str):
            return cls(respelling=value)
        if isinstance(value, dict) and set(value) == {"ipa"} and isinstance(value["ipa"], str):
            return cls(ipa=value["ipa"])
        raise ValueError('a lexicon entry must be a respelling ("Jones") or { ipa = "..." }')

    def to_value(self) -> str | dict[str, str]:
        """The entry as written in front matter or JSON (the inverse of `from_value`)."""
        return self.respelling or {"ipa": self.ipa}


def check_lexicon_word(word: str) -> None:
    """Raise ValueError unless ``word`` can be a lexicon entry: one word, as `LEXICON_WORD_RE` says."""
    if not LEXICON_WORD_RE.match(word):
        raise ValueError(f"bad lexicon word {word!r} (one word: letters, digits, ' . - inside)")


def lexicon_entry(word: str, value: object) -> Pronunciation:
    """One lexicon entry as written (``word = value``) checked; ValueError saying what is wrong."""
    check_lexicon_word(word)
    return Pronunciation.from_value(value)


@dataclass(frozen=True)
class Script:
    """A whole episode's script."""

    title: str
    """Episode title."""
    sections: tuple[Section, ...]
    """The sections in order; at least one."""
    cast: Cast = Cast({NARRATOR: NARRATOR})
    """Speaker → voice profile for the whole episode; always includes the narrator."""
    author: str = ""
    """Who wrote the essay."""
    description: str = ""
    """One-paragraph summary, used for the episode description."""
    language: str = "en"
    """BCP 47 language tag of the text."""
    cover: str = ""
    """Cover image path (relative to the script), optional."""
    audio: Audio = Audio()
    """Intro, outro and music bed."""
    notes: tuple[str, ...] = ()
    """Comments for the producer about the whole script (e.g. what the draft dropped)."""
    lexicon: Mapping[str, Pronunciation] = field(default_factory=dict)
    """Word → how to say it, for this script (on top of the user's lexicon files)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "lexicon", dict(self.lexicon))
        for word, pronunciation in self.lexicon.items():
            check_lexicon_word(word)
            if not isinstance(pronunciation, Pronunciation):
                raise ValueError(f"the lexicon entry for {word!r} is not a Pronunciation")
        if not self.sections:
            raise ValueError("a script needs at least one section")
        if NARRATOR not in self.cast:
            object.__setattr__(self, "cast", Cast({NARRATOR: NARRATOR, **self.cast.voices}))
        _check_text(self.title, "the title")
        for value, what in ((self.author, "author"), (self.description, "description")):
            _check_text(value, what)
        for note in self.notes:
            _check_text(note, "a note")
            if "--" in note or note.endswith("-"):
                raise ValueError("a note cannot contain '--' (it would end the comment)")
        for index, section in enumerate(self.sections):
            if not section.title and index:
                raise ValueError("only the first section may be untitled")
            for segment in section.segments:
                if segment.speaker not in self.cast:
                    raise ValueError(f"speaker {segment.speaker!r} is not in the cast")
            for speaker in section.cast:
                if speaker not in self.cast:
                    raise ValueError(f"section {section.title!r} recasts unknown speaker {speaker!r}")

    def recast(
        self,
        voices: Mapping[str, str] | None = None,
        sections: Mapping[int, Mapping[str, str]] | None = None,
    ) -> Script:
        """A copy with voices swapped for the whole episode and/or single sections (0-based).

        Raises ValueError for a speaker that is not in the cast or a section that does not exist.
        """
        from dataclasses import replace

        voices = dict(voices or {})
        unknown = [name for name in voices if name not in self.cast]
        for index, overrides in (sections or {}).items():
            if not 0 <= index < len(self.sections):
                raise ValueError(f"there is no section {index + 1} (the script has {len(self.sections)})")
            unknown += [name for name in overrides if name not in self.cast]
        if unknown:
            raise ValueError(f"speaker {unknown[0]!r} is not in the cast ({', '.join(self.cast)})")
        new_sections = list(self.sections)
        for index, overrides in (sections or {}).items():
            section = new_sections[index]
            new_sections[index] = replace(section, cast=section.cast.merged(overrides))
        return replace(self, cast=self.cast.merged(voices), sections=tuple(new_sections))

    def cast_for(self, section: Section) -> Cast:
        """The effective cast of one section (script cast with the section's overrides)."""
        return self.cast.merged(section.cast)

    def segments(self) -> Iterator[tuple[int, int, Section, Segment]]:
        """Every segment with its section index and index within the section, in order."""
        for si, section in enumerate(self.sections):
            for gi, segment in enumerate(section.segments):
                yield si, gi, section, segment
