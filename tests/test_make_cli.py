"""`essaycast make` and the producer's draft: an edited draft wins over a fresh one, --redraft replaces it.

The contract is checked from the outside: the draft is whichever script file ``make`` left in the
working folder (wherever it puts it), and what the episode says is read from its transcript.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability_support import run

from pipeline.publish.feed import read_feed

ESSAY = "The first paragraph says hello to the reader.\n\nThe second paragraph says goodbye.\n"
ORIGINAL, EDITED = "says hello to the reader", "waves at the listener instead"


def _make(work: Path, cache: Path, *extra: str) -> str:
    """Run ``essaycast make essay.txt``; returns the episode's transcript."""
    result = run("make", "essay.txt", "--site", "site", "--workers", "1", *extra, cwd=work, cache=cache)
    assert result.returncode == 0, result.stderr
    [item] = read_feed(work / "site" / "feed.xml")  # an update's files get new names: the feed says which
    return (work / "site" / dict(item.transcripts)["vtt"]).read_text("utf-8")


def _draft(work: Path) -> Path:
    [draft] = [path for path in work.rglob("*.md") if "site" not in path.relative_to(work).parts]
    return draft


@pytest.mark.slow
def test_an_edited_draft_wins_until_redraft(tmp_path: Path) -> None:
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    (work / "essay.txt").write_text(ESSAY, "utf-8")

    assert ORIGINAL in _make(work, cache)
    draft = _draft(work)
    text = draft.read_text("utf-8")
    assert ORIGINAL in text
    draft.write_text(text.replace(ORIGINAL, EDITED), "utf-8")

    spoken = _make(work, cache)  # the producer's edit is what the episode says, and it is kept
    assert EDITED in spoken and ORIGINAL not in spoken
    assert _draft(work) == draft and EDITED in draft.read_text("utf-8")

    spoken = _make(work, cache, "--redraft")  # a fresh draft from the essay replaces the edited one
    assert ORIGINAL in spoken and EDITED not in spoken
    assert _draft(work) == draft and draft.read_text("utf-8") == text
