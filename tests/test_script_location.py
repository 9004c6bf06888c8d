"""Where the editable script lives, for ``script`` and ``make`` alike, and how edits are kept.

``make`` is run in-process with its rendering replaced, so these tests see the script it would render.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.errors import EssaycastError
from pipeline.script import Script, load
from pipeline.script.storage import edited, script_path

ESSAY = 'A Night Out\n\nWe walked to the river. "It is cold," Homer says.\n\nThen we went home.\n'


class Rendered(Exception):
    """Stops ``make`` where rendering would start, carrying the script it was given."""

    def __init__(self, script: Script, path: Path) -> None:
        super().__init__("rendered")
        self.script, self.path = script, path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "night.txt").write_text(ESSAY, "utf-8")

    def produce(script: Script, source: Path, *_: object) -> None:
        raise Rendered(script, source)

    monkeypatch.setattr(cli, "_produce", produce)
    return tmp_path


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli.app, list(args))


def make(*args: str) -> Rendered:
    result = invoke("make", "night.txt", *args)
    assert isinstance(result.exception, Rendered), result.output
    return result.exception


def speakers(script: Script) -> set[str]:
    return {segment.speaker for _, _, _, segment in script.segments()}


def test_script_and_make_share_one_place(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert script_path(Path("night.txt")) == Path("night.md")
    assert make().path == Path("night.md")
    elsewhere = tmp_path_factory.mktemp("shared") / "far.txt"
    elsewhere.write_text(ESSAY, "utf-8")
    assert script_path(elsewhere) == Path("script") / "far.md"  # never written outside the current folder
    assert invoke("script", str(elsewhere)).exit_code == 0
    assert (folder / "script" / "far.md").is_file() and not elsewhere.with_suffix(".md").exists()


def test_an_unedited_draft_is_refreshed(folder: Path) -> None:
    assert invoke("script", "night.txt").exit_code == 0
    assert not edited(folder / "night.md")
    assert invoke("script", "night.txt", "--cast", "homer=samantha").exit_code == 0
    assert "homer" in speakers(load(folder / "night.md"))
    assert "homer" not in speakers(make().script)  # make refreshes it too (no cast this time)


def test_an_edited_draft_wins(folder: Path) -> None:
    assert invoke("script", "night.txt").exit_code == 0
    draft = folder / "night.md"
    draft.write_text(draft.read_text("utf-8").replace("Then we went home.", "Then we ran home."), "utf-8")
    assert edited(draft)
    before = draft.read_text("utf-8")
    result = invoke("script", "night.txt", "--cast", "homer=samantha")
    assert isinstance(result.exception, EssaycastError) and "--redraft" in result.exception.hint
    assert draft.read_text("utf-8") == before
    rendered = make("--cast", "homer=samantha")
    assert "Then we ran home." in [segment.text for _, _, _, segment in rendered.script.segments()]
    assert draft.read_text("utf-8") == before


def test_redraft_replaces_an_edited_draft(folder: Path) -> None:
    draft = folder / "night.md"
    draft.write_text("+++\ntitle = \"Mine\"\n+++\n\nWritten by hand.\n", "utf-8")  # no stamp: someone's work
    assert edited(draft)
    assert make().script.title == "Mine"
    assert make("--redraft").script.title == "A Night Out"
    assert not edited(draft)
    draft.write_text(draft.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert invoke("script", "night.txt", "--redraft").exit_code == 0
    assert "One more line." not in draft.read_text("utf-8")


def test_make_cast_auto_casts_the_quoted_character(folder: Path) -> None:
    rendered = make("--cast", "auto")
    assert "homer" in rendered.script.cast and rendered.script.cast.profile("homer") != "narrator"
    assert speakers(rendered.script) == {"narrator", "homer"}
