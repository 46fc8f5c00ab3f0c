"""Version states of server commits, built locally from what the server lists.

In full (`list_version`: every segment's items, page by page, streamed into `tree.build`), or
from a local base by the server's diffs (`diff_version`: ListSegmentDiffs and ListDataDiffs, then
the details of just the changed items), so moving k items costs O(k) requests and tree leaves.
The trees come out exactly like the server's: same items `[checksum, size, timestamp, labelId]`,
same chunking, so the same ids.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from gasvc.api.pool import run_all
from gasvc.model import tree
from gasvc.model.canon import sha1_hex
from gasvc.model.fusion import WorkspaceView
from gasvc.model.names import escaped
from gasvc.model.snapshot import Item, Segment, VersionState
from gasvc.model.tree import TreeRef
from gasvc.workspace.store.refs import ancestry, head_commit, key
from gasvc.workspace.store.state import CommitRecord, State, is_fusion
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.listing import (
    CheckedLabels,
    RefusedListing,
    SegmentListing,
    check_catalog,
    check_changes,
    check_diff_actions,
    check_item,
    check_segments,
)
from gasvc.workspace.sync.remote_masks import stored_listed_label
from gasvc.workspace.versions.commit import commit_state

NO_URLS: Mapping[str, str] = MappingProxyType({})


class RemoteItem(NamedTuple):
    path: str
    value: Item
    label: dict[str, Any]  # the stored form (masks by checksum: model/masks.py)
    data: bytes  # the stored label's canonical JSON (b"" for none)
    url: str
    #: mask kind → download URL of its image, as listed
    mask_urls: Mapping[str, str] = NO_URLS

    @property
    def checksum(self) -> str:
        return self.value.checksum

    @property
    def size(self) -> int:
        return self.value.size


class ListingSink(Protocol):
    """Told of each page of a full listing (clone downloads files as pages arrive)."""

    def page(self, segment: str, items: list[RemoteItem], total: int) -> None: ...

    def segment_done(self, segment: str) -> None: ...

    def fusion_files(self, segment: str, view: WorkspaceView) -> None:
        """A fusion segment's gas files (after its last page)."""


#: Label ids a listing remembers having stored (beyond, each is stored again, a no-op).
LABEL_MEMO = 100_000


def item_of(conn: Connection, segment: str, raw: dict[str, Any],
            labels: CheckedLabels | None = None) -> RemoteItem:
    """A data details item, checked (listing.py) before anything builds a path from it; its
    label in the stored form, so that its id is the server's (remote_masks.py)."""
    path, checksum, size, label, data = check_item(segment, raw, labels)
    stored, data, urls = stored_listed_label(conn, segment, path, label, data)
    label_id = (None if not stored else labels.content_id(data) if labels is not None
                else sha1_hex(data))
    value = Item(checksum, size, raw.get("timestamp"), label_id)
    return RemoteItem(path, value, stored, data, str(raw.get("url") or ""), urls)


def save_labels(state: State, items: list[RemoteItem], saved: set[str] | None = None
                ) -> None:
    """Store the items' labels; `saved` (ids stored by this listing) skips those already
    stored: datasets repeat few labels many times."""
    with state.transaction():
        for item in items:
            if item.label and (saved is None or item.value.label not in saved):
                state.put_object(item.label)
                if saved is not None and item.value.label is not None:
                    saved.add(item.value.label)


def segment_items(conn: Connection, state: State, segment: str, commit: str,
                  sink: ListingSink | None = None) -> Iterator[tuple[str, Item]]:
    """Every item of a segment at a commit, in key order, page by page; each page is checked
    before anything is done with it."""
    listing, labels = SegmentListing(segment), CheckedLabels()
    saved: set[str] = set()
    for page, total in conn.client.details_pages(conn.dataset_id, segment, commit):
        items = [item_of(conn, segment, raw, labels) for raw in page]
        for item in items:
            listing.add(item.path)
        save_labels(state, items, saved if len(saved) < LABEL_MEMO else None)
        if sink is not None:
            sink.page(segment, items, total)
        for item in items:
            yield item.path, item.value


def _segment(raw: dict[str, Any], ref: TreeRef, before: Segment | None) -> Segment:
    """A listed segment with tree `ref` (its sensors kept from `before`)."""
    sensors = dict(before.sensors) if before else {}
    return Segment(str(raw.get("description") or ""), ref, sensors)


def _version(conn: Connection, state: State, commit: str, segments: dict[str, Segment]
             ) -> VersionState:
    catalog = check_catalog(conn.client.catalog(conn.dataset_id, commit))
    return VersionState(state.put_object(catalog) if catalog else None,
                        conn.client.notes(conn.dataset_id, commit), segments)


def list_version(conn: Connection, state: State, commit: str,
                 sink: ListingSink | None = None) -> VersionState:
    """The whole state of server commit `commit`, from full listings."""
    from gasvc.workspace.sync.remote_fusion import fusion_segment

    fusion = is_fusion(state)
    segments: dict[str, Segment] = {}
    for raw in check_segments(conn.client.list_segments(conn.dataset_id, commit)):
        name = str(raw["name"])
        if fusion:
            segments[name] = fusion_segment(conn, state, name, commit,
                                            str(raw.get("description") or ""), sink)
        else:
            ref = tree.build(segment_items(conn, state, name, commit, sink), state.put_object)
            segments[name] = _segment(raw, ref, None)
        if sink is not None:
            sink.segment_done(name)
    return _version(conn, state, commit, segments)


def diff_version(conn: Connection, state: State, base_key: str, base: VersionState,
                 target: str) -> VersionState:
    """The state of server commit `target` from the local state `base` of server commit
    `base_key`, by the server's diffs between them."""
    basehead = f"commit-{base_key}...commit-{target}"
    changed = {str(d["name"]): d for d in conn.client.segment_diffs(conn.dataset_id, basehead)}
    segments: dict[str, Segment] = {}
    for raw in check_segments(conn.client.list_segments(conn.dataset_id, target)):
        name = str(raw["name"])
        before = base.segments.get(name)
        data_action = (changed.get(name) or {}).get("data", {}).get("action")
        if before is None:
            ref = tree.build(segment_items(conn, state, name, target), state.put_object)
        elif data_action:
            ref = _apply_diffs(conn, state, name, basehead, before.tree, target)
        else:
            ref = before.tree
        segments[name] = _segment(raw, ref, before)
    return _version(conn, state, target, segments)


def _apply_diffs(conn: Connection, state: State, segment: str, basehead: str, ref: TreeRef,
                 target: str) -> TreeRef:
    diffs = conn.client.data_diffs(conn.dataset_id, basehead, segment)
    actions = check_diff_actions(segment, diffs)
    wanted = [path for path, action in actions.items() if action != "delete"]
    pages = math.ceil((ref.count + len(wanted)) / conn.client.page_size)
    if len(wanted) > pages:  # listing the whole segment takes fewer requests
        return tree.build(segment_items(conn, state, segment, target), state.put_object)
    found: list[RemoteItem] = []

    def detail(path: str) -> RemoteItem | None:
        raw = conn.client.data_detail(conn.dataset_id, segment, path, target)
        item = item_of(conn, segment, raw) if raw is not None else None
        if item is not None and item.path != path:
            raise RefusedListing(f"the server answers the details of {escaped(path)} in segment"
                                 f" {escaped(segment)} with those of {escaped(item.path)}")
        return item

    run_all(detail, wanted, lambda item: found.append(item) if item else None, conn.jobs)
    changes: dict[str, Item | None] = {p: None for p, a in actions.items() if a == "delete"}
    changes.update((item.path, item.value) for item in found)
    check_changes(segment, ref, changes, state.get_object)
    save_labels(state, found)
    return tree.apply(ref, sorted(changes.items()), state.get_object, state.put_object)



# materializing fetched commits -----------------------------------------------------------------
def _base_for(state: State, commit: CommitRecord) -> CommitRecord | None:
    """The closest commit with a local state and a server id: an ancestor, else HEAD."""
    for candidate in ancestry(state, commit.parent, limit=10_000):
        if candidate.state is not None and candidate.server_id is not None:
            return candidate
    head = head_commit(state)
    found = state.commit(head) if head else None
    if found is not None and found.state is not None and found.server_id is not None:
        return found
    return None


def materialize(conn: Connection, state: State, commit: CommitRecord) -> str:
    """Make a fetched server commit's state available locally; returns the state's id."""
    if commit.state is not None:
        return commit.state
    base = _base_for(state, commit)
    if base is not None and not is_fusion(state):  # fusion segments are listed whole
        new = diff_version(conn, state, key(base), commit_state(state, base.id), key(commit))
    else:
        new = list_version(conn, state, key(commit))
    with state.transaction():
        root = state.put_object(new.stored())
        state.set_commit_state(commit.id, root)
    return root
