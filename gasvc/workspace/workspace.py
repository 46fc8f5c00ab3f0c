"""Making and opening workspaces, and the remote they track."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gasvc.errors import ClientError
from gasvc.workspace.layout import AlreadyAWorkspace, Layout
from gasvc.workspace.refs import set_head
from gasvc.workspace.relocate import LAYOUT_KEY, LAYOUT_VERSION
from gasvc.workspace.state import State


@dataclass(frozen=True)
class Remote:
    url: str
    dataset: str
    dataset_id: str


class NoRemote(ClientError):
    """A workspace without a server or dataset set."""


def init(root: Path, branch: str = "main") -> Layout:
    """Make `root` a workspace; files already there become untracked changes."""
    layout = Layout(root)
    if layout.state_db.exists():
        raise AlreadyAWorkspace(f"{root} is already a gas workspace",
                                "work in it, or choose another folder")
    layout.gas.mkdir(parents=True, exist_ok=True)
    layout.objects.mkdir(exist_ok=True)
    state = State(layout.state_db)
    try:
        with state.transaction():
            set_head(state, branch)
            state.set(LAYOUT_KEY, LAYOUT_VERSION)
    finally:
        state.close()
    return layout


def get_remote(state: State) -> Remote | None:
    url, dataset = state.get("remote.url"), state.get("remote.dataset")
    if not url or not dataset:
        return None
    return Remote(url, dataset, state.get("remote.dataset_id", "") or "")


def need_remote(state: State) -> Remote:
    remote = get_remote(state)
    if remote is None:
        raise NoRemote("this workspace has no remote",
                       "set one with `gas remote set URL DATASET`")
    return remote


def set_remote(state: State, url: str, dataset: str, dataset_id: str = "") -> None:
    with state.transaction():
        write_remote(state, url, dataset, dataset_id)


def write_remote(state: State, url: str, dataset: str, dataset_id: str = "") -> None:
    """`set_remote` inside the caller's transaction."""
    state.set("remote.url", url)
    state.set("remote.dataset", dataset)
    state.set("remote.dataset_id", dataset_id)
