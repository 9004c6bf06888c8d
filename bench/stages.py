"""Single stages of a render on their own, for the benchmark's ratios (bench/run.py runs each as a process).

    python bench/stages.py synthesis SCRIPT.md      # render()'s synthesis alone into the cache; JSON
    python bench/stages.py worker SCRIPT.md         # one synthesis worker's start-up and model loads; JSON
    python bench/stages.py encoder EPISODE.mp3      # CPU of the MP3 encoder alone on the episode; JSON

``synthesis`` is what `essaycast make` does between drafting and mastering, with the same workers
(one process per core): the cold make's wall time divided by this one's is the cost of everything
around synthesis. ``worker`` does what each of those workers does before its first segment (start
an interpreter, import the engines, load every voice the script casts, on one thread) and times
each step. ``encoder`` decodes the episode and encodes it again exactly as mastering does (mono,
96 kbps constant, libsndfile's LAME), timing the encoding alone: the floor under mastering's CPU time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def synthesis(script_path: Path) -> dict[str, float]:
    from pipeline.script import load
    from pipeline.synth.render import render

    segments = render(load(script_path))
    return {"segments": len(segments), "synthesized": sum(not s.cached for s in segments),
            "speech_s": round(sum(s.duration_s for s in segments), 3)}


def worker(script_path: Path) -> dict[str, float]:
    """Seconds (wall) and CPU-seconds of a worker's imports and of loading each voice the script casts."""
    cpu = time.process_time()
    from pipeline.script import load
    from pipeline.synth.engines import engine_module
    from pipeline.synth.render import loaded_engine, resolve_voices

    script = load(script_path)
    voices = resolve_voices(script)
    for voice in voices.values():
        engine_module(voice.engine)
    out = {"imports_s": round(time.perf_counter() - STARTED, 3),
           "imports_cpu_s": round(time.process_time() - cpu, 3)}
    for name, voice in voices.items():
        start, cpu = time.perf_counter(), time.process_time()
        loaded_engine(voice, 1)
        out[f"load {name}_s"] = round(time.perf_counter() - start, 3)
        out[f"load {name}_cpu_s"] = round(time.process_time() - cpu, 3)
    return out


def encoder(episode: Path) -> dict[str, float]:
    """CPU-seconds per minute of libsndfile's LAME encoding the episode as mastering does, at the
    episode's rate and at the lowest MPEG-1 rate above the voices' bandwidth (32 kHz): the floor under
    mastering's CPU time, and how far a lower rate would lower it."""
    import soundfile
    from scipy.signal import resample_poly

    audio, rate = soundfile.read(episode, dtype="float64")
    out = {"minutes": round(len(audio) / rate / 60, 3), "cpu_s": _encoding_cpu(audio, rate, episode)}
    out["cpu_s_per_minute"] = round(out["cpu_s"] / out["minutes"], 3)
    low = resample_poly(audio, LOW_RATE // 100, rate // 100)
    out[f"cpu_s_per_minute_{LOW_RATE}"] = round(_encoding_cpu(low, LOW_RATE, episode) / out["minutes"], 3)
    return out


LOW_RATE = 32000
"""The lowest MPEG-1 rate; the voices (22.05 and 24 kHz) have nothing above its 16 kHz band edge."""


def _encoding_cpu(audio: object, rate: int, episode: Path) -> float:
    """CPU-seconds of encoding ``audio`` at ``rate`` exactly as mastering does (mono, 96 kbps constant)."""
    from pipeline.mix.master import BLOCK, MixOptions, _mp3_writer

    out = episode.with_name("encoder-floor.mp3")
    cpu = time.process_time()
    with _mp3_writer(out, MixOptions(rate=rate)) as sink:
        for first in range(0, len(audio), BLOCK):  # type: ignore[arg-type]
            sink.write(audio[first: first + BLOCK])  # type: ignore[index]
    spent = time.process_time() - cpu
    out.unlink()
    return round(spent, 3)


COMMANDS = {"synthesis": synthesis, "worker": worker, "encoder": encoder}
"""Command name → what it measures."""


if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](Path(sys.argv[2]))))
