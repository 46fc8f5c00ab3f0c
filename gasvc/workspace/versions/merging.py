"""`gas merge` (and the merges `revert` and `cherry-pick` are: versions/picking.py).

- Already contained, or a fast-forward: HEAD's branch moves (the working tree with it, like a
  checkout, refusing to overwrite uncommitted work).
- Otherwise the engine (model/merge.py) merges HEAD ("ours") and the other commit ("theirs")
  against their merge base (store/ancestors.py). Uncommitted changes refuse it first. The result
  is recorded as a commit on no branch yet, with the merge state (store/mergestate.py) and the
  conflicts, *before* the working tree moves to it (checkout.move, its intent recorded: an
  interrupted merge is finished by `--continue`, undone by `--abort`).
- No conflict (and no `--no-commit`): the branch moves to that commit in the transaction that
  settles the index. Otherwise the index keeps HEAD and stages the result, the working tree
  holding ours at every conflict; `gas add` or `gas checkout --ours|--theirs` resolves them,
  then `--continue` commits (two parents) and `--abort` goes back exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gasvc.errors import ClientError, GasError
from gasvc.model.canon import content_id
from gasvc.model.merge import THEIRS, merge_states
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import VersionState
from gasvc.workspace.store import mergestate
from gasvc.workspace.store.ancestors import is_ancestor, merge_base
from gasvc.workspace.store.conflicts import ShownConflict, conflict_lines, shown
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.mergestate import MergeInfo, merge_info
from gasvc.workspace.store.pending import MoveIntent, pending_move, require_finished
from gasvc.workspace.store.refs import current_branch, head_commit, set_head
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.versions.checkout import (
    BlobSource,
    Materializer,
    MoveResult,
    item_changes,
    move,
)
from gasvc.workspace.versions.commit import CommitResult, commit, commit_state, split_message
from gasvc.workspace.worktree.status import staged_changes, worktree_changes


class MergeInProgress(ClientError):
    """A command that cannot run while a merge waits to be continued or aborted."""


class NotMerging(ClientError):
    """--continue or --abort with no merge in progress."""


class UnmergedPaths(ClientError):
    """Conflicts not resolved yet."""


class UncommittedChanges(ClientError):
    """A merge refused because the working tree or the index has changes."""


@dataclass
class MergeOutcome:
    action: str  # "up-to-date", "fast-forward", "merged", "conflicts", "staged", "empty"
    commit: CommitRecord | None = None  # HEAD after it
    conflicts: list[ShownConflict] = field(default_factory=list)
    moved: MoveResult | None = None
    info: MergeInfo | None = None


def require_no_merge(state: State, doing: str) -> None:
    info = merge_info(state)
    if info is not None:
        raise MergeInProgress(f"cannot {doing}: `{info.command} {info.name}` is in progress",
                              f"resolve its conflicts, then `{info.command} --continue`; or "
                              f"undo it with `{info.command} --abort`")


def _ready(state: State, commit: CommitRecord, materialize: Materializer | None) -> None:
    """Make sure the commit's state is local."""
    if commit.state is None and materialize is not None:
        materialize(commit)


def merge(layout: Layout, state: State, name: str, theirs: CommitRecord, source: BlobSource,
          materialize: Materializer | None, message: str | None, prefer: str | None,
          no_commit: bool, author: str, now: int) -> MergeOutcome:
    """Merge commit `theirs` (named `name`) into HEAD."""
    require_finished(state, "merge")
    require_no_merge(state, "merge")
    ours = head_commit(state)
    if ours is not None and is_ancestor(state, theirs.id, ours):
        return MergeOutcome("up-to-date", state.commit(ours))
    _ready(state, theirs, materialize)
    if ours is None or is_ancestor(state, ours, theirs.id):
        return _fast_forward(layout, state, name, theirs, source)
    base = merge_base(state, ours, theirs.id)
    if base is not None:
        _ready(state, base, materialize)
    base_state = commit_state(state, base.id if base else None)
    branch = current_branch(state)
    text = message or f"Merge {name} into {branch or 'HEAD'}"
    return start(layout, state, "merge", name, theirs, base_state,
                 commit_state(state, theirs.id), text, prefer, no_commit, author, now, source)


def _fast_forward(layout: Layout, state: State, name: str, theirs: CommitRecord,
                  source: BlobSource) -> MergeOutcome:
    branch = current_branch(state)
    ours = head_commit(state)
    intent = MoveIntent(theirs.id, f"gas merge {name}", f"gas checkout -f {branch or ours}",
                        "merge", branch)

    def finish() -> None:
        if branch is not None:
            state.set_ref(f"heads/{branch}", theirs.id)
        else:
            set_head(state, None, theirs.id)

    moved = move(layout, state, commit_state(state, ours), commit_state(state, theirs.id),
                 intent, source, finish=finish)
    return MergeOutcome("fast-forward", state.commit(theirs.id), moved=moved)


def require_clean(layout: Layout, state: State, kind: str) -> None:
    """Refuse while anything tracked has changes: a merge must never overwrite them, and
    `--abort` goes back exactly to HEAD."""
    unstaged, _ = worktree_changes(layout, state)
    dirty = sorted({c.path for c in staged_changes(state)} | {c.path for c in unstaged})
    if dirty:
        shown_paths = "\n  ".join(dirty[:20]) + ("\n  …" if len(dirty) > 20 else "")
        raise UncommittedChanges(
            f"cannot {kind}: your local changes would be mixed with it:\n  {shown_paths}",
            "commit them (`gas commit -a`), stash them (`gas stash`) or discard them "
            "(`gas restore`), then run it again")


def start(layout: Layout, state: State, kind: str, name: str, theirs: CommitRecord,
          base: VersionState, theirs_state: VersionState, message: str, prefer: str | None,
          no_commit: bool, author: str, now: int, source: BlobSource) -> MergeOutcome:
    """Merge `theirs_state` into HEAD against `base`, then commit or stop (see the module)."""
    require_clean(layout, state, kind)
    ours = head_commit(state)
    ours_state = commit_state(state, ours)
    with state.transaction():  # merged labels and trees are stored as objects
        result = merge_states(base, ours_state, theirs_state, state.get_object,
                              state.put_object, prefer)
        theirs_side = result.state if prefer or not result.conflicts else merge_states(
            base, ours_state, theirs_state, state.get_object, state.put_object, THEIRS).state
        root = state.put_object(result.state.stored())
        theirs_root = state.put_object(theirs_side.stored())
        unchanged = root == state.put_object(ours_state.stored())
    conflicts = [] if prefer else [shown(c) for c in result.conflicts]
    if kind != "merge" and not conflicts and unchanged:
        return MergeOutcome("empty", state.commit(ours) if ours else None)
    merged = theirs.id if kind == "merge" else None
    title, description = split_message(message)
    record = CommitRecord(
        content_id({"parent": ours, "state": root, "title": title, "description": description,
                    "author": author, "date": now, **({"merged": merged} if merged else {})}),
        ours or ROOT_COMMIT, title, description, author, now, root, None, merged)
    info = MergeInfo(kind, name, theirs.id, ours or "", record.id, theirs_root, message)
    with state.transaction():
        state.add_commit(record)
        mergestate.record(state, info)
        mergestate.add_unmerged(state, conflicts)
    commit_now = not conflicts and not no_commit
    moved = _move_to_result(layout, state, info, ours_state, result.state, source, commit_now)
    if commit_now:
        return MergeOutcome("merged", state.commit(record.id), moved=moved, info=info)
    return MergeOutcome("conflicts" if conflicts else "staged", state.commit(ours) if ours
                        else None, conflicts, moved, info)


def _move_to_result(layout: Layout, state: State, info: MergeInfo, ours: VersionState,
                    result: VersionState, source: BlobSource, commit_now: bool,
                    starting: bool = True) -> MoveResult:
    intent = MoveIntent(info.result, f"{info.command} --continue", f"{info.command} --abort",
                        info.kind, current_branch(state))

    def finish() -> None:
        if commit_now:
            branch = current_branch(state)
            if branch is not None:
                state.set_ref(f"heads/{branch}", info.result)
            else:
                set_head(state, None, info.result)
            mergestate.forget(state)
        else:
            _keep_head(state, ours, result)
            mergestate.set_settled(state)

    try:
        return move(layout, state, ours, result, intent, source, finish=finish)
    except GasError:
        if starting and pending_move(state) is None:  # refused before anything was written
            with state.transaction():
                mergestate.forget(state)
        raise


def _keep_head(state: State, ours: VersionState, result: VersionState) -> None:
    """The index's HEAD values back to ours after a move made them the result's: the result
    stays staged (inside the move's transaction)."""
    for segment, path, before, after in item_changes(state, ours, result):
        mergestate.set_head_item(state, segment, path, before, after)
    for name in ours.segments.keys() | result.segments.keys():
        mergestate.set_head_segment(state, name, name in ours.segments,
                                    name in result.segments)
    state.set("head_catalog", ours.catalog or "")


def continue_merge(layout: Layout, state: State, author: str, now: int,
                   message: str | None, source: BlobSource) -> CommitResult:
    """Finish a merge whose conflicts are resolved: commit the index (a merge has two
    parents)."""
    info = merge_info(state)
    if info is None:
        raise NotMerging("there is no merge, revert or cherry-pick in progress",
                         "start one with `gas merge BRANCH`")
    if not mergestate.settled(state):  # the merge was interrupted before the tree had moved
        _move_to_result(layout, state, info, commit_state(state, info.orig or None),
                        commit_state(state, info.result), source, False, starting=False)
    left = mergestate.unmerged(state)
    if left:
        raise UnmergedPaths(f"{len(left)} conflicts are not resolved:{conflict_lines(left)}",
                            "edit the files or metadata.jsonl, then `gas add` them (or `gas "
                            f"checkout --ours|--theirs PATH`); then `{info.command} --continue`")
    merged = info.theirs if info.kind == "merge" else None
    return commit(layout, state, message or info.message, author, now, merged=merged,
                  finish=lambda: mergestate.forget(state))


def abort_merge(layout: Layout, state: State, source: BlobSource) -> MoveResult:
    """Put the working tree and index back as they were before the merge started."""
    info = merge_info(state)
    if info is None:
        raise NotMerging("there is no merge, revert or cherry-pick in progress",
                         "nothing to abort")
    intent = MoveIntent(info.orig, f"{info.command} --abort", f"{info.command} --abort",
                        info.kind, current_branch(state))
    return move(layout, state, commit_state(state, info.result),
                commit_state(state, info.orig or None), intent, source, force=True,
                finish=lambda: mergestate.forget(state))


def conclude_with_commit(state: State) -> tuple[str | None, Callable[[], None] | None]:
    """For `gas commit` during a merge: (second parent, what ends the merge state inside the
    commit); (None, None) when no merge is in progress. Refused while conflicts are left."""
    info = merge_info(state)
    if info is None:
        return None, None
    left = mergestate.unmerged(state)
    if left:
        raise UnmergedPaths(f"cannot commit: {len(left)} conflicts of `{info.command} "
                            f"{info.name}` are not resolved:{conflict_lines(left)}",
                            "resolve them and `gas add` them, then commit")
    return (info.theirs if info.kind == "merge" else None), lambda: mergestate.forget(state)
