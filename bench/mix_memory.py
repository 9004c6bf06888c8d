"""Peak memory of mastering a synthetic episode: it must not grow with the episode's length.

Usage: ``python bench/mix_memory.py [--no-bed | --master] [MINUTES ...]`` (default: 10 120). Each length is
mastered in a fresh process (two voices at 22.05/24 kHz, noise-modulated "speech" segments of 3–9 s
with pauses, sections of 40 segments, an intro and a ducked music bed) and one JSON line is printed
per length: minutes, peak RSS in MB, wall seconds, measured LUFS and dBTP, sections. With the bed the
episode is mastered as one part; ``--no-bed`` leaves it out, so the episode is mastered in parts
(one per section, side by side) and joined; ``--master`` leaves the bed out and writes a lossless
FLAC master as well, which makes the episode one part again, this time without a bed.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

VARIANTS = 12
"""Distinct segment files; the script reuses them, so a long episode needs no more disk input."""


def _speechlike(seconds: float, rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    syllables = np.abs(np.sin(2 * np.pi * (3 + seed % 3) * t)) ** 2
    voiced = np.sin(2 * np.pi * (110 + 20 * seed) * t) + 0.3 * rng.normal(size=len(t))
    return (0.3 * syllables * voiced).astype(np.float32)


def run_one(minutes: float, work: Path, bed: bool, lossless: bool) -> dict[str, float]:
    """Master a ``minutes``-long synthetic episode in this process; return its measurements."""
    from pipeline.mix.master import MixOptions, master
    from pipeline.script.model import Audio, Cast, Pause, Script, Section, Segment
    from pipeline.synth.render import RenderedSegment

    speakers = {"narrator": 22050, "samantha": 24000}
    files = {}
    for variant in range(VARIANTS):
        speaker = list(speakers)[variant % 2]
        rate = speakers[speaker]
        path = work / f"seg{variant}.wav"
        x = _speechlike(3 + variant / 2, rate, variant)
        soundfile.write(path, x, rate, subtype="FLOAT")
        files[variant] = (speaker, path, rate, len(x))
    t = np.arange(48000 * 20) / 48000
    soundfile.write(work / "bed.wav", 0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 0.1 * t), 48000)
    soundfile.write(work / "intro.wav", 0.3 * np.sin(2 * np.pi * 440 * t[:48000 * 5]), 48000)

    sections, rendered, elapsed, index = [], [], 0.0, 0
    while elapsed < minutes * 60:
        segments = []
        for _ in range(40):
            speaker, path, rate, frames = files[index % VARIANTS]
            segments.append(Segment(speaker, f"Segment {index}.", Pause(400 + 100 * (index % 7))))
            rendered.append(RenderedSegment(len(sections), len(segments) - 1, speaker, speaker, path, rate,
                                            frames, True))
            elapsed += frames / rate + 0.4 + 0.1 * (index % 7)
            index += 1
        sections.append(Section(f"Part {len(sections) + 1}", tuple(segments)))
    script = Script(title="Memory bench", sections=tuple(sections),
                    cast=Cast({"narrator": "joe", "samantha": "samantha"}),
                    audio=Audio(intro="intro.wav", bed="bed.wav" if bed else ""))
    start = time.perf_counter()
    options = MixOptions(master_format="flac" if lossless else "")
    episode = master(script, rendered, work / "out" / "bench.mp3", options, base_dir=work)
    return {
        "minutes": round(episode.duration_ms / 60000, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "lufs": episode.loudness_lufs,
        "dbtp": episode.true_peak_dbtp,
        "sections": len(sections),
    }


FLAGS = ("--no-bed", "--master")
"""The variants: in parts without a bed, or one part with a lossless master and no bed."""


def main(argv: list[str]) -> None:
    flags = [arg for arg in argv if arg in FLAGS]
    lengths = [arg for arg in argv if arg not in FLAGS and arg != "--one"]
    if argv[:1] == ["--one"]:
        with tempfile.TemporaryDirectory() as work:
            measured = run_one(float(lengths[0]), Path(work), bed=not flags, lossless="--master" in flags)
            print(json.dumps(measured), flush=True)
        return
    for minutes in lengths or ["10", "120"]:
        subprocess.run([sys.executable, __file__, "--one", minutes, *flags], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
