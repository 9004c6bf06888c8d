"""`make mutate`: mutation testing (mutmut 3) of the modules that guard correctness, one at a time.

Not a test module (pytest collects ``test_*.py`` only): a driver. For each target in `TARGETS` it
copies the checkout into ``.mutate/NAME/``, configures mutmut there to mutate that one module and to
run only the tests that exercise it, runs it under a time box, and prints killed / survived /
timeout / not checked with every survivor's diff into ``.mutate/NAME.txt``. A target whose time box
ends part-way keeps what was decided (its survivors are real; the rest say "not checked"), and the
next run of it goes on from there.

    python tests/mutate.py                 # every target, MUTATE_MINUTES (default 20) each
    python tests/mutate.py cache-key pause # some of them

docs/testing.md records the last results and why each survivor is left alive.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutate"
SKIP = shutil.ignore_patterns(".git", ".venv*", ".mutate", "mutants", "output", "__pycache__",
                              ".pytest_cache", ".ruff_cache", ".hypothesis")
FAST = ["-x", "-q", "-p", "no:randomly", "-m", "not slow and not browser and not coqui"]
"""Stop at the first failure (a kill needs one); leave out the slow, browser and Coqui tests."""


@dataclass(frozen=True)
class Target:
    """One module and the tests that exercise it."""

    module: str
    """The file mutated."""
    tests: tuple[str, ...]
    """pytest arguments selecting its tests (files, node ids, ``-k`` expressions)."""


TARGETS: dict[str, Target] = {
    "cache-key": Target("pipeline/synth/cache.py", ("tests/test_synth_cache.py", "tests/test_cache_keys.py")),
    "part-key": Target("pipeline/mix/parts.py", ("tests/test_cache_keys.py", "tests/test_mix_master.py")),
    "attribution": Target("pipeline/script/attribution.py", ("tests/test_script_draft.py",)),
    "pause": Target("pipeline/mix/assemble.py", ("tests/test_mix_master.py",)),
    "limiter": Target("pipeline/mix/limiter.py", ("tests/test_mix_levels.py", "tests/test_mix_master.py")),
    "loudness": Target("pipeline/mix/loudness.py", ("tests/test_mix_loudness.py",)),
    "feed": Target("pipeline/publish/feed.py",
                   ("tests/test_publish_feed.py", "tests/test_publish_golden.py")),
    "ranges": Target("pipeline/publish/server.py", ("tests/test_serve.py",)),
}
"""What ``make mutate`` runs: the cache keys, attribution rules, pause assembly, loudness and
limiter, feed writing and HTTP range handling."""


def _setup_cfg(target: Target) -> str:
    def listed(values: list[str] | tuple[str, ...]) -> str:
        return "".join(f"\n    {value}" for value in values)

    return (f"[mutmut]\nsource_paths = pipeline\nonly_mutate = {target.module}\n"
            f"pytest_add_cli_args = {listed(FAST)}\n"
            f"pytest_add_cli_args_test_selection = {listed(target.tests)}\n"
            f"also_copy = {listed(['voices', 'script', 'tests'])}\n")


def _results(folder: Path) -> Counter[str]:
    """Mutant status counts from mutmut's ``.meta`` files (exit code per mutant)."""
    from mutmut.stats import status_by_exit_code

    counts: Counter[str] = Counter()
    for meta in (folder / "mutants").rglob("*.meta"):
        for code in json.loads(meta.read_text())["exit_code_by_key"].values():
            counts[status_by_exit_code[code]] += 1
    return counts


def run(name: str, minutes: float) -> str:
    """Mutate one target; returns its summary line (the survivors' diffs go to ``.mutate/NAME.txt``)."""
    target = TARGETS[name]
    folder = WORK / name
    # Over an earlier run's folder: mutmut keeps the results of unchanged functions, so a run stopped
    # by its time box goes on where it stopped.
    shutil.copytree(ROOT, folder, ignore=SKIP, dirs_exist_ok=True)
    shared = ROOT.parent / "shared"  # the tests find the real essays at ../shared from the checkout
    if shared.is_dir() and not (folder / "shared").exists():
        (folder / "shared").symlink_to(shared)
    (folder / "setup.cfg").write_text(_setup_cfg(target), "utf-8")
    env = {**os.environ, "ESSAYCAST_CACHE_DIR": str(folder / ".cache")}
    mutmut = [sys.executable, "-m", "mutmut"]
    try:
        subprocess.run([*mutmut, "run", "--max-children", os.environ.get("MUTATE_JOBS", "1")], cwd=folder,
                       env=env, timeout=minutes * 60, stdout=subprocess.DEVNULL, check=False)
        finished = "finished"
    except subprocess.TimeoutExpired:
        finished = f"stopped after {minutes:g} min"
    counts = _results(folder)
    listing = subprocess.run([*mutmut, "results"], cwd=folder, env=env, capture_output=True, text=True)
    survivors = [line.split(":")[0].strip() for line in listing.stdout.splitlines()
                 if line.strip().endswith(": survived")]
    shows = [subprocess.run([*mutmut, "show", survivor], cwd=folder, env=env, capture_output=True,
                            text=True).stdout for survivor in survivors]
    (WORK / f"{name}.txt").write_text("\n".join(shows), "utf-8")
    summary = ", ".join(f"{count} {status}" for status, count in counts.most_common())
    return f"{name} ({target.module}): {summary or 'no mutants'} [{finished}]"


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        sys.exit(f"unknown target {unknown[0]!r}; targets: {', '.join(TARGETS)}")
    minutes = float(os.environ.get("MUTATE_MINUTES", "20"))
    WORK.mkdir(exist_ok=True)
    for name in names or list(TARGETS):
        line = run(name, minutes)
        print(line, flush=True)
        with open(WORK / "summary.txt", "a", encoding="utf-8") as log:
            log.write(line + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
