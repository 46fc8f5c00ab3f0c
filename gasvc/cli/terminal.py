"""What the terminal gets: colour only on a terminal, long output through a pager, and text that
survives a terminal whose encoding cannot show every character.

- Colour: on when stdout is a terminal, unless `--no-color` or `NO_COLOR` (any value) is set;
  `GAS_COLOR=always` forces it (e.g. into `less -R`).
- Pager: `log`, `diff` and `show` page their output when stdout and stdin are a terminal: the
  command in `GAS_PAGER`, else `PAGER`, else `less` (with `LESS=FRX` unless `LESS` is set, so
  output that fits on a screen is just printed). `--no-pager`, or a pager of "" or "cat", turns
  it off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

import click

#: ctx.meta keys the top-level options set.
NO_COLOR, NO_PAGER = "no_color", "no_pager"


def survive_any_encoding() -> None:
    """Characters the terminal's encoding lacks print as escapes instead of failing (cp1252)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def colour_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get(NO_COLOR):
        return False
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("GAS_COLOR") == "always":
        return True
    return sys.stdout.isatty()


def paint(text: str, colour: str, bold: bool | None = None) -> str:
    """`text` in `colour` when colour is on, else as it is."""
    return click.style(text, fg=colour, bold=bold) if colour_enabled() else text


def pager_command() -> str | None:
    """The pager to use now, or None (not a terminal, turned off)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get(NO_PAGER):
        return None
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        return None
    command = os.environ.get("GAS_PAGER", os.environ.get("PAGER"))
    if command is None:
        import shutil  # loaded only on a terminal: every command imports this module

        command = "less" if shutil.which("less") else ""
    return command if command.strip() not in ("", "cat") else None


def page(lines: Iterable[str]) -> None:
    """Print lines, through the pager when there is one."""
    text = "\n".join(lines)
    command = pager_command()
    if command is None:
        click.echo(text)
        return
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    encoding = sys.stdout.encoding or "utf-8"
    with subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env) as pager:
        assert pager.stdin is not None
        try:
            pager.stdin.write((text + "\n").encode(encoding, "backslashreplace"))
            pager.stdin.close()
        except BrokenPipeError:  # the reader quit early, like `q` in less
            pass
        try:
            pager.wait()
        except KeyboardInterrupt:
            pager.wait()
