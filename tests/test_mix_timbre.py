"""Timbre fingerprints: real voices told apart or matched, and the check's verdict on voice pairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.mix.check import QualityReport, SpeakerQuality, VoicePair, render_report
from pipeline.mix.check.listen import ASR_RATE, to_asr_rate
from pipeline.mix.check.timbre import SAME_VOICE_MAX, Timbre, timbre
from pipeline.synth.render import speak
from pipeline.synth.voices import Voice, load_voices

ONE = ("The harbour was quiet tonight, and the bell rang only once before dawn. Far out on the water "
       "a single boat was turning home, its lamp swinging slowly in the wind.")
TWO = ("Children stopped by the bakery on their way to school every single morning. The baker knew "
       "each of them by name and always kept a few warm rolls aside for the smallest ones.")


@pytest.fixture(scope="module")
def shipped() -> dict[str, Voice]:
    return load_voices(local=Path("/nonexistent"))


def fingerprint(voice: Voice, text: str) -> Timbre:
    samples, rate = speak(voice, text, threads=1)
    found = timbre(to_asr_rate(samples, rate), ASR_RATE)
    assert found is not None
    return found


def test_one_voice_reading_two_texts_or_at_another_pace_is_one_voice(shipped: dict[str, Voice]) -> None:
    joe = shipped["narrator"]
    slow = replace(joe, name="slow", settings={**joe.settings, "length_scale": 1.3})
    first = fingerprint(joe, ONE)
    assert first.distance(fingerprint(joe, TWO)) <= SAME_VOICE_MAX
    assert first.distance(fingerprint(slow, TWO)) <= SAME_VOICE_MAX


def test_joe_and_samantha_are_two_voices(shipped: dict[str, Voice]) -> None:
    distance = fingerprint(shipped["narrator"], ONE).distance(fingerprint(shipped["samantha"], ONE))
    assert distance > 2 * SAME_VOICE_MAX


def _report(*pairs: VoicePair) -> QualityReport:
    speakers = (
        SpeakerQuality("narrator", 2, 8, 1, 0, 95.0, 0.0, -16.0, 0.5),
        SpeakerQuality("guest", 1, 4, 1, 0, 92.0, 0.03, -16.2, 0.0),
    )
    return QualityReport(episode=Path("ep.mp3"), duration_s=6.0, segments=(), speakers=speakers,
                         reference_speaker="narrator", loudness_lufs=-16.0, target_lufs=-16.0,
                         true_peak_dbtp=-1.5, clipped_samples=0, clicks=(), check_seconds=1.0,
                         voice_pairs=pairs)


def test_close_pitch_but_distinct_timbre_passes() -> None:
    report = _report(VoicePair("narrator", "guest", 0.7))
    assert report.voices_distinct is True and report.passed
    assert "| narrator · guest | 0.70 | distinct |" in render_report(report)


def test_voices_that_sound_alike_fail_by_timbre() -> None:
    report = _report(VoicePair("narrator", "guest", 0.12))
    assert report.voices_distinct is False
    assert report.failures == (
        "narrator and guest sound alike (timbre distance 0.12, at most 0.32 is one voice; pitch 95 Hz and "
        "92 Hz): cast voices listeners can tell apart",
    )


def test_without_timbre_pitch_still_decides() -> None:
    assert _report().voices_distinct is False  # 92 Hz against 95 Hz, as before timbre was measured
    unmeasured = _report(VoicePair("narrator", "guest", None))  # too little speech for a fingerprint
    assert unmeasured.voices_distinct is False
    assert "too little to compare their timbre" in unmeasured.failures[0]
