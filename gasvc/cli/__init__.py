"""The `gas` command: one group, one error boundary, one module per family of verbs."""

from __future__ import annotations

import importlib
import io
import sys
from typing import Any

import click

from gasvc import __version__
from gasvc.errors import GasError

EXIT_BUG = 3


class GasGroup(click.Group):
    """Renders every error in one place: `GasError` as message + hint, others as a bug.

    Subcommands load lazily from `COMMANDS`.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(
            importlib.import_module(f"gasvc.cli.{module}"), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GasError as error:
            if ctx.meta.get("debug"):
                _print_traceback()
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
                _print_traceback()
            click.echo(f"error: {type(error).__name__}: {error}", err=True)
            click.echo("hint: this is a bug in gasvc; re-run with --debug and report it",
                       err=True)
            sys.exit(EXIT_BUG)


def _print_traceback() -> None:
    import traceback  # only for --debug: its import costs every command ~5 ms

    traceback.print_exc()


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
    if isinstance(sys.stdout, io.TextIOWrapper):  # labels may hold what UTF-8 cannot encode
        sys.stdout.reconfigure(errors="backslashreplace")
    if profile:
        ctx.meta["profile"] = profile


#: Commands by name → "module:attribute", imported only when run, so that `gas status` does not
#: pay for the HTTP client, progress bars or the server at start-up.
COMMANDS = {
    "init": "work:init", "status": "work:status_cmd", "add": "work:add_cmd",
    "rm": "work:rm_cmd", "commit": "work:commit_cmd", "log": "work:log_cmd",
    "branch": "branching:branch_cmd", "checkout": "branching:checkout_cmd",
    "switch": "branching:switch_cmd", "restore": "branching:restore_cmd",
    "auth": "setup:auth", "dataset": "setup:dataset", "remote": "setup:remote",
    "draft": "drafts:draft", "tag": "drafts:tag", "diff": "diffing:diff_cmd",
    "show": "diffing:show_cmd", "clone": "sync:clone_cmd", "fetch": "sync:fetch_cmd",
    "pull": "sync:pull_cmd", "push": "sync:push_cmd", "server": "server:server",
    "demo": "demo:demo",
}
