"""Automatic casting: a distinct voice profile for each character the script stage found.

The narrator's voice is never handed out. Characters with the most lines choose first; each takes an
unused profile that can speak on this machine, preferring one whose ``gender`` hint matches the
she/he evidence for the character (a profile without the hint fits anyone) and whose ``pitch`` band
differs most from the narrator's and from the voices already chosen. When there are more characters
than voices, voices are reused (the least used first) and the choice says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.script.candidates import Candidate
from pipeline.script.model import NARRATOR
from pipeline.synth.voices import PITCHES, Voice, load_voices

_PITCH_RANK = {pitch: rank for rank, pitch in enumerate(PITCHES)}


@dataclass(frozen=True)
class Casting:
    """The voice chosen for one character, and why."""

    speaker: str
    """The character's speaker id."""
    profile: str
    """The voice profile chosen."""
    reason: str
    """Why, in one line (lines, evidence, the profile's hints, reuse)."""
    reused: bool = False
    """True when the voice is also another character's (too few voices)."""


def _usable(voices: Mapping[str, Voice]) -> set[str]:
    from pipeline.synth.engines import engine_module

    return {name for name, voice in voices.items() if not engine_module(voice.engine).availability(voice)}


def _fit(candidate: Candidate, voice: Voice, narrator: Voice | None, chosen: list[Voice]) -> tuple[int, int]:
    """A sort key (higher is better) for giving ``voice`` to ``candidate``."""
    if candidate.gender and voice.gender:
        gender = 2 if voice.gender == candidate.gender else (1 if voice.gender == "neutral" else 0)
    else:
        gender = 1
    others = [other.pitch for other in ([narrator] if narrator else []) + chosen if other.pitch]
    distance = min((abs(_PITCH_RANK[voice.pitch] - _PITCH_RANK[pitch]) for pitch in others), default=1) \
        if voice.pitch else 0
    return gender, distance


def _why(candidate: Candidate, voice: Voice) -> str:
    hints = ", ".join(hint for hint in (voice.gender, f"{voice.pitch} pitch" if voice.pitch else "") if hint)
    evidence = f"{candidate.gender} by {', '.join(candidate.evidence[:3])}" if candidate.gender else \
        "no she/he evidence"
    lines = f"{candidate.lines} line{'s' if candidate.lines != 1 else ''}"
    return f"{lines}; {evidence}; voice {voice.name}" + (f" ({hints})" if hints else "")


def choose(
    candidates: Sequence[Candidate],
    voices: Mapping[str, Voice] | None = None,
    narrator: str = NARRATOR,
    usable: set[str] | None = None,
) -> list[Casting]:
    """A voice for every candidate (most lines first), never the narrator's profile ``narrator``.

    ``usable`` names the profiles that can speak now (default: asked of each engine); profiles that
    cannot are used only when no usable one is left.
    """
    voices = load_voices() if voices is None else voices
    usable = _usable(voices) if usable is None else usable
    pool = [voice for name, voice in sorted(voices.items()) if name != narrator]
    pool.sort(key=lambda voice: voice.name not in usable)  # stable: usable ones first, by name
    if not pool:
        return []
    narrator_voice = voices.get(narrator)
    chosen: list[Voice] = []
    uses: Counter[str] = Counter()
    castings = []
    speakable = [voice for voice in pool if voice.name in usable] or pool
    for candidate in sorted(candidates, key=lambda c: -c.lines):
        # an unused voice that can speak, else the least used one that can (never one that cannot)
        options = [voice for voice in speakable if not uses[voice.name]] or speakable
        least = min(uses[voice.name] for voice in options)
        options = [voice for voice in options if uses[voice.name] == least]
        voice = max(options, key=lambda v: (*_fit(candidate, v, narrator_voice, chosen), -pool.index(v)))
        uses[voice.name] += 1
        chosen.append(voice)
        reason = _why(candidate, voice)
        if candidate.gender and voice.gender not in ("", "neutral", candidate.gender):
            reason += f"; no free {candidate.gender} voice can speak here"
        if uses[voice.name] > 1:
            plural = "s" if len(speakable) != 1 else ""
            reason += f"; reused: only {len(speakable)} character voice{plural} can speak here"
        if voice.name not in usable:
            reason += "; this voice cannot speak here yet (see essaycast voices)"
        castings.append(Casting(candidate.speaker, voice.name, reason, uses[voice.name] > 1))
    return castings
