"""What the state database keeps of a merge in progress (`gas merge`, `revert`, `cherry-pick`).

- meta `merge.info`: JSON of `MergeInfo` (its kind, what was merged, the commit HEAD was on, the
  merge result as a commit that is not on any branch yet, the state the conflicts take with
  `--theirs`, the message);
- table `unmerged`: one row per conflict not resolved yet (`ShownConflict` as JSON).

While it is recorded, the index holds HEAD as it was (`head_*`) and the merge result staged, so
`gas status` and `gas diff --staged` show what the merge brings, and the conflicts are listed
as "Unmerged".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from gasvc.model.snapshot import Item
from gasvc.workspace.store.conflicts import ShownConflict
from gasvc.workspace.store.state import MERGE_INFO, State

INFO = MERGE_INFO
#: Set when the working tree and index have moved to the merge result (in the move's
#: transaction): until then `--continue` moves them first.
SETTLED = "merge.settled"


@dataclass(frozen=True)
class MergeInfo:
    kind: str  # "merge", "cherry-pick", "revert"
    name: str  # what the user named: a branch, a commit id
    theirs: str  # the commit merged, picked or reverted
    orig: str  # the commit HEAD was on ("" for none)
    result: str  # the merge result as a commit (ours at every conflict)
    theirs_state: str  # the result's state with theirs at every conflict
    message: str

    @property
    def command(self) -> str:
        return f"gas {self.kind}"


def merge_info(state: State) -> MergeInfo | None:
    raw = state.get(INFO)
    return MergeInfo(**json.loads(raw)) if raw else None


def record(state: State, info: MergeInfo) -> None:
    """Inside the caller's transaction."""
    state.set(INFO, json.dumps(asdict(info)))


def forget(state: State) -> None:
    """Inside the caller's transaction: the merge is done or undone."""
    state.set(INFO, None)
    state.set(SETTLED, None)
    state.db.execute("DELETE FROM unmerged")


def settled(state: State) -> bool:
    return state.get(SETTLED) is not None


def set_settled(state: State) -> None:
    """Inside the move's transaction."""
    state.set(SETTLED, "1")


def add_unmerged(state: State, conflicts: Iterable[ShownConflict]) -> None:
    state.db.executemany("INSERT OR REPLACE INTO unmerged VALUES (?, ?, ?, ?)",
                         [(c.path, c.part, c.field, json.dumps(c.to_json()))
                          for c in conflicts])


def unmerged(state: State) -> list[ShownConflict]:
    rows = state.db.execute("SELECT data FROM unmerged ORDER BY path, part, field")
    return [ShownConflict.from_json(json.loads(data)) for data, in rows]


def resolve(state: State, conflicts: Iterable[ShownConflict]) -> None:
    state.db.executemany("DELETE FROM unmerged WHERE path = ? AND part = ? AND field = ?",
                         [(c.path, c.part, c.field) for c in conflicts])


def set_head_item(state: State, segment: str, path: str, head: Item | None,
                  staged: Item | None) -> None:
    """An index row whose HEAD values are `head` and staged values `staged` (after a move
    made both `staged`)."""
    if head is None and staged is None:
        return
    if staged is None:  # the move removed the row: back, staged as deleted
        state.db.execute(
            "INSERT INTO entries (segment, path, head_sum, head_size, head_label) VALUES"
            " (?, ?, ?, ?, ?)", (segment, path, head.checksum if head else None,
                                 head.size if head else None, head.label if head else None))
        return
    state.db.execute("UPDATE entries SET head_sum = ?, head_size = ?, head_label = ?"
                     " WHERE segment = ? AND path = ?",
                     (head.checksum if head else None, head.size if head else None,
                      head.label if head else None, segment, path))


def set_head_segment(state: State, name: str, in_head: bool, staged: bool) -> None:
    if not in_head and not staged:
        state.db.execute("DELETE FROM segments WHERE name = ?", (name,))
        return
    state.db.execute("INSERT INTO segments (name, in_head, staged) VALUES (?, ?, ?) ON CONFLICT"
                     " (name) DO UPDATE SET in_head = excluded.in_head, staged ="
                     " excluded.staged", (name, int(in_head), int(staged)))
