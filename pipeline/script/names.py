"""Names of people as written in prose, and the safe speaker ids they are cast as.

``O'Dell`` → ``odell``, ``Zoë`` → ``zoe``, ``Mr Howard`` → ``howard``, ``Peter Ustinov`` → ``peter-ustinov``.
A written name is matched accent-, case- and apostrophe-insensitively; a multi-word character is found by
their full name, or by their first name or surname alone when no other character shares it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from pipeline.script import lexicon as lx
from pipeline.script.model import NARRATOR, SPEAKER_RE

ID_TITLES = lx.words("mr mrs ms miss mx dr prof sir dame rev mister missus")
"""Titles dropped from a speaker id (``mr-howard`` → ``howard``); others (Father, Lady) may be in a name."""


def name_words(name: str) -> tuple[str, ...]:
    """A written name as plain lowercase words: accents, apostrophes, case and titles set aside."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"['’]", "", text)
    words = [word for word in re.split(r"[^a-z0-9]+", text) if word]
    while len(words) > 1 and words[0] in ID_TITLES:
        words.pop(0)
    return tuple(words)


def speaker_id(name: str) -> str:
    """A safe speaker id for a person's name: ``O'Dell`` → ``odell``, ``Zoë`` → ``zoe``, ``Mr Howard`` →
    ``howard``, ``Peter Ustinov`` → ``peter-ustinov``; empty if the name has no usable letters."""
    words = list(name_words(name))
    ident = "-".join(words)
    while len(ident) > 32 and len(words) > 1:  # keep whole words: the surname last
        words.pop(0)
        ident = "-".join(words)
    ident = ident[:32].strip("-")
    return ident if SPEAKER_RE.match(ident) else ""


def _is_role_word(word: str) -> bool:
    return word in lx.TITLES or word in lx.PERSON_NOUNS or word in ("us", "uk", "un", "eu")


class Characters:
    """The cast's characters (everyone but the narrator) and how their names are written in prose.

    A written name matches a character by its full name, or by one of its words alone when no other
    character shares that word; a written name may carry titles or role words before it (``US Attorney
    Paul McNulty``) but not another first name (``Margaret Molyneux`` is not ``irwin-molyneux``).
    With ``discover`` set, every person-like name becomes a character (for finding cast candidates).
    """

    def __init__(self, cast: Mapping[str, str] | Iterable[str], *, discover: bool = False) -> None:
        self.speakers = [speaker for speaker in cast if speaker != NARRATOR]
        """Character speaker ids, in cast order (grows while discovering)."""
        self.discover = discover
        """Whether unknown names become new characters."""
        self._words = {speaker: name_words(speaker.replace("_", "-")) or (speaker,)
                       for speaker in self.speakers}

    @property
    def single(self) -> str | None:
        """The only character, if the cast has exactly one."""
        return self.speakers[0] if len(self.speakers) == 1 and not self.discover else None

    def _match(self, words: tuple[str, ...]) -> str | None:
        for speaker, known in self._words.items():
            # one word that is also part of another character's name is nobody for sure (Mr Pickett when
            # the cast has pickett and arthur-pickett)
            shared = len(words) == 1 and any(other != speaker and words[0] in other_words
                                             for other, other_words in self._words.items())
            if words == known and not shared:
                return speaker
        for start in range(1, len(words)):  # titles or role words before the name
            if all(_is_role_word(word) for word in words[:start]):
                found = self._match(words[start:])
                if found:
                    return found
        if len(words) == 1:
            owners = [speaker for speaker, known in self._words.items() if words[0] in known]
            if len(owners) == 1:
                return owners[0]
        return None

    def known(self, name: str) -> str | None:
        """The character already known by the name written ``name``, if any (never a new one)."""
        words = name_words(name)
        return self._match(words) if words else None

    def speaker(self, name: str) -> str | None:
        """The character whose name is written ``name`` in the text, if any (discovering: a new one)."""
        found = self.known(name)
        if found or not self.discover:
            return found
        words = list(name_words(name))
        while len(words) > 2 and _is_role_word(words[0]):
            words.pop(0)  # US Attorney Paul McNulty is paul-mcnulty; Father Christmas stays whole
        ident = speaker_id(" ".join(words))
        if not ident or ident == NARRATOR or not ident[0].isalpha():
            return None
        if ident not in self._words:
            self.speakers.append(ident)
            self._words[ident] = tuple(words)
        return ident
