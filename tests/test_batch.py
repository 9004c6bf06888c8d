"""essaycast batch on the counting fake engine: catalogue-wide sharing and scheduling, failure
isolation, episode order, resuming, the report, the whole-run errors, and content-keyed parts.

Real voices on a real Dask cluster are in test_batch_cluster.py.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
import soundfile
import test_synth_render

from pipeline.batch.catalogue import FAILED, PUBLISHED, UP_TO_DATE, BatchOptions, BatchReport, make_catalogue
from pipeline.batch.sources import collect, ordered
from pipeline.cli import SOME_FAILED, main
from pipeline.errors import EssaycastError
from pipeline.mix.assemble import Piece
from pipeline.mix.episode import Episode
from pipeline.mix.parts import RemoteParts, part_key
from pipeline.publish.feed import read_feed
from pipeline.synth.render import LocalPool
from pipeline.synth.voices import Voice, load_voices

Log = list[tuple[str, str]]
T = TypeVar("T")


@dataclass
class ToneEngine:
    """Speaks a 220 Hz tone as long as the text (a tone masters like speech: no DC, sane peaks) and
    logs every text it is given."""

    voice: Voice
    log: Log
    sample_rate: int = 16000

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.log.append((self.voice.name, text))
        time = np.arange(len(text) * 160) / self.sample_rate
        yield (0.3 * np.sin(2 * np.pi * 220 * time)).astype(np.float32)


@pytest.fixture
def fake_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Log:
    """test_synth_render's fake engine and profiles, speaking tones; the log of every (voice, text)."""
    log = test_synth_render.fake_engine(tmp_path, monkeypatch)
    monkeypatch.setattr(sys.modules["fake_engine"], "load", lambda voice, threads=1: ToneEngine(voice, log))
    return log

ESSAYS = {
    "one.txt": 'One\n\nThe first essay starts slowly and at length. "Welcome back," she said.\n',
    "two.txt": 'Two\n\nA second one. "Welcome back," she said.\n',
    "three.txt": 'Three\n\nThe third essay is the longest of them all, by quite a margin. It ends.\n',
}


def write_essays(folder: Path, essays: dict[str, str] = ESSAYS) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name, text in essays.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder / name for name in essays)


def run(sources: list[Path], site: Path) -> BatchReport:
    return make_catalogue(sources, site, BatchOptions(cast={"samantha": "samantha"}), executor=LocalPool(1))


def test_identical_lines_across_essays_are_synthesized_once(fake_engine: Log, tmp_path: Path) -> None:
    done = run(write_essays(tmp_path / "essays"), tmp_path / "site")
    texts = [text for _, text in fake_engine]
    assert texts.count('"Welcome back," she said.') == 1
    assert len(texts) == len(set(texts)) == done.jobs
    assert [essay.status for essay in done.essays] == [PUBLISHED] * 3


def test_longest_lines_go_first_across_the_catalogue(fake_engine: Log, tmp_path: Path) -> None:
    run(write_essays(tmp_path / "essays"), tmp_path / "site")
    texts = [text for _, text in fake_engine]
    assert texts == sorted(texts, key=len, reverse=True)
    # not essay by essay: the first two lines come from different essays
    assert "longest" in texts[0] and "first essay" in texts[1]


def test_a_bad_essay_fails_alone(fake_engine: Log, tmp_path: Path) -> None:
    essays = write_essays(tmp_path / "essays")
    empty = tmp_path / "essays" / "empty.txt"
    empty.write_text("", encoding="utf-8")
    stranger = tmp_path / "essays" / "stranger.md"
    stranger.write_text('+++\ntitle = "S"\n[cast]\nnarrator = "nobody"\n+++\n\n## A\n\nHello.\n',
                        encoding="utf-8")
    done = run([*essays, empty, stranger], tmp_path / "site")
    statuses = {Path(essay.source).name: (essay.status, essay.error) for essay in done.essays}
    assert statuses["empty.txt"][0] == statuses["stranger.md"][0] == FAILED
    assert "empty" in statuses["empty.txt"][1]
    assert "nobody" in statuses["stranger.md"][1]
    assert sorted(item.slug for item in read_feed(tmp_path / "site" / "feed.xml")) == ["one", "three", "two"]


def test_essays_of_one_name_do_not_share_an_episode(fake_engine: Log, tmp_path: Path) -> None:
    essays = write_essays(tmp_path / "essays")
    twin = tmp_path / "more" / "One.md"
    twin.parent.mkdir()
    twin.write_text('+++\ntitle = "Twin"\n+++\n\n## A\n\nHello.\n', encoding="utf-8")
    done = run([*essays, twin], tmp_path / "site")
    assert [essay.status for essay in done.essays] == [PUBLISHED] * 3 + [FAILED]
    assert done.essays[-1].error == f"{essays[0]} has the same name; rename one of them"
    assert len(read_feed(tmp_path / "site" / "feed.xml")) == 3


def test_episode_numbers_follow_the_order(fake_engine: Log, tmp_path: Path) -> None:
    essays = write_essays(tmp_path / "essays")
    for age, path in enumerate(reversed(essays)):  # two.txt oldest, one.txt newest
        os.utime(path, (time.time() - 1000 + age, time.time() - 1000 + age))
    run(ordered(essays, "mtime"), tmp_path / "site")
    numbers = {item.slug: item.number for item in read_feed(tmp_path / "site" / "feed.xml")}
    assert numbers == {"two": 1, "three": 2, "one": 3}


def test_date_order_reads_front_matter(tmp_path: Path) -> None:
    late = tmp_path / "a.md"
    late.write_text('+++\ntitle = "A"\ndate = "2024-05-02"\n+++\n\nHi.\n', encoding="utf-8")
    early = tmp_path / "b.md"
    early.write_text('---\ndate: 2023-01-09\n---\n\nHi.\n', encoding="utf-8")
    assert ordered([late, early], "date") == [early, late]
    assert ordered([early, late], "name") == [late, early]
    with pytest.raises(EssaycastError, match="--order"):
        ordered([late], "size")


def test_folders_give_their_essays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    essays = write_essays(tmp_path / "essays")
    (tmp_path / "essays" / "notes.log").write_text("not an essay", encoding="utf-8")
    # one.txt's draft, written beside it by an earlier run: made from, not made as an essay
    (tmp_path / "essays" / "one.md").write_text('+++\ntitle = "One"\n+++\n\n## A\n\nHi.\n', encoding="utf-8")
    assert sorted(collect([tmp_path / "essays", essays[0]])) == essays  # each file once
    assert collect([tmp_path / "essays"], "t*.txt") == [tmp_path / "essays" / "three.txt",
                                                       tmp_path / "essays" / "two.txt"]


def test_rerun_synthesizes_masters_and_publishes_nothing(fake_engine: Log, tmp_path: Path) -> None:
    essays = write_essays(tmp_path / "essays")
    run(essays, tmp_path / "site")
    feed = (tmp_path / "site" / "feed.xml").read_bytes()
    fake_engine.clear()
    again = run(essays, tmp_path / "site")
    assert fake_engine == []
    assert [essay.status for essay in again.essays] == [UP_TO_DATE] * 3
    assert (tmp_path / "site" / "feed.xml").read_bytes() == feed


def test_cli_reports_failures_with_exit_code_and_json(
    fake_engine: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_essays(tmp_path / "essays")
    (tmp_path / "essays" / "empty.txt").write_text("  \n", encoding="utf-8")
    code = cli(monkeypatch, "batch", "essays", "--site", "site", "--cast", "samantha", "--workers", "1",
               "--report", "batch.json")
    assert code == SOME_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["essaycast: error: essays/empty.txt is empty"]
    report = json.loads((tmp_path / "batch.json").read_text(encoding="utf-8"))
    assert (report["essays"], report["failed"]) == (4, 1)
    names = [Path(essay["source"]).name for essay in report["results"]]
    assert names == ["empty.txt", "one.txt", "three.txt", "two.txt"]
    first = report["results"][1]
    assert first["status"] == PUBLISHED and first["number"] == 1 and first["segments"] == 2
    assert first["synthesized"] + first["cached"] == 2 and first["loudness_lufs"] == pytest.approx(-16, abs=1)
    assert report["results"][0]["error"] == "essays/empty.txt is empty"


@pytest.mark.parametrize("args, message", [
    (["missing.txt"], "essay not found: missing.txt"),
    (["empty"], "no essays in the folder empty"),
    (["essays", "--cluster", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    (["essays", "--cluster", "local:none"], "bad --cluster"),
])
def test_whole_run_errors_write_nothing(
    fake_engine: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    import pipeline.synth.cluster

    monkeypatch.setattr(pipeline.synth.cluster, "CONNECT_TIMEOUT_S", 1.0)
    write_essays(tmp_path / "essays")
    (tmp_path / "empty").mkdir()
    site = tmp_path / "site"
    site.mkdir()
    (site / "feed.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>')
    before = sorted(site.rglob("*"))
    code = cli(monkeypatch, "batch", *args, "--site", "site")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"essaycast: error: {message}")
    assert sorted(site.rglob("*")) == before and read_feed(site / "feed.xml") == []
    assert not (tmp_path / "script").exists()


def cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run ``essaycast ARGS`` in this process (the fake engine is registered here); its exit code."""
    monkeypatch.setattr(sys, "argv", ["essaycast", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    return int(stopped.value.code or 0)


def elsewhere(function: Callable[..., T], *args: object) -> T:
    """Run ``function`` the way a Dask worker would: arguments and result pickled on the way."""
    result = pickle.loads(pickle.dumps(function))(*pickle.loads(pickle.dumps(args)))
    return pickle.loads(pickle.dumps(result))


@pytest.mark.parametrize("long_parts", [False, True])
def test_parts_mastered_elsewhere_make_the_same_episodes(
    fake_engine: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long_parts: bool
) -> None:
    """Parts mastered on another machine are the parts mastered here, levelled the same way there:
    on statistics, or (``long_parts``: every part longer than the longest modelled) by listening."""
    if long_parts:
        monkeypatch.setattr("pipeline.mix.master.MODELLED_PART_S", 0.5)
    essays = write_essays(tmp_path / "essays")
    options = BatchOptions(cast={"samantha": "samantha"})
    make_catalogue(essays, tmp_path / "here", options, executor=LocalPool(1))
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "other-cache"))  # no parts cached yet
    make_catalogue(essays, tmp_path / "there", options, executor=LocalPool(1),
                   part_master=RemoteParts(elsewhere), essays_at_once=3)
    numbers = {item.slug: item.number for item in read_feed(tmp_path / "there" / "feed.xml")}
    assert numbers == {"one": 1, "three": 2, "two": 3}  # mastered side by side, published in order
    for essay in essays:
        here, there = (Episode.load(tmp_path / site / "episodes" / f"{essay.stem}.mp3")
                       for site in ("here", "there"))
        assert soundfile.read(here.audio)[0].tolist() == soundfile.read(there.audio)[0].tolist()
        assert (here.chapters, here.cues) == (there.chapters, there.cues)
        assert here.loudness_lufs == there.loudness_lufs


def test_an_episode_with_a_music_bed_is_mastered_here(fake_engine: Log, tmp_path: Path) -> None:
    """The bed is a file of this machine: such an episode (one part) is never shipped."""

    def nowhere(function: Callable[..., T], *args: object) -> T:
        raise AssertionError("an episode with a bed was shipped")

    soundfile.write(tmp_path / "bed.wav", 0.1 * np.sin(np.arange(16000) / 5), 16000)
    script = tmp_path / "bedded.md"
    script.write_text('+++\ntitle = "Bed"\n[audio]\nbed = "bed.wav"\n+++\n\n## A\n\nHello.\n\n## B\n\nBye.\n',
                      encoding="utf-8")
    done = make_catalogue([script], tmp_path / "site", executor=LocalPool(1),
                          part_master=RemoteParts(nowhere))
    assert [(essay.status, essay.error) for essay in done.essays] == [(PUBLISHED, "")]


def test_part_keys_name_audio_by_content(tmp_path: Path) -> None:
    """Two machines (two cache folders) with the same segments agree on every part key."""

    def pieces(folder: Path, level: float) -> list[Piece]:
        folder.mkdir()
        made = []
        for index in range(2):
            path = folder / f"seg{index}.flac"
            samples = np.full(800, level * (index + 1), dtype=np.float32)
            soundfile.write(path, samples, 16000, subtype="PCM_24")
            made.append(Piece(lambda: (np.zeros(1), 16000), path, "narrator", 300, 0, index))
        return made

    here, there = pieces(tmp_path / "here", 0.1), pieces(tmp_path / "there", 0.1)
    other = pieces(tmp_path / "other", 0.2)
    os.utime(there[0].source, (1, 1))
    settings = {"target_lufs": -16.0}
    assert part_key(here, settings) == part_key(there, settings)
    assert part_key(here, settings) != part_key(other, settings)


def test_cast_auto_casts_each_essays_quoted_characters(fake_engine: Log, tmp_path: Path) -> None:
    essays = write_essays(tmp_path / "essays", {
        "quoted.txt": 'Quoted\n\nThe old sailor waited by the door. '
                      'Homer says "The tide will not wait for us." Nobody answered him.\n',
        "plain.txt": "Plain\n\nNobody is quoted in this one; it is all the narrator's own.\n",
    })
    for shipped in load_voices().values():  # every shipped voice speaks through the fake engine here
        if shipped.engine != "fake":
            profile = f'engine = "fake"\nspeaker = "{shipped.name}"\ngender = "{shipped.gender}"\n'
            (tmp_path / "voices" / f"{shipped.name}.toml").write_text(profile, encoding="utf-8")
    done = make_catalogue(essays, tmp_path / "site", BatchOptions(auto_cast=True), executor=LocalPool(1))
    by_name = {Path(essay.source).name: essay for essay in done.essays}
    assert [essay.status for essay in done.essays] == [PUBLISHED] * 2
    [homer] = by_name["quoted.txt"].cast_auto
    assert homer.startswith("homer=") and not homer.startswith("homer=narrator")
    assert by_name["plain.txt"].cast_auto == []
    assert (homer.split("=")[1].split()[0], "The tide will not wait for us.") in fake_engine
