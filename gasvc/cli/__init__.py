"""The `gas` command: one group, one error boundary, one module per family of verbs."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from gasvc import __version__
from gasvc.errors import GasError

EXIT_BUG = 3


class GasGroup(click.Group):
    """Renders every error in one place: `GasError` as message + hint, others as a bug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GasError as error:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"error: {error.message}", err=True)
            if error.hint:
                click.echo(f"hint: {error.hint}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # the boundary: anything else is our bug
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"error: {type(error).__name__}: {error}", err=True)
            click.echo("hint: this is a bug in gasvc; re-run with --debug and report it",
                       err=True)
            sys.exit(EXIT_BUG)


@click.group(cls=GasGroup)
@click.version_option(__version__, prog_name="gas")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("-p", "--profile", help="Use this ~/.gasconfig profile (default: default).")
@click.pass_context
def main(ctx: click.Context, debug: bool, profile: str | None) -> None:
    """gas: git for versioned ML datasets on the TensorBay Open API.

    \b
    Example:
      gas auth https://gas.example.com/ Accesskey-0123456789abcdef0123456789abcdef
      gas clone cats && cd cats && gas status
    """
    ctx.meta["debug"] = debug
    if profile:
        ctx.meta["profile"] = profile


def _register() -> None:
    from gasvc.cli import branching, demo, diffing, drafts, server, setup, sync, work

    main.add_command(server.server)
    main.add_command(demo.demo)
    for command in work.COMMANDS + branching.COMMANDS:
        main.add_command(command)
    for command in setup.COMMANDS + drafts.COMMANDS:
        main.add_command(command)
    for command in diffing.COMMANDS + sync.COMMANDS:
        main.add_command(command)


_register()
