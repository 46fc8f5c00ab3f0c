"""The two ways into a version: writing an OPEN draft, reading any version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gasvc.model.snapshot import VersionState
from gasvc.server.engine.context import (
    Context,
    Objects,
    Version,
    draft_state,
    save_draft_state,
)
from gasvc.server.engine.overlay import flush_if_pending
from gasvc.server.meta import MetaTx
from gasvc.server.params import is_int_text
from gasvc.server.records import Dataset, Draft, User


@dataclass
class DraftWrite:
    """An OPEN draft inside a write transaction; `state` is saved when the block ends."""

    tx: MetaTx
    objects: Objects
    dataset: Dataset
    draft: Draft
    state: VersionState


@dataclass
class VersionRead:
    tx: MetaTx
    objects: Objects
    version: Version


@contextmanager
def writing(ctx: Context, user: User, dataset_id: str, number: Any) -> Iterator[DraftWrite]:
    with ctx.meta.write() as tx:
        dataset = ctx.writable(tx, user, dataset_id)
        draft = ctx.open_draft(tx, dataset, number)
        write = DraftWrite(tx, ctx.objects(tx), dataset, draft, draft_state(draft))
        yield write
        tx.update_draft(dataset.id, draft.number, state=save_draft_state(write.state),
                        updated=ctx.now())


@contextmanager
def reading(ctx: Context, user: User, dataset_id: str, status: dict[str, Any]
            ) -> Iterator[VersionRead]:
    """A consistent read of one version; a draft's pending changes are flushed first."""
    number = status.get("draftNumber")
    if number is not None and is_int_text(number):
        with ctx.meta.read() as tx:
            ctx.readable(tx, user, dataset_id)
        flush_if_pending(ctx, dataset_id, int(number))
    with ctx.meta.read() as tx:
        dataset = ctx.readable(tx, user, dataset_id)
        yield VersionRead(tx, ctx.objects(tx), ctx.version(tx, dataset, status))
