"""An Open API v1 client: one method per endpoint, paging, retries, errors → `GasError`.

The HTTP session, its retries and the connection errors are in session.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from gasvc.api.session import (
    BROKEN_CONNECTION,
    RETRY,
    ServerUnreachable,
    Session,
    UntrustedServer,
    WrongScheme,
    speaks_tls,
    too_slow,
)
from gasvc.errors import (
    BY_CODE,
    ClientError,
    ResourceNotExist,
    ServerError,
    Unauthorized,
    WireError,
)

API_PATH = "gatewayv2/tensorbay-open-api/v1/"
PAGE = 128
HINTS = {
    "Unauthorized": "check the access key: `gas auth URL ACCESSKEY`",
    "AccessDenied": "the dataset belongs to someone else; ask its owner",
}


def at_version(commit: str) -> dict[str, Any]:
    """Status info (spec 1.10) of a version named as the readers below take it: a commit id, or
    a draft as a basehead names it (`draft-N`)."""
    if commit.startswith("draft-") and commit[6:].isdigit():
        return {"draftNumber": int(commit[6:])}
    return {"commit": commit}


class CorruptDownload(ClientError):
    """Downloaded bytes whose SHA-1 is not the one asked for."""


class UnreadableAnswer(ClientError):
    """A success answer whose body is not standard JSON: likely not a gas or TensorBay server."""


class ApiClient:
    """Talks to one server as one user. `verify` is True, False or a CA bundle path."""

    def __init__(self, url: str, key: str, verify: bool | str = True, timeout: float = 60,
                 pool: int = 16, tls_source: str = "") -> None:
        self.site = url if url.endswith("/") else url + "/"
        #: Which setting chose `verify`, named in TLS errors.
        self.tls_source = tls_source
        self.root = self.site + API_PATH
        self.timeout = timeout
        #: Items per page of listings: the SDK's 128, raised for servers that allow more.
        self.page_size = PAGE
        self.session = Session()
        self.session.verify = verify
        self.session.headers.update({"X-Token": key, "X-Source": "GASVC"})
        adapter = HTTPAdapter(max_retries=RETRY, pool_connections=pool, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        """Let go of the connection pools: their kept-alive connections close (once no response
        still refers to one)."""
        self.session.close()

    # plumbing ----------------------------------------------------------------------------
    def url(self, section: str, dataset_id: str = "") -> str:
        if dataset_id:
            return f"{self.root}datasets/{dataset_id}" + (f"/{section}" if section else "")
        return self.root + (section or "datasets")

    def request(self, method: str, section: str, dataset_id: str = "", *,
                params: dict[str, Any] | None = None, json: Any = None) -> Any:
        return _decode(self._send(method, section, dataset_id, params=params, json=json))

    def _send(self, method: str, section: str, dataset_id: str = "", *,
              params: dict[str, Any] | None = None, json: Any = None) -> requests.Response:
        """The server's answer, not yet decoded."""
        url = self.url(section, dataset_id)
        try:
            return self.session.request(method, url, params=params, json=json,
                                        timeout=self.timeout)
        except requests.exceptions.SSLError as error:
            raise self._tls_error(error) from error
        except BROKEN_CONNECTION as error:
            raise self._connection_error(error) from error
        except requests.Timeout as error:
            raise too_slow(f"the server at {self.site}", self.timeout) from error

    def _tls_error(self, error: Exception) -> ClientError:
        if "WRONG_VERSION_NUMBER" in str(error) or "wrong version number" in str(error):
            plain = "http://" + self.site.removeprefix("https://")
            return WrongScheme(f"the server at {self.site} does not speak https (TLS)",
                               f"use {plain} in the URL (`gas auth {plain} KEY`, or "
                               "`gas remote set URL`)")
        used = f" (checked against {self.tls_source})" if self.tls_source else ""
        return UntrustedServer(
            f"cannot verify the TLS certificate of {self.site}{used}",
            "give its CA with `gas auth URL KEY --ca-bundle CA.pem` (or GAS_CA_BUNDLE), "
            "or skip the check with --insecure (GAS_INSECURE=1)")

    def _connection_error(self, error: Exception) -> ClientError:
        if self.site.startswith("http://") and speaks_tls(self.site):
            secure = "https://" + self.site.removeprefix("http://")
            return WrongScheme(f"the server at {self.site} speaks https, not plain http",
                               f"use {secure} in the URL (`gas auth {secure} KEY`, or "
                               "`gas remote set URL`)")
        return ServerUnreachable(f"cannot reach the server at {self.site}",
                                 "is it running? check the URL and the network")

    def pages(self, section: str, field: str, dataset_id: str = "",
              params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, fetched one page at a time."""
        for items in self.page_lists(section, field, dataset_id, params):
            yield from items

    def page_lists(self, section: str, field: str, dataset_id: str = "",
                   params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """The pages of a paged list, `page_size` items each."""
        offset = 0
        while True:
            body = self.request("GET", section, dataset_id, params={
                **(params or {}), "offset": offset, "limit": self.page_size})
            if body[field]:
                yield list(body[field])
            offset += len(body[field])
            if not body[field] or offset >= body["totalCount"]:
                return

    # users and datasets ------------------------------------------------------------------
    def get_user(self) -> dict[str, Any]:
        user: dict[str, Any] = self.request("GET", "users")
        return user

    def create_dataset(self, name: str, alias: str = "", public: bool = False,
                       fusion: bool = False) -> str:
        body = {"name": name, "type": int(fusion), "alias": alias, "isPublic": public}
        return str(self.request("POST", "", json=body)["id"])

    def find_dataset(self, name: str) -> dict[str, Any] | None:
        """The dataset named exactly `name` (the server's `name=` filter is a fuzzy match)."""
        for dataset in self.pages("datasets", "datasets", params={"name": name}):
            if dataset["name"] == name:
                return dict(dataset)
        return None

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        dataset: dict[str, Any] = self.request("GET", "", dataset_id)
        return dataset

    def list_datasets(self) -> Iterator[dict[str, Any]]:
        return self.pages("datasets", "datasets")

    def delete_dataset(self, dataset_id: str) -> None:
        self.request("DELETE", "", dataset_id)

    # versions ----------------------------------------------------------------------------
    def create_draft(self, dataset_id: str, branch: str, title: str, description: str = ""
                     ) -> int:
        body = {"branchName": branch, "title": title, "description": description}
        return int(self.request("POST", "drafts", dataset_id, json=body)["draftNumber"])

    def commit(self, dataset_id: str, draft: int, title: str, description: str = "",
               tag: str | None = None) -> str:
        body: dict[str, Any] = {"draftNumber": draft, "title": title, "description": description}
        if tag:
            body["tag"] = tag
        return str(self.request("POST", "commits", dataset_id, json=body)["commitId"])

    def commits(self, dataset_id: str, revision: str) -> Iterator[dict[str, Any]]:
        return self.pages("commits", "commits", dataset_id, {"commit": revision})

    def list_drafts(self, dataset_id: str, status: str = "OPEN") -> Iterator[dict[str, Any]]:
        return self.pages("drafts", "drafts", dataset_id, {"status": status})

    def update_draft(self, dataset_id: str, draft: int, body: dict[str, Any]) -> None:
        self.request("PATCH", f"drafts/{draft}", dataset_id, json=body)

    def list_tags(self, dataset_id: str) -> Iterator[dict[str, Any]]:
        return self.pages("tags", "tags", dataset_id)

    def create_tag(self, dataset_id: str, name: str, commit: str) -> None:
        self.request("POST", "tags", dataset_id, json={"name": name, "commit": commit})

    def delete_tag(self, dataset_id: str, name: str) -> None:
        self.request("DELETE", "tags", dataset_id, json={"name": name})

    # content -----------------------------------------------------------------------------
    def create_segment(self, dataset_id: str, draft: int, name: str) -> None:
        self.request("POST", "segments", dataset_id, json={"name": name, "draftNumber": draft})

    def callback(self, dataset_id: str, draft: int, segment: str,
                 objects: list[dict[str, Any]]) -> None:
        self.request("PUT", "multi/callback", dataset_id, json={
            "segmentName": segment, "objects": objects, "draftNumber": draft})

    def upload_labels(self, dataset_id: str, draft: int, segment: str,
                      objects: list[dict[str, Any]]) -> None:
        self.request("PUT", "multi/data/labels", dataset_id, json={
            "segmentName": segment, "objects": objects, "draftNumber": draft})

    def delete_data(self, dataset_id: str, draft: int, segment: str, remote_path: str) -> None:
        self.request("DELETE", "data", dataset_id, json={
            "segmentName": segment, "remotePath": remote_path, "draftNumber": draft})

    def data_details(self, dataset_id: str, segment: str, commit: str
                     ) -> Iterator[dict[str, Any]]:
        return self.pages("data/details", "dataDetails", dataset_id,
                          {"segmentName": segment, **at_version(commit)})

    def download(self, url: str, checksum: str, target: Path) -> None:
        """Stream a file to `target`, verified by its SHA-1 before it is renamed into place."""
        digest, partial = hashlib.sha1(), target.with_name(target.name + ".part")
        with self.session.get(url, stream=True, timeout=self.timeout) as response:
            _decode(response, body=False)
            with partial.open("wb") as handle:
                for chunk in response.iter_content(1024 * 1024):
                    digest.update(chunk)
                    handle.write(chunk)
        if digest.hexdigest() != checksum:
            partial.unlink()
            raise CorruptDownload(f"downloaded {target.name} does not match its checksum",
                                 "run the command again")
        partial.replace(target)

    # diffs -------------------------------------------------------------------------------
    def segment_diffs(self, dataset_id: str, basehead: str) -> Iterator[dict[str, Any]]:
        return self.pages(f"diffs/{basehead}/segments", "segments", dataset_id)

    def data_diffs(self, dataset_id: str, basehead: str, segment: str
                   ) -> Iterator[dict[str, Any]]:
        return self.pages(f"diffs/{basehead}/segments/{segment}/data", "data", dataset_id)

    def get_diff(self, dataset_id: str, basehead: str) -> dict[str, Any]:
        """GetDiff (spec 2.12.3): the dataset-level summary, with the catalog's action."""
        summary: dict[str, Any] = self.request("GET", f"diffs/{basehead}", dataset_id)
        return summary

    def diff_details(self, dataset_id: str, basehead: str, limit: int
                     ) -> Iterator[dict[str, Any]]:
        """gasvc's extension (`diffLimit` in its storage extension): the pages of a diff with
        the details of every changed item (server engine/diffdetails.py), whole answers."""
        offset = 0
        while True:
            body: dict[str, Any] = self.request("GET", f"diffs/{basehead}/details", dataset_id,
                                                params={"offset": offset, "limit": limit})
            yield body
            offset += len(body["data"])
            if not body["data"] or offset >= int(body["totalCount"]):
                return

    def data_detail(self, dataset_id: str, segment: str, remote_path: str, commit: str
                    ) -> dict[str, Any] | None:
        """One item's details (checksum, fileSize, label) at a commit; None when absent."""
        try:
            body = self.request("GET", "data/details", dataset_id, params={
                "segmentName": segment, "remotePath": remote_path, **at_version(commit)})
        except ResourceNotExist:
            return None
        found = body["dataDetails"]
        return dict(found[0]) if found else None

    def lookup_details(self, dataset_id: str, segment: str, commit: str, paths: list[str]
                       ) -> list[dict[str, Any]]:
        """gasvc's extension (`detailsLimit` in its storage extension): the details of many
        remote paths at a commit in one request; absent ones are left out."""
        try:
            body = self.request("POST", "data/details", dataset_id, json={
                "segmentName": segment, **at_version(commit), "remotePaths": paths})
        except ResourceNotExist:  # no such segment at that commit
            return []
        return list(body["dataDetails"])

    def catalog(self, dataset_id: str, commit: str) -> dict[str, Any]:
        """GetLabelCatalog at a commit: `{}` when the version has none."""
        body = self.request("GET", "labels/catalogs", dataset_id, params=at_version(commit))
        return dict(body.get("catalog") or {})

    # sync: clone, fetch, push, pull -------------------------------------------------------
    def list_branches(self, dataset_id: str) -> Iterator[dict[str, Any]]:
        return self.pages("branches", "branches", dataset_id)

    def get_branch(self, dataset_id: str, name: str) -> dict[str, Any] | None:
        for branch in self.pages("branches", "branches", dataset_id, {"name": name}):
            if branch["name"] == name:
                return dict(branch)
        return None

    def create_branch(self, dataset_id: str, name: str, commit: str) -> None:
        self.request("POST", "branches", dataset_id, json={"name": name, "commit": commit})

    def list_segments(self, dataset_id: str, commit: str) -> Iterator[dict[str, Any]]:
        return self.pages("segments", "segments", dataset_id, {"commit": commit})

    def delete_segment(self, dataset_id: str, draft: int, name: str) -> None:
        self.request("DELETE", "segments", dataset_id,
                     json={"segmentName": name, "draftNumber": draft})

    def put_catalog(self, dataset_id: str, draft: int, catalog: dict[str, Any]) -> None:
        self.request("PUT", "labels/catalogs", dataset_id,
                     json={"catalog": catalog, "draftNumber": draft})

    def notes(self, dataset_id: str, commit: str) -> dict[str, Any]:
        notes: dict[str, Any] = self.request("GET", "notes", dataset_id,
                                             params={"commit": commit})
        return notes

    def details_pages(self, dataset_id: str, segment: str, commit: str
                      ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """ListDataDetails page by page: (items, the segment's total count). The next page is
        asked for while the caller handles this one (a clone's main thread is its critical
        path); its answer is decoded when it is wanted."""
        from concurrent.futures import ThreadPoolExecutor  # (not at every command's start)

        def ask(offset: int) -> requests.Response:
            return self._send("GET", "data/details", dataset_id, params={
                "segmentName": segment, "commit": commit, "offset": offset,
                "limit": self.page_size})

        with ThreadPoolExecutor(1, thread_name_prefix="gas-listing") as ahead:
            answer, offset = ahead.submit(ask, 0), 0
            while True:
                body = _decode(answer.result())
                items, total = list(body["dataDetails"]), int(body["totalCount"])
                offset += len(items)
                if not items or offset >= total:
                    if items:
                        yield items, total
                    return
                answer = ahead.submit(ask, offset)
                yield items, total

    def delete_paths(self, dataset_id: str, draft: int, segment: str, paths: list[str]) -> None:
        """DeleteData of several remote paths in one request."""
        self.request("DELETE", "data", dataset_id, json={
            "segmentName": segment, "remotePath": paths, "draftNumber": draft})

    # any version: `version` is {"commit": ID} or {"draftNumber": N} (spec 1.10) ----------
    def segment_names(self, dataset_id: str, version: dict[str, Any]) -> list[str]:
        """ListSegment at a commit or in a draft."""
        return [str(s["name"]) for s in self.pages("segments", "segments", dataset_id, version)]

    def data_paths(self, dataset_id: str, segment: str, version: dict[str, Any]
                   ) -> Iterator[str]:
        """ListData: the remote paths of a segment at a commit or in a draft."""
        for item in self.pages("data", "data", dataset_id, {**version, "segmentName": segment}):
            yield str(item["remotePath"])

    def has_data(self, dataset_id: str, segment: str, remote_path: str,
                 version: dict[str, Any]) -> bool:
        """Whether one remote path exists in a segment at a commit or in a draft."""
        try:
            body = self.request("GET", "data/details", dataset_id, params={
                **version, "segmentName": segment, "remotePath": remote_path})
        except ResourceNotExist:
            return False
        return any(item.get("remotePath") == remote_path for item in body["dataDetails"])

    def delete_branch(self, dataset_id: str, name: str) -> None:
        self.request("DELETE", "branches", dataset_id, json={"name": name})

    def policy(self, dataset_id: str, draft: int, segment: str, expired: int = 3600
               ) -> dict[str, Any]:
        """GetPolicy: how and where to upload files of a segment into a draft."""
        policy: dict[str, Any] = self.request("GET", "policies", dataset_id, params={
            "expired": expired, "segmentName": segment, "draftNumber": draft})
        return policy

    def storage_extension(self, dataset_id: str) -> dict[str, Any] | None:
        """gasvc's read policy for batch downloads; None from servers without the extension."""
        try:
            policy: dict[str, Any] = self.request("GET", "storage-extension", dataset_id)
        except WireError as error:
            if error.status == 404:  # no such route: the standard per-file flow it is
                return None
            raise  # a refusal or a fault is reported, not taken for "no extension"
        return policy if "batchHost" in policy.get("extra", {}) else None


def _decode(response: requests.Response, body: bool = True) -> Any:
    """The JSON of a 200/201 answer, or the `WireError` its error body names."""
    if response.status_code in (200, 201, 206):
        if not body:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise UnreadableAnswer(
                f"the server's answer to {response.request.method} {response.url}"
                " is not standard JSON",
                "check that the URL is the one of a gas or TensorBay server") from None
    try:
        error = response.json()
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "", f"HTTP {response.status_code} from {response.url}"
    hint = HINTS.get(code, "") or (error.get("hint", "") if code else "")
    cls = Unauthorized if response.status_code == 401 else BY_CODE.get(code)
    raised = cls(message, hint) if cls else ServerError(message, hint, code, response.status_code)
    raised.status = response.status_code  # what was answered (e.g. 413 for InvalidParamsValue)
    raise raised
