"""Atomic file output: every file essaycast writes appears whole or not at all.

Temporaries live beside their target (same disk, so the final rename is atomic) under hidden
names. A process killed mid-write (kill -9, power loss) cannot remove its own, so each one is held
under an advisory lock while in use, and the next write of the same target removes any of its
temporaries that nobody holds: a crash costs disk space only until the file is written again.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import EssaycastError

try:
    import fcntl
except ImportError:  # Windows: no flock; temporaries of a killed process stay behind there
    fcntl = None  # type: ignore[assignment]

TEMP_NAME_CHARS = "[a-z0-9_]{8}"
"""What tempfile adds between a temporary's prefix and suffix (so only its own names are swept)."""

STALE_TEMPORARY = re.compile(
    rf"\.(?P<name>.+(?P<suffix>\.[A-Za-z0-9]+))\.{TEMP_NAME_CHARS}(?P=suffix)\Z"
    rf"|\.(?P<stem>.+)\.(?P<label>[a-z]+)-{TEMP_NAME_CHARS}\Z"
)
"""Any temporary of ours in a folder: ``.NAME.ext.XXXXXXXX.ext`` files (`atomic_path`) and
``.STEM.LABEL-XXXXXXXX`` folders (`scratch_dir`); what a write into a folder sweeps when unlocked."""

K = TypeVar("K")


@contextlib.contextmanager
def atomic_path(dest: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it is renamed over ``dest``.

    For libraries that write by file name (soundfile, mutagen). On any exception the temporary
    file is removed and ``dest`` is left untouched. The temporary name keeps ``dest``'s suffix
    (or ``suffix``) because some writers pick the format from it. Stale temporaries in ``dest``'s
    folder left by a killed process are removed first.
    """
    with atomic_paths({None: dest}, suffix) as tmp:
        yield tmp[None]


@contextlib.contextmanager
def atomic_paths(dests: Mapping[K, Path], suffix: str | None = None) -> Iterator[dict[K, Path]]:
    """`atomic_path` for a set of files written together (an episode and its sidecars).

    Every destination is checked before anything is created (a folder standing where a file must
    go is refused), every temporary is filled before any is renamed, and they are renamed in the
    order given: callers put the file that tells whether the set is current last, so a kill
    between two renames leaves it old and the next run writes the set again.
    """
    targets = {key: Path(dest) for key, dest in dests.items()}
    for dest in targets.values():
        _refuse_folder(dest)
    with contextlib.ExitStack() as stack:
        tmps = {key: stack.enter_context(_temporary(dest, suffix)) for key, dest in targets.items()}
        yield tmps
        for tmp in tmps.values():
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for key, dest in targets.items():
            _refuse_folder(dest)  # again: one may have appeared while the files were made
            try:
                os.replace(tmps[key], dest)
            except OSError as exc:
                raise EssaycastError(f"cannot write {dest}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _temporary(dest: Path, suffix: str | None) -> Iterator[Path]:
    """A locked, hidden temporary file beside ``dest``, removed on the way out unless renamed."""
    parent = dest.parent if str(dest.parent) else Path(".")
    prefix, suffix = f".{dest.name}.", suffix if suffix is not None else dest.suffix
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp, held = _claim(parent, prefix, suffix, tempfile.mkstemp)
    except FileExistsError as exc:  # mkdir's way of saying a file stands where a folder must be
        raise EssaycastError(f"cannot write {dest}: {exc.filename} is a file, not a folder") from exc
    except OSError as exc:
        raise EssaycastError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.close(held)


def _refuse_folder(dest: Path) -> None:
    if dest.is_dir():
        raise EssaycastError(f"cannot write {dest}: it is a folder",
                             hint="give a file name, or move the folder away")


@contextlib.contextmanager
def scratch_dir(beside: Path, label: str) -> Iterator[Path]:
    """A private folder beside ``beside`` (same disk: work files can be large), removed afterwards.

    Named ``.STEM.LABEL-XXXXXXXX``; ones left by a killed process are removed first.
    """
    beside = Path(beside)
    parent = beside.parent if str(beside.parent) else Path(".")
    folder, held = _claim(parent, f".{beside.stem}.{label}-", "", _mkdtemp)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(held)


def _mkdtemp(prefix: str, suffix: str, dir: Path) -> tuple[int, str]:
    while True:
        name = tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=dir)
        with contextlib.suppress(FileNotFoundError):  # swept by another writer before it was opened
            return os.open(name, os.O_RDONLY), name


def _claim(
    folder: Path, prefix: str, suffix: str, make: Callable[..., tuple[int, str]]
) -> tuple[Path, int]:
    """Sweep stale temporaries named ``prefix…suffix``, then make a new one and hold its lock.

    Returns the new path and the descriptor holding the lock (close it when done). A sweep by
    another process can remove a new temporary before its lock is taken; then it is made again.
    """
    _sweep(folder, re.compile(re.escape(prefix) + TEMP_NAME_CHARS + re.escape(suffix) + r"\Z"))
    while True:
        fd, name = make(prefix=prefix, suffix=suffix, dir=folder)
        if fcntl is None:
            return Path(name), fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.stat(name)):
                return Path(name), fd
        os.close(fd)


def sweep_temporaries(folder: Path) -> None:
    """Remove our temporaries in ``folder`` whose lock nobody holds (a killed run's), writing nothing.

    For a folder that is read far more often than written (saved model graphs): there the next
    write, which would sweep them, may never come.
    """
    _sweep(folder, None)


def _sweep(folder: Path, own_name: re.Pattern[str] | None) -> None:
    """Remove temporaries in ``folder`` whose lock nobody holds: those named ``own_name`` and any
    other of ours (`STALE_TEMPORARY`), so a killed run's leftovers go with the next write into the
    same folder, whatever it writes."""
    if fcntl is None:
        return
    for path in folder.glob(".*"):
        if not ((own_name is not None and own_name.match(path.name)) or _stale_kind_matches(path)):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: another process is writing it right now
        else:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)


def _stale_kind_matches(path: Path) -> bool:
    """Whether ``path`` is named like one of our temporaries of its kind (file or folder)."""
    found = STALE_TEMPORARY.match(path.name)
    if found is None or path.is_symlink():
        return False
    return path.is_dir() == (found["label"] is not None)


def check_writable(*dests: Path) -> None:
    """Refuse now, with the reason, any of ``dests`` that could not be written later (before long work).

    A folder standing where a file must go is refused; otherwise the nearest existing folder on the
    way to each file is probed with an unnamed temporary file, so nothing is created and nothing is
    left behind.
    """
    for dest in map(Path, dests):
        _refuse_folder(dest)
        folder = dest.parent if str(dest.parent) else Path(".")
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise EssaycastError(f"cannot write {dest}: {folder} is a file, not a folder")
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise EssaycastError(f"cannot write {dest}: {exc.strerror or exc}") from None


def write_text(dest: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``dest`` atomically."""
    write_bytes(dest, text.encode("utf-8"))


def write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def file_identity(path: Path) -> list[object]:
    """Name, size and modification time of a file: what tells a rewritten input from the one a
    cached result was made of, without reading it."""
    stat = Path(path).stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's contents, read a block at a time."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verified_sidecar(data: Path, sidecar: Path) -> dict[str, Any] | None:
    """The JSON object in ``sidecar`` if its ``"sha256"`` is that of ``data``, else None: how a cache
    entry (a data file and its sidecar, both written atomically, data first) proves it is whole."""
    try:
        meta = json.loads(Path(sidecar).read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) and meta.get("sha256") == sha256_of(data) else None
    except (OSError, ValueError):
        return None


def read_bytes(path: Path, what: str = "file") -> bytes:
    """Read a file whole, turning every way it can be unreadable into one clear error."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise EssaycastError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise EssaycastError(f"{what} is a directory, not a file: {path}") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read {path}: {exc.strerror or exc}") from None


TEXT_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: they start alike
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF8, "utf-8-sig"),
)
"""Byte-order marks → the codec that reads text starting with them (Windows editors save "Unicode"
as UTF-16 with a BOM)."""


def decode_text(data: bytes, path: Path | str) -> str:
    """Bytes read from ``path`` as text: UTF-8, or UTF-16/32 announced by a byte-order mark; binary,
    undecodable or empty content is one clear error."""
    codec = next((name for bom, name in TEXT_BOMS if data.startswith(bom)), "utf-8")
    if codec == "utf-8" and b"\x00" in data:
        raise EssaycastError(f"{path} is a binary file, not text")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise EssaycastError(
            f"{path} is not {codec.upper().removesuffix('-SIG')} text (bad byte at offset {exc.start})",
            hint="re-save it as UTF-8",
        ) from None
    if "\x00" in text:
        raise EssaycastError(f"{path} is a binary file, not text")
    if not text.strip():
        raise EssaycastError(f"{path} is empty")
    return text


def read_text(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file, turning every way it can be unreadable into one clear error."""
    return decode_text(read_bytes(path, what), path)
