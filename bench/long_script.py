"""A script several times longer than a given one, for measuring how memory grows with length.

Every repetition after the first opens each segment with a different lead-in, so no segment's text
repeats and the segment cache cannot short-circuit the render: the long script costs as much
synthesis per minute of audio as the original.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.script.model import Script, Section

LEAD_INS = (
    "Once more", "Again", "To repeat", "Listen again", "Put another way", "Restated",
    "In other words", "Returning to it", "From the top", "Said again", "One more time",
)
"""Openings for repetitions two onwards; one per repetition, so at most twelve repetitions."""

MAX_TIMES = len(LEAD_INS) + 1


def repeated(script: Script, times: int) -> Script:
    """``script``'s sections ``times`` times over, each repetition's text varied by its lead-in."""
    if not 1 <= times <= MAX_TIMES:
        raise ValueError(f"times must be 1 to {MAX_TIMES}, not {times}")
    sections = list(script.sections)
    for lead in LEAD_INS[: times - 1]:
        sections += [_varied(section, lead) for section in script.sections]
    return replace(script, title=f"{script.title} ×{times}", sections=tuple(sections))


def _varied(section: Section, lead: str) -> Section:
    segments = tuple(replace(segment, text=f"{lead}: {segment.text}") for segment in section.segments)
    return replace(section, title=f"{section.title} ({lead.lower()})", segments=segments)
