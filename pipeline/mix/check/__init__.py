"""Listening-quality check of a finished episode: would a listener understand it, and does it sound right?

``check(episode.mp3)`` transcribes every cue with an offline recognizer and scores it against the
script text (beside the same text spoken by the reference voice), measures each voice's pitch,
the loudness and true peak, and counts clipped samples and clicks at joins. See docs/quality.md.
"""

from pipeline.mix.check.checker import DEFAULT_TARGET_LUFS, check, script_cues
from pipeline.mix.check.measures import Click
from pipeline.mix.check.report import (
    QualityReport,
    SegmentQuality,
    SpeakerQuality,
    VoicePair,
    render_report,
)

__all__ = [
    "DEFAULT_TARGET_LUFS",
    "Click",
    "QualityReport",
    "SegmentQuality",
    "SpeakerQuality",
    "VoicePair",
    "check",
    "render_report",
    "script_cues",
]
