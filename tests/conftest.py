"""Suite-wide set-up: no test writes to the user's own essaycast cache."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the segment and part caches at a folder of this session (tests may point them elsewhere)."""
    before = os.environ.get("ESSAYCAST_CACHE_DIR")
    os.environ["ESSAYCAST_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    os.environ.pop("ESSAYCAST_CACHE_DIR", None)
    if before is not None:
        os.environ["ESSAYCAST_CACHE_DIR"] = before
