"""The one structured form every input format is read into, and the draft generator reads.

A reader's job ends at a ``Document``: the essay's words in reading order as blocks (headings,
paragraphs, list items, block quotes, epigraphs, scene breaks), its title/author/date/description,
and notes saying what was left out. Nothing in a block is markup: no URLs, no emphasis marks, no
footnote marks. ``spoken_text`` is the last clean-up every reader passes its block text through.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """What a block is, which decides how the drafter groups it into sections."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"
    QUOTE = "quote"
    EPIGRAPH = "epigraph"
    BREAK = "break"


@dataclass(frozen=True)
class Block:
    """One unit of the essay's structure."""

    kind: Kind
    """Heading, paragraph, list item, block quote, epigraph or scene break."""
    text: str = ""
    """Its words on one line, without markup (empty for a scene break)."""
    level: int = 0
    """Heading level (1 = the highest), or list nesting depth (0 = top level)."""


@dataclass(frozen=True)
class Document:
    """An essay read from any format: metadata, blocks in reading order, notes on what was dropped."""

    blocks: tuple[Block, ...]
    """The essay's content in reading order."""
    title: str = ""
    """The essay's own title (front matter, page title, first heading or title line); may be empty."""
    author: str = ""
    """Who wrote it (front matter, byline, document properties)."""
    date: str = ""
    """When it was published, as written (front matter, dateline)."""
    description: str = ""
    """Its summary or standfirst from the source's metadata."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What the reader dropped or changed, for the producer (one line each)."""


_CITATION = re.compile(r"\[(?:\d{1,3}(?:[,–-]\s?\d{1,3})*|[a-z]|citation needed|clarification needed|"
                       r"according to whom\?|by whom\?|when\?|which\?|who\?|edit)\]", re.I)
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_URL = re.compile(r"<?\b(?:https?://|ftp://|www\.)[^\s<>\"”’)\]]*[^\s<>\"”’)\].,;:!?]>?", re.I)
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|<\s*>")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def spoken_text(text: str) -> str:
    """Block text as it may be spoken, on one line: URLs, citation marks (``[1]``, ``[citation needed]``),
    zero-width marks and brackets left empty removed, typographic ligatures (``ﬁ``) spelled out."""
    text = _ZERO_WIDTH.sub("", text).translate(_LIGATURES)
    text = _EMPTY_BRACKETS.sub("", _CITATION.sub("", _URL.sub("", text)))
    text = " ".join(text.split())
    return re.sub(r"\s+(?=[,.;:!?](?:\s|\Z)|[)\]])|(?<=[(\[])\s+", "", text)


def block(kind: Kind, text: str = "", level: int = 0) -> Block | None:
    """A block of cleaned ``text``, or None if nothing sayable is left (a scene break needs no text)."""
    text = spoken_text(text)
    if kind is not Kind.BREAK and not any(char.isalnum() for char in text):
        return None
    return Block(kind, text, level)


def words(text: str) -> int:
    """How many words ``text`` has (whitespace-separated)."""
    return len(text.split())


def shortened(text: str, limit: int = 60) -> str:
    """``text`` cut at a word to at most about ``limit`` characters (for notes)."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
