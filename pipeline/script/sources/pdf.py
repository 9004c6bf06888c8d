"""PDF documents → a Document, via pypdf: the text, without what the page layout adds to it.

Taken out: running heads and footers (a line at the top or bottom of most pages that is the same
on each, page numbers aside), lone page numbers (``12``, ``- 12 -``, ``Page 12 of 30``, ``xii``), and
end-of-line hyphenation (``recog-`` / ``nised`` → ``recognised``). A PDF's text has no blank lines
between paragraphs, so a line that ends a sentence well short of the text width ends a paragraph,
and a short line without closing punctuation stands alone (a heading). The result is read as plain
text (``plain``), so its structure rules apply. Title and author come from the PDF's metadata.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.sources.document import Document
from pipeline.script.sources.plain import heading_like, read_text

RUNNING_SHARE = 0.5
"""A top or bottom line repeated on at least this share of the pages is a running head or footer."""
EDGE_LINES = 2
"""How many lines at the top and at the bottom of a page may be running heads or footers."""
SHORT_LINE = 0.75
"""A line shorter than this share of the widest lines, ending a sentence, ends its paragraph."""

_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?(?:\s+of\s+\d{1,4})?", re.I)
_SENTENCE_END = re.compile(r"[.!?…:][\"”’')\]]*\Z")
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-z])")


def _shape(line: str) -> str:
    """A line with its numbers blanked: "Chapter 3 · page 12" and "… page 13" are the same running head."""
    return re.sub(r"\d+", "#", " ".join(line.split()).casefold())


def _pages(data: bytes, path: Path) -> tuple[list[list[str]], dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    log = logging.getLogger("pypdf")
    level, log.level = log.level, logging.ERROR  # its warnings about a damaged file are not for the user
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        info = reader.metadata or {}
        meta = {"title": str(info.get("/Title", "") or ""), "author": str(info.get("/Author", "") or "")}
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise EssaycastError(f"{path} is not a readable PDF file ({type(exc).__name__}: {exc})",
                             hint="re-export it as PDF, or save the text as .txt") from None
    finally:
        log.setLevel(level)
    return pages, meta


def _without_furniture(pages: list[list[str]]) -> tuple[list[list[str]], int]:
    """Pages without running heads/footers and page numbers, and how many lines went."""
    pages = [[line for line in page if line.strip()] for page in pages]
    edges = Counter(shape for page in pages
                    for shape in {_shape(line) for line in page[:EDGE_LINES] + page[-EDGE_LINES:]})
    running = {shape for shape, count in edges.items()
               if len(pages) >= 3 and count >= RUNNING_SHARE * len(pages)}
    kept, dropped = [], 0
    for page in pages:
        edge = set(range(min(EDGE_LINES, len(page)))) | set(range(max(len(page) - EDGE_LINES, 0), len(page)))
        lines = [line for index, line in enumerate(page)
                 if not (index in edge and (_shape(line) in running or _PAGE_NUMBER.fullmatch(line.strip())))]
        dropped += len(page) - len(lines)
        kept.append(lines)
    return kept, dropped


def _paragraphed(lines: list[str]) -> str:
    """Lines of PDF text with blank lines where paragraphs end (see the module docstring)."""
    width = sorted((len(line.strip()) for line in lines), reverse=True)
    wide = width[len(width) // 10] if width else 0  # the 90th percentile: a typical full line
    out: list[str] = []
    for line in lines:
        text = line.strip()
        alone = heading_like(text) and len(text) < SHORT_LINE * wide
        if alone and out and out[-1]:
            out.append("")
        out.append(text)
        if alone or (_SENTENCE_END.search(text) and len(text) < SHORT_LINE * wide):
            out.append("")
    return "\n".join(out)


def read_pdf(data: bytes, path: Path) -> Document:
    """A PDF's text as a Document."""
    pages, meta = _pages(data, path)
    pages, dropped = _without_furniture(pages)
    text = _HYPHENATED.sub(r"\1", _paragraphed([line for page in pages for line in page]))
    if not text.strip():
        raise EssaycastError(f"{path} has no text to read (a scanned PDF?)",
                             hint="run it through OCR first, or save the text as .txt")
    document = read_text(text)
    notes = [f"dropped {dropped} running heads, footers and page numbers"] if dropped else []
    return replace(document, title=document.title or meta["title"], author=document.author or meta["author"],
                   notes=(*notes, *document.notes))
