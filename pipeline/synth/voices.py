"""Voice profiles: what a voice name (``narrator``, ``samantha``) means — engine, model, speaker, settings.

Profiles are TOML files. Shipped ones come with the package; a ``voices/`` folder in the working
directory adds profiles or overrides shipped ones of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    """Model config path where the engine needs one (Piper ``.onnx.json``, Coqui ``config.json``)."""
    speaker: str = ""
    """Speaker id or name within a multi-speaker model or voice pack (e.g. ``jf_gongitsune``)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Engine settings (length_scale, noise_scale, noise_w, speed, volume, ...)."""
    description: str = ""
    """One line for ``essaycast voices``."""
    license: str = ""
    """Licence of the voice/model."""
    source: Path | None = None
    """The TOML file this profile was read from."""

    def path(self, reference: str) -> Path:
        """Resolve a model/config path relative to the profile file."""
        p = Path(reference).expanduser()
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p
