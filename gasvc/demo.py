"""The README's main job: an embedded server in a temporary folder and a short story through it.

It starts `gas server` as a real process, creates a user, then versions a tiny labelled dataset
over the Open API: upload, commit and tag, change a label and delete a file, commit again, read
the history and the diff, download and verify a file. Each step yields one line to print.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gasvc.api.client import ApiClient, ServerUnreachable
from gasvc.errors import GasError

FILES = {
    "images/cat.jpg": (b"pretend-jpeg-of-a-cat", {"CLASSIFICATION": {"category": "cat"}}),
    "images/dog.jpg": (b"pretend-jpeg-of-a-dog", {"CLASSIFICATION": {"category": "dog"}}),
    "images/car.jpg": (b"pretend-jpeg-of-a-car", {"BOX2D": [
        {"box2d": {"xmin": 1, "ymin": 2, "xmax": 30, "ymax": 40}, "category": "car"}]}),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gas(*args: str) -> list[str]:
    return [sys.executable, "-m", "gasvc", *args]


def _wait_ready(client: ApiClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GasError("the embedded server exited at start", "run with --debug")
        try:
            client.get_user()
            return
        except ServerUnreachable:
            time.sleep(0.1)
    raise GasError("the embedded server did not start within 20 s")


def run_demo() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="gas-demo-") as tmp:
        data = Path(tmp) / "server"
        key = subprocess.run(_gas("server", "add-user", "demo", "--data-dir", str(data)),
                             check=True, capture_output=True, text=True).stdout.strip()
        yield f"created user 'demo' with key {key[:14]}… in {data}"
        port = free_port()
        log = (Path(tmp) / "server.log").open("wb")
        process = subprocess.Popen(
            _gas("server", "start", "--data-dir", str(data), "--port", str(port)),
            stdout=log, stderr=subprocess.STDOUT)
        try:
            client = ApiClient(f"http://127.0.0.1:{port}/", key)
            _wait_ready(client, process)
            yield f"server running at http://127.0.0.1:{port}/"
            yield from _story(client, Path(tmp))
        finally:
            process.terminate()
            process.wait(timeout=15)
            log.close()
        yield "server stopped; demo done"


def _story(client: ApiClient, tmp: Path) -> Iterator[str]:
    dataset = client.create_dataset("pets")
    draft = client.create_draft(dataset, "main", "first import")
    client.create_segment(dataset, draft, "train")
    objects = []
    for path, (content, label) in FILES.items():
        checksum, size = client.upload_blob(dataset, draft, "train", content)
        objects.append({"remotePath": path, "checksum": checksum, "fileSize": size,
                        "label": label})
    client.callback(dataset, draft, "train", objects)
    first = client.commit(dataset, draft, "Import three images", tag="v1")
    yield f"committed {first[:7]} 'Import three images' with {len(objects)} files, tagged v1"

    draft = client.create_draft(dataset, "main", "relabel")
    client.upload_labels(dataset, draft, "train", [
        {"remotePath": "images/dog.jpg", "label": {"CLASSIFICATION": {"category": "wolf"}}}])
    client.delete_data(dataset, draft, "train", "images/car.jpg")
    second = client.commit(dataset, draft, "Relabel the dog, drop the car")
    yield f"committed {second[:7]} 'Relabel the dog, drop the car'"

    for commit in client.commits(dataset, "main"):
        yield f"log: {commit['commitId'][:7]} {commit['title']}"
    for segment in client.segment_diffs(dataset, f"commit-{first}...commit-{second}"):
        for item in client.data_diffs(dataset, f"commit-{first}...commit-{second}",
                                      segment["name"]):
            yield (f"diff v1..main: {segment['name']}/{item['remotePath']}: {item['action']}"
                   f" (file {item['file']['action'] or 'same'},"
                   f" label {item['label']['action'] or 'same'})")
    for item in client.data_details(dataset, "train", second):
        target = tmp / item["remotePath"].replace("/", "_")
        client.download(item["url"], hashlib.sha1(FILES[item["remotePath"]][0]).hexdigest(),
                        target)
        yield f"downloaded {item['remotePath']} ({target.stat().st_size} bytes, checksum ok)"
