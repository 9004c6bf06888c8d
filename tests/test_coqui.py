"""The Coqui engine: profile → local checkpoint, speakers, sentence chunks, and its one-line errors.

Tests marked ``coqui`` need the optional backend (``make test-coqui`` runs them in ``.venv-coqui``) and
speak with a tiny randomly initialised two-speaker VITS built once per session. The others check what
needs no torch (file resolution, model names, install message) and run in the main suite.
"""

from __future__ import annotations

import builtins
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import EssaycastError
from pipeline.synth.engines import coqui
from pipeline.synth.voices import Voice, read_profile

TEXT = "The tide was out. We walked to the island and back!"
"""Two sentences."""


def write_profile(folder: Path, name: str, body: str) -> Voice:
    """A voice profile file in ``folder`` read back as the renderer would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text('engine = "coqui"\n' + body, encoding="utf-8")
    return read_profile(path)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding the tiny VITS checkpoint and config (built once per session)."""
    pytest.importorskip("TTS.api", reason="needs essaycast[coqui] (make test-coqui)")
    from coqui_model import build_tiny_vits

    folder = tmp_path_factory.mktemp("tiny-vits")
    build_tiny_vits(folder)
    return folder


@pytest.fixture
def profiles(tmp_path: Path, tiny_model: Path) -> Path:
    """A fresh voices folder; its profiles refer to the session's tiny model by absolute path."""
    return tmp_path / "voices"


def tiny_voice(profiles: Path, tiny_model: Path, extra: str = "", name: str = "tiny") -> Voice:
    """A profile for the tiny model, with ``extra`` profile lines."""
    return write_profile(
        profiles,
        name,
        f'model = "{tiny_model / "model.pth"}"\nconfig = "{tiny_model / "config.json"}"\n{extra}',
    )


def speak(voice: Voice, seed: int = 1) -> tuple[list[np.ndarray], int]:
    """The chunks the engine yields for TEXT, with torch's noise seeded so runs can be compared."""
    import torch

    engine = coqui.load(voice, threads=1)
    torch.manual_seed(seed)
    return list(engine.synthesize(TEXT)), engine.sample_rate


# --- with the Coqui backend ---------------------------------------------------------------------------


@pytest.mark.coqui
def test_each_speaker_speaks_sentence_chunks(profiles: Path, tiny_model: Path) -> None:
    from coqui_model import SAMPLE_RATE, SPEAKERS

    voices = [tiny_voice(profiles, tiny_model, f'speaker = "{s}"\n', name=s) for s in SPEAKERS]
    spoken = {}
    for voice in voices:
        assert coqui.availability(voice) == ""
        assert coqui.sample_rate(voice) == SAMPLE_RATE
        chunks, rate = speak(voice)
        assert rate == SAMPLE_RATE
        assert len(chunks) == 2  # one per sentence
        for chunk in chunks:
            assert chunk.dtype == np.float32 and chunk.ndim == 1
            assert chunk.size > round(coqui.TAIL_S * rate)  # speech before the pause
            assert np.isfinite(chunk).all() and np.abs(chunk).max() <= 1.0
            assert np.abs(chunk[: -round(coqui.TAIL_S * rate)]).max() > 0
        spoken[voice.speaker] = np.concatenate(chunks)
    # Same seed, same text: only the speaker embedding differs between the two renders.
    again, _ = speak(voices[0])
    np.testing.assert_array_equal(np.concatenate(again), spoken[SPEAKERS[0]])
    first, second = (spoken[s] for s in SPEAKERS)
    assert first.shape != second.shape or not np.allclose(first, second)


@pytest.mark.coqui
def test_say_writes_the_voice_to_a_wav(
    profiles: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soundfile

    from pipeline.synth.render import say

    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "cache"))
    seconds = say(tiny_voice(profiles, tiny_model, 'speaker = "grace"\n'), TEXT, tmp_path / "out.wav")
    audio, rate = soundfile.read(tmp_path / "out.wav")
    assert rate == 16000 and audio.ndim == 1
    assert audio.size / rate == pytest.approx(seconds)


@pytest.mark.coqui
def test_speaker_by_index(profiles: Path, tiny_model: Path) -> None:
    engine = coqui.load(tiny_voice(profiles, tiny_model, "speaker = 1\n"))
    assert engine.speaker == "grace"


@pytest.mark.coqui
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("", r"the model has 2 speakers \(set speaker to one of: ada, grace\)"),
        ('speaker = "linus"\n', r"no speaker 'linus' \(set speaker to one of: ada, grace\)"),
        ('speaker = "ada"\n[settings]\nlanguage = "fr"\n', r"single language, so language = 'fr'"),
    ],
)
def test_speaker_and_language_are_checked(profiles: Path, tiny_model: Path, extra: str, message: str) -> None:
    with pytest.raises(EssaycastError, match=message):
        coqui.load(tiny_voice(profiles, tiny_model, extra))


@pytest.mark.coqui
def test_settings_shape_the_speech(profiles: Path, tiny_model: Path) -> None:
    plain, _ = speak(tiny_voice(profiles, tiny_model, 'speaker = "ada"\n'))
    slow, _ = speak(tiny_voice(profiles, tiny_model, 'speaker = "ada"\n[settings]\nlength_scale = 2.0\n'))
    quiet, _ = speak(tiny_voice(profiles, tiny_model, 'speaker = "ada"\n[settings]\nvolume = 0.5\n'))
    # Durations are deterministic (plain duration predictor), rounded up to whole frames per token.
    assert all(len(s) > len(p) for s, p in zip(slow, plain, strict=True))
    for loud, soft in zip(plain, quiet, strict=True):
        np.testing.assert_allclose(soft, np.clip(loud * 0.5, -1, 1), atol=1e-6)


@pytest.mark.coqui
def test_load_uses_the_thread_budget(profiles: Path, tiny_model: Path) -> None:
    import torch

    coqui.load(tiny_voice(profiles, tiny_model, 'speaker = "ada"\n'), threads=1)
    assert torch.get_num_threads() == 1


@pytest.mark.coqui
def test_identity_follows_the_checkpoint(tmp_path: Path, tiny_model: Path) -> None:
    from coqui_model import build_tiny_vits

    folder = tmp_path / "model"
    build_tiny_vits(folder, seed=0)
    voice = write_profile(tmp_path / "voices", "tiny", 'model = "../model/model.pth"\n')
    before = coqui.identity(voice)
    assert before == coqui.identity(voice)
    build_tiny_vits(folder, seed=1)  # same config, other weights
    assert coqui.identity(voice) != before


@pytest.mark.coqui
def test_model_name_never_reaches_the_downloader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("TTS.api", reason="needs essaycast[coqui] (make test-coqui)")
    from TTS.utils.manage import ModelManager

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("Coqui's downloader was called")

    def no_prompt(*args: object) -> str:
        raise AssertionError("an interactive prompt was shown")

    monkeypatch.setattr(ModelManager, "download_model", no_download)
    monkeypatch.setattr(builtins, "input", no_prompt)
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "tts-home"))
    for name in ("tts_models/en/vctk/vits", "tts_models/multilingual/multi-dataset/xtts_v2"):
        voice = write_profile(tmp_path / "voices", "named", f'model = "{name}"\n')
        with pytest.raises(EssaycastError, match="never downloads"):
            coqui.load(voice)


@pytest.mark.coqui
def test_network_errors_while_loading_become_one_line(
    profiles: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests
    import TTS.api
    from huggingface_hub.errors import LocalEntryNotFoundError

    voice = tiny_voice(profiles, tiny_model, 'speaker = "ada"\n')
    for error in (requests.exceptions.ConnectionError("no route"), LocalEntryNotFoundError("offline")):

        def offline(*args: object, error: Exception = error, **kwargs: object) -> None:
            raise error

        monkeypatch.setattr(TTS.api, "TTS", offline)
        with pytest.raises(EssaycastError, match="needs files from the network"):
            coqui.load(voice)


@pytest.mark.coqui
def test_config_naming_a_url_is_a_clear_error(tmp_path: Path, tiny_model: Path) -> None:
    import json

    config = json.loads((tiny_model / "config.json").read_text(encoding="utf-8"))
    url = "https://example.invalid/speaker_encoder/config_se.json"
    config["model_args"]["speaker_encoder_model_path"] = url.replace("config_se.json", "model_se.pth")
    config["model_args"]["speaker_encoder_config_path"] = url
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    voice = write_profile(
        tmp_path / "voices", "remote",
        f'model = "{tiny_model / "model.pth"}"\nconfig = "../config.json"\nspeaker = "ada"\n',
    )
    with pytest.raises(EssaycastError, match=re.escape("names a file that is not here: https://example.invalid")):
        coqui.load(voice)


# --- without the backend: files, names and messages --------------------------------------------------


def fake_model(folder: Path, config: str = '{"audio": {"sample_rate": 22050}}') -> Path:
    """A checkpoint-shaped file and a config beside it (enough for everything but load)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_file.pth").write_bytes(b"weights v1")
    (folder / "config.json").write_text(config, encoding="utf-8")
    return folder


def test_missing_backend_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    voice = write_profile(tmp_path / "voices", "v", 'model = "../m/model_file.pth"\n')
    fake_model(tmp_path / "m")
    real_find_spec = importlib.util.find_spec

    def without_tts(name: str, *args: object) -> object:
        return None if name == "TTS" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_tts)
    reason = coqui.availability(voice)
    assert "install 'essaycast[coqui]'" in reason and "\n" not in reason


def test_model_name_is_refused_with_where_coqui_keeps_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "home"))
    voice = write_profile(tmp_path / "voices", "vctk", 'model = "tts_models/en/vctk/vits"\n')
    folder = tmp_path / "home" / "tts" / "tts_models--en--vctk--vits"
    with pytest.raises(EssaycastError, match="is a Coqui model name, and essaycast never downloads") as info:
        coqui.load(voice)
    assert str(folder) in info.value.hint
    assert coqui.availability(voice)


def test_a_downloaded_model_folder_works_as_the_model(tmp_path: Path) -> None:
    folder = fake_model(tmp_path / "tts" / "tts_models--en--vctk--vits")
    voice = write_profile(tmp_path / "voices", "vctk", f'model = "{folder}"\n')
    assert coqui.model_files(voice) == (folder / "model_file.pth", folder / "config.json")
    assert coqui.sample_rate(voice) == 22050


def test_config_comments_and_output_rate(tmp_path: Path) -> None:
    config = """{
        // written by hand
        "model": "xtts", /* the vocoder rate wins */
        "audio": {"sample_rate": 22050, "output_sample_rate": 24000},
        "url": "https://example.invalid/a//b"
    }"""
    fake_model(tmp_path / "m", config)
    voice = write_profile(tmp_path / "voices", "x", 'model = "../m/model_file.pth"\n')
    assert coqui.sample_rate(voice) == 24000


def test_identity_changes_with_either_file(tmp_path: Path) -> None:
    folder = fake_model(tmp_path / "m")
    voice = write_profile(tmp_path / "voices", "v", 'model = "../m"\n')
    first = coqui.identity(voice)
    (folder / "model_file.pth").write_bytes(b"weights v2, retrained")
    second = coqui.identity(voice)
    (folder / "config.json").write_text('{"audio": {"sample_rate": 16000}}', encoding="utf-8")
    assert len({first, second, coqui.identity(voice)}) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "a coqui voice needs a model"),
        ('model = "missing.pth"\n', "model file not found"),
        ('model = "../empty"\n', re.escape("no Coqui checkpoint in")),
        ('model = "../m/model_file.pth"\nconfig = "../m/nothing.json"\n', "config file not found"),
        ('model = "../bad/model_file.pth"\n', "is not a Coqui model config"),
    ],
)
def test_profile_problems_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    fake_model(tmp_path / "m")
    fake_model(tmp_path / "bad", config='{"model": "vits"}')
    (tmp_path / "empty").mkdir()
    voice = write_profile(tmp_path / "voices", "v", body)
    with pytest.raises(EssaycastError, match=message):
        coqui.sample_rate(voice)
    reason = coqui.availability(voice)
    assert reason and "\n" not in reason


def test_unknown_setting_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(EssaycastError, match="unknown setting 'speed'"):
        write_profile(tmp_path / "voices", "v", 'model = "m.pth"\n[settings]\nspeed = 1.2\n')
