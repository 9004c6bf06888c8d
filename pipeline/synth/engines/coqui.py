"""Coqui engine (optional extra ``essaycast[coqui]``): local Coqui TTS checkpoints such as VITS or XTTS.

A profile points ``model`` at a checkpoint file (``.pth``) or at the folder a Coqui download left
(``$TTS_HOME/tts/tts_models--en--vctk--vits``); ``config`` defaults to the ``config.json`` beside it.
essaycast never downloads: a released model name (``tts_models/en/vctk/vits``) is refused up front
with a message saying where Coqui keeps downloaded files, so Coqui's downloader (and XTTS's interactive
licence prompt, which only the downloader shows) is never reached. Install route: docs/coqui.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import EssaycastError
from pipeline.synth.engines import file_digest, is_hub_name, local_file

if TYPE_CHECKING:
    import numpy as np
    from TTS.api import TTS

    from pipeline.synth.voices import Voice

SETTINGS: dict[str, type] = {"language": str, "length_scale": float, "volume": float}
"""Profile settings: language of a multilingual model (XTTS, YourTTS), phoneme length for models that
have one (VITS, Glow-TTS; > 1 is slower), loudness factor."""

INSTALL_HINT = "pip install 'essaycast[coqui]' after a CPU torch (docs/coqui.md)"
"""How to get the backend; torch first, or pip pulls a multi-GB CUDA build."""

REQUIRED_MODULES = ("TTS", "torch", "torchaudio", "torchcodec")
"""What ``import TTS`` needs (coqui-tts checks that torchaudio and, with torch >= 2.9, torchcodec exist)."""

MODEL_TYPES = ("tts_models", "vocoder_models", "voice_conversion_models")
"""First part of a Coqui released-model name (``tts_models/<language>/<dataset>/<model>``)."""

HF_CACHE_HINT = "~/.cache/huggingface/hub/models--<repo>/snapshots/<revision>"
"""Where Coqui's downloader puts the models it takes from the Hugging Face hub (XTTS)."""

CHECKPOINT_NAMES = ("model_file.pth", "model_file.pth.tar", "model.pth", "checkpoint.pth")
"""Checkpoint file names Coqui looks for in a model folder, in its order."""

TAIL_S = 0.2
"""Silence after each sentence. Coqui pads ~0.45 s; the other engines keep about 0.2 s, so voices
alternate at the same pace."""


@dataclass(frozen=True)
class CoquiEngine:
    """A loaded Coqui model speaking as one speaker."""

    tts: TTS
    """Coqui's API object holding the model."""
    speaker: str | None
    """Speaker name for a multi-speaker model."""
    language: str | None
    """Language name for a multilingual model."""
    volume: float
    """Loudness factor."""
    sample_rate: int
    """The model's output rate."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """One chunk per sentence, split by Coqui's own segmenter for the model's language."""
        import numpy as np

        tail = np.zeros(round(TAIL_S * self.sample_rate), dtype=np.float32)
        for sentence in self.tts.synthesizer.split_into_sentences(text, self.language):
            if not any(ch.isalnum() for ch in sentence):
                continue  # nothing to say: VITS cannot take an empty token sequence
            wav = self.tts.tts(sentence, speaker=self.speaker, language=self.language, split_sentences=False)
            # Coqui appends a fixed run of exact zeros; keep a short natural pause instead.
            audio = np.trim_zeros(np.asarray(wav, dtype=np.float32), "b") * np.float32(self.volume)
            yield np.concatenate([np.clip(audio, -1.0, 1.0), tail])


def download_dir() -> Path:
    """Where Coqui's downloader keeps released models: ``$TTS_HOME/tts`` (default: the user data dir)."""
    import platformdirs

    base = os.environ.get("TTS_HOME") or os.environ.get("XDG_DATA_HOME") or platformdirs.user_data_dir()
    return Path(base).expanduser() / "tts"


def is_model_name(reference: str) -> bool:
    """True for a released-model name (``tts_models/en/vctk/vits``) rather than a file path."""
    return reference.split("/", 1)[0] in MODEL_TYPES or is_hub_name(reference)


def model_files(voice: Voice) -> tuple[Path, Path]:
    """The voice's checkpoint and config; clear errors for model names, missing files and folders."""
    reference = voice.model
    if not reference:
        raise EssaycastError(
            f"{voice.origin}: a coqui voice needs a model",
            hint='set model = "/path/to/model.pth" (a Coqui checkpoint, config.json beside it)',
        )
    path = voice.path(reference)
    if not path.exists() and is_model_name(reference):
        # Coqui fetches XTTS from the Hugging Face hub (into its cache), the others into $TTS_HOME/tts.
        folder = HF_CACHE_HINT if "xtts" in reference else str(download_dir() / reference.replace("/", "--"))
        raise EssaycastError(
            f"{voice.origin}: {reference!r} is a Coqui model name, and essaycast never downloads models",
            hint=f"fetch it once with Coqui's `tts --model_name {reference}` where there is network, "
            f"then set model to the folder it lands in: {folder}",
        )
    if path.is_dir():
        checkpoint = next((path / name for name in CHECKPOINT_NAMES if (path / name).is_file()), None)
        if checkpoint is None:
            raise EssaycastError(
                f"{voice.origin}: no Coqui checkpoint in {path} (looked for {', '.join(CHECKPOINT_NAMES)})",
                hint="set model to the checkpoint file itself",
            )
        config = voice.config or str(path / "config.json")
    else:
        checkpoint = local_file(voice, reference, "model")
        config = voice.config or str(checkpoint.with_name("config.json"))
    return checkpoint, local_file(voice, config, "config")


_COMMENT = re.compile(r'("(?:[^"\\]|\\.)*")|/\*.*?\*/|//[^\n]*', re.S)
"""A JSON string (group 1, kept: URLs contain //) or a comment (dropped)."""


def _json_with_comments(text: str) -> Any:
    # Older Coqui configs carry // and /* */ comments, which Coqui's own reader strips too.
    return json.loads(_COMMENT.sub(lambda m: m.group(1) or "", text))


def _yaml(text: str) -> Any:
    import yaml  # a coqui-tts dependency

    return yaml.safe_load(text)


CONFIG_READERS: dict[str, Callable[[str], Any]] = {
    ".json": _json_with_comments,
    ".yaml": _yaml,
    ".yml": _yaml,
}
"""Config file suffix → parser (Coqui reads the same formats)."""


def read_config(voice: Voice, path: Path) -> dict[str, Any]:
    """The model config as a dict, without importing Coqui (which imports torch)."""
    reader = CONFIG_READERS.get(path.suffix.lower(), _json_with_comments)
    try:
        config = reader(path.read_text(encoding="utf-8"))
        int(config["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError, ImportError) as exc:
        raise EssaycastError(
            f"{voice.origin}: {path} is not a Coqui model config ({type(exc).__name__}: {exc})",
            hint="use the config.json that came with the model",
        ) from None
    return config


def availability(voice: Voice) -> str:
    """Why the voice cannot speak now (backend not installed, model name, missing files), else empty."""
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return f"the Coqui TTS backend is not installed (missing {missing[0]}): {INSTALL_HINT}"
    try:
        read_config(voice, model_files(voice)[1])
    except EssaycastError as exc:
        return str(exc)
    return ""


def identity(voice: Voice) -> str:
    """Content hashes of the checkpoint and its config."""
    checkpoint, config = model_files(voice)
    return f"coqui:{file_digest(checkpoint)}:{file_digest(config)}"


def sample_rate(voice: Voice) -> int:
    """The model's output rate, read from its config."""
    audio = read_config(voice, model_files(voice)[1])["audio"]
    return int(audio.get("output_sample_rate") or audio["sample_rate"])


def _download_errors() -> tuple[type[BaseException], ...]:
    """What Coqui raises when loading reaches for the network anyway (a config naming a hub file)."""
    import requests
    from huggingface_hub.errors import LocalEntryNotFoundError

    return requests.exceptions.ConnectionError, LocalEntryNotFoundError


def _open(voice: Voice, checkpoint: Path, config: Path, threads: int) -> TTS:
    """Coqui's API object for local files on the CPU, with its failures turned into one-line errors."""
    try:
        import torch
        from TTS.api import TTS
    except (ImportError, OSError) as exc:
        # OSError: a native library that does not load (a CUDA-linked torchaudio, docs/coqui.md).
        first = (str(exc).strip().splitlines() or [""])[0]
        raise EssaycastError(f"the Coqui TTS backend does not import: {first}", hint=INSTALL_HINT) from None
    torch.set_num_threads(max(1, threads))
    try:
        return TTS(model_path=str(checkpoint), config_path=str(config), progress_bar=False)
    except _download_errors() as exc:
        raise EssaycastError(
            f"{voice.origin}: loading {checkpoint.name} needs files from the network ({type(exc).__name__})",
            hint=f"download them where there is network (Coqui keeps them in {download_dir()}) "
            "and point the model's config.json at the local copies",
        ) from None
    except FileNotFoundError as exc:
        raise EssaycastError(
            f"{voice.origin}: the model's config names a file that is not here: {exc.filename or exc}",
            hint=f"fix the path in {config} (URLs must be downloaded first)",
        ) from None
    except (RuntimeError, ValueError, KeyError, TypeError, AssertionError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise EssaycastError(
            f"{voice.origin}: cannot load Coqui model {checkpoint}: {type(exc).__name__}: {first}",
            hint="check that model and config belong together",
        ) from None


def _choose(voice: Voice, what: str, wanted: str, names: list[str] | None) -> str | None:
    """The speaker or language the profile asks for, checked against what the model has."""
    if not names:
        if wanted:
            raise EssaycastError(
                f"{voice.origin}: the model has a single {what}, so {what} = {wanted!r} cannot apply",
                hint=f"remove {what} from the profile",
            )
        return None
    if wanted in names:
        return wanted
    if what == "speaker" and wanted.isdigit() and int(wanted) < len(names):
        return names[int(wanted)]
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    problem = f"the model has no {what} {wanted!r}" if wanted else f"the model has {len(names)} {what}s"
    raise EssaycastError(f"{voice.origin}: {problem}", hint=f"set {what} to one of: {shown}")


def load(voice: Voice, threads: int = 1) -> CoquiEngine:
    """Load the checkpoint on the CPU with ``threads`` torch threads and pick speaker and language."""
    checkpoint, config = model_files(voice)
    tts = _open(voice, checkpoint, config, threads)
    speaker = _choose(voice, "speaker", voice.speaker, tts.speakers)
    language = _choose(voice, "language", str(voice.settings.get("language", "")), tts.languages)
    if "length_scale" in voice.settings:
        model = tts.synthesizer.tts_model
        if not hasattr(model, "length_scale"):
            raise EssaycastError(
                f"{voice.origin}: this {type(model).__name__} model has no length_scale",
                hint="remove length_scale from the profile's settings",
            )
        model.length_scale = float(voice.settings["length_scale"])
    return CoquiEngine(
        tts=tts,
        speaker=speaker,
        language=language,
        volume=float(voice.settings.get("volume", 1.0)),
        sample_rate=int(tts.synthesizer.output_sample_rate),
    )
