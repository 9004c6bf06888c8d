"""Attribution on the developers' corpus of real essays (``../shared/corpus``), by bench/attribution_eval.py.

Precision and recall of character lines against the hand-judged expectations; skipped without the corpus.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not (CORPUS / "casts.json").is_file(), reason="the corpus lives in ../shared")


def test_precision_and_recall_of_character_lines() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        evaluation = importlib.import_module("attribution_eval")
    finally:
        sys.path.remove(str(BENCH))
    scores = evaluation.evaluate(CORPUS)
    total = evaluation.total(scores)
    report = "\n".join(f"{s.name}: {s.correct}/{s.attributed} made, {s.expected} expected {s.error}"
                       for s in scores)
    assert total.expected >= 80, report  # most of the corpus was read
    assert total.precision >= 0.95, report
    assert total.recall >= 0.85, report
