"""Voice profiles: what a voice name (``narrator``, ``samantha``) means — engine, model, speaker, settings.

Profiles are TOML files named after the voice::

    # voices/narrator.toml
    engine = "piper"
    description = "Joe, a calm US English male voice"
    license = "CC0-1.0"
    [settings]
    length_scale = 1.0

Shipped ones come with the package (``pipeline/_voices`` in a wheel, the repository's ``voices/`` in
a source checkout); a ``voices/`` folder in the working directory adds profiles or overrides shipped
ones of the same name. A profile that cannot be read is an error naming its file, never skipped.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import EssaycastError
from pipeline.script.model import SPEAKER_RE

PACKAGED_VOICES = Path(__file__).resolve().parents[1] / "_voices"
"""Where a wheel install keeps the shipped profiles (pyproject force-includes ``voices/`` there)."""

CHECKOUT_VOICES = Path(__file__).resolve().parents[2] / "voices"
"""The shipped profiles in a source checkout or editable install."""

LOCAL_VOICES = Path("voices")
"""The user's own profiles, relative to the working directory."""

LEXICON_FILE = "lexicon.toml"
"""A pronunciation lexicon kept beside the profiles (pipeline.synth.lexicon), never a profile itself."""


@dataclass(frozen=True)
class Voice:
    """One voice profile."""

    name: str
    """Profile name, the file's stem (``narrator`` for ``narrator.toml``)."""
    engine: str
    """Engine name from the registry (piper, kokoro, coqui, festival)."""
    model: str = ""
    """Model reference: empty for the engine's packaged default, else a path (relative to the profile)."""
    config: str = ""
    """Model config path where the engine needs one (Piper ``.onnx.json``, Coqui ``config.json``,
    Kokoro ``config.json`` with its vocabulary)."""
    speaker: str = ""
    """Speaker id or name within a multi-speaker model or voice pack (e.g. ``jf_gongitsune``); Kokoro
    also takes a blend of pack entries (``jf_gongitsune:0.7 + jm_kumo:0.3``)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Engine settings (length_scale, noise_scale, noise_w_scale, speed, volume, ...)."""
    description: str = ""
    """One line for ``essaycast voices``."""
    license: str = ""
    """Licence of the voice/model."""
    source: Path | None = None
    """The TOML file this profile was read from."""
    voices: str = ""
    """Voice pack file where the engine keeps speakers apart from the model (Kokoro ``.npz``/``.bin``)."""
    gender: str = ""
    """How the voice presents, for automatic casting: ``female``, ``male`` or ``neutral`` (empty: unknown)."""
    pitch: str = ""
    """Its pitch band, for automatic casting and ``essaycast voices``: ``low``, ``mid`` or ``high``."""

    def path(self, reference: str) -> Path:
        """Resolve a model/config path relative to the profile file."""
        p = Path(reference).expanduser()
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p

    @property
    def origin(self) -> str:
        """Where the profile came from, for messages."""
        return str(self.source) if self.source is not None else f"voice {self.name!r}"


_TEXT_KEYS = ("engine", "model", "config", "voices", "description", "license", "gender", "pitch")
"""Top-level keys whose value is a string."""

PROFILE_KEYS = (*_TEXT_KEYS, "speaker", "settings")
"""Every key a profile may have."""
GENDERS = ("female", "male", "neutral")
"""Values of a profile's ``gender`` hint."""
PITCHES = ("low", "mid", "high")
"""Values of a profile's ``pitch`` hint."""


def parse_profile(path: Path, data: Mapping[str, Any]) -> Voice:
    """Build a Voice from one parsed TOML file, rejecting unknown keys and wrong types."""

    def bad(message: str) -> EssaycastError:
        return EssaycastError(f"{path}: {message}", hint="fix the voice profile")

    name = path.stem
    if not SPEAKER_RE.match(name):
        raise bad(f"bad profile name {name!r} (use lowercase letters, digits, - or _; at most 32)")
    unknown = [key for key in data if key not in PROFILE_KEYS]
    if unknown:
        raise bad(f"unknown key {unknown[0]!r} (allowed: {', '.join(PROFILE_KEYS)})")
    for key in _TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            raise bad(f"{key} must be a string, not {_type_name(data[key])}")
    if not data.get("engine"):
        raise bad("missing engine (e.g. engine = \"piper\")")
    for key, allowed in (("gender", GENDERS), ("pitch", PITCHES)):
        if data.get(key, "") not in ("", *allowed):
            raise bad(f"{key} must be one of {', '.join(allowed)}, not {data[key]!r}")
    speaker = data.get("speaker", "")
    if isinstance(speaker, bool) or not isinstance(speaker, str | int):
        raise bad(f"speaker must be a name or a number, not {_type_name(speaker)}")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise bad(f"settings must be a table ([settings]), not {_type_name(settings)}")
    voice = Voice(
        name=name,
        engine=data["engine"],
        model=data.get("model", ""),
        config=data.get("config", ""),
        voices=data.get("voices", ""),
        speaker=str(speaker),
        settings=dict(settings),
        description=data.get("description", ""),
        license=data.get("license", ""),
        gender=data.get("gender", ""),
        pitch=data.get("pitch", ""),
        source=path,
    )
    from pipeline.synth.engines import engine_module

    try:
        module = engine_module(voice.engine)
    except EssaycastError as exc:
        raise bad(exc.message + (f" — {exc.hint}" if exc.hint else "")) from None
    problem = check_settings(voice.settings, getattr(module, "SETTINGS", None))
    if problem:
        raise bad(problem)
    return voice


def check_settings(settings: Mapping[str, Any], allowed: Mapping[str, type] | None) -> str:
    """Why ``settings`` do not fit the engine's ``SETTINGS`` table, or empty when they do.

    Whole numbers are accepted where a float is expected (``volume = 1``); booleans never count
    as numbers. Without a table (an engine that does not declare one) everything is accepted.
    """
    if allowed is None:
        return ""
    for key, value in settings.items():
        if key not in allowed:
            return f"unknown setting {key!r} (allowed: {', '.join(allowed) or 'none'})"
        expected = allowed[key]
        accepted = (int, float) if expected is float else (expected,)
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, accepted):
            return f"setting {key} must be {expected.__name__}, not {_type_name(value)}"
    return ""


def _type_name(value: object) -> str:
    return {dict: "a table", list: "a list", bool: "a boolean", str: "a string"}.get(
        type(value), type(value).__name__
    )


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """One TOML file (a voice profile, a lexicon), or a one-line error naming it as ``what``."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise EssaycastError(f"{path}: not valid TOML: {exc}", hint=f"fix the {what}") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_profile(path: Path) -> Voice:
    """Read and validate one profile file."""
    return parse_profile(path, read_toml(path, "voice profile"))


def shipped_voices_dir() -> Path:
    """The folder holding the shipped profiles: inside the installed package, else the checkout's."""
    return PACKAGED_VOICES if PACKAGED_VOICES.is_dir() else CHECKOUT_VOICES


def load_voices(local: Path | None = None) -> dict[str, Voice]:
    """Every profile by name: the shipped ones, then ``local`` (default ``./voices``) on top.

    Raises EssaycastError naming the file for any profile that cannot be read or is invalid.
    """
    voices: dict[str, Voice] = {}
    local = LOCAL_VOICES if local is None else local
    folders = [shipped_voices_dir()]
    if local.is_dir() and local.resolve() != folders[0].resolve():
        folders.append(local)
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            if path.name == LEXICON_FILE:
                continue
            voice = read_profile(path.absolute())
            voices[voice.name] = voice
    return voices


def get_voice(name: str, voices: Mapping[str, Voice] | None = None) -> Voice:
    """The profile called ``name``; an error listing the available ones if there is none."""
    voices = load_voices() if voices is None else voices
    try:
        return voices[name]
    except KeyError:
        raise unknown_voice(name, voices) from None


def unknown_voice(name: str, voices: Mapping[str, Voice]) -> EssaycastError:
    """The error for a voice name that has no profile."""
    return EssaycastError(
        f"unknown voice {name!r} (available: {', '.join(sorted(voices)) or 'none'})",
        hint=f"add voices/{name}.toml or cast one of the listed voices",
    )


@dataclass(frozen=True)
class VoiceStatus:
    """Whether a profile can speak on this machine now, for ``essaycast voices``."""

    voice: Voice
    """The profile."""
    sample_rate: int | None
    """Its output rate, when it can be told without the model."""
    problem: str
    """Why it cannot speak now and how to fix it; empty when it can."""


def voice_statuses(voices: Mapping[str, Voice] | None = None) -> list[VoiceStatus]:
    """The status of every profile, by name."""
    from pipeline.synth.engines import engine_module

    statuses = []
    for _, voice in sorted((load_voices() if voices is None else voices).items()):
        module = engine_module(voice.engine)
        # The table row already names the profile; keep the reason short.
        problem = module.availability(voice).removeprefix(f"{voice.origin}: ")
        try:
            rate: int | None = module.sample_rate(voice)
        except EssaycastError:
            rate = None
        statuses.append(VoiceStatus(voice, rate, problem))
    return statuses
