"""`gas demo`: the main job of the README: a short story against an embedded server."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Start an embedded server in a temporary folder and drive a short story through it.

    \b
    Example:
      gas demo
    """
    from gasvc.demo import run_demo

    for line in run_demo():
        click.echo(line)
