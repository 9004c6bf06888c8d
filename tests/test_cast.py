"""Cast candidates, voice choice, ``essaycast cast`` and ``--cast auto`` (texts written for these tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import EssaycastError
from pipeline.script.attribution import speaker_id
from pipeline.script.candidates import Candidate, find, from_text
from pipeline.script.drafting import parse_cast_options
from pipeline.script.sentences import clean
from pipeline.synth.casting import choose
from pipeline.synth.voices import Voice

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "her-review.txt"

ESSAY = """A Week at the Harbour

Mrs Alder runs the ferry office, and she has run it for thirty years. "The boats are late again," she says.
"Nobody minds."

Captain Brennan Holt, the harbour master, disagrees. "Late is late," Holt says. "I keep the clock."

We also met Tomas Reyes, whose family built the pier, but he would not talk to us. Reyes only smiled.
The town council, the mayor and Mrs Alder's nephew all came up in conversation.
"""


def test_candidates_are_named_speakers_with_counts_and_evidence() -> None:
    found = {candidate.speaker: candidate for candidate in from_text(ESSAY)}
    assert set(found) == {"alder", "brennan-holt"}  # Reyes and the mayor are only talked about
    assert found["alder"].lines == 2 and found["brennan-holt"].lines == 2
    assert found["alder"].gender == "female" and "title Mrs" in found["alder"].evidence
    assert found["alder"].first_line.startswith("The boats are late again")
    assert "speech verb after the quote" in found["alder"].rules


def test_nobody_quoted_means_no_candidates() -> None:
    assert from_text("Homer went to the shop. Marge stayed home and read.\n\nThey met at six.") == []


def test_one_name_in_two_forms_is_one_candidate() -> None:
    text = 'Dana Whitfield runs the mill. "We open at dawn," Dana Whitfield says. "Always," Whitfield adds.'
    assert [(c.speaker, c.lines) for c in find([clean(text)])] == [("dana-whitfield", 2)]


PRINCIPAL = ("Who is Nell? Nell is the keeper of the light. Nell rows out every morning. Nell waits. "
             "Arno visits her on Sundays.")


def test_a_set_apart_line_goes_to_the_principal_character_when_nobody_is_quoted() -> None:
    paragraphs = [clean(PRINCIPAL), "I am still here, if you look for me."]
    assert [(c.speaker, c.lines) for c in find(paragraphs)] == [("nell", 1)]
    # without the line to "you", or without a clear principal character, nobody is cast
    assert find([clean(PRINCIPAL), "The light stays on all night."]) == []
    assert find([clean("Nell rows out. Arno rows out. Nell waits. Arno waits. Nell sleeps. Arno sleeps."),
                 "I am still here, if you look for me."]) == []
    assert find([clean("Who is Nell? Nell waits."), "I am still here, if you look for me."]) == []


def test_cast_names_become_safe_speaker_ids() -> None:
    assert speaker_id("O'Dell") == "odell" and speaker_id("Zoë") == "zoe"
    assert speaker_id("mr-howard") == "howard" and speaker_id("Anne-Marie") == "anne-marie"
    assert speaker_id("Peter Ustinov") == "peter-ustinov"
    assert speaker_id("Father Christmas") == "father-christmas"
    assert parse_cast_options(["O'Dell", "zoë=slt", "mr-howard"]) == {"odell": "odell", "zoe": "slt",
                                                                      "howard": "howard"}
    for bad in (["O Dell"], ["!!"], ["zoë=Not Valid"]):
        with pytest.raises(EssaycastError):
            parse_cast_options(bad)


def voice(name: str, gender: str = "", pitch: str = "") -> Voice:
    return Voice(name=name, engine="piper", gender=gender, pitch=pitch)


def candidate(speaker: str, lines: int, gender: str = "") -> Candidate:
    return Candidate(speaker, speaker, lines, gender, (f"pronoun {'she' if gender == 'female' else 'he'}",)
                     if gender else (), ("speech verb after the quote",), "Hello.")


VOICES = {"narrator": voice("narrator", "male", "low"), "ada": voice("ada", "female", "high"),
          "bo": voice("bo", "male", "mid"), "cy": voice("cy", "male", "low"),
          "di": voice("di", "female", "mid")}


def test_each_character_gets_a_distinct_voice_never_the_narrators() -> None:
    castings = choose([candidate("kim", 5, "female"), candidate("lee", 3, "male"), candidate("max", 2)],
                      VOICES, usable=set(VOICES))
    chosen = {casting.speaker: casting.profile for casting in castings}
    assert len(set(chosen.values())) == 3 and "narrator" not in chosen.values()
    assert VOICES[chosen["kim"]].gender == "female" and VOICES[chosen["lee"]].gender == "male"
    assert chosen["lee"] == "bo"  # of the male voices, the one whose pitch is furthest from the narrator's
    assert not any(casting.reused for casting in castings)
    assert "5 lines; female by pronoun she" in castings[0].reason


def test_too_few_voices_are_reused_and_it_says_so() -> None:
    voices = {"narrator": VOICES["narrator"], "ada": VOICES["ada"], "slow": voice("slow", "male", "mid")}
    castings = choose([candidate("kim", 5), candidate("lee", 3, "male")], voices, usable={"narrator", "ada"})
    assert [casting.profile for casting in castings] == ["ada", "ada"]  # never the one that cannot speak
    assert castings[1].reused and "reused: only 1 character voice can speak here" in castings[1].reason
    assert "no free male voice" in castings[1].reason
    assert choose([candidate("kim", 1)], {"narrator": VOICES["narrator"]}, usable={"narrator"}) == []


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


def test_cast_command_lists_candidates_and_drafts_nothing(tmp_path: Path) -> None:
    (tmp_path / "harbour.txt").write_text(ESSAY, "utf-8")
    result = run("cast", "harbour.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "alder" in result.stdout and "brennan-holt" in result.stdout and "reyes" not in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["harbour.txt"]


@pytest.mark.skipif(not SEED.is_file(), reason="the seed essay lives in ../shared/seeds")
def test_cast_auto_on_the_seed_casts_samantha_only(tmp_path: Path) -> None:
    result = run("script", str(SEED), "--cast", "auto", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cast auto: samantha=samantha" in result.stderr
    script = (tmp_path / "script" / "her-review.md").read_text("utf-8")
    assert 'samantha = "samantha"' in script and "theodore" not in script.lower().split("+++")[1]
    assert "@samantha: I'm lonely, touch me if you can." in script


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus lives in ../shared")
def test_three_quoted_people_get_three_voices_or_say_why_not() -> None:
    found = from_text((CORPUS / "04-bbc-software-pirates.txt").read_text("utf-8"))
    assert {candidate.speaker for candidate in found} == {"dean-boyd", "paul-mcnulty", "antony-townsden"}
    castings = choose(found)
    distinct = {casting.profile for casting in castings}
    assert "narrator" not in distinct
    assert len(distinct) == 3 or (all("reused" in c.reason for c in castings if c.reused) and any(
        c.reused for c in castings))
