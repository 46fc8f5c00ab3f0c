"""The model of tests/test_status_props.py: what `gas status` and `gas add` must say, worked out
from the files on disk (read here with `os.walk`, `json` and `fnmatch`, none of gasvc's code)
and the index and HEAD the model keeps (path → (SHA-1 of the bytes, label id)).

The ignore rules are modelled for the patterns the test writes only: one name, or a name
pattern, optionally `!`-negated or `/`-ended (a folder), unanchored; git's precedence (the
deepest `.gasignore` decides, its last matching line; nothing inside an ignored folder is
re-included; `.gasignore` itself is ignored by default).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

SEGMENTS = ("train", "val")
METADATA = "metadata.jsonl"
IGNORE_FILE = ".gasignore"

#: path → (SHA-1 of the file's bytes, label id or None)
Items = dict[str, tuple[str, str | None]]


def label_id(label: object) -> str | None:
    """A label's identity: its canonical JSON; None for no label (`{}` is none)."""
    if not label:
        return None
    return json.dumps(label, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Working:
    """The working tree as the model reads it."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)  # "train/a.jpg" → SHA-1 (any file)
    folders: set[str] = field(default_factory=set)  # "train/sub" (segment folders too)
    #: "train/a.jpg" → label id, per line of the segments' `metadata.jsonl`
    labels: dict[str, str | None] = field(default_factory=dict)
    #: segments whose `metadata.jsonl` names a file twice or has a line that is no JSON (gas
    #: refuses both)
    broken: set[str] = field(default_factory=set)
    ignores: dict[str, list[str]] = field(default_factory=dict)  # folder ("", "train/") → lines

    @classmethod
    def read(cls, root: Path) -> Working:
        found = cls(root, ignores={"": _lines(root / IGNORE_FILE)})
        for segment in SEGMENTS:
            for folder, subfolders, names in os.walk(root / segment):
                subfolders.sort()
                base = Path(folder).relative_to(root).as_posix()
                found.folders.add(base)
                if IGNORE_FILE in names:
                    found.ignores[base + "/"] = _lines(Path(folder, IGNORE_FILE))
                for name in names:
                    if base != segment or name != METADATA:
                        data = Path(folder, name).read_bytes()
                        found.files[f"{base}/{name}"] = hashlib.sha1(data).hexdigest()
            found.read_labels(segment)
        return found

    def read_labels(self, segment: str) -> None:
        path = self.root / segment / METADATA
        if not path.is_file():
            return
        for raw in path.read_text().split("\n"):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                self.broken.add(segment)
                continue
            key = f"{segment}/{line['file_name']}"
            if key in self.labels:
                self.broken.add(segment)
            self.labels[key] = label_id(line.get("label"))

    def label(self, path: str) -> str | None:
        return self.labels.get(path)

    # ignore rules -----------------------------------------------------------------------
    def ignored(self, path: str, folder: bool = False) -> bool:
        """Whether the rules ignore a workspace-relative path, or a folder above it."""
        parts = path.split("/")
        for depth in range(2, len(parts)):  # the folders below the segment's, on the way
            if self._decide(parts[:depth], True):
                return True
        return self._decide(parts, folder)

    def _decide(self, parts: list[str], folder: bool) -> bool:
        name = parts[-1]
        bases = ["/".join(parts[:depth]) + "/" for depth in range(1, len(parts))]
        for base in ["", *bases][::-1]:  # the deepest file decides
            for line in reversed(self.ignores.get(base, [])):
                pattern = line.strip()
                if not pattern or pattern.startswith("#"):
                    continue
                negated = pattern.startswith("!")
                pattern = pattern.lstrip("!")
                if pattern.endswith("/") and not folder:
                    continue
                if fnmatchcase(name, pattern.rstrip("/")):
                    return not negated
        return name == IGNORE_FILE


def _lines(path: Path) -> list[str]:
    return path.read_text().split("\n") if path.is_file() else []


def covered(path: str, spec: str | None) -> bool:
    """Whether `gas add SPEC` names a path (None: `-A`)."""
    return spec is None or path == spec or path.startswith(spec + "/")


@dataclass
class Expected:
    """What a command must do: fail with this error (a class name), or succeed."""

    error: str | None = None
    lines: set[str] = field(default_factory=set)  # status: the porcelain lines
    index: Items = field(default_factory=dict)  # add: the index after it
    dropped: set[str] = field(default_factory=set)  # add: label lines it removes


@dataclass
class Model:
    index: Items = field(default_factory=dict)
    head: Items = field(default_factory=dict)
    #: the paths the index has a row for: HEAD's, and those staged since (a file staged then
    #: deleted keeps its row, without a file, until the next commit)
    rows: set[str] = field(default_factory=set)

    def stage(self, index: Items) -> None:
        self.index = index
        self.rows |= index.keys()

    def commit(self) -> None:
        self.head = dict(self.index)
        self.rows = set(self.index)

    def status(self, working: Working) -> Expected:
        """`gas status --porcelain`, as a set of lines."""
        if working.broken:
            return Expected("MetadataError")
        columns: dict[str, list[str]] = {}
        for path in self.head.keys() | self.index.keys():
            code = _code(self.head.get(path), self.index.get(path))
            if code:
                columns.setdefault(path, [" ", " "])[0] = code
        for path, (checksum, label) in self.index.items():
            now = working.files.get(path)
            code = ("D" if now is None else "M" if now != checksum
                    else "L" if working.label(path) != label else "")
            if code:
                columns.setdefault(path, [" ", " "])[1] = code
        lines = {f"{x}{y} {path}" for path, (x, y) in columns.items()}
        lines |= {f"?? {path}" for path in working.files
                  if path not in self.index and not working.ignored(path)}
        return Expected(lines=lines)

    def add(self, working: Working, spec: str | None, tracked_only: bool = False) -> Expected:
        """`gas add -A` (spec None), `gas add SPEC`, or the add of `gas commit -a`."""
        known = self.index.keys() | self.head.keys()  # tracked now or at HEAD
        rows = known | self.rows
        segments = [s for s in SEGMENTS if spec is None or covered(s, spec) or
                    spec.startswith(s + "/")]
        if spec is not None and spec not in SEGMENTS and working.ignored(
                spec, spec in working.folders) and not any(covered(p, spec) for p in rows):
            return Expected("IgnoredPaths")
        labelled = [p for p in working.labels if p.split("/")[0] in segments
                    and p not in working.files]
        for segment in segments:  # one after the other: its labels read, then checked
            if segment in working.broken:
                return Expected("MetadataError")
            if any(p not in known and p.startswith(segment + "/") for p in labelled):
                return Expected("LabelWithoutFile")
        index = dict(self.index)
        matched = False
        for path, checksum in working.files.items():
            tracked = path in self.index
            if path.split("/")[0] in segments and covered(path, spec) and (
                    tracked or not (tracked_only or working.ignored(path))):
                index[path] = (checksum, working.label(path))
                matched = True
        for path in self.index:
            if covered(path, spec) and path not in working.files:
                del index[path]
        matched = matched or spec in SEGMENTS or any(covered(p, spec) for p in rows)
        if spec is not None and not matched:
            return Expected("PathspecError")
        return Expected(index=index, dropped={p for p in labelled if covered(p, spec)})


def _code(old: tuple[str, str | None] | None, new: tuple[str, str | None] | None) -> str:
    if old == new:
        return ""
    if old is None:
        return "A"
    if new is None:
        return "D"
    return "L" if old[0] == new[0] else "M"
