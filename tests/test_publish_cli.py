"""`essaycast publish` as a person runs it: the MP3 in, a one-line summary out; bad input is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_publish_support import make_episode

from pipeline.publish.feed import read_feed

ESSAYCAST = [sys.executable, "-m", "pipeline.cli"]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ESSAYCAST, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_init_then_publish_then_republish(tmp_path: Path) -> None:
    make_episode(tmp_path / "render", description="From the tags.")
    init = run("publish", "--init", "--site", "site", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "podcast.toml" in init.stdout and (tmp_path / "site/cover.png").is_file()

    first = run("publish", "render/her-review.mp3", "--site", "site", "--title", "A <b>new</b> title",
                cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "Added episode 1: A <b>new</b> title",
        f"Page: {Path('site/episodes/her-review.html')}",
        "Feed: http://127.0.0.1:8000/feed.xml",
    ]
    again = run("publish", "render/her-review.mp3", "--site", "site", "--description", "Fixed.", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Updated episode 1: Her, reviewed")
    [item] = read_feed(tmp_path / "site/feed.xml")
    assert (item.title, item.description) == ("Her, reviewed", "Fixed.")
    assert [kind for kind, _ in item.transcripts] == ["vtt", "srt"]


def test_publish_into_a_fresh_folder_creates_the_settings(tmp_path: Path) -> None:
    make_episode(tmp_path)
    result = run("publish", "her-review.mp3", cwd=tmp_path)  # default site: output/
    assert result.returncode == 0, result.stderr
    assert "Created" in result.stdout and (tmp_path / "output/podcast.toml").is_file()
    assert read_feed(tmp_path / "output/feed.xml")[0].title == "Her, reviewed"


@pytest.mark.parametrize(("setup", "args", "message"), [
    (None, ["publish", "missing.mp3"], "episode audio not found: missing.mp3"),
    ("notmp3", ["publish", "notes.mp3"], "notes.mp3 is not an MP3 file"),
    ("corrupt", ["publish", "her-review.mp3", "--site", "site"], "cannot be read as a feed"),
    ("bad-url", ["publish", "her-review.mp3", "--site", "site"], "bad base_url 'www.example.com'"),
    (None, ["publish"], "no episode given"),
    ("site", ["publish", "--init", "--site", "site"], "already exists"),
    (None, ["serve", "no-such-site"], "site folder not found"),
])
def test_bad_input_is_one_line_and_nothing_is_lost(tmp_path: Path, setup: str | None, args: list[str],
                                                   message: str) -> None:
    make_episode(tmp_path)
    site = tmp_path / "site"
    if setup is not None:
        site.mkdir()
        (site / "podcast.toml").write_text('title = "Kept"\n')
    if setup == "notmp3":
        (tmp_path / "notes.mp3").write_text("plain text with an .mp3 name")
    if setup == "corrupt":
        (site / "feed.xml").write_text("<rss><channel><item>")
    if setup == "bad-url":
        (site / "podcast.toml").write_text('base_url = "www.example.com"\n')
    before = {p: p.read_bytes() for p in site.rglob("*")} if site.exists() else {}
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("essaycast: error: ") and message in line
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in site.rglob("*") if p.name != ".essaycast.lock"} == before
