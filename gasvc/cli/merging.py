"""`gas merge | reset | revert | cherry-pick | stash`."""

from __future__ import annotations

import sys

import click

from gasvc.cli.context import author_name, commit_time, server, workspace
from gasvc.cli.revision import resolve_revision_arg
from gasvc.workspace.facade import Workspace
from gasvc.workspace.store.conflicts import ShownConflict, conflict_lines
from gasvc.workspace.versions.merging import MergeOutcome


def _conflicts_stop(outcome: MergeOutcome, command: str) -> None:
    """Tell what conflicts and how to go on; exit 1 like git."""
    click.echo(f"Automatic {command.split()[-1]} stopped: {len(outcome.conflicts)} "
               f"conflict{'s' if len(outcome.conflicts) != 1 else ''}:"
               f"{conflict_lines(outcome.conflicts)}")
    click.echo("Resolve them (edit the file or metadata.jsonl, then `gas add`; or `gas checkout "
               f"--ours|--theirs PATH`), then `{command} --continue`; `{command} --abort` "
               "undoes it.")
    sys.exit(1)


def _outcome(outcome: MergeOutcome, command: str) -> None:
    commit = outcome.commit
    if outcome.action == "up-to-date":
        click.echo("Already up to date.")
    elif outcome.action == "empty":
        click.echo("Nothing to do: its changes are already in HEAD.")
    elif outcome.action == "fast-forward" and commit is not None:
        click.echo(f"Fast-forward to {commit.shown_id[:7]} {commit.title}")
    elif outcome.action == "merged" and commit is not None:
        click.echo(f"[{commit.id[:7]}] {commit.title}")
    elif outcome.action == "staged":
        click.echo(f"Its result is staged; `{command} --continue` commits it (or `gas commit`).")
    else:
        _conflicts_stop(outcome, command)


def _continue(ws: Workspace, message: str | None) -> None:
    result = ws.merge_continue(server(ws), author_name(), commit_time(), message)
    click.echo(f"[{result.branch or 'detached HEAD'} {result.commit.id[:7]}] "
               f"{result.commit.title}")


@click.command("merge")
@click.option("-m", "--message", help="The merge commit's message.")
@click.option("--ours", "prefer", flag_value="ours", help="Settle conflicts with our side.")
@click.option("--theirs", "prefer", flag_value="theirs",
              help="Settle conflicts with their side.")
@click.option("--no-commit", is_flag=True, help="Stage the merge result; do not commit it.")
@click.option("--abort", "abort", is_flag=True, help="Undo the merge in progress.")
@click.option("--continue", "go_on", is_flag=True,
              help="Commit the merge in progress once its conflicts are resolved.")
@click.argument("revision", required=False)
def merge_cmd(revision: str | None, message: str | None, prefer: str | None, no_commit: bool,
              abort: bool, go_on: bool) -> None:
    """Merge a branch or commit into HEAD: labels field by field (docs/merge.md).

    \b
    Example:
      gas merge relabel
      gas merge --continue
      gas merge --abort
    """
    with workspace() as ws:
        if abort or go_on:
            if revision or (abort and go_on):
                raise click.UsageError("--abort and --continue take no REVISION, nor each other")
            if abort:
                ws.merge_abort(server(ws))
                click.echo("Merge aborted: the working tree and index are back at HEAD.")
            else:
                _continue(ws, message)
            return
        if not revision:
            raise click.UsageError("give the BRANCH or REVISION to merge")
        name = resolve_revision_arg(ws.state, revision)
        outcome = ws.merge(name, server(ws), author_name(), commit_time(), message, prefer,
                           no_commit)
    _outcome(outcome, "gas merge")


def _pick(kind: str, revision: str | None, abort: bool, go_on: bool, no_commit: bool) -> None:
    with workspace() as ws:
        if abort:
            ws.merge_abort(server(ws))
            click.echo(f"{kind} aborted: the working tree and index are back at HEAD.")
            return
        if go_on:
            _continue(ws, None)
            return
        if not revision:
            raise click.UsageError("give the REVISION")
        name = resolve_revision_arg(ws.state, revision)
        outcome = ws.pick(kind, name, server(ws), author_name(), commit_time(), no_commit)
    _outcome(outcome, f"gas {kind}")


@click.command("revert")
@click.option("--no-commit", is_flag=True, help="Stage the result; do not commit it.")
@click.option("--abort", is_flag=True, help="Undo the revert in progress.")
@click.option("--continue", "go_on", is_flag=True, help="Commit it once conflicts are resolved.")
@click.argument("revision", required=False)
def revert_cmd(revision: str | None, no_commit: bool, abort: bool, go_on: bool) -> None:
    """Make a commit that undoes REVISION's changes (label fields changed since are kept).

    \b
    Example:
      gas revert HEAD~2
    """
    _pick("revert", revision, abort, go_on, no_commit)


@click.command("cherry-pick")
@click.option("--no-commit", is_flag=True, help="Stage the result; do not commit it.")
@click.option("--abort", is_flag=True, help="Undo the cherry-pick in progress.")
@click.option("--continue", "go_on", is_flag=True, help="Commit it once conflicts are resolved.")
@click.argument("revision", required=False)
def cherry_pick_cmd(revision: str | None, no_commit: bool, abort: bool, go_on: bool) -> None:
    """Apply REVISION's changes onto HEAD as a new commit.

    \b
    Example:
      gas cherry-pick relabel~1
    """
    _pick("cherry-pick", revision, abort, go_on, no_commit)


@click.command("reset")
@click.option("--soft", "mode", flag_value="soft", help="Move the branch only.")
@click.option("--mixed", "mode", flag_value="mixed", default=True,
              help="Move the branch and the index (the default).")
@click.option("--hard", "mode", flag_value="hard",
              help="Move the branch, the index and the working tree (discards changes).")
@click.argument("revision", required=False, default="HEAD")
def reset_cmd(revision: str, mode: str) -> None:
    """Move the current branch to REVISION (default HEAD).

    \b
    Example:
      gas reset --hard HEAD~1
      gas reset --soft HEAD~2
    """
    with workspace() as ws:
        name = resolve_revision_arg(ws.state, revision)
        result = ws.reset(name, mode, server(ws))
    click.echo(f"HEAD is now at {result.commit.shown_id[:7]} {result.commit.title}")


@click.command("stash")
@click.option("-m", "--message", help="A message for `stash push`.")
@click.argument("action", required=False, default="push",
                type=click.Choice(["push", "pop", "apply", "list", "drop"]))
@click.argument("entry", required=False, default="stash@{0}")
def stash_cmd(action: str, entry: str, message: str | None) -> None:
    """Put uncommitted changes aside (push), bring them back (pop, apply), list, drop.

    \b
    Example:
      gas stash
      gas stash pop
      gas stash drop stash@{1}
    """
    position = _position(entry)
    with workspace() as ws:
        if action == "push":
            saved = ws.stash_push(message, commit_time(), server(ws))
            click.echo(f"Saved working directory and index state: {saved.message}")
        elif action in ("pop", "apply"):
            ws.stash_pop(server(ws), position, keep=action == "apply")
            click.echo(f"Applied stash@{{{position}}}" + (" and dropped it" if action == "pop"
                                                          else ""))
        elif action == "list":
            for found in ws.stash_list():
                click.echo(f"stash@{{{found.position}}}: On {found.branch or '(no branch)'}: "
                           f"{found.message}")
        else:
            ws.stash_drop(position)
            click.echo(f"Dropped stash@{{{position}}}")


def _position(entry: str) -> int:
    text = entry.removeprefix("stash@{").removesuffix("}")
    if not text.isdigit():
        raise click.BadParameter(f"{entry!r} is no stash entry (stash@{{N}} or N)")
    return int(text)


def unmerged_lines(conflicts: list[ShownConflict]) -> list[str]:
    """`gas diff`'s section for a merge in progress: each conflict's three sides."""
    if not conflicts:
        return []
    return [f"Unmerged ({len(conflicts)} conflicts; base, ours, theirs):"
            f"{conflict_lines(conflicts, limit=1000)}", ""]
