"""Markdown essays (CommonMark, blog posts, scraped pages) → a Document, via markdown-it-py.

Kept: headings (sections), paragraphs, list items, block quotes, the words of links, emphasis and
inline code. Never spoken: front matter (YAML ``---`` or TOML ``+++``; its title, author(s), date and
description fill the Document), URLs, images (their alt text goes into a note), raw HTML and
comments, code blocks, tables, footnote marks. Footnotes themselves are read last, under "Notes".
A web scraper's ``Title:`` / ``URL Source:`` / ``Markdown Content:`` header is metadata too.
A paragraph that is only a short bold phrase (``**Notes**``) is a subheading.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.script.sources.document import Block, Document, Kind, block
from pipeline.script.sources.structure import bold_subheading, refine

_TOML_FRONT = re.compile(r"\A\+\+\+[ \t]*\n(.*?)^\+\+\+[ \t]*\n?", re.S | re.M)
_SCRAPER = re.compile(r"\A((?:[A-Z][\w ]{1,30}:[ \t]*.*\n+){1,8})Markdown Content:[ \t]*\n")
_SCRAPER_KEYS = {"title": "title", "published time": "date", "author": "author", "description": "description"}
_TEMPLATE_TAG = re.compile(r"\{\{[<%].*?[%>]\}\}|\{%.*?%\}", re.S)  # Hugo shortcodes, Jekyll/Liquid tags
_HEADING_ATTRIBUTES = re.compile(r"\s*\{[#.][^{}]*\}\s*\Z")  # "## Title {#title}" (kramdown, Pandoc)
_BREAK_TAG = re.compile(r"<br\b", re.I)
_SCRAPED_IMAGE = re.compile(r"Image \d+(?::.*)?", re.S)
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]*\]")
_DROPPED = {"fence": "code block", "code_block": "code block", "html_block": "HTML block"}


@dataclass
class _Reader:
    """State while walking markdown-it's token stream."""

    blocks: list[Block | None] = field(default_factory=list)
    footnotes: list[Block | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lists: int = 0
    quotes: int = 0
    in_footnote: bool = False
    heading: int = 0

    def inline(self, children: Sequence[object]) -> str:
        """The words of an inline token's children: link text kept, URLs/images/HTML/marks dropped."""
        said: list[str] = []
        link_start = 0
        for child in children:
            kind = child.type  # type: ignore[attr-defined]
            if kind == "link_open":
                link_start = len(said)
            elif kind == "link_close" and _SCRAPED_IMAGE.fullmatch("".join(said[link_start:]).strip()):
                self.notes.append(f"image not spoken: \"{''.join(said[link_start:]).strip()}\"")
                del said[link_start:]  # a scraper's stand-in for an image: [Image 2: a loaf](…)
            elif kind == "text":  # a footnote mark with no footnote stays text: drop it all the same
                said.append(_FOOTNOTE_MARK.sub("", child.content))  # type: ignore[attr-defined]
            elif kind == "code_inline":
                said.append(child.content)  # type: ignore[attr-defined]
            elif kind in ("softbreak", "hardbreak", "html_inline"):  # of raw HTML, only <br> says anything
                content = child.content  # type: ignore[attr-defined]
                said.append(" " if kind != "html_inline" or _BREAK_TAG.match(content) else "")
            elif kind == "image":
                alt = " ".join(child.content.split())  # type: ignore[attr-defined]
                self.notes.append(f"image not spoken: \"{alt}\"" if alt else "image not spoken")
        return "".join(said)

    def add(self, kind: Kind, text: str = "", level: int = 0) -> None:
        (self.footnotes if self.in_footnote else self.blocks).append(block(kind, text, level))


def _bold_only(children: Sequence[object]) -> bool:
    kinds = [child.type for child in children  # type: ignore[attr-defined]
             if child.type != "text" or child.content.strip()]  # type: ignore[attr-defined]
    return len(kinds) >= 3 and kinds[0] == "strong_open" and kinds[-1] == "strong_close" \
        and "strong_open" not in kinds[1:]


def _front_matter(text: str) -> tuple[str, dict[str, object], str]:
    """The text without TOML front matter or a scraper header, their fields, and a note."""
    toml = _TOML_FRONT.match(text)
    if toml:
        try:
            return text[toml.end():], tomllib.loads(toml[1]), "TOML front matter is not spoken"
        except tomllib.TOMLDecodeError:
            return text[toml.end():], {}, "TOML front matter (unreadable) is not spoken"
    scraped = _SCRAPER.match(text)
    if scraped:
        fields = {}
        for line in scraped[1].splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() in _SCRAPER_KEYS:
                fields[_SCRAPER_KEYS[key.strip().lower()]] = value.strip()
        return text[scraped.end():], fields, "the web scraper's header (Title, URL Source) is not spoken"
    return text, {}, ""


def _yaml(content: str) -> dict[str, object]:
    import yaml

    try:
        loaded = yaml.safe_load(content)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _field(fields: dict[str, object], *keys: str) -> str:
    """The first of ``keys`` that ``fields`` has, as one line (lists of names joined with "and")."""
    for key in keys:
        value = fields.get(key)
        if isinstance(value, list):
            value = " and ".join(str(item) for item in value if isinstance(item, str | int))
        if isinstance(value, dict):
            value = value.get("name", "")
        if value not in (None, ""):
            return " ".join(str(value).split())
    return ""


def read_markdown(text: str) -> Document:
    """A Markdown essay as a Document."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    body, fields, note = _front_matter(text.replace("\r\n", "\n"))
    body, templated = _TEMPLATE_TAG.subn("", body)
    parser = MarkdownIt("commonmark").use(front_matter_plugin).use(footnote_plugin).enable("table")
    reader = _Reader(notes=[note] if note else [])
    tokens = parser.parse(body)
    dropped: dict[str, int] = {}
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "front_matter":
            fields = _yaml(token.content)
            reader.notes.append("YAML front matter is not spoken")
        elif kind in ("bullet_list_open", "ordered_list_open"):
            reader.lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            reader.lists -= 1
        elif kind == "blockquote_open":
            reader.quotes += 1
        elif kind == "blockquote_close":
            reader.quotes -= 1
        elif kind == "footnote_open":
            reader.in_footnote = True
        elif kind == "footnote_close":
            reader.in_footnote = False
        elif kind == "heading_open":
            reader.heading = int(token.tag[1:])
        elif kind == "hr" and not reader.lists and not reader.quotes:
            reader.add(Kind.BREAK)
        elif kind in ("fence", "code_block", "html_block", "table_open"):
            what = _DROPPED.get(kind, "table")
            dropped[what] = dropped.get(what, 0) + 1
        elif kind == "inline" and index and tokens[index - 1].type in ("heading_open", "paragraph_open"):
            children = token.children or []
            said = reader.inline(children)
            if reader.heading:
                reader.add(Kind.HEADING, _HEADING_ATTRIBUTES.sub("", said), reader.heading)
                reader.heading = 0
            elif not reader.lists and not reader.quotes and _bold_only(children) and bold_subheading(said):
                reader.add(Kind.HEADING, said, 6)
            else:
                reader.add(Kind.ITEM if reader.lists else Kind.QUOTE if reader.quotes else Kind.PARAGRAPH,
                           said, max(reader.lists - 1, 0))
    footnotes = [item for item in reader.footnotes if item]
    if footnotes:
        reader.notes.append(f"{len(footnotes)} footnotes are read at the end, under Notes (not their marks)")
        reader.blocks.append(Block(Kind.HEADING, "Notes", 2))
        reader.blocks += [replace(note, kind=Kind.PARAGRAPH) for note in footnotes]
    dropped |= {"template tag": templated} if templated else {}
    reader.notes += [f"dropped {count} {what}{'s' if count > 1 else ''}" for what, count in dropped.items()]
    return refine(Document(
        tuple(item for item in reader.blocks if item),
        title=_field(fields, "title"), author=_field(fields, "author", "authors"),
        date=_field(fields, "date", "published"), description=_field(fields, "description", "summary"),
        notes=tuple(reader.notes)))
