"""Run the essaycast CLI with timers around its stages, to see where a command's wall time goes.

    python bench/phases.py OUT.json make essay.txt --cast samantha --site site

Calls the same entry point as the ``essaycast`` script (`pipeline.cli.main`), after wrapping the
stage functions below so each call adds its wall time to a phase; the totals (seconds and calls per
phase) are written to OUT.json when the command exits. The wrappers cost microseconds per call.
Phases nest: "mastering" contains the four after it.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PHASES: dict[str, tuple[str, str]] = {
    "drafting": ("pipeline.script.storage", "script_from"),
    "synthesis": ("pipeline.synth.render", "render"),
    "mastering": ("pipeline.mix.master", "master"),
    "assembling": ("pipeline.mix.assemble", "assemble"),
    "balancing": ("pipeline.mix.master", "balance"),
    "encoding": ("pipeline.mix.master", "_write_audio"),
    "verifying": ("pipeline.mix.loudness", "measure_file"),
    "laying out": ("pipeline.mix.master", "_lay_out"),
    "tags, sidecars": ("pipeline.mix.master", "_write_outputs"),
    "publishing": ("pipeline.publish", "publish"),
}
"""Phase → (module, function). The CLI imports stage functions when a command runs, and the mastering
helpers look theirs up as module globals, so replacing the module attributes is enough. The phases
inside mastering name internals of the mix stage: a phase whose function is gone is left out."""


def _timed(function: Callable[..., Any], totals: dict[str, float], calls: dict[str, int], phase: str):
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[phase] = totals.get(phase, 0.0) + time.perf_counter() - start
            calls[phase] = calls.get(phase, 0) + 1

    return timed


def instrument(out: Path) -> None:
    """Wrap every phase's function; write the totals to ``out`` at exit."""
    totals: dict[str, float] = {}
    calls: dict[str, int] = {}
    for phase, (module_name, name) in PHASES.items():
        module = importlib.import_module(module_name)
        function = getattr(module, name, None)
        if function is not None:
            setattr(module, name, _timed(function, totals, calls, phase))

    def write() -> None:
        phases = {p: {"seconds": round(totals[p], 3), "calls": calls[p]} for p in PHASES if p in totals}
        out.write_text(json.dumps(phases))

    atexit.register(write)


def main(argv: list[str]) -> None:
    instrument(Path(argv[0]))
    from pipeline.cli import main as essaycast

    sys.argv = ["essaycast", *argv[1:]]
    essaycast()


if __name__ == "__main__":
    main(sys.argv[1:])
