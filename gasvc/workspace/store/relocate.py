"""Workspaces made before segments had folders by rule (layout.segment_folder) kept the default
segment "" in the root itself, and segments `default`, `@…` and `catalog.json` in folders of
their own names. Opening such a workspace moves them, once, where the rule puts them:

- the tracked files of "" (and its `metadata.jsonl`) from the root into `default/`;
- segment `default`'s folder to `@default/`, `@x`'s to `@@x/`, `catalog.json`'s to
  `@catalog.json/` (longest names first, so each target is free when its turn comes).

Only renames: file bytes, stats and the index stay as they are. Every conflict is found before
anything moves; a move interrupted half-way is completed by the next command (a file already
in its new place is skipped). Untracked files in the root stay where they are: status lists
them as outside every segment folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gasvc.errors import ClientError
from gasvc.model.sensorfolders import METADATA
from gasvc.workspace.store.layout import Layout, segment_folder
from gasvc.workspace.store.state import State

#: `meta` key holding the layout version of the working tree; absent before folders by rule.
LAYOUT_KEY = "layout.version"
LAYOUT_VERSION = "2"


class RelocationBlocked(ClientError):
    """A move of the workspace that cannot go on."""


@dataclass
class Relocated:
    """What opening an old workspace moved: (old folder, new folder) per segment, and how
    many files of the default segment left the root."""

    folders: list[tuple[str, str]] = field(default_factory=list)
    root_files: int = 0

    def __bool__(self) -> bool:
        return bool(self.folders or self.root_files)


def relocate(layout: Layout, state: State) -> Relocated:
    """Bring an old workspace's segment folders to the current layout (once)."""
    if state.get(LAYOUT_KEY) == LAYOUT_VERSION:
        return Relocated()
    with state.transaction():
        if state.get(LAYOUT_KEY) == LAYOUT_VERSION:  # another command did it meanwhile
            return Relocated()
        segments = _known_segments(state)
        renamed = sorted((name for name in segments if name and segment_folder(name) != name),
                         key=len, reverse=True)
        files = _root_files(layout, state) if "" in segments else []
        _refuse_conflicts(layout, renamed, files)
        result = Relocated()
        for name in renamed:
            if _move_folder(layout.root / name, layout.segment_dir(name)):
                result.folders.append((name + "/", segment_folder(name) + "/"))
        result.root_files = _move_root_files(layout, files, segments)
        state.db.execute("DELETE FROM folders")  # listings recorded at the old places
        state.set(LAYOUT_KEY, LAYOUT_VERSION)
    return result


def _known_segments(state: State) -> set[str]:
    rows = state.db.execute("SELECT DISTINCT segment FROM entries")
    return set(state.segments()) | {str(row[0]) for row in rows}


def _root_files(layout: Layout, state: State) -> list[str]:
    """Paths (in the segment) of the default segment's files still in the root, and its
    labels file."""
    paths = [entry.path for entry in state.entries("")
             if entry.sum is not None or entry.head_sum is not None]
    return [*paths, METADATA]


def _refuse_conflicts(layout: Layout, renamed: list[str], files: list[str]) -> None:
    """Every place a move would take must be free (or already hold the moved thing)."""
    taken = [segment_folder(name) for name in renamed
             if _is_real_dir(layout.root / name) and layout.segment_dir(name).exists()
             and segment_folder(name) not in renamed]
    taken += [f"{segment_folder('')}/{path}" for path in files
              if _is_real_file(layout.root / path) and layout.file("", path).exists()]
    if taken:
        raise RelocationBlocked(
            "this workspace was made by an older gas, which kept the default segment in the "
            "root; moving it into default/ (and segments named default, @… or catalog.json "
            "into @-folders) is blocked by: " + ", ".join(taken[:10]),
            "move those away (they are not tracked there), then run the command again")


def _move_folder(old: Path, new: Path) -> bool:
    if not _is_real_dir(old) or new.exists():
        return False
    os.rename(old, new)
    return True


def _move_root_files(layout: Layout, paths: list[str], segments: set[str]) -> int:
    moved = 0
    for path in paths:
        source, target = layout.root / path, layout.file("", path)
        if not _is_real_file(source) or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, target)
        moved += path != METADATA
        _prune(source.parent, layout.root, {segment_folder(name) for name in segments})
    return moved


def _prune(folder: Path, root: Path, keep: set[str]) -> None:
    """Remove folders a move left empty, up to the root; segment folders stay."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        if folder.parent == root and folder.name in keep:
            return
        folder.rmdir()
        folder = folder.parent


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _is_real_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
