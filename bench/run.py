"""`make bench`: what essaycast promises, measured in one run on one machine; history in bench/RESULTS.md.

    .venv/bin/python bench/run.py           # full run on the seed essay (45–50 min on 2 cores)
    .venv/bin/python bench/run.py --quick   # smoke run on the sample essay (a few minutes), printed only

Figures (docs/benchmarks.md says what each one means and why its target):
1. `essaycast make` of the seed with a cold cache ÷ raw Piper on the same text (one process, default
   threads), interleaved over repetitions; the make ÷ its synthesis stage run alone (wall), the
   make's CPU time ÷ raw Piper's, mastering's CPU-seconds per minute of audio (and the MP3 encoder's
   alone, its floor), and a synthesis worker's start-up and model loading;
2. re-render after swapping section 2's narrator voice ÷ the cold make;
3. warm re-render of the unchanged script into the episode the make wrote (all cache hits), in seconds;
4. peak memory of making a script several times the seed's length ÷ the seed's, and of mastering a
   synthetic two-hour episode ÷ a seed-length one, mastered under a music bed, in parts, and with a
   lossless master (`bench/mix_memory.py`);
5. `essaycast --help` wall time;
6. a catalogue of six essays: `essaycast batch` ÷ six `make`s one after another, and the batch on a
   local Dask cluster ÷ on the local pool (`bench/catalogue.py`; `--only catalogue` runs just these);
then `essaycast check` of the seed episode, and where each command's time goes (`bench/phases.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import catalogue
from history import Figure, Target, record, table
from long_script import repeated
from measure import CommandFailed, Machine, Run, run
from phases import THREADED
from synth_throughput import SEED

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
SAMPLE = REPO / "script" / "sample-essay.txt"
RESULTS = BENCH / "RESULTS.md"
ESSAYCAST = str(Path(sys.executable).with_name("essaycast"))
CAST = "samantha"
SWAP_SECTION = 2
"""The section whose narrator is swapped in figure 2 (counted from 1, as on the command line)."""

SLOW_NARRATOR = """\
# Benchmark voice swap where Festival is missing: Joe, ten per cent slower (a different voice setting).
engine = "piper"
description = "Joe, slower (essaycast benchmark)"
license = "CC0-1.0"

[settings]
length_scale = 1.1
"""

SUMMARY_SEGMENTS = re.compile(r"(\d+) \((\d+) from cache, (\d+) synthesized\)")
"""The CLI summary's segment line: total, from cache, synthesized."""


@dataclass(frozen=True)
class Plan:
    """What one benchmark run measures."""

    essay: Path
    """The essay made into an episode."""
    repetitions: int
    """Interleaved repetitions of raw Piper, cold make, voice swap and warm render."""
    long_times: int
    """Length of the memory test's script in multiples of the essay's; 0 skips it."""
    mix_minutes: tuple[float, ...]
    """Synthetic episode lengths mastered by bench/mix_memory.py; empty skips it."""
    help_runs: int
    """How many `essaycast --help` runs the start-up median is taken over."""
    label: str
    """"full" or "quick"."""


FULL = Plan(SEED, repetitions=2, long_times=3, mix_minutes=(12.0, 120.0), help_runs=7, label="full")
QUICK = Plan(SAMPLE, repetitions=1, long_times=0, mix_minutes=(), help_runs=5, label="quick")

TARGETS = {
    "render": Target(0.9, unit="×"),
    "stage": Target(1.10, unit="×"),
    "cpu": Target(1.05, unit="×"),
    "mastering": Target(1.0, unit=" CPU-s/min"),
    "swap": Target(0.25, unit="×"),
    "warm": Target(3.0, inclusive=False, unit=" s"),
    "memory": Target(1.3, unit="×"),
    "startup": Target(0.5, inclusive=False, unit=" s"),
}
"""The issue's targets, by figure."""


@dataclass(frozen=True)
class Measured:
    """An essaycast command, measured, with its phase times and what its summary said."""

    run: Run
    """Wall time and memory."""
    phases: dict[str, float]
    """Seconds per phase (bench/phases.py)."""
    calls: dict[str, int]
    """Calls per phase."""
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU-seconds per phase (bench/phases.py), and of the command's own process as "process"."""

    @property
    def segments(self) -> tuple[int, int, int]:
        """(segments, from cache, synthesized) from the command's summary."""
        found = SUMMARY_SEGMENTS.search(self.run.stdout)
        if found is None:
            raise CommandFailed(f"no segment counts in the summary of {' '.join(self.run.command)}")
        total, cached, made = (int(n) for n in found.groups())
        return total, cached, made


@dataclass(frozen=True)
class Repetition:
    """One interleaved round on a fresh, cold cache."""

    raw: Run
    """Raw Piper over the whole essay."""
    raw_speech_s: float
    """Seconds of speech raw Piper produced."""
    make: Measured
    """`essaycast make` from cold."""
    swap: Measured
    """`essaycast render` with one section's narrator swapped."""
    warm: Measured
    """`essaycast render` of the unchanged script."""
    synthesis: Run
    """The synthesis stage alone (bench/stages.py synthesis) on the drafted script, cold cache."""
    worker: dict[str, float]
    """One synthesis worker's start-up: seconds of its whole process (interpreter start and exit
    included) and of each step inside it, and their CPU-seconds (bench/stages.py worker)."""
    episode: Path
    """The made MP3."""
    script: Path
    """The drafted script."""


@dataclass
class Bench:
    """A work folder and the commands run in it."""

    work: Path
    """Scratch space: caches, sites, logs."""
    models: Path = field(init=False)
    """A cache folder whose models/ holds Kokoro's joined model, linked into every cold cache."""
    commands: int = 0

    def __post_init__(self) -> None:
        self.models = self.work / "models-cache"
        (self.work / "logs").mkdir(parents=True, exist_ok=True)

    def log(self, label: str) -> Path:
        self.commands += 1
        return self.work / "logs" / f"{self.commands:02d}-{label}.log"

    def environment(self, cache: Path) -> dict[str, str]:
        """The process environment with ``cache`` as essaycast's cache folder."""
        return {**os.environ, "ESSAYCAST_CACHE_DIR": str(cache), "COLUMNS": "200", "NO_COLOR": "1"}

    def cold_cache(self, cache: Path) -> dict[str, str]:
        """A fresh cache with no segments; Kokoro's joined model linked in (joining it is not timed)."""
        cache.mkdir(parents=True)
        (cache / "models").symlink_to(self.models / "models", target_is_directory=True)
        return self.environment(cache)

    def prepare_models(self) -> None:
        """Join Kokoro's model and save both voices' optimized ONNX graphs once (by speaking a word
        with each), outside every timed command: an installed machine has them from its first episode."""
        for voice in (CAST, "narrator"):
            run([ESSAYCAST, "say", "Ready.", "--voice", voice, "-o", str(self.work / f"ready-{voice}.wav")],
                self.work, self.environment(self.models), self.log(f"prepare-{voice}"))

    def essaycast(self, label: str, args: Sequence[str], cwd: Path, env: dict[str, str]) -> Measured:
        """Run an essaycast command through bench/phases.py; measure it and collect its phases."""
        phases_file = self.work / "logs" / f"{self.commands + 1:02d}-{label}.phases.json"
        done = run([sys.executable, str(BENCH / "phases.py"), str(phases_file), *args], cwd, env,
                   self.log(label))
        phases = json.loads(phases_file.read_text()) if phases_file.exists() else {}
        return Measured(done, {name: values["seconds"] for name, values in phases.items()},
                        {name: values["calls"] for name, values in phases.items()},
                        {name: values.get("cpu", 0.0) for name, values in phases.items()})

    def stage(self, label: str, args: Sequence[str], cwd: Path, env: dict[str, str] | None) -> Run:
        """bench/stages.py with ``args``, measured as a whole process."""
        return run([sys.executable, str(BENCH / "stages.py"), *args], cwd, env, self.log(label))

    def raw_piper(self, essay: Path, cwd: Path) -> tuple[Run, float]:
        """Raw Piper over the whole essay in one process (bench/synth_throughput.py --raw)."""
        done = run([sys.executable, str(BENCH / "synth_throughput.py"), "--seed", str(essay),
                    "--raw", str(cwd / "raw-piper.wav")], cwd, None, self.log("raw-piper"))
        return done, json.loads(done.stdout)["speech_s"]

    def repetition(self, number: int, essay: Path) -> Repetition:
        """Raw Piper and a cold make (in alternating order), then a voice swap and a warm re-render."""
        cwd = self.work / f"rep-{number}"
        cwd.mkdir()
        env = self.cold_cache(cwd / "cache")
        script = cwd / "script" / f"{essay.stem}.md"
        steps: list[Callable[[], Any]] = [
            lambda: self.raw_piper(essay, cwd),
            lambda: self.essaycast("make", ["make", str(essay), "--cast", CAST, "--site", "site"], cwd, env),
        ]
        if number % 2 == 0:
            steps.reverse()  # neither side always runs on the machine the other just warmed
        results = [step() for step in steps]
        (raw, speech), make = results if number % 2 else results[::-1]
        swap_to = swap_voice(cwd)
        swap = self.essaycast("swap", ["render", str(script), "--section",
                                       f"{SWAP_SECTION}:narrator={swap_to}", "-o", "swapped.mp3"], cwd, env)
        episode = cwd / "site" / "episodes" / f"{essay.stem}.mp3"
        # A re-render of the unchanged script: the same script, cast and output the cold make rendered.
        warm = self.essaycast("warm", ["render", str(script), "-o", str(episode)], cwd, env)
        # The make's synthesis stage on its own, on the script the make drafted, in a cache of its own.
        alone = self.stage("synthesis", ["synthesis", str(script)], cwd,
                           self.cold_cache(cwd / "cache-synthesis"))
        worker = self.stage("worker", ["worker", str(script)], cwd, env)
        steps = {"whole process": worker.wall_s, **json.loads(worker.stdout)}
        return Repetition(raw, speech, make, swap, warm, alone, steps, episode, script)

    def long_make(self, script: Path, times: int) -> Measured:
        """`essaycast make` of a script ``times`` the length of ``script``, text varied, cold cache."""
        from pipeline.script import load, save

        cwd = self.work / f"long-x{times}"
        cwd.mkdir()
        env = self.cold_cache(cwd / "cache")
        long_script = cwd / f"{script.stem}-x{times}.md"
        save(repeated(load(script), times), long_script)
        return self.essaycast("long", ["make", str(long_script), "--cast", CAST, "--site", "site"], cwd, env)

    def startup(self, runs: int) -> list[float]:
        """Wall times of `essaycast --help` (after one unmeasured run that fills the OS file cache)."""
        env = self.environment(self.work / "help-cache")
        run([ESSAYCAST, "--help"], self.work, env, sample_memory=False)
        return [run([ESSAYCAST, "--help"], self.work, env, sample_memory=False).wall_s for _ in range(runs)]

    def check(self, episode: Path, script: Path) -> tuple[Run, dict[str, Any]]:
        """`essaycast check --json` of an episode against its script; exit 1 (a failed check) is a result."""
        env = self.environment(self.work / "rep-1" / "cache")
        done = run([ESSAYCAST, "check", str(episode), "--script", str(script), "--json"], episode.parent,
                   env, self.log("check"), accept=(0, 1))
        return done, json.loads(done.stdout)

    def mix_memory(self, minutes: tuple[float, ...]) -> dict[str, list[dict[str, float]]]:
        """bench/mix_memory.py's synthetic mastering, one fresh process per length: with a music
        bed (mastered as one part), without (mastered in parts), and with a lossless master (one
        part, no bed)."""
        out = {}
        for label, flags in MIX_VARIANTS.items():
            command = [sys.executable, str(BENCH / "mix_memory.py"), *flags, *(f"{m:g}" for m in minutes)]
            done = run(command, self.work, self.environment(self.work / "mix-cache"),
                       self.log(f"mix-memory{''.join(flags)}"))
            out[label] = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return out


def swap_voice(cwd: Path) -> str:
    """Festival's slt when it can speak here; else a slower Joe profile written to ``cwd``/voices."""
    from pipeline.synth.voices import voice_statuses

    if any(status.voice.name == "slt" and not status.problem for status in voice_statuses()):
        return "slt"
    (cwd / "voices").mkdir(exist_ok=True)
    (cwd / "voices" / "narrator-slow.toml").write_text(SLOW_NARRATOR)
    return "narrator-slow"


def mp3_seconds(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _seconds(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def figures(plan: Plan, reps: list[Repetition], help_times: list[float], long: Measured | None,
            mixes: dict[str, list[dict[str, float]]], encoder: dict[str, float]) -> list[Figure]:
    """The benchmark figures from the measured runs."""
    make = [r.make.run.wall_s for r in reps]
    raw = [r.raw.wall_s for r in reps]
    swap = [r.swap.run.wall_s for r in reps]
    warm = [r.warm.run.wall_s for r in reps]
    synthesis = [r.make.phases.get("synthesis", 0.0) for r in reps]
    make_cpu, raw_cpu = [r.make.run.cpu_s for r in reps], [r.raw.cpu_s for r in reps]
    cli_cpu = [r.make.cpu.get("process", 0.0) for r in reps]
    workers_cpu = [total - cli for total, cli in zip(make_cpu, cli_cpu, strict=True)]
    alone = [r.synthesis.wall_s for r in reps]
    alone_cpu_text = _seconds([r.synthesis.cpu_s for r in reps])
    # Summed over mastering's own phases, each timed on its thread: parts mastered early run during
    # synthesis, where the process's clock would put them under synthesis.
    mastering_cpu = [sum(r.make.cpu.get(phase, 0.0) for phase in MASTERING) for r in reps]
    episode_s = mp3_seconds(reps[0].episode)
    minutes = episode_s / 60
    lame_cpu = [r.make.cpu.get("MP3 encoder (LAME)", 0.0) for r in reps]
    verify_cpu = [r.make.cpu.get("verifying", 0.0) for r in reps]
    # The floors: what the make would cost if everything but what the issue keeps (synthesis, one MP3
    # encoding, its verification) were free.
    kept = [lame + verify for lame, verify in zip(lame_cpu, verify_cpu, strict=True)]
    floor_cpu = [workers + k for workers, k in zip(workers_cpu, kept, strict=True)]
    cores = os.cpu_count() or 1
    floor_wall = [stage_floor(r.synthesis, k, cores) for r, k in zip(reps, kept, strict=True)]
    idle_alone = [r.synthesis.idle_s(cores) for r in reps]
    others_alone = [r.synthesis.others_s() for r in reps]
    floor_mastering = encoder.get("cpu_s_per_minute", 0.0) + median(verify_cpu) / minutes
    start_s = [r.worker["whole process"] for r in reps]
    worker_text = ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in reps[0].worker.items()
                            if not k.endswith("cpu_s") and k != "whole process")
    n = f"median of {len(reps)}" if len(reps) > 1 else "1 run"
    total, _, swapped = reps[0].swap.segments
    swapped_to = reps[0].swap.run.command[-3].partition("=")[2]
    out = [
        Figure("1. cold `make` ÷ raw Piper", median(make) / median(raw), "×", TARGETS["render"],
               f"make {_seconds(make)} s, raw Piper {_seconds(raw)} s ({n}; per round "
               f"{', '.join(f'{m / r:.2f}' for m, r in zip(make, raw, strict=True))}); speech per wall "
               f"second: make {episode_s / median(make):.1f}×, raw Piper "
               f"{reps[0].raw_speech_s / median(raw):.1f}× real time"),
        Figure("1b. synthesis stage ÷ raw Piper", median(synthesis) / median(raw), "×", None,
               f"the cold make's synthesis {_seconds(synthesis)} s (all cores, one worker each) vs raw "
               f"Piper {_seconds(raw)} s on the same text"),
        Figure("1c. CPU time, cold `make` ÷ raw Piper", median(make_cpu) / median(raw_cpu), "×",
               TARGETS["cpu"], f"make {_seconds(make_cpu)} CPU-s (synthesis workers {_seconds(workers_cpu)}, "
               f"the CLI process {_seconds(cli_cpu)}), raw Piper {_seconds(raw_cpu)} CPU-s: on "
               f"{os.cpu_count()} cores the make cannot take less than "
               f"{median(make_cpu) / (os.cpu_count() or 1):.1f} s"),
        Figure("1c floor. CPU time, synthesis workers + MP3 encoder + verification ÷ raw Piper",
               median(floor_cpu) / median(raw_cpu), "×", None,
               f"the make's synthesis workers {_seconds(workers_cpu)} CPU-s ("
               f"{median(workers_cpu) / median(raw_cpu):.2f}× raw Piper alone) + its MP3 encoder "
               f"{_seconds(lame_cpu)} + decoding and measuring the MP3 {_seconds(verify_cpu)} CPU-s: 1c if "
               "all else (start-up, drafting, assembly, limiting, balancing, publishing) cost nothing; "
               + _against(median(floor_cpu) / median(raw_cpu), TARGETS["cpu"])),
        Figure("1d. cold `make` ÷ its synthesis stage alone (wall)", median(make) / median(alone), "×",
               TARGETS["stage"], f"make {_seconds(make)} s, synthesis alone {_seconds(alone)} s "
               f"({alone_cpu_text} CPU-s; bench/stages.py synthesis, same workers, cold cache); the make's "
               f"own synthesis stage {_seconds(synthesis)} s"),
        Figure("1d floor. synthesis alone + MP3 encoder + verification, in the core time it left idle, "
               "then in what other processes left ÷ synthesis alone (wall)",
               median(floor_wall) / median(alone), "×", None,
               f"{_seconds(floor_wall)} s: the stage alone, its cores' idle time filled with the "
               f"encoder's {_seconds(lame_cpu)} and the verification's {_seconds(verify_cpu)} CPU-s and "
               f"the rest at the share of {cores} cores other processes left (while the stage ran alone "
               f"its cores were idle {_seconds(idle_alone)} core-s, others took {_seconds(others_alone)} "
               "CPU-s); 1d if all else cost nothing; "
               + _against(median(floor_wall) / median(alone), TARGETS["stage"])),
        Figure("1e. mastering CPU per minute of audio", median(mastering_cpu) / minutes, " CPU-s/min",
               TARGETS["mastering"], f"{_seconds(mastering_cpu)} CPU-s for {minutes:.2f} min (cold make, "
               f"all {max(r.make.calls.get('encoding', 0) for r in reps)} parts, its phases' threads); of it "
               "the MP3 encoder's "
               f"thread {_seconds(lame_cpu)} CPU-s"),
        Figure("1e floor. MP3 encoder alone + verification per minute of audio", floor_mastering,
               " CPU-s/min", None,
               f"libsndfile's LAME alone re-encoding the episode {encoder.get('cpu_s_per_minute', 0.0):.2f} "
               f"CPU-s/min (at 32 kHz {encoder.get('cpu_s_per_minute_32000', 0.0):.2f}; bench/stages.py "
               f"encoder) + the make's verification {median(verify_cpu) / minutes:.2f}; libsndfile chooses "
               "LAME's quality and exposes no faster setting; "
               + _against(floor_mastering, TARGETS["mastering"])),
        Figure("1f. synthesis worker start-up", median(start_s), " s", None,
               f"a whole worker-like process, per worker (× {os.cpu_count()}): {worker_text} "
               "(bench/stages.py worker); raw Piper pays one interpreter and one load too"),
        Figure("2. voice swap ÷ cold make", median(swap) / median(make), "×", TARGETS["swap"],
               f"{_seconds(swap)} s; section {SWAP_SECTION} narrator → {swapped_to}: {swapped} of {total} "
               "segments synthesized"),
        Figure("3. warm re-render", median(warm), " s", TARGETS["warm"],
               f"{_seconds(warm)} s; {reps[0].warm.segments[1]} of {total} segments from cache"),
    ]
    seed_rss = median([r.make.run.max_rss_mb for r in reps])
    seed_pss = median([r.make.run.tree_pss_mb for r in reps])
    if long is not None:
        times = plan.long_times
        out += [
            Figure(f"4a. peak RSS, {times}× seed ÷ seed (largest process)", long.run.max_rss_mb / seed_rss,
                   "×", TARGETS["memory"], f"{long.run.max_rss_mb:.0f} MB vs {seed_rss:.0f} MB (`make`, "
                   f"{long.segments[0]} vs {total} segments, cold cache)"),
            Figure(f"4b. peak PSS, {times}× seed ÷ seed (all processes)", long.run.tree_pss_mb / seed_pss,
                   "×", TARGETS["memory"], f"{long.run.tree_pss_mb:.0f} MB vs {seed_pss:.0f} MB (CLI + "
                   "synthesis workers, sampled every 0.1 s)"),
        ]
    else:
        out.append(Figure("4. peak RSS of the make (largest process)", seed_rss, " MB", None,
                          f"all processes (PSS): {seed_pss:.0f} MB"))
    for number, (label, runs) in zip("cde", mixes.items(), strict=False):
        if len(runs) < 2:
            continue
        short, longest = runs[0], runs[-1]
        out.append(Figure(f"4{number}. mastering {longest['minutes']:g} min ÷ {short['minutes']:g} min, "
                          f"peak RSS, {label}", longest["peak_rss_mb"] / short["peak_rss_mb"], "×",
                          TARGETS["memory"],
                          f"{longest['peak_rss_mb']:.0f} MB vs {short['peak_rss_mb']:.0f} MB; "
                          f"{longest['seconds']:.0f} s vs {short['seconds']:.0f} s (synthetic speech, "
                          f"{longest['sections']:.0f} vs {short['sections']:.0f} sections, "
                          "bench/mix_memory.py)"))
    out.append(Figure("5. `essaycast --help`", median(help_times), " s", TARGETS["startup"],
                      f"median of {len(help_times)}: {', '.join(f'{t:.2f}' for t in help_times)} s"))
    return out


MIX_VARIANTS: dict[str, tuple[str, ...]] = {"music bed, one part": (), "no bed, in parts": ("--no-bed",),
                                             "lossless master, one part": ("--master",)}
"""bench/mix_memory.py's three ways of mastering: figures 4c, 4d and 4e."""

STAGES = ("drafting", "synthesis", "mastering", "publishing")
"""Top-level phases of a command (bench/phases.py); the rest of its wall time is start-up and glue."""

MASTERING = ("assembling", "balancing", "encoding", "MP3 encoder (LAME)", "verifying", "laying out",
             "tags, sidecars")
"""Phases inside mastering. The first four run once per part, and parts are mastered side by side on
threads, so they are summed over the threads and can add up to more than mastering's wall time."""


def stage_floor(alone: Run, kept_cpu_s: float, cores: int) -> float:
    """The least wall time a make could take, given its synthesis stage's run alone and the CPU time
    mastering must spend at the least (``kept_cpu_s``).

    That CPU time fills the core-seconds the stage left idle first (every one of them, which real
    dependencies never allow: a lower bound); what does not fit lengthens the make at the rate of the
    cores other processes on the machine left, on average, while the stage ran.
    """
    spill = max(0.0, kept_cpu_s - alone.idle_s(cores))
    free_cores = max(cores - alone.others_s() / alone.wall_s, 1e-3) if alone.wall_s else cores
    return alone.wall_s + spill / free_cores


def _against(floor: float, target: Target) -> str:
    """What a floor says of its figure's target."""
    if target.met(floor):
        return f"under the {target} target: the rest of the gap is the work counted as free"
    return f"over the {target} target: what is kept already costs more, so it cannot be met on this machine"


def phase_table(columns: dict[str, list[Measured]], clock: str = "seconds") -> str:
    """Seconds (``clock="cpu"``: CPU-seconds) per phase, median over repetitions, for each kind of
    command; (n×) counts calls."""
    names = list(columns)
    lines = [f"| phase ({'CPU-s' if clock == 'cpu' else 's'}) | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]

    def times(m: Measured) -> dict[str, float]:
        return m.cpu if clock == "cpu" else m.phases

    def cell(runs: list[Measured], phase: str) -> str:
        values = [times(m)[phase] for m in runs if phase in times(m)]
        calls = max((m.calls.get(phase, 0) for m in runs), default=0)
        return (f"{median(values):.1f}" + (f" ({calls}×)" if calls > 1 else "")) if values else ""

    def remainder(label: str, whole: Callable[[Measured], float], parts: Sequence[str]) -> str:
        values = [median([whole(m) - sum(times(m).get(p, 0.0) for p in parts) for m in runs])
                  for runs in columns.values()]
        return f"| {label} | " + " | ".join(f"{v:.1f}" for v in values) + " |"

    for phase in STAGES:
        if any(phase in m.phases for runs in columns.values() for m in runs):
            lines.append(f"| {phase} | " + " | ".join(cell(columns[n], phase) for n in names) + " |")
        if phase == "mastering":
            inner = [p for p in MASTERING if any(p in m.phases for runs in columns.values() for m in runs)]
            lines += [f"| – {p}{' ¹' if p in MASTERING[:4] else ''} | "
                      + " | ".join(cell(columns[n], p) for n in names) + " |" for p in inner]
    if clock == "cpu":
        lines.append(remainder("start-up, cache look-ups, rest (this process)",
                               lambda m: m.cpu.get("process", 0.0), (*STAGES, *THREADED)))
        lines.append(remainder("synthesis worker processes",
                               lambda m: m.run.cpu_s - m.cpu.get("process", 0.0), ()))
        totals = [median([m.run.cpu_s for m in runs]) for runs in columns.values()]
        lines.append("| **CPU time** | " + " | ".join(f"**{v:.1f}**" for v in totals) + " |")
        return "\n".join(lines) + "\n"
    lines.append(remainder("start-up, cache look-ups, rest", lambda m: m.run.wall_s, STAGES))
    walls = [median([m.run.wall_s for m in runs]) for runs in columns.values()]
    lines.append("| **wall time** | " + " | ".join(f"**{v:.1f}**" for v in walls) + " |")
    return "\n".join(lines) + "\n"


def check_summary(done: Run, report: dict[str, Any]) -> str:
    """The listening check's main numbers as Markdown."""
    def wer(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    def num(value: float | None, unit: str, digits: int = 1) -> str:
        return "–" if value is None else f"{value:.{digits}f}{unit}"

    def percent(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:+.0f} %"

    verdict = "PASS" if report["passed"] else "FAIL: " + "; ".join(report["failures"])
    lines = [
        f"`essaycast check` of the episode (round 1) against its script: **{verdict}**. "
        f"WER {wer(report['wer'])} over {report['words']} words (reference voice, Piper joe on the same "
        f"text: {wer(report['reference_wer'])}); loudness {num(report['loudness_lufs'], ' LUFS')} "
        f"(target {report['target_lufs']:g}), true peak {num(report['true_peak_dbtp'], ' dBTP')}, "
        f"clipped samples {report['clipped_samples']}, clicks at joins {len(report['clicks'])}; "
        f"the check took {done.wall_s:.0f} s for {report['duration_s'] / 60:.1f} min of audio.",
        "",
        "| speaker | segments | words | WER | reference WER | median F0 | F0 vs narrator | loudness |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s['speaker']} | {s['segments']} | {s['words']} | {wer(s['wer'])} | {wer(s['reference_wer'])} "
        f"| {num(s['f0_hz'], ' Hz', 0)} | {percent(s['f0_difference'])} "
        f"| {num(s['loudness_lufs'], ' LUFS')} |"
        for s in report["speakers"]
    ]
    return "\n".join(lines) + "\n"


def report_text(plan: Plan, machine: Machine, reps: list[Repetition], figures_: list[Figure],
                phases: str, cpu: str, check: str, elapsed_s: float) -> str:
    """One run's Markdown for RESULTS.md and the terminal."""
    rep = reps[0]
    words = len(plan.essay.read_text(encoding="utf-8").split())
    minutes, seconds = divmod(mp3_seconds(rep.episode), 60)
    order = "raw Piper first in odd rounds, `make` first in even ones" if len(reps) > 1 else "raw Piper first"
    return f"""## {machine.date} · commit {machine.commit} · {plan.label} run

- Machine: {machine.describe()}.
- Essay: `{plan.essay.name}`, {words} words → an episode of {int(minutes)}:{seconds:04.1f} in \
{rep.make.segments[0]} segments, cast `{CAST}`.
- Method: cold cache = a fresh `ESSAYCAST_CACHE_DIR` with no segments, Kokoro's model already joined \
into its `models/` (joining it is not timed); {len(reps)} round(s) on fresh caches, interleaved ({order}); \
essaycast commands run through `bench/phases.py` (the CLI's own entry point with stage timers).
- Whole benchmark: {elapsed_s / 60:.0f} min; load average at the end \
{" / ".join(f"{x:.2f}" for x in os.getloadavg())}.

{table(figures_)}
### Where the time goes

{phases}
¹ Summed over the parts, which are mastered side by side on threads: these can add up to more than
mastering's wall time.

### Where the CPU time goes

{cpu}
Each phase's CPU time is its own thread's: the stages the CLI's main thread (synthesis itself runs in
the worker processes, counted in their row), a part's phases the part's thread, summed over the parts
(parts mastered during synthesis included), the MP3 encoder its own thread (inside "encoding"'s wall
time but not its CPU time).

### Listening quality

{check}"""


def measure_all(plan: Plan, work: Path) -> str:
    """Run every measurement of ``plan`` in ``work``; return the report."""
    started = time.perf_counter()
    machine = Machine.here(REPO)
    print(f"essaycast benchmark ({plan.label}) at {machine.commit}: {machine.describe()}", flush=True)
    bench = Bench(work)
    help_times = bench.startup(plan.help_runs)
    print(f"  --help: {median(help_times):.2f} s", flush=True)
    bench.prepare_models()
    reps = []
    for number in range(1, plan.repetitions + 1):
        reps.append(rep := bench.repetition(number, plan.essay))
        print(f"  round {number}: raw Piper {rep.raw.wall_s:.1f} s, make {rep.make.run.wall_s:.1f} s, "
              f"swap {rep.swap.run.wall_s:.1f} s, warm {rep.warm.run.wall_s:.1f} s, "
              f"synthesis alone {rep.synthesis.wall_s:.1f} s", flush=True)
    check_run, report = bench.check(reps[0].episode, reps[0].script)
    print(f"  check: {check_run.wall_s:.1f} s", flush=True)
    encoder = json.loads(bench.stage("encoder", ["encoder", str(reps[0].episode)], bench.work, None).stdout)
    print(f"  MP3 encoder alone: {encoder['cpu_s_per_minute']:.2f} CPU-s per minute", flush=True)
    long = bench.long_make(reps[0].script, plan.long_times) if plan.long_times else None
    if long is not None:
        print(f"  {plan.long_times}× make: {long.run.wall_s:.1f} s, {long.run.max_rss_mb:.0f} MB", flush=True)
    mixes = bench.mix_memory(plan.mix_minutes) if plan.mix_minutes else {}
    books = catalogue.measure(bench, plan.essay, CAST)
    columns = {"cold make": [r.make for r in reps], "voice swap": [r.swap for r in reps],
               "warm render": [r.warm for r in reps]}
    if long is not None:
        columns[f"{plan.long_times}× make"] = [long]
    every = figures(plan, reps, help_times, long, mixes, encoder) + catalogue.figures(books)
    return report_text(plan, machine, reps, every, phase_table(columns), phase_table(columns, "cpu"),
                       check_summary(check_run, report), time.perf_counter() - started)


def measure_catalogue(plan: Plan, work: Path) -> str:
    """Only the catalogue figures (``--only catalogue``): a short report of their own."""
    started = time.perf_counter()
    machine = Machine.here(REPO)
    print(f"essaycast catalogue benchmark ({plan.label}) at {machine.commit}: {machine.describe()}",
          flush=True)
    bench = Bench(work)
    bench.prepare_models()
    books = catalogue.measure(bench, plan.essay, CAST)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    minutes = (time.perf_counter() - started) / 60
    return (f"## {machine.date} · commit {machine.commit} · catalogue figures only ({plan.label})\n\n"
            f"- Machine: {machine.describe()}.\n- Essay: `{plan.essay.name}` ×{catalogue.ESSAYS}, varied by "
            f"lead-ins, cast `{CAST}`; each side from a cold cache.\n- Took {minutes:.0f} min; load average "
            f"at the end {load}.\n\n{table(catalogue.figures(books))}")


MEASUREMENTS: dict[str, Callable[[Plan, Path], str]] = {"all": measure_all, "catalogue": measure_catalogue}
"""``--only`` → what to measure."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: the sample essay, one round, no long memory tests")
    parser.add_argument("--results", type=Path, default=None,
                        help=f"history file to add the run to (default: {RESULTS.relative_to(REPO)} for a "
                        "full run, none for --quick)")
    parser.add_argument("--work", type=Path, default=None, help="keep the work files in this new folder")
    parser.add_argument("--only", choices=sorted(MEASUREMENTS), default="all",
                        help="measure only these figures (catalogue: bench/catalogue.py; not recorded)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    results = args.results or (None if args.quick or args.only != "all" else RESULTS)
    measure = MEASUREMENTS[args.only]
    try:
        if args.work:
            args.work.mkdir(parents=True)
            text = measure(plan, args.work.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="essaycast-bench-") as work:
                text = measure(plan, Path(work))
    except CommandFailed as exc:
        print(f"bench: a measured command failed, nothing recorded: {exc}", file=sys.stderr)
        return 1
    print("\n" + text)
    if results is not None:
        record(results, text)
        print(f"recorded in {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
