"""The segment cache: each synthesized segment stored once, keyed by everything that shapes its sound.

An entry is a FLAC file (24-bit PCM, mono, the engine's rate) plus a small JSON sidecar holding its
rate, length and SHA-256. Both are written atomically, audio first; an entry counts only when the
sidecar's hash matches the audio, so a crash, a truncated file or two processes racing on the same
key can only cost a re-render, never a broken segment. The key is a hash of the engine, the model
files' identity, the speaker (a Kokoro blend as written), the settings and the text as the engine reads
it, after the pronunciation lexicon — not the profile's name, so renaming a profile or swapping a
voice back and forth costs nothing, and a lexicon entry touches only the segments with its word.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.files import verified_sidecar, write_bytes, write_text

if TYPE_CHECKING:
    import numpy as np

    from pipeline.synth.voices import Voice

CACHE_ENV = "ESSAYCAST_CACHE_DIR"
"""Environment variable that moves the whole cache (tests, users with a faster disk)."""

FORMAT = 1
"""Version of the entry layout and of how audio is produced; part of every key."""


def cache_root() -> Path:
    """essaycast's cache folder: ``$ESSAYCAST_CACHE_DIR`` or the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        root = Path(override).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("essaycast"))
    blocker = next((folder for folder in (root, *root.parents) if folder.exists()), None)
    if blocker is not None and not blocker.is_dir():
        where = f"{CACHE_ENV}={override}" if override else str(root)
        raise EssaycastError(f"the cache folder {where} cannot be used: {blocker} is a file, not a folder",
                             hint=f"point {CACHE_ENV} at a folder, or move the file away")
    return root


@dataclass(frozen=True)
class CacheEntry:
    """One stored segment."""

    audio: Path
    """The FLAC file."""
    sample_rate: int
    """Its rate in Hz."""
    frames: int
    """Its length in samples."""


@dataclass(frozen=True)
class SegmentCache:
    """Rendered segments on disk, by key."""

    root: Path = field(default_factory=lambda: cache_root() / "segments")
    """Folder holding the entries (two-letter fan-out subfolders)."""

    def key(self, voice: Voice, identity: str, text: str) -> str:
        """The key of ``text`` spoken by ``voice`` whose model files have ``identity``."""
        recipe = {
            "format": FORMAT,
            "engine": voice.engine,
            "identity": identity,
            "speaker": voice.speaker,
            "settings": voice.settings,
            "text": text,
        }
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()

    def paths(self, key: str) -> tuple[Path, Path]:
        """The audio file and sidecar of ``key``."""
        folder = self.root / key[:2]
        return folder / f"{key}.flac", folder / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key`` if it is present and intact, else None (missing or damaged)."""
        audio, sidecar = self.paths(key)
        meta = verified_sidecar(audio, sidecar)
        try:
            entry = CacheEntry(audio, int(meta["sample_rate"]), int(meta["frames"])) if meta else None
        except (ValueError, KeyError, TypeError):
            return None
        return entry if entry is not None and _decodes(entry) else None

    def put(self, key: str, samples: np.ndarray, sample_rate: int) -> CacheEntry:
        """Store mono float samples in [-1, 1] under ``key`` and return the entry."""
        import numpy as np

        return self.put_flac(key, flac_bytes(samples, sample_rate), sample_rate, int(np.size(samples)))

    def put_flac(self, key: str, flac: bytes, sample_rate: int, frames: int) -> CacheEntry:
        """Store an entry's FLAC file as made by `flac_bytes` (here or on another machine)."""
        audio, sidecar = self.paths(key)
        write_bytes(audio, flac)
        meta = {"sample_rate": sample_rate, "frames": frames, "sha256": hashlib.sha256(flac).hexdigest()}
        write_text(sidecar, json.dumps(meta) + "\n")
        return CacheEntry(audio, sample_rate, frames)


def flac_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono float samples as the cache stores them: a 24-bit FLAC file, clipped to [-1, 1].

    Made where the speech is synthesized (a worker process, another machine) so that only these
    bytes travel back to the cache.
    """
    import io

    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    samples = np.clip(np.asarray(samples, dtype=np.float32).ravel(), -1.0, 1.0)
    soundfile.write(buffer, samples, sample_rate, subtype="PCM_24", format="FLAC")
    return buffer.getvalue()


def _decodes(entry: CacheEntry) -> bool:
    """Whether the entry's audio is the FLAC its sidecar describes (a hash only proves the bytes are the
    ones stored, and bytes can be stored wrong): its header is read, not its samples, so this is cheap."""
    import soundfile

    try:
        info = soundfile.info(str(entry.audio))
    except (soundfile.LibsndfileError, RuntimeError, OSError):
        return False
    return (info.format, info.samplerate, info.frames, info.channels) == ("FLAC", entry.sample_rate,
                                                                         entry.frames, 1)
