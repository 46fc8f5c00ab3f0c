"""The workspace's trust boundary, run for real: segment ↔ folder mapping (the default segment in
`default/`, never the root), `.gas` never data, symbolic links never read or written through.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from httpuser import user_fixtures
from rawapi import RawApi, sha1

key, gas, api = user_fixtures("trust")


def head(api: RawApi, dataset_id: str) -> str:
    branches = api.call("GET", f"datasets/{dataset_id}/branches", params={"name": "main"})
    return str(branches["branches"][0]["commitId"])


def server_files(api: RawApi, dataset_id: str, segment: str) -> dict[str, str]:
    """remotePath → checksum of a segment at the head of main, as the server lists it."""
    items = api.data_details(dataset_id, segment, commit=head(api, dataset_id))
    return {item["remotePath"]: item["checksum"] for item in items}


def seed(api: RawApi, name: str, segments: dict[str, dict[str, bytes]]) -> str:
    """A dataset committed on the server with these segments ("" is the default one)."""
    dataset_id = api.create_dataset(name)
    draft = api.create_draft(dataset_id)
    for segment, files in segments.items():
        api.create_segment(dataset_id, draft, segment)
        for path, content in files.items():
            api.upload_file(dataset_id, draft, segment, path, content)
    api.commit(dataset_id, draft)
    return dataset_id


def tree(root: Path) -> dict[str, str]:
    """Every file under `root`, `.gas` aside: path → SHA-1."""
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".gas" not in p.relative_to(root).parts}


def porcelain(gas: Gas, root: Path) -> list[str]:
    return [line for line in gas(root, "status", "--porcelain").stdout.splitlines() if line]


# segment ↔ folder ---------------------------------------------------------------------------
def test_default_segment_lives_in_default_and_round_trips(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    dataset_id = seed(api, "trust-default", {"": {"img0.jpg": b"zero", "sub/img1.jpg": b"one"}})
    gas(tmp_path, "clone", "trust-default", "ws")
    ws = tmp_path / "ws"
    assert sorted(p.name for p in ws.iterdir()) == [".gas", "default"]
    assert (ws / "default/img0.jpg").read_bytes() == b"zero"
    assert (ws / "default/sub/img1.jpg").read_bytes() == b"one"
    assert porcelain(gas, ws) == []
    assert "nothing to commit, working tree clean" in gas(ws, "status").stdout

    write(ws, {"default/img0.jpg": "zero, edited", "default/new.jpg": "new"})
    assert porcelain(gas, ws) == [" M default/img0.jpg", "?? default/new.jpg"]
    gas(ws, "add", "default/new.jpg")
    gas(ws, "add", "-A")
    assert porcelain(gas, ws) == ["M  default/img0.jpg", "A  default/new.jpg"]
    gas(ws, "commit", "-m", "edit the default segment")
    gas(ws, "push")
    assert server_files(api, dataset_id, "") == {
        "img0.jpg": sha1(b"zero, edited"), "new.jpg": sha1(b"new"),
        "sub/img1.jpg": sha1(b"one")}
    assert sorted(p.name for p in ws.iterdir()) == [".gas", "default"]

    gas(tmp_path, "clone", "trust-default", "again")
    assert tree(tmp_path / "again") == tree(ws)


def test_segment_named_default_lives_beside_the_default_segment(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    dataset_id = seed(api, "trust-both", {"": {"a.jpg": b"default a"},
                                          "default": {"a.jpg": b"named a"},
                                          "@odd": {"b.jpg": b"odd b"}})
    gas(tmp_path, "clone", "trust-both", "ws")
    ws = tmp_path / "ws"
    assert tree(ws) == {"default/a.jpg": sha1(b"default a"), "@default/a.jpg": sha1(b"named a"),
                        "@@odd/b.jpg": sha1(b"odd b")}
    assert porcelain(gas, ws) == []
    write(ws, {"@default/a.jpg": "named a, edited", "default/c.jpg": "default c"})
    gas(ws, "add", "-A")
    assert porcelain(gas, ws) == ["M  @default/a.jpg", "A  default/c.jpg"]
    gas(ws, "commit", "-m", "both")
    gas(ws, "push")
    assert server_files(api, dataset_id, "") == {"a.jpg": sha1(b"default a"),
                                                 "c.jpg": sha1(b"default c")}
    assert server_files(api, dataset_id, "default") == {"a.jpg": sha1(b"named a, edited")}
    assert server_files(api, dataset_id, "@odd") == {"b.jpg": sha1(b"odd b")}


def test_a_new_default_segment_is_made_from_the_default_folder(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    gas(ws, "init", "trust-new-default")
    write(ws, {"default/x.jpg": "x", "@default/y.jpg": "y"})
    gas(ws, "add", "-A")
    gas(ws, "commit", "-m", "two segments")
    gas(ws, "push")
    dataset_id = api.list_datasets("trust-new-default")["datasets"][0]["id"]
    assert server_files(api, dataset_id, "") == {"x.jpg": sha1(b"x")}
    assert server_files(api, dataset_id, "default") == {"y.jpg": sha1(b"y")}


def test_files_outside_every_segment_folder_are_shown_and_refused(
        gas: Gas, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    gas(ws, "init", "--no-remote", "strays")
    write(ws, {"README.md": "notes", "@x/a.jpg": "a", "train/a.jpg": "a"})
    assert porcelain(gas, ws) == ["?? @x/", "?? README.md", "?? train/"]  # a folder: one line
    long = gas(ws, "status").stdout
    assert "outside every segment folder" in long and "\tREADME.md" in long
    result = gas(ws, "add", "README.md", check=False)
    failed(result, "'README.md' is not inside a segment folder")
    assert "default/" in result.stderr
    failed(gas(ws, "add", "@x/a.jpg", check=False), "'@x/a.jpg' is not inside a segment folder")
    gas(ws, "add", "-A")
    assert porcelain(gas, ws) == ["A  train/", "A  train/a.jpg", "?? @x/", "?? README.md"]


def test_a_workspace_made_with_the_default_segment_in_the_root_is_moved_once(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    seed(api, "trust-old", {"": {"a.jpg": b"a", "d/b.jpg": b"b"}, "default": {"c.jpg": b"c"}})
    gas(tmp_path, "clone", "trust-old", "ws")
    ws = tmp_path / "ws"
    expected = tree(ws)
    # how the previous version laid it out: "" in the root, "default" in default/
    (ws / "default").rename(ws / "old-default")
    for path in (ws / "old-default").iterdir():
        path.rename(ws / path.name)
    (ws / "old-default").rmdir()
    (ws / "@default").rename(ws / "default")
    write(ws, {"untracked.txt": "mine"})
    with sqlite3.connect(ws / ".gas/state.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'layout.version'")
    db.close()

    done = gas(ws, "status", "--porcelain")
    assert "moved the default segment's 2 files from the workspace root into default/" \
        in done.stderr
    assert "moved segment folder default/ to @default/" in done.stderr
    assert done.stdout.splitlines() == ["?? untracked.txt"]
    assert tree(ws) == {**expected, "untracked.txt": sha1(b"mine")}
    again = gas(ws, "status", "--porcelain")
    assert again.stderr == "" and again.stdout.splitlines() == ["?? untracked.txt"]


def test_an_old_workspace_whose_new_folders_are_taken_is_refused_untouched(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    seed(api, "trust-old2", {"": {"a.jpg": b"a"}})
    gas(tmp_path, "clone", "trust-old2", "ws")
    ws = tmp_path / "ws"
    (ws / "default/a.jpg").rename(ws / "a.jpg")
    write(ws, {"default/a.jpg": "someone else's"})
    with sqlite3.connect(ws / ".gas/state.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'layout.version'")
    db.close()
    before = tree(ws)
    failed(gas(ws, "status", check=False), "blocked by: default/a.jpg")
    assert tree(ws) == before


# .gas ---------------------------------------------------------------------------------------
def test_gas_folders_at_any_depth_are_never_data(gas: Gas, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    gas(ws, "init", "--no-remote", "dotgas")
    write(ws, {"train/a.jpg": "a", "train/sub/.gas/state.sqlite": "nested",
               "train/.GAS/x": "upper", "train/deep/.Gas": "a file named .Gas",
               ".GAS/y": "root, other case"})
    assert porcelain(gas, ws) == ["?? train/"]
    gas(ws, "add", "-A")
    assert porcelain(gas, ws) == ["A  train/", "A  train/a.jpg"]
    for path in ("train/sub/.gas/state.sqlite", "train/.GAS/x", ".gas/state.sqlite",
                 "train/deep/.Gas"):
        failed(gas(ws, "add", path, check=False), "a '.gas' folder holds a workspace's state")
    gas(ws, "commit", "-m", "only a")
    assert "train/a.jpg" in gas(ws, "show", "--name-status").stdout
    assert ".gas" not in gas(ws, "show", "--name-status").stdout.lower()


# symbolic links -----------------------------------------------------------------------------
def test_a_link_leading_out_is_shown_and_never_added(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the workspace")
    ws = tmp_path / "ws"
    gas(ws, "init", "trust-links")
    write(ws, {"train/a.jpg": "a"})
    os.symlink(secret, ws / "train/leak.jpg")
    os.symlink("../.gas/state.sqlite", ws / "train/state.jpg")
    os.symlink("a.jpg", ws / "train/inside.jpg")  # inside the workspace: a file like others
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"file_name": "a.jpg", "label": {"CLASSIFICATION": {"category": "x"}}}\n')
    os.symlink(labels, ws / "train/metadata.jsonl")
    assert porcelain(gas, ws) == ["?? train/", "!> train/leak.jpg", "!> train/metadata.jsonl",
                                  "!> train/state.jpg"]
    assert "Symbolic links not followed" in gas(ws, "status").stdout
    failed(gas(ws, "add", "-A", check=False),
           "train/leak.jpg is a symbolic link leading out of the workspace")
    failed(gas(ws, "add", "train/state.jpg", check=False),
           "train/state.jpg is a symbolic link leading out of the workspace")
    assert "A  train/a.jpg" not in porcelain(gas, ws)
    (ws / "train/leak.jpg").unlink()
    (ws / "train/state.jpg").unlink()
    gas(ws, "add", "-A")
    gas(ws, "commit", "-m", "no links")
    gas(ws, "push")
    dataset_id = api.list_datasets("trust-links")["datasets"][0]["id"]
    assert server_files(api, dataset_id, "train") == {"a.jpg": sha1(b"a"),
                                                      "inside.jpg": sha1(b"a")}
    items = api.data_details(dataset_id, "train", commit=head(api, dataset_id))
    assert not any(item.get("label") for item in items), items  # the linked labels unread
    # a tracked file replaced by a link leading out: deleted here, never read
    (ws / "train/a.jpg").unlink()
    os.symlink(secret, ws / "train/a.jpg")
    lines = porcelain(gas, ws)
    assert " D train/a.jpg" in lines and "!> train/a.jpg" in lines
    failed(gas(ws, "commit", "-a", "-m", "x", check=False), "train/a.jpg is a symbolic link")
    assert secret.read_text() == "outside the workspace"


def cloned_pair(gas: Gas, api: RawApi, tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Two clones of a new dataset (train/img/0.jpg, 1.jpg); the second has pushed an edit of
    0.jpg and a new 2.jpg that the first has not pulled."""
    seed(api, name, {"train": {"img/0.jpg": b"zero", "img/1.jpg": b"one"}})
    gas(tmp_path, "clone", name, "mine")
    gas(tmp_path, "clone", name, "theirs")
    theirs = tmp_path / "theirs"
    write(theirs, {"train/img/0.jpg": "zero, theirs", "train/img/2.jpg": "two"})
    gas(theirs, "add", "-A")
    gas(theirs, "commit", "-m", "theirs")
    gas(theirs, "push")
    return tmp_path / "mine", theirs


def outside_copy(source: Path, target: Path) -> dict[str, str]:
    """Move `source` (a folder) to `target`, outside the workspace; return its snapshot."""
    source.rename(target)
    return tree(target)


@pytest.mark.parametrize("linked", ["train", "train/img"])
def test_pull_refuses_to_write_through_a_folder_link(
        gas: Gas, api: RawApi, tmp_path: Path, linked: str) -> None:
    mine, _ = cloned_pair(gas, api, tmp_path, f"trust-pull-{linked.replace('/', '-')}")
    elsewhere = tmp_path / "elsewhere"
    before = outside_copy(mine / linked, elsewhere)
    os.symlink(elsewhere, mine / linked)
    status = gas(mine, "status", "--porcelain").stdout.splitlines()
    assert f"!> {linked}" in status and " D train/img/0.jpg" in status
    for args in (("pull",), ("pull", "--force"), ("checkout", "--force", "origin/main")):
        result = gas(mine, *args, check=False)
        failed(result, f"{linked} is a symbolic link; gas does not write through links")
        assert tree(elsewhere) == before
    failed(gas(mine, "restore", "train/img/0.jpg", check=False), f"{linked} is a symbolic link")
    failed(gas(mine, "rm", "train/img/1.jpg", check=False), f"{linked} is a symbolic link")
    assert tree(elsewhere) == before
    # with the real folder back, the same pull works
    (mine / linked).unlink()
    (elsewhere).rename(mine / linked)
    gas(mine, "pull")
    assert (mine / "train/img/0.jpg").read_text() == "zero, theirs"
    assert (mine / "train/img/2.jpg").read_text() == "two"


def test_a_segment_folder_replaced_by_a_link_is_not_uploaded(
        gas: Gas, api: RawApi, tmp_path: Path) -> None:
    seed(api, "trust-seglink", {"train": {"a.jpg": b"a"}, "val": {"b.jpg": b"b"}})
    gas(tmp_path, "clone", "trust-seglink", "ws")
    ws = tmp_path / "ws"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.jpg").write_text("a")
    (elsewhere / "private.jpg").write_text("not for the server")
    (ws / "train/a.jpg").unlink()
    (ws / "train").rmdir()
    os.symlink(elsewhere, ws / "train")
    lines = porcelain(gas, ws)
    assert " D train/" in lines and "!> train" in lines and "?? train" not in lines
    assert not any("private" in line for line in lines)
    shown = json.loads(gas(ws, "status", "--json").stdout)
    assert shown["links"] == ["train"] and shown["outside"] == []
    failed(gas(ws, "add", "train/private.jpg", check=False), "train is a symbolic link")
    gas(ws, "add", "-A")
    gas(ws, "commit", "-m", "train went away")
    gas(ws, "push")
    dataset_id = api.list_datasets("trust-seglink")["datasets"][0]["id"]
    segments = api.call("GET", f"datasets/{dataset_id}/segments",
                        params={"commit": head(api, dataset_id)})["segments"]
    assert [s["name"] for s in segments] == ["val"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["a.jpg", "private.jpg"]
