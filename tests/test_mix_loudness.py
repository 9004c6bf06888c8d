"""The streaming BS.1770 meter against pyloudnorm, the true-peak meter and the limiter."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.mix.limiter import TruePeakLimiter
from pipeline.mix.loudness import LoudnessMeter, TruePeakMeter, measure_file

RATE = 44100


def _signal(kind: str, rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    return {
        "tone": 0.3 * np.sin(2 * np.pi * 997 * t),
        "bursts": rng.normal(0, 0.1, len(t)) * (np.sin(2 * np.pi * 0.5 * t) > 0),
        "decay": rng.normal(0, 0.2, len(t)) * np.exp(-t),
        "speechlike": rng.normal(0, 0.1, len(t)) * (0.05 + np.abs(np.sin(2 * np.pi * 3 * t))) ** 2,
        "quiet": 1e-3 * np.sin(2 * np.pi * 60 * t),
        "bass": 0.5 * np.sin(2 * np.pi * 40 * t) + 0.1 * np.sin(2 * np.pi * 8000 * t),
    }[kind]


def _stream(x: np.ndarray, meter: LoudnessMeter | TruePeakMeter, seed: int) -> None:
    rng = np.random.default_rng(seed)
    at = 0
    while at < len(x):
        size = int(rng.integers(1, 20000))
        meter.feed(x[at: at + size])
        at += size


@pytest.mark.parametrize("rate", [44100, 48000, 24000, 22050, 16000])
@pytest.mark.parametrize("kind", ["tone", "bursts", "decay", "speechlike", "quiet", "bass"])
def test_streaming_loudness_equals_pyloudnorm(kind: str, rate: int) -> None:
    x = _signal(kind, rate, 6.3)
    meter = LoudnessMeter(rate)
    _stream(x, meter, seed=rate)
    assert meter.integrated() == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(x), abs=0.1)


@settings(max_examples=25, deadline=None)
@given(seconds=st.floats(3.0, 12.0), level=st.floats(-50, 0), seed=st.integers(0, 2**16))
def test_streaming_loudness_property(seconds: float, level: float, seed: int) -> None:
    # pyloudnorm also counts a last block running past the end of the signal (padded with
    # silence); BS.1770 gates complete blocks only. On signals of a few seconds the two agree.
    x = _signal("speechlike", RATE, seconds, seed) * 10 ** (level / 20)
    meter = LoudnessMeter(RATE)
    _stream(x, meter, seed)
    assert meter.integrated() == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(x), abs=0.1)


def test_silence_and_short_signals() -> None:
    meter = LoudnessMeter(RATE)
    assert meter.integrated() == -np.inf
    meter.feed(np.zeros(RATE))
    assert meter.integrated() == -np.inf
    short = LoudnessMeter(RATE)
    short.feed(_signal("tone", RATE, 0.2))  # shorter than one gating block: ungated level
    assert short.integrated() == pytest.approx(-13.5, abs=0.3)


def test_true_peak_sees_intersample_peaks() -> None:
    # A quarter-rate sine sampled at ±45°: every sample is 0.707 of the real peak.
    n = np.arange(RATE)
    x = np.sin(np.pi / 2 * n + np.pi / 4)
    meter = TruePeakMeter()
    _stream(x, meter, 3)
    assert np.abs(x).max() == pytest.approx(0.7071, abs=1e-3)
    assert meter.dbtp == pytest.approx(0.0, abs=0.3)


@pytest.mark.parametrize("kind", ["tone", "bursts", "speechlike", "bass", "square"])
def test_true_peak_envelope_is_resample_polys(kind: str) -> None:
    """The envelope the meters and the limiter read is BS.1770's 4× polyphase interpolation: the
    magnitude of ``resample_poly(x, 4, 1)``, its four points per frame reduced to their largest."""
    from scipy.signal import resample_poly

    from pipeline.mix.loudness import true_peak_envelope

    t = np.arange(RATE) / RATE
    x = np.sign(np.sin(2 * np.pi * 50 * t)) if kind == "square" else _signal(kind, RATE, 1.0)
    expected = np.abs(resample_poly(x, 4, 1)).reshape(-1, 4).max(axis=1)
    assert np.allclose(true_peak_envelope(x), expected, rtol=1e-12, atol=1e-12)


def test_measure_file(tmp_path) -> None:
    import soundfile

    x = _signal("speechlike", RATE, 5.0)
    soundfile.write(tmp_path / "x.flac", x, RATE, subtype="PCM_24")
    lufs = measure_file(tmp_path / "x.flac").lufs
    assert lufs == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(x), abs=0.05)


def _limit(x: np.ndarray, ceiling: float, seed: int = 0) -> tuple[np.ndarray, TruePeakLimiter]:
    limiter = TruePeakLimiter(RATE, ceiling)
    rng = np.random.default_rng(seed)
    out, at = [], 0
    while at < len(x):
        size = int(rng.integers(1, 30000))
        out.append(limiter.process(x[at: at + size]))
        at += size
    out.append(limiter.flush())
    return np.concatenate(out), limiter


def test_limiter_keeps_true_peak_under_ceiling_smoothly() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.2, RATE * 4) * (1 + 4 * (rng.random(RATE * 4) < 0.001))
    x[RATE: RATE + 20] = 1.6  # a hard over
    y, limiter = _limit(x, -1.5)
    assert len(y) == len(x)
    meter = TruePeakMeter()
    meter.feed(y)
    assert meter.dbtp <= -1.5 + 0.01
    gain = y / np.where(x == 0, 1, x)
    assert gain.max() <= 1.0 + 1e-9
    assert np.abs(np.diff(gain)).max() < 0.02  # smooth gain: no step, so no distortion click
    assert limiter.max_reduction_db > 6


def test_limiter_is_transparent_below_ceiling() -> None:
    x = _signal("speechlike", RATE, 3.0)
    y, limiter = _limit(x * 0.5, -1.0)
    assert np.array_equal(y, x * 0.5)
    assert limiter.max_reduction_db == 0
