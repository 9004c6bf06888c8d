"""An episode's files in the site: the MP3 checked whole before it is published, and the names its
files are served under.

Files the feed links are never rewritten in place: a new episode's files are named after its slug
(``episodes/SLUG.mp3``, ``SLUG.chapters.json``, ``SLUG.vtt``, ``SLUG.srt``, ``SLUG.png``), and an
update whose files differ from the published ones gets new names carrying a digest of their
contents (``SLUG.0123456789ab.mp3`` …). So whatever moment a publish is stopped at, the feed's
enclosure length and duration are those of the file at its URL: the new files are in place before
the feed names them, and the old ones are removed only after it has stopped naming them.
"""

from __future__ import annotations

import filecmp
import hashlib
import mmap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError

VERSION_CHARS = 12
"""Hex digits of the content digest in an updated episode's file names."""

EPISODE_FILE_SUFFIXES = (".mp3", ".chapters.json", ".vtt", ".srt", ".png", ".jpg", ".html")
"""Endings of the files publishing puts in ``episodes/`` (what an orphan sweep may remove)."""

LAYER3_BITRATES_KBPS: Mapping[int, tuple[int, ...]] = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
"""MPEG-1 and MPEG-2/2.5 Layer III bitrate of each header index (0: free format, refused)."""

MPEG_VERSIONS: Mapping[int, tuple[int, int]] = {0b11: (1, 1), 0b10: (2, 2), 0b00: (2, 4)}
"""Header version bits → (bitrate table, sample-rate divisor): MPEG-1, MPEG-2, MPEG-2.5."""

MPEG1_RATES = (44100, 48000, 32000)
"""MPEG-1 sample rate of each header rate index (MPEG-2 halves them, MPEG-2.5 quarters them)."""

TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICS")
"""What may follow the last audio frame (ID3v1, APE and Lyrics3 tags)."""

MP3_HINT = "render the episode again, or export the MP3 again in full"
"""How to fix an MP3 that is not whole."""


class NotMp3(ValueError):
    """The data does not start with MPEG audio at all (rather than breaking off somewhere in it)."""


@dataclass(frozen=True)
class Mp3Check:
    """What walking an MP3's frames found."""

    frames: int
    """Audio frames present (the Info frame not counted)."""
    promised: int | None
    """Audio frames its Xing/Info frame says it has, if it has one."""
    seconds: float
    """Length of the frames present."""


def verify_mp3(path: Path) -> Mp3Check:
    """Refuse (EssaycastError) an MP3 that does not decode whole: missing, not MPEG audio, damaged
    in the middle, cut short, or holding fewer frames than its Info frame promises."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if fh.seek(0, 2) else b""
    except FileNotFoundError:
        raise EssaycastError(f"episode audio not found: {path}", hint="check the MP3 path") from None
    except IsADirectoryError:
        raise EssaycastError(f"{path} is a directory, not an MP3") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        found = _walk(data)
    except NotMp3:
        raise EssaycastError(f"{path} is not an MP3 file", hint="podcast feeds need MP3 audio") from None
    except ValueError as exc:
        raise EssaycastError(f"{path} is not a whole MP3 file: {exc}", hint=MP3_HINT) from None
    finally:
        if isinstance(data, mmap.mmap):
            data.close()
    if found.promised is not None and found.frames != found.promised:
        raise EssaycastError(
            f"{path} is cut short: its header promises {found.promised} audio frames, it holds "
            f"{found.frames} ({found.seconds:.1f} s)", hint=MP3_HINT)
    return found


def _walk(data: bytes | mmap.mmap) -> Mp3Check:
    """Walk every frame; ValueError says where the stream stops being MP3."""
    at = _id3v2_size(data)
    frames, seconds, promised = 0, 0.0, None
    while at < len(data):
        header = int.from_bytes(data[at:at + 4], "big") if at + 4 <= len(data) else 0
        if header >> 21 != 0x7FF:
            if not frames and promised is None:
                raise NotMp3
            if any(data[at:at + len(tag)] == tag for tag in TRAILING_TAGS):
                break
            raise ValueError(f"damaged at byte {at}, {seconds:.1f} s in" if at + 4 <= len(data)
                             else f"cut short at byte {at}, {seconds:.1f} s in")
        size, samples, rate = _frame(header)
        if at + size > len(data):
            raise ValueError(f"cut short at byte {at} ({seconds:.1f} s in)")
        if frames == 0 and (count := _info_frames(data[at:at + size], header)) is not None:
            promised = count
        else:
            frames += 1
            seconds += samples / rate
        at += size
    if frames == 0 and promised is None:
        raise NotMp3
    return Mp3Check(frames=frames, promised=promised, seconds=seconds)


def _frame(header: int) -> tuple[int, int, int]:
    """(bytes, samples, sample rate) of the Layer III frame with this header; ValueError otherwise."""
    version, layer = (header >> 19) & 0b11, (header >> 17) & 0b11
    if version not in MPEG_VERSIONS or layer != 0b01:
        raise ValueError("it holds MPEG audio other than Layer III (MP3)")
    table, divisor = MPEG_VERSIONS[version]
    bitrate = LAYER3_BITRATES_KBPS[table][(header >> 12) & 0xF] * 1000 if (header >> 12) & 0xF != 15 else 0
    rate_index = (header >> 10) & 0b11
    if not bitrate or rate_index == 3:
        raise ValueError("a frame header has a bitrate or sample rate MP3 players do not take")
    rate = MPEG1_RATES[rate_index] // divisor
    per_frame = 1152 if table == 1 else 576
    return per_frame // 8 * bitrate // rate + ((header >> 9) & 1), per_frame, rate


def _info_frames(frame: bytes, header: int) -> int | None:
    """The frame count of a Xing/Info frame (None: an audio frame, or no count in it)."""
    mono = (header >> 6) & 0b11 == 0b11
    mpeg1 = (header >> 19) & 0b11 == 0b11
    at = 4 + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
    if frame[at:at + 4] not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(frame[at + 4:at + 8], "big")
    return int.from_bytes(frame[at + 8:at + 12], "big") if flags & 1 else None


def _id3v2_size(data: bytes | mmap.mmap) -> int:
    """Bytes taken by an ID3v2 tag at the start (0 if none)."""
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size + (10 if data[5] & 0x10 else 0)  # + footer


def media_name(slug: str, version: str, suffix: str) -> str:
    """File name of one of an episode's files: ``SLUG.SUFFIX``, or ``SLUG.VERSION.SUFFIX`` for an update."""
    return f"{slug}.{version}{suffix}" if version else f"{slug}{suffix}"


def choose_version(sources: Mapping[str, Path], folder: Path, slug: str, current: str | None) -> str:
    """The version (name tag) the files ``sources`` (suffix → file) are published under.

    ``current`` is the published episode's version (None for a new episode, which gets plain names).
    Files identical to the published ones keep their names; any difference gives all of them new ones.
    """
    if current is None:
        return ""
    if all(_same(source, folder / media_name(slug, current, suffix)) for suffix, source in sources.items()):
        return current
    digest = hashlib.sha256()
    for suffix, source in sorted(sources.items()):
        digest.update(suffix.encode() + b"\0")
        with open(source, "rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    version = digest.hexdigest()[:VERSION_CHARS]
    # The published files were changed by hand since they were named after this digest: new names
    # anyway, never a rewrite in place.
    return version if version != current else f"{version[:-1]}x"


def _same(source: Path, dest: Path) -> bool:
    return dest.is_file() and (dest.samefile(source) or filecmp.cmp(source, dest, shallow=False))


def needs_copy(source: Path, dest: Path) -> bool:
    """Whether ``dest`` must be written from ``source`` (it is missing or differs)."""
    return not _same(source, dest)


def orphans(folder: Path, slug: str, referenced: Iterable[str]) -> list[Path]:
    """Files of episode ``slug`` in ``folder`` (``episodes/``) that the feed does not link: the files an
    update replaced, or left by a publish of it stopped before its feed was written. Other episodes'
    files are left alone (a batch renders every episode into the site before publishing them)."""
    keep = {Path(name).name for name in referenced}
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if path.name.partition(".")[0] == slug and path.is_file() and path.name not in keep
                  and path.name.endswith(EPISODE_FILE_SUFFIXES))
