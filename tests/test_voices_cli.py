"""`essaycast voices --json`, `say --explain` with a lexicon, and `voices --sample` auditions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from pipeline.synth.audition import write_samples
from pipeline.synth.voices import load_voices

PALETTE = ("narrator", "samantha", "walter", "iris", "robin")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "XDG_CONFIG_HOME": str(cwd / "config")},
    )


def test_voices_json_lists_at_least_five_usable_voices_with_their_attributes(tmp_path: Path) -> None:
    done = run_cli("voices", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    for row in rows.values():
        assert {"name", "engine", "usable", "reason", "gender", "description"} <= set(row)
        assert row["usable"] == (row["reason"] == "")
    assert [name for name in PALETTE if rows[name]["usable"]] == list(PALETTE)
    assert {name: (rows[name]["gender"], rows[name]["pitch"]) for name in PALETTE} == {
        "narrator": ("male", "low"), "samantha": ("female", "high"), "walter": ("male", "low"),
        "iris": ("female", "mid"), "robin": ("neutral", "mid"),
    }
    assert rows["slt"]["engine"] == "festival" and rows["heart"]["engine"] == "kokoro"  # optional ones stay


def test_say_explain_shows_the_lexicon_phonemes(tmp_path: Path) -> None:
    plain = run_cli("say", "Joaquin smiled.", "--explain", "-o", "plain.wav", cwd=tmp_path)
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "lexicon.toml").write_text('Joaquin = { ipa = "wɑːˈkiːn" }\n')
    fixed = run_cli("say", "Joaquin smiled.", "--explain", "-o", "fixed.wav", cwd=tmp_path)
    assert plain.returncode == 0 and fixed.returncode == 0, fixed.stderr
    assert "text: [[wɑːˈkiːn]] smiled." in fixed.stdout
    phonemes = [line for line in fixed.stdout.splitlines() if line.startswith("phonemes: ")]
    assert phonemes == ["phonemes: wɑːˈkiːn smˈaɪld."]
    assert phonemes[0] not in plain.stdout
    assert soundfile.info(tmp_path / "fixed.wav").duration > 0.5


def test_samples_are_a_folder_of_wavs_and_a_page_of_players(tmp_path: Path) -> None:
    narrator = load_voices(local=Path("/nonexistent"))["narrator"]
    page = write_samples([narrator], tmp_path / "auditions")
    assert page == tmp_path / "auditions" / "index.html"
    assert soundfile.info(tmp_path / "auditions" / "narrator.wav").duration > 1.0
    html = page.read_text()
    assert '<audio controls preload="none" src="narrator.wav">' in html and "male · low pitch" in html


@pytest.mark.slow
def test_voices_sample_auditions_every_usable_voice(tmp_path: Path) -> None:
    done = run_cli("voices", "--sample", "auditions", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.stem for p in (tmp_path / "auditions").glob("*.wav")) == sorted(PALETTE)
