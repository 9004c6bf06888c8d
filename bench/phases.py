"""Run the essaycast CLI with timers around its stages, to see where a command's wall time goes.

    python bench/phases.py OUT.json make essay.txt --cast samantha --site site

Calls the CLI the ``essaycast`` script runs (`pipeline.cli.main`, via `pipeline.__main__`), after
wrapping the stage functions below so each call adds its wall time and CPU time to a phase; the
totals (seconds, CPU-seconds and calls per phase, and the CPU time of this process as a whole,
under "process") are written to OUT.json when the command exits. The wrappers cost microseconds per call.
Phases nest: "mastering" contains the ones after it, but parts whose segments are all in are
mastered while synthesis still runs (`EarlyParts`), so their phases fall inside "synthesis". Every
phase's CPU time is that of the thread it ran on (synthesis workers are other processes and not in
it): the stages run on the main thread, a part's phases on the part's thread, and the MP3 encoder on
a thread of its own, so it is a phase of its own. The process's CPU time less the stages' and the
parts' (`THREADED`) is start-up and everything else on the main thread.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PHASES: dict[str, tuple[str, str]] = {
    "drafting": ("pipeline.script.storage", "script_from"),
    "synthesis": ("pipeline.synth.render", "render"),
    "mastering": ("pipeline.mix.master", "master"),
    "assembling": ("pipeline.mix.assemble", "assemble"),
    "balancing": ("pipeline.mix.master", "balance"),
    "encoding": ("pipeline.mix.master", "_write_audio"),
    "MP3 encoder (LAME)": ("pipeline.mix.master", "_write_block"),
    "verifying": ("pipeline.mix.loudness", "measure_file"),
    "laying out": ("pipeline.mix.master", "_lay_out"),
    "tags, sidecars": ("pipeline.mix.master", "_write_outputs"),
    "publishing": ("pipeline.publish", "publish"),
}
"""Phase → (module, function). The CLI imports stage functions when a command runs, and the mastering
helpers look theirs up as module globals, so replacing the module attributes is enough. The phases
inside mastering name internals of the mix stage: a phase whose function is gone is left out."""


STAGES = ("drafting", "synthesis", "mastering", "publishing")
"""The stages, on the main thread; the other phases nest in them."""
THREADED = ("assembling", "balancing", "encoding", "MP3 encoder (LAME)", "verifying")
"""The phases that run on threads of their own (one per part, and the encoder's): their CPU time is
not in the main thread's stages."""


class Totals:
    """Wall seconds, CPU seconds and calls per phase, added to from any thread."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Start counting again."""
        with self.lock:
            self.wall.clear()
            self.cpu.clear()
            self.calls.clear()

    def timed(self, function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        clock = time.thread_time

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), clock()
            try:
                return function(*args, **kwargs)
            finally:
                with self.lock:
                    self.wall[phase] = self.wall.get(phase, 0.0) + time.perf_counter() - start
                    self.cpu[phase] = self.cpu.get(phase, 0.0) + clock() - cpu
                    self.calls[phase] = self.calls.get(phase, 0) + 1

        return timed


def wrap_all(totals: Totals, phases: Iterable[str] = PHASES) -> None:
    """Wrap the functions of ``phases`` (all by default) so that their calls add to ``totals``."""
    for phase in phases:
        module_name, name = PHASES[phase]
        module = importlib.import_module(module_name)
        function = getattr(module, name, None)
        if function is not None:
            setattr(module, name, totals.timed(function, phase))


def instrument(out: Path) -> None:
    """Wrap every phase's function; write the totals to ``out`` at exit."""
    totals = Totals()
    wrap_all(totals)

    def write() -> None:
        phases: dict[str, dict[str, float]] = {
            p: {"seconds": round(totals.wall[p], 3), "cpu": round(totals.cpu[p], 3), "calls": totals.calls[p]}
            for p in PHASES if p in totals.wall}
        phases["process"] = {"seconds": 0.0, "cpu": round(time.process_time(), 3), "calls": 1}
        out.write_text(json.dumps(phases))

    atexit.register(write)


def main(argv: list[str]) -> None:
    instrument(Path(argv[0]))
    from pipeline.cli import main as essaycast

    sys.argv = ["essaycast", *argv[1:]]
    essaycast()


if __name__ == "__main__":
    main(sys.argv[1:])
