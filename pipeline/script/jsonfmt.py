"""The JSON form of a Script, for programs (schema in docs/script-format.md); round-trips like Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from pipeline.script.error import ScriptError
from pipeline.script.model import NARRATOR, Audio, Cast, Pause, Script, Section, Segment, lexicon_entry

if TYPE_CHECKING:
    from pipeline.script.model import Pronunciation

_TEXT_KEYS = ("title", "author", "description", "language", "cover")


def to_json(script: Script) -> str:
    """The script as JSON: every key present, two-space indent, UTF-8 text unescaped."""
    document = {
        **{key: getattr(script, key) for key in _TEXT_KEYS},
        "cast": dict(script.cast.voices),
        "audio": asdict(script.audio),
        "notes": list(script.notes),
        "sections": [
            {
                "title": section.title,
                "cast": dict(section.cast.voices),
                "segments": [
                    {"speaker": segment.speaker, "text": segment.text,
                     "pause_after_ms": segment.pause_after.ms, "note": segment.note}
                    for segment in section.segments
                ],
            }
            for section in script.sections
        ],
    }
    if script.lexicon:  # only when there is one, so scripts without a lexicon read as before
        document["lexicon"] = {word: entry.to_value() for word, entry in script.lexicon.items()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class _Reader:
    """Checks one JSON document against the schema, naming the offending place (``sections[2].title``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, where: str, reason: str) -> ScriptError:
        return ScriptError(self.path, None, None, f"{where}: {reason}" if where else reason)

    def object(self, value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.error(where, "must be an object")
        for key in value:
            if key not in required + optional:
                raise self.error(where, f"unknown key {key!r} (known: {', '.join(required + optional)})")
        for key in required:
            if key not in value:
                raise self.error(where, f"missing key {key!r}")
        return value

    def typed(self, value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.error(where, f"must be {what}")
        return value

    def cast(self, value: Any, where: str) -> Cast:
        mapping = self.typed(value, dict, where, "an object of speaker: profile")
        for speaker, profile in mapping.items():
            self.typed(profile, str, f"{where}.{speaker}", "a voice profile name")
        return self.model(Cast, where, mapping)

    def model(self, build: Callable[..., Any], where: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return build(*args, **kwargs)
        except ValueError as exc:
            raise self.error(where, str(exc)) from None

    def segment(self, value: Any, where: str) -> Segment:
        data = self.object(value, where, ("speaker", "text"), ("pause_after_ms", "note"))
        speaker = self.typed(data["speaker"], str, f"{where}.speaker", "a string")
        text = self.typed(data["text"], str, f"{where}.text", "a string")
        ms = self.typed(data.get("pause_after_ms", 0), int, f"{where}.pause_after_ms", "whole milliseconds")
        note = self.typed(data.get("note", ""), str, f"{where}.note", "a string")
        pause = self.model(Pause, f"{where}.pause_after_ms", ms)
        return self.model(Segment, where, speaker, text, pause, note)

    def section(self, value: Any, where: str) -> Section:
        data = self.object(value, where, ("segments",), ("title", "cast"))
        items = self.typed(data["segments"], list, f"{where}.segments", "a list")
        segments = tuple(self.segment(item, f"{where}.segments[{i}]") for i, item in enumerate(items))
        title = self.typed(data.get("title", ""), str, f"{where}.title", "a string")
        return self.model(Section, where, title, segments, self.cast(data.get("cast", {}), f"{where}.cast"))

    def audio(self, value: Any, where: str) -> Audio:
        data = self.object(value, where, (), tuple(f.name for f in fields(Audio)))
        settings = {}
        for f in fields(Audio):
            if f.name in data:
                number = isinstance(f.default, float)
                kind: type | tuple[type, ...] = (int, float) if number else type(f.default)
                what = "a " + _KIND_NAMES[type(f.default)]
                setting = self.typed(data[f.name], kind, f"{where}.{f.name}", what)
                settings[f.name] = float(setting) if number else setting
        return self.model(Audio, where, **settings)

    def lexicon(self, value: Any, where: str) -> dict[str, Pronunciation]:
        mapping = self.typed(value, dict, where, 'an object of word: "respelling" or {"ipa": "..."}')
        lexicon = {}
        for word, entry in mapping.items():
            lexicon[word] = self.model(lexicon_entry, f"{where}.{word}", word, entry)
        return lexicon

    def script(self, value: Any) -> Script:
        data = self.object(value, "", ("sections",), (*_TEXT_KEYS, "cast", "audio", "notes", "lexicon"))
        meta = {key: self.typed(data[key], str, key, "a string") for key in _TEXT_KEYS if key in data}
        notes = self.typed(data.get("notes", []), list, "notes", "a list of strings")
        for index, note in enumerate(notes):
            self.typed(note, str, f"notes[{index}]", "a string")
        items = self.typed(data["sections"], list, "sections", "a list")
        sections = tuple(self.section(item, f"sections[{i}]") for i, item in enumerate(items))
        return self.model(
            Script, "", sections=sections, cast=self.cast(data.get("cast", {NARRATOR: NARRATOR}), "cast"),
            audio=self.audio(data.get("audio", {}), "audio"), notes=tuple(notes),
            lexicon=self.lexicon(data.get("lexicon", {}), "lexicon"), **{"title": "", **meta},
        )


_KIND_NAMES = {str: "string", float: "number", int: "whole number"}


def from_json(text: str, path: str = "<json>") -> Script:
    """Read the JSON form of a script; raise ScriptError naming the bad place."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptError(path, exc.lineno, exc.colno, f"bad JSON: {exc.msg}") from None
    except RecursionError:
        raise ScriptError(path, None, None, "bad JSON: nested too deeply") from None
    return _Reader(path).script(document)
