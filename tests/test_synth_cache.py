"""The segment cache: round trip, keys, and damaged entries that must read as misses, never crash."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.synth.cache import SegmentCache, cache_root
from pipeline.synth.voices import Voice

VOICE = Voice(name="narrator", engine="piper", speaker="", settings={"length_scale": 1.0})


@pytest.fixture
def cache(tmp_path: Path) -> SegmentCache:
    return SegmentCache(tmp_path / "segments")


def tone(seconds: float = 0.5, rate: int = 22050) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_round_trip(cache: SegmentCache) -> None:
    key = cache.key(VOICE, "model-a", "Hello.")
    assert cache.get(key) is None
    stored = cache.put(key, tone(), 22050)
    found = cache.get(key)
    assert found == stored and found.frames == 11025 and found.sample_rate == 22050
    assert found.audio.suffix == ".flac" and found.audio.parent.name == key[:2]
    import soundfile

    audio, rate = soundfile.read(found.audio, dtype="float32")
    assert rate == 22050 and np.max(np.abs(audio - tone())) < 1e-5  # 24-bit PCM


@pytest.mark.skipif(sys.platform != "linux", reason="XDG base directories")
def test_the_default_cache_is_the_users_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESSAYCAST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "essaycast"


def test_environment_moves_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_root() == tmp_path / "elsewhere"
    assert SegmentCache().root == tmp_path / "elsewhere" / "segments"


@pytest.mark.parametrize(
    "change",
    [
        lambda voice, identity, text: (voice, identity, text + "!"),
        lambda voice, identity, text: (voice, "model-b", text),
        lambda voice, identity, text: (replace(voice, speaker="1"), identity, text),
        lambda voice, identity, text: (replace(voice, settings={"length_scale": 1.1}), identity, text),
        lambda voice, identity, text: (replace(voice, engine="kokoro"), identity, text),
    ],
)
def test_key_changes_with_what_shapes_the_sound(cache: SegmentCache, change) -> None:
    base = (VOICE, "model-a", "Hello.")
    assert cache.key(*change(*base)) != cache.key(*base)


def test_key_ignores_the_profile_name(cache: SegmentCache) -> None:
    assert cache.key(replace(VOICE, name="joe"), "m", "Hi.") == cache.key(VOICE, "m", "Hi.")


def truncate(audio: Path, sidecar: Path) -> None:
    audio.write_bytes(audio.read_bytes()[:100])


def flip_byte(audio: Path, sidecar: Path) -> None:
    data = bytearray(audio.read_bytes())
    data[len(data) // 2] ^= 0xFF
    audio.write_bytes(bytes(data))


def garble_sidecar(audio: Path, sidecar: Path) -> None:
    sidecar.write_text("{not json", encoding="utf-8")


def drop_sidecar_field(audio: Path, sidecar: Path) -> None:
    sidecar.write_text('{"sha256": "x"}', encoding="utf-8")


def remove_audio(audio: Path, sidecar: Path) -> None:
    audio.unlink()


def remove_sidecar(audio: Path, sidecar: Path) -> None:
    sidecar.unlink()


@pytest.mark.parametrize(
    "damage", [truncate, flip_byte, garble_sidecar, drop_sidecar_field, remove_audio, remove_sidecar]
)
def test_damaged_entries_are_misses(cache: SegmentCache, damage) -> None:
    key = cache.key(VOICE, "m", "Hello.")
    cache.put(key, tone(), 22050)
    damage(*cache.paths(key))
    assert cache.get(key) is None
    cache.put(key, tone(), 22050)  # re-rendering repairs it
    assert cache.get(key) is not None


def test_put_leaves_no_temporary_files(cache: SegmentCache) -> None:
    key = cache.key(VOICE, "m", "Hello.")
    cache.put(key, tone(), 22050)
    assert sorted(p.name for p in cache.root.rglob("*")) == sorted([key[:2], f"{key}.flac", f"{key}.json"])
