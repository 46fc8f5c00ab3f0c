"""Text JSON can carry but lines or UTF-8 cannot: labels and file names holding U+0085, U+2028 or
U+2029 (`str.splitlines` breaks lines at them), and lone surrogates (JSON's \\ud800). gas escapes
them in the files it writes (the line breaks in `metadata.jsonl` only: their labels' ids stay
what they were), splits `metadata.jsonl` only at "\\n", and refuses lone surrogates in names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from serverproc import ServerProcess

from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.metadata import parse, render
from gasvc.workspace.worktree.metafile import label_refs

BREAKS = ("\x85", "\u2028", "\u2029")


def test_metadata_lines_escape_them_and_label_ids_do_not_change() -> None:
    label = {"k\u2028": "a\x85b\u2029c", "other": "é\u00a0😀\u2027"}
    # canonical JSON, hence every id, is as it always was
    assert canonical_json(label) == '{"k\u2028":"a\x85b\u2029c","other":"é\u00a0😀\u2027"}'.encode()
    text = render([("a.jpg", label)])
    assert text == ('{"file_name":"a.jpg","label":{"k\\u2028":"a\\u0085b\\u2029c",'
                    '"other":"é\u00a0😀\u2027"}}\n')
    assert len(text.splitlines()) == 1 and parse(text)["a.jpg"].label == label
    [ref] = label_refs(text, "metadata.jsonl", {"a.jpg": sha1_hex(canonical_json(label))}).values()
    assert ref.label == sha1_hex(canonical_json(label))


@pytest.mark.parametrize("char", BREAKS)
def test_metadata_lines_round_trip(char: str) -> None:
    labels = {f"a{char}.jpg": {"CLASSIFICATION": {"category": f"x{char}y"}}}
    text = render(labels.items())
    assert {p: line.label for p, line in parse(text).items()} == labels
    # hand-written files may hold the character raw (valid JSON): still one line per label
    raw = json.dumps({"file_name": f"a{char}.jpg", "label": labels[f"a{char}.jpg"]},
                     ensure_ascii=False) + "\n"
    assert {p: line.label for p, line in parse(raw).items()} == labels
    refs = label_refs(raw, "metadata.jsonl", {})
    assert [(p, ref.line, ref.data) for p, ref in refs.items()] == [
        (f"a{char}.jpg", 1, canonical_json(labels[f"a{char}.jpg"]))]


@pytest.fixture(scope="module")
def gas(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(http_server, http_server.add_user("alice"))
    return runner


def metadata(labels: dict[str, str]) -> str:
    """`metadata.jsonl` as a user writes it (json.dumps escapes the characters as \\uXXXX)."""
    return "".join(json.dumps({"file_name": path, "label": {"CLASSIFICATION": {
        "category": category}}}) + "\n" for path, category in labels.items())


def clean(gas: Gas, root: Path) -> None:
    assert "nothing to commit" in gas(root, "status").stdout
    assert gas(root, "diff").stdout == ""
    gas(root, "add", "-A")
    assert "nothing to commit" in gas(root, "status").stdout


def test_clone_and_checkout_of_such_labels_leave_a_working_workspace(gas: Gas, tmp_path: Path
                                                                    ) -> None:
    origin = tmp_path / "origin"
    gas(origin, "init", "breaks")
    names = {f"train/{i}{char}.jpg": f"image {i}" for i, char in enumerate(BREAKS)}
    write(origin, {**names, "train/metadata.jsonl": metadata(
        {name.split("/")[1]: f"x{char}y" for name, char in zip(names, BREAKS, strict=True)})})
    gas(origin, "add", "-A")
    gas(origin, "commit", "-m", "first")
    gas(origin, "push")

    gas(tmp_path, "clone", "breaks", "copy")
    copy = tmp_path / "copy"
    written = (copy / "train/metadata.jsonl").read_text(encoding="utf-8")
    assert len(written.splitlines()) == len(BREAKS)
    clean(gas, copy)

    gas(copy, "branch", "before")
    write(copy, {"train/metadata.jsonl": metadata({"0\x85.jpg": "changed\u2028"})})
    assert "changed\u2028" in gas(copy, "diff").stdout
    gas(copy, "add", "-A")
    assert " L " not in gas(copy, "status", "--porcelain").stdout
    gas(copy, "commit", "-m", "relabel")
    gas(copy, "checkout", "before")
    assert (copy / "train/metadata.jsonl").read_text(encoding="utf-8") == written
    clean(gas, copy)
    gas(copy, "checkout", "main")
    labels = parse((copy / "train/metadata.jsonl").read_text(encoding="utf-8"))
    assert {p: line.label for p, line in labels.items()} == {
        "0\x85.jpg": {"CLASSIFICATION": {"category": "changed\u2028"}}}
    clean(gas, copy)


CATALOG = '{"CLASSIFICATION": {"description": "\\udc00"}}\n'


def test_lone_surrogates_in_labels_and_catalogs_work_and_in_names_are_refused(
        gas: Gas, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, {"train/a.jpg": "A", "catalog.json": CATALOG,
                 "train/metadata.jsonl": metadata({"a.jpg": "x\ud800"})})
    gas(root, "init", "--no-remote")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "branch", "first")
    write(root, {"train/metadata.jsonl": metadata({"a.jpg": "y\ud800"}),
                 "catalog.json": '{"CLASSIFICATION": {}}'})
    assert "x\\ud800" in gas(root, "diff").stdout  # shown escaped: UTF-8 cannot hold it
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "second")
    assert "y\\ud800" in gas(root, "show").stdout
    gas(root, "checkout", "first")
    assert (json.loads((root / "catalog.json").read_text(encoding="utf-8"))
            == json.loads(CATALOG))
    labels = parse((root / "train/metadata.jsonl").read_text(encoding="utf-8"))
    assert labels["a.jpg"].label == {"CLASSIFICATION": {"category": "x\ud800"}}
    clean(gas, root)
    write(root, {"train/metadata.jsonl": metadata({"a\udc00.jpg": "cat"})})
    failed(gas(root, "add", "-A", check=False), "contains a lone surrogate")


def test_lone_surrogates_in_labels_and_catalogs_survive_push_and_clone(gas: Gas, tmp_path: Path
                                                                       ) -> None:
    origin = tmp_path / "origin"
    write(origin, {"train/a.jpg": "A", "catalog.json": CATALOG,
                   "train/metadata.jsonl": metadata({"a.jpg": "x\ud800"})})
    gas(origin, "init", "surrogates")
    gas(origin, "add", "-A")
    gas(origin, "commit", "-m", "first")
    gas(origin, "push")
    gas(tmp_path, "clone", "surrogates", "copy")
    copy = tmp_path / "copy"
    labels = parse((copy / "train/metadata.jsonl").read_text(encoding="utf-8"))
    assert labels["a.jpg"].label == {"CLASSIFICATION": {"category": "x\ud800"}}
    assert (json.loads((copy / "catalog.json").read_text(encoding="utf-8"))
            == json.loads(CATALOG))
    clean(gas, copy)
