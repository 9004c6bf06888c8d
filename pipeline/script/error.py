"""ScriptError: a mistake in a script file, pointing at the file, line and column."""

from __future__ import annotations

from pipeline.errors import EssaycastError


class ScriptError(EssaycastError):
    """A script that cannot be read; its message is one line, ``path:line:col: what is wrong``."""

    def __init__(
        self, path: str, line: int | None, column: int | None, reason: str, *, hint: str = ""
    ) -> None:
        where = f"{path}:{line}:{column or 1}" if line else path
        super().__init__(f"{where}: {reason}", hint=hint)
        self.path = path
        """The file (or ``<script>`` for text that came without one)."""
        self.line = line
        """1-based line of the mistake; None where the format has no lines to point at (JSON schema)."""
        self.column = column
        """1-based column of the mistake; None when the line is unknown."""
        self.reason = reason
        """What is wrong, without the position."""
