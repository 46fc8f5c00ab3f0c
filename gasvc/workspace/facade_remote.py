"""What the `Workspace` verbs that may need the server get from it: a connection made only when
first needed, from the caller's `Connect`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import CommitRecord, State

if TYPE_CHECKING:
    from gasvc.workspace.sync.connection import Connect, Connection
    from gasvc.workspace.sync.progress import Progress
    from gasvc.workspace.versions.checkout import BlobSource, Fetch, Materializer


def connection(layout: Layout, connect: Connect, jobs: int | None = None,
               progress: Progress | None = None) -> Connection:
    from gasvc.workspace.sync.connection import DEFAULT_JOBS, Connection
    from gasvc.workspace.sync.progress import SILENT

    client, dataset_id = connect()
    return Connection(client, dataset_id, layout, jobs or DEFAULT_JOBS, progress or SILENT)


class _LazyRemote:
    """The server as a `BlobSource`, connected only when a file is actually missing locally."""

    def __init__(self, layout: Layout, state: State, connect: Connect) -> None:
        self.layout, self.state, self.connect = layout, state, connect

    def fetch(self, items: list[Fetch], progress: Any = None) -> None:
        if items:
            from gasvc.workspace.sync.remote_blobs import RemoteBlobs

            RemoteBlobs(connection(self.layout, self.connect), self.state).fetch(items, progress)


def blob_source(layout: Layout, state: State, connect: Connect) -> BlobSource:
    """Local objects first, then the server."""
    from gasvc.workspace.versions.checkout import LocalObjects

    return LocalObjects(layout, _LazyRemote(layout, state, connect))


def materializer(layout: Layout, state: State, connect: Connect) -> Materializer:
    """Makes a fetched commit's state available locally, from the server."""
    def make(commit: CommitRecord) -> str:
        from gasvc.workspace.sync.remote_state import materialize

        return materialize(connection(layout, connect), state, commit)
    return make
