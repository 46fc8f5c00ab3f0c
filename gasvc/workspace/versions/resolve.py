"""Resolving the conflicts of a merge in progress.

- `gas add` (or `gas rm`) of a path marks its conflicts resolved with what it stages: the file's
  conflicts by naming the file, label conflicts by the file or the segment's `metadata.jsonl`,
  catalog conflicts by `catalog.json`, a segment's by its folder.
- `gas checkout --ours|--theirs PATH`: the conflicting items under PATH take that side's
  resolution (ours: the merged item with ours at every conflict, which the working tree held
  when the merge stopped; theirs: with theirs there), in the working tree and staged.
"""

from __future__ import annotations

import os
from typing import Any

from gasvc.errors import ClientError
from gasvc.model import tree
from gasvc.model.snapshot import VersionState, as_item
from gasvc.workspace.store import mergestate
from gasvc.workspace.store.conflicts import ShownConflict
from gasvc.workspace.store.layout import Layout, WriteGuard
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.checkout import BlobSource, Fetch, write_catalog
from gasvc.workspace.versions.commit import commit_state
from gasvc.workspace.versions.merging import NotMerging
from gasvc.workspace.worktree.metafile import write_labels
from gasvc.workspace.worktree.pathspec import PathSpec
from gasvc.workspace.worktree.stage import add


class NothingUnmerged(ClientError):
    """`checkout --ours|--theirs` of paths with no conflict."""


class WholeSegmentSide(ClientError):
    """`checkout --ours|--theirs` of a segment deleted on one side and changed on the other."""


def covered(spec: PathSpec, conflict: ShownConflict) -> bool:
    """Whether staging `spec` resolves the conflict."""
    if conflict.segment is None:  # the catalog (or notes)
        return spec.catalog or (spec.segment is None and not spec.labels)
    if conflict.part == "label" and spec.covers_labels(conflict.segment):
        return True
    return spec.covers(conflict.segment, conflict.item)


def _absent(layout: Layout, state: State, spec: PathSpec) -> bool:
    """Whether the spec names one item that is neither a file nor in the index (an item a
    conflict left deleted): there is nothing to stage for it."""
    if spec.catalog or spec.labels or spec.segment is None or not spec.prefix:
        return False
    entry = state.entry(spec.segment, spec.prefix)
    return (entry is None or entry.sum is None) and not os.path.lexists(
        layout.file(spec.segment, spec.prefix))


def resolve_absent(layout: Layout, state: State, specs: list[PathSpec]) -> list[PathSpec]:
    """Before `add` or `rm` during a merge: the specs naming a conflicting item that is absent
    (kept deleted) resolve its conflicts here; the other specs are returned, to be staged."""
    if mergestate.merge_info(state) is None:
        return specs
    conflicts = mergestate.unmerged(state)
    left, done = [], []
    for spec in specs:
        hits = [c for c in conflicts if covered(spec, c)]
        if hits and _absent(layout, state, spec):
            done += hits
        else:
            left.append(spec)
    if done:
        with state.transaction():
            mergestate.resolve(state, done)
    return left


def resolve_staged(state: State, specs: list[PathSpec]) -> None:
    """After `add` or `rm` staged `specs`: their conflicts are resolved."""
    if mergestate.merge_info(state) is None:
        return
    done = [c for c in mergestate.unmerged(state) if any(covered(s, c) for s in specs)]
    if done:
        with state.transaction():
            mergestate.resolve(state, done)


def checkout_side(layout: Layout, state: State, side: str, specs: list[PathSpec],
                  source: BlobSource) -> list[ShownConflict]:
    """The conflicts under `specs` resolved with `side` ("ours" or "theirs")."""
    info = mergestate.merge_info(state)
    if info is None:
        raise NotMerging("there is no merge in progress", "--ours and --theirs take a side "
                         "of a merge's conflicts")
    chosen = [c for c in mergestate.unmerged(state) if any(covered(s, c) for s in specs)]
    if not chosen:
        raise NothingUnmerged("no unmerged path matches", "`gas status` lists them")
    resolved = commit_state(state, info.result) if side == "ours" else VersionState.from_stored(
        state.get_object(info.theirs_state))
    for conflict in chosen:
        if conflict.part == "segment":
            raise WholeSegmentSide(f"{conflict.path} was deleted on one side and changed on the "
                              "other: gas cannot take a whole segment's side here",
                              f"`{info.command} --abort`, then merge again with --{side}; or "
                              "add or remove the folder's files yourself and `gas add` them")
    _write_side(layout, state, resolved, chosen, source)
    staged = resolve_absent(layout, state, list({_spec_of(c): None for c in chosen}))
    if staged:
        add(layout, state, staged)
    with state.transaction():
        mergestate.resolve(state, chosen)
    return chosen


def _spec_of(conflict: ShownConflict) -> PathSpec:
    if conflict.segment is None:
        return PathSpec(catalog=True)
    return PathSpec(segment=conflict.segment, prefix=conflict.item)


def _write_side(layout: Layout, state: State, resolved: VersionState,
                chosen: list[ShownConflict], source: BlobSource) -> None:
    """The chosen items' files and labels (and the catalog) as `resolved` has them."""
    fetches: list[Fetch] = []
    labels: dict[str, dict[str, dict[str, Any] | None]] = {}
    guard = WriteGuard(layout)
    for conflict in chosen:
        if conflict.segment is None:
            write_catalog(layout, state, resolved.catalog)
            continue
        segment, path = conflict.segment, conflict.item
        item = as_item(tree.lookup(resolved.tree(segment), path, state.get_object))
        target = layout.file(segment, path)
        guard.check(target)
        labels.setdefault(segment, {})[path] = (
            state.get_object(item.label) if item is not None and item.label else None)
        if item is None:
            if os.path.lexists(target):
                target.unlink()
            continue
        entry = state.entry(segment, path)
        if entry is None or entry.sum != item.checksum or not target.is_file():
            fetches.append(Fetch(segment, path, item.checksum, item.size, target))
    source.fetch(fetches)
    for segment, updates in labels.items():
        write_labels(layout, segment, updates)
