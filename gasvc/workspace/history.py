"""`gas log`: commits along parents, newest first, with the refs that point at each."""

from __future__ import annotations

from gasvc.workspace.refs import ancestry, current_branch, head_commit, key, resolve
from gasvc.workspace.state import CommitRecord, State


def decorations(state: State) -> dict[str, list[str]]:
    """Ref names by commit key (server id once pushed, else local id)."""
    found: dict[str, list[str]] = {}

    def add(commit_id: str, name: str) -> None:
        commit = state.commit(commit_id)
        if commit is not None:
            found.setdefault(key(commit), []).append(name)

    branch, head = current_branch(state), head_commit(state)
    if head:
        add(head, f"HEAD -> {branch}" if branch else "HEAD")
    for name, commit_id in state.refs("heads/").items():
        if name != branch:
            add(commit_id, name)
    for name, commit_id in state.refs("remotes/").items():
        add(commit_id, f"origin/{name}")
    for name, commit_id in state.refs("tags/").items():
        add(commit_id, f"tag: {name}")
    return found


def log(state: State, revision: str | None = None, limit: int | None = None
        ) -> list[tuple[CommitRecord, list[str]]]:
    start = resolve(state, revision).id if revision else head_commit(state)
    refs = decorations(state)
    chain = ancestry(state, start, limit if limit is not None else 1_000_000)
    return [(commit, refs.get(key(commit), [])) for commit in chain]
