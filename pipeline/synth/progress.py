"""A rich progress bar for ``render``: one step per segment, with the time left.

Cached segments are reported first and all at once; the bar counts them but leaves them out of the
speed estimate, so the time left reflects synthesis only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.synth.render import Progress, RenderedSegment


@contextlib.contextmanager
def render_progress(console: Console | None = None, label: str = "Synthesizing") -> Iterator[Progress]:
    """Show a progress bar while the block runs; yields the ``on_progress`` callback for ``render``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[cached]} cached"), TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None, cached=0)
        synthesized = 0

        def advance(segment: RenderedSegment, done: int, total: int) -> None:
            nonlocal synthesized
            if segment.cached:
                bar.update(task, total=total, completed=done, cached=bar.tasks[task].fields["cached"] + 1)
                return
            if not synthesized:
                # Restart the clock at the first synthesized segment: cache hits say nothing about speed.
                bar.reset(task, total=total, completed=done - 1, cached=bar.tasks[task].fields["cached"])
            synthesized += 1
            bar.update(task, total=total, advance=1)

        yield advance
