"""The tensorbay CLI's `gas log tb:DATASET[@REVISION]`: the server's commits (and open drafts).

Output is the tensorbay CLI's (tensorbay/cli/log.py): full entries or `--oneline`, branch names
beside the commits they point at, drafts among the commits by their update time with
`--show-drafts`; `--graph` draws the lines of history as `gas log --graph` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from textwrap import indent

import click

from gasvc.cli import connect
from gasvc.cli.graph import continuation, graph_rows
from gasvc.cli.setup import profile_option
from gasvc.cli.tensorbay_data import parse_dataset_tbrn
from gasvc.cli.terminal import page, paint
from gasvc.errors import InvalidParams
from gasvc.workspace.sync import datasets, drafts, remote_ops
from gasvc.workspace.sync.drafts import DraftInfo
from gasvc.workspace.sync.remote_ops import LogCommit, NoCommits


@dataclass(frozen=True)
class Entry:
    """One commit or open draft of the log."""

    key: str
    parents: list[str]
    date: int
    text: str


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%a %b %d %H:%M:%S %y")


def _body(title: str, description: str) -> str:
    return title + (f"\n\n{indent(description, '    ')}" if description else "")


def _commit_text(commit: LogCommit, branches: list[str], oneline: bool) -> str:
    shown = commit.id[:7] if oneline else commit.id
    names = ", ".join(paint(name, "green") for name in branches)
    head = paint(("commit " if not oneline else "") + shown, "yellow") + (
        f" ({names})" if names else "")
    if oneline:
        return f"{head} {commit.title}\n"
    return (f"{head}\nAuthor: {commit.author}\nDate: {_date(commit.date)}\n\n"
            f"    {_body(commit.title, commit.description)}\n\n")


def _draft_text(draft: DraftInfo, oneline: bool) -> str:
    if oneline:
        return f"{paint(str(draft.number), 'red')} {draft.title}\n"
    return (f"{paint(f'draft {draft.number}', 'red')}\nDate: {_date(draft.updated)}\n\n"
            f"    {_body(draft.title, draft.description)}\n\n")


def _merge(commits: list[Entry], open_drafts: list[Entry]) -> list[Entry]:
    """Newest first; a draft goes before a commit only when updated after it."""
    merged, pending = [], sorted(open_drafts, key=lambda d: d.date, reverse=True)
    for commit in commits:
        while pending and pending[0].date > commit.date:
            merged.append(pending.pop(0))
        merged.append(commit)
    return merged + pending


def _graph(entries: list[Entry]) -> list[str]:
    known = {entry.key for entry in entries}
    nodes = [(e.key, [p for p in e.parents if p in known]) for e in entries]
    by_key = {entry.key: entry for entry in entries}
    texts = []
    for row, key in graph_rows(nodes):
        if key is None:
            texts.append(row + "\n")
            continue
        first, *rest = by_key[key].text[:-1].split("\n")
        sign = row.replace("*", "#") if key.startswith("#") else row  # drafts: '#'
        lines = [f"{sign} {first}", *[f"{continuation(row)} {line}" for line in rest]]
        texts.append("\n".join(lines) + "\n")
    return texts


@click.command("log")
@profile_option
@click.argument("tbrn")
@click.option("-n", "--max-count", type=click.IntRange(min=0), default=None,
              help="Show at most N commits.")
@click.option("--oneline", is_flag=True, help="One line per commit.")
@click.option("--all", "is_all", is_flag=True, help="The commits of every branch.")
@click.option("--graph", is_flag=True, help="Draw the lines of history beside the commits.")
@click.option("--show-drafts", is_flag=True, help="Show open drafts among the commits.")
def log(tbrn: str, max_count: int | None, oneline: bool, is_all: bool, graph: bool,
        show_drafts: bool) -> None:
    """Show the commits of a dataset on the server (tensorbay's log).

    \b
    Example:
      gas log --oneline tb:cats
      gas log -n 5 tb:cats@dev
      gas log --all --graph --show-drafts tb:cats
    """
    target = parse_dataset_tbrn(tbrn, "log")
    if target.draft is not None:
        raise InvalidParams(f'"{tbrn}" is a draft; log shows the commits of a revision',
                            f"see drafts with: gas log --show-drafts tb:{target.dataset}")
    client = connect.client()
    dataset = datasets.require_dataset(client, target.dataset)
    refs = remote_ops.branches(client, dataset)
    revisions = [b.name for b in refs] if is_all else [target.revision or dataset.default_branch]
    tips: dict[str, list[str]] = {}
    for one in refs:
        tips.setdefault(one.commit, []).append(one.name)
    commits = [Entry(c.id, [c.parent], c.date, _commit_text(c, tips.get(c.id, []), oneline))
               for c in remote_ops.log_commits(client, dataset, revisions)]
    found = [Entry(f"#{d.number}", [d.base], d.updated, _draft_text(d, oneline))
             for d in (drafts.list_drafts(client, dataset.id) if show_drafts else [])
             if d.branch in revisions]
    if not commits and not found:
        raise NoCommits(f'dataset "{dataset.name}" has no commit history'
                        + (" or open drafts" if show_drafts else ""),
                        f"commit a draft first: gas commit tb:{dataset.name}#N -m TITLE")
    entries = _merge(commits, found)[:max_count]
    texts = _graph(entries) if graph else [entry.text for entry in entries]
    page(["".join(texts)])
