"""`gas diff` and `gas show`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from gasvc.cli import render, render_diff
from gasvc.cli.context import pathspecs, server, workspace
from gasvc.cli.terminal import page
from gasvc.workspace import Workspace
from gasvc.workspace.diff.diff_result import DiffRequest, DiffResult

if TYPE_CHECKING:
    from gasvc.workspace.store.conflicts import ShownConflict


class PathsAfterDashes(click.Command):
    """Arguments after `--` are paths (in `ctx.meta["paths"]`), the ones before revisions."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            args, ctx.meta["paths"] = args[:cut], tuple(args[cut + 1:])
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "[-- PATH...]"]


def format_options(command: Any) -> Any:
    for option in reversed([
        click.option("--stat", "fmt", flag_value="stat",
                     help="Counts per segment: files added, modified, deleted; labels."),
        click.option("--name-status", "fmt", flag_value="name-status",
                     help="Only the status letter and path of each change."),
        click.option("--json", "fmt", flag_value="json", help="Machine-readable output."),
    ]):
        command = option(command)
    return command


def revision_args(ws: Workspace, revisions: tuple[str, ...]) -> tuple[str, ...]:
    """Revisions as given, TBRNs (`tb:DATASET@v1`) turned into plain revisions, also on either
    side of a range (`tb:DATASET@v1..tb:DATASET@exp`)."""
    if not any("tb:" in revision for revision in revisions):
        return revisions  # without loading the TBRN parser
    from gasvc.cli.revision import resolve_range_arg

    return tuple(resolve_range_arg(ws.state, r) for r in revisions)


def render_result(result: DiffResult, fmt: str | None, labels_only: bool = False
                  ) -> list[str]:
    if fmt == "stat":
        from gasvc.cli.render_labels import stat_with_labels  # its label counts

        return stat_with_labels(result, labels_only)
    if fmt == "name-status":
        return render_diff.name_status_lines(result)
    return render_diff.diff_lines(result)


@click.command("diff", cls=PathsAfterDashes)
@click.option("--staged", "--cached", "staged", is_flag=True,
              help="Compare the index with HEAD (or with REV).")
@format_options
@click.option("--labels-only", is_flag=True,
              help="With --stat: only the label counts per segment, type and category.")
@click.option("--check", "rules", metavar="RULES", type=click.Path(dir_okay=False),
              help="Check the changes against the rules in file RULES (see docs/diff.md); "
                   "exit 1 when one fails.")
@click.argument("revisions", nargs=-1, metavar="[REV [REV]]")
@click.pass_context
def diff_cmd(ctx: click.Context, revisions: tuple[str, ...], staged: bool, fmt: str | None,
             labels_only: bool, rules: str | None) -> None:
    """Show changes: working tree vs index, --staged index vs HEAD, REV vs working tree,
    between two revisions (REV REV, or REV..REV), or from where two revisions forked to the
    second (REV...REV). Revisions may be TBRNs (tb:DATASET@v1). Paths after `--` limit the
    diff. --stat adds label counts per segment, label type and category (before, after,
    delta); --check RULES fails (exit 1) when the changes break a rule of the file RULES.

    Per item: A added, M file modified, D deleted, L label only; file checksums and sizes,
    label changes field by field (`BOX2D[1].category: car → truck`). Revisions only on the
    server are compared by the server, without downloading them.

    \b
    Example:
      gas diff
      gas diff --staged --stat
      gas diff v1 main -- train/images
      gas diff main...exp
      gas diff --stat --labels-only v1 main
      gas diff --check rules.txt origin/main HEAD
    """
    if labels_only and fmt != "stat":
        raise click.UsageError("--labels-only goes with --stat")
    if rules is not None:
        from gasvc.cli.checking import run_check

        run_check(ctx, rules, revisions, staged, fmt)
        return
    with workspace() as ws:
        specs = tuple(pathspecs(ws.layout, ws.state, ctx.meta.get("paths", ())))
        request = DiffRequest(revision_args(ws, revisions), staged, specs, fmt in (None, "json"),
                              labels=fmt in ("stat", "json"))
        result = ws.diff(request, server(ws))
        _, unmerged = ws.merge_state() if not revisions and not staged else (None, [])
    if fmt == "json":
        found = render_diff.diff_json(result)
        if unmerged:
            found["unmerged"] = [c.to_json() for c in unmerged]
        click.echo(render.as_json(found))
    elif not result.empty or unmerged:
        page(_unmerged_lines(unmerged) + (render_result(result, fmt, labels_only)
                                          if not result.empty else []))


def _unmerged_lines(unmerged: list[ShownConflict]) -> list[str]:
    if not unmerged:
        return []  # without loading the merge commands
    from gasvc.cli.merging import unmerged_lines

    return unmerged_lines(unmerged)


@click.command("show", cls=PathsAfterDashes)
@format_options
@click.argument("revision", required=False, metavar="[REV]")
@click.pass_context
def show_cmd(ctx: click.Context, revision: str | None, fmt: str | None) -> None:
    """Show a commit (default HEAD): its id, author, date and message, and its changes
    against its parent. Pushed commits show under their server ids.

    \b
    Example:
      gas show
      gas show HEAD~1 --stat
    """
    with workspace() as ws:
        specs = tuple(pathspecs(ws.layout, ws.state, ctx.meta.get("paths", ())))
        request = DiffRequest(specs=specs, details=fmt in (None, "json"))
        rev = revision_args(ws, (revision,))[0] if revision else None
        shown = ws.show(rev, request, server(ws))
    if fmt == "json":
        click.echo(render.as_json({"commit": render.commit_json(shown.commit, shown.decorations),
                                   "diff": render_diff.diff_json(shown.diff)}))
        return
    lines = render.log_lines([(shown.commit, shown.decorations, [])], oneline=False)
    lines += render_result(shown.diff, fmt)
    while lines and not lines[-1]:
        lines.pop()
    page(lines)


