"""The shipped palette: every voice as intelligible as the narrator and distinct from every other by timbre.

Renders one held-out paragraph (written for this test, never used to tune anything in the product)
with every palette voice; docs/voices.md holds the numbers this measures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.mix.check.listen import STEADY_SETTINGS, require_recognizer
from pipeline.mix.check.timbre import SAME_VOICE_MAX, timbre
from pipeline.mix.check.voices import COMPARE_TEXT, Comparison, compare
from pipeline.script.model import Cast, Script, Section, Segment
from pipeline.synth.render import render
from pipeline.synth.voices import Voice, load_voices

pytestmark = pytest.mark.slow

PALETTE = ("narrator", "samantha", "walter", "iris", "robin")
"""The shipped voices that speak on a fresh machine (no system package, no download)."""

HELD_OUT = (
    "The lighthouse keeper counted the ships every evening. Most nights the harbour was quiet, "
    "but in winter the storms came early and the bell rang until dawn. She wrote each name in a "
    "green notebook, and nobody ever asked her why."
)


@pytest.fixture(scope="module")
def palette() -> dict[str, Voice]:
    require_recognizer()
    voices = load_voices(local=Path("/nonexistent"))
    chosen = {name: voices[name] for name in PALETTE}
    # The narrator's Piper noise differs per process; steady, its WER is the same on every run.
    narrator = chosen["narrator"]
    chosen["narrator"] = replace(narrator, settings={**narrator.settings, **STEADY_SETTINGS["piper"]})
    # Render both texts with every voice in parallel into the cache the comparisons then read.
    segments = tuple(Segment(name, text) for name in PALETTE for text in (HELD_OUT, COMPARE_TEXT))
    script = Script("palette", (Section("", segments),), cast=Cast({name: name for name in PALETTE}))
    with pytest.MonkeyPatch.context() as env:
        env.chdir(Path(__file__).parent)  # no project voices/ or lexicon
        render(script, voices=chosen)
    return chosen


@pytest.fixture(scope="module")
def held_out(palette: dict[str, Voice]) -> Comparison:
    comparison = compare(palette, HELD_OUT, transcribe=True)
    for measure in comparison.voices:
        print(f"{measure.name}: WER {measure.wer:.2f}, F0 {measure.f0_hz:.0f} Hz, nearest "
              f"{comparison.nearest(measure.name)}")
    return comparison


def test_every_palette_voice_is_as_intelligible_as_the_narrator(held_out: Comparison) -> None:
    wer = {measure.name: measure.wer for measure in held_out.voices}
    assert set(wer) == set(PALETTE)
    for name in PALETTE:
        assert wer[name] <= wer["narrator"] + 0.10, f"{name}: {wer[name]:.2f} vs {wer['narrator']:.2f}"


def test_every_pair_of_palette_voices_sounds_distinct(held_out: Comparison) -> None:
    assert held_out.alike() == []
    for name in PALETTE:
        assert sorted(held_out.distinct_from(name)) == sorted(set(PALETTE) - {name})


def test_joe_and_walter_differ_by_timbre_though_not_by_pitch(held_out: Comparison) -> None:
    joe, walter = (next(m for m in held_out.voices if m.name == name) for name in ("narrator", "walter"))
    assert abs(joe.f0_hz - walter.f0_hz) / joe.f0_hz < 0.2  # pitch alone would call them one voice
    assert held_out.distance("narrator", "walter") > SAME_VOICE_MAX


def test_each_voice_on_another_text_is_still_itself(palette: dict[str, Voice], held_out: Comparison) -> None:
    other = compare(palette, COMPARE_TEXT)
    for measure in held_out.voices:
        again = next(m for m in other.voices if m.name == measure.name)
        assert measure.timbre is not None and again.timbre is not None
        assert measure.timbre.distance(again.timbre) <= SAME_VOICE_MAX, measure.name


def test_timbre_needs_voiced_speech() -> None:
    assert timbre(np.zeros(16000, dtype=np.float32), 16000) is None
