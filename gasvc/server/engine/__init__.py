"""The server's engine: datasets, version graph, content, diffs, over the stores."""

from __future__ import annotations

from gasvc.server.blobs import BlobStore
from gasvc.server.engine.context import Context
from gasvc.server.engine.datasets import Datasets
from gasvc.server.engine.versions import Versions
from gasvc.server.meta import SqliteMetaStore


class Engine:
    def __init__(self, meta: SqliteMetaStore, blobs: BlobStore) -> None:
        self.ctx = Context(meta, blobs)
        self.datasets = Datasets(self.ctx)
        self.versions = Versions(self.ctx)
