"""`gas clone | fetch | pull | push`, and the server-backed helpers checkout and restore use."""

from __future__ import annotations

from pathlib import Path

import click

from gasvc.cli import connect, render
from gasvc.cli.context import server, workspace
from gasvc.cli.progress import Bar
from gasvc.cli.quiet import quiet_option
from gasvc.model.tbrn import TBRN, TBRNError, is_tbrn, parse_tbrn
from gasvc.workspace.sync.clone import clone
from gasvc.workspace.sync.connection import DEFAULT_JOBS

JOBS = click.option("-j", "--jobs", type=click.IntRange(1, 64), default=DEFAULT_JOBS,
                    show_default=True, help="Transfers running at once.")
QUIET = quiet_option(pass_flag=True)  # also no progress bar


@click.command("clone")
@click.argument("dataset")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("-b", "--branch", help="Branch, tag or commit to clone (default: the default "
              "branch).")
@JOBS
@QUIET
def clone_cmd(dataset: str, directory: Path | None, branch: str | None, jobs: int,
              quiet: bool) -> None:
    """Copy a dataset from the server into a new workspace: its default branch, or the
    revision given by -b or as tb:DATASET@REVISION. Whole datasets only: a TBRN naming a
    segment or file (tb:DATASET:SEGMENT://PATH) is refused (`gas ls` lists those).

    \b
    Example:
      gas clone mnist
      gas clone tb:mnist@v1.0 mnist-v1
    """
    name, revision = clone_source(dataset, branch)
    root = (directory or Path(name)).absolute()
    with Bar(quiet) as bar:
        result = clone(connect.client(), name, revision, root, jobs, bar)
    where = f"branch {result.branch}" if result.branch else f"commit {(result.commit or '')[:7]}"
    again = " (resumed)" if result.resumed else ""
    click.echo(f"Cloned {name} ({where}) into {root}{again}: {result.files} files, "
               f"{result.downloaded} downloaded")


def clone_source(dataset: str, branch: str | None) -> tuple[str, str | None]:
    """(dataset name, revision) to clone from `NAME` or `tb:NAME[@REV]` and `-b REV`."""
    if not is_tbrn(dataset):
        return dataset, branch
    parsed = parse_tbrn(dataset)
    whole = str(TBRN(parsed.dataset, parsed.revision, parsed.draft))
    if parsed.segment is not None:
        raise TBRNError(f"{dataset!r} names a segment or file: gas clones whole datasets only "
                        "(no sparse clone)", f"clone the whole dataset with `gas clone {whole}`; "
                        f"list those files with `gas ls {dataset}`")
    if parsed.draft is not None:
        raise TBRNError(f"{dataset!r} is a draft; a workspace is cloned from a commit",
                        f"clone the dataset (`gas clone tb:{parsed.dataset}`), then see the "
                        f"draft with `gas draft show {parsed.draft}`")
    if parsed.revision and branch and parsed.revision != branch:
        raise TBRNError(f"{dataset!r} names revision {parsed.revision!r} but -b names "
                        f"{branch!r}", "give the revision once")
    return parsed.dataset, branch or parsed.revision


@click.command("fetch")
@quiet_option()
def fetch_cmd() -> None:
    """Get the server's branches, tags and commit history (no files).

    \b
    Example:
      gas fetch && gas log origin/main
    """
    with workspace() as ws:
        result = ws.fetch(server(ws))
    for update in result.branches:
        click.echo(render.ref_update("origin/" + update.name, update.old, update.new))
    for update in result.tags:
        click.echo(render.ref_update("tag " + update.name, update.old, update.new))


@click.command("pull")
@click.option("-f", "--force", is_flag=True, help="Discard local changes in the way.")
@click.option("--ours", "prefer", flag_value="ours", help="Settle conflicts with your version.")
@click.option("--theirs", "prefer", flag_value="theirs",
              help="Settle conflicts with the server's version.")
@JOBS
@QUIET
def pull_cmd(force: bool, prefer: str | None, jobs: int, quiet: bool) -> None:
    """Fetch, then bring the current branch up to the server's (fast-forward, or replay local
    commits on top of the server's).

    \b
    Example:
      gas pull
      gas pull --theirs
    """
    with workspace() as ws, Bar(quiet) as bar:
        result = ws.pull(server(ws), force, prefer, jobs, bar)
    click.echo(render.pull_summary(result))


@click.command("push")
@click.option("--draft", "leave_draft", is_flag=True,
              help="Leave the last commit as an open draft on the server (to review).")
@JOBS
@QUIET
def push_cmd(leave_draft: bool, jobs: int, quiet: bool) -> None:
    """Send the current branch's new commits to the server.

    \b
    Example:
      gas push
      gas push --draft
    """
    with workspace() as ws, Bar(quiet) as bar:
        result = ws.push(server(ws), leave_draft, jobs, bar)
    click.echo("\n".join(render.push_lines(result)))
