"""Crash consistency: SIGKILL a real server under commit load, restart it, check the store.

Clients loop over the whole write path (draft → policy → multipart upload → callback → commit)
while the server is killed at random moments. After each restart the store is opened directly
(read-only) and every invariant a crash could break is checked; then a new commit must succeed.
Set GASVC_CRASH_SEED to replay a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from serverproc import ServerProcess

from gasvc.model.canon import canonical_json
from gasvc.model.frames import header
from gasvc.model.names import ROOT_COMMIT

ROUNDS = 5
WORKERS = 3
CATALOG = {"CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}


class Client:
    """The raw Open API write path, one `requests` session per client."""

    def __init__(self, server: ServerProcess, key: str, rnd: random.Random) -> None:
        self.api = server.api
        self.rnd = rnd
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["X-Token"] = key
        self.storage = requests.Session()  # storage calls carry the policy, not the key
        self.storage.trust_env = False

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, self.api + path, timeout=15, **kwargs)
        if response.status_code != 200:
            raise ApiError(response.status_code, response.text)
        return response.json()

    def upload(self, dataset_id: str, draft: int, data: bytes) -> dict[str, Any]:
        policy = self.call("GET", f"datasets/{dataset_id}/policies",
                           params={"draftNumber": draft})
        checksum = hashlib.sha1(data).hexdigest()
        response = self.storage.post(
            policy["extra"]["host"], timeout=15,
            data={"token": policy["result"]["token"],
                  "key": policy["extra"]["objectPrefix"] + checksum},
            files={"file": ("blob", data)},
        )
        if response.status_code != 200:
            raise ApiError(response.status_code, response.text)
        return {"checksum": checksum, "fileSize": len(data)}

    def upload_batch(self, dataset_id: str, draft: int, files: list[bytes]
                     ) -> list[dict[str, Any]]:
        """Upload files in one request of the batch extension (small ones are packed)."""
        policy = self.call("GET", f"datasets/{dataset_id}/policies",
                           params={"draftNumber": draft})
        body = b"".join(header(hashlib.sha1(data).hexdigest(), len(data)) + data
                        for data in files)
        response = self.storage.post(
            policy["extra"]["batchHost"] + "/upload", data=body, timeout=15,
            headers={"X-Storage-Token": policy["result"]["token"]})
        if response.status_code != 200:
            raise ApiError(response.status_code, response.text)
        return [{"checksum": hashlib.sha1(data).hexdigest(), "fileSize": len(data)}
                for data in files]

    def commit_round(self, dataset_id: str, tag: str, first: bool = False) -> str:
        """One draft with 1–3 new labelled files (sometimes a big one), committed."""
        draft = self.call("POST", f"datasets/{dataset_id}/drafts",
                          json={"branchName": "main", "title": tag})["draftNumber"]
        if first:
            self.call("POST", f"datasets/{dataset_id}/segments",
                      json={"draftNumber": draft, "name": "train"})
            self.call("PUT", f"datasets/{dataset_id}/labels/catalogs",
                      json={"draftNumber": draft, "catalog": CATALOG})
        files = [self.rnd.randbytes(self.rnd.choice([1, 1000, 50_000, 200_000, 3_000_000]))
                 for _ in range(self.rnd.randint(1, 3))]
        if self.rnd.random() < 0.5:
            uploaded = self.upload_batch(dataset_id, draft, files)
        else:
            uploaded = [self.upload(dataset_id, draft, data) for data in files]
        objects = [{"remotePath": f"{tag}/{index}.bin",
                    "label": {"CLASSIFICATION": {"category": self.rnd.choice(["cat", "dog"])}},
                    **blob} for index, blob in enumerate(uploaded)]
        self.call("PUT", f"datasets/{dataset_id}/multi/callback",
                  json={"draftNumber": draft, "segmentName": "train", "objects": objects})
        commit_id: str = self.call("POST", f"datasets/{dataset_id}/commits",
                                   json={"draftNumber": draft, "title": tag})["commitId"]
        return commit_id


class ApiError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text}")
        self.status = status


def load(client: Client, dataset_id: str, name: str, stop: threading.Event,
         errors: list[str]) -> None:
    """Commit in a loop until `stop`; a killed server's connection errors are expected."""
    count = 0
    while not stop.is_set():
        count += 1
        try:
            client.commit_round(dataset_id, f"{name}-{count}-{client.rnd.randrange(10**9)}")
        except requests.RequestException:
            time.sleep(0.02)
        except ApiError as error:
            if error.status != 403:  # a stale draft losing the race is fine
                errors.append(str(error))


# the invariants -----------------------------------------------------------------------------
class StoreCheck:
    """Reads the metadata store and blob dir directly and lists every broken invariant."""

    def __init__(self, data_dir: Path) -> None:
        uri = f"file:{data_dir / 'meta.sqlite'}?mode=ro"
        self.db = sqlite3.connect(uri, uri=True)
        self.blob_dir = data_dir / "blobs"
        packs = self.blob_dir / "packs.sqlite"
        self.packs = sqlite3.connect(f"file:{packs}?mode=ro", uri=True) if packs.exists() else None
        self.problems: list[str] = []
        self.verified_blobs: set[str] = set()
        self.packed = 0  # blobs read from packs

    def close(self) -> None:
        self.db.close()
        if self.packs is not None:
            self.packs.close()

    def blob_bytes(self, checksum: str) -> bytes | None:
        """A blob's bytes: its own file, or its place in a pack (server/packs.py)."""
        path = self.blob_dir / checksum[:2] / checksum[2:]
        if path.is_file():
            return path.read_bytes()
        row = None if self.packs is None else self.packs.execute(
            "SELECT pack, offset, size FROM packed WHERE checksum = ?", (checksum,)).fetchone()
        if row is None:
            return None
        self.packed += 1
        with (self.blob_dir / "packs" / f"{row[0]:016x}.pack").open("rb") as pack:
            pack.seek(row[1])
            return pack.read(row[2])

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, args).fetchall()

    def object(self, digest: str | None, what: str) -> Any:
        row = self.rows("SELECT data FROM objects WHERE hash = ?", digest)
        if not row:
            self.problems.append(f"{what}: object {digest} is missing")
            return None
        data = bytes(row[0][0])
        value = json.loads(data)
        if hashlib.sha1(canonical_json(value)).hexdigest() != digest:
            self.problems.append(f"{what}: object {digest} does not hash to its id")
        return value

    def blob(self, checksum: str, size: int, what: str) -> None:
        if checksum in self.verified_blobs:
            return
        data = self.blob_bytes(checksum)
        if data is None:
            self.problems.append(f"{what}: blob {checksum} is missing")
            return
        if hashlib.sha1(data).hexdigest() != checksum or len(data) != size:
            self.problems.append(f"{what}: blob {checksum} has other bytes")
            return
        self.verified_blobs.add(checksum)

    def state(self, state: dict[str, Any], what: str) -> int:
        """Check everything a version state references; return its item count."""
        if state.get("catalog"):
            self.object(state["catalog"], f"{what} catalog")
        total = 0
        for name, segment in state["segments"].items():
            items = 0
            if segment.get("manifest"):
                manifest = self.object(segment["manifest"], f"{what} segment {name}") or []
                for _, leaf_id, count in manifest:
                    leaf = self.object(leaf_id, f"{what} segment {name} leaf") or []
                    if len(leaf) != count:
                        self.problems.append(f"{what}: leaf {leaf_id} has {len(leaf)} items")
                    for path, (checksum, size, _, label_id) in leaf:
                        self.blob(checksum, size, f"{what} {path}")
                        if label_id:
                            self.object(label_id, f"{what} {path} label")
                    items += len(leaf)
            if items != segment.get("count", 0):
                self.problems.append(f"{what}: segment {name} counts {segment.get('count')}")
            total += items
        return total

    def dataset(self, dataset_id: str) -> int:
        """Check one dataset; return its number of commits."""
        commits = {row[0]: row for row in self.rows(
            "SELECT id, parent_id, root, depth FROM commits WHERE dataset_id = ?", dataset_id)}
        for name, head in self.rows(
                "SELECT name, commit_id FROM branches WHERE dataset_id = ?", dataset_id):
            if head != ROOT_COMMIT and head not in commits:
                self.problems.append(f"branch {name} points at missing commit {head}")
        for commit_id, parent, root, _ in commits.values():
            if parent != ROOT_COMMIT and parent not in commits:
                self.problems.append(f"commit {commit_id}: parent {parent} is missing")
            state = self.object(root, f"commit {commit_id} state")
            if state is not None:
                self.state(state, f"commit {commit_id}")
        self.chain(dataset_id, commits)
        self.drafts(dataset_id, commits)
        return len(commits)

    def chain(self, dataset_id: str, commits: dict[str, tuple[Any, ...]]) -> None:
        """One branch only: every commit is on main's first-parent chain, depths count up."""
        [(head,)] = self.rows(
            "SELECT commit_id FROM branches WHERE dataset_id = ? AND name = 'main'", dataset_id)
        seen = 0
        while head != ROOT_COMMIT and head in commits:
            _, parent, _, depth = commits[head]
            if depth != len(commits) - seen:
                self.problems.append(f"commit {head}: depth {depth}")
            seen, head = seen + 1, parent
        if seen != len(commits):
            self.problems.append(f"{len(commits) - seen} commits are not on main")

    def drafts(self, dataset_id: str, commits: dict[str, tuple[Any, ...]]) -> None:
        """A COMMITTED draft has its commit (the one child of its parent); others are intact."""
        children = {row[1] for row in commits.values()}
        committed: list[str] = []
        for number, parent, status, state in self.rows(
                "SELECT number, parent_commit, status, state FROM drafts WHERE dataset_id = ?",
                dataset_id):
            if status == "COMMITTED":
                committed.append(parent)
                if parent not in children:
                    self.problems.append(f"draft {number} is COMMITTED without its commit")
            if status != "OPEN" and self.rows(
                    "SELECT 1 FROM draft_changes WHERE dataset_id = ? AND number = ?",
                    dataset_id, number):
                self.problems.append(f"{status} draft {number} still has pending changes")
            self.state(json.loads(state), f"draft {number}")
        if sorted(committed) != sorted(row[1] for row in commits.values()):
            self.problems.append("COMMITTED drafts and commits do not pair up")


# the test -------------------------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_kill_9_under_commit_load_leaves_a_consistent_store(tmp_path: Path) -> None:
    seed = int(os.environ.get("GASVC_CRASH_SEED") or random.randrange(2**32))
    rnd = random.Random(seed)
    started = time.monotonic()
    with ServerProcess(tmp_path / "data") as server:
        key = server.add_user("crash")
        setup = Client(server, key, random.Random(rnd.random()))
        dataset_id = setup.call("POST", "datasets", json={"name": "crash"})["id"]
        setup.commit_round(dataset_id, "setup", first=True)
        tmp_dir = server.data_dir / "blobs" / "tmp"
        commits, leftovers, packed = 1, 0, 0
        for round_number in range(ROUNDS):
            stop, errors = threading.Event(), list[str]()
            workers = [
                threading.Thread(target=load, args=(
                    Client(server, key, random.Random(rnd.random())), dataset_id,
                    f"r{round_number}w{w}", stop, errors))
                for w in range(WORKERS)
            ]
            for worker in workers:
                worker.start()
            time.sleep(rnd.uniform(0.1, 1.0))
            server.kill()
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
            assert errors == [], f"seed {seed}: unexpected API errors {errors}"
            leftovers = sum(not p.name.startswith("tmpkilled") for p in tmp_dir.iterdir())
            # a half-written upload as a kill can leave it must not get in the way either
            (tmp_dir / f"tmpkilled{round_number}").write_bytes(b"partial upload")
            server.start()

            check = StoreCheck(server.data_dir)
            try:
                now = check.dataset(dataset_id)
            finally:
                check.close()
            assert check.problems == [], f"seed {seed}, round {round_number}: {check.problems}"
            packed = check.packed
            assert now >= commits
            after = Client(server, key, random.Random(rnd.random()))
            head = after.commit_round(dataset_id, f"after-{round_number}")
            branches = after.call("GET", f"datasets/{dataset_id}/branches",
                                  params={"name": "main"})["branches"]
            assert branches[0]["commitId"] == head
            commits = now + 1
    elapsed = time.monotonic() - started
    print(f"seed {seed}: {commits}+ commits, {leftovers} temp files before the last restart,"
          f" {elapsed:.1f} s")
    assert elapsed < 60
    assert packed > 0  # batch uploads of small files were committed, and read from packs
