"""Script stage: an essay in any format → a voiced, editable Script (readers, model, writer, drafter)."""

from pipeline.script.drafting import draft, parse_cast_options
from pipeline.script.error import ScriptError
from pipeline.script.jsonfmt import from_json, to_json
from pipeline.script.markdown import parse, write
from pipeline.script.model import NARRATOR, Audio, Cast, Pause, Script, Section, Segment
from pipeline.script.ssml import from_ssml
from pipeline.script.storage import load, save

__all__ = [
    "NARRATOR",
    "Audio",
    "Cast",
    "Pause",
    "Script",
    "ScriptError",
    "Section",
    "Segment",
    "draft",
    "from_json",
    "from_ssml",
    "load",
    "parse",
    "parse_cast_options",
    "save",
    "to_json",
    "write",
]
