"""`gas log`: commits along parents, newest first, with the refs that point at each."""

from __future__ import annotations

from gasvc.errors import InvalidParams
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.store.refs import ancestry, current_branch, head_commit, key, resolve
from gasvc.workspace.store.state import CommitRecord, State


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


def log_range(state: State, text: str, limit: int | None = None
              ) -> list[tuple[CommitRecord, list[str]]]:
    """`log A..B`: B's commits that are not A's (`A..` is `A..HEAD`, `..B` is `HEAD..B`)."""
    if "..." in text:
        raise InvalidParams(f"gas log takes A..B, not {text!r}",
                            "A...B (from where A and B forked) is for `gas diff`; "
                            "run `gas log A..B` and `gas log B..A`")
    old, _, new = text.partition("..")
    if ".." in new:
        raise InvalidParams(f"invalid range {text!r}", "write A..B: B's commits that A lacks")
    known = {c.id for c in ancestry(state, resolve(state, old or "HEAD").id)}
    found = [entry for entry in log(state, new or "HEAD") if entry[0].id not in known]
    return found if limit is None else found[:limit]


def with_parents(commits: list[tuple[CommitRecord, list[str]]]
                 ) -> list[tuple[CommitRecord, list[str], list[str]]]:
    """`log`'s commits with the parent keys `--graph` draws (a chain: each the next one's
    child)."""
    keys = [key(commit) for commit, _ in commits]
    return [(commit, refs, keys[number + 1:number + 2] if number + 1 < len(keys) else
             ([] if commit.parent == ROOT_COMMIT else [commit.parent]))
            for number, (commit, refs) in enumerate(commits)]


def log_all(state: State, limit: int | None = None
            ) -> list[tuple[CommitRecord, list[str], list[str]]]:
    """Commits reachable from every branch, remote branch and tag, children before parents
    (newest first among the rest): (commit, ref names, parent keys) each, for `log --all`."""
    refs = decorations(state)
    starts = [head_commit(state), *state.refs("heads/").values(),
              *state.refs("remotes/").values(), *state.refs("tags/").values()]
    found: dict[str, CommitRecord] = {}
    parents: dict[str, list[str]] = {}
    for start in starts:
        for commit in ancestry(state, start):
            if key(commit) in found:
                break
            found[key(commit)] = commit
            parent = state.commit(commit.parent)
            parents[key(commit)] = [key(parent)] if parent is not None else []
            merged = state.commit(commit.merged) if commit.merged else None
            if merged is not None:  # a merge's second parent, drawn when it is listed too
                parents[key(commit)].append(key(merged))
    for name, found_parents in parents.items():
        parents[name] = [p for p in found_parents if p in found]
    ordered = _children_first(found, parents)
    if limit is not None:
        ordered = ordered[:limit]
    return [(commit, refs.get(key(commit), []), parents[key(commit)]) for commit in ordered]


def _children_first(found: dict[str, CommitRecord], parents: dict[str, list[str]]
                    ) -> list[CommitRecord]:
    """Newest first, but never a commit before one of its children (a topological order)."""
    import heapq

    waiting = {name: 0 for name in found}
    for name in found:
        for parent in parents[name]:
            waiting[parent] += 1
    ready = [(-found[n].date, n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(found[name])
        for parent in parents[name]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                heapq.heappush(ready, (-found[parent].date, parent))
    return ordered
