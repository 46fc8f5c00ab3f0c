"""A draft's pending item changes and their flush into the draft's segment trees.

Writes to a draft land in `draft_changes` (one row per item, O(1) each). Before a draft is read
item by item, or committed, the changes are applied to its trees: O(k) leaves rewritten.
"""

from __future__ import annotations

import json
from typing import Any

from gasvc.model import tree
from gasvc.model.snapshot import VersionState
from gasvc.server.engine.context import Context, dataset_lock, draft_state, save_draft_state
from gasvc.server.meta import MetaTx
from gasvc.server.records import Dataset, Draft


def flush(ctx: Context, tx: MetaTx, dataset: Dataset, draft: Draft) -> VersionState:
    """Apply every pending change of `draft`, save its state and return it."""
    state = draft_state(draft)
    segments = tx.changed_segments(dataset.id, draft.number)
    if not segments:
        return state
    objects = ctx.objects(tx)
    for name in segments:
        segment = state.segments.get(name)
        if segment is not None:
            changes = (
                (key, None if value is None else json.loads(value))
                for key, value in tx.changes(dataset.id, draft.number, name)
            )
            segment.tree = tree.apply(segment.tree, changes, objects.get, objects.put)
        tx.clear_changes(dataset.id, draft.number, name)
    tx.update_draft(dataset.id, draft.number, state=save_draft_state(state))
    return state


def flush_if_pending(ctx: Context, dataset_id: str, number: int) -> None:
    """Flush a draft's pending changes, if it has any, in a write transaction of its own."""
    with ctx.meta.read() as tx:
        pending = bool(tx.changed_segments(dataset_id, number))
    if pending:
        with ctx.meta.write() as tx:
            tx.lock(dataset_lock(dataset_id))
            dataset, draft = tx.dataset(dataset_id), tx.draft(dataset_id, number)
            if dataset is not None and draft is not None:
                flush(ctx, tx, dataset, draft)


def current_item(
    ctx: Context, tx: MetaTx, dataset: Dataset, draft: Draft, state: VersionState,
    segment: str, key: str,
) -> Any | None:
    """An item of a draft as it is now (its stored value: an item, or a fusion frame): the
    pending change if there is one, else its tree's."""
    found, value = tx.change(dataset.id, draft.number, segment, key)
    if found:
        return None if value is None else json.loads(value)
    return tree.lookup(state.tree(segment), key, ctx.objects(tx).get)


def stage(tx: MetaTx, dataset: Dataset, draft: Draft, segment: str, key: str,
          value: Any | None) -> None:
    """Record a pending change: `value` None deletes the item."""
    tx.put_change(dataset.id, draft.number, segment, key, staged_text(value))


#: `json.dumps(value, separators=(",", ":"))` without an encoder made per call (once per item).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def staged_text(value: Any | None) -> str | None:
    """A pending change's value as stored (None: a deletion)."""
    return None if value is None else _COMPACT.encode(value)
