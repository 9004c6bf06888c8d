"""Rendering Scripts: every segment synthesized with its cast voice, in parallel, through the cache.

``render`` (one script) and ``render_all`` (a catalogue) first resolve every voice a script uses (so
a typo fails before minutes of synthesis), then look every segment up in the cache, then synthesize
only what is missing, each distinct line once. What is missing becomes `Job`s handed to an
`Executor`: `LocalPool` spreads them over worker processes with one ONNX thread each (measured
here: 2 processes × 1 thread beat 1 × 2), a Dask cluster (`pipeline.synth.cluster`) over machines;
both run the one job function `synthesize`, which returns the FLAC bytes the cache stores. The most
expensive segments start first so no core idles at the end. Results are stored in the cache as
they come back, so an interrupted render resumes where it stopped, and the returned lists are in
script order whatever the scheduling.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import EssaycastError
from pipeline.synth.cache import CacheEntry, SegmentCache, flac_bytes
from pipeline.synth.engines import Engine, engine_cost, engine_module
from pipeline.synth.lexicon import Lexicon, load_lexicon, takes_phonemes
from pipeline.synth.voices import Voice, load_voices, unknown_voice

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    import numpy as np

    from pipeline.script.model import Script

Progress = Callable[["RenderedSegment", int, int], None]
"""Called once per finished segment with (segment, segments done, segments in the script)."""
Warn = Callable[[str], None]
"""Called with one line for each thing the user should know but that does not stop the render."""


@dataclass(frozen=True)
class RenderedSegment:
    """One segment's speech, synthesized and stored in the segment cache."""

    section: int
    """Index of the section in the script (0-based)."""
    index: int
    """Index of the segment within its section (0-based)."""
    speaker: str
    """Script speaker name."""
    voice: str
    """Voice profile name it was rendered with."""
    audio: Path
    """Cached audio file: mono, at the engine's own sample rate."""
    sample_rate: int
    """Rate of ``audio`` in Hz."""
    frames: int
    """Number of samples in ``audio``."""
    cached: bool
    """True when it came from the cache without synthesis."""

    @property
    def duration_s(self) -> float:
        """Length of the speech in seconds."""
        return self.frames / self.sample_rate

    def read(self) -> np.ndarray:
        """The speech as mono float32 samples; a damaged file → EssaycastError."""
        import soundfile

        try:
            data, _ = soundfile.read(self.audio, dtype="float32", always_2d=False)
        except (soundfile.LibsndfileError, OSError) as exc:
            raise EssaycastError(f"cannot read rendered audio {self.audio}: {exc}",
                                 hint="render the script again") from None
        return data


@dataclass(frozen=True)
class Job:
    """One distinct piece of speech to synthesize (identical lines by the same voice share a job)."""

    key: str
    """Cache key the result is stored under."""
    voice: Voice
    """Who speaks."""
    text: str
    """What is said."""

    @property
    def cost(self) -> float:
        """Rough compute needed, for scheduling the longest work first."""
        return len(self.text) * engine_cost(self.voice.engine)


def resolve_voices(script: Script, voices: Mapping[str, Voice] | None = None) -> dict[str, Voice]:
    """Every voice profile the script uses, by name; one error if any is unknown or unusable now."""
    voices = load_voices() if voices is None else voices
    used = sorted({voice_name(script, si, segment.speaker) for si, _, _, segment in script.segments()})
    unknown = [name for name in used if name not in voices]
    if unknown:
        raise unknown_voice(unknown[0], voices)
    for name in used:
        problem = engine_module(voices[name].engine).availability(voices[name])
        if problem:
            usable = [n for n, v in sorted(voices.items()) if not engine_module(v.engine).availability(v)]
            raise EssaycastError(
                f"voice {name!r} cannot speak: {problem}",
                hint=f"fix it or cast a usable voice: {', '.join(usable) or 'none'}",
            )
    return {name: voices[name] for name in used}


def voice_name(script: Script, section: int, speaker: str) -> str:
    """The profile cast for ``speaker`` in section ``section``."""
    return script.cast_for(script.sections[section]).profile(speaker)


def render(
    script: Script,
    *,
    workers: int | None = None,
    cache: SegmentCache | None = None,
    on_progress: Progress | None = None,
    on_warning: Warn | None = None,
    voices: Mapping[str, Voice] | None = None,
    executor: Executor | None = None,
) -> list[RenderedSegment]:
    """Render every segment of ``script``; one RenderedSegment per segment, in script order.

    ``workers``: processes to synthesize with (default: one per core; 1 runs in this process).
    Segments found in ``cache`` (default: the user cache) are not synthesized again. Each segment
    is spoken as the pronunciation lexicon (the user's files and the script's) has it;
    ``on_warning`` hears of lexicon entries a voice cannot take. ``voices``: the profiles to cast
    from (default: `load_voices`). ``executor`` runs the jobs elsewhere instead (a Dask cluster,
    `pipeline.synth.cluster`).
    """
    (rendered,) = render_all([script], cache=cache, on_progress=on_progress, on_warning=on_warning,
                             voices=voices, executor=executor or LocalPool(workers), longest_first=False)
    if isinstance(rendered, EssaycastError):
        raise rendered
    return rendered


def render_all(
    scripts: Sequence[Script],
    *,
    cache: SegmentCache | None = None,
    on_progress: Progress | None = None,
    on_warning: Warn | None = None,
    voices: Mapping[str, Voice] | None = None,
    executor: Executor | None = None,
    longest_first: bool = True,
) -> list[list[RenderedSegment] | EssaycastError]:
    """Render several scripts as one body of work: per script its segments in script order, or the
    one-line error that stopped it (an unknown voice, a segment that could not be synthesized).

    Every segment of every script is looked up in the cache first (spoken as its script's lexicon
    has it); the rest become jobs, a line spoken the same way in several places or scripts (an
    intro, a sign-off) one job. With ``longest_first`` the jobs run longest first across all the
    scripts, so no core idles at the end (a catalogue); without, section by section, longest first
    within each (one episode whose parts are mastered as their sections finish). ``on_progress``
    counts all scripts' segments together; ``on_warning`` and ``voices`` are as for `render`.
    """
    cache = cache or SegmentCache()
    executor = executor or LocalPool()
    plans: list[list[tuple[int, int, str, str, str]]] = []  # section, index, speaker, voice, key
    failed: dict[int, EssaycastError] = {}
    jobs: dict[str, Job] = {}
    found: dict[str, CacheEntry] = {}
    identities: dict[str, str] = {}  # by repr(voice): computed once for all scripts
    warned: set[tuple[str, str]] = set()
    for number, script in enumerate(scripts):
        plans.append([])
        try:
            cast = resolve_voices(script, voices)
            for voice in cast.values():
                if repr(voice) not in identities:
                    identities[repr(voice)] = engine_module(voice.engine).identity(voice)
            lexicon = load_lexicon(script.lexicon)
        except EssaycastError as exc:
            failed[number] = exc
            continue
        phonemes = {name: takes_phonemes(voice.engine) for name, voice in cast.items()}
        for si, gi, _, segment in script.segments():
            name = voice_name(script, si, segment.speaker)
            spoken = lexicon.apply(segment.text, phonemes[name])
            for word in spoken.unsupported:
                if (name, word.lower()) not in warned and on_warning is not None:
                    on_warning(unsupported_entry(cast[name], word))
                warned.add((name, word.lower()))
            key = cache.key(cast[name], identities[repr(cast[name])], spoken.text)
            plans[number].append((si, gi, segment.speaker, name, key))
            if key in found or key in jobs:
                continue
            entry = cache.get(key)
            if entry is not None:
                found[key] = entry
            else:
                jobs[key] = Job(key, cast[name], spoken.text)

    waiting: dict[str, list[tuple[int, int]]] = {}
    for number, plan in enumerate(plans):
        for position, (*_, key) in enumerate(plan):
            waiting.setdefault(key, []).append((number, position))
    results: list[list[RenderedSegment | None]] = [[None] * len(plan) for plan in plans]
    total = sum(map(len, plans))
    done = 0

    def finish(key: str, entry: CacheEntry | EssaycastError, cached: bool) -> None:
        nonlocal done
        for number, position in waiting[key]:
            if isinstance(entry, EssaycastError):
                failed.setdefault(number, entry)
                continue
            section, index, speaker, name, _ = plans[number][position]
            results[number][position] = segment = RenderedSegment(
                section, index, speaker, name, entry.audio, entry.sample_rate, entry.frames, cached
            )
            done += 1
            if on_progress is not None:
                on_progress(segment, done, total)

    for key, entry in found.items():
        finish(key, entry, True)
    if longest_first:
        ordered = sorted(jobs.values(), key=lambda job: -job.cost)
    else:
        # Scripts and their sections in order, so that a finished section can be mastered while later
        # ones are being synthesized (the CLI's early parts); within a section the longest segments
        # first, so that the last to finish is a short one.
        first = {key: (number, si) for number, plan in enumerate(plans)
                 for si, _, _, _, key in reversed(plan)}
        ordered = sorted(jobs.values(), key=lambda job: (first[job.key], -job.cost))
    for job, outcome in executor.run(ordered):
        stored = outcome if isinstance(outcome, EssaycastError) else cache.put_flac(
            job.key, outcome.flac, outcome.sample_rate, outcome.frames)
        finish(job.key, stored, False)
    return [failed[number] if number in failed else [seg for seg in slots if seg is not None]
            for number, slots in enumerate(results)]


@dataclass(frozen=True)
class Speech:
    """One job's result as it travels back from wherever it ran: the cache's FLAC file, as bytes."""

    flac: bytes
    """The audio, encoded by `pipeline.synth.cache.flac_bytes`."""
    sample_rate: int
    """Its rate in Hz."""
    frames: int
    """Its length in samples."""


Outcome = Speech | EssaycastError
"""What a job gives: its speech, or the one-line reason it could not be synthesized."""


class Executor(Protocol):
    """Runs synthesis jobs: here, in a local process pool (`LocalPool`) or on a Dask cluster
    (`pipeline.synth.cluster.DaskExecutor`). Every executor runs the same job function, `synthesize`."""

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Outcome]]:
        """Run ``jobs`` (in the order they should start), yielding each with its outcome as it finishes."""
        ...


def synthesize(job: Job, threads: int = 1) -> Outcome:
    """The one job every executor runs: ``job`` spoken and encoded for the cache (models stay loaded
    in the process between jobs); an EssaycastError is returned, not raised, so it stays the job's."""
    try:
        audio, rate = speak(job.voice, job.text, threads)
    except EssaycastError as exc:
        return exc
    return Speech(flac_bytes(audio, rate), rate, int(audio.size))


def unsupported_entry(voice: Voice, word: str) -> str:
    """The warning for a lexicon IPA entry that ``voice``'s engine cannot take."""
    return (f"voice {voice.name!r} ({voice.engine}) cannot take phonemes, so the lexicon's IPA for "
            f"{word!r} is not used: give the word a respelling instead")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


IN_FLIGHT = 2
"""Jobs a worker holds at once: the one it speaks and the next, so it never waits for the round trip."""
LOOK_AHEAD = 4
"""Jobs per worker a worker may look past, in the order they should start, for one in a voice it has
already loaded."""


class Dispatch:
    """Which job each worker takes next: among the next `LOOK_AHEAD` jobs per worker, the first in
    order whose voice it has loaded already or no worker has; else the first in order.

    Each worker process loads a voice's model the first time it is given one of its lines (Kokoro
    adds ~190 MB to a worker), and keeps it. Handing out jobs purely in order lets every worker load
    every voice, even one with two lines in the script. Here a worker passes over a line whose voice
    another worker has, so a voice with few lines stays with the worker that took its first, while a
    voice with many fills every worker's look-ahead and spreads over them all: no worker idles for
    want of a model, and no line waits for long.
    """

    def __init__(self, jobs: Sequence[Job], workers: int) -> None:
        self.pending = list(jobs)
        self.loaded: list[set[str]] = [set() for _ in range(workers)]
        self.window = LOOK_AHEAD * workers

    def next(self, worker: int) -> Job | None:
        """The job ``worker`` should take next (None when all are handed out)."""
        if not self.pending:
            return None
        mine = self.loaded[worker]
        anywhere = set().union(*self.loaded)
        ahead = self.pending[: self.window]
        index = next((i for i, job in enumerate(ahead)
                      if repr(job.voice) in mine or repr(job.voice) not in anywhere), 0)
        job = self.pending.pop(index)
        mine.add(repr(job.voice))
        return job


@dataclass(frozen=True)
class LocalPool:
    """Jobs on this machine: one worker process per core with one ONNX thread each (measured: 2
    processes × 1 thread beat 1 × 2), or this process alone when one worker is asked for. Jobs are
    handed to each worker as it finishes one (`Dispatch`), so a voice's model is loaded only where
    its lines go."""

    workers: int | None = None
    """Processes (default: one per core; 1 runs the jobs in this process)."""

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Outcome]]:
        """Run ``jobs`` in about the order of the list, yielding each as it finishes."""
        if not jobs:
            return
        cores = _cores()
        workers = max(1, min(self.workers or cores, len(jobs)))
        if workers == 1:
            for job in jobs:
                yield job, synthesize(job, cores)
            return

        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        # spawn, not fork: a forked child would inherit onnxruntime's thread pools in an unknown state.
        context = multiprocessing.get_context("spawn")
        threads = max(1, cores // workers)
        # One single-process pool per worker: a shared pool's workers take whatever job is next.
        pools = [ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker)
                 for _ in range(workers)]
        dispatch = Dispatch(jobs, workers)
        running: dict[Future[Outcome], tuple[int, Job]] = {}

        def hand_out(worker: int) -> None:
            job = dispatch.next(worker)
            if job is not None:
                running[pools[worker].submit(synthesize, job, threads)] = worker, job

        try:
            for _ in range(IN_FLIGHT):
                for worker in range(workers):
                    hand_out(worker)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    worker, job = running.pop(future)
                    outcome = future.result()
                    hand_out(worker)
                    yield job, outcome
        except BrokenProcessPool:
            # Out of memory, a crashing native library, or a calling script without a __main__ guard.
            raise EssaycastError(
                "a synthesis worker process stopped unexpectedly",
                hint="run again (finished segments are cached), or with one worker to render in-process",
            ) from None
        finally:
            for pool in pools:
                pool.shutdown(wait=True, cancel_futures=True)


def _start_worker() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool (their finished work stays cached).

    A worker also exits as soon as the parent is gone: a parent killed outright (kill -9, the OOM
    killer) cannot shut its pool down, and its workers would otherwise wait for work forever, each
    holding a loaded model.
    """
    import multiprocessing
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: BaseProcess) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(1)


_LOADED: dict[str, Engine] = {}
"""Engines loaded in this process, by profile: each model is loaded once per worker and stays
loaded between jobs (in a pool process or a Dask worker alike)."""
_LOADING = threading.Lock()
"""A Dask worker runs jobs on several threads: the first to need a model loads it, the others wait."""


def loaded_engine(voice: Voice, threads: int) -> Engine:
    """The engine for ``voice``, loading it on first use in this process."""
    fingerprint = repr(voice)
    with _LOADING:
        engine = _LOADED.get(fingerprint)
        if engine is None:
            engine = _LOADED[fingerprint] = engine_module(voice.engine).load(voice, threads)
    return engine


def speak(voice: Voice, text: str, threads: int | None = None) -> tuple[np.ndarray, int]:
    """``text`` spoken by ``voice``: mono float32 samples (never empty) and their rate."""
    import numpy as np

    engine = loaded_engine(voice, threads or _cores())
    chunks = [np.asarray(chunk, dtype=np.float32).ravel() for chunk in engine.synthesize(text)]
    # Text with nothing pronounceable (a lone dash) still gets a valid, if tiny, audio file.
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return (audio if audio.size else np.zeros(1, dtype=np.float32)), engine.sample_rate


def cached_speech(
    voice: Voice, text: str, cache: SegmentCache | None = None, *, synthesize: bool = True
) -> tuple[np.ndarray, int] | None:
    """``text`` spoken by ``voice`` (no lexicon) from the segment cache, else synthesized and stored.

    With ``synthesize`` False, None when it is not in the cache yet.
    """
    import soundfile

    cache = cache or SegmentCache()
    key = cache.key(voice, engine_module(voice.engine).identity(voice), text)
    entry = cache.get(key)
    if entry is None:
        if not synthesize:
            return None
        entry = cache.put(key, *speak(voice, text))
    samples, rate = soundfile.read(entry.audio, dtype="float32", always_2d=False)
    return samples, rate


@dataclass(frozen=True)
class Explanation:
    """What a voice will make of a text: the text after the lexicon and the phonemes it speaks."""

    text: str
    """The text as the engine reads it (respellings and ``[[ IPA ]]`` blocks in place)."""
    phonemes: tuple[str, ...]
    """The phonemes spoken, one string per sentence; empty for an engine that cannot tell."""
    warnings: tuple[str, ...]
    """Lexicon entries the engine cannot take."""


def explain(voice: Voice, text: str, lexicon: Lexicon | None = None) -> Explanation:
    """How ``voice`` will say ``text`` under ``lexicon`` (default: the user's and project's lexicon files)."""
    lexicon = load_lexicon() if lexicon is None else lexicon
    module = engine_module(voice.engine)
    spoken = lexicon.apply(" ".join(text.split()), takes_phonemes(voice.engine))
    phonemes = module.explain(voice, spoken.text) if hasattr(module, "explain") else []
    warnings = tuple(unsupported_entry(voice, word) for word in spoken.unsupported)
    return Explanation(spoken.text, tuple(phonemes), warnings)


def say(voice: Voice, text: str, dest: Path, lexicon: Lexicon | None = None) -> float:
    """Speak ``text`` with ``voice`` into the WAV file ``dest`` (atomically); returns its length (s).

    The text is spoken as ``lexicon`` (default: the user's and project's lexicon files) has it.
    """
    import soundfile

    from pipeline.files import atomic_path

    problem = engine_module(voice.engine).availability(voice)
    if problem:
        raise EssaycastError(f"voice {voice.name!r} cannot speak: {problem}")
    lexicon = load_lexicon() if lexicon is None else lexicon
    audio, rate = speak(voice, lexicon.apply(" ".join(text.split()), takes_phonemes(voice.engine)).text)
    with atomic_path(dest) as tmp:
        soundfile.write(tmp, audio, rate, subtype="PCM_16", format="WAV")
    return audio.size / rate
