"""`gas init | status | add | rm | restore | commit | log`: the offline half of the workflow."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gasvc.cli import render
from gasvc.cli.context import author_name, commit_strict, commit_time, pathspecs, workspace
from gasvc.cli.quiet import quiet_option


@click.command()
@click.option("--no-remote", is_flag=True, help="Work offline; set a remote later.")
@click.option("--fusion", is_flag=True,
              help="A fusion dataset: sensors and frames (see docs/workspace.md).")
@click.argument("dataset", required=False)
def init(dataset: str | None, no_remote: bool, fusion: bool) -> None:
    """Make the current folder a workspace of DATASET (default: the folder name).

    The dataset is created on the server (see `gas auth`) if it does not exist yet (with
    --fusion, a fusion dataset: each segment holds sensors.json and frames.jsonl); with
    --no-remote nothing is asked of any server.

    \b
    Example:
      gas init cats
      gas init --no-remote
    """
    from gasvc.cli import setup  # the HTTP client loads only for commands that need it

    result = setup.init_workspace(Path.cwd(), dataset, no_remote, fusion)
    click.echo("\n".join(setup.init_lines(result)))


@click.command("status")
@click.option("--porcelain", is_flag=True, help="git's v1 two-letter codes, one path a line.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--ignored", is_flag=True, help="Also list the files .gasignore rules ignore.")
def status_cmd(porcelain: bool, as_json: bool, ignored: bool) -> None:
    """Show staged, unstaged and untracked changes.

    \b
    Example:
      gas status --porcelain
      gas status --ignored
    """
    with workspace() as ws:
        result = ws.status(ignored)
    if as_json:
        click.echo(render.as_json(render.status_json(result)))
    else:
        lines = render.status_porcelain(result) if porcelain else render.status_long(result)
        click.echo("\n".join(lines))


@click.command("add")
@quiet_option()
@click.option("-A", "--all", "everything", is_flag=True, help="Stage every change.")
@click.option("-f", "--force", is_flag=True, help="Add files .gasignore rules ignore, too.")
@click.argument("paths", nargs=-1)
def add_cmd(paths: tuple[str, ...], everything: bool, force: bool) -> None:
    """Stage files, their labels (metadata.jsonl) and catalog.json.

    Files that .gasignore rules (or the built-in ones) ignore are left out; naming one is
    refused unless -f.

    \b
    Example:
      gas add train/images/0001.jpg train/metadata.jsonl
      gas add -A
      gas add -f train/notes~
    """
    with workspace() as ws:
        from gasvc.workspace.worktree import pathspec

        ws.require_finished("add")
        specs = [pathspec.EVERYTHING] if everything else pathspecs(ws.layout, ws.state, paths)
        if not specs:
            raise click.UsageError("nothing specified, nothing added (give paths or -A)")
        result = ws.add(specs, force=force)
    for line in render.dropped_labels(result.dropped):
        click.echo(line)


@click.command("rm")
@quiet_option()
@click.option("--cached", is_flag=True, help="Only unstage; keep the files.")
@click.option("-f", "--force", is_flag=True, help="Delete files even with unstaged changes.")
@click.argument("paths", nargs=-1, required=True)
def rm_cmd(paths: tuple[str, ...], cached: bool, force: bool) -> None:
    """Remove files (and their labels) from the index, and from disk unless --cached.

    \b
    Example:
      gas rm train/images/0001.jpg
    """
    with workspace() as ws:
        ws.require_finished("remove files")
        specs = pathspecs(ws.layout, ws.state, paths)
        result = ws.rm(specs, cached, force)
    click.echo(f"removed {result.removed} file{'s' if result.removed != 1 else ''}")


@click.command("commit")
@quiet_option(pass_flag=True)
@click.option("-m", "--message", required=True, help="The commit message.")
@click.option("-a", "--all", "all_tracked", is_flag=True,
              help="Stage changes of tracked files first.")
@click.option("--strict/--no-strict", default=None,
              help="Refuse labels that do not fit catalog.json (default: warn; the"
                   " commit.strict setting).")
def commit_cmd(message: str, all_tracked: bool, strict: bool | None, quiet: bool) -> None:
    """Record the staged changes as a local commit (offline).

    Changed labels that do not fit catalog.json are committed with a warning (the server
    accepts them); --strict, or `gas config commit.strict true`, refuses them.

    \b
    Example:
      gas commit -m "Relabel dogs"
      gas commit --strict -m "Relabel dogs"
    """
    from gasvc.workspace.versions.commit import NothingToCommit

    with workspace() as ws:
        ws.require_finished("commit")  # before GAS_COMMIT_DATE is read, as ever
        refuse_misfits = commit_strict(strict)
        try:
            result = ws.commit(message, author_name(), commit_time(), all_tracked,
                               refuse_misfits)
        except NothingToCommit as error:
            click.echo(error.message, err=quiet)  # quiet or not, it is said
            sys.exit(1)
    for line in render.misfit_warning(result.misfits):
        click.echo(line, err=True)
    for line in render.dropped_labels(result.dropped):
        click.echo(line)
    where = result.branch or "detached HEAD"
    click.echo(f"[{where} {result.commit.id[:7]}] {result.commit.title}")
    click.echo(f" {result.changes} change{'s' if result.changes != 1 else ''}")


class LogCommand(click.Command):
    """git's `-N` (e.g. `gas log -3`) is `-n N`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = [f"-n{arg[1:]}" if arg[:1] == "-" and arg[1:].isdigit() else arg for arg in args]
        return super().parse_args(ctx, args)


@click.command("log", cls=LogCommand)
@click.option("-n", "--max-count", type=click.IntRange(min=0), help="Show at most N commits.")
@click.option("--oneline", is_flag=True, help="One line per commit.")
@click.option("--graph", is_flag=True, help="Draw the lines of history beside the commits.")
@click.option("--all", "every_ref", is_flag=True,
              help="Commits of every branch, remote branch and tag, not only HEAD's.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("revision", required=False)
def log_cmd(revision: str | None, max_count: int | None, oneline: bool, graph: bool,
            every_ref: bool, as_json: bool) -> None:
    """Show commits, newest first; pushed ones under the server's commit ids. REVISION may be
    a range, A..B: the commits of B that A does not have.

    \b
    Example:
      gas log --oneline -5
      gas log --graph --all --oneline
      gas log --oneline main..exp
    """
    if every_ref and revision is not None:
        raise click.UsageError("give a REVISION or --all, not both")
    with workspace() as ws:
        if revision is not None:
            from gasvc.cli.revision import resolve_range_arg  # loads the HTTP client

            revision = resolve_range_arg(ws.state, revision)
        found = ws.log(revision, max_count, every_ref)
    if as_json:
        click.echo(render.as_json([render.commit_json(c, d) for c, d, _ in found]))
    elif not found:
        if revision is None or ".." not in revision:  # an empty range prints nothing, as git
            click.echo("no commits yet")
    else:
        from gasvc.cli.terminal import page

        lines = render.log_lines(found, oneline, graph)
        page(lines[:-1] if lines[-1] == "" else lines)




@click.command("check-ignore")
@click.option("-v", "--verbose", is_flag=True,
              help="Show the rule that decides: SOURCE:LINE:PATTERN, a tab, the path.")
@click.argument("paths", nargs=-1, required=True)
def check_ignore_cmd(paths: tuple[str, ...], verbose: bool) -> None:
    """Print the PATHs the ignore rules ignore (exit 1 when none); tracked files never are.

    \b
    Example:
      gas check-ignore -v train/.DS_Store train/a.jpg
    """
    from gasvc.cli.context import workspace_paths
    with workspace() as ws:
        found = ws.check_ignore(workspace_paths(ws.layout, ws.state, paths))
    shown = 0
    for raw, (rule, ignored) in zip(paths, found, strict=True):
        if verbose and rule is not None:
            click.echo(f"{rule.source}:{rule.line}:{rule.pattern}\t{raw}")
            shown += 1
        elif ignored and not verbose:
            click.echo(raw)
            shown += 1
    sys.exit(0 if shown else 1)
