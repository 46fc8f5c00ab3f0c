"""Sending one commit's changes into an open draft: segments, catalog, files, labels, deletions.

The changes are `tree.diff` of the commit's trees against its parent's, so the work is
proportional to what changed, not to the dataset. They stream into a bounded pool in groups:
files (ask which bytes the server lacks → upload only those → callbacks with labels), label-only
changes (multi/data/labels), deletions; the images of new masks are uploaded with the files
of their items, before the callback or label request that names them. Everything sent is
idempotent within a draft (an item staged twice is staged once; a segment created twice or an
item deleted twice counts as done), so a push interrupted and run again into the same draft ends
in the same state.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gasvc.api.pool import Pool
from gasvc.api.transfer import BATCH_BYTES, BatchStorage, FormUploads, Upload, batches
from gasvc.errors import ClientError, NameConflict, ResourceNotExist
from gasvc.model.snapshot import Item, VersionState, diff_items
from gasvc.workspace.store.layout import shown_path
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.upload_masks import mask_uploads, new_masks
from gasvc.workspace.worktree.scan import hash_file, outside_link


@dataclass
class SendStats:
    changes: int = 0
    uploaded: int = 0
    nbytes: int = 0


@dataclass(frozen=True)
class Job:
    """One request's worth of work: kind "files", "labels" or "delete" in one segment."""

    kind: str
    segment: str
    objects: list[dict[str, Any]]
    uploads: list[Upload]


class LostContent(ClientError):
    """A file whose content is no longer where gas kept it."""


def send_version(conn: Connection, state: State, draft: int, old: VersionState,
                 new: VersionState) -> SendStats:
    """Make draft `draft` (based on `old`'s commit on the server) hold `new`."""
    sender = _Sender(conn, state, draft)
    _segments(conn, draft, old.segments, new.segments)
    if new.catalog and new.catalog != old.catalog:
        conn.client.put_catalog(conn.dataset_id, draft, state.get_object(new.catalog))
    if is_fusion(state):
        from gasvc.workspace.sync.upload_fusion import send_fusion

        send_fusion(sender, old, new)
        return sender.stats
    changed = [name for name in sorted(new.segments) if old.tree(name) != new.tree(name)]
    if changed:
        sender.ask_missing_once(changed[0], _small_change_checksums(state, old, new, changed))
    with sender.pool:
        for name in changed:
            sender.segment(name, diff_items(old.tree(name), new.tree(name), state.get_object))
    return sender.stats


#: (path, old item, new item) of an item a push changes (None: absent).
ItemDiff = tuple[str, Item | None, Item | None]
#: Up to this many new files, one request asks which bytes the server lacks for all segments.
SMALL_PUSH = 2_000


def _small_change_checksums(state: State, old: VersionState, new: VersionState,
                            changed: list[str]) -> set[str] | None:
    """The checksums of new file contents when there are few (None when there are many)."""
    found: set[str] = set()
    for name in changed:
        for _, old_value, new_value in diff_items(old.tree(name), new.tree(name),
                                                  state.get_object):
            if new_value is not None and _kind(old_value, new_value) == "files":
                found.add(new_value.checksum)
            if new_value is not None and new_value.label and (
                    old_value is None or old_value.label != new_value.label):
                found.update(str(ref.checksum) for ref in new_masks(
                    state.get_object, old_value.label if old_value else None, new_value.label))
            if len(found) > SMALL_PUSH:
                return None
    return found


def _segments(conn: Connection, draft: int, old: dict[str, Any], new: dict[str, Any]) -> None:
    for name in sorted(new.keys() - old.keys()):
        with contextlib.suppress(NameConflict):  # made by an interrupted push into this draft
            conn.client.create_segment(conn.dataset_id, draft, name)
    for name in sorted(old.keys() - new.keys()):
        with contextlib.suppress(ResourceNotExist):
            conn.client.delete_segment(conn.dataset_id, draft, name)


#: Labels kept in memory by one push (beyond this many distinct ones, each is read again).
LABEL_MEMO = 10_000
#: A job (its uploads, then one callback) holds files of about this many bytes at most, so that
#: large files are sent by all the jobs at once, not a thousand to a job.
JOB_BYTES = 2 * BATCH_BYTES


class _Sender:
    def __init__(self, conn: Connection, state: State, draft: int) -> None:
        self.conn, self.state, self.draft = conn, state, draft
        self.stats = SendStats()
        self.pool: Pool[Job, tuple[Job, int, int]] = Pool(self._run, self._done, conn.jobs)
        self._batch: BatchStorage | None = None
        self._forms: FormUploads | None = None
        self._lacking: set[str] | None = None
        self._labels: dict[str, Any] = {}  # label id → label: datasets reuse a few labels
        self._objects = str(conn.layout.objects)

    def _storage(self, segment: str) -> None:
        """Probe once per draft whether the server takes batches."""
        if self._batch is None and self._forms is None:
            self._batch = self.conn.writer(self.draft, segment)
            if self._batch is None:
                self._forms = FormUploads(self.conn.client, self.conn.dataset_id, self.draft)

    def ask_missing_once(self, segment: str, checksums: set[str] | None) -> None:
        """For a small push: learn in one request which of `checksums` the server lacks."""
        if checksums is None or not checksums:
            return
        self._storage(segment)
        if self._batch is not None:
            self._lacking = set(self._batch.missing(sorted(checksums)))

    def segment(self, name: str, changes: Iterator[ItemDiff]) -> None:
        self._storage(name)
        limit = self.conn.batch_limit(self._batch)
        groups: dict[str, list[ItemDiff]] = {"files": [], "labels": [], "delete": []}
        nbytes = 0  # of the files group
        for path, before, after in changes:
            kind = _kind(before, after)
            groups[kind].append((path, before, after))
            self.stats.changes += 1
            if kind == "files":
                assert after is not None
                nbytes += after.size
            if len(groups[kind]) >= limit or (kind == "files" and nbytes >= JOB_BYTES):
                self.pool.submit(self._job(kind, name, groups[kind]))
                groups[kind] = []
                nbytes = 0 if kind == "files" else nbytes
        for kind, items in groups.items():
            if items:
                self.pool.submit(self._job(kind, name, items))

    def _job(self, kind: str, segment: str, items: list[ItemDiff]) -> Job:
        """Made on this thread: it reads labels from the state database."""
        if kind == "delete":
            return Job(kind, segment, [{"remotePath": path} for path, _, _ in items], [])
        objects, uploads = [], []
        for path, before, after in items:
            assert after is not None  # kind "files" or "labels"
            obj: dict[str, Any] = {"remotePath": path}
            if kind == "files":
                obj.update(checksum=after.checksum, fileSize=after.size)
                if after.timestamp is not None:
                    obj["timestamp"] = after.timestamp
                uploads.append(Upload(after.checksum, after.size,
                                      self._source(segment, path, after.checksum)))
            label = self._label(after.label) if after.label else {}
            if label or kind == "labels":
                obj["label"] = label
            if after.label and (before is None or before.label != after.label):
                uploads += mask_uploads(self._label, self.conn.layout, segment, path,
                                        before.label if before else None, after.label)
            objects.append(obj)
        self.conn.progress.add_total(len(items), sum(u.size for u in uploads))
        return Job(kind, segment, objects, uploads)

    def _label(self, label_id: str) -> Any:
        """A label by id, from a bounded memo of those read (read-only: shared by items)."""
        label = self._labels.get(label_id)
        if label is None:
            label = self.state.get_object(label_id)
            if len(self._labels) < LABEL_MEMO:
                self._labels[label_id] = label
        return label

    def _source(self, segment: str, path: str, checksum: str) -> Path | str:
        """Committed bytes: the object store's copy, or the working file if still the same."""
        layout = self.conn.layout
        stored = os.path.join(self._objects, checksum[:2], checksum[2:])
        if os.path.isfile(stored):  # strings, not Paths: this runs once a file
            return stored
        working = layout.file(segment, path)
        if (not outside_link(str(layout.root), str(working)) and working.is_file()
                and hash_file(working)[0] == checksum):
            return working
        raise LostContent(f"the committed content of {shown_path(segment, path)} is neither"
                          " in .gas/objects nor in the working file",
                          "restore the file as it was committed, or commit its current content,"
                          " then push again")

    def _run(self, job: Job) -> tuple[Job, int, int]:
        client, ds = self.conn.client, self.conn.dataset_id
        if job.kind == "delete":
            _delete(self.conn, self.draft, job.segment, [o["remotePath"] for o in job.objects])
            return job, 0, 0
        if job.kind == "labels":  # the masks' images go first (spec 2.6.4)
            sent, nbytes = self._upload(job) if job.uploads else (0, 0)
            client.upload_labels(ds, self.draft, job.segment, job.objects)
            return job, sent, nbytes
        sent, nbytes = self._upload(job)
        client.callback(ds, self.draft, job.segment, job.objects)
        return job, sent, nbytes

    def _upload(self, job: Job) -> tuple[int, int]:
        unique = list({u.checksum: u for u in job.uploads}.values())
        if self._batch is not None:
            lacking = self._lacking if self._lacking is not None else set(
                self._batch.missing([u.checksum for u in unique]))
            todo = [u for u in unique if u.checksum in lacking]
            for group in batches(todo, self._batch.limit, lambda u: u.size):
                self._batch.upload(group)
        else:
            assert self._forms is not None
            todo = unique
            for item in todo:
                self._forms.upload(job.segment, item)
        return len(todo), sum(u.size for u in todo)

    def _done(self, result: tuple[Job, int, int]) -> None:
        job, sent, nbytes = result
        self.stats.uploaded += sent
        self.stats.nbytes += nbytes
        self.conn.progress(len(job.objects), sum(u.size for u in job.uploads))


    # what upload_fusion.py shares: the storage probe, labels, committed bytes ---------------
    @property
    def batch(self) -> BatchStorage | None:
        return self._batch

    def storage(self, segment: str) -> None:
        self._storage(segment)

    def label(self, label_id: str) -> Any:
        return self._label(label_id)

    def source(self, segment: str, path: str, checksum: str) -> Path | str:
        return self._source(segment, path, checksum)


Sender = _Sender


def _kind(before: Item | None, after: Item | None) -> str:
    if after is None:
        return "delete"
    if before is None or (before.checksum, before.size) != (after.checksum, after.size):
        return "files"
    return "labels"


def _delete(conn: Connection, draft: int, segment: str, paths: list[str]) -> None:
    """Delete items; one already gone (an earlier, interrupted push) counts as deleted."""
    try:
        conn.client.delete_paths(conn.dataset_id, draft, segment, paths)
    except ResourceNotExist:
        for path in paths:
            with contextlib.suppress(ResourceNotExist):
                conn.client.delete_paths(conn.dataset_id, draft, segment, [path])
