"""Streaming loudness (ITU-R BS.1770-4 integrated loudness) and true-peak meters.

pyloudnorm's meter needs the whole signal in memory; a two-hour episode must be measured block by
block. ``LoudnessMeter`` uses pyloudnorm's K-weighting filter coefficients with
``scipy.signal.sosfilt`` carrying the filter state across blocks, sums the weighted power in
100 ms steps and gates 400 ms blocks (75 % overlap) with the absolute (-70 LUFS) and relative
(-10 LU) gates, so its result equals ``pyloudnorm.Meter(rate).integrated_loudness``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ABSOLUTE_GATE_LUFS = -70.0
"""Blocks quieter than this never count (BS.1770-4)."""
RELATIVE_GATE_LU = -10.0
"""Blocks this far below the absolutely-gated loudness do not count."""
STEPS_PER_BLOCK = 4
"""A 400 ms gating block is four 100 ms steps (75 % overlap)."""
OVERSAMPLING = 4
"""True peak is read from the signal oversampled four times (BS.1770-4 Annex 2)."""
CONTEXT = 16
"""Frames of signal either side that the 4× interpolation filter needs (streamed meters and the
limiter keep this many back for the next block)."""
BLOCK_FRAMES = 1 << 16
"""Frames per read when measuring a file."""


def lufs(mean_square: float) -> float:
    """Loudness of a K-weighted mono mean square (-inf for silence)."""
    return -0.691 + 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


@functools.cache
def k_weighting(rate: int) -> np.ndarray:
    """The K-weighting stages at ``rate`` exactly as pyloudnorm.Meter builds them, as second-order
    sections (each stage's passband gain folded into its numerator) for one ``sosfilt`` pass."""
    from pyloudnorm import IIRfilter

    stages = (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
              IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"))
    return np.array([np.concatenate((stage.passband_gain * stage.b, stage.a)) for stage in stages])


def k_weighted_power(
    samples: np.ndarray, sections: np.ndarray, state: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample power of ``samples`` through ``sections`` (`k_weighting`), from the filter ``state``
    (silence before when None); returns the power and the state after the last sample."""
    from scipy.signal import sosfilt

    zi = np.zeros((len(sections), 2)) if state is None else state
    y, after = sosfilt(sections, np.asarray(samples, dtype=np.float64), zi=zi)
    return y * y, after


class LoudnessMeter:
    """Integrated loudness of a mono signal fed in blocks of any size."""

    def __init__(self, rate: int) -> None:
        self._sections = k_weighting(rate)
        self._state: np.ndarray | None = None
        self.step = round(rate / 10)
        """Frames per 100 ms step."""
        self._partial = 0.0
        self._partial_frames = 0
        self._step_sums: list[float] = []
        self._total = 0.0
        self._frames = 0

    def feed(self, samples: np.ndarray) -> None:
        """Add the next samples of the signal."""
        if not len(samples):
            return
        power, self._state = k_weighted_power(samples, self._sections, self._state)
        self._total += float(power.sum())
        self._frames += len(power)
        # Complete the current 100 ms step, then whole steps, then keep the remainder.
        need = self.step - self._partial_frames
        head, rest = power[:need], power[need:]
        self._partial += float(head.sum())
        self._partial_frames += len(head)
        if self._partial_frames < self.step:
            return
        self._step_sums.append(self._partial)
        whole = len(rest) // self.step
        if whole:
            self._step_sums.extend(rest[: whole * self.step].reshape(whole, self.step).sum(axis=1).tolist())
        tail = rest[whole * self.step:]
        self._partial, self._partial_frames = float(tail.sum()), len(tail)

    @property
    def frames(self) -> int:
        """Samples fed so far."""
        return self._frames

    @property
    def steps(self) -> np.ndarray:
        """K-weighted power summed over every complete 100 ms step so far (``step`` frames each)."""
        return np.asarray(self._step_sums)

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS (-inf for silence).

        A signal shorter than one gating block has no blocks to gate; its ungated loudness is
        returned instead, so short speakers still get a level.
        """
        if len(self._step_sums) < STEPS_PER_BLOCK:
            return lufs(self._total / self._frames) if self._frames else -math.inf
        return gated_loudness(self.steps, self.step)


def gated_loudness(steps: np.ndarray, step: int) -> float:
    """Integrated loudness (LUFS) of a signal given as its K-weighted power per ``step``-frame step.

    Steps of separately measured stretches may be laid end to end: that is how the loudness of an
    episode mastered in parts is had from its parts' measurements.
    """
    if len(steps) < STEPS_PER_BLOCK:
        return lufs(float(np.sum(steps)) / (len(steps) * step)) if len(steps) else -math.inf
    blocks = np.convolve(steps, np.ones(STEPS_PER_BLOCK), mode="valid") / (STEPS_PER_BLOCK * step)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(blocks)
    audible = blocks[loudness >= ABSOLUTE_GATE_LUFS]
    if not len(audible):
        return -math.inf
    relative_gate = lufs(float(audible.mean())) + RELATIVE_GATE_LU
    gated = blocks[(loudness > relative_gate) & (loudness > ABSOLUTE_GATE_LUFS)]
    return lufs(float(gated.mean())) if len(gated) else -math.inf


class TruePeakMeter:
    """Largest absolute value of a mono signal oversampled 4×, fed in blocks.

    Only the stretches that could beat the largest value so far are oversampled
    (`true_peak_envelope_over`): after the first loud syllable that is a few per cent of speech.
    """

    def __init__(self) -> None:
        self._tail = np.zeros(2 * CONTEXT)
        self._peak = 0.0

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        # Only what could beat the peak so far needs oversampling: the maximum stays exact.
        return true_peak_envelope_over(x, self._peak)

    def _scan(self, x: np.ndarray, end: int) -> None:
        """Peak of the interpolated ``x`` from its CONTEXT-th frame up to frame ``end``."""
        up = self._envelope(x)[CONTEXT: end]
        if len(up):
            self._peak = max(self._peak, float(up.max()))

    def feed(self, samples: np.ndarray) -> None:
        """Add the next samples of the signal."""
        if not len(samples):
            return
        x = np.concatenate((self._tail, np.asarray(samples, dtype=np.float64)))
        self._scan(x, len(x) - CONTEXT)
        self._tail = x[-2 * CONTEXT:]

    @property
    def peak(self) -> float:
        """Linear true peak so far (the signal taken to end here)."""
        x = np.concatenate((self._tail, np.zeros(CONTEXT)))
        up = self._envelope(x)[CONTEXT: 2 * CONTEXT]
        return max(self._peak, float(up.max()))

    @property
    def dbtp(self) -> float:
        """True peak in dBTP (-inf for silence)."""
        peak = self.peak
        return 20 * math.log10(peak) if peak > 0 else -math.inf


INTERPOLATION_HALF_TAPS = 10 * OVERSAMPLING
"""Half-length of the interpolation filter: ``scipy.signal.resample_poly``'s own design for 4×."""


@functools.cache
def _interpolation_phases() -> tuple[tuple[np.ndarray, int], ...]:
    """The 4× interpolation filter (resample_poly's Kaiser-windowed sinc) split into its polyphase
    sub-filters, each with the offset that aligns its output with the input frames."""
    from scipy.signal import firwin

    half = INTERPOLATION_HALF_TAPS
    h = firwin(2 * half + 1, 1 / OVERSAMPLING, window=("kaiser", 5.0)) * OVERSAMPLING
    # The sinc's zero crossings, where firwin leaves rounding noise (1e-17): the phase through the
    # input samples is then the input itself, scaled, and costs no convolution.
    crossings = (np.arange(len(h)) - half) % OVERSAMPLING == 0
    crossings[half] = False
    h[crossings] = 0.0
    return tuple((h[(k + half) % OVERSAMPLING:: OVERSAMPLING], (k + half) // OVERSAMPLING)
                 for k in range(OVERSAMPLING))


def true_peak_envelope(x: np.ndarray) -> np.ndarray:
    """For every frame of ``x``, the largest magnitude of ``x`` interpolated 4× at and after it.

    Equals ``abs(resample_poly(x, 4, 1)).reshape(-1, 4).max(axis=1)`` (the polyphase FIR BS.1770-4
    suggests) up to rounding, computed as short convolutions without building the 4× signal.
    """
    envelope = np.zeros(len(x))
    for taps, offset in _interpolation_phases():
        (nonzero,) = np.nonzero(taps)
        if len(nonzero) == 1:  # the phase through the samples themselves
            np.maximum(envelope, np.abs(x) * abs(taps[nonzero[0]]), out=envelope)
            continue
        np.maximum(envelope, np.abs(np.convolve(x, taps)[offset: offset + len(x)]), out=envelope)
    return envelope


GATE_FRAMES = 16
"""Frames per gating block of `true_peak_envelope_over`: no shorter than the interpolation filter's
reach (so a block and its two neighbours hold every frame an interpolated point in it depends on),
and short, so a peak makes few frames around it be computed (measured on the seed's episode, 64 →
16 frames cut the cost of gating by about two fifths)."""


@functools.cache
def _reach_and_gain() -> tuple[int, float]:
    """How far (frames) either side the interpolation looks, and the most it can make of a signal no
    larger than 1 in magnitude (the largest sum of absolute taps of a phase)."""
    phases = _interpolation_phases()
    reach = max(max(offset, len(taps) - 1 - offset) for taps, offset in phases)
    return reach, max(float(np.abs(taps).sum()) for taps, _ in phases)


def true_peak_envelope_over(x: np.ndarray, threshold: float) -> np.ndarray:
    """`true_peak_envelope` of ``x`` wherever it may exceed ``threshold``, and 0 where it cannot.

    Every interpolated point is a weighted sum of the frames within the filter's reach, so it is at most
    the filter's gain times their largest magnitude: blocks of `GATE_FRAMES` whose neighbourhood stays
    under ``threshold`` by that bound are skipped, and the envelope is computed, exactly, only around
    the peaks above it. For a signal limited to a ceiling, that is a few per cent of it.
    """
    reach, gain = _reach_and_gain()
    n = len(x)
    envelope = np.zeros(n)
    if not n:
        return envelope
    blocks = -(-n // GATE_FRAMES)
    magnitude = np.zeros(blocks * GATE_FRAMES)
    np.abs(x, out=magnitude[:n])
    block_max = magnitude.reshape(blocks, GATE_FRAMES).max(axis=1)
    near = block_max.copy()  # a block and its neighbours: reach < GATE_FRAMES
    np.maximum(near[1:], block_max[:-1], out=near[1:])
    np.maximum(near[:-1], block_max[1:], out=near[:-1])
    hot = near * gain > threshold
    if not hot.any():
        return envelope
    # Every run of hot blocks with `reach` frames of context either side, laid end to end, goes
    # through one call: a run's outputs depend only on its own frames and context, so the
    # neighbouring runs' frames never reach them, and one call costs what its frames cost, where a
    # call per run cost more in overhead than in arithmetic (speech has thousands of short runs).
    edges = np.flatnonzero(np.diff(np.concatenate(([0], hot.astype(np.int8), [0]))))
    first, last = edges[::2] * GATE_FRAMES, np.minimum(edges[1::2] * GATE_FRAMES, n)
    lo, hi = np.maximum(first - reach, 0), np.minimum(last + reach, n)
    laid = _spans(lo, hi)
    interior = _spans(first, last)
    # Where each run's interior starts in the laid-out signal.
    starts = np.cumsum(np.concatenate(([0], (hi - lo)[:-1]))) + (first - lo)
    at = _spans(starts, starts + (last - first))
    envelope[interior] = true_peak_envelope(x[laid])[at]
    return envelope


def _spans(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The indices ``starts[i] … ends[i] - 1`` of every span, concatenated."""
    lengths = ends - starts
    shifts = np.repeat(starts - np.cumsum(np.concatenate(([0], lengths[:-1]))), lengths)
    return shifts + np.arange(int(lengths.sum()))


def measure(blocks: Iterable[np.ndarray], rate: int) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a signal given as mono blocks."""
    meter, peak = _metered(blocks, rate)
    return meter.integrated(), peak.dbtp


def _metered(blocks: Iterable[np.ndarray], rate: int) -> tuple[LoudnessMeter, TruePeakMeter]:
    meter, peak = LoudnessMeter(rate), TruePeakMeter()
    for block in blocks:
        meter.feed(block)
        peak.feed(block)
    return meter, peak


@dataclass(frozen=True)
class Measurement:
    """What ``measure_file`` found."""

    lufs: float
    """Integrated loudness."""
    dbtp: float
    """True peak."""
    steps: np.ndarray
    """K-weighted power per 100 ms step (see `gated_loudness`)."""
    step: int
    """Frames per step."""


def measure_file(path: Path, on_frames: Callable[[int, int], None] | None = None) -> Measurement:
    """Integrated loudness and true peak of an audio file (MP3 included), read block by block.

    Channels are averaged (episodes are mono). ``on_frames(done, total)`` reports progress.
    """
    import soundfile

    with soundfile.SoundFile(path) as f:
        total = f.frames

        def blocks() -> Iterator[np.ndarray]:
            done = 0
            for block in f.blocks(BLOCK_FRAMES, dtype="float64", always_2d=True):
                done += len(block)
                if on_frames:
                    on_frames(min(done, total), total)
                yield block.mean(axis=1)

        meter, peak = _metered(blocks(), f.samplerate)
    return Measurement(meter.integrated(), peak.dbtp, meter.steps, meter.step)
