"""The README's main job: an embedded server in a temporary folder and a dataset's life through
the `gas` command, as a user would type it.

It starts `gas server` as a real process, creates a user and logs in, then makes a workspace of
labelled images: status, add, commit, push, tag; edits a file and a label, diffs and pushes again;
clones the dataset elsewhere and reads the history and the diff between versions from the server.
Each step yields the command and its output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gasvc.api.client import ApiClient
from gasvc.api.session import ServerUnreachable
from gasvc.errors import ClientError

IMAGES = {"cat.jpg": b"pretend-jpeg-of-a-cat", "dog.jpg": b"pretend-jpeg-of-a-dog",
          "car.jpg": b"pretend-jpeg-of-a-car"}
LABELS = {
    "cat.jpg": {"CLASSIFICATION": {"category": "cat"}},
    "dog.jpg": {"CLASSIFICATION": {"category": "dog"}},
    "car.jpg": {"BOX2D": [{"box2d": {"xmin": 1, "ymin": 2, "xmax": 30, "ymax": 40},
                           "category": "car"}]},
}
CATALOG = {"CLASSIFICATION": {"categories": [{"name": n} for n in ("cat", "dog", "wolf")]},
           "BOX2D": {"categories": [{"name": "car"}, {"name": "truck"}]}}


class DemoFailed(ClientError):
    """The demo could not run its story."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gas_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "gasvc", *args]


def _wait_ready(url: str, key: str, process: subprocess.Popen[bytes]) -> None:
    client, deadline = ApiClient(url, key), time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoFailed("the embedded server exited at start",
                             "run `gas server start` by hand")
        try:
            client.get_user()
            return
        except ServerUnreachable:
            time.sleep(0.1)
    raise DemoFailed("the embedded server did not start within 20 s")


class Shell:
    """Runs `gas` commands in folders of the demo, with its own config file and clock."""

    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "GAS_CONFIG": str(home / ".gasconfig"), "GAS_AUTHOR": "demo"}
        for name in ("GAS_URL", "GAS_ACCESS_KEY", "GAS_PROFILE"):
            self.env.pop(name, None)

    def run(self, cwd: Path, *args: str) -> Iterator[str]:
        result = subprocess.run(_gas_argv(*args), cwd=cwd, env=self.env, capture_output=True,
                                text=True, timeout=120)
        yield f"\n$ gas {' '.join(args)}"
        yield from (line for line in (result.stdout + result.stderr).splitlines() if line)
        if result.returncode not in (0, 1):
            raise DemoFailed(f"`gas {' '.join(args)}` failed in the demo")


def run_demo() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="gas-demo-") as tmp:
        root = Path(tmp)
        data = root / "server"
        key = subprocess.run(_gas_argv("server", "add-user", "demo", "--data-dir", str(data)),
                             check=True, capture_output=True, text=True).stdout.strip()
        yield f"created user 'demo' in {data}"
        port = free_port()
        with (root / "server.log").open("wb") as log:
            process = subprocess.Popen(
                _gas_argv("server", "start", "--data-dir", str(data), "--port", str(port)),
                stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}/"
                _wait_ready(url, key, process)
                yield f"server running at {url}"
                yield from _story(Shell(root), root, url, key)
            finally:
                process.terminate()
                process.wait(timeout=15)
        yield "\nserver stopped; demo done"


def _story(sh: Shell, root: Path, url: str, key: str) -> Iterator[str]:
    work = root / "pets"
    _make_files(work)
    yield from sh.run(root, "auth", url, key)
    yield from sh.run(work, "init", "pets")
    yield from sh.run(work, "status", "--porcelain")
    yield from sh.run(work, "add", "-A")
    yield from sh.run(work, "commit", "-m", "Import three images")
    yield from sh.run(work, "push")
    yield from sh.run(work, "tag", "v1")
    car = {"box2d": {"xmin": 1, "ymin": 2, "xmax": 30, "ymax": 40}, "category": "truck"}
    _write_labels(work, {**LABELS, "dog.jpg": {"CLASSIFICATION": {"category": "wolf"}},
                         "car.jpg": {"BOX2D": [car]}})
    (work / "train" / "cat.jpg").write_bytes(b"a sharper picture of the cat")
    yield from sh.run(work, "status")
    yield from sh.run(work, "diff")
    yield from sh.run(work, "commit", "-a", "-m", "Relabel the dog and the car, retake the cat")
    yield from sh.run(work, "push")
    yield from sh.run(root, "clone", "pets", "pets-copy")
    copy = root / "pets-copy"
    yield from sh.run(copy, "log", "--oneline")
    yield from sh.run(copy, "diff", "--stat", "v1", "main")
    yield from sh.run(copy, "diff", "v1", "main")
    yield from sh.run(copy, "status")


def _make_files(work: Path) -> None:
    (work / "train").mkdir(parents=True)
    for name, content in IMAGES.items():
        (work / "train" / name).write_bytes(content)
    _write_labels(work, LABELS)
    (work / "catalog.json").write_text(json.dumps(CATALOG, indent=2) + "\n")


def _write_labels(work: Path, labels: dict[str, object]) -> None:
    lines = [json.dumps({"file_name": name, "label": label}, sort_keys=True)
             for name, label in sorted(labels.items())]
    (work / "train" / "metadata.jsonl").write_text("\n".join(lines) + "\n")
