"""CPU time of mastering alone, per phase, on a script whose segments are already in the cache.

    ESSAYCAST_CACHE_DIR=CACHE python bench/master_cost.py SCRIPT.md [RUNS]

Renders SCRIPT.md (every segment must come from the cache: nothing is synthesized), then masters it
RUNS times (default 2) in this process, each time with the part cache emptied so that every part is
mastered, and prints one JSON line per run: wall and CPU seconds of the whole ``master`` call, CPU
per minute of audio, the episode's loudness and true peak, and CPU-seconds and calls per phase
(`bench/phases.py`'s phases, each on its own thread's clock). Comparing two versions of essaycast
this way, run by turns on the same machine, is how docs/benchmarks.md's before/after table was made.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from phases import PHASES, STAGES, Totals, wrap_all


def main(script_path: Path, runs: int) -> None:
    totals = Totals()
    wrap_all(totals, [phase for phase in PHASES if phase not in STAGES])
    from pipeline.mix.master import master
    from pipeline.script import load
    from pipeline.synth.cache import cache_root
    from pipeline.synth.render import render

    script = load(script_path)
    segments = render(script)
    if not all(segment.cached for segment in segments):
        sys.exit("render the script first: some segments were not in the cache")
    with tempfile.TemporaryDirectory() as out:
        for number in range(runs):
            shutil.rmtree(cache_root() / "parts", ignore_errors=True)
            totals.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            episode = master(script, segments, Path(out) / f"run{number}.mp3", base_dir=script_path.parent)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            minutes = episode.duration_ms / 60000
            print(json.dumps({
                "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "cpu_s_per_minute": round(cpu / minutes, 3),
                "minutes": round(minutes, 2), "lufs": episode.loudness_lufs, "dbtp": episode.true_peak_dbtp,
                "phases": {phase: [round(totals.cpu[phase], 2), totals.calls[phase]] for phase in totals.cpu},
            }), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
