"""Episode.load, ID3 tags and sidecar formats of the mixing stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from pipeline.errors import EssaycastError
from pipeline.files import write_text
from pipeline.mix import sidecars
from pipeline.mix.episode import Chapter, Cue, Episode
from pipeline.mix.tags import Tags, iso_639_2, read_tags, write_tags

RATE = 44100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

CHAPTERS = (Chapter("Opening", 0, 1200), Chapter("Her & the <OS>", 1200, 3000))
CUES = (
    Cue(0, 1000, "narrator", "It begins with a voice."),
    Cue(1200, 2100, "samantha", "Hello, I'm here & <listening>."),
    Cue(2300, 2900, "mary-jane", "Ça va?"),
)


def _mp3(path: Path, seconds: float = 3.0) -> Path:
    t = np.arange(int(RATE * seconds)) / RATE
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), RATE, format="MP3")
    return path


def _publish(tmp_path: Path) -> Path:
    mp3 = _mp3(tmp_path / "ep.mp3")
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    tags = Tags(title="Her, reviewed", artist="A. Critic", album="Essays", date="2024-05-01",
                description="A review of Her.", language="en-GB", chapters=CHAPTERS,
                loudness_lufs=-16.04, true_peak_dbtp=-1.31)
    write_tags(mp3, tags, cover)
    write_text(sidecars.sidecar_path(mp3, "vtt"), sidecars.vtt(CUES))
    write_text(sidecars.sidecar_path(mp3, "srt"), sidecars.srt(CUES))
    chapters = sidecars.chapters_json(CHAPTERS, title="Her, reviewed", author="A. Critic", file_name="ep.mp3")
    write_text(sidecars.sidecar_path(mp3, "chapters_json"), chapters)
    return mp3


def test_tags_round_trip(tmp_path: Path) -> None:
    tags = read_tags(_publish(tmp_path))
    assert tags == Tags(title="Her, reviewed", artist="A. Critic", album="Essays", date="2024-05-01",
                        description="A review of Her.", language="en-GB", chapters=CHAPTERS,
                        loudness_lufs=-16.04, true_peak_dbtp=-1.31, has_cover=True)


def test_id3_frames_are_the_standard_ones(tmp_path: Path) -> None:
    from mutagen.id3 import ID3, CTOCFlags

    id3 = ID3(_publish(tmp_path))
    assert id3.version[:2] == (2, 3)
    assert id3["TLAN"].text == ["eng"]
    assert id3.getall("COMM")[0].lang == "eng"
    assert id3.getall("APIC")[0].mime == "image/png"
    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.element_id)
    assert [(c.element_id, c.start_time, c.end_time) for c in chaps] == [
        ("chp0", 0, 1200), ("chp1", 1200, 3000)]
    assert chaps[1].sub_frames["TIT2"].text == ["Her & the <OS>"]
    (toc,) = id3.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1"]


def test_episode_load_round_trip(tmp_path: Path) -> None:
    mp3 = _publish(tmp_path)
    (tmp_path / "ep.png").write_bytes(PNG)
    episode = Episode.load(mp3)
    assert episode == Episode(
        audio=mp3, title="Her, reviewed", duration_ms=3000, chapters=CHAPTERS, cues=CUES,
        author="A. Critic", description="A review of Her.", language="en-GB", loudness_lufs=-16.04,
        true_peak_dbtp=-1.31, cover=tmp_path / "ep.png", chapters_json=tmp_path / "ep.chapters.json",
        vtt=tmp_path / "ep.vtt", srt=tmp_path / "ep.srt", master=None, album="Essays", date="2024-05-01",
    )


def test_episode_load_without_sidecars_or_tags(tmp_path: Path) -> None:
    episode = Episode.load(_mp3(tmp_path / "bare.mp3", 1.0))
    assert (episode.title, episode.duration_ms, episode.chapters, episode.cues) == ("bare", 1000, (), ())
    assert episode.vtt is episode.srt is episode.chapters_json is None


@pytest.mark.parametrize("content", [None, b"", b"not an mp3 at all" * 100])
def test_episode_load_rejects_missing_and_non_mp3(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EssaycastError):
        Episode.load(path)


def test_episode_load_rejects_wav_named_mp3(tmp_path: Path) -> None:
    path = tmp_path / "x.mp3"
    soundfile.write(path, np.zeros(RATE), RATE, format="WAV")
    with pytest.raises(EssaycastError):
        Episode.load(path)


def test_chapters_json_is_podcasting_2_0() -> None:
    doc = json.loads(sidecars.chapters_json(CHAPTERS, title="T", author="", file_name="ep.mp3"))
    assert doc["version"] == "1.2.0"
    assert doc["chapters"] == [
        {"startTime": 0.0, "endTime": 1.2, "title": "Opening"},
        {"startTime": 1.2, "endTime": 3.0, "title": "Her & the <OS>"},
    ]
    assert doc["fileName"] == "ep.mp3" and "author" not in doc


def test_vtt_and_srt_formats() -> None:
    assert sidecars.vtt(CUES[:2]) == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:00:01.000\n<v Narrator>It begins with a voice.\n\n"
        "2\n00:00:01.200 --> 00:00:02.100\n<v Samantha>Hello, I'm here &amp; &lt;listening&gt;.\n"
    )
    assert sidecars.srt(CUES[:2]) == (
        "1\n00:00:00,000 --> 00:00:01,000\nNarrator: It begins with a voice.\n\n"
        "2\n00:00:01,200 --> 00:00:02,100\nSamantha: Hello, I'm here & ‹listening›.\n"  # SRT obeys tags
    )
    assert sidecars.srt(CUES[:1]) == "1\n00:00:00,000 --> 00:00:01,000\nIt begins with a voice.\n"


def test_vtt_hours_and_foreign_cues(tmp_path: Path) -> None:
    path = tmp_path / "t.vtt"
    path.write_text("WEBVTT - made elsewhere\n\nNOTE hi\n\n01:02:03.004 --> 01:02:04.500 line:0\n"
                    "<v.loud Joe Smith>Hi <b>there</b>\nagain\n\n00:01.000 --> 00:02.000\nplain\n")
    assert sidecars.read_vtt(path, "narrator") == (
        Cue(3723004, 3724500, "joe smith", "Hi there again"),
        Cue(1000, 2000, "narrator", "plain"),
    )


def test_language_codes() -> None:
    assert [iso_639_2(tag) for tag in ("en", "en-US", "de", "ja", "fil", "xx")] == [
        "eng", "eng", "ger", "jpn", "fil", "und"]
