"""The first user's review, end to end: `essaycast make` on the seed essay with Samantha cast.

One real render (Piper joe + Kokoro) of the whole review, then the promises of every stage checked on
what it left behind: the draft, the voices, the MP3's chapters and loudness, the transcripts, the feed
as two podcast clients read it, and a second `make` that synthesizes nothing and duplicates nothing.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3

from pipeline.mix.episode import Episode
from pipeline.mix.loudness import measure_file
from pipeline.script import load
from pipeline.synth.render import render

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "her-review.txt"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SEED.is_file(), reason="the seed essay lives in ../shared/seeds"),
]


def make(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "make", str(SEED), "--cast", "samantha", "--site", "site"],
        cwd=cwd, env={**os.environ, "ESSAYCAST_CACHE_DIR": str(cwd / "cache"), "COLUMNS": "200"},
        capture_output=True, text=True, timeout=900, check=False,
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("seed")
    result = make(cwd)
    assert result.returncode == 0, result.stderr
    return cwd, result


def test_every_segment_speaks_with_its_cast_voice_and_a_second_render_is_all_cache_hits(
    made, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, _ = made
    script = load(cwd / "script" / "her-review.md")
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(cwd / "cache"))
    segments = render(script, workers=1)
    assert all(segment.cached for segment in segments)
    rates = {"narrator": 22050, "samantha": 24000}  # Piper joe vs Kokoro
    for (_, _, _, segment), rendered in zip(script.segments(), segments, strict=True):
        assert rendered.voice == segment.speaker
        assert rendered.sample_rate == rates[segment.speaker]
    assert {segment.speaker for segment in segments} == {"narrator", "samantha"}


def test_the_mp3_has_a_chapter_per_section_where_each_section_begins(made) -> None:
    cwd, _ = made
    script = load(cwd / "script" / "her-review.md")
    mp3 = cwd / "site" / "episodes" / "her-review.mp3"
    tags = ID3(mp3)
    chapters = sorted(tags.getall("CHAP"), key=lambda chap: chap.start_time)
    assert [chap.sub_frames["TIT2"].text[0] for chap in chapters] == [s.title for s in script.sections]
    [toc] = tags.getall("CTOC")
    assert list(toc.child_element_ids) == [chap.element_id for chap in chapters]

    episode = Episode.load(mp3)
    firsts, position = [], 0
    for section in script.sections:
        firsts.append(episode.cues[position].start_ms)
        position += len(section.segments)
    assert [chap.start_time for chap in chapters] == firsts
    assert chapters[-1].end_time == pytest.approx(episode.duration_ms, abs=30)


def test_loudness_is_on_target_and_true_peak_under_the_ceiling(made) -> None:
    cwd, _ = made
    measured = measure_file(cwd / "site" / "episodes" / "her-review.mp3")
    assert measured.lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.dbtp <= -1.0


def test_transcript_cues_cover_every_segment_in_order(made) -> None:
    cwd, _ = made
    script = load(cwd / "script" / "her-review.md")
    episode = Episode.load(cwd / "site" / "episodes" / "her-review.mp3")
    assert [(cue.speaker, cue.text) for cue in episode.cues] == [
        (segment.speaker, segment.text) for _, _, _, segment in script.segments()
    ]
    starts = [cue.start_ms for cue in episode.cues]
    assert starts == sorted(starts)
    assert all(cue.end_ms > cue.start_ms for cue in episode.cues)
    srt = (cwd / "site" / "episodes" / "her-review.srt").read_text(encoding="utf-8")
    assert srt.count(" --> ") == len(episode.cues)


def test_both_podcast_clients_read_the_episode_and_a_second_make_changes_nothing(made) -> None:
    cwd, _ = made
    again = make(cwd)
    assert again.returncode == 0, again.stderr
    assert "0 synthesized" in again.stdout

    data = (cwd / "site" / "feed.xml").read_bytes()
    gpodder = podcastparser.parse("http://localhost:8000/feed.xml", io.BytesIO(data))
    [episode] = gpodder["episodes"]
    assert episode["enclosures"][0]["mime_type"] == "audio/mpeg"
    assert len(episode["chapters"]) == len(load(cwd / "script" / "her-review.md").sections)
    feed = feedparser.parse(data)
    [entry] = feed.entries
    assert entry.title == episode["title"]
    assert entry.podcast_chapters["url"].endswith("her-review.chapters.json")
    assert entry.podcast_transcript["url"].endswith((".vtt", ".srt"))
