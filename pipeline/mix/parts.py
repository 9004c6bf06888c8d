"""Parts: an episode mastered a section at a time, so that changing one section re-masters only it.

An episode without a music bed is cut into parts at section breaks long enough to hide a join
(`CUT_PAUSE_MS`). Each part is levelled, limited, encoded and verified on its own (``master`` does
that) and stored in the part cache under a key naming everything that shapes it: its pieces' audio
(by content), speakers and pauses, and the loudness, ceiling, bitrate, rate and fades. The episode's
MP3 is the parts' MPEG frames joined behind one Info frame (``mpeg.join``), so changing one section
re-masters one part, and every section is levelled to the target on its own.

A part can also be mastered on another machine (`RemoteParts`, on a Dask cluster's workers): its
pieces' audio files travel there as bytes (`ShippedPiece`) and its MP3 comes back (`ShippedPart`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.files import atomic_path, sha256_of, verified_sidecar, write_text
from pipeline.mix.assemble import Span
from pipeline.synth import cache as segment_cache
from pipeline.synth.cache import cache_root
from pipeline.synth.engines import file_digest

if TYPE_CHECKING:
    from pipeline.mix.assemble import Piece
    from pipeline.mix.loudness import Measurement
    from pipeline.mix.master import Progress, _Episode

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
        # how segments are made: bumped, every part is mastered again even where the audio came out the same
        "segments": segment_cache.FORMAT,
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



@dataclass(frozen=True)
class ShippedPiece:
    """A piece of a part on its way to another machine: its audio file's bytes and its place."""

    suffix: str
    """The audio file's suffix (``.flac`` for a segment), so it is read the same way there."""
    audio: bytes
    """The file's content."""
    group: str
    """Level group (speaker, intro or outro)."""
    pause_ms: int
    """Silence after it."""
    section: int
    """Script section (-1 for intro/outro)."""
    index: int
    """Segment index within the section."""
    seconds: float
    """Length of its audio as known before it is read (`Piece.seconds`): it decides, there as here,
    how the part is levelled."""


@dataclass(frozen=True)
class ShippedPart:
    """A part mastered on another machine, on its way back: the MP3's bytes and what was measured."""

    mp3: bytes
    """The encoded part."""
    frames: int
    """Length of the part's audio."""
    spans: tuple[Span, ...]
    """Where each piece landed."""
    measured: Measurement
    """Loudness and true peak of the decoded part."""


def master_shipped(episode: _Episode, shipped: Sequence[ShippedPiece], encoder_gain: float) -> ShippedPart:
    """Master one part from shipped pieces, on whatever machine this runs (a Dask worker): the audio
    goes into a scratch folder, the part is mastered as `master` would, and its MP3 comes back as bytes."""
    import tempfile
    from functools import partial

    from pipeline.mix.assemble import Piece, read_mono
    from pipeline.mix.master import _master_part

    with tempfile.TemporaryDirectory(prefix="essaycast-part-") as scratch:
        pieces = []
        for number, piece in enumerate(shipped):
            path = Path(scratch) / f"{number}{piece.suffix}"
            path.write_bytes(piece.audio)
            pieces.append(Piece(partial(read_mono, path, piece.group), path, piece.group, piece.pause_ms,
                                piece.section, piece.index, piece.seconds))
        part = _master_part(episode, pieces, Path(scratch) / "work", encoder_gain,
                            lambda phase, done, total: None)
        return ShippedPart(part.mp3.read_bytes(), part.frames, part.spans, part.measured)


@dataclass(frozen=True)
class RemoteParts:
    """A `pipeline.mix.master.PartMaster` that masters each part elsewhere: the pieces' audio files go
    out as bytes through ``call`` (such as `pipeline.synth.cluster.DaskExecutor.call`), and the MP3
    comes back into the part's folder here. Progress is reported when the part is back."""

    call: Callable[..., ShippedPart]
    """Runs ``call(function, *args)`` somewhere and returns its result."""

    def __call__(self, episode: _Episode, pieces: Sequence[Piece], work: Path, encoder_gain: float,
                 report: Progress) -> MasteredPart:
        """Master ``pieces`` remotely; the part's MP3 lands in the new folder ``work``."""
        shipped = [ShippedPiece(piece.source.suffix, piece.source.read_bytes(), piece.group, piece.pause_ms,
                                piece.section, piece.index, piece.seconds) for piece in pieces]
        made = self.call(master_shipped, episode, shipped, encoder_gain)
        work.mkdir()
        mp3 = work / "part.mp3"
        mp3.write_bytes(made.mp3)
        from pipeline.mix.master import PHASES

        for phase in PHASES:
            report(phase, 1, 1)
        return MasteredPart(mp3, made.frames, made.spans, made.measured)
