"""The design card's rules, checked: data flows one way between stages, and the CLI starts light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"

UPSTREAM: dict[str, set[str]] = {
    "script": set(),
    "synth": {"script"},
    "mix": {"script", "synth"},
    "publish": {"mix"},
    "batch": {"script", "synth", "mix", "publish"},
}
"""Stage → the stages it may import (shared modules errors/files are open to all); ``batch`` is the
library-level orchestration of a whole catalogue, above every stage and below the CLI."""

SHARED = {"errors", "files"}


def imported_stages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("pipeline.")} - SHARED


@pytest.mark.parametrize("stage", sorted(UPSTREAM))
def test_a_stage_imports_only_stages_upstream_of_it(stage: str) -> None:
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        foreign = imported_stages(path) - {stage} - UPSTREAM[stage]
        assert not foreign, f"{path.relative_to(PACKAGE)} imports {sorted(foreign)}"


def test_help_does_not_load_the_heavy_libraries() -> None:
    probe = (
        "import sys\nfrom pipeline.cli import app\n"
        "heavy = {'numpy', 'onnxruntime', 'piper', 'mutagen', 'scipy', 'soundfile', 'torch', 'pydub',"
        " 'dask', 'distributed'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
