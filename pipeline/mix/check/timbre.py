"""Telling voices apart by timbre: MFCC statistics over voiced frames and a distance between them.

Pitch alone calls two voices alike when their medians are close (Piper's Joe at ~95 Hz and Kokoro's
``jm_kumo`` at ~92 Hz sound nothing alike). A voice's timbre — the shape of its spectral envelope —
is summarised here as the mean and spread of its mel-frequency cepstral coefficients over the frames
where it is voiced (so pauses and breath do not count), and two summaries are compared with a
standardised distance: how many pooled standard deviations apart the two voices sit, averaged over
the coefficients. Calibrated on the shipped palette (docs/voices.md): the same voice reading two
different texts scores well under `SAME_VOICE_MAX`, every pair of palette voices well over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.mix.check.measures import PITCH_HOP_S, track_pitch

FRAME_S = 0.025
"""MFCC analysis window."""
MEL_BANDS = 40
"""Mel filters between `MEL_LOW_HZ` and `MEL_HIGH_HZ`."""
MEL_LOW_HZ, MEL_HIGH_HZ = 60.0, 7600.0
"""The band the filters cover: speech, below the 8 kHz Nyquist limit of 16 kHz audio."""
COEFFICIENTS = 20
"""Cepstral coefficients kept; c0 (overall level) is dropped, so loudness never counts as timbre."""
MIN_VOICED_FRAMES = 250
"""Fewer voiced frames than this (2.5 s, some four seconds of speech) give no trustworthy fingerprint:
on shorter stretches what is said moves the statistics as much as who says it (docs/voices.md)."""
SAME_VOICE_MAX = 0.32
"""Distances up to this mean the same voice. Calibrated on the palette (docs/voices.md): one voice
reading two texts scored at most 0.29 on stretches of 250 voiced frames or more, two palette voices
at least 0.37."""


@dataclass(frozen=True)
class Timbre:
    """A voice's fingerprint: statistics of its MFCCs over voiced frames."""

    mean: np.ndarray
    """Mean of each coefficient c1..c19."""
    std: np.ndarray
    """Standard deviation of each coefficient."""
    frames: int
    """Voiced frames it was computed from."""
    f0_hz: float | None
    """Median fundamental frequency over the same frames."""

    def distance(self, other: Timbre) -> float:
        """How far apart two voices sit, in pooled standard deviations per coefficient (0 = identical)."""
        pooled = np.sqrt((self.std**2 + other.std**2) / 2)
        return float(np.sqrt(np.mean(((self.mean - other.mean) / pooled) ** 2)))

    @staticmethod
    def alike(distance: float) -> bool:
        """True when a distance means one voice (within `SAME_VOICE_MAX`)."""
        return distance <= SAME_VOICE_MAX


def _mel_filters(rate: int, n_fft: int) -> np.ndarray:
    """Triangular mel filterbank, one row per band over the rfft bins."""

    def mel(hz: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    edges_mel = np.linspace(mel(MEL_LOW_HZ), mel(min(MEL_HIGH_HZ, rate / 2)), MEL_BANDS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def mfcc(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mel-frequency cepstral coefficients c1..c(`COEFFICIENTS` − 1), one row per `PITCH_HOP_S` frame."""
    from scipy.fft import dct

    x = np.asarray(samples, dtype=np.float64)
    window = round(rate * FRAME_S)
    hop = max(1, round(rate * PITCH_HOP_S))
    if len(x) < window:
        return np.empty((0, COEFFICIENTS - 1))
    n_fft = 1 << math.ceil(math.log2(window))
    starts = np.arange(0, len(x) - window + 1, hop)
    frames = x[starts[:, None] + np.arange(window)] * np.hamming(window)
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
    energies = power @ _mel_filters(rate, n_fft).T
    cepstra = dct(np.log(np.maximum(energies, 1e-10)), type=2, norm="ortho", axis=1)
    return cepstra[:, 1:COEFFICIENTS]


def timbre(samples: np.ndarray, rate: int) -> Timbre | None:
    """The fingerprint of one voice's speech; None when it holds too little voiced speech."""
    coefficients = mfcc(samples, rate)
    pitch = track_pitch(samples, rate)
    count = min(len(coefficients), len(pitch))
    voiced = ~np.isnan(pitch[:count])
    if np.count_nonzero(voiced) < MIN_VOICED_FRAMES:
        return None
    chosen = coefficients[:count][voiced]
    return Timbre(
        mean=chosen.mean(axis=0),
        std=chosen.std(axis=0) + 1e-6,
        frames=len(chosen),
        f0_hz=float(np.median(pitch[:count][voiced])),
    )
