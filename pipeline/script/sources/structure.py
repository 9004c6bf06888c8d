"""Structure rules every reader's Document goes through, whatever the format it came from.

Near the top of an essay: a byline (``By Mark Twain``) becomes the author and a dateline
(``April 28, 2019 at 6:01 am``) the date, neither spoken; a heading that repeats the title, or a
lone top heading when there is no title, becomes the title; a block quote (or a quoted line with a
``— Name`` under it) before the first paragraph is an epigraph. Anywhere: a short block that is
website furniture (``Advertisement``, ``Share this``) is dropped. Each rule leaves a note.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.script.sources.document import Block, Document, Kind, shortened, words

BOILERPLATE = tuple(re.compile(pattern, re.I) for pattern in (
    r"view (?:more|all)(?: about)?(?: .{1,60})? (?:reviews?|comments?|posts?|articles?|photos?|stories)",
    r"(?:read|see|show|load) (?:more|all|the full (?:story|article|review))"
    r"(?: (?:about|from|of|on) .{1,60})?\W*",
    r"(?:share|tweet|pin|email|print)(?: (?:this|it))?(?: (?:on \w+|article|story|post|review|page))?",
    r"advertisement|advertising|sponsored(?: content)?|"
    r"(?:related|recommended|popular)(?: articles| posts| stories)?:?.*",
    r"(?:click|tap) here\b.*|continue reading\b.*|(?:back|return) to (?:top|home)\b.*",
    r"(?:subscribe|sign up|log ?in|sign in)(?: (?:now|today|for|to) .{0,60})?",
    r"(?:posted|published|updated) (?:on|by|at|in) .{1,60}",
    r"(?:copyright|©).{0,80}|all rights reserved\.?",
    r"(?:\d+ )?(?:comments?|likes?|shares?|replies|views)|(?:leave|add|post) a (?:comment|reply|review)",
    r"(?:tags?|categories|filed under):.*",
    r"(?:follow|like) us(?: on .{1,40})?",
    r"home|menu|search|navigation|skip to (?:main )?content|sign out|log ?out",
    r"\d+ (?:of \d+ )?(?:people )?found this (?:review )?helpful.*|was this (?:review )?helpful\??.*",
    r"(?:report|flag)(?: this)?(?: review| comment| post| abuse)?",
))
"""Whole lines that are website furniture, not essay (matched case-insensitively, lines ≤ 100 chars)."""

SUBHEADING_WORDS = 12
"""A paragraph that is all bold, this short and without closing punctuation, is a subheading."""
LEAD_BLOCKS = 8
"""Bylines, datelines and epigraphs are looked for among this many blocks at the top."""
PROSE_WORDS = 12
"""A paragraph longer than this is the essay's prose: the top (title matter) ends there."""

_NAME = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|da|di|du|van|von|der|den|la|le|and|&))*"
_BYLINE = re.compile(rf"(?:(?:written|words|text|story|essay|review) )?by:?\s+(?P<name>{_NAME})"
                     r"(?:\s*[,|·—–-]\s*[^.!?]{0,80})?", re.I)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = re.compile(
    rf"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?"
    rf"\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{4}})", re.I)
_DATELINE_FILLER = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\b|\b(?:first|last|published|posted|updated|modified|dated|"
    r"on|at|pst|pdt|est|edt|gmt|utc|bst)\b|[\s,|·—–:-]+", re.I)
_CLOSING = re.compile(r"[.!?…,;:][\"”’')\]]*\Z")
_ATTRIBUTION = re.compile(rf"(?:—|–|―|--?)\s*(?P<name>{_NAME}.*)")


def bold_subheading(text: str) -> bool:
    """Whether an all-bold paragraph's text is short enough to be a subheading (``**The Route**``)."""
    text = text.strip()
    return 0 < words(text) <= SUBHEADING_WORDS and not _CLOSING.search(text)


def is_boilerplate(line: str) -> bool:
    """Whether one short line is website furniture (see ``BOILERPLATE``)."""
    return len(line) <= 100 and any(pattern.fullmatch(line) for pattern in BOILERPLATE)


def _byline(text: str) -> str:
    """The author's name if ``text`` is a byline, else ''."""
    match = _BYLINE.fullmatch(text)
    if not match or words(text) > 16 or text.endswith("."):
        return ""
    names = [word for word in match["name"].split() if word[:1].isupper()]
    return match["name"] if len(names) >= 2 else ""  # "By Design" is a heading, "By Ada Vale" a byline


def _dateline(text: str) -> str:
    """``text`` if it is nothing but a date (with times and "Updated …"), else ''."""
    first = _DATE.search(text)
    if not first or words(text) > 20 or text.endswith("."):
        return ""
    rest = _DATELINE_FILLER.sub("", _DATE.sub("", text))
    lead = _DATELINE_FILLER.sub("", text[:first.start()])
    return text if not rest and not lead else ""


def _quoted(text: str) -> bool:
    return text[:1] in "\"“'‘" and text.rstrip(".")[-1:] in "\"”'’"


def _same(a: str, b: str) -> bool:
    def key(text: str) -> str:
        return re.sub(r"\W+", " ", text).strip().casefold()
    return key(a) == key(b)


def refine(document: Document) -> Document:
    """The document with the rules above applied: title matter lifted, epigraphs marked, furniture gone."""
    title, author, date = document.title, document.author, document.date
    notes = list(document.notes)
    blocks: list[Block] = []
    top = True
    source = list(document.blocks)
    headings = [b for b in source if b.kind is Kind.HEADING]
    for index, item in enumerate(source):
        following = source[index + 1] if index + 1 < len(source) else None
        lead = top and index < LEAD_BLOCKS
        text = item.text
        if item.kind in (Kind.PARAGRAPH, Kind.HEADING) and is_boilerplate(text):
            notes.append(f"dropped web boilerplate: \"{text}\"")
            continue
        if lead and item.kind in (Kind.PARAGRAPH, Kind.HEADING) and _byline(text):
            author = author or _byline(text)
            notes.append(f"byline \"{text}\" is in the front matter as the author, not spoken")
            continue
        if lead and item.kind in (Kind.PARAGRAPH, Kind.HEADING) and _dateline(text):
            date = date or text
            notes.append(f"dateline \"{text}\" is not spoken")
            continue
        if item.kind is Kind.HEADING and not blocks and (
                (title and _same(text, title))
                or (not title and following and [h.level for h in headings].count(item.level) == 1
                    and all(h.level >= item.level for h in headings))):
            title = title or text
            continue
        if lead and (item.kind is Kind.QUOTE or (
                item.kind is Kind.PARAGRAPH and _quoted(text) and words(text) <= 60
                and following is not None and _ATTRIBUTION.fullmatch(following.text))):
            item = replace(item, kind=Kind.EPIGRAPH)
        elif lead and blocks and blocks[-1].kind is Kind.EPIGRAPH and (found := _ATTRIBUTION.fullmatch(text)):
            item = replace(item, kind=Kind.EPIGRAPH, text=found["name"])
        if item.kind is Kind.EPIGRAPH and not (blocks and blocks[-1].kind is Kind.EPIGRAPH):
            notes.append(f"epigraph: \"{shortened(item.text)}\" is spoken before the essay")
        blocks.append(item)
        if item.kind is Kind.PARAGRAPH and words(text) > PROSE_WORDS:
            top = False
    return replace(document, blocks=tuple(blocks), title=title, author=author, date=date, notes=tuple(notes))
