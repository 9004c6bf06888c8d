"""Voices are levelled on what the listener hears: after the limiter, in the MP3, over each speaker's cues.

The synthetic voices reproduce why matching them before mastering is not enough. Both are four
syllables a second of a few harmonics; the narrator's also carry a plosive (a 4 ms noise burst)
standing well above the vowel, as Piper's joe's do: its true peaks sit 20 dB over its loudness,
so at -16 LUFS the limiter must cut every plosive and takes loudness with it while it recovers.
Samantha has no plosives, 10 dB of peak over loudness, and the limiter never touches her.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pytest
import soundfile

from pipeline.mix.assemble import Span, Timeline
from pipeline.mix.episode import Episode
from pipeline.mix.levels import BALANCE_AIM_LU, balance, streamed
from pipeline.mix.loudness import LoudnessMeter, TruePeakMeter
from pipeline.mix.master import MixOptions, master
from pipeline.script.model import Cast, Pause, Script, Section, Segment
from pipeline.synth.render import RenderedSegment

RATES = {"narrator": 22050, "samantha": 24000}
PITCH_HZ = {"narrator": 100.0, "samantha": 230.0}
PLOSIVES = {"narrator": 2.5, "samantha": 0.0}
"""Height of each syllable's plosive, relative to the vowel's peak."""
LINES = ["narrator", "samantha", "narrator", "narrator", "samantha", "narrator"]
"""Who speaks each two-second segment."""


def _voice(speaker: str, plosive: float | None = None, seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """Syllables of ``speaker``'s voice, each with a plosive ``plosive`` times the vowel's peak."""
    rate, f0 = RATES[speaker], PITCH_HZ[speaker]
    plosive = PLOSIVES[speaker] if plosive is None else plosive
    t = np.arange(round(seconds * rate)) / rate
    x = np.sin(np.pi * 4 * t) ** 2 * sum(np.sin(2 * np.pi * k * f0 * t + k) / k for k in range(1, 5))
    x /= np.abs(x).max()
    length = round(rate * 0.004)
    burst = np.random.default_rng(seed).normal(0, 1, length) * np.exp(-np.arange(length) / (rate * 0.001))
    for syllable in np.arange(0.125, seconds, 0.25):
        at = round(syllable * rate)
        x[at: at + length] += plosive * burst[: len(x) - at] / np.abs(burst).max()
    return (0.1 * x / np.abs(x).max()).astype(np.float32)


def _peak_over_loudness(x: np.ndarray, rate: int) -> float:
    meter, peak = LoudnessMeter(rate), TruePeakMeter()
    meter.feed(x)
    peak.feed(x)
    return peak.dbtp - meter.integrated()


def _speaker_loudness(episode: Episode) -> dict[str, float]:
    """Each speaker's integrated loudness over its cue spans of the decoded MP3 (as `essaycast check`)."""
    decoded, rate = soundfile.read(episode.audio, dtype="float64")
    meters = {speaker: LoudnessMeter(rate) for speaker in RATES}
    for cue in episode.cues:
        meters[cue.speaker].feed(decoded[cue.start_ms * rate // 1000: cue.end_ms * rate // 1000])
    return {speaker: meter.integrated() for speaker, meter in meters.items()}


def _episode(tmp_path: Path, plosive: float | None = None) -> Episode:
    script = Script(title="Plosives", cast=Cast({"narrator": "joe", "samantha": "samantha"}), sections=(
        Section("Only", tuple(Segment(speaker, f"Line {i}.", Pause(350)) for i, speaker in enumerate(LINES))),
    ))
    rendered = []
    for index, speaker in enumerate(LINES):
        path = tmp_path / f"{index}.wav"
        x = _voice(speaker, plosive if speaker == "narrator" else None, seed=index)
        soundfile.write(path, x, RATES[speaker], subtype="FLOAT")
        rendered.append(RenderedSegment(0, index, speaker, speaker, path, RATES[speaker], len(x), False))
    return master(script, rendered, tmp_path / "out" / "ep.mp3", MixOptions(date="2024-05-01"),
                  base_dir=tmp_path)


@pytest.fixture(scope="module")
def plosive_and_smooth(tmp_path_factory: pytest.TempPathFactory) -> Episode:
    return _episode(tmp_path_factory.mktemp("levels"))


def test_the_voices_differ_in_peaks_as_piper_and_kokoro_do() -> None:
    narrator, samantha = (_peak_over_loudness(_voice(speaker), RATES[speaker]) for speaker in RATES)
    assert narrator > 19.0  # far over the 15 dB that -16 LUFS under a -1 dBTP ceiling leaves
    assert samantha < 12.0


def test_speakers_are_level_in_the_mp3(plosive_and_smooth: Episode) -> None:
    levels = _speaker_loudness(plosive_and_smooth)
    assert abs(levels["narrator"] - levels["samantha"]) <= 1.5
    for lufs in levels.values():
        assert lufs == pytest.approx(-16.0, abs=1.0)


def test_loudness_and_peak_still_on_target(plosive_and_smooth: Episode) -> None:
    assert plosive_and_smooth.loudness_lufs == pytest.approx(-16.0, abs=0.5)
    assert plosive_and_smooth.true_peak_dbtp <= -1.0


def test_a_voice_the_limiter_cannot_lift_holds_the_others_to_its_level(tmp_path: Path) -> None:
    """Plosives 12 dB over the vowels: pushing the narrator harder would only squash it, so Samantha
    comes down to meet it and the episode is quieter than the target (and says so)."""
    episode = _episode(tmp_path, plosive=4.0)
    levels = _speaker_loudness(episode)
    assert abs(levels["narrator"] - levels["samantha"]) <= 1.5
    decoded, rate = soundfile.read(episode.audio, dtype="float64")
    meter = LoudnessMeter(rate)
    meter.feed(decoded)
    assert episode.loudness_lufs == pytest.approx(meter.integrated(), abs=0.05)
    assert episode.loudness_lufs < -17.0
    assert episode.true_peak_dbtp <= -1.0


def test_balance_corrects_each_group_by_its_own_response() -> None:
    """A group whose loudness grows half a dB per dB of gain (hard limiting) still reaches the target."""
    rate, half = 8000, 16000
    timeline = Timeline(rate=rate, frames=2 * half, loudness={"a": -30.0, "b": -20.0},
                        spans=(Span(0, half, "a", 0, 0), Span(half, 2 * half, "b", 0, 1)))
    tone = 0.1 * np.sin(2 * np.pi * 300 * np.arange(half) / rate)

    def mix(gains: Mapping[str, float]) -> Iterator[np.ndarray]:
        yield np.concatenate((tone * math.sqrt(gains["a"]), tone * gains["b"]))

    levels = balance(streamed(mix, timeline, 0.0), timeline, -16.0)
    (heard,) = mix(levels.groups)
    for group, part in {"a": heard[:half], "b": heard[half:]}.items():
        meter = LoudnessMeter(rate)
        meter.feed(part)
        assert meter.integrated() == pytest.approx(-16.0, abs=BALANCE_AIM_LU), group
