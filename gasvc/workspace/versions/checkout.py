"""`gas checkout`, and moving the working tree and index from one version state to another
(checkout, pull, clone): only items that differ are touched, file bytes come from
`.gas/objects/` or the server through a `BlobSource`.

Safety: a change that is not committed and would be overwritten stops the move (unless forced).
A move records its intent first (pending.py) and settles the index and moves HEAD or the branch
in one transaction last: interrupted, re-running the same command completes it; a move to
anywhere else is refused, or, forced, ends exactly at its target.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gasvc.errors import ClientError, NameConflict
from gasvc.model.canon import escaped
from gasvc.model.names import check_ref_name
from gasvc.model.snapshot import Item, VersionState
from gasvc.workspace.store.labellines import drop_stale_files
from gasvc.workspace.store.layout import (
    CATALOG,
    Layout,
    WriteGuard,
    shown_path,
    write_atomic,
)
from gasvc.workspace.store.objects import has_object
from gasvc.workspace.store.pending import (
    BETWEEN,
    MoveIntent,
    OperationInterrupted,
    clear_move,
    pending_move,
)
from gasvc.workspace.store.refs import current_branch, head_commit, key, resolve, set_head
from gasvc.workspace.store.state import CommitRecord, State, is_fusion
from gasvc.workspace.versions.commit import NotDownloaded, commit_state
from gasvc.workspace.versions.fusion import (
    diff_segment,
    iterate_files,
    keep_gas_files,
    segment_item,
)
from gasvc.workspace.versions.maskmove import (
    MaskMove,
    item_of_path,
    kept_masks,
    mask_moves,
    mask_targets,
    write_masks,
)
from gasvc.workspace.worktree.compare import trusted_mtime
from gasvc.workspace.worktree.metafile import replace_labels
from gasvc.workspace.worktree.status import staged_changes, worktree_changes

#: Makes a fetched server commit's state available locally; returns the state object id.
Materializer = Callable[[CommitRecord], str]


@dataclass(frozen=True)
class Fetch:
    """One file to materialize: its place in the version and where it goes on disk."""

    segment: str
    path: str
    checksum: str
    size: int
    target: Path
    mask: str = ""  # a mask type: the item's image of that mask (model/masks.py)


class BlobSource(Protocol):
    def fetch(self, items: list[Fetch], progress: Any = None) -> None:
        """Write each item's bytes to its target (atomically), verified by checksum."""


class LocalObjects:
    """Bytes from `.gas/objects/`; anything missing is passed on to `fallback`."""

    def __init__(self, layout: Layout, fallback: BlobSource | None = None) -> None:
        self.layout, self.fallback = layout, fallback

    def fetch(self, items: list[Fetch], progress: Any = None) -> None:
        missing = []
        for item in items:
            source = self.layout.object_path(item.checksum)
            if has_object(self.layout, item.checksum):
                write_atomic(item.target, source.read_bytes(), self.layout.tmp)
                if progress:
                    progress(1, item.size)
            else:
                missing.append(item)
        if missing and self.fallback is None:
            raise ContentUnavailable(
                f"{len(missing)} files are neither local nor on a server",
                "set a remote with `gas remote set`, then run the command again")
        if missing and self.fallback is not None:
            self.fallback.fetch(missing, progress)


class ContentUnavailable(ClientError):
    """Files of a version that are neither in `.gas/objects` nor to be had from the server."""


class WouldOverwrite(ClientError):
    """A checkout that would overwrite local changes."""


@dataclass
class MoveResult:
    written: int = 0
    deleted: int = 0
    changed_paths: list[str] = field(default_factory=list)


#: (segment, path, old item, new item) of an item a move changes (None: absent).
ItemMove = tuple[str, str, Item | None, Item | None]


def item_changes(state: State, old: VersionState, new: VersionState) -> Iterator[ItemMove]:
    """(segment, path, old item, new item) for every item (a fusion segment's: every file)
    that differs."""
    fusion = is_fusion(state)
    for name in old.segment_names(new):
        for path, before, after in diff_segment(state, old, new, name, fusion):
            yield name, path, before, after


def move(layout: Layout, state: State, old: VersionState, new: VersionState,
         intent: MoveIntent, source: BlobSource, force: bool = False, progress: Any = None,
         finish: Callable[[], None] | None = None) -> MoveResult:
    """Make the working tree and the index show `new` instead of `old`.

    `finish` (moving HEAD or a branch) runs in the transaction that settles the index, so the
    index and the refs never disagree. An interrupted move to another target is refused unless
    forced; forced, the items it may have written are rewritten too.
    """
    changes = list(item_changes(state, old, new))
    pending = pending_move(state)
    resuming = pending is not None and pending.target == intent.target
    interrupted_state = None
    if pending is not None and not resuming:
        if not force:
            raise OperationInterrupted(f"`{pending.redo}` was interrupted, so {BETWEEN}",
                                       pending.hint)
        interrupted_state = _interrupted_state(state, pending.target)
        changes += _undone(state, changes, old, interrupted_state, new)
    if force:
        changes = _discarded(layout, state, changes, new)
    masks = mask_moves(layout, state, changes, FORCED)
    _refuse_links(layout, changes, old.segments.keys() | new.segments.keys())
    WriteGuard(layout).check_all(mask_targets(layout, masks))
    if not force and not resuming:
        _refuse_overwrites(layout, state, changes, old, new, masks)
    if is_fusion(state):
        keep_gas_files(layout, state, new, changes)
    with state.transaction():
        intent.record(state)
    result = MoveResult(changed_paths=[shown_path(s, p) for s, p, _, _ in changes])
    _write_files(layout, source, changes, result, progress)
    result.written += write_masks(layout, state, masks, lambda f: source.fetch(f, progress),
                                  Fetch)
    relabel = sorted({s for s, _, a, b in changes
                      if (a.label if a else None) != (b.label if b else None)})
    for segment in relabel:
        _rewrite_labels(layout, state, new, segment)
    _sync_segments(layout, old, new)
    if interrupted_state is not None:
        _sync_segments(layout, interrupted_state, new)
    write_catalog(layout, state, new.catalog)
    _settle_index(layout, state, changes, new, finish)
    return result


def _interrupted_state(state: State, target: str) -> VersionState:
    """The state an interrupted move was going to (empty if it is not known here)."""
    try:
        return commit_state(state, target)
    except NotDownloaded:
        return VersionState()


def _undone(state: State, changes: list[ItemMove], old: VersionState, written: VersionState,
            new: VersionState) -> list[ItemMove]:
    """Items an interrupted move from `old` to `written` may have touched, not otherwise in
    `changes`: each is rewritten from `new` (or deleted), whatever is on disk."""
    moving = {(s, p) for s, p, _, _ in changes}
    extra: list[ItemMove] = []
    fusion = is_fusion(state)
    for segment, path, _, _ in item_changes(state, old, written):
        if (segment, path) in moving:
            continue
        after = segment_item(state, new, segment, path, fusion)
        extra.append((segment, path, FORCED, after))
    return extra


#: The old item of a file a move rewrites whatever is on disk: matches no real item.
FORCED = Item("", -1, None, "")


def _discarded(layout: Layout, state: State, changes: list[ItemMove], new: VersionState
               ) -> list[ItemMove]:
    """`changes` and the uncommitted changes a forced move throws away: rewritten from `new`
    (or unindexed). A changed item of the move whose file is dirty is rewritten whatever its
    old version was (its file may differ from it even where the versions' files do not)."""
    unstaged, _ = worktree_changes(layout, state)
    dirty = {c.path for c in staged_changes(state)} | {c.path for c in unstaged}
    moving = {shown_path(s, p) for s, p, _, _ in changes}
    found = [(s, p, FORCED if before is not None and after is not None and
              shown_path(s, p) in dirty else before, after) for s, p, before, after in changes]
    fusion = is_fusion(state)
    for change in sorted(dirty):
        segment, path = item_of_path(change)
        if segment is None or not path or shown_path(segment, path) in moving:
            continue
        moving.add(shown_path(segment, path))
        after = segment_item(state, new, segment, path, fusion)
        found.append((segment, path, FORCED if after is not None else None, after))
    return found


def _refuse_overwrites(layout: Layout, state: State, changes: list[ItemMove],
                       old: VersionState, new: VersionState, masks: list[MaskMove]) -> None:
    unstaged, untracked = worktree_changes(layout, state)
    dirty = {c.path for c in staged_changes(state)} | {c.path for c in unstaged}
    touched = {shown_path(s, p) for s, p, _, _ in changes} | {m.path for m in masks}
    touched |= {shown_path(s) for s in old.segments.keys() ^ new.segments.keys()}
    if old.catalog != new.catalog:
        touched.add(CATALOG)
    # an ignored file where the move writes one is not in `untracked`: it is data all the same
    kept = {shown_path(s, p) for s, p, before, after in changes
            if before is None and after is not None and os.path.lexists(layout.file(s, p))}
    kept |= kept_masks(layout, masks)
    conflicts = sorted((dirty | set(untracked) | kept) & touched)
    if conflicts:
        shown = "\n  ".join(conflicts[:20]) + ("\n  …" if len(conflicts) > 20 else "")
        raise WouldOverwrite(f"your local changes to these files would be overwritten:\n  {shown}",
                             "commit them, restore them, or use --force to discard them")


def _refuse_links(layout: Layout, changes: list[ItemMove],
                  segments: Iterable[str]) -> None:
    """Before anything is written: no file of the move may sit below a folder link."""
    guard = WriteGuard(layout)
    guard.check_all(layout.metadata(segment) for segment in segments)
    guard.check_all(layout.file(segment, path) for segment, path, _, _ in changes)


def _write_files(layout: Layout, source: BlobSource, changes: list[ItemMove],
                 result: MoveResult, progress: Any) -> None:
    fetches = []
    for segment, path, before, after in changes:
        target = layout.file(segment, path)
        if after is None and before is None:
            continue
        if after is None:
            target.unlink(missing_ok=True)
            _prune_empty_dirs(target.parent, layout.segment_dir(segment))
            result.deleted += 1
        elif before is None or before.checksum != after.checksum or not target.is_file():
            fetches.append(Fetch(segment, path, after.checksum, after.size, target))
    source.fetch(fetches, progress)
    result.written = len(fetches)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _rewrite_labels(layout: Layout, state: State, new: VersionState, segment: str) -> None:
    labels = {}
    for path, value in iterate_files(state, new, segment, is_fusion(state)):
        if value.label:
            labels[path] = state.get_object(value.label)
    if segment in new.segments:
        layout.segment_dir(segment).mkdir(parents=True, exist_ok=True)
        replace_labels(layout, segment, labels)


def _sync_segments(layout: Layout, old: VersionState, new: VersionState) -> None:
    for name in new.segments:
        layout.segment_dir(name).mkdir(parents=True, exist_ok=True)
    for name in old.segments.keys() - new.segments.keys():
        layout.metadata(name).unlink(missing_ok=True)
        _prune_empty_dirs(layout.segment_dir(name), layout.root)


def write_catalog(layout: Layout, state: State, catalog: str | None) -> None:
    if catalog:
        write_atomic(layout.catalog, _pretty(state.get_object(catalog)), layout.tmp)
    else:
        layout.catalog.unlink(missing_ok=True)


def _pretty(value: Any) -> bytes:
    import json

    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return (escaped(text) + "\n").encode()


def _settle_index(layout: Layout, state: State, changes: list[ItemMove], new: VersionState,
                  finish: Callable[[], None] | None) -> None:
    with state.transaction():
        for segment, path, _, after in changes:
            if after is None:
                state.set_entry(segment, path, None)
                continue
            st = os.stat(layout.file(segment, path))
            state.set_entry(segment, path, (after.checksum, after.size, after.label),
                            trusted_mtime(st.st_mtime_ns), st.st_ino)
        for name in state.segments():
            if name not in new.segments:
                state.set_segment(name, False)
        for name in new.segments:
            state.set_segment(name, True)
            state.set_metadata_stat(name, (0, -1, 0))
        state.set("head_catalog", new.catalog or "")
        state.set("staged_catalog", new.catalog or "")
        clear_move(state)
        drop_stale_files(state)  # of segments this version does not have
        if finish is not None:
            finish()


@dataclass(frozen=True)
class CheckoutResult:
    branch: str | None
    commit: CommitRecord | None
    moved: MoveResult


def checkout(layout: Layout, state: State, revision: str, source: BlobSource,
             materialize: Materializer | None = None, force: bool = False,
             new_branch: str | None = None, progress: Any = None) -> CheckoutResult:
    """Switch the working tree to a branch (HEAD follows it) or a commit (detached HEAD)."""
    branch: str | None = None
    if new_branch is not None:
        commit: CommitRecord | None = resolve(state, revision) if revision else None
        check_ref_name("branch", new_branch)
        if state.ref(f"heads/{new_branch}") is not None:
            raise NameConflict(f"a branch named {new_branch!r} already exists")
        branch = new_branch
    elif state.ref(f"heads/{revision}") is not None or revision == current_branch(state):
        branch = revision
        target = state.ref(f"heads/{revision}")
        commit = state.commit(target) if target else None
    elif state.ref(f"remotes/{revision}") is not None:
        branch = revision
        commit = resolve(state, f"origin/{revision}")
    else:
        commit = resolve(state, revision)
    target = commit.id if commit else ""
    redo = f"gas checkout -b {new_branch} {revision}" if new_branch else f"gas checkout {revision}"
    intent = MoveIntent(target, redo, f"gas checkout -f {_here(state)}")

    def finish() -> None:
        if branch is not None and commit is not None and state.ref(f"heads/{branch}") is None:
            state.set_ref(f"heads/{branch}", commit.id)
        set_head(state, branch, commit.id if commit else None)

    moved = _move_to(layout, state, commit, source, materialize, force, progress, intent, finish)
    return CheckoutResult(branch, commit, moved)


def _here(state: State) -> str:
    """How to name where HEAD is now in a command: its branch, else its commit."""
    branch = current_branch(state)
    if branch is not None:
        return branch
    head = head_commit(state)
    commit = state.commit(head) if head else None
    return key(commit) if commit else "HEAD"


def _move_to(layout: Layout, state: State, commit: CommitRecord | None, source: BlobSource,
             materialize: Materializer | None, force: bool, progress: Any, intent: MoveIntent,
             finish: Callable[[], None]) -> MoveResult:
    if commit is not None and commit.state is None:
        if materialize is None:
            raise NotDownloaded(f"commit {key(commit)[:7]} has not been downloaded",
                                "this needs the server: set a remote with `gas remote set`")
        materialize(commit)
    old = commit_state(state, head_commit(state))
    new = commit_state(state, commit.id if commit else None)
    return move(layout, state, old, new, intent, source, force, progress, finish)
