"""Benchmark figures, their targets, the printed table and the run history in bench/RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.files import write_text

RUNS_MARKER = "<!-- runs: newest first; bench/run.py inserts each full run below this line -->"
"""Where the next run goes: everything above is the file's fixed preamble."""

PREAMBLE = f"""# Benchmark results

Written by `make bench` (`bench/run.py`). Every figure of one run was measured in that run on that
machine, so ratios compare like with like; the machines are shared and noisy, so read the load
average beside each run. What each figure measures: `docs/benchmarks.md`.

{RUNS_MARKER}
"""


@dataclass(frozen=True)
class Target:
    """A bound a figure should stay under."""

    limit: float
    """The bound."""
    inclusive: bool = True
    """True for ≤, False for <."""
    unit: str = ""
    """Printed after the limit."""

    def met(self, value: float) -> bool:
        """Whether ``value`` is within the bound."""
        return value <= self.limit if self.inclusive else value < self.limit

    def __str__(self) -> str:
        return f"{'≤' if self.inclusive else '<'} {self.limit:g}{self.unit}"


@dataclass(frozen=True)
class Figure:
    """One benchmark result."""

    name: str
    """What was measured."""
    value: float
    """The result."""
    unit: str
    """Its unit, printed after it ("×", " s", " MB")."""
    target: Target | None
    """The bound it should meet; None for a figure reported without one."""
    detail: str
    """The raw numbers behind it, so a reader can check the arithmetic."""

    @property
    def verdict(self) -> str:
        """"met", "MISSED by …" (how far over, relative to the target) or "" without a target."""
        if self.target is None:
            return ""
        if self.target.met(self.value):
            return "met"
        return f"MISSED (×{self.value / self.target.limit:.1f} the target)"

    def row(self) -> str:
        value = f"{self.value:.2f}{self.unit}" if self.value < 100 else f"{self.value:.0f}{self.unit}"
        target = str(self.target) if self.target else ""
        return f"| {self.name} | **{value}** | {target} | {self.verdict} | {self.detail} |"


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table."""
    rows = ["| figure | value | target | verdict | measured |", "|---|---|---|---|---|"]
    return "\n".join(rows + [figure.row() for figure in figures]) + "\n"


def record(results: Path, run: str) -> None:
    """Insert one run's Markdown at the top of the history in ``results``, atomically."""
    text = results.read_text(encoding="utf-8") if results.exists() else PREAMBLE
    head, marker, past = text.partition(RUNS_MARKER)
    if not marker:  # a file without the marker (edited by hand): keep it all below the new run
        head, marker, past = PREAMBLE.rstrip("\n").removesuffix(RUNS_MARKER), RUNS_MARKER, "\n" + text
    write_text(results, f"{head}{marker}\n\n{run.strip()}\n\n{past.strip()}\n".rstrip("\n") + "\n")
