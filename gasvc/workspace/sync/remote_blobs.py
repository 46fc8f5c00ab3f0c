"""File contents from the server, as a `BlobSource` for checkout, restore and pull.

By checksum through the batch extension when the server has it (one stream per batch, or each
file by URL straight from the server's object store); else one item at a time by the
signed URL of its data details at the commit being checked out (the move's target, recorded as
`pending_move`, or HEAD's; a fusion segment's are listed once, frame by frame).
"""

from __future__ import annotations

import threading
from typing import Any

from gasvc.api.landing import Download, Written
from gasvc.api.pool import run_all
from gasvc.api.transfer import download_url
from gasvc.model.fusion import data_file
from gasvc.model.masks import mask_path
from gasvc.workspace.store.layout import segment_folder, shown_path
from gasvc.workspace.store.refs import head_commit
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.versions.checkout import ContentUnavailable, Fetch


class RemoteBlobs:
    def __init__(self, conn: Connection, state: State) -> None:
        self.conn, self.state = conn, state
        self._listed: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._fusion = is_fusion(state)  # read here: workers may not use the database

    def fetch(self, items: list[Fetch], progress: Any = None) -> None:
        if not items:
            return
        report = progress or self.conn.progress
        if progress is None:
            self.conn.progress.add_total(len(items), sum(i.size for i in items))

        def done(written: list[Written]) -> None:
            report(len(written), sum(w.item.size for w in written))

        batch = self.conn.reader()
        if batch is not None:
            downloads = [Download(i.checksum, i.size, i.target) for i in items]
            run_all(lambda group: batch.download(group, self.conn.tmp_dir),
                    batch.groups(downloads), done, self.conn.jobs)
            return
        commit = self._commit()
        run_all(lambda item: [self._one(commit, item)], items, done, self.conn.jobs)

    def _commit(self) -> str:
        """The server commit the wanted items belong to."""
        candidate = self.state.get("pending_move") or head_commit(self.state)
        commit = self.state.commit(candidate) if candidate else None
        if commit is None or commit.server_id is None:
            raise ContentUnavailable(
                "some files are neither in .gas/objects nor on the server",
                "push the commit that has them from the workspace where it was made")
        return commit.server_id

    def _one(self, commit: str, item: Fetch) -> Written:
        if self._fusion:
            found = self._fusion_urls(commit, item.segment).get(item.path)
        else:
            found = self.conn.client.data_detail(self.conn.dataset_id, item.segment, item.path,
                                                 commit)
        if item.mask:  # the item's mask image (its URL is in the label's read form)
            found = ((found or {}).get("label") or {}).get(item.mask)
        if (not isinstance(found, dict) or found.get("checksum", item.checksum) != item.checksum
                or (not item.mask and "checksum" not in found)):
            shown = (mask_path(segment_folder(item.segment), item.path, item.mask) if item.mask
                     else shown_path(item.segment, item.path))
            raise ContentUnavailable(f"{shown} at {commit[:7]} is not on the server",
                                     "run `gas fetch`, then try again")
        return download_url(self.conn.client, Download(item.checksum, item.size, item.target,
                                                       str(found["url"])), self.conn.tmp_dir)

    def _fusion_urls(self, commit: str, segment: str) -> dict[str, dict[str, Any]]:
        """A fusion segment's data at `commit` by file path (listed once: the API looks data
        up by remote path only in normal datasets)."""
        with self._lock:
            found = self._listed.get((commit, segment))
            if found is None:
                found = {}
                for page, _ in self.conn.client.details_pages(self.conn.dataset_id, segment,
                                                              commit):
                    for raw in page:
                        for entry in raw.get("frame") or []:
                            path = data_file(str(entry.get("sensorName")),
                                             str(entry.get("remotePath")))
                            found[path] = entry
                self._listed[(commit, segment)] = found
            return found
