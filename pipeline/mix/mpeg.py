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
import struct
from collections.abc import Sequence
from dataclasses import dataclass

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
LAME_MUSIC_LENGTH, LAME_MUSIC_CRC, LAME_TAG_CRC, LAME_DELAY = 28, 32, 34, 21
"""Offsets of fields in LAME's tag: bytes of the stream, CRC of its audio frames, CRC of the Info
frame up to that point, and the 12-bit encoder delay and padding."""


def mpeg_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of every MPEG-1 Layer III frame in ``data``, which must start with one and
    hold nothing else (what libsndfile writes); ValueError otherwise."""
    frames, offset = [], 0
    while offset < len(data):
        header = int.from_bytes(data[offset: offset + 4], "big")
        # 11 sync bits, MPEG-1 (11), Layer III (01): the top 15 bits of every frame we write
        if len(data) - offset < 4 or header >> 17 != 0b111111111111101:
            raise ValueError(f"no MPEG-1 Layer III frame at byte {offset}")
        bitrate = BITRATES_KBPS[(header >> 12) & 0xF] * 1000
        rate_index = (header >> 10) & 0x3
        if not bitrate or rate_index == 3:
            raise ValueError(f"unsupported frame header at byte {offset}")
        length = 144 * bitrate // RATES[rate_index] + ((header >> 9) & 1)
        frames.append((offset, length))
        offset += length
    return frames


@dataclass(frozen=True)
class Stream:
    """One encoded MP3: its Info frame, its audio frames and what LAME's tag says of them."""

    info: bytes
    """The Info frame."""
    audio: bytes
    """The audio frames."""
    frame_sizes: tuple[int, ...]
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
    """CRC-16 of ``audio``."""

    @classmethod
    def parse(cls, data: bytes) -> Stream:
        """Split an MP3 as libsndfile writes it; ValueError if it has no Info frame with LAME's tag."""
        frames = mpeg_frames(data)
        if not frames:
            raise ValueError("no MPEG frames")
        info = data[: frames[0][1]]
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
        return cls(info=info, audio=data[frames[0][1]:], frame_sizes=tuple(size for _, size in frames[1:]),
                   xing=xing, lame=lame, delay=(a << 4) | (b >> 4), padding=((b & 0xF) << 8) | c,
                   music_crc=struct.unpack_from(">H", info, lame + LAME_MUSIC_CRC)[0])

    @property
    def samples(self) -> int:
        """How many samples a gapless decoder gives."""
        return len(self.frame_sizes) * FRAME_SAMPLES - self.delay - self.padding


def join(streams: Sequence[Stream]) -> tuple[bytes, list[int], int]:
    """One MP3 of ``streams`` in order; where each stream's first sample is heard in it and how many
    samples it has, both as a gapless decoder gives them (the first stream's Info frame, rewritten,
    describes the whole)."""
    first, last = streams[0], streams[-1]
    offsets, heard = [], -first.delay
    for stream in streams:
        offsets.append(heard + stream.delay)
        heard += len(stream.frame_sizes) * FRAME_SAMPLES
    total = heard - last.padding
    sizes = [size for stream in streams for size in stream.frame_sizes]
    info = bytearray(first.info)
    length = len(info) + sum(sizes)
    struct.pack_into(">II", info, first.xing + 8, len(sizes), length)
    starts = [0]  # where each audio frame starts, after the Info frame (as LAME counts them)
    for size in sizes[:-1]:
        starts.append(starts[-1] + size)
    for i in range(TOC_ENTRIES):
        info[first.xing + 16 + i] = min(255, 256 * starts[i * len(sizes) // TOC_ENTRIES] // length)
    delay_padding = (first.delay << 12) | last.padding
    info[first.lame + LAME_DELAY: first.lame + LAME_DELAY + 3] = delay_padding.to_bytes(3, "big")
    music_crc = 0
    for stream in streams:
        music_crc = crc16_combine(music_crc, stream.music_crc, len(stream.audio))
    struct.pack_into(">IH", info, first.lame + LAME_MUSIC_LENGTH, length, music_crc)
    struct.pack_into(">H", info, first.lame + LAME_TAG_CRC, crc16(bytes(info[: first.lame + LAME_TAG_CRC])))
    return bytes(info) + b"".join(stream.audio for stream in streams), offsets, total


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
