"""Prose cleanup and sentence segmentation for the draft generator.

Sentences are found by punctuation with the usual traps handled: abbreviations (``Mr.``, ``e.g.``),
initialisms (``U.S.``), ellipses, and quotes kept whole where the caller asks. Every function works in
one linear pass, so a 10 MB essay costs what its length costs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Span = tuple[int, int]
"""A half-open character range ``[start, end)`` in a paragraph."""

_CLEANUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.\s?\.\s?\.|…"), "…"),  # every ellipsis one character, so it is one boundary
    (re.compile(r"([.!?…])(?:\s*\.(?!\d))+"), r"\1"),  # ". ." and "?." → the first mark
    (re.compile(r"\s+(?=[,;:!?](?!\w))|\s+(?=\.(?!\d))"), ""),  # no space before punctuation
    (re.compile(r"([,;:!?])\1+"), r"\1"),  # ",," → ","
    (re.compile(r"([,;:])(?=[A-Za-z])"), r"\1 "),  # "a,b" → "a, b"
)

NON_TERMINAL = frozenset(
    [
        "mr", "mrs", "ms", "mx", "dr", "prof", "rev", "hon", "gen", "col", "capt", "lt", "sgt", "gov",
        "sen", "rep", "pres", "st", "mt", "ft", "fr", "messrs", "mme", "mlle", "vs", "cf", "viz", "e.g",
        "i.e", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"
    ]
)
"""Abbreviations that never end a sentence (the word before the period, lowercased)."""

BEFORE_NUMBER = frozenset(["no", "nos", "vol", "fig", "p", "pp", "ch", "sec", "art"])
"""Abbreviations that do not end a sentence when a number follows (``No. 5``, ``p. 12``)."""

ENDING = frozenset(["etc", "inc", "ltd", "co", "corp", "jr", "sr", "al"])
"""Abbreviations that end a sentence when a capitalised word follows (``… and so on, etc. The``)."""

STARTERS = frozenset(
    [
        "the", "a", "an", "i", "it", "he", "she", "we", "they", "you", "this", "that", "these", "those",
        "but", "and", "so", "then", "in", "on", "at", "when", "if", "what", "why", "how", "there", "our",
        "my", "his", "her", "their", "its", "as", "after", "before", "while"
    ]
)
"""Words that start sentences: after an initialism (``U.S.``) only these, capitalised, make a boundary."""

_BOUNDARY = re.compile(r"([.!?…]+)([\"”’')\]]*)\s+")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]\Z")
_LIST_MARKER = re.compile(r"\s*(?:\d{1,3}|[IVXLCDM]+|[ivxlcdm]+)\Z")
"""A paragraph that opens with a number and a full stop is a list item or a numbered heading."""
_CLAUSE = re.compile(r"[;:,—–]\s")
_WORD_BEFORE = re.compile(r"(?:[\w'’]+\.)*[\w'’]+\Z")
"""The word before a full stop, abbreviation dots and all; a dash is not part of it (``art.--Prof.``)."""


def clean(text: str) -> str:
    """One paragraph as tidy prose: single spaces, one-character ellipses, no stray or doubled marks."""
    text = " ".join(text.split())
    for pattern, replacement in _CLEANUP:
        text = pattern.sub(replacement, text)
    return text.strip()


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    marks, following = match[1], text[match.end():match.end() + 1]
    if not following:
        return True
    if marks[-1] in "!?…":
        # "Really?" she asked. / and so… on: a lowercase word continues the sentence
        return not following.islower() if marks[-1] != "…" else following.isupper() or following in "\"“'‘("
    if len(marks) > 1:
        return True
    if _LIST_MARKER.match(text, 0, match.start()):
        return False  # "1. That a tale shall…": the number belongs to the item
    before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())  # a bounded look back
    word = before[0].lstrip("'’").lower() if before else ""
    if word in NON_TERMINAL:
        return False
    if word in BEFORE_NUMBER and following.isdigit():
        return False
    next_word = re.match(r"[\w']+", text[match.end():match.end() + 30])
    if word in ENDING:
        return following.isupper()
    if word and _INITIALISM.match(word):
        return next_word is not None and following.isupper() and next_word[0].lower() in STARTERS
    return True


def split(text: str, keep_whole: Sequence[Span] = ()) -> list[Span]:
    """The sentences of a cleaned paragraph as spans; no boundary falls inside a ``keep_whole`` span."""
    spans: list[Span] = []
    start, guard = 0, 0
    for match in _BOUNDARY.finditer(text):
        cut = match.end(2)
        while guard < len(keep_whole) and keep_whole[guard][1] <= cut - 1:
            guard += 1
        if guard < len(keep_whole) and keep_whole[guard][0] < cut < keep_whole[guard][1]:
            continue
        if _is_boundary(text, match):
            spans.append((start, cut))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def split_long(text: str, span: Span, limit: int) -> list[Span]:
    """A sentence longer than ``limit`` characters cut at clause marks (else spaces) into shorter parts.

    TTS engines degrade on very long inputs (Kokoro takes at most 510 phonemes), so no part is longer
    than ``limit`` unless it is one unbroken word.
    """
    start, end = span
    parts: list[Span] = []
    while end - start > limit:
        window = text[start:start + limit + 1]
        cut = max((m.end() for m in _CLAUSE.finditer(window) if m.end() > limit // 3), default=0)
        if not cut:
            cut = window.rfind(" ") + 1
        if cut <= 0:
            space = text.find(" ", start + limit)
            if space < 0 or space >= end:
                break
            cut = space - start + 1
        parts.append((start, start + cut))
        start += cut
    parts.append((start, end))
    return [(a, b) for a, b in ((a, a + len(text[a:b].rstrip())) for a, b in parts) if b > a]
