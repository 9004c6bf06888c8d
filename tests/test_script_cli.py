"""`essaycast script`: drafting and converting from the command line, and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.script import load

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "her-review.txt"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "script", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not SEED.is_file(), reason="the seed essay lives in ../shared/seeds")
def test_drafts_the_seed_beside_the_input(tmp_path: Path) -> None:
    essay = tmp_path / "her-review.txt"
    essay.write_bytes(SEED.read_bytes())
    result = run(str(essay), "--cast", "samantha", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr and "samantha 1" in result.stderr
    script = load(tmp_path / "her-review.md")
    assert script.cast.voices == {"narrator": "narrator", "samantha": "samantha"}
    assert "Who is Samantha?" in [section.title for section in script.sections]


def test_json_format_title_and_profiles(tmp_path: Path) -> None:
    essay = tmp_path / "essay.txt"
    essay.write_text("A first paragraph. It has words.\n\nA second one. Also words.\n", "utf-8")
    result = run(str(essay), "--format", "json", "--cast", "samantha=amy", "--cast", "narrator=joe",
                 "--title", "My Episode", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "essay.json").read_text("utf-8"))
    assert document["title"] == "My Episode"
    assert document["cast"] == {"narrator": "joe", "samantha": "amy"}
    assert [s["title"] for s in document["sections"]] == ["A first paragraph", "A second one"]


def test_converts_scripts_and_prints_to_stdout(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "script"
    result = run(str(fixtures / "interview.ssml"), "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("+++\n") and "@samantha: I'm here." in result.stdout
    script_md = tmp_path / "full.md"
    script_md.write_bytes((fixtures / "full.md").read_bytes())
    assert run(str(script_md), cwd=tmp_path).returncode == 0
    assert load(tmp_path / "full.script.md") == load(script_md)  # never overwrites its own input
    cloud = tmp_path / "cloud.txt"  # SSML pasted into a text file is converted, not drafted
    cloud.write_bytes((fixtures / "interview.ssml").read_bytes())
    assert run(str(cloud), cwd=tmp_path).returncode == 0
    assert load(tmp_path / "cloud.md").sections == load(fixtures / "interview.ssml").sections


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"", (), "is empty"),
        (b"\x00\x01binary", (), "binary file"),
        (b"caf\xe9 au lait", (), "not UTF-8"),
        (b"Some text.", ("--cast", "two words"), "bad --cast value 'two words'"),
        (b"Some text.", ("--cast", "x=y=z"), "bad --cast value"),
        (b"Some text.", ("--format", "docx"), "unknown --format 'docx'"),
        (b"Some text.", ("-o", "out.json", "--format", "md"), "does not match"),
        (b"Some text.", ("-o", "blocker/out.md"), "cannot write"),
        (b"Some text.", ("-o", "out.ssml"), "cannot write SSML"),
        (b"View more about Her reviews\n", (), "nothing to draft"),
    ],
    ids=["empty", "binary", "latin-1", "cast-space", "cast-equals", "format", "format-mismatch",
         "unwritable", "ssml-out", "boilerplate-only"],
)
def test_bad_input_is_one_line_and_leaves_no_file(tmp_path: Path, content: bytes, args: tuple[str, ...],
                                                    message: str) -> None:
    (tmp_path / "blocker").write_text("a file where a directory should be", "utf-8")
    essay = tmp_path / "essay.txt"
    essay.write_bytes(content)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(str(essay), *args, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("essaycast: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
