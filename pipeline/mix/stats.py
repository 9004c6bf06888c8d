"""Loudness statistics of assembled pieces, so that levelling a part is arithmetic, not passes over audio.

BS.1770 loudness is built from K-weighted power summed over 100 ms steps, and power is additive: the
power of a stretch is the sum of its pieces' powers, and a gain of g dB multiplies it by 10^(g/10).
``PieceStats`` keeps, for one piece as it is laid on the timeline (at the episode rate, faded), its
K-weighted power and its largest sample magnitude per short bin (`BIN_MS`). From those,
``Listening`` gives the loudness of every level group over its own spans, of all speech and of the
whole part at any set of group gains, without touching the audio again:

- the power of a 100 ms step is read off the running sum of the bins' powers (linear within a bin,
  exact at bin edges), for each group's spans laid end to end as `LoudnessMeter` would be fed them;
- what the true-peak limiter takes is modelled on the bins: each bin's gained peak over the ceiling is
  the reduction it needs, applied from the look-ahead before it and released linearly after, as
  ``TruePeakLimiter`` does, and the bin's power is lowered by that reduction.

The statistics are made while the piece is in memory for assembly (one K-weighting filter pass and
a running maximum, where every balancing pass used to read, limit and measure the whole part); the
limiter itself still runs once, on the audio that is encoded, and the MP3 is still measured.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.mix.limiter import LOOKAHEAD_MS, RELEASE_MS_PER_6DB
from pipeline.mix.loudness import gated_loudness, k_weighted_power, k_weighting, lufs

if TYPE_CHECKING:
    from pipeline.mix.assemble import Span

BIN_MS = 2.5
"""Longest statistics bin: half the limiter's look-ahead, so its attack is modelled to within a bin."""


@functools.cache
def bin_frames(rate: int) -> int:
    """Frames per statistics bin at ``rate``: the largest divisor of a 100 ms step not over `BIN_MS`,
    so that bins tile the meter's steps."""
    step = round(rate / 10)
    longest = max(1, int(rate * BIN_MS / 1000))
    return max(d for d in range(1, longest + 1) if step % d == 0)


@dataclass(frozen=True)
class PieceStats:
    """One piece's K-weighted power and peaks per bin (the last bin may be shorter)."""

    frames: int
    """Length of the piece."""
    bin: int
    """Frames per bin."""
    power: np.ndarray
    """K-weighted power summed over each bin."""
    peak: np.ndarray
    """Largest absolute sample value in each bin."""

    @classmethod
    def of(cls, audio: np.ndarray, rate: int) -> PieceStats:
        """The statistics of ``audio`` (mono, at ``rate``), K-weighted from silence."""
        size = bin_frames(rate)
        starts = np.arange(0, len(audio), size)
        if not len(starts):
            return cls(0, size, np.zeros(0), np.zeros(0))
        power, _ = k_weighted_power(audio, k_weighting(rate))
        # Stored in single precision (3.4 kB per second of audio): sums over them are taken in double.
        return cls(len(audio), size, np.add.reduceat(power, starts).astype(np.float32),
                   np.maximum.reduceat(np.abs(audio), starts).astype(np.float32))

    @property
    def edges(self) -> np.ndarray:
        """Frame offsets of the bins' boundaries, from 0 to ``frames``."""
        return np.minimum(np.arange(len(self.power) + 1) * self.bin, self.frames)


def stream_loudness(pieces: Iterable[tuple[int, np.ndarray, np.ndarray]], frames: int, rate: int) -> float:
    """Integrated loudness of a stream of ``frames`` frames holding ``pieces`` (start, bin edges relative
    to start, power per bin) and silence elsewhere, as `LoudnessMeter` would measure it."""
    starts, edges, powers = [], [], []
    for start, piece_edges, power in pieces:
        starts.append(start)
        edges.append(start + piece_edges)
        powers.append(power)
    if not frames or not edges:
        return -math.inf
    positions = np.concatenate(edges)
    running = np.concatenate([np.concatenate(([0.0], np.cumsum(p, dtype=np.float64))) for p in powers])
    # Pieces follow each other: each piece's running sum continues from where the previous one ended.
    offsets = np.cumsum([0.0, *(float(p.sum(dtype=np.float64)) for p in powers[:-1])])
    running += np.repeat(offsets, [len(p) + 1 for p in powers])
    step = round(rate / 10)
    whole = frames // step
    if whole < 4:  # shorter than a gating block: the ungated level, as the meter gives it
        return lufs(float(running[-1]) / frames)
    at = np.interp(np.arange(whole + 1) * step, positions, running)
    return gated_loudness(np.maximum(np.diff(at), 0.0), step)  # no rounding below zero


@dataclass(frozen=True)
class Heard:
    """Loudness (LUFS) of a part as modelled by `Listening`."""

    groups: dict[str, float]
    """Each level group over its own spans laid end to end."""
    speech: float
    """All speech spans laid end to end."""
    whole: float
    """The whole part, pauses included."""


class Listening:
    """The loudness a part's groups are heard at, after the limiter, modelled from its pieces' statistics."""

    def __init__(self, spans: Sequence[Span], stats: Sequence[PieceStats], frames: int, rate: int,
                 ceiling_dbtp: float = math.inf) -> None:
        self._spans = spans
        self._stats = stats
        self._frames = frames
        self._rate = rate
        self._ceiling = ceiling_dbtp
        size = bin_frames(rate)
        # Every piece's bins on one grid over the part (pieces start anywhere, so a bin lands on the grid
        # bin its start falls in): the limiter is modelled on the grid.
        self._grid = [span.start // size + np.arange(len(piece.peak)) for span, piece in zip(spans, stats,
                                                                                          strict=True)]
        self._cells = -(-frames // size) + 1
        self._ahead = max(1, round(rate * LOOKAHEAD_MS / 1000 / size))
        self._release_db = 6.0 / (RELEASE_MS_PER_6DB / 1000 * rate) * size

    def heard(self, gains_db: Mapping[str, float]) -> Heard:
        """The loudness heard with each group at its gain in ``gains_db`` and the limiter at the ceiling."""
        reduction = self._reduction(gains_db)
        powers = [piece.power * 10 ** ((gains_db[span.group] - reduction[cells]) / 10)
                  for span, piece, cells in zip(self._spans, self._stats, self._grid, strict=True)]
        laid = zip(self._spans, self._stats, powers, strict=True)
        whole = stream_loudness(((span.start, piece.edges, power) for span, piece, power in laid),
                                self._frames, self._rate)
        groups = {group: self._concatenated([i for i, span in enumerate(self._spans) if span.group == group],
                                            powers) for group in gains_db}
        speech = self._concatenated([i for i, span in enumerate(self._spans) if span.is_speech], powers)
        return Heard(groups, speech, whole)

    def _concatenated(self, chosen: Sequence[int], powers: Sequence[np.ndarray]) -> float:
        """Loudness of the chosen pieces laid end to end (a group's spans, as its meter is fed them)."""
        lengths = [self._stats[i].frames for i in chosen]
        starts = np.cumsum([0, *lengths[:-1]])
        return stream_loudness(((int(start), self._stats[i].edges, powers[i])
                                for start, i in zip(starts, chosen, strict=True)), sum(lengths), self._rate)

    def _reduction(self, gains_db: Mapping[str, float]) -> np.ndarray:
        """dB the limiter takes in each grid bin: what the bins' gained peaks need over the ceiling,
        from the look-ahead before each peak, released linearly after it."""
        if math.isinf(self._ceiling):
            return np.zeros(self._cells)
        peak_db = np.full(self._cells, -np.inf)
        for span, piece, cells in zip(self._spans, self._stats, self._grid, strict=True):
            with np.errstate(divide="ignore"):
                np.maximum.at(peak_db, cells, 20 * np.log10(piece.peak) + gains_db[span.group])
        needed = np.maximum(peak_db - self._ceiling, 0.0)
        # Attack: a bin is already down by what any bin up to the look-ahead after it needs.
        ahead = needed.copy()
        for k in range(1, self._ahead + 1):
            np.maximum(ahead[:-k], needed[k:], out=ahead[:-k])
        slope = self._release_db * np.arange(self._cells)
        return np.maximum.accumulate(ahead + slope) - slope
