"""The `Workspace` verbs of merging: merge, its conflicts, reset, revert, cherry-pick, stash.

A mixin of `Workspace` (facade.py), so that these verbs live beside their modules; each
imports what it needs when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gasvc.workspace import facade_remote as remote
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import MERGE_INFO, State

if TYPE_CHECKING:
    from gasvc.workspace.store.conflicts import ShownConflict
    from gasvc.workspace.store.mergestate import MergeInfo
    from gasvc.workspace.sync.connection import Connect
    from gasvc.workspace.versions.checkout import MoveResult
    from gasvc.workspace.versions.commit import CommitResult
    from gasvc.workspace.versions.merging import MergeOutcome
    from gasvc.workspace.versions.picking import ResetResult
    from gasvc.workspace.versions.stash import StashEntry
    from gasvc.workspace.worktree.pathspec import PathSpec


class MergeVerbs:
    layout: Layout
    state: State

    def merge(self, revision: str, connect: Connect, author: str, now: int,
              message: str | None = None, prefer: str | None = None,
              no_commit: bool = False) -> MergeOutcome:
        """Merge a branch or commit into HEAD (fast-forward when it can)."""
        from gasvc.workspace.store.refs import resolve
        from gasvc.workspace.versions.merging import merge

        return merge(self.layout, self.state, revision, resolve(self.state, revision),
                     remote.blob_source(self.layout, self.state, connect),
                     remote.materializer(self.layout, self.state, connect), message, prefer,
                     no_commit, author, now)

    def merge_continue(self, connect: Connect, author: str, now: int,
                       message: str | None = None) -> CommitResult:
        from gasvc.workspace.versions.merging import continue_merge

        return continue_merge(self.layout, self.state, author, now, message,
                              remote.blob_source(self.layout, self.state, connect))

    def merge_abort(self, connect: Connect) -> MoveResult:
        from gasvc.workspace.versions.merging import abort_merge

        return abort_merge(self.layout, self.state,
                           remote.blob_source(self.layout, self.state, connect))

    def merge_state(self) -> tuple[MergeInfo | None, list[ShownConflict]]:
        """The merge in progress (if any) and its conflicts not resolved yet."""
        if self.state.get(MERGE_INFO) is None:  # none: a status loads no merge machinery
            return None, []
        from gasvc.workspace.store import mergestate

        info = mergestate.merge_info(self.state)
        return info, mergestate.unmerged(self.state) if info else []

    def checkout_side(self, side: str, specs: list[PathSpec], connect: Connect
                      ) -> list[ShownConflict]:
        """`gas checkout --ours|--theirs PATH`: conflicts under PATH take that side."""
        from gasvc.workspace.versions.resolve import checkout_side

        return checkout_side(self.layout, self.state, side, specs,
                             remote.blob_source(self.layout, self.state, connect))

    def require_no_merge(self, doing: str) -> None:
        from gasvc.workspace.versions.merging import require_no_merge

        require_no_merge(self.state, doing)

    def reset(self, revision: str, mode: str, connect: Connect) -> ResetResult:
        """`gas reset --soft|--mixed|--hard REV`."""
        from gasvc.workspace.versions.picking import reset

        return reset(self.layout, self.state, revision, mode,
                     remote.blob_source(self.layout, self.state, connect),
                     remote.materializer(self.layout, self.state, connect))

    def pick(self, kind: str, revision: str, connect: Connect, author: str, now: int,
             no_commit: bool = False) -> MergeOutcome:
        """`gas revert REV` or `gas cherry-pick REV` (kind "revert" or "cherry-pick")."""
        from gasvc.workspace.versions.picking import pick

        return pick(self.layout, self.state, kind, revision,
                    remote.blob_source(self.layout, self.state, connect),
                    remote.materializer(self.layout, self.state, connect), author, now,
                    no_commit)

    def stash_push(self, message: str | None, now: int, connect: Connect) -> StashEntry:
        from gasvc.workspace.versions.stash import push

        return push(self.layout, self.state, message, now,
                    remote.blob_source(self.layout, self.state, connect))

    def stash_pop(self, connect: Connect, index: int = 0, keep: bool = False) -> StashEntry:
        from gasvc.workspace.versions.stash import pop

        return pop(self.layout, self.state, index, keep,
                   remote.blob_source(self.layout, self.state, connect))

    def stash_list(self) -> list[StashEntry]:
        from gasvc.workspace.versions.stash import entries

        return entries(self.state)

    def stash_drop(self, index: int = 0) -> StashEntry:
        from gasvc.workspace.versions.stash import drop

        return drop(self.state, index)
