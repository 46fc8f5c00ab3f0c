"""`gas reset`, `gas revert`, `gas cherry-pick`.

- reset --soft REV: the branch (or detached HEAD) moves to REV; the index and the working tree
  stay, so what differs from REV shows as staged. --mixed (the default): the index takes REV's
  content too, the working tree stays (its differences show unstaged). --hard: the working tree
  too, every uncommitted change discarded (a forced checkout.move). A reset ends a merge in
  progress, as git's does.
- revert REV and cherry-pick REV are merges by the same engine (versions/merging.py): a
  cherry-pick merges REV's changes (base: its parent, theirs: REV) into HEAD, a revert the
  opposite of them (base: REV, theirs: its parent), so label fields others changed since are
  kept. A conflict stops them like a merge's (`--continue`, `--abort`); their commit has one
  parent. A merge commit is picked or reverted against its first parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import VersionState
from gasvc.workspace.store import mergestate
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.pending import MoveIntent, require_finished
from gasvc.workspace.store.refs import current_branch, head_commit, key, resolve, set_head
from gasvc.workspace.store.schema import STAGED
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.versions.checkout import (
    BlobSource,
    Materializer,
    MoveResult,
    item_changes,
    move,
)
from gasvc.workspace.versions.commit import commit_state
from gasvc.workspace.versions.merging import MergeOutcome, require_no_merge, start

RESET_MODES = ("soft", "mixed", "hard")


@dataclass(frozen=True)
class ResetResult:
    mode: str
    commit: CommitRecord
    moved: MoveResult | None = None


def _ready(state: State, commit: CommitRecord, materialize: Materializer | None) -> None:
    if commit.state is None and materialize is not None:
        materialize(commit)


def reset(layout: Layout, state: State, revision: str, mode: str, source: BlobSource,
          materialize: Materializer | None) -> ResetResult:
    require_finished(state, "reset")
    target = resolve(state, revision)
    _ready(state, target, materialize)
    target = resolve(state, target.id)
    branch = current_branch(state)
    info = mergestate.merge_info(state)
    head = head_commit(state)
    old = commit_state(state, info.result if info else head)
    new = commit_state(state, target.id)

    def move_head() -> None:
        if branch is not None:
            state.set_ref(f"heads/{branch}", target.id)
        else:
            set_head(state, None, target.id)
        mergestate.forget(state)

    if mode == "hard":
        intent = MoveIntent(target.id, f"gas reset --hard {revision}",
                            f"gas reset --hard {key(target)}", "checkout", branch)
        moved = move(layout, state, old, new, intent, source, force=True, finish=move_head)
        return ResetResult(mode, target, moved)
    with state.transaction():
        _heads_to(state, commit_state(state, head), new)
        if mode == "mixed":
            _index_to_head(state)
        move_head()
    return ResetResult(mode, target)


def _heads_to(state: State, old: VersionState, new: VersionState) -> None:
    """The index's HEAD values become `new`'s (staged values stay)."""
    for segment, path, _, after in item_changes(state, old, new):
        row = state.entry(segment, path)
        if row is None and after is not None:  # not in the index: staged as deleted
            mergestate.set_head_item(state, segment, path, after, None)
        elif row is not None:
            state.db.execute("UPDATE entries SET head_sum = ?, head_size = ?, head_label = ?"
                             " WHERE segment = ? AND path = ?",
                             (after.checksum if after else None, after.size if after else None,
                              after.label if after else None, segment, path))
    state.db.execute("DELETE FROM entries WHERE head_sum IS NULL AND sum IS NULL")
    staged = {name: flags[1] for name, flags in state.segments().items()}
    for name in staged.keys() | new.segments.keys():
        mergestate.set_head_segment(state, name, name in new.segments, staged.get(name, False))
    state.set("head_catalog", new.catalog or "")


def _index_to_head(state: State) -> None:
    """Staged values := HEAD's; items HEAD lacks become untracked; files are compared again."""
    state.db.execute("DELETE FROM entries WHERE head_sum IS NULL")
    state.db.execute("UPDATE entries SET sum = head_sum, size = head_size, label = head_label,"
                     f" mtime_ns = 0 WHERE {STAGED}")
    state.db.execute("DELETE FROM segments WHERE in_head = 0")
    state.db.execute("UPDATE segments SET staged = in_head, meta_mtime_ns = 0, meta_size = -1")
    state.set("staged_catalog", state.get("head_catalog", ""))


def pick(layout: Layout, state: State, kind: str, revision: str, source: BlobSource,
         materialize: Materializer | None, author: str, now: int, no_commit: bool = False
         ) -> MergeOutcome:
    """Cherry-pick or revert the commit `revision` onto HEAD."""
    require_finished(state, kind)
    require_no_merge(state, kind)
    commit = resolve(state, revision)
    _ready(state, commit, materialize)
    parent = state.commit(commit.parent) if commit.parent != ROOT_COMMIT else None
    if parent is not None:
        _ready(state, parent, materialize)
    changed = commit_state(state, commit.id)
    before = commit_state(state, parent.id if parent else None)
    if kind == "revert":
        message = f'Revert "{commit.title}"\n\nThis reverts commit {key(commit)}.'
        return start(layout, state, kind, revision, commit, changed, before, message, None,
                     no_commit, author, now, source)
    message = f"{commit.title}\n\n{commit.description}".strip()
    return start(layout, state, kind, revision, commit, before, changed, message, None,
                 no_commit, author, now, source)

