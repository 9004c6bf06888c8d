"""What rendering a script will cost, known before it starts: audio length, render time and disk.

A very long text (a whole book pasted in by mistake) would otherwise render for hours and fill the
disk before anyone noticed; `check_size` refuses one past `CONFIRM_ABOVE_S` of audio unless the
user confirmed it (``--yes``), and any script whose files would not fit on the disk.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.model import Script

WORDS_PER_SECOND = 2.96
"""Speaking rate of the shipped voices: the seed essay's 1734 words take 586 s."""

RENDER_S_PER_AUDIO_S = 0.075
"""Cold render time per second of audio on 2 cores (`make bench`: 43 s for the seed's 586 s)."""

CACHE_BYTES_PER_S = 48_000
"""Segment cache per second of speech (24-bit FLAC at 22.05 kHz)."""

SCRATCH_BYTES_PER_S = 4 * 44_100
"""Mastering scratch per second of a part in progress (32-bit float PCM at 44.1 kHz)."""

PARTS_AT_ONCE = 2
"""Parts mastered side by side (one per core) whose scratch exists at the same time."""

CONFIRM_ABOVE_S = 3 * 3600.0
"""Longest episode rendered without ``--yes``: three hours of audio, about 32,000 words."""


@dataclass(frozen=True)
class Estimate:
    """The expected cost of rendering one script."""

    words: int
    """Words to speak."""
    audio_s: float
    """Expected length of the episode."""
    render_s: float
    """Expected time of a cold render."""
    disk_bytes: int
    """Disk needed at the peak: MP3, segment cache and mastering scratch."""

    def describe(self) -> str:
        return (f"about {_hours(self.audio_s)} of audio ({self.words:,} words): rendering takes about "
                f"{_hours(self.render_s)} and needs about {self.disk_bytes / 1e9:.1f} GB of disk")


def estimate(script: Script, bitrate_kbps: int) -> Estimate:
    """What rendering ``script`` at ``bitrate_kbps`` will cost."""
    section_words = [sum(len(segment.text.split()) for segment in section.segments)
                     for section in script.sections]
    words = sum(section_words)
    audio_s = words / WORDS_PER_SECOND
    longest = sorted(section_words, reverse=True)[:PARTS_AT_ONCE]
    scratch = sum(longest) / WORDS_PER_SECOND * SCRATCH_BYTES_PER_S
    disk = audio_s * (bitrate_kbps * 125 + CACHE_BYTES_PER_S) + scratch
    return Estimate(words, audio_s, audio_s * RENDER_S_PER_AUDIO_S, round(disk))


def check_size(script: Script, bitrate_kbps: int, out: Path, confirmed: bool) -> Estimate:
    """Refuse a script whose render would not fit on ``out``'s disk, or one longer than
    `CONFIRM_ABOVE_S` unless ``confirmed``."""
    cost = estimate(script, bitrate_kbps)
    if cost.audio_s > CONFIRM_ABOVE_S and not confirmed:
        limit = _hours(CONFIRM_ABOVE_S)
        raise EssaycastError(f"this script is {cost.describe()}",
                             hint=f"run again with --yes to go ahead; over {limit} asks first")
    folder = Path(out).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder) if folder.is_dir() else None
    if usage is not None and usage.total and cost.disk_bytes > usage.free:  # total 0: not a real disk
        raise EssaycastError(f"this script is {cost.describe()}; {folder} has {usage.free / 1e9:.1f} GB free",
                             hint="free some disk space, or render a shorter script")
    return cost


def _hours(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{max(minutes, 1)} min"
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
