"""`gas diff` and `gas show`: what changed between two of HEAD, the index, the working tree and
revisions — per item (A added, M file modified, D deleted, L label only) with file checksums and
sizes and label fields; segments added or deleted; the catalog.

| request                  | old          | new          |
|--------------------------|--------------|--------------|
| `diff`                   | index        | working tree |
| `diff --staged`          | HEAD         | index        |
| `diff REV`               | REV          | working tree |
| `diff --staged REV`      | REV          | index        |
| `diff A B`, `diff A..B`  | A            | B            |
| `diff A...B`             | merge base   | B            |
| `show REV` (show.py)     | REV's parent | REV          |

Commits available locally are diffed locally (diff_local.py). Two server commits fetched but not
materialized are diffed by the server (diff_remote.py), so neither version is downloaded;
otherwise a missing version is materialized first, when the caller can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gasvc.errors import InvalidParams
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.diff.diff_remote import DiffServer, ServerDiff
from gasvc.workspace.diff.diff_result import (
    DiffRequest,
    DiffResult,
    NotMaterialized,
    split_revisions,
)
from gasvc.workspace.store.refs import ancestry, key, resolve
from gasvc.workspace.store.state import CommitRecord, State, is_fusion

if TYPE_CHECKING:
    from gasvc.workspace.store.layout import Layout

#: Opens the remote lazily: (client, dataset id); called only when a diff needs the server.
Connect = Callable[[], tuple[DiffServer, str]]
#: Makes a fetched commit's state available locally (see checkout.Materializer).
Materialize = Callable[[CommitRecord], str]


def diff(layout: Layout, state: State, request: DiffRequest, connect: Connect | None = None,
         materialize: Materialize | None = None) -> DiffResult:
    revisions, from_fork = split_revisions(request.revisions)
    if request.staged and len(revisions) > 1:
        raise InvalidParams("--staged compares the index with one revision, not two",
                            "drop --staged to compare two revisions")
    if len(revisions) == 2:
        old, new = resolve(state, revisions[0]), resolve(state, revisions[1])
        base = merge_base(state, old, new) if from_fork else old
        return diff_commits(state, base, new, request, connect, materialize)
    return _diff_with_worktree(layout, state, request, revisions, materialize)


def _diff_with_worktree(layout: Layout, state: State, request: DiffRequest,
                        revisions: tuple[str, ...], materialize: Materialize | None
                        ) -> DiffResult:
    """The index or the working tree against the index, HEAD or one revision."""
    from gasvc.workspace.diff.diff_fusion import describe_gas_files
    from gasvc.workspace.diff.diff_local import (
        commit_side,
        diff_sides,
        head_side,
        index_side,
        worktree_side,
    )

    if revisions:
        commit = available(state, resolve(state, revisions[0]), materialize)
        assert commit is not None
        old_side = commit_side(state, commit.id, key(commit))
    else:
        old_side = head_side(state) if request.staged else index_side(state)
    new_side = index_side(state) if request.staged else worktree_side(layout, state)
    result = diff_sides(state, old_side, new_side, request.specs, request.details, request.labels)
    if request.details:
        describe_gas_files(layout, state, result)
    return result


def merge_base(state: State, one: CommitRecord, other: CommitRecord) -> CommitRecord | None:
    """The newest commit both descend from (None: they share only ROOT); refused when a
    history is known only in part, rather than taking ROOT for the fork."""
    mine, theirs = ancestry(state, one.id), ancestry(state, other.id)
    ids = {commit.id for commit in mine}
    found = next((c for c in theirs if c.id in ids), None)
    if found is None and any(chain[-1].parent != ROOT_COMMIT for chain in (mine, theirs)):
        raise InvalidParams(f"where {key(one)[:7]} and {key(other)[:7]} forked is not known here",
                            "run `gas fetch` to record their history, or give A..B")
    return found


def parent_of(state: State, commit: CommitRecord) -> CommitRecord | None:
    """The parent record (None for ROOT); a parent never fetched stands in by its server id."""
    if commit.parent == ROOT_COMMIT:
        return None
    found = state.commit(commit.parent)
    if found is not None:
        return found
    return CommitRecord(commit.parent, ROOT_COMMIT, "", "", "", 0, None, commit.parent)


def diff_commits(state: State, old: CommitRecord | None, new: CommitRecord,
                 request: DiffRequest, connect: Connect | None,
                 materialize: Materialize | None) -> DiffResult:
    """Two commits (None: ROOT): locally when both are here, else on the server if it has both."""
    local = _is_local(old) and _is_local(new)
    if (not local and connect is not None and _on_server(old) and _on_server(new)
            and not is_fusion(state)):  # the server's diffs of fusion segments list frames
        server, dataset_id = connect()
        job = ServerDiff(server, dataset_id, _server_key(old), _server_key(new))
        return job.run(request.specs, request.details, request.labels)
    return _diff_local_commits(state, old, new, request, materialize)


def _diff_local_commits(state: State, old: CommitRecord | None, new: CommitRecord,
                        request: DiffRequest, materialize: Materialize | None) -> DiffResult:
    """Two commits compared here, materialized first where needed (and possible)."""
    from gasvc.workspace.diff.diff_fusion import describe_gas_files
    from gasvc.workspace.diff.diff_local import diff_states
    from gasvc.workspace.versions.commit import commit_state

    before, after = available(state, old, materialize), available(state, new, materialize)
    assert after is not None
    names = (key(before) if before else ROOT_COMMIT, key(after))
    result = diff_states(state, commit_state(state, before.id if before else None),
                         commit_state(state, after.id), names, request.specs, request.details,
                         request.labels)
    if request.details:
        describe_gas_files(None, state, result)
    return result


def available(state: State, commit: CommitRecord | None, materialize: Materialize | None
              ) -> CommitRecord | None:
    """The commit with its state available locally, materializing it if needed and possible."""
    if commit is None or commit.state is not None:
        return commit
    if materialize is None:
        raise NotMaterialized(f"commit {key(commit)[:7]} is not available locally",
                              "set a remote with `gas remote set` and run `gas fetch`")
    materialize(commit)
    found = state.commit(commit.id)
    assert found is not None and found.state is not None
    return found


def _is_local(commit: CommitRecord | None) -> bool:
    return commit is None or commit.state is not None


def _on_server(commit: CommitRecord | None) -> bool:
    return commit is None or commit.server_id is not None


def _server_key(commit: CommitRecord | None) -> str:
    return ROOT_COMMIT if commit is None else commit.server_id or commit.id
