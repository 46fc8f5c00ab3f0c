"""The synthetic dataset every tool works on: N files of S bytes in K segments, with labels.

    catalog.json                          CLASSIFICATION with a few categories
    seg-0/images/0000/0000000.jpg         random bytes (seeded: every copy is identical)
    seg-0/metadata.jsonl                  one canonical label line per file, sorted by path
    seg-1/...

Files sit 1,000 to a folder, as image datasets usually do. Changes (`change_files`,
`change_labels`) are deterministic too, so applying one to each tool's copy gives the same bytes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import measure

CATEGORIES = ("cat", "dog", "bird", "fish", "horse")
PER_FOLDER = 1000
CATALOG = {"CLASSIFICATION": {"categories": [{"name": name} for name in CATEGORIES]}}
#: Tool state folders, never touched nor read as data.
STATE_DIRS = frozenset({".gas", ".git", ".dvc"})


@dataclass
class Dataset:
    """What was generated: each segment's files (relative to the segment) and their labels."""

    files: int
    size: int
    segments: list[str]
    paths: list[list[str]] = field(default_factory=list)
    labels: list[dict[str, str]] = field(default_factory=list)

    def all_files(self) -> Iterator[str]:
        """Every data file, relative to the dataset root, in a stable order."""
        for name, paths in zip(self.segments, self.paths, strict=True):
            for path in paths:
                yield f"{name}/{path}"

    def item(self, number: int) -> tuple[int, str]:
        """The `number`-th file overall as (segment index, path in the segment)."""
        for seg, paths in enumerate(self.paths):
            if number < len(paths):
                return seg, paths[number]
            number -= len(paths)
        raise IndexError(number)


def segment_sizes(files: int, segments: int) -> list[int]:
    return [files // segments + (1 if i < files % segments else 0) for i in range(segments)]


def file_path(index: int) -> str:
    return f"images/{index // PER_FOLDER:04d}/{index:07d}.jpg"


def content(size: int, *seed: object) -> bytes:
    return random.Random(repr(seed)).randbytes(size)


def label_line(path: str, category: str) -> str:
    """A canonical `metadata.jsonl` line, as gas writes it."""
    line = {"file_name": path, "label": {"CLASSIFICATION": {"category": category}}}
    return json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n"


def write_labels(root: Path, dataset: Dataset, seg: int) -> None:
    labels = dataset.labels[seg]
    text = "".join(label_line(path, labels[path]) for path in sorted(labels))
    (root / dataset.segments[seg] / "metadata.jsonl").write_text(text)


def generate(root: Path, files: int, size: int, segments: int) -> Dataset:
    """Write the dataset under `root` (which must not exist yet)."""
    dataset = Dataset(files, size, [f"seg-{k}" for k in range(segments)])
    root.mkdir(parents=True)
    (root / "catalog.json").write_text(json.dumps(CATALOG, indent=1, sort_keys=True) + "\n")
    for seg, count in enumerate(segment_sizes(files, segments)):
        paths = [file_path(i) for i in range(count)]
        dataset.paths.append(paths)
        dataset.labels.append({p: CATEGORIES[i % len(CATEGORIES)] for i, p in enumerate(paths)})
        for i, path in enumerate(paths):
            target = root / dataset.segments[seg] / path
            if i % PER_FOLDER == 0:
                target.parent.mkdir(parents=True)
            target.write_bytes(content(size, seg, i))
        write_labels(root, dataset, seg)
    return dataset


def copy_tree(source: Path, target: Path) -> None:
    """A real copy (own inodes, so touching one copy leaves the others alone)."""
    measure.discard(target)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def tree_files(root: Path) -> Iterator[Path]:
    """Every file of a working tree, tool state folders aside."""
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in STATE_DIRS:
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield Path(entry.path)


def touch_all(root: Path) -> int:
    """`touch` every file of the working tree (mtime and atime to now); how many."""
    count = 0
    for path in tree_files(root):
        os.utime(path)
        count += 1
    return count


def read_all(root: Path) -> int:
    """Read every file once (warms the page cache); the bytes read."""
    total = 0
    for path in tree_files(root):
        with open(path, "rb") as handle:
            total += len(handle.read())
    return total


def spread(count: int, total: int, offset: int) -> list[int]:
    """`count` distinct file numbers spread over `total`, shifted by `offset`."""
    step = total // count
    return sorted({(i * step + offset) % total for i in range(count)})


def change_files(roots: Iterable[Path], dataset: Dataset, numbers: list[int], tag: str) -> None:
    """Give files `numbers` new bytes (the same in every root)."""
    for number in numbers:
        seg, path = dataset.item(number)
        data = content(dataset.size, tag, number)
        for root in roots:
            (root / dataset.segments[seg] / path).write_bytes(data)


def change_labels(roots: Iterable[Path], dataset: Dataset, numbers: list[int]) -> None:
    """Move files `numbers` to the next category, rewriting their segments' metadata.jsonl."""
    touched = set()
    for number in numbers:
        seg, path = dataset.item(number)
        labels = dataset.labels[seg]
        labels[path] = CATEGORIES[(CATEGORIES.index(labels[path]) + 1) % len(CATEGORIES)]
        touched.add(seg)
    for root in roots:
        for seg in sorted(touched):
            write_labels(root, dataset, seg)
