r"""Spoken forms against the corpus notes: is every number, date, amount and abbreviation said as noted?

    PYTHONPATH=$PWD .venv/bin/python bench/spoken_forms_eval.py [CORPUS_DIR] [--misses]

Each corpus text ``NN-name.EXT`` has ``NN-name.notes.md`` whose "## Spoken forms" bullets pair a
written form with how it is said: ``\`October 5, 1957\` → "October fifth, nineteen fifty-seven"``
(alternatives: ``"a" / "b"``, ``"a" (or "b")``; a ``...`` in the spoken form stands for the rest of the
written one), or say a written mark is a pause (``\`--\` → dash pause``). Every pair is read the same
way and classified by what it asks for:

- ``number``, ``numeral``, ``abbreviation``, ``pause``: what a text normaliser can do. Checked: the
  spoken form appears in the drafted segments (compared on letters and digits only, case ignored, so
  "per cent" = "percent" and hyphens do not matter) and the written form is gone from them.
- ``as written``: the written form is already how it is said (compared the same way). Checked too.
- ``letters`` (``"U-S"``), ``pronunciation`` (stress capitals such as ``"MAY-zuls"``, accents the text
  lacks, respellings such as ``warez`` → ``"wares"``, and hints without an arrow such as
  ``\`Maysles\` ("MAY-zuls")``): only a pronunciation lexicon or phoneme input can do these, so they
  are counted and listed but not scored.

A scored form found only in section titles (chapter names, which are never spoken) is listed apart.

The text is drafted through ``pipeline.script.storage.script_from``, the entry point of
``essaycast script``; a text it refuses (a format without a reader yet) is drafted as plain text
instead, and the row says so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SCORED = ("number", "numeral", "abbreviation", "pause", "as written")
"""Kinds a text normaliser is responsible for; the others need a pronunciation lexicon."""

_SECTION = re.compile(r"^## Spoken forms\s*$(.*?)(?=^## |\Z)", re.M | re.S)
_PAIR = re.compile(r"`([^`]+)`(?:\s*\([^)]*\))*[^`→;]{0,60}?→\s*([^`;]*)")
_HINT = re.compile(r"`([^`]+)`\s*\(\"([^\"]+)\"\)")
r"""A pronunciation hint without an arrow: ``\`Maysles\` ("MAY-zuls")``."""
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_PAUSE_WORDS = re.compile(r"\bpauses?\b", re.I)
_LETTERS = re.compile(r"\A(?:[A-Z]-)+[A-Z](?:\(?s\)?)?\Z")
_STRESS = re.compile(r"[A-Z]{2,}-|-[A-Z]{2,}\b|\b[A-Z]{3,}\b")
_NEGATED = re.compile(r"\b(?:not|never)\s+(?:\"[^\"]*\"|“[^”]*”)")
_DASH_MARKS = re.compile(r"--+|\.\.\.|…|—|–|\s-\s")
_ROMAN = re.compile(r"\b[IVXLCDM]{2,}\b|\b[ivxlcdm]{2,}\.", re.I)
_ABBREVIATED = re.compile(r"\b[A-Za-z]{1,5}\.|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|Prof)\b")


@dataclass(frozen=True)
class Form:
    """One written form and how the notes say it is spoken."""

    text: str
    """The corpus text it belongs to (its notes file's stem)."""
    written: str
    """The form as the text writes it."""
    spoken: tuple[str, ...]
    """Acceptable spoken forms (empty for a pause)."""
    kind: str
    """number, numeral, abbreviation, pause, as written, letters or pronunciation."""


@dataclass
class Result:
    """One corpus text's score."""

    text: str
    """The corpus text."""
    hits: list[Form] = field(default_factory=list)
    """Scored forms said as noted."""
    misses: list[tuple[Form, str]] = field(default_factory=list)
    """Scored forms not said as noted, each with what the draft says near it."""
    titles: list[Form] = field(default_factory=list)
    """Scored kinds found only in section titles, which are chapter names and never spoken (not scored)."""
    lexicon: list[Form] = field(default_factory=list)
    """Forms only a pronunciation lexicon can do (not scored)."""
    error: str = ""
    """Why ``essaycast script`` could not draft the text (it was then drafted as plain text), if so."""

    @property
    def rate(self) -> float:
        """Share of the scored forms said as noted."""
        scored = len(self.hits) + len(self.misses)
        return len(self.hits) / scored if scored else 1.0


def _letters(text: str) -> str:
    """Letters and digits only, lowercase, accents kept: the sound-relevant part of a text."""
    return re.sub(r"[\W_]", "", text.lower())


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _expand(written: str, spoken: str) -> str:
    """A spoken form whose ``...`` stands for the rest of the written form, filled in."""
    if not re.search(r"(?:\.\.\.|…)\s*\Z", spoken):
        return spoken
    head = re.split(r"\.\.\.|…", spoken)[0].split()
    if "..." in written or "…" in written:
        return spoken
    return " ".join([*head, *written.split()[len(head):]])


def _kind(written: str, spoken: tuple[str, ...]) -> str:
    if not spoken:
        return "pause"
    first = spoken[0]
    if _LETTERS.match(first):
        return "letters"
    if _STRESS.search(first) and not _STRESS.search(written):
        return "pronunciation"
    if _letters(_plain(first)) == _letters(_plain(written)) and _plain(first) != first:
        return "pronunciation"  # only accents the text lacks
    if any(_letters(s) == _letters(written) for s in spoken):
        return "as written"
    if re.search(r"\d|[$£€]", written):
        return "number"
    if _ROMAN.search(written):
        return "numeral"
    if _ABBREVIATED.search(written):
        return "abbreviation"
    return "pronunciation"


def forms(notes: Path) -> Iterator[Form]:
    """The written → spoken pairs of a notes file's "Spoken forms" section, classified."""
    section = _SECTION.search(notes.read_text("utf-8"))
    if not section:
        return
    for bullet in re.split(r"^- ", section[1], flags=re.M):
        for match in _PAIR.finditer(bullet):
            written, target = match[1], match[2]
            lead = re.split(r"[\"“]", target, maxsplit=1)[0]
            quoted = () if _PAUSE_WORDS.search(lead) else tuple(
                a or b for a, b in _QUOTED.findall(_NEGATED.sub("", target)))
            if not quoted and not _PAUSE_WORDS.search(lead):
                continue
            if not quoted:  # a pause: every code span in the bullet names a mark or a passage with one
                marks = [m for m in re.findall(r"`([^`]+)`", bullet) if _DASH_MARKS.search(m)]
                for mark in marks or [written]:
                    yield Form(notes.name.removesuffix(".notes.md"), mark, (), "pause")
                break
            spoken = tuple(_expand(written, s) for s in quoted)
            yield Form(notes.name.removesuffix(".notes.md"), written, spoken, _kind(written, spoken))
        for written, hint in _HINT.findall(bullet):
            yield Form(notes.name.removesuffix(".notes.md"), written, (hint,), "pronunciation")


def _source(corpus: Path, stem: str) -> Path | None:
    return next((p for p in sorted(corpus.glob(f"{stem}.*")) if not p.name.endswith((".notes.md", ".json"))),
                None)


def _segments(path: Path, cast: list[str]) -> tuple[list[str], list[str], str]:
    """The drafted segments' texts, the section titles, and why the text had to be drafted as plain text
    ("" if it did not)."""
    from pipeline.errors import EssaycastError
    from pipeline.script.drafting import draft
    from pipeline.script.storage import script_from

    voices = {name: name for name in cast}
    try:
        script, error = script_from(path, voices), ""
    except EssaycastError as exc:  # no reader for this format yet: the spoken forms can still be judged
        script, error = draft(path.read_text("utf-8"), voices), str(exc)
    segments = [segment.text for _, _, _, segment in script.segments()]
    return segments, [section.title for section in script.sections], error


def _said(form: Form, segments: list[str]) -> bool:
    joined = " ".join(segments)
    if form.kind == "pause":
        found = _DASH_MARKS.findall(form.written)  # a spaced hyphen keeps its spaces: "-" is in compounds
        marks = {m if m.strip() == "-" else m.strip() for m in found} or {form.written}
        if "..." in marks:
            marks.add("…")  # the draft writes every ellipsis as one character
        return not any(mark in joined for mark in marks)
    squeezed = _letters(joined)
    if not any(_letters(part) in squeezed for s in form.spoken for part in re.split(r"\.\.\.|…", s)):
        return False
    if form.kind == "as written":
        return True
    written = " ".join(form.written.split()).split("...")[0].strip()
    gone = re.compile(r"(?<!\w)" + re.escape(written) + r"(?!\w)")
    return not gone.search(joined)


def _near(form: Form, segments: list[str]) -> str:
    """The segment that most likely carries the form (for the miss list)."""
    key = next((w for w in re.findall(r"[A-Za-z]{3,}", form.written)), "")
    for segment in segments:
        if key and key in segment:
            return segment[:140]
    return ""


def _in_title_only(form: Form, segments: list[str], titles: list[str]) -> bool:
    """Whether the written form is in a section title (a chapter name, never spoken) and not in the speech."""
    written = " ".join(form.written.split()).rstrip(".:")
    return any(written in title for title in titles) and not any(written in text for text in segments)


def evaluate(corpus: Path = CORPUS) -> list[Result]:
    """Every corpus text drafted and scored against its notes' spoken forms."""
    casts = json.loads((corpus / "casts.json").read_text("utf-8")) if (corpus / "casts.json").exists() else {}
    results = []
    for notes in sorted(corpus.glob("*.notes.md")):
        stem = notes.name.removesuffix(".notes.md")
        result = Result(stem)
        source = _source(corpus, stem)
        segments, titles, result.error = ([], [], "no text") if source is None else \
            _segments(source, casts.get(stem, []))
        for form in forms(notes):
            if form.kind not in SCORED:
                result.lexicon.append(form)
            elif segments and _said(form, segments):
                result.hits.append(form)
            elif _in_title_only(form, segments, titles):
                result.titles.append(form)
            else:
                result.misses.append((form, _near(form, segments)))
        results.append(result)
    return results


def report(results: list[Result], misses: bool = False) -> str:
    """A table of hit rates per text, totals, and the forms not scored (lexicon-only, title-only)."""
    lines = [f"{'text':30} {'scored':>6} {'hits':>5} {'rate':>6}  {'lexicon':>7} {'titles':>6}"]
    for r in results:
        scored = len(r.hits) + len(r.misses)
        lines.append(f"{r.text:30} {scored:6} {len(r.hits):5} {r.rate:6.0%}  {len(r.lexicon):7} "
                     f"{len(r.titles):6}" + (f"  (drafted as plain text: {r.error[:50]})" if r.error else ""))
    hits = sum(len(r.hits) for r in results)
    scored = hits + sum(len(r.misses) for r in results)
    lines.append(f"{'all':30} {scored:6} {hits:5} {hits / max(scored, 1):6.0%}  "
                 f"{sum(len(r.lexicon) for r in results):7} {sum(len(r.titles) for r in results):6}")
    kinds = Counter(f.kind for r in results for f in r.lexicon)
    lines.append("lexicon-only by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if misses:
        for r in results:
            for form, near in r.misses:
                lines.append(f"MISS {r.text[:2]} [{form.kind}] {form.written!r} → {' / '.join(form.spoken)!r}"
                             + (f"\n     draft: {near}" if near else ""))
            for label, unscored in (("LEX ", r.lexicon), ("TITL", r.titles)):
                lines.extend(f"{label} {r.text[:2]} [{form.kind}] {form.written!r} → "
                             f"{' / '.join(form.spoken)!r}" for form in unscored)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="list every miss and lexicon-only form")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 1
    print(report(evaluate(args.corpus), args.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
