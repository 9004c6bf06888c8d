"""Smoke test of the benchmark's own machinery (bench/): measuring, long scripts, tables, history.

The benchmark itself runs for minutes (`make bench`); these check its pieces in a second or two.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pipeline.script import parse, write

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench() -> dict[str, ModuleType]:
    """The bench scripts as modules (bench/ is a folder of scripts, not a package)."""
    sys.path.insert(0, str(BENCH))
    try:
        return {name: importlib.import_module(name) for name in ("history", "long_script", "measure", "run")}
    finally:
        sys.path.remove(str(BENCH))


SCRIPT = """\
+++
title = "Two parts"

[cast]
narrator = "narrator"
samantha = "samantha"
+++

## One

First line. [pause 350ms]
Second line.

@samantha: Hello there.

## Two

Third line.
"""


def test_long_script_repeats_with_distinct_text(bench: dict[str, ModuleType]) -> None:
    script = parse(SCRIPT)
    long = bench["long_script"].repeated(script, 3)
    texts = [segment.text for section in long.sections for segment in section.segments]
    assert len(long.sections) == 3 * len(script.sections)
    assert len(texts) == len(set(texts)) == 3 * sum(len(s.segments) for s in script.sections)
    speakers = [segment.speaker for section in long.sections for segment in section.segments]
    assert speakers == 3 * [segment.speaker for section in script.sections for segment in section.segments]
    assert parse(write(long)) == long  # bench/run.py saves it as Markdown
    with pytest.raises(ValueError, match="times must be 1 to"):
        bench["long_script"].repeated(script, bench["long_script"].MAX_TIMES + 1)


def test_run_measures_a_command_and_reports_failure(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    measure = bench["measure"]
    done = measure.run([sys.executable, "-c", "x = bytearray(50_000_000); print('ok')"], tmp_path)
    assert done.stdout.strip() == "ok"
    assert done.max_rss_mb >= 45 and done.wall_s > 0
    log = tmp_path / "err.log"
    with pytest.raises(measure.CommandFailed, match="boom"):
        measure.run([sys.executable, "-c", "import sys; sys.exit('boom')"], tmp_path, log=log)
    assert measure.run([sys.executable, "-c", "raise SystemExit(1)"], tmp_path, accept=(0, 1)).wall_s > 0
    machine = measure.Machine.here(tmp_path)  # not a git repository: the commit is unknown
    assert machine.commit == "unknown" and machine.cores >= 1 and "load average" in machine.describe()


def test_run_counts_the_machines_busy_time(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    if not Path("/proc/stat").exists():
        pytest.skip("no /proc/stat here")
    measure = bench["measure"]
    burn = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    done = measure.run([sys.executable, "-c", burn], tmp_path, sample_memory=False)
    assert done.cpu_s >= 0.5
    assert done.machine_busy_s >= done.cpu_s - 0.05  # ticks are 10 ms
    cores = os.cpu_count() or 1  # every core's ticks are counted; each is read to the tick (10 ms)
    assert done.machine_busy_s <= cores * done.wall_s + 0.02 * cores


def test_stage_floor_fills_idle_cores_then_shares_what_others_leave(bench: dict[str, ModuleType]) -> None:
    run, measure = bench["run"], bench["measure"]

    def alone(busy: float) -> object:
        return measure.Run(("stage",), 40.0, 100.0, 150.0, "", cpu_s=72.0, machine_busy_s=busy)

    assert run.stage_floor(alone(76.0), 4.0, 2) == 40.0  # fits in the 4 idle core-seconds
    assert run.stage_floor(alone(72.0), 18.0, 2) == pytest.approx(40.0 + 10.0 / 2)
    # Others took 8 CPU-s in 40 s, so the make has 1.8 cores for what spills over.
    assert run.stage_floor(alone(80.0), 18.0, 2) == pytest.approx(40.0 + 18.0 / 1.8)
    # Without /proc/stat the stage is taken to have had the machine to itself.
    assert run.stage_floor(alone(0.0), 18.0, 2) == pytest.approx(45.0)


def test_figures_and_history_newest_first(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    history = bench["history"]
    met = history.Figure("warm", 2.0, " s", history.Target(3.0, inclusive=False, unit=" s"), "2.0 s")
    missed = history.Figure("ratio", 1.8, "×", history.Target(0.9, unit="×"), "a / b")
    assert met.verdict == "met" and missed.verdict == "MISSED (×2.0 the target)"
    assert "| warm | **2.00 s** | < 3 s | met |" in history.table([met, missed])
    results = tmp_path / "RESULTS.md"
    history.record(results, "## first run\n")
    history.record(results, "## second run\n")
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert text.index("## second run") < text.index("## first run")
    assert not list(tmp_path.glob("*.tmp*"))


def test_phase_table_splits_wall_time(bench: dict[str, ModuleType]) -> None:
    run, measure = bench["run"], bench["measure"]

    def measured(wall: float, phases: dict[str, float]) -> object:
        done = measure.Run(("essaycast",), wall, 100.0, 150.0, "")
        return run.Measured(done, phases, {"encoding": 2} if "encoding" in phases else {})

    cold = measured(10.0, {"synthesis": 6.0, "mastering": 3.0, "encoding": 2.0, "laying out": 0.5})
    warm = measured(4.0, {"synthesis": 0.5, "mastering": 3.0, "encoding": 2.0})
    text = run.phase_table({"cold": [cold], "warm": [warm]})
    assert "| synthesis | 6.0 | 0.5 |" in text
    assert "| – encoding ¹ | 2.0 (2×) | 2.0 (2×) |" in text  # summed over parts mastered side by side
    assert "| – laying out | 0.5 |  |" in text
    assert "| start-up, cache look-ups, rest | 1.0 | 0.5 |" in text
    assert "| **wall time** | **10.0** | **4.0** |" in text
