"""Event-loop latency under load: small requests while a large upload and download are in flight.

A server that writes, hashes or fsyncs uploads (or reads downloads) on its event loop makes every
other request wait for those disk calls. This mode measures p50/p99 of two small requests —
GetUser and one page of data details — first on an idle server, then while one client uploads a
`--loop-size-mb` file through an upload policy (multipart POST, as the SDK does) and another
downloads a file of the same size by its signed URL, again and again until the upload is done
(a download from the page cache is much faster than an upload).

    .venv/bin/python benchmarks/server_bench.py --loop-latency [--loop-size-mb 1024]

Everything lives in a fresh folder under the system temp dir, removed at the end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

MB = 1024 * 1024
CHUNK = 8 * MB
IDLE_REQUESTS = 200
REQUEST_TIMEOUT = 900.0


def write_random_file(path: Path, size: int) -> str:
    """A file of `size` random bytes; returns its SHA-1."""
    digest = hashlib.sha1()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def add_user(data_dir: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "gasvc", "server", "add-user", "bench",
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def multipart(fields: dict[str, str], path: Path, boundary: str) -> Iterator[bytes]:
    """A multipart/form-data body streamed from `path`: the fields first, then the file."""
    for name, value in fields.items():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
               f"{value}\r\n").encode()
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


class Client:
    """One user's calls to one dataset's open draft."""

    def __init__(self, api: str, key: str) -> None:
        self.api = api
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["X-Token"] = key
        self.dataset = ""
        self.draft = 0

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, self.api + path, timeout=REQUEST_TIMEOUT,
                                        **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def setup(self) -> None:
        self.dataset = self.call("POST", "datasets", json={"name": "loop", "type": 0,
                                                           "isPublic": False})["id"]
        self.draft = self.call("POST", f"datasets/{self.dataset}/drafts",
                               json={"title": "d", "branchName": "main"})["draftNumber"]
        self.call("POST", f"datasets/{self.dataset}/segments",
                  json={"name": "s", "draftNumber": self.draft})

    def upload(self, path: Path, checksum: str, remote_path: str) -> float:
        """Upload a file through a fresh policy and register it; returns the upload's seconds."""
        policy = self.call("GET", f"datasets/{self.dataset}/policies", params={
            "expired": 3600, "segmentName": "s", "draftNumber": self.draft})
        fields = {k: str(v) for k, v in policy["result"].items()
                  if k != "multipleUploadLimit" and v is not None}
        fields["key"] = policy["extra"]["objectPrefix"] + checksum
        boundary = uuid.uuid4().hex
        started = time.perf_counter()
        with requests.Session() as plain:
            plain.trust_env = False
            response = plain.post(policy["extra"]["host"], data=multipart(fields, path, boundary),
                                  headers={"Content-Type": f"multipart/form-data; "
                                                           f"boundary={boundary}"},
                                  timeout=REQUEST_TIMEOUT)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"upload -> {response.status_code}: {response.text}")
        self.call("PUT", f"datasets/{self.dataset}/multi/callback", json={
            "segmentName": "s", "draftNumber": self.draft, "objects": [{
                "remotePath": remote_path, "checksum": checksum,
                "fileSize": path.stat().st_size}]})
        return seconds

    def page(self) -> dict[str, Any]:
        page: dict[str, Any] = self.call("GET", f"datasets/{self.dataset}/data/details", params={
            "segmentName": "s", "draftNumber": self.draft, "offset": 0, "limit": 128})
        return page

    def url_of(self, remote_path: str) -> str:
        items = self.page()["dataDetails"]
        return str(next(item["url"] for item in items if item["remotePath"] == remote_path))


def download(url: str) -> float:
    started = time.perf_counter()
    with requests.Session() as plain:
        plain.trust_env = False
        with plain.get(url, stream=True, timeout=REQUEST_TIMEOUT) as response:
            response.raise_for_status()
            for _ in response.iter_content(MB):
                pass
    return time.perf_counter() - started


def small_requests(client: Client, until: Any) -> dict[str, list[float]]:
    """Alternate GetUser and a data page while `until()` is false; each call's seconds."""
    times: dict[str, list[float]] = {"GetUser": [], "data page": []}
    while not until():
        for name, call in (("GetUser", lambda: client.call("GET", "users")),
                           ("data page", client.page)):
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return times


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"n": len(ordered), "p50_ms": cut[49] * 1000, "p99_ms": cut[98] * 1000,
            "max_ms": ordered[-1] * 1000}


def measure(client: Client, big: Path, big_sum: str, other: Path, other_sum: str
            ) -> dict[str, Any]:
    counter = iter(range(IDLE_REQUESTS))
    idle = small_requests(client, lambda: next(counter, None) is None)
    url = client.url_of("big.bin")
    seconds: dict[str, float] = {}
    downloads: list[float] = []
    uploader = threading.Thread(target=lambda: seconds.update(
        upload=client_copy(client).upload(other, other_sum, "other.bin")))
    downloader = threading.Thread(target=lambda: downloads.extend(
        download(url) for _ in iter(uploader.is_alive, False)))
    uploader.start()
    downloader.start()
    loaded = small_requests(client, lambda: not uploader.is_alive())
    uploader.join()
    downloader.join()
    seconds["download"] = statistics.median(downloads) if downloads else 0.0
    return {"idle": {k: percentiles(v) for k, v in idle.items()},
            "loaded": {k: percentiles(v) for k, v in loaded.items()},
            "transfer_seconds": seconds, "downloads": len(downloads)}


def client_copy(client: Client) -> Client:
    """Another session of the same user on the same draft (sessions are not thread-safe)."""
    copy = Client(client.api, str(client.session.headers["X-Token"]))
    copy.dataset, copy.draft = client.dataset, client.draft
    return copy


def run_loop_latency(size_mb: int, server_class: Any) -> dict[str, Any]:
    """Start a server in a temp folder, measure, and remove the folder."""
    work = Path(tempfile.mkdtemp(prefix="gasvc-loop-bench-"))
    try:
        print(f"  writing two {size_mb} MB files in {work}", flush=True)
        big, other = work / "big.bin", work / "other.bin"
        big_sum = write_random_file(big, size_mb * MB)
        other_sum = write_random_file(other, size_mb * MB)
        data_dir = work / "data"
        key = add_user(data_dir)
        server = server_class(data_dir)
        server.start(key)
        try:
            client = Client(server.api, key)
            client.setup()
            small = work / "small.bin"
            small.write_bytes(b"small file")
            client.upload(small, hashlib.sha1(b"small file").hexdigest(), "small.bin")
            print("  uploading the file to download (not timed)", flush=True)
            client.upload(big, big_sum, "big.bin")
            result = measure(client, big, big_sum, other, other_sum)
        finally:
            server.stop()
        result["size_mb"] = size_mb
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_result(result: dict[str, Any]) -> None:
    print(f"\nsmall requests while a {result['size_mb']} MB upload and download run "
          f"(upload {result['transfer_seconds'].get('upload', 0):.1f} s; "
          f"{result['downloads']} downloads meanwhile, median "
          f"{result['transfer_seconds'].get('download', 0):.1f} s):")
    for phase in ("idle", "loaded"):
        for name, figures in result[phase].items():
            print(f"  {phase:6} {name:9}: p50 {figures['p50_ms']:8.1f} ms  p99 "
                  f"{figures['p99_ms']:8.1f} ms  max {figures['max_ms']:8.1f} ms  "
                  f"(n={figures['n']})")
