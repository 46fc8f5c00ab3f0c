"""`gas stash [push|pop|list|drop]`: put uncommitted changes aside and bring them back.

push: the index (staged changes) and the tracked working files are recorded as two version
states beside the commit they were made on, then the working tree and index go back to HEAD
(untracked files stay, as git's do). The files' bytes are copied into `.gas/objects` by the
staging that records them, so later edits cannot change a stash. pop: both states are merged
into HEAD by the merge engine against the commit they were made on (HEAD may have moved since),
the index takes the staged part and the working tree the rest; a conflict refuses the pop before
anything changes. Entries are kept newest first in the state database (meta `stash`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, cast

from gasvc.errors import ClientError
from gasvc.model.merge import merge_states
from gasvc.model.snapshot import Item, VersionState
from gasvc.workspace.store import mergestate
from gasvc.workspace.store.conflicts import conflict_lines, shown
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.pending import MoveIntent, require_finished
from gasvc.workspace.store.refs import current_branch, head_commit
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.checkout import BlobSource, item_changes, move
from gasvc.workspace.versions.commit import apply_changes, commit_state, count_staged
from gasvc.workspace.versions.merging import require_clean, require_no_merge
from gasvc.workspace.worktree.pathspec import EVERYTHING
from gasvc.workspace.worktree.stage import add
from gasvc.workspace.worktree.status import worktree_changes

KEY = "stash"


class NothingToStash(ClientError):
    """`gas stash` with no local change."""


class NoStash(ClientError):
    """A stash entry that does not exist."""


class StashConflict(ClientError):
    """A stash whose changes conflict with HEAD's."""


@dataclass(frozen=True)
class StashEntry:
    message: str
    branch: str | None
    head: str  # the commit it was made on ("" for none)
    index: str  # state object id of the index
    worktree: str  # state object id of the tracked working files
    date: int
    position: int = 0

    def stored(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("position")
        return found


def entries(state: State) -> list[StashEntry]:
    raw = json.loads(state.get(KEY) or "[]")
    return [StashEntry(**entry, position=number) for number, entry in enumerate(raw)]


def _save(state: State, found: list[StashEntry]) -> None:
    state.set(KEY, json.dumps([entry.stored() for entry in found]) if found else None)


def _staged_state(state: State, head: VersionState) -> VersionState:
    """HEAD with the staged changes applied: what the index holds."""
    segments = {name: staged for name, (in_head, staged) in state.segments().items()
                if in_head != staged}
    items = ((segment, path, None if checksum is None else
              Item(checksum, cast(int, size), None, label))
             for segment, path, checksum, size, label in state.staged_items())
    return apply_changes(state, head, segments, items, state.get("staged_catalog") or None)


def push(layout: Layout, state: State, message: str | None, now: int,
         source: BlobSource) -> StashEntry:
    require_finished(state, "stash")
    require_no_merge(state, "stash")
    head = head_commit(state)
    head_state = commit_state(state, head)
    unstaged, _ = worktree_changes(layout, state)
    if not unstaged and not count_staged(state):
        raise NothingToStash("no local changes to save", "`gas status` shows what changed")
    with state.transaction():
        index = state.put_object(_staged_state(state, head_state).stored())
    add(layout, state, [EVERYTHING], tracked_only=True)  # the files' bytes go to .gas/objects
    with state.transaction():
        worktree_state = _staged_state(state, head_state)
        worktree = state.put_object(worktree_state.stored())
        branch = current_branch(state)
        entry = StashEntry(message or f"WIP on {branch or 'HEAD'}", branch, head or "", index,
                           worktree, now)
        _save(state, [entry, *entries(state)])
    intent = MoveIntent(head or "", "gas stash", "gas checkout -f HEAD")
    move(layout, state, worktree_state, head_state, intent, source, force=True)
    return entry


def _entry(state: State, position: int) -> StashEntry:
    found = entries(state)
    if not 0 <= position < len(found):
        raise NoStash(f"there is no stash@{{{position}}}",
                      "`gas stash list` shows the entries" if found else "the stash is empty")
    return found[position]


def drop(state: State, position: int = 0) -> StashEntry:
    entry = _entry(state, position)
    with state.transaction():
        _save(state, [e for e in entries(state) if e.position != position])
    return entry


def pop(layout: Layout, state: State, position: int, keep: bool, source: BlobSource
        ) -> StashEntry:
    """Bring a stash entry back onto HEAD (and drop it unless `keep`)."""
    entry = _entry(state, position)
    require_finished(state, "stash pop")
    require_no_merge(state, "stash pop")
    require_clean(layout, state, "apply a stash")
    head = head_commit(state)
    ours, base = commit_state(state, head), commit_state(state, entry.head or None)
    saved = [VersionState.from_stored(state.get_object(x)) for x in (entry.index,
                                                                      entry.worktree)]
    with state.transaction():
        staged, worktree = (merge_states(base, ours, side, state.get_object, state.put_object)
                            for side in saved)
    if worktree.conflicts or staged.conflicts:
        found = [shown(c) for c in worktree.conflicts or staged.conflicts]
        raise StashConflict(f"the stash conflicts with HEAD in {len(found)} places:"
                            f"{conflict_lines(found)}",
                            "nothing was changed; check out the commit it was made on "
                            f"({entry.head[:7] or 'none'}) to apply it there")

    def finish() -> None:
        _set_index(state, ours, staged.state, worktree.state)
        if not keep:
            _save(state, [e for e in entries(state) if e.position != position])

    intent = MoveIntent(head or "", "gas stash pop", "gas checkout -f HEAD")
    move(layout, state, ours, worktree.state, intent, source, finish=finish)
    return entry


def _set_index(state: State, head: VersionState, staged: VersionState,
               worktree: VersionState) -> None:
    """After a move settled the index to `worktree`: HEAD values `head`'s and staged values
    `staged`'s, so the rest shows as unstaged (inside the move's transaction)."""
    on_disk = {(s, p): (old, new) for s, p, old, new in item_changes(state, head, worktree)}
    in_index = {(s, p): (old, new) for s, p, old, new in item_changes(state, head, staged)}
    for where in sorted(on_disk.keys() | in_index.keys()):
        before = (on_disk.get(where) or in_index[where])[0]
        disk = on_disk[where][1] if where in on_disk else before
        index = in_index[where][1] if where in in_index else before
        row = state.entry(*where)
        stat = (row.mtime_ns, row.ino) if row is not None and disk == index else (0, 0)
        state.set_entry(*where, None)
        if before is not None or index is not None:
            state.db.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (*where, *_values(before), *_values(index), *stat))
    for name in head.segments.keys() | staged.segments.keys() | worktree.segments.keys():
        mergestate.set_head_segment(state, name, name in head.segments,
                                    name in staged.segments)
    state.set("head_catalog", head.catalog or "")
    state.set("staged_catalog", staged.catalog or "")


def _values(item: Item | None) -> tuple[str | None, int | None, str | None]:
    return (item.checksum, item.size, item.label) if item else (None, None, None)
