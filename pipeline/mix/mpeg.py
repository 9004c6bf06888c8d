"""MPEG-1 Layer III streams as libsndfile writes them: their frames, and several joined into one.

libsndfile (LAME inside) starts every MP3 with an "Info" frame: a frame without audio that holds the
number of frames and bytes, a seek table and LAME's tag, which gives the encoder delay before the
first sample and the padding after the last, so that decoders play exactly the samples that were
encoded (gapless playback); CRC-16s guard the tag and the audio frames. ``join`` lays the audio
frames of several such streams end to end behind one Info frame rewritten for the whole: decoders
trim the first stream's delay and the last one's padding, and the padding and delay where two
streams meet stay in as some 50 ms of silence (streams are joined at a section break), counted in
the offsets ``join`` returns.

A stream's frames can follow another's because LAME's bit reservoir never reaches back past a
stream's first frame.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FRAME_SAMPLES = 1152
"""Samples per MPEG-1 Layer III frame."""
BITRATES_KBPS: tuple[int, ...] = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""MPEG-1 Layer III bitrate of each header bitrate index (0 = free format, which LAME never writes)."""
RATES: tuple[int, ...] = (44100, 48000, 32000)
"""MPEG-1 sample rate of each header rate index."""
XING_FIELDS = 0x7
"""Xing flags the Info frame must have for ``join``: frame count, byte count and seek table."""
TOC_ENTRIES = 100
"""Seek table entries: the byte position (in 256ths of the file) at each per cent of the duration."""
COPY_BLOCK = 1 << 20
"""Bytes copied at a time when joining."""
LAME_MUSIC_LENGTH, LAME_MUSIC_CRC, LAME_TAG_CRC, LAME_DELAY = 28, 32, 34, 21
"""Offsets of fields in LAME's tag: bytes of the stream, CRC of its audio frames, CRC of the Info
frame up to that point, and the 12-bit encoder delay and padding."""


def frame_sizes(fh: BinaryIO) -> array[int]:
    """Length in bytes of every MPEG-1 Layer III frame from ``fh``'s position to its end, which must
    hold nothing but such frames (what libsndfile writes); ValueError otherwise. Only the 4-byte
    headers are read, so a two-hour stream costs no memory."""
    sizes: array[int] = array("H")
    start = offset = fh.tell()
    end = fh.seek(0, os.SEEK_END)
    while offset < end:
        fh.seek(offset)
        header = int.from_bytes(fh.read(4), "big")
        # 11 sync bits, MPEG-1 (11), Layer III (01): the top 15 bits of every frame we write
        if end - offset < 4 or header >> 17 != 0b111111111111101:
            raise ValueError(f"no MPEG-1 Layer III frame at byte {offset - start}")
        bitrate = BITRATES_KBPS[(header >> 12) & 0xF] * 1000
        rate_index = (header >> 10) & 0x3
        if not bitrate or rate_index == 3:
            raise ValueError(f"unsupported frame header at byte {offset - start}")
        sizes.append(144 * bitrate // RATES[rate_index] + ((header >> 9) & 1))
        offset += sizes[-1]
    if offset > end:
        raise ValueError("the last frame is cut short")
    return sizes


@dataclass(frozen=True)
class Stream:
    """One encoded MP3 file: its Info frame, the sizes of its audio frames and what LAME's tag says."""

    path: Path
    """The file."""
    info: bytes
    """The Info frame (the audio frames follow it)."""
    frame_sizes: array[int]
    """Length in bytes of each audio frame."""
    xing: int
    """Where the Xing/Info tag starts in ``info``."""
    lame: int
    """Where LAME's tag starts in ``info``."""
    delay: int
    """Encoder delay in samples."""
    padding: int
    """Samples after the last encoded one, up to the end of the last frame."""
    music_crc: int
    """CRC-16 of the audio frames."""

    @classmethod
    def open(cls, path: Path) -> Stream:
        """Read an MP3 as libsndfile writes it; ValueError if it has no Info frame with LAME's tag."""
        with open(path, "rb") as fh:
            sizes = frame_sizes(fh)
            if not sizes:
                raise ValueError("no MPEG frames")
            fh.seek(0)
            info = fh.read(sizes[0])
        mono = (info[3] >> 6) == 3
        xing = 4 + (17 if mono else 32)  # after the header and the side information
        if info[xing: xing + 4] not in (b"Info", b"Xing"):
            raise ValueError("the first frame is not an Info frame")
        flags = struct.unpack_from(">I", info, xing + 4)[0]
        if flags & XING_FIELDS != XING_FIELDS:
            raise ValueError("the Info frame lacks the frame count, byte count or seek table")
        lame = xing + 8 + 4 + 4 + TOC_ENTRIES + (4 if flags & 0x8 else 0)
        if info[lame: lame + 4] != b"LAME":
            raise ValueError("the Info frame has no LAME tag")
        a, b, c = info[lame + LAME_DELAY: lame + LAME_DELAY + 3]
        return cls(path=Path(path), info=info, frame_sizes=sizes[1:], xing=xing, lame=lame,
                   delay=(a << 4) | (b >> 4), padding=((b & 0xF) << 8) | c,
                   music_crc=struct.unpack_from(">H", info, lame + LAME_MUSIC_CRC)[0])


def join(streams: Sequence[Stream], sink: BinaryIO) -> tuple[list[int], int]:
    """Write one MP3 of ``streams`` in order to ``sink``; return where each stream's first sample is
    heard in it and how many samples it has, both as a gapless decoder gives them. The first
    stream's Info frame, rewritten, describes the whole; the audio is copied a block at a time."""
    first, last = streams[0], streams[-1]
    offsets, heard = [], -first.delay
    for stream in streams:
        offsets.append(heard + stream.delay)
        heard += len(stream.frame_sizes) * FRAME_SAMPLES
    frames = sum(len(stream.frame_sizes) for stream in streams)
    audio = sum(sum(stream.frame_sizes) for stream in streams)
    info = bytearray(first.info)
    length = len(info) + audio
    struct.pack_into(">II", info, first.xing + 8, frames, length)
    info[first.xing + 16: first.xing + 16 + TOC_ENTRIES] = _seek_table(streams, frames, length)
    delay_padding = (first.delay << 12) | last.padding
    info[first.lame + LAME_DELAY: first.lame + LAME_DELAY + 3] = delay_padding.to_bytes(3, "big")
    music_crc = 0
    for stream in streams:
        music_crc = crc16_combine(music_crc, stream.music_crc, sum(stream.frame_sizes))
    struct.pack_into(">IH", info, first.lame + LAME_MUSIC_LENGTH, length, music_crc)
    struct.pack_into(">H", info, first.lame + LAME_TAG_CRC, crc16(bytes(info[: first.lame + LAME_TAG_CRC])))
    sink.write(info)
    for stream in streams:
        with open(stream.path, "rb") as fh:
            fh.seek(len(stream.info))
            shutil.copyfileobj(fh, sink, COPY_BLOCK)
    return offsets, heard - last.padding


def _seek_table(streams: Sequence[Stream], frames: int, length: int) -> bytes:
    """The Xing seek table: at each per cent of the frames, where that frame starts after the Info
    frame (as LAME counts), in 256ths of the whole stream."""
    wanted = [i * frames // TOC_ENTRIES for i in range(TOC_ENTRIES)]
    table, position = bytearray(), 0
    for frame, size in enumerate(itertools.chain.from_iterable(stream.frame_sizes for stream in streams)):
        while len(table) < TOC_ENTRIES and wanted[len(table)] == frame:
            table.append(min(255, 256 * position // length))
        position += size
    return bytes(table)


@functools.cache
def _crc_table() -> tuple[int, ...]:
    """CRC-16/ARC (LAME's CRC: polynomial 0x8005, bits reflected) of every byte value."""
    table = []
    for value in range(256):
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


def crc16(data: bytes, crc: int = 0) -> int:
    """LAME's CRC-16 of ``data`` (continuing from ``crc``)."""
    table = _crc_table()
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """The CRC-16 of A followed by B, from the CRCs of A and B and the length of B.

    The CRC is linear: A's CRC run on through ``length_b`` zero bytes, plus B's own. Running it
    through n zero bytes is a 16 × 16 bit matrix to the n-th power, done by repeated squaring, so
    joining megabytes of frames costs microseconds instead of a pass over every byte.
    """
    table = _crc_table()
    operator = [(1 << bit >> 8) ^ table[(1 << bit) & 0xFF] for bit in range(16)]  # one zero byte
    while length_b:
        if length_b & 1:
            crc_a = _times(operator, crc_a)
        operator = [_times(operator, column) for column in operator]
        length_b >>= 1
    return crc_a ^ crc_b


def _times(matrix: Sequence[int], vector: int) -> int:
    """A GF(2) matrix (one int per column) times a bit vector."""
    out, bit = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[bit]
        vector >>= 1
        bit += 1
    return out
