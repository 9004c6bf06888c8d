"""Joining separately encoded MP3s: the frames, the rewritten Info frame and where each part is heard."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given
from hypothesis import strategies as st

from pipeline.mix.master import MixOptions
from pipeline.mix.mpeg import FRAME_SAMPLES, Stream, crc16, crc16_combine, frame_sizes, join

RATE = 44100


def _encoded(tmp_path: Path, name: str, x: np.ndarray) -> Path:
    path = tmp_path / f"{name}.mp3"
    soundfile.write(path, x, RATE, format="MP3", subtype="MPEG_LAYER_III", bitrate_mode="CONSTANT",
                    compression_level=MixOptions().compression_level)  # as episodes are encoded
    return path


def _burst(seconds: float, at: float, hz: float) -> np.ndarray:
    """Silence with a 0.3 s tone starting at ``at`` seconds."""
    x = np.zeros(round(seconds * RATE))
    start = round(at * RATE)
    x[start: start + round(0.3 * RATE)] = 0.3 * np.sin(2 * np.pi * hz * np.arange(round(0.3 * RATE)) / RATE)
    return x


def _bitwise_crc16(data: bytes) -> int:
    """CRC-16/ARC bit by bit, as the LAME sources define it (independent of the table in mpeg.py)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[Stream], list[int], int, Path]:
    tmp_path = tmp_path_factory.mktemp("mpeg")
    parts = [_burst(1.0, 0.2, 500), _burst(1.37, 0.5, 1000), _burst(0.81, 0.1, 1500)]
    streams = [Stream.open(_encoded(tmp_path, f"p{i}", x)) for i, x in enumerate(parts)]
    with open(tmp_path / "joined.mp3", "wb") as sink:
        offsets, total = join(streams, sink)
    return (tmp_path / "joined.mp3").read_bytes(), streams, offsets, total, tmp_path / "joined.mp3"


def test_a_part_decodes_to_exactly_what_was_encoded(tmp_path: Path) -> None:
    x = _burst(1.5, 0.4, 440)
    path = _encoded(tmp_path, "one", x)
    stream = Stream.open(path)
    data = path.read_bytes()
    assert len(stream.info) + sum(stream.frame_sizes) == len(data)
    assert len(stream.frame_sizes) * FRAME_SAMPLES - stream.delay - stream.padding == len(x)  # gapless length
    assert stream.delay == 576
    assert stream.music_crc == _bitwise_crc16(data[len(stream.info):])
    decoded, _ = soundfile.read(tmp_path / "one.mp3")
    assert len(decoded) == len(x)


def test_joined_parts_decode_gaplessly_where_the_offsets_say(joined) -> None:
    _, streams, offsets, total, path = joined
    decoded, rate = soundfile.read(path)
    assert rate == RATE and len(decoded) == total
    assert offsets[0] == 0
    assert total == sum(len(s.frame_sizes) for s in streams) * 1152 - 576 - streams[-1].padding
    for offset, at in zip(offsets, (0.2, 0.5, 0.1), strict=True):
        heard = offset + int(np.flatnonzero(np.abs(decoded[offset:]) > 0.1)[0])
        assert abs(heard - (offset + round(at * RATE))) < 10
    assert offsets[1] - offsets[0] >= round(1.0 * RATE)  # nothing of a part is lost


def test_the_info_frame_describes_the_whole_stream(joined) -> None:
    data, streams, _, _, path = joined
    whole = Stream.open(path)
    frames, length = struct.unpack_from(">II", whole.info, whole.xing + 8)
    assert frames == len(whole.frame_sizes) == sum(len(s.frame_sizes) for s in streams)
    assert length == len(data) == struct.unpack_from(">I", whole.info, whole.lame + 28)[0]
    assert whole.delay == streams[0].delay and whole.padding == streams[-1].padding
    assert whole.music_crc == _bitwise_crc16(data[len(whole.info):])
    tag_crc = struct.unpack_from(">H", whole.info, whole.lame + 34)[0]
    assert tag_crc == _bitwise_crc16(whole.info[: whole.lame + 34])
    toc = whole.info[whole.xing + 16: whole.xing + 116]
    assert toc[0] == 0 and list(toc) == sorted(toc) and toc[50] == pytest.approx(128, abs=3)


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crcs_combine_as_if_computed_over_both(a: bytes, b: bytes) -> None:
    assert crc16_combine(crc16(a), crc16(b), len(b)) == crc16(a + b) == _bitwise_crc16(a + b)


@pytest.mark.parametrize(("data", "message"), [
    (b"ID3\x04", "no MPEG-1 Layer III frame"),
    (b"", "no MPEG frames"),
])
def test_what_is_not_an_mp3_of_ours_is_refused(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "x.mp3").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        Stream.open(tmp_path / "x.mp3")


def test_a_stream_without_info_frame_or_cut_short_is_refused(tmp_path: Path) -> None:
    data = _encoded(tmp_path, "x", _burst(0.5, 0.1, 300)).read_bytes()
    with open(tmp_path / "x.mp3", "rb") as fh:
        first = frame_sizes(fh)[0]
    (tmp_path / "bare.mp3").write_bytes(data[first:])
    with pytest.raises(ValueError, match="not an Info frame"):
        Stream.open(tmp_path / "bare.mp3")
    (tmp_path / "short.mp3").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="cut short"):
        Stream.open(tmp_path / "short.mp3")
