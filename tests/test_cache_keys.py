"""Every field that shapes an episode re-makes it when edited, and every other field re-makes nothing.

The segment cache key, the part cache key and the episode fingerprint each leave out what they think
does not matter. A field wrongly left out serves stale audio (an edited pause keeps its old gap), so
each field of every input the user edits — the script model (`Script`, `Section`, `Segment`,
`Audio`), the voice profile (`Voice`, and each engine setting) and the mixing options
(`MixOptions`) — has a row in `ROWS` that edits only that field through the public path (voice
profile files, the script, the options; `render` then `master`) and says what must happen:

- ``AUDIO``: the decoded MP3 changes (stale cached audio would not);
- ``TAGS``: the MP3's tags or the sidecars change, its audio does not (its parts come from the cache);
- ``FILES``: the set of output files changes;
- ``REUSED``: nothing is synthesized or mastered again, the MP3 sounds the same (it may be re-joined);
- ``KEPT``: nothing is synthesized or mastered again and no output file is rewritten.

`test_every_field_has_a_row` fails when a field is added to any of those dataclasses (or a setting to
an engine's ``SETTINGS``) without a row here: add one — an edit of that field alone and its outcome —
or, for a field that only groups others, an entry in `GROUPS`. A key with an ingredient that is not
such a field gets a row of its own (``model file rewritten``) or, for a version constant, one in
`VERSIONS`; `test_every_segment_key_ingredient_has_a_row` checks the segment key's ingredients.

Synthesis uses a fake engine registered in the engine table (a tone whose pitch follows every
input of the voice, so re-synthesis with another voice sounds different); everything else is real.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest
import soundfile

from pipeline.mix.master import MixOptions, master
from pipeline.script.model import Audio, Cast, Pause, Pronunciation, Script, Section, Segment
from pipeline.synth import engines
from pipeline.synth import render as render_module
from pipeline.synth.engines import file_digest
from pipeline.synth.render import render
from pipeline.synth.voices import Voice

RATE = 22050
AUDIO, TAGS, FILES, REUSED, KEPT = "audio", "tags", "files", "reused", "kept"


# The fake engine -----------------------------------------------------------------------------------

def _identity(voice: Voice) -> str:
    return ":".join(file_digest(voice.path(ref)) if ref else "-" for ref in (voice.model, voice.config,
                                                                              voice.voices))


@dataclass
class _Tone:
    """Speaks a tone, 0.2 s + 0.05 s a word, at a pitch drawn from everything about the voice."""

    voice: Voice
    log: list[str]
    sample_rate: int = RATE

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.log.append(text)
        what = json.dumps([self.voice.engine, self.voice.speaker, self.voice.settings,
                           _identity(self.voice), text], sort_keys=True)
        hz = 200 + int(hashlib.sha256(what.encode()).hexdigest()[:6], 16) % 1800
        t = np.arange(round((0.2 + 0.05 * len(text.split())) * RATE)) / RATE
        yield (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _engine_settings() -> dict[str, object]:
    """Every setting any real engine takes, with a value to start from."""
    names = sorted({name for engine in engines.ENGINES
                    for name in getattr(engines.engine_module(engine), "SETTINGS", {})})
    return {name: "en-us" if name == "language" else 1.0 for name in names}


# A take: everything the user edits, written to disk and rendered ---------------------------------

@dataclass(frozen=True)
class Take:
    """One version of the user's inputs."""

    script: Script
    options: MixOptions
    profiles: Mapping[str, Mapping[str, object]]
    """Voice profile name → its TOML fields (``settings`` a table)."""
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Relative path → content: models, intro, bed, covers."""


def _tone_file(hz: float, seconds: float, rate: int = 48000) -> bytes:
    import io

    t = np.arange(round(seconds * rate)) / rate
    sink = io.BytesIO()
    soundfile.write(sink, 0.3 * np.sin(2 * np.pi * hz * t), rate, format="WAV", subtype="FLOAT")
    return sink.getvalue()


def _png(colour: str) -> bytes:
    import io

    from PIL import Image

    sink = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(sink, "PNG")
    return sink.getvalue()


def _base() -> Take:
    script = Script(
        title="Keys", author="A. Writer", description="About keys.", language="en", cover="cover.png",
        cast=Cast({"narrator": "reader", "guest": "visitor"}),
        sections=(
            Section("One", (Segment("narrator", "The first line is here.", Pause(300)),
                            Segment("guest", "And a reply.", Pause(400)))),
            Section("Two", (Segment("narrator", "The second part.", Pause(250)),
                            Segment("narrator", "The end."))),
        ),
    )
    profile = {"engine": "fake", "model": "a.bin", "config": "a.json", "voices": "a.pack", "speaker": "one",
               "description": "A tone.", "license": "CC0-1.0", "gender": "neutral", "pitch": "mid",
               "settings": _engine_settings()}
    files = {"voices/a.bin": b"model A", "voices/b.bin": b"model B", "voices/a.json": b"{}",
             "voices/b.json": b'{"b": 1}', "voices/a.pack": b"pack A", "voices/b.pack": b"pack B",
             "sting.wav": _tone_file(3000, 0.5), "bed.wav": _tone_file(150, 1.3),
             "cover.png": _png("red"), "cover2.png": _png("blue")}
    return Take(script, MixOptions(date="2024-05-01"),
                {"reader": profile, "visitor": {**profile, "speaker": "two"}, "other": {**profile,
                                                                                        "speaker": "three"}},
                files)


def _toml(fields: Mapping[str, object]) -> str:
    lines = [f"{key} = {json.dumps(value)}" for key, value in fields.items() if key != "settings"]
    lines += ["[settings]", *(f"{key} = {json.dumps(value)}" for key, value in fields["settings"].items())]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Outcome:
    """What one render left behind."""

    synthesized: list[str]
    """Texts the engine was asked to speak."""
    files: dict[str, bytes]
    """Output file name → content."""
    mtimes: dict[str, int]
    """Output file name → modification time (ns)."""
    audio: np.ndarray
    """The decoded MP3."""
    parts: frozenset[Path]
    """Entries of the part cache."""
    cues: tuple


def _run(take: Take, where: Path, log: list[str]) -> Outcome:
    """Write ``take`` into ``where`` (the working folder) and render it as ``essaycast render`` does."""
    for name, data in take.files.items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    for old in (where / "voices").glob("*.toml"):
        if f"voices/{old.name}" not in take.files:  # a lexicon file is one of the take's files
            old.unlink()
    for name, fields in take.profiles.items():
        (where / "voices" / f"{name}.toml").write_text(_toml(fields), encoding="utf-8")
    log.clear()
    segments = render(take.script, workers=1)
    episode = master(take.script, segments, where / "out" / "ep.mp3", take.options, base_dir=where)
    out = sorted((where / "out").iterdir())
    decoded, _ = soundfile.read(episode.audio, dtype="float64")
    return Outcome(list(log), {p.name: p.read_bytes() for p in out},
                   {p.name: p.stat().st_mtime_ns for p in out}, decoded,
                   frozenset((where / "cache" / "parts").rglob("*.mp3")), episode.cues)


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Take], Outcome]:
    """Renders takes in ``tmp_path`` with the fake engine and a cache of this test's own."""
    log: list[str] = []
    module = types.ModuleType("keys_fake_engine")
    module.load = lambda voice, threads=1: _Tone(voice, log)
    module.identity = _identity
    module.availability = lambda voice: ""
    module.sample_rate = lambda voice: RATE
    monkeypatch.setitem(sys.modules, "keys_fake_engine", module)
    for name in ("fake", "fake2"):
        monkeypatch.setitem(engines.ENGINES, name, "keys_fake_engine")
    monkeypatch.setattr(render_module, "_LOADED", {})
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user lexicon of the machine's
    monkeypatch.chdir(tmp_path)
    return lambda take: _run(take, tmp_path, log)


# The rows ------------------------------------------------------------------------------------------

Edit = Callable[[Take], Take]


def _script(**changes: object) -> Edit:
    return lambda take: replace(take, script=replace(take.script, **changes))


def _audio(**changes: object) -> Edit:
    def edit(take: Take) -> Take:
        return replace(take, script=replace(take.script, audio=replace(take.script.audio, **changes)))

    return edit


def _options(**changes: object) -> Edit:
    return lambda take: replace(take, options=replace(take.options, **changes))


def _section(index: int, **changes: object) -> Edit:
    def edit(take: Take) -> Take:
        sections = list(take.script.sections)
        sections[index] = replace(sections[index], **changes)
        return replace(take, script=replace(take.script, sections=tuple(sections)))

    return edit


def _segment(section: int, index: int, **changes: object) -> Edit:
    def edit(take: Take) -> Take:
        segments = list(take.script.sections[section].segments)
        segments[index] = replace(segments[index], **changes)
        return _section(section, segments=tuple(segments))(take)

    return edit


def _profile(name: str = "reader", **changes: object) -> Edit:
    return lambda take: replace(take, profiles={**take.profiles, name: {**take.profiles[name], **changes}})


def _setting(name: str) -> Edit:
    def edit(take: Take) -> Take:
        settings = dict(take.profiles["reader"]["settings"])
        settings[name] = "en-gb" if name == "language" else 1.25
        return _profile(settings=settings)(take)

    return edit


def _renamed_profile(take: Take) -> Take:
    """The narrator's profile under another name (a file renamed, the cast following it)."""
    profiles = {("joe" if name == "reader" else name): fields for name, fields in take.profiles.items()}
    cast = Cast({**take.script.cast.voices, "narrator": "joe"})
    return replace(take, profiles=profiles, script=replace(take.script, cast=cast))


def _file(name: str, data: bytes) -> Edit:
    return lambda take: replace(take, files={**take.files, name: data})


def _then(*edits: Edit) -> Edit:
    def edit(take: Take) -> Take:
        for one in edits:
            take = one(take)
        return take

    return edit


WITH_BED = _audio(bed="bed.wav")
LOUD = _options(target_lufs=-10.0)  # peaks above -9 dBTP, so the lowest ceiling limits them


@dataclass(frozen=True)
class Row:
    """One field edited alone, and what must follow."""

    edit: Edit
    expect: str
    """AUDIO, TAGS, FILES, REUSED or KEPT."""
    base: Edit = lambda take: take
    """What the field needs around it to matter (a bed for the bed's settings)."""


ROWS: dict[str, Row] = {
    # the voice profile: the segment cache key
    "Voice.name": Row(_renamed_profile, REUSED),  # the key holds what the profile says, not its name
    "Voice.engine": Row(_profile(engine="fake2"), AUDIO),
    "Voice.model": Row(_profile(model="b.bin"), AUDIO),
    "Voice.config": Row(_profile(config="b.json"), AUDIO),
    "Voice.voices": Row(_profile(voices="b.pack"), AUDIO),
    "Voice.speaker": Row(_profile(speaker="nine"), AUDIO),
    **{f"Voice.settings[{name}]": Row(_setting(name), AUDIO) for name in _engine_settings()},
    "Voice.description": Row(_profile(description="Another tone."), KEPT),
    "Voice.license": Row(_profile(license="MIT"), KEPT),
    "Voice.gender": Row(_profile(gender="female"), KEPT),
    "Voice.pitch": Row(_profile(pitch="high"), KEPT),
    "Voice.source": Row(_renamed_profile, REUSED),  # the file it was read from: moves with the name
    "model file rewritten": Row(_file("voices/a.bin", b"model A, retrained"), AUDIO),
    "blend weights": Row(_profile(speaker="one:0.7 + two:0.3"), AUDIO, _profile(speaker="one:0.5 + two:0.5")),
    # the pronunciation lexicon: applied to the text before the segment key is made
    "lexicon file entry": Row(_file("voices/lexicon.toml", b'first = "fast"\n'), AUDIO,
                              _file("voices/lexicon.toml", b'second = "sekond"\n')),
    # the script: segment key (text), part key (audio, speaker, pause), fingerprint (all)
    "Segment.speaker": Row(_segment(0, 1, speaker="narrator"), AUDIO),
    "Segment.text": Row(_segment(0, 0, text="The first line is there."), AUDIO),
    "Segment.pause_after": Row(_segment(0, 0, pause_after=Pause(700)), AUDIO),
    "Segment.note": Row(_segment(0, 0, note="a producer's note"), KEPT),
    "Section.title": Row(_section(1, title="Two, renamed"), TAGS),
    "Section.cast": Row(_section(1, cast=Cast({"narrator": "other"})), AUDIO),
    "Script.title": Row(_script(title="Keys, renamed"), TAGS),
    "Script.cast": Row(_script(cast=Cast({"narrator": "reader", "guest": "other"})), AUDIO),
    "Script.author": Row(_script(author="B. Writer"), TAGS),
    "Script.description": Row(_script(description="About keys, again."), TAGS),
    "Script.language": Row(_script(language="en-GB"), TAGS),
    "Script.cover": Row(_script(cover="cover2.png"), TAGS),
    "Script.notes": Row(_script(notes=("what the draft dropped",)), KEPT),
    "Script.lexicon": Row(_script(lexicon={"First": Pronunciation(respelling="fast")}), AUDIO),
    "cover file rewritten": Row(_file("cover.png", _png("green")), TAGS),
    "Audio.intro": Row(_audio(intro="sting.wav"), AUDIO),
    "Audio.outro": Row(_audio(outro="sting.wav"), AUDIO),
    "Audio.bed": Row(WITH_BED, AUDIO),
    "Audio.bed_db": Row(_audio(bed_db=-10.0), AUDIO, WITH_BED),
    "Audio.duck_db": Row(_audio(duck_db=6.0), AUDIO, WITH_BED),
    "Audio.attack_ms": Row(_audio(attack_ms=50), AUDIO, WITH_BED),
    "Audio.release_ms": Row(_audio(release_ms=100), AUDIO, WITH_BED),
    "intro file rewritten": Row(_file("sting.wav", _tone_file(2000, 0.5)), AUDIO, _audio(intro="sting.wav")),
    # the mixing options: part key (the PART_OPTIONS) and fingerprint (all but the date)
    "MixOptions.target_lufs": Row(_options(target_lufs=-19.0), AUDIO),
    "MixOptions.ceiling_dbtp": Row(_options(ceiling_dbtp=-9.0), AUDIO, LOUD),
    "MixOptions.bitrate_kbps": Row(_options(bitrate_kbps=128), AUDIO),
    "MixOptions.rate": Row(_options(rate=48000), AUDIO),
    "MixOptions.fade_ms": Row(_options(fade_ms=60), AUDIO),
    "MixOptions.bed_fade_ms": Row(_options(bed_fade_ms=300), AUDIO, WITH_BED),
    "MixOptions.master_format": Row(_options(master_format="flac"), FILES),
    "MixOptions.cover": Row(_options(cover=Path("cover2.png")), TAGS),
    "MixOptions.album": Row(_options(album="A Show"), TAGS),
    "MixOptions.date": Row(_options(date="2030-01-01"), KEPT),  # an up-to-date MP3 keeps its date
    "nothing": Row(lambda take: take, KEPT),
}
"""Field → the edit of that field alone and its outcome."""

GROUPS: dict[str, str] = {
    "Script.sections": "its sections' fields have rows",
    "Section.segments": "its segments' fields have rows",
    "Script.audio": "the Audio fields have rows",
}
"""Fields that only hold other rows' fields."""

INPUTS = (Voice, Segment, Section, Script, Audio, MixOptions)
"""Every dataclass whose fields the user edits."""


def test_every_field_has_a_row() -> None:
    fields = {f"{cls.__name__}.{f.name}" for cls in INPUTS for f in dataclasses.fields(cls)}
    fields.remove("Voice.settings")  # one row per setting instead
    fields |= {f"Voice.settings[{name}]" for name in _engine_settings()}
    rowed = {name for name in ROWS if "." in name} | set(GROUPS)
    assert rowed == fields, "add a row to ROWS for each new field (or drop the row of a field that went)"


SEGMENT_KEY: dict[str, str] = {
    "format": "segment cache",
    "engine": "Voice.engine",
    "identity": "model file rewritten",
    "speaker": "Voice.speaker",
    "settings": "Voice.settings[volume]",
    "text": "Segment.text",
}
"""Each ingredient of the segment cache key → the row (or version) that edits it. An ingredient that
is not a dataclass field (a lexicon file, say) needs a row of its own here and in `ROWS`."""


def test_every_segment_key_ingredient_has_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.synth import cache as cache_module

    recipes: list[dict] = []

    def dumps(obj: object, **kwargs: object) -> str:
        if isinstance(obj, dict) and "text" in obj:
            recipes.append(obj)
        return json.dumps(obj, **kwargs)

    monkeypatch.setattr(cache_module, "json", types.SimpleNamespace(dumps=dumps, loads=json.loads))
    cache_module.SegmentCache(Path("unused")).key(Voice("v", "fake"), "identity", "Some text.")
    assert recipes, "the segment key is no longer made with json.dumps: update this test"
    assert set(recipes[0]) == set(SEGMENT_KEY)
    assert all(row in ROWS or row in VERSIONS for row in SEGMENT_KEY.values())


def _silent_run_ms(audio: np.ndarray, rate: int, around_ms: int) -> float:
    """Length of the near-silent stretch of ``audio`` containing ``around_ms``."""
    quiet = np.abs(audio) < 1e-3
    at = round(around_ms * rate / 1000)
    start, end = at, at
    while start > 0 and quiet[start - 1]:
        start -= 1
    while end < len(quiet) and quiet[end]:
        end += 1
    return (end - start) * 1000 / rate


@pytest.mark.parametrize("name", list(ROWS))
def test_an_edited_field_re_makes_exactly_what_it_shapes(name: str,
                                                         studio: Callable[[Take], Outcome]) -> None:
    row = ROWS[name]
    take = row.base(_base())
    before = studio(take)
    after = studio(row.edit(take))
    changed = sorted(name for name in set(before.files) | set(after.files)
                     if before.files.get(name) != after.files.get(name))
    same_audio = before.audio.shape == after.audio.shape and np.array_equal(before.audio, after.audio)
    if row.expect == KEPT:
        assert after.synthesized == []
        assert after.parts == before.parts
        assert (changed, after.mtimes) == ([], before.mtimes)
    elif row.expect == AUDIO:
        assert not same_audio, "the MP3 sounds as before: something served stale audio"
    elif row.expect in (TAGS, REUSED):
        assert after.synthesized == [] and after.parts == before.parts
        assert same_audio
        assert changed or row.expect == REUSED
    else:
        assert set(after.files) != set(before.files)


MPEG_FRAME_MS = 1152 / 44.1
"""Where two parts join, the encoder's padding fills the last MPEG frame: a section break moves by
the edit give or take one frame (the timeline counts it)."""


@pytest.mark.parametrize(("section", "index", "within_ms"), [(0, 0, 3), (0, 1, MPEG_FRAME_MS)])
def test_an_edited_pause_is_heard(section: int, index: int, within_ms: float,
                                  studio: Callable[[Take], Outcome]) -> None:
    """A pause inside a part and one at a part's end: the gap in the decoded MP3 moves by the edit."""
    take = _base()
    pause = take.script.sections[section].segments[index].pause_after.ms
    before = studio(take)
    after = studio(_segment(section, index, pause_after=Pause(pause + 450))(take))
    position = sum(len(s.segments) for s in take.script.sections[:section]) + index
    rate = take.options.rate

    def gap_ms(outcome: Outcome) -> float:
        end, start = outcome.cues[position].end_ms, outcome.cues[position + 1].start_ms
        return _silent_run_ms(outcome.audio, rate, (end + start) // 2)

    grew = gap_ms(after) - gap_ms(before)
    assert grew == pytest.approx(450, abs=within_ms)


VERSIONS: dict[str, tuple[str, str]] = {
    "segment cache": ("pipeline.synth.cache", "FORMAT"),
    "part cache": ("pipeline.mix.parts", "PART_FORMAT"),
    "episode fingerprint": ("pipeline.mix.master", "FINGERPRINT_VERSION"),
}
"""The version constant in each key: bumped, everything under it is made again."""


@pytest.mark.parametrize("key", list(VERSIONS))
def test_a_bumped_version_re_makes_everything_under_it(key: str, studio: Callable[[Take], Outcome],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    import importlib

    module_name, constant = VERSIONS[key]
    module = importlib.import_module(module_name)
    before = studio(_base())
    monkeypatch.setattr(module, constant, getattr(module, constant) + 1)
    if key == "part cache":  # parts are looked up only when the episode is mastered again
        (tmp_path / "out" / "ep.mp3").unlink()
    after = studio(_base())
    assert after.mtimes["ep.mp3"] != before.mtimes["ep.mp3"]
    assert len(after.synthesized) == (4 if key == "segment cache" else 0)
    assert (after.parts > before.parts) == (key != "episode fingerprint")
    assert np.array_equal(after.audio, before.audio)
