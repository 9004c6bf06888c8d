"""Festival engine: the system's Festival speech synthesizer, run through its ``text2wave`` script.

Optional: only usable where Festival and a voice are installed (Debian/Ubuntu:
``apt-get install festival festvox-us-slt-hts`` for the clear US female voice ``cmu_us_slt_arctic_hts``).
Festival reads a whole text with its own phrasing, so a segment comes back as one chunk.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.synth.engines import file_digest

if TYPE_CHECKING:
    import numpy as np

    from pipeline.synth.voices import Voice

SETTINGS: dict[str, type] = {"volume": float}
"""Profile settings: loudness factor (text2wave's ``-scale``)."""

COST = 1.0
"""About Piper's speed here (RTF 0.07), plus a process start per segment."""

SAMPLE_RATE = 32000
"""Output rate asked of text2wave (``-F``): the HTS voices' own rate."""

DEFAULT_SPEAKER = "cmu_us_slt_arctic_hts"
"""Festival voice used when the profile names none."""

INSTALL_HINT = "apt-get install festival festvox-us-slt-hts"
"""How to get Festival and its best US English voice on Debian/Ubuntu."""


@dataclass(frozen=True)
class FestivalEngine:
    """text2wave with one Festival voice."""

    text2wave: str
    """Path of the text2wave script."""
    speaker: str
    """Festival voice name (``cmu_us_slt_arctic_hts``)."""
    volume: float
    """Loudness factor."""
    sample_rate: int = SAMPLE_RATE
    """Output rate."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """The whole text as one chunk."""
        import soundfile

        with tempfile.TemporaryDirectory(prefix="essaycast-festival-") as tmp:
            source, wav = Path(tmp) / "text.txt", Path(tmp) / "speech.wav"
            source.write_text(text + "\n", encoding="utf-8")
            command = [
                self.text2wave, "-F", str(self.sample_rate), "-scale", str(self.volume),
                "-eval", f"(voice_{self.speaker})", "-o", str(wav), str(source),
            ]
            try:
                # Generous limit: Festival runs ~15x faster than real time; a hang must not stall a render.
                done = subprocess.run(command, capture_output=True, text=True, timeout=60 + len(text) / 10)
            except subprocess.TimeoutExpired:
                raise EssaycastError(
                    "Festival did not finish in time", hint="check the festival install"
                ) from None
            if done.returncode != 0 or not wav.is_file():
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise EssaycastError(f"Festival failed: {last}", hint="check the festival install")
            audio, _ = soundfile.read(wav, dtype="float32", always_2d=False)
        yield audio


def _text2wave() -> str:
    return shutil.which("text2wave") or ""


def voice_dir(speaker: str) -> Path | None:
    """The installed folder of a Festival voice, looked up beside the festival installation."""
    text2wave = _text2wave()
    if not text2wave:
        return None
    prefix = Path(text2wave).resolve().parents[1]
    for root in (prefix / "share" / "festival" / "voices", Path("/usr/share/festival/voices")):
        for found in sorted(root.glob(f"*/{speaker}")):
            return found
    return None


def _speaker(voice: Voice) -> str:
    return voice.speaker or DEFAULT_SPEAKER


def availability(voice: Voice) -> str:
    """Empty when text2wave and the voice are installed, else how to install them."""
    if not re.fullmatch(r"\w+", _speaker(voice)):
        return f"{voice.origin}: {_speaker(voice)!r} is not a Festival voice name (e.g. {DEFAULT_SPEAKER})"
    if not _text2wave():
        return f"Festival is not installed ({INSTALL_HINT})"
    if voice_dir(_speaker(voice)) is None:
        hint = INSTALL_HINT if _speaker(voice) == DEFAULT_SPEAKER else "install its festvox package"
        return f"Festival voice {_speaker(voice)} is not installed ({hint})"
    return ""


def identity(voice: Voice) -> str:
    """Hash of the voice's files and the text2wave script."""
    folder = voice_dir(_speaker(voice))
    if folder is None:
        raise EssaycastError(availability(voice))
    digest = hashlib.sha256(file_digest(Path(_text2wave())).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)}:{file_digest(path)}".encode())
    return f"festival:{_speaker(voice)}:{digest.hexdigest()}"


def sample_rate(voice: Voice) -> int:
    """The rate text2wave is asked for."""
    return SAMPLE_RATE


def load(voice: Voice, threads: int = 1) -> FestivalEngine:
    """Check the installation; Festival itself starts per segment."""
    problem = availability(voice)
    if problem:
        raise EssaycastError(f"{voice.origin}: {problem}")
    return FestivalEngine(_text2wave(), _speaker(voice), float(voice.settings.get("volume", 1.0)))
