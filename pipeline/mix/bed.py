"""The music bed: a file looped under the spoken part of the episode, ducked while anyone speaks.

The bed plays at ``bed_db`` relative to its file, fades in where the first section starts and out
where the last one ends, and drops by ``duck_db`` around every segment: the drop starts
``attack_ms`` before the speech (so the bed is down when the first word comes) and the bed comes
back over ``release_ms`` after it. Ramps are linear in dB and the envelope is computed per block
from the speech spans, so the bed streams like the voice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.script.model import Audio

LOOP_CROSSFADE_S = 0.05
"""Crossfade between the end of the bed file and its start when it loops."""


def seamless_loop(x: np.ndarray, crossfade: int) -> np.ndarray:
    """One period of ``x`` repeated without a click: its tail crossfaded into its head."""
    crossfade = min(crossfade, len(x) // 2)
    if crossfade < 2:
        return x
    ramp = np.linspace(0.0, 1.0, crossfade, dtype=np.float32)
    head = x[:crossfade] * ramp + x[-crossfade:] * (1 - ramp)
    return np.concatenate((head, x[crossfade:-crossfade]))


class Bed:
    """The bed's contribution to any block of the episode timeline."""

    def __init__(
        self,
        loop: np.ndarray,
        rate: int,
        region: tuple[int, int],
        speech: Sequence[tuple[int, int]],
        audio: Audio,
        fade_ms: int,
    ) -> None:
        def frames(ms: float) -> int:
            return round(ms * rate / 1000)

        self._loop = seamless_loop(loop, frames(LOOP_CROSSFADE_S * 1000))
        self._start, self._end = region
        self._fade = max(1, min(frames(fade_ms), (self._end - self._start) // 2))
        self._level_db = audio.bed_db
        self._duck_db = audio.duck_db
        self._attack = frames(audio.attack_ms)
        self._release = frames(audio.release_ms)
        self._starts = np.array([start for start, _ in speech], dtype=np.int64)
        self._ends = np.array([end for _, end in speech], dtype=np.int64)

    def ducking(self, t: np.ndarray) -> np.ndarray:
        """How far ducked (0 … 1) the bed is at frames ``t`` (a contiguous ascending range)."""
        duck = np.zeros(len(t))
        if not len(t) or not len(self._starts):
            return duck
        first = int(np.searchsorted(self._ends + self._release, t[0], side="right"))
        last = int(np.searchsorted(self._starts - self._attack, t[-1], side="right"))
        for start, end in zip(self._starts[first:last], self._ends[first:last], strict=True):
            down = _ramp(t - (start - self._attack), self._attack)
            up = _ramp(end + self._release - t, self._release)
            np.maximum(duck, np.minimum(down, up), out=duck)
        return duck

    def block(self, first: int, count: int) -> np.ndarray:
        """The bed samples for frames ``first … first + count`` (zeros outside its region)."""
        out = np.zeros(count)
        lo, hi = max(first, self._start), min(first + count, self._end)
        if lo >= hi:
            return out
        t = np.arange(lo, hi)
        music = self._loop[(t - self._start) % len(self._loop)]
        gain_db = self._level_db - self._duck_db * self.ducking(t)
        edges = np.minimum(_ramp(t - self._start, self._fade), _ramp(self._end - t, self._fade))
        out[lo - first: hi - first] = music * 10 ** (gain_db / 20) * edges
        return out


def _ramp(distance: np.ndarray, length: int) -> np.ndarray:
    """0 before ``distance`` 0, rising linearly to 1 over ``length`` frames (a step when 0)."""
    if length <= 0:
        return (distance >= 0).astype(float)
    return np.clip(distance / length, 0.0, 1.0)
