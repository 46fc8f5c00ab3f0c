"""`gas commit`: the index becomes a new local commit, offline.

A commit's state is the server's `VersionState` (model/snapshot.py), items in chunked trees
(model/tree.py), so committing k changes writes O(k) tree leaves, whatever the dataset's size.

Labels that changed are checked against the staged catalog. What the server accepts, gas commits:
the server checks no label against the catalog (spec 3.8: optional), so a label that does not fit
is committed with a warning, and refused only when `strict` (`gas commit --strict`, or the
`commit.strict` setting). A label unchanged since HEAD is not checked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from gasvc.errors import ClientError, EmptyMessage, GasError
from gasvc.model.canon import content_id
from gasvc.model.catalog import validate_label
from gasvc.model.metadata import METADATA, parse, read_text
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import Item, ItemChange, VersionState
from gasvc.workspace.store.labellines import drop_stale_files
from gasvc.workspace.store.layout import Layout, segment_folder, shown_path
from gasvc.workspace.store.refs import current_branch, head_commit, set_head
from gasvc.workspace.store.state import CommitRecord, State, is_fusion


class NotDownloaded(ClientError):
    """A commit known by id whose content the workspace has not downloaded."""


class NothingToCommit(ClientError):
    """A commit with nothing staged."""


class InvalidLabels(ClientError):
    """Labels in the workspace that cannot be committed."""


@dataclass(frozen=True)
class CommitResult:
    commit: CommitRecord
    branch: str | None
    changes: int
    #: label lines `-a` removed with their deleted files (see `stage.StageResult`)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    #: changed labels that do not fit the catalog, each `seg/metadata.jsonl:LINE: path: reason`
    misfits: list[str] = field(default_factory=list)


def split_message(message: str) -> tuple[str, str]:
    title, _, rest = message.strip().partition("\n")
    return title.strip(), rest.strip()


def commit_state(state: State, commit_id: str | None) -> VersionState:
    """The materialized state of a commit (ROOT or None: empty)."""
    if not commit_id or commit_id == ROOT_COMMIT:
        return VersionState()
    commit = state.commit(commit_id)
    if commit is None or commit.state is None:
        raise NotDownloaded(f"commit {commit_id[:7]} is not available locally", "run `gas fetch`")
    return VersionState.from_stored(state.get_object(commit.state))


def apply_changes(state: State, base: VersionState, segments: dict[str, bool],
                  changes: Iterable[ItemChange], catalog: str | None) -> VersionState:
    """A new version state: `base` with segments present/absent and item changes applied."""
    return base.with_changes(segments, changes, catalog, state.get_object, state.put_object)


def count_staged(state: State) -> int:
    """How many changes are staged: items, segments, the catalog (no per-item objects)."""
    segments = sum(1 for in_head, staged in state.segments().values() if in_head != staged)
    catalog = int(state.get("head_catalog", "") != state.get("staged_catalog", ""))
    return state.count_staged_items() + segments + catalog


def commit(layout: Layout, state: State, message: str, author: str, now: int,
           all_tracked: bool = False, strict: bool = False, merged: str | None = None,
           finish: Callable[[], None] | None = None) -> CommitResult:
    """A commit of the index. `merged`: the second parent of a merge commit (which may change
    nothing); `finish` runs in the transaction that records the commit."""
    if not message.strip():
        raise EmptyMessage("the commit message is empty", "give one with -m MESSAGE")
    dropped = _add_tracked(layout, state) if all_tracked else {}
    changes = count_staged(state)
    if not changes and merged is None:
        raise NothingToCommit("nothing to commit, working tree has no staged changes",
                              "stage changes with `gas add`, or use `gas commit -a`")
    misfits = _misfits(layout, state)
    if misfits and strict:
        raise InvalidLabels("labels do not fit catalog.json:\n  " + "\n  ".join(misfits),
                            "fix these labels in metadata.jsonl (or the catalog), then `gas add`;"
                            " or commit them anyway with `gas commit --no-strict`")
    title, description = split_message(message)
    parent = head_commit(state)
    branch = current_branch(state)
    with state.transaction():
        base = commit_state(state, parent)
        staged_segments = {name: staged for name, (in_head, staged) in state.segments().items()
                           if in_head != staged}
        # a staged row with a checksum has its size
        items = ((segment, path,
                  None if checksum is None else Item(checksum, cast(int, size), None, label))
                 for segment, path, checksum, size, label in state.staged_items())
        fusion = is_fusion(state)
        new = apply_changes(state, base, staged_segments, () if fusion else items,
                            state.get("staged_catalog") or None)
        if fusion:  # a fusion segment is built whole from its staged files
            from gasvc.workspace.versions.fusion import commit_segments

            commit_segments(layout, state, new, {*staged_segments, *(i[0] for i in items)})
        root = state.put_object(new.stored())
        record = CommitRecord(
            content_id({"parent": parent, "state": root, "title": title,
                        "description": description, "author": author, "date": now,
                        **({"merged": merged} if merged else {})}),
            parent or ROOT_COMMIT, title, description, author, now, root, None, merged)
        state.add_commit(record)
        if branch is not None:
            state.set_ref(f"heads/{branch}", record.id)
        else:
            set_head(state, None, record.id)
        state.settle_head()
        drop_stale_files(state)  # of segments gone with this commit
        if finish is not None:
            finish()
    return CommitResult(record, branch, changes, dropped, misfits)


def _add_tracked(layout: Layout, state: State) -> dict[str, list[str]]:
    """`commit -a`: stage the changes of tracked files first; the label lines it dropped."""
    from gasvc.workspace.worktree.pathspec import EVERYTHING
    from gasvc.workspace.worktree.stage import add  # a plain commit does not load staging

    return add(layout, state, [EVERYTHING], tracked_only=True).dropped


def _misfits(layout: Layout, state: State) -> list[str]:
    """Why staged labels that changed do not fit the staged catalog (each distinct label is
    checked once; items are listed only when one does not fit)."""
    catalog_id = state.get("staged_catalog")
    catalog = state.get_object(catalog_id) if catalog_id else {}
    if not catalog:
        return []
    reasons = {label: validate_label(state.get_object(label), catalog)
               for label in state.changed_labels()}
    if not any(reasons.values()):
        return []
    problems: list[str] = []
    bad: dict[str, set[str]] = defaultdict(set)
    for entry in state.staged_changes():
        if not entry.label or entry.label == entry.head_label:
            continue
        if entry.label not in reasons:  # staged since the query above
            reasons[entry.label] = validate_label(state.get_object(entry.label), catalog)
        if reasons[entry.label]:
            bad[entry.segment].add(entry.path)
            shown = shown_path(entry.segment, entry.path)
            problems += [f"{shown}: {r}" for r in reasons[entry.label]]
    return _with_lines(layout, bad, problems) if problems else []


def _with_lines(layout: Layout, bad: dict[str, set[str]], problems: list[str]) -> list[str]:
    """Prefix each problem with its `metadata.jsonl` line, when the file still has it."""
    lines: dict[str, str] = {}
    for segment, paths in bad.items():
        try:
            labels = parse(read_text(layout.metadata(segment), METADATA), METADATA,
                           segment_folder(segment))
        except (OSError, GasError):
            continue
        for path in paths:
            if path in labels:
                where = f"{shown_path(segment, METADATA)}:{labels[path].line}"
                lines[shown_path(segment, path)] = where
    out = []
    for problem in problems:
        key = problem.split(": ", 1)[0]
        out.append(f"{lines[key]}: {problem}" if key in lines else problem)
    return out
