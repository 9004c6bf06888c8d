"""The pronunciation lexicon: matching, the script's [lexicon], lexicon files, engines, cache key, explain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import EssaycastError
from pipeline.script.jsonfmt import from_json, to_json
from pipeline.script.markdown import parse, write
from pipeline.script.model import Pronunciation, Script, Section, Segment
from pipeline.synth import render as render_module
from pipeline.synth.lexicon import Lexicon, load_lexicon
from pipeline.synth.render import explain, render
from pipeline.synth.voices import load_voices

JONES = Pronunciation(respelling="Jones")
JOAQUIN = Pronunciation(ipa="wɑːˈkiːn")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real user lexicon and no project folder leak in; a fresh working directory per test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("text", "spoken"), [
    ("Spike Jonze made it.", "Spike Jones made it."),
    ("JONZE and jonze", "Jones and Jones"),
    ("Jonze's film, the Jonzes' house", "Jones's film, the Joneses' house"),
    ("two Jonzes", "two Joneses"),
    ("Jonzey and MacJonze stay", "Jonzey and MacJonze stay"),  # whole words only
])
def test_respellings_match_whole_words_any_case_with_possessives_and_plurals(text: str, spoken: str) -> None:
    lexicon = Lexicon({"Jonze": JONES})
    assert lexicon.apply(text, phonemes=True).text == spoken
    assert lexicon.apply(text, phonemes=False).text == spoken


def test_ipa_becomes_a_phoneme_block_or_a_warning() -> None:
    lexicon = Lexicon({"Joaquin": JOAQUIN, "Bach": Pronunciation(ipa="bɑːx")})
    assert lexicon.apply("Joaquin's film.", phonemes=True).text == "[[wɑːˈkiːnz]] film."
    assert lexicon.apply("The Bachs.", phonemes=True).text == "The [[bɑːxɪz]]."
    plain = lexicon.apply("Joaquin and joaquin.", phonemes=False)
    assert plain.text == "Joaquin and joaquin." and plain.unsupported == ("Joaquin", "joaquin")


LEXICON_SCRIPT = """+++
title = "Names"
language = "en"

[cast]
narrator = "narrator"

[lexicon]
Jonze = "Jones"
"O'Neill" = { ipa = "oʊˈniːl" }
+++

Spike Jonze met O'Neill.
"""


def test_the_script_lexicon_round_trips_through_markdown_and_json() -> None:
    script = parse(LEXICON_SCRIPT)
    assert script.lexicon == {"Jonze": JONES, "O'Neill": Pronunciation(ipa="oʊˈniːl")}
    assert write(script) == LEXICON_SCRIPT
    assert from_json(to_json(script)) == script
    assert "lexicon" not in to_json(Script("t", (Section("", (Segment("narrator", "Hi."),)),)))


@pytest.mark.parametrize(("entry", "message"), [
    ('Jonze = 3', "respelling"),
    ('Jonze = { ipa = "a", respelling = "b" }', "respelling"),
    ('"two words" = "x"', "bad lexicon word"),
    ('Jonze = ""', "exactly one"),
])
def test_bad_lexicon_entries_are_clear_errors(entry: str, message: str) -> None:
    text = LEXICON_SCRIPT.replace('Jonze = "Jones"', entry)
    with pytest.raises(EssaycastError, match=message):
        parse(text, "names.md")


def test_lexicon_files_layer_under_the_script(tmp_path: Path) -> None:
    user = tmp_path / "config" / "essaycast" / "lexicon.toml"
    user.parent.mkdir(parents=True)
    user.write_text('Jonze = "Jones"\nKaufman = "Coffman"\nBach = "Bock"\n')
    Path("voices").mkdir()
    Path("voices/lexicon.toml").write_text('Kaufman = "Kowfman"\nBach = { ipa = "bɑːx" }\n')
    lexicon = load_lexicon({"Bach": Pronunciation(respelling="Batch")})
    assert lexicon.apply("Jonze Kaufman Bach", phonemes=True).text == "Jones Kowfman Batch"
    assert "lexicon" not in load_voices()  # the project's lexicon is not a voice profile
    Path("voices/lexicon.toml").write_text("Kaufman = [1]\n")
    with pytest.raises(EssaycastError, match=r"lexicon.toml: Kaufman"):
        load_lexicon()


def _script(*lines: str, lexicon: dict[str, Pronunciation] | None = None, voice: str = "narrator") -> Script:
    segments = tuple(Segment("narrator", line) for line in lines)
    return Script("t", (Section("", segments),), lexicon=lexicon or {}).recast({"narrator": voice})


def test_kokoro_says_a_respelled_name_exactly_as_the_respelling() -> None:
    with_entry = render(_script("Spike Jonze.", lexicon={"Jonze": JONES}, voice="samantha"), workers=1)
    plain = render(_script("Spike Jones.", voice="samantha"), workers=1)
    assert np.array_equal(with_entry[0].read(), plain[0].read())


def test_removing_an_entry_renders_again_only_the_segments_with_the_word() -> None:
    lines = ("A quiet morning.", "Spike Jonze arrives.", "Nobody else came.")
    render(_script(*lines, lexicon={"Jonze": JONES}), workers=1)
    again = render(_script(*lines), workers=1)
    assert [segment.cached for segment in again] == [True, False, True]


def test_an_ipa_entry_changes_the_phonemes_explained() -> None:
    voices = load_voices()
    for name in ("narrator", "samantha"):
        before = explain(voices[name], "Joaquin smiled.", Lexicon())
        after = explain(voices[name], "Joaquin smiled.", Lexicon({"Joaquin": JOAQUIN}))
        assert after.text == "[[wɑːˈkiːn]] smiled." and after.phonemes != before.phonemes
        assert after.phonemes[0].startswith("w") and after.warnings == ()


def test_an_entry_the_engine_cannot_take_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module, "takes_phonemes", lambda engine: False)
    warnings: list[str] = []
    render(_script("Joaquin waves.", "Joaquin again.", lexicon={"Joaquin": JOAQUIN}), workers=1,
           on_warning=warnings.append)
    assert len(warnings) == 1 and "cannot take phonemes" in warnings[0] and "'Joaquin'" in warnings[0]
