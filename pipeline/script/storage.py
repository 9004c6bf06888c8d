"""Script files on disk: load any supported format by suffix, save Markdown or JSON atomically."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import read_text, write_text
from pipeline.script import candidates
from pipeline.script.candidates import Candidate
from pipeline.script.drafting import draft
from pipeline.script.jsonfmt import from_json, to_json
from pipeline.script.markdown import parse, write
from pipeline.script.model import Script
from pipeline.script.ssml import from_ssml

_SSML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?<speak[\s>]")
SCRIPT_SUFFIXES = frozenset({".md", ".markdown", ".json", ".ssml", ".xml"})
"""Inputs that already are scripts: the ``script`` command converts them instead of drafting."""
WORDS_PER_MINUTE = 150
"""Speaking rate for the length estimate in ``summary`` (a typical narration pace)."""


def title_from_filename(path: Path | str) -> str:
    """A readable title from a file name: ``her-review.txt`` → ``Her Review``."""
    words = re.sub(r"[-_.\s]+", " ", Path(path).stem).split()
    return " ".join(word[:1].upper() + word[1:] for word in words)


def load(path: Path | str) -> Script:
    """Read a script: JSON for ``.json``, SSML for ``.ssml``/``.xml`` or ``<speak`` text, else Markdown."""
    path = Path(path)
    text = read_text(path, "script")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return from_json(text, str(path))
    if suffix in (".ssml", ".xml") or _SSML_START.match(text):
        return from_ssml(text, str(path), title=title_from_filename(path))
    return parse(text, str(path))


def dumps(script: Script, fmt: str) -> str:
    """The script as text in ``fmt`` (``md`` or ``json``)."""
    if fmt not in _WRITERS:
        raise EssaycastError(f"unknown script format {fmt!r}", hint=f"use one of: {', '.join(_WRITERS)}")
    return _WRITERS[fmt](script)


def format_for(path: Path | str) -> str:
    """The format a script file is saved in, from its suffix: ``.json`` → json, anything else → md."""
    suffix = Path(path).suffix.lower()
    if suffix in (".ssml", ".xml"):
        raise EssaycastError(f"cannot write SSML ({path})", hint="save the script as .md or .json")
    return "json" if suffix == ".json" else "md"


def save(script: Script, path: Path | str, fmt: str | None = None) -> None:
    """Write the script atomically in ``fmt``; by default JSON for ``.json`` and Markdown otherwise."""
    path = Path(path)
    text = dumps(script, fmt or format_for(path))
    try:
        write_text(path, text)
    except OSError as exc:
        raise EssaycastError(f"cannot write {path}: {exc.strerror or exc}") from None


_WRITERS = {"md": write, "json": to_json}


def is_essay(source: Path | str) -> bool:
    """Whether ``source`` is an essay to draft (not a script or SSML to convert)."""
    source = Path(source)
    return source.suffix.lower() not in SCRIPT_SUFFIXES and not _SSML_START.match(read_text(source, "essay"))


def script_from(
    source: Path | str, cast: Mapping[str, str] | None = None, title: str | None = None
) -> Script:
    """A script from ``source``: drafted from essay text, or read from a script (or SSML) and converted.

    ``cast`` adds character voices (or recasts existing ones); ``title`` replaces the title.
    """
    source = Path(source)
    cast = dict(cast or {})
    if source.suffix.lower() in SCRIPT_SUFFIXES:
        script = load(source)
    else:
        text = read_text(source, "essay")
        if not _SSML_START.match(text):
            return draft(text, cast, title, fallback_title=title_from_filename(source))
        script = from_ssml(text, str(source), title=title_from_filename(source))
    try:
        script = replace(script, cast=script.cast.merged(cast))
    except ValueError as exc:
        raise EssaycastError(f"bad cast: {exc}") from None
    return replace(script, title=" ".join(title.split())) if title and title.strip() else script


SCRIPT_FOLDER = Path("script")
"""Where editable scripts go for essays outside the current folder (relative to it)."""


def script_path(source: Path | str, fmt: str = "md") -> Path:
    """Where the editable script of ``source`` lives, for ``script`` and ``make`` alike.

    Beside the essay (``essay.txt`` → ``essay.md``) when the essay is inside the current folder;
    for an essay elsewhere (a shared or read-only folder), ``./script/essay.md`` in the current folder,
    so essaycast never writes outside the folder it runs in. A script given as input converts to
    ``INPUT.script.md`` rather than overwriting itself.
    """
    source = Path(source)
    try:
        source.resolve().parent.relative_to(Path.cwd().resolve())
        folder = source.parent
    except ValueError:
        folder = SCRIPT_FOLDER
    dest = folder / f"{source.stem}.{fmt}"
    if dest.resolve() == source.resolve():
        dest = folder / f"{source.stem}.script.{fmt}"
    return dest


_STAMP = re.compile(r"essaycast draft ([0-9a-f]{16})\b")


def fingerprint(script: Script) -> str:
    """A fingerprint of a script's content (its own draft stamp left out): it changes with any edit."""
    import hashlib

    bare = replace(script, notes=tuple(note for note in script.notes if not _STAMP.match(note)))
    return hashlib.sha256(write(bare).encode("utf-8")).hexdigest()[:16]


def stamped(script: Script) -> Script:
    """The script with a draft stamp note: the fingerprint it was written with, to tell later edits."""
    bare = tuple(note for note in script.notes if not _STAMP.match(note))
    stamp = (f"essaycast draft {fingerprint(script)}: essaycast refreshes this script while it is unedited; "
             "once you edit it, it is kept (the redraft option replaces it)")
    return replace(script, notes=(stamp, *bare))


def edited(path: Path | str) -> bool:
    """Whether the script at ``path`` was changed since essaycast wrote it (a file without a draft
    stamp, or one that no longer reads as a script, counts as edited: it is someone's work)."""
    try:
        script = load(path)
    except EssaycastError:
        return True
    stamps = [match[1] for note in script.notes if (match := _STAMP.match(note))]
    return not stamps or stamps[0] != fingerprint(script)


def keep_edits(path: Path, redraft: bool) -> bool:
    """Whether an existing script at ``path`` must be kept rather than replaced by a fresh draft."""
    return path.exists() and not redraft and edited(path)


def resolve_output(source: Path, output: Path | None, fmt: str | None) -> tuple[Path | None, str]:
    """Where and in which format the ``script`` command writes (None: standard output).

    Default: the editable script's place (``script_path``), ``.md`` unless ``fmt`` says json.
    """
    if fmt is not None and fmt not in _WRITERS:
        raise EssaycastError(f"unknown --format {fmt!r}", hint=f"use one of: {', '.join(_WRITERS)}")
    if output is None:
        fmt = fmt or "md"
        return script_path(source, fmt), fmt
    if str(output) == "-":
        return None, fmt or "md"
    implied = format_for(output)
    if fmt and output.suffix.lower() in (".md", ".json") and implied != fmt:
        raise EssaycastError(f"--format {fmt} does not match the output file {output}",
                             hint=f"name the output .{fmt}, or leave out --format")
    return output, fmt or implied


def candidates_from(source: Path | str) -> list[Candidate]:
    """The people an essay quotes (cast candidates), read the way ``script_from`` reads the essay."""
    source = Path(source)
    if source.suffix.lower() in SCRIPT_SUFFIXES:
        raise EssaycastError(f"{source} is a script, not an essay",
                             hint="cast candidates are found in the essay the script was drafted from")
    return candidates.from_text(read_text(source, "essay"))


def summary(script: Script) -> str:
    """One line about a script: sections, segments per speaker, estimated speaking time."""
    speakers = Counter(segment.speaker for _, _, _, segment in script.segments())
    words = sum(len(segment.text.split()) for _, _, _, segment in script.segments())
    pauses = sum(segment.pause_after.ms for _, _, _, segment in script.segments()) / 60000
    minutes = words / WORDS_PER_MINUTE + pauses
    lines = ", ".join(f"{speaker} {count}" for speaker, count in speakers.most_common())
    return (f"{len(script.sections)} sections, {sum(speakers.values())} segments ({lines}), "
            f"about {minutes:.0f} min of speech")
