"""Server settings: made explicitly by the CLI (or a test) and passed to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gasvc.server.meta.store import StoreUnavailable

API_PREFIX = "/gatewayv2/tensorbay-open-api/v1"
STORAGE_PREFIX = "/gatewayv2/gasvc-storage/v1"
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class ServerSettings:
    #: The embedded server's folder: meta.sqlite and blobs/ (where no location below is given).
    data_dir: Path | None = None
    #: `postgresql://…` for a database several instances share (default: SQLite in data_dir).
    database: str | None = None
    #: `s3://BUCKET/PREFIX` for an object store several instances share (default: data_dir).
    blobs: str | None = None
    host: str = "127.0.0.1"
    port: int = 8321
    certfile: Path | None = None
    keyfile: Path | None = None
    #: Base URL clients reach the server at; by default the one each request came in on.
    public_url: str | None = None
    max_json_bytes: int = 64 * 1024 * 1024
    #: Bytes one authenticated upload request may carry (a file, or a batch's files together).
    max_upload_bytes: int = 16 * 1024 * 1024 * 1024
    #: Temporary files of uploads not written to for this many seconds, and held by no upload
    #: in progress, are removed (leftovers of killed servers and abandoned uploads).
    upload_tmp_max_age: float = 3600.0
    #: Lifetime of signed download URLs and upload policies, in seconds.
    url_ttl: int = 3600
    #: Offer gasvc's batch storage extension (off: serve the standard per-file flow only).
    batch_extension: bool = True
    #: Run a job worker in this instance (off: only take job requests).
    job_worker: bool = True
    #: Seconds a worker holds a running job without renewing it; a job whose server died is
    #: taken over by another worker (or the restarted server) after this.
    job_lease: float = 30.0
    #: Seconds an idle job worker waits before looking for queued jobs again.
    job_poll: float = 0.5

    @property
    def sweep_interval(self) -> float:
        """Seconds between two sweeps of the upload temporary files."""
        return max(0.5, min(self.upload_tmp_max_age / 4, 300.0))

    @property
    def meta_location(self) -> str:
        """A `postgresql://` URL or the SQLite file's path."""
        return self.database or str(self._folder() / "meta.sqlite")

    @property
    def blob_location(self) -> str:
        """An `s3://` URL or the blob folder's path."""
        return self.blobs or str(self._folder() / "blobs")

    def _folder(self) -> Path:
        if self.data_dir is None:
            raise StoreUnavailable("no data folder given",
                              "give --data-dir, or both --database and --blobs")
        return self.data_dir
