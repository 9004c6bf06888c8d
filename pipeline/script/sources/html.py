"""Web pages saved from a browser → a Document: the article only, via trafilatura (offline).

trafilatura finds the article (with its bundled fallbacks) and leaves navigation, ads, share
buttons, "read more" boxes and comments behind; its XML keeps headings, paragraphs, lists and
quotes. Title, author, date and description come from the page's metadata. A paragraph that is
only a short bold phrase is a subheading (news sites write them so). Pages where trafilatura finds
no article are read whole by ``blocks_of`` (also what EPUB chapters go through).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.script.sources.document import Block, Document, Kind, block, words
from pipeline.script.sources.structure import bold_subheading, refine

if TYPE_CHECKING:
    from lxml.etree import _Element


SMALL_PAGE_WORDS = 300
"""A page with fewer words than this in its body is read whole, without extracting an article."""

_METADATA = ("title", "author", "date", "description")
_MARK = re.compile(r"\[?(?:\d{1,3}|[*†‡§¶]+)\]?")
_SKIPPED = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
                      "button", "select", "figure", "figcaption", "img", "svg", "table", "pre", "code",
                      "iframe", "object", "video", "audio", "graphic", "head"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BOLD = frozenset({"b", "strong", "hi"})


def _local(element: _Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(element: _Element, inline_only: bool = False) -> str:
    """An element's words, with line breaks as spaces and nothing from skipped elements.

    ``inline_only``: without the blocks nested in it (a list item's own words, not its sub-list's).
    """
    said = [element.text or ""]
    for child in element:
        name = _local(child)
        if name in ("br", "lb"):
            said.append(" ")
        elif name and name not in _SKIPPED and not _footnote_mark(child):
            said.append("" if inline_only and name not in _INLINE else _text(child))
        said.append(child.tail or "")
    return "".join(said)


def _footnote_mark(element: _Element) -> bool:
    """A superscript that is only a number or a dagger (``<sup>3</sup>``): a footnote mark, not a word."""
    superscript = _local(element) == "sup" or (_local(element) == "hi" and "sup" in element.get("rend", ""))
    return superscript and bool(_MARK.fullmatch("".join(element.itertext()).strip()))


def _bold_only(element: _Element) -> bool:
    """A paragraph that is nothing but one bold run (``<p><strong>Back on the schooner</strong></p>``)."""
    children = [child for child in element if _local(child)]
    if len(children) != 1 or (element.text or "").strip() or (children[0].tail or "").strip():
        return False
    child = children[0]
    rend = child.get("rend", "")
    return _local(child) in _BOLD and (_local(child) != "hi" or "b" in rend)


def _paragraph(element: _Element) -> Block | None:
    said = _text(element)
    if _bold_only(element) and bold_subheading(said):
        return block(Kind.HEADING, said, 6)
    return block(Kind.PARAGRAPH, said)


def blocks_of(root: _Element, lists: int = 0, quoted: bool = False, inline: bool = True) -> list[Block]:
    """The blocks of an HTML (or trafilatura XML) tree in reading order.

    Loose words between blocks (an old page's ``<body>text<br><br>more</body>``) are paragraphs
    too, a double ``<br>`` between them; ``inline=False`` leaves them out (a list item's own words,
    read already).
    """
    loose_kind = Kind.ITEM if lists else Kind.QUOTE if quoted else Kind.PARAGRAPH
    found: list[Block | None] = []
    run: list[str] = [root.text or ""] if inline else []
    breaks = 0

    def flush() -> None:
        if run:
            found.append(block(loose_kind, "".join(run)))
            run.clear()

    for element in root:
        name = _local(element)
        if name == "head" and element.get("rend"):  # trafilatura's heading: <head rend="h2">
            name = element.get("rend", "")
            name = name if name in _HEADINGS else "h2"
        breaks = breaks + 1 if name in ("br", "lb") else 0
        if breaks == 2:
            flush()
        if name in _INLINE:
            if inline and not _footnote_mark(element):
                run.append(_text(element))
        elif name and name not in _SKIPPED and name not in ("br", "lb"):
            flush()
            found += _block_element(element, name, lists, quoted)
        if inline:
            run.append(" " if name in ("br", "lb") else "")
            run.append(element.tail or "")
    flush()
    return [item for item in found if item]


def _block_element(element: _Element, name: str, lists: int, quoted: bool) -> list[Block | None]:
    """The blocks of one block-level element."""
    if name in _HEADINGS:
        return [block(Kind.HEADING, _text(element), _HEADINGS[name])]
    if name in ("ul", "ol", "list"):
        return list(blocks_of(element, lists + 1, quoted))
    if name in ("li", "item"):
        item = block(Kind.ITEM, _text(element, inline_only=True), max(lists - 1, 0))
        return [item, *blocks_of(element, lists, quoted, inline=False)]
    if name in ("blockquote", "quote"):
        return list(blocks_of(element, lists, True))
    if name == "hr":
        return [block(Kind.BREAK)]
    if name == "p":
        paragraph = _paragraph(element)
        kind = Kind.ITEM if lists else Kind.QUOTE if quoted else None
        return [Block(kind, paragraph.text) if kind and paragraph else paragraph]
    return list(blocks_of(element, lists, quoted))  # a container: div, section, article, main, td, …


_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "hi",
                     "i", "ins", "kbd", "mark", "q", "ref", "s", "samp", "small", "span", "strong", "sub",
                     "sup", "time", "tt", "u", "var", "wbr", "label", "acronym", "nobr"})

def _page_title(tree: _Element) -> str:
    for path in ("//meta[@property='og:title']/@content", "//h1", "//title/text()"):
        found = tree.xpath(path)
        if found:
            text = found[0] if isinstance(found[0], str) else _text(found[0])
            if text.strip():
                return " ".join(text.split())
    return ""


def _count(blocks: list[Block]) -> int:
    return sum(words(item.text) for item in blocks)


def read_html(text: str) -> Document:
    """A saved web page (or any HTML essay) as a Document of its article.

    A short page (under SMALL_PAGE_WORDS words in its body) is read whole: it is all essay, and
    an extractor tuned for big pages would drop its short lists. A bigger page gives trafilatura's
    article, its own walker's result only if trafilatura finds none.
    """
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    try:
        page = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return Document(())
    body = page.find("body")
    blocks = blocks_of(body if body is not None else page)
    meta = {"title": _page_title(page)}
    notes = []
    extracted = None
    if sum(words(item.text) for item in blocks) >= SMALL_PAGE_WORDS:
        extracted = trafilatura.extract(
            text, output_format="xml", include_formatting=True, include_comments=False, include_tables=False,
            include_images=False, include_links=False, with_metadata=True)
    if extracted:
        article = etree.fromstring(extracted.encode("utf-8"))
        main = article.find("main")
        blocks = blocks_of(main if main is not None else article)
        meta |= {key: " ".join(article.get(key, "").split()) for key in _METADATA if article.get(key)}
        if meta.get("date", "")[:4] not in text:
            meta["date"] = ""  # a guess from outside the page (no date in it at all)
        notes.append("only the article was kept: navigation, ads, share links and comments dropped")
    return refine(Document(tuple(blocks), title=meta.get("title", ""), author=meta.get("author", ""),
                           date=meta.get("date", ""), description=meta.get("description", ""),
                           notes=tuple(notes)))
