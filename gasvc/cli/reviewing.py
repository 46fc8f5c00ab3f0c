"""`gas review`: the changes `gas diff` would show, on a local web page with the images and
their labels drawn over them, label statistics, and a draft's commit and close buttons."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gasvc.cli.context import pathspecs, server, server_now, workspace
from gasvc.cli.diffing import PathsAfterDashes, revision_args
from gasvc.cli.render_diff import field_line, item_text
from gasvc.cli.revision import resolve_draft_arg
from gasvc.errors import ClientError
from gasvc.model.labeldiff import field_changes
from gasvc.review.session import DraftActions
from gasvc.workspace import Workspace
from gasvc.workspace.diff.diff_result import DiffRequest, DiffResult
from gasvc.workspace.sync.connection import Connect, Connection
from gasvc.workspace.sync.drafts import DraftInfo

if TYPE_CHECKING:
    from gasvc.api.client import ApiClient


class PortInUse(ClientError):
    """`gas review --port P` with P taken."""


@click.command("review", cls=PathsAfterDashes)
@click.option("--staged", "--cached", "staged", is_flag=True,
              help="Review the index against HEAD (or against REV).")
@click.option("--draft", metavar="N", help="Review draft N (#N, tb:DATASET#N) against its base, "
                                           "with buttons to commit or close it.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Print the page's URL; open no browser.")
@click.argument("revisions", nargs=-1, metavar="[REV [REV]]")
@click.pass_context
def review_cmd(ctx: click.Context, revisions: tuple[str, ...], staged: bool, draft: str | None,
               port: int, no_browser: bool) -> None:
    """Review changes on a local web page, on the images with their labels.

    What `gas diff` compares with the same arguments, item by item: each image before and
    after with its labels drawn over it (removed, added and changed shapes told apart), the
    field-level diff, label statistics, and filters. With --draft N, the draft against its
    base, with buttons to commit or close it.

    The page is served on 127.0.0.1 until Ctrl-C; its URL carries a session token.
    Revisions only on the server are read from it: only the files opened are fetched.

    \b
    Example:
      gas review
      gas review v1 main
      gas review --draft 3
    """
    from gasvc.review.files import FileSource
    from gasvc.review.serve import listen, serve
    from gasvc.review.session import Review, server_versions

    if draft is not None and (revisions or staged):
        raise click.UsageError("--draft reviews a draft against its base: give no revisions")
    with workspace() as ws:
        specs = tuple(pathspecs(ws.layout, ws.state, ctx.meta.get("paths", ())))
        request = DiffRequest(revision_args(ws, revisions), staged, specs, details=False,
                              labels=True)
        info: DraftInfo | None = None
        if draft is not None:
            number = resolve_draft_arg(ws.state, draft)
            info, result = ws.diff_draft(server_now(ws), number, request)
        else:
            result = ws.diff(request, server(ws))
        versions = server_versions(ws.state, result)
        layout = ws.layout
    try:
        sock = listen(port)
    except OSError as error:
        raise PortInUse(f"cannot listen on 127.0.0.1:{port}: {error.strerror}",
                        "give another --port, or leave it out for a free one") from None
    root = layout.root
    with tempfile.TemporaryDirectory(prefix="gas-review-") as cache:
        review = Review(result, FileSource(layout, Path(cache),
                                           lambda: Connection(*_connect(root)(), layout)),
                        versions, item_text, catalog_lines(result))
        if info is not None:
            review.draft = _draft_actions(root, info)
        serve(review, sock, not no_browser, _announce)


def _announce(url: str) -> None:
    click.echo(f"gas review: {url}")
    click.echo("(Ctrl-C stops it)", err=True)
    sys.stdout.flush()


def catalog_lines(result: DiffResult) -> list[str]:
    """The catalog's change as `gas diff` prints it ([] when it did not change)."""
    if result.catalog is None:
        return []
    old, new = result.catalogs or ({}, {})
    changes = result.catalog.changes or field_changes(old or None, new or None)
    return [f"{result.catalog.code}  catalog.json", *(f"    {field_line(c)}" for c in changes)]


def _connect(root: Path) -> Connect:
    """The workspace's server, reached from whichever thread calls (each opens the workspace's
    database for itself: a connection to it serves one thread)."""
    def connect() -> tuple[ApiClient, str]:
        with Workspace.open(root) as ws:
            return server(ws)()
    return connect


def _draft_actions(root: Path, info: DraftInfo) -> DraftActions:
    def commit(message: str) -> str:
        with Workspace.open(root) as ws:
            done = ws.commit_draft(server(ws), info.number, message.strip() or info.title)
        return f"committed draft #{info.number} as {done.commit_id[:7]} on {done.draft.branch}"

    def close() -> str:
        with Workspace.open(root) as ws:
            ws.close_draft(server(ws), info.number)
        return f"closed draft #{info.number}"

    return DraftActions(info.number, info.title, info.branch, commit, close)
