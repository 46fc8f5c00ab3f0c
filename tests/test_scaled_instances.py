"""Two server instances on one PostgreSQL database and one S3 bucket, as behind a load balancer:
what one writes the other reads, concurrent commits through both have exactly one winner per
round and lose nothing, download URLs are served by the object store alone, and a push cut
short by `kill -9` of one instance is completed through the other."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from engines import PostgresCluster, SeaweedS3, new_stores
from gascli import Gas
from rawapi import ApiError, RawApi, sha1
from serverproc import ServerProcess, Stores
from tcprelay import TcpRelay
from test_workspace_sync import snapshot
from test_workspace_sync_resume import AccessLog, make_files

pytestmark = pytest.mark.slow(seconds=40)


@pytest.fixture(scope="module")
def stores(pg_cluster: PostgresCluster, s3_server: SeaweedS3) -> Stores:
    return new_stores(pg_cluster, s3_server)


@pytest.fixture(scope="module")
def relay() -> Iterator[TcpRelay]:
    """The load balancer in front of both instances (connections take turns)."""
    with TcpRelay([]) as balancer:
        yield balancer


@pytest.fixture(scope="module")
def pair(stores: Stores, relay: TcpRelay, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two instances on one database and bucket; the URLs they hand out name the relay."""
    root = tmp_path_factory.mktemp("pair")
    public = ("--public-url", relay.url.rstrip("/"))
    with ServerProcess(root / "a", stores=stores, extra_args=public) as a, \
            ServerProcess(root / "b", stores=stores, extra_args=public) as b:
        relay.backends = [a.port, b.port]
        yield a, b


@pytest.fixture(scope="module")
def key(pair: tuple[ServerProcess, ServerProcess]) -> str:
    return pair[0].add_user("alice")


def apis(pair: tuple[ServerProcess, ServerProcess], key: str) -> tuple[RawApi, RawApi]:
    return RawApi(pair[0].api, key, True), RawApi(pair[1].api, key, True)


def test_a_write_through_one_is_read_through_the_other(
    pair: tuple[ServerProcess, ServerProcess], key: str
) -> None:
    a, b = apis(pair, key)
    dataset_id = a.create_dataset("shared")
    assert [d["id"] for d in b.list_datasets("shared")["datasets"]] == [dataset_id]
    draft = b.create_draft(dataset_id)
    b.create_segment(dataset_id, draft, "train")
    content = b"uploaded through b"
    uploaded = b.upload_blob(b.policy(dataset_id, draft, "train"), content)
    assert uploaded.status_code == 200, uploaded.text
    registered = a.callback(dataset_id, draft, "train", [  # b stored it; a accepts it
        {"remotePath": "x.bin", "checksum": sha1(content), "fileSize": len(content)}])
    assert registered.status_code == 200, registered.text
    commit = a.commit(dataset_id, draft, "through both")
    items = b.data_details(dataset_id, "train", commit=commit)
    assert [(i["remotePath"], i["checksum"]) for i in items] == [("x.bin", sha1(content))]
    assert b.get_url(items[0]["url"]).content == content


def test_concurrent_commits_through_both_have_one_winner_per_round(
    pair: tuple[ServerProcess, ServerProcess], key: str
) -> None:
    a, b = apis(pair, key)
    dataset_id = a.create_dataset("race")
    landed: list[str] = []
    for round_ in range(4):
        drafts = []
        for name, api in (("a", a), ("b", b)):
            draft = api.create_draft(dataset_id, f"{name}{round_}")
            _upload(api, dataset_id, draft, f"{name}{round_}")
            drafts.append((name, api, draft))
        results: dict[str, str | Exception] = {}
        start = threading.Barrier(2)

        def commit(name: str, api: RawApi, draft: int, title: str,
                   start: threading.Barrier = start,
                   results: dict[str, str | Exception] = results) -> None:
            start.wait()
            try:
                results[name] = api.commit(dataset_id, draft, title)
            except ApiError as error:
                results[name] = error

        threads = [threading.Thread(target=commit, args=(*d, f"{d[0]}{round_}"))
                   for d in drafts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        winners = [name for name, result in results.items() if isinstance(result, str)]
        assert len(winners) == 1, results
        loser = next(d for d in drafts if d[0] not in winners)
        assert "moved since draft" in str(results[loser[0]])
        # the loser starts again from the new head: nothing is lost
        name, api, _ = loser
        retry = api.create_draft(dataset_id, f"{name}{round_} again")
        _upload(api, dataset_id, retry, f"{name}{round_}")
        api.commit(dataset_id, retry, f"{name}{round_}")
        landed += [f"{winners[0]}{round_}", f"{name}{round_}"]
    commits = b.call("GET", f"datasets/{dataset_id}/commits", params={"limit": 100})["commits"]
    assert sorted(c["title"] for c in commits) == sorted(landed)
    head = commits[0]["commitId"]
    paths = {i["remotePath"] for i in a.data_details(dataset_id, "train", commit=head)}
    assert paths == {f"{title}.txt" for title in landed}


def _upload(api: RawApi, dataset_id: str, draft: int, name: str) -> None:
    segments = api.call("GET", f"datasets/{dataset_id}/segments",
                        params={"draftNumber": draft})["segments"]
    if not any(s["name"] == "train" for s in segments):
        api.create_segment(dataset_id, draft, "train")
    api.upload_file(dataset_id, draft, "train", f"{name}.txt", name.encode())


def test_download_urls_are_served_without_either_instance(
    pair: tuple[ServerProcess, ServerProcess], key: str
) -> None:
    a, b = apis(pair, key)
    dataset_id = a.create_dataset("urls")
    draft = a.create_draft(dataset_id)
    a.create_segment(dataset_id, draft, "train")
    a.upload_file(dataset_id, draft, "train", "u.bin", b"served by the object store")
    commit = a.commit(dataset_id, draft)
    url = b.data_details(dataset_id, "train", commit=commit)[0]["url"]
    for server in pair:
        server.stop()
    try:
        with requests.Session() as plain:
            plain.trust_env = False
            assert plain.get(url, timeout=10).content == b"served by the object store"
    finally:
        for server in pair:
            server.start()


def test_push_cut_by_kill_9_of_one_instance_completes_through_the_other(
    pair: tuple[ServerProcess, ServerProcess], relay: TcpRelay, key: str, tmp_path: Path
) -> None:
    """`gas push` through the load balancer, its requests spread over both instances; one is
    killed mid-push; the push run again completes through the other, and a clone equals it."""
    a, b = pair
    gas = Gas(tmp_path / "home")
    gas.login(SimpleNamespace(url=relay.url, tls=None), key)  # type: ignore[arg-type]
    work = tmp_path / "work"
    gas(work, "init", "killed")
    make_files(work, 1500)
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "many files")
    logs = [AccessLog(a), AccessLog(b)]
    errors = tmp_path / "push.err"
    with errors.open("w") as stderr:
        push = subprocess.Popen([sys.executable, "-m", "gasvc", "push", "--jobs", "2"],
                                cwd=work, env=gas.env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 60
    while logs[0].count(r"POST \S+/batch/upload") < 1 and time.monotonic() < deadline:
        assert push.poll() is None, "the push ended before an instance could be killed"
        time.sleep(0.01)
    a.kill()  # kill -9, mid-push
    try:
        # the push finishes through b (its batch requests are retried), or fails cleanly
        assert push.wait(120) in (0, 1), errors.read_text()
        assert "this is a bug" not in errors.read_text()
        gas(work, "push")
        assert logs[1].count(r"POST \S+/batch/upload")  # b took over
        api = RawApi(b.api, key, True)
        dataset_id = api.list_datasets("killed")["datasets"][0]["id"]
        commits = api.call("GET", f"datasets/{dataset_id}/commits")["commits"]
        assert [c["title"] for c in commits] == ["many files"]
        gas(tmp_path, "clone", "killed", "check")
        assert snapshot(tmp_path / "check") == snapshot(work)
        assert "up to date" in gas(work, "status").stdout
    finally:
        push.kill()
        a.start()
