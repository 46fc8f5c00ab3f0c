"""What `gas add` records for the next command once it has staged a segment: the stat refreshes
of files found unchanged by their bytes, the listings of the folders it compared by their delta
and left clean (folders.py: staging their changed files drops their records), and the segment's
label lines (labeldelta.py). So a status after an add compares what changed since, not again
what the add staged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gasvc.workspace.store.folderstore import save_folder_listings
from gasvc.workspace.store.labellines import record_lines
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.compare import ItemState, trusted_mtime
from gasvc.workspace.worktree.folders import Delta, Walked


@dataclass
class Saved:
    """A segment's records, as a worker process sends them back."""

    refresh: list[tuple[str, str, int, int]] = field(default_factory=list)
    folders: list[tuple[str, bytes, bytes, bytes]] = field(default_factory=list)
    labels: bytes | None = None

    def save(self, state: State, segment: str) -> None:
        """Write them, after the segment's changes are staged (in the same transaction)."""
        state.refresh_stats(self.refresh)
        save_folder_listings(state, ((segment, *row) for row in self.folders))
        if self.labels is not None:
            record_lines(state, [(segment, self.labels)])


#: Beyond this many new files in a segment, its label lines are not recorded (the next status
#: does it): the paths are not kept.
MAX_ADDED = 50_000


class Records:
    """Collects a segment's records while its changes are planned."""

    def __init__(self) -> None:
        self.refresh: list[tuple[str, str, int, int]] = []
        self.added: set[str] = set()  # new files to stage (the first MAX_ADDED)
        self.new_files = 0
        self.labels: bytes | None = None
        self._walked = Walked()
        self._tainted: set[str] = set()  # folders of items left changed (Walked.folder_of)

    def delta(self, prefix: str, delta: Delta) -> None:
        """A folder compared by its delta."""
        self._walked.delta(prefix, delta)

    def saw(self, item: ItemState, staged: bool) -> None:
        """An item the comparison reported, and whether the add stages it: a folder holding one
        that stays changed, or is staged with a stat too recent to trust, is not recorded."""
        if item.kind in ("clean", "gone", "ignored"):
            return
        if not staged or (item.file is not None and not trusted_mtime(item.file.mtime_ns)):
            self._tainted.add(self._walked.folder_of(item.path))
        if staged and item.kind == "untracked":
            self.new_files += 1
            if self.new_files <= MAX_ADDED:
                self.added.add(item.path)

    def saved(self) -> Saved:
        """The records; no folder's when files are added (a new index row drops every listing
        of its segment: see state.py)."""
        folders = [] if self.new_files else self._walked.clean_but(self._tainted, self.refresh)
        return Saved(self.refresh, folders, self.labels)

    @property
    def all_added(self) -> bool:
        """Whether `added` holds every new file."""
        return self.new_files <= MAX_ADDED
