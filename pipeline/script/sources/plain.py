"""Plain text essays: lines and blank lines → a Document.

Finds paragraphs (joining hard-wrapped lines, one per line when lines are long), drops web
boilerplate lines, and tells structure apart by layout: a short line without closing punctuation
over prose is a heading, the first one the title; lines opening with ``1.`` or ``-`` are list items;
indented lines above the first paragraph are an epigraph; a line of only punctuation (``* * *``) is
a scene break; a "Contents" list is dropped. Bylines and datelines are found by ``structure``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pipeline.script.sources.document import Block, Document, Kind, block, shortened, words
from pipeline.script.sources.structure import is_boilerplate, refine

WRAP_WIDTH = 120
"""A block whose lines are all at most this long is hard-wrapped prose; otherwise each line is a paragraph."""
HEADING_WORDS = 12
"""A title or subheading line has at most this many words and no closing punctuation."""
INDENT = 2
"""Lines indented by at least this many spaces more than the body are set apart (an epigraph)."""

_CLOSING_MARK = re.compile(r"[.!?…,;:][\"”’')\]]*\Z")
_DIALOGUE_START = re.compile(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}\s*:\s")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s+")
_BULLET = re.compile(r"[-*•◦▪–+]\s+(?=\S)")
_NUMBER = re.compile(r"(?:\d{1,3}|[a-z]|[ivx]{1,5}|[IVX]{2,5})[.)]\s+(?=\S)|\((?:\d{1,3}|[a-z])\)\s+(?=\S)")
_ITEM_END = re.compile(r"[.!?…:;][\"”’')\]]*\Z")
_SIGNED = re.compile(r"(?:—|–|―|--)\s*[A-Z]")  # "— Ada Vale" under a quotation
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 "sixteen|seventeen|eighteen|nineteen|twenty|thirty|first|second|third|fourth|fifth|last")
_NUMBERED_HEADING = re.compile(  # "CHAPTER IV.", "Part 2: The River", "XXXVII. The Shop"; not "I did not …"
    rf"(?:(?:chapter|part|book|section|letter|canto|act|scene|essay)\s+(?:[ivxlcdm]+|\d+|{_NUMBER_WORDS})"
    r"|[IVXLC]{1,7})(?:(?:[.:]|\s+[-–—])(?:\s+[^.!?]*\.?)?)?", re.I)
_UNDERLINE = re.compile(r"={3,}|-{3,}")
_PICTURE = re.compile(r"\[(?:illustration|image|photo|picture|figure|graphic)\b[^\]]*\]", re.I)
_ROMAN = re.compile(r"[IVXLCDM]+[.:,]?")
_CONTENTS = re.compile(r"(?:table of )?contents?\s*:?", re.I)
_LINE_BREAK = re.compile(r"<br\s*/?>|</?p\s*>", re.I)
_INLINE_TAG = re.compile(r"</?(?:i|b|em|strong|u|s|span|a|small|big|sup|sub|font|cite|q|mark)"
                         r"(?:\s+[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))*\s*/?>", re.I)
_EMPHASIS = re.compile(r"(?<![\w*_\\])([*_]{1,2})(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![\w*_])")


@dataclass(frozen=True)
class _Paragraph:
    """One paragraph of the essay as found in the text."""

    text: str
    """Its words, lines joined with single spaces."""
    standalone: bool
    """True if it is a line of its own (a title or subheading can only be one)."""
    indent: int = 0
    """How far its block is indented (the least indented line), in spaces."""


def heading_like(text: str) -> bool:
    """A short line without closing punctuation (or a Markdown heading, or ``CHAPTER IV.``)."""
    if _MARKDOWN_HEADING.match(text) or (_NUMBERED_HEADING.fullmatch(text) and words(text) <= HEADING_WORDS):
        return True
    return (0 < words(text) <= HEADING_WORDS and len(text) <= 100 and not _CLOSING_MARK.search(text)
            and (text[0].isupper() or text[0].isdigit() or text[0] in "\"“'‘")
            and any(char.isalpha() for char in text))


def _title_line(block: list[str]) -> bool:
    """Whether a hard-wrapped block opens with a title line (much shorter than the lines under it)."""
    first = block[0]
    widest = max(len(text) for text in block[1:])
    return heading_like(first) and (bool(_MARKDOWN_HEADING.match(first)) or len(first) <= 0.6 * widest)


def _marker(text: str) -> re.Match[str] | None:
    return _BULLET.match(text) or _NUMBER.match(text)


def _paragraphs_of(block: list[str], indent: int) -> list[_Paragraph]:
    """A block of non-blank lines as paragraphs: one per line unless the block is hard-wrapped prose."""
    if len(block) == 1 or any(len(text) > WRAP_WIDTH for text in block[:-1]):
        return [_Paragraph(text, True, indent) for text in block]
    paragraphs: list[_Paragraph] = []
    lines: list[str] = []
    for index, text in enumerate(block):
        # a dialogue line or list item (after a line that ends a sentence: a wrapped line may start
        # with a dash) starts a paragraph; a short heading-like first line stands alone
        item = _marker(text) and (not lines or _ITEM_END.search(lines[-1]) or _marker(lines[0]))
        if lines and (_DIALOGUE_START.match(text) or item or _SIGNED.match(text)
                      or (index == 1 and _title_line(block))):
            paragraphs.append(_Paragraph(" ".join(lines), len(lines) == 1, indent))
            lines = []
        lines.append(text)
    paragraphs.append(_Paragraph(" ".join(lines), len(lines) == 1, indent))
    return paragraphs


def _paragraphs(text: str) -> tuple[list[_Paragraph], list[str]]:
    """The text's paragraphs, and notes about the boilerplate lines dropped from it."""
    paragraphs: list[_Paragraph] = []
    dropped: list[str] = []
    block: list[str] = []
    indent = 0
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate([*lines, ""], 1):
        line = " ".join(raw.split())
        if line and is_boilerplate(line):
            dropped.append(f"dropped web boilerplate (line {number}): \"{line}\"")
            line = ""
        if line and block and _UNDERLINE.fullmatch(line):  # "Title" over "=====": a heading of its own
            if len(block) > 1:
                paragraphs += _paragraphs_of(block[:-1], indent)
            paragraphs.append(_Paragraph(block[-1], True, indent))
            block, line = [], ""
        if line and _PICTURE.fullmatch(line):
            dropped.append(f"picture not spoken: \"{line}\"")
            line = ""
        if line:
            lead = len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())
            indent = min(indent, lead) if block else lead
            block.append(line)
        elif block:
            paragraphs += _paragraphs_of(block, indent)
            block = []
    if len(dropped) > 20:
        dropped[20:] = [f"… and {len(dropped) - 20} more boilerplate lines"]
    return paragraphs, dropped


def heading_text(text: str) -> str:
    """A heading line as a title: Markdown ``#`` marks dropped, ALL CAPS made title case."""
    text = " ".join(_MARKDOWN_HEADING.sub("", text, count=1).split()).strip("#").strip()
    if not text.isupper() or len(text) <= 4:
        return text
    return " ".join(word if _ROMAN.fullmatch(word) else word.capitalize() for word in text.split())


def unemphasised(text: str) -> str:
    """``_italic_`` and ``*bold*`` marks (plain-text conventions for print styles) removed."""
    return _EMPHASIS.sub(r"\2", text)


def _contents_end(paragraphs: list[_Paragraph], start: int) -> int:
    """Where a table of contents that starts at ``start`` ends: at the first heading over prose."""
    end = start + 1
    while end < len(paragraphs) and not _CLOSING_MARK.search(paragraphs[end].text):
        entry, following = paragraphs[end], paragraphs[end + 1] if end + 1 < len(paragraphs) else None
        if entry.standalone and following and _CLOSING_MARK.search(following.text):
            break  # a heading over prose: the essay itself begins
        end += 1
    return end


def _numbered(paragraph: _Paragraph | None) -> bool:
    return paragraph is not None and bool(_marker(paragraph.text))


def _untagged(text: str) -> str:
    """Text scraped from a web page keeps a few tags and entities: ``<br />`` breaks lines, the rest go."""
    if "<" not in text and "&" not in text:
        return text
    text = _LINE_BREAK.sub("\n", text)
    return html.unescape(_INLINE_TAG.sub("", text))


def read_text(text: str) -> Document:
    """A plain-text essay as a Document (title line, headings, paragraphs, lists, epigraph, breaks)."""
    paragraphs, notes = _paragraphs(_untagged(text))
    paragraphs = [_Paragraph(unemphasised(p.text), p.standalone, p.indent) for p in paragraphs]
    title = ""
    if len(paragraphs) > 1 and paragraphs[0].standalone and heading_like(paragraphs[0].text):
        title = heading_text(paragraphs.pop(0).text)
    body_indent = min((p.indent for p in paragraphs if words(p.text) > HEADING_WORDS), default=0)
    blocks: list[Block | None] = []
    opening = True  # nothing but title matter so far: an indented block here is an epigraph
    index = 0
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        nearby = (paragraphs[index - 1] if index else None,
                  paragraphs[index + 1] if index + 1 < len(paragraphs) else None)
        following = nearby[1]
        if paragraph.standalone and _CONTENTS.fullmatch(paragraph.text):
            end = _contents_end(paragraphs, index)
            entries = " ".join(entry.text for entry in paragraphs[index:end])
            notes.append(f"dropped a table of contents: \"{shortened(entries, 80)}\"")
            index = end
            continue
        marker = _marker(paragraph.text)
        is_heading = (paragraph.standalone and heading_like(paragraph.text)
                      and following is not None and not heading_like(following.text))
        if marker and (_BULLET.match(paragraph.text) or not is_heading or any(map(_numbered, nearby))):
            blocks.append(block(Kind.ITEM, paragraph.text[marker.end():]))
        elif is_heading:
            blocks.append(block(Kind.HEADING, heading_text(paragraph.text), 1))
        elif not any(char.isalnum() for char in paragraph.text):
            blocks.append(block(Kind.BREAK))  # a scene break ("* * *", ".....")
        elif opening and paragraph.indent >= body_indent + INDENT:
            blocks.append(block(Kind.EPIGRAPH, paragraph.text))
        else:
            blocks.append(block(Kind.PARAGRAPH, paragraph.text))
        said = blocks[-1]
        opening = opening and not (said and said.kind is Kind.PARAGRAPH and words(said.text) > HEADING_WORDS)
        index += 1
    return refine(Document(tuple(b for b in blocks if b), title=title, notes=tuple(notes)))
