"""HEAD, branches, tags, remote-tracking heads, and revision names → commits.

HEAD is `ref:<branch>` (a branch, possibly without commits yet) or a commit id (detached).
Refs live in the state database: `heads/<b>` (local branches), `remotes/<b>` (the server's head of
branch b when last fetched or pushed), `tags/<t>`.
"""

from __future__ import annotations

import re

from gasvc.errors import ClientError
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.store.state import CommitRecord, State

_ANCESTOR = re.compile(r"^(.*?)((?:[~^]\d*)+)$")


class UnknownRevision(ClientError):
    """A branch, tag or commit that the workspace does not know."""


class DetachedHead(ClientError):
    """HEAD on a commit, not a branch, for a command that needs a branch."""


def head_ref(state: State) -> str:
    return state.get("head", "ref:main") or "ref:main"


def current_branch(state: State) -> str | None:
    head = head_ref(state)
    return head[4:] if head.startswith("ref:") else None


def head_commit(state: State) -> str | None:
    """The id of the HEAD commit, or None on a branch without commits."""
    branch = current_branch(state)
    if branch is None:
        return head_ref(state)
    return state.ref(f"heads/{branch}")


def set_head(state: State, branch: str | None, commit_id: str | None = None) -> None:
    state.set("head", f"ref:{branch}" if branch is not None else commit_id)


def key(commit: CommitRecord) -> str:
    """A commit's identity shared with the server: its server id once pushed."""
    return commit.server_id or commit.id


def ancestry(state: State, commit_id: str | None, limit: int = 1_000_000
             ) -> list[CommitRecord]:
    """The commit and its known ancestors, newest first."""
    chain: list[CommitRecord] = []
    while commit_id and commit_id != ROOT_COMMIT and len(chain) < limit:
        commit = state.commit(commit_id)
        if commit is None:
            break
        chain.append(commit)
        commit_id = commit.parent
    return chain


def head_info(state: State) -> tuple[str | None, str | None, str | None, int, int]:
    """(branch, head shown id, remote head shown id, ahead, behind); shown ids are the
    server's once pushed (see `key`)."""
    branch = current_branch(state)
    head = head_commit(state)
    commit = state.commit(head) if head else None
    shown = key(commit) if commit else None
    remote = state.ref(f"remotes/{branch}") if branch else None
    if remote is None:
        return branch, shown, None, len(ancestry(state, head)), 0
    ahead, behind = ahead_behind(state, head, remote)
    remote_commit = state.commit(remote)
    return branch, shown, key(remote_commit) if remote_commit else remote, ahead, behind


def ahead_behind(state: State, local: str | None, remote: str | None) -> tuple[int, int]:
    mine = [key(c) for c in ancestry(state, local)]
    theirs = [key(c) for c in ancestry(state, remote)]
    theirs_set, mine_set = set(theirs), set(mine)
    return (sum(1 for k in mine if k not in theirs_set),
            sum(1 for k in theirs if k not in mine_set))


def resolve(state: State, revision: str) -> CommitRecord:
    """A commit for HEAD, HEAD~N, a branch, a tag, a remote branch or a (short) commit id."""
    match = _ANCESTOR.match(revision)
    base, steps = (match.group(1), match.group(2)) if match else (revision, "")
    commit = _resolve_name(state, base or "HEAD")
    for step in re.findall(r"[~^]\d*", steps):
        count = int(step[1:] or 1) if step[0] == "~" else 1
        for _ in range(count):
            parent = state.commit(commit.parent) if commit.parent != ROOT_COMMIT else None
            if parent is None:
                raise UnknownRevision(f"{revision!r}: {key(commit)[:7]} has no parent here",
                                      "the history is shorter than that")
            commit = parent
    return commit


def _resolve_name(state: State, name: str) -> CommitRecord:
    candidates = []
    if name == "HEAD":
        candidates.append(head_commit(state))
    candidates += [state.ref(f"heads/{name}"), state.ref(f"tags/{name}"),
                   state.ref(f"remotes/{name.removeprefix('origin/')}")]
    for candidate in candidates:
        if candidate:
            commit = state.commit(candidate)
            if commit is not None:
                return commit
    if name == "HEAD":
        raise UnknownRevision("HEAD has no commit yet", "make a first commit with `gas commit`")
    found = state.commits_with_prefix(name) if len(name) >= 4 else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UnknownRevision(f"commit id {name!r} is ambiguous", "give more characters")
    raise UnknownRevision(f"unknown revision {name!r}{did_you_mean(state, name)}",
                          "use a branch, a tag, a commit id, HEAD or HEAD~N; `gas fetch` first "
                          "for revisions made elsewhere")


def did_you_mean(state: State, name: str) -> str:
    """"; did you mean 'main'?" when branch, remote branch or tag names come close to `name`."""
    import difflib

    names = {*state.refs("heads/"), *(f"origin/{b}" for b in state.refs("remotes/")),
             *state.refs("tags/")}
    close = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
