"""`gas help [COMMAND]`: every command with a one-line summary and an example, or one command's
full help (the same as `gas COMMAND --help`)."""

from __future__ import annotations

import click


def example(command: click.Command) -> str:
    """The first line of the command's `Example:` block."""
    lines = (command.help or "").splitlines()
    for number, line in enumerate(lines):
        if line.strip() == "Example:":
            following = [rest.strip() for rest in lines[number + 1:] if rest.strip()]
            return following[0] if following else ""
    return ""


def summaries(group: click.Group, ctx: click.Context) -> list[tuple[str, str, str]]:
    """(name, one-line summary, example) of every command, by name."""
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            found.append((name, command.get_short_help_str(limit=72), example(command)))
    return found


@click.command("help")
@click.argument("command", required=False)
@click.pass_context
def help_cmd(ctx: click.Context, command: str | None) -> None:
    """List the commands, or show one command's help.

    \\b
    Example:
      gas help push
    """
    root = ctx.find_root()
    group = root.command
    assert isinstance(group, click.Group)
    if command is not None:
        _, found, _ = group.resolve_command(root, [command])
        assert found is not None
        with click.Context(found, info_name=command, parent=root) as sub:
            click.echo(found.get_help(sub))
        return
    lines = ["usage: gas [-d/--debug] [-p PROFILE] [-k KEY] [-u URL] [--no-color] [--no-pager] "
             "COMMAND [ARGS]...",
             "", "git for versioned ML datasets on the TensorBay Open API.", "", "Commands:"]
    listed = summaries(group, root)
    width = max([10] + [len(name) + 2 for name, _, _ in listed])
    for name, summary, sample in listed:
        lines.append(f"  {name:<{width}}{summary}")
        if sample:
            lines.append(f"  {'':<{width}}  e.g. {sample}")
    lines += ["", "The tensorbay CLI's command lines work too: ls, cp and config are its own; rm,",
              "commit, draft, branch, tag and log whose first argument is a tb: TBRN act on the",
              "server as the tensorbay CLI does (gas log tb:cats), as do `gas dataset [tb:NAME]`",
              "and `gas auth -s`. See docs/connecting.md.",
              "", "`gas help COMMAND` or `gas COMMAND -h` shows a command's options."]
    click.echo("\n".join(lines))
