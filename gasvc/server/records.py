"""Plain records the metadata store returns and the engine works with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Dataset:
    id: str
    owner_id: str
    name: str
    type: int
    alias: str
    is_public: bool
    config_name: str
    default_branch: str
    updated: int


@dataclass(frozen=True)
class Commit:
    id: str
    parent_id: str
    root: str
    title: str
    description: str
    committer: str
    date: int
    depth: int


@dataclass(frozen=True)
class Draft:
    number: int
    branch: str
    parent_commit: str
    title: str
    description: str
    status: str
    author: str
    created: int
    updated: int
    state: str


@dataclass(frozen=True)
class Ref:
    name: str
    commit_id: str


@dataclass(frozen=True)
class StorageConfig:
    name: str
    type: str
    file_path: str
    body: str



@dataclass(frozen=True)
class Job:
    """An asynchronous job of a dataset; `arguments` and `result` are JSON text."""

    id: str
    dataset_id: str
    type: str
    title: str
    description: str
    arguments: str
    status: str
    error: str
    result: str | None
    author: str  # the name of the user who created it
    created: int
    started: int | None
    finished: int | None
    attempts: int = 0
