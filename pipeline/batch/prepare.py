"""An essay's script as ``make`` and ``batch`` use it: drafted from the essay (its characters cast
automatically on request), or the producer's edited draft kept, or the script itself when the source
is one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script import load
from pipeline.script.model import NARRATOR, Script
from pipeline.script.storage import (
    candidates_from,
    is_essay,
    keep_edits,
    save,
    script_from,
    script_path,
    stamped,
)
from pipeline.synth.casting import Casting, choose
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
    castings: tuple[Casting, ...] | None = None
    """The voices ``auto`` chose for a fresh draft, each with its reason (None: no automatic casting)."""


def auto_cast(source: Path, given: Mapping[str, str], read_as: str | None = None) -> tuple[Casting, ...]:
    """A voice for every character ``source`` quotes by name, never the narrator's; the speakers in
    ``given`` keep the voices given there."""
    castings = choose(candidates_from(source, read_as), narrator=given.get(NARRATOR, NARRATOR))
    return tuple(casting for casting in castings if casting.speaker not in given)


def with_castings(given: Mapping[str, str], castings: tuple[Casting, ...]) -> dict[str, str]:
    """The cast ``given`` plus the automatically chosen voices (``given`` wins)."""
    return {**{casting.speaker: casting.profile for casting in castings}, **given}


def prepare(
    source: Path,
    cast: Mapping[str, str] | None = None,
    title: str | None = None,
    *,
    read_as: str | None = None,
    redraft: bool = False,
    auto: bool = False,
    vet: Callable[[Script], None] | None = None,
) -> Prepared:
    """The script for ``source``: a script source as it is; an essay's draft (`script_path`) if the
    producer edited it since it was drafted (unless ``redraft``), else a fresh draft, saved there,
    with every quoted character cast when ``auto``. ``vet`` may refuse a fresh draft (by raising)
    before it is written, e.g. one too long to render without asking.

    A cast that cannot speak fails before a draft is written: a draft left behind would otherwise be
    rendered with the bad cast next time.
    """
    cast = dict(cast or {})
    if not is_essay(source, read_as):
        return Prepared(script_from(source, cast, title, read_as), source, "")
    path = script_path(source)
    if keep_edits(path, redraft):
        return Prepared(load(path), path,
                        f"script: {path} (edited since drafted, used as it is; --redraft replaces it)")
    castings = auto_cast(source, cast, read_as) if auto else None
    script = stamped(script_from(source, with_castings(cast, castings or ()), title, read_as))
    if vet is not None:
        vet(script)
    resolve_voices(script)
    save(script, path)
    return Prepared(script, path, f"script: {path} (drafted)", castings)


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
