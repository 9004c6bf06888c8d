"""An essay's script as ``make`` and ``batch`` use it: drafted from the essay, or the producer's
edited draft kept, or the script itself when the source is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.script import load
from pipeline.script.model import Script
from pipeline.script.storage import SCRIPT_SUFFIXES, save, script_from
from pipeline.synth.render import resolve_voices

SCRIPTS_DIR = Path("script")
"""Where drafts of essays are kept for editing, relative to the working directory."""


@dataclass(frozen=True)
class Prepared:
    """The script an essay is made from, and where it lives."""

    script: Script
    """The script to render."""
    path: Path
    """Its file: the source itself, or the draft beside the essays (relative paths start there)."""
    note: str
    """One line on where it came from (empty for a source that is a script)."""


def prepare(
    source: Path,
    cast: Mapping[str, str] | None = None,
    title: str | None = None,
    *,
    redraft: bool = False,
    scripts_dir: Path = SCRIPTS_DIR,
) -> Prepared:
    """The script for ``source``: a script source as it is; an essay's draft ``scripts_dir/NAME.md``
    if the producer edited it (their edits win over a fresh draft, unless ``redraft``), else a
    fresh draft, saved there.

    A cast that cannot speak fails before a draft is written: a draft left behind would count as
    edited next time and keep the bad cast even after the cast is corrected.
    """
    script = script_from(source, cast, title)
    if source.suffix.lower() in SCRIPT_SUFFIXES:
        return Prepared(script, source, "")
    path = scripts_dir / f"{source.stem}.md"
    if path.exists() and not redraft and load(path) != script:
        return Prepared(load(path), path, f"script: {path} (edited; --redraft replaces it)")
    resolve_voices(script)
    save(script, path)
    return Prepared(script, path, f"script: {path} (drafted)")
