"""The `gas` command: one group, one error boundary, one module per family of verbs."""

from __future__ import annotations

from gasvc.cli.loading import pause, resume, without_collection

# No cyclic garbage collection while the CLI's modules load (a run of gc scans every object
# made so far, again and again as imports go on: ~7% of a `gas status`); what they made is then
# set aside for good (gc.freeze), so later collections do not scan it either. A command's own
# modules load the same way (loading.py).
_COLLECTING = pause()

import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import click  # noqa: E402

from gasvc import __version__  # noqa: E402
from gasvc.errors import GasError  # noqa: E402

EXIT_BUG = 3


class GasGroup(click.Group):
    """Renders every error in one place: `GasError` as message + hint, others as a bug.

    Subcommands load lazily from `COMMANDS`.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from gasvc.cli.terminal import survive_any_encoding

        survive_any_encoding()
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name, COMMANDS, n=3, cutoff=0.7)
            hint = f"\n\nThe most similar command{'s are' if len(close) > 1 else ' is'}: " \
                f"{', '.join(close)}" if close else ""
            ctx.fail(f"'{name}' is not a gas command. See 'gas help'.{hint}")
        found, command, rest = super().resolve_command(ctx, args)
        from gasvc.cli.tensorbay import tensorbay_command  # `gas rm tb:…` is tensorbay's rm

        return found, tensorbay_command(found or "", rest) or command, rest

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        with without_collection():
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


@click.group(cls=GasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gas")
@click.option("-d", "--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("-p", "--profile", help="Use this ~/.gasconfig profile (default: default).")
@click.option("-k", "--key", help="Use this access key (as GAS_ACCESS_KEY does).")
@click.option("-u", "--url", help="Use the server at this URL (as GAS_URL does).")
@click.option("--no-color", is_flag=True, help="No colour, even on a terminal (or NO_COLOR=1).")
@click.option("--no-pager", is_flag=True, help="Print long output instead of paging it.")
@click.pass_context
def main(ctx: click.Context, debug: bool, profile: str | None, key: str | None,
         url: str | None, no_color: bool, no_pager: bool) -> None:
    """gas: git for versioned ML datasets on the TensorBay Open API.

    \b
    Example:
      gas auth https://gas.example.com/ Accesskey-0123456789abcdef0123456789abcdef
      gas clone cats && cd cats && gas status
    """
    ctx.meta.update(debug=debug, no_color=no_color, no_pager=no_pager)
    if profile:
        ctx.meta["profile"] = profile
    # the tensorbay CLI's -k/-u: for this command only, like the variables they stand for
    for variable, value in (("GAS_ACCESS_KEY", key), ("GAS_URL", url)):
        if value:
            os.environ[variable] = value


#: Commands by name → "module:attribute", imported only when run, so that `gas status` does not
#: pay for the HTTP client, progress bars or the server at start-up.
COMMANDS = {
    "init": "work:init", "status": "work:status_cmd", "add": "work:add_cmd",
    "rm": "work:rm_cmd", "commit": "work:commit_cmd", "log": "work:log_cmd",
    "check-ignore": "work:check_ignore_cmd",
    "branch": "branching:branch_cmd", "checkout": "branching:checkout_cmd",
    "switch": "branching:switch_cmd", "restore": "branching:restore_cmd",
    "auth": "setup:auth", "dataset": "setup:dataset", "remote": "setup:remote",
    "draft": "drafts:draft", "tag": "drafts:tag", "diff": "diffing:diff_cmd",
    "show": "diffing:show_cmd", "review": "reviewing:review_cmd", "clone": "sync:clone_cmd",
    "fetch": "sync:fetch_cmd", "pull": "sync:pull_cmd", "push": "sync:push_cmd",
    "server": "server:server",
    "demo": "demo:demo", "help": "helping:help_cmd",
    "merge": "merging:merge_cmd", "reset": "merging:reset_cmd", "revert": "merging:revert_cmd",
    "cherry-pick": "merging:cherry_pick_cmd", "stash": "merging:stash_cmd",
    "ls": "tensorbay_data:ls", "cp": "tensorbay_data:cp", "config": "tensorbay_setup:config",
}

resume(_COLLECTING)
