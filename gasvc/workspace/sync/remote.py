"""The remote a workspace tracks: its server URL and dataset, kept in the state database.

Reaching a workspace's server needs only this module (its dataset id is looked up on the server
once, then remembered); creating and finding datasets is datasets.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gasvc.errors import ClientError
from gasvc.workspace.store.state import State

if TYPE_CHECKING:
    from gasvc.api.client import ApiClient


@dataclass(frozen=True)
class Remote:
    url: str
    dataset: str
    dataset_id: str


class NoRemote(ClientError):
    """A workspace without a server or dataset set."""


def get_remote(state: State) -> Remote | None:
    url, dataset = state.get("remote.url"), state.get("remote.dataset")
    if not url or not dataset:
        return None
    return Remote(url, dataset, state.get("remote.dataset_id", "") or "")


def set_remote(state: State, url: str, dataset: str, dataset_id: str = "") -> None:
    with state.transaction():
        write_remote(state, url, dataset, dataset_id)


def write_remote(state: State, url: str, dataset: str, dataset_id: str = "") -> None:
    """`set_remote` inside the caller's transaction."""
    state.set("remote.url", url)
    state.set("remote.dataset", dataset)
    state.set("remote.dataset_id", dataset_id)


def workspace_dataset(state: State) -> str | None:
    """The name of the dataset this workspace tracks (also known offline)."""
    return state.get("remote.dataset") or None


def require_remote(state: State) -> Remote:
    """The workspace's remote, or an error whose hint names its dataset."""
    remote = get_remote(state)
    if remote is None:
        name = workspace_dataset(state)
        raise NoRemote("this workspace has no remote" + (f" (dataset {name!r}, offline)"
                                                         if name else ""),
                       f"set one with `gas remote set URL {name or 'DATASET'}`")
    return remote


def dataset_id(state: State, client: ApiClient) -> str:
    """The server id of the workspace's dataset, looked up (and remembered) if not known yet."""
    known = state.get("remote.dataset_id")
    if known:
        return known
    name = workspace_dataset(state)
    if name is None:
        raise NoRemote("this workspace has no dataset", "set one with `gas remote set URL DATASET`")
    from gasvc.workspace.sync.datasets import require_dataset

    found = require_dataset(client, name)
    with state.transaction():
        state.set("remote.dataset_id", found.id)
    return found.id
