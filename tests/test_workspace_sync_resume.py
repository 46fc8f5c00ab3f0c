"""Interrupted `gas push` / `gas clone` resumed, and push work proportional to the change.

The `gas` process is killed (SIGKILL) right after the server logs its first batch request, then
the same command is run again; the end state must equal an uninterrupted run's. Requests are
counted in the server's access log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from gascli import Gas
from httpuser import user_fixtures
from rawapi import RawApi
from serverproc import ServerProcess
from tcprelay import TcpRelay
from test_workspace_sync import snapshot

from gasvc.api.client import ApiClient
from gasvc.api.session import ServerUnreachable

# slow: in CI always; `-m "not slow"` leaves it out locally (docs/testing.md)
pytestmark = pytest.mark.slow(seconds=30)

FILES = 6000
DEADLINE = 60.0


key, gas, api = user_fixtures("carol")


def make_files(root: Path, count: int = FILES) -> None:
    for i in range(count):
        path = root / "train" / f"{i // 1000:02d}" / f"{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(2048))


class AccessLog:
    """The server's access log from the moment this is made."""

    def __init__(self, server: ServerProcess) -> None:
        self.path = server.stdout_log
        self.start = self.path.stat().st_size

    def lines(self) -> list[str]:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode(errors="replace").splitlines()

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines() if re.search(pattern, line))


def kill_after(gas: Gas, cwd: Path, args: list[str], log: AccessLog, pattern: str,
               times: int = 1) -> None:
    """Run `gas ARGS`; SIGKILL it once the server logged `times` requests matching `pattern`
    (a request is logged when its answer starts)."""
    process = subprocess.Popen([sys.executable, "-m", "gasvc", *args], cwd=cwd, env=gas.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + DEADLINE
    while log.count(pattern) < times and time.monotonic() < deadline:
        assert process.poll() is None, "gas ended before it could be interrupted"
        time.sleep(0.01)
    process.kill()
    process.wait()
    assert log.count(pattern) >= times, "the server never saw the requests"


@pytest.fixture(scope="module")
def big(gas: Gas, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose dataset ("big") holds FILES pushed files."""
    root = tmp_path_factory.mktemp("big")
    gas(root, "init", "big")
    make_files(root)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "many files")
    gas(root, "push")
    return root


def test_interrupted_push_resumes(gas: Gas, http_server: ServerProcess, api: RawApi,
                                  tmp_path: Path) -> None:
    work = tmp_path / "work"
    gas(work, "init", "resume-push")
    make_files(work)
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "many files")
    kill_after(gas, work, ["push", "--jobs", "1"], AccessLog(http_server), r"POST \S+/batch/upload")
    out = gas(work, "push").stdout
    uploaded = int(re.search(r"(\d+) files uploaded", out).group(1))  # type: ignore[union-attr]
    assert 0 < uploaded < FILES
    dataset_id = api.list_datasets("resume-push")["datasets"][0]["id"]
    commits = api.call("GET", f"datasets/{dataset_id}/commits")["commits"]
    assert [c["title"] for c in commits] == ["many files"]
    assert api.call("GET", f"datasets/{dataset_id}/drafts")["drafts"] == []
    gas(tmp_path, "clone", "resume-push", "check")
    assert snapshot(tmp_path / "check") == snapshot(work)
    assert "up to date" in gas(work, "status").stdout


def test_interrupted_clone_resumes(gas: Gas, http_server: ServerProcess, big: Path,
                                   tmp_path: Path) -> None:
    kill_after(gas, tmp_path, ["clone", "big", "cut", "--jobs", "1"], AccessLog(http_server),
               r"POST \S+/batch/download", times=3)
    out = gas(tmp_path, "clone", "big", "cut").stdout
    assert "(resumed)" in out
    downloaded = int(re.search(r"(\d+) downloaded", out).group(1))  # type: ignore[union-attr]
    assert downloaded < FILES
    gas(tmp_path, "clone", "big", "whole")
    cut, whole = tmp_path / "cut", tmp_path / "whole"
    assert snapshot(cut) == snapshot(whole) == snapshot(big)
    for root in (cut, whole):
        assert "nothing to commit, working tree clean" in gas(root, "status").stdout
    assert gas(cut, "log", "--oneline").stdout == gas(whole, "log", "--oneline").stdout
    assert not list((cut / ".gas" / "tmp").glob("*-*"))


def test_clone_killed_before_it_started_runs_again(gas: Gas, big: Path, tmp_path: Path) -> None:
    """A clone killed right after making `.gas/` (nothing recorded yet) is started afresh."""
    from gasvc.workspace.store.create import init

    init(tmp_path / "early")
    out = gas(tmp_path, "clone", "big", "early").stdout
    assert "(resumed)" not in out
    assert snapshot(tmp_path / "early") == snapshot(big)


def test_push_of_a_few_changes_sends_proportional_work(gas: Gas, http_server: ServerProcess,
                                                       big: Path, tmp_path: Path) -> None:
    gas(tmp_path, "clone", "big", "edit")
    edit = tmp_path / "edit"
    for i in (3, 1500, 2999, 4000, 5999):
        (edit / "train" / f"{i // 1000:02d}" / f"{i:05d}.bin").write_bytes(b"changed %d" % i)
    (edit / "train/00/00007.bin").unlink()
    (edit / "train/metadata.jsonl").write_text(
        '{"file_name":"01/01234.bin","label":{"CLASSIFICATION":{"category":"x"}}}\n')
    gas(edit, "add", "-A")
    gas(edit, "commit", "-m", "a few changes")
    log = AccessLog(http_server)
    out = gas(edit, "push").stdout
    assert "(7 changes, 5 files uploaded)" in out
    requests = log.lines()
    assert len(requests) <= 15, "\n".join(requests)
    print("\n".join(requests))
    assert not [line for line in requests if "/data/details" in line or "/data?" in line]
    gas(big, "pull")
    assert snapshot(big) == snapshot(edit)


def test_listing_pages_come_in_order_with_the_next_asked_ahead(http_server: ServerProcess,
                                                               key: str, big: Path) -> None:
    """Details pages come whole and in order while the next is asked for ahead; when the
    server goes away mid-listing, the listing ends in a gas error, not a raw one."""
    with TcpRelay([http_server.port]) as relay, closing(ApiClient(relay.url, key)) as client:
        client.page_size = 1000
        found = client.find_dataset("big")
        assert found is not None
        dataset = str(found["id"])
        branch = client.get_branch(dataset, "main")
        assert branch is not None
        listed = [(len(items), total, [item["remotePath"] for item in items])
                  for items, total in client.details_pages(dataset, "train", branch["commitId"])]
        paths = [path for *_, paths in listed for path in paths]
        total = listed[0][1]  # (other tests change the dataset)
        assert total > 5000 and len(paths) == total and paths == sorted(set(paths))
        assert [count for count, *_ in listed[:-1]] == [1000] * (len(listed) - 1)
        assert {total for _, total, _ in listed} == {total}
        pages = client.details_pages(dataset, "train", branch["commitId"])
        next(pages)
        relay.__exit__(None, None, None)  # the server is gone
        with pytest.raises(ServerUnreachable):
            list(pages)
