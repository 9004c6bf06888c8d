"""Random output paths for every command that writes: complete outputs, or one line and nothing written.

Hypothesis draws a path (one to three parts, with spaces and non-ASCII letters, any suffix) and what
stands in its way (nothing, a folder where the file goes, a file where a folder goes, missing parents,
an older file), and hands it to each command's output option: ``script -o``, ``say -o``,
``render -o`` (with and without a lossless master), ``publish --site`` and ``make --site``. The run
must end either with exit 0 and every output there and readable, or with exit 1, exactly one line on
stderr and the working folder as it was: never an internal error (exit 70), never half the outputs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_publish_support import make_episode
from test_reliability_support import FIXTURES, run, snapshot

pytestmark = pytest.mark.slow

SITE_LOCK = ".essaycast.lock"
"""A site's permanent lock file: a refused publish may create it."""

ESSAY = "A small essay\n\nIt has one short paragraph.\n"
"""What ``script`` and ``make`` read."""

PART = st.text(alphabet="ab zé日ß-", min_size=1, max_size=6).map(str.strip).filter(
    lambda part: part not in ("", "-"))
"""One path part: spaces inside, letters beyond ASCII."""


@dataclass(frozen=True)
class Target:
    """A drawn output path and what is in its way."""

    parts: tuple[str, ...]
    """Folders then the file name, relative to the working folder."""
    suffix: str
    """The file name's suffix."""
    obstacle: str
    """none, folder (where the output goes), file (where its folder goes), older (an earlier output)."""

    @property
    def path(self) -> Path:
        return Path(*self.parts[:-1], self.parts[-1] + self.suffix)

    def lay(self, work: Path) -> None:
        """Put the obstacle in place."""
        path = work / self.path
        if self.obstacle == "folder":
            (path / "keep").parent.mkdir(parents=True)
            (path / "keep").write_text("")
        elif self.obstacle == "file":
            blocker = work / self.parts[0] if len(self.parts) > 1 else path
            blocker.parent.mkdir(parents=True, exist_ok=True)
            blocker.write_text("a file in the way")
        elif self.obstacle == "older":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("an older output")


def targets(suffixes: list[str]) -> st.SearchStrategy[Target]:
    return st.builds(Target, st.lists(PART, min_size=1, max_size=3).map(tuple), st.sampled_from(suffixes),
                     st.sampled_from(["none", "none", "folder", "file", "older"]))


def complete_script(path: Path) -> None:
    from pipeline.script import load

    assert load(path).title


def complete_wav(path: Path) -> None:
    import soundfile

    info = soundfile.info(str(path))
    assert info.format == "WAV" and info.frames > 0


def complete_render(path: Path) -> None:
    from pipeline.mix.episode import Episode

    episode = Episode.load(path)
    assert episode.duration_ms > 0 and episode.vtt and episode.srt and episode.chapters_json


def complete_site(path: Path) -> None:
    from pipeline.publish.feed import read_feed

    [item] = read_feed(path / "feed.xml")
    for linked in (item.page, item.audio, "index.html"):
        assert (path / linked).is_file(), linked


@dataclass(frozen=True)
class Command:
    """One command and its output option."""

    args: Callable[[Path], tuple[str, ...]]
    """The command line for an output path."""
    suffixes: list[str]
    """Suffixes drawn for the output (right and wrong ones)."""
    complete: Callable[[Path], None]
    """Checks a successful run's outputs."""
    examples: int
    """How many random paths to try besides the two fixed ones (each run is a process: keep it small)."""


COMMANDS = {
    "script": Command(lambda out: ("script", "essay.txt", "-o", str(out)), [".md", ".json", ".txt", ""],
                      complete_script, 5),
    "say": Command(lambda out: ("say", "Hi.", "-o", str(out)), [".wav", ".mp3", ""], complete_wav, 2),
    "render": Command(lambda out: ("render", "one.md", "-o", str(out)), [".mp3", ".wav"], complete_render, 2),
    "render --master": Command(lambda out: ("render", "one.md", "--master", "flac", "-o", str(out)), [".mp3"],
                               complete_render, 1),
    "publish": Command(lambda out: ("publish", "her-review.mp3", "--site", str(out)), [""], complete_site, 3),
    "make": Command(lambda out: ("make", "essay.txt", "--site", str(out)), [""], complete_site, 1),
}


@pytest.fixture(scope="module")
def materials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What every run reads: the essay, a script, a rendered episode; plus the shared segment cache."""
    folder = tmp_path_factory.mktemp("materials")
    (folder / "essay.txt").write_text(ESSAY, "utf-8")
    shutil.copy(FIXTURES / "one.md", folder / "one.md")
    make_episode(folder)
    return folder


@pytest.mark.parametrize("name", COMMANDS)
def test_random_output_paths_give_complete_outputs_or_one_line_and_nothing(
    name: str, materials: Path, tmp_path: Path
) -> None:
    command = COMMANDS[name]

    @settings(max_examples=command.examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(target=targets(command.suffixes))
    # Always tried: a folder where the output goes, a file where its folder goes (with unicode and spaces).
    @example(target=Target(("out put", "é日"), command.suffixes[0], "folder"))
    @example(target=Target(("a file", "out"), command.suffixes[0], "file"))
    def attempt(target: Target) -> None:
        work = Path(tempfile.mkdtemp(dir=tmp_path))
        shutil.copytree(materials, work, dirs_exist_ok=True)
        target.lay(work)
        before = snapshot(work)
        result = run(*command.args(target.path), cwd=work, cache=tmp_path / "cache")
        if result.returncode == 0:
            command.complete(work / target.path)
            assert not [path for path in work.rglob(".*") if path.name != SITE_LOCK]  # no temporaries
        else:
            assert result.returncode == 1, result.stderr
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("essaycast: error: "), result.stderr
            after = {key: value for key, value in snapshot(work).items() if Path(key).name != SITE_LOCK}
            assert after == before
        shutil.rmtree(work)

    attempt()
