"""Which essays a batch makes, in which order: files and folders from the command line, collected
and sorted once, so the episode numbers in the feed follow a rule the user chose."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.batch.prepare import drafts_of
from pipeline.errors import EssaycastError
from pipeline.script.storage import SCRIPT_SUFFIXES

ESSAY_SUFFIXES: frozenset[str] = SCRIPT_SUFFIXES | {".txt", ".text", ".html", ".htm", ".epub", ".docx",
                                                    ".pdf"}
"""Files a folder contributes when no ``--glob`` is given: essays and scripts the script stage reads."""

_FRONT_DATE = re.compile(r"^\s*date\s*[:=]\s*[\"']?(\d{4}-\d{2}-\d{2})", re.MULTILINE)
"""A ``date = 2024-05-01`` (TOML) or ``date: 2024-05-01`` (YAML) line in a file's front matter."""
_FRONT_MATTER = re.compile(r"\A\ufeff?(\+\+\+|---)\s*\n(.*?)\n\1\s*$", re.DOTALL | re.MULTILINE)


def collect(sources: Sequence[Path], pattern: str | None = None) -> list[Path]:
    """The essay files ``sources`` name: files as given, folders' files matching ``pattern`` (a glob
    such as ``*.txt`` or ``**/*.md``; default: every file with an `ESSAY_SUFFIXES` suffix).

    A missing path or a folder with nothing to make is an error before anything is made. An
    essay's draft script (``essay.md`` beside ``essay.txt``) is not an essay of its own.
    """
    if not sources:
        raise EssaycastError("no essays given", hint="essaycast batch ESSAY_OR_FOLDER... --site DIR")
    found: dict[Path, Path] = {}
    for source in map(Path, sources):
        if source.is_dir():
            files = sorted(path for path in (source.glob(pattern) if pattern else source.iterdir())
                           if path.is_file() and (pattern or path.suffix.lower() in ESSAY_SUFFIXES))
            if not files:
                what = f"matching {pattern!r}" if pattern else "with an essay's suffix, e.g. .txt or .md"
                raise EssaycastError(f"no essays in the folder {source} (no files {what})",
                                     hint="give a folder of essays, or choose files with --glob")
        elif source.is_file():
            files = [source]
        else:
            raise EssaycastError(f"essay not found: {source}", hint="check the path")
        for path in files:
            found.setdefault(path.resolve(), path)
    # An essay's draft sits beside it (essay.txt → essay.md): the essay is made, from its draft.
    drafts = drafts_of(list(found.values()))
    return [path for resolved, path in found.items() if resolved not in drafts]


def essay_date(path: Path) -> datetime.date:
    """The date in the file's front matter (``date = YYYY-MM-DD``), else the day it was last changed."""
    try:
        head = path.read_bytes()[:8192].decode("utf-8", errors="replace")
    except OSError:
        head = ""
    front = _FRONT_MATTER.match(head)
    stated = _FRONT_DATE.search(front.group(2)) if front else None
    if stated:
        try:
            return datetime.date.fromisoformat(stated.group(1))
        except ValueError:
            pass
    return datetime.date.fromtimestamp(path.stat().st_mtime)


ORDERS: dict[str, Callable[[Path], object]] = {
    "name": lambda path: (path.name.lower(), str(path)),
    "mtime": lambda path: (path.stat().st_mtime_ns, str(path)),
    "date": lambda path: (essay_date(path), path.name.lower(), str(path)),
}
"""``--order`` → sort key: by file name, by modification time (oldest first), or by the front
matter's date (oldest first; files without one by their modification day)."""


def ordered(paths: Sequence[Path], order: str = "name") -> list[Path]:
    """``paths`` in episode order."""
    if order not in ORDERS:
        raise EssaycastError(f"unknown --order {order!r}", hint=f"use one of: {', '.join(ORDERS)}")
    return sorted(paths, key=ORDERS[order])
