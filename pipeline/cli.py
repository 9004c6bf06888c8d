"""The `essaycast` command: a thin typer layer over the stage libraries.

Heavy libraries (numpy, onnxruntime, piper, mutagen) are imported inside the commands, never at
module level, so `essaycast --help` starts fast.
"""

from __future__ import annotations

import os
import sys

import typer

from pipeline.errors import EssaycastError

app = typer.Typer(
    name="essaycast",
    help="Turn a written essay into a published podcast episode, offline, with open local TTS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console():
    from rich.console import Console

    return Console(stderr=True)


@app.command()
def version() -> None:
    """Print the essaycast version."""
    from pipeline import __version__

    print(__version__)


# --- script stage -----------------------------------------------------------------------------

# --- synth stage ------------------------------------------------------------------------------

# --- mix stage --------------------------------------------------------------------------------

# --- publish stage ----------------------------------------------------------------------------


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        app()  # standalone mode: typer handles --help, usage errors and exit codes itself
    except EssaycastError as exc:
        print(f"essaycast: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # last line of defence: never show a traceback
        if os.environ.get("ESSAYCAST_DEBUG"):
            raise
        print(f"essaycast: internal error: {type(exc).__name__}: {exc} "
              "(set ESSAYCAST_DEBUG=1 for a traceback and please report it)", file=sys.stderr)
        sys.exit(70)


if __name__ == "__main__":
    main()
