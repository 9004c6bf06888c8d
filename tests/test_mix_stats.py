"""Cheap mastering stays exact: the statistics path against the streaming meter, the gated limiter and
true-peak meter against the full ones, and the ceiling after encoding on inputs built to break it.

- Levelling reads per-piece statistics (``pipeline.mix.stats``) instead of limiting and metering the
  part in passes: on random multi-speaker episodes the loudness it computes is the streaming meter's
  (within 0.05 LU), unlimited and through the limiter.
- The limiter and the true-peak meter oversample only where a peak could reach the ceiling (or beat
  the peak so far): their output is the same as with every sample oversampled, and an episode of
  full-scale square bursts and clipped speech still decodes under the ceiling. The limiter's gain,
  computed only in the spans a peak reaches, is its definition computed everywhere at once.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, sosfilt

from pipeline.mix import limiter as limiter_module
from pipeline.mix.assemble import Piece, assemble
from pipeline.mix.levels import EPISODE, SPEECH, modelled, streamed
from pipeline.mix.limiter import TruePeakLimiter
from pipeline.mix.loudness import (
    CONTEXT,
    LoudnessMeter,
    TruePeakMeter,
    true_peak_envelope,
    true_peak_envelope_over,
)
from pipeline.mix.master import MixOptions, _mixdown, master
from pipeline.script.model import Cast, Pause, Script, Section, Segment
from pipeline.synth.render import RenderedSegment

RATE = 44100
SOURCE_RATES = (22050, 24000, 44100)
SPEAKERS = ("narrator", "samantha", "guest")
VOICE_BAND_HZ = 5000
"""Synthetic voices stop here: the statistics model the limiter on sample peaks, which for content far
under the episode's Nyquist frequency are within a fraction of a dB of the true peaks."""
LIMITED_MODEL_LU = 0.1
"""How close the modelled limiter's loudness is to the real one's (well inside `BALANCE_AIM_LU`)."""


def _speech(rate: int, seconds: float, rng: np.random.Generator, level_db: float,
            plosives: float) -> np.ndarray:
    """Syllable-shaped noise at ``level_db`` with ``plosives`` × louder 3 ms bursts four times a second,
    all under `VOICE_BAND_HZ` as a TTS voice's (rendered at 16–24 kHz) is."""
    n = max(1, round(seconds * rate))
    t = np.arange(n) / rate
    x = rng.normal(0, 1, n)
    click = round(0.003 * rate)
    for at in range(round(0.1 * rate), n - click, round(0.25 * rate)):
        x[at: at + click] *= 1 + plosives
    x = sosfilt(butter(8, VOICE_BAND_HZ, fs=rate, output="sos"), x)
    x *= np.sin(np.pi * 4 * t + rng.uniform(0, 3)) ** 2
    x *= 10 ** (level_db / 20) / max(float(np.abs(x).max()), 1e-9)
    return np.clip(x, -1, 1).astype(np.float32)


def _pieces(seed: int) -> list[Piece]:
    """A random episode: 6–14 segments by up to three speakers at their own rates and levels, pauses
    of 0–900 ms, lengths from 50 ms to 3 s."""
    rng = np.random.default_rng(seed)
    voices = {speaker: (int(rng.choice(SOURCE_RATES)), float(rng.uniform(-30, -3)), float(rng.uniform(0, 4)))
              for speaker in SPEAKERS[: int(rng.integers(2, 4))]}
    pieces = []
    for index in range(int(rng.integers(6, 15))):
        speaker = str(rng.choice(list(voices)))
        rate, level, plosives = voices[speaker]
        audio = _speech(rate, float(rng.uniform(0.05, 3.0)), rng, level + float(rng.uniform(-3, 3)), plosives)
        pieces.append(Piece(partial(lambda a, r: (a, r), audio, rate), Path(f"{index}.flac"), speaker,
                            int(rng.integers(0, 900)), 0, index))
    return pieces


def _streamed_unlimited(voice: Path, timeline) -> dict[str, float]:
    """Each group's loudness over its spans and the whole file's, fed to the streaming meter."""
    audio, _ = soundfile.read(voice, dtype="float64")
    meters = {group: LoudnessMeter(RATE) for group in timeline.loudness}
    for span in timeline.spans:
        meters[span.group].feed(audio[span.start: span.end])
    whole = LoudnessMeter(RATE)
    whole.feed(audio)
    return {**{group: meter.integrated() for group, meter in meters.items()}, EPISODE: whole.integrated()}


@pytest.mark.parametrize("seed", range(12))
def test_statistics_give_the_streaming_meters_loudness(tmp_path: Path, seed: int) -> None:
    """Random episodes (seeded): the loudness of every group, unlimited, and of the whole, from the
    statistics, is the streaming meter's. (Steps are read off 2.4 ms bins, linearly within a bin: a
    400 ms block lying within a hair of the relative gate can fall on the other side of it, which
    moved the result by 0.1 LU in one of 40 random episodes, by under 0.02 LU in the others.)"""
    voice = tmp_path / "voice.w64"
    timeline = assemble(_pieces(seed), voice, RATE, 10)
    expected = _streamed_unlimited(voice, timeline)
    heard = modelled(timeline, math.inf)(dict.fromkeys(timeline.loudness, 0.0), lambda frames: None)
    for group, lufs in expected.items():
        assert heard[group] == pytest.approx(lufs, abs=0.05), group
        if group != EPISODE:
            assert timeline.loudness[group] == pytest.approx(lufs, abs=0.05), group


@pytest.mark.parametrize("seed", range(3))
def test_without_statistics_groups_are_metered_as_they_stream(tmp_path: Path, seed: int) -> None:
    """Under a music bed, or in a part too long to model, nothing is modelled: assembly keeps no
    statistics (they grow with the part's length) and meters each group as it goes by, to the
    loudness the statistics give."""
    modelled_timeline = assemble(_pieces(seed), tmp_path / "a.w64", RATE, 10)
    metered = assemble(_pieces(seed), tmp_path / "b.w64", RATE, 10, statistics=False)
    assert metered.stats == () and metered.spans == modelled_timeline.spans
    assert metered.loudness.keys() == modelled_timeline.loudness.keys()
    for group, lufs in metered.loudness.items():
        assert lufs == pytest.approx(modelled_timeline.loudness[group], abs=0.05), group


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_statistics_model_the_limiter_as_it_limits(tmp_path: Path, seed: int) -> None:
    """Gains that push every speaker 0–6 dB into a -1.7 dBTP limiter: the modelled loudness of each
    group, of all speech and of the whole is what the streamed limited pass measures, to within
    `LIMITED_MODEL_LU` (the seed's parts: 0.01 LU)."""
    voice = tmp_path / "voice.w64"
    timeline = assemble(_pieces(seed), voice, RATE, 10)
    rng = np.random.default_rng(seed)
    gains = {group: -16.0 - lufs + float(rng.uniform(0, 6)) for group, lufs in timeline.loudness.items()}
    model = modelled(timeline, -1.7)(gains, lambda frames: None)
    measured = streamed(partial(_mixdown, voice, timeline, None), timeline, -1.7)(gains, lambda frames: None)
    assert set(model) == set(measured) >= {SPEECH, EPISODE}
    for key, lufs in measured.items():
        assert model[key] == pytest.approx(lufs, abs=LIMITED_MODEL_LU), key


def _square_bursts(n: int) -> np.ndarray:
    """Full-scale square waves in bursts, with silences between: the worst case for inter-sample peaks."""
    t = np.arange(n)
    square = np.where((t // 7) % 2, 1.0, -1.0)
    return square * (((t // 4000) % 3) == 1)  # from silence, as every part starts


def _clipped_speech(n: int) -> np.ndarray:
    """Speech driven 6 dB into clipping, faded in over 10 ms as assembly fades every piece (a stream
    that starts at full scale leaves the limiter no look-ahead before its first sample)."""
    rng = np.random.default_rng(5)
    x = np.clip(_speech(RATE, n / RATE, rng, 6.0, 3.0).astype(np.float64), -1, 1)
    fade = RATE // 100
    x[:fade] *= np.linspace(0, 1, fade)
    return x


ADVERSARIAL = {"square bursts": _square_bursts, "clipped speech": _clipped_speech}


def _limited(x: np.ndarray, ceiling: float, block: int = 9973) -> np.ndarray:
    limiter = TruePeakLimiter(RATE, ceiling)
    out = [limiter.process(x[at: at + block]) for at in range(0, len(x), block)]
    return np.concatenate([*out, limiter.flush()])


@pytest.mark.parametrize("kind", list(ADVERSARIAL))
@pytest.mark.parametrize("gain_db", [-20.0, -6.0, 0.0, 6.0])
def test_the_gated_limiter_is_the_full_limiter(kind: str, gain_db: float,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    x = ADVERSARIAL[kind](RATE * 3) * 10 ** (gain_db / 20)
    gated = _limited(x, -1.7)
    monkeypatch.setattr(limiter_module, "true_peak_envelope_over", lambda x, threshold: true_peak_envelope(x))
    full = _limited(x, -1.7)
    np.testing.assert_allclose(gated, full, rtol=0, atol=1e-12)
    peak = TruePeakMeter()
    peak.feed(gated)
    assert peak.dbtp <= -1.7 + 0.01


def _limited_at_once(x: np.ndarray, ceiling_db: float) -> np.ndarray:
    """The limiter's definition computed over the whole signal in one go, every frame: the reduction
    needed from the full 4× envelope, spread `LOOKAHEAD_MS` ahead, released linearly, smoothed by
    two moving averages (silence before and after the signal)."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    half = round(RATE * limiter_module.LOOKAHEAD_MS / 2000)
    la, release, n = 2 * half, 6.0 / (limiter_module.RELEASE_MS_PER_6DB / 1000 * RATE), len(x)
    padded = np.concatenate((np.zeros(CONTEXT), x, np.zeros(la + CONTEXT)))
    rows = true_peak_envelope(padded)
    peak = np.maximum(rows[CONTEXT:-CONTEXT], rows[CONTEXT - 1:-CONTEXT - 1])
    over = peak > 10 ** (ceiling_db / 20)
    needed = np.where(over, 20 * np.log10(np.where(over, peak, 1.0)) - ceiling_db, 0.0)
    ahead = maximum_filter1d(needed, size=la + 1, origin=-(la // 2), mode="constant")[:n]
    slope = release * np.arange(n)
    released = np.concatenate((np.zeros(la), np.maximum.accumulate(ahead + slope) - slope))
    smooth = released
    for _ in range(2):  # trailing means over `half` + 1 frames
        smooth = uniform_filter1d(smooth, half + 1, origin=half // 2, mode="constant")
    return x * 10 ** (-smooth[la:] / 20)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**20), level_db=st.floats(-12, 12), ceiling_db=st.floats(-6, 0),
       block=st.integers(1, 40000))
def test_the_limiter_reduces_gain_only_where_its_definition_does(seed: int, level_db: float,
                                                                 ceiling_db: float, block: int) -> None:
    """The limiter computes its gain only in the spans a peak can reach; streamed in blocks of any
    size it gives what its definition gives computed everywhere at once."""
    rng = np.random.default_rng(seed)
    x = _speech(RATE, 1.5, rng, level_db, float(rng.uniform(0, 6))).astype(np.float64)
    x[: RATE // 100] *= np.linspace(0, 1, RATE // 100)
    expected = _limited_at_once(x, ceiling_db)
    np.testing.assert_allclose(_limited(x, ceiling_db, block), expected, rtol=0, atol=1e-9)


def test_a_gating_block_and_its_neighbours_hold_the_filters_reach() -> None:
    from pipeline.mix import loudness

    reach, _ = loudness._reach_and_gain()
    assert reach <= loudness.GATE_FRAMES


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**20), level_db=st.floats(-40, 6), threshold_db=st.floats(-30, 3))
def test_the_gated_envelope_is_exact_wherever_it_can_matter(seed: int, level_db: float,
                                                            threshold_db: float) -> None:
    rng = np.random.default_rng(seed)
    x = _speech(RATE, 0.5, rng, level_db, float(rng.uniform(0, 4))).astype(np.float64)
    threshold = 10 ** (threshold_db / 20)
    full, gated = true_peak_envelope(x), true_peak_envelope_over(x, threshold)
    computed = gated > 0
    np.testing.assert_array_equal(gated[computed], full[computed])
    assert (full[~computed] <= threshold).all()
    meter = TruePeakMeter()
    for at in range(0, len(x), 3001):
        meter.feed(x[at: at + 3001])
    assert meter.peak == pytest.approx(float(full.max()), rel=1e-12)


def test_adversarial_episode_stays_under_the_ceiling_after_encoding(tmp_path: Path) -> None:
    """Square bursts and clipped speech, as two speakers: the decoded MP3 never goes over -1 dBTP."""
    lines = [("narrator", "square bursts"), ("samantha", "clipped speech")] * 2
    script = Script(title="Overs", cast=Cast({"narrator": "joe", "samantha": "samantha"}), sections=(
        Section("Only", tuple(Segment(speaker, f"Line {i}.", Pause(300))
                              for i, (speaker, _) in enumerate(lines))),
    ))
    rendered = []
    for index, (speaker, kind) in enumerate(lines):
        path = tmp_path / f"{index}.wav"
        x = ADVERSARIAL[kind](RATE * 2)
        soundfile.write(path, x, RATE, subtype="FLOAT")
        rendered.append(RenderedSegment(0, index, speaker, speaker, path, RATE, len(x), False))
    episode = master(script, rendered, tmp_path / "out" / "ep.mp3", MixOptions(date="2024-05-01"),
                     base_dir=tmp_path)
    decoded, _ = soundfile.read(episode.audio, dtype="float64")
    assert 20 * math.log10(float(true_peak_envelope(decoded).max())) <= -1.0
    assert episode.true_peak_dbtp <= -1.0
