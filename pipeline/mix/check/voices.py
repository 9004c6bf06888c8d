"""Comparing voice profiles by ear-like measures: each voice reads the same text, then timbre, pitch, WER.

``essaycast voices --compare`` and the palette test use this: every voice speaks `COMPARE_TEXT`
(through the segment cache, so a second comparison synthesizes nothing), its speech is
fingerprinted (`pipeline.mix.check.timbre`) and, when asked, transcribed by the check's recognizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.mix.check.timbre import Timbre, timbre

if TYPE_CHECKING:
    from pipeline.synth.cache import SegmentCache
    from pipeline.synth.voices import Voice

COMPARE_TEXT = (
    "Every morning the baker opened the shutters and let the smell of fresh bread into the street. "
    "Children stopped on their way to school, and the old man from the corner always bought two rolls."
)
"""What each voice reads to be compared: about six seconds of ordinary speech, enough voiced frames
for a steady fingerprint (calibration in docs/voices.md)."""


@dataclass(frozen=True)
class VoiceMeasure:
    """One voice reading one text, measured."""

    name: str
    """Profile name."""
    timbre: Timbre | None
    """Its fingerprint; None when too little voiced speech was found."""
    wer: float | None
    """Word error rate of the recognizer on it; None when not transcribed."""

    @property
    def f0_hz(self) -> float | None:
        """Median pitch over voiced frames."""
        return self.timbre.f0_hz if self.timbre else None


@dataclass(frozen=True)
class Comparison:
    """Every pair of measured voices and how far apart they sound."""

    voices: tuple[VoiceMeasure, ...]
    """The voices, in the order given."""

    def distance(self, a: str, b: str) -> float | None:
        """Timbre distance between two voices; None when either could not be fingerprinted."""
        found = {measure.name: measure.timbre for measure in self.voices}
        first, second = found[a], found[b]
        return first.distance(second) if first and second else None

    def distinct_from(self, name: str) -> list[str]:
        """The other voices that sound unlike ``name``."""
        return [other.name for other in self.voices if other.name != name
                and (d := self.distance(name, other.name)) is not None and not Timbre.alike(d)]

    def alike(self) -> list[tuple[str, str, float]]:
        """Pairs that sound like one voice, with their distance."""
        pairs = []
        for i, a in enumerate(self.voices):
            for b in self.voices[i + 1 :]:
                d = self.distance(a.name, b.name)
                if d is not None and Timbre.alike(d):
                    pairs.append((a.name, b.name, d))
        return pairs

    def nearest(self, name: str) -> tuple[str, float] | None:
        """The voice that sounds most like ``name`` and its distance."""
        scored = [(d, other.name) for other in self.voices if other.name != name
                  and (d := self.distance(name, other.name)) is not None]
        return (min(scored)[1], min(scored)[0]) if scored else None


def measure(
    voice: Voice,
    text: str = COMPARE_TEXT,
    *,
    transcribe: bool = False,
    cache: SegmentCache | None = None,
    synthesize: bool = True,
) -> VoiceMeasure | None:
    """``voice`` reading ``text``: its timbre, and its word error rate when ``transcribe``.

    With ``synthesize`` False only speech already in the segment cache is measured (None if absent).
    """
    from pipeline.mix.check.listen import ASR_RATE, Listener, require_recognizer, to_asr_rate
    from pipeline.mix.check.measures import word_error_rate
    from pipeline.synth.render import cached_speech

    found = cached_speech(voice, text, cache, synthesize=synthesize)
    if found is None:
        return None
    samples, rate = found
    heard = to_asr_rate(samples, rate)
    wer = None
    if transcribe:
        import numpy as np

        require_recognizer()
        pad = np.zeros(ASR_RATE // 5, dtype=np.float32)  # a little silence, as between cues
        wer = word_error_rate(text, Listener().transcribe(np.concatenate([pad, heard, pad])))
    return VoiceMeasure(voice.name, timbre(heard, ASR_RATE), wer)


def compare(
    voices: Sequence[Voice] | Mapping[str, Voice],
    text: str = COMPARE_TEXT,
    *,
    transcribe: bool = False,
    cache: SegmentCache | None = None,
    synthesize: bool = True,
) -> Comparison:
    """Every voice measured reading the same ``text`` (without ``synthesize``: those already cached)."""
    chosen = list(voices.values()) if isinstance(voices, Mapping) else list(voices)
    found = [measure(voice, text, transcribe=transcribe, cache=cache, synthesize=synthesize)
             for voice in chosen]
    return Comparison(tuple(measured for measured in found if measured is not None))
