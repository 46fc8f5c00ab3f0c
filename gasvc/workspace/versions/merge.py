"""Replaying local commits on top of another version (`gas pull` when diverged).

Each local commit is merged onto the new base by the merge engine (model/merge.py): its changes
(against its parent, the merge base) and the other side's are merged item by item and inside
labels, so a commit that relabelled one field of a box keeps the other side's edit of another
field. A conflict is what the engine calls one (the same field, or file, changed differently on
both sides; deleted on one side and changed on the other). `prefer` "ours" (the local commit) or
"theirs" settles conflicts that way. Nothing is written until every commit replayed.
"""

from __future__ import annotations

from gasvc.errors import ClientError
from gasvc.model.canon import content_id
from gasvc.model.merge import merge_states
from gasvc.model.snapshot import VersionState
from gasvc.workspace.store.conflicts import ShownConflict, conflict_lines, shown
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.versions.commit import commit_state


class MergeConflict(ClientError):
    """A pull whose local commit and the server's changes conflict."""

    def __init__(self, commit: CommitRecord, conflicts: list[ShownConflict]) -> None:
        super().__init__(f"local commit {commit.id[:7]} ({commit.title}) conflicts with the "
                         f"server's changes in {len(conflicts)} places:"
                         f"{conflict_lines(conflicts)}",
                         "nothing was changed; `gas pull --ours` keeps your side of these, "
                         "`gas pull --theirs` the server's")
        self.commit, self.conflicts = commit, conflicts


def replay(state: State, onto: CommitRecord, commits: list[CommitRecord],
           prefer: str | None = None) -> list[CommitRecord]:
    """New commits: `commits` (oldest first) replayed onto `onto` (its state must be local);
    commits left with no change are dropped.

    Raises `MergeConflict` for the first commit that conflicts; nothing is recorded then.
    """
    current = commit_state(state, onto.id)
    parent, made, last = onto.id, [], state.put_object(current.stored())
    for commit in commits:
        current = _replay_one(state, commit, current, prefer)
        root = state.put_object(current.stored())
        if root == last:  # nothing of it is left: dropped, like git's empty commits
            continue
        last = root
        merged = {"merged": commit.merged} if commit.merged else {}  # a merge stays one
        record = CommitRecord(
            content_id({"parent": parent, "state": root, "title": commit.title,
                        "description": commit.description, "author": commit.author,
                        "date": commit.date, **merged}),
            parent, commit.title, commit.description, commit.author, commit.date, root, None,
            commit.merged)
        made.append(record)
        parent = record.id
    with state.transaction():
        for record in made:
            state.add_commit(record)
    return made


def _replay_one(state: State, commit: CommitRecord, target: VersionState,
                prefer: str | None) -> VersionState:
    before, after = commit_state(state, commit.parent), commit_state(state, commit.id)
    with state.transaction():  # merged labels and trees are written as objects
        result = merge_states(before, after, target, state.get_object, state.put_object,
                              prefer)
    if result.conflicts and prefer is None:
        raise MergeConflict(commit, [shown(c) for c in result.conflicts])
    return result.state
