"""Running the listening-quality check on an episode: decode it, cut it at its cues, measure, judge."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.mix.check import measures
from pipeline.mix.check.listen import ASR_RATE, Job, to_asr_rate, transcribe
from pipeline.mix.check.report import QualityReport, SegmentQuality, SpeakerQuality, VoicePair
from pipeline.mix.check.timbre import timbre
from pipeline.mix.episode import Cue, Episode
from pipeline.mix.loudness import BLOCK_FRAMES, LoudnessMeter, measure
from pipeline.mix.sidecars import sidecar_path
from pipeline.script.model import NARRATOR

if TYPE_CHECKING:
    import numpy as np

    from pipeline.mix.master import Progress
    from pipeline.script.model import Script

DEFAULT_TARGET_LUFS = -16.0
"""Integrated loudness an episode is checked against unless told otherwise: the podcast norm, and
what the mixing stage masters to by default."""
ASR_PAD_S = 0.15
"""Silence around a cue handed to the recognizer with it (less where the next cue is closer)."""


def check(
    episode_mp3: Path,
    script: Script | None = None,
    *,
    cues: Sequence[Cue] | None = None,
    reference: bool = True,
    target_lufs: float | None = None,
    workers: int | None = None,
    on_progress: Progress | None = None,
) -> QualityReport:
    """Check how an episode sounds: intelligibility, distinct voices, loudness, clipping and clicks.

    The episode is cut at its cues: ``cues`` when given, else those of the transcript sidecar next to
    the MP3 (``Episode.load``). With ``script``, the script's segment text and speakers are what the
    episode is held against (one segment per cue, in order). ``reference`` also has the narrator
    voice speak every cue's text, so its word error rate shows what the recognizer itself gets wrong.
    ``target_lufs`` is the loudness the episode must be within 1 LU of (default
    `DEFAULT_TARGET_LUFS`). ``workers`` recognizer processes run at once (default: up to two);
    ``on_progress("listening", done, total)`` counts transcripts, as the mixing stage reports phases.
    """
    started = time.perf_counter()
    path = Path(episode_mp3)
    if cues is None:
        cues = Episode.load(path).cues
        if not cues:
            raise EssaycastError(
                f"{path.name} has no transcript to check it against ({sidecar_path(path, 'vtt').name})",
                hint="keep the .vtt that essaycast wrote beside the MP3, or render the episode again",
            )
    if script is not None:
        cues = script_cues(cues, script)
    if not cues:
        raise EssaycastError("there are no cues to check")
    mono, rate, clipped = _decode(path)
    spans = _spans(cues, rate, len(mono), path)
    speech = to_asr_rate(mono, rate)
    asr_spans = [(start * ASR_RATE // rate, end * ASR_RATE // rate) for start, end in spans]

    jobs = [Job(i, cue.text, speech[start:end]) for i, (cue, (start, end)) in enumerate(
        zip(cues, _padded(asr_spans, len(speech)), strict=True))]
    if reference:
        jobs += [Job(i, cue.text) for i, cue in enumerate(cues)]
    heard = transcribe(jobs, workers=workers, on_progress=on_progress)

    pitch = [measures.track_pitch(speech[start:end], ASR_RATE) for start, end in asr_spans]
    segments = tuple(
        _segment(i, cue, heard, pitch[i], _loudness([mono[start:end]], rate), reference)
        for i, (cue, (start, end)) in enumerate(zip(cues, spans, strict=True))
    )
    speakers = _speakers(segments, pitch, mono, spans, rate)
    pairs = _voice_pairs(segments, speech, asr_spans)
    loudness, true_peak = measure(_blocks(mono), rate)
    return QualityReport(
        episode=path,
        duration_s=len(mono) / rate,
        segments=segments,
        speakers=speakers,
        reference_speaker=_reference_speaker(speakers),
        loudness_lufs=loudness if math.isfinite(loudness) else None,
        target_lufs=DEFAULT_TARGET_LUFS if target_lufs is None else target_lufs,
        true_peak_dbtp=true_peak,
        clipped_samples=clipped,
        clicks=tuple(measures.find_clicks(mono, rate, spans)),
        check_seconds=time.perf_counter() - started,
        voice_pairs=pairs,
    )


def script_cues(cues: Sequence[Cue], script: Script) -> tuple[Cue, ...]:
    """``cues`` with the text and speakers of ``script``'s segments (one segment per cue, in order)."""
    segments = [segment for *_, segment in script.segments()]
    if len(segments) != len(cues):
        raise EssaycastError(
            f"the script has {len(segments)} segments but the episode has {len(cues)} cues",
            hint="pass the script the episode was rendered from",
        )
    for number, (cue, segment) in enumerate(zip(cues, segments, strict=True), 1):
        if cue.speaker and cue.speaker != segment.speaker:
            raise EssaycastError(
                f"segment {number} is {segment.speaker}'s in the script but {cue.speaker}'s in the episode",
                hint="pass the script the episode was rendered from",
            )
    return tuple(
        replace(cue, speaker=segment.speaker, text=segment.text)
        for cue, segment in zip(cues, segments, strict=True)
    )


def _decode(path: Path) -> tuple[np.ndarray, int, int]:
    """The whole file as mono float32 samples, its rate, and its clipped samples over all channels."""
    import soundfile

    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except FileNotFoundError:
        raise EssaycastError(f"episode not found: {path}") from None
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise EssaycastError(f"cannot decode {path}: {exc}", hint="pass an MP3 essaycast wrote") from None
    if not len(audio):
        raise EssaycastError(f"{path} holds no audio")
    mono = audio[:, 0] if audio.shape[1] == 1 else audio.mean(axis=1)  # a view for mono episodes
    return mono, rate, measures.clipped_samples(audio)


def _blocks(samples: np.ndarray) -> Iterator[np.ndarray]:
    """``samples`` in slices, so the meters' float64 and 4× oversampled copies stay small."""
    for start in range(0, len(samples), BLOCK_FRAMES):
        yield samples[start : start + BLOCK_FRAMES]


def _loudness(pieces: Iterable[np.ndarray], rate: int) -> float | None:
    """Integrated loudness of ``pieces`` taken as one signal; None for silence."""
    meter = LoudnessMeter(rate)
    for piece in pieces:
        for block in _blocks(piece):
            meter.feed(block)
    value = meter.integrated()
    return value if math.isfinite(value) else None


def _spans(cues: Sequence[Cue], rate: int, frames: int, path: Path) -> list[tuple[int, int]]:
    """Each cue's speech as a (start, end) sample range, checked against the audio's length."""
    spans = []
    for number, cue in enumerate(cues, 1):
        start, end = cue.start_ms * rate // 1000, min(frames, cue.end_ms * rate // 1000)
        if not 0 <= start < end:
            raise EssaycastError(
                f"cue {number} ({cue.start_ms}–{cue.end_ms} ms) lies outside the {frames * 1000 // rate} ms "
                f"of {path.name}",
                hint="the transcript sidecar belongs to another render; render the episode again",
            )
        spans.append((start, end))
    return spans


def _padded(spans: Sequence[tuple[int, int]], frames: int) -> list[tuple[int, int]]:
    """Spans widened by `ASR_PAD_S` into the silence around them, never past halfway to a neighbour."""
    pad = round(ASR_PAD_S * ASR_RATE)
    bounds = [-2 * pad, *(point for span in spans for point in span), frames + 2 * pad]
    padded = []
    for i, (start, end) in enumerate(spans):
        before, after = bounds[2 * i], bounds[2 * i + 3]  # previous cue's end, next cue's start
        padded.append((
            max(0, start - pad, (before + start) // 2),
            min(frames, end + pad, (end + after + 1) // 2),
        ))
    return padded


def _segment(
    index: int,
    cue: Cue,
    heard: dict[tuple[int, bool], str],
    pitch: np.ndarray,
    loudness: float | None,
    reference: bool,
) -> SegmentQuality:
    import numpy as np

    expected = measures.words(cue.text)
    reference_heard = heard[index, True] if reference else None
    voiced = pitch[~np.isnan(pitch)]
    return SegmentQuality(
        index=index,
        start_ms=cue.start_ms,
        end_ms=cue.end_ms,
        speaker=cue.speaker,
        text=cue.text,
        words=len(expected),
        heard=heard[index, False],
        errors=measures.word_errors(expected, measures.words(heard[index, False])),
        reference_heard=reference_heard,
        reference_errors=None if reference_heard is None
        else measures.word_errors(expected, measures.words(reference_heard)),
        f0_hz=float(np.median(voiced)) if len(voiced) else None,
        loudness_lufs=loudness,
    )


def _speakers(
    segments: Sequence[SegmentQuality],
    pitch: Sequence[np.ndarray],
    mono: np.ndarray,
    spans: Sequence[tuple[int, int]],
    rate: int,
) -> tuple[SpeakerQuality, ...]:
    """Per-speaker totals; F0 is the median over all of a speaker's voiced frames, not of segment medians."""
    import numpy as np

    names = list(dict.fromkeys(segment.speaker for segment in segments))
    rows = []
    for name in names:
        mine = [segment.index for segment in segments if segment.speaker == name]
        voiced = np.concatenate([pitch[i][~np.isnan(pitch[i])] for i in mine])
        levels = [segments[i].loudness_lufs for i in mine if segments[i].loudness_lufs is not None]
        reference = [segments[i].reference_errors for i in mine if segments[i].reference_errors is not None]
        rows.append(SpeakerQuality(
            speaker=name,
            segments=len(mine),
            words=sum(segments[i].words for i in mine),
            errors=sum(segments[i].errors for i in mine),
            reference_errors=sum(reference) if len(reference) == len(mine) else None,
            f0_hz=float(np.median(voiced)) if len(voiced) else None,
            f0_difference=None,
            loudness_lufs=_loudness((mono[spans[i][0] : spans[i][1]] for i in mine), rate),
            loudness_spread_lu=max(levels) - min(levels) if levels else None,
        ))
    base = rows[names.index(_reference_speaker(rows))].f0_hz
    return tuple(
        replace(row, f0_difference=abs(row.f0_hz - base) / base if row.f0_hz and base else None)
        for row in rows
    )


def _voice_pairs(
    segments: Sequence[SegmentQuality], speech: np.ndarray, spans: Sequence[tuple[int, int]]
) -> tuple[VoicePair, ...]:
    """Every pair of speakers with the timbre distance of all their speech (at `ASR_RATE`)."""
    import numpy as np

    names = list(dict.fromkeys(segment.speaker for segment in segments))
    prints = {
        name: timbre(np.concatenate([speech[spans[s.index][0] : spans[s.index][1]]
                                     for s in segments if s.speaker == name]), ASR_RATE)
        for name in names
    }
    pairs = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = prints[first], prints[second]
            pairs.append(VoicePair(first, second, a.distance(b) if a and b else None))
    return tuple(pairs)


def _reference_speaker(speakers: Sequence[SpeakerQuality]) -> str:
    """The speaker every other voice must differ from: the narrator, or whoever speaks first."""
    names = [speaker.speaker for speaker in speakers]
    return NARRATOR if NARRATOR in names else names[0]
