"""Moving file contents, verified by SHA-1: gasvc's batch extension, or the standard per-file flow.

- Batch (servers whose policies carry `extra.batchHost`): `missing` asks which checksums the
  server lacks; `upload` sends many files as one framed stream (model/frames.py); `download`
  gets many blobs by checksum as one framed stream.
- Standard: one multipart POST per file under a GetPolicy answer; one GET per file by the signed
  URL of its data details.
- Batch by URL (policies say `"batchDownload": "urls"`: a server whose blobs are in an object
  store): `urls` gives many blobs' presigned URLs in one request, and each file is fetched from
  the object store by its URL, so the bytes never pass through the server.

Downloads land as api/landing.py says: verified by SHA-1 before they count.
Batch calls are idempotent, so they are retried on connection errors (the adapter's retries
skip POSTs).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import requests

from gasvc.api.client import ApiClient
from gasvc.api.client import _decode as decode
from gasvc.api.landing import (
    Download,
    Sink,
    TransferError,
    Written,
    file_name,
    receive,
    thread_prefix,
)
from gasvc.api.session import BROKEN_CONNECTION, ServerUnreachable, too_slow
from gasvc.model.frames import header

TOKEN_HEADER = "X-Storage-Token"
#: A batch carries at most this many bytes (a bigger file travels alone).
BATCH_BYTES = 32 * 1024 * 1024
READ_CHUNK = 1024 * 1024
#: A policy is fetched again when it has less than this many seconds left.
REFRESH_MARGIN = 300
BATCH_TRIES = 3
#: Seconds a batch upload may add to the client's timeout per file: the server stores every file
#: (on S3, one put each) before it answers, and the last ones may still wait in socket buffers
#: when the client has sent its last byte.
UPLOAD_SECONDS_PER_FILE = 0.25
#: Files per job of a download by URL (one GET each; jobs run in parallel).
URL_GROUP = 16
#: Headers of a GET by signed URL: the URL authorises it, and the access key stays with the API
#: (an object store is another host).
URL_HEADERS: dict[str, Any] = {"X-Token": None}
T = TypeVar("T")


class Upload(NamedTuple):
    checksum: str
    size: int
    path: Path | str


def batches(items: Iterable[T], count: int, size: Callable[[T], int],
            nbytes: int = BATCH_BYTES) -> Iterator[list[T]]:
    """Groups of at most `count` items and about `nbytes` bytes, lazily."""
    group: list[T] = []
    total = 0
    for item in items:
        if group and (len(group) >= count or total + size(item) > nbytes):
            yield group
            group, total = [], 0
        group.append(item)
        total += size(item)
    if group:
        yield group


class Policy:
    """A policy answer (token + extra), fetched again shortly before it expires; thread-safe."""

    def __init__(self, fetch: Callable[[], dict[str, Any]],
                 first: dict[str, Any] | None = None) -> None:
        self._fetch, self._lock = fetch, threading.Lock()
        self._value = first

    def get(self) -> dict[str, Any]:
        with self._lock:
            expires = int((self._value or {}).get("expireAt") or 0)
            if self._value is None or (expires and expires - time.time() < REFRESH_MARGIN):
                self._value = self._fetch()
            return self._value


class BatchStorage:
    """The batch extension, authorised by the token of `policy`."""

    def __init__(self, client: ApiClient, policy: Policy) -> None:
        self.client, self.policy = client, policy

    @property
    def limit(self) -> int:
        return int(self.policy.get()["extra"].get("batchLimit", 1000))

    def _post(self, action: str, stream: bool = False, timeout: float = 0,
              **kwargs: Any) -> requests.Response:
        policy = self.policy.get()
        url = f"{policy['extra']['batchHost']}/{action}"
        headers = {TOKEN_HEADER: policy["result"]["token"]}
        timeout = max(timeout, self.client.timeout)
        for attempt in range(BATCH_TRIES):
            body = kwargs.get("data")
            sent = {**kwargs, "data": body()} if callable(body) else kwargs
            try:
                response = self.client.session.post(url, headers=headers, stream=stream,
                                                    timeout=timeout, **sent)
            except BROKEN_CONNECTION as error:
                if attempt + 1 == BATCH_TRIES:
                    raise ServerUnreachable(f"cannot reach the storage at {url}",
                                            "check the network, then run the command again"
                                            ) from error
                time.sleep(0.5 * 2 ** attempt)
                continue
            except requests.Timeout as error:  # connected, but no answer in time
                raise too_slow(f"the storage at {url}", timeout) from error
            decode(response, body=False)
            return response
        raise AssertionError("unreachable")

    @property
    def direct(self) -> bool:
        """Whether downloads go by URL, straight from the server's object store."""
        return bool(self.policy.get()["extra"].get("batchDownload") == "urls")

    def urls(self, checksums: list[str]) -> dict[str, str]:
        """Download URLs of blobs by checksum (at most `limit` per call)."""
        if not checksums:
            return {}
        answer = self._post("urls", json={"checksums": checksums}).json()
        urls = answer.get("urls") if isinstance(answer, dict) else None
        if not isinstance(urls, dict) or not all(isinstance(urls.get(c), str)
                                                 for c in checksums):
            raise TransferError("the server's answer lacks download URLs",
                                "run the command again")
        return {c: str(urls[c]) for c in checksums}

    def groups(self, downloads: Iterable[Download]) -> Iterator[list[Download]]:
        """`downloads` in groups for `download`, each one job of a pool, lazily. By URL: small
        groups, whose missing URLs are asked for a batch at a time shortly before use."""
        if not self.direct:
            yield from batches(downloads, self.limit, lambda d: d.size)
            return
        for chunk in batches(downloads, self.limit, lambda d: 0):
            urls = self.urls(list(dict.fromkeys(d.checksum for d in chunk if not d.url)))
            filled = [d if d.url else d._replace(url=urls[d.checksum]) for d in chunk]
            yield from batches(filled, URL_GROUP, lambda d: d.size)

    def missing(self, checksums: list[str]) -> set[str]:
        if not checksums:
            return set()
        response = self._post("missing", json={"checksums": checksums})
        return set(response.json()["missing"])

    def upload(self, items: list[Upload]) -> None:
        self._post("upload", data=lambda: FramedBody(items),
                   timeout=len(items) * UPLOAD_SECONDS_PER_FILE).close()

    def download(self, items: list[Download], tmp_dir: Path, in_place: bool = False
                 ) -> list[Written]:
        """Download `items`, verified; `in_place`: see `Sink`."""
        wanted: dict[str, list[Download]] = {}
        for item in items:
            wanted.setdefault(item.checksum, []).append(item)
        if self.direct:
            return self._download_direct(wanted, tmp_dir, in_place)
        with self._post("download", stream=True, json={"checksums": list(wanted)}) as response:
            written = receive(response.iter_content(READ_CHUNK), wanted, tmp_dir, in_place)
        if wanted:
            raise TransferError(f"the server's answer lacks {len(wanted)} files",
                                "run the command again")
        return written

    def _download_direct(self, wanted: dict[str, list[Download]], tmp_dir: Path,
                         in_place: bool) -> list[Written]:
        """Each blob by its URL (the listed one, or asked for)."""
        urls = self.urls([c for c, targets in wanted.items() if not targets[0].url])
        written = []
        for checksum, targets in wanted.items():
            written += fetch_url(self.client, targets[0].url or urls[checksum], targets, tmp_dir,
                                 in_place)
        return written


class FramedBody:
    """The framed stream of `items` as a request body of known length (so it is sent as is,
    not re-framed in HTTP chunks). Files are read straight into one reused buffer: small ones
    gathered into sends of about `READ_CHUNK` bytes, a large one sent piece by piece. Each piece
    is sent before the next is read, so the buffer is never overwritten while in use."""

    def __init__(self, items: list[Upload]) -> None:
        self.items = items
        self.headers = [header(item.checksum, item.size) for item in items]

    def __len__(self) -> int:
        return sum(len(head) + item.size for head, item in zip(self.headers, self.items,
                                                               strict=True))

    def __iter__(self) -> Iterator[memoryview]:
        buffer = bytearray(READ_CHUNK)
        view, used = memoryview(buffer), 0
        for head, item in zip(self.headers, self.items, strict=True):
            if used and used + len(head) + item.size > READ_CHUNK:
                yield view[:used]
                used = 0
            view[used:used + len(head)] = head
            used += len(head)
            fd = os.open(item.path, os.O_RDONLY)
            try:
                left = item.size
                while left:
                    if used == READ_CHUNK:
                        yield view
                        used = 0
                    read = os.readv(fd, [view[used:used + min(left, READ_CHUNK - used)]])
                    if not read:
                        break
                    used += read
                    left -= read
            finally:
                os.close(fd)
            if left:  # shorter than committed
                raise TransferError(f"{item.path} changed while it was sent",
                                    "run the command again")
        if used:
            yield view[:used]


# the standard flow ------------------------------------------------------------------------
def download_url(client: ApiClient, item: Download, tmp_dir: Path, in_place: bool = False
                 ) -> Written:
    """GET one file by its signed URL, verified, into place (`in_place`: see `Sink`)."""
    return fetch_url(client, item.url, [item], tmp_dir, in_place)[0]


def fetch_url(client: ApiClient, url: str, targets: list[Download], tmp_dir: Path,
              in_place: bool = False) -> list[Written]:
    """GET one blob by its signed URL, verified, into place at each of `targets`."""
    try:
        response = client.session.get(url, stream=True, timeout=client.timeout,
                                      headers=URL_HEADERS)
    except BROKEN_CONNECTION as error:
        raise ServerUnreachable(f"cannot download {file_name(targets[0])}",
                                "check the network, then run the command again") from error
    except requests.Timeout as error:
        raise too_slow(f"the download of {file_name(targets[0])}", client.timeout) from error
    with response:
        decode(response, body=False)
        sink = Sink(targets[0].checksum, thread_prefix(tmp_dir),
                    str(targets[0].target) if in_place else None)
        try:
            for chunk in response.iter_content(READ_CHUNK):
                sink.write(chunk)
        except BaseException:
            sink.discard()
            raise
        return sink.finish(targets)


def download_unknown(client: ApiClient, url: str, tmp_dir: Path) -> tuple[Path, str, int]:
    """GET a file whose checksum nobody told (a mask a server lists without it) into a
    temporary file of `tmp_dir`, hashed as it arrives: (the file, its SHA-1, its size)."""
    try:
        response = client.session.get(url, stream=True, timeout=client.timeout,
                                      headers=URL_HEADERS)
    except requests.ConnectionError as error:
        raise ServerUnreachable("cannot download a mask image",
                                "check the network, then run the command again") from error
    except requests.Timeout as error:
        raise too_slow("the download of a mask image", client.timeout) from error
    digest, size = hashlib.sha1(), 0
    tmp = tmp_dir / f"{threading.get_ident()}-{time.time_ns()}.mask"
    try:
        with response, tmp.open("wb") as handle:
            decode(response, body=False)
            for chunk in response.iter_content(READ_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


class FormUploads:
    """One multipart POST per file under GetPolicy answers (cached per segment)."""

    def __init__(self, client: ApiClient, dataset_id: str, draft: int) -> None:
        self.client, self.dataset_id, self.draft = client, dataset_id, draft
        self._policies: dict[str, Policy] = {}
        self._lock = threading.Lock()

    def _policy(self, segment: str) -> dict[str, Any]:
        with self._lock:
            if segment not in self._policies:
                self._policies[segment] = Policy(lambda: self.client.policy(
                    self.dataset_id, self.draft, segment))
            policy = self._policies[segment]
        return policy.get()

    def upload(self, segment: str, item: Upload) -> None:
        policy = self._policy(segment)
        fields = {k: v for k, v in policy["result"].items()
                  if k != "multipleUploadLimit" and v is not None}
        fields["key"] = policy["extra"]["objectPrefix"] + item.checksum
        host = policy["extra"]["host"]
        try:
            with open(item.path, "rb") as handle:
                response = self.client.session.post(
                    host, data=fields, files={"file": (item.checksum, handle)},
                    timeout=self.client.timeout)
        except BROKEN_CONNECTION as error:
            raise ServerUnreachable(f"cannot reach the storage at {host}",
                                    "check the server's --public-url") from error
        except requests.Timeout as error:
            raise too_slow(f"the storage at {host}", self.client.timeout) from error
        decode(response)
