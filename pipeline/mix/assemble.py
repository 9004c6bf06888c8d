"""Assembly: rendered segments, pauses, intro and outro laid end to end on one timeline.

Every piece is resampled to the episode rate (``scipy.signal.resample_poly``), given short linear
fades with pydub (an ``AudioSegment`` of 32-bit samples with 18 dB of headroom, sample-accurate
fades for anything up to 100 ms) so no join clicks, and appended to a float sound file as it is
made: only one segment is in memory at a time, whatever the episode's length. Each piece's
loudness statistics (``pipeline.mix.stats``) are taken while it is in memory, so levelling needs
no second reading. Pauses are written as zeros in chunks (a ten-minute pause costs no memory),
with exactly ``round(ms * rate / 1000)`` frames. The ``Timeline`` records where every piece
landed, which is where cues, chapters and the ducking of the music bed come from.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from pipeline.errors import EssaycastError
from pipeline.mix.loudness import LoudnessMeter
from pipeline.mix.stats import Listening, PieceStats

INTRO = "<intro>"
"""Level group of the intro (angle brackets cannot occur in speaker names)."""
OUTRO = "<outro>"
"""Level group of the outro."""
HEADROOM_BITS = 3
"""pydub works on integers: full scale sits 3 bits (18 dB) below the int32 limit so overs survive."""
SILENCE_CHUNK = 1 << 16
"""Frames of silence written per call."""


@dataclass(frozen=True)
class Span:
    """One piece of audio on the episode timeline."""

    start: int
    """First frame."""
    end: int
    """Frame after the last one."""
    group: str
    """Whose level applies: the speaker's name, ``INTRO`` or ``OUTRO``."""
    section: int = -1
    """Script section of a speech span (-1 for intro/outro)."""
    index: int = -1
    """Segment index within the section (-1 for intro/outro)."""

    @property
    def is_speech(self) -> bool:
        """Whether this is a rendered segment (not intro/outro)."""
        return self.section >= 0


@dataclass(frozen=True)
class Timeline:
    """Where everything landed in the assembled (not yet levelled) voice track."""

    rate: int
    """Episode sample rate."""
    frames: int
    """Total length."""
    spans: tuple[Span, ...]
    """Intro, every segment, outro, in time order."""
    loudness: dict[str, float]
    """Integrated loudness (LUFS) of each level group, measured over that group's audio only."""
    stats: tuple[PieceStats, ...] = ()
    """Loudness statistics of each span's audio, in the order of ``spans`` (empty once laid out)."""

    @property
    def speech(self) -> tuple[Span, ...]:
        """The segment spans, in script order."""
        return tuple(span for span in self.spans if span.is_speech)

    def ms(self, frame: int) -> int:
        """A frame position in whole milliseconds."""
        return round(frame * 1000 / self.rate)

    @cached_property
    def _starts(self) -> np.ndarray:
        return np.array([span.start for span in self.spans], dtype=np.int64)

    def overlapping(self, first: int, count: int) -> Iterator[tuple[Span, int, int]]:
        """The spans inside frames ``first … first + count``, each with its part as offsets in that block."""
        lo = max(0, int(np.searchsorted(self._starts, first, side="right")) - 1)
        hi = int(np.searchsorted(self._starts, first + count, side="left"))
        for span in self.spans[lo:hi]:
            a, b = max(span.start, first) - first, min(span.end, first + count) - first
            if a < b:
                yield span, a, b


def resample(x: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """``x`` at ``to_rate`` (polyphase, anti-aliased)."""
    if rate == to_rate:
        return x
    from scipy.signal import resample_poly

    common = math.gcd(rate, to_rate)
    return resample_poly(x, to_rate // common, rate // common).astype(np.float32)


def faded(x: np.ndarray, rate: int, fade_ms: int) -> np.ndarray:
    """``x`` with a linear fade-in and fade-out of ``fade_ms`` (at most half its length)."""
    with warnings.catch_warnings():  # pydub warns about ffmpeg and audioop on import; neither matters here
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment

    scale = float(1 << (31 - HEADROOM_BITS))
    ints = np.clip(np.round(x * scale), -(2**31), 2**31 - 1).astype("<i4")
    audio = AudioSegment(data=ints.tobytes(), sample_width=4, frame_rate=rate, channels=1)
    ms = min(fade_ms, len(audio) // 2)
    if ms > 0:
        audio = audio.fade_in(ms).fade_out(ms)
    return np.frombuffer(audio.raw_data, dtype="<i4").astype(np.float32) / scale


def read_mono(path: Path, what: str, *, probe: bool = False) -> tuple[np.ndarray, int]:
    """A sound file as mono float32 (channels averaged) and its rate; unreadable → EssaycastError.

    With ``probe`` only the header is read (an empty array is returned): a cheap early check.
    """
    import soundfile

    if not Path(path).is_file():
        raise EssaycastError(f"{what} file not found: {path}", hint=f"fix the {what} path in the script")
    try:
        if probe:
            return np.zeros(0, dtype=np.float32), soundfile.info(path).samplerate
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, OSError, RuntimeError) as exc:
        raise EssaycastError(f"cannot read {what} {path}: {exc}",
                             hint="use a WAV, FLAC, OGG or MP3 file") from None
    return data.mean(axis=1), rate


@dataclass(frozen=True)
class Piece:
    """Something to place on the timeline: where its audio comes from and what follows it."""

    load: Callable[[], tuple[np.ndarray, int]]
    """Reads the audio (mono float32, its rate) when it is placed."""
    source: Path
    """The file ``load`` reads (what identifies the audio)."""
    group: str
    """Level group (speaker, INTRO or OUTRO)."""
    pause_ms: int = 0
    """Silence after it."""
    section: int = -1
    """Script section (-1 for intro/outro)."""
    index: int = -1
    """Segment index within the section."""
    seconds: float = 0.0
    """Length of its audio when known before it is read (0: not known): what tells, with the pauses,
    how long a part will be before it is assembled."""

    @property
    def is_speech(self) -> bool:
        """Whether this is a rendered segment (not intro/outro)."""
        return self.section >= 0


def assemble(
    pieces: Sequence[Piece],
    out: Path,
    rate: int,
    fade_ms: int,
    on_piece: Callable[[int, int], None] | None = None,
    *,
    statistics: bool = True,
) -> Timeline:
    """Write ``pieces`` end to end into the float sound file ``out``; return where they landed.

    With ``statistics`` each piece's loudness statistics go into the timeline, for levelling to be
    modelled on; they take a few kB per second of audio. Without (under a music bed, or for a part too
    long to model, the mix itself is listened to), each group is metered as it goes by, and memory
    stays flat however long the part.
    """
    import soundfile

    spans: list[Span] = []
    stats: list[PieceStats] = []
    meters: dict[str, LoudnessMeter] = {}
    position = 0
    # Through a Python file object: libsndfile fsyncs a file it opened itself when closing it, and
    # this scratch file never needs to reach the disk (that wait was up to a second per episode).
    with open(out, "wb") as raw, soundfile.SoundFile(raw, "w", samplerate=rate, channels=1, format="W64",
                                                    subtype="FLOAT") as sink:
        for done, piece in enumerate(pieces, 1):
            audio, piece_rate = piece.load()
            audio = faded(resample(audio, piece_rate, rate), rate, fade_ms)
            sink.write(audio)
            if statistics:
                stats.append(PieceStats.of(audio, rate))
            else:
                meters.setdefault(piece.group, LoudnessMeter(rate)).feed(audio)
            spans.append(Span(position, position + len(audio), piece.group, piece.section, piece.index))
            position += len(audio)
            silence = round(piece.pause_ms * rate / 1000)
            for chunk in range(0, silence, SILENCE_CHUNK):
                sink.write(np.zeros(min(SILENCE_CHUNK, silence - chunk), dtype=np.float32))
            position += silence
            if on_piece:
                on_piece(done, len(pieces))
    if statistics:
        groups = dict.fromkeys(piece.group for piece in pieces)
        loudness = Listening(spans, stats, position, rate).heard(dict.fromkeys(groups, 0.0)).groups
    else:
        loudness = {group: meter.integrated() for group, meter in meters.items()}
    return Timeline(rate=rate, frames=position, spans=tuple(spans), loudness=loudness, stats=tuple(stats))
