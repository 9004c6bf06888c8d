"""Draft every text of the real-essay corpus and print a table: sections, words per section, markup left.

Usage: ``python bench/corpus_draft.py [CORPUS_DIR]`` (default ``../shared/corpus``). A text that cannot
be drafted shows its one-line error. "markup" counts segments that still hold a URL, Markdown or HTML
syntax, a front-matter line or a footnote mark (``MARKUP`` below; the corpus test uses the same list).
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

MARKUP = {
    "url": re.compile(r"https?://|www\.\w|\w\.(?:com|org|net)/", re.I),
    "link": re.compile(r"\]\(|\]\[|\[[^\]]*\]:"),
    "emphasis": re.compile(r"\*\*|__|(?<![\w*])\*(?=\w)|(?<=\w)\*(?![\w*])"
                           r"|(?<![\w_])_(?=\w)|(?<=\w)_(?![\w_])"),
    "code": re.compile(r"`"),
    "heading": re.compile(r"(?:^|\s)#{1,6}\s"),
    "html": re.compile(r"</?[a-zA-Z][\w-]*(?:\s[^>]*)?/?>|&(?:[a-z]+|#\d+);|<!--"),
    "footnote": re.compile(r"\[\^|\[\d{1,3}\]|\^\w"),
    "front matter": re.compile(r"^(?:\+\+\+|---)|\b(?:title|authors?|date|path|team_url)\s*[:=]\s", re.I),
}
"""What may never reach the voice, by name."""


def markup_in(text: str) -> list[str]:
    """The names of the kinds of markup found in one segment's text."""
    return [name for name, pattern in MARKUP.items() if pattern.search(text)]


def main(corpus: Path) -> None:
    from pipeline.errors import EssaycastError
    from pipeline.script.storage import script_from

    print("| text | sections | words/section (median, min–max) | segments | with markup |")
    print("|---|---|---|---|---|")
    for path in sorted(p for p in corpus.iterdir() if p.suffix in (".txt", ".md", ".html")
                       and not p.name.endswith(".notes.md") and p.name != "README.md"):
        try:
            script = script_from(path)
        except EssaycastError as error:
            print(f"| {path.name} | error: {error} | | | |")
            continue
        sizes = [sum(len(s.text.split()) for s in section.segments) for section in script.sections]
        segments = [segment for _, _, _, segment in script.segments()]
        marked = [(segment.text, markup_in(segment.text)) for segment in segments]
        marked = [(text, kinds) for text, kinds in marked if kinds]
        kinds = sorted({kind for _, found in marked for kind in found})
        print(f"| {path.name} | {len(sizes)} | {statistics.median(sizes):.0f} ({min(sizes)}–{max(sizes)}) | "
              f"{len(segments)} | {len(marked)} {', '.join(kinds)} |")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
