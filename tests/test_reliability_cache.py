"""A damaged segment cache is repaired by the next render, without an error and without a different episode.

The cache keeps each segment as a FLAC file plus a JSON sidecar holding its SHA-256; an entry whose
audio is truncated, altered or missing, or whose sidecar is garbage, must count as absent: the render
synthesizes those segments again and the episode comes out the same. The script uses the noise-free
``steady`` voice, so a segment synthesized twice gives the same samples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from test_reliability_support import FIXTURES, run, segment_counts

from pipeline.mix.episode import Episode
from pipeline.synth.cache import SegmentCache


def damage_truncate(audio: Path, sidecar: Path) -> None:
    audio.write_bytes(audio.read_bytes()[: audio.stat().st_size // 2])


def damage_flip_a_byte(audio: Path, sidecar: Path) -> None:
    data = bytearray(audio.read_bytes())
    data[len(data) // 2] ^= 0xFF
    audio.write_bytes(bytes(data))


def damage_garbage_sidecar(audio: Path, sidecar: Path) -> None:
    sidecar.write_text('{"sample_rate": 22050, "frames": ', "utf-8")


def damage_remove_audio(audio: Path, sidecar: Path) -> None:
    audio.unlink()


DAMAGE = (damage_truncate, damage_flip_a_byte, damage_garbage_sidecar, damage_remove_audio)
"""One way of breaking an entry each; the script has more segments than this, so some stay intact."""


def test_damaged_entries_are_rendered_again_and_the_episode_is_the_same(tmp_path: Path) -> None:
    import soundfile

    work, cache = tmp_path / "work", tmp_path / "cache"
    shutil.copytree(FIXTURES / "voices", work / "voices")
    shutil.copy(FIXTURES / "crash.md", work / "episode.md")

    first = run("render", "episode.md", "-o", "first/episode.mp3", cwd=work, cache=cache)
    assert first.returncode == 0, first.stderr
    total, _, synthesized = segment_counts(first.stdout)
    entries = sorted((cache / "segments").glob("*/*.flac"))
    assert synthesized == total == len(entries) > len(DAMAGE)

    for damage, audio in zip(DAMAGE, entries, strict=False):
        damage(audio, audio.with_suffix(".json"))
    again = run("render", "episode.md", "-o", "again/episode.mp3", cwd=work, cache=cache)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert segment_counts(again.stdout) == (total, total - len(DAMAGE), len(DAMAGE))

    before, after = Episode.load(work / "first/episode.mp3"), Episode.load(work / "again/episode.mp3")
    assert after.duration_ms == before.duration_ms
    assert after.chapters == before.chapters
    assert after.cues == before.cues
    first_audio, _ = soundfile.read(work / "first/episode.mp3", dtype="int16")
    again_audio, _ = soundfile.read(work / "again/episode.mp3", dtype="int16")
    assert (first_audio == again_audio).all()
    # Every entry is whole again, so a third render would synthesize nothing.
    store = SegmentCache(cache / "segments")
    assert all(store.get(audio.stem) is not None for audio in entries)
