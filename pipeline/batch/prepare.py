"""An essay's script as ``batch`` uses it, by ``make``'s rule: drafted from the essay, or the
producer's edited draft kept, or the script itself when the source is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script import load
from pipeline.script.model import Script
from pipeline.script.storage import is_essay, keep_edits, save, script_from, script_path, stamped
from pipeline.synth.render import resolve_voices


@dataclass(frozen=True)
class Prepared:
    """The script an essay is made from, and where it lives."""

    script: Script
    """The script to render."""
    path: Path
    """Its file: the source itself, or the essay's draft (relative paths start there)."""
    note: str
    """One line on where it came from (empty for a source that is a script)."""


def prepare(source: Path, cast: Mapping[str, str] | None = None, title: str | None = None) -> Prepared:
    """The script for ``source``: a script source as it is; an essay's draft (`script_path`) if the
    producer edited it since it was drafted, else a fresh draft, saved there.

    A cast that cannot speak fails before a draft is written: a draft left behind would otherwise be
    rendered with the bad cast next time.
    """
    if not is_essay(source):
        return Prepared(script_from(source, cast, title), source, "")
    path = script_path(source)
    if keep_edits(path, redraft=False):
        return Prepared(load(path), path, f"script: {path} (edited since drafted, used as it is)")
    script = stamped(script_from(source, cast, title))
    resolve_voices(script)
    save(script, path)
    return Prepared(script, path, f"script: {path} (drafted)")


def drafts_of(essays: list[Path]) -> set[Path]:
    """The drafts (resolved) that ``essays`` have or would have: not essays of their own. An essay
    that cannot be read has none here (its error is reported when it is prepared)."""
    drafts = set()
    for essay in essays:
        try:
            if is_essay(essay):
                drafts.add(script_path(essay).resolve())
        except EssaycastError:
            continue
    return drafts
