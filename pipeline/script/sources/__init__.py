"""Essay readers: every input format turned into the one ``Document`` the draft generator reads.

``FORMATS`` is the table: each format has its suffixes, a content sniffer and a reader. A file's
format is the first whose sniffer recognises its bytes (a PDF is a PDF whatever it is called), else
the one its suffix names, else plain text for a file without a suffix; anything else is a one-line
error listing what is supported. ``script_signs`` tells a finished script from an essay by content.
"""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.files import decode_text
from pipeline.script.sources.document import Block, Document, Kind


@dataclass(frozen=True)
class Format:
    """One input format essaycast can draft from."""

    name: str
    """Short name, as ``essaycast script --help`` lists it."""
    suffixes: tuple[str, ...]
    """File name endings that mean this format (lower case, with the dot)."""
    sniff: Callable[[bytes], bool]
    """Whether a file's bytes are surely this format, whatever its name."""
    read: Callable[[bytes, Path], Document]
    """The reader: the file's bytes (and its path, for messages) → Document."""


def _zip_names(data: bytes) -> frozenset[str]:
    if not data.startswith(b"PK\x03\x04"):
        return frozenset()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return frozenset(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return frozenset()


def _head(data: bytes, size: int = 4096) -> str:
    return data[:size].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")


_HTML_START = re.compile(r"(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
_MARKDOWN_SIGNS = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\n"  # front matter
    r"|\]\((?:https?://|/|#)[^)\s]*\)"  # an inline link
    r"|^\[\^?[\w-]+\]:\s"  # a link or footnote definition
    r"|^Title:.*\n+URL Source:",  # a web scraper's header
    re.M)


def _text(read: Callable[[str], Document]) -> Callable[[bytes, Path], Document]:
    return lambda data, path: read(decode_text(data, path))


def _read_text(text: str) -> Document:
    from pipeline.script.sources.plain import read_text

    return read_text(text)


def _read_markdown(text: str) -> Document:
    from pipeline.script.sources.markdown import read_markdown

    return read_markdown(text)


def _read_html(data: bytes, path: Path) -> Document:
    from pipeline.script.sources.html import read_html

    return read_html(_html_text(data, path))


_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w-]+)", re.I)


def _html_text(data: bytes, path: Path) -> str:
    """A saved page's text: UTF-8, else the charset its ``<meta>`` declares (pages predate UTF-8)."""
    try:
        return decode_text(data, path)
    except EssaycastError:
        declared = _CHARSET.search(data[:4096])
        if not declared or b"\x00" in data:
            raise
        try:
            return data.decode(declared[1].decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            raise EssaycastError(f"{path} is not readable as {declared[1].decode('ascii')} text",
                                 hint="re-save the page as UTF-8") from None


def _read_epub(data: bytes, path: Path) -> Document:
    from pipeline.script.sources.epub import read_epub

    return read_epub(data, path)


def _read_docx(data: bytes, path: Path) -> Document:
    from pipeline.script.sources.docx import read_docx

    return read_docx(data, path)


def _read_pdf(data: bytes, path: Path) -> Document:
    from pipeline.script.sources.pdf import read_pdf

    return read_pdf(data, path)


FORMATS: tuple[Format, ...] = (
    Format("pdf", (".pdf",), lambda data: data[:1024].lstrip().startswith(b"%PDF-"), _read_pdf),
    Format("epub", (".epub",), lambda data: "META-INF/container.xml" in _zip_names(data), _read_epub),
    Format("docx", (".docx",), lambda data: "word/document.xml" in _zip_names(data), _read_docx),
    Format("html", (".html", ".htm", ".xhtml"), lambda data: bool(_HTML_START.match(_head(data))),
           _read_html),
    Format("markdown", (".md", ".markdown", ".mdown", ".mkd"),
           lambda data: b"\x00" not in data[:4096] and bool(_MARKDOWN_SIGNS.search(_head(data, 65536))),
           _text(_read_markdown)),
    Format("text", (".txt", ".text", ""), lambda data: False, _text(_read_text)),
)
"""Every essay format, in the order their sniffers are tried (the surest signatures first)."""

SCRIPT_FORMATS = ".md (with script marks), .json, .ssml"
"""What a finished script may be, for messages."""


def supported() -> str:
    """The readable formats as one phrase for help and error messages."""
    return ", ".join(f"{fmt.name} ({' '.join(s for s in fmt.suffixes if s)})" for fmt in FORMATS)


def format_of(path: Path, data: bytes) -> Format:
    """The format of a file: by its content where that is sure, else by its suffix."""
    for fmt in FORMATS:
        if fmt.sniff(data):
            return fmt
    suffix = path.suffix.lower()
    for fmt in FORMATS:
        if suffix in fmt.suffixes:
            return fmt
    raise EssaycastError(f"cannot read {path}: unknown format {suffix!r}",
                         hint=f"essaycast drafts from {supported()}")


def read(path: Path, data: bytes) -> Document:
    """The essay in ``data`` (the bytes of ``path``) as a Document, read by the format it is in."""
    return format_of(path, data).read(data, path)


_SCRIPT_MARKS = (
    (re.compile(r"^@[a-z][a-z0-9_-]{0,31}:\s", re.M), "an '@speaker:' line"),
    (re.compile(r"\[pause\s+\d[\d.]*\s*m?s\]", re.I), "'[pause …]' markup"),
    (re.compile(r"\A\s*(?:<\?xml[^>]*>\s*)?<speak[\s>]"), "a '<speak>' document"),
)
_TOML_FRONT = re.compile(r"\A\+\+\+[ \t]*\n(.*?)^\+\+\+[ \t]*$", re.S | re.M)


def script_signs(text: str) -> str:
    """Why ``text`` is a finished script rather than an essay ('' if it is an essay).

    A script has ``+++`` TOML front matter with script keys only (a blog post's ``+++`` front
    matter has others: ``path``, ``authors``, …), ``@speaker:`` lines, ``[pause …]`` marks or is SSML.
    """
    from pipeline.script.markdown import SCRIPT_KEYS

    front = _TOML_FRONT.match(text)
    if front:
        try:
            keys = set(tomllib.loads(front[1]))
        except tomllib.TOMLDecodeError:
            return "'+++' front matter"  # broken, but only scripts use it: let the parser say where
        if not keys <= SCRIPT_KEYS:
            return ""
        if keys:
            return "'+++' front matter with script keys"
    for pattern, reason in _SCRIPT_MARKS:
        if pattern.search(text):
            return reason
    return ""


__all__ = ["FORMATS", "Block", "Document", "Format", "Kind", "format_of", "read", "script_signs", "supported"]
