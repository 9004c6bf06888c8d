"""Voice profiles: shipped ones, overriding from ./voices, validation with one-line errors, hub names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.errors import EssaycastError
from pipeline.synth import voices as voices_module
from pipeline.synth.engines import engine_module, is_hub_name
from pipeline.synth.voices import get_voice, load_voices, read_profile, voice_statuses

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a folder without voices/ so only shipped profiles count unless a test adds some."""
    monkeypatch.chdir(tmp_path)


def write_profile(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles() -> None:
    voices = load_voices()
    assert {"narrator", "samantha", "slt"} <= set(voices)
    assert voices["narrator"].engine == "piper" and voices["narrator"].model == ""
    samantha = voices["samantha"]
    assert (samantha.engine, samantha.speaker, samantha.settings["speed"]) == ("kokoro", "jf_gongitsune", 0.9)
    assert voices["slt"].engine == "festival"
    for voice in voices.values():
        assert voice.license and voice.description and voice.source is not None


def test_shipped_defaults_are_usable_here() -> None:
    statuses = {status.voice.name: status for status in voice_statuses()}
    assert statuses["narrator"].problem == "" and statuses["narrator"].sample_rate == 22050
    assert statuses["samantha"].problem == "" and statuses["samantha"].sample_rate == 24000


def test_cwd_voices_add_and_override(tmp_path: Path) -> None:
    write_profile(tmp_path / "voices", "narrator", 'engine = "piper"\n[settings]\nlength_scale = 1.2\n')
    write_profile(tmp_path / "voices", "guest", 'engine = "kokoro"\nspeaker = "jf_alpha"\n')
    voices = load_voices()
    assert voices["narrator"].settings == {"length_scale": 1.2}
    assert voices["narrator"].source == (tmp_path / "voices" / "narrator.toml").absolute()
    assert voices["guest"].speaker == "jf_alpha"
    assert "samantha" in voices


def test_wheel_layout_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed wheel keeps profiles in pipeline/_voices (pyproject's force-include) and uses them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    force = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force["voices"] == "pipeline/_voices"
    assert voices_module.PACKAGED_VOICES == ROOT / "pipeline" / "_voices"
    assert voices_module.shipped_voices_dir() == ROOT / "voices"  # source checkout
    packaged = tmp_path / "site" / "pipeline" / "_voices"
    write_profile(packaged, "narrator", 'engine = "piper"\ndescription = "from the wheel"\n')
    monkeypatch.setattr(voices_module, "PACKAGED_VOICES", packaged)
    assert load_voices()["narrator"].description == "from the wheel"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('engine = "piper"\nvoice = "x"\n', "unknown key 'voice'"),
        ('engine = "piper"\nmodel = 3\n', "model must be a string, not int"),
        ("engine = 1\n", "engine must be a string"),
        ('description = "no engine"\n', "missing engine"),
        ('engine = "espeak"\n', "unknown engine 'espeak'"),
        ('engine = "piper"\nspeaker = true\n', "speaker must be a name or a number"),
        ('engine = "piper"\nsettings = 2\n', "settings must be a table"),
        ('engine = "kokoro"\n[settings]\nspeed = "fast"\n', "setting speed must be float, not a string"),
        ('engine = "kokoro"\n[settings]\nspeed = true\n', "setting speed must be float, not a boolean"),
        ('engine = "piper"\n[settings]\nspeed = 1.0\n', "unknown setting 'speed'"),
        ('engine = "piper\n', "not valid TOML"),
    ],
)
def test_bad_profiles_name_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write_profile(tmp_path / "voices", "broken", text)
    with pytest.raises(EssaycastError) as caught:
        load_voices()
    message = str(caught.value)
    assert message.startswith(str(path.absolute())) and expected in message
    assert "\n" not in message


def test_whole_numbers_count_as_floats(tmp_path: Path) -> None:
    path = write_profile(tmp_path, "calm", 'engine = "piper"\nspeaker = 0\n[settings]\nvolume = 1\n')
    voice = read_profile(path)
    assert voice.settings == {"volume": 1} and voice.speaker == "0"


def test_unknown_voice_lists_available() -> None:
    with pytest.raises(EssaycastError, match=r"unknown voice 'nobody' \(available: .*narrator.*samantha"):
        get_voice("nobody")


@pytest.mark.parametrize("engine", ["piper", "kokoro"])
@pytest.mark.parametrize("reference", ["hexgrad/Kokoro-82M", "hf://rhasspy/piper-voices/en_US-joe.onnx"])
def test_hub_names_say_how_to_use_local_files(tmp_path: Path, engine: str, reference: str) -> None:
    voice = read_profile(write_profile(tmp_path, "hub", f'engine = "{engine}"\nmodel = "{reference}"\n'))
    problem = engine_module(engine).availability(voice)
    assert "model-hub name" in problem and "never downloads" in problem
    assert 'model = "/path/to/file"' in problem


def test_missing_model_file_is_reported(tmp_path: Path) -> None:
    voice = read_profile(write_profile(tmp_path, "gone", 'engine = "piper"\nmodel = "models/gone.onnx"\n'))
    problem = engine_module("piper").availability(voice)
    assert f"model file not found: {tmp_path / 'models' / 'gone.onnx'}" in problem


@pytest.mark.parametrize(
    ("reference", "hub"),
    [
        ("hexgrad/Kokoro-82M", True),
        ("tts_models/en/vctk/vits", True),
        ("https://example.org/model.onnx", True),
        ("models/voice.onnx", False),
        ("./Kokoro-82M", False),
        ("/opt/voices/kokoro", False),
        ("~/voices/joe", False),
        ("voice.onnx", False),
    ],
)
def test_is_hub_name(reference: str, hub: bool) -> None:
    assert is_hub_name(reference) is hub


def test_unknown_speaker_lists_choices(tmp_path: Path) -> None:
    voice = read_profile(write_profile(tmp_path, "who", 'engine = "kokoro"\nspeaker = "af_nobody"\n'))
    problem = engine_module("kokoro").availability(voice)
    assert "no speaker 'af_nobody'" in problem and "jf_gongitsune" in problem
