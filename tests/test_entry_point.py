"""The ``essaycast`` console script: it runs the CLI, and the worker processes it starts do not import it.

Python's "spawn" start method runs the parent's main script again, as ``__mp_main__``, in every process
it starts; for an installed command that script is pip's launcher, which imports the entry point's
module at its top. These tests run the launcher the way spawn does and look at what it imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
"""This checkout's package first, whatever is installed."""

LAUNCHER = """\
import re
import sys
from {module} import {function}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({function}())
"""
"""What pip writes for a console script (its launcher template), for ``module:function``."""


def _entry_point() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["scripts"]["essaycast"]


def _launcher(entry_point: str, folder: Path) -> Path:
    """The command as pip installs it, for ``entry_point``."""
    module, function = entry_point.split(":")
    launcher = folder / "essaycast"
    launcher.write_text(LAUNCHER.format(module=module, function=function), encoding="utf-8")
    return launcher


def _imported_by_a_spawned_worker(entry_point: str, folder: Path) -> set[str]:
    """The CLI's modules (and typer's, rich's) that a process spawned by the command would import."""
    launcher = _launcher(entry_point, folder)
    # What multiprocessing.spawn does in the child before it runs any job (_fixup_main_from_path).
    code = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
            "print(*(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich') or m == 'pipeline.cli'))")
    done = subprocess.run([sys.executable, "-c", code, str(launcher)], capture_output=True, text=True,
                          check=True, env=ENV)
    return set(done.stdout.split())


def test_processes_the_command_spawns_do_not_import_the_cli(tmp_path: Path) -> None:
    assert _imported_by_a_spawned_worker(_entry_point(), tmp_path) == set()
    # The check itself sees the import it guards against: the CLI module as the entry point.
    assert "pipeline.cli" in _imported_by_a_spawned_worker("pipeline.cli:main", tmp_path)


def test_the_entry_point_runs_the_cli(tmp_path: Path) -> None:
    launcher = _launcher(_entry_point(), tmp_path)
    done = subprocess.run([sys.executable, str(launcher), "--help"], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    assert "make" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "pipeline", "no-such-command"],
                         capture_output=True, text=True, env=ENV)
    assert bad.returncode != 0
    assert bad.stderr.startswith("essaycast: error:") and "Traceback" not in bad.stderr
