"""master(): assembly, levels, ducking, chapters and files, on small synthetic scripts.

Segments are tones written with soundfile at the engines' own rates (22.05 and 24 kHz); each
section has its own tone frequency so its start can be found in the decoded audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from scipy.signal import butter, sosfiltfilt

from pipeline.errors import EssaycastError
from pipeline.mix.episode import Episode
from pipeline.mix.loudness import TruePeakMeter
from pipeline.mix.master import MixOptions, master
from pipeline.mix.mpeg import Stream
from pipeline.mix.parts import CUT_PAUSE_MS, split
from pipeline.script.model import Audio, Cast, Pause, Script, Section, Segment
from pipeline.synth.render import RenderedSegment

RATE = 44100
VOICE_RATES = {"narrator": 22050, "samantha": 24000}
VOICE_AMPLITUDE = {"narrator": 0.5, "samantha": 0.05}  # 20 dB apart before levelling


@dataclass(frozen=True)
class Line:
    """A synthetic segment: who, which tone, how long, and the pause after it."""

    speaker: str
    hz: float
    seconds: float = 1.0
    pause_ms: int = 0


def _tone(hz: float, seconds: float, rate: int, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    # Starts and ends mid-wave, so an unfaded join would jump.
    return (amplitude * np.sin(2 * np.pi * hz * t + 1.0)).astype(np.float32)


NO_AUDIO = Audio()


def _make(tmp_path: Path, sections: list[tuple[str, list[Line]]], audio: Audio = NO_AUDIO,
          **script_fields: str) -> tuple[Script, list[RenderedSegment]]:
    script = Script(
        title="A synthetic episode", cast=Cast({"narrator": "joe", "samantha": "samantha"}),
        sections=tuple(Section(title, tuple(Segment(line.speaker, f"Line at {line.hz:g} hertz.",
                                                    Pause(line.pause_ms)) for line in lines))
                       for title, lines in sections),
        audio=audio, **script_fields)
    rendered = []
    for si, (_, lines) in enumerate(sections):
        for gi, line in enumerate(lines):
            rate = VOICE_RATES[line.speaker]
            path = tmp_path / "cache" / f"{si}-{gi}.wav"
            path.parent.mkdir(exist_ok=True)
            x = _tone(line.hz, line.seconds, rate, VOICE_AMPLITUDE[line.speaker])
            soundfile.write(path, x, rate, subtype="FLOAT")
            rendered.append(RenderedSegment(si, gi, line.speaker, line.speaker, path, rate, len(x), False))
    return script, rendered


def _master(tmp_path: Path, script: Script, rendered: list[RenderedSegment], **options) -> Episode:
    return master(script, rendered, tmp_path / "out" / "ep.mp3",
                  MixOptions(date="2024-05-01", **options), base_dir=tmp_path)


def _frames(ms: int) -> int:
    return round(ms * RATE / 1000)


def _lowpass(x: np.ndarray, hz: float) -> np.ndarray:
    return sosfiltfilt(butter(6, hz, fs=RATE, output="sos"), x)


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x**2))


TWO_VOICES = [
    ("Opening", [Line("narrator", 500, 1.0, 800), Line("samantha", 500, 1.2, 250),
                 Line("narrator", 500, 0.7)]),
    ("Middle", [Line("samantha", 1000, 0.9, 0), Line("narrator", 1000, 1.1, 1300)]),
    ("Close", [Line("narrator", 1500, 0.8, 37), Line("samantha", 1500, 1.0)]),
]


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Episode, np.ndarray]:
    """An episode with two voices at different rates and levels, with a WAV master to inspect."""
    tmp_path = tmp_path_factory.mktemp("two_voices")
    script, rendered = _make(tmp_path, TWO_VOICES)
    episode = _master(tmp_path, script, rendered, master_format="wav")
    wav, rate = soundfile.read(episode.master)
    assert rate == RATE
    return episode, wav


def _zero_runs(x: np.ndarray, longer_than: int = 10) -> list[tuple[int, int]]:
    """(first frame, length) of every run of exact zeros longer than ``longer_than`` frames."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (x == 0).astype(np.int8), [0]))))
    return [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a > longer_than]


def test_pauses_are_exact_to_the_sample(two_voices: tuple[Episode, np.ndarray]) -> None:
    """In the lossless master each pause is exactly round(ms × rate / 1000) frames of silence, exactly
    where the segments before it end (a segment at rate r is ceil(n × 44100 / r) frames long), and
    the cues say so to the millisecond."""
    episode, wav = two_voices
    pauses, spans, position = [], [], 0
    for _, lines in TWO_VOICES:
        for line in lines:
            rate = VOICE_RATES[line.speaker]
            start, position = position, position - (-round(line.seconds * rate) * RATE // rate)
            spans.append((round(start * 1000 / RATE), round(position * 1000 / RATE)))
            silence = round(line.pause_ms * RATE / 1000)
            if silence:
                pauses.append((position, silence))
            position += silence
    assert _zero_runs(wav) == pauses
    assert len(wav) == position
    assert [(cue.start_ms, cue.end_ms) for cue in episode.cues] == spans


def test_cues_follow_the_script_and_audio(two_voices: tuple[Episode, np.ndarray]) -> None:
    episode, wav = two_voices
    lines = [line for _, group in TWO_VOICES for line in group]
    assert [cue.speaker for cue in episode.cues] == [line.speaker for line in lines]
    for cue, line in zip(episode.cues, lines, strict=True):
        assert cue.end_ms - cue.start_ms == pytest.approx(line.seconds * 1000, abs=1)
        inside = wav[_frames(cue.start_ms) + 500: _frames(cue.end_ms) - 500]
        assert np.abs(inside).max() > 0.05
    assert episode.duration_ms == pytest.approx(len(wav) * 1000 / RATE, abs=1)


def test_joins_do_not_click_and_nothing_clips(two_voices: tuple[Episode, np.ndarray]) -> None:
    episode, wav = two_voices
    ceiling = 10 ** (-1 / 20)
    assert np.abs(wav).max() <= ceiling
    decoded, _ = soundfile.read(episode.audio)
    assert np.abs(decoded).max() < 1.0
    jumps = np.abs(np.diff(wav))
    spans = [(_frames(cue.start_ms), _frames(cue.end_ms)) for cue in episode.cues]
    own = [jumps[start + 1000: end - 1000].max() for start, end in spans]  # each voice's own largest step
    for i, (start, end) in enumerate(spans):
        # A join window may reach into the neighbouring segment: it may step as much as either voice.
        before = max(own[max(i - 1, 0): i + 1])
        after = max(own[i: i + 2])
        assert jumps[max(0, start - 600): start + 600].max() <= before * 1.001
        assert jumps[end - 600: end + 600].max() <= after * 1.001


def test_speakers_are_levelled(two_voices: tuple[Episode, np.ndarray]) -> None:
    levels = _speaker_levels(*two_voices)
    assert abs(levels["narrator"] - levels["samantha"]) <= 1.5


def _speaker_levels(episode: Episode, wav: np.ndarray) -> dict[str, float]:
    meter = pyloudnorm.Meter(RATE)

    def speech(speaker: str) -> np.ndarray:
        return np.concatenate([wav[_frames(c.start_ms): _frames(c.end_ms)]
                               for c in episode.cues if c.speaker == speaker])

    return {speaker: meter.integrated_loudness(speech(speaker)) for speaker in VOICE_RATES}


def test_a_part_too_long_to_model_is_levelled_by_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_voices: tuple[Episode, np.ndarray]
) -> None:
    """A part longer than MODELLED_PART_S keeps no statistics (they grow with its length) and is
    levelled on the mix streamed through the limiter, to the levels the model gives a short one."""
    from pipeline.mix import assemble as assemble_module
    from pipeline.mix import master as master_module

    kept: list[bool] = []
    real_assemble = assemble_module.assemble

    def spy(*args, **kwargs):
        timeline = real_assemble(*args, **kwargs)
        kept.append(bool(timeline.stats))
        return timeline

    monkeypatch.setattr(assemble_module, "assemble", spy)
    monkeypatch.setattr(master_module, "MODELLED_PART_S", 5.0)  # the episode is one part of 8.9 s
    script, rendered = _make(tmp_path, TWO_VOICES)
    episode = _master(tmp_path, script, rendered, master_format="wav")
    assert kept == [False]
    modelled_episode, modelled_wav = two_voices
    streamed_levels = _speaker_levels(episode, soundfile.read(episode.master)[0])
    for speaker, lufs in _speaker_levels(modelled_episode, modelled_wav).items():
        assert streamed_levels[speaker] == pytest.approx(lufs, abs=0.25), speaker
    assert episode.loudness_lufs == pytest.approx(modelled_episode.loudness_lufs, abs=0.25)
    assert episode.true_peak_dbtp <= -1.0


def test_loudness_and_true_peak_of_the_mp3(two_voices: tuple[Episode, np.ndarray]) -> None:
    episode, _ = two_voices
    decoded, rate = soundfile.read(episode.audio)
    assert (rate, decoded.ndim) == (RATE, 1)
    measured = pyloudnorm.Meter(rate).integrated_loudness(decoded)
    assert measured == pytest.approx(-16.0, abs=1.0)
    assert episode.loudness_lufs == pytest.approx(measured, abs=0.1)
    peak = TruePeakMeter()
    peak.feed(decoded)
    assert peak.dbtp <= -1.0
    assert episode.true_peak_dbtp == pytest.approx(peak.dbtp, abs=0.05)


def test_mp3_is_constant_bitrate_mono(two_voices: tuple[Episode, np.ndarray]) -> None:
    from mutagen.mp3 import MP3, BitrateMode

    info = MP3(two_voices[0].audio).info
    assert (info.sample_rate, info.channels, info.bitrate, info.bitrate_mode) == (
        RATE, 1, 96000, BitrateMode.CBR)


def _section_starts(decoded: np.ndarray, tones: list[float]) -> list[float]:
    """Where (ms) each section's tone is first heard, from 10 ms spectra of the decoded MP3."""
    hop = RATE // 100
    frames = decoded[: len(decoded) // hop * hop].reshape(-1, hop)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(hop), axis=1))
    freqs = np.fft.rfftfreq(hop, 1 / RATE)
    loud = spectrum.max(axis=1) > 1.0
    dominant = freqs[spectrum.argmax(axis=1)]
    return [float(np.flatnonzero(loud & (np.abs(dominant - hz) < 60))[0] * 10) for hz in tones]


def test_chapter_times_match_the_audio(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    intro = tmp_path / "intro.wav"
    soundfile.write(intro, _tone(3000, 2.0, 48000, 0.3), 48000)
    script, rendered = _make(tmp_path, TWO_VOICES, Audio(intro="intro.wav", outro="intro.wav"))
    episode = _master(tmp_path, script, rendered)
    decoded, _ = soundfile.read(episode.audio)
    heard = _section_starts(decoded, [500, 1000, 1500])
    chaps = {frame.element_id: frame for frame in ID3(episode.audio).getall("CHAP")}
    starts = [chaps[f"chp{i}"].start_time for i in range(3)]
    assert starts == [chapter.start_ms for chapter in episode.chapters]
    assert starts[0] == pytest.approx(2000, abs=1)  # right after the intro
    for tag_ms, heard_ms in zip(starts, heard, strict=True):
        assert abs(tag_ms - heard_ms) <= 20
    ends = [chaps[f"chp{i}"].end_time for i in range(3)]
    assert ends == [*starts[1:], episode.duration_ms]
    assert episode.duration_ms == pytest.approx(len(decoded) * 1000 / RATE, abs=1)


def test_ducking_depth_and_ramps(tmp_path: Path) -> None:
    bed = tmp_path / "bed.wav"
    soundfile.write(bed, _tone(150, 3.3, 48000, 0.5), 48000)  # loops several times
    audio = Audio(bed="bed.wav", bed_db=-10.0, duck_db=12.0, attack_ms=300, release_ms=600)
    lines = [Line("narrator", 2000, 2.0, 3000)] * 2 + [Line("narrator", 2000, 2.0)]
    script, rendered = _make(tmp_path, [("Only", lines)], audio)
    episode = _master(tmp_path, script, rendered, master_format="wav", bed_fade_ms=500)
    wav, _ = soundfile.read(episode.master)
    music = _lowpass(wav, 500)  # the 150 Hz bed without the 2 kHz voice
    first, second = episode.cues[0], episode.cues[1]
    speaking = music[_frames(second.start_ms) + 4000: _frames(second.end_ms) - 4000]
    quiet_from, quiet_to = first.end_ms + 600 + 100, second.start_ms - 300 - 100
    free = music[_frames(quiet_from): _frames(quiet_to)]
    assert _rms_db(free) - _rms_db(speaking) == pytest.approx(12.0, abs=0.5)
    # Mid-attack and mid-release the bed is half-way down (linear in dB), not switched.
    for ms in (second.start_ms - 150, second.end_ms + 300):
        around = music[_frames(ms) - 441: _frames(ms) + 441]
        assert _rms_db(free) - _rms_db(around) == pytest.approx(6.0, abs=1.0)
    assert np.abs(wav).max() <= 10 ** (-1 / 20)


def test_episode_load_round_trip(tmp_path: Path) -> None:
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    script, rendered = _make(tmp_path, TWO_VOICES[:2], author="A. Writer", description="About tones.",
                             cover="cover.jpg", language="en-GB")
    episode = _master(tmp_path, script, rendered, master_format="flac", album="Tone Podcast")
    assert Episode.load(episode.audio) == episode
    assert episode.cover == tmp_path / "out" / "ep.jpg" and episode.cover.read_bytes() == cover.read_bytes()
    assert sorted(p.name for p in episode.audio.parent.iterdir()) == [
        "ep.chapters.json", "ep.flac", "ep.jpg", "ep.mp3", "ep.srt", "ep.vtt"]
    assert soundfile.info(episode.master).subtype == "PCM_24"


def test_progress_is_reported(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, TWO_VOICES[:1])
    seen: dict[str, tuple[int, int]] = {}
    master(script, rendered, tmp_path / "ep.mp3", MixOptions(), base_dir=tmp_path,
           on_progress=lambda phase, done, total: seen.__setitem__(phase, (done, total)))
    assert set(seen) == {"assembling", "mixing", "mastering", "verifying"}
    assert all(done == total for done, total in seen.values())


def _no_outputs(out_dir: Path) -> None:
    assert not out_dir.exists() or not list(out_dir.iterdir())


@pytest.mark.parametrize("target", [-40.0, -5.0, float("nan")])
def test_bad_loudness_target(target: float) -> None:
    with pytest.raises(EssaycastError, match="loudness target"):
        MixOptions(target_lufs=target)


@pytest.mark.parametrize(("options", "message"), [
    ({"bitrate_kbps": 100}, "MP3 bitrate"), ({"master_format": "aiff"}, "master format"),
    ({"ceiling_dbtp": 0.5}, "ceiling"), ({"rate": 22050}, "sample rate"), ({"date": "May 1"}, "date"),
])
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(EssaycastError, match=message):
        MixOptions(**options)


@pytest.mark.parametrize(("fields", "message"), [
    ({"cover": "missing.jpg"}, "cover image not found"),
    ({"audio": Audio(intro="nope.wav")}, "intro file not found"),
    ({"audio": Audio(bed="notes.txt")}, "cannot read music bed"),
    ({"cover": "notes.txt"}, "neither JPEG nor PNG"),
])
def test_missing_or_bad_input_files(tmp_path: Path, fields: dict, message: str) -> None:
    (tmp_path / "notes.txt").write_text("not audio, not an image")
    script, rendered = _make(tmp_path, TWO_VOICES[:1], **fields)
    with pytest.raises(EssaycastError, match=message):
        _master(tmp_path, script, rendered)
    _no_outputs(tmp_path / "out")


def test_unwritable_output(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, TWO_VOICES[:1])
    (tmp_path / "blocker").write_text("a file where the output folder should be")
    with pytest.raises(EssaycastError, match="cannot write"):
        master(script, rendered, tmp_path / "blocker" / "ep.mp3", MixOptions(), base_dir=tmp_path)


def test_failure_mid_way_leaves_no_files(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, TWO_VOICES)
    rendered[-1].audio.write_bytes(b"RIFF garbage, not a wave file")
    with pytest.raises(EssaycastError, match="cannot read rendered audio"):
        _master(tmp_path, script, rendered, master_format="wav")
    _no_outputs(tmp_path / "out")


def test_segments_must_match_the_script(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, TWO_VOICES)
    with pytest.raises(EssaycastError, match="do not match"):
        _master(tmp_path, script, rendered[:-1])
    with pytest.raises(EssaycastError, match=r"must be an \.mp3"):
        master(script, rendered, tmp_path / "ep.wav", MixOptions(), base_dir=tmp_path)


SHORT = [("Only", [Line("narrator", 500, 0.6, 200), Line("samantha", 700, 0.5)])]


def _mtimes(episode: Episode) -> dict[Path, int]:
    files = [episode.audio, episode.chapters_json, episode.vtt, episode.srt, episode.cover, episode.master]
    return {path: path.stat().st_mtime_ns for path in files if path is not None}


def test_an_up_to_date_episode_is_not_mastered_again(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, SHORT)
    first = _master(tmp_path, script, rendered, master_format="wav")
    before = _mtimes(first)
    phases: list[tuple[str, int, int]] = []
    again = master(script, rendered, tmp_path / "out" / "ep.mp3", MixOptions(date="2030-01-01",
                   master_format="wav"), base_dir=tmp_path, on_progress=lambda *p: phases.append(p))
    assert again == first  # the date of the up-to-date MP3 is kept
    assert _mtimes(again) == before
    assert {phase for phase, done, total in phases if done == total} >= {"assembling", "mastering"}


def _cover(path: Path, colour: str) -> Path:
    from PIL import Image

    Image.new("RGB", (8, 8), colour).save(path, "PNG")
    return path


@pytest.mark.parametrize("change", ["segment", "pause", "target", "cover", "missing sidecar"])
def test_a_changed_input_is_mastered_again(tmp_path: Path, change: str) -> None:
    script, rendered = _make(tmp_path, SHORT)
    cover = _cover(tmp_path / "cover.png", "red")
    first = _master(tmp_path, script, rendered, cover=cover)
    options: dict = {"cover": cover}
    if change == "segment":
        soundfile.write(rendered[1].audio, _tone(900, 0.5, 24000, 0.05), 24000, subtype="FLOAT")
    elif change == "pause":
        script, rendered = _make(tmp_path, [("Only", [Line("narrator", 500, 0.6, 400), SHORT[0][1][1]])])
    elif change == "target":
        options["target_lufs"] = -19.0
    elif change == "cover":
        _cover(cover, "blue")
    else:
        first.srt.unlink()
    before = first.audio.stat().st_mtime_ns
    again = _master(tmp_path, script, rendered, **options)
    assert again.audio.stat().st_mtime_ns != before
    assert again.srt.is_file()
    if change == "target":
        assert again.loudness_lufs == pytest.approx(-19.0, abs=1.0)


# Parts: an episode is mastered a section at a time, and a part already mastered is not done again.

THREE_PARTS = [
    ("One", [Line("narrator", 500, 1.0, 250), Line("samantha", 500, 0.8, 600)]),
    ("Two", [Line("narrator", 1000, 1.2, 600)]),
    ("Three", [Line("samantha", 1500, 1.0, 300), Line("narrator", 1500, 0.9)]),
]


def _stored_parts(store: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in (store / "parts").rglob("*.mp3")}


def test_a_changed_section_re_masters_only_its_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "store"))
    script, rendered = _make(tmp_path, THREE_PARTS)
    _master(tmp_path, script, rendered)
    before = _stored_parts(tmp_path / "store")
    assert len(before) == 3

    swapped = tmp_path / "swapped.wav"  # section Two in another voice: a 1200 Hz tone, 10 dB quieter
    x = _tone(1200, 1.2, 24000, 0.16)
    soundfile.write(swapped, x, 24000, subtype="FLOAT")
    rendered = [dataclasses.replace(seg, audio=swapped, sample_rate=24000, frames=len(x))
                if seg.section == 1 else seg for seg in rendered]
    episode = _master(tmp_path, script, rendered)

    after = _stored_parts(tmp_path / "store")
    assert len(after) == 4 and all(after[path] == data for path, data in before.items())
    mp3 = episode.audio.read_bytes()
    # the parts left alone are in the new MP3 frame for frame; the swapped section's old one is not
    kept = [data[len(Stream.open(path).info):] in mp3 for path, data in before.items()]
    assert sorted(kept) == [False, True, True]
    decoded, _ = soundfile.read(episode.audio)
    heard = _section_starts(decoded, [500, 1200, 1500])
    assert all(abs(c.start_ms - h) <= 20 for c, h in zip(episode.chapters, heard, strict=True))
    assert episode.loudness_lufs == pytest.approx(-16.0, abs=0.5)
    assert episode.true_peak_dbtp <= -1.0


def test_a_damaged_part_is_mastered_again_to_the_same_bytes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "store"))
    script, rendered = _make(tmp_path, THREE_PARTS)
    first = _master(tmp_path, script, rendered).audio.read_bytes()
    damaged = sorted(_stored_parts(tmp_path / "store"))[0]
    damaged.write_bytes(damaged.read_bytes()[:1000])
    (tmp_path / "out" / "ep.mp3").unlink()
    assert _master(tmp_path, script, rendered).audio.read_bytes() == first
    assert len(damaged.read_bytes()) > 1000


def test_episodes_are_cut_at_section_breaks_only() -> None:
    from pipeline.mix.assemble import INTRO, OUTRO, Piece

    def piece(group: str, pause: int = 0, section: int = -1, index: int = -1) -> Piece:
        return Piece(lambda: (np.zeros(1, dtype=np.float32), RATE), Path(group), group, pause, section, index)

    long, short = CUT_PAUSE_MS, CUT_PAUSE_MS - 1
    pieces = [piece(INTRO), piece("a", long, 0, 0), piece("b", long, 0, 1), piece("a", short, 1, 0),
              piece("a", long, 2, 0), piece("b", long, 3, 0), piece(OUTRO)]
    assert [[(p.group, p.section) for p in part] for part in split(pieces)] == [
        [(INTRO, -1), ("a", 0), ("b", 0)],  # within a section, and the intro stays with the speech
        [("a", 1), ("a", 2)],  # the break after section 1 is too short to hide a join
        [("b", 3), (OUTRO, -1)],  # the outro stays with the speech
    ]


def test_a_silent_section_is_kept_as_it_is_and_a_silent_episode_refused(tmp_path: Path) -> None:
    import dataclasses

    script, rendered = _make(tmp_path, THREE_PARTS)
    hush = tmp_path / "hush.wav"  # what an engine gives for a line with nothing to pronounce
    soundfile.write(hush, np.zeros(1, dtype=np.float32), 22050)
    quiet = [dataclasses.replace(seg, audio=hush, sample_rate=22050, frames=1) if seg.section == 1 else seg
             for seg in rendered]
    episode = _master(tmp_path, script, quiet)
    assert episode.loudness_lufs == pytest.approx(-16.0, abs=0.5)
    decoded, _ = soundfile.read(episode.audio)
    two = episode.chapters[1]
    assert np.abs(decoded[_frames(two.start_ms): _frames(two.end_ms) - _frames(20)]).max() < 1e-3
    silent = [dataclasses.replace(seg, audio=hush, sample_rate=22050, frames=1) for seg in rendered]
    with pytest.raises(EssaycastError, match="the episode is silent"):
        master(script, silent, tmp_path / "silent.mp3", base_dir=tmp_path)
    assert not (tmp_path / "silent.mp3").exists()


def test_progress_of_parts_mastered_side_by_side_never_goes_back(tmp_path: Path) -> None:
    script, rendered = _make(tmp_path, THREE_PARTS)
    seen: dict[str, list[float]] = {}
    master(script, rendered, tmp_path / "ep.mp3", MixOptions(), base_dir=tmp_path,
           on_progress=lambda phase, done, total: seen.setdefault(phase, []).append(done / total))
    assert set(seen) == {"assembling", "mixing", "mastering", "verifying"}
    for fractions in seen.values():
        assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_parts_mastered_early_are_the_parts_master_makes(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments reported one by one (as render does): each part is mastered as soon as its segments
    are in, into the part cache, and master() then masters nothing but lays the same MP3 out."""
    from pipeline.mix import master as master_module

    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "store"))
    script, rendered = _make(tmp_path, THREE_PARTS)
    reference = _master(tmp_path / "reference", script, rendered).audio.read_bytes()
    for stored in _stored_parts(tmp_path / "store"):
        stored.unlink()
    mastered: list[int] = []
    real = master_module._master_part
    monkeypatch.setattr(master_module, "_master_part",
                        lambda *args: mastered.append(len(args[1])) or real(*args))
    early_parts = master_module.EarlyParts(script, tmp_path / "out" / "ep.mp3", MixOptions(date="2024-05-01"),
                                           base_dir=tmp_path)
    with early_parts as early:
        for count, segment in enumerate(rendered[:-1], 1):  # the last segment is still being synthesized
            early.segment_done(segment, count, len(rendered))
    assert len(mastered) == 2 and len(_stored_parts(tmp_path / "store")) == 2
    episode = _master(tmp_path, script, rendered)
    assert len(mastered) == 3  # only the last part
    assert episode.audio.read_bytes() == reference


# The verify/re-encode loop: an encoder stand-in that LAME would never be, so the loop must work.

class _HotEncoder:
    """Wraps libsndfile's MP3 writer and distorts what it is given before encoding it: ``shape``
    maps a block of samples to what the encoder really writes (as a coarse codec might)."""

    def __init__(self, sink, shape) -> None:
        self._sink, self._shape = sink, shape

    def __enter__(self):
        self._sink.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._sink.__exit__(*exc)

    def write(self, block: np.ndarray) -> None:
        self._sink.write(self._shape(np.array(block, dtype=np.float64)))


def _hot_encoder(monkeypatch: pytest.MonkeyPatch, shape) -> list[Path]:
    """Puts a `_HotEncoder` in place of master's MP3 writer; returns the list of files it opened."""
    import pipeline.mix.master as mastering

    real, opened = mastering._mp3_writer, []

    def writer(path: Path, options: MixOptions) -> _HotEncoder:
        opened.append(Path(path))
        return _HotEncoder(real(path, options), shape)

    monkeypatch.setattr(mastering, "_mp3_writer", writer)
    return opened


def _expand_peaks(x: np.ndarray) -> np.ndarray:
    """Quiet samples pass as they are, loud ones come out up to 1.2 dB louder than the limiter let
    them go: the first encoding lands over the ceiling, a lower ceiling fixes it."""
    return x * (1 + 0.2 * x**2)


def _spike(x: np.ndarray) -> np.ndarray:
    """A 2 ms full-scale step in every block, whatever the limiter does: no ceiling can fix it."""
    x[len(x) // 2: len(x) // 2 + 88] = 0.99
    return x


def _with_bursts(rendered: list[RenderedSegment]) -> list[RenderedSegment]:
    """Each segment's tone with a 2 ms burst three times as loud every 100 ms, so that at the target
    loudness the limiter works at its ceiling."""
    for seg in rendered:
        x, rate = soundfile.read(seg.audio, dtype="float32")
        burst = _tone(3000, 0.002, rate, 3 * float(np.abs(x).max()))
        for start in range(rate // 20, len(x) - len(burst), rate // 10):
            x[start: start + len(burst)] += burst
        soundfile.write(seg.audio, x, rate, subtype="FLOAT")
    return rendered


def test_an_encoding_over_the_ceiling_is_limited_lower_and_encoded_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.mix.master import FIRST_MARGIN_DB

    opened = _hot_encoder(monkeypatch, _expand_peaks)
    script, rendered = _make(tmp_path, SHORT)
    rendered = _with_bursts(rendered)
    episode = _master(tmp_path, script, rendered)
    encodings = [path for path in opened if path.name == "part.mp3"]
    assert len(encodings) >= 2  # the first went over: FIRST_MARGIN_DB alone is not enough here
    assert 20 * np.log10(1 + 0.2 * 10 ** (-2 * (1 + FIRST_MARGIN_DB) / 20)) > FIRST_MARGIN_DB
    decoded, _ = soundfile.read(episode.audio)
    peak = TruePeakMeter()
    peak.feed(decoded)
    assert peak.dbtp <= -1.0
    assert pyloudnorm.Meter(RATE).integrated_loudness(decoded) == pytest.approx(-16.0, abs=0.6)


def test_an_encoding_that_stays_over_the_ceiling_is_refused(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.mix.master import ATTEMPTS

    opened = _hot_encoder(monkeypatch, _spike)
    script, rendered = _make(tmp_path, SHORT)
    with pytest.raises(EssaycastError, match=r"still peaks at .* over the -1 dBTP ceiling, after \d+ enc"):
        _master(tmp_path, script, rendered)
    assert len([path for path in opened if path.name == "part.mp3"]) == ATTEMPTS
    _no_outputs(tmp_path / "out")
