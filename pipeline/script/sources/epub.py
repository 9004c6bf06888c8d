"""EPUB books → a Document: one section per chapter, in the order of the table of contents.

Chapters are the spine documents the table of contents names (its title is the chapter's heading,
and a first heading inside the chapter that repeats it is not read twice); a spine document it does
not name continues the chapter before it (converters split long chapters into several files), and
those before the first chapter (cover, title page, copyright) are left out with a note. A book
without a table of contents is read in spine order with its own headings. Title, author, date and
description come from its Dublin Core metadata.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.sources.document import Block, Document, Kind
from pipeline.script.sources.html import blocks_of
from pipeline.script.sources.structure import refine


def _toc_titles(toc: object, titles: dict[str, str]) -> dict[str, str]:
    """Chapter file → its title from the (nested) table of contents, first mention wins."""
    from ebooklib import epub

    for entry in toc if isinstance(toc, list | tuple) else [toc]:
        if isinstance(entry, tuple) and len(entry) == 2:
            _toc_titles(entry[0], titles)
            _toc_titles(entry[1], titles)
        elif isinstance(entry, epub.Link | epub.Section) and getattr(entry, "href", None):
            titles.setdefault(posixpath.normpath(entry.href.split("#", 1)[0]), " ".join(entry.title.split()))
    return titles


def _metadata(book: object, name: str) -> str:
    found = book.get_metadata("DC", name)  # type: ignore[attr-defined]
    return " ".join(str(found[0][0]).split()) if found and found[0][0] else ""


def read_epub(data: bytes, path: Path) -> Document:
    """An EPUB book as a Document."""
    import ebooklib
    from ebooklib import epub
    from lxml import etree
    from lxml import html as lxml_html

    try:
        book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": False})
    except (zipfile.BadZipFile, KeyError, AttributeError, etree.LxmlError, epub.EpubException, OSError,
            ValueError, IndexError) as exc:
        raise EssaycastError(f"{path} is not a readable EPUB file ({type(exc).__name__}: {exc})",
                             hint="re-export it from its editor, or save the text as .txt") from None
    titles = _toc_titles(book.toc, {})
    blocks: list[Block] = []
    skipped, started = 0, False
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        title = titles.get(posixpath.normpath(item.get_name()), "")
        started = started or bool(title)
        if titles and not started:
            skipped += 1  # before the first chapter: cover, title page, copyright, contents
            continue
        try:
            root = lxml_html.document_fromstring(item.get_content())
        except (etree.ParserError, ValueError):
            continue
        body = root.find("body")
        chapter = blocks_of(body if body is not None else root)
        if title:
            if chapter and chapter[0].kind is Kind.HEADING and chapter[0].text.casefold() == title.casefold():
                chapter = chapter[1:]
            chapter = [Block(Kind.HEADING, title, 1), *[
                Block(Kind.PARAGRAPH, b.text) if b.kind is Kind.HEADING else b for b in chapter]]
        blocks += chapter
    notes = [f"left out {skipped} parts of the book before its first chapter"] if skipped else []
    return refine(Document(tuple(blocks), title=_metadata(book, "title"), author=_metadata(book, "creator"),
                           date=_metadata(book, "date"), description=_metadata(book, "description"),
                           notes=tuple(notes)))
