"""Script files on disk: load any supported format by suffix, save Markdown or JSON atomically.

``script_from`` is the way in for any input: a finished script (told apart from an essay by its
content, or by ``--as``) is read and converted, an essay in any format ``sources`` reads is drafted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import decode_text, read_bytes, read_text, write_text
from pipeline.script import candidates, sources
from pipeline.script.candidates import Candidate
from pipeline.script.drafting import draft, essay_paragraphs
from pipeline.script.error import ScriptError
from pipeline.script.jsonfmt import from_json, to_json
from pipeline.script.markdown import parse, write
from pipeline.script.model import Script
from pipeline.script.ssml import from_ssml

_SSML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?<speak[\s>]")
SCRIPT_SUFFIXES = frozenset({".json", ".ssml", ".xml"})
"""Inputs that are always scripts: the ``script`` command converts them instead of drafting."""
READ_AS = ("script", "essay")
"""What ``--as`` may say an input is."""
WORDS_PER_MINUTE = 150
"""Speaking rate for the length estimate in ``summary`` (a typical narration pace)."""


def title_from_filename(path: Path | str) -> str:
    """A readable title from a file name: ``her-review.txt`` → ``Her Review`` (``01-`` numbering dropped)."""
    stem = re.sub(r"\A\d{1,3}[-_.\s]+(?=[^\W\d])", "", Path(path).stem)
    words = re.sub(r"[-_.\s]+", " ", stem).split()
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


def _script_text(path: Path, data: bytes) -> str:
    """The text of an input that may be a script ('' for an essay in a binary format)."""
    return "" if sources.format_of(path, data).name in ("pdf", "epub", "docx") else decode_text(data, path)


def input_kind(source: Path, data: bytes, as_: str | None = None) -> str:
    """Whether ``source`` is read as a ``script`` or an ``essay``: ``as_`` if given, else by content."""
    if as_ is not None and as_ not in READ_AS:
        raise EssaycastError(f"unknown --as {as_!r}", hint="use --as script or --as essay")
    if source.suffix.lower() in SCRIPT_SUFFIXES:
        if as_ == "essay":
            raise EssaycastError(f"{source} is a script by its suffix, not an essay",
                                 hint="drop --as essay, or rename it to .txt/.md to draft from it")
        return "script"
    if as_:
        return as_
    text = _script_text(source, data)
    return "script" if text and (_SSML_START.match(text) or sources.script_signs(text)) else "essay"


def is_essay(source: Path | str, as_: str | None = None) -> bool:
    """Whether ``source`` is an essay to draft (not a script or SSML to convert), by ``as_`` or content."""
    source = Path(source)
    return input_kind(source, read_bytes(source, "essay"), as_) == "essay"


def _convert(source: Path, data: bytes) -> Script:
    """A finished script in any script format, read from its bytes."""
    if source.suffix.lower() in SCRIPT_SUFFIXES:
        return load(source)
    text = _script_text(source, data)
    if not text:
        raise EssaycastError(f"{source} is a {sources.format_of(source, data).name} file, not a script",
                             hint="drop --as script to draft from it")
    if _SSML_START.match(text):
        return from_ssml(text, str(source), title=title_from_filename(source))
    try:
        return parse(text, str(source))
    except ScriptError as exc:
        why = sources.script_signs(text)
        guess = f"read as a script because it has {why}" if why else "read as a script (--as script)"
        hint = f"{guess}; if it is an essay to draft, add --as essay"
        raise ScriptError(exc.path, exc.line, exc.column, exc.reason,
                          hint=f"{exc.hint}; {hint}" if exc.hint else hint) from None


def script_from(
    source: Path | str,
    cast: Mapping[str, str] | None = None,
    title: str | None = None,
    as_: str | None = None,
) -> Script:
    """A script from ``source``: drafted from an essay, or read from a script (or SSML) and converted.

    ``cast`` adds character voices (or recasts existing ones); ``title`` replaces the title; ``as_``
    (``script`` or ``essay``) overrides telling the two apart by content.
    """
    source = Path(source)
    cast = dict(cast or {})
    data = read_bytes(source, "essay")
    if input_kind(source, data, as_) == "essay":
        return draft(sources.read(source, data), cast, title, fallback_title=title_from_filename(source))
    script = _convert(source, data)
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


def candidates_from(source: Path | str, as_: str | None = None) -> list[Candidate]:
    """The people an essay quotes (cast candidates), read the way ``script_from`` reads the essay."""
    source = Path(source)
    data = read_bytes(source, "essay")
    if input_kind(source, data, as_) == "script":
        raise EssaycastError(f"{source} is a script, not an essay",
                             hint="cast candidates are found in the essay the script was drafted from")
    return candidates.find(essay_paragraphs(sources.read(source, data)))


def summary(script: Script) -> str:
    """One line about a script: sections, segments per speaker, estimated speaking time."""
    speakers = Counter(segment.speaker for _, _, _, segment in script.segments())
    words = sum(len(segment.text.split()) for _, _, _, segment in script.segments())
    pauses = sum(segment.pause_after.ms for _, _, _, segment in script.segments()) / 60000
    minutes = words / WORDS_PER_MINUTE + pauses
    lines = ", ".join(f"{speaker} {count}" for speaker, count in speakers.most_common())
    return (f"{len(script.sections)} sections, {sum(speakers.values())} segments ({lines}), "
            f"about {minutes:.0f} min of speech")
