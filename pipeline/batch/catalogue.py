"""Making a catalogue: every essay drafted, all of them rendered as one body of work, each mastered
and published into one site, one essay's failure never stopping the others.

``make_catalogue`` runs four steps:

1. prepare every essay's script (`prepare`: a draft, the producer's edited draft, or the script
   itself), apply the voice swaps and check the output and mixing inputs; an essay that fails here
   (unreadable, a script error, an unknown voice) is set aside with its one-line error;
2. render all the scripts together (`render_all`): identical lines synthesized once, the longest
   first across the whole catalogue, on the executor given (a local pool or a Dask cluster);
3. master each episode (an MP3 already up to date is left as it is, from the fingerprint in its tag),
   its parts here or on the cluster's workers;
4. publish them in catalogue order, so episode numbers follow it; an episode whose MP3 was up to
   date and which the feed already lists is not published again.

The result is a `BatchReport`: per essay what was made and how, or why not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.batch.prepare import Prepared, prepare
from pipeline.errors import EssaycastError
from pipeline.mix.master import MixOptions, master, preflight
from pipeline.publish import publish
from pipeline.publish.feed import EPISODES_DIR, read_feed
from pipeline.publish.publisher import episode_slug
from pipeline.publish.settings import FEED_NAME
from pipeline.synth.render import render_all

if TYPE_CHECKING:
    from pipeline.mix.episode import Episode
    from pipeline.mix.master import PartMaster
    from pipeline.synth.render import Executor, RenderedSegment

Progress = Callable[[str, int, int], None]
"""``on_progress(what, done, total)``: ``segments`` as they are rendered, ``essays`` as they are finished."""

MAX_AT_ONCE = 8
"""Most episodes mastered side by side on a cluster: each holds its segments' audio in memory here
while its parts are shipped out."""
PUBLISHED, UP_TO_DATE, FAILED = "published", "up to date", "failed"
"""An essay's status in the report."""


@dataclass(frozen=True)
class BatchOptions:
    """What every essay of the catalogue is made with (the options ``make`` has)."""

    cast: Mapping[str, str] = field(default_factory=dict)
    """Character voices added to every draft (NAME → profile)."""
    auto_cast: bool = False
    """Whether each fresh draft also casts every character its essay quotes (``--cast auto``)."""
    voices: Mapping[str, str] = field(default_factory=dict)
    """Voice swaps for whole episodes (speaker → profile); a speaker an essay lacks is left alone."""
    sections: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    """Voice swaps in single sections (0-based section → speaker → profile)."""
    mix: MixOptions = field(default_factory=MixOptions)
    """Mastering and encoding."""


@dataclass
class EssayResult:
    """One essay of the catalogue: what became of it."""

    source: str
    """The essay (or script) file."""
    status: str = FAILED
    """`PUBLISHED`, `UP_TO_DATE` or `FAILED`."""
    error: str = ""
    """Why it failed, on one line."""
    title: str = ""
    """Episode title."""
    script: str = ""
    """The script it was made from."""
    episode: str = ""
    """The MP3 in the site."""
    number: int = 0
    """Episode number in the feed."""
    duration_s: float = 0.0
    """Length of the episode."""
    segments: int = 0
    """Segments in its script."""
    synthesized: int = 0
    """Of those, synthesized in this run (the rest came from the cache)."""
    loudness_lufs: float | None = None
    """Measured integrated loudness."""
    warnings: list[str] = field(default_factory=list)
    """Things published differently than asked."""
    cast_auto: list[str] = field(default_factory=list)
    """The voices ``--cast auto`` chose for a fresh draft, ``speaker=profile (why)`` each."""

    @property
    def cached(self) -> int:
        """Segments that came from the cache."""
        return self.segments - self.synthesized


@dataclass(frozen=True)
class BatchReport:
    """A whole catalogue run."""

    site: Path
    """The site folder."""
    essays: tuple[EssayResult, ...]
    """Per essay, in catalogue order."""
    seconds: float
    """Wall time of the run."""
    jobs: int
    """Distinct segments synthesized (identical lines across essays count once)."""

    @property
    def failed(self) -> list[EssayResult]:
        """The essays that could not be made."""
        return [essay for essay in self.essays if essay.status == FAILED]

    def to_json(self) -> str:
        """The report as JSON (``--report``)."""
        return json.dumps({
            "site": str(self.site), "feed": str(self.site / FEED_NAME), "seconds": round(self.seconds, 2),
            "essays": len(self.essays), "failed": len(self.failed), "synthesized_jobs": self.jobs,
            "results": [asdict(essay) | {"cached": essay.cached} for essay in self.essays],
        }, indent=2, ensure_ascii=False) + "\n"


@dataclass
class _Essay:
    """An essay on its way through the run."""

    source: Path
    result: EssayResult
    prepared: Prepared | None = None
    segments: list[RenderedSegment] = field(default_factory=list)
    episode: Episode | None = None
    unchanged: bool = False
    """Whether mastering found its MP3 up to date."""

    @property
    def out(self) -> Path:
        return Path(self.result.episode)


def make_catalogue(
    sources: Sequence[Path],
    site: Path,
    options: BatchOptions | None = None,
    *,
    executor: Executor | None = None,
    part_master: PartMaster | None = None,
    essays_at_once: int = 1,
    on_progress: Progress | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> BatchReport:
    """Make every essay of ``sources`` (in this order) into an episode of the podcast in ``site``.

    ``executor`` synthesizes (default: the local process pool); ``part_master`` masters the parts of
    each episode somewhere else (`pipeline.mix.parts.RemoteParts`; default: here), and then
    ``essays_at_once`` episodes are mastered side by side so a cluster's workers all have parts to
    master (here, one episode's parts already fill the cores). Publishing follows catalogue order.
    ``on_warning`` hears of lexicon entries a voice cannot take.

    Errors of single essays go into the report; only a problem with the whole run (a feed that
    does not parse) raises, and it does so before any essay is published.
    """
    options = options or BatchOptions()
    report = on_progress or (lambda what, done, total: None)
    started = time.perf_counter()
    read_feed(Path(site) / FEED_NAME)  # a broken feed stops the run before minutes of work
    episodes = Path(site) / EPISODES_DIR
    essays = [_Essay(source, EssayResult(str(source), episode=str(episodes / f"{source.stem}.mp3")))
              for source in sources]
    _refuse_twins(essays)
    ready = [essay for essay in essays if _attempt(essay, _preparer(options))]
    report("essays", len(essays) - len(ready), len(essays))

    rendered = render_all([essay.prepared.script for essay in ready if essay.prepared], executor=executor,
                          on_progress=lambda segment, done, total: report("segments", done, total),
                          on_warning=on_warning)
    for essay, segments in zip(ready, rendered, strict=True):
        if isinstance(segments, EssaycastError):
            essay.result.error = str(segments)
        else:
            essay.segments = segments
    jobs = len({seg.audio for essay in ready for seg in essay.segments if not seg.cached})

    rendered_ok = [essay for essay in ready if essay.segments]
    finished = len(essays) - len(rendered_ok)
    report("essays", finished, len(essays))
    with ThreadPoolExecutor(max(1, essays_at_once), thread_name_prefix="episode") as pool:
        step = partial(_master, options=options.mix, part_master=part_master)
        mastering = [pool.submit(_attempt, essay, step) for essay in rendered_ok]
        for essay, mastered in zip(rendered_ok, mastering, strict=True):
            if mastered.result():
                _attempt(essay, partial(_publish, site=Path(site)))
            finished += 1
            report("essays", finished, len(essays))
    results = tuple(essay.result for essay in essays)
    return BatchReport(Path(site), results, time.perf_counter() - started, jobs)


def _refuse_twins(essays: Sequence[_Essay]) -> None:
    """Two essays of one name (or names one slug apart: ``A b.txt``, ``a-b.md``) would share a draft,
    an MP3 or a feed entry: the later one fails."""
    seen: dict[str, Path] = {}
    for essay in essays:
        first = seen.setdefault(episode_slug(essay.out), essay.source)
        if first != essay.source:
            essay.result.error = f"{first} has the same name; rename one of them"


def _preparer(options: BatchOptions) -> Callable[[_Essay], None]:
    """The preparing step with ``options`` bound."""

    def step(essay: _Essay) -> None:
        if essay.result.error:
            raise EssaycastError(essay.result.error)
        prepared = prepare(essay.source, options.cast, auto=options.auto_cast)
        essay.result.cast_auto = [f"{casting.speaker}={casting.profile} ({casting.reason})"
                                  for casting in prepared.castings or ()]
        script = prepared.script
        def own(swaps: Mapping[str, str]) -> dict[str, str]:  # the swaps of speakers this essay has
            return {name: profile for name, profile in swaps.items() if name in script.cast}

        try:
            sections = {si: own(swaps) for si, swaps in options.sections.items() if si < len(script.sections)}
            script = script.recast(own(options.voices), sections)
        except ValueError as exc:
            raise EssaycastError(f"cannot swap voices: {exc}") from None
        preflight(script, essay.out, options.mix, base_dir=prepared.path.parent)
        essay.prepared = Prepared(script, prepared.path, prepared.note, prepared.castings)
        essay.result.title, essay.result.script = script.title, str(prepared.path)

    return step


def _attempt(essay: _Essay, step: Callable[[_Essay], None]) -> bool:
    """Run one essay's step; its EssaycastError becomes the essay's error. True when it went well."""
    try:
        step(essay)
    except EssaycastError as exc:
        essay.result.status, essay.result.error = FAILED, str(exc)
        return False
    return True


def _master(essay: _Essay, options: MixOptions, part_master: PartMaster | None) -> None:
    """Master one rendered essay (an MP3 already up to date is left alone)."""
    assert essay.prepared is not None
    before = _stamp(essay.out)
    essay.episode = master(essay.prepared.script, essay.segments, essay.out, options,
                           base_dir=essay.prepared.path.parent, part_master=part_master)
    essay.unchanged = before is not None and before == _stamp(essay.out)
    result = essay.result
    result.segments = len(essay.segments)
    result.synthesized = sum(not segment.cached for segment in essay.segments)
    _describe(result, essay.episode)


def _publish(essay: _Essay, site: Path) -> None:
    """Publish one mastered essay, unless its MP3 was up to date and the feed lists it as it is."""
    assert essay.episode is not None
    result = essay.result
    listed = {item.slug: item for item in read_feed(site / FEED_NAME)}
    item = listed.get(episode_slug(essay.episode.audio))
    if essay.unchanged and item is not None and item.length == essay.out.stat().st_size:
        result.status, result.number = UP_TO_DATE, item.number
    else:
        done = publish(essay.episode, site)
        result.status, result.number, result.warnings = PUBLISHED, done.item.number, list(done.warnings)


def _describe(result: EssayResult, episode: Episode) -> None:
    result.title = episode.title
    result.duration_s = round(episode.duration_ms / 1000, 1)
    result.loudness_lufs = episode.loudness_lufs


def _stamp(path: Path) -> tuple[int, int] | None:
    """Inode and modification time: a re-mastered MP3 is a new file renamed into place."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns
