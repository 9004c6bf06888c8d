"""Script stage: essay text → a voiced, editable Script (model, parser/writer, draft generator)."""

from pipeline.script.model import NARRATOR, Audio, Cast, Pause, Script, Section, Segment

__all__ = ["NARRATOR", "Audio", "Cast", "Pause", "Script", "Section", "Segment"]
