"""The one exception type every stage raises for bad input; the CLI prints it as a single line."""

from __future__ import annotations


class EssaycastError(Exception):
    """A problem the user can fix (bad input, missing file, unknown voice); never a bug."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        """What went wrong, on one line."""
        self.hint = hint
        """How to fix it, on one line (may be empty)."""

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
