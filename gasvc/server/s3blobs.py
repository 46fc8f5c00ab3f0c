"""The blob store of a scaled-out server: any S3-compatible object store, through boto3.

Blobs live at `s3://BUCKET/PREFIXblobs/<sha1>`. Every blob is hashed by the server while it
streams in and becomes an object only when its SHA-1 is the announced one: small files are
buffered and put whole, larger ones go up as a multipart upload that is completed only after
the check (and aborted otherwise), so a half-done upload never leaves an object behind; the
parts of a killed one are aborted by `sweep_tmp`. A large file the store has already is only
hashed; a small one is put again (one request either way). In a batch, small files are put in
worker threads while the next ones stream in; the batch commits once all are stored. Downloads
are presigned GET URLs straight from the object store: the bytes never pass through the server.

Endpoint, credentials and region come from the usual `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY` and `AWS_REGION` (or boto3's other sources); a custom endpoint is
addressed path-style (`http://HOST/BUCKET/KEY`), as S3-compatible servers expect.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool

from gasvc.errors import ChecksumMismatch
from gasvc.model.names import check_checksum
from gasvc.server.blobwriters import CHUNK, BufferedWriter, grown
from gasvc.server.meta.store import StoreUnavailable
from gasvc.server.presign import Presigner

#: Bytes of one multipart part (S3 wants ≥ 5 MiB for all parts but the last); smaller files
#: are put in one request.
PART_SIZE = 8 * 1024 * 1024
#: S3 takes at most 10,000 parts: parts grow for larger limits (a margin kept).
MAX_PARTS = 9_000
#: Sizes of blobs known to exist (immutable facts) kept per process.
SIZE_CACHE = 100_000
#: Threads of a process that put a batch's small files; puts one batch has in flight at most.
PUT_THREADS, BATCH_PUTS = 32, 8


def parse_location(location: str) -> tuple[str, str]:
    """(bucket, key prefix ending in '/' or empty) of `s3://BUCKET[/PREFIX]`."""
    parts = urlsplit(location)
    if parts.scheme != "s3" or not parts.netloc:
        raise StoreUnavailable(f"invalid blob location {location!r}",
                          "give s3://BUCKET or s3://BUCKET/PREFIX, or a folder")
    prefix = parts.path.strip("/")
    return parts.netloc, prefix + "/" if prefix else ""


def make_client() -> Any:
    """A thread-safe boto3 S3 client configured from the environment."""
    import boto3
    import botocore.config

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
              or "us-east-1")
    config = botocore.config.Config(
        signature_version="s3v4", max_pool_connections=64,
        retries={"mode": "standard", "max_attempts": 4},
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region,
                                          config=config)


class S3BlobStore:
    direct_downloads = True  # presigned URLs: the object store serves the bytes

    def __init__(self, location: str, client: Any = None) -> None:
        import botocore.exceptions

        self.bucket, self.prefix = parse_location(location)
        self.client = client or make_client()
        self._errors = botocore.exceptions
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.putters = ThreadPoolExecutor(PUT_THREADS, thread_name_prefix="gas-s3-put")
        self._check_bucket(location)
        try:
            self._presigner: Presigner | None = Presigner(self.client, self.bucket)
        except (AttributeError, ValueError):  # not botocore's client: it signs its way
            self._presigner = None

    def _check_bucket(self, location: str) -> None:
        hint = ("create the bucket, and set AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, "
                "AWS_SECRET_ACCESS_KEY and AWS_REGION for the object store")
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors.ClientError as error:
            status = _status(error)
            problem = {404: "does not exist", 403: "refuses these credentials"}.get(
                status, f"answers {error}")
            raise StoreUnavailable(f"bucket {self.bucket!r} of {location} {problem}",
                                   hint) from None
        except self._errors.BotoCoreError as error:
            raise StoreUnavailable(f"cannot reach the object store of {location}: {error}",
                              hint) from None

    def key(self, checksum: str) -> str:
        return f"{self.prefix}blobs/{check_checksum(checksum)}"

    # reading ---------------------------------------------------------------------------
    def size(self, checksum: str) -> int | None:
        with self._lock:
            known = self._sizes.get(checksum)
        if known is not None:
            return known
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(checksum))
        except self._errors.ClientError as error:
            if _status(error) == 404:
                return None
            raise
        size = int(head["ContentLength"])
        self.remember(checksum, size)
        return size

    def remember(self, checksum: str, size: int) -> None:
        with self._lock:
            self._sizes[checksum] = size
            if len(self._sizes) > SIZE_CACHE:
                self._sizes.popitem(last=False)

    def has(self, checksum: str) -> bool:
        return self.size(checksum) is not None

    def sizes(self, checksums: list[str]) -> list[int | None]:
        return [self.size(checksum) for checksum in checksums]

    def read_sized(self, blobs: list[tuple[str, int]]) -> Iterator[Iterator[bytes]]:
        for checksum, size in blobs:
            yield self.read(checksum, 0, size)

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) of a blob, in chunks."""
        if end is not None and end <= start:
            return
        extra = {"Range": f"bytes={start}-{'' if end is None else end - 1}"} if start or end else {}
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(checksum), **extra)
        except self._errors.ClientError as error:
            if _status(error) == 416:  # start at or past the end: nothing to read
                return
            if _status(error) == 404:
                raise FileNotFoundError(f"blob {checksum} does not exist") from None
            raise
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def download_url(self, checksum: str, expires: int) -> str | None:
        """A presigned GET URL valid until `expires` (Unix time)."""
        ttl = max(1, expires - int(time.time()))
        if self._presigner is not None:
            return self._presigner.url(self.key(checksum), ttl)
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.key(checksum)},
            ExpiresIn=ttl)
        return url

    # writing ---------------------------------------------------------------------------
    async def receive(self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed bytes as `checksum`; refuse them when their SHA-1 differs."""
        check_checksum(checksum)
        writer = await run_in_threadpool(S3Writer, self, checksum, max_bytes)
        try:
            buffered = BufferedWriter(writer, max_bytes)
            async for chunk in chunks:
                await buffered.write(chunk)
            return await buffered.finish()
        finally:
            await run_in_threadpool(writer.discard)

    def batch(self) -> S3Batch:
        return S3Batch(self)

    def sweep_tmp(self, max_age: float) -> int:
        """Abort multipart uploads begun over `max_age` seconds ago (of killed servers)."""
        cutoff, aborted = time.time() - max_age, 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "blobs/")
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
                    aborted += 1
        return aborted


class S3Writer:
    """Hashes a blob's bytes while sending them on, as one put or a multipart upload; a large
    blob the store has already is only hashed (the client proves it holds the bytes). `defer`
    takes the final put of a small blob, to run it later (a batch's worker threads)."""

    def __init__(self, store: S3BlobStore, checksum: str, max_bytes: int,
                 defer: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.store, self.checksum, self.max_bytes = store, checksum, max_bytes
        self.key = store.key(checksum)
        self.digest, self.size = hashlib.sha1(), 0
        self.defer = defer
        #: whether the store has the blob: asked before a multipart upload only
        self.known: bool | None = None
        self.pending = bytearray()
        self.part_size = max(PART_SIZE, -(-max_bytes // MAX_PARTS))
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes | memoryview) -> None:
        self.size = grown(self.size, data, self.checksum, self.max_bytes)
        self.digest.update(data)
        if self.known:
            return
        self.pending += data
        while len(self.pending) >= self.part_size:
            if self.known is None:
                self.known = self.store.size(self.checksum) is not None
                if self.known:
                    self.pending.clear()
                    return
            self._send_part(bytes(self.pending[:self.part_size]))
            del self.pending[:self.part_size]

    def _send_part(self, data: bytes) -> None:
        client, bucket = self.store.client, self.store.bucket
        if self.upload_id is None:
            self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=self.key)[
                "UploadId"]
        number = len(self.parts) + 1
        answer = client.upload_part(Bucket=bucket, Key=self.key, UploadId=self.upload_id,
                                    PartNumber=number, Body=data)
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def finish(self) -> int:
        """Check the SHA-1, then make the object; returns the size."""
        if self.digest.hexdigest() != self.checksum:
            raise ChecksumMismatch(
                f"uploaded bytes have SHA-1 {self.digest.hexdigest()}, not {self.checksum}",
                "upload the file again; it may have changed while it was read",
            )
        if self.known:
            self.store.remember(self.checksum, self.size)
        elif self.upload_id is None:
            body, self.known = bytes(self.pending), True
            if self.defer is None:
                self._put(body)
            else:
                self.defer(lambda: self._put(body))
        else:
            if self.pending:
                self._send_part(bytes(self.pending))
            self.store.client.complete_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts})
            self.upload_id, self.known = None, True
            self.store.remember(self.checksum, self.size)
        self.pending.clear()
        return self.size

    def _put(self, body: bytes) -> None:
        self.store.client.put_object(Bucket=self.store.bucket, Key=self.key, Body=body)
        self.store.remember(self.checksum, len(body))

    def discard(self) -> None:
        """Abort an unfinished multipart upload (its parts never become an object)."""
        if self.upload_id is not None:
            upload_id, self.upload_id = self.upload_id, None
            errors = self.store._errors
            with contextlib.suppress(errors.ClientError, errors.BotoCoreError):  # else swept
                self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=upload_id)
        self.pending.clear()


class S3Batch:
    """Each verified blob becomes an object as it finishes (content-addressed and complete, it
    is harmless before the dataset is granted it), small ones put by worker threads (at most
    `BATCH_PUTS` in flight); `commit()` waits until all are stored, `abort()` drops unfinished
    ones."""

    def __init__(self, store: S3BlobStore) -> None:
        self.store = store
        self.writers: list[S3Writer] = []
        self.puts: list[Future[None]] = []
        self._in_flight: deque[Future[None]] = deque()

    def add(self, checksum: str, max_bytes: int) -> S3Writer:
        writer = S3Writer(self.store, checksum, max_bytes, self._defer)
        self.writers.append(writer)
        return writer

    def _defer(self, put: Callable[[], None]) -> None:
        in_flight = self._in_flight
        while in_flight and in_flight[0].done():
            in_flight.popleft()
        if len(in_flight) >= BATCH_PUTS:
            in_flight.popleft().result()  # back-pressure: bytes waiting to be put stay few
        future = self.store.putters.submit(put)
        in_flight.append(future)
        self.puts.append(future)

    def commit(self) -> None:
        """Wait until every finished blob is stored; raise the first failure."""
        for future in self.puts:
            future.result()

    def abort(self) -> None:
        for future in self.puts:
            future.cancel()
        for writer in self.writers:
            writer.discard()


def _status(error: Any) -> int:
    meta = error.response.get("ResponseMetadata", {})
    code = error.response.get("Error", {}).get("Code", "")
    if code in ("404", "NoSuchKey", "NotFound"):
        return 404
    if code == "InvalidRange":
        return 416
    return int(meta.get("HTTPStatusCode", 0))
