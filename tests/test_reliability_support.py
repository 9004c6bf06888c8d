"""Shared helpers for the reliability suite: the real CLI in a subprocess, folder snapshots, process groups.

No tests here; the reliability test modules import these helpers (pytest puts this folder on sys.path).
Every run gets its own segment cache through ESSAYCAST_CACHE_DIR, and its working directory is a test's
tmp folder, so nothing touches the user's cache or the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ESSAYCAST = [sys.executable, "-m", "pipeline.cli"]
"""The command line of `essaycast` as a user runs it (console entry point: one-line errors)."""

FIXTURES = Path(__file__).parent / "fixtures" / "reliability"
"""Scripts and the noise-free voice profile the suite renders."""

SUMMARY_SEGMENTS = re.compile(r"segments\s+(\d+) \((\d+) from cache, (\d+) synthesized\)")
"""The render summary's segment line: total, cache hits, synthesized."""


def environment(cache: Path) -> dict[str, str]:
    """The process environment with the segment cache moved to ``cache`` and no debug tracebacks."""
    env = {key: value for key, value in os.environ.items() if key != "ESSAYCAST_DEBUG"}
    env["ESSAYCAST_CACHE_DIR"] = str(cache)
    return env


def run(*args: str | Path, cwd: Path, cache: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``essaycast ARGS`` to completion in ``cwd`` with its cache in ``cache``."""
    return subprocess.run([*ESSAYCAST, *map(str, args)], cwd=cwd, env=environment(cache),
                          capture_output=True, text=True, timeout=timeout)


def start(*args: str | Path, cwd: Path, cache: Path) -> subprocess.Popen[bytes]:
    """Start ``essaycast ARGS`` in its own process group (so a kill can reach its worker processes too)."""
    return subprocess.Popen([*ESSAYCAST, *map(str, args)], cwd=cwd, env=environment(cache),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def segment_counts(summary: str) -> tuple[int, int, int]:
    """(segments, from cache, synthesized) from a render or make summary."""
    found = SUMMARY_SEGMENTS.search(summary)
    assert found is not None, summary
    total, cached, synthesized = map(int, found.groups())
    return total, cached, synthesized


def snapshot(folder: Path, skip: Iterable[Path] = ()) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder`` by relative path, outside ``skip``."""
    skipped = [Path(path) for path in skip]
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        if any(path == other or other in path.parents for other in skipped):
            continue
        found[path.relative_to(folder).as_posix()] = None if path.is_dir() else path.read_bytes()
    return found


def hidden_leftovers(folder: Path) -> list[str]:
    """Hidden temporaries (``.NAME.XXXXXXXX.ext`` files, ``.STEM.mix-XXXXXXXX`` folders) under ``folder``."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob(".*")
                  if path.name != ".essaycast.lock")


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes in process group ``group``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members
