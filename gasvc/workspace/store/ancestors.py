"""Ancestors along both parents of merge commits, and the merge base of two commits.

A merge commit has a second parent (`merged`: made by `gas merge`, or read back from the
"Merged-from" trailer of a commit the server lists), so the merge base of two branches merged
before is their last merge, not their first fork.
"""

from __future__ import annotations

from collections import deque

from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.store.refs import key
from gasvc.workspace.store.state import CommitRecord, State


def parents(state: State, commit: CommitRecord) -> list[CommitRecord]:
    """The commit's known parents: first, then the merged one."""
    found = []
    for parent in (commit.parent, commit.merged):
        record = state.commit(parent) if parent and parent != ROOT_COMMIT else None
        if record is not None:
            found.append(record)
    return found


def ancestors(state: State, commit_id: str | None) -> dict[str, CommitRecord]:
    """The commit and every known ancestor along both parents, by key (server id once
    pushed)."""
    start = state.commit(commit_id) if commit_id and commit_id != ROOT_COMMIT else None
    found: dict[str, CommitRecord] = {}
    todo = deque([start] if start else [])
    while todo:
        commit = todo.popleft()
        if key(commit) in found:
            continue
        found[key(commit)] = commit
        todo.extend(parents(state, commit))
    return found


def merge_base(state: State, ours: str | None, theirs: str | None) -> CommitRecord | None:
    """The best common ancestor of two commits (None: they share no history): a common
    ancestor that no other common ancestor descends from, the newest if several.

    Walks back from `theirs` and stops at every commit of `ours`' history: those it stops at
    include every best one (a path to a best one passes no other common ancestor).
    """
    mine = ancestors(state, ours)
    start = state.commit(theirs) if theirs and theirs != ROOT_COMMIT else None
    found: dict[str, CommitRecord] = {}
    seen: set[str] = set()
    todo = deque([start] if start else [])
    while todo:
        commit = todo.popleft()
        if key(commit) in seen:
            continue
        seen.add(key(commit))
        if key(commit) in mine:
            found[key(commit)] = commit
        else:
            todo.extend(parents(state, commit))
    if len(found) > 1:  # drop those below another one
        below: set[str] = set()
        for commit in found.values():
            for parent in parents(state, commit):
                below |= ancestors(state, parent.id).keys()
        found = {name: commit for name, commit in found.items() if name not in below}
    return max(found.values(), key=lambda commit: commit.date) if found else None


def is_ancestor(state: State, older: str, newer: str | None) -> bool:
    commit = state.commit(older)
    return commit is not None and key(commit) in ancestors(state, newer)
