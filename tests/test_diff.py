"""`gas diff` / `gas show` locally: label fields, the four kinds of sides, path filters, stats,
and the cost of diffing two big versions (the changed leaves only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gasvc.cli import main
from gasvc.errors import InvalidParams
from gasvc.model import tree
from gasvc.model.labeldiff import FieldChange, field_changes
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.diff import diff as diffing
from gasvc.workspace.diff.diff_result import DiffRequest, DiffResult, NotMaterialized
from gasvc.workspace.diff.show import show
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.refs import UnknownRevision
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.versions.commit import commit
from gasvc.workspace.worktree import pathspec, stage

CAR = {"box2d": {"xmin": 1, "ymin": 1, "xmax": 2, "ymax": 2}, "category": "car"}
BUS = {"box2d": {"xmin": 3, "ymin": 3, "xmax": 4, "ymax": 4}, "category": "bus"}
VAN = {"box2d": {"xmin": 5, "ymin": 5, "xmax": 6, "ymax": 6}, "category": "van"}


def ops(changes: list[FieldChange]) -> list[tuple[str, str, Any, Any]]:
    return [(c.op, c.path, c.old, c.new) for c in changes]


# label fields -----------------------------------------------------------------------------
def test_changed_value_inside_a_list_element() -> None:
    old = {"BOX2D": [CAR, BUS]}
    new = {"BOX2D": [CAR, {**BUS, "category": "truck"}]}
    assert ops(field_changes(old, new)) == [("~", "BOX2D[1].category", "bus", "truck")]


def test_removed_first_element_is_one_removal_not_a_shift() -> None:
    assert ops(field_changes({"BOX2D": [CAR, BUS, VAN]}, {"BOX2D": [BUS, VAN]})) == [
        ("-", "BOX2D[0]", CAR, None)]


def test_added_element_and_attribute() -> None:
    old = {"BOX2D": [CAR], "CLASSIFICATION": {"attributes": {"color": "red"}}}
    new = {"BOX2D": [CAR, BUS], "CLASSIFICATION": {"attributes": {"color": "blue", "n": 2}}}
    assert ops(field_changes(old, new)) == [
        ("+", "BOX2D[1]", None, BUS),
        ("~", "CLASSIFICATION.attributes.color", "red", "blue"),
        ("+", "CLASSIFICATION.attributes.n", None, 2)]


def test_whole_labels_appear_and_disappear_by_type() -> None:
    label = {"CLASSIFICATION": {"category": "cat"}, "BOX2D": [CAR]}
    assert ops(field_changes(None, label)) == [
        ("+", "BOX2D", None, [CAR]), ("+", "CLASSIFICATION", None, {"category": "cat"})]
    assert ops(field_changes(label, {})) == [
        ("-", "BOX2D", [CAR], None), ("-", "CLASSIFICATION", {"category": "cat"}, None)]
    assert field_changes(label, json.loads(json.dumps(label))) == []


def test_numbers_compare_by_value_and_type_changes_count() -> None:
    # numbers compare by value in a diff (1 and 1.0 were a change before; they are one value)
    assert field_changes({"a": 1}, {"a": 1.0}) == []
    assert field_changes({"a": [0, {"b": 2.0}]}, {"a": [0.0, {"b": 2}]}) == []
    assert ops(field_changes({"a": 1}, {"a": 1.5})) == [("~", "a", 1, 1.5)]
    assert ops(field_changes({"a": True}, {"a": 1})) == [("~", "a", True, 1)]
    assert ops(field_changes({"a": 2**60 + 1}, {"a": float(2**60)})) == [
        ("~", "a", 2**60 + 1, float(2**60))]
    assert ops(field_changes({"a": [1]}, {"a": {"x": [1]}})) == [("~", "a", [1], {"x": [1]})]


def test_a_label_whose_every_type_changed_reads_key_by_key() -> None:
    # DeepDiff reports two objects with no key in common as one root change (`: {…} → {…}`)
    old = {"CLASSIFICATION": {"category": "cat"}, "BOX2D": [CAR]}
    new = {"POLYGON": [{"polygon": [{"x": 1, "y": 2}]}], "KEYPOINTS2D": []}
    assert ops(field_changes(old, new)) == [
        ("-", "BOX2D", [CAR], None), ("-", "CLASSIFICATION", {"category": "cat"}, None),
        ("+", "KEYPOINTS2D", None, []), ("+", "POLYGON", None, new["POLYGON"])]
    old = {"CLASSIFICATION": {"category": "a", "attributes": {"q": 1}}}
    new = {"CLASSIFICATION": {"category": "b", "attributes": {"r": 2.0, "s": 1}}}
    assert ops(field_changes(old, new)) == [
        ("-", "CLASSIFICATION.attributes.q", 1, None),
        ("+", "CLASSIFICATION.attributes.r", None, 2.0),
        ("+", "CLASSIFICATION.attributes.s", None, 1),
        ("~", "CLASSIFICATION.category", "a", "b")]
    assert all(c.path for c in field_changes({"a": {"x": 1}}, {"b": {"y": 2}}))


def test_nested_lists_and_odd_keys() -> None:
    old = {"POLYGON": [{"polygon": [{"x": 1, "y": 1}, {"x": 2, "y": 2}]}], "a b": {"c.d": 1}}
    new = {"POLYGON": [{"polygon": [{"x": 1, "y": 1}, {"x": 3, "y": 2}]}], "a b": {"c.d": 2}}
    assert ops(field_changes(old, new)) == [
        ("~", "POLYGON[0].polygon[1].x", 2, 3), ("~", '["a b"]["c.d"]', 1, 2)]


def test_paths_sort_numerically() -> None:
    old = {"K": list(range(12))}
    new = {"K": [*range(2), 20, *range(3, 10), 21, 11]}
    assert [c.path for c in field_changes(old, new)] == ["K[2]", "K[10]"]


# workspace fixtures -------------------------------------------------------------------------
def write(root: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def metadata(**labels: dict[str, Any]) -> str:
    return "".join(json.dumps({"file_name": p.replace("_", "."), "label": labels[p]}) + "\n"
                   for p in sorted(labels))


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[tuple[Layout, State]]:
    layout = init(tmp_path)
    state = State(layout.state_db)
    yield layout, state
    state.close()


def first_commit(layout: Layout, state: State) -> str:
    write(layout.root, {"train/a.jpg": "A", "train/b.jpg": "B", "train/c.jpg": "C",
                        "train/metadata.jsonl": metadata(a_jpg={"BOX2D": [CAR, BUS]},
                                                         b_jpg={"CLASSIFICATION": {
                                                             "category": "cat"}}),
                        "catalog.json": json.dumps({"BOX2D": {}, "CLASSIFICATION": {}})})
    stage.add(layout, state, [pathspec.EVERYTHING, pathspec.parse_pathspec("catalog.json")])
    return commit(layout, state, "first", "tester", 1_700_000_000).commit.id


def run(layout: Layout, state: State, *revisions: str, staged: bool = False,
        paths: tuple[str, ...] = (), details: bool = True) -> DiffResult:
    specs = tuple(pathspec.parse_pathspec(p) for p in paths)
    return diffing.diff(layout, state, DiffRequest(revisions, staged, specs, details))


def codes(result: DiffResult) -> dict[str, str]:
    found = {f"{s.name}/": s.code for s in result.segments}
    found.update({item.key: item.code for item in result.items})
    if result.catalog is not None:
        found["catalog.json"] = result.catalog.code
    return found


def change_worktree(layout: Layout) -> None:
    write(layout.root, {"train/b.jpg": "B2", "train/new.jpg": "N",
                        "train/metadata.jsonl": metadata(a_jpg={"BOX2D": [BUS]},
                                                         b_jpg={"CLASSIFICATION": {
                                                             "category": "cat"}})})
    (layout.root / "train/c.jpg").unlink()


# the four sides ---------------------------------------------------------------------------
def test_clean_workspace_has_no_diff(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    for result in (run(layout, state), run(layout, state, staged=True),
                   run(layout, state, "HEAD"), run(layout, state, "HEAD", "HEAD")):
        assert result.empty


def test_worktree_against_index(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    result = run(layout, state)
    assert (result.old, result.new) == ("index", "working tree")
    assert codes(result) == {"train/a.jpg": "L", "train/b.jpg": "M", "train/c.jpg": "D"}
    a, b, c = result.items
    assert ops(a.label) == [("-", "BOX2D[0]", CAR, None)]
    assert b.old is not None and b.new is not None
    assert (b.old.size, b.new.size, b.label_changed) == (1, 2, False)
    assert c.new is None and c.old is not None and c.old.size == 1
    assert run(layout, state, staged=True).empty  # nothing staged yet


def test_staged_against_head_and_revision_against_worktree(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    stage.add(layout, state, [pathspec.parse_pathspec("train/metadata.jsonl")])
    assert codes(run(layout, state, staged=True)) == {"train/a.jpg": "L"}
    assert codes(run(layout, state)) == {"train/b.jpg": "M", "train/c.jpg": "D"}
    assert codes(run(layout, state, "HEAD")) == {
        "train/a.jpg": "L", "train/b.jpg": "M", "train/c.jpg": "D"}
    write(layout.root, {"catalog.json": json.dumps({"BOX2D": {"description": "boxes"},
                                                    "CLASSIFICATION": {}})})
    stage.add(layout, state, [pathspec.EVERYTHING, pathspec.parse_pathspec("catalog.json")])
    commit(layout, state, "second", "tester", 1_700_000_001)
    # HEAD~1 against the index and the working tree: everything since, plus new.jpg staged
    expected = {"train/a.jpg": "L", "train/b.jpg": "M", "train/c.jpg": "D",
                "train/new.jpg": "A", "catalog.json": "M"}
    assert codes(run(layout, state, "HEAD~1")) == expected
    assert codes(run(layout, state, "HEAD~1", staged=True)) == expected
    assert codes(run(layout, state, "HEAD~1", "HEAD")) == expected
    assert codes(run(layout, state, "HEAD", "HEAD~1")) == {
        "train/a.jpg": "L", "train/b.jpg": "M", "train/c.jpg": "A", "train/new.jpg": "D",
        "catalog.json": "M"}
    catalog = run(layout, state, "HEAD~1..").catalog
    assert catalog is not None and ops(catalog.changes) == [
        ("+", "BOX2D.description", None, "boxes")]


def test_untracked_files_and_segments_are_not_in_a_diff(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    write(layout.root, {"train/new.jpg": "N", "val/x.jpg": "X"})
    assert run(layout, state).empty and run(layout, state, "HEAD").empty


def test_segments_added_and_deleted(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    write(layout.root, {"val/x.jpg": "X"})
    stage.add(layout, state, [pathspec.parse_pathspec("val")])
    assert codes(run(layout, state, staged=True)) == {"val/": "A", "val/x.jpg": "A"}
    for path in sorted((layout.root / "train").iterdir()):
        path.unlink()
    (layout.root / "train").rmdir()
    assert codes(run(layout, state)) == {
        "train/": "D", "train/a.jpg": "D", "train/b.jpg": "D", "train/c.jpg": "D"}
    stat = run(layout, state).stats()
    assert [(s.name, s.code, s.deleted, s.labels) for s in stat] == [("train", "D", 3, 0)]


def test_paths_limit_the_diff(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    write(layout.root, {"catalog.json": "{}"})
    assert codes(run(layout, state, paths=("train/b.jpg",))) == {"train/b.jpg": "M"}
    assert codes(run(layout, state, paths=("train/metadata.jsonl",))) == {"train/a.jpg": "L"}
    assert codes(run(layout, state, paths=("catalog.json",))) == {"catalog.json": "M"}
    assert set(codes(run(layout, state, paths=(".",)))) == {
        "train/a.jpg", "train/b.jpg", "train/c.jpg", "catalog.json"}


def test_stats_count_files_and_labels(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    write(layout.root, {"train/metadata.jsonl": metadata(
        a_jpg={"BOX2D": [BUS]}, b_jpg={"CLASSIFICATION": {"category": "dog"}})})
    stage.add(layout, state, [pathspec.EVERYTHING])
    [stat] = run(layout, state, staged=True, details=False).stats()
    assert (stat.added, stat.modified, stat.deleted, stat.labels) == (1, 1, 1, 2)


def test_details_off_reads_no_label(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    stage.add(layout, state, [pathspec.EVERYTHING])
    result = run(layout, state, "HEAD", details=False)
    assert all(item.label == [] for item in result.items)
    assert [i.label_changed for i in result.items] == [True, False, False, False]


def test_bad_requests(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    with pytest.raises(InvalidParams):
        run(layout, state, "HEAD", "HEAD", "HEAD")
    with pytest.raises(InvalidParams):
        run(layout, state, "HEAD", "HEAD", staged=True)
    with pytest.raises(UnknownRevision):
        run(layout, state, "nope")


def test_three_dots_need_both_histories_known(ws: tuple[Layout, State]) -> None:
    # a commit whose parent was never recorded: its fork with HEAD is unknown, not ROOT
    layout, state = ws
    first = first_commit(layout, state)
    with state.transaction():
        state.add_commit(CommitRecord("e" * 32, "d" * 32, "orphan", "", "x", 1, None, "e" * 32))
    with pytest.raises(InvalidParams, match="forked is not known here"):
        run(layout, state, f"{first}...{'e' * 32}")
    assert run(layout, state, f"{first}...{first}").empty


# commits not materialized -----------------------------------------------------------------
def test_fetched_commit_is_materialized_when_no_server_diff_is_possible(
        ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first = first_commit(layout, state)
    record = state.commit(first)
    assert record is not None and record.state is not None
    with state.transaction():
        state.add_commit(CommitRecord("f" * 32, first, "fetched", "", "x", 1, None, "f" * 32))
    with pytest.raises(NotMaterialized):
        run(layout, state, first, "f" * 32)
    materialized: list[str] = []

    def materialize(commit: CommitRecord) -> str:
        materialized.append(commit.id)
        with state.transaction():
            state.set_commit_state(commit.id, str(record.state))
        return str(record.state)

    request = DiffRequest((first, "f" * 32))
    assert diffing.diff(layout, state, request, None, materialize).empty
    assert materialized == ["f" * 32]
    shown = show(state, "f" * 32, DiffRequest())
    assert shown.commit.title == "fetched" and shown.diff.empty


def test_show_first_commit_against_root(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first = first_commit(layout, state)
    shown = show(state, None, DiffRequest())
    assert shown.commit.id == first and shown.decorations == ["HEAD -> main"]
    assert (shown.diff.old, shown.diff.new) == (ROOT_COMMIT, first)
    assert codes(shown.diff) == {"train/": "A", "train/a.jpg": "A", "train/b.jpg": "A",
                                 "train/c.jpg": "A", "catalog.json": "A"}


# cost -------------------------------------------------------------------------------------
def test_two_big_versions_diff_in_changed_leaves(ws: tuple[Layout, State],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    items = [(f"img/{i:06d}.jpg", [f"{i:040x}", 10, None, None]) for i in range(20_000)]
    changes = [(items[5000][0], [f"{1:040x}", 11, None, None]), (items[15000][0], None)]
    with state.transaction():
        old_tree = tree.build(items, state.put_object)
        new_tree = tree.apply(old_tree, changes, state.get_object, state.put_object)
        ids = []
        for name, ref in (("old", old_tree), ("new", new_tree)):
            root = state.put_object({"catalog": None, "notes": {}, "segments": {
                "train": {"manifest": ref.manifest, "count": ref.count}}})
            ids.append(name * 8)
            state.add_commit(CommitRecord(name * 8, ROOT_COMMIT, name, "", "x", 1, root, None))
    reads: list[str] = []
    real = State.get_object
    monkeypatch.setattr(State, "get_object", lambda self, d: reads.append(d) or real(self, d))
    result = run(layout, state, *ids, details=False)
    assert codes(result) == {f"train/{items[5000][0]}": "M", f"train/{items[15000][0]}": "D"}
    leaves = len(state.get_object(str(old_tree.manifest)))
    assert leaves > 40 and len(reads) <= 2 + 2 + 2 * 2 + 2  # states, manifests, leaves


# the command ------------------------------------------------------------------------------
def gas(root: Path, *args: str, code: int = 0) -> str:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, list(args), env={"GAS_AUTHOR": "t"})
    finally:
        os.chdir(cwd)
    assert result.exit_code == code, result.output
    return result.output


def test_paths_after_dashes_and_relative_to_cwd(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    change_worktree(layout)
    assert gas(layout.root, "diff", "--name-status", "--", "train/b.jpg") == "M\ttrain/b.jpg\n"
    assert gas(layout.root / "train", "diff", "--name-status", "--", "c.jpg") == (
        "D\ttrain/c.jpg\n")
    assert gas(layout.root, "diff", "HEAD", "--name-status", "--", "train/a.jpg") == (
        "L\ttrain/a.jpg\n")
    assert "unknown revision 'train/a.jpg'" in gas(layout.root, "diff", "train/a.jpg", code=1)


def test_json_output_and_empty_diff(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    assert gas(layout.root, "diff") == ""
    body = json.loads(gas(layout.root, "diff", "--json"))
    assert body["items"] == [] and body["old"] == "index" and body["source"] == "local"
    change_worktree(layout)
    body = json.loads(gas(layout.root, "show", "--json"))
    assert body["commit"]["title"] == "first"
    assert [i["status"] for i in body["diff"]["items"]] == ["A", "A", "A"]
