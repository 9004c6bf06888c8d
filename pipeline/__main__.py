"""The ``essaycast`` command and ``python -m pipeline``: the CLI, imported only when it runs.

The console script imports this module rather than `pipeline.cli` because of how worker processes
start: Python's "spawn" runs the parent's main script again in every process it starts (the synthesis
workers, the listening check's), and a script that imported the CLI at its top would make each of
them import typer, rich and every command's module for nothing.
"""

from __future__ import annotations


def main() -> None:
    """Run the essaycast CLI (`pipeline.cli.main`)."""
    from pipeline.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
