"""The Markdown, JSON and SSML script formats: fixture pairs, errors, and round-trip properties."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import EssaycastError
from pipeline.script import (
    NARRATOR,
    Audio,
    Cast,
    Pause,
    Script,
    ScriptError,
    Section,
    Segment,
    from_json,
    from_ssml,
    load,
    parse,
    save,
    to_json,
    write,
)
from pipeline.script.model import MAX_PAUSE_MS

FIXTURES = Path(__file__).parent / "fixtures" / "script"
SOURCES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".md", ".ssml"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_fixture_reads_as_expected_json(source: Path) -> None:
    script = load(source)
    assert json.loads(to_json(script)) == json.loads(source.with_suffix(".json").read_text("utf-8"))
    assert parse(write(script)) == script
    assert from_json(to_json(script)) == script


def test_writer_canonical_form() -> None:
    script = Script(
        "T",
        (
            Section("", (Segment(NARRATOR, "One.", Pause(350)),
                         Segment(NARRATOR, "Two.", Pause(900), "why"))),
            Section("Second", (
                Segment("sam", "@ Hi [there] <!-- x", Pause(0)),
                Segment("sam", "Again.", Pause(1500)),
                Segment(NARRATOR, "#1 fan.", Pause(2000)),
            ), Cast({"sam": "kim"})),
        ),
        Cast({"sam": "sam"}),
        notes=("first note", ""),
    )
    assert write(script).split("+++\n", 2)[2] == (
        "\n<!-- first note -->\n\n<!--  -->\n\n"
        "One. [pause 350ms]\nTwo. [pause 900ms] <!-- why -->\n\n"
        "## Second {sam=kim}\n\n"
        "@sam: \\@ Hi \\[there] \\<!-- x\n\n"
        "@sam: Again. [pause 1500ms]\n\n"
        "\\#1 fan. [pause 2s]\n"
    )
    assert parse(write(script)) == script


ERRORS = [
    ("@bob: hi\n", 1, 2, "unknown speaker 'bob' (cast: narrator)"),
    ("Hello [pause 800]\n", 1, 7, "bad pause length '800'"),
    ("Hello [pause -1s]\n", 1, 7, "a pause cannot be negative"),
    ("Hello [pause 11min]\n", 1, 7, "bad pause length"),
    ("Hello [pause 601s]\n", 1, 7, "longer than the 10-minute limit"),
    ("Hello [pause 1.0005s]\n", 1, 7, "whole milliseconds"),
    ("Hello [pause]\n", 1, 7, "a pause needs a length"),
    ("Hello [pause 1s\n", 1, 7, "unclosed '['"),
    ("Hello [note] x\n", 1, 7, "unknown markup '[note]'"),
    ("Hi.\n\nA <!-- never\nclosed\n", 3, 3, "comment '<!--' is never closed"),
    ("[pause 1s] Hello\n", 1, 1, "a pause needs speech before it"),
    ("## One\n\n## Two\n\nText.\n", 1, 1, "section 'One' has nothing to say"),
    ("Text.\n\n## Empty\n", 3, 1, "section 'Empty' has nothing to say"),
    ("Text.\n\n## {narrator=amy}\n\nMore.\n", 3, 1, "a heading needs a title"),
    ("## T {narrator=amy\n\nText.\n", 1, 6, "cast block"),
    ("## T {bob=amy}\n\nText.\n", 1, 7, "unknown speaker 'bob'"),
    ("## T {narrator}\n\nText.\n", 1, 7, "bad cast entry"),
    ("# Title\n\nText.\n", 1, 1, "only '## ' headings make sections"),
    ("@Sam: hi\n", 1, 2, "bad speaker name 'Sam'"),
    ("@narrator:\n\nText.\n", 1, 1, "'@narrator:' has nothing to say"),
    ("Text <!-- a -- b -->\n", 1, 6, "cannot contain '--'"),
    ("+++\ntitle = \"x\"\n", 1, 1, "front matter opened with '+++' is never closed"),
    ("+++\ntitle = \"x\"\ntitel = \"y\"\n+++\nText.\n", 3, 1, "unknown front matter key 'titel'"),
    ("+++\ntitle = \n+++\nText.\n", 2, 9, "bad front matter: Invalid value"),
    ("+++\ntitle = 3\n+++\nText.\n", 2, 1, "title must be a string"),
    ("+++\n[cast]\nsam = \"Bad Name\"\n+++\nText.\n", 3, 1, "bad voice profile name 'Bad Name'"),
    ("+++\n[audio]\nduck_db = \"loud\"\n+++\nText.\n", 3, 1, "audio duck_db must be a number"),
    ("+++\n[audio]\nvolume = 3\n+++\nText.\n", 3, 1, "unknown audio setting 'volume'"),
    ("+++\n[audio]\nduck_db = -3\n+++\nText.\n", 2, 1, "duck_db is how far the bed drops"),
    ("<!-- only a comment -->\n", 1, 1, "the script has nothing to say"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), ERRORS, ids=[e[3][:30] for e in ERRORS])
def test_errors_point_at_line_and_column(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        parse(text, "ep.md")
    error = caught.value
    assert (error.path, error.line, error.column) == ("ep.md", line, column), str(error)
    assert message in error.reason
    assert str(error).startswith(f"ep.md:{line}:{column}: ")
    assert "\n" not in str(error)


def test_pause_forms() -> None:
    script = parse("A [pause 800ms] B [pause 1.5s] C [pause 2 s] D [pause 0ms] E\n")
    assert [(s.text, s.pause_after.ms) for s in script.sections[0].segments] == [
        ("A", 800), ("B", 1500), ("C", 2000), ("D", 0), ("E", 0)]


def test_comment_rules() -> None:
    script = parse(
        "<!-- script note -->\n\nOne. [pause 1s] <!-- note of one -->\nTwo <!-- mid --> continues.\n"
        "<!-- spans\nlines -->\n\n<!-- ignored -->\n\nThree.\n"
    )
    segments = script.sections[0].segments
    assert script.notes == ("script note",)
    assert [(s.text, s.note) for s in segments] == [
        ("One.", "note of one"), ("Two continues.", "mid spans lines"), ("Three.", "")]


# --- round-trip properties ----------------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
MARKUP_ALPHABET = " \\[]@#<!->{}=:pause0123456789msxyz\n\t+\"'“”"
raw_text = st.one_of(st.text(), st.text(alphabet=MARKUP_ALPHABET))
one_line = raw_text.map(lambda s: " ".join(s.split()))
spoken = one_line.filter(bool)
note_text = one_line.filter(lambda s: "--" not in s and not s.endswith("-"))
pauses = st.builds(Pause, st.one_of(st.sampled_from([0, 350, 900, 1000, 1500]),
                                    st.integers(0, MAX_PAUSE_MS)))
floats = st.floats(allow_nan=False, min_value=-1e6, max_value=1e6)
audios = st.one_of(st.just(Audio()), st.builds(
    Audio, intro=st.text(), outro=st.text(), bed=st.text(), bed_db=floats,
    duck_db=st.floats(min_value=0, max_value=60), attack_ms=st.integers(0, 10**6),
    release_ms=st.integers(0, 10**6)))


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    characters = draw(st.lists(names, max_size=3, unique=True))
    cast = Cast({name: draw(names) for name in characters})
    speakers = [NARRATOR, *(name for name in characters if name != NARRATOR)]
    segments = st.builds(Segment, st.sampled_from(speakers), spoken, pauses, note_text)
    section_casts = st.dictionaries(st.sampled_from(speakers), names, max_size=2).map(Cast)
    sections = []
    for index in range(draw(st.integers(1, 4))):
        title = draw(one_line if index == 0 else spoken)
        sections.append(Section(title, tuple(draw(st.lists(segments, min_size=1, max_size=6))),
                                draw(section_casts)))
    return Script(
        draw(one_line), tuple(sections), cast, author=draw(one_line), description=draw(one_line),
        language=draw(st.one_of(st.just("en"), st.text())), cover=draw(st.text()), audio=draw(audios),
        notes=tuple(draw(st.lists(note_text, max_size=3))),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_markdown_round_trip(script: Script) -> None:
    assert parse(write(script)) == script


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_json_round_trip(script: Script) -> None:
    assert from_json(to_json(script)) == script


FRAGMENTS = ["+++\n", "\n", "\n\n", "## ", "@narrator:", "@sam:", "@Bad:", "[pause 1s]", "[pause ", "]",
             "<!--", "-->", " -- ", "\\", "{", "}", "sam=kim", " ", "Text.", "[pause -1s]", "[pause 99999s]",
             "title = \"x\"\n", "[cast]\n", "sam = \"sam\"\n", "[audio]\n", "bed_db = 3\n", "#", "\r", "=",
             "\t"]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join), st.text()))
def test_parse_raises_only_script_errors(text: str) -> None:
    try:
        script = parse(text)
    except ScriptError as error:
        assert "\n" not in str(error)
    else:
        assert parse(write(script)) == script


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["title", "sections", "segments", "speaker", "text", "cast", "x"]), inner,
        max_size=4),
).map(json.dumps)))
def test_from_json_raises_only_script_errors(text: str) -> None:
    with contextlib.suppress(ScriptError):
        from_json(text)


# --- JSON and SSML specifics ------------------------------------------------------------------------

def test_json_minimal_schema_and_errors() -> None:
    script = from_json('{"title": "T", "cast": {"sam": "kim"}, "sections": [{"title": "S", "segments": '
                       '[{"speaker": "sam", "text": "Hi.", "pause_after_ms": 500}]}]}')
    assert script.cast.voices == {NARRATOR: NARRATOR, "sam": "kim"}
    assert script.sections[0].segments[0] == Segment("sam", "Hi.", Pause(500))
    with pytest.raises(ScriptError, match=r"^x.json:1:2: bad JSON"):
        from_json("{,}", "x.json")
    bad = '{"sections": [{"segments": [{"speaker": "bob", "text": "x"}]}]}'
    with pytest.raises(ScriptError, match=r"^<json>: sections\[0\]\.segments\[0\]|^<json>: speaker 'bob'"):
        from_json(bad)
    with pytest.raises(ScriptError, match=r"sections\[0\]\.segments\[0\]\.pause_after_ms: must be whole"):
        from_json('{"sections": [{"segments": [{"speaker": "narrator", "text": "x", '
                  '"pause_after_ms": 1.5}]}]}')
    with pytest.raises(ScriptError, match="unknown key 'colour'"):
        from_json('{"colour": 1, "sections": []}')


SSML_ERRORS = [
    ("<speak>\n<p>a</b></speak>", 2, "bad SSML: mismatched tag"),
    ("<book>text</book>", 1, "SSML must start with <speak>"),
    ("<speak>a\n<break time='-1s'/></speak>", 2, "a pause cannot be negative"),
    ("<speak>a\n <break strength='huge'/></speak>", 2, "is not one of"),
    ("<speak>\n<voice name='123'>a</voice></speak>", 2, "does not name a usable speaker"),
    ("<speak>  </speak>", 1, "nothing to say"),
]


@pytest.mark.parametrize(("text", "line", "message"), SSML_ERRORS, ids=[e[2][:25] for e in SSML_ERRORS])
def test_ssml_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        from_ssml(text, "x.ssml")
    assert caught.value.line == line
    assert message in caught.value.reason


def test_load_dispatch_and_atomic_save(tmp_path: Path) -> None:
    script = load(FIXTURES / "full.md")
    for name in ("out.md", "out.json"):
        save(script, tmp_path / name)
        assert load(tmp_path / name) == script
    sniffed = tmp_path / "cloud.txt"
    sniffed.write_text((FIXTURES / "interview.ssml").read_text("utf-8"), "utf-8")
    assert load(sniffed).sections == load(FIXTURES / "interview.ssml").sections
    with pytest.raises(EssaycastError, match="cannot write SSML"):
        save(script, tmp_path / "out.ssml")
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(EssaycastError) as caught:
        save(script, tmp_path / "dir.md")
    assert "cannot write" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cloud.txt", "dir.md", "out.json", "out.md"]


def test_documented_examples_parse() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "script-format.md").read_text("utf-8")
    markdown = doc.split("```markdown\n", 1)[1].split("```", 1)[0]
    script = parse(markdown, "doc.md")
    speakers = [segment.speaker for _, _, _, segment in script.segments()]
    assert speakers == [NARRATOR, NARRATOR, "samantha", NARRATOR]
    assert script.sections[0].cast.voices == {NARRATOR: "amy"}
    document = doc.split("```json\n", 1)[1].split("```", 1)[0]
    assert from_json(document).sections[0].segments[1].speaker == "samantha"
