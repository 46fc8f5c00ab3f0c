"""Local branches and `gas checkout` / `gas switch`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gasvc.errors import ClientError, NameConflict
from gasvc.model.names import check_ref_name
from gasvc.workspace.checkout import BlobSource, MoveResult, move
from gasvc.workspace.commit import NotDownloaded, commit_state
from gasvc.workspace.layout import Layout
from gasvc.workspace.pending import MoveIntent
from gasvc.workspace.refs import (
    UnknownRevision,
    current_branch,
    did_you_mean,
    head_commit,
    key,
    resolve,
    set_head,
)
from gasvc.workspace.state import CommitRecord, State

#: Makes a fetched server commit's state available locally; returns the state object id.
Materializer = Callable[[CommitRecord], str]


class BranchCheckedOut(ClientError):
    """The checked-out branch, asked to be deleted."""


@dataclass(frozen=True)
class BranchInfo:
    name: str
    commit: str | None
    title: str
    current: bool
    remote: bool


def list_branches(state: State, include_remote: bool = False) -> list[BranchInfo]:
    current = current_branch(state)
    found = []
    heads = state.refs("heads/")
    if current is not None and current not in heads:
        found.append(BranchInfo(current, None, "(no commits yet)", True, False))
    for name, commit_id in heads.items():
        commit = state.commit(commit_id)
        found.append(BranchInfo(name, key(commit) if commit else commit_id,
                                commit.title if commit else "", name == current, False))
    if include_remote:
        for name, commit_id in state.refs("remotes/").items():
            commit = state.commit(commit_id)
            found.append(BranchInfo(f"origin/{name}", key(commit) if commit else commit_id,
                                    commit.title if commit else "", False, True))
    return sorted(found, key=lambda b: (b.remote, b.name))


def create_branch(state: State, name: str, start: str | None = None) -> CommitRecord:
    check_ref_name("branch", name)
    if state.ref(f"heads/{name}") is not None:
        raise NameConflict(f"a branch named {name!r} already exists",
                           f"switch to it with `gas switch {name}`")
    commit = resolve(state, start or "HEAD")
    with state.transaction():
        state.set_ref(f"heads/{name}", commit.id)
    return commit


def delete_branch(state: State, name: str) -> None:
    if name == current_branch(state):
        raise BranchCheckedOut(f"cannot delete branch {name!r}: it is checked out",
                               "switch to another branch first")
    if state.ref(f"heads/{name}") is None:
        raise UnknownRevision(f"branch {name!r} not found{did_you_mean(state, name)}",
                              "see `gas branch`")
    with state.transaction():
        state.set_ref(f"heads/{name}", None)


@dataclass(frozen=True)
class CheckoutResult:
    branch: str | None
    commit: CommitRecord | None
    moved: MoveResult


def checkout(layout: Layout, state: State, revision: str, source: BlobSource,
             materialize: Materializer | None = None, force: bool = False,
             new_branch: str | None = None, progress: Any = None) -> CheckoutResult:
    """Switch the working tree to a branch (HEAD follows it) or a commit (detached HEAD)."""
    branch: str | None = None
    if new_branch is not None:
        commit: CommitRecord | None = resolve(state, revision) if revision else None
        check_ref_name("branch", new_branch)
        if state.ref(f"heads/{new_branch}") is not None:
            raise NameConflict(f"a branch named {new_branch!r} already exists")
        branch = new_branch
    elif state.ref(f"heads/{revision}") is not None or revision == current_branch(state):
        branch = revision
        target = state.ref(f"heads/{revision}")
        commit = state.commit(target) if target else None
    elif state.ref(f"remotes/{revision}") is not None:
        branch = revision
        commit = resolve(state, f"origin/{revision}")
    else:
        commit = resolve(state, revision)
    target = commit.id if commit else ""
    redo = f"gas checkout -b {new_branch} {revision}" if new_branch else f"gas checkout {revision}"
    intent = MoveIntent(target, redo, f"gas checkout -f {_here(state)}")

    def finish() -> None:
        if branch is not None and commit is not None and state.ref(f"heads/{branch}") is None:
            state.set_ref(f"heads/{branch}", commit.id)
        set_head(state, branch, commit.id if commit else None)

    moved = _move_to(layout, state, commit, source, materialize, force, progress, intent, finish)
    return CheckoutResult(branch, commit, moved)


def _here(state: State) -> str:
    """How to name where HEAD is now in a command: its branch, else its commit."""
    branch = current_branch(state)
    if branch is not None:
        return branch
    head = head_commit(state)
    commit = state.commit(head) if head else None
    return key(commit) if commit else "HEAD"


def _move_to(layout: Layout, state: State, commit: CommitRecord | None, source: BlobSource,
             materialize: Materializer | None, force: bool, progress: Any, intent: MoveIntent,
             finish: Callable[[], None]) -> MoveResult:
    if commit is not None and commit.state is None:
        if materialize is None:
            raise NotDownloaded(f"commit {key(commit)[:7]} has not been downloaded",
                                "this needs the server: set a remote with `gas remote set`")
        materialize(commit)
    old = commit_state(state, head_commit(state))
    new = commit_state(state, commit.id if commit else None)
    return move(layout, state, old, new, intent, source, force, progress, finish)
