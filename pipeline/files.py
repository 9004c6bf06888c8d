"""Atomic file output: every file essaycast writes appears whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import EssaycastError


@contextlib.contextmanager
def atomic_path(dest: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it is renamed over ``dest``.

    For libraries that write by file name (soundfile, mutagen). On any exception the temporary
    file is removed and ``dest`` is left untouched. The temporary name keeps ``dest``'s suffix
    (or ``suffix``) because some writers pick the format from it.
    """
    dest = Path(dest)
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{dest.name}.", suffix=suffix if suffix is not None else dest.suffix, dir=parent
        )
    except OSError as exc:
        raise EssaycastError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(dest: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``dest`` atomically."""
    write_bytes(dest, text.encode("utf-8"))


def write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def read_text(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file, turning every way it can be unreadable into one clear error."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EssaycastError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise EssaycastError(f"{what} is a directory, not a file: {path}") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise EssaycastError(f"{path} is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EssaycastError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start})",
            hint="re-save it as UTF-8",
        ) from None
    if not text.strip():
        raise EssaycastError(f"{path} is empty")
    return text
