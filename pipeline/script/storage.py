"""Script files on disk: load any supported format by suffix, save Markdown or JSON atomically."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import read_text, write_text
from pipeline.script.jsonfmt import from_json, to_json
from pipeline.script.markdown import parse, write
from pipeline.script.model import Script
from pipeline.script.ssml import from_ssml

_SSML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?<speak[\s>]")


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


def save(script: Script, path: Path | str) -> None:
    """Write the script atomically, as JSON for ``.json`` and Markdown otherwise."""
    path = Path(path)
    text = dumps(script, format_for(path))
    try:
        write_text(path, text)
    except OSError as exc:
        raise EssaycastError(f"cannot write {path}: {exc.strerror or exc}") from None


_WRITERS = {"md": write, "json": to_json}
