"""Measuring commands for the benchmarks: wall time and peak memory of a process tree, and the machine.

Rendering runs in several processes (the CLI plus one synthesis worker per core), so memory is
reported two ways: the largest single process (``ru_maxrss`` from ``wait4``, what ``/usr/bin/time -v``
prints) and the peak of the whole tree's proportional set size (PSS, shared pages split between the
processes sharing them), sampled from ``/proc`` while the command runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SAMPLE_S = 0.1
"""How often the process tree's memory is sampled."""

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: a benchmark cannot report a number for it."""


@dataclass(frozen=True)
class Run:
    """One measured command."""

    command: tuple[str, ...]
    """What ran."""
    wall_s: float
    """Wall time from start to exit."""
    max_rss_mb: float
    """Peak resident set of its largest single process (the command or a descendant it waited for)."""
    tree_pss_mb: float
    """Peak of the PSS summed over the command and all its descendants, sampled every `SAMPLE_S`."""
    stdout: str
    """What it printed on standard output."""
    cpu_s: float = 0.0
    """CPU time (user + system) of the command and the descendants it waited for."""
    machine_busy_s: float = 0.0
    """CPU time every process on the machine used while it ran, this one's included (from /proc/stat;
    0 where that is unavailable): what is left of the cores' time was idle, what is not this command's
    went to others sharing the machine."""

    def idle_s(self, cores: int) -> float:
        """Core-seconds no process used while the command ran (without /proc/stat: that it did not)."""
        return max(0.0, cores * self.wall_s - max(self.machine_busy_s, self.cpu_s))

    def others_s(self) -> float:
        """CPU-seconds other processes on the machine took while the command ran."""
        return max(0.0, self.machine_busy_s - self.cpu_s)


def machine_busy_s() -> float:
    """CPU-seconds all processes have used since boot, summed over the cores (0 without /proc/stat).

    The first line of /proc/stat counts ticks per state; idle and waiting for I/O are not busy, and
    guest time is already inside user time.
    """
    try:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) * TICK_S


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process visible in /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])  # the name in (...) may hold spaces
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process (its RSS where smaps_rollup is unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def tree_pss_kb(root: int) -> int:
    """PSS of ``root`` and all its descendants."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        todo.extend(tree.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    """Samples a process tree's PSS until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stopped = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_S):
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.pid))


def run(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    *,
    sample_memory: bool = True,
    accept: tuple[int, ...] = (0,),
) -> Run:
    """Run ``command`` in ``cwd`` and measure it; stderr goes to ``log`` (default: discarded).

    ``sample_memory=False`` skips the tree sampler (for commands too short for it to matter, whose
    time it would only disturb). Raises `CommandFailed` with the end of stderr when its exit status is
    not in ``accept``.
    """
    err = log.open("wb") if log else open(os.devnull, "wb")  # noqa: SIM115 - closed below
    with err, tempfile.TemporaryFile() as out:
        start, busy = time.perf_counter(), machine_busy_s()
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env else None,
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(process.pid)
        if sample_memory:
            sampler.start()
        # wait4, not wait: it also returns the child's resource usage (peak RSS).
        _, status, usage = os.wait4(process.pid, 0)
        wall, busy = time.perf_counter() - start, machine_busy_s() - busy
        sampler.stopped.set()
        if sample_memory:
            sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode(errors="replace")
    if process.returncode not in accept:
        tail = log.read_text(errors="replace")[-2000:] if log else ""
        raise CommandFailed(f"{' '.join(command)} exited {process.returncode}\n{tail}")
    return Run(tuple(command), wall, usage.ru_maxrss / 1024, sampler.peak_kb / 1024, stdout,
               usage.ru_utime + usage.ru_stime, busy)


@dataclass(frozen=True)
class Machine:
    """Where and when a benchmark ran."""

    date: str
    """UTC start time, ISO 8601 to the minute."""
    commit: str
    """Short commit hash, with ``+changes`` when tracked files differ from it."""
    cpu: str
    """CPU model name."""
    cores: int
    """Logical CPUs (nproc)."""
    memory_gb: float
    """Physical memory."""
    load: tuple[float, float, float]
    """Load average (1, 5, 15 minutes) at the start."""
    python: str
    """Python version."""

    @classmethod
    def here(cls, repo: Path) -> Machine:
        """This machine, now, at ``repo``'s commit."""
        return cls(
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            commit=_commit(repo),
            cpu=_cpu_model(),
            cores=os.cpu_count() or 1,
            memory_gb=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            load=_load_average(),
            python=platform.python_version(),
        )

    def describe(self) -> str:
        """One line for the results."""
        load = " / ".join(f"{x:.2f}" for x in self.load)
        return (f"{self.cores} × {self.cpu}, {self.memory_gb:g} GB RAM, load average {load} at start, "
                f"Python {self.python}")


def _load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit(repo: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
