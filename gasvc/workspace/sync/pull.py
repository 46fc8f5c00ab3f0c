"""`gas pull`: fetch, then bring the current branch up to the server's.

- Fast-forward (no local unpushed commits): the remote head's state is materialized from the
  local base by the server's diffs, then the working tree moves (checkout.move: only changed
  items, refusing to overwrite uncommitted work).
- An interrupted pull (its move's target is recorded) is completed first, then the pull goes on.
- Diverged: the unpushed local commits are replayed on the remote head item by item (merge.py).
  A conflict stops the pull before anything in the workspace changed; the conflicting items are
  reported with both sides' versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.workspace.store.pending import MoveIntent, pending_move
from gasvc.workspace.store.refs import DetachedHead, ancestry, current_branch, head_commit, key
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.fetch import FetchResult, fetch
from gasvc.workspace.sync.remote_state import materialize
from gasvc.workspace.versions.checkout import BlobSource, MoveResult, move
from gasvc.workspace.versions.commit import commit_state
from gasvc.workspace.versions.merge import replay


@dataclass(frozen=True)
class PullResult:
    branch: str
    fetched: FetchResult
    action: str  # "up-to-date", "no-remote", "fast-forward", "replayed", "finished"
    head: CommitRecord | None
    moved: MoveResult | None = None
    replayed: int = 0


def pull(conn: Connection, state: State, source: BlobSource, force: bool = False,
         prefer: str | None = None) -> PullResult:
    """`prefer` ("ours" or "theirs") settles conflicting items by taking that side."""
    branch = current_branch(state)
    if branch is None:
        raise DetachedHead("HEAD is detached, so there is no branch to pull into",
                           "switch to a branch first")
    fetched = fetch(conn, state)
    finished = _finish_interrupted(conn, state, branch, source, force)
    remote_id = state.ref(f"remotes/{branch}")
    remote = state.commit(remote_id) if remote_id else None
    local_id = head_commit(state)
    local = state.commit(local_id) if local_id else None
    if remote is None:
        return PullResult(branch, fetched, "no-remote", local)
    mine = _ancestry_keys(state, local_id)
    if key(remote) in mine:
        if finished is not None:
            return PullResult(branch, fetched, "finished", local, finished)
        return PullResult(branch, fetched, "up-to-date", local)
    theirs = _ancestry_keys(state, remote.id)
    unpushed = [c for c in ancestry(state, local_id) if key(c) not in theirs][::-1]
    materialize(conn, state, remote)
    remote = state.commit(remote.id)
    assert remote is not None
    if not unpushed:
        moved = _move(conn, state, local, remote, source, force)
        return PullResult(branch, fetched, "fast-forward", remote, moved)
    made = replay(state, remote, unpushed, prefer)
    target = made[-1] if made else remote
    moved = _move(conn, state, local, target, source, force)
    return PullResult(branch, fetched, "replayed", target, moved, len(made))


def _ancestry_keys(state: State, commit_id: str | None) -> set[str]:
    return {key(c) for c in ancestry(state, commit_id)}


def _finish_interrupted(conn: Connection, state: State, branch: str, source: BlobSource,
                        force: bool) -> MoveResult | None:
    """Complete an interrupted pull into this branch (its target is recorded), so that the
    pull goes on from where it had got to."""
    pending = pending_move(state)
    target = state.commit(pending.target) if pending and pending.kind == "pull" else None
    if pending is None or pending.branch != branch or target is None:
        return None
    local_id = head_commit(state)
    return _move(conn, state, state.commit(local_id) if local_id else None, target, source,
                 force)


def _move(conn: Connection, state: State, local: CommitRecord | None, target: CommitRecord,
          source: BlobSource, force: bool) -> MoveResult:
    """Working tree and index from `local`'s state to `target`'s; the branch follows in the
    same transaction as the index."""
    branch = current_branch(state)
    old = commit_state(state, local.id if local else None)
    new = commit_state(state, target.id)
    conn.progress.phase("updating files")
    intent = MoveIntent(target.id, "gas pull", f"gas checkout -f {branch}", "pull", branch)

    def finish() -> None:
        state.set_ref(f"heads/{branch}", target.id)

    return move(conn.layout, state, old, new, intent, source, force, conn.progress, finish)
