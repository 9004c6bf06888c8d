"""Rendering a Script: every segment synthesized with its cast voice, in parallel, through the cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class RenderedSegment:
    """One segment's speech, synthesized and stored in the segment cache."""

    section: int
    """Index of the section in the script (0-based)."""
    index: int
    """Index of the segment within its section (0-based)."""
    speaker: str
    """Script speaker name."""
    voice: str
    """Voice profile name it was rendered with."""
    audio: Path
    """Cached audio file: mono, at the engine's own sample rate."""
    sample_rate: int
    """Rate of ``audio`` in Hz."""
    frames: int
    """Number of samples in ``audio``."""
    cached: bool
    """True when it came from the cache without synthesis."""

    @property
    def duration_s(self) -> float:
        """Length of the speech in seconds."""
        return self.frames / self.sample_rate

    def read(self) -> np.ndarray:
        """The speech as mono float32 samples."""
        import soundfile

        data, _ = soundfile.read(self.audio, dtype="float32", always_2d=False)
        return data
