"""essaycast batch on a real Dask cluster: a scheduler and two workers as separate processes on
127.0.0.1 (the ``dask scheduler`` / ``dask worker`` programs), rendering a small catalogue of two
tiny essays with the real voices.

- the cluster and the local pool make the same feed entries, and the same samples for every Kokoro
  segment (Kokoro is deterministic; Piper segments are compared by presence and length);
- a worker killed with SIGKILL in the middle of its work: its jobs run elsewhere, the batch completes;
- a coordinator whose versions differ from the workers' is refused with a clear message.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from pipeline.batch.catalogue import PUBLISHED, BatchOptions, BatchReport, make_catalogue
from pipeline.errors import EssaycastError
from pipeline.mix.parts import RemoteParts
from pipeline.publish.feed import read_feed
from pipeline.synth.cache import cache_root
from pipeline.synth.render import Executor, LocalPool

pytest.importorskip("distributed")
from pipeline.synth.cluster import DaskExecutor

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0
"""How long the scheduler and the workers get to come up."""

ESSAYS = {
    # narrator (Piper) and Samantha (Kokoro, the quote)
    "mixed.txt": 'Morning\n\nThe kettle sang on the stove. "It is time to go," she said.\n',
    # a script that only Samantha speaks: every segment Kokoro
    "kokoro.md": '+++\ntitle = "Evening"\n[cast]\nnarrator = "samantha"\n+++\n\n## Dusk\n\n'
                 'The lamps came on one by one.\n\nShe counted them all.\n',
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def dask_process(*args: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Dask program (``distributed.cli.dask_scheduler``/``dask_worker``) running until the block ends."""
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running scheduler with two one-thread workers (no nanny: kill -9 kills one)."""
    logs = tmp_path_factory.mktemp("dask")
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    # Workers share no cache with the coordinator, only the Kokoro model assembled once per session.
    env = {**os.environ, "PYTHONPATH": path, "ESSAYCAST_CACHE_DIR": str(with_models(logs / "worker-cache"))}
    address = f"tcp://127.0.0.1:{free_port()}"
    with contextlib.ExitStack() as stack:
        stack.enter_context(dask_process(
            "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
            "--no-dashboard", env=env, log=logs / "scheduler.log"))
        for name in ("w1", "w2"):
            stack.enter_context(dask_process(
                "distributed.cli.dask_worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60", env=env,
                log=logs / f"{name}.log"))
        from distributed import Client

        with Client(address, timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address


@pytest.fixture(scope="module")
def essays(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("essays")
    for name, text in ESSAYS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder / name for name in ESSAYS)


def with_models(cache: Path) -> Path:
    """A new cache folder sharing the session cache's assembled Kokoro model (joining it takes seconds)."""
    shared = cache_root() / "models"
    shared.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True)
    (cache / "models").symlink_to(shared, target_is_directory=True)
    return cache


def make(essays: list[Path], work: Path, executor: Executor, monkeypatch: pytest.MonkeyPatch) -> BatchReport:
    """The catalogue made into ``work/site`` with its own coordinator cache ``work/cache``; on a Dask
    cluster the parts are mastered on its workers too."""
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(with_models(work / "cache")))
    monkeypatch.chdir(work)
    options = BatchOptions(cast={"samantha": "samantha"})
    remote, at_once = ((RemoteParts(executor.call), executor.slots) if isinstance(executor, DaskExecutor)
                       else (None, 1))
    done = make_catalogue(essays, work / "site", options, executor=executor, part_master=remote,
                          essays_at_once=at_once)
    assert [essay.status for essay in done.essays] == [PUBLISHED] * len(essays), done.essays
    return done


@pytest.fixture(scope="module")
def local(essays: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue made with the local process pool: the reference."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        work = tmp_path_factory.mktemp("local") / "run"
        make(essays, work, LocalPool(2), monkeypatch)
    return work


def segments(work: Path) -> dict[str, tuple[np.ndarray, int]]:
    """Every segment in a run's coordinator cache, by cache key: samples and rate."""
    found = {}
    for path in (work / "cache" / "segments").rglob("*.flac"):
        samples, rate = soundfile.read(path, dtype="int32")
        found[path.stem] = (samples, rate)
    return found


def kokoro_keys(work: Path) -> set[str]:
    return {key for key, (_, rate) in segments(work).items() if rate == 24000}


def feed_entries(work: Path) -> list[tuple[str, str, int, int, tuple[str, ...]]]:
    return sorted((item.slug, item.title, item.number, item.duration_s, tuple(c.title for c in item.chapters))
                  for item in read_feed(work / "site" / "feed.xml"))


def same_audio(reference: Path, other: Path) -> None:
    """Kokoro segments identical sample for sample; Piper ones present, of about the same length."""
    ours, theirs = segments(reference), segments(other)
    assert ours.keys() == theirs.keys()
    kokoro = kokoro_keys(reference)
    assert len(kokoro) >= 2
    for key, (samples, rate) in ours.items():
        if key in kokoro:
            assert np.array_equal(samples, theirs[key][0]), key
        else:
            assert abs(len(samples) - len(theirs[key][0])) < 0.25 * rate, key


def test_cluster_makes_what_the_local_pool_makes(
    scheduler: str, essays: list[Path], local: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.synth.cluster import dask_executor

    with dask_executor(scheduler) as executor:
        make(essays, tmp_path / "cluster", executor, monkeypatch)
    same_audio(local, tmp_path / "cluster")
    ours, theirs = feed_entries(local), feed_entries(tmp_path / "cluster")
    assert [entry[:3] + entry[4:] for entry in ours] == [entry[:3] + entry[4:] for entry in theirs]
    assert all(abs(a[3] - b[3]) <= 1 for a, b in zip(ours, theirs, strict=True))


def test_a_killed_worker_costs_nothing_but_time(
    scheduler: str, essays: list[Path], local: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.synth.cluster import dask_executor

    killed: list[str] = []
    with dask_executor(scheduler) as executor:
        client = executor.client

        def kill_a_busy_worker() -> None:
            deadline = time.monotonic() + START_TIMEOUT_S
            pids = client.run(os.getpid)
            while time.monotonic() < deadline and not killed:
                busy = [address for address, keys in client.processing().items() if keys]
                if busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        try:
            make(essays, tmp_path / "cluster", executor, monkeypatch)
        finally:
            killer.join()
    assert killed, "no worker was ever busy"
    same_audio(local, tmp_path / "cluster")


def test_different_versions_are_refused(scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.synth.cluster as cluster
    from pipeline.synth.voices import get_voice

    job = cluster.Job("k", get_voice("samantha"), "Hello.")
    with pytest.raises(EssaycastError, match=r"refuses work: worker .* has essaycast"):
        cluster.run_job(job, {"essaycast": "0.0.1"})  # every job checks too (workers that join later)
    older = {**cluster.versions(), "essaycast": "0.0.1"}
    monkeypatch.setattr(cluster, "versions", lambda: older)
    refused = r"refuses work: worker \S+ has essaycast .*, the coordinator 0.0.1"
    with pytest.raises(EssaycastError, match=refused), cluster.dask_executor(scheduler):
        pass


def flattened(tree: dict[str, object], prefix: str = "") -> dict[str, object]:
    """A nested Dask config as dotted keys."""
    flat: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= flattened(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_workers_run_with_essaycasts_dask_settings() -> None:
    """A local cluster's workers start with `QUIET` (malloc's adaptive threshold kept, Dask's monitors
    slowed), and the settings docs/scaling.md gives remote workers are the same ones."""
    import yaml

    import pipeline.synth.cluster as cluster

    documented = re.search(r"```yaml\n(.*?)```", (REPO / "docs" / "scaling.md").read_text(), re.S)
    assert documented is not None
    assert flattened(yaml.safe_load(documented.group(1))) == cluster.QUIET

    def seen() -> tuple[str | None, object, object, object]:
        import dask

        return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.admin.tick.interval"),
                dask.config.get("distributed.worker.memory.monitor-interval"),
                dask.config.get("distributed.worker.profile.enabled"))

    with cluster.dask_executor("local:1") as executor:
        trim, tick, monitor, profile = executor.call(seen)
    assert trim is None
    assert (tick, monitor, profile) == tuple(cluster.QUIET[key] for key in (
        "distributed.admin.tick.interval", "distributed.worker.memory.monitor-interval",
        "distributed.worker.profile.enabled"))


def test_unknown_schedulers_and_bad_names_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.synth.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    nobody = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(EssaycastError, match=f"cannot reach the Dask scheduler at {nobody}"), \
            cluster.dask_executor(nobody):
        pass
    for bad in ("local:0", "127.0.0.1:8786", "tcp://host"):
        with pytest.raises(EssaycastError, match="bad --cluster"):
            cluster.check_address(bad)
