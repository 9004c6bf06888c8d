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


@app.command("publish")
def publish_command(
    episode: Annotated[
        Path | None, typer.Argument(help="The episode MP3 (its .chapters.json, .vtt and .srt beside it).")
    ] = None,
    site: Annotated[Path, typer.Option("--site", help="The site folder (feed, pages, media).")] = Path(
        "output"),
    title: Annotated[str | None, typer.Option("--title", help="Episode title (default: the MP3's).")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Episode summary (default: the MP3's).")
    ] = None,
    init: Annotated[
        bool, typer.Option("--init", help="Create the site's podcast.toml with defaults, to edit.")
    ] = False,
) -> None:
    """Add an episode to the site's podcast feed and web pages (again: update it in place)."""
    from pipeline.mix.episode import Episode
    from pipeline.publish import init_site, publish

    if init:
        init_site(site)
        print(f"Created {site / 'podcast.toml'}: edit the title, author, owner e-mail and base_url.")
    if episode is None:
        if not init:
            raise EssaycastError("no episode given", hint="essaycast publish EPISODE.mp3, or --init")
        return
    done = publish(Episode.load(episode), site, title=title, description=description)
    if done.settings_created:
        print(f"Created {site / 'podcast.toml'} with defaults: edit it, then publish again.")
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    action = "Added" if done.added else "Updated"
    print(f"{action} episode {done.item.number}: {done.item.title}")
    print(f"Page: {done.page}")
    print(f"Feed: {done.feed_url}")


@app.command("serve")
def serve_command(
    site: Annotated[Path, typer.Argument(help="The site folder to serve.")] = Path("output"),
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port).")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 lets phones on your network in.")
    ] = "127.0.0.1",
) -> None:
    """Serve the site for previewing and for subscribing from a podcast app (Ctrl-C stops)."""
    from pipeline.publish import serve

    serve(site, host=host, port=port)


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
