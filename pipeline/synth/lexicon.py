"""The pronunciation lexicon: words said the way the producer wants, applied before an engine reads the text.

Entries come from three places, later ones winning: the user's lexicon (``lexicon.toml`` in
platformdirs' config folder for essaycast), the working directory's ``voices/lexicon.toml``, and the
script's ``[lexicon]`` front matter. Each maps a word to a respelling (``Jonze = "Jones"``) or to
IPA phonemes (``Joaquin = { ipa = "wɑːˈkiːn" }``). Words match case-insensitively as whole words,
and their possessives and plurals too (``Jonze's``, ``Jonzes``).

An engine that takes phonemes (its module sets ``PHONEMES = True``: Piper and Kokoro) gets an IPA
entry as a ``[[ phonemes ]]`` block in the text, the inline syntax Piper reads; any engine gets the
respellings. An IPA entry for an engine that cannot take phonemes is left as written and reported.
The text after the lexicon is what the segment cache keys on, so changing an entry re-renders only
the segments that contain its word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.model import Pronunciation, lexicon_entry
from pipeline.synth.voices import LEXICON_FILE, LOCAL_VOICES, read_toml

LOCAL_LEXICON = LOCAL_VOICES / LEXICON_FILE
"""The project's lexicon, beside its own voice profiles."""

_SUFFIX = r"(?P<suffix>['’]s|s['’]|es|s|['’])?"
"""What may follow a lexicon word and still be it: a possessive or a plural."""
_SIBILANT_END = ("s", "z", "ʃ", "ʒ", "ʧ", "ʤ", "x")
_VOICELESS_END = ("p", "t", "k", "f", "θ")


def user_lexicon_path() -> Path:
    """The user-level lexicon file (e.g. ``~/.config/essaycast/lexicon.toml`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("essaycast")) / "lexicon.toml"


@dataclass(frozen=True)
class Spoken:
    """A text after the lexicon, as one engine will read it."""

    text: str
    """The text with respellings and, for phoneme engines, ``[[ IPA ]]`` blocks in place."""
    unsupported: tuple[str, ...] = ()
    """Words with an IPA entry this engine cannot take (left as written)."""


@dataclass(frozen=True)
class Lexicon:
    """Word → pronunciation, matched case-insensitively."""

    entries: Mapping[str, Pronunciation] = field(default_factory=dict)
    """By lowercase word."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", {word.lower(): entry for word, entry in self.entries.items()})

    def merged(self, more: Mapping[str, Pronunciation]) -> Lexicon:
        """This lexicon with ``more`` on top."""
        return Lexicon({**self.entries, **{word.lower(): entry for word, entry in more.items()}})

    def apply(self, text: str, phonemes: bool) -> Spoken:
        """``text`` with every entry's word replaced; IPA as ``[[...]]`` when ``phonemes`` is True."""
        if not self.entries:
            return Spoken(text)
        unsupported: list[str] = []

        def replace(match: re.Match[str]) -> str:
            word, suffix = match["word"], match["suffix"] or ""
            entry = self.entries[word.lower()]
            if entry.respelling:
                return entry.respelling + _respelled_suffix(entry.respelling, suffix)
            if not phonemes:
                unsupported.append(word)
                return match[0]
            return f"[[{entry.ipa}{_phoneme_suffix(entry.ipa, suffix)}]]"

        spoken = self._pattern().sub(replace, text)
        return Spoken(spoken, tuple(dict.fromkeys(unsupported)))

    def _pattern(self) -> re.Pattern[str]:
        words = "|".join(re.escape(word) for word in sorted(self.entries, key=len, reverse=True))
        return re.compile(rf"(?<![\w'’\[])(?P<word>{words}){_SUFFIX}(?![\w'’\]])", re.IGNORECASE)


def _respelled_suffix(respelling: str, suffix: str) -> str:
    """The possessive or plural of a respelling (``Jones`` + s → ``Joneses``, + s' → ``Joneses'``)."""
    if suffix.rstrip("'’") in ("s", "es"):
        plural = "es" if respelling.lower().endswith(("s", "x", "z", "ch", "sh")) else "s"
        return plural + suffix[len(suffix.rstrip("'’")):]
    return suffix


def _phoneme_suffix(ipa: str, suffix: str) -> str:
    """The phonemes of a plural or possessive ending after ``ipa``: /ɪz/, /s/ or /z/ as English has it."""
    if suffix in ("", "'", "’"):
        return ""
    last = ipa.rstrip("ːˈˌ")[-1:]
    if last in _SIBILANT_END:
        return "ɪz"
    return "s" if last in _VOICELESS_END else "z"


def read_lexicon_file(path: Path) -> dict[str, Pronunciation]:
    """The entries of one lexicon file (TOML, ``word = "respelling"`` or ``word = { ipa = "..." }``)."""
    entries = {}
    for word, value in read_toml(path, "lexicon file").items():
        try:
            entries[word] = lexicon_entry(word, value)
        except ValueError as exc:
            raise EssaycastError(f"{path}: {word}: {exc}", hint="fix the lexicon file") from None
    return entries


def load_lexicon(script_entries: Mapping[str, Pronunciation] | None = None) -> Lexicon:
    """The user's, then the project's lexicon file (where present), then ``script_entries`` on top."""
    lexicon = Lexicon()
    for path in (user_lexicon_path(), LOCAL_LEXICON):
        if path.is_file():
            lexicon = lexicon.merged(read_lexicon_file(path))
    return lexicon.merged(script_entries or {})


def takes_phonemes(engine: str) -> bool:
    """Whether ``engine`` reads ``[[ IPA ]]`` blocks (its module's ``PHONEMES``)."""
    from pipeline.synth.engines import engine_module

    return bool(getattr(engine_module(engine), "PHONEMES", False))
