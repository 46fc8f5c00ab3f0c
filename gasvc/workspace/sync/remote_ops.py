"""The tensorbay CLI's verbs on a server, without a workspace: versions named by TBRNs (spec 5).

`gas ls | cp | rm | commit | draft | branch | tag | log | dataset` with a `tb:` argument come
here (see `gasvc/cli/tensorbay.py`). Each function takes a client and a parsed TBRN and returns
data; the CLI renders it the way the tensorbay CLI does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gasvc.api.client import ApiClient
from gasvc.api.transfer import FormUploads, Upload
from gasvc.errors import ClientError, InvalidParams, ResourceNotExist
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.tbrn import TBRN
from gasvc.workspace.sync.datasets import DatasetInfo, require_dataset
from gasvc.workspace.sync.drafts import DraftNotOpen
from gasvc.workspace.worktree.scan import hash_file


@dataclass(frozen=True)
class Version:
    """A dataset at one version: a commit (None for an empty dataset's ROOT) or a draft."""

    dataset: DatasetInfo
    commit: str | None = None
    draft: int | None = None

    @property
    def id(self) -> str:
        return self.dataset.id

    @property
    def params(self) -> dict[str, Any]:
        """The status info of data calls (spec 1.10)."""
        if self.draft is not None:
            return {"draftNumber": self.draft}
        return {"commit": self.commit or ROOT_COMMIT}


@dataclass(frozen=True)
class Ref:
    """A branch or tag with its head commit (commit fields empty for a branch at ROOT)."""

    name: str
    commit: str
    title: str
    date: int


@dataclass(frozen=True)
class LogCommit:
    id: str
    parent: str
    title: str
    description: str
    author: str
    date: int


class NoCommits(ClientError):
    """A dataset with no commits yet, asked for something only a commit has."""


class NotADraft(ClientError):
    """A write was asked of a commit: the tensorbay CLI writes only into drafts."""


def open_version(client: ApiClient, tbrn: TBRN) -> Version:
    """The dataset and version a TBRN names: `#N` a draft, `@REV` a revision, else the default
    branch's head (as the SDK's `get_dataset` checks out)."""
    dataset = require_dataset(client, tbrn.dataset)
    if tbrn.draft is not None:
        require_open_draft(client, dataset, tbrn.draft)
        return Version(dataset, draft=tbrn.draft)
    if tbrn.revision is not None:
        return Version(dataset, commit=resolve_revision(client, dataset, tbrn.revision))
    return Version(dataset, commit=dataset.head)


def require_open_draft(client: ApiClient, dataset: DatasetInfo, number: int) -> None:
    """Only open drafts can be read or written through a TBRN (as the SDK's checkout)."""
    hint = f"see the open drafts: gas draft -l tb:{dataset.name}"
    for raw in client.list_drafts(dataset.id, "ALL"):
        if int(raw["number"]) == number:
            if raw["status"] != "OPEN":
                raise DraftNotOpen(f"draft #{number} of dataset {dataset.name!r} is "
                                   f"{str(raw['status']).lower()}, not open", hint)
            return
    raise ResourceNotExist(f"draft #{number} does not exist in dataset {dataset.name!r}", hint)


def resolve_revision(client: ApiClient, dataset: DatasetInfo, revision: str) -> str:
    """A branch name, tag name or commit id as a commit id (branch first, like the SDK)."""
    branch = client.get_branch(dataset.id, revision)
    if branch is not None:
        return str(branch["commitId"])
    try:
        first = next(iter(client.commits(dataset.id, revision)), None)
    except ResourceNotExist:
        first = None
    if first is None:
        raise ResourceNotExist(f"revision {revision!r} does not exist in dataset "
                               f"{dataset.name!r}",
                               f"see `gas branch tb:{dataset.name}` and "
                               f"`gas tag tb:{dataset.name}`")
    return str(first["commitId"])


def require_draft(version: Version, text: str) -> int:
    if version.draft is None:
        raise NotADraft(f"{text!r} is not a draft; changes go into a draft",
                        f"name one as tb:{version.dataset.name}#NUMBER (make one with "
                        f"`gas draft tb:{version.dataset.name} -m TITLE`)")
    return version.draft


# listing ---------------------------------------------------------------------------------
def dataset_names(client: ApiClient) -> list[str]:
    return [str(d["name"]) for d in client.list_datasets()]


def segment_names(client: ApiClient, version: Version) -> list[str]:
    return client.segment_names(version.id, version.params)


def data_paths(client: ApiClient, version: Version, segment: str) -> list[str]:
    if segment not in segment_names(client, version):
        raise ResourceNotExist(f"segment {segment!r} does not exist in "
                               f"tb:{version.dataset.name}",
                               f"see `gas ls tb:{version.dataset.name}`")
    return list(client.data_paths(version.id, segment, version.params))


def require_data(client: ApiClient, version: Version, segment: str, path: str) -> None:
    if not client.has_data(version.id, segment, path, version.params):
        raise ResourceNotExist(f"{path!r} does not exist in segment {segment!r}",
                               f"see `gas ls tb:{version.dataset.name}:{segment}`")


# copying files into a draft ------------------------------------------------------------
@dataclass(frozen=True)
class Copy:
    local: Path
    remote_path: str


def plan_copies(local_paths: list[Path], remote_path: str, recursive: bool) -> list[Copy]:
    """The tensorbay CLI's rules: one file to a path not ending in '/' is that path; otherwise
    files go under `remote_path` by base name, folders (with -r) by their name and inside paths."""
    if not local_paths:
        raise InvalidParams("no local files to copy", "give files or folders before the tb: path")
    for path in local_paths:
        if not path.exists():
            raise InvalidParams(f"{str(path)!r} does not exist", "check the local path")
    if (len(local_paths) == 1 and not local_paths[0].is_dir() and remote_path
            and not remote_path.endswith("/")):
        return [Copy(local_paths[0], remote_path)]
    copies = []
    for path in local_paths:
        if not path.is_dir():
            copies.append(Copy(path, str(PurePosixPath(remote_path, path.name))))
            continue
        if not recursive:
            raise InvalidParams(f"{str(path)!r} is a folder", "copy folders with -r")
        root = Path(os.path.normpath(path))
        for folder, _, files in os.walk(root):
            inside = Path(folder).relative_to(root)
            for name in sorted(files):
                target = PurePosixPath(remote_path, root.name, inside.as_posix(), name)
                copies.append(Copy(Path(folder, name), str(target)))
    return copies


def existing_paths(client: ApiClient, version: Version, segment: str) -> set[str]:
    if segment not in segment_names(client, version):
        return set()
    return set(client.data_paths(version.id, segment, version.params))


def ensure_segment(client: ApiClient, version: Version, segment: str) -> None:
    draft = require_draft(version, f"tb:{version.dataset.name}")
    if segment not in segment_names(client, version):
        client.create_segment(version.id, draft, segment)


CALLBACK_BATCH = 50
FUSION = 1  # the dataset type of fusion datasets (spec 3.2)


def upload(client: ApiClient, version: Version, segment: str, copies: list[Copy], jobs: int
           ) -> int:
    """Upload files into the draft's segment (made if missing), `jobs` at a time; each batch of
    50 is registered (callback) once its files are stored. Returns the number of files."""
    draft = require_draft(version, f"tb:{version.dataset.name}")
    if client.get_dataset(version.id).get("type") == FUSION:
        raise InvalidParams(f"tb:{version.dataset.name} is a fusion dataset: its files belong "
                            "to frames and sensors, which a TBRN does not name",
                            f"clone it (`gas clone {version.dataset.name}`), add the files"
                            " and their frames in frames.jsonl, then push; or use the SDK")
    ensure_segment(client, version, segment)
    storage = FormUploads(client, version.id, draft)

    def send(copy: Copy) -> dict[str, Any]:
        checksum, size = hash_file(copy.local)
        storage.upload(segment, Upload(checksum, size, copy.local))
        return {"checksum": checksum, "fileSize": size, "remotePath": copy.remote_path}

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for start in range(0, len(copies), CALLBACK_BATCH):
            objects = list(pool.map(send, copies[start:start + CALLBACK_BATCH]))
            client.callback(version.id, draft, segment, objects)
    return len(copies)


# drafts, branches, tags, commits -------------------------------------------------------
def require_branch(client: ApiClient, dataset: DatasetInfo, name: str) -> Ref:
    raw = client.get_branch(dataset.id, name)
    if raw is None:
        raise ResourceNotExist(f"{name!r} is not a branch of dataset {dataset.name!r}",
                               f"drafts start from a branch; see `gas branch tb:{dataset.name}`")
    return ref(raw)


def ref(raw: dict[str, Any]) -> Ref:
    committer = raw.get("committer") or {}
    return Ref(str(raw["name"]), str(raw["commitId"]), str(raw.get("title") or ""),
               int(committer.get("date") or 0))


def branches(client: ApiClient, dataset: DatasetInfo) -> list[Ref]:
    return [ref(raw) for raw in client.list_branches(dataset.id)]


def tags(client: ApiClient, dataset: DatasetInfo) -> list[Ref]:
    return [ref(raw) for raw in client.list_tags(dataset.id)]


def sort_refs(found: list[Ref], sort_key: str) -> list[Ref]:
    """`name` (the server's order) or `commit_date`, descending with a leading '-'."""
    key, reverse = (sort_key[1:], True) if sort_key.startswith("-") else (sort_key, False)
    if key not in ("name", "commit_date"):
        raise InvalidParams(f"cannot sort by {sort_key!r}",
                            'use --sort name or --sort commit_date, with an optional "-" '
                            "before them for descending order")
    if key == "name":
        return sorted(found, key=lambda r: r.name, reverse=reverse)
    return sorted(found, key=lambda r: (r.date, r.name), reverse=reverse)


def commit_of(version: Version, what: str) -> str:
    """The commit a branch or tag is made at: not a draft, not an empty dataset's ROOT."""
    if version.draft is not None:
        raise InvalidParams(f"a {what} cannot be made from a draft",
                            f"name a commit: tb:{version.dataset.name}[@REVISION]")
    if not version.commit or version.commit == ROOT_COMMIT:
        raise NoCommits(f"dataset {version.dataset.name!r} has no commits yet",
                        f"commit a draft first (gas commit tb:{version.dataset.name}#N -m TITLE)")
    return version.commit


def log_commits(client: ApiClient, dataset: DatasetInfo, revisions: list[str]
                ) -> list[LogCommit]:
    """The commits of the revisions, each once, newest first."""
    seen: dict[str, LogCommit] = {}
    for revision in revisions:
        for raw in _commits(client, dataset, revision):
            commit = _log_commit(raw)
            if commit.id in seen:
                break
            seen[commit.id] = commit
    return sorted(seen.values(), key=lambda c: c.date, reverse=True)


def _commits(client: ApiClient, dataset: DatasetInfo, revision: str) -> Iterator[dict[str, Any]]:
    try:
        yield from client.commits(dataset.id, revision)
    except ResourceNotExist:
        raise ResourceNotExist(f"revision {revision!r} does not exist in dataset "
                               f"{dataset.name!r}",
                               f"see `gas branch tb:{dataset.name}`") from None


def _log_commit(raw: dict[str, Any]) -> LogCommit:
    committer = raw.get("committer") or {}
    return LogCommit(str(raw["commitId"]), str(raw.get("parentCommitId") or ROOT_COMMIT),
                     str(raw["title"]), str(raw.get("description") or ""),
                     str(committer.get("name", "")), int(committer.get("date") or 0))
