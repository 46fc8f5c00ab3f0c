"""Security rules over raw HTTP: authentication, visibility, name and path validation, upload
policies, signed download URLs, body limits and the error format (spec 1.3, 1.7, 1.11, 2.7, 2.8.5).

Every error answer must be JSON `{"code", "message"}` (the SDK crashes on anything else), so each
refusal below is checked through `assert_error`.
"""

from __future__ import annotations

import http.client
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from rawapi import RawApi, sha1
from serverproc import ServerProcess

ROOT = "0" * 32
STORAGE = "/gatewayv2/gasvc-storage/v1"
JSON_LIMIT = 64 * 1024 * 1024


def assert_error(response: requests.Response, status: int | tuple[int, ...],
                 code: str | tuple[str, ...]) -> dict[str, Any]:
    """`response` is an error with one of `status` and a JSON `{"code", "message"}` body."""
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers.get("content-type", "").startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    assert body["code"] in codes, body
    return body


@dataclass(frozen=True)
class Seed:
    """alice's private dataset: one committed file, and an open draft on top of it."""

    dataset_id: str
    commit_id: str
    draft: int
    segment: str
    checksum: str
    content: bytes
    url: str


@pytest.fixture(scope="module")
def a_api(server: ServerProcess, alice: str) -> Iterator[RawApi]:
    with RawApi(server.api, alice, server.verify) as api:
        yield api


@pytest.fixture(scope="module")
def b_api(server: ServerProcess, bob: str) -> Iterator[RawApi]:
    with RawApi(server.api, bob, server.verify) as api:
        yield api


@pytest.fixture(scope="module")
def seed(a_api: RawApi) -> Seed:
    dataset_id = a_api.create_dataset("sec_seed")
    first = a_api.create_draft(dataset_id)
    a_api.create_segment(dataset_id, first, "s")
    content = b"seed content " + uuid.uuid4().bytes
    checksum = a_api.upload_file(dataset_id, first, "s", "a.txt", content)
    commit_id = a_api.commit(dataset_id, first)
    draft = a_api.create_draft(dataset_id)
    (item,) = a_api.data_details(dataset_id, "s", commit=commit_id)
    return Seed(dataset_id, commit_id, draft, "s", checksum, content, item["url"])


def unique_bytes(label: str) -> bytes:
    return f"{label} {uuid.uuid4().hex}".encode()


def raw_get(server: ServerProcess, target: str) -> tuple[int, str, bytes]:
    """GET `target` exactly as written (no URL normalisation): (status, content type, body)."""
    context = ssl.create_default_context(cafile=str(server.verify))
    connection = http.client.HTTPSConnection(server.host, server.port, context=context,
                                             timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        connection.close()


def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters replaced (a value of None drops the parameter)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


# authentication ------------------------------------------------------------------------------
BAD_TOKENS = {
    "missing": None,
    "empty": "",
    "unknown": "Accesskey-" + "0" * 32,
    "malformed": "not a key",
}
ENDPOINTS = [
    ("GET", "users"),
    ("GET", "datasets"),
    ("POST", "datasets"),
    ("GET", "storage-configs"),
    ("POST", "storage-configs/local"),
    ("GET", "datasets/{id}"),
    ("PATCH", "datasets/{id}"),
    ("DELETE", "datasets/{id}"),
    ("POST", "datasets/{id}/drafts"),
    ("GET", "datasets/{id}/segments"),
    ("GET", "datasets/{id}/policies"),
    ("PUT", "datasets/{id}/multi/callback"),
    ("GET", "datasets/{id}/data/details"),
    ("GET", "datasets/no-such-dataset"),
]


@pytest.mark.parametrize("token", list(BAD_TOKENS), ids=list(BAD_TOKENS))
@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_bad_token_is_unauthorized(server: ServerProcess, seed: Seed, a_api: RawApi,
                                   method: str, path: str, token: str) -> None:
    stranger = RawApi(server.api, BAD_TOKENS[token], server.verify)
    body = None if method == "GET" else {"name": "sec_stolen", "draftNumber": seed.draft,
                                         "segmentName": seed.segment, "objects": []}
    params = {"commit": seed.commit_id, "segmentName": seed.segment}
    response = stranger.request(method, path.format(id=seed.dataset_id), json=body,
                                params=params)
    assert_error(response, 401, "Unauthorized")
    # nothing happened
    assert a_api.call("GET", f"datasets/{seed.dataset_id}")["name"] == "sec_seed"
    assert a_api.list_datasets("sec_stolen")["totalCount"] == 0


def test_another_users_key_with_a_changed_character_is_unauthorized(
        server: ServerProcess, alice: str) -> None:
    forged = alice[:-1] + ("0" if alice[-1] != "0" else "1")
    assert_error(RawApi(server.api, forged, server.verify).request("GET", "users"),
                 401, "Unauthorized")


# who may see and change a dataset ---------------------------------------------------------------
def test_private_dataset_is_invisible_to_others(seed: Seed, a_api: RawApi,
                                                b_api: RawApi) -> None:
    path = f"datasets/{seed.dataset_id}"
    assert b_api.list_datasets("sec_seed")["datasets"] == []
    assert seed.dataset_id not in {d["id"] for d in b_api.list_datasets()["datasets"]}
    reads = [
        ("GET", path, None),
        ("GET", path + "/segments", {"commit": seed.commit_id}),
        ("GET", path + "/data/details", {"commit": seed.commit_id, "segmentName": "s"}),
        ("GET", path + "/data/urls", {"commit": seed.commit_id, "segmentName": "s"}),
        ("GET", path + "/commits", None),
        ("GET", path + "/drafts", None),
        ("GET", path + "/branches", None),
        ("GET", path + "/policies", {"draftNumber": seed.draft, "segmentName": "s"}),
    ]
    for method, target, params in reads:
        assert_error(b_api.request(method, target, params=params), 404, "ResourceNotExist")
    writes = [
        ("PATCH", path, {"isPublic": True}),
        ("PATCH", path, {"name": "sec_stolen"}),
        ("POST", path + "/drafts", {"branchName": "main", "title": "bob"}),
        ("PUT", path + "/multi/callback", {"segmentName": "s", "draftNumber": seed.draft,
                                           "objects": []}),
        ("DELETE", path, None),
    ]
    for method, target, body in writes:
        # 404 too, so that a private dataset's existence does not leak
        assert_error(b_api.request(method, target, json=body), 404, "ResourceNotExist")
    info = a_api.call("GET", path)
    assert (info["name"], info["isPublic"], info["commitId"]) == ("sec_seed", False,
                                                                   seed.commit_id)


def test_public_dataset_is_readable_but_not_writable_by_others(a_api: RawApi,
                                                               b_api: RawApi) -> None:
    dataset_id = a_api.create_dataset("sec_public", is_public=True)
    draft = a_api.create_draft(dataset_id)
    a_api.create_segment(dataset_id, draft, "s")
    content = unique_bytes("public")
    a_api.upload_file(dataset_id, draft, "s", "p.txt", content)
    commit_id = a_api.commit(dataset_id, draft)
    open_draft = a_api.create_draft(dataset_id)
    path = f"datasets/{dataset_id}"

    # bob reads
    assert b_api.list_datasets("sec_public")["datasets"][0]["id"] == dataset_id
    assert b_api.call("GET", path)["commitId"] == commit_id
    segments = b_api.call("GET", path + "/segments", params={"commit": commit_id})
    assert [s["name"] for s in segments["segments"]] == ["s"]
    (item,) = b_api.data_details(dataset_id, "s", commit=commit_id)
    assert item["remotePath"] == "p.txt"
    assert b_api.get_url(item["url"]).content == content

    # bob cannot write, in the draft alice has open or any other way
    denied = [
        ("POST", path + "/drafts", {"branchName": "main", "title": "bob"}),
        ("PATCH", path, {"isPublic": False}),
        ("PATCH", path, {"name": "sec_stolen"}),
        ("DELETE", path, None),
        ("POST", path + "/segments", {"name": "bob", "draftNumber": open_draft}),
        ("PUT", path + "/multi/callback", {"segmentName": "s", "draftNumber": open_draft,
                                           "objects": []}),
        ("POST", path + "/commits", {"title": "bob", "draftNumber": open_draft}),
        ("POST", path + "/tags", {"name": "bob", "commit": commit_id}),
        ("POST", path + "/branches", {"name": "bob", "commit": commit_id}),
    ]
    for method, target, body in denied:
        assert_error(b_api.request(method, target, json=body), 403, "AccessDenied")
    assert_error(b_api.request("GET", path + "/policies", params={
        "expired": 240, "segmentName": "s", "draftNumber": open_draft}), 403, "AccessDenied")

    info = a_api.call("GET", path)
    assert (info["name"], info["isPublic"], info["commitId"]) == ("sec_public", True,
                                                                   commit_id)
    drafts = a_api.call("GET", path + "/drafts", params={"status": "ALL"})["drafts"]
    assert [d["number"] for d in drafts] == [draft, open_draft]
    assert a_api.call("GET", path + "/tags")["tags"] == []
    assert [b["name"] for b in a_api.call("GET", path + "/branches")["branches"]] == ["main"]
    segments = a_api.call("GET", path + "/segments", params={"draftNumber": open_draft})
    assert [s["name"] for s in segments["segments"]] == ["s"]


def test_storage_config_secrets_are_not_listed(a_api: RawApi, b_api: RawApi) -> None:
    secret = "secret-" + uuid.uuid4().hex
    a_api.call("POST", "storage-configs/oss", json={
        "name": "sec_oss", "filePath": "p", "endpoint": "oss.example", "accesskeyId": "id",
        "accesskeySecret": secret, "bucketName": "b"})
    listed = a_api.request("GET", "storage-configs", params={"name": "sec_oss"})
    assert listed.json()["configs"][0]["name"] == "sec_oss"
    assert secret not in listed.text
    assert b_api.call("GET", "storage-configs", params={"name": "sec_oss"})["configs"] == []
    assert_error(b_api.request("DELETE", "storage-configs/sec_oss"), 404, "ResourceNotExist")
    assert a_api.call("GET", "storage-configs", params={"name": "sec_oss"})["totalCount"] == 1


# names and paths are checked before anything is stored ------------------------------------------
BAD_REMOTE_PATHS = {
    "parent": "../x",
    "inner parent": "a/../../x",
    "absolute": "/abs",
    "backslash": "a\\b",
    "dot part": "a/./b",
    "dot": ".",
    "empty": "",
    "empty part": "a//b",
    "trailing slash": "a/",
    "nul": "a\x00b",
    "newline": "a\nb",
    "escape": "a\x1bb",
    "delete char": "a\x7fb",
    "too long": "x" * 1025,
}


@pytest.mark.parametrize("remote_path", list(BAD_REMOTE_PATHS.values()),
                         ids=list(BAD_REMOTE_PATHS))
def test_bad_remote_path_is_refused(a_api: RawApi, seed: Seed, remote_path: str) -> None:
    obj = {"remotePath": remote_path, "checksum": seed.checksum,
           "fileSize": len(seed.content)}
    assert_error(a_api.callback(seed.dataset_id, seed.draft, seed.segment, [obj]),
                 400, "InvalidParamsValue")
    assert a_api.remote_paths(seed.dataset_id, seed.segment, draft=seed.draft) == ["a.txt"]


def test_longest_remote_path_is_accepted(a_api: RawApi, seed: Seed) -> None:
    dataset_id = a_api.create_dataset("sec_long_path")
    draft = a_api.create_draft(dataset_id)
    a_api.create_segment(dataset_id, draft, "s")
    longest = "d/" * 100 + "x" * (1024 - 200)
    assert len(longest) == 1024
    a_api.upload_blob(a_api.policy(dataset_id, draft, "s"), seed.content)
    response = a_api.callback(dataset_id, draft, "s", [
        {"remotePath": longest, "checksum": seed.checksum, "fileSize": len(seed.content)}])
    assert response.status_code == 200, response.text
    assert a_api.remote_paths(dataset_id, "s", draft=draft) == [longest]


def test_a_batch_with_one_bad_path_registers_nothing(a_api: RawApi, seed: Seed) -> None:
    good = {"remotePath": "good.txt", "checksum": seed.checksum, "fileSize": len(seed.content)}
    bad = {**good, "remotePath": "../bad.txt"}
    assert_error(a_api.callback(seed.dataset_id, seed.draft, seed.segment, [good, bad]),
                 400, "InvalidParamsValue")
    assert a_api.remote_paths(seed.dataset_id, seed.segment, draft=seed.draft) == ["a.txt"]


BAD_SEGMENT_NAMES = {
    "slash": "a/b",
    "parent": "..",
    "dot": ".",
    "backslash": "a\\b",
    "nul": "x\x00y",
    "newline": "x\ny",
    "too long": "s" * 256,
}


@pytest.mark.parametrize("name", list(BAD_SEGMENT_NAMES.values()), ids=list(BAD_SEGMENT_NAMES))
def test_bad_segment_name_is_refused(a_api: RawApi, seed: Seed, name: str) -> None:
    response = a_api.request("POST", f"datasets/{seed.dataset_id}/segments",
                             json={"name": name, "draftNumber": seed.draft})
    assert_error(response, 400, "InvalidParamsValue")
    segments = a_api.call("GET", f"datasets/{seed.dataset_id}/segments",
                          params={"draftNumber": seed.draft})["segments"]
    assert [s["name"] for s in segments] == ["s"]


BAD_DATASET_NAMES = {
    "slash": "a/b",
    "backslash": "a\\b",
    "colon": "tb:x",
    "at": "x@y",
    "hash": "x#y",
    "empty": "",
    "blank": "   ",
    "nul": "x\x00y",
    "tab": "x\ty",
    "too long": "d" * 256,
}


@pytest.mark.parametrize("name", list(BAD_DATASET_NAMES.values()), ids=list(BAD_DATASET_NAMES))
def test_bad_dataset_name_is_refused(a_api: RawApi, seed: Seed, name: str) -> None:
    created = a_api.request("POST", "datasets", json={"name": name, "type": 0, "alias": "",
                                                      "isPublic": False})
    assert_error(created, 400, "InvalidParamsValue")
    renamed = a_api.request("PATCH", f"datasets/{seed.dataset_id}", json={"name": name})
    assert_error(renamed, 400, "InvalidParamsValue")
    assert a_api.call("GET", f"datasets/{seed.dataset_id}")["name"] == "sec_seed"


def test_dataset_name_of_another_type_is_refused(a_api: RawApi) -> None:
    for name in (None, 7, ["x"], {"x": 1}):
        response = a_api.request("POST", "datasets", json={"name": name, "type": 0})
        assert_error(response, 400, ("InvalidParamsValue", "RequestParamsMissing"))
    response = a_api.request("POST", "datasets", json={"name": "sec_type", "type": 2})
    assert_error(response, 400, "InvalidParamsValue")


# uploads -------------------------------------------------------------------------------------
def test_upload_key_outside_the_policy_prefix_is_denied(
        server: ServerProcess, a_api: RawApi, b_api: RawApi, seed: Seed) -> None:
    other_id = a_api.create_dataset("sec_other")
    bobs_id = b_api.create_dataset("sec_bobs")
    policy = a_api.policy(seed.dataset_id, seed.draft, seed.segment)
    assert policy["extra"]["objectPrefix"] == f"{seed.dataset_id}/"
    content = unique_bytes("prefix")
    checksum = sha1(content)
    for key in (
        f"{other_id}/{checksum}",
        f"{bobs_id}/{checksum}",
        f"{seed.dataset_id}/../{other_id}/{checksum}",
        f"{seed.dataset_id}/sub/{checksum}",
        f"/{seed.dataset_id}/{checksum}",
        checksum,
    ):
        assert_error(a_api.upload_blob(policy, content, key=key), 403, "AccessDenied")
    # bob's own policy does not open alice's prefix either
    bobs_draft = b_api.create_draft(bobs_id)
    b_api.create_segment(bobs_id, bobs_draft, "s")
    bobs_policy = b_api.policy(bobs_id, bobs_draft, "s")
    assert_error(b_api.upload_blob(bobs_policy, content, key=f"{seed.dataset_id}/{checksum}"),
                 403, "AccessDenied")
    assert_not_stored(server, a_api, seed, content)


def test_upload_key_that_is_not_a_checksum_is_refused(
        server: ServerProcess, a_api: RawApi, seed: Seed) -> None:
    policy = a_api.policy(seed.dataset_id, seed.draft, seed.segment)
    content = unique_bytes("not a checksum")
    prefix = policy["extra"]["objectPrefix"]
    for name in ("../../meta.sqlite", "..", "x" * 40, sha1(content).upper(), sha1(content)[:39],
                 sha1(content) + "0", ""):
        response = a_api.upload_blob(policy, content, key=prefix + name)
        assert_error(response, (400, 403), ("InvalidParamsValue", "AccessDenied"))
    assert_not_stored(server, a_api, seed, content)


def test_upload_with_a_forged_or_missing_token_is_refused(
        server: ServerProcess, a_api: RawApi, seed: Seed) -> None:
    policy = a_api.policy(seed.dataset_id, seed.draft, seed.segment)
    token = policy["result"]["token"]
    payload, _, signature = token.partition(".")
    content = unique_bytes("forged token")
    forged = [
        payload + "." + "0" * len(signature),
        payload + ".",
        payload,
        "x." + signature,
        "",
    ]
    for bad in forged:
        response = a_api.upload_blob({**policy, "result": {"token": bad}}, content)
        assert_error(response, (400, 403), ("AccessDenied", "RequestParamsMissing"))
    no_token = {**policy, "result": {"multipleUploadLimit": 100}}
    assert_error(a_api.upload_blob(no_token, content), 400, "RequestParamsMissing")
    assert_not_stored(server, a_api, seed, content)


def test_upload_whose_bytes_do_not_match_the_key_is_refused(
        server: ServerProcess, a_api: RawApi, seed: Seed) -> None:
    announced = unique_bytes("announced")
    sent = unique_bytes("actually sent")
    policy = a_api.policy(seed.dataset_id, seed.draft, seed.segment)
    key = policy["extra"]["objectPrefix"] + sha1(announced)
    assert_error(a_api.upload_blob(policy, sent, key=key), 400, "InvalidParamsValue")
    assert_not_stored(server, a_api, seed, announced)
    assert_not_stored(server, a_api, seed, sent)


def test_callback_size_must_match_the_stored_blob(a_api: RawApi, seed: Seed) -> None:
    for size in (len(seed.content) + 1, -1, "13", None):
        obj = {"remotePath": "size.txt", "checksum": seed.checksum, "fileSize": size}
        assert_error(a_api.callback(seed.dataset_id, seed.draft, seed.segment, [obj]),
                     400, ("InvalidParamsValue", "RequestParamsMissing"))
    assert a_api.remote_paths(seed.dataset_id, seed.segment, draft=seed.draft) == ["a.txt"]


def test_callback_cannot_claim_another_datasets_blob(a_api: RawApi, b_api: RawApi,
                                                     seed: Seed) -> None:
    dataset_id = b_api.create_dataset("sec_claim")
    draft = b_api.create_draft(dataset_id)
    b_api.create_segment(dataset_id, draft, "s")
    claim = {"remotePath": "claimed.txt", "checksum": seed.checksum,
             "fileSize": len(seed.content)}
    response = b_api.callback(dataset_id, draft, "s", [claim])
    assert_error(response, 400, ("InvalidParamsValue", "ResourceNotExist"))
    assert b_api.remote_paths(dataset_id, "s", draft=draft) == []


def test_upload_form_must_be_multipart_with_one_file(a_api: RawApi, seed: Seed) -> None:
    policy = a_api.policy(seed.dataset_id, seed.draft, seed.segment)
    host, token = policy["extra"]["host"], policy["result"]["token"]
    content = unique_bytes("form")
    key = policy["extra"]["objectPrefix"] + sha1(content)
    session = a_api.session
    refused = [
        session.post(host, json={"token": token, "key": key}, verify=a_api.verify),
        session.post(host, data=content, verify=a_api.verify),
        session.post(host, data={"token": token, "key": key}, verify=a_api.verify),
        session.post(host, data={"token": token, "key": key}, verify=a_api.verify,
                     files=[("file", ("a", content)), ("file", ("b", content))]),
        session.post(host, verify=a_api.verify, files={"file": ("a", content)},
                     data={"token": token, "key": key,
                           **{f"extra{i}": "x" for i in range(100)}}),
    ]
    for response in refused:
        assert_error(response, (400, 413), ("InvalidParamsValue", "RequestParamsMissing"))


def assert_not_stored(server: ServerProcess, api: RawApi, seed: Seed, content: bytes) -> None:
    """No blob holds `content`: a callback naming it is refused and no file bears its id."""
    checksum = sha1(content)
    obj = {"remotePath": f"{checksum}.bin", "checksum": checksum, "fileSize": len(content)}
    assert_error(api.callback(seed.dataset_id, seed.draft, seed.segment, [obj]),
                 400, "InvalidParamsValue")
    stored = [p for p in server.data_dir.rglob("*") if checksum[2:] in p.name]
    assert stored == []


# downloads -----------------------------------------------------------------------------------
def test_signed_download_url_works(a_api: RawApi, seed: Seed) -> None:
    response = a_api.get_url(seed.url)
    assert response.status_code == 200
    assert response.content == seed.content
    # no X-Token needed, and none helps: the signature alone authorises
    assert RawApi("", None, a_api.verify).get_url(seed.url).content == seed.content


def test_tampered_download_url_is_denied(a_api: RawApi, seed: Seed) -> None:
    query = parse_qs(urlsplit(seed.url).query)
    expires, signature = query["e"][0], query["s"][0]
    other = "f" * 40 if seed.checksum != "f" * 40 else "e" * 40
    tampered = {
        "forged signature": with_query(seed.url, s="0" * len(signature)),
        "short signature": with_query(seed.url, s=signature[:-1]),
        "no signature": with_query(seed.url, s=None),
        "empty signature": with_query(seed.url, s=""),
        "expired": with_query(seed.url, e="1"),
        "extended": with_query(seed.url, e=str(int(expires) + 3600)),
        "no expiry": with_query(seed.url, e=None),
        "another blob": seed.url.replace(seed.checksum, other),
    }
    for name, url in tampered.items():
        response = a_api.get_url(url)
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert_error(response, 403, "AccessDenied")
        assert seed.content not in response.content, name


@pytest.mark.parametrize("blob_id", [
    "../../meta.sqlite",
    "..%2F..%2Fmeta.sqlite",
    "%2e%2e%2f%2e%2e%2fmeta.sqlite",
    "..",
    "%2e%2e",
    "meta.sqlite",
    "not-hex-" + "0" * 32,
    "A" * 40,
    "0" * 39,
    "0" * 41,
    "0" * 40 + "%00",
    "0" * 40 + "%2f..",
])
def test_bad_blob_id_in_download_url_is_refused(server: ServerProcess, seed: Seed,
                                                blob_id: str) -> None:
    query = urlsplit(seed.url).query
    for target in (f"{STORAGE}/blobs/{blob_id}?{query}", f"{STORAGE}/blobs/{blob_id}"):
        status, content_type, body = raw_get(server, target)
        assert status in (400, 403, 404), (target, status, body[:200])
        assert content_type.startswith("application/json"), (target, content_type)
        assert b"SQLite" not in body and seed.content not in body


# limits, unknown routes and the error format -------------------------------------------------
def test_json_body_over_the_limit_is_refused(a_api: RawApi, seed: Seed) -> None:
    padding = b"x" * (JSON_LIMIT + 1024 * 1024)
    body = (b'{"segmentName": "s", "draftNumber": %d, "objects": [], "pad": "' % seed.draft
            + padding + b'"}')
    response = a_api.request("PUT", f"datasets/{seed.dataset_id}/multi/callback", data=body,
                             headers={"Content-Type": "application/json"})
    assert_error(response, 413, ("InvalidParamsValue", "RequestTooLarge"))
    assert a_api.call("GET", "users")["nickname"] == "alice"  # the server is still serving


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_json_numbers_are_refused(a_api: RawApi, seed: Seed, value: str) -> None:
    """Python's json reads NaN and Infinity; stored, they would break every later answer."""
    plain = {"remotePath": "nan.txt", "checksum": seed.checksum,
             "fileSize": len(seed.content), "timestamp": "VALUE"}
    labelled = {**plain, "timestamp": 1.5,
                "label": {"CLASSIFICATION": {"category": "c", "attributes": {"a": "VALUE"}}}}
    for obj in (plain, labelled):
        body = json.dumps({"segmentName": "s", "draftNumber": seed.draft, "objects": [obj]})
        response = a_api.request("PUT", f"datasets/{seed.dataset_id}/multi/callback",
                                 data=body.replace('"VALUE"', value).encode(),
                                 headers={"Content-Type": "application/json"})
        assert_error(response, 400, "InvalidParamsValue")
    assert [d["remotePath"] for d in a_api.data_details(seed.dataset_id, "s",
                                                         draft=seed.draft)] == ["a.txt"]


def test_deeply_nested_json_is_refused(a_api: RawApi, seed: Seed) -> None:
    depth = 100_000
    body = (b'{"segmentName": "s", "draftNumber": %d, "objects": ' % seed.draft
            + b"[" * depth + b"]" * depth + b"}")
    response = a_api.request("PUT", f"datasets/{seed.dataset_id}/multi/callback", data=body,
                             headers={"Content-Type": "application/json"})
    assert_error(response, 400, "InvalidParamsValue")


def test_body_that_is_not_a_json_object_is_refused(a_api: RawApi, seed: Seed) -> None:
    path = f"datasets/{seed.dataset_id}/multi/callback"
    for data in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
        response = a_api.request("PUT", path, data=data,
                                 headers={"Content-Type": "application/json"})
        assert_error(response, 400, "InvalidParamsValue")


@pytest.mark.parametrize(("method", "target"), [
    ("GET", "/"),
    ("GET", "/gatewayv2/"),
    ("GET", "/gatewayv2/tensorbay-open-api/v2/users"),
    ("GET", "/gatewayv2/tensorbay-open-api/v1/no-such-route"),
    ("POST", "/gatewayv2/tensorbay-open-api/v1/datasets/x/no-such-route"),
    ("GET", STORAGE + "/no-such-route"),
])
def test_unknown_route_is_404_json(server: ServerProcess, alice: str, method: str,
                                   target: str) -> None:
    response = requests.request(method, server.url.rstrip("/") + target,
                                headers={"X-Token": alice}, verify=server.verify, timeout=30)
    assert_error(response, 404, "ResourceNotExist")


def test_wrong_method_is_json(server: ServerProcess, a_api: RawApi) -> None:
    assert_error(a_api.request("DELETE", "users"), 405, ("InvalidParamsValue",
                                                         "ResourceNotExist"))
    response = requests.get(server.url + STORAGE.lstrip("/") + "/upload", verify=server.verify,
                            timeout=30)
    assert_error(response, 405, ("InvalidParamsValue", "ResourceNotExist"))


def test_bad_paging_is_refused(a_api: RawApi) -> None:
    for params in ({"offset": -1}, {"limit": -1}, {"offset": "x"}, {"limit": 10**6}):
        assert_error(a_api.request("GET", "datasets", params=params), 400, "InvalidParamsValue")
