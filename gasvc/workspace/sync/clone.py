"""`gas clone`: a new workspace holding one revision of a dataset on a server.

The listing is streamed: each page of data details becomes index rows, tree entries (built per
segment with `tree.build`), `metadata.jsonl` lines and a batch of downloads handed to a bounded
pool, so memory stays flat however big the dataset. Every file is checked against its SHA-1
as it lands; one that does not match is removed and the clone fails (run it again: it resumes).

Interrupted and run again, a clone resumes: the target commit is recorded first (`clone.pending`),
index rows keep the stat of files already downloaded, and present files with the right checksum
are not downloaded again. A file is written straight at its place where none is (no temporary
file, no rename: api/landing.py `Sink`), so an interrupted clone can leave one cut short; the
clone that resumes finds it not matching its checksum and replaces it. The workspace's refs
and HEAD are written last, in one transaction.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gasvc.api.client import ApiClient
from gasvc.api.landing import Download, Written
from gasvc.api.pool import Pool
from gasvc.api.transfer import batches, download_url
from gasvc.errors import ClientError
from gasvc.model.fusion import WorkspaceView
from gasvc.model.metadata import render_known
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import VersionState
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import (
    AlreadyAWorkspace,
    Layout,
    WriteGuard,
    segment_folder,
)
from gasvc.workspace.store.maskstore import forget_recent_mask_stats, set_mask_stats
from gasvc.workspace.store.objects import durable
from gasvc.workspace.store.pending import CLONE
from gasvc.workspace.store.refs import UnknownRevision, set_head
from gasvc.workspace.store.relocate import relocate
from gasvc.workspace.store.state import FUSION_KEY, Entry, State
from gasvc.workspace.sync.clone_masks import CloneMasks
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.datasets import require_dataset
from gasvc.workspace.sync.fetch import fetch
from gasvc.workspace.sync.listing import RefusedListing
from gasvc.workspace.sync.progress import SILENT, Progress
from gasvc.workspace.sync.remote import write_remote
from gasvc.workspace.sync.remote_fusion import write_gas_files
from gasvc.workspace.sync.remote_state import RemoteItem, list_version
from gasvc.workspace.versions.checkout import write_catalog
from gasvc.workspace.worktree.compare import RACY_NS
from gasvc.workspace.worktree.scan import hash_file

PENDING = CLONE
#: Files per download job in the standard (per-file) flow.
FILES_PER_JOB = 16


@dataclass(frozen=True)
class CloneResult:
    root: Path
    dataset: str
    branch: str | None
    commit: str | None
    files: int
    nbytes: int
    downloaded: int
    resumed: bool


class FolderNotEmpty(ClientError):
    """A clone into a folder that already has files."""


class UnsupportedDataset(ClientError):
    """A dataset of a kind gas cannot clone."""


def clone(client: ApiClient, name: str, revision: str | None, root: Path,
          jobs: int = 8, progress: Progress = SILENT) -> CloneResult:
    """Clone dataset `name` at `revision` (branch, tag or commit; default: the default branch)."""
    dataset = require_dataset(client, name)
    kind = client.get_dataset(dataset.id).get("type", 0)
    if kind not in (0, 1):
        raise UnsupportedDataset(f"{name!r} is a dataset of type {kind!r}",
                                 "gas clones normal (0) and fusion (1) datasets")
    existed = root.exists()
    layout, state, pending = _open_target(root, dataset.id)
    try:
        conn = Connection(client, dataset.id, layout, jobs, progress)
        if pending is None:
            pending = _start(conn, state, revision or dataset.default_branch, name, kind == 1)
        fetch(conn, state)
        files = _Files(conn, state, fresh=not pending.get("resumed"))
        commit, branch = str(pending["commit"]), pending.get("branch")
        version = _download(conn, state, commit, files)
        _finish(layout, state, commit, branch, version)
    except RefusedListing:  # never resumable: no partial workspace is left
        state.close()
        _discard(root, existed)
        raise
    finally:
        state.close()
    return CloneResult(root, name, branch, None if commit == ROOT_COMMIT else commit,
                       files.files, files.nbytes, files.downloaded, bool(pending.get("resumed")))


def _open_target(root: Path, dataset_id: str) -> tuple[Layout, State, dict[str, Any] | None]:
    """The workspace to clone into: new, or one whose clone was interrupted (resumed)."""
    layout = Layout(root)
    if layout.state_db.exists():
        state = State(layout.state_db)
        relocate(layout, state)
        pending = json.loads(state.get(PENDING) or "null")
        if pending and pending.get("dataset_id") == dataset_id:
            return layout, state, {**pending, "resumed": True}
        if _untouched(root, state):  # a clone killed before it recorded what it clones
            return layout, state, None
        state.close()
        raise AlreadyAWorkspace(f"{root} is already a gas workspace", "clone into another folder")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FolderNotEmpty(f"{root} already exists and is not an empty folder",
                             "clone into a new folder: `gas clone DATASET DIR`")
    init(root)
    return layout, State(layout.state_db), None


def _discard(root: Path, existed: bool) -> None:
    """Remove what a refused clone wrote: the folder it made, or everything in the folder it
    was given (empty, or holding only this clone's earlier, interrupted attempt)."""
    if not existed:
        shutil.rmtree(root, ignore_errors=True)
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _untouched(root: Path, state: State) -> bool:
    """A workspace with nothing in it but its own `.gas/`: no remote, commit or file."""
    return (state.get("remote.url") is None and not state.refs("heads/")
            and next(state.entries(), None) is None
            and [p.name for p in root.iterdir()] == [".gas"])


def _start(conn: Connection, state: State, revision: str, name: str, fusion: bool
           ) -> dict[str, Any]:
    branch, commit = _resolve(conn, revision)
    pending = {"dataset_id": conn.dataset_id, "commit": commit, "branch": branch,
               "name": name, "folder": conn.layout.root.name}
    with state.transaction():  # one transaction: a clone killed here can always be resumed
        write_remote(state, conn.client.site, name, conn.dataset_id)
        state.set(FUSION_KEY, "1" if fusion else None)
        state.set(PENDING, json.dumps(pending))
        set_head(state, branch or "main", None)
    return pending


def _resolve(conn: Connection, revision: str) -> tuple[str | None, str]:
    """(branch or None, server commit id) of a branch, tag or commit id."""
    found = conn.client.get_branch(conn.dataset_id, revision)
    if found is not None:
        return revision, str(found["commitId"])
    for tag in conn.client.list_tags(conn.dataset_id):
        if tag["name"] == revision:
            return None, str(tag["commitId"])
    for page in conn.client.page_lists("commits", "commits", conn.dataset_id,
                                       {"commit": revision}):
        return None, str(page[0]["commitId"])
    raise UnknownRevision(f"revision {revision!r} does not exist in this dataset",
                          "give a branch, a tag or a commit id")


def _download(conn: Connection, state: State, commit: str, files: _Files) -> VersionState:
    if commit == ROOT_COMMIT:
        return VersionState()
    conn.progress.phase("cloning")
    with files.pool:
        version = list_version(conn, state, commit, files)
    durable()
    return version


def _finish(layout: Layout, state: State, commit: str, branch: str | None,
            version: VersionState) -> None:
    write_catalog(layout, state, version.catalog)
    with state.transaction():
        if commit != ROOT_COMMIT:
            root = state.put_object(version.stored())
            state.set_commit_state(commit, root)
            local = state.commit(commit)
            commit = local.id if local else commit
        for name in version.segments:
            layout.segment_dir(name).mkdir(parents=True, exist_ok=True)
            state.set_segment(name, True)
        state.set("head_catalog", version.catalog or "")
        state.set("staged_catalog", version.catalog or "")
        if branch is not None and commit != ROOT_COMMIT:
            state.set_ref(f"heads/{branch}", commit)
        set_head(state, branch, None if branch else commit)
        state.forget_recent_stats(time.time_ns() - RACY_NS)
        forget_recent_mask_stats(state, time.time_ns() - RACY_NS)
        state.set(PENDING, None)


class _Files:
    """The clone's `ListingSink`: index rows, labels and downloads, page by page."""

    def __init__(self, conn: Connection, state: State, fresh: bool) -> None:
        self.conn, self.state, self.fresh = conn, state, fresh
        self.batch = conn.reader()
        self.pool: Pool[list[Download], list[Written]] = Pool(self._fetch, self._done, conn.jobs)
        self.labels: dict[str, IO[str]] = {}
        self.guard = WriteGuard(conn.layout)
        self.masks = CloneMasks(conn, state, self.guard, fresh)
        self.files = self.nbytes = self.downloaded = 0

    def page(self, segment: str, items: list[RemoteItem], total: int) -> None:
        layout = self.conn.layout
        folder = layout.folder_path(segment)  # strings, not Paths: this runs once a file
        targets = {item.path: f"{folder}/{item.path}" for item in items}
        self.guard.check(layout.metadata(segment))
        self.guard.check_all(targets.values())
        if segment not in self.labels:
            self.conn.progress.add_total(total, 0)
            layout.segment_dir(segment).mkdir(parents=True, exist_ok=True)
            path = self.conn.tmp_dir / f"metadata-{segment}.jsonl"
            self.labels[segment] = path.open("w", encoding="utf-8")
        self.labels[segment].write(render_known(((i.path, i.label, i.data) for i in items),
                                                segment_folder(segment)))
        sizes = sum(item.size for item in items)
        self.files, self.nbytes = self.files + len(items), self.nbytes + sizes
        self.conn.progress.add_total(0, sizes)
        present = self._present(segment, items)
        if present:
            kept = [item for item in items if item.path in present]
            with self.state.transaction():
                self.state.load_entries(segment, [(i.path, i.checksum, i.size, i.value.label)
                                                  for i in kept])
                for found, st in present.items():
                    self.state.refresh_stat(segment, found, st.st_mtime_ns, st.st_ino)
            self.conn.progress(len(kept), sum(item.size for item in kept))
        # the others' index rows are written once each is in place, with its stat (`_done`)
        wanted = [Download(i.checksum, i.size, targets[i.path], i.url,
                           (segment, i.path, i.value.label))
                  for i in items if i.path not in present]
        wanted += self.masks.wanted(segment, items)
        groups = (self.batch.groups(wanted) if self.batch is not None
                  else batches(wanted, FILES_PER_JOB, lambda d: d.size))
        for group in groups:
            self.pool.submit(group)

    def fusion_files(self, segment: str, view: WorkspaceView) -> None:
        """A fusion segment's `sensors.json` and `frames.jsonl`, and its labels in path order."""
        write_gas_files(self.conn.layout, self.state, segment, view)
        handle = self.labels.get(segment)
        if handle is not None:
            handle.flush()
            lines = Path(handle.name).read_text(encoding="utf-8").split("\n")[:-1]
            handle.seek(0)
            handle.truncate()
            handle.writelines(line + "\n" for line in sorted(
                lines, key=lambda line: str(json.loads(line)["file_name"])))

    def segment_done(self, segment: str) -> None:
        handle = self.labels.pop(segment, None)
        target = self.conn.layout.metadata(segment)
        self.guard.check(target)
        if handle is None:
            target.unlink(missing_ok=True)
            return
        handle.close()
        source = Path(handle.name)
        if source.stat().st_size:
            os.replace(source, target)
        else:
            source.unlink()
            target.unlink(missing_ok=True)

    def _present(self, segment: str, items: list[RemoteItem]) -> dict[str, os.stat_result]:
        """Files already in place with the right content (a resumed clone), with their stat."""
        if self.fresh:
            return {}
        found = {}
        for item in items:
            target = self.conn.layout.file(segment, item.path)
            try:
                st = os.stat(target)
            except (FileNotFoundError, NotADirectoryError):
                continue
            entry = self.state.entry(segment, item.path)
            if _unchanged(entry, item, st) or (
                    st.st_size == item.size and hash_file(target)[0] == item.checksum):
                found[item.path] = st
        return found

    def _fetch(self, group: list[Download]) -> list[Written]:
        if self.batch is not None:
            return self.batch.download(group, self.conn.tmp_dir, in_place=True)
        return [download_url(self.conn.client, item, self.conn.tmp_dir, in_place=True)
                for item in group]

    def _done(self, written: list[Written]) -> None:
        root = self.conn.layout.root
        rows, masks = [], []
        for done in written:
            item = done.item
            if item.key is None:  # a mask image (clone_masks.py)
                shown = Path(item.target).relative_to(root).as_posix()
                masks.append((shown, item.checksum, item.size, done.mtime_ns, done.ino))
            else:
                segment, path, label = item.key
                rows.append((segment, path, (item.checksum, item.size, label), done.mtime_ns,
                             done.ino))
        with self.state.transaction():
            self.state.set_entries(rows)
            set_mask_stats(self.state, masks)
        self.downloaded += len(rows)
        self.conn.progress(len(written), sum(done.item.size for done in written))


def _unchanged(entry: Entry | None, item: RemoteItem, st: os.stat_result) -> bool:
    return (entry is not None and entry.sum == item.checksum and entry.mtime_ns != 0
            and (entry.size, entry.mtime_ns, entry.ino) == (st.st_size, st.st_mtime_ns,
                                                             st.st_ino))
