"""Bad input answered with 400 InvalidParamsValue, never a 500, and nothing stored (raw HTTP).

Reserved names ('.gas') through every write path, integers the server cannot hold or that are not
written in ASCII digits, non-boolean flags, over-long titles and descriptions, dataset names '.'
and '..', and JSON nested too deeply.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from rawapi import RawApi, sha1
from serverproc import ServerProcess
from test_security import assert_error

from gasvc.model.frames import header

HUGE = str(2**63)
NON_ASCII_DIGITS = ["١٢٣", "１２", "²", "1٢"]


@dataclass(frozen=True)
class Draft:
    """alice's dataset with an open draft, a segment "s" and the default segment "", each
    holding `a.txt`; `checksum` is a blob uploaded into the dataset."""

    api: RawApi
    dataset_id: str
    number: int
    checksum: str
    size: int

    @property
    def path(self) -> str:
        return f"datasets/{self.dataset_id}/"

    def paths(self, segment: str) -> list[str]:
        return self.api.remote_paths(self.dataset_id, segment, draft=self.number)

    def segments(self) -> list[str]:
        page = self.api.call("GET", self.path + "segments", params={"draftNumber": self.number})
        return [segment["name"] for segment in page["segments"]]


@pytest.fixture(scope="module")
def draft(server: ServerProcess, alice: str) -> Iterator[Draft]:
    with RawApi(server.api, alice, server.verify) as api:  # closed before the server stops
        dataset_id = api.create_dataset("bad_input")
        number = api.create_draft(dataset_id)
        content = f"bad input {uuid.uuid4()}".encode()
        for segment in ("s", ""):
            api.create_segment(dataset_id, number, segment)
            api.upload_file(dataset_id, number, segment, "a.txt", content)
        yield Draft(api, dataset_id, number, sha1(content), len(content))


def assert_invalid(response: requests.Response, *words: str) -> None:
    body = assert_error(response, 400, "InvalidParamsValue")
    for word in words:
        assert word in body["message"], body


# 1. '.gas' is reserved on every write path ---------------------------------------------------
RESERVED_SEGMENTS = [".gas", ".GAS", ".Gas"]
RESERVED_PATHS = [".gas/state.sqlite", "a/.gas/x", ".GAS/x", "a/.gAs", ".gas"]


@pytest.mark.parametrize("name", RESERVED_SEGMENTS)
def test_segment_named_gas_is_refused(draft: Draft, name: str) -> None:
    response = draft.api.request("POST", draft.path + "segments",
                                 json={"name": name, "draftNumber": draft.number})
    assert_invalid(response, "reserved")
    policy = draft.api.request("GET", draft.path + "policies", params={
        "expired": 60, "segmentName": name, "draftNumber": draft.number})
    assert_invalid(policy, "reserved")
    assert sorted(draft.segments()) == ["", "s"]


@pytest.mark.parametrize("segment", ["s", ""])
@pytest.mark.parametrize("remote_path", RESERVED_PATHS)
def test_data_under_gas_is_refused(draft: Draft, segment: str, remote_path: str) -> None:
    item = {"remotePath": remote_path, "checksum": draft.checksum, "fileSize": draft.size}
    base = {"segmentName": segment, "draftNumber": draft.number}
    label = {"CLASSIFICATION": {"category": "c"}}
    for method, path, body in (
        ("PUT", "multi/callback", {**base, "objects": [item]}),
        ("PUT", "callback", {**base, **item}),
        ("PUT", "multi/data/labels", {**base, "objects": [{"remotePath": remote_path,
                                                            "label": label}]}),
        ("PUT", "labels", {**base, "remotePath": remote_path, "label": label}),
    ):
        assert_invalid(draft.api.request(method, draft.path + path, json=body), "reserved")
    assert draft.paths(segment) == ["a.txt"]


def test_a_batch_upload_cannot_register_data_under_gas(draft: Draft) -> None:
    policy = draft.api.policy(draft.dataset_id, draft.number, "")
    content = f"batch {uuid.uuid4()}".encode()
    stored = requests.post(f"{policy['extra']['batchHost']}/upload",
                           data=header(sha1(content), len(content)) + content,
                           headers={"X-Storage-Token": policy["result"]["token"]},
                           verify=draft.api.verify, timeout=30)
    assert stored.status_code == 200, stored.text
    item = {"remotePath": ".gas/state.sqlite", "checksum": sha1(content),
            "fileSize": len(content)}
    assert_invalid(draft.api.callback(draft.dataset_id, draft.number, "", [item]), "reserved")
    assert draft.paths("") == ["a.txt"]


# 3. integers ---------------------------------------------------------------------------------
def test_huge_or_non_ascii_paging_is_refused_and_the_connection_stays_usable(
        draft: Draft) -> None:
    for value in [HUGE, str(2**64), *NON_ASCII_DIGITS]:
        for name in ("offset", "limit"):
            response = draft.api.request("GET", "datasets", params={name: value})
            assert_invalid(response, name)
            assert draft.api.call("GET", "users")["nickname"] == "alice"  # same Session


@pytest.mark.parametrize("value", [HUGE, *NON_ASCII_DIGITS, "0", "-1", "1.0", " 1"])
def test_bad_draft_number_in_the_url_is_refused(draft: Draft, value: str) -> None:
    reads = [
        draft.api.request("GET", draft.path + "segments", params={"draftNumber": value}),
        draft.api.request("GET", draft.path + "data", params={
            "draftNumber": value, "segmentName": "s"}),
        draft.api.request("GET", draft.path + "policies", params={
            "draftNumber": value, "segmentName": "s"}),
        draft.api.request("PATCH", draft.path + f"drafts/{value}", json={"title": "x"}),
        draft.api.request("GET", draft.path + f"diffs/draft-{value}"),
    ]
    for response in reads:
        assert_invalid(response)
    assert draft.api.call("GET", "users")["nickname"] == "alice"


@pytest.mark.parametrize("value", [2**63, 2**70, -(2**63) - 1, True, 1.5, "١", [1], {"n": 1}])
def test_bad_draft_number_in_the_body_is_refused(draft: Draft, value: Any) -> None:
    item = {"remotePath": "new.txt", "checksum": draft.checksum, "fileSize": draft.size}
    for path, body in (
        ("segments", {"name": "new", "draftNumber": value}),
        ("multi/callback", {"segmentName": "s", "objects": [item], "draftNumber": value}),
        ("commits", {"title": "t", "draftNumber": value}),
    ):
        method = "PUT" if path.startswith("multi") else "POST"
        assert_invalid(draft.api.request(method, draft.path + path, json=body))
    assert draft.paths("s") == ["a.txt"]
    assert sorted(draft.segments()) == ["", "s"]


def test_huge_policy_expiry_is_refused(draft: Draft) -> None:
    for value in (HUGE, "١٢٠"):
        response = draft.api.request("GET", draft.path + "policies", params={
            "expired": value, "segmentName": "s", "draftNumber": draft.number})
        assert_invalid(response, "expired")


# 4. names, flags, texts and nesting ----------------------------------------------------------
@pytest.mark.parametrize("name", [".", ".."])
def test_dataset_named_dot_or_dot_dot_is_refused(draft: Draft, name: str) -> None:
    created = draft.api.request("POST", "datasets", json={"name": name, "type": 0,
                                                          "isPublic": False})
    assert_invalid(created, "dataset name")
    assert_invalid(draft.api.request("PATCH", draft.path, json={"name": name}), "dataset name")
    assert draft.api.call("GET", draft.path)["name"] == "bad_input"


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [], {}])
def test_non_boolean_is_public_is_refused(draft: Draft, value: Any) -> None:
    name = f"flag_{uuid.uuid4().hex[:8]}"
    created = draft.api.request("POST", "datasets", json={"name": name, "type": 0,
                                                          "isPublic": value})
    assert_invalid(created, "isPublic")
    assert draft.api.list_datasets(name)["datasets"] == []
    assert_invalid(draft.api.request("PATCH", draft.path, json={"isPublic": value}),
                   "isPublic")
    assert draft.api.call("GET", draft.path)["isPublic"] is False
    notes = draft.api.request("PATCH", draft.path + "notes", json={
        "draftNumber": draft.number, "isContinuous": value})
    assert_invalid(notes, "isContinuous")


def test_dataset_type_true_is_refused(draft: Draft) -> None:
    created = draft.api.request("POST", "datasets", json={"name": "typed", "type": True,
                                                          "isPublic": False})
    assert_invalid(created, "type")


TITLE, DESCRIPTION = 1024, 64 * 1024


def test_titles_and_descriptions_over_the_limit_are_refused(draft: Draft) -> None:
    api, path = draft.api, draft.path
    long_title, long_text = "t" * (TITLE + 1), "d" * (DESCRIPTION + 1)
    refused = [
        ("POST", "drafts", {"branchName": "main", "title": long_title}, "title is longer"),
        ("POST", "drafts", {"branchName": "main", "title": "ok", "description": long_text},
         "description is longer"),
        ("POST", "drafts", {"branchName": "main", "title": "ok", "description": 7},
         "description must be a string"),
        ("PATCH", f"drafts/{draft.number}", {"title": long_title}, "title is longer"),
        ("PATCH", f"drafts/{draft.number}", {"description": long_text},
         "description is longer"),
        ("POST", "commits", {"draftNumber": draft.number, "title": long_title},
         "title is longer"),
        ("POST", "commits", {"draftNumber": draft.number, "title": "ok",
                             "description": long_text}, "description is longer"),
        ("POST", "segments", {"draftNumber": draft.number, "name": "long",
                              "description": long_text}, "description is longer"),
        ("PATCH", "", {"alias": "a" * 256}, "alias is longer"),
    ]
    for method, route, body, message in refused:
        assert_invalid(api.request(method, path + route, json=body), message)
    drafts = api.call("GET", path + "drafts")["drafts"]
    assert [(d["number"], d["title"]) for d in drafts] == [(draft.number, "draft")]
    assert sorted(draft.segments()) == ["", "s"]
    assert api.call("GET", path + "commits", params={"commit": "main"})["commits"] == []


def test_titles_and_descriptions_at_the_limit_are_accepted(draft: Draft) -> None:
    api = draft.api
    dataset_id = api.create_dataset("at_the_limit")
    number = api.call("POST", f"datasets/{dataset_id}/drafts", json={
        "branchName": "main", "title": "t" * TITLE, "description": "d" * DESCRIPTION,
    })["draftNumber"]
    api.call("POST", f"datasets/{dataset_id}/segments", json={
        "draftNumber": number, "name": "s", "description": "d" * DESCRIPTION})
    commit_id = api.call("POST", f"datasets/{dataset_id}/commits", json={
        "draftNumber": number, "title": "c" * TITLE, "description": "d" * DESCRIPTION,
    })["commitId"]
    (commit,) = api.call("GET", f"datasets/{dataset_id}/commits",
                         params={"commit": commit_id})["commits"]
    assert (commit["title"], len(commit["description"])) == ("c" * TITLE, DESCRIPTION)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def with_raw(body: dict[str, Any], raw: str) -> str:
    """`body` as JSON, with the value "RAW" replaced by the JSON text `raw`."""
    return json.dumps(body).replace('"RAW"', raw)


@pytest.mark.parametrize("depth", [101, 1000, 100_000])
def test_json_nested_too_deeply_is_refused_everywhere(draft: Draft, depth: int) -> None:
    deep = nested(depth)
    for method, route, body in (
        ("PUT", draft.path + "labels/catalogs",
         {"draftNumber": draft.number, "catalog": {"CLASSIFICATION": "RAW"}}),
        ("POST", "datasets", {"name": "deep", "type": 0, "isPublic": False, "x": "RAW"}),
        ("PATCH", draft.path + "notes", {"draftNumber": draft.number,
                                         "binPointCloudFields": "RAW"}),
    ):
        response = draft.api.request(method, route, data=with_raw(body, deep).encode(),
                                     headers={"Content-Type": "application/json"})
        assert_invalid(response)
    catalog_now = draft.api.call("GET", draft.path + "labels/catalogs",
                                 params={"draftNumber": draft.number})
    assert catalog_now == {"catalog": {}}
    assert draft.api.call("GET", "users")["nickname"] == "alice"


def test_json_at_the_depth_limit_is_accepted(draft: Draft) -> None:
    dataset_id = draft.api.create_dataset("deep_enough")
    number = draft.api.create_draft(dataset_id)
    body = with_raw({"draftNumber": number, "catalog": {"CLASSIFICATION": "RAW"}}, nested(98))
    response = draft.api.request("PUT", f"datasets/{dataset_id}/labels/catalogs",
                                 data=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text  # the innermost list is at depth 100
    catalog = draft.api.call("GET", f"datasets/{dataset_id}/labels/catalogs",
                             params={"draftNumber": number})["catalog"]
    assert json.dumps(catalog["CLASSIFICATION"]) == nested(98)


# jobs and copy/move: bad arguments are refused when sent, and nothing is queued or written ------
BAD_JOBS: list[tuple[dict[str, Any], str]] = [
    ({"jobType": "unknown", "arguments": {}}, "jobType"),
    ({"jobType": "squashAndMerge", "arguments": "x"}, "arguments"),
    ({"jobType": "squashAndMerge", "arguments": {
        "title": "t", "sourceBranchName": "dev", "targetBranchName": "main",
        "strategy": "merge-somehow"}}, "strategy"),
    ({"jobType": "basicSearch", "arguments": {
        "commit": "0" * 32, "conjunction": "and", "unit": "file",
        "filters": [{"key": "size", "operator": "=", "value": 1}]}}, "commit"),
]


@pytest.mark.parametrize(("body", "word"), BAD_JOBS)
def test_bad_jobs_are_refused_and_not_queued(draft: Draft, body: dict[str, Any],
                                             word: str) -> None:
    response = draft.api.request("POST", draft.path + "jobs", json={"title": "t", **body})
    assert response.status_code in (400, 404), response.text
    assert word in response.json()["message"]
    for job_type in ("squashAndMerge", "basicSearch"):
        listed = draft.api.call("GET", draft.path + "jobs", params={"jobType": job_type})
        assert listed["totalCount"] == 0


BAD_COPIES: list[tuple[str, dict[str, Any], str]] = [
    ("segments?copy", {"strategy": "sideways", "source": {"segmentName": "s"},
                       "segmentName": "t"}, "strategy"),
    ("segments?copy", {"source": {"segmentName": "s"}, "segmentName": "s"}, "itself"),
    ("segments?move", {"source": {"segmentName": "s", "commit": "0" * 32},
                       "segmentName": "t"}, "move"),
    ("data?multipleCopy", {"source": {"segmentName": "s", "remotePaths": ["a.txt"]},
                           "segmentName": "s", "remotePaths": ["b.txt", "c.txt"]}, "remotePaths"),
    ("data?multipleCopy", {"source": {"segmentName": "s", "remotePaths": ["a.txt", "a.txt"]},
                           "segmentName": "s", "remotePaths": ["b.txt", "b.txt"]}, "same target"),
    ("data?multipleCopy", {"source": {"segmentName": "s", "remotePaths": ["a.txt"]},
                           "segmentName": "s", "remotePaths": [".gas/x"]}, ".gas"),
    ("data", {"source": {"segmentName": "s", "remotePaths": ["a.txt"]}, "segmentName": "s"},
     "multipleCopy"),
]


@pytest.mark.parametrize(("path", "body", "word"), BAD_COPIES)
def test_bad_copies_and_moves_are_refused_and_change_nothing(
        draft: Draft, path: str, body: dict[str, Any], word: str) -> None:
    response = draft.api.request("POST", draft.path + path,
                                 json={**body, "draftNumber": draft.number})
    assert_invalid(response, word)
    assert draft.segments() == ["", "s"]
    assert draft.paths("s") == ["a.txt"]
