"""`RawApi`: a small typed Open API v1 client over plain `requests`, for protocol-level tests.

It speaks the wire protocol directly (spec sections 2.2-2.8), so tests can send what the SDK never
would: bad names, forged keys, tampered URLs, mismatched bytes. `call` checks for success and
returns the JSON body; `request` returns the raw response for tests that expect an error.

    with RawApi(server.api, alice, server.verify) as api:
        dataset_id = api.create_dataset("raw1")
        draft = api.create_draft(dataset_id)
        api.create_segment(dataset_id, draft, "train")
        api.upload_file(dataset_id, draft, "train", "a.txt", b"hello")
        commit_id = api.commit(dataset_id, draft, "first")

A module-scoped fixture yields its `RawApi` and closes it after (`with ... as api: yield api`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from gasvc.model.frames import END, Frame, FrameParser


def sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


class ApiError(AssertionError):
    """A call that `RawApi.call` expected to succeed answered with an error."""


class RawApi:
    """Open API calls as one user (`key`); `key=None` sends no X-Token at all."""

    def __init__(self, api: str, key: str | None, verify: str | bool, timeout: float = 60) -> None:
        self.api = api
        self.key = key
        self.verify = verify
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: no proxy from the environment

    def close(self) -> None:
        """Close the kept-alive connections: a server stopping waits up to 5 s for open ones."""
        self.session.close()

    def __enter__(self) -> RawApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # plumbing ----------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        """Send one Open API request (path relative to the API root) and return the response."""
        sent = {"X-Token": self.key} if self.key is not None else {}
        sent.update(headers or {})
        return self.session.request(
            method, self.api + path, params=params, json=json, data=data, headers=sent,
            verify=self.verify, timeout=self.timeout,
        )

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             json: Any = None) -> Any:
        """Send one request that must succeed (200/201); return its JSON body."""
        response = self.request(method, path, params=params, json=json)
        if response.status_code not in (200, 201):
            raise ApiError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def get_url(self, url: str) -> requests.Response:
        """GET an absolute URL (a storage download URL) without X-Token."""
        return self.session.get(url, verify=self.verify, timeout=self.timeout)

    # datasets and versions ---------------------------------------------------------------
    def create_dataset(self, name: str, *, is_public: bool = False, fusion: bool = False,
                       alias: str = "") -> str:
        body = {"name": name, "type": int(fusion), "alias": alias, "isPublic": is_public}
        dataset_id: str = self.call("POST", "datasets", json=body)["id"]
        return dataset_id

    def list_datasets(self, name: str | None = None, offset: int = 0,
                      limit: int = 128) -> dict[str, Any]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if name is not None:
            params["name"] = name
        page: dict[str, Any] = self.call("GET", "datasets", params=params)
        return page

    def create_draft(self, dataset_id: str, title: str = "draft", branch: str = "main") -> int:
        body = {"title": title, "branchName": branch}
        number: int = self.call("POST", f"datasets/{dataset_id}/drafts", json=body)["draftNumber"]
        return number

    def create_segment(self, dataset_id: str, draft: int, name: str) -> None:
        self.call("POST", f"datasets/{dataset_id}/segments",
                  json={"name": name, "draftNumber": draft})

    def commit(self, dataset_id: str, draft: int, title: str = "commit") -> str:
        body = {"title": title, "draftNumber": draft}
        commit_id: str = self.call("POST", f"datasets/{dataset_id}/commits", json=body)["commitId"]
        return commit_id

    # uploads (spec 2.7) ------------------------------------------------------------------
    def policy(self, dataset_id: str, draft: int, segment: str) -> dict[str, Any]:
        params = {"expired": 240, "segmentName": segment, "draftNumber": draft}
        policy: dict[str, Any] = self.call("GET", f"datasets/{dataset_id}/policies",
                                           params=params)
        return policy

    def upload_blob(self, policy: dict[str, Any], content: bytes,
                    key: str | None = None) -> requests.Response:
        """POST `content` to the policy's host as the SDK does for "fps"; `key` overrides
        `objectPrefix + sha1(content)`. Returns the raw response."""
        fields = {k: str(v) for k, v in policy["result"].items()
                  if k != "multipleUploadLimit" and v is not None}
        checksum = sha1(content)
        fields["key"] = key if key is not None else policy["extra"]["objectPrefix"] + checksum
        return self.session.post(
            policy["extra"]["host"], data=fields, files={"file": (checksum, content)},
            verify=self.verify, timeout=self.timeout,
        )

    def callback(self, dataset_id: str, draft: int, segment: str,
                 objects: list[dict[str, Any]]) -> requests.Response:
        """PUT multi/callback; returns the raw response."""
        body = {"segmentName": segment, "objects": objects, "draftNumber": draft}
        return self.request("PUT", f"datasets/{dataset_id}/multi/callback", json=body)

    def upload_file(self, dataset_id: str, draft: int, segment: str, remote_path: str,
                    content: bytes) -> str:
        """Upload `content` and register it as `remote_path`; return its SHA-1."""
        uploaded = self.upload_blob(self.policy(dataset_id, draft, segment), content)
        if uploaded.status_code not in (200, 201):
            raise ApiError(f"upload answered {uploaded.status_code}: {uploaded.text}")
        registered = self.callback(dataset_id, draft, segment, [
            {"remotePath": remote_path, "checksum": sha1(content), "fileSize": len(content)}
        ])
        if registered.status_code not in (200, 201):
            raise ApiError(f"callback answered {registered.status_code}: {registered.text}")
        return sha1(content)

    # reads -------------------------------------------------------------------------------
    def data_details(self, dataset_id: str, segment: str, *, draft: int | None = None,
                     commit: str | None = None) -> list[dict[str, Any]]:
        """The first page of `data/details` of a segment in a draft or commit."""
        params: dict[str, Any] = {"segmentName": segment, "offset": 0, "limit": 128}
        params.update({"draftNumber": draft} if draft is not None else {"commit": commit})
        items: list[dict[str, Any]] = self.call(
            "GET", f"datasets/{dataset_id}/data/details", params=params)["dataDetails"]
        return items

    def remote_paths(self, dataset_id: str, segment: str, *, draft: int) -> list[str]:
        page = self.call("GET", f"datasets/{dataset_id}/data", params={
            "segmentName": segment, "draftNumber": draft, "offset": 0, "limit": 128})
        return [item["remotePath"] for item in page["data"]]


def framed_files(body: bytes) -> dict[str, bytes]:
    """The files of a framed batch body (the batch extension's upload and download form):
    checksum → bytes."""
    parser, found, current, content = FrameParser(), {}, "", b""
    for event in parser.feed(body):
        if isinstance(event, Frame):
            current, content = event.checksum, b""
        elif event is END:
            found[current] = content
        else:
            content += event
    parser.close()
    return found
