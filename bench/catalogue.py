"""The catalogue figures: six essays made into one podcast by `essaycast batch`, against the same six
made by six `essaycast make` commands one after another, and the same batch on a local Dask cluster.

The six essays are one essay's script six times, each copy's segments opened with its own lead-in
(bench/long_script.py's), so no segment repeats and the batch gains nothing from sharing lines: what
it saves is the per-essay start-up (process, model loads) and tail (the last segments of an essay
running on one core while the other idles). Every side starts from a cold cache of its own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from history import Figure, Target
from long_script import LEAD_INS
from measure import run

if TYPE_CHECKING:
    from run import Bench, Measured

ESSAYS = 6
"""Essays in the catalogue."""
CLUSTER = "local:2"
"""The Dask cluster the batch is also run on (one worker process per core of the bench machine)."""
TARGETS = {"batch": Target(0.85, unit="×"), "cluster": Target(1.10, unit="×")}
"""The issue's targets: no per-essay start-up or tail; the Dask engine costs little."""


@dataclass(frozen=True)
class Catalogue:
    """The three ways of making the catalogue, measured."""

    makes: list[Measured]
    """Six `make` commands, one after another."""
    batch: Measured
    """`batch` on the local process pool."""
    cluster: Measured
    """`batch --cluster local:2`."""

    @property
    def makes_s(self) -> float:
        """Wall time of the six makes together."""
        return sum(made.run.wall_s for made in self.makes)


def scripts(bench: Bench, essay: Path, cast: str) -> list[Path]:
    """The catalogue's six scripts, drafted from ``essay`` (not timed) and varied by lead-ins."""
    from pipeline.script import load, save

    folder = bench.work / "catalogue"
    folder.mkdir()
    draft = bench.work / "catalogue-draft.md"
    run([sys.executable, "-m", "pipeline.cli", "script", str(essay), "--cast", cast, "-o", str(draft)],
        bench.work, bench.environment(bench.work / "draft-cache"), bench.log("catalogue-draft"))
    base = load(draft)
    made = []
    for number, lead in enumerate(LEAD_INS[:ESSAYS], start=1):
        sections = tuple(replace(section, segments=tuple(replace(segment, text=f"{lead}: {segment.text}")
                                                         for segment in section.segments))
                         for section in base.sections)
        path = folder / f"{essay.stem}-{number}.md"
        save(replace(base, title=f"{base.title} ({number})", sections=sections), path)
        made.append(path)
    return made


def measure(bench: Bench, essay: Path, cast: str) -> Catalogue:
    """The six makes, the batch and the cluster batch, each in its own folder with a cold cache."""
    catalogue = scripts(bench, essay, cast)

    def side(label: str) -> tuple[Path, dict[str, str]]:
        cwd = bench.work / f"catalogue-{label}"
        cwd.mkdir()
        return cwd, bench.cold_cache(cwd / "cache")

    cwd, env = side("batch")
    batch = bench.essaycast("batch", ["batch", *map(str, catalogue), "--site", "site"], cwd, env)
    print(f"  catalogue: batch {batch.run.wall_s:.1f} s", flush=True)
    cwd, env = side("makes")
    makes = [bench.essaycast("make", ["make", str(script), "--site", "site"], cwd, env)
             for script in catalogue]
    print(f"  catalogue: {ESSAYS} makes {sum(m.run.wall_s for m in makes):.1f} s", flush=True)
    cwd, env = side("cluster")
    cluster = bench.essaycast("cluster", ["batch", *map(str, catalogue), "--site", "site",
                                          "--cluster", CLUSTER], cwd, env)
    print(f"  catalogue: batch --cluster {CLUSTER} {cluster.run.wall_s:.1f} s", flush=True)
    return Catalogue(makes, batch, cluster)


def figures(done: Catalogue) -> list[Figure]:
    """The two catalogue ratios."""
    batch_s, cluster_s = done.batch.run.wall_s, done.cluster.run.wall_s
    cpu = f"; CPU {done.batch.run.cpu_s:.0f} vs {sum(m.run.cpu_s for m in done.makes):.0f} s"
    return [
        Figure(f"catalogue of {ESSAYS}: `batch` ÷ {ESSAYS} `make`s one after another", batch_s / done.makes_s,
               "×", TARGETS["batch"], f"{batch_s:.1f} s vs {done.makes_s:.1f} s{cpu}"),
        Figure(f"catalogue of {ESSAYS}: `batch --cluster {CLUSTER}` ÷ `batch` (local pool)",
               cluster_s / batch_s, "×", TARGETS["cluster"], f"{cluster_s:.1f} s vs {batch_s:.1f} s"),
    ]
