"""Auditions: one short sentence per voice written into a folder, with a page of players to pick by ear."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.files import atomic_path, write_text
from pipeline.synth.cache import SegmentCache
from pipeline.synth.voices import Voice

SAMPLE_TEXT = "Hello, I'm {name}. This is how I would read your essay, one sentence after another."
"""What each voice says in its sample (``{name}``: the profile name)."""


def write_samples(
    voices: Sequence[Voice],
    folder: Path,
    *,
    cache: SegmentCache | None = None,
    on_sample: Callable[[Voice, Path], None] | None = None,
) -> Path:
    """``folder/NAME.wav`` for every voice and ``folder/index.html`` playing them; returns the page."""
    import soundfile

    from pipeline.synth.render import cached_speech

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for voice in voices:
        found = cached_speech(voice, SAMPLE_TEXT.format(name=voice.name), cache)
        assert found is not None  # synthesize=True always gives speech
        samples, rate = found
        dest = folder / f"{voice.name}.wav"
        with atomic_path(dest) as tmp:
            soundfile.write(tmp, samples, rate, subtype="PCM_16", format="WAV")
        hint = " · ".join(part for part in (voice.gender, voice.pitch and f"{voice.pitch} pitch") if part)
        rows.append(
            f"<tr><td><b>{html.escape(voice.name)}</b></td><td>{html.escape(hint)}</td>"
            f"<td>{html.escape(voice.description)}</td>"
            f'<td><audio controls preload="none" src="{html.escape(dest.name)}"></audio></td></tr>'
        )
        if on_sample is not None:
            on_sample(voice, dest)
    page = folder / "index.html"
    write_text(page, (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>essaycast voices</title>'
        "</head>\n<body><h1>essaycast voices</h1>\n<table>\n" + "\n".join(rows) + "\n</table></body></html>\n"
    ))
    return page
