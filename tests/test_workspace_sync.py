"""`gas clone | push | fetch | pull`, run for real against a plain-HTTP server process."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from httpuser import user_fixtures
from rawapi import RawApi

#: The stories run against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("http_server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=40)]


key, gas, api = user_fixtures("alice")


def snapshot(root: Path) -> dict[str, str]:
    """Every file of a working tree (`.gas` aside) by path: its SHA-1."""
    return {path.relative_to(root).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*"))
            if path.is_file() and ".gas" not in path.relative_to(root).parts}


def label(path: str, category: str) -> str:
    """A `metadata.jsonl` line, written canonically (as gas writes it)."""
    line = {"file_name": path, "label": {"CLASSIFICATION": {"category": category}}}
    return json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n"


def seeded(gas: Gas, root: Path, name: str, files: int = 3) -> Path:
    """A workspace of new dataset `name` whose first commit is pushed: train/ with labels."""
    gas(root, "init", name)
    write(root, {f"train/img/{i}.jpg": f"image {i}" for i in range(files)})
    write(root, {"train/metadata.jsonl": label("img/0.jpg", "cat")})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")
    return root


def commit_all(gas: Gas, root: Path, message: str) -> None:
    gas(root, "add", "-A")
    gas(root, "commit", "-m", message)


def titles(gas: Gas, root: Path) -> list[str]:
    lines = gas(root, "log", "--oneline").stdout.splitlines()
    return [line.split(" ", 1)[1].split(") ", 1)[-1] for line in lines]


def history(gas: Gas, root: Path) -> list[tuple[str, str]]:
    """(id, title) of each commit from HEAD (the log without its ref decorations)."""
    lines = gas(root, "log", "--oneline").stdout.splitlines()
    return list(zip([line.split(" ", 1)[0] for line in lines], titles(gas, root), strict=True))


def test_clone_edit_push_and_clone_again(gas: Gas, tmp_path: Path) -> None:
    origin = seeded(gas, tmp_path / "origin", "sync1")
    gas(tmp_path, "clone", "sync1", "one")
    one = tmp_path / "one"
    assert snapshot(one) == snapshot(origin)
    assert "nothing to commit" in gas(one, "status").stdout
    write(one, {"train/img/1.jpg": "image 1, retouched", "train/img/new.jpg": "new",
                "train/metadata.jsonl": label("img/0.jpg", "dog") + label("img/new.jpg", "cat")})
    (one / "train/img/2.jpg").unlink()
    commit_all(gas, one, "edit")
    assert "(4 changes, 2 files uploaded)" in gas(one, "push").stdout
    gas(tmp_path, "clone", "tb:sync1", "two")
    two = tmp_path / "two"
    assert snapshot(two) == snapshot(one)
    assert "img/2.jpg" not in "".join(snapshot(two))
    assert titles(gas, two) == ["edit", "first"]
    assert "up to date" in gas(two, "status").stdout


def test_clone_of_a_tag_or_commit_is_detached(gas: Gas, tmp_path: Path, api: RawApi) -> None:
    origin = seeded(gas, tmp_path / "origin", "sync2")
    dataset_id = api.list_datasets("sync2")["datasets"][0]["id"]
    head = api.call("GET", f"datasets/{dataset_id}/branches",
                    params={"name": "main"})["branches"][0]["commitId"]
    api.call("POST", f"datasets/{dataset_id}/tags", json={"name": "v1", "commit": head})
    write(origin, {"train/img/0.jpg": "changed later"})
    commit_all(gas, origin, "later")
    gas(origin, "push")
    gas(tmp_path, "clone", "tb:sync2@v1", "at-tag")
    assert (tmp_path / "at-tag/train/img/0.jpg").read_text() == "image 0"
    assert "HEAD detached" in gas(tmp_path / "at-tag", "status").stdout
    gas(tmp_path, "clone", "sync2", "at-commit", "--branch", head[:10])
    assert (tmp_path / "at-commit/train/img/0.jpg").read_text() == "image 0"


def test_push_creates_a_branch_the_server_lacks(gas: Gas, tmp_path: Path, api: RawApi) -> None:
    work = seeded(gas, tmp_path / "work", "sync3")
    gas(work, "switch", "-c", "feature")
    write(work, {"train/img/feature.jpg": "only on feature"})
    commit_all(gas, work, "feature work")
    out = gas(work, "push").stdout
    assert "created branch feature" in out
    dataset_id = api.list_datasets("sync3")["datasets"][0]["id"]
    branches = api.call("GET", f"datasets/{dataset_id}/branches")["branches"]
    assert sorted(b["name"] for b in branches) == ["feature", "main"]
    gas(tmp_path, "clone", "sync3", "main-clone")
    assert not (tmp_path / "main-clone/train/img/feature.jpg").exists()
    gas(tmp_path, "clone", "tb:sync3@feature", "feature-clone")
    assert snapshot(tmp_path / "feature-clone") == snapshot(work)
    assert "On branch feature" in gas(tmp_path / "feature-clone", "status").stdout


def test_concurrent_pushes_one_wins_the_other_pulls(gas: Gas, tmp_path: Path) -> None:
    seeded(gas, tmp_path / "origin", "sync4")
    gas(tmp_path, "clone", "sync4", "a")
    gas(tmp_path, "clone", "sync4", "b")
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, {"train/img/a.jpg": "from a"})
    write(b, {"train/img/b.jpg": "from b"})
    commit_all(gas, a, "a's work")
    commit_all(gas, b, "b's work")
    runs = [subprocess.Popen([sys.executable, "-m", "gasvc", "push"], cwd=root, env=gas.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for root in (a, b)]
    results = [(run.wait(60), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = a if results[0][0] else b
    assert "gas pull" in next(err for code, _, err in results if code)
    assert "Replayed 1 local commit" in gas(loser, "pull").stdout
    gas(loser, "push")
    gas(tmp_path, "clone", "sync4", "final")
    final = tmp_path / "final"
    assert (final / "train/img/a.jpg").read_text() == "from a"
    assert (final / "train/img/b.jpg").read_text() == "from b"
    assert sorted(titles(gas, final)[:2]) == ["a's work", "b's work"]


def test_pull_fast_forward(gas: Gas, tmp_path: Path) -> None:
    origin = seeded(gas, tmp_path / "origin", "sync5")
    gas(tmp_path, "clone", "sync5", "other")
    other = tmp_path / "other"
    write(origin, {"train/img/1.jpg": "v2", "train/metadata.jsonl": label("img/1.jpg", "owl")})
    (origin / "train/img/2.jpg").unlink()
    commit_all(gas, origin, "second")
    gas(origin, "push")
    out = gas(other, "pull").stdout
    assert "Fast-forward main" in out
    assert snapshot(other) == snapshot(origin)
    assert "nothing to commit" in gas(other, "status").stdout
    assert titles(gas, other) == ["second", "first"]
    assert "Already up to date" in gas(other, "pull").stdout


def test_fetch_then_checkout_a_server_branch(gas: Gas, tmp_path: Path) -> None:
    origin = seeded(gas, tmp_path / "origin", "sync6")
    gas(tmp_path, "clone", "sync6", "other")
    gas(origin, "switch", "-c", "exp")
    write(origin, {"train/img/exp.jpg": "experiment"})
    commit_all(gas, origin, "experiment")
    gas(origin, "push")
    out = gas(tmp_path / "other", "fetch").stdout
    assert "origin/exp" in out
    gas(tmp_path / "other", "checkout", "exp")
    assert (tmp_path / "other/train/img/exp.jpg").read_text() == "experiment"
    assert snapshot(tmp_path / "other") == snapshot(origin)


@pytest.fixture
def diverged(gas: Gas, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two clones of a fresh dataset, each with one unpushed commit; `theirs` pushes its own."""
    name = f"sync-{tmp_path.name[-20:].replace('_', '-')}"
    seeded(gas, tmp_path / "origin", name)
    gas(tmp_path, "clone", name, "ours")
    gas(tmp_path, "clone", name, "theirs")
    yield tmp_path / "ours", tmp_path / "theirs"


def test_pull_replays_local_commits(gas: Gas, diverged: tuple[Path, Path]) -> None:
    ours, theirs = diverged
    write(theirs, {"train/img/1.jpg": "their file", "train/metadata.jsonl": label("img/0.jpg",
                                                                                  "lion")})
    commit_all(gas, theirs, "theirs")
    gas(theirs, "push")
    write(ours, {"train/img/2.jpg": "our file", "train/img/0.jpg": "our new bytes of 0"})
    commit_all(gas, ours, "ours")
    assert "Replayed 1 local commit" in gas(ours, "pull").stdout
    assert (ours / "train/img/1.jpg").read_text() == "their file"
    assert (ours / "train/img/2.jpg").read_text() == "our file"
    assert (ours / "train/img/0.jpg").read_text() == "our new bytes of 0"  # our file, their label
    assert '"lion"' in (ours / "train/metadata.jsonl").read_text()
    assert titles(gas, ours) == ["ours", "theirs", "first"]
    assert "nothing to commit" in gas(ours, "status").stdout
    gas(ours, "push")
    gas(theirs, "pull")
    assert snapshot(theirs) == snapshot(ours)


def test_pull_conflict_leaves_the_workspace_as_it_was(gas: Gas,
                                                      diverged: tuple[Path, Path]) -> None:
    ours, theirs = diverged
    write(theirs, {"train/img/1.jpg": "theirs"})
    commit_all(gas, theirs, "theirs")
    gas(theirs, "push")
    write(ours, {"train/img/1.jpg": "ours", "train/img/untracked.jpg": "not added"})
    gas(ours, "add", "train/img/1.jpg")
    gas(ours, "commit", "-m", "ours")
    write(ours, {"train/img/0.jpg": "uncommitted edit"})
    before = (snapshot(ours), gas(ours, "status", "--porcelain").stdout, history(gas, ours))
    result = gas(ours, "pull", check=False)
    failed(result, "conflicts with the server's changes")
    assert "train/img/1.jpg" in result.stderr
    ours_sum, theirs_sum = (hashlib.sha1(t).hexdigest() for t in (b"ours", b"theirs"))
    assert ours_sum in result.stderr and theirs_sum in result.stderr
    after = (snapshot(ours), gas(ours, "status", "--porcelain").stdout, history(gas, ours))
    assert after == before
    gas(ours, "restore", "train/img/0.jpg")
    gas(ours, "pull", "--theirs")
    assert (ours / "train/img/1.jpg").read_text() == "theirs"


def test_push_with_draft_then_push_again(gas: Gas, tmp_path: Path, api: RawApi) -> None:
    work = seeded(gas, tmp_path / "work", "sync7")
    write(work, {"train/img/review.jpg": "to review"})
    commit_all(gas, work, "review me")
    out = gas(work, "push", "--draft").stdout
    assert "draft #" in out
    dataset_id = api.list_datasets("sync7")["datasets"][0]["id"]
    drafts = api.call("GET", f"datasets/{dataset_id}/drafts")["drafts"]
    assert [d["title"] for d in drafts] == ["review me"]
    gas(work, "push")
    assert api.call("GET", f"datasets/{dataset_id}/drafts")["drafts"] == []
    assert titles(gas, work)[0] == "review me"
    assert "up to date" in gas(work, "status").stdout


def test_errors_are_clean(gas: Gas, tmp_path: Path) -> None:
    failed(gas(tmp_path, "clone", "no-such-dataset", check=False), "does not exist")
    seeded(gas, tmp_path / "origin", "sync8")
    gas(tmp_path, "clone", "sync8", "twice")
    failed(gas(tmp_path, "clone", "sync8", "twice", check=False), "already a gas workspace")
    failed(gas(tmp_path, "clone", "tb:sync8@nope", "x", check=False), "does not exist")
