"""The server's engine: datasets, version graph, content, diffs, over the stores."""

from __future__ import annotations

from gasvc.server.blobs import BlobStore
from gasvc.server.engine.content import Content
from gasvc.server.engine.context import Context
from gasvc.server.engine.copymove import CopyMove
from gasvc.server.engine.data import Data
from gasvc.server.engine.datasets import Datasets
from gasvc.server.engine.diffdetails import DiffDetails
from gasvc.server.engine.diffs import Diffs
from gasvc.server.engine.jobs import Jobs
from gasvc.server.engine.stats import Stats
from gasvc.server.engine.versions import Versions
from gasvc.server.meta import MetaStore

DEFAULT_URL_TTL = 3600


class Engine:
    def __init__(self, meta: MetaStore, blobs: BlobStore,
                 url_ttl: int = DEFAULT_URL_TTL, batch_extension: bool = True) -> None:
        self.ctx = Context(meta, blobs)
        self.datasets = Datasets(self.ctx)
        self.versions = Versions(self.ctx)
        self.content = Content(self.ctx, url_ttl, batch_extension)
        self.data = Data(self.ctx, url_ttl)
        self.stats = Stats(self.ctx)
        self.diffs = Diffs(self.ctx)
        self.jobs = Jobs(self.ctx)
        self.copymove = CopyMove(self.ctx)
        self.diff_details = DiffDetails(self.diffs, self.data)
