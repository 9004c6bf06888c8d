"""Engine interface and the registry table that maps an engine name to its module.

An engine turns text into mono float32 audio at its own sample rate, one chunk per sentence
(like Piper's ``PiperVoice.synthesize``). Engine modules are imported only when a voice needs
them, so listing voices never loads onnxruntime or torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import EssaycastError

if TYPE_CHECKING:
    import numpy as np

    from pipeline.synth.voices import Voice


class Engine(Protocol):
    """A loaded voice, ready to speak."""

    sample_rate: int
    """Rate of the audio it yields, in Hz."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield mono float32 audio in [-1, 1], one chunk per sentence of ``text``."""
        ...


class EngineModule(Protocol):
    """What each engine module provides."""

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
