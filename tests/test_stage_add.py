"""`gas add` internals: the label reader, the object store, and staging in worker processes.

The fast paths must give exactly what the plain ones give: `label_refs` what `metadata.parse` +
`label_id` give (errors included), an `ObjectStore` object the SHA-1 of its bytes, and staging
planned in forked workers what staging in one process gives.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from gasvc.errors import GasError
from gasvc.model.canon import canonical_json
from gasvc.model.metadata import parse
from gasvc.workspace.store import objects
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import READ_CHUNK, Layout
from gasvc.workspace.store.objects import ObjectStore
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import InvalidLabels, commit
from gasvc.workspace.worktree import addplan, parallel, pathspec, stage
from gasvc.workspace.worktree.compare import label_id
from gasvc.workspace.worktree.metafile import label_refs

CAT = {"CLASSIFICATION": {"category": "cat"}}
DOG = {"CLASSIFICATION": {"category": "dog"}}


def canonical(path: str, label: Any) -> str:
    return canonical_json({"file_name": path, "label": label}).decode()


# label_refs ----------------------------------------------------------------------------------
GOOD_LINES = [
    canonical("a.jpg", CAT),
    canonical("dir/b.jpg", DOG),
    canonical("c.jpg", {}),                                   # an empty label
    '{"file_name": "d.jpg", "label": {"B": 1, "A": [1.5, null]}}',  # not canonical
    '{"label":{"CLASSIFICATION":{"category":"cat"}},"file_name":"e.jpg"}',  # keys unsorted
    '{"file_name":"f\\u00e9.jpg","label":{"X":{"y":"\\"q\\""}}}',  # escapes
    canonical("g\u00e9 h.jpg", {"X": {"t": "\u2603"}}),      # non-ASCII, raw
    '{"file_name":"h.jpg"}',                                  # no label
    '{"file_name":"i.jpg","label":{"x":1},"label":{"y":2}}',  # the last key wins
    '{"file_name":"j.jpg","label":{},"file_name":"k.jpg"}',   # so it does for file_name
    '  {"file_name":"l.jpg","label":{"z":0}}  ',              # spaces around
    "",
    "   ",
    canonical("m/n/o.jpg", {"deep": {"a": [{"b": None}], "c": 1e-07}}),
]
BAD_LINES = [
    '{"file_name":"a.jpg","label":[1]}',          # label not an object
    '{"file_name":"a.jpg","label":{"x":1}',        # not JSON
    '{"file_name":"../a.jpg","label":{}}',         # bad paths
    '{"file_name":"/a.jpg","label":{}}',
    '{"file_name":"a//b.jpg","label":{}}',
    '{"file_name":"a/./b.jpg","label":{}}',
    '{"file_name":"","label":{}}',
    '{"file_name":"a\\u0001.jpg","label":{}}',
    '{"file_name":"a\x01.jpg","label":{}}',       # raw control character
    '{"file_name":"a\\\\b.jpg","label":{}}',       # backslash
    '{"file_name":"' + "x" * 1025 + '","label":{}}',
    '{"file_name":7,"label":{}}',
    '{"label":{}}',
    "[]",
    '{"file_name":"a.jpg","label":{"x":NaN}}x',
]


def expected(text: str, where: str) -> dict[str, tuple[int, str | None]] | tuple[type, str, str]:
    try:
        return {p: (line.line, label_id(line.label)) for p, line in parse(text, where).items()}
    except GasError as error:
        return type(error), error.message, error.hint


def actual(text: str, where: str, known: dict[str, str | None]
           ) -> dict[str, tuple[int, str | None]] | tuple[type, str, str]:
    try:
        refs = label_refs(text, where, known)
    except GasError as error:
        return type(error), error.message, error.hint
    for ref in refs.values():  # the JSON to store, when given, is the label's own
        assert ref.data is None or hashlib.sha1(ref.data).hexdigest() == ref.label
    return {p: (ref.line, ref.label) for p, ref in refs.items()}


def known_ids(text: str) -> dict[str, str | None]:
    return {p: label_id(line.label) for p, line in parse(text).items()}


def test_label_refs_read_lines_as_parse_does() -> None:
    text = "\n".join(GOOD_LINES) + "\n"
    want = expected(text, "s/metadata.jsonl")
    assert isinstance(want, dict) and len(want) == 12
    assert actual(text, "s/metadata.jsonl", {}) == want
    assert actual(text, "s/metadata.jsonl", known_ids(text)) == want  # ids from the index
    stale = {path: "0" * 40 for path in want}
    assert actual(text, "s/metadata.jsonl", stale) == want
    assert actual(text.replace("\n", "\r\n"), "s/metadata.jsonl", {}) == want


@pytest.mark.parametrize("bad", BAD_LINES)
def test_label_refs_raise_what_parse_raises(bad: str) -> None:
    text = "\n".join([GOOD_LINES[0], bad, GOOD_LINES[1]])
    want = expected(text, "s/metadata.jsonl")
    assert isinstance(want, tuple), "the line should be refused"
    assert actual(text, "s/metadata.jsonl", {}) == want


def test_label_refs_check_paths_the_index_knows() -> None:
    for path in ("a\x7f.jpg", "../a.jpg", "a//b.jpg"):
        text = canonical(path, CAT) + "\n"
        want = expected(text, "s/metadata.jsonl")
        assert isinstance(want, tuple)
        assert actual(text, "s/metadata.jsonl", {path: label_id(CAT)}) == want


def test_label_refs_duplicate_paths() -> None:
    for second in (canonical("a.jpg", DOG), canonical("a.jpg", CAT),
                   '{"file_name": "a.jpg", "label": {}}'):
        text = "\n".join([canonical("a.jpg", CAT), "", second])
        want = expected(text, "s/metadata.jsonl")
        assert isinstance(want, tuple) and "line 1" in want[1]
        assert actual(text, "s/metadata.jsonl", {}) == want
        assert actual(text, "s/metadata.jsonl", {"a.jpg": label_id(CAT)}) == want


# the object store ----------------------------------------------------------------------------
@pytest.fixture
def ws(tmp_path: Path) -> Any:
    layout = init(tmp_path / "ws")
    state = State(layout.state_db)
    yield layout, state
    state.close()


def stored_files(layout: Layout) -> list[str]:
    return sorted(str(p.relative_to(layout.objects)) for p in layout.objects.rglob("*")
                  if p.is_file())


@pytest.mark.parametrize("size", [0, 1, 4096, READ_CHUNK - 1, READ_CHUNK, 2 * READ_CHUNK + 7])
def test_store_names_objects_by_their_bytes(ws: Any, tmp_path: Path, size: int) -> None:
    layout, _ = ws
    data = os.urandom(size)
    source = tmp_path / "f.bin"
    source.write_bytes(data)
    store = ObjectStore(layout)
    checksum = hashlib.sha1(data).hexdigest()
    assert store.store(str(source)) == (checksum, size)
    assert store.store(str(source)) == (checksum, size)  # again: replaced by the same bytes
    assert layout.object_path(checksum).read_bytes() == data
    assert stored_files(layout) == [f"{checksum[:2]}/{checksum[2:]}"]  # no temporary left
    assert objects.has_object(layout, checksum)


@pytest.mark.parametrize("size", [10, 2 * READ_CHUNK])
def test_store_skips_known_content(ws: Any, tmp_path: Path, size: int) -> None:
    layout, _ = ws
    source = tmp_path / "f.bin"
    source.write_bytes(b"k" * size)
    checksum = hashlib.sha1(b"k" * size).hexdigest()
    assert ObjectStore(layout).store(str(source), known=checksum) == (checksum, size)
    assert stored_files(layout) == []


@pytest.mark.parametrize("size", [10, 2 * READ_CHUNK])
def test_store_failure_leaves_no_temporary(ws: Any, tmp_path: Path, size: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    layout, _ = ws
    source = tmp_path / "f.bin"
    source.write_bytes(b"x" * size)

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        ObjectStore(layout).store(str(source))
    assert stored_files(layout) == []
    with pytest.raises(FileNotFoundError):
        ObjectStore(layout).store(str(tmp_path / "missing"))
    assert stored_files(layout) == []


# staging ------------------------------------------------------------------------------------
def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def label_file(*items: tuple[str, Any]) -> str:
    return "".join(json.dumps({"file_name": p, "label": label}) + "\n" for p, label in items)


def index(state: State) -> list[tuple[Any, ...]]:
    return [(e.segment, e.path, e.sum, e.size, e.label) for e in state.entries()]


def story(layout: Layout, state: State) -> list[Any]:
    """A sequence of adds over four segments; the index after each, and the errors."""
    seen: list[Any] = []

    def add(*paths: str, tracked_only: bool = False) -> None:
        specs = [pathspec.parse_pathspec(p) for p in paths] or [pathspec.EVERYTHING]
        try:
            result = stage.add(layout, state, specs, tracked_only)
            seen.append((result.staged, result.removed, index(state)))
        except GasError as error:
            seen.append((type(error).__name__, error.message, error.hint))

    files = {f"s{i}/d{j % 3}/f{j}.jpg": f"{i}-{j}" for i in range(4) for j in range(40)}
    files |= {f"s{i}/metadata.jsonl": label_file(*((f"d{j % 3}/f{j}.jpg", CAT if j % 2 else DOG)
                                                    for j in range(0, 40, 3)))
              for i in range(4)}
    write(layout.root, files)
    add()
    commit(layout, state, "first", "tester", 1_700_000_000)
    write(layout.root, {"s0/d1/f1.jpg": "changed", "s0/d2/f2.jpg": "2", "s0/d2/f5.jpg": "5",
                        "s1/new.jpg": "new", "s2/d0/new.jpg": "N",
                        "s3/metadata.jsonl": label_file(("d0/f0.jpg", CAT), ("d1/f1.jpg", {}),
                                                        ("d2/f2.jpg", {"X": [1]}))})
    (layout.root / "s2/d0/f3.jpg").unlink()
    write(layout.root, {"s2/metadata.jsonl": label_file(("d0/f0.jpg", CAT), ("d0/new.jpg", DOG),
                                                        ("d0/f6.jpg", DOG))})
    add("s3/metadata.jsonl")  # labels only: for tracked files
    add("s1/new.jpg", "s0/d1")
    add("s2/d0/f6.jpg")  # unchanged: matches, stages nothing
    add("s2/d0/f0.jpg")  # unchanged file, new label
    add("s2/nothing.jpg")
    add(tracked_only=True)
    write(layout.root, {"s1/metadata.jsonl": label_file(("gone.jpg", CAT))})
    add()
    write(layout.root, {"s1/metadata.jsonl": label_file(("new.jpg", DOG), ("x", "[bad"))})
    add()
    write(layout.root, {"s1/metadata.jsonl": '{"file_name": "new.jpg", "label": {"A": 1}}\n'})
    add()
    stage.unstage(state, [pathspec.parse_pathspec("s1/new.jpg")])
    add("s1")
    return seen


def test_workers_stage_what_one_process_stages(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    runs, forks = [], []
    real = parallel.map_units

    def counted(*args: Any) -> Any:
        forks.append(1)
        return real(*args)

    monkeypatch.setattr(parallel, "map_units", counted)
    for name, rows, planned in (("one", 10**9, 20_000), ("workers", 0, 20_000),
                                ("overflow", 0, 1)):  # plans too big: redone streaming
        monkeypatch.setattr(parallel, "MIN_ROWS", rows)
        monkeypatch.setattr(addplan, "MAX_PLANNED", planned)
        layout = init(tmp_path / name)
        state = State(layout.state_db)
        try:
            runs.append(story(layout, state))
        finally:
            state.close()
    one, workers, overflow = runs
    assert one == workers == overflow
    assert len(forks) == 10  # the adds over two or more segments after the first commit
    assert [step[0] for step in one] == [
        160, 15, 2, 0, 1, "PathspecError", 13, "LabelWithoutFile", "MetadataError", 16, 1]
    assert "s1/metadata.jsonl:1: label for 'gone.jpg'" in one[7][1]


def test_label_in_a_symlinked_folder_is_for_a_file(ws: Any) -> None:
    layout, state = ws
    write(layout.root, {"elsewhere/x.jpg": "X"})
    (layout.root / "s").mkdir()
    (layout.root / "s/link").symlink_to(layout.root / "elsewhere")
    write(layout.root, {"s/a.jpg": "A", "s/metadata.jsonl": label_file(("link/x.jpg", CAT))})
    stage.add(layout, state, [pathspec.parse_pathspec("s")])  # accepted, as `is_file()` says
    assert [row[1] for row in index(state)] == ["a.jpg"]


def test_commit_lists_each_label_that_breaks_the_catalog(ws: Any) -> None:
    layout, state = ws
    catalog = {"CLASSIFICATION": {"categories": [{"name": "cat"}]}}
    cow = {"CLASSIFICATION": {"category": "cow"}}
    write(layout.root, {"catalog.json": json.dumps(catalog), "s/a.jpg": "A", "s/b.jpg": "B",
                        "s/c.jpg": "C", "s/metadata.jsonl": label_file(
                            ("a.jpg", cow), ("b.jpg", CAT), ("c.jpg", cow))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    with pytest.raises(InvalidLabels) as raised:
        commit(layout, state, "bad", "tester", 1_700_000_000, strict=True)
    assert raised.value.message == (
        "labels do not fit catalog.json:\n"
        "  s/metadata.jsonl:1: s/a.jpg: CLASSIFICATION: category 'cow' is not in the catalog\n"
        "  s/metadata.jsonl:3: s/c.jpg: CLASSIFICATION: category 'cow' is not in the catalog")
    assert commit(layout, state, "bad", "tester", 1_700_000_000).misfits == \
        raised.value.message.split("\n  ")[1:]
