"""`gas draft list | show | commit | close` and `gas tag`: versions that live on the server."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

import click

from gasvc.cli import render
from gasvc.cli.context import server, server_now, workspace
from gasvc.cli.quiet import quiet_option
from gasvc.cli.revision import resolve_draft_arg, resolve_revision_arg
from gasvc.workspace.sync.drafts import DraftDetails, DraftInfo
from gasvc.workspace.sync.tags import TagInfo


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _draft_line(draft: DraftInfo) -> str:
    return (f"#{draft.number:<4} {draft.status:<9} {draft.branch:<12} {draft.author:<10} "
            f"{_date(draft.updated)}  {draft.title}")


def _details_lines(details: DraftDetails) -> list[str]:
    draft = details.draft
    lines = [f"draft #{draft.number}: {draft.title}", f"Status: {draft.status}",
             f"Branch: {draft.branch} (based on {draft.base[:7]})",
             f"Author: {draft.author}, {_date(draft.created)}", f"Updated: {_date(draft.updated)}"]
    if draft.description:
        lines += ["", *[f"    {line}" for line in draft.description.splitlines()]]
    if details.changes:
        lines += ["", "Changes:"]
    for change in details.changes:
        lines.append(f"    {change.action:<7} {change.segment}  (+{change.additions} "
                     f"-{change.deletions} ~{change.modifications})")
    return lines


@click.group("draft")
def draft() -> None:
    """Review and finish drafts: those `gas push --draft` made, or anyone else's.

    \b
    Example:
      gas draft list
      gas draft commit 3 -m "Relabel dogs"
    """


@draft.command("list")
@click.option("--all", "every", is_flag=True, help="Also closed and committed drafts.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def draft_list(every: bool, as_json: bool) -> None:
    """List the open drafts of the dataset (all of them with --all).

    \b
    Example:
      gas draft list --all --json
    """
    with workspace() as ws:
        found = ws.drafts(server(ws), every)
    if as_json:
        click.echo(render.as_json([asdict(d) for d in found]))
    elif found:
        click.echo("\n".join(_draft_line(d) for d in found))
    else:
        click.echo("no open drafts" if not every else "no drafts")


@draft.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("number")
def draft_show(number: str, as_json: bool) -> None:
    """Show draft NUMBER (also #N or tb:DATASET#N) and what it changes.

    \b
    Example:
      gas draft show 3
    """
    with workspace() as ws:
        details = ws.show_draft(server_now(ws), resolve_draft_arg(ws.state, number))
    if as_json:
        click.echo(render.as_json(asdict(details)))
    else:
        click.echo("\n".join(_details_lines(details)))


@draft.command("commit")
@click.option("-m", "--message", required=True, help="The commit message.")
@click.argument("number")
def draft_commit(number: str, message: str) -> None:
    """Commit draft NUMBER on the server; its branch moves to the new commit.

    \b
    Example:
      gas draft commit 3 -m "Relabel dogs"
    """
    with workspace() as ws:
        done = ws.commit_draft(server_now(ws), resolve_draft_arg(ws.state, number), message)
    click.echo(f"[{done.draft.branch} {done.commit_id[:7]}] {message.splitlines()[0]}")
    if done.local is None:
        click.echo("run `gas pull` to bring the commit into this workspace")


@draft.command("close")
@click.argument("number")
def draft_close(number: str) -> None:
    """Close draft NUMBER without committing it.

    \b
    Example:
      gas draft close 3
    """
    with workspace() as ws:
        closed = ws.close_draft(server_now(ws), resolve_draft_arg(ws.state, number))
    click.echo(f"Closed draft #{closed.number} ({closed.title})")


# tags -----------------------------------------------------------------------------------
def _tag_line(tag: TagInfo) -> str:
    where = "" if tag.local and tag.server else (" [local only]" if tag.local
                                                 else " [server only]")
    return f"{tag.name:<20} {tag.commit[:7]} {tag.title}{where}".rstrip()


@click.command("tag")
@quiet_option(listing_when_no="name")
@click.option("-d", "--delete", is_flag=True, help="Delete tag NAME.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable listing.")
@click.argument("name", required=False)
@click.argument("revision", required=False, default="HEAD")
def tag(name: str | None, revision: str, delete: bool, as_json: bool) -> None:
    """List tags, tag REVISION (default HEAD) as NAME, or delete NAME with -d.

    Tags are made on the server, so the commit must be pushed first. REVISION may be a TBRN,
    tb:DATASET@REVISION.

    \b
    Example:
      gas tag v1.0
      gas tag v0.9 HEAD~1
      gas tag -d v0.9
    """
    if name is None:
        _list_tags(as_json)
    elif delete:
        with workspace() as ws:
            gone = ws.delete_tag(server(ws), name)
        click.echo(f"Deleted tag {gone.name} (was {gone.commit[:7]})")
    else:
        with workspace() as ws:
            commit = resolve_revision_arg(ws.state, revision)
            made = ws.create_tag(server(ws), name, commit)
        click.echo(f"Tagged {made.commit[:7]} {made.title} as {made.name}")


def _list_tags(as_json: bool) -> None:
    """Local tags, and the server's when the workspace has a remote."""
    with workspace() as ws:
        found = ws.tags(server(ws))
    if as_json:
        click.echo(render.as_json([asdict(t) for t in found]))
    elif found:
        click.echo("\n".join(_tag_line(t) for t in found))
