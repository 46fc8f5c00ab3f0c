"""Local branches: `gas branch` (list, create, delete); `gas checkout` lives in checkout.py."""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.errors import ClientError, NameConflict
from gasvc.model.names import check_ref_name
from gasvc.workspace.store.refs import (
    UnknownRevision,
    current_branch,
    did_you_mean,
    key,
    resolve,
)
from gasvc.workspace.store.state import CommitRecord, State


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
