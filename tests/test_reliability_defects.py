"""The defects of issue 14 that live inside one stage, each reproduced: outputs written as a set,
temporaries of dead runs swept, site media never rewritten in place, truncated MP3s refused, chapter
frames in order, markup and bidi controls kept out of transcripts and titles, covers without boxes,
UTF-16 text read, undecodable cache entries re-rendered, mastering scratch freed part by part, and a
preview server that idle sockets cannot take over.

The bad input of the command line is in `test_reliability_inputs`, kills in `test_reliability_crash`.
"""

from __future__ import annotations

import codecs
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_publish_support import make_episode, write_mp3

from pipeline.errors import EssaycastError
from pipeline.mix.episode import Chapter, Cue, Episode

# --- files: a set of outputs, stale temporaries -------------------------------------------------


def test_a_set_of_outputs_checks_every_destination_before_writing_any(tmp_path: Path) -> None:
    from pipeline.files import atomic_paths

    dests = {name: tmp_path / name for name in ("ep.chapters.json", "ep.vtt", "ep.srt", "ep.mp3")}
    dests["ep.mp3"].write_text("old episode")
    dests["ep.vtt"].mkdir()  # a folder where the transcript must go
    with pytest.raises(EssaycastError, match=r"ep\.vtt: it is a folder"), atomic_paths(dests) as tmp:
        for path in tmp.values():
            path.write_text("new")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ep.mp3", "ep.vtt"]
    assert dests["ep.mp3"].read_text() == "old episode"


def test_a_set_of_outputs_is_renamed_in_the_order_given(tmp_path: Path) -> None:
    from pipeline.files import atomic_paths

    seen: list[str] = []
    dests = {name: tmp_path / name for name in ("b.srt", "a.mp3")}
    with atomic_paths(dests) as tmp:
        for name, path in tmp.items():
            path.write_text(name)
            seen.append(name)
    assert [dests[name].read_text() for name in seen] == ["b.srt", "a.mp3"]
    order = sorted(dests.values(), key=lambda path: path.stat().st_mtime_ns)
    assert [path.name for path in order] == ["b.srt", "a.mp3"]


def test_any_write_sweeps_the_stale_temporaries_of_its_folder(tmp_path: Path) -> None:
    from pipeline.files import write_text

    stale = [tmp_path / ".ep.mp3.k1ll3d_0.mp3", tmp_path / ".index.html.k1ll3d_1.html"]
    for path in stale:
        path.write_bytes(b"half")
    scratch = tmp_path / ".big.mix-k1ll3d_2"
    (scratch / "part0").mkdir(parents=True)
    (scratch / "part0" / "voice.w64").write_bytes(b"\0" * 64)
    mine = [tmp_path / ".config.toml", tmp_path / ".notes.txt.backup", tmp_path / ".dir.mix-notes"]
    for path in mine[:2]:
        path.write_text("the user's own")
    mine[2].mkdir()
    write_text(tmp_path / "unrelated.json", "{}")  # writes another file in the same folder
    assert not any(path.exists() for path in [*stale, scratch])
    assert all(path.exists() for path in mine)


@pytest.mark.parametrize("kind", ["mkstemp", "mkdtemp"])
def test_a_temporary_swept_before_its_lock_is_taken_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Another writer's sweep can land between a temporary's creation and its lock (two episodes
    mastered at once in one folder); the writer makes a new one instead of failing."""
    import tempfile

    from pipeline.files import atomic_path, scratch_dir, sweep_temporaries

    make = getattr(tempfile, kind)
    swept: list[str] = []

    def make_then_sweep(*args: object, **kwargs: object) -> object:
        made = make(*args, **kwargs)
        if not swept:  # the first one is swept by "another writer" before it is locked
            sweep_temporaries(tmp_path)
            swept.append("once")
        return made

    monkeypatch.setattr(tempfile, kind, make_then_sweep)
    if kind == "mkdtemp":
        with scratch_dir(tmp_path / "ep.mp3", "mix") as work:
            (work / "voice.w64").write_bytes(b"\0" * 64)
            assert work.is_dir()
    else:
        with atomic_path(tmp_path / "ep.mp3") as tmp:
            tmp.write_bytes(b"episode")
        assert (tmp_path / "ep.mp3").read_bytes() == b"episode"
    assert swept and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_unicode_text_with_a_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    from pipeline.files import read_text

    text = "A title\n\nCafé, naïve — 日本語.\n"
    boms = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": b"", "utf-32-be": codecs.BOM_UTF32_BE}
    (tmp_path / "essay.txt").write_bytes(boms[codec] + text.encode(codec))
    assert read_text(tmp_path / "essay.txt") == text


# --- site media: never rewritten in place ---------------------------------------------------------


def test_an_update_gets_new_media_names_and_the_old_ones_go(tmp_path: Path) -> None:
    from pipeline.publish import publish
    from pipeline.publish.feed import read_feed

    site = tmp_path / "site"
    first = publish(make_episode(tmp_path / "v1", "ep", "Take one", seconds=3), site).item
    assert first.audio == "episodes/ep.mp3"
    same = publish(make_episode(tmp_path / "v1", "ep", "Take one", seconds=3), site).item
    assert same.audio == first.audio  # unchanged files keep their names

    second = publish(make_episode(tmp_path / "v2", "ep", "Take two", seconds=5), site).item
    assert second.audio != first.audio and second.slug == "ep" and second.guid == first.guid
    [item] = read_feed(site / "feed.xml")
    assert item == second
    served = site / item.audio
    assert served.stat().st_size == item.length
    assert item.duration_s == round(Episode.load(served).duration_ms / 1000) == 5
    linked = {item.audio, item.page, item.chapters_json, *(path for _, path in item.transcripts)}
    assert {f"episodes/{path.name}" for path in (site / "episodes").iterdir()} == linked


def test_a_truncated_mp3_is_refused_and_a_whole_one_passes(tmp_path: Path) -> None:
    from pipeline.publish.media import verify_mp3

    whole = write_mp3(tmp_path / "whole.mp3", 4.0)
    assert verify_mp3(whole).frames == verify_mp3(whole).promised
    data = whole.read_bytes()
    for name, cut in (("half.mp3", len(data) // 2), ("most.mp3", len(data) - 2000)):
        (tmp_path / name).write_bytes(data[:cut])
        with pytest.raises(EssaycastError, match="cut short"):
            verify_mp3(tmp_path / name)


# --- mix outputs ----------------------------------------------------------------------------------


def test_chapter_frames_come_toc_first_then_in_time_order(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    from pipeline.mix.tags import Tags, read_tags, write_tags

    # Titles of falling length: sorted by size, as mutagen does, the last chapter would come first.
    titles = ["A much longer title for the first chapter of all", "Second one", "Third", "4"]
    chapters = tuple(Chapter(title, i * 1000, (i + 1) * 1000) for i, title in enumerate(titles))
    mp3 = write_mp3(tmp_path / "ep.mp3", 4.0)
    write_tags(mp3, Tags(title="Ordered", chapters=chapters))
    frames = [frame for frame in ID3(mp3).values() if frame.FrameID in ("CHAP", "CTOC")]
    assert [frame.FrameID for frame in frames] == ["CTOC"] + ["CHAP"] * 4
    assert [frame.start_time for frame in frames[1:]] == [0, 1000, 2000, 3000]
    assert read_tags(mp3).chapters == chapters


def test_srt_makes_markup_that_players_would_obey_plain() -> None:
    from pipeline.mix.sidecars import srt

    cue = Cue(0, 1000, "narrator", "Bold <b>claims</b> and <script>alert(1)</script> {\\an8}up; 2 < 3 > 1.")
    text = srt([cue]).splitlines()[2]
    assert text == "Bold ‹b›claims‹/b› and ‹script›alert(1)‹/script› {an8}up; 2 < 3 > 1."


def test_mastering_frees_each_parts_scratch_once_it_is_encoded(tmp_path: Path) -> None:
    from test_mix_master import Line, _make

    from pipeline.mix.master import MixOptions, master

    sections = [(f"Part {i}", [Line("narrator", 200 + 50 * i, 1.0, 400)]) for i in range(5)]
    script, rendered = _make(tmp_path, sections)
    out = tmp_path / "out" / "ep.mp3"
    most = 0

    def watch(phase: str, done: int, total: int) -> None:
        nonlocal most
        most = max(most, len(list(out.parent.glob(".ep.mix-*/part*/voice.w64"))))

    master(script, rendered, out, MixOptions(date="2024-05-01"), base_dir=tmp_path, on_progress=watch)
    assert 1 <= most <= 2  # parts in progress at once (one per core), not all five


# --- titles, pages, cover ---------------------------------------------------------------------------

BIDI = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f"


def test_bidi_controls_never_reach_the_page_or_the_feed(tmp_path: Path) -> None:
    from pipeline.publish import publish

    site = tmp_path / "site"
    done = publish(make_episode(tmp_path / "src", "bidi", f"Not \u202elive\u202c {BIDI}evil"), site,
                   description="About \u2067this\u2069.")
    for path in (site / "feed.xml", site / "index.html", done.page):
        text = path.read_text("utf-8")
        assert not set(BIDI) & set(text), path.name
        assert "Not live evil" in text
    assert done.item.title == "Not live evil"


def test_the_cover_drops_glyphs_its_font_lacks_instead_of_boxes(tmp_path: Path) -> None:
    from PIL import Image, ImageFont

    from pipeline.publish.cover import _drawable, draw_cover

    font = ImageFont.load_default(size=60)
    assert _drawable("שלום Straße 😀 Ágnes — ok", font) == "Strasse Agnes - ok"
    assert _drawable("שלום 😀", font) == ""
    draw_cover(tmp_path / "cover.png", "שלום 😀", "אבי", size=600)
    with Image.open(tmp_path / "cover.png") as image:
        assert image.size == (600, 600)


# --- cache ----------------------------------------------------------------------------------------


def test_a_cache_entry_that_does_not_decode_is_a_miss(tmp_path: Path) -> None:
    import json

    import numpy as np

    from pipeline.files import sha256_of
    from pipeline.synth.cache import SegmentCache

    store = SegmentCache(tmp_path / "segments")
    entry = store.put("ab" + "0" * 62, np.zeros(2205, dtype=np.float32), 22050)
    assert store.get("ab" + "0" * 62) == entry
    entry.audio.write_bytes(b"fLaC but nothing after it")
    sidecar = entry.audio.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "sha256": sha256_of(entry.audio)}))  # the hash still matches
    assert store.get("ab" + "0" * 62) is None


# --- serve ----------------------------------------------------------------------------------------

IDLE_SOCKETS = 120
"""Connections opened and left silent: far more than the server's worker threads."""


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    from pipeline.publish import make_server, publish
    from pipeline.publish import server as server_module

    monkeypatch.setattr(server_module, "IDLE_TIMEOUT_S", 1.5)
    site = tmp_path / "site"
    publish(make_episode(tmp_path / "src", seconds=2), site)
    httpd = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_idle_sockets_neither_take_threads_nor_stop_others_being_served(served: tuple[str, int]) -> None:
    import http.client

    from pipeline.publish.server import WORKERS

    threads_before = threading.active_count()
    idle = [socket.create_connection(served, timeout=5) for _ in range(IDLE_SOCKETS)]
    try:
        time.sleep(0.3)
        assert threading.active_count() <= threads_before + WORKERS
        started = time.monotonic()
        connection = http.client.HTTPConnection(*served, timeout=5)
        connection.request("GET", "/feed.xml")
        assert connection.getresponse().status == 200
        connection.close()
        assert time.monotonic() - started < 2.0
        # Idle past the timeout: the server hangs up on them.
        idle[0].settimeout(5)
        assert idle[0].recv(1) == b""
    finally:
        for sock in idle:
            sock.close()
