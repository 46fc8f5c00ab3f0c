"""Turning library results into text: long and porcelain status, log lines, JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gasvc.cli.terminal import paint
from gasvc.model.names import escaped, is_readable, is_utf8
from gasvc.workspace.store.state import CommitRecord

if TYPE_CHECKING:  # not imported for the commands that do not show a status
    from gasvc.workspace.worktree.status import Status

NAMES = {"A": "new file", "M": "modified", "D": "deleted", "L": "label changed"}


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def shown(path: str) -> str:
    """A path as status prints it: quoted with escapes when it has a control character, a '\\'
    or bytes that are not UTF-8 (as git quotes such paths), so that it stays on one line."""
    return path if is_readable(path) else escaped(path)


def status_porcelain(status: Status) -> list[str]:
    """git's porcelain v1: two columns (staged, unstaged), then the path."""
    columns: dict[str, list[str]] = {}
    for change in status.staged:
        columns.setdefault(change.path, [" ", " "])[0] = change.code
    for change in status.unstaged:
        columns.setdefault(change.path, [" ", " "])[1] = change.code
    for conflict in status.unmerged:  # git's "both modified"
        columns[conflict.path] = ["U", "U"]
    lines = [f"{x}{y} {shown(path)}" for path, (x, y) in sorted(columns.items())]
    lines += [f"?? {shown(path)}" for path in sorted({*status.untracked, *status.outside})]
    lines += [f"!! {shown(path)}" for path in status.ignored]
    return lines + [f"!> {shown(path)}" for path in status.links]


def status_long(status: Status) -> list[str]:
    lines = [_branch_line(status)]
    if status.remote_head is not None:
        lines.append(_tracking_line(status))
    if status.interrupted is not None:
        lines += ["", f"`{status.interrupted.operation}` was interrupted: "
                  f"{status.interrupted.left}", f"  ({status.interrupted.hint})"]
    lines += merge_lines(status)
    sections = [
        ("Changes to be committed:", '  (use "gas restore --staged <path>..." to unstage)',
         [paint(f"\t{NAMES[c.code]}:   {shown(c.path)}", "green") for c in status.staged]),
        ("Changes not staged for commit:",
         '  (use "gas add <path>..." to stage, "gas restore <path>..." to discard)',
         [paint(f"\t{NAMES[c.code]}:   {shown(c.path)}", "red") for c in status.unstaged]),
        ("Untracked files:", '  (use "gas add <path>..." to include in what will be committed)',
         [paint(f"\t{shown(path)}", "red") for path in status.untracked]),
    ]
    for title, hint, items in sections:
        if items:
            lines += ["", title, hint, *items]
    if status.outside:
        lines += ["", "Untracked files outside every segment folder:",
                  "  (gas cannot add them; move them into a segment folder, such as "
                  "default/ for the default segment)",
                  *[f"\t{shown(path)}" for path in status.outside]]
    if status.links:
        lines += ["", "Symbolic links not followed:",
                  "  (gas never reads or writes through a link leading out of the workspace, nor"
                  " through a folder link)", *[f"\t{shown(path)}" for path in status.links]]
    if status.ignored:
        lines += ["", "Ignored files:", '  (use "gas add -f <path>..." to include in what will'
                  ' be committed)', *[f"\t{shown(path)}" for path in status.ignored]]
    if status.clean:
        lines += ["", "nothing to commit, working tree clean"]
    return lines


def merge_lines(status: Status) -> list[str]:
    """A merge in progress and its conflicts (git's "Unmerged paths")."""
    if status.merging is None:
        return []
    command = status.merging.rsplit(" ", 1)[0] if " " in status.merging else status.merging
    if not status.unmerged:
        return ["", f"`{status.merging}` is in progress: all conflicts resolved",
                f'  (use "{command} --continue" to commit it, "{command} --abort" to undo it)']
    return ["", f"`{status.merging}` is in progress with conflicts.",
            f'  (fix them, then "gas add <path>..." or "gas checkout --ours|--theirs <path>";'
            f' "{command} --continue" to commit, "{command} --abort" to undo)', "",
            "Unmerged paths:", '  (see each side with "gas diff")',
            *[paint(f"\tboth modified:   {shown(c.path)} ({c.where})", "red")
              for c in status.unmerged]]


#: Misfits a commit's warning lists (`gas commit --strict` lists them all, refusing them).
MISFITS_SHOWN = 20


def misfit_warning(misfits: list[str]) -> list[str]:
    """The warning of a commit whose changed labels do not fit the catalog."""
    if not misfits:
        return []
    more = len(misfits) - MISFITS_SHOWN
    return ["warning: labels do not fit catalog.json (committed; `gas commit --strict` refuses"
            " them):", *(f"  {misfit}" for misfit in misfits[:MISFITS_SHOWN]),
            *([f"  ... and {more} more"] if more > 0 else [])]


def dropped_labels(dropped: dict[str, list[str]]) -> list[str]:
    """Notes for the label lines `gas add` removed with their deleted files (a few named)."""
    from gasvc.model.metadata import METADATA
    from gasvc.workspace.store.layout import shown_path

    lines = []
    for segment, paths in sorted(dropped.items()):
        names = ", ".join(escaped(path) for path in paths[:5])
        more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
        noun = "the label of a deleted file" if len(paths) == 1 else \
            f"the labels of {len(paths)} deleted files"
        lines.append(f"removed {noun} from {shown(shown_path(segment, METADATA))}: "
                     f"{names}{more}")
    return lines


def _branch_line(status: Status) -> str:
    if status.branch is None:
        return f"HEAD detached at {(status.head or '')[:7]}"
    if status.head is None:
        return f"On branch {status.branch} (no commits yet)"
    return f"On branch {status.branch}"


def _tracking_line(status: Status) -> str:
    if status.ahead and status.behind:
        return (f"Your branch and the remote have diverged: {status.ahead} and {status.behind}"
                " commits each (use \"gas pull\")")
    if status.ahead:
        return (f"Your branch is ahead of the remote by {status.ahead} commit"
                f"{'s' if status.ahead > 1 else ''} (use \"gas push\")")
    if status.behind:
        return (f"Your branch is behind the remote by {status.behind} commit"
                f"{'s' if status.behind > 1 else ''} (use \"gas pull\")")
    return "Your branch is up to date with the remote."


def status_json(status: Status) -> dict[str, Any]:
    """The status as JSON; a path that is not UTF-8 (JSON has no bytes) as `escaped` shows it."""
    from gasvc.workspace.worktree.status import Change

    def text(path: str) -> str:
        return path if is_utf8(path) else escaped(path)

    return asdict(replace(
        status, staged=[Change(text(c.path), c.code) for c in status.staged],
        unstaged=[Change(text(c.path), c.code) for c in status.unstaged],
        untracked=[text(path) for path in status.untracked],
        outside=[text(path) for path in status.outside],
        ignored=[text(path) for path in status.ignored]))


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def log_lines(commits: list[tuple[CommitRecord, list[str], list[str]]], oneline: bool,
              graph: bool = False) -> list[str]:
    """`gas log`'s text; with `graph`, each commit's lines behind its lanes."""
    from gasvc.cli.graph import continuation, graph_rows
    from gasvc.workspace.store.refs import key

    by_key = {key(commit): (commit, refs) for commit, refs, _ in commits}
    if graph:
        rows = graph_rows((key(commit), parents) for commit, _, parents in commits)
    else:
        rows = [("", key(commit)) for commit, _, _ in commits]
    lines: list[str] = []
    for lanes, name in rows:
        if name is None:
            lines.append(lanes)
            continue
        commit, refs = by_key[name]
        text = _commit_text(commit, refs, oneline)
        lead = f"{lanes} " if lanes else ""
        lines.append(lead + text[0])
        below = f"{continuation(lanes)} " if lanes else ""
        lines += [(below + line).rstrip() if line else below.rstrip() for line in text[1:]]
    return lines


def _commit_text(commit: CommitRecord, refs: list[str], oneline: bool) -> list[str]:
    deco = f" ({', '.join(refs)})" if refs else ""
    if oneline:
        return [f"{paint(commit.shown_id[:7], 'yellow')}{deco} {commit.title}"]
    pushed = "" if commit.server_id else " [not pushed]"
    lines = [paint(f"commit {commit.shown_id}", "yellow") + f"{deco}{pushed}",
             f"Author: {commit.author}", f"Date:   {_date(commit.date)}", "",
             f"    {commit.title}"]
    if commit.description:
        lines += ["", *[f"    {line}" for line in commit.description.splitlines()]]
    return [*lines, ""]


def commit_json(commit: CommitRecord, decorations: list[str]) -> dict[str, Any]:
    return {"id": commit.shown_id, "localId": commit.id, "serverId": commit.server_id,
            "parent": commit.parent, "title": commit.title, "description": commit.description,
            "author": commit.author, "date": commit.date, "refs": decorations,
            "pushed": commit.server_id is not None}


# sync ---------------------------------------------------------------------------------------
def ref_update(name: str, old: str | None, new: str | None) -> str:
    if old is None:
        return f" * [new]     {name} -> {(new or '')[:7]}"
    if new is None:
        return f" - [deleted] {name} (was {old[:7]})"
    return f"   {old[:7]}..{new[:7]}  {name}"


def pull_summary(result: Any) -> str:
    """One line for a `PullResult` (gasvc/workspace/sync/pull.py)."""
    head = result.head.shown_id[:7] if result.head else ""
    moved = result.moved
    files = f": {moved.written} files written, {moved.deleted} deleted" if moved else ""
    if result.action == "no-remote":
        return f"branch {result.branch} is not on the server yet (use \"gas push\")"
    if result.action == "up-to-date":
        return "Already up to date."
    if result.action == "finished":
        return f"Finished the interrupted pull: {result.branch} is at {head}{files}"
    if result.action == "fast-forward":
        return f"Fast-forward {result.branch} to {head}{files}"
    return (f"Replayed {result.replayed} local commit{'s' if result.replayed != 1 else ''} on "
            f"the server's {result.branch}, now at {head}{files}")


def push_lines(result: Any) -> list[str]:
    """Lines for a `PushResult` (gasvc/workspace/sync/push.py)."""
    if not result.pushed:
        return ["Everything up-to-date"]
    lines = [f"created branch {result.branch} on the server"] if result.created_branch else []
    for pushed in result.pushed:
        sent = pushed.sent
        what = (f"{sent.changes} change{'s' if sent.changes != 1 else ''}, "
                f"{sent.uploaded} file{'s' if sent.uploaded != 1 else ''} uploaded")
        if pushed.server_id is None:
            lines.append(f"{pushed.commit.id[:7]} -> draft #{pushed.draft} (open) "
                         f"{pushed.commit.title} ({what})")
        else:
            lines.append(f"{pushed.commit.id[:7]} -> {pushed.server_id[:7]} "
                         f"{pushed.commit.title} ({what})")
    if result.draft is not None:
        lines.append(f"draft #{result.draft} is open for review; `gas push` again commits it")
    return lines
