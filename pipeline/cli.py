"""The `essaycast` command: a thin typer layer over the stage libraries.

Heavy libraries (numpy, onnxruntime, piper, mutagen) are imported inside the commands, never at
module level, so `essaycast --help` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import EssaycastError

app = typer.Typer(
    name="essaycast",
    help="Turn a written essay into a published podcast episode, offline, with open local TTS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console():  # noqa: ANN202 - rich is imported lazily
    from rich.console import Console

    return Console(stderr=True)


# --- script stage -----------------------------------------------------------------------------

# --- synth stage ------------------------------------------------------------------------------

# --- mix stage --------------------------------------------------------------------------------

# --- publish stage ----------------------------------------------------------------------------


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        app(standalone_mode=False)
    except EssaycastError as exc:
        print(f"essaycast: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("essaycast: interrupted (finished segments are cached; run again to resume)",
              file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never show a traceback
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            print("essaycast: aborted", file=sys.stderr)
            sys.exit(130)
        if os.environ.get("ESSAYCAST_DEBUG"):
            raise
        print(f"essaycast: internal error: {type(exc).__name__}: {exc} "
              "(set ESSAYCAST_DEBUG=1 for a traceback and please report it)", file=sys.stderr)
        sys.exit(70)


if __name__ == "__main__":
    main()
