"""A look-ahead true-peak limiter: keeps a streamed mono signal under a dBTP ceiling without clipping.

The gain reduction each sample needs is read from the signal oversampled 4× (so peaks between
samples count), spread ``lookahead`` samples ahead of every peak (the gain is already down when
the peak arrives), released linearly in dB, and smoothed by two moving averages. Every stage is
an envelope that is never below the reduction needed, so the output never exceeds the ceiling at
the sample points and, with a small margin, between them. All stages are vectorised (running
maximum filter, cumulative maximum for the release, cumulative sums for the averages) so a
two-hour episode is limited in seconds, and the oversampled signal is computed only around samples
whose neighbourhood could reach the ceiling (`true_peak_envelope_over`): everywhere else the
reduction needed is zero by a bound, not by a guess, so the output is the same as with the
envelope computed everywhere. Likewise the gain is computed only in the spans that a frame needing
a reduction reaches through the attack, the release and the smoothing (`_active`); elsewhere it is
exactly unity.
"""

from __future__ import annotations

import numpy as np

from pipeline.mix.loudness import CONTEXT, true_peak_envelope_over

LOOKAHEAD_MS = 5.0
"""How long before a peak the gain starts to drop (and how long the attack ramp lasts)."""
RELEASE_MS_PER_6DB = 150.0
"""How long the gain takes to come back 6 dB after a peak."""


class TruePeakLimiter:
    """Streamed limiter: ``process`` returns output delayed by a few ms, ``flush`` returns the rest."""

    def __init__(self, rate: int, ceiling_dbtp: float) -> None:
        half = max(1, round(rate * LOOKAHEAD_MS / 2000))
        self._smooth = half
        """Window (minus one) of each of the two moving averages; together they span the look-ahead."""
        self._lookahead = 2 * half
        self._release = 6.0 / (RELEASE_MS_PER_6DB / 1000 * rate)
        self._ceiling = ceiling_dbtp
        self._pending = np.zeros(0)
        self._past = np.zeros(CONTEXT)
        self._reduction_history = np.zeros(self._lookahead)
        self._reduction = 0.0
        self.max_reduction_db = 0.0
        """The deepest gain reduction applied so far."""

    @property
    def delay(self) -> int:
        """Frames the output lags behind the input until ``flush``."""
        return self._lookahead + CONTEXT

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed input samples; returns every output sample that can be decided so far."""
        self._pending = np.concatenate((self._pending, np.asarray(block, dtype=np.float64)))
        count = len(self._pending) - self.delay
        return self._emit(count) if count > 0 else np.zeros(0)

    def flush(self) -> np.ndarray:
        """The remaining output (the signal is taken to be silent after its end)."""
        count = len(self._pending)
        self._pending = np.concatenate((self._pending, np.zeros(self.delay)))
        return self._emit(count) if count else np.zeros(0)

    def _needed_reduction(self, x: np.ndarray) -> np.ndarray:
        """dB each sample of ``x`` (with CONTEXT frames either side) must come down."""
        ceiling = 10 ** (self._ceiling / 20)
        rows = true_peak_envelope_over(x, ceiling)
        # The continuous signal around sample j: the interpolated points on both sides of it.
        peak = np.maximum(rows[CONTEXT:-CONTEXT], rows[CONTEXT - 1:-CONTEXT - 1])
        needed = np.zeros(len(peak))
        over = np.flatnonzero(peak > ceiling)
        needed[over] = 20 * np.log10(peak[over]) - self._ceiling
        return needed

    def _emit(self, count: int) -> np.ndarray:
        la = self._lookahead
        x = np.concatenate((self._past, self._pending[: count + la + CONTEXT]))
        needed = self._needed_reduction(x)  # one value per frame of pending[: count + la]
        released = np.zeros(count)
        out = self._pending[:count].copy()
        for start, end in self._active(needed, count):
            smooth = self._gain_reduction(needed[start: end + la], released[start:end], start == 0)
            self.max_reduction_db = max(self.max_reduction_db, float(smooth.max(initial=0.0)))
            out[start:end] *= 10 ** (-np.maximum(smooth, 0.0) / 20)  # rounding never lifts a sample
        self._reduction = float(released[-1])
        self._reduction_history = np.concatenate((self._reduction_history[count:], released[-la:]))
        self._past = x[count: count + CONTEXT]
        self._pending = self._pending[count:]
        return out

    def _active(self, needed: np.ndarray, count: int) -> list[tuple[int, int]]:
        """The spans of the next ``count`` output frames whose gain can be reduced, in order.

        A frame's reduction comes from a frame needing one at most `lookahead` frames later, from
        the release of one earlier (it is back to zero ``needed / release`` frames on), or from the
        smoothing's look back over the last `lookahead` frames; everywhere else it is exactly zero,
        so most of a voice is passed through untouched and only these spans are computed.
        """
        la = self._lookahead
        over = np.flatnonzero(needed)
        starts = np.maximum(over - la, 0)
        ends = over + (needed[over] // self._release).astype(np.int64) + 2 + la
        if self._reduction > 0 or self._reduction_history.any():  # the last block's release and smoothing
            starts = np.concatenate(([0], starts))
            ends = np.concatenate(([int(self._reduction // self._release) + 2 + la], ends))
        if not len(starts):
            return []
        ends = np.minimum(np.maximum.accumulate(ends), count)
        first = np.flatnonzero(starts[1:] > ends[:-1]) + 1  # a span begins where none reaches
        last = np.concatenate((first, [len(starts)])) - 1
        return list(zip(starts[np.concatenate(([0], first))].tolist(), ends[last].tolist(), strict=True))

    def _gain_reduction(self, needed: np.ndarray, released: np.ndarray, first: bool) -> np.ndarray:
        """The smoothed reduction (dB) of a span of frames; fills ``released`` (the span's release).

        ``needed`` runs `lookahead` frames past the span. A span other than the ``first`` of a block
        starts from zero: nothing before it reaches into it (`_active`).
        """
        from scipy.ndimage import maximum_filter1d

        la, count = self._lookahead, len(released)
        # Attack: each output frame takes the largest reduction needed within the next `la` frames.
        ahead = maximum_filter1d(needed, size=la + 1, mode="nearest")[la // 2: la // 2 + count]
        # Release: reduction falls by `release` dB per frame unless something needs more.
        slope = self._release * np.arange(1, count + 1)
        held = np.maximum.accumulate(ahead + slope) - slope
        released[:] = np.maximum(held, self._reduction - slope) if first else held
        history = np.concatenate((self._reduction_history if first else np.zeros(la), released))
        # Two moving averages over the past `smooth` + 1 frames: a smooth S-shaped attack that ends
        # exactly at the peak, never below the reduction needed there.
        return _moving_mean(_moving_mean(history, self._smooth + 1), self._smooth + 1)


def _moving_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of each full trailing ``window`` of ``x`` (``len(x) - window + 1`` values)."""
    sums = np.cumsum(np.concatenate(([0.0], x)))
    return (sums[window:] - sums[:-window]) / window
