"""Users, access keys, storage configs and datasets."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

from gasvc.errors import InvalidParams, NameConflict, ResourceNotExist, Unauthorized
from gasvc.model.names import ROOT_COMMIT, check_dataset_name
from gasvc.server.engine.context import Context
from gasvc.server.params import MAX_ALIAS, check_bool, check_text
from gasvc.server.records import Dataset, StorageConfig, User

KEY_PREFIX = "Accesskey-"
STORAGE_TYPES = ("oss", "s3", "azure", "local")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def user_lock(user_id: str) -> str:
    """What a write holds while it adds a dataset or storage config by name for the user."""
    return f"user:{user_id}"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_hex(16)


class Datasets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # users -------------------------------------------------------------------------------
    def add_user(self, name: str, email: str = "") -> str:
        """Create the user if needed and return a new access key (only its hash is stored)."""
        if not name or len(name) > 64 or not name.isprintable():
            raise InvalidParams(f"invalid user name {name!r}", "use a short printable name")
        key = new_key()
        with self.ctx.meta.write() as tx:
            tx.lock(f"user-name:{name}")
            user = tx.user_by_name(name)
            if user is None:
                user = User(uuid.uuid4().hex, name, email)
                tx.add_user(user, self.ctx.now())
            tx.add_key(user.id, hash_key(key), self.ctx.now())
        return key

    def authenticate(self, key: str | None) -> User:
        if not key:
            raise Unauthorized("X-Token header is missing", "send your access key as X-Token")
        with self.ctx.meta.read() as tx:
            user = tx.user_by_key(hash_key(key))
        if user is None:
            raise Unauthorized("the access key is not valid", "ask the admin for a new key")
        return user

    @staticmethod
    def user_info(user: User) -> dict[str, Any]:
        return {"id": user.id, "nickname": user.name, "email": user.email or None,
                "mobile": None, "description": "", "team": None}

    # storage configs -----------------------------------------------------------------------
    def list_configs(self, user: User, name: str | None, offset: int, limit: int,
                     exact: bool = False) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            configs, total = tx.list_configs(user.id, name, offset, limit, exact)
        return [
            {"name": c.name, "type": c.type, "filePath": c.file_path, "isGravitiStorage": False}
            for c in configs
        ], total

    def create_config(self, user: User, kind: str, body: dict[str, Any]) -> None:
        if kind not in STORAGE_TYPES:
            raise ResourceNotExist(f"unknown storage type {kind!r}", f"use {STORAGE_TYPES}")
        name = body.get("name")
        if not isinstance(name, str) or not name or "/" in name:
            raise InvalidParams("a storage config needs a name without '/'")
        stored = {k: v for k, v in body.items() if k != "accesskeySecret"}
        config = StorageConfig(name, kind, str(body.get("filePath", "")), json.dumps(stored))
        with self.ctx.meta.write() as tx:
            tx.lock(user_lock(user.id))
            if tx.config(user.id, name) is not None:
                raise NameConflict(f"storage config {name!r} already exists")
            tx.add_config(user.id, config)

    def delete_config(self, user: User, name: str) -> None:
        with self.ctx.meta.write() as tx:
            if not tx.delete_config(user.id, name):
                raise ResourceNotExist(f"storage config {name!r} does not exist")

    # datasets ----------------------------------------------------------------------------
    def create(self, user: User, body: dict[str, Any]) -> str:
        name = check_dataset_name(body.get("name"))
        kind = body.get("type", 0)
        if isinstance(kind, bool) or kind not in (0, 1):
            raise InvalidParams(f"invalid dataset type {kind!r}", "0 is normal, 1 is fusion")
        config = body.get("configName") or ""
        dataset = Dataset(
            id=uuid.uuid4().hex, owner_id=user.id, name=name, type=kind,
            alias=check_text(body.get("alias"), "alias", MAX_ALIAS),
            is_public=check_bool(body.get("isPublic", False), "isPublic"),
            config_name=str(config), default_branch="main", updated=self.ctx.now(),
        )
        with self.ctx.meta.write() as tx:
            tx.lock(user_lock(user.id))
            if tx.dataset_by_name(user.id, name) is not None:
                raise NameConflict(f"dataset {name!r} already exists", "choose another name")
            if config and tx.config(user.id, config) is None:
                raise ResourceNotExist(f"storage config {config!r} does not exist")
            tx.add_dataset(dataset, self.ctx.now())
            tx.add_branch(dataset.id, "main", ROOT_COMMIT)
        return dataset.id

    def list(self, user: User, name: str | None, offset: int, limit: int, exact: bool = False
             ) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            datasets, total = tx.list_datasets(user.id, name, offset, limit, exact)
            return [self._summary(tx, d) for d in datasets], total

    def get(self, user: User, dataset_id: str) -> dict[str, Any]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            info = self._summary(tx, dataset)
        info.update(alias=dataset.alias, isPublic=dataset.is_public)
        return info

    def _summary(self, tx: Any, dataset: Dataset) -> dict[str, Any]:
        head = tx.branch(dataset.id, dataset.default_branch)
        commit_id = head.commit_id if head else ROOT_COMMIT
        return {
            "id": dataset.id, "name": dataset.name, "type": dataset.type,
            "defaultBranch": dataset.default_branch, "commitId": commit_id,
            "updateTime": dataset.updated, "owner": dataset.owner_id, "alias": dataset.alias,
            "isPublic": dataset.is_public, "HEAD": {"commitId": commit_id},
        }

    def update(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        fields: dict[str, Any] = {}
        if "name" in body:
            fields["name"] = check_dataset_name(body["name"])
        if "alias" in body:
            fields["alias"] = check_text(body["alias"], "alias", MAX_ALIAS)
        if "isPublic" in body:
            fields["is_public"] = int(check_bool(body["isPublic"], "isPublic"))
        with self.ctx.meta.write() as tx:
            if "name" in fields:
                tx.lock(user_lock(user.id))  # as `create` does: names stay unique
            dataset = self.ctx.writable(tx, user, dataset_id)
            other = tx.dataset_by_name(user.id, fields.get("name", dataset.name))
            if other is not None and other.id != dataset.id:
                raise NameConflict(f"dataset {fields['name']!r} already exists")
            if fields:
                tx.update_dataset(dataset.id, self.ctx.now(), **fields)

    def delete(self, user: User, dataset_id: str) -> None:
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            tx.delete_dataset(dataset.id)
