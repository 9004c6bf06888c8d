"""Attribution precision and recall of character lines on the hand-judged corpus in ``../shared/corpus``.

Each text is drafted through the public entry point (``storage.script_from``, the reading path ``script``
and ``make`` use) with its cast from ``casts.json``; every expected quoted passage (first 40 characters,
double quotes removed) is then found in the drafted script, in reading order, and the speaker of the
segment it starts in is compared with the expected one. Drafted text is spelled out for speech, so the
expected quote goes through the same spoken-form rules before matching (words only, case ignored).

Precision = correct character attributions / every character attribution made (a character segment
matching no expected passage counts as a wrong one); recall = correct character attributions / expected
character lines. Run: ``PYTHONPATH=. python bench/attribution_eval.py [CORPUS]``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.model import NARRATOR, Script
from pipeline.script.speech import for_speech
from pipeline.script.storage import script_from

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
"""The developers' corpus (beside the worktree)."""
_TOKEN = re.compile(r"[^\W_]+")
_OPENING = re.compile(r"[\"“‘']")


@dataclass
class Score:
    """Counts for one text (or the total)."""

    name: str
    correct: int = 0
    """Character lines given to the right character."""
    attributed: int = 0
    """Character attributions made (passages given to a character, plus stray character segments)."""
    expected: int = 0
    """Character lines in the expected file."""
    unmatched: int = 0
    """Expected passages not found in the draft at all."""
    error: str = ""
    """Why the text could not be drafted."""
    wrong: list[str] = field(default_factory=list)
    """What went wrong, for reading."""

    @property
    def precision(self) -> float:
        """Correct ÷ attributed (1 when nothing was attributed)."""
        return self.correct / self.attributed if self.attributed else 1.0

    @property
    def recall(self) -> float:
        """Correct ÷ expected (1 when nothing was expected)."""
        return self.correct / self.expected if self.expected else 1.0

    def add(self, other: Score) -> None:
        """Add another text's counts to this total."""
        self.correct += other.correct
        self.attributed += other.attributed
        self.expected += other.expected
        self.unmatched += other.unmatched


@dataclass
class _Token:
    word: str
    speaker: str
    segment: int
    starts: bool
    """Whether a passage can begin here (a segment's start or right after an opening quote mark)."""


def _tokens(script: Script) -> list[_Token]:
    tokens: list[_Token] = []
    for index, (_, _, _, segment) in enumerate(script.segments()):
        for number, match in enumerate(_TOKEN.finditer(segment.text)):
            before = segment.text[max(0, match.start() - 2):match.start()]
            starts = number == 0 or bool(_OPENING.search(before))
            tokens.append(_Token(match[0].lower(), segment.speaker, index, starts))
    return tokens


def _words(quote: str) -> list[str]:
    words = [word.lower() for word in _TOKEN.findall(for_speech(quote))]
    return words[:-1] if len(words) > 1 else words  # the 40-character cut may halve the last word


def _find(tokens: list[_Token], words: list[str], start: int) -> int:
    for at in range(start, len(tokens) - len(words) + 1):
        if tokens[at].starts and all(tokens[at + i].word == word for i, word in enumerate(words)):
            return at
    return -1


def score_text(path: Path, cast: list[str], expected: list[dict[str, str]]) -> Score:
    """Draft one text with its cast and score its character lines against the expected passages."""
    score = Score(path.name, expected=sum(item["speaker"] != NARRATOR for item in expected))
    try:
        script = script_from(path, {speaker: speaker for speaker in cast})
    except EssaycastError as exc:
        score.error = str(exc)
        return score
    tokens = _tokens(script)
    position, touched = 0, set()
    for item in expected:
        words = _words(item["quote"])
        # in reading order; a passage the reader moved (a footnote) is looked for from the start
        at = _find(tokens, words, position)
        at = at if at >= 0 else _find(tokens, words, 0)
        if at < 0 and len(words) > 1:
            at = _find(tokens, words[1:], position)  # a speaker label inside the quote left unread
        if at < 0:
            score.unmatched += 1
            if item["speaker"] != NARRATOR:
                score.wrong.append(f"not found: {item['quote']!r} ({item['speaker']})")
            continue
        got = tokens[at].speaker
        touched.add(tokens[at].segment)
        position = at + 1
        if got != NARRATOR:
            score.attributed += 1
        if got != NARRATOR and got == item["speaker"]:
            score.correct += 1
        elif got != item["speaker"]:
            score.wrong.append(f"{item['quote']!r}: expected {item['speaker']}, got {got}")
    stray = {token.segment for token in tokens if token.speaker != NARRATOR} - touched
    # a character segment that begins no expected passage: part of a longer line, or an invented one
    continuing = {segment for segment in stray if segment - 1 in touched | stray and any(
        t.segment == segment - 1 and t.speaker == next(u.speaker for u in tokens if u.segment == segment)
        for t in tokens)}
    score.attributed += len(stray - continuing)
    score.wrong += [f"invented character line in segment {segment}" for segment in sorted(stray - continuing)]
    return score


def evaluate(corpus: Path = CORPUS) -> list[Score]:
    """A score per text of the corpus, in name order."""
    casts = json.loads((corpus / "casts.json").read_text("utf-8"))
    scores = []
    for expected_file in sorted(corpus.glob("*.expected.json")):
        name = expected_file.name.removesuffix(".expected.json")
        source = next(path for path in corpus.glob(f"{name}.*")
                      if not path.name.endswith((".expected.json", ".notes.md")))
        expected = json.loads(expected_file.read_text("utf-8"))
        scores.append(score_text(source, casts.get(name, []), expected))
    return scores


def total(scores: list[Score]) -> Score:
    """The corpus total of the texts that could be drafted."""
    result = Score("total")
    for score in scores:
        if not score.error:
            result.add(score)
    return result


def main(argv: list[str]) -> int:
    """Print per-text and total precision and recall; ``-v`` lists what went wrong."""
    verbose = "-v" in argv
    paths = [arg for arg in argv if arg != "-v"]
    scores = evaluate(Path(paths[0]) if paths else CORPUS)
    columns = ("correct", 7), ("made", 5), ("expected", 8), ("precision", 9), ("recall", 7), ("not found", 9)
    print(f"{'text':34} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for score in [*scores, total(scores)]:
        if score.error:
            print(f"{score.name:34} not drafted: {score.error}")
            continue
        print(f"{score.name:34} {score.correct:7} {score.attributed:5} {score.expected:8} "
              f"{score.precision:9.2f} {score.recall:7.2f} {score.unmatched:9}")
        if verbose:
            for line in score.wrong:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
