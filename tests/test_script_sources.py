"""Essay readers (pipeline.script.sources): every format into one Document, detection, structure rules.

Every fixture is written here (texts by this project) and built with the same libraries the readers
use (ebooklib, python-docx, pypdf), so no third-party text is in the repository.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import EssaycastError
from pipeline.script import NARRATOR, Script, draft
from pipeline.script.sources import format_of, read, script_signs
from pipeline.script.sources.document import Document, Kind
from pipeline.script.sources.markdown import read_markdown
from pipeline.script.sources.plain import read_text
from pipeline.script.storage import script_from

PROSE = ("The lamp in the hall had been burning since the afternoon, and nobody in the house could say who "
         "had lit it or why. ")


def spoken(script: Script) -> str:
    return " ".join(segment.text for _, _, _, segment in script.segments())


def kinds(document: Document) -> list[tuple[str, str]]:
    return [(block.kind.value, block.text) for block in document.blocks]


def sized(words: int, seed: str = "Words") -> str:
    """A paragraph of about ``words`` words, all sentences."""
    sentence = f"{seed} keep coming in this sentence of ten plain words. "
    return (sentence * max(1, words // 10)).strip()


# --- plain text: structure rules ---------------------------------------------------------------

TWAIN_LIKE = """\
On the Rules of Telling a Tale

by Edna Marsh

A teller of tales has rules, whether she writes them down or not, and the good ones are few and
plain. The rules that follow are mine, written after a winter of reading bad novels aloud.

1. That a tale shall accomplish something and arrive somewhere.
2. That the episodes of a tale shall be necessary parts of the tale, and
   shall help to develop it.
3. That the personages in a tale shall be alive, except in the case of corpses.

These rules are not new, but they are broken every day, and a reader who keeps them in mind will
find that most bad books break the first one before the end of their opening chapter.
"""


def test_numbered_list_stays_inside_its_section_and_byline_is_the_author() -> None:
    script = draft(TWAIN_LIKE)
    assert script.title == "On the Rules of Telling a Tale"
    assert script.author == "Edna Marsh"
    # the items stay in the section of the paragraph that introduces them (without the rule: one each)
    assert len(script.sections) == 2
    assert "That the personages" in " ".join(s.text for s in script.sections[0].segments)
    text = spoken(script)
    assert "That a tale shall accomplish something" in text and "by Edna Marsh" not in text
    assert not re.search(r"\b(?:one|1)\. That", text)  # the item number is not spoken as "one."
    assert any("byline" in note for note in script.notes)


def test_dateline_is_not_spoken() -> None:
    dateline = "April 28, 2019 at 6:01 am Updated April 29, 2019 at 3:33 pm"
    document = read_text(f"A Day Out\n\n{dateline}\n\n{PROSE}\n")
    assert document.date.startswith("April 28, 2019")
    assert kinds(document) == [("paragraph", PROSE.strip())]


def test_indented_lines_above_the_essay_are_an_epigraph() -> None:
    text = ("THE HOUSE ON THE HILL\n\n\n    “Nobody ever lives in the house on the hill.”\n\n"
            f"    “Then who lights the lamp?”\n\n{PROSE}\n{PROSE}\n")
    document = read_text(text)
    assert document.title == "The House On The Hill"
    assert [kind for kind, _ in kinds(document)] == ["epigraph", "epigraph", "paragraph"]
    script = draft(document)
    assert len(script.sections) == 1  # the epigraph opens the first section, it is not one of its own
    first = script.sections[0].segments[0]
    assert first.text.startswith("“Nobody ever lives") and "epigraph" in first.note
    assert script.sections[0].title.startswith("The lamp in the hall")


def test_markdown_blockquote_and_quoted_line_with_attribution_are_epigraphs() -> None:
    document = read_markdown(f"# A Title\n\n> A quiet word.\n\n{PROSE}\n")
    assert [kind for kind, _ in kinds(document)] == ["epigraph", "paragraph"]
    plain = read_text(f"A Title\n\n“A quiet word turns away wrath.”\n— Ada Vale\n\n{PROSE}\n")
    assert kinds(plain)[:2] == [("epigraph", "“A quiet word turns away wrath.”"), ("epigraph", "Ada Vale")]


def test_table_of_contents_is_dropped_and_numbered_headings_kept() -> None:
    text = ("A BOOK OF DAYS\n\nPREFACE\n\n" + PROSE + "\n\n     CONTENTS:\n\n          I  The First Day\n"
            "         II  The Second Day\n        III  The Third Day\n\n"
            "II. The Second Day\n\n" + PROSE + "\n")
    document = read_text(text)
    assert [b.text for b in document.blocks if b.kind is Kind.HEADING] == ["Preface", "II. The Second Day"]
    assert "The Third Day" not in " ".join(b.text for b in document.blocks)
    assert any("table of contents" in note for note in document.notes)


def test_scene_breaks_end_sections() -> None:
    text = f"{sized(200, 'First')}\n\n* * *\n\n{sized(40, 'Second')}\n\n.....\n\n{sized(40, 'Third')}\n"
    script = draft(text)
    assert [section.title.split()[0] for section in script.sections] == ["First", "Second", "Third"]


def test_short_paragraphs_gather_into_sections_of_150_to_400_words() -> None:
    paragraphs = [sized(20 + (index * 37) % 60, f"Para{index}") for index in range(75)]  # ~3,000 words
    script = draft("\n\n".join(paragraphs))
    sizes = [sum(len(s.text.split()) for s in section.segments) for section in script.sections]
    assert 3000 // 400 <= len(sizes) <= 3000 // 150
    assert all(sz <= 400 for sz in sizes) and all(sz >= 150 for sz in sizes[:-1])
    # without gathering: 75 sections, one per paragraph


def test_long_paragraphs_keep_a_section_each_and_headings_are_kept() -> None:
    script = draft("\n\n".join(sized(180, f"P{index}") for index in range(4)))
    assert len(script.sections) == 4
    parts = [f"Part {n} of the Story\n\n{sized(60)}\n\n{sized(60)}" for n in "ABC"]
    headed = draft("The Story\n\n" + "\n\n".join(parts))
    assert [s.title for s in headed.sections] == ["Part A of the Story", "Part B of the Story",
                                                  "Part C of the Story"]


def test_boilerplate_blocks_dropped_in_any_format() -> None:
    document = read_markdown(f"{PROSE}\n\nAdvertisement\n\n{PROSE}\n\nShare this\n")
    assert [kind for kind, _ in kinds(document)] == ["paragraph", "paragraph"]


# --- Markdown ----------------------------------------------------------------------------------

BLOG = """\
---
title: 'Why I Walk'
author: Ada Vale
date: '2020-01-01'
description: A short post about walking.
tags: [walking]
---

# Why I Walk

I walk to think, as [many people](https://example.com/people "a title") do.[^1] **Walking** is *slow*,
and `slow` is _good_. See <https://example.com/walk> for a map.

![A map of the park](https://example.com/map.png)

<!-- a comment that is never spoken -->
<div class="ad">Buy shoes</div>

## The Route

1. The river path.
2. The [old bridge][bridge].

**A bold aside**

- a loose thought with a [link](http://x.org)
- another one

```python
print("code is not read")
```

[bridge]: https://example.com/bridge
[^1]: My own count, from a [diary](https://example.com/diary).
"""


def test_markdown_reader_keeps_words_and_drops_markup() -> None:
    document = read_markdown(BLOG)
    assert (document.title, document.author, document.date) == ("Why I Walk", "Ada Vale", "2020-01-01")
    assert document.description == "A short post about walking."
    assert kinds(document) == [
        ("paragraph",
         "I walk to think, as many people do. Walking is slow, and slow is good. See for a map."),
        ("heading", "The Route"),
        ("item", "The river path."),
        ("item", "The old bridge."),
        ("heading", "A bold aside"),
        ("item", "a loose thought with a link"),
        ("item", "another one"),
        ("heading", "Notes"),
        ("paragraph", "My own count, from a diary."),
    ]
    assert any("A map of the park" in note for note in document.notes)
    assert any("code block" in note for note in document.notes)


def test_toml_front_matter_and_scraper_header() -> None:
    toml = read_markdown('+++\npath = "2025/01/01/x"\ntitle = "A Post"\nauthors = ["Ada Vale", "Bo Lind"]\n'
                         '[extra]\nteam = "Walkers"\n+++\n\n' + PROSE)
    assert (toml.title, toml.author) == ("A Post", "Ada Vale and Bo Lind")
    assert kinds(toml) == [("paragraph", PROSE.strip())]
    scraped = read_markdown("Title: How to Walk\n\nURL Source: https://example.com/walk\n\n"
                            "Markdown Content:\n" + PROSE + "\n\n![Image 1: a park](https://example.com/p.png)\n"
                            "\n[Image 2: a bench](https://example.com/b.png)\n")
    assert scraped.title == "How to Walk"
    assert kinds(scraped) == [("paragraph", PROSE.strip())]


def _inline() -> st.SearchStrategy[str]:
    word = st.sampled_from(["walk", "river", "light", "Ada", "old", "quiet", "42", "co-op"])
    url = st.sampled_from(["https://example.com/a", "http://x.org/b?c=1", "https://e.io/#f"])
    piece = st.one_of(
        word,
        st.builds(lambda w, u: f"[{w}]({u})", word, url),
        st.builds(lambda w: f"**{w}**", word),
        st.builds(lambda w: f"*{w}*", word),
        st.builds(lambda w: f"_{w}_", word),
        st.builds(lambda w: f"`{w}`", word),
        st.builds(lambda w, u: f"![{w}]({u})", word, url),
        st.builds(lambda u: f"<{u}>", url),
        st.builds(lambda w: f"[^{w}]", st.sampled_from(["a", "b", "n1"])),
        st.just("<span>x</span>"),
    )
    return st.lists(piece, min_size=1, max_size=12).map(" ".join)


def _block() -> st.SearchStrategy[str]:
    return st.one_of(
        _inline().map(lambda text: text + "."),
        st.builds(lambda n, text: "#" * n + " " + text, st.integers(1, 3), _inline()),
        st.lists(_inline(), min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
        st.lists(_inline(), min_size=1, max_size=3).map(lambda items: "\n".join(
            f"{n}. {i}" for n, i in enumerate(items, 1))),
        _inline().map(lambda text: f"> {text}"),
        st.builds(lambda label, text: f"[^{label}]: {text}", st.sampled_from(["a", "b"]), _inline()),
        st.just("---"),
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(_block(), min_size=1, max_size=8), st.booleans())
def test_random_markdown_never_speaks_markup(blocks: list[str], front: bool) -> None:
    text = ("---\ntitle: A Walk\ndate: 2020-01-01\n---\n\n" if front else "") + "\n\n".join(blocks) + "\n"
    try:
        script = draft(read_markdown(text))
    except EssaycastError as error:
        assert "nothing to draft" in str(error)
        return
    said = spoken(script)
    for mark in ("](", "**", "http", "[^", "<span", "title:"):
        assert mark not in said, (mark, said)


# --- HTML --------------------------------------------------------------------------------------

PAGE = f"""<!DOCTYPE html><html><head><title>The Night Ferry | Example Site</title>
<meta property="og:title" content="The Night Ferry"><script>var x = "<p>never</p>";</script>
<style>p {{ color: red }}</style></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>The Night Ferry</h1><p class="byline">By Ada Vale</p>
<p>{PROSE}The ferry left at <a href="https://example.com/t">nine</a>.</p>
<p><strong>On the water</strong></p>
<p>{PROSE}</p><ul><li>A coat.</li><li>A <em>thermos</em>.</li></ul>
<!-- comment --><p>Advertisement</p><img src="a.png" alt="photo"></article>
<footer>Copyright 2024 Example</footer></body></html>"""


def test_html_page_read_whole_when_small() -> None:
    document = read(Path("page.html"), PAGE.encode())
    assert (document.title, document.author) == ("The Night Ferry", "Ada Vale")
    assert kinds(document) == [
        ("paragraph", PROSE + "The ferry left at nine."), ("heading", "On the water"),
        ("paragraph", PROSE.strip()), ("item", "A coat."), ("item", "A thermos."),
    ]


# --- EPUB, DOCX, PDF (built here with the readers' own libraries) ------------------------------

def make_epub(chapters: list[tuple[str, str]], continued: str = "") -> bytes:
    """An EPUB with a cover page, a chapter per (title, body) in the TOC, and optionally a file the TOC
    does not name after the first chapter (as converters split long chapters)."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("essaycast-test")
    book.set_title("Two Evenings")
    book.set_language("en")
    book.add_author("Ada Vale")
    cover = epub.EpubHtml(title="Cover", file_name="cover.xhtml", lang="en")
    cover.content = "<html><body><p>Two Evenings, a cover page that is not read.</p></body></html>"
    items = []
    for index, (title, body) in enumerate(chapters):
        chapter = epub.EpubHtml(title=title, file_name=f"ch{index}.xhtml", lang="en")
        chapter.content = f"<html><body><h1>{title}</h1>{body}</body></html>"
        items.append(chapter)
    split = []
    if continued:
        split = [epub.EpubHtml(title="", file_name="ch0_split.xhtml", lang="en")]
        split[0].content = f"<html><body>{continued}</body></html>"
    for item in (cover, *items, *split):
        book.add_item(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [cover, "nav", *items[:1], *split, *items[1:]]
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def test_epub_has_a_section_per_chapter_from_the_toc() -> None:
    data = make_epub([("The First Evening", f"<p>{PROSE}</p><h2>An aside</h2><p>{PROSE}</p>"),
                      ("The Second Evening", f"<p>{PROSE}</p>")], continued="<p>The evening went on.</p>")
    document = read(Path("book.epub"), data)
    assert (document.title, document.author) == ("Two Evenings", "Ada Vale")
    headings = [b.text for b in document.blocks if b.kind is Kind.HEADING]
    assert headings == ["The First Evening", "The Second Evening"]
    assert "cover page" not in " ".join(b.text for b in document.blocks)
    assert "The evening went on." in [b.text for b in document.blocks]  # a split chapter's second file
    script = draft(document)
    assert [s.title for s in script.sections] == ["The First Evening", "The Second Evening"]


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = "Ada Vale"
    document.add_paragraph("Notes From a Garden", style="Title")
    document.add_paragraph(PROSE)
    document.add_paragraph("Spring", style="Heading 1")
    document.add_paragraph(PROSE)
    document.add_paragraph("Plant the beans.", style="List Number")
    document.add_paragraph("Water the beans.", style="List Number")
    document.add_paragraph("A garden is a slow argument.", style="Quote")
    document.add_paragraph("Summer", style="Heading 1")
    document.add_paragraph("")
    bold = document.add_paragraph()
    bold.add_run("Late summer").bold = True
    document.add_paragraph(PROSE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_headings_lists_and_quotes_by_style() -> None:
    document = read(Path("garden.docx"), make_docx())
    assert (document.title, document.author) == ("Notes From a Garden", "Ada Vale")
    assert kinds(document) == [
        ("paragraph", PROSE.strip()), ("heading", "Spring"), ("paragraph", PROSE.strip()),
        ("item", "Plant the beans."), ("item", "Water the beans."), ("quote", "A garden is a slow argument."),
        ("heading", "Summer"), ("heading", "Late summer"), ("paragraph", PROSE.strip()),
    ]


def make_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A PDF whose pages hold the given lines in Helvetica, top to bottom (no layout engine needed)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(["BT /F1 11 Tf 14 TL 72 740 Td", *(f"({line}) Tj T*" for line in escaped),
                                   "ET"]).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BODY = [
    "The harbour was quiet in the mornings, before the boats went out and the gulls",
    "found the first of the nets. Nobody who lived there thought of it as beauti-",
    "ful; they thought of it as work, and the work began before it was light.",
    "By noon the sheds were full of people who had been awake for eight hours.",
]


def test_pdf_text_without_running_heads_page_numbers_or_hyphenation() -> None:
    pages = [["A Harbour Essay", *BODY, str(n)] for n in range(1, 4)]
    document = read(Path("harbour.pdf"), make_pdf(pages, title="The Harbour"))
    text = " ".join(b.text for b in document.blocks)
    assert "beautiful;" in text and "beauti-" not in text
    assert "A Harbour Essay" not in text and not re.search(r"\b[123]\b", text)
    assert document.title == "The Harbour"
    assert len([b for b in document.blocks if b.kind is Kind.PARAGRAPH]) == 3  # one per page's paragraph
    assert any("running heads" in note for note in document.notes)


# --- detection ---------------------------------------------------------------------------------

def test_format_is_told_by_content_before_suffix(tmp_path: Path) -> None:
    assert format_of(Path("essay.txt"), make_pdf([BODY])).name == "pdf"
    assert format_of(Path("essay.bin"), make_docx()).name == "docx"
    assert format_of(Path("saved"), PAGE.encode()).name == "html"
    assert format_of(Path("post.txt"), BLOG.encode()).name == "markdown"
    assert format_of(Path("essay"), b"Just words.").name == "text"
    with pytest.raises(EssaycastError, match=r"unknown format '\.rtf'.*markdown \(\.md") as error:
        format_of(Path("essay.rtf"), b"{\\rtf1 hello}")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("text", "is_script"), [
    ("+++\ntitle = \"X\"\n[cast]\nnarrator = \"joe\"\n+++\n\nHello.\n", True),
    ("+++\npath = \"2025/x\"\ntitle = \"X\"\n+++\n\nA blog post.\n", False),
    ("## A heading\n\n@samantha: Hello.\n", True),
    ("Wait. [pause 800ms] Go.\n", True),
    ("<speak>Hello</speak>", True),
    ("---\ntitle: A post\n---\n\n# Hello\n\nA [link](https://x.org).\n", False),
    ("Write to me @ home: I answer.\n", False),
])
def test_script_or_essay_by_content(text: str, is_script: bool) -> None:
    assert bool(script_signs(text)) is is_script


def test_markdown_blog_post_is_drafted_and_as_overrides(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(BLOG, "utf-8")
    script = script_from(post)
    assert script.title == "Why I Walk"
    assert [s.title for s in script.sections][1:3] == ["The Route", "A bold aside"]
    marked = tmp_path / "marked.md"
    marked.write_text("A post that mentions [pause 2s] as an example.\n", "utf-8")
    assert script_from(marked).sections[0].segments[0].text == "A post that mentions"
    drafted = script_from(marked, as_="essay")
    assert "pause" in spoken(drafted)
    with pytest.raises(EssaycastError, match="--as essay"):  # a wrong guess says which flag to use
        script_from(_write(tmp_path / "bad.md", b"@nobody: hi\n"))
    with pytest.raises(EssaycastError, match="not a script"):
        script_from(_write(tmp_path / "x.pdf", make_pdf([BODY])), as_="script")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("name", "data", "message"), [
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word"),
    ("broken.epub", b"PK\x03\x04 not really a zip", "not a readable EPUB"),
    ("broken.pdf", b"%PDF-1.4\n garbage", "not a readable PDF"),
    ("notes.rtf", b"{\\rtf1 hi}", "unknown format"),
])
def test_corrupt_or_unknown_files_are_one_line_errors(tmp_path: Path, name: str, data: bytes,
                                                      message: str) -> None:
    with pytest.raises(EssaycastError, match=message) as error:
        script_from(_write(tmp_path / name, data))
    assert "\n" not in str(error.value)


def tiny_essays(sentence: str, markdown_tail: str = "") -> dict[str, bytes]:
    """One sentence under the title "Tea" in every format, by file name."""
    return {
        "tea.txt": f"Tea\n\n{sentence}\n".encode(),
        "tea-post.md": f"---\ntitle: Tea\n---\n\n{sentence}{markdown_tail}\n".encode(),
        "tea-page.html": f"<html><title>Tea</title><body><p>{sentence}</p></body></html>".encode(),
        "tea-book.epub": make_epub([("Tea", f"<p>{sentence}</p>")]),
        "tea-doc.docx": _docx_of(sentence),
        "tea-print.pdf": make_pdf([["Tea", sentence]]),
    }


def test_every_format_drafts_to_the_same_words(tmp_path: Path) -> None:
    """One short essay in each format: the narrator says the same sentence from every one."""
    sentence = "The kettle sang while we waited for the rain to stop."
    inputs = tiny_essays(sentence)
    for name, data in inputs.items():
        script = script_from(_write(tmp_path / name, data))
        assert spoken(script) == sentence, name
        assert {s.speaker for _, _, _, s in script.segments()} == {NARRATOR}


def _docx_of(sentence: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Tea", style="Title")
    document.add_paragraph(sentence)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- the real-essay corpus (../shared/corpus, read only; skipped where it is absent) -----------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_TEXTS = sorted(p for p in (CORPUS.glob("*") if CORPUS.is_dir() else ())
                      if p.suffix in (".txt", ".md", ".html") and not p.name.endswith(".notes.md")
                      and p.name != "README.md")
_HEADINGS_SECTION = re.compile(r"^## Headings → sections\n(.*?)(?:\n## |\Z)", re.S | re.M)


def _bench() -> object:
    import importlib
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        return importlib.import_module("corpus_draft")
    finally:
        sys.path.pop(0)


def _named_headings(notes: str) -> list[str]:
    """The headings a text's notes say become sections (or the title): quoted in a "Headings →
    sections" part, or in backticks (HTML tags stripped) on a line saying "→ sections" or "→ title"."""
    listed = _HEADINGS_SECTION.search(notes)
    named = re.findall(r"\"([^\"]+)\"", listed[1]) if listed else []
    for line in re.findall(r"^.*(?:become sections|→ sections|→ title).*$", notes, re.M):
        before = line.split("→")[0]  # what the arrow says becomes a section, not what follows it
        named += [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"`([^`]+)`", before)]
    return [text for text in named if text.strip()]


@pytest.mark.skipif(not CORPUS_TEXTS, reason="../shared/corpus is not here")
@pytest.mark.parametrize("source", CORPUS_TEXTS, ids=lambda p: p.name)
def test_corpus_drafts_without_markup_and_with_the_named_sections(source: Path) -> None:
    script = script_from(source)
    marked = {segment.text: _bench().markup_in(segment.text) for _, _, _, segment in script.segments()}
    assert {text: found for text, found in marked.items() if found} == {}
    notes = source.with_name(source.name.rsplit(".", 1)[0] + ".notes.md").read_text("utf-8")
    named = (*[section.title for section in script.sections], script.title)
    titles = [re.sub(r"\W+", " ", title).strip().casefold() for title in named]
    for heading in _named_headings(notes):
        wanted = re.sub(r"\W+", " ", re.sub(r"[*_`]", "", heading)).strip().casefold()
        assert wanted in titles, (heading, titles)
    sizes = [sum(len(s.text.split()) for s in section.segments) for section in script.sections]
    assert max(sizes) <= 1000 and len(sizes) <= sum(sizes) // 100 + 1  # never a section per line


@pytest.mark.slow
def test_make_renders_a_tiny_essay_of_each_format_into_a_site(tmp_path: Path) -> None:
    import subprocess
    import sys

    inputs = tiny_essays("The kettle sang while we waited.", " See [the pot](https://example.com).")
    for name, data in inputs.items():
        _write(tmp_path / name, data)
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", "make", name, "--site", "site"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (name, done.stderr)
        assert (tmp_path / "site" / "episodes" / f"{Path(name).stem}.mp3").stat().st_size > 1000
    drafted = tmp_path / "tea-post.script.md"  # beside the essay; .script.md as the essay is a .md itself
    assert "example.com" not in drafted.read_text("utf-8") and "the pot" in drafted.read_text("utf-8")


def test_a_wrapped_line_that_starts_with_a_dash_or_initial_is_not_a_list_item() -> None:
    text = ("The longest sentence handed down in the case was long, and the judge said so\n"
            "- 46 months - before the court rose. It was reported by the paper's own\n"
            "J. K. Lane, who had followed the trial from its very first day in court.\n")
    assert kinds(read_text(text)) == [("paragraph", " ".join(text.split()))]


def test_list_items_are_read_as_a_list() -> None:
    packing = f"## Packing\n\n{PROSE}\n\n- A coat.\n- A hat.\n- A scarf.\n\n{PROSE}\n\n## Off\n\nGone.\n"
    script = draft(read_markdown(packing))
    pauses = [(s.text, s.pause_after.ms) for s in script.sections[0].segments]
    assert pauses[1:4] == [("A coat.", 600), ("A hat.", 600), ("A scarf.", 900)]  # the last: a paragraph


def test_scraped_tags_entities_and_citation_marks_are_not_spoken() -> None:
    text = ("A review that was scraped from a page.<br /><br />It has <i>tags</i> &amp; entities, "
            "a citation[3] and a ﬁne ligature.[citation needed] Still, if a<b and c>d, the maths stays.")
    assert [b.text for b in read_text(text).blocks] == [
        "A review that was scraped from a page.",
        "It has tags & entities, a citation and a fine ligature. Still, if a<b and c>d, the maths stays."]


def test_markdown_template_tags_and_heading_attributes_are_not_spoken() -> None:
    document = read_markdown('## The Route {#route}\n\n{{< figure src="a.png" >}}\n\n'
                             'We walked{% raw %} on.\n')
    assert document.title == "The Route"
    assert kinds(document) == [("paragraph", "We walked on.")]


def test_html_footnote_superscripts_dropped_ordinals_kept() -> None:
    page = ("<html><body><p>It was the 19<sup>th</sup> century, as the notes say.<sup><a href='#n1'>1</a>"
            "</sup> Nobody doubts it.</p></body></html>")
    assert kinds(read(Path("p.html"), page.encode())) == [
        ("paragraph", "It was the 19th century, as the notes say. Nobody doubts it.")]


def test_numbered_chapter_headings_and_a_heading_that_is_not_a_byline() -> None:
    text = (f"A TALE\n\nCHAPTER I.\n\n{PROSE}\n\nCHAPTER II. THE RIVER\n\n{PROSE}\n\nBy Design\n\n{PROSE}\n")
    document = read_text(text)
    headings = [b.text for b in document.blocks if b.kind is Kind.HEADING]
    assert headings == ["Chapter I.", "Chapter II. The River", "By Design"] and document.author == ""
    for line in ("I did not speak, and it was he who spoke again.", "Part of it was good.",
                 "Section 2 explains the method."):
        assert kinds(read_text(f"{PROSE}\n\n{line}\n\n{PROSE}\n"))[1] == ("paragraph", line)


def test_html_in_a_declared_legacy_charset() -> None:
    page = ('<html><head><meta charset="windows-1252"><title>Café</title></head>'
            '<body><p>A café on the corner – open late.</p></body></html>').encode("cp1252")
    assert kinds(read(Path("old.htm"), page)) == [("paragraph", "A café on the corner – open late.")]


def test_unpunctuated_list_lines_are_items_each() -> None:
    assert kinds(read_text(f"{PROSE}\n\nWe packed:\n- apples\n- pears\n- plums\n")) == [
        ("paragraph", PROSE.strip()), ("paragraph", "We packed:"),
        ("item", "apples"), ("item", "pears"), ("item", "plums")]


def test_title_from_a_numbered_file_name() -> None:
    from pipeline.script.storage import title_from_filename

    assert title_from_filename("01-grey-walls.txt") == "Grey Walls"
    assert title_from_filename("1984-notes.txt") == "1984 Notes"  # a year is part of the name


@pytest.mark.parametrize("name", ["broken.pdf", "broken.docx", "notes.rtf", "bad.md"])
def test_the_cli_answers_a_bad_input_with_one_line(tmp_path: Path, name: str) -> None:
    import subprocess
    import sys

    data = {"broken.pdf": b"%PDF-1.4\n junk", "broken.docx": b"PK\x03\x04 junk", "notes.rtf": b"{\\rtf1 x}",
            "bad.md": b"@nobody: hi\n"}[name]
    _write(tmp_path / name, data)
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "script", name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr


def test_nested_lists_and_inline_breaks() -> None:
    page = ("<html><body><ul><li>Fruit <em>first</em><ul><li>apples</li><li>pears</li></ul></li>"
            "<li>Bread</li></ul></body></html>")
    assert kinds(read(Path("list.html"), page.encode())) == [
        ("item", "Fruit first"), ("item", "apples"), ("item", "pears"), ("item", "Bread")]
    assert kinds(read_markdown("One line<br>and the next.\n")) == [("paragraph", "One line and the next.")]


def test_an_old_page_of_loose_text_and_line_breaks() -> None:
    page = ("<html><body>First paragraph, <b>loose</b> in the body.<br><br>Second one.<div>A box.</div>"
            "</body></html>")
    assert kinds(read(Path("old.html"), page.encode())) == [
        ("paragraph", "First paragraph, loose in the body."), ("paragraph", "Second one."),
        ("paragraph", "A box.")]


def test_underlined_headings_and_illustration_lines_in_plain_text() -> None:
    text = (f"The Walk\n========\n\n{PROSE}\n\n[Illustration: a gate in the rain]\n\n"
            f"The Gate\n--------\n\n{PROSE}\n")
    document = read_text(text)
    assert document.title == "The Walk"
    assert kinds(document) == [("paragraph", PROSE.strip()), ("heading", "The Gate"),
                               ("paragraph", PROSE.strip())]
    assert any("a gate in the rain" in note for note in document.notes)
