"""The listening-quality report: what was measured per segment and speaker, what failed, how to show it.

A `QualityReport` renders to Markdown (printed by the CLI through rich, pasted into bench results)
and to JSON (``essaycast check --json``) for scripts and CI.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.mix.check.measures import CLIP_LEVEL, Click
from pipeline.mix.check.timbre import SAME_VOICE_MAX, Timbre

WORST_SEGMENTS = 5
"""How many segments the report lists as worst by word error rate."""
LOUDNESS_TOLERANCE_LU = 1.0
"""How far the integrated loudness may be from the target."""
MAX_SPEAKER_SPREAD_LU = 1.5
"""How far apart the loudest and quietest speakers may be: each speaker within ±1.5 LU of every other."""
MIN_F0_DIFFERENCE = 0.5
"""How much every other voice's median pitch must differ from the reference speaker's (relative)."""


def _rate(errors: int, words: int) -> float:
    return errors / words if words else float(errors > 0)


class _WordErrors:
    """Word error rates from a row's ``words``, ``errors`` and ``reference_errors``."""

    words: int
    errors: int
    reference_errors: int | None

    @property
    def wer(self) -> float:
        """Word error rate of the episode's speech."""
        return _rate(self.errors, self.words)

    @property
    def reference_wer(self) -> float | None:
        """The reference voice's word error rate on the same words; None without a reference."""
        return None if self.reference_errors is None else _rate(self.reference_errors, self.words)


@dataclass(frozen=True)
class SegmentQuality(_WordErrors):
    """What was measured on one segment (one cue) of the episode."""

    index: int
    """Position in the episode, 0-based."""
    start_ms: int
    """When the speech starts."""
    end_ms: int
    """When the speech ends."""
    speaker: str
    """Who speaks."""
    text: str
    """What the script says."""
    words: int
    """Words in ``text`` as the word error rate counts them."""
    heard: str
    """What the recognizer heard in the episode."""
    errors: int
    """Word errors of ``heard`` against ``text``."""
    reference_heard: str | None
    """What the recognizer heard from the reference voice saying ``text``; None without a reference."""
    reference_errors: int | None
    """Word errors of ``reference_heard``; None without a reference."""
    f0_hz: float | None
    """Median fundamental frequency over voiced frames; None when nothing voiced was found."""
    loudness_lufs: float | None
    """Integrated loudness of the span (ungated when shorter than one 400 ms block); None if silent."""


@dataclass(frozen=True)
class SpeakerQuality(_WordErrors):
    """One speaker's segments taken together."""

    speaker: str
    """Script speaker name."""
    segments: int
    """How many segments they speak."""
    words: int
    """How many words they speak."""
    errors: int
    """Word errors over all their segments."""
    reference_errors: int | None
    """The reference voice's word errors on the same text; None without a reference."""
    f0_hz: float | None
    """Median fundamental frequency over all their voiced frames."""
    f0_difference: float | None
    """|F0 − the narrator's F0| / the narrator's F0 (0 for the narrator); None when unmeasurable."""
    loudness_lufs: float | None
    """Integrated loudness of all their speech."""
    loudness_spread_lu: float | None
    """Loudest minus quietest of their segments (those long enough to measure)."""


@dataclass(frozen=True)
class VoicePair:
    """Two speakers of the episode and how far apart their voices sound (timbre, pitch aside)."""

    first: str
    """One speaker."""
    second: str
    """The other, who speaks later."""
    distance: float | None
    """Timbre distance (`pipeline.mix.check.timbre`); None when either has too little voiced speech."""

    @property
    def alike(self) -> bool:
        """True when the two sound like one voice by timbre (False when unmeasured)."""
        return self.distance is not None and Timbre.alike(self.distance)


def _pitch_gap(first: SpeakerQuality, second: SpeakerQuality) -> float | None:
    """|F0 difference| relative to the first speaker's F0; None when either has none."""
    if not first.f0_hz or not second.f0_hz:
        return None
    return abs(second.f0_hz - first.f0_hz) / first.f0_hz


@dataclass(frozen=True)
class QualityReport:
    """The listening-quality check of one episode."""

    episode: Path
    """The audio file checked."""
    duration_s: float
    """Its length."""
    segments: tuple[SegmentQuality, ...]
    """One row per cue, in order."""
    speakers: tuple[SpeakerQuality, ...]
    """One row per speaker, in order of first appearance."""
    reference_speaker: str
    """The speaker other voices must differ from (the narrator when present)."""
    loudness_lufs: float | None
    """Integrated loudness of the whole file; None when silent."""
    target_lufs: float
    """Loudness the episode must be within `LOUDNESS_TOLERANCE_LU` of."""
    true_peak_dbtp: float
    """Largest 4× oversampled magnitude, in dBTP."""
    clipped_samples: int
    """Samples at full scale (all channels)."""
    clicks: tuple[Click, ...]
    """Discontinuities found at joins."""
    check_seconds: float
    """Wall time the check took."""
    voice_pairs: tuple[VoicePair, ...] = ()
    """Every pair of speakers by timbre; empty when not measured (then pitch alone tells voices apart)."""

    @property
    def failures(self) -> tuple[str, ...]:
        """Why the episode fails its hard checks, one line each; empty when it passes."""
        return tuple(reason for hard_check in HARD_CHECKS for reason in hard_check(self))

    @property
    def passed(self) -> bool:
        """True when every hard check passed."""
        return not self.failures

    @property
    def words(self) -> int:
        """Words in the script text checked."""
        return sum(segment.words for segment in self.segments)

    @property
    def wer(self) -> float:
        """Word error rate over the whole episode (word-weighted)."""
        return _rate(sum(segment.errors for segment in self.segments), self.words)

    @property
    def reference_wer(self) -> float | None:
        """The reference voice's word error rate on the whole text; None without a reference."""
        errors = [s.reference_errors for s in self.segments if s.reference_errors is not None]
        return _rate(sum(errors), self.words) if errors and len(errors) == len(self.segments) else None

    @property
    def speaker_spread_lu(self) -> float | None:
        """Loudest minus quietest speaker; None with fewer than two measurable speakers."""
        levels = [s.loudness_lufs for s in self.speakers if s.loudness_lufs is not None]
        return max(levels) - min(levels) if len(levels) > 1 else None

    @property
    def voices_distinct(self) -> bool | None:
        """Whether the voices can be told apart; None for one speaker.

        By timbre when measured (no pair sounds alike, whatever their pitch), else by every voice's
        median pitch differing enough from the reference speaker's.
        """
        others = [s for s in self.speakers if s.speaker != self.reference_speaker]
        if not others:
            return None
        if self.voice_pairs:
            return not _distinct_voices(self)
        return all(s.f0_difference is not None and s.f0_difference >= MIN_F0_DIFFERENCE for s in others)

    @property
    def real_time_factor(self) -> float:
        """Check time divided by episode duration."""
        return self.check_seconds / self.duration_s if self.duration_s else math.inf

    def worst(self, count: int = WORST_SEGMENTS) -> tuple[SegmentQuality, ...]:
        """The ``count`` segments with the highest word error rate that have any errors, worst first."""
        ranked = sorted(self.segments, key=lambda s: (-s.wer, s.index))
        return tuple(s for s in ranked[:count] if s.errors)

    def to_dict(self) -> dict[str, Any]:
        """Everything in the report as JSON-ready values, derived figures included."""
        derived = (
            "passed", "failures", "words", "wer", "reference_wer",
            "speaker_spread_lu", "voices_distinct", "real_time_factor",
        )
        data = asdict(self)
        data["episode"] = str(self.episode)
        data.update({name: getattr(self, name) for name in derived})
        for key, rows in (("segments", self.segments), ("speakers", self.speakers)):
            for row, source in zip(data[key], rows, strict=True):
                row["wer"], row["reference_wer"] = source.wer, source.reference_wer
        data["worst"] = [segment.index for segment in self.worst()]
        return _finite(data)

    def to_json(self) -> str:
        """`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _clipping(report: QualityReport) -> list[str]:
    count = report.clipped_samples
    if not count:
        return []
    return [f"{count} clipped sample{'s' * (count != 1)} (at or above {CLIP_LEVEL} of full scale)"]


def _clicks(report: QualityReport) -> list[str]:
    if not report.clicks:
        return []
    where = ", ".join(clock(click.at_ms) for click in report.clicks[:5])
    more = f" and {len(report.clicks) - 5} more" if len(report.clicks) > 5 else ""
    return [f"{len(report.clicks)} click{'s' * (len(report.clicks) != 1)} at joins: {where}{more}"]


def _distinct_voices(report: QualityReport) -> list[str]:
    if report.voice_pairs:
        return [reason for pair in report.voice_pairs for reason in _alike_pair(report, pair)]
    base = next(s for s in report.speakers if s.speaker == report.reference_speaker)
    reasons = []
    for other in report.speakers:
        if other is base:
            continue
        if other.f0_hz is None or base.f0_hz is None:
            silent = other.speaker if other.f0_hz is None else base.speaker
            reasons.append(f"no voiced speech found for {silent}, so voices cannot be told apart by pitch")
        elif other.f0_difference is not None and other.f0_difference < MIN_F0_DIFFERENCE:
            reasons.append(
                f"{other.speaker}'s median pitch ({other.f0_hz:.0f} Hz) is within {MIN_F0_DIFFERENCE:.0%} "
                f"of {base.speaker}'s ({base.f0_hz:.0f} Hz): listeners may not tell them apart"
            )
    return reasons


def _alike_pair(report: QualityReport, pair: VoicePair) -> list[str]:
    """Why two speakers may sound like one: by timbre, or by pitch where timbre could not be measured."""
    speakers = {s.speaker: s for s in report.speakers}
    first, second = speakers[pair.first], speakers[pair.second]
    pitch = f"pitch {_number(first.f0_hz, ' Hz', 0)} and {_number(second.f0_hz, ' Hz', 0)}"
    if pair.alike:
        return [f"{pair.first} and {pair.second} sound alike (timbre distance {pair.distance:.2f}, at most "
                f"{SAME_VOICE_MAX:g} is one voice; {pitch}): cast voices listeners can tell apart"]
    gap = _pitch_gap(first, second)
    if pair.distance is None and gap is not None and gap < MIN_F0_DIFFERENCE:
        return [f"{pair.first} and {pair.second} speak too little to compare their timbre, and their {pitch} "
                f"are within {MIN_F0_DIFFERENCE:.0%}: listeners may not tell them apart"]
    return []


def _loudness(report: QualityReport) -> list[str]:
    level, target = report.loudness_lufs, report.target_lufs
    if level is None:
        return ["the episode is silent or too short to measure its loudness"]
    if abs(level - target) > LOUDNESS_TOLERANCE_LU:
        return [f"integrated loudness {level:.1f} LUFS is outside {target:g} ± {LOUDNESS_TOLERANCE_LU:g} LU"]
    return []


def _matched_voices(report: QualityReport) -> list[str]:
    spread = report.speaker_spread_lu
    if spread is not None and spread > MAX_SPEAKER_SPREAD_LU:
        levels = ", ".join(f"{s.speaker} {s.loudness_lufs:.1f}" for s in report.speakers if s.loudness_lufs)
        return [f"speakers are {spread:.1f} LU apart ({levels} LUFS): one voice sounds louder than another"]
    return []


HARD_CHECKS = (_clipping, _clicks, _distinct_voices, _loudness, _matched_voices)
"""Each hard check gives the reasons the episode fails it (none when it passes)."""


def _finite(value: Any) -> Any:
    """JSON has no infinities: a silent file's −inf dBTP becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def clock(ms: float) -> str:
    """A time in the episode as h:mm:ss.s or m:ss.s."""
    minutes, seconds = divmod(ms / 1000, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{seconds:04.1f}" if hours else f"{minutes}:{seconds:04.1f}"


def _number(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}{unit}"


def _wer(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "(nothing)"


def render_report(report: QualityReport) -> str:
    """The report as Markdown: verdict and reasons, summary, speakers, worst segments."""
    verdict = "PASS" if report.passed else "FAIL"
    lines = [f"# Listening check: {report.episode.name} — {verdict}", ""]
    lines += [f"- {reason}" for reason in report.failures] or ["All hard checks passed."]
    spread = report.speaker_spread_lu
    lines += [
        "",
        "| measure | value |",
        "|---|---|",
        f"| duration | {clock(report.duration_s * 1000)} |",
        f"| word error rate | {_wer(report.wer)} over {report.words} words |",
        f"| reference voice WER (same text) | {_wer(report.reference_wer)} |",
        f"| integrated loudness | {_number(report.loudness_lufs, ' LUFS')} "
        f"(target {report.target_lufs:g} ± {LOUDNESS_TOLERANCE_LU:g}) |",
        f"| true peak | {_number(report.true_peak_dbtp, ' dBTP')} |",
        f"| loudness spread between speakers | {_number(spread, ' LU')} |",
        f"| clipped samples | {report.clipped_samples} |",
        f"| clicks at joins | {len(report.clicks)} |",
        f"| check time | {report.check_seconds:.1f} s (real-time factor {report.real_time_factor:.2f}) |",
        "",
        "## Speakers",
        "",
        f"| speaker | segments | words | WER | reference WER | median F0 | vs {report.reference_speaker} "
        "| loudness | spread |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.speaker} | {s.segments} | {s.words} | {_wer(s.wer)} | {_wer(s.reference_wer)} "
        f"| {_number(s.f0_hz, ' Hz', 0)} | {_wer(s.f0_difference)} | {_number(s.loudness_lufs, ' LUFS')} "
        f"| {_number(s.loudness_spread_lu, ' LU')} |"
        for s in report.speakers
    ]
    if report.voice_pairs:
        lines += ["", "## Voices by timbre", "",
                  f"| speakers | timbre distance (at most {SAME_VOICE_MAX:g}: one voice) | verdict |",
                  "|---|---|---|"]
        lines += [
            f"| {p.first} · {p.second} | {_number(p.distance, digits=2)} "
            f"| {'alike' if p.alike else 'distinct' if p.distance is not None else 'unmeasured'} |"
            for p in report.voice_pairs
        ]
    worst = report.worst()
    if worst:
        lines += ["", "## Worst segments", "", "| at | speaker | WER | reference | text | heard |",
                  "|---|---|---|---|---|---|"]
        lines += [
            f"| {clock(s.start_ms)} | {s.speaker} | {_wer(s.wer)} | {_wer(s.reference_wer)} "
            f"| {_cell(s.text)} | {_cell(s.heard)} |"
            for s in worst
        ]
    if report.clicks:
        lines += ["", "## Clicks", "", "| at | step | largest step in the speech |", "|---|---|---|"]
        lines += [f"| {clock(c.at_ms)} | {c.jump:.3f} | {c.limit:.3f} |" for c in report.clicks]
    return "\n".join(lines) + "\n"

