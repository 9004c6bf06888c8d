"""Parts: an episode mastered a section at a time, so that changing one section re-masters only it.

An episode without a music bed is cut into parts at section breaks long enough to hide a join
(`CUT_PAUSE_MS`). Each part is levelled, limited, encoded and verified on its own (``master`` does
that) and stored in the part cache under a key naming everything that shapes it: its pieces' audio
(by content), speakers and pauses, and the loudness, ceiling, bitrate, rate and fades. The episode's
MP3 is the parts' MPEG frames joined behind one Info frame (``mpeg.join``), so changing one section
re-masters one part, and every section is levelled to the target on its own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.files import atomic_path, sha256_of, verified_sidecar, write_text
from pipeline.mix.assemble import Span
from pipeline.synth.cache import cache_root
from pipeline.synth.engines import file_digest

if TYPE_CHECKING:
    from pipeline.mix.assemble import Piece
    from pipeline.mix.loudness import Measurement

CUT_PAUSE_MS = 200
"""A section break at least this long may separate two parts: the MPEG frames on both sides of the
join then hold nothing but silence, so the decoder's overlap across it adds nothing audible."""
PART_FORMAT = 2
"""Version of how a part is mastered and stored; part of every key."""


@dataclass(frozen=True)
class MasteredPart:
    """One part of an episode: its MP3 (as encoded, Info frame included) and what was measured."""

    mp3: Path
    """The encoded part."""
    frames: int
    """Length of the part's audio (what a gapless decoder gives)."""
    spans: tuple[Span, ...]
    """Where each piece landed, in frames from the part's start."""
    measured: Measurement
    """Loudness and true peak of the decoded part."""


def split(pieces: Sequence[Piece]) -> list[tuple[Piece, ...]]:
    """``pieces`` cut into parts at every section break of at least `CUT_PAUSE_MS` (never next to
    an intro or outro, which are levelled with the speech beside them)."""
    parts: list[list[Piece]] = [[]]
    for piece, after in zip(pieces, [*pieces[1:], None], strict=True):
        parts[-1].append(piece)
        if (after is not None and piece.is_speech and after.is_speech and piece.section != after.section
                and piece.pause_ms >= CUT_PAUSE_MS):
            parts.append([])
    return [tuple(part) for part in parts]


def part_key(pieces: Sequence[Piece], settings: dict[str, object]) -> str:
    """Cache key of a part: its pieces' audio (by content), groups and pauses, and the mastering
    ``settings``.

    Audio is named by the SHA-256 of its file, not by path or modification time, so two machines
    (or two cache folders) holding the same segments agree on every key, and a segment synthesized
    again with different samples (Piper is not deterministic) makes a new part. Section numbers are
    left out, so a part moved by an edit elsewhere is still found.
    """
    recipe = {
        "format": PART_FORMAT,
        "settings": settings,
        "pieces": [[file_digest(piece.source), piece.group, piece.pause_ms] for piece in pieces],
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PartCache:
    """Mastered parts on disk, by key: ``KEY.mp3`` and a ``KEY.json`` sidecar with what was measured
    and the SHA-256 of the MP3 (an entry whose hash does not match is mastered again)."""

    root: Path
    """Folder holding the entries (two-letter fan-out subfolders)."""

    @classmethod
    def default(cls) -> PartCache:
        """The cache beside the segment cache."""
        return cls(cache_root() / "parts")

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.mp3", folder / f"{key}.json"

    def get(self, key: str) -> MasteredPart | None:
        """The part stored under ``key`` if it is present and intact."""
        import numpy as np

        from pipeline.mix.loudness import Measurement

        mp3, sidecar = self._paths(key)
        meta = verified_sidecar(mp3, sidecar)
        if meta is None:
            return None
        try:
            measured = Measurement(float(meta["lufs"]), float(meta["dbtp"]),
                                   np.asarray(meta["steps"], dtype=np.float64), int(meta["step"]))
            spans = tuple(Span(int(start), int(end), str(group)) for start, end, group in meta["spans"])
            return MasteredPart(mp3, int(meta["frames"]), spans, measured)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, part: MasteredPart) -> MasteredPart:
        """Store ``part`` (its MP3 is copied) and return it as stored."""
        mp3, sidecar = self._paths(key)
        with atomic_path(mp3) as tmp:
            shutil.copyfile(part.mp3, tmp)
            digest = sha256_of(tmp)
        measured = part.measured
        meta = {"sha256": digest, "frames": part.frames, "lufs": measured.lufs, "dbtp": measured.dbtp,
                "step": measured.step, "steps": measured.steps.tolist(),
                "spans": [[span.start, span.end, span.group] for span in part.spans]}
        write_text(sidecar, json.dumps(meta) + "\n")
        return MasteredPart(mp3, part.frames, part.spans, measured)

