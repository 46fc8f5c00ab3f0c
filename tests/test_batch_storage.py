"""The server's batch storage extension at the protocol level: tokens, grants, verification, on
the embedded server (downloads streamed by the server) and a scaled-out one (PostgreSQL + S3:
downloads by presigned URL from the object store)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests
from rawapi import RawApi, framed_files
from serverproc import ServerProcess

from gasvc.model.frames import header

pytestmark = pytest.mark.parametrize("http_server", ["embedded", "scaled"], indirect=True,
                                     scope="module")

def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@pytest.fixture(scope="module")
def users(http_server: ServerProcess) -> tuple[RawApi, RawApi]:
    return (RawApi(http_server.api, http_server.add_user("erin"), True),
            RawApi(http_server.api, http_server.add_user("frank"), True))


def upload_policy(api: RawApi, name: str) -> tuple[str, dict[str, Any]]:
    dataset_id = api.create_dataset(name)
    draft = api.create_draft(dataset_id)
    api.create_segment(dataset_id, draft, "seg")
    return dataset_id, api.policy(dataset_id, draft, "seg")


def post(policy: dict[str, Any], action: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"{policy['extra']['batchHost']}/{action}", timeout=30,
                         headers={"X-Storage-Token": policy["result"]["token"]}, **kwargs)


def frames(*files: bytes) -> bytes:
    return b"".join(header(sha1(f), len(f)) + f for f in files)


def test_upload_missing_download_round_trip(users: tuple[RawApi, RawApi]) -> None:
    api, _ = users
    _, policy = upload_policy(api, "batch1")
    files = [b"one", b"two", b"three" * 1000]
    sums = [sha1(f) for f in files]
    assert post(policy, "missing", json={"checksums": sums}).json()["missing"] == sums
    answer = post(policy, "upload", data=frames(*files))
    assert answer.json() == {"stored": 3, "fileSize": sum(len(f) for f in files)}
    assert post(policy, "missing", json={"checksums": sums}).json()["missing"] == []
    body = post(policy, "download", json={"checksums": sums}).content
    assert framed_files(body) == dict(zip(sums, files, strict=True))


def test_a_bad_checksum_fails_the_whole_batch(users: tuple[RawApi, RawApi]) -> None:
    api, _ = users
    _, policy = upload_policy(api, "batch2")
    good = b"good bytes"
    body = frames(good) + header(sha1(b"announced"), 5) + b"other"
    answer = post(policy, "upload", data=body)
    assert answer.status_code == 400, answer.text
    assert post(policy, "missing", json={"checksums": [sha1(good)]}).json()["missing"] == [
        sha1(good)]


def test_blobs_of_other_datasets_need_their_bytes(users: tuple[RawApi, RawApi]) -> None:
    erin, frank = users
    _, mine = upload_policy(erin, "batch3")
    secret = b"erin's private bytes"
    post(mine, "upload", data=frames(secret)).raise_for_status()
    _, theirs = upload_policy(frank, "batch4")
    assert post(theirs, "missing", json={"checksums": [sha1(secret)]}).json()["missing"] == [
        sha1(secret)]
    refused = post(theirs, "download", json={"checksums": [sha1(secret)]})
    assert refused.status_code == 404
    assert secret not in refused.content


def test_tokens_are_required_and_checked(users: tuple[RawApi, RawApi]) -> None:
    api, _ = users
    dataset_id, policy = upload_policy(api, "batch5")
    host = policy["extra"]["batchHost"]
    assert requests.post(f"{host}/missing", json={"checksums": []}, timeout=30
                         ).status_code == 400
    forged = {"X-Storage-Token": policy["result"]["token"][:-4] + "0000"}
    assert requests.post(f"{host}/upload", data=frames(b"x"), headers=forged, timeout=30
                         ).status_code == 403
    read = api.call("GET", f"datasets/{dataset_id}/storage-extension")
    assert read["extra"]["batchHost"] == host
    as_reader = {"X-Storage-Token": read["result"]["token"]}
    assert requests.post(f"{host}/upload", data=frames(b"x"), headers=as_reader, timeout=30
                         ).status_code == 403
    assert requests.post(f"{host}/missing", json={"checksums": [sha1(b"x")]},
                         headers=as_reader, timeout=30).json() == {"missing": [sha1(b"x")]}


def test_urls_give_granted_blobs_by_the_way_the_policy_names(
    users: tuple[RawApi, RawApi], http_server: ServerProcess
) -> None:
    """`urls` answers a URL per checksum asked for; on S3 it is the object store's (presigned),
    and policies say so (`batchDownload`), so clients fetch the bytes without the server."""
    erin, frank = users
    dataset_id, policy = upload_policy(erin, "batch6")
    files = [b"first file", b"second" * 5000]
    sums = [sha1(f) for f in files]
    post(policy, "upload", data=frames(*files)).raise_for_status()
    scaled = http_server.stores is not None
    read = erin.call("GET", f"datasets/{dataset_id}/storage-extension")
    for answer in (policy, read):
        assert answer["extra"]["batchDownload"] == ("urls" if scaled else "stream")
    answer = post(read, "urls", json={"checksums": [*sums, sums[0]]}).json()
    assert set(answer["urls"]) == set(sums)
    assert answer["expireAt"] > 0
    for checksum, content in zip(sums, files, strict=True):
        url = answer["urls"][checksum]
        assert url.startswith(http_server.url) != scaled  # the object store's, on S3
        assert requests.get(url, timeout=30).content == content
    _, theirs = upload_policy(frank, "batch7")
    refused = post(theirs, "urls", json={"checksums": sums})
    assert refused.status_code == 404, refused.text
    assert "not in this dataset" in refused.json()["message"]
    assert post(theirs, "urls", json={"checksums": ["nope"]}).status_code == 400
    assert requests.post(f"{policy['extra']['batchHost']}/urls", json={"checksums": sums},
                         timeout=30).status_code == 400  # no token
