"""`gas show`: a commit and its diff against its parent (diff.py compares them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gasvc.workspace.diff.diff import Connect, Materialize, diff_commits, parent_of
from gasvc.workspace.store.refs import key, resolve

if TYPE_CHECKING:
    from gasvc.workspace.diff.diff_result import DiffRequest, DiffResult
    from gasvc.workspace.store.state import CommitRecord, State


@dataclass(frozen=True)
class Shown:
    commit: CommitRecord
    decorations: list[str]
    diff: DiffResult


def show(state: State, revision: str | None, request: DiffRequest,
         connect: Connect | None = None, materialize: Materialize | None = None) -> Shown:
    """A commit (default HEAD) and its diff against its parent."""
    from gasvc.workspace.store.history import decorations

    commit = resolve(state, revision or "HEAD")
    result = diff_commits(state, parent_of(state, commit), commit, request, connect,
                          materialize)
    return Shown(commit, decorations(state).get(key(commit), []), result)
