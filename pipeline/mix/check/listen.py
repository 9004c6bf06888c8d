"""Transcribing speech for the listening check: pocketsphinx in worker processes, and the reference voice.

Each worker process holds one pocketsphinx decoder (the en-us model shipped in the pocketsphinx
wheel) and, once asked for a reference, the narrator profile's voice, which speaks the same text so
its transcript can serve as the baseline of what the recognizer manages on clean synthetic speech.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError

if TYPE_CHECKING:
    import numpy as np

    from pipeline.mix.master import Progress
    from pipeline.synth.engines import Engine
    from pipeline.synth.voices import Voice

ASR_RATE = 16000
"""The recognizer's sample rate (the en-us acoustic model is trained on 16 kHz audio)."""
REFERENCE_VOICE = "narrator"
"""Shipped voice profile that speaks the reference (Piper joe); a user's own ``voices/`` never replace it,
so the baseline means the same in every project."""
STEADY_SETTINGS: dict[str, dict[str, float]] = {"piper": {"noise_scale": 0.0, "noise_w_scale": 0.0}}
"""Engine → settings that take the randomness out of its speech. Piper's generator draws noise that
differs per process, which moved the reference's word error rate by up to 0.1 between runs of one
episode; without it the baseline is identical on every run (and was measured as intelligible:
WER 0.36 against 0.37 on fourteen sentences of the sample essay)."""
REFERENCE_PAD_S = 0.15
"""Silence put around the reference speech, as the pauses around an episode's speech give the recognizer."""

LISTENING = "listening"
"""The progress phase the check reports (``on_progress(LISTENING, done, total)`` in transcripts)."""


@dataclass(frozen=True)
class Job:
    """One thing to transcribe."""

    index: int
    """Cue index it belongs to."""
    text: str
    """The cue's text; spoken by the reference voice when ``audio`` is None."""
    audio: np.ndarray | None = None
    """The episode's speech for the cue at `ASR_RATE`; None for a reference job."""

    @property
    def reference(self) -> bool:
        """True when the reference voice speaks ``text``."""
        return self.audio is None

    @property
    def size(self) -> int:
        """Rough amount of work in samples heard, to hand out the longest jobs first."""
        # Speech runs at about 14 characters a second: some 1200 samples per character at 16 kHz.
        return len(self.text) * 1200 if self.audio is None else len(self.audio)


def to_asr_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 ``samples`` at ``rate`` resampled to `ASR_RATE` (polyphase, anti-aliased)."""
    import numpy as np

    from pipeline.mix.assemble import resample

    return resample(np.asarray(samples, dtype=np.float32), rate, ASR_RATE)


def require_recognizer() -> None:
    """Fail with a one-line fix when pocketsphinx is not installed."""
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        raise EssaycastError(
            "the listening check needs the pocketsphinx recognizer", hint="pip install pocketsphinx"
        ) from None


def reference_voice() -> Voice:
    """The shipped reference profile, made steady, checked to be usable now (one clear error if not)."""
    from dataclasses import replace

    from pipeline.synth.engines import engine_module
    from pipeline.synth.voices import read_profile, shipped_voices_dir

    voice = read_profile(shipped_voices_dir() / f"{REFERENCE_VOICE}.toml")
    voice = replace(voice, settings={**voice.settings, **STEADY_SETTINGS.get(voice.engine, {})})
    problem = engine_module(voice.engine).availability(voice)
    if problem:
        raise EssaycastError(
            f"the reference voice cannot speak: {problem}",
            hint="or check without the reference (--no-reference)",
        )
    return voice


class Listener:
    """A recognizer, and on demand the reference voice, for one process."""

    def __init__(self, reference: Voice | None = None) -> None:
        import pocketsphinx

        self._decoder = pocketsphinx.Decoder(pocketsphinx.Config(loglevel="FATAL"))
        self._reference = reference
        """The profile that speaks reference jobs."""
        self._voice: Engine | None = None
        """Its engine, loaded on the first reference job."""

    def transcribe(self, samples: np.ndarray) -> str:
        """What the recognizer hears in mono float ``samples`` at `ASR_RATE`."""
        import numpy as np

        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        # Fresh feature state (cepstral mean and all) for every utterance: without it what one cue
        # is heard as depends on which cues the same decoder heard before, i.e. on the worker count.
        self._decoder.reinit_feat()
        self._decoder.start_utt()
        self._decoder.process_raw(pcm.tobytes(), full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def speak(self, text: str) -> np.ndarray:
        """``text`` spoken by the reference voice, at `ASR_RATE`, with a little silence around it."""
        import numpy as np

        if self._voice is None:
            from pipeline.synth.engines import engine_module

            assert self._reference is not None, "reference job without a reference voice"
            self._voice = engine_module(self._reference.engine).load(self._reference, threads=1)
        chunks = [*self._voice.synthesize(text), np.zeros(0, np.float32)]
        speech = to_asr_rate(np.concatenate(chunks), self._voice.sample_rate)
        pad = np.zeros(round(REFERENCE_PAD_S * ASR_RATE), dtype=np.float32)
        return np.concatenate([pad, speech, pad])

    def hear(self, job: Job) -> str:
        """The transcript for one job."""
        return self.transcribe(self.speak(job.text) if job.audio is None else job.audio)


_listener: Listener | None = None
"""The worker process's own Listener (set by `_start_worker`)."""


def _start_worker(reference: Voice | None) -> None:
    global _listener
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle, once
    _listener = Listener(reference)


def _hear_in_worker(job: Job) -> tuple[int, bool, str]:
    assert _listener is not None, "worker started without _start_worker"
    return job.index, job.reference, _listener.hear(job)


def default_workers() -> int:
    """Recognizer processes to run: one per core, at most two (the check shares the machine)."""
    return max(1, min(2, os.cpu_count() or 1))


def transcribe(
    jobs: Sequence[Job], *, workers: int | None = None, on_progress: Progress | None = None
) -> dict[tuple[int, bool], str]:
    """Transcripts of all ``jobs``, keyed by (cue index, is reference).

    Reference jobs are spoken by the `reference_voice`, loaded once per worker. With one worker
    everything runs in this process; with more, each worker is a fresh process (spawned, not
    forked, so no ONNX Runtime thread pool of the caller is copied mid-flight).
    """
    require_recognizer()
    workers = default_workers() if workers is None else max(1, workers)
    reference = reference_voice() if any(job.reference for job in jobs) else None
    ordered = sorted(jobs, key=lambda job: job.size, reverse=True)  # longest first balances the workers
    heard: dict[tuple[int, bool], str] = {}

    def record(index: int, is_reference: bool, text: str) -> None:
        heard[index, is_reference] = text
        if on_progress is not None:
            on_progress(LISTENING, len(heard), len(ordered))

    if workers == 1 or len(ordered) < 2:
        listener = Listener(reference)
        for job in ordered:
            record(job.index, job.reference, listener.hear(job))
        return heard
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start_worker, initargs=(reference,))
    try:
        for future in as_completed([pool.submit(_hear_in_worker, job) for job in ordered]):
            record(*future.result())
    finally:
        pool.shutdown(cancel_futures=True)  # on Ctrl-C or an error, drop the queue rather than finish it
    return heard
