"""The tensorbay CLI's `gas draft | commit | branch | tag` with a `tb:` TBRN, on the server.

Arguments, options and output are the tensorbay CLI's (tensorbay/cli/draft.py, commit.py,
branch.py, tag.py); errors are gas's: a message and a hint.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from textwrap import indent

import click

from gasvc.api.client import ApiClient
from gasvc.cli import connect
from gasvc.cli.setup import profile_option
from gasvc.cli.tensorbay_data import parse_dataset_tbrn
from gasvc.cli.tensorbay_setup import editor
from gasvc.errors import EmptyMessage, InvalidParams, ResourceNotExist
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.tbrn import TBRN
from gasvc.workspace.store.layout import NotAWorkspace, find_workspace
from gasvc.workspace.store.state import State
from gasvc.workspace.sync import datasets, drafts, remote_ops
from gasvc.workspace.sync.datasets import DatasetInfo
from gasvc.workspace.sync.remote import get_remote

DRAFT_HINT = """
# Please enter the message for your draft.
# Lines starting with '#' will be ignored.
# And an empty draft message aborts the creation.
"""
COMMIT_HINT = """
# Please enter the commit message for your changes.
# The Default commit message is set as the draft title.
# Lines starting with '#' will be ignored.
# And an empty commit message aborts the commit.
"""
SORT_HELP = ('Sort by "name" or "commit_date"; a leading "-" sorts in descending order.')


message_option = click.option("-m", "--message", multiple=True,
                              help="The title; more -m options add description lines.")


def edit_message(messages: tuple[str, ...], title: str, description: str, hint: str
                 ) -> tuple[str, str]:
    """(title, description) from -m options, else from the editor (as the tensorbay CLI)."""
    if messages:
        return messages[0], "\n".join(messages[1:])
    if not sys.stdin.isatty():  # a script: no editor to wait for
        raise EmptyMessage("no message given", 'give one with -m "TITLE"')
    start = "\n".join([title, *(["", description] if description else []), hint])
    text = click.edit(start, editor=editor(), require_save=False) or ""
    lines = [line.rstrip() for line in text.splitlines() if line and not line.startswith("#")]
    return (lines[0].lstrip(), "\n".join(lines[1:])) if lines else ("", "")


def _require_message(title: str, doing: str) -> None:
    if not title:
        raise EmptyMessage(f"aborting {doing} due to empty message", 'give one with -m "TITLE"')


# draft ----------------------------------------------------------------------------------
def _draft_lines(client: ApiClient, dataset: DatasetInfo, branch: str, title: str,
                 description: str) -> list[str]:
    head = remote_ops.require_branch(client, dataset, branch).commit
    at = f"({head})" if head != ROOT_COMMIT else ""
    text = (title or "<no title>") + (f"\n\n{indent(description, '    ')}" if description
                                      else "")
    return [f"Branch:{branch}{at}", "", f"    {text}", ""]


@click.command("draft")
@profile_option
@click.argument("tbrn")
@click.option("-l", "--list", "is_list", is_flag=True, help="List the drafts.")
@click.option("-e", "--edit", is_flag=True, help="Edit the draft's title and description.")
@click.option("-c", "--close", is_flag=True, help="Close the draft.")
@message_option
def draft(tbrn: str, is_list: bool, edit: bool, close: bool, message: tuple[str, ...]) -> None:
    """List, create, edit or close drafts on the server (tensorbay's draft).

    \b
    Example:
      gas draft tb:cats -m "Relabel dogs"
      gas draft -l tb:cats
      gas draft tb:cats@dev -m "On dev"
      gas draft -e tb:cats#2 -m "New title" -m "A description"
      gas draft -c tb:cats#2
    """
    target = parse_dataset_tbrn(tbrn, "draft")
    client = connect.client()
    version = remote_ops.open_version(client, target)
    dataset = version.dataset
    if is_list:
        if target.revision is not None:
            raise InvalidParams(f"drafts of revision {target.revision!r} cannot be listed",
                                f"list them all: gas draft -l tb:{dataset.name}")
        found = drafts.list_drafts(client, dataset.id) if target.draft is None else [
            drafts.get_draft(client, dataset.id, target.draft)]
        for one in found:
            click.echo(f"Draft: {TBRN(dataset.name, draft=one.number)}")
            click.echo("\n".join(_draft_lines(client, dataset, one.branch, one.title,
                                              one.description)))
    elif edit or close:
        number = remote_ops.require_draft(version, tbrn)
        if close:
            drafts.close_draft(client, dataset.id, number)
            click.echo(f'Successfully closed draft "{target}"')
            return
        old = drafts.get_draft(client, dataset.id, number)
        title, description = edit_message(message, old.title, old.description, DRAFT_HINT)
        _require_message(title, "updating the draft")
        client.update_draft(dataset.id, number, {"title": title, "description": description})
        click.echo(f'Successfully updated draft "{target}"')
        click.echo("\n".join(_draft_lines(client, dataset, old.branch, title, description)))
    else:
        _create_draft(client, dataset, target, message)


def _create_draft(client: ApiClient, dataset: DatasetInfo, target: TBRN,
                  message: tuple[str, ...]) -> None:
    if target.draft is not None:
        raise InvalidParams(f'a draft cannot be created from draft "{target}"',
                            f"create it on a branch: gas draft tb:{dataset.name}[@BRANCH] -m "
                            "TITLE")
    branch = remote_ops.require_branch(client, dataset, target.revision or
                                       dataset.default_branch).name
    title, description = edit_message(message, "", "", DRAFT_HINT)
    _require_message(title, "creating the draft")
    number = client.create_draft(dataset.id, branch, title, description)
    click.echo(f'Successfully created draft "{TBRN(dataset.name, draft=number)}"')
    click.echo("\n".join(_draft_lines(client, dataset, branch, title, description)))


# commit ---------------------------------------------------------------------------------
@click.command("commit")
@profile_option
@click.argument("tbrn")
@message_option
def commit(tbrn: str, message: tuple[str, ...]) -> None:
    """Commit a draft on the server (tensorbay's commit): its branch moves to the new commit.

    \b
    Example:
      gas commit tb:cats#1 -m "Relabel dogs"
    """
    target = parse_dataset_tbrn(tbrn, "commit")
    client = connect.client()
    version = remote_ops.open_version(client, target)
    number = remote_ops.require_draft(version, tbrn)
    old = drafts.get_draft(client, version.id, number)
    title, description = edit_message(message, old.title, old.description, COMMIT_HINT)
    _require_message(title, "the commit")
    with _workspace_of(client, version.id) as state:
        done = drafts.commit_draft(state, client, version.id, number, f"{title}\n{description}")
    click.echo(f"Committed successfully: {target} -> "
               f"{TBRN(target.dataset, revision=done.commit_id)}")


@contextmanager
def _workspace_of(client: ApiClient, dataset_id: str) -> Iterator[State | None]:
    """The workspace around the cwd when it tracks this dataset on this server: committing a
    draft it pushed (`gas push --draft`) then marks its local commit as pushed, as
    `gas draft commit` does."""
    try:
        layout = find_workspace(Path.cwd())
    except NotAWorkspace:
        yield None
        return
    state = State(layout.state_db)
    try:
        remote = get_remote(state)
        same = remote is not None and remote.dataset_id == dataset_id and \
            remote.url.rstrip("/") == client.site.rstrip("/")
        yield state if same else None
    finally:
        state.close()


# branch and tag -------------------------------------------------------------------------
@click.command("branch")
@profile_option
@click.argument("tbrn")
@click.argument("name", default="")
@click.option("-v", "--verbose", is_flag=True, help="Show short commit id and commit title.")
@click.option("-d", "--delete", "is_delete", is_flag=True, help="Delete the branch.")
@click.option("--sort", default="name", help=SORT_HELP)
def branch(tbrn: str, name: str, verbose: bool, is_delete: bool, sort: str) -> None:
    """List, create or delete branches on the server (tensorbay's branch).

    \b
    Example:
      gas branch tb:cats --verbose
      gas branch tb:cats@v1 fixes
      gas branch -d tb:cats@fixes
    """
    target = parse_dataset_tbrn(tbrn, "branch")
    client = connect.client()
    if is_delete:
        gone = _named(target, "branch")
        dataset = datasets.require_dataset(client, target.dataset)
        remote_ops.require_branch(client, dataset, gone)
        if gone == dataset.default_branch:
            raise InvalidParams(f"{gone!r} is the default branch of {dataset.name!r}; it "
                                "cannot be deleted", "delete another branch")
        client.delete_branch(dataset.id, gone)
        click.echo(f'Successfully deleted branch "{target}"')
        return
    version = remote_ops.open_version(client, target)
    if name:
        _create_ref(client.create_branch, version, target, name, "branch")
        return
    found = remote_ops.sort_refs(remote_ops.branches(client, version.dataset), sort)
    width = max((len(b.name) for b in found), default=0)
    for one in found:
        click.echo(f"{one.name:{width}} {one.commit[:7]} {one.title}" if verbose else one.name)


def _named(target: TBRN, what: str) -> str:
    if target.revision is None:
        raise InvalidParams(f'to delete a {what}, "{target}" must name it',
                            f"write tb:{target.dataset}@NAME")
    return target.revision


@click.command("tag")
@profile_option
@click.argument("tbrn")
@click.argument("name", default="")
@click.option("-d", "--delete", "is_delete", is_flag=True, help="Delete the tag.")
@click.option("--sort", default="name", help=SORT_HELP)
def tag(tbrn: str, name: str, is_delete: bool, sort: str) -> None:
    """List, create or delete tags on the server (tensorbay's tag).

    \b
    Example:
      gas tag tb:cats@main v1.0
      gas tag tb:cats --sort=-commit_date
      gas tag -d tb:cats@v1.0
    """
    target = parse_dataset_tbrn(tbrn, "tag")
    client = connect.client()
    if is_delete:
        gone = _named(target, "tag")
        dataset = datasets.require_dataset(client, target.dataset)
        if gone not in {t.name for t in remote_ops.tags(client, dataset)}:
            raise ResourceNotExist(f"tag {gone!r} does not exist in dataset {dataset.name!r}",
                                   f"see the tags: gas tag tb:{dataset.name}")
        client.delete_tag(dataset.id, gone)
        click.echo(f'Successfully deleted tag "{target}"')
        return
    version = remote_ops.open_version(client, target)
    if name:
        _create_ref(client.create_tag, version, target, name, "tag")
        return
    for one in remote_ops.sort_refs(remote_ops.tags(client, version.dataset), sort):
        click.echo(one.name)


def _create_ref(create: Callable[[str, str, str], None], version: remote_ops.Version,
                target: TBRN, name: str, kind: str) -> None:
    """`gas branch|tag tb:DS@REV NAME`: NAME at the revision's commit, said as tensorbay does."""
    create(version.id, name, remote_ops.commit_of(version, kind))
    click.echo(f'Successfully created {kind} "{TBRN(target.dataset, revision=name)}"')
