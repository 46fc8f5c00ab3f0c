"""Datasets on the server, and tying a workspace to one: `gas dataset`, `gas init`, `gas remote`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gasvc.api.client import ApiClient
from gasvc.errors import ClientError, ResourceNotExist
from gasvc.model.names import ROOT_COMMIT, check_dataset_name
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import AlreadyAWorkspace, Layout
from gasvc.workspace.store.state import FUSION_KEY, State
from gasvc.workspace.sync.remote import Remote, get_remote, set_remote


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    alias: str
    public: bool
    default_branch: str
    head: str
    updated: int
    fusion: bool = False

    @property
    def has_commits(self) -> bool:
        return self.head != ROOT_COMMIT


class DatasetMissing(ResourceNotExist):
    """The dataset a workspace or command names is not on the server."""


def _info(raw: dict[str, Any]) -> DatasetInfo:
    return DatasetInfo(
        str(raw["id"]), str(raw["name"]), str(raw.get("alias") or ""),
        bool(raw.get("isPublic", False)), str(raw.get("defaultBranch") or "main"),
        str(raw.get("commitId") or ROOT_COMMIT), int(raw.get("updateTime") or 0),
        raw.get("type") == 1)


def list_datasets(client: ApiClient) -> list[DatasetInfo]:
    return [_info(raw) for raw in client.list_datasets()]


def find_dataset(client: ApiClient, name: str) -> DatasetInfo | None:
    found = client.find_dataset(name)
    return _info({**client.get_dataset(str(found["id"])), "id": found["id"]}) if found else None


def require_dataset(client: ApiClient, name: str) -> DatasetInfo:
    found = find_dataset(client, name)
    if found is None:
        raise DatasetMissing(f"dataset {name!r} does not exist on {client.site}",
                             f"create it with `gas dataset create {name}`, or see "
                             "`gas dataset list`")
    return found


def create_dataset(client: ApiClient, name: str, alias: str = "", public: bool = False,
                   fusion: bool = False) -> DatasetInfo:
    dataset_id = client.create_dataset(check_dataset_name(name), alias, public, fusion)
    return _info({**client.get_dataset(dataset_id), "id": dataset_id})


def delete_dataset(client: ApiClient, name: str) -> DatasetInfo:
    found = require_dataset(client, name)
    client.delete_dataset(found.id)
    return found


# workspaces -----------------------------------------------------------------------------
@dataclass(frozen=True)
class InitResult:
    layout: Layout
    dataset: str
    remote: Remote | None
    created: bool
    has_commits: bool
    fusion: bool = False


class DatasetKindMismatch(ClientError):
    """`gas init --fusion` of a dataset that exists as a normal one."""


def init_workspace(root: Path, dataset: str, client: ApiClient | None, fusion: bool = False
                   ) -> InitResult:
    """Make `root` a workspace of `dataset`; with a client, on that server (created if new,
    a fusion dataset if `fusion`; an existing one keeps its kind).

    Without a client the workspace is offline: it only remembers the dataset's name.
    """
    check_dataset_name(dataset)
    if Layout(root).state_db.exists():
        raise AlreadyAWorkspace(f"{root} is already a gas workspace",
                                "work in it, or choose another folder")
    found = find_dataset(client, dataset) if client is not None else None
    if found is not None and fusion and not found.fusion:
        raise DatasetKindMismatch(f"dataset {dataset!r} exists, and is a normal dataset, not a"
                                  " fusion one", "drop --fusion, or give another name")
    if client is not None and found is None:
        found = create_dataset(client, dataset, fusion=fusion)
        created = True
    else:
        created = False
    fusion = found.fusion if found is not None else fusion
    layout = init(root)
    remote = Remote(client.site, dataset, found.id) if client and found else None
    state = State(layout.state_db)
    try:
        set_remote(state, remote.url if remote else "", dataset, remote.dataset_id if remote
                   else "")
        with state.transaction():
            state.set(FUSION_KEY, "1" if fusion else None)
    finally:
        state.close()
    return InitResult(layout, dataset, remote, created,
                      bool(found and found.has_commits and not created), fusion)


def locate_remote(client: ApiClient, dataset: str) -> Remote:
    """The remote for `dataset` on the client's server, its id resolved (it must exist)."""
    return Remote(client.site, dataset, require_dataset(client, check_dataset_name(dataset)).id)


def change_remote(state: State, remote: Remote) -> Remote | None:
    """Point the workspace at `remote`; returns the remote it had before."""
    before = get_remote(state)
    set_remote(state, remote.url, remote.dataset, remote.dataset_id)
    return before
