"""Mastering: rendered segments → one podcast MP3 with tags, chapters and transcripts.

``master`` runs the whole mixing stage with memory that does not grow with the episode:

1. check every input file and open every output (atomically) before any work;
2. cut the episode into parts at its section breaks (``parts``) and take every part already
   mastered from the part cache; the others are mastered side by side, each in four steps:
   a. assemble its intro, segments, pauses and outro into a temporary float file (``assemble``),
      taking each piece's loudness statistics on the way (``stats``);
   b. level the speakers: gain each speaker until it is heard at the target after the limiter
      (``levels.balance``), so all are within ±1.5 LU of each other whatever their peaks; the
      limited loudness is arithmetic on the statistics (``levels.modelled``), or, under a music
      bed or for a part longer than `MODELLED_PART_S`, measured on the mix streamed through the
      limiter (``levels.streamed``);
   c. gain the whole part once to the target, limit true peaks with a look-ahead limiter and
      encode the MP3 (and the lossless master) with libsndfile;
   d. decode the MP3 and measure it: if encoding pushed the true peak over the ceiling or the
      loudness off target, adjust the limiter ceiling / gain and encode again (at most
      ``ATTEMPTS`` times; a part still over the ceiling after the last is refused, never shipped);
3. lay the parts' MPEG frames end to end, placing every piece where it is heard;
4. tag the MP3 (ID3v2 with chapters) and write the sidecars (chapters JSON, VTT, SRT, cover).

Every part is levelled to the target on its own, so each section of a long episode is as loud as
the next, and changing one section (a voice swapped, a sentence rewritten) re-masters that part
alone. An episode with a music bed or a lossless master is one part. ``EarlyParts`` masters parts
into the part cache while synthesis is still running, as soon as their segments are in.

An MP3 that is already up to date is not mastered again: its tag holds a ``fingerprint`` of
everything that shapes the output, and when that matches and every file the run would write is
there, ``master`` returns the existing episode.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import math
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.files import atomic_paths, check_writable, file_identity, scratch_dir
from pipeline.mix import sidecars
from pipeline.mix.episode import Chapter, Cue, Episode
from pipeline.mix.levels import balance, modelled, streamed

if TYPE_CHECKING:
    import numpy as np
    import soundfile

    from pipeline.mix.assemble import Piece, Timeline
    from pipeline.mix.bed import Bed
    from pipeline.mix.levels import Levels
    from pipeline.mix.loudness import Measurement
    from pipeline.mix.parts import MasteredPart
    from pipeline.script.model import Script
    from pipeline.synth.render import RenderedSegment

Progress = Callable[[str, int, int], None]
"""``on_progress(phase, done, total)``; phases: assembling, mixing, mastering, verifying."""
PartMaster = Callable[["_Episode", Sequence["Piece"], Path, float, Progress], "MasteredPart"]
"""Masters one part in a new folder: (episode, its pieces, the folder, the encoder's gain, progress)."""

MP3_BITRATES_KBPS: tuple[int, ...] = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""Constant bitrates MPEG-1 Layer III allows."""
EPISODE_RATES: tuple[int, ...] = (32000, 44100, 48000)
"""MPEG-1 sample rates (the ones every podcast app plays)."""
MASTER_FORMATS: dict[str, tuple[str, str]] = {"flac": ("FLAC", "PCM_24"), "wav": ("WAV", "PCM_24")}
"""Lossless master name → libsndfile format and subtype."""
COVER_SUFFIX: dict[str, str] = {"image/jpeg": ".jpg", "image/png": ".png"}
"""Cover MIME type → suffix of the copy written beside the MP3."""
LOUDNESS_RANGE: tuple[float, float] = (-30.0, -10.0)
"""Sane integrated loudness targets (podcasts use -19 … -14)."""
CEILING_RANGE: tuple[float, float] = (-9.0, 0.0)
"""Sane true-peak ceilings."""
BLOCK = 1 << 16
"""Frames per streamed block."""
FIRST_MARGIN_DB = 0.7
"""The limiter starts this far under the ceiling, because MP3 encoding adds to the peaks: on the seed
episode at 96 kbps the MP3 peaked 0.53-0.56 dB over the limiter's ceiling, so a 0.3 dB margin always
cost a second encoding (half of mastering's time); 0.7 dB lands the first one under the ceiling."""
LOUDNESS_AIM_LU = 0.5
"""Encode again when the MP3's loudness is further than this from the target."""
ATTEMPTS = 4
"""Encodings tried; after the last, a loudness still off target is accepted, a peak over the ceiling
is refused."""
MODELLED_PART_S = 30 * 60.0
"""Longest part (speech and pauses) levelled on its statistics. Modelling keeps a few numbers per
2.4 ms and works on arrays of the whole part, about 2 MB per minute at its peak (a lossless master of
17 → 43 minutes, one part: 157 → 211 MB); a longer part (an episode with no section breaks, a long
lossless master) is levelled by listening to it, 3–5 limited passes, in memory that does not grow."""
FINGERPRINT_VERSION = 3
"""Bumped whenever mastering changes what it makes of the same inputs, so older MP3s are redone."""
PHASES: tuple[str, ...] = ("assembling", "mixing", "mastering", "verifying")
"""Progress phases, in order (all reported done at once when the MP3 is up to date)."""
PART_OPTIONS: tuple[str, ...] = ("target_lufs", "ceiling_dbtp", "bitrate_kbps", "rate", "fade_ms")
"""The mixing options that shape a part's audio (and so are part of its cache key)."""


@dataclass(frozen=True)
class MixOptions:
    """How the episode is mastered and encoded."""

    target_lufs: float = -16.0
    """Integrated loudness of the episode (ITU BS.1770); -16 is the podcast norm for mono/stereo."""
    ceiling_dbtp: float = -1.0
    """Highest true peak allowed in the MP3."""
    bitrate_kbps: int = 96
    """Constant MP3 bitrate (96–128 kbps is Apple's recommendation for spoken mono)."""
    rate: int = 44100
    """Episode sample rate; the episode is mono."""
    fade_ms: int = 10
    """Fade at the start and end of every segment, intro and outro, so joins never click."""
    bed_fade_ms: int = 2000
    """Fade-in and fade-out of the music bed at the ends of the spoken part."""
    master_format: str = ""
    """Also write a lossless master: ``"flac"``, ``"wav"`` or ``""`` for none."""
    cover: Path | None = None
    """Cover image (JPEG/PNG) overriding the script's; relative paths are taken as given."""
    album: str = ""
    """Album tag (the podcast's title); defaults to the script's title."""
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())
    """Recording date tag, ISO 8601."""

    def __post_init__(self) -> None:
        low, high = LOUDNESS_RANGE
        if not low <= self.target_lufs <= high:
            raise EssaycastError(f"loudness target {self.target_lufs:g} LUFS is out of range",
                                 hint=f"use {low:g} … {high:g} LUFS (podcasts use -16)")
        low, high = CEILING_RANGE
        if not low <= self.ceiling_dbtp <= high:
            raise EssaycastError(f"true-peak ceiling {self.ceiling_dbtp:g} dBTP is out of range",
                                 hint=f"use {low:g} … {high:g} dBTP (podcasts use -1)")
        if self.bitrate_kbps not in MP3_BITRATES_KBPS:
            raise EssaycastError(f"{self.bitrate_kbps} kbps is not an MP3 bitrate",
                                 hint="use 96 or 128 (or " + ", ".join(map(str, MP3_BITRATES_KBPS)) + ")")
        if self.rate not in EPISODE_RATES:
            raise EssaycastError(f"{self.rate} Hz is not an MP3 sample rate", hint="use 44100")
        if self.master_format not in ("", *MASTER_FORMATS):
            raise EssaycastError(f"unknown master format {self.master_format!r}", hint="use flac or wav")
        if not 0 <= self.fade_ms <= 100 or self.bed_fade_ms < 0:
            raise EssaycastError("fades must be 0 … 100 ms (segments) and not negative (bed)")
        try:
            datetime.date.fromisoformat(self.date)
        except ValueError:
            raise EssaycastError(f"bad date {self.date!r}", hint="use YYYY-MM-DD") from None

    @property
    def compression_level(self) -> float:
        """libsndfile's MP3 compression level for ``bitrate_kbps``.

        libsndfile 1.2 maps a level c to a constant bitrate of int(320 - c * 288) kbps at
        32–48 kHz; half a kbps of slack keeps float rounding from truncating to the rate below.
        """
        return (320 - self.bitrate_kbps - 0.5) / 288


@dataclass(frozen=True)
class _Inputs:
    """Every file ``master`` reads, resolved and checked."""

    intro: Path | None
    outro: Path | None
    bed: Path | None
    cover: Path | None
    cover_mime: str


def master(
    script: Script,
    segments: Sequence[RenderedSegment],
    out: Path,
    options: MixOptions | None = None,
    *,
    base_dir: Path,
    on_progress: Progress | None = None,
    part_master: PartMaster | None = None,
) -> Episode:
    """Mix, master, encode and tag one episode; returns it with measured loudness and true peak.

    ``segments`` are the rendered segments of ``script`` in script order; ``base_dir`` resolves the
    script's relative intro/outro/bed/cover paths. ``out`` is the MP3 (``NAME.mp3``); sidecars
    ``NAME.chapters.json``, ``NAME.vtt``, ``NAME.srt``, the cover copy ``NAME.jpg|png`` and the
    lossless master ``NAME.flac|wav`` go beside it. Bad input raises EssaycastError before any
    work; on any error no output file is left behind. ``part_master`` masters each part somewhere
    else (`pipeline.mix.parts.RemoteParts`: on a Dask cluster's workers) instead of on this machine.
    """
    options = options or MixOptions()
    out = _check_output(out)
    _check_segments(script, segments)
    inputs = _resolve_inputs(script, options, Path(base_dir))
    report = on_progress or (lambda phase, done, total: None)

    targets = _targets(out, options, inputs)
    digest = fingerprint(script, segments, options, inputs)
    if _up_to_date(out, digest, targets.values()):
        for phase in PHASES:
            report(phase, 1, 1)
        return Episode.load(out)
    # The MP3 is renamed into place last: its fingerprint tag says the set is current.
    with atomic_paths({**targets, "mp3": out}) as tmp, scratch_dir(out, "mix") as work:
        mp3 = tmp["mp3"]
        pieces = _pieces(script, segments, inputs)
        episode = _Episode(script, options, inputs, tmp.get("master"))
        parts = _master_parts(episode, pieces, work, report, part_master or _master_part)
        timeline = _lay_out(parts, pieces, mp3, options.rate)
        loudness, true_peak = _measured(parts)
        cues, chapters = _cues(script, timeline), _chapters(script, timeline)
        _write_outputs(script, options, inputs, mp3, tmp, cues, chapters, loudness, true_peak, out.name,
                       digest)
    return Episode(
        audio=out, title=script.title, duration_ms=timeline.ms(timeline.frames), chapters=chapters,
        cues=cues, author=script.author, description=script.description, language=script.language,
        loudness_lufs=loudness, true_peak_dbtp=true_peak, cover=targets.get("cover"),
        chapters_json=targets["chapters_json"], vtt=targets["vtt"], srt=targets["srt"],
        master=targets.get("master"), album=options.album or script.title, date=options.date,
    )


def preflight(script: Script, out: Path, options: MixOptions | None = None, *, base_dir: Path) -> None:
    """Refuse now what ``master`` would refuse only after synthesis: a bad output name or folder,
    a missing or unreadable intro, outro, bed or cover."""
    out, options = _check_output(out), options or MixOptions()
    inputs = _resolve_inputs(script, options, Path(base_dir))
    check_writable(*_targets(out, options, inputs).values(), out)


def _targets(out: Path, options: MixOptions, inputs: _Inputs) -> dict[str, Path]:
    """Every file written beside the MP3 ``out``, by name: sidecars, cover copy, lossless master."""
    targets = {name: sidecars.sidecar_path(out, name) for name in sidecars.SIDECAR_SUFFIXES}
    if inputs.cover:
        targets["cover"] = out.with_suffix(COVER_SUFFIX[inputs.cover_mime])
    if options.master_format:
        targets["master"] = out.with_suffix(f".{options.master_format}")
    return targets


def fingerprint(
    script: Script, segments: Sequence[RenderedSegment], options: MixOptions, inputs: _Inputs
) -> str:
    """Digest of everything that shapes the mastered files.

    The script as the mix uses it (titles, speakers, text, pauses, metadata, audio settings), each
    rendered segment's audio file (the cache names it by its content; size and modification time
    catch a file rewritten in place), the intro, outro, bed and cover files, every mixing option
    but the date, and `FINGERPRINT_VERSION`. The date is left out because it defaults to today: an
    unchanged episode re-rendered tomorrow keeps the date it was mastered on.
    """

    def file_id(path: Path | None) -> list[object] | None:
        return None if path is None else file_identity(path)

    document = {
        "version": FINGERPRINT_VERSION,
        "script": [script.title, script.author, script.description, script.language,
                   dataclasses.asdict(script.audio)],
        "sections": [[section.title, [[segment.speaker, segment.text, segment.pause_after.ms]
                                      for segment in section.segments]] for section in script.sections],
        "segments": [[seg.voice, seg.sample_rate, seg.frames, file_id(seg.audio)] for seg in segments],
        "files": [file_id(path) for path in (inputs.intro, inputs.outro, inputs.bed, inputs.cover)],
        "options": {name: str(value) for name, value in dataclasses.asdict(options).items()
                    if name != "date"},
    }
    return hashlib.sha256(json.dumps(document, ensure_ascii=False).encode()).hexdigest()


def _up_to_date(out: Path, digest: str, files: Iterable[Path]) -> bool:
    """Whether ``out`` was mastered from inputs with fingerprint ``digest`` and every other output exists."""
    from pipeline.mix.tags import read_tags

    if not out.is_file() or not all(Path(path).is_file() for path in files):
        return False
    try:
        return read_tags(out).fingerprint == digest
    except EssaycastError:  # not an MP3 (any more): master it again
        return False


def _check_output(out: Path) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".mp3":
        raise EssaycastError(f"output {out} must be an .mp3 file", hint="name it NAME.mp3")
    return out


def _check_segments(script: Script, segments: Sequence[RenderedSegment]) -> None:
    """The rendered segments must be the script's, in order, with their audio present."""
    expected = [(si, gi, seg.speaker) for si, gi, _, seg in script.segments()]
    got = [(seg.section, seg.index, seg.speaker) for seg in segments]
    if got != expected:
        raise EssaycastError(f"the rendered segments ({len(got)}) do not match the script ({len(expected)})",
                             hint="render the script again")
    for seg in segments:
        if not Path(seg.audio).is_file():
            raise EssaycastError(f"rendered audio missing: {seg.audio}", hint="render the script again")


def _resolve_inputs(script: Script, options: MixOptions, base_dir: Path) -> _Inputs:
    """Resolve and check the intro, outro, bed and cover files."""
    from pipeline.mix.assemble import read_mono
    from pipeline.mix.tags import image_mime

    def audio_file(name: str, what: str) -> Path | None:
        if not name:
            return None
        read_mono(base_dir / name, what, probe=True)
        return base_dir / name

    cover = options.cover or (base_dir / script.cover if script.cover else None)
    return _Inputs(
        intro=audio_file(script.audio.intro, "intro"),
        outro=audio_file(script.audio.outro, "outro"),
        bed=audio_file(script.audio.bed, "music bed"),
        cover=cover,
        cover_mime=image_mime(cover) if cover else "",
    )


def _pieces(
    script: Script, segments: Sequence[RenderedSegment | None], inputs: _Inputs
) -> list[Piece]:
    """The episode's pieces in order; a segment not rendered yet (None) gives a piece without audio,
    which still says where the parts break (`EarlyParts`)."""
    from pipeline.mix.assemble import INTRO, OUTRO, Piece, read_mono

    def rendered(seg: RenderedSegment) -> tuple[np.ndarray, int]:
        return seg.read(), seg.sample_rate

    def piece(seg: RenderedSegment | None, section: int, index: int, speaker: str, pause: int) -> Piece:
        if seg is None:
            return Piece(_not_rendered, Path(), speaker, pause, section, index)
        return Piece(partial(rendered, seg), Path(seg.audio), seg.speaker, pause, seg.section, seg.index,
                     seg.frames / seg.sample_rate)

    pieces = [piece(seg, si, gi, segment.speaker, segment.pause_after.ms)
              for seg, (si, gi, _, segment) in zip(segments, script.segments(), strict=True)]
    if inputs.intro:
        pieces.insert(0, Piece(partial(read_mono, inputs.intro, "intro"), inputs.intro, INTRO))
    if inputs.outro:
        pieces.append(Piece(partial(read_mono, inputs.outro, "outro"), inputs.outro, OUTRO))
    return pieces


def _not_rendered() -> tuple[np.ndarray, int]:
    raise AssertionError("a segment not rendered yet was assembled")


class EarlyParts:
    """Parts mastered while synthesis is still running, into the part cache, where ``master`` then
    finds them: what is left after synthesis is the parts whose segments came last.

    Synthesis keeps both cores busy most of the time, not all of it (a worker waits for its next
    segment; the last segments finish one at a time), and mastering is light: one thread here
    masters a part as soon as all its segments are in. Only parts with a segment synthesized in this
    run are mastered early (one made only of cached segments is most likely in the part cache, or
    its episode up to date). Use as a context manager around ``render`` with ``segment_done`` as its
    progress callback; leaving the block waits for the part in hand (or, on an error, drops the rest).
    Parts are mastered in a work folder beside ``out``, as ``master`` masters them (a killed run
    leaves it to be swept). An episode mastered in one piece (music bed, lossless master) has
    nothing to master early.
    """

    def __init__(
        self, script: Script, out: Path, options: MixOptions | None = None, *, base_dir: Path
    ) -> None:
        from pipeline.mix.parts import PartCache, split

        self._out = _check_output(out)
        self._work: tuple[Path, float] | None = None
        """The work folder and the encoder's level change (`_encoder_gain`), once a part is mastered."""
        self._files = contextlib.ExitStack()
        self._options = options or MixOptions()
        inputs = _resolve_inputs(script, self._options, Path(base_dir))
        self._episode = _Episode(script, self._options, inputs, None)
        self._order = {(si, gi): n for n, (si, gi, _, _) in enumerate(script.segments())}
        self._segments: list[RenderedSegment | None] = [None] * len(self._order)
        whole = inputs.bed is not None or bool(self._options.master_format)
        template = _pieces(script, self._segments, inputs)
        self._waiting = [] if whole else [{(p.section, p.index) for p in part if p.is_speech}
                                          for part in split(template)]
        self._started: set[int] = set()
        self._cache = PartCache.default()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="early-part")
        self._futures: list[Future[None]] = []

    def __enter__(self) -> EarlyParts:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)
        self._files.close()

    def segment_done(self, segment: RenderedSegment, done: int = 0, total: int = 0) -> None:
        """Note a rendered segment; start mastering every part it completes (``render``'s ``on_progress``)."""
        with self._lock:
            self._segments[self._order[(segment.section, segment.index)]] = segment
            for number, keys in enumerate(self._waiting):
                if number in self._started or (segment.section, segment.index) not in keys:
                    continue
                ready = [self._segments[self._order[key]] for key in keys]
                if all(ready) and not all(seg.cached for seg in ready if seg):
                    self._started.add(number)
                    self._futures.append(self._pool.submit(self._master, number))

    def _master(self, number: int) -> None:
        """Master part ``number`` into the part cache; a failure is left for ``master`` to meet again."""
        from pipeline.mix.parts import part_key, split

        with self._lock:
            part = split(_pieces(self._episode.script, self._segments, self._episode.inputs))[number]
        settings = {name: getattr(self._options, name) for name in PART_OPTIONS}
        key = part_key(part, settings)
        if self._cache.get(key) is not None:
            return
        with contextlib.suppress(Exception):
            if self._work is None:
                self._out.parent.mkdir(parents=True, exist_ok=True)
                work = self._files.enter_context(scratch_dir(self._out, "mix"))
                self._work = work, _encoder_gain(work / "probe.mp3", self._options)
            work, encoder_gain = self._work
            made = _master_part(self._episode, part, work / f"early{number}", encoder_gain,
                                lambda phase, done, total: None)
            self._cache.put(key, made)


def _bed(script: Script, inputs: _Inputs, timeline: Timeline, options: MixOptions) -> Bed | None:
    if not inputs.bed:
        return None
    from pipeline.mix.assemble import read_mono, resample
    from pipeline.mix.bed import Bed

    music, rate = read_mono(inputs.bed, "music bed")
    speech = timeline.speech
    region = (speech[0].start, _spoken_end(timeline))
    return Bed(resample(music, rate, options.rate), options.rate, region,
               [(span.start, span.end) for span in speech], script.audio, options.bed_fade_ms)


def _mixdown(
    voice: Path, timeline: Timeline, bed: Bed | None, levels: Mapping[str, float]
) -> Iterator[np.ndarray]:
    """The voice, each level group at its linear gain in ``levels``, plus the bed, block by block."""
    import numpy as np
    import soundfile

    with soundfile.SoundFile(voice) as f:
        for first in range(0, timeline.frames, BLOCK):
            x = f.read(BLOCK, dtype="float64")
            gain = np.ones(len(x))
            for span, a, b in timeline.overlapping(first, len(x)):
                gain[a:b] = levels[span.group]
            x *= gain
            if bed is not None:
                x += bed.block(first, len(x))
            yield x


def _encode(
    mix: Callable[[], Iterator[np.ndarray]],
    timeline: Timeline,
    mp3: Path,
    master_path: Path | None,
    options: MixOptions,
    report: Progress,
    levels: Levels,
    encoder_gain: float,
) -> Measurement:
    """Gain, limit and encode until the MP3 itself measures at the levelled loudness; returns its measurement.

    ``levels.mix_db`` is the first whole-mix gain tried; ``encoder_gain`` is `_encoder_gain`'s.
    """
    from pipeline.mix.loudness import measure_file

    gain_db, ceiling = levels.mix_db, options.ceiling_dbtp - FIRST_MARGIN_DB
    for _ in range(ATTEMPTS):
        _write_audio(mix, timeline, mp3, master_path, options, gain_db, ceiling, encoder_gain, report)
        measured = measure_file(mp3, partial(report, "verifying"))
        over = measured.dbtp - options.ceiling_dbtp
        off = levels.lufs - measured.lufs
        if over <= 0 and abs(off) <= LOUDNESS_AIM_LU:
            break
        ceiling -= max(over, 0.0) + (0.1 if over > 0 else 0.0)
        gain_db += off
    if over > 0:
        raise EssaycastError(
            f"the MP3 still peaks at {measured.dbtp:.2f} dBTP, over the {options.ceiling_dbtp:g} dBTP "
            f"ceiling, after {ATTEMPTS} encodings",
            hint="encode at a higher bitrate (--bitrate 128)")
    return measured


def _encoder_gain(probe: Path, options: MixOptions) -> float:
    """Linear level change of libsndfile's MP3 encoder at ``options``, measured on a test tone.

    LAME's constant-bitrate presets scale the input (by 0.95 at 96 kbps) to leave room for coding
    noise; the MP3 is fed the inverse so it decodes at the loudness the limiter was aiming at.
    """
    import numpy as np
    import soundfile

    t = np.arange(options.rate) / options.rate
    tone = 0.25 * np.sin(2 * np.pi * 997 * t)
    try:
        with _mp3_writer(probe, options) as sink:
            sink.write(tone)
        decoded, _ = soundfile.read(probe, dtype="float64")
    finally:
        probe.unlink(missing_ok=True)
    middle = slice(options.rate // 4, 3 * options.rate // 4)
    return float(np.sqrt(np.mean(decoded[middle] ** 2) / np.mean(tone[middle] ** 2)))


def _mp3_writer(path: Path, options: MixOptions):
    """An open libsndfile MP3 writer: mono, constant bitrate."""
    import soundfile

    return soundfile.SoundFile(path, "w", samplerate=options.rate, channels=1, format="MP3",
                               subtype="MPEG_LAYER_III", compression_level=options.compression_level,
                               bitrate_mode="CONSTANT")


def _write_audio(
    mix: Callable[[], Iterator[np.ndarray]],
    timeline: Timeline,
    mp3: Path,
    master_path: Path | None,
    options: MixOptions,
    gain_db: float,
    ceiling_dbtp: float,
    encoder_gain: float,
    report: Progress,
) -> None:
    """One mastering pass: whole-mix gain, true-peak limiter, MP3 (+ lossless master) writers."""
    import soundfile

    from pipeline.mix.limiter import TruePeakLimiter

    gain = 10 ** (gain_db / 20)
    limiter = TruePeakLimiter(options.rate, ceiling_dbtp)
    with contextlib.ExitStack() as files:
        # (sink, factor): the MP3 gets the encoder's own level change undone.
        sinks = [(files.enter_context(_mp3_writer(mp3, options)), 1 / encoder_gain)]
        if master_path is not None:
            fmt, subtype = MASTER_FORMATS[options.master_format]
            sinks.append((files.enter_context(soundfile.SoundFile(
                master_path, "w", samplerate=options.rate, channels=1, format=fmt, subtype=subtype)), 1.0))
        # The encoder (C code that lets go of the GIL) writes one block on a second thread while this
        # one mixes and limits the next: encoding is the larger half of the work, and there are cores.
        encoder = files.enter_context(ThreadPoolExecutor(1, thread_name_prefix="encoder"))
        in_flight: Future[None] | None = None
        written = 0

        def limited() -> Iterator[np.ndarray]:
            # flush() only once everything went in: called early it would delay the whole output.
            for block in mix():
                yield limiter.process(block * gain)
            yield limiter.flush()

        for block in limited():
            if in_flight is not None:
                in_flight.result()
            in_flight = encoder.submit(_write_block, sinks, block)
            written += len(block)
            report("mastering", written, timeline.frames)
        if in_flight is not None:
            in_flight.result()


def _write_block(sinks: Sequence[tuple[soundfile.SoundFile, float]], block: np.ndarray) -> None:
    for sink, factor in sinks:
        sink.write(block * factor)


@dataclass(frozen=True)
class _Episode:
    """What every part of one episode is mastered with."""

    script: Script
    """The script (its audio settings place the music bed)."""
    options: MixOptions
    """Mixing options."""
    inputs: _Inputs
    """Intro, outro, bed and cover files."""
    master_path: Path | None
    """Where the lossless master goes (the temporary), if one is wanted."""


def _master_parts(
    episode: _Episode, pieces: Sequence[Piece], work: Path, report: Progress, part_master: PartMaster
) -> list[MasteredPart]:
    """Every part of the episode (see `pipeline.mix.parts`), from the part cache or mastered now,
    side by side on as many threads as there are cores (the encoder and numpy let go of the GIL)."""
    from pipeline.mix.parts import PartCache, part_key, split

    # A music bed runs on under the section breaks, and the lossless master is one continuous file
    # (the cache keeps no PCM): such episodes are mastered in one piece, every time, and here (the
    # bed and the master's temporary are files of this machine).
    whole = episode.inputs.bed is not None or episode.master_path is not None
    part_master = _master_part if whole else part_master
    parts = [tuple(pieces)] if whole else split(pieces)
    cache = None if whole else PartCache.default()
    settings = {name: getattr(episode.options, name) for name in PART_OPTIONS}
    keys = [part_key(part, settings) for part in parts]
    found: list[MasteredPart | None] = [cache.get(key) if cache else None for key in keys]
    todo = [i for i, part in enumerate(found) if part is None]
    tally = _Tally(report, {i: len(parts[i]) for i in todo})
    if todo:
        encoder_gain = _encoder_gain(work / "probe.mp3", episode.options)
        pool = ThreadPoolExecutor(min(len(todo), os.cpu_count() or 1), thread_name_prefix="part")
        try:
            futures = {i: pool.submit(part_master, episode, parts[i], work / f"part{i}", encoder_gain,
                                      tally.reporter(i)) for i in todo}
            for i, future in futures.items():
                made = future.result()
                found[i] = cache.put(keys[i], made) if cache else made
        finally:
            pool.shutdown(cancel_futures=True)
    made = [part for part in found if part is not None]
    if not any(math.isfinite(part.measured.lufs) for part in made):
        raise EssaycastError("the episode is silent", hint="check the rendered voices")
    tally.finish()
    return made


def _master_part(
    episode: _Episode, pieces: Sequence[Piece], work: Path, encoder_gain: float, report: Progress
) -> MasteredPart:
    """Assemble, level, limit, encode and verify one part in the folder ``work``."""
    from pipeline.mix.assemble import assemble
    from pipeline.mix.parts import MasteredPart

    options, master_path = episode.options, episode.master_path
    work.mkdir()
    voice, mp3 = work / "voice.w64", work / "part.mp3"
    # With a music bed under the voices the mix itself is listened to; voices alone are modelled from
    # their statistics, taken at assembly, unless the part is so long that they would take more memory
    # than listening costs time (the MP3 is measured after encoding either way).
    model = not episode.inputs.bed and sum(p.seconds + p.pause_ms / 1000 for p in pieces) <= MODELLED_PART_S
    timeline = assemble(pieces, voice, options.rate, options.fade_ms, on_piece=partial(report, "assembling"),
                        statistics=model)
    mix = partial(_mixdown, voice, timeline, _bed(episode.script, episode.inputs, timeline, options))
    if not any(map(math.isfinite, timeline.loudness.values())):
        # A section of nothing but silence (a segment with nothing to pronounce) has no level to set.
        from pipeline.mix.loudness import measure_file

        unity = dict.fromkeys(timeline.loudness, 1.0)
        _write_audio(partial(mix, unity), timeline, mp3, master_path, options, 0.0, options.ceiling_dbtp,
                     encoder_gain, report)
        voice.unlink()  # the part's PCM is as large as a WAV of it: gone once encoded, not at the end
        return MasteredPart(mp3, timeline.frames, timeline.spans, measure_file(mp3))
    ceiling = options.ceiling_dbtp - FIRST_MARGIN_DB
    listen = modelled(timeline, ceiling) if model else streamed(mix, timeline, ceiling)
    levels = balance(listen, timeline, options.target_lufs, partial(report, "mixing"))
    measured = _encode(partial(mix, levels.groups), timeline, mp3, master_path, options, report, levels,
                       encoder_gain)
    voice.unlink()
    return MasteredPart(mp3, timeline.frames, timeline.spans, measured)


def _lay_out(parts: Sequence[MasteredPart], pieces: Sequence[Piece], mp3: Path, rate: int) -> Timeline:
    """Join the parts' MP3s into ``mp3``; return where every piece is heard in it."""
    from pipeline.mix.assemble import Span, Timeline
    from pipeline.mix.mpeg import Stream, join

    try:
        streams = [Stream.open(part.mp3) for part in parts]
    except ValueError as exc:  # libsndfile always writes what join needs; a damaged part fails here
        raise EssaycastError(f"cannot join the mastered parts: {exc}", hint="render again") from None
    with open(mp3, "wb") as sink:
        offsets, frames = join(streams, sink)
    placed = [(span, offset) for part, offset in zip(parts, offsets, strict=True) for span in part.spans]
    spans = tuple(Span(span.start + offset, span.end + offset, piece.group, piece.section, piece.index)
                  for (span, offset), piece in zip(placed, pieces, strict=True))
    return Timeline(rate=rate, frames=frames, spans=spans, loudness={})


def _measured(parts: Sequence[MasteredPart]) -> tuple[float, float]:
    """Integrated loudness and true peak of the joined parts, from the parts' own measurements."""
    import numpy as np

    from pipeline.mix.loudness import gated_loudness

    steps = np.concatenate([part.measured.steps for part in parts])
    loudness = gated_loudness(steps, parts[0].measured.step)
    return round(loudness, 2), round(max(part.measured.dbtp for part in parts), 2)


class _Tally:
    """Progress of parts mastered side by side: per phase, the parts' fractions done, each weighted by
    the part's number of pieces (known before any is assembled, so no bar ever goes back)."""

    SCALE = 1000
    """Reported totals: progress is in thousandths."""

    def __init__(self, report: Progress, weights: Mapping[int, int]) -> None:
        self._report = report
        self._weights = weights
        self._lock = threading.Lock()
        self._done: dict[str, dict[int, float]] = {phase: {} for phase in PHASES}

    def reporter(self, part: int) -> Progress:
        """The progress callback of part number ``part``."""

        def on_progress(phase: str, done: int, total: int) -> None:
            with self._lock:
                fractions = self._done[phase]
                # max: a second encoding of a part (rare) must not send the bar back
                fractions[part] = max(fractions.get(part, 0.0), done / total if total else 1.0)
                weighted = sum(self._weights[p] * f for p, f in fractions.items())
                self._report(phase, round(self.SCALE * weighted / sum(self._weights.values())), self.SCALE)

        return on_progress

    def finish(self) -> None:
        """Report every phase done (parts from the cache had nothing to do)."""
        with self._lock:
            for phase in PHASES:
                self._report(phase, self.SCALE, self.SCALE)


def _spoken_end(timeline: Timeline) -> int:
    """Frame after the last section (where the outro starts, or the end)."""
    from pipeline.mix.assemble import OUTRO

    return next((span.start for span in timeline.spans if span.group == OUTRO), timeline.frames)


def _cues(script: Script, timeline: Timeline) -> tuple[Cue, ...]:
    return tuple(Cue(timeline.ms(span.start), timeline.ms(span.end), segment.speaker, segment.text)
                 for span, (_, _, _, segment) in zip(timeline.speech, script.segments(), strict=True))


def _chapters(script: Script, timeline: Timeline) -> tuple[Chapter, ...]:
    """One chapter per section, from its first speech to the next section's (or the end)."""
    starts = [next(span.start for span in timeline.speech if span.section == si)
              for si in range(len(script.sections))]
    ends = [*starts[1:], timeline.frames]
    return tuple(Chapter(section.title or script.title, timeline.ms(start), timeline.ms(end))
                 for section, start, end in zip(script.sections, starts, ends, strict=True))


def _write_outputs(
    script: Script,
    options: MixOptions,
    inputs: _Inputs,
    mp3: Path,
    tmp: dict[str, Path],
    cues: tuple[Cue, ...],
    chapters: tuple[Chapter, ...],
    loudness: float,
    true_peak: float,
    file_name: str,
    digest: str,
) -> None:
    """Tag the MP3 and fill the sidecar temporaries (renamed into place by the caller)."""
    from pipeline.mix.tags import Tags, write_tags

    tags = Tags(title=script.title, artist=script.author, album=options.album or script.title,
                date=options.date, description=script.description, language=script.language,
                chapters=chapters, loudness_lufs=loudness, true_peak_dbtp=true_peak,
                fingerprint=digest)
    write_tags(mp3, tags, inputs.cover)
    tmp["chapters_json"].write_text(
        sidecars.chapters_json(chapters, title=script.title, author=script.author, file_name=file_name),
        encoding="utf-8")
    for name, render in sidecars.SIDECAR_WRITERS.items():
        tmp[name].write_text(render(cues), encoding="utf-8")
    if inputs.cover:
        shutil.copyfile(inputs.cover, tmp["cover"])
