"""Fault injection: every command that changes a workspace, killed after each of its durable
steps in turn (tests/faultwrap.py: file renames, state commits, HTTP responses), never leaves a
workspace that lies.

For every N until the command finishes before its N-th step, on a fresh copy of the scenario:
- `gas status` clean ⇒ the working tree equals HEAD's commit (file bytes, labels, catalog);
- no temporary file is left in the working tree;
- re-running the command ends exactly where an uninterrupted run ends;
- checkout: switching back finishes exactly or refuses and changes nothing, and a forced switch
  back ends exactly at its target;
- pull: a commit on the half-moved tree is refused; the way back offered ends where it started;
- push: no OPEN draft is left on the server after the re-run.
The points tried and held are printed (run with -s to see them).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from faultcheck import (
    Harness,
    Tree,
    assert_clean,
    clean_error,
    copy_workspace,
    cpu_seconds,
    labels_file,
    no_stray_files,
    working_tree,
    write,
)
from faultwrap import preload
from gascli import Gas
from rawapi import RawApi
from serverproc import ServerProcess

# slow: in CI always; `-m "not slow"` leaves it out locally (docs/testing.md)
pytestmark = pytest.mark.slow(seconds=60)

CATALOG = {"CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}
BUDGET = 120.0  # CPU seconds (the test's and its commands') on the 2-core development machine


# the scenario -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    """A dataset of a few hundred labelled files on the server: main (M1, then M2), a branch
    exp, and a small second dataset; workspace w0 is a clone at M1 that has exp's content."""
    preload()
    key = http_server.add_user("faults")
    gas = Gas(tmp_path_factory.mktemp("home"))
    gas.login(http_server, key)
    base = tmp_path_factory.mktemp("faults")
    h = Harness(gas, base)
    src = base / "src"
    src.mkdir()
    h.ok(src, "init", "faults")
    files = {f"train/{d}/{i:03d}.bin": f"train {d} {i}" for d in "abc" for i in range(60)}
    files.update({f"val/{i:02d}.bin": f"val {i}" for i in range(20)})
    write(src, files)
    write(src, {"catalog.json": json.dumps(CATALOG),
                "train/metadata.jsonl": labels_file(
                    {f"a/{i:03d}.bin": "cat" if i % 2 else "dog" for i in range(60)}),
                "val/metadata.jsonl": labels_file({f"{i:02d}.bin": "cat" for i in range(5)})})
    for args in (("add", "-A"), ("commit", "-m", "M1"), ("push",), ("switch", "-c", "exp")):
        h.ok(src, *args)
    # exp: a few dozen items move: modified, deleted, added, relabelled, a new segment
    write(src, {f"train/b/{i:03d}.bin": f"exp {i}" for i in range(8)})
    write(src, {f"train/new/{i:02d}.bin": f"new {i}" for i in range(8)})
    write(src, {f"extra/{i}.bin": f"extra {i}" for i in range(4)})
    for i in range(4):
        (src / f"train/c/{i:03d}.bin").unlink()
    write(src, {"train/metadata.jsonl": labels_file(
        {f"a/{i:03d}.bin": "dog" if i < 6 else "cat" if i % 2 else "dog" for i in range(60)}),
        "extra/metadata.jsonl": labels_file({"0.bin": "cat"})})
    for args in (("add", "-A"), ("commit", "-m", "exp"), ("push",), ("switch", "main")):
        h.ok(src, *args)
    w0 = base / "w0"
    for args in (("clone", "faults", "w0"), ("checkout", "exp"), ("checkout", "main")):
        h.ok(w0 if args[0] == "checkout" else base, *args)  # exp's content is local now
    # main moves on after w0 was cloned: M2
    write(src, {f"train/a/{i:03d}.bin": f"m2 {i}" for i in range(6)})
    write(src, {f"train/m2/{i}.bin": f"m2 new {i}" for i in range(6)})
    for args in (("add", "-A"), ("commit", "-m", "M2"), ("push",)):
        h.ok(src, *args)
    small = base / "small-src"
    small.mkdir()
    h.ok(small, "init", "small")
    write(small, {f"s{s}/{i}.bin": f"small {s} {i}" for s in range(2) for i in range(6)})
    write(small, {"s1/same-as-s0-0.bin": "small 0 0"})  # one download, two files
    write(small, {"catalog.json": json.dumps(CATALOG),
                  "s0/metadata.jsonl": labels_file({"0.bin": "cat", "1.bin": "dog"})})
    for args in (("add", "-A"), ("commit", "-m", "small"), ("push",)):
        h.ok(small, *args)
    return {"h": h, "w0": base / "w0", "api": RawApi(http_server.api, key, True)}


def expected_after(h: Harness, name: str, *commands: tuple[str, ...]) -> tuple[Path, Tree]:
    """The workspace and tree an uninterrupted run of `commands` on a copy of w0 gives."""
    root = copy_workspace(h.base / "w0", h.base / f"expected-{name}")
    for args in commands:
        h.ok(root, *args)
    return root, working_tree(root)


# the tests ----------------------------------------------------------------------------------
def test_every_kill_point_holds(world: dict[str, Any]) -> None:
    h: Harness = world["h"]
    started, cpu = time.monotonic(), cpu_seconds()
    for name in os.environ.get("FAULTS_ONLY", "checkout pull clone add push").split():
        if name == "checkout":
            kill_checkout(h, world["w0"])
        if name == "pull":
            kill_pull(h, world["w0"])
        if name == "clone":
            kill_clone(h)
        if name == "add":
            kill_add_and_commit(h, world["w0"])
        if name == "push":
            kill_push(h, world["w0"], world["api"])
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu
    print(f"fault injection: {h.tried} kill points tried, {h.held} held "
          f"({', '.join(f'{k} {v}' for k, v in h.counts.items())}) in {elapsed:.1f} s "
          f"({cpu:.1f} s of CPU)")
    print("time in gas commands:", {k: round(v, 1) for k, v in sorted(h.timing.items())})
    assert h.held == h.tried
    assert cpu < BUDGET


def kill_checkout(h: Harness, w0: Path) -> None:
    main = working_tree(w0)
    _, exp = expected_after(h, "exp", ("checkout", "exp"))
    assert main != exp

    def attempt(n: int) -> bool:
        root = copy_workspace(w0, h.base / "checkout")
        if not h.gas(root, "checkout", "exp", kill_at=n).killed:
            assert working_tree(root) == exp
            return False
        status = h.status(root)
        no_stray_files(root, main, exp)
        if status is not None and status.get("interrupted") and not h.seen_refusal:
            h.seen_refusal = True  # once: status says so, and add refuses with the way out
            assert "gas checkout exp" in h.ok(root, "status").out
            refused = h.gas(root, "add", "-A")
            assert refused.code == 1, refused.err
            assert "gas checkout exp" in refused.err and "gas checkout -f main" in refused.err
        forced = copy_workspace(root, h.base / "checkout-forced")
        before = working_tree(root)
        back = h.gas(root, "checkout", "main")
        clean_error(back)
        if back.code == 0:
            assert working_tree(root) == main, "switching back did not end at main"
        else:
            assert working_tree(root) == before, "a refused switch back changed files"
            assert "gas checkout exp" in back.err, back.err
        h.ok(root, "checkout", "exp")
        assert working_tree(root) == exp, f"re-run after kill at step {n}: not exp's tree"
        assert_clean(h.status(root))
        h.ok(forced, "checkout", "-f", "main")
        assert working_tree(forced) == main, f"forced back after kill at step {n}: not main"
        assert_clean(h.status(forced), "main")
        h.held += 1
        return True

    h.each_kill_point("checkout", attempt)


def kill_pull(h: Harness, w0: Path) -> None:
    main = working_tree(w0)
    _, fast = expected_after(h, "pull", ("pull",))
    mine = copy_workspace(w0, h.base / "w0-local")
    write(mine, {f"val/{i:02d}.bin": f"local {i}" for i in range(3)})
    h.ok(mine, "commit", "-a", "-m", "local")
    replayed_root = copy_workspace(mine, h.base / "expected-replayed")
    h.ok(replayed_root, "pull")
    replayed = working_tree(replayed_root)
    assert replayed != fast

    for name, start, expected in (("pull", w0, fast), ("pull-replay", mine, replayed)):
        before_tree = working_tree(start)

        def attempt(n: int, start: Path = start, expected: Tree = expected,
                    before_tree: Tree = before_tree) -> bool:
            root = copy_workspace(start, h.base / "pull")
            if not h.gas(root, "pull", kill_at=n).killed:
                assert working_tree(root) == expected
                return False
            status = h.status(root)
            no_stray_files(root, main, before_tree, expected)
            if status is not None and status.get("interrupted") is not None:
                refused = h.gas(root, "commit", "-a", "-m", "on a half-moved tree")
                assert refused.code != 0 and "gas pull" in refused.err, refused.err
                back = copy_workspace(root, h.base / "pull-back")  # the way back it offers
                assert "gas checkout -f main" in refused.err
                h.ok(back, "checkout", "-f", "main")
                assert working_tree(back) == before_tree, f"{back}: not back where it was"
                assert_clean(h.status(back), "main")
            h.ok(root, "pull")
            assert working_tree(root) == expected, f"pull re-run after step {n}: wrong tree"
            assert_clean(h.status(root))
            h.held += 1
            return True

        h.each_kill_point(name, attempt)


def kill_clone(h: Harness) -> None:
    parent = h.base / "clones"
    parent.mkdir()
    h.ok(parent, "clone", "small", "expected")
    expected = working_tree(parent / "expected")

    def attempt(n: int) -> bool:
        root = parent / "c"
        if root.exists():
            shutil.rmtree(root)
        if not h.gas(parent, "clone", "small", "c", kill_at=n).killed:
            assert working_tree(root) == expected
            return False
        if root.exists():
            status = h.status(root)
            if status is not None and status.get("interrupted"):
                assert "run `gas clone small c`" in status["interrupted"]["hint"]
            no_stray_files(root, expected)
        again = h.gas(parent, "clone", "small", "c")
        clean_error(again)
        if again.code != 0:  # killed after its last step: the clone was complete
            assert "already a gas workspace" in again.err, again.err
        assert working_tree(root) == expected, f"clone re-run after step {n}: wrong tree"
        assert_clean(h.status(root), "main")
        h.held += 1
        return True

    h.each_kill_point("clone", attempt)


def _edit(root: Path) -> None:
    write(root, {f"train/c/{i:03d}.bin": f"edited {i}" for i in range(10, 22)})
    write(root, {f"train/d/{i}.bin": f"added {i}" for i in range(6)})
    for i in range(30, 33):
        (root / f"train/c/{i:03d}.bin").unlink()
    write(root, {"val/metadata.jsonl": labels_file({f"{i:02d}.bin": "dog" for i in range(8)})})


def kill_add_and_commit(h: Harness, w0: Path) -> None:
    edited = copy_workspace(w0, h.base / "edited")
    _edit(edited)
    added = copy_workspace(edited, h.base / "added")
    expected_status = h.ok(added, "status", "--porcelain").out
    h.ok(added, "add", "-A")
    staged = h.ok(added, "status", "--porcelain").out
    assert staged != expected_status
    committed = copy_workspace(added, h.base / "committed")
    h.ok(committed, "commit", "-m", "edits")
    head = h.ok(committed, "log", "-n", "1", "--json").out

    def add_attempt(n: int) -> bool:
        root = copy_workspace(edited, h.base / "add")
        if not h.gas(root, "add", "-A", kill_at=n).killed:
            return False
        h.status(root)
        h.ok(root, "add", "-A")
        assert h.ok(root, "status", "--porcelain").out == staged, f"add re-run after step {n}"
        h.held += 1
        return True

    def commit_attempt(n: int) -> bool:
        root = copy_workspace(added, h.base / "commit")
        if not h.gas(root, "commit", "-m", "edits", kill_at=n).killed:
            return False
        h.status(root)
        again = h.gas(root, "commit", "-m", "edits")
        assert again.code in (0, 1), again.err  # 1: nothing to commit (it had finished)
        assert h.ok(root, "log", "-n", "1", "--json").out == head
        status = h.status(root)
        assert status is not None and not (status["staged"] or status["unstaged"])
        h.held += 1
        return True

    h.each_kill_point("add", add_attempt)
    h.each_kill_point("commit", commit_attempt)


def kill_push(h: Harness, w0: Path, api: RawApi) -> None:
    dataset_id = api.call("GET", "datasets", params={"name": "faults"})["datasets"][0]["id"]

    def open_drafts() -> list[int]:
        found = api.call("GET", f"datasets/{dataset_id}/drafts", params={"status": "OPEN"})
        return [int(d["number"]) for d in found["drafts"]]

    def attempt(n: int) -> bool:
        root = copy_workspace(w0, h.base / "push")
        h.ok(root, "switch", "-c", f"p{n}")
        write(root, {f"val/{i:02d}.bin": f"push {n} {i}" for i in range(6)})
        write(root, {"val/metadata.jsonl": labels_file({f"{i:02d}.bin": "dog" for i in range(3)})})
        (root / "val/19.bin").unlink()
        h.ok(root, "commit", "-a", "-m", f"push {n}")
        if not h.gas(root, "push", kill_at=n).killed:
            assert open_drafts() == []
            return False
        h.status(root)
        h.ok(root, "push")
        assert open_drafts() == [], f"push re-run after step {n} left open drafts"
        [log] = json.loads(h.ok(root, "log", "-n", "1", "--json").out)
        branch = api.call("GET", f"datasets/{dataset_id}/branches", params={"name": f"p{n}"})
        assert branch["branches"][0]["commitId"] == log["serverId"]
        local = working_tree(root)
        remote = {f"val/{d['remotePath']}": d["checksum"] for d in api.data_details(
            dataset_id, "val", commit=log["serverId"])}
        assert remote == {k: v for k, v in local.items()
                          if k.startswith("val/") and k != "val/metadata.jsonl"}
        h.held += 1
        return True

    h.each_kill_point("push", attempt)


def test_stale_temporary_files_are_swept(world: dict[str, Any]) -> None:
    """What killed downloads left in `.gas/tmp/` goes with the next command that talks to the
    server; a recent file (another command may be writing it) stays."""
    h: Harness = world["h"]
    root = copy_workspace(world["w0"], h.base / "sweep")
    tmp = root / ".gas" / "tmp"
    tmp.mkdir(exist_ok=True)
    stale, fresh = tmp / "123-stale", tmp / "123-fresh"
    stale.write_bytes(b"partial download")
    fresh.write_bytes(b"being written")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    h.ok(root, "fetch")
    assert not stale.exists() and fresh.exists()
