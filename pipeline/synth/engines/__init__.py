"""Engine interface, the registry table that maps an engine name to its module, and shared helpers.

An engine turns text into mono float32 audio at its own sample rate, one chunk per sentence
(like Piper's ``PiperVoice.synthesize``). Engine modules are imported only when a voice needs
them, so listing voices never loads onnxruntime or torch: an engine module imports its heavy
libraries inside ``load`` (and ``availability`` only checks that they can be found).

How the rest of the stage uses an engine module:

- ``availability(voice)`` is asked for every voice a script uses before anything is synthesized;
  a non-empty answer stops the render with that line. It must be cheap and must not raise.
- ``identity(voice)`` goes into every cache key, so it must change when the model files change
  (use ``file_digest``) and must be the same in every process. It may prepare files once (Kokoro
  assembles its model here, in the parent process, before workers start).
- ``load(voice, threads)`` runs once per worker process per voice; ``threads`` is the ONNX/torch
  intra-op thread budget of that worker (1 when several workers share the cores).
- ``Engine.synthesize(text)`` yields float32 chunks in [-1, 1] at ``Engine.sample_rate``; the
  renderer concatenates them as they are, so each chunk should end with its natural pause.

Optional module attributes (looked up with defaults, so an engine may leave them out):

- ``SETTINGS: dict[str, type]`` — the ``[settings]`` keys a profile may use and their types
  (``float`` also accepts whole numbers); profiles with other keys are rejected when loaded.
  Without it, any settings are accepted.
- ``COST: float`` — rough compute per character of text relative to Piper (1.0); the renderer takes
  sections in order (so finished ones can be mastered meanwhile) and, within each, starts expensive
  segments first so the section's last one to finish is short. Default 1.0.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import platform
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import EssaycastError
from pipeline.files import atomic_path, sha256_of, sweep_temporaries

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime

    from pipeline.synth.voices import Voice


class Engine(Protocol):
    """A loaded voice, ready to speak."""

    sample_rate: int
    """Rate of the audio it yields, in Hz."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield mono float32 audio in [-1, 1], one chunk per sentence of ``text``.

        An engine whose backend reads whole texts (Festival) may yield a single chunk.
        """
        ...


class EngineModule(Protocol):
    """What each engine module provides (plus the optional ``SETTINGS`` and ``COST``, see above)."""

    def load(self, voice: Voice, threads: int = 1) -> Engine:
        """Load the voice's model (once per worker process)."""
        ...

    def identity(self, voice: Voice) -> str:
        """A string that changes whenever the model files behind ``voice`` change (cache key)."""
        ...

    def availability(self, voice: Voice) -> str:
        """Empty if the voice can be used now, else one line saying why not and how to fix it."""
        ...

    def sample_rate(self, voice: Voice) -> int:
        """The rate the voice speaks at, without loading the model if possible."""
        ...


ENGINES: dict[str, str] = {
    "piper": "pipeline.synth.engines.piper",
    "kokoro": "pipeline.synth.engines.kokoro",
    "coqui": "pipeline.synth.engines.coqui",
    "festival": "pipeline.synth.engines.festival",
}
"""Engine name → module implementing EngineModule."""


def engine_module(name: str) -> EngineModule:
    """The module for engine ``name``; a clear error for an unknown one."""
    try:
        module_name = ENGINES[name]
    except KeyError:
        raise EssaycastError(
            f"unknown engine {name!r}", hint=f"choose one of: {', '.join(ENGINES)}"
        ) from None
    return importlib.import_module(module_name)  # type: ignore[return-value]


def engine_cost(name: str) -> float:
    """The engine's relative compute cost per character (its ``COST``, default 1.0)."""
    return float(getattr(engine_module(name), "COST", 1.0))


_HUB_NAME = re.compile(r"[\w.-]+(/[\w.-]+)+\Z")
"""``owner/model`` or ``tts_models/en/vctk/vits``: names a model hub resolves, not file paths."""


def is_hub_name(reference: str) -> bool:
    """True for a model-hub reference (``hexgrad/Kokoro-82M``, ``hf://…``) rather than a file path."""
    if "://" in reference:
        return True
    if reference.startswith(("/", "./", "../", "~")) or Path(reference).suffix:
        return False
    return bool(_HUB_NAME.match(reference))


def local_file(voice: Voice, reference: str, what: str) -> Path:
    """The existing local file a profile refers to; a clear error for hub names and missing files.

    essaycast never downloads models, so a hub name gets a message saying how to point the profile
    at files downloaded by hand. Engines use this for model, config and voice-pack references.
    """
    path = voice.path(reference)
    if not path.exists() and is_hub_name(reference):
        raise EssaycastError(
            f"{voice.origin}: {what} {reference!r} is a model-hub name, and essaycast never downloads models",
            hint=f"download the files yourself and set {what} = \"/path/to/file\" in the profile",
        )
    if not path.is_file():
        raise EssaycastError(
            f"{voice.origin}: {what} file not found: {path}",
            hint="download the file or fix the path; relative paths start at the profile's folder",
        )
    return path


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content, computed once per process for each (path, size, mtime)."""
    stat = path.stat()
    return _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)  # model files, and every segment of a catalogue (part keys)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(Path(path))


def onnx_session(model: Path | bytes, threads: int) -> onnxruntime.InferenceSession:
    """A CPU ONNX session limited to ``threads`` intra-op threads (one per worker process is fastest).

    onnxruntime optimizes a model's graph every time it loads it (0.8 of the 1.0 CPU-s it takes to
    load Piper's, measured), in every worker process. The optimized graph is saved once in the
    model cache and later loads read it with optimization off, which gives the same samples at the
    same speed (measured on Piper: identical output, 0.2 CPU-s to load). Saved graphs may use this
    CPU's instruction set, so a saved graph is named by the model (its file's path, size and time,
    or its bytes), the onnxruntime version and the CPU; one that cannot be read is made again, a
    save killed half-way is swept by the next load, and a cache that cannot be written to only costs
    the optimization.
    """
    import onnxruntime

    try:
        saved = _optimized_graph(model)
    except EssaycastError:  # no usable cache folder: load as onnxruntime would
        return _session(model, _session_options(threads))
    if saved.is_file():
        sweep_temporaries(saved.parent)  # a graph another process was saving when it was killed
        options = _session_options(threads)
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return _session(saved, options)
        except Exception:  # damaged (a full disk); onnxruntime's errors derive from Exception alone
            saved.unlink(missing_ok=True)
    options = _session_options(threads)
    try:
        with atomic_path(saved) as tmp:
            options.optimized_model_filepath = str(tmp)
            options.log_severity_level = 3  # not its warning that the graph suits this CPU only: we know
            return _session(model, options)
    except EssaycastError:  # the cache cannot be written to
        return _session(model, _session_options(threads))


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    return options


def _session(model: Path | bytes, options: onnxruntime.SessionOptions) -> onnxruntime.InferenceSession:
    import onnxruntime

    return onnxruntime.InferenceSession(model if isinstance(model, bytes) else str(model),
                                        sess_options=options, providers=["CPUExecutionProvider"])


def _optimized_graph(model: Path | bytes) -> Path:
    """Where ``model``'s optimized graph is kept for this onnxruntime and this CPU."""
    import onnxruntime

    from pipeline.synth.cache import cache_root

    if isinstance(model, bytes):
        source = hashlib.sha256(model).hexdigest()
    else:  # the file's identity, not its hash: hashing Piper's model would cost half of what is saved
        stat = model.stat()
        source = hashlib.sha256(f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    return cache_root() / "models" / "onnx" / f"{source[:32]}-ort{onnxruntime.__version__}-{_cpu()}.onnx"


@functools.cache
def _cpu() -> str:
    """A short name for this CPU's kind and instruction set (what an optimized graph may rely on)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:  # not Linux
        lines = []
    kind = [line for line in lines if line.split(":")[0].strip() in ("vendor_id", "model name", "flags")]
    described = "\n".join([platform.machine(), platform.processor(), *sorted(set(kind))])
    return hashlib.sha256(described.encode()).hexdigest()[:12]

