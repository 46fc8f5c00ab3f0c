"""`gas branch | checkout | switch | restore`."""

from __future__ import annotations

import click

from gasvc.cli import render
from gasvc.cli.context import pathspecs, server, workspace
from gasvc.cli.quiet import quiet_option
from gasvc.cli.revision import resolve_revision_arg


@click.command("branch")
@quiet_option(listing_when_no="name")
@click.option("-d", "--delete", "delete", is_flag=True, help="Delete branch NAME.")
@click.option("-a", "--all", "include_remote", is_flag=True, help="Also list remote branches.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("name", required=False)
@click.argument("start", required=False)
def branch_cmd(name: str | None, start: str | None, delete: bool, include_remote: bool,
               as_json: bool) -> None:
    """List branches, create NAME at START (default HEAD), or delete NAME with -d.

    \b
    Example:
      gas branch experiment
      gas branch -d experiment
    """
    with workspace() as ws:
        if name is None:
            found = ws.branches(include_remote)
            if as_json:
                click.echo(render.as_json([b.__dict__ for b in found]))
            for b in [] if as_json else found:
                mark = "*" if b.current else " "
                click.echo(f"{mark} {b.name:<20} {(b.commit or '')[:7]} {b.title}".rstrip())
        elif delete:
            ws.delete_branch(name)
            click.echo(f"Deleted branch {name}")
        else:
            start = resolve_revision_arg(ws.state, start) if start else None
            commit = ws.create_branch(name, start)
            click.echo(f"Created branch {name} at {commit.shown_id[:7]}")


def _checkout(revision: str, force: bool, new_branch: str | None, quiet: bool) -> None:
    with workspace() as ws:
        revision = resolve_revision_arg(ws.state, revision)
        result = ws.checkout(revision, server(ws), force, new_branch)
    moved = result.moved
    if (moved.written or moved.deleted) and not quiet:
        click.echo(f"{moved.written} files written, {moved.deleted} deleted", err=True)
    if result.branch is not None:
        click.echo(f"Switched to branch '{result.branch}'")
    elif result.commit is not None:
        click.echo(f"HEAD is now at {result.commit.shown_id[:7]} {result.commit.title}")


@click.command("checkout")
@quiet_option(pass_flag=True)
@click.option("-b", "new_branch", help="Create branch NEW_BRANCH at REVISION and switch to it.")
@click.option("-f", "--force", is_flag=True, help="Discard local changes in the way.")
@click.option("--ours", "side", flag_value="ours",
              help="During a merge: PATHs' conflicts take our side.")
@click.option("--theirs", "side", flag_value="theirs",
              help="During a merge: PATHs' conflicts take their side.")
@click.argument("revision", required=False, default="")
@click.argument("paths", nargs=-1)
def checkout_cmd(revision: str, paths: tuple[str, ...], new_branch: str | None, force: bool,
                 quiet: bool, side: str | None) -> None:
    """Switch to a branch, or to a commit or tag (detached HEAD); during a merge, --ours or
    --theirs PATH... resolves PATHs' conflicts with that side.

    \b
    Example:
      gas checkout v1.0
      gas checkout -b experiment
      gas checkout --theirs train/metadata.jsonl
    """
    if side is not None:
        _checkout_side(side, (revision, *paths) if revision else paths)
        return
    if paths:
        raise click.UsageError("checkout takes one REVISION (paths only with --ours/--theirs)")
    if not revision and new_branch is None:
        raise click.UsageError("give a REVISION, or -b NEW_BRANCH")
    _checkout(revision or "HEAD", force, new_branch, quiet)


def _checkout_side(side: str, paths: tuple[str, ...]) -> None:
    if not paths:
        raise click.UsageError(f"--{side} needs the PATHs whose conflicts take that side")
    with workspace() as ws:
        done = ws.checkout_side(side, pathspecs(ws.layout, ws.state, paths), server(ws))
    for conflict in done:
        click.echo(f"Resolved {render.shown(conflict.path)} ({conflict.where}) with {side}")


@click.command("switch")
@quiet_option(pass_flag=True)
@click.option("-c", "--create", "create", is_flag=True, help="Create the branch first.")
@click.option("-f", "--force", is_flag=True, help="Discard local changes in the way.")
@click.argument("branch")
def switch_cmd(branch: str, create: bool, force: bool, quiet: bool) -> None:
    """Switch to BRANCH.

    \b
    Example:
      gas switch main
    """
    _checkout("HEAD" if create else branch, force, branch if create else None, quiet)


@click.command("restore")
@quiet_option()
@click.option("--staged", is_flag=True, help="Unstage: the index takes HEAD's version again.")
@click.argument("paths", nargs=-1, required=True)
def restore_cmd(paths: tuple[str, ...], staged: bool) -> None:
    """Discard changes of files and labels in the working tree (or unstage with --staged).

    \b
    Example:
      gas restore train/images/0001.jpg
      gas restore --staged train/metadata.jsonl
    """
    with workspace() as ws:
        specs = pathspecs(ws.layout, ws.state, paths)
        if staged:
            ws.unstage(specs)
            return
        ws.restore(specs, server(ws))
