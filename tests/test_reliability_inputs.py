"""Bad input through the real `essaycast` command: one line on stderr, a non-zero exit, nothing left behind.

Each case builds a small working folder, snapshots it, runs one command in it and checks that the
command refused with exactly one non-empty line on stderr (never a traceback) and that the folder is
byte for byte what it was: no new file, no half-written output, no hidden temporary. The segment cache
lives outside the folder and is shared by the cases. Output and cover problems are refused before any
synthesis, so a long render never fails at its end for a typo in an option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_publish_support import make_episode
from test_reliability_support import FIXTURES, run, snapshot

ONE_LINE = (FIXTURES / "one.md").read_text("utf-8")
"""A valid one-sentence script, the base most script cases break."""

SITE_LOCK = ".essaycast.lock"
"""A site's permanent lock file: a refused publish may create it (it is how publishes queue up)."""


def script_with(body: str, cast: str = "") -> str:
    """A script whose only section says ``body``; ``cast`` adds a ``[cast]`` table."""
    front = f'+++\ntitle = "Bad"\n{cast}+++\n'
    return f"{front}\n## Only\n\n{body}\n"


@dataclass(frozen=True)
class BadInput:
    """One row of the table."""

    args: tuple[str, ...]
    """The command line after `essaycast`."""
    message: str
    """Text the error line must contain (so the case fails for the reason it is about)."""
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    """Files to create first, by path relative to the working folder."""
    episode: bool = False
    """Render a tiny real episode (``her-review.mp3`` + sidecars) into the folder first."""
    cache: str = ""
    """Point ESSAYCAST_CACHE_DIR at this path in the folder instead of the shared cache."""
    cuts: Mapping[str, int | float] = field(default_factory=dict)
    """Files to write from the start of the episode's MP3 (needs ``episode``): so many bytes (int) or
    such a share of them (float)."""


CASES: dict[str, BadInput] = {
    # Unreadable text, as an essay and as a script.
    "empty essay": BadInput(("script", "essay.txt"), "is empty", {"essay.txt": ""}),
    "blank essay to make": BadInput(("make", "essay.txt"), "is empty", {"essay.txt": " \n\n\t\n"}),
    "empty script": BadInput(("render", "empty.md"), "is empty", {"empty.md": ""}),
    "binary essay": BadInput(("make", "photo.txt"), "binary file",
                             {"photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))}),
    "binary script": BadInput(("render", "blob.md"), "binary file", {"blob.md": b"+++\x00\xff\xfe"}),
    "latin-1 essay": BadInput(("script", "essay.txt"), "not UTF-8",
                              {"essay.txt": "Un café, s'il vous plaît.".encode("latin-1")}),
    "latin-1 script": BadInput(("render", "x.md"), "not UTF-8",
                               {"x.md": script_with("Déjà vu.").encode("latin-1")}),
    "missing essay": BadInput(("make", "missing.txt"), "not found"),
    "script is a folder": BadInput(("render", "folder.md"), "is a directory", {"folder.md/keep": ""}),
    # Voices.
    "script casts an unknown profile": BadInput(
        ("render", "x.md"), "unknown voice 'nobody'",
        {"x.md": script_with("Hello there.", '[cast]\nnarrator = "nobody"\n')}),
    "--voice with an unknown profile": BadInput(
        ("render", "one.md", "--voice", "narrator=nope"), "unknown voice 'nope'", {"one.md": ONE_LINE}),
    "--voice without a profile": BadInput(
        ("render", "one.md", "--voice", "narrator"), "bad --voice", {"one.md": ONE_LINE}),
    "--voice for a speaker not in the script": BadInput(
        ("render", "one.md", "--voice", "bob=narrator"), "bob", {"one.md": ONE_LINE}),
    "--section past the last section": BadInput(
        ("render", "one.md", "--section", "5:narrator=narrator"), "5", {"one.md": ONE_LINE}),
    "bad --cast name": BadInput(("make", "essay.txt", "--cast", "Sam Antha"), "Sam Antha",
                                {"essay.txt": "A title\n\nShe said hello.\n"}),
    "bad --cast profile": BadInput(("script", "essay.txt", "--cast", "samantha=Nope!"), "Nope!",
                                   {"essay.txt": "A title\n\nShe said hello.\n"}),
    # Usage errors (typer's own checks) are one line too, not a boxed panel.
    "missing argument": BadInput(("render",), "Missing argument 'script'"),
    "option value of the wrong type": BadInput(("render", "one.md", "--bitrate", "fast"), "'--bitrate'",
                                               {"one.md": ONE_LINE}),
    "unknown option": BadInput(("render", "one.md", "--loud"), "--loud", {"one.md": ONE_LINE}),
    "unknown command": BadInput(("rendre", "one.md"), "No such command 'rendre'"),
    "make casting an unknown profile": BadInput(("make", "essay.txt", "--cast", "nobody"), "unknown voice",
                                                {"essay.txt": 'A title\n\n"Here," said Nobody.\n'}),
    "profile with a missing model file": BadInput(
        ("render", "x.md"), "missing.onnx",
        {"voices/x.toml": 'engine = "piper"\nmodel = "missing.onnx"\n',
         "x.md": script_with("Hello there.", '[cast]\nnarrator = "x"\n')}),
    "profile that is not TOML": BadInput(
        ("render", "one.md"), "not valid TOML", {"voices/x.toml": 'engine = "piper\n', "one.md": ONE_LINE}),
    "profile with an unknown engine": BadInput(
        ("render", "x.md"), "espeak9",
        {"voices/x.toml": 'engine = "espeak9"\n',
         "x.md": script_with("Hello there.", '[cast]\nnarrator = "x"\n')}),
    "empty text to say": BadInput(("say", "  "), "nothing to say"),
    # Script markup.
    "unclosed pause": BadInput(("render", "x.md"), "unclosed '['",
                               {"x.md": script_with("Wait [pause 300ms")}),
    "pause without a unit": BadInput(("render", "x.md"), "pause", {"x.md": script_with("Wait [pause 800]")}),
    "unclosed comment": BadInput(("render", "x.md"), "<!--",
                                 {"x.md": script_with("Said. <!-- never closed\n\nMore words.")}),
    "unknown speaker": BadInput(("render", "x.md"), "bob", {"x.md": script_with("@bob: Hi there.")}),
    "negative pause": BadInput(("render", "x.md"), "pause", {"x.md": script_with("Wait. [pause -1s]")}),
    "two-hour pause": BadInput(("render", "x.md"), "pause", {"x.md": script_with("Wait. [pause 7200s]")}),
    "pause of an hour and a millisecond": BadInput(
        ("render", "x.md"), "pause", {"x.md": script_with("Wait. [pause 3600001ms]")}),
    "bad front matter": BadInput(("render", "x.md"), "x.md",
                                 {"x.md": '+++\ntitle = "Unclosed\n+++\n\n## A\n\nWords.\n'}),
    # Mixing options and outputs.
    "loudness target far too low": BadInput(
        ("render", "one.md", "--target=-100"), "loudness target", {"one.md": ONE_LINE}),
    "loudness target not a number": BadInput(
        ("render", "one.md", "--target", "nan"), "loudness target", {"one.md": ONE_LINE}),
    "bitrate MP3 does not have": BadInput(
        ("render", "one.md", "--bitrate", "100"), "100 kbps", {"one.md": ONE_LINE}),
    "unknown master format": BadInput(
        ("render", "one.md", "--master", "ogg"), "ogg", {"one.md": ONE_LINE}),
    "output that is not an MP3": BadInput(
        ("render", "one.md", "-o", "episode.wav"), "episode.wav", {"one.md": ONE_LINE}),
    "missing cover image": BadInput(
        ("render", "one.md", "--cover", "missing.png"), "missing.png", {"one.md": ONE_LINE}),
    "cover that is not an image": BadInput(
        ("render", "one.md", "--cover", "notes.png"), "notes.png",
        {"one.md": ONE_LINE, "notes.png": "just text"}),
    "render output under a file": BadInput(
        ("render", "one.md", "-o", "file.txt/out.mp3"), "file.txt is a file",
        {"one.md": ONE_LINE, "file.txt": "x"}),
    "script output under a file": BadInput(
        ("script", "essay.txt", "-o", "file.txt/essay.md"), "file.txt",
        {"essay.txt": "A title\n\nSome words.\n", "file.txt": "x"}),
    "say output under a file": BadInput(("say", "Hello.", "-o", "file.txt/hello.wav"), "file.txt",
                                        {"file.txt": "x"}),
    # Publishing.
    "publish a missing MP3": BadInput(("publish", "missing.mp3", "--site", "site"), "not found"),
    "publish a text file named .mp3": BadInput(("publish", "notes.mp3", "--site", "site"), "not an MP3",
                                              {"notes.mp3": "plain text with an .mp3 name"}),
    "publish into a corrupt feed": BadInput(
        ("publish", "her-review.mp3", "--site", "site"), "feed",
        {"site/podcast.toml": 'title = "Kept"\n', "site/feed.xml": "<rss><channel><item><title>Half"},
        episode=True),
    "publish into a feed that is not XML at all": BadInput(
        ("publish", "her-review.mp3", "--site", "site"), "feed",
        {"site/podcast.toml": 'title = "Kept"\n', "site/feed.xml": b"\x00\x01garbage\xff"}, episode=True),
    "bad base_url": BadInput(
        ("publish", "her-review.mp3", "--site", "site"), "base_url",
        {"site/podcast.toml": 'base_url = "www.example.com"\n'}, episode=True),
    "publish into a site under a file": BadInput(
        ("publish", "her-review.mp3", "--site", "file.txt/site"), "file.txt", {"file.txt": "x"},
        episode=True),
    "check a file that is not an MP3": BadInput(("check", "notes.mp3"), "notes.mp3",
                                                {"notes.mp3": "plain text"}),
    # Issue 14: outputs that are folders, written as a set, refused before synthesis.
    "render output is a folder": BadInput(
        ("render", "one.md", "-o", "dirout.mp3"), "dirout.mp3: it is a folder",
        {"one.md": ONE_LINE, "dirout.mp3/keep": ""}),
    "render transcript is a folder": BadInput(
        ("render", "one.md", "-o", "out3/ep.mp3"), "ep.vtt: it is a folder",
        {"one.md": ONE_LINE, "out3/ep.vtt/keep": "", "out3/ep.mp3": "an older episode"}),
    "lossless master is a folder": BadInput(
        ("render", "one.md", "--master", "flac"), "one.flac: it is a folder",
        {"one.md": ONE_LINE, "output/one.flac/keep": ""}),
    "say output is a folder": BadInput(("say", "Hi.", "-o", "folder.wav"), "folder.wav: it is a folder",
                                       {"folder.wav/keep": ""}),
    "say output without a suffix": BadInput(("say", "Hi.", "-o", "folder"), "WAV", {"folder/keep": ""}),
    "say output named .mp3": BadInput(("say", "Hi.", "-o", "x.mp3"), "x.mp3"),
    "site whose index.html is a folder": BadInput(
        ("publish", "her-review.mp3", "--site", "site"), "index.html: it is a folder",
        {"site/index.html/keep": ""}, episode=True),
    "site whose episode page is a folder": BadInput(
        ("publish", "her-review.mp3", "--site", "site"), "her-review.html: it is a folder",
        {"site/episodes/her-review.html/keep": ""}, episode=True),
    "make into a site with a corrupt feed": BadInput(
        ("make", "essay.txt", "--site", "site"), "feed",
        {"essay.txt": "A title\n\nSome words.\n", "site/feed.xml": "<rss><channel><item><title>Half"}),
    "make into a site whose feed.xml is a folder": BadInput(
        ("make", "essay.txt", "--site", "site"), "feed.xml",
        {"essay.txt": "A title\n\nSome words.\n", "site/feed.xml/keep": ""}),
    # Issue 14: audio that does not decode whole.
    "publish a truncated MP3": BadInput(("publish", "half.mp3", "--site", "site"), "cut short",
                                        episode=True, cuts={"half.mp3": 0.5}),
    "publish the start of a tag": BadInput(("publish", "tiny.mp3", "--site", "site"), "tiny.mp3",
                                           episode=True, cuts={"tiny.mp3": 50}),
    # Issue 14: settings and options.
    "cache folder that is a file": BadInput(("render", "one.md"), "cachefile is a file",
                                            {"one.md": ONE_LINE, "cachefile": "x"}, cache="cachefile"),
    "serve on a port past 65535": BadInput(("serve", "site", "--port", "70000"), "--port 70000",
                                           {"site/feed.xml": "<rss/>"}),
    "serve on a negative port": BadInput(("serve", "site", "--port=-1"), "--port -1",
                                         {"site/feed.xml": "<rss/>"}),
    "no workers": BadInput(("render", "one.md", "--workers", "0"), "--workers 0", {"one.md": ONE_LINE}),
    "negative workers": BadInput(("make", "essay.txt", "-j", "-3"), "--workers -3",
                                 {"essay.txt": "A title\n\nSome words.\n"}),
    "check with a loudness target far too high": BadInput(
        ("check", "her-review.mp3", "--target", "99"), "loudness target", episode=True),
    "--section with an empty swap": BadInput(
        ("render", "one.md", "--section", "1:="), "bad --section", {"one.md": ONE_LINE}),
    "--voice with an empty profile": BadInput(
        ("render", "one.md", "--voice", "narrator="), "bad --voice", {"one.md": ONE_LINE}),
    "an essay far too long to render unasked": BadInput(
        ("make", "book.txt"), "--yes", {"book.txt": "A book\n\n" + "Words go on and on. " * 9000}),
}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("segment-cache")


def prepare(folder: Path, case: BadInput) -> None:
    if case.episode:
        data = make_episode(folder).audio.read_bytes()
        for name, cut in case.cuts.items():
            (folder / name).write_bytes(data[: cut if isinstance(cut, int) else int(len(data) * cut)])
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")


def assert_refused(folder: Path, cache: Path, args: tuple[str, ...], message: str) -> None:
    """Run ``args`` in ``folder``: one clean error line mentioning ``message``, the folder unchanged.

    The line is an error (exit 1, or 2 for a usage error), never an internal error (exit 70) nor a
    message with empty parentheses.
    """
    before = snapshot(folder)
    result = run(*args, cwd=folder, cache=cache)
    after = {name: data for name, data in snapshot(folder).items() if Path(name).name != SITE_LOCK}
    assert result.returncode in (1, 2), (result.returncode, result.stdout, result.stderr)  # 2: usage
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), result.stderr
    assert lines[0].startswith("essaycast: error: "), lines[0]
    assert message in lines[0]
    assert "()" not in lines[0]
    assert after == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_in_one_line_and_leaves_nothing(
    tmp_path: Path, shared_cache: Path, case: BadInput
) -> None:
    prepare(tmp_path, case)
    assert_refused(tmp_path, tmp_path / case.cache if case.cache else shared_cache, case.args, case.message)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root from writing (CI runs as root)")
@pytest.mark.parametrize("args", [
    ("render", "one.md", "-o", "locked/out.mp3"),
    ("script", "essay.txt", "-o", "locked/essay.md"),
    ("publish", "her-review.mp3", "--site", "locked"),
], ids=["render", "script", "publish"])
def test_unwritable_output_folder(tmp_path: Path, shared_cache: Path, args: tuple[str, ...]) -> None:
    prepare(tmp_path, BadInput(args, "", {"one.md": ONE_LINE, "essay.txt": "A title\n\nWords.\n"},
                               episode=True))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_refused(tmp_path, shared_cache, args, "locked")
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
@pytest.mark.parametrize("args", [
    ("render", "one.md", "-o", "/sys/kernel/out.mp3"),
    ("script", "essay.txt", "-o", "/sys/kernel/essay.md"),
    ("say", "Hello.", "-o", "/sys/kernel/hello.wav"),
    ("publish", "her-review.mp3", "--site", "/sys/kernel/site"),
], ids=["render", "script", "say", "publish"])
def test_output_folder_even_root_cannot_write(
    tmp_path: Path, shared_cache: Path, args: tuple[str, ...]
) -> None:
    """sysfs takes no new files from anyone, so this runs where chmod cannot stop the writer (root, CI)."""
    prepare(tmp_path, BadInput(args, "", {"one.md": ONE_LINE, "essay.txt": "A title\n\nWords.\n"},
                               episode=True))
    assert_refused(tmp_path, shared_cache, args, "/sys/kernel/")


@pytest.mark.parametrize("args", [
    ("render", "one.md", "--cover", "missing.png"),
    ("render", "one.md", "-o", "one.wav"),
    ("render", "one.md", "-o", "one.md/out.mp3"),
    ("render", "one.md", "-o", "/sys/kernel/out.mp3"),
], ids=["missing cover", "not an mp3", "under a file", "unwritable"])
def test_output_and_cover_problems_are_refused_before_any_synthesis(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    prepare(tmp_path / "work", BadInput(args, "", {"one.md": ONE_LINE}))
    cache = tmp_path / "cache"
    result = run(*args, cwd=tmp_path / "work", cache=cache)
    assert result.returncode != 0 and result.stderr.startswith("essaycast: error: ")
    assert not cache.exists() or not any(cache.rglob("*.flac")), "synthesized before refusing"
