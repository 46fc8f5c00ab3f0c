"""The remote a workspace tracks: its server URL and dataset, kept in the state database."""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.errors import ClientError
from gasvc.workspace.store.state import State


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
