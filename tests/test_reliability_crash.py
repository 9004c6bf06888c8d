"""kill -9 in the middle of a render or a publish, then run it again: nothing is lost, broken or redone.

Render: a short script in the noise-free ``steady`` voice is rendered once without interruption, then
in two chains of runs, each starting from an empty cache, every run but the last is killed with
SIGKILL at a seeded random point: during synthesis (once the run has stored a random number of new
segments, plus a random delay) or during mastering (a random delay after its work folder appears); a
run that finishes before its kill point does not count, and its episode is removed so the next one
has mastering to do.
Half the kills hit the whole process group (a crash of the machine or the terminal), half only the
main process (the OOM killer, ``kill -9 PID``), whose worker processes must then end by themselves.
After every kill, the segments finished before it are still in the cache, untouched; the last run of
a chain completes, takes exactly the finished segments from the cache, leaves no temporary behind,
and gives the reference's episode.

Publish: a site with episodes gets new episodes and updates, each publish killed at a random point
inside its locked section (where files are written); after every kill the feed parses with feedparser
and podcastparser, every earlier episode is still listed with its files, and every enclosure's length
and duration are those of the file served at its URL. One episode is republished, changed, again and
again under the same name, killed each time, and checked the same way.

Signals: Ctrl-C while mastering stops the run with one line and exit 130, as during synthesis; a kill
-9 of the main process leaves no "leaked semaphore" warning from Python's resource tracker.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_publish_support import make_episode
from test_reliability_support import (
    FIXTURES,
    group_members,
    hidden_leftovers,
    run,
    segment_counts,
    start,
)

from pipeline.mix.episode import Episode
from pipeline.publish.feed import FeedItem, read_feed
from pipeline.synth.cache import SegmentCache

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches processes through /proc")

SEED = 20240611
"""Seed of every random kill point, so a failure can be replayed."""

CHAINS = 2
"""Render chains, each from an empty cache."""

KILLS_PER_CHAIN = 6
"""Killed runs per chain before the run that completes."""

RUNS_PER_CHAIN = 3 * KILLS_PER_CHAIN
"""Runs a chain may take to be killed that often: one that finishes before its kill point (mastering
from cached parts on a quiet machine is quicker than the reference's) does not count."""

SYNTHESIS_KILLS = 3
"""The first kills of a chain aim at synthesis (while segments are missing), the rest at mastering."""

PUBLISH_KILLS = 12
"""Publishes killed inside their locked section."""

REPUBLISH_KILLS = 6
"""Republishes of one changed episode killed inside their locked section."""

POLL_S = 0.002
"""How often a run is looked at while waiting for its kill point."""

DEADLINE_S = 120.0
"""Longest wait for anything (a kill point, orphaned workers ending); only a hang ever reaches it."""

OUTPUTS = {"episode.mp3", "episode.chapters.json", "episode.vtt", "episode.srt"}
"""What a completed render leaves in its output folder, and nothing else."""


def wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """Wait until ``ready()``; False if the process ended first."""
    deadline = time.monotonic() + DEADLINE_S
    while not ready():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the run neither got there nor ended"
        time.sleep(POLL_S)
    return True


def kill(process: subprocess.Popen[bytes], whole_group: bool) -> bool:
    """SIGKILL the run (and its workers, if ``whole_group``); False if it had already finished."""
    try:
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.wait() == -signal.SIGKILL


def assert_group_ends(group: int) -> None:
    """Every process left in ``group`` (a killed run's workers) exits by itself."""
    deadline = time.monotonic() + DEADLINE_S
    while group_members(group):
        assert time.monotonic() < deadline, f"orphaned worker processes: {group_members(group)}"
        time.sleep(0.05)


# --- render -----------------------------------------------------------------------------------


class Cache:
    """The segment cache of one chain, seen from outside."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = SegmentCache(root / "segments")

    def finished(self) -> dict[str, tuple[int, int, int, int]]:
        """Intact entries by key: inode and mtime of the audio and of the sidecar (a rewrite changes them)."""
        entries = {}
        for sidecar in self.store.root.glob("*/*.json"):
            if sidecar.name.startswith(".") or self.store.get(sidecar.stem) is None:
                continue
            audio, meta = sidecar.with_suffix(".flac").stat(), sidecar.stat()
            entries[sidecar.stem] = (audio.st_ino, audio.st_mtime_ns, meta.st_ino, meta.st_mtime_ns)
        return entries

    def count(self) -> int:
        """Sidecars present: the number of stored segments (written last, so a count of finished ones)."""
        return sum(not path.name.startswith(".") for path in self.store.root.glob("*/*.json"))

    def holds(self, segments: int) -> Callable[[], bool]:
        """A check that the cache holds at least ``segments`` segments."""
        return lambda: self.count() >= segments


@dataclass(frozen=True)
class Trial:
    """One run meant to be killed, for the failure message."""

    chain: int
    """Which chain it belongs to."""
    phase: str
    """Where it was aimed: synthesis or mastering."""
    whole_group: bool
    """Killed with its workers, or the main process alone."""
    killed: bool
    """False if it finished before the kill."""


def render_args(out: Path) -> tuple[str, ...]:
    return ("render", "episode.md", "-o", str(out))


def mastering_started(out: Path) -> Callable[[], bool]:
    return lambda: any(out.parent.glob(f".{out.stem}.mix-*"))


@dataclass(frozen=True)
class Reference:
    """The uninterrupted render every chain must end up matching."""

    cache: Cache
    """Its segment cache."""
    episode: Episode
    """Its episode."""
    mastering_s: float
    """How long its mastering took (from the work folder appearing to the end), for kill delays."""

    @property
    def segments(self) -> int:
        return self.cache.count()


@pytest.fixture(scope="module")
def render_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("render-crash")
    shutil.copytree(FIXTURES / "voices", work / "voices")
    shutil.copy(FIXTURES / "crash.md", work / "episode.md")
    return work


def render_reference(work: Path) -> Reference:
    out, cache = work / "reference" / "episode.mp3", Cache(work / "reference-cache")
    process = start(*render_args(out), cwd=work, cache=cache.root)
    assert wait_for(process, mastering_started(out))
    began = time.monotonic()
    assert process.wait() == 0
    return Reference(cache, Episode.load(out), time.monotonic() - began)


def killed_render(
    work: Path, cache: Cache, out: Path, reference: Reference, rng: random.Random, phase: str,
    whole_group: bool,
) -> bool:
    """One run of a chain, killed in ``phase``; checks what the kill must not harm. True if it was killed."""
    before = cache.finished()
    process = start(*render_args(out), cwd=work, cache=cache.root)
    if phase == "synthesis":
        # A few segments further than the last run got, then a moment more: mid-segment.
        reached = wait_for(process, cache.holds(min(reference.segments - 1, len(before) + rng.randint(0, 2))))
        delay = rng.uniform(0, 0.1)
    else:
        reached = wait_for(process, mastering_started(out))
        delay = rng.uniform(0, 0.9 * reference.mastering_s)
    if reached:
        time.sleep(delay)
    killed = kill(process, whole_group)
    assert_group_ends(process.pid)
    after = cache.finished()
    # Finished segments survive the kill and are never synthesized again (a rewrite is a new file).
    assert {key: after.get(key) for key in before} == before
    if out.exists():  # an earlier completed run's episode, whole
        assert Episode.load(out).duration_ms == reference.episode.duration_ms
    return killed


def assert_completes_like_reference(work: Path, cache: Cache, out: Path, reference: Reference) -> None:
    """The run after the kills: cached segments reused, nothing left over, the reference's episode."""
    import numpy as np
    import soundfile

    finished = cache.finished()
    completed = run(*render_args(out), cwd=work, cache=cache.root)
    assert completed.returncode == 0, completed.stderr
    segments = reference.segments
    assert segment_counts(completed.stdout) == (segments, len(finished), segments - len(finished))
    now = cache.finished()
    assert {key: now[key] for key in finished} == finished
    assert hidden_leftovers(out.parent) == [] and hidden_leftovers(cache.root) == []
    assert {path.name for path in out.parent.iterdir()} == OUTPUTS

    # Same segments as the reference: same lengths, same samples up to the last bits (a lone segment
    # left to do is synthesized in-process on all cores, which rounds differently from one thread).
    assert now.keys() == reference.cache.finished().keys()
    for key in now:
        ours, _ = soundfile.read(cache.store.paths(key)[0], dtype="float32")
        theirs, _ = soundfile.read(reference.cache.store.paths(key)[0], dtype="float32")
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() < 1e-3, key
    episode = Episode.load(out)
    assert (episode.duration_ms, episode.chapters, episode.cues) == (
        reference.episode.duration_ms, reference.episode.chapters, reference.episode.cues)
    # And the very episode an uninterrupted render of those segments gives (mastering is deterministic).
    again = work / f"again-{out.parent.name}" / out.name
    assert run(*render_args(again), cwd=work, cache=cache.root).returncode == 0
    for name in sorted(OUTPUTS - {out.name}):
        assert (again.parent / name).read_bytes() == (out.parent / name).read_bytes(), name
    assert np.array_equal(soundfile.read(again, dtype="int16")[0], soundfile.read(out, dtype="int16")[0])


def test_render_killed_at_random_points_resumes_to_the_same_episode(render_work: Path) -> None:
    rng, reference = random.Random(SEED), render_reference(render_work)
    trials: list[Trial] = []
    for chain in range(CHAINS):
        cache, out = Cache(render_work / f"cache-{chain}"), render_work / f"chain-{chain}" / "episode.mp3"
        chain_kills = 0
        while chain_kills < KILLS_PER_CHAIN and len(trials) < (chain + 1) * RUNS_PER_CHAIN:
            missing = cache.count() < reference.segments
            phase = "synthesis" if chain_kills < SYNTHESIS_KILLS and missing else "mastering"
            whole_group = len(trials) % 2 == 0
            killed = killed_render(render_work, cache, out, reference, rng, phase, whole_group)
            trials.append(Trial(chain, phase, whole_group, killed))
            chain_kills += killed
            if not killed:  # it finished first: an up-to-date episode would leave nothing to kill
                for made in out.parent.glob(f"{out.stem}.*"):
                    made.unlink()
        assert_completes_like_reference(render_work, cache, out, reference)

    kills = [trial for trial in trials if trial.killed]
    assert len(kills) == CHAINS * KILLS_PER_CHAIN, trials
    assert {trial.phase for trial in kills} == {"synthesis", "mastering"}, trials


# --- publish ----------------------------------------------------------------------------------


def lock_held(process: subprocess.Popen[bytes], lock: Path) -> Callable[[], bool]:
    """True once ``process`` has the site's lock file open (it is inside its locked section)."""
    fds = Path(f"/proc/{process.pid}/fd")

    def held() -> bool:
        try:
            return any(os.readlink(fd) == str(lock) for fd in fds.iterdir())
        except OSError:  # the process or one of its descriptors went away while we looked
            return False

    return held


def assert_feed_keeps(site: Path, earlier: dict[str, FeedItem]) -> list[FeedItem]:
    """The feed parses (ours, feedparser, podcastparser) and lists every ``earlier`` episode, files present,
    each enclosure's length and duration those of the MP3 served at its URL."""
    import feedparser
    import podcastparser

    data = (site / "feed.xml").read_bytes()
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    gpodder = podcastparser.parse("http://127.0.0.1:8000/feed.xml", io.BytesIO(data))
    items = read_feed(site / "feed.xml")
    assert len(parsed.entries) == len(gpodder["episodes"]) == len(items)
    by_slug = {item.slug: item for item in items}
    for slug, item in earlier.items():
        assert slug in by_slug, f"episode {slug} was lost"
        assert (by_slug[slug].guid, by_slug[slug].number) == (item.guid, item.number)
    for item in items:  # whatever the feed lists is there, as the feed says it is
        assert_served_as_listed(site, item)
    return items


def assert_served_as_listed(site: Path, item: FeedItem) -> None:
    """The episode's page and files exist, and its MP3 has the feed's length and duration."""
    from mutagen.mp3 import MP3

    assert (site / item.page).is_file() and (site / item.audio).is_file()
    for path in (item.chapters_json, *(path for _, path in item.transcripts)):
        assert path is None or (site / path).is_file(), path
    served = site / item.audio
    assert served.stat().st_size == item.length, item.slug
    assert round(MP3(served).info.length) == item.duration_s, item.slug


def test_publish_killed_at_random_points_never_breaks_the_feed(tmp_path: Path) -> None:
    from pipeline.publish import publish

    rng = random.Random(SEED)
    site = tmp_path / "site"
    lock = site.resolve() / ".essaycast.lock"
    for number in range(3):
        publish(make_episode(tmp_path / "earlier", f"earlier-{number}", f"Earlier {number}"), site)
    earlier = {item.slug: item for item in read_feed(site / "feed.xml")}

    def timed_publish(mp3: Path) -> float:
        process = start("publish", mp3, "--site", site, cwd=tmp_path, cache=tmp_path / "cache")
        assert wait_for(process, lock_held(process, lock))
        began = time.monotonic()
        assert process.wait() == 0
        return time.monotonic() - began

    locked_s = timed_publish(make_episode(tmp_path / "new", "warm-up", "Warm-up").audio)
    earlier = {item.slug: item for item in assert_feed_keeps(site, earlier)}

    # A kill can miss (the publish finished first): go on until PUBLISH_KILLS kills landed.
    kills = trials = 0
    while kills < PUBLISH_KILLS and trials < 3 * PUBLISH_KILLS:
        trial, trials = trials, trials + 1
        # Mostly new episodes; every third trial updates an earlier one in place.
        update = trial % 3 == 2
        name = rng.choice(sorted(earlier)) if update else f"new-{trial}"
        mp3 = make_episode(tmp_path / "new", name, f"Trial {trial}", seconds=rng.uniform(2, 12)).audio
        process = start("publish", mp3, "--site", site, cwd=tmp_path, cache=tmp_path / "cache")
        if wait_for(process, lock_held(process, lock)):
            time.sleep(rng.uniform(0, locked_s))
        kills += kill(process, whole_group=True)
        assert_feed_keeps(site, earlier)
        again = run("publish", mp3, "--site", site, cwd=tmp_path, cache=tmp_path / "cache")
        assert again.returncode == 0, again.stderr
        earlier = {item.slug: item for item in assert_feed_keeps(site, earlier)}
        assert earlier[name].title == f"Trial {trial}"
        assert hidden_leftovers(site) == []
    assert kills >= PUBLISH_KILLS >= 10, f"only {kills} of {trials} kills landed inside a publish"
    assert len(earlier) == 4 + trials - trials // 3
    assert sorted(item.number for item in earlier.values()) == list(range(1, len(earlier) + 1))


def test_republishing_a_changed_episode_killed_at_random_points_keeps_the_feed_true_to_its_media(
    tmp_path: Path,
) -> None:
    from pipeline.publish import publish

    rng = random.Random(SEED + 1)
    site = tmp_path / "site"
    lock = site.resolve() / ".essaycast.lock"
    publish(make_episode(tmp_path / "take-0", "ep", "Take 0", seconds=4), site)
    [published] = read_feed(site / "feed.xml")
    kills = trials = 0
    while kills < REPUBLISH_KILLS and trials < 3 * REPUBLISH_KILLS:
        trials += 1
        # Each take differs in length (so in size and duration) and in its chapters and transcripts.
        mp3 = make_episode(tmp_path / f"take-{trials}", "ep", f"Take {trials}",
                           seconds=rng.choice([3, 5, 7, 9]) + trials / 10).audio
        process = start("publish", mp3, "--site", site, cwd=tmp_path, cache=tmp_path / "cache")
        if wait_for(process, lock_held(process, lock)):
            time.sleep(rng.uniform(0, 0.4))
        kills += kill(process, whole_group=rng.random() < 0.5)
        [item] = assert_feed_keeps(site, {published.slug: published})
        assert item.guid == published.guid
        if trials % 2:  # every other take is published to the end before the next is killed
            again = run("publish", mp3, "--site", site, cwd=tmp_path, cache=tmp_path / "cache")
            assert again.returncode == 0, again.stderr
            [item] = assert_feed_keeps(site, {published.slug: published})
            assert item.title == f"Take {trials}"
            assert (site / item.audio).read_bytes() == mp3.read_bytes()
            assert hidden_leftovers(site) == []
    assert kills >= REPUBLISH_KILLS, f"only {kills} of {trials} kills landed inside a publish"


# --- signals ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_while_mastering_says_interrupted_and_exits_130(render_work: Path) -> None:
    import subprocess

    from test_reliability_support import ESSAYCAST, environment

    for attempt in range(3):  # the signal can miss mastering on a very fast machine: try again
        out = render_work / f"interrupted-{attempt}" / "episode.mp3"
        cache = render_work / f"interrupted-cache-{attempt}"
        process = subprocess.Popen([*ESSAYCAST, *render_args(out)], cwd=render_work, env=environment(cache),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            if wait_for(process, mastering_started(out)):
                process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=DEADLINE_S)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if process.returncode != 0:
            break
    assert process.returncode == 130, stderr
    assert stderr.splitlines() == [stderr.strip()], stderr
    assert stderr.startswith("essaycast: error: interrupted"), stderr
    assert not out.exists() and hidden_leftovers(out.parent) == []


@pytest.mark.slow
def test_a_killed_run_leaves_no_leaked_semaphore_warning(render_work: Path, tmp_path: Path) -> None:
    import subprocess

    from test_reliability_support import ESSAYCAST, environment

    cache = Cache(tmp_path / "cache")
    with open(tmp_path / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen([*ESSAYCAST, *render_args(tmp_path / "out" / "episode.mp3"), "-j", "2"],
                                   cwd=render_work, env=environment(cache.root), stdout=subprocess.DEVNULL,
                                   stderr=stderr, start_new_session=True)
        try:
            assert wait_for(process, cache.holds(1))
        finally:
            kill(process, whole_group=False)  # the main process only: its workers and tracker live on
        assert_group_ends(process.pid)
        stderr.seek(0)
        assert "leaked" not in stderr.read()


# --- the temporaries themselves ---------------------------------------------------------------


def test_a_killed_writers_temporaries_go_with_the_next_write_and_live_ones_stay(tmp_path: Path) -> None:
    from pipeline.files import atomic_path, scratch_dir, write_text

    dest = tmp_path / "feed.xml"
    stale_file = tmp_path / ".feed.xml.k1ll3d_0.xml"  # as a killed process leaves them: nobody holds them
    stale_file.write_text("half")
    stale_folder = tmp_path / ".episode.mix-k1ll3d_0"
    (stale_folder / "voice.w64").parent.mkdir()
    (stale_folder / "voice.w64").write_bytes(b"\0" * 64)
    unrelated = [tmp_path / ".feed.xml.notes.xml", tmp_path / ".other.xml.k1ll3d_0.xml"]
    for path in unrelated:
        path.write_text("not ours")

    with atomic_path(dest) as live:
        live.write_text("being written")
        write_text(dest, "<rss/>")  # a second writer of the same file sweeps, but not the live temporary
        assert live.exists() and not stale_file.exists()
        assert dest.read_text() == "<rss/>"
    assert dest.read_text() == "being written"
    with scratch_dir(tmp_path / "episode.mp3", "mix") as work:
        assert work.is_dir() and not stale_folder.exists()
    assert not work.exists()
    # Any write into the folder sweeps every stale temporary of ours there, not only its own file's
    # (issue 14); names that are not ours stay.
    assert hidden_leftovers(tmp_path) == [unrelated[0].name]
