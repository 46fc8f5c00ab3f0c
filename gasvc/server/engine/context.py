"""What every engine part shares: stores, object cache, clock, access rules, version lookup."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gasvc.errors import AccessDenied, Forbidden, ParamsMissing, ResourceNotExist
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import Segment, VersionState
from gasvc.model.tree import TreeRef
from gasvc.server.blobs import BlobStore
from gasvc.server.engine import signing
from gasvc.server.meta import MetaStore, MetaTx
from gasvc.server.params import parse_int
from gasvc.server.records import Dataset, Draft, User

#: Why an old search result cannot be read (engine/search.py keeps the latest five).
EXPIRED_SEARCH_HINT = ("a dataset keeps the results of its latest five searches only: run the"
                       " search again")


class ObjectCache:
    """A bounded LRU of decoded immutable objects, shared by all threads."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str) -> Any | None:
        with self._lock:
            value = self._items.get(digest)
            if value is not None:
                self._items.move_to_end(digest)
            return value

    def put(self, digest: str, value: Any) -> None:
        with self._lock:
            self._items[digest] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)


class Objects:
    """Content-addressed JSON objects in one transaction: `put(value) -> id`, `get(id)`."""

    def __init__(self, tx: MetaTx, cache: ObjectCache) -> None:
        self._tx = tx
        self._cache = cache

    def put(self, value: Any) -> str:
        data = canonical_json(value)
        digest = sha1_hex(data)
        self._tx.put_object(digest, data)
        return digest

    def get(self, digest: str) -> Any:
        value = self._cache.get(digest)
        if value is None:
            data = self._tx.get_object(digest)
            if data is None:
                raise ResourceNotExist(f"object {digest} is missing", "the store is damaged")
            value = json.loads(data)
            self._cache.put(digest, value)
        return value


@dataclass
class Version:
    """One readable version: a commit (immutable) or a draft (its flushed state)."""

    dataset: Dataset
    state: VersionState
    commit_id: str | None = None
    draft: Draft | None = None

    def segment(self, name: str) -> Segment:
        segment = self.state.segments.get(name)
        if segment is None:
            raise ResourceNotExist(f"segment {name!r} does not exist in this version")
        return segment

    def tree(self, name: str) -> TreeRef:
        return self.segment(name).tree


class Context:
    def __init__(
        self, meta: MetaStore, blobs: BlobStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.meta = meta
        self.blobs = blobs
        self.cache = ObjectCache()
        self._clock = clock
        # shared by every instance on the database: any of them checks what another signed
        self.secret = meta.run(lambda tx: tx.setting("url_secret") or tx.add_setting(
            "url_secret", secrets.token_hex(32))).encode()

    def now(self) -> int:
        return int(self._clock())

    def download_url(self, base: str, checksum: str, expires: int) -> str:
        """Where a blob is downloaded until `expires`: the blob store's own URL (a presigned
        object-store URL) or, for the folder store, this server's signed storage URL."""
        return (self.blobs.download_url(checksum, expires)
                or signing.download_url(self.secret, base, checksum, expires))

    def objects(self, tx: MetaTx) -> Objects:
        return Objects(tx, self.cache)

    # access ------------------------------------------------------------------------------
    def readable(self, tx: MetaTx, user: User, dataset_id: str) -> Dataset:
        dataset = tx.dataset(dataset_id)
        if dataset is None or (dataset.owner_id != user.id and not dataset.is_public):
            raise ResourceNotExist(f"dataset {dataset_id!r} does not exist")
        return dataset

    def writable(self, tx: MetaTx, user: User, dataset_id: str) -> Dataset:
        """The dataset, which the user may write; a write transaction holds it from here on
        (writers of one dataset go one at a time, across server instances)."""
        tx.lock(dataset_lock(dataset_id))
        dataset = self.readable(tx, user, dataset_id)
        if dataset.owner_id != user.id:
            raise AccessDenied(
                f"dataset {dataset.name!r} belongs to another user",
                "public datasets are read-only for other users; copy it to write",
            )
        return dataset

    def open_draft(self, tx: MetaTx, dataset: Dataset, number: Any) -> Draft:
        """The draft `number`, which must exist and be OPEN to be written."""
        draft = tx.draft(dataset.id, _draft_number(number))
        if draft is None:
            raise ResourceNotExist(f"draft {number} does not exist in dataset {dataset.name!r}")
        if draft.status != "OPEN":
            raise Forbidden(
                f"draft {number} is {draft.status}; only OPEN drafts accept writes",
                "create a new draft",
            )
        return draft

    # versions ----------------------------------------------------------------------------
    def commit_state(self, tx: MetaTx, dataset: Dataset, commit_id: str) -> VersionState:
        if commit_id == ROOT_COMMIT:
            return VersionState()
        commit = tx.commit(dataset.id, commit_id)
        if commit is None:
            if tx.search_of_result(dataset.id, commit_id) is not None:
                raise ResourceNotExist(f"the search result {commit_id} is no longer kept",
                                       EXPIRED_SEARCH_HINT)
            raise ResourceNotExist(f"commit {commit_id!r} does not exist")
        return VersionState.from_stored(self.objects(tx).get(commit.root))

    def version(self, tx: MetaTx, dataset: Dataset, status: dict[str, Any]) -> Version:
        """The version named by status info: `draftNumber` or `commit` (spec 1.10)."""
        if status.get("draftNumber") is not None:
            draft = tx.draft(dataset.id, _draft_number(status["draftNumber"]))
            if draft is None:
                raise ResourceNotExist(f"draft {status['draftNumber']} does not exist")
            return Version(dataset, draft_state(draft), draft=draft)
        commit = status.get("commit")
        if commit is None:
            raise ParamsMissing("draftNumber or commit is required")
        return Version(dataset, self.commit_state(tx, dataset, str(commit)), commit_id=str(commit))


def dataset_lock(dataset_id: str) -> str:
    return f"dataset:{dataset_id}"


def draft_state(draft: Draft) -> VersionState:
    """The state a draft has saved (its pending item changes not applied)."""
    return VersionState.from_stored(json.loads(draft.state))


def save_draft_state(state: VersionState) -> str:
    """The text a draft's state is saved as."""
    return json.dumps(state.stored())


def _draft_number(value: Any) -> int:
    return parse_int(value, "draftNumber", minimum=1)
