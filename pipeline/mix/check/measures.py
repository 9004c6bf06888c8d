"""The numbers behind a listening-quality check, as pure functions on text and sample arrays.

Nothing here reads files or knows about episodes: word error rate, pitch (YIN), clipping and click
detection, each testable on synthetic input. Loudness and true peak come from the mixing stage's
meters (``pipeline.mix.loudness``), so the check measures exactly as the mastering does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CLIP_LEVEL = 0.999
"""A sample at or above this magnitude (−0.009 dBFS) counts as clipped. A mastered episode stays
below −1 dBTP, so it never gets near; a clipped one sits at full scale in runs, and lossy decoding
leaves those runs within a few thousandths of 1.0."""

PITCH_MIN_HZ = 60.0
"""Lowest fundamental the pitch tracker looks for (below any speaking voice)."""
PITCH_MAX_HZ = 400.0
"""Highest fundamental the pitch tracker looks for (above any speaking voice)."""
YIN_THRESHOLD = 0.15
"""Aperiodicity (YIN's normalised difference) below which a frame counts as voiced."""
VOICED_FLOOR_DB = 30.0
"""Frames quieter than the loudest frame of the span by more than this are silence, not voice."""
PITCH_HOP_S = 0.01
"""Pitch frame hop: one F0 value per 10 ms."""

JOIN_WINDOW_MS = 10
"""Half-width of the stretch around a join searched for a discontinuity: absorbs cue rounding to
whole milliseconds and the smear of lossy coding."""

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_ALTERNATE_RE = re.compile(r"\(\d+\)")  # pocketsphinx marks alternate pronunciations: read(2)


def words(text: str) -> list[str]:
    """``text`` as the words a listener hears: lowercase, punctuation dropped, hyphens split.

    Apostrophes inside a word stay (``don't``), because the recognizer's dictionary spells them so.
    """
    text = _ALTERNATE_RE.sub("", text.lower().replace("\u2019", "'").replace("\u2018", "'"))
    return _WORD_RE.findall(text)


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Substitutions + deletions + insertions turning ``reference`` into ``hypothesis`` (Levenshtein)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after normalising both with `words`."""
    ref = words(reference)
    errors = word_errors(ref, words(hypothesis))
    return errors / len(ref) if ref else float(errors > 0)


def track_pitch(samples: np.ndarray, rate: int) -> np.ndarray:
    """Fundamental frequency every `PITCH_HOP_S` with YIN; NaN where the frame is unvoiced or silent.

    YIN (de Cheveigné & Kawahara 2002): the cumulative-mean-normalised difference function, the
    first dip below `YIN_THRESHOLD` taken to its bottom, refined by parabolic interpolation.
    """
    x = np.asarray(samples, dtype=np.float64)
    lag_min = int(rate / PITCH_MAX_HZ)
    lag_max = math.ceil(rate / PITCH_MIN_HZ) + 1
    window = lag_max  # the integration window must hold one period of the lowest pitch
    hop = max(1, round(rate * PITCH_HOP_S))
    span = window + lag_max + 1
    if len(x) < span:
        return np.empty(0)
    starts = np.arange(0, len(x) - span + 1, hop)
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    n_fft = 1 << math.ceil(math.log2(window + span))
    pitches = np.full(len(starts), np.nan)
    frame_rms = np.sqrt((energy[starts + window] - energy[starts]) / window)
    loud = frame_rms >= frame_rms.max() * 10 ** (-VOICED_FLOOR_DB / 20)
    offsets = np.arange(span)
    lags = np.arange(lag_max + 1)
    for batch in np.array_split(np.arange(len(starts)), max(1, len(starts) // 1024)):  # bounded memory
        s = starts[batch]
        frames = x[s[:, None] + offsets]
        head = np.fft.rfft(frames[:, :window], n_fft)
        whole = np.fft.rfft(frames, n_fft)
        corr = np.fft.irfft(np.conj(head) * whole, n_fft)[:, : lag_max + 1]
        # d(τ) = Σ x_j² + Σ x_{j+τ}² − 2 Σ x_j x_{j+τ}, each sum over the window
        shifted_energy = energy[s[:, None] + lags + window] - energy[s[:, None] + lags]
        diff = np.maximum(shifted_energy[:, :1] + shifted_energy - 2 * corr, 0.0)
        cumulative = np.cumsum(diff[:, 1:], axis=1)
        cmnd = np.ones_like(diff)
        with np.errstate(invalid="ignore", divide="ignore"):
            cmnd[:, 1:] = np.where(cumulative > 0, diff[:, 1:] * lags[1:] / cumulative, 1.0)
        # the bottom of the first dip under the threshold: under it and no higher than the next lag
        inner = cmnd[:, lag_min:lag_max]
        dip = (inner < YIN_THRESHOLD) & (inner <= cmnd[:, lag_min + 1 : lag_max + 1])
        voiced = dip.any(axis=1) & loud[batch]
        lag = lag_min + np.argmax(dip, axis=1)
        rows = np.nonzero(voiced)[0]
        lag = lag[rows]
        before, at, after = (cmnd[rows, lag + k] for k in (-1, 0, 1))
        curvature = before - 2 * at + after
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = np.where(curvature > 0, 0.5 * (before - after) / curvature, 0.0)
        pitches[batch[rows]] = rate / (lag + np.clip(shift, -1, 1))
    return pitches


def clipped_samples(samples: np.ndarray) -> int:
    """How many samples (over all channels) sit at full scale, at or above `CLIP_LEVEL`."""
    return int(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL))


def largest_jump(samples: np.ndarray) -> float:
    """The largest sample-to-sample step in ``samples`` (0 for fewer than two samples)."""
    return float(np.max(np.abs(np.diff(samples)))) if len(samples) > 1 else 0.0


@dataclass(frozen=True)
class Click:
    """A discontinuity at a join: a step larger than anything the neighbouring speech contains."""

    at_ms: int
    """Where the step is, from the start of the audio."""
    jump: float
    """Size of the step (full scale is 1)."""
    limit: float
    """Largest step inside the neighbouring speech; ``jump`` exceeded it."""


def find_clicks(samples: np.ndarray, rate: int, spans: Sequence[tuple[int, int]]) -> list[Click]:
    """Click-like discontinuities at the joins of ``spans`` (speech spans in samples, in order).

    Every span edge is a join (speech meeting a pause or the next speech). The stretch within
    `JOIN_WINDOW_MS` of a join holds a click when its largest step exceeds the largest step inside the
    speech on either side of the join, away from any join: a voice never jumps further than itself.
    """
    guard = max(1, rate * JOIN_WINDOW_MS // 1000)
    interiors = [largest_jump(samples[start + guard : end - guard]) for start, end in spans]
    clicks: list[Click] = []
    seen: set[int] = set()
    for i, (start, end) in enumerate(spans):
        for edge, neighbour in ((start, i - 1), (end, i + 1)):
            if edge in seen:
                continue
            seen.add(edge)
            limit = max(interiors[i], interiors[neighbour] if 0 <= neighbour < len(spans) else 0.0)
            lo, hi = max(0, edge - guard), min(len(samples), edge + guard)
            if hi - lo < 2 or not limit:
                continue
            steps = np.abs(np.diff(samples[lo:hi]))
            worst = int(np.argmax(steps))
            if steps[worst] > limit:
                clicks.append(Click(round((lo + worst) * 1000 / rate), float(steps[worst]), limit))
    return clicks
