"""The listening-quality check: its measures on synthetic signals, and the whole check on a real episode.

The episode fixture is real speech: Piper joe (narrator) and Kokoro (samantha) sentences with
pauses, levelled, encoded to MP3 with its WebVTT transcript beside it, built once per module.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import EssaycastError
from pipeline.files import write_text
from pipeline.mix import sidecars
from pipeline.mix.check import (
    QualityReport,
    SegmentQuality,
    SpeakerQuality,
    check,
    measures,
    render_report,
    script_cues,
)
from pipeline.mix.check.listen import ASR_RATE
from pipeline.mix.episode import Cue
from pipeline.script.model import Cast, Pause, Script, Section, Segment

FIXTURES = Path(__file__).parent / "fixtures" / "check"
PAUSE_MS = 500
LINES = (
    ("narrator", "The old lighthouse keeper climbed the stairs every evening to light the lamp."),
    ("samantha", "I want to learn everything about everything."),
    ("narrator", "She asked him why he never took a day off, and he only smiled."),
    ("samantha", "Nobody in the village remembered a night when the light had failed."),
)

SCRIPT = Script(
    title="The keeper", cast=Cast({"narrator": "narrator", "samantha": "samantha"}),
    sections=(Section("Evening", tuple(Segment(speaker, text, Pause(PAUSE_MS)) for speaker, text in LINES)),),
)
"""The fixture episode's script: two voices taking turns."""

Built = tuple[Path, np.ndarray, int, tuple[Cue, ...]]
"""An episode fixture: its MP3 (VTT beside it), its audio as decoded, the audio's rate, its cues."""


# --- word error rate ----------------------------------------------------------------------------


WER_CASES = json.loads((FIXTURES / "wer.json").read_text())


@pytest.mark.parametrize("case", WER_CASES, ids=lambda c: c["reference"])
def test_word_errors_against_fixture_pairs(case: dict) -> None:
    expected = measures.words(case["reference"])
    assert len(expected) == case["words"]
    assert measures.word_errors(expected, measures.words(case["heard"])) == case["errors"]


def test_word_error_rate_normalises_both_sides() -> None:
    assert measures.word_error_rate("Hello, World!", "hello world") == 0
    assert measures.word_error_rate("one two three four", "one too three for") == 0.5
    assert measures.word_error_rate("", "anything") == 1.0


_word_lists = st.lists(st.sampled_from(["a", "the", "voice", "room", "love", "quiet"]), max_size=12)


@given(_word_lists, _word_lists)
def test_word_errors_is_a_distance(a: list[str], b: list[str]) -> None:
    assert measures.word_errors(a, a) == 0
    assert measures.word_errors(a, b) == measures.word_errors(b, a)
    assert abs(len(a) - len(b)) <= measures.word_errors(a, b) <= max(len(a), len(b))


# --- pitch --------------------------------------------------------------------------------------


def _tone(hz: float, harmonics: int, seconds: float = 1.0, rate: int = ASR_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.3 * sum(np.sin(2 * np.pi * k * hz * t) / k for k in range(1, harmonics + 1))


@pytest.mark.parametrize("harmonics", [1, 12], ids=["sine", "harmonic-rich"])
@pytest.mark.parametrize("hz", [62.0, 85.0, 110.0, 175.0, 230.0, 310.0, 395.0])
def test_pitch_of_tones_within_two_percent(hz: float, harmonics: int) -> None:
    pitch = measures.track_pitch(_tone(hz, harmonics), ASR_RATE)
    voiced = pitch[~np.isnan(pitch)]
    assert len(voiced) >= 0.9 * len(pitch)
    assert np.median(voiced) == pytest.approx(hz, rel=0.02)
    assert np.all(np.abs(voiced - hz) < 0.02 * hz)


@settings(max_examples=25, deadline=None)
@given(st.floats(62.0, 395.0), st.integers(1, 20), st.floats(0.05, 0.9))
def test_pitch_of_any_tone_within_two_percent(hz: float, harmonics: int, level: float) -> None:
    tone = _tone(hz, harmonics) * level / 0.3
    assert np.nanmedian(measures.track_pitch(tone, ASR_RATE)) == pytest.approx(hz, rel=0.02)


def test_pitch_at_another_rate() -> None:
    pitch = measures.track_pitch(_tone(140.0, 8, rate=44100), 44100)
    assert np.nanmedian(pitch) == pytest.approx(140.0, rel=0.02)


def test_silence_and_noise_are_unvoiced() -> None:
    assert np.isnan(measures.track_pitch(np.zeros(ASR_RATE), ASR_RATE)).all()
    noise = np.random.default_rng(7).normal(0, 0.1, ASR_RATE)
    assert np.isnan(measures.track_pitch(noise, ASR_RATE)).mean() > 0.95
    assert len(measures.track_pitch(np.zeros(100), ASR_RATE)) == 0


# --- clipping and clicks ----------------------------------------------------------------------


def test_clipped_samples_counts_full_scale_on_every_channel() -> None:
    audio = np.zeros((1000, 2), dtype=np.float32)
    audio[10:15, 0] = 1.0
    audio[20, 1] = -0.9995
    audio[30, 1] = 0.998  # loud but not at full scale
    assert measures.clipped_samples(audio) == 6


def _speechlike(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Syllables of a harmonic buzz with bursts of hiss, faded in and out like a mixed segment."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = _tone(110 + 20 * seed, 20, seconds, rate) * np.sin(2 * np.pi * 3 * t) ** 2
    x += rng.normal(0, 0.03, len(t)) * (np.sin(2 * np.pi * 2 * t) > 0.7)
    return _faded(x, rate)


def _faded(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` with 5 ms linear fades at both ends, as the mixer joins segments."""
    ramp = np.minimum(np.arange(len(x)), np.arange(len(x))[::-1]) / (0.005 * rate)
    return x * np.minimum(1.0, ramp)


def _joined(rate: int = 22050) -> tuple[np.ndarray, list[tuple[int, int]]]:
    parts, spans, at = [], [], 0
    for seed in range(3):
        speech, pause = _speechlike(1.0, rate, seed), np.zeros(rate // 2)
        spans.append((at, at + len(speech)))
        parts += [speech, pause]
        at += len(speech) + len(pause)
    return np.concatenate(parts), spans


def test_clean_joins_have_no_clicks() -> None:
    audio, spans = _joined()
    assert measures.find_clicks(audio, 22050, spans) == []


def test_a_step_at_a_join_is_a_click() -> None:
    audio, spans = _joined()
    end = spans[1][1]
    audio[end - 40 : end] = 0.5  # speech cut off on a held value: a step to silence at the join
    clicks = measures.find_clicks(audio, 22050, spans)
    assert len(clicks) == 1
    assert clicks[0].at_ms == pytest.approx(end * 1000 / 22050, abs=measures.JOIN_WINDOW_MS)
    assert clicks[0].jump == pytest.approx(0.5, abs=0.01)
    assert clicks[0].jump > clicks[0].limit


def test_a_step_inside_speech_raises_the_bar_instead() -> None:
    audio, spans = _joined()
    middle = (spans[0][0] + spans[0][1]) // 2
    audio[middle] += 0.9  # a spike mid-sentence is the voice's own business, not a join's
    assert measures.find_clicks(audio, 22050, spans) == []


# --- the report ---------------------------------------------------------------------------------


def _row(index: int, speaker: str, errors: int, f0: float | None = 100.0) -> SegmentQuality:
    return SegmentQuality(index=index, start_ms=index * 2000, end_ms=index * 2000 + 1500, speaker=speaker,
                          text="one two three four", words=4, heard="one two", errors=errors,
                          reference_heard="one two three four", reference_errors=0, f0_hz=f0,
                          loudness_lufs=-16.0)


def _report(**changes) -> QualityReport:
    segments = (_row(0, "narrator", 1), _row(1, "samantha", 3, 230.0), _row(2, "narrator", 0))
    speakers = (
        SpeakerQuality("narrator", 2, 8, 1, 0, 100.0, 0.0, -16.0, 0.5),
        SpeakerQuality("samantha", 1, 4, 3, 0, 230.0, 1.3, -17.0, 0.0),
    )
    base = QualityReport(episode=Path("ep.mp3"), duration_s=6.0, segments=segments, speakers=speakers,
                         reference_speaker="narrator", loudness_lufs=-16.2, target_lufs=-16.0,
                         true_peak_dbtp=-1.5, clipped_samples=0, clicks=(), check_seconds=1.5)
    return replace(base, **changes)


def test_report_summary_is_word_weighted() -> None:
    report = _report()
    assert report.passed and report.failures == ()
    assert report.wer == pytest.approx(4 / 12)
    assert report.reference_wer == 0
    assert report.voices_distinct is True
    assert report.speaker_spread_lu == pytest.approx(1.0)
    assert report.real_time_factor == pytest.approx(0.25)
    assert [s.index for s in report.worst()] == [1, 0]


def test_report_failures_give_reasons() -> None:
    """Reasons in words, and the whole Markdown report as in the fixture (verdict, tables, clicks)."""
    close = replace(_report().speakers[1], f0_hz=130.0, f0_difference=0.3)
    report = _report(clipped_samples=3, loudness_lufs=-19.5, speakers=(_report().speakers[0], close),
                     clicks=(measures.Click(2000, 0.6, 0.3),))
    assert not report.passed and report.voices_distinct is False
    text = "\n".join(report.failures)
    for expected in ("3 clipped samples", "1 click at joins: 0:02.0", "samantha's median pitch (130 Hz)",
                     "-19.5 LUFS is outside -16 ± 1 LU"):
        assert expected in text
    assert render_report(report) == (FIXTURES / "failing-report.md").read_text()


def test_speakers_more_than_one_and_a_half_lu_apart_fail() -> None:
    narrator, samantha = _report().speakers
    loud = _report(speakers=(narrator, replace(samantha, loudness_lufs=-14.2)))
    assert loud.speaker_spread_lu == pytest.approx(1.8)
    assert loud.failures == ("speakers are 1.8 LU apart (narrator -16.0, samantha -14.2 LUFS): "
                             "one voice sounds louder than another",)
    assert _report(speakers=(narrator, replace(samantha, loudness_lufs=-14.6))).passed


def test_report_json_is_complete_and_finite() -> None:
    data = json.loads(_report(true_peak_dbtp=-math.inf, loudness_lufs=None).to_json())
    assert data["passed"] is False and data["true_peak_dbtp"] is None
    assert data["segments"][1]["wer"] == 0.75 and data["speakers"][0]["reference_wer"] == 0
    assert data["worst"] == [1, 0]


# --- the whole check on a real episode ----------------------------------------------------------


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """`SCRIPT` through the real pipeline: rendered, mastered to -16 LUFS, MP3 with its VTT beside it."""
    from pipeline.mix.master import master
    from pipeline.synth.render import render

    root = tmp_path_factory.mktemp("episode")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ESSAYCAST_CACHE_DIR", str(root / "cache"))
        rendered = render(SCRIPT, workers=1)
    made = master(SCRIPT, rendered, root / "ep.mp3", base_dir=root)
    audio, rate = soundfile.read(made.audio, dtype="float32")
    return made.audio, audio, rate, made.cues


@pytest.fixture(scope="module")
def report(episode: Built) -> QualityReport:
    calls: list[tuple[str, int, int]] = []
    report = check(episode[0], on_progress=lambda *call: calls.append(call))
    print(render_report(report))  # the measured numbers, shown with pytest -s or on failure
    assert calls[-1] == ("listening", 2 * len(LINES), 2 * len(LINES))  # each line and its reference
    assert [done for _, done, _ in calls] == list(range(1, 2 * len(LINES) + 1))
    return report


def test_a_mastered_episode_passes(report: QualityReport) -> None:
    assert report.failures == ()
    assert report.clipped_samples == 0 and report.clicks == ()
    assert report.loudness_lufs == pytest.approx(-16.0, abs=1.0)
    assert report.true_peak_dbtp < 0
    assert [s.speaker for s in report.segments] == [speaker for speaker, _ in LINES]


def test_clear_speech_is_understood(report: QualityReport) -> None:
    assert report.words == sum(len(measures.words(text)) for _, text in LINES)
    assert report.wer < 0.5
    assert report.reference_wer is not None and report.reference_wer < 0.5
    for segment in report.segments:
        assert segment.heard and segment.reference_heard


def test_voices_are_told_apart_by_pitch(report: QualityReport) -> None:
    narrator, samantha = report.speakers
    assert 70 < narrator.f0_hz < 140
    assert 150 < samantha.f0_hz < 350
    assert samantha.f0_difference >= 0.5 and report.voices_distinct
    assert all(60 <= segment.f0_hz <= 400 for segment in report.segments)


def test_speaker_loudness_is_measured(report: QualityReport) -> None:
    # Sanity, not the mixer's levelling quality: each voice near the target, lines within a few LU.
    for speaker in report.speakers:
        assert speaker.loudness_lufs == pytest.approx(-16.0, abs=3.0)
        assert 0 <= speaker.loudness_spread_lu < 6
    assert 0 <= report.speaker_spread_lu < 4
    assert all(segment.loudness_lufs is not None for segment in report.segments)


def test_a_script_supplies_the_text(episode: Built) -> None:
    cues = episode[3]
    assert [(c.speaker, c.text) for c in script_cues(cues, SCRIPT)] == list(LINES)
    wrong_count = replace(SCRIPT, sections=(Section("Only", (Segment("narrator", "Hello."),)),))
    with pytest.raises(EssaycastError, match="1 segments but the episode has 4 cues"):
        script_cues(cues, wrong_count)
    swapped = replace(SCRIPT, sections=(Section("Only", tuple(Segment(s, t) for s, t in reversed(LINES))),))
    with pytest.raises(EssaycastError, match="segment 1 is samantha's in the script"):
        script_cues(cues, swapped)


@pytest.fixture(scope="module")
def damaged(episode: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture episode with a clipped burst in a pause and a line cut off with a click."""
    _, audio, rate, cues = episode
    audio = audio.copy()
    join = cues[1].end_ms * rate // 1000
    audio[join - 48 : join] = 0.9  # the line ends on a held value, then drops to silence
    burst = (cues[2].start_ms - PAUSE_MS // 2) * rate // 1000
    t = np.arange(rate // 20) / rate
    audio[burst : burst + len(t)] = np.clip(1.5 * np.sin(2 * np.pi * 200 * t), -1, 1)
    path = tmp_path_factory.mktemp("damaged") / "damaged.mp3"
    soundfile.write(path, audio, rate, format="MP3")
    write_text(sidecars.sidecar_path(path, "vtt"), sidecars.vtt(cues))
    return path


def test_clipping_and_clicks_fail_the_check(damaged: Path, episode: Built) -> None:
    report = check(damaged, reference=False, workers=1)
    assert report.clipped_samples > 0
    assert [click.at_ms for click in report.clicks] == pytest.approx([episode[3][1].end_ms], abs=10)
    assert not report.passed
    assert any("clipped" in reason for reason in report.failures)
    assert any("click at joins" in reason for reason in report.failures)
    assert report.reference_wer is None and report.segments[0].reference_heard is None


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "check", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_cli_json_script_and_exit_codes(episode: Built, damaged: Path, tmp_path: Path) -> None:
    from pipeline.script import save

    save(SCRIPT, tmp_path / "keeper.md")
    good = _cli(episode[0], "--json", "--no-reference", "--script", tmp_path / "keeper.md")
    assert good.returncode == 0, good.stderr
    data = json.loads(good.stdout)
    assert data["passed"] is True and data["failures"] == []
    assert [row["text"] for row in data["segments"]] == [text for _, text in LINES]
    assert data["reference_wer"] is None and data["wer"] < 0.5

    bad = _cli(damaged, "--no-reference")
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout and "Speakers" in bad.stdout
    assert "essaycast: check failed:" in bad.stderr and "clipped" in bad.stderr

    off_target = _cli(episode[0], "--no-reference", "--target", "-20")
    assert off_target.returncode == 1 and "outside -20 ± 1 LU" in off_target.stderr


def test_cues_outside_the_audio_are_an_error(episode: Built) -> None:
    late = Cue(60_000, 61_000, "narrator", "Too late.")
    with pytest.raises(EssaycastError, match=r"cue 1 \(60000–61000 ms\) lies outside"):
        check(episode[0], cues=[late], reference=False, workers=1)


def test_a_missing_recognizer_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.mix.check import listen

    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import fails as if not installed
    with pytest.raises(EssaycastError, match="needs the pocketsphinx recognizer") as raised:
        listen.transcribe([listen.Job(0, "hello", np.zeros(1600, np.float32))])
    assert "pip install pocketsphinx" in raised.value.hint


def test_cli_bad_input_is_one_line(tmp_path: Path, episode: Built) -> None:
    missing = _cli(tmp_path / "nope.mp3")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith("essaycast: error:") and missing.stderr.count("\n") == 1

    lonely = tmp_path / "lonely.mp3"
    shutil.copy(episode[0], lonely)  # no transcript beside it
    result = _cli(lonely, "--no-reference")
    assert result.returncode == 1 and "lonely.vtt" in result.stderr and "Traceback" not in result.stderr

    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    assert "not an MP3" in _cli(text).stderr
